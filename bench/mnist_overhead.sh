#!/usr/bin/env bash
# What vigil costs on the example: wall time (and CPU time) of vigil-mnist with tracking and
# guards on vs --no-track (same seed, data and settings), run alternately REPS times; prints each
# time, the medians and the overhead in percent. On a shared machine wall times are noisy: use
# more REPS, and compare with the CPU-time line.
#
#   bench/mnist_overhead.sh [REPS] [-- VIGIL_MNIST_ARGS...]
#
# Default REPS 5; default arguments: the default CNN on the first 10000 training samples for
# 2 epochs. Needs a built vigil-mnist (VIGIL_BUILD_DIR, default build/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VIGIL_BUILD_DIR:-"$root/build"}
mnist="$build_dir/examples/mnist/vigil-mnist"
[[ -x "$mnist" ]] || { echo "mnist_overhead: $mnist not found; build first (scripts/build.sh)" >&2; exit 1; }

reps=5
if [[ $# -gt 0 && "$1" != "--" ]]; then reps=$1; shift; fi
[[ "${1:-}" == "--" ]] && shift
args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then args=(--model cnn --limit 10000 --epochs 2 --seed 1); fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "WALL CPU" seconds of one run (CPU = user + sys of the process); the store is fresh each time
# so every tracked run does the same work.
time_run() {
  local times
  rm -f "$work"/store.db*
  TIMEFORMAT='%R %U %S'
  { time "$mnist" "${args[@]}" --store "$work/store.db" --name overhead-bench "$@" \
      >"$work/out.txt" 2>&1; } 2>"$work/time.txt" ||
    { cat "$work/out.txt" >&2; echo "mnist_overhead: vigil-mnist failed" >&2; exit 1; }
  times=$(tail -1 "$work/time.txt")
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$times"
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "vigil-mnist ${args[*]}: $reps alternating runs each, tracked vs --no-track"
tracked=(); untracked=(); tracked_cpu=(); untracked_cpu=()
for ((i = 1; i <= reps; i++)); do
  # Alternate which goes first so slow drifts of the machine hit both sides alike.
  if ((i % 2)); then
    read -r t tc < <(time_run); read -r u uc < <(time_run --no-track)
  else
    read -r u uc < <(time_run --no-track); read -r t tc < <(time_run)
  fi
  tracked+=("$t"); untracked+=("$u"); tracked_cpu+=("$tc"); untracked_cpu+=("$uc")
  printf 'run %d: tracked %.2fs wall %.2fs cpu   no-track %.2fs wall %.2fs cpu\n' \
    "$i" "$t" "$tc" "$u" "$uc"
done
report() {
  local label=$1 mt mu
  mt=$(printf '%s\n' "${@:2:$reps}" | median)
  mu=$(printf '%s\n' "${@:$((reps + 2)):$reps}" | median)
  awk -v l="$label" -v t="$mt" -v u="$mu" \
    'BEGIN {printf "median %s: tracked %.3fs  no-track %.3fs  overhead %+.2f%%\n", l, t, u, (t - u) / u * 100}'
}
report wall "${tracked[@]}" "${untracked[@]}"
report cpu "${tracked_cpu[@]}" "${untracked_cpu[@]}"
