// Store: run-level queries (listing, counting, resolving ids and names, a run's details). The
// database filters, sorts and pages (run_select_sql.h); runs are completed here (crash
// detection, decoded params) before they are returned.

#include <algorithm>
#include <unordered_map>

#include "backend.h"
#include "store_internal.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"
#include "writer.h"

namespace vigil::tracker {

namespace {

// Only what load_runs evaluates itself: one read of the page (or of whole tables), no id list.
bool plain_listing(const RunFilter& f) {
  return !f.name_contains && f.tags.empty() && f.statuses.empty() && f.params.empty() &&
         f.metrics.empty() && !f.verdict && f.offset == 0 && f.sort.key == RunSort::Key::kCreated &&
         f.sort.descending;
}

// Runs stored `running` whose process is gone: stored `crashed` now (unless read-only), and
// named to the selection, so a status filter sees what a listing would show.
std::vector<std::string> crashed_running_ids(detail::Backend& backend,
                                             const StoreOptions& options) {
  detail::RunQuery running;
  running.running_only = true;
  std::vector<RunInfo> runs = backend.load_runs(running);
  detail::derive_crashes(backend, options, runs);
  std::vector<std::string> ids;
  for (const RunInfo& run : runs) {
    if (run.status != RunStatus::kRunning) ids.push_back(run.id);
  }
  return ids;
}

// The runs of `ids` (read in one batch), in that order; ids deleted meanwhile are skipped.
std::vector<RunInfo> load_in_order(detail::Backend& backend, std::vector<std::string> ids) {
  if (ids.empty()) return {};
  detail::RunQuery query;
  query.ids = ids;
  std::vector<RunInfo> loaded = backend.load_runs(query);
  std::unordered_map<std::string_view, std::size_t> position(ids.size() * 2);
  for (std::size_t i = 0; i < ids.size(); ++i) position.emplace(ids[i], i);
  std::vector<std::optional<RunInfo>> ordered(ids.size());
  for (RunInfo& run : loaded) {
    auto found = position.find(run.id);
    if (found != position.end()) ordered[found->second] = std::move(run);
  }
  std::vector<RunInfo> runs;
  runs.reserve(ordered.size());
  for (auto& run : ordered) {
    if (run) runs.push_back(std::move(*run));
  }
  return runs;
}

}  // namespace

std::optional<detail::RunSelection> Store::selection(const RunFilter& filter) const {
  detail::RunSelection selection;
  selection.filter = filter;
  selection.filter.ids.clear();
  for (const auto& id : filter.ids) {
    try {
      selection.filter.ids.push_back(resolve_run_id(id));
    } catch (const RunNotFound&) {  // no such run: it simply matches nothing
    }
  }
  if (!filter.ids.empty() && selection.filter.ids.empty()) return std::nullopt;
  if (!filter.statuses.empty()) {
    selection.crashed_ids = crashed_running_ids(detail::store_backend(*this), writer_->options());
  }
  return selection;
}

std::vector<RunInfo> Store::list_runs(const RunFilter& filter) const {
  auto& backend = detail::store_backend(*this);
  const auto selected = selection(filter);
  if (!selected) return {};
  std::vector<RunInfo> runs;
  if (plain_listing(filter)) {
    detail::RunQuery query;
    query.ids = selected->filter.ids;
    query.experiment = filter.experiment;
    query.created_since = filter.created_since;
    query.created_until = filter.created_until;
    query.limit = filter.limit;
    runs = backend.load_runs(query);
  } else {
    runs = load_in_order(backend, backend.select_runs(*selected));
  }
  detail::complete_loaded_runs(backend, writer_->options(), runs);
  return runs;
}

std::size_t Store::count_runs(const RunFilter& filter) const {
  const auto selected = selection(filter);
  return selected ? detail::store_backend(*this).count_runs(*selected) : 0;
}

std::string Store::resolve_run_id(std::string_view id_or_prefix) const {
  auto& backend = detail::store_backend(*this);
  std::string prefix = detail::normalize_prefix(id_or_prefix);
  if (prefix.empty()) throw InvalidArgument("empty run id: expected a run id or a prefix of one");
  auto matches = backend.ids_with_prefix(prefix, 11);
  if (matches.empty()) throw RunNotFound("no run matches id '" + std::string(id_or_prefix) + "'");
  if (matches.size() == 1 || matches[0] == prefix) return matches[0];
  std::string candidates;
  for (std::size_t i = 0; i < matches.size() && i < 10; ++i) {
    candidates += (i ? ", " : "") + matches[i];
  }
  if (matches.size() > 10) candidates += ", ...";
  throw AmbiguousRunId("run id prefix '" + std::string(id_or_prefix) + "' is ambiguous: matches " +
                       candidates);
}

RunRef Store::resolve_run(std::string_view id_or_name) const {
  constexpr std::size_t kMaxCandidates = 10;
  std::string_view text = id_or_name;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) throw InvalidArgument("empty run reference: expected a run id, prefix or name");
  const std::string prefix = detail::normalize_prefix(text);
  auto matches = detail::store_backend(*this).find_runs(prefix, text, kMaxCandidates + 1);
  for (const auto& match : matches) {
    if (match.id == prefix) return match;  // a full id wins over names and longer ids
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    throw RunNotFound("no run has the id, id prefix or name '" + std::string(text) + "'");
  }
  std::string listed;
  for (std::size_t i = 0; i < matches.size() && i < kMaxCandidates; ++i) {
    listed +=
        (i ? ", " : "") + matches[i].id + (matches[i].name.empty() ? "" : " " + matches[i].name);
  }
  const bool more = matches.size() > kMaxCandidates;
  if (more) {
    listed += ", ...";
    matches.resize(kMaxCandidates);
  }
  std::string message = "'" + std::string(text) + "' matches " + (more ? "more than " : "") +
                        std::to_string(matches.size()) + " runs: " + listed;
  throw AmbiguousRunId(message, std::move(matches));
}

