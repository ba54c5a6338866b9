// Fuzzes the dashboard's request parsing (cli/ui/src) against a real store: the query string
// of GET /api/runs, /api/runs/{id}/points and the governance endpoints (/api/governance/summary,
// /api/audit, /api/waivers), the JSON body of POST /api/runs/{id}/tags, and the
// first line as a Range header against an asset. Input: "QUERY\nBODY". Refusals are
// HttpError/tracker errors (all vigil::Error).
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "api.h"
#include "byte_ranges.h"
#include "fuzz_support.h"
#include "runs_query.h"
#include "vigil/tracker/store.h"

namespace {

struct Fixture {
  std::filesystem::path dir;
  std::string run_id;
  std::unique_ptr<vigil::ui::Api> api;

  Fixture() {
    std::string pattern = (std::filesystem::temp_directory_path() / "vigil-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) __builtin_trap();
    dir = pattern;
    const std::string uri = (dir / "fuzz.db").string();
    {
      vigil::tracker::StoreOptions options;
      options.handle_signals = false;
      vigil::tracker::Store store(uri, options);
      vigil::tracker::RunOptions run_options;
      run_options.name = "fuzz-run";
      run_options.experiment = "fuzz";
      auto run = store.start_run(run_options);
      run.log_params({{"optimizer", {{"name", "adam"}, {"lr", 0.01}}}});
      run.add_tag("baseline");
      auto loss = run.metric("loss", {{"subset", "val"}});
      for (int step = 0; step < 20; ++step) loss.log(1.0 / (step + 1), step);
      run_id = run.id();
      run.finish();
    }
    api = std::make_unique<vigil::ui::Api>(uri);
  }
  ~Fixture() {
    api.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

Fixture& fixture() {
  static Fixture instance;  // destroyed at exit: the temporary store goes with it
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = fixture();
  const std::string_view input = vigil::fuzz::as_text(data, size);
  const std::size_t newline = input.find('\n');
  const std::string_view query = input.substr(0, newline);
  const std::string body(newline == std::string_view::npos ? std::string_view()
                                                           : input.substr(newline + 1));
  vigil::fuzz::expect_vigil_errors_only([&] {
    const auto params = vigil::ui::parse_query_string("/api/runs?" + std::string(query));
    (void)vigil::ui::filter_key(params);
    (void)f.api->list_runs(params);
  });
  vigil::fuzz::expect_vigil_errors_only([&] {
    (void)f.api->points(f.run_id, vigil::ui::parse_query_string("/x?" + std::string(query)));
  });
  // The Governance page's queries (summary, audit log, waivers) on the same text.
  vigil::fuzz::expect_vigil_errors_only([&] {
    const auto params = vigil::ui::parse_query_string("/x?" + std::string(query));
    (void)f.api->governance_summary(params);
    (void)f.api->audit(params);
    (void)f.api->waivers(params);
  });
  // A Range header: the answer stays inside the representation, whatever it asks.
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4096}}) {
    const auto answer = vigil::ui::parse_byte_ranges(query, size);
    if (answer.ranges.size() > vigil::ui::kMaxByteRanges) __builtin_trap();
    for (const auto& range : answer.ranges) {
      if (range.length == 0 || range.first + range.length > size) __builtin_trap();
    }
  }
  if (!body.empty()) {
    vigil::fuzz::expect_vigil_errors_only([&] { (void)f.api->update_tags(f.run_id, body); });
  }
  return 0;
}
