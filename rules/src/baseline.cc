#include "vigil/rules/baseline.h"

#include <algorithm>

namespace vigil::rules {
namespace {

std::string run_label(const tracker::RunInfo& run) {
  return run.id.substr(0, 8) + (run.name.empty() ? "" : " " + run.name);
}

bool older(const tracker::RunInfo& a, const tracker::RunInfo& b) {
  return a.created_at < b.created_at || (a.created_at == b.created_at && a.id < b.id);
}

// Whether `candidate` beats `best`; a tie goes to the later (newer) one.
bool at_least_as_good(double candidate, double best, bool maximize) {
  return maximize ? candidate >= best : candidate <= best;
}

}  // namespace

std::vector<tracker::RunInfo>& BaselineRuns::pass_runs(const std::string& experiment) {
  auto found = pass_.find(experiment);
  if (found != pass_.end()) return found->second;
  tracker::RunFilter filter;
  filter.experiment = experiment;
  filter.verdict = std::string(tracker::kPassVerdict);
  filter.sort.descending = false;  // oldest first
  return pass_.emplace(experiment, store_.list_runs(filter)).first->second;
}

void BaselineRuns::update(Index& index, bool maximize, const tracker::RunInfo& run, bool add) {
  auto& entries = index.entries;
  auto at = std::lower_bound(entries.begin(), entries.end(), run.created_at,
                             [](const Entry& e, tracker::Timestamp t) { return e.created_at < t; });
  while (at != entries.end() && at->created_at == run.created_at && at->id < run.id) ++at;
  const bool present = at != entries.end() && at->id == run.id;
  if (add == present) return;
  if (add) {
    const auto value = index.value_of(run);
    if (!value) return;
    at = entries.insert(at, {run.created_at, *value, run.id, run_label(run)});
  } else {
    at = entries.erase(at);
  }
  // Only the prefix maxima from the changed position on move: cheap for the newest runs,
  // which is where an oldest-first validation changes them.
  const auto from = static_cast<std::size_t>(at - entries.begin());
  index.best.resize(entries.size());
  for (std::size_t i = from; i < entries.size(); ++i) {
    const bool better =
        i == 0 || at_least_as_good(entries[i].value, entries[index.best[i - 1]].value, maximize);
    index.best[i] = better ? i : index.best[i - 1];
  }
}

BaselineRuns::Index& BaselineRuns::index(const tracker::RunInfo& run, const std::string& rule_key,
                                         bool maximize, const ValueOf& value_of) {
  const IndexKey key{run.experiment, rule_key, maximize};
  auto found = indexes_.find(key);
  if (found != indexes_.end()) return found->second;
  Index& built = indexes_[key];
  built.value_of = value_of;
  for (const auto& candidate : pass_runs(run.experiment)) update(built, maximize, candidate, true);
  return built;
}

std::optional<BaselineRuns::Best> BaselineRuns::best_before(const tracker::RunInfo& run,
                                                            const std::string& rule_key,
                                                            bool maximize,
                                                            const ValueOf& value_of) {
  const Index& idx = index(run, rule_key, maximize, value_of);
  if (run.created_at <= 0) {  // no creation time: every other PASS run counts
    std::optional<Best> best;
    for (const Entry& entry : idx.entries) {
      if (entry.id == run.id) continue;
      if (!best || at_least_as_good(entry.value, best->value, maximize))
        best = Best{entry.value, entry.label};
    }
    return best;
  }
  // Entries created strictly before the run; the run itself is never among them.
  const auto end = std::lower_bound(
      idx.entries.begin(), idx.entries.end(), run.created_at,
      [](const Entry& entry, tracker::Timestamp at) { return entry.created_at < at; });
  if (end == idx.entries.begin()) return std::nullopt;
  const Entry& best =
      idx.entries[idx.best[static_cast<std::size_t>(end - idx.entries.begin()) - 1]];
  return Best{best.value, best.label};
}

void BaselineRuns::record(const tracker::RunInfo& run, bool pass) {
  auto found = pass_.find(run.experiment);
  if (found == pass_.end()) return;  // not read yet: it will be read with this verdict
  auto& runs = found->second;
  const auto it = std::find_if(runs.begin(), runs.end(),
                               [&](const tracker::RunInfo& r) { return r.id == run.id; });
  if ((it != runs.end()) == pass) return;  // no change
  if (pass) {
    runs.insert(std::upper_bound(runs.begin(), runs.end(), run, older), run);
  } else {
    runs.erase(it);
  }
  for (auto& [key, index] : indexes_) {
    if (std::get<0>(key) == run.experiment) update(index, std::get<2>(key), run, pass);
  }
}

}  // namespace vigil::rules
