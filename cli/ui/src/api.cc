#include "api.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "http_error.h"
#include "query_params.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/json_limits.h"
#include "vigil/tracker/tags.h"

namespace vigil::ui {
namespace {

tracker::StoreOptions read_only_options() {
  tracker::StoreOptions options;
  options.read_only = true;
  options.handle_signals = false;  // the dashboard owns SIGINT/SIGTERM (clean stop)
  return options;
}

std::string single_param(const QueryParams& params, const std::string& key, bool required) {
  const auto count = params.count(key);
  if (count > 1) throw HttpError(400, "parameter '" + key + "' was given more than once");
  if (count == 0) {
    if (required) throw HttpError(400, "parameter '" + key + "' is required");
    return {};
  }
  return params.find(key)->second;
}

// A whole number of at most 15 digits (exact in a browser's doubles), or nullopt when absent;
// `expected` ends the error.
std::optional<std::int64_t> whole_number_param(const QueryParams& params, const std::string& key,
                                               bool allow_negative, const std::string& expected) {
  const auto text = single_param(params, key, false);
  if (text.empty() && params.count(key) == 0) return std::nullopt;
  const std::size_t sign = allow_negative && text[0] == '-' ? 1 : 0;
  const bool digits =
      text.size() > sign && text.size() - sign <= 15 &&
      std::all_of(text.begin() + sign, text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    throw HttpError(400, "parameter '" + key + "' is '" + text + "'; expected " + expected);
  }
  return std::stoll(text);
}

// The series and step range of a points request (GET /api/runs/{id}/points).
std::pair<tracker::SeriesKey, tracker::PointsQuery> parse_points_params(const QueryParams& params) {
  for (const auto& [key, value] : params) {
    if (key != "metric" && key != "max_points" && key != "min_step" && key != "max_step" &&
        key != "token") {
      throw HttpError(400, "unknown parameter '" + key +
                               "'; expected metric, max_points, min_step and max_step");
    }
  }
  const auto metric = single_param(params, "metric", true);
  std::pair<tracker::SeriesKey, tracker::PointsQuery> out;
  try {
    out.first = tracker::SeriesKey::parse(metric);
  } catch (const tracker::InvalidArgument& e) {
    throw HttpError(400, std::string("parameter 'metric': ") + e.what());
  }
  auto& query = out.second;
  const std::string points_form =
      "0 (as many as allowed) or a whole number from 2 to " + std::to_string(kMaxResponsePoints);
  const auto max_points = whole_number_param(params, "max_points", false, points_form);
  if (max_points == 1 || max_points > static_cast<std::int64_t>(kMaxResponsePoints)) {
    throw HttpError(400, "parameter 'max_points' is '" + std::to_string(*max_points) +
                             "'; expected " + points_form);
  }
  query.max_points =
      max_points.value_or(0) == 0 ? kMaxResponsePoints : static_cast<std::size_t>(*max_points);
  const std::string step_form = "a whole number of at most 15 digits (steps are integers)";
  query.min_step = whole_number_param(params, "min_step", true, step_form);
  query.max_step = whole_number_param(params, "max_step", true, step_form);
  if (query.min_step && query.max_step && *query.min_step > *query.max_step) {
    throw HttpError(400, "parameter 'min_step' (" + std::to_string(*query.min_step) +
                             ") is above 'max_step' (" + std::to_string(*query.max_step) +
                             "); expected min_step <= max_step");
  }
  return out;
}

// A series declared but without points yet has no last value, extremes, step or time: null,
// not NaN and 1970-01-01.
nlohmann::json series_json(const tracker::SeriesSummary& summary) {
  const bool empty = summary.count == 0;
  const auto value = [empty](double v) {
    return empty ? nlohmann::json(nullptr) : tracker::finite_or_string(v);
  };
  return {
      {"name", summary.key.name},
      {"context", summary.key.context.is_null() ? nlohmann::json::object() : summary.key.context},
      {"qualified_name", summary.key.qualified_name()},
      {"count", summary.count},
      {"last", value(summary.last)},
      {"min", value(summary.min)},
      {"max", value(summary.max)},
      {"last_step", empty ? nlohmann::json(nullptr) : nlohmann::json(summary.last_step)},
      {"last_time",
       empty ? nlohmann::json(nullptr) : nlohmann::json(tracker::format_time(summary.last_time))}};
}

// The tags under `key`; each passes tracker::check_tag (the rule `vigil runs tag` applies).
std::vector<std::string> tag_list(const nlohmann::json& body, const char* key,
                                  tracker::TagChange change) {
  std::vector<std::string> tags;
  const auto it = body.find(key);
  if (it == body.end()) return tags;
  if (!it->is_array()) {
    throw HttpError(400, std::string("'") + key + "' must be an array of tag strings");
  }
  for (const auto& tag : *it) {
    if (!tag.is_string()) {
      throw HttpError(400, std::string("'") + key + "' holds a " + tag.type_name() +
                               "; expected an array of tag strings");
    }
    const auto& text = tag.get_ref<const std::string&>();
    try {
      tracker::check_tag(text, change);
    } catch (const tracker::InvalidArgument& e) {
      throw HttpError(400, std::string("'") + key + "': " + e.what());
    }
    tags.push_back(text);
  }
  return tags;
}

}  // namespace

// Long enough to page and sort without reloading, short enough for time-derived statuses.
constexpr std::chrono::seconds kSnapshotMaxAge{10};

Api::Api(const std::string& store_uri)
    : reader_(store_uri, read_only_options()),
      runs_cache_(reader_, kSnapshotMaxAge),
      governance_(reader_) {}

const std::string& Api::store_uri() const { return reader_.uri(); }

std::string Api::resolve(const std::string& id) const {
  // Ids are lower-case hex; anything else cannot name a run (and never reaches the store).
  const bool hex = !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!hex) throw HttpError(404, "no run matches '" + id + "' (run ids are lower-case hex)");
  return reader_.resolve_run_id(id);
}