RunInfo Store::get_run(std::string_view id_or_prefix) const {
  detail::RunQuery query;
  query.ids.push_back(resolve_run_id(id_or_prefix));
  auto runs = detail::store_backend(*this).load_runs(query);
  if (runs.empty()) throw RunNotFound("no run matches id '" + std::string(id_or_prefix) + "'");
  detail::complete_loaded_runs(*backend_, writer_->options(), runs);
  return std::move(runs.front());
}

std::vector<std::string> Store::experiments() const {
  return detail::store_backend(*this).experiments();
}

std::vector<SeriesSummary> Store::series(std::string_view run_id) const {
  return detail::store_backend(*this).series(resolve_run_id(run_id));
}

std::vector<ValidationRecord> Store::validations(std::string_view run_id) const {
  return detail::store_backend(*this).validations(resolve_run_id(run_id));
}

std::uint64_t Store::change_token() const { return detail::store_backend(*this).change_token(); }

StoreInfo Store::info() const { return detail::store_backend(*this).info(); }

std::optional<ValidationRecord> Store::latest_validation(std::string_view run_id) const {
  auto all = validations(run_id);
  if (all.empty()) return std::nullopt;
  return std::move(all.back());
}

std::vector<std::optional<ValidationRecord>> Store::latest_validations(
    const std::vector<std::string>& run_ids) const {
  std::vector<std::optional<ValidationRecord>> out(run_ids.size());
  std::unordered_map<std::string_view, std::vector<std::size_t>> positions;
  for (std::size_t i = 0; i < run_ids.size(); ++i) positions[run_ids[i]].push_back(i);
  for (ValidationRecord& record : detail::store_backend(*this).latest_validations(run_ids)) {
    auto it = positions.find(record.run_id);
    if (it == positions.end()) continue;
    for (std::size_t i : it->second) out[i] = record;
  }
  return out;
}

}  // namespace vigil::tracker
