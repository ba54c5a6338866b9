// copy_runs: reads runs through one store's Backend and writes each with one import_run call
// on the other's, so it works between any two backends.

#include "vigil/tracker/copy.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>
#include <tuple>

#include "backend.h"
#include "vigil/tracker/errors.h"

namespace vigil::tracker {
namespace {

// Two URIs naming one store. For SQLite files the paths are compared as files (a relative
// path, a sqlite:// URI and a symlink may all name the same file); other backends by URI.
bool same_store(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const detail::StoreLocation first = detail::parse_store_uri(a);
  const detail::StoreLocation second = detail::parse_store_uri(b);
  if (first.scheme != "sqlite" || second.scheme != "sqlite") return false;
  std::error_code ec;
  return std::filesystem::equivalent(first.path, second.path, ec) && !ec;
}

// Every chunk of a series, data included, in seq order.
std::vector<detail::ChunkRow> read_chunks(detail::Backend& backend, std::int64_t series_id) {
  std::vector<detail::ChunkRow> chunks;
  backend.scan_chunks(
      series_id, [](const detail::ChunkMeta&) { return true; },
      [&](const detail::ChunkMeta& meta, std::string_view data) {
        detail::ChunkRow row;
        row.seq = meta.seq;
        row.first_step = meta.first_step;
        row.last_step = meta.last_step;
        row.n = meta.n;
        row.min = meta.min;
        row.max = meta.max;
        row.data.assign(data.data(), data.size());
        chunks.push_back(std::move(row));
      });
  return chunks;
}

// Points stored in a series' chunks (their metadata only; no point data is read).
std::int64_t stored_points(detail::Backend& backend, std::int64_t series_id) {
  std::int64_t points = 0;
  backend.scan_chunks(
      series_id,
      [&](const detail::ChunkMeta& meta) {
        points += meta.n;
        return false;
      },
      [](const detail::ChunkMeta&, std::string_view) {});
  return points;
}

detail::RunExport export_run(detail::Backend& backend, const RunInfo& run) {
  detail::RunExport out;
  out.run = run;
  for (const SeriesSummary& summary : backend.series(run.id)) {
    auto found = backend.find_series(run.id, summary.key);
    if (!found) continue;  // deleted meanwhile
    detail::SeriesExport series;
    series.summary = found->second;
    series.chunks = read_chunks(backend, found->first);
    out.series.push_back(std::move(series));
  }
  out.validations = backend.validations(run.id);
  return out;
}

// Reads the copy back and compares every series' point count with the source's.
std::int64_t verify_points(detail::Backend& destination, const detail::RunExport& copied) {
  std::int64_t total = 0;
  for (const detail::SeriesExport& series : copied.series) {
    std::int64_t expected = 0;
    for (const detail::ChunkRow& row : series.chunks) expected += row.n;
    auto found = destination.find_series(copied.run.id, series.summary.key);
    const std::int64_t actual = found ? stored_points(destination, found->first) : -1;
    if (!found || actual != expected || found->second.count != series.summary.count) {
      throw Error("copy of run " + copied.run.id + " failed verification: series '" +
                  series.summary.key.qualified_name() + "' has " + std::to_string(expected) +
                  " points in the source but " +
                  (found ? std::to_string(actual) : std::string("no series")) +
                  " in the destination");
    }
    total += actual;
  }
  return total;
}

// The policies that judged a run, stored in the destination unless there already.
void copy_policies(detail::Backend& source, detail::Backend& destination,
                   const std::vector<ValidationRecord>& validations) {
  std::set<std::string> hashes;
  for (const ValidationRecord& v : validations) {
    if (!v.rules_hash.empty()) hashes.insert(v.rules_hash);
  }
  for (const std::string& hash : hashes) {
    if (auto policy = source.policy(hash)) (void)destination.put_policy(*policy);
  }
}

bool same_waiver(const Waiver& a, const Waiver& b) {
  return std::tie(a.run_id, a.experiment, a.rule_id, a.owner, a.reason, a.created_at) ==
         std::tie(b.run_id, b.experiment, b.rule_id, b.owner, b.reason, b.created_at);
}

// The waivers matching `query` (one run's or one experiment's), added to the destination when
// missing there, and revoked there when revoked in the source.
void copy_waivers(detail::Backend& source, detail::Backend& destination, const WaiverQuery& query) {
  const std::vector<Waiver> present = destination.waivers(query);
  for (const Waiver& waiver : source.waivers(query)) {
    auto found = std::find_if(present.begin(), present.end(),
                              [&](const Waiver& w) { return same_waiver(w, waiver); });
    if (found != present.end() && (found->revoked_at || !waiver.revoked_at)) continue;
    const std::int64_t id = found != present.end() ? found->id : destination.add_waiver(waiver);
    if (waiver.revoked_at) {
      (void)destination.revoke_waiver(id, waiver.revoked_by, *waiver.revoked_at);
    }
  }
}

using AuditKey = std::tuple<Timestamp, std::string, std::string, std::string, std::string>;

AuditKey audit_key(const AuditEvent& e) {
  return {e.at, e.action, e.user, e.host, e.details.dump()};
}

// The run's audit events that the destination lacks, appended in their order. Returns how many.
std::int64_t copy_audit(detail::Backend& source, detail::Backend& destination,
                        const std::string& run_id) {
  AuditQuery query;
  query.run_id = run_id;
  std::set<AuditKey> present;
  for (const AuditEvent& e : destination.audit_events(query)) {
    if (e.run_id == run_id) present.insert(audit_key(e));
  }
  std::vector<AuditEvent> missing;
  for (AuditEvent& e : source.audit_events(query)) {
    if (e.run_id == run_id && present.insert(audit_key(e)).second) missing.push_back(std::move(e));
  }
  destination.append_audit(missing);
  return static_cast<std::int64_t>(missing.size());
}

// Policies, waivers and audit events of a run that is in the destination now.
void copy_governance(detail::Backend& source, detail::Backend& destination, CopiedRun& copied,
                     const std::vector<ValidationRecord>& validations) {
  copy_policies(source, destination, validations);
  WaiverQuery waivers;
  waivers.run_id = copied.id;
  copy_waivers(source, destination, waivers);
  copied.audit_events = copy_audit(source, destination, copied.id);
}

CopiedRun copy_one(detail::Backend& source, detail::Backend& destination, const RunInfo& run,
                   const CopyOptions& options) {
  CopiedRun copied{run.id, run.name, run.experiment, CopyOutcome::kCopied, 0, 0, 0};
  if (run.status == RunStatus::kRunning) {
    copied.outcome = CopyOutcome::kSkippedRunning;
    return copied;
  }
  // Cheap check first, so an idempotent second copy reads no points (import_run decides).
  const auto present =
      options.replace ? std::vector<std::string>() : destination.ids_with_prefix(run.id, 1);
  if (!present.empty() && present.front() == run.id) {
    copied.outcome = CopyOutcome::kSkippedExisting;
    copy_governance(source, destination, copied, source.validations(run.id));
    return copied;
  }
  const detail::RunExport exported = export_run(source, run);
  switch (destination.import_run(exported, options.replace)) {
    case detail::ImportOutcome::kExists:
      copied.outcome = CopyOutcome::kSkippedExisting;
      copy_governance(source, destination, copied, exported.validations);
      return copied;
    case detail::ImportOutcome::kReplaced:
      copied.outcome = CopyOutcome::kReplaced;
      break;
    case detail::ImportOutcome::kCreated:
      break;
  }
  copied.series = static_cast<std::int64_t>(exported.series.size());
  copied.points = verify_points(destination, exported);
  copied.validations = static_cast<std::int64_t>(exported.validations.size());
  copy_governance(source, destination, copied, exported.validations);
  return copied;
}

}  // namespace

std::vector<CopiedRun> copy_runs(const Store& source, Store& destination, const RunFilter& filter,
                                 const CopyOptions& options,
                                 const std::function<void(const CopiedRun&)>& progress) {
  if (same_store(source.uri(), destination.uri())) {
    throw InvalidArgument("cannot copy store " + source.display_uri() +
                          " onto itself: expected two different stores");
  }
  detail::Backend& from = detail::store_backend(source);
  detail::Backend& to = detail::store_backend(destination);
  // Statuses as the source reports them: a run whose process died is copied as crashed.
  std::vector<RunInfo> runs = source.list_runs(filter);
  std::reverse(runs.begin(), runs.end());  // oldest first
  std::vector<CopiedRun> result;
  std::set<std::string> experiments;  // whose waivers were copied
  for (const RunInfo& run : runs) {
    result.push_back(copy_one(from, to, run, options));
    if (result.back().outcome != CopyOutcome::kSkippedRunning &&
        experiments.insert(run.experiment).second) {
      WaiverQuery waivers;
      waivers.experiment = run.experiment;
      copy_waivers(from, to, waivers);
    }
    if (progress) progress(result.back());
  }
  return result;
}

}  // namespace vigil::tracker