namespace {

// Facets describe the newest matching runs, at most this many (reading every match would
// make each page cost O(all runs)).
constexpr std::size_t kFacetSample = 500;

// The store's sort for a dashboard sort key; nullopt for the fields the database does not
// sort by (experiment, status, duration, verdict, tags), which page from a snapshot.
std::optional<tracker::RunSort> store_sort(const RunsQuery& query) {
  tracker::RunSort sort;
  if (!query.sort) return sort;  // newest first
  sort.descending = query.descending;
  const SortKey& key = *query.sort;
  switch (key.kind) {
    case SortKey::Kind::kParam:
      sort.key = tracker::RunSort::Key::kParam;
      sort.param = key.name;
      return sort;
    case SortKey::Kind::kMetric:
      try {
        sort.metric = tracker::SeriesKey::parse(key.name);
      } catch (const tracker::InvalidArgument&) {
        return std::nullopt;  // no series has that name: the snapshot's order says so
      }
      sort.key = tracker::RunSort::Key::kMetric;
      return sort;
    case SortKey::Kind::kField:
      break;
  }
  if (key.name == "created_at") return sort;
  if (key.name == "name") sort.key = tracker::RunSort::Key::kName;
  if (key.name == "score") sort.key = tracker::RunSort::Key::kScore;
  if (sort.key == tracker::RunSort::Key::kCreated) return std::nullopt;
  return sort;
}

}  // namespace

nlohmann::json Api::list_runs(const QueryParams& params) const {
  const auto query = parse_runs_query(params);
  nlohmann::json result = nlohmann::json::object();
  auto& list = result["runs"] = nlohmann::json::array();
  result["offset"] = query.offset;
  result["limit"] = query.limit;
  if (const auto sort = store_sort(query)) {
    // The database filters, sorts and pages; the total is counted unless the page shows it.
    auto filter = query.filter;
    filter.sort = *sort;
    filter.offset = query.offset;
    filter.limit = query.limit;
    const auto runs = reader_.list_runs(filter);
    for (const auto& run : runs) list.push_back(nlohmann::json(run));
    // A short page that is not past the end holds the last match: it tells the total.
    const bool complete =
        query.limit == 0 || (runs.size() < query.limit && (query.offset == 0 || !runs.empty()));
    result["total"] = complete ? query.offset + runs.size() : reader_.count_runs(filter);
    if (query.facets) {
      result["facets"] = runs_cache_
                             .get(filter_key(params),
                                  [&] {
                                    auto sample = query.filter;
                                    sample.limit = kFacetSample;
                                    return reader_.list_runs(sample);
                                  })
                             ->facets;
    }
    return result;
  }
  // Sorting by a field the database does not sort by needs every match; the snapshot is
  // reused across pages.
  const auto snapshot = runs_cache_.get(filter_key(params) + "\x1d" + "all", [&] {
    auto filter = query.filter;
    filter.limit = 0;
    return reader_.list_runs(filter);
  });
  const auto& runs = snapshot->runs;
  const auto order = sorted_order(runs, *query.sort, query.descending);
  const std::size_t begin = std::min(query.offset, runs.size());
  const std::size_t end =
      query.limit == 0 ? runs.size() : std::min(runs.size(), begin + query.limit);
  for (std::size_t i = begin; i < end; ++i) list.push_back(nlohmann::json(runs[order[i]]));
  result["total"] = runs.size();
  if (query.facets) result["facets"] = snapshot->facets;
  return result;
}

nlohmann::json Api::get_run(const std::string& id) const {
  return nlohmann::json(reader_.get_run(resolve(id)));
}

