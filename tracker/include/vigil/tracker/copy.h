#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vigil/tracker/query.h"
#include "vigil/tracker/store.h"

namespace vigil::tracker {

/// Settings of copy_runs().
struct CopyOptions {
  /// A run whose id already exists in the destination is replaced (deleted and copied
  /// again, in one transaction). Default false: it is skipped and reported.
  bool replace = false;
};

/// What copy_runs() did with one run.
enum class CopyOutcome {
  kCopied,           ///< new in the destination
  kReplaced,         ///< was in the destination, replaced (CopyOptions::replace)
  kSkippedExisting,  ///< already in the destination, left as it was
  kSkippedRunning,   ///< still running in the source: not copied (see copy_runs)
};

/// One run handled by copy_runs().
struct CopiedRun {
  std::string id;
  std::string name;
  std::string experiment;
  CopyOutcome outcome = CopyOutcome::kCopied;
  std::int64_t series = 0;       ///< series copied (0 when skipped)
  std::int64_t points = 0;       ///< points copied, verified in the destination
  std::int64_t validations = 0;  ///< validation records copied
  /// Audit events of the run added to the destination (those it lacked; also for a run
  /// skipped as existing).
  std::int64_t audit_events = 0;
};

/// Copies the runs of `source` that match `filter` into `destination`, oldest first, with
/// everything stored for them: params, results, tags, status and times, every series with
/// all its points (the encoded chunks byte for byte), validations (in order; the
/// destination numbers them anew), and for a distributed job's run its ranks (host, pid,
/// device, status and times of each) and its stop request. Works between any two backends.
///
/// Governance records go along: the policies that judged each run (by hash), its waivers and
/// the waivers of its experiment (revocations included), and its audit events. Each is added
/// only when the destination lacks it (a policy by hash, a waiver by target, rule, owner,
/// reason and creation time, an audit event by time, action, actor and details), also for a
/// run skipped as existing: copying twice adds nothing, and a second copy brings over events
/// and revocations that happened in the source since the first. The destination numbers
/// waivers and audit events anew; the copy itself is not an audited event.
///
/// Governance records go along: the policies that judged each run (by hash), its waivers and
/// the waivers of its experiment (revocations included), and its audit events. Each is added
/// only when the destination lacks it (a policy by hash, a waiver by target, rule, owner,
/// reason and creation time, an audit event by time, action, actor and details), also for a
/// run skipped as existing: copying twice adds nothing, and a second copy brings over events
/// and revocations that happened in the source since the first. The destination numbers
/// waivers and audit events anew; the copy itself is not an audited event.
///
/// - Each run is written in one transaction: a reader of the destination sees it whole or
///   not at all, and a failure leaves nothing of that run behind.
/// - A run whose id is already in the destination is skipped, or replaced with
///   options.replace; so copying again is harmless (idempotent).
/// - A run still `running` in the source is skipped (kSkippedRunning): its owner is still
///   writing, so the copy would be a truncated snapshot that the destination would soon
///   report as crashed and that a later copy would skip as existing. Copy it once it ended.
///   A run whose process died is copied as `crashed`, as the source reports it; so is a rank.
/// - After writing a run, its point counts are read back from the destination and compared
///   with the source's, series by series; a difference throws Error naming the run and series
///   (the runs copied before it stay).
///
/// `progress`, when set, is called after each run (also for skipped ones). Returns every run
/// handled. Throws InvalidArgument when both stores are the same one, Error/StoreError when a
/// store fails. Memory: one run's encoded points at a time.
std::vector<CopiedRun> copy_runs(const Store& source, Store& destination, const RunFilter& filter,
                                 const CopyOptions& options = {},
                                 const std::function<void(const CopiedRun&)>& progress = {});

}  // namespace vigil::tracker