nlohmann::json Api::series(const std::string& id) const {
  const auto run_id = resolve(id);
  auto list = nlohmann::json::array();
  for (const auto& summary : reader_.series(run_id)) list.push_back(series_json(summary));
  return list;
}

nlohmann::json Api::points(const std::string& id, const QueryParams& params) const {
  // Not a structured binding: C++17 lambdas cannot capture those (Clang refuses).
  const auto parsed = parse_points_params(params);
  const tracker::SeriesKey& key = parsed.first;
  const tracker::PointsQuery& query = parsed.second;
  const auto run_id = resolve(id);
  const auto summaries = reader_.series(run_id);
  const auto found = std::find_if(summaries.begin(), summaries.end(),
                                  [&](const auto& summary) { return summary.key == key; });
  if (found == summaries.end()) {
    throw HttpError(404, "run " + run_id + " has no series '" + key.qualified_name() + "'");
  }
  const auto points = reader_.points(run_id, key, query);
  auto steps = nlohmann::json::array();
  auto epochs = nlohmann::json::array();
  auto values = nlohmann::json::array();
  auto times = nlohmann::json::array();
  for (const auto& point : points) {
    steps.push_back(point.step);
    epochs.push_back(point.epoch ? nlohmann::json(*point.epoch) : nlohmann::json(nullptr));
    values.push_back(tracker::finite_or_string(point.value));
    times.push_back(point.time);
  }
  return {{"run_id", run_id},
          {"metric", key.qualified_name()},
          {"count", found->count},
          {"downsampled", static_cast<std::int64_t>(points.size()) < found->count},
          {"step", std::move(steps)},
          {"epoch", std::move(epochs)},
          {"value", std::move(values)},
          {"time", std::move(times)}};
}

nlohmann::json Api::validations(const std::string& id) const {
  return governance_.validations(resolve(id));
}

nlohmann::json Api::governance_summary(const QueryParams& params) const {
  return governance_.summary(params);
}

nlohmann::json Api::waivers(const QueryParams& params) const {
  const auto run = optional_param(params, "run");
  return governance_.waivers(params, run ? resolve(*run) : std::string());
}

nlohmann::json Api::audit(const QueryParams& params) const { return governance_.audit(params); }

nlohmann::json Api::policy(const std::string& hash) const { return governance_.policy(hash); }

nlohmann::json Api::ranks(const std::string& id) const {
  auto list = nlohmann::json::array();
  for (const auto& rank : reader_.ranks(resolve(id))) list.push_back(nlohmann::json(rank));
  return list;
}

nlohmann::json Api::experiments() const { return reader_.experiments(); }

nlohmann::json Api::meta() const {
  auto verdict_tags = nlohmann::json::array();
  for (std::string_view tag : tracker::kVerdictTags) verdict_tags.push_back(std::string(tag));
  auto statuses = nlohmann::json::array();
  for (auto status : tracker::kRunStatuses) statuses.push_back(std::string(to_string(status)));
  return {{"verdict_tags", std::move(verdict_tags)},
          {"statuses", std::move(statuses)},
          {"verdicts", {std::string(tracker::kPassVerdict), std::string(tracker::kFailVerdict)}},
          {"max_response_points", kMaxResponsePoints},
          {"store", reader_.uri()}};
}

nlohmann::json Api::update_tags(const std::string& id, const std::string& body) {
  nlohmann::json request;
  try {
    // The server caps the body's size (413); the parser caps its nesting and refuses trailing
    // bytes and numbers out of range.
    request = tracker::parse_json_bounded(body, "request body");
  } catch (const tracker::JsonError& e) {
    throw HttpError(400, e.what());
  }
  if (!request.is_object()) {
    throw HttpError(400, "request body must be an object {\"add\": [...], \"remove\": [...]}");
  }
  for (const auto& [key, value] : request.items()) {
    if (key != "add" && key != "remove") {
      throw HttpError(400, "unknown key '" + key + "' in request body; expected add and remove");
    }
  }
  const auto add = tag_list(request, "add", tracker::TagChange::kAdd);
  const auto remove = tag_list(request, "remove", tracker::TagChange::kRemove);
  if (add.empty() && remove.empty()) {
    throw HttpError(400, "request body names no tags; expected non-empty 'add' or 'remove'");
  }
  const auto run_id = resolve(id);
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    if (!writer_) {
      tracker::StoreOptions options;
      options.handle_signals = false;
      writer_ = std::make_unique<tracker::Store>(reader_.uri(), options);
    }
    if (!add.empty()) writer_->add_tags(run_id, add);
    if (!remove.empty()) writer_->remove_tags(run_id, remove);
  }
  runs_cache_.clear();
  return nlohmann::json(reader_.get_run(run_id));
}

}  // namespace vigil::ui
