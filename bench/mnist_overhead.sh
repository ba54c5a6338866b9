#!/usr/bin/env bash
# What vigil costs on the example: wall time of vigil-mnist with tracking and guards on vs
# --no-track (same seed, data and settings), run alternately REPS times; prints each time, the
# medians and the overhead in percent.
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

# Wall seconds of one run; the store is fresh each time so every tracked run does the same work.
time_run() {
  local start end
  rm -f "$work"/store.db*
  start=$(date +%s.%N)
  "$mnist" "${args[@]}" --store "$work/store.db" --name overhead-bench "$@" >"$work/out.txt" 2>&1 ||
    { cat "$work/out.txt" >&2; echo "mnist_overhead: vigil-mnist failed" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f\n", b - a}' 
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "vigil-mnist ${args[*]}: $reps alternating runs each, tracked vs --no-track"
tracked=(); untracked=()
for ((i = 1; i <= reps; i++)); do
  # Alternate which goes first so slow drifts of the machine hit both sides alike.
  if ((i % 2)); then
    t=$(time_run); u=$(time_run --no-track)
  else
    u=$(time_run --no-track); t=$(time_run)
  fi
  tracked+=("$t"); untracked+=("$u")
  printf 'run %d: tracked %.2fs  no-track %.2fs\n' "$i" "$t" "$u"
done
mt=$(printf '%s\n' "${tracked[@]}" | median)
mu=$(printf '%s\n' "${untracked[@]}" | median)
awk -v t="$mt" -v u="$mu" \
  'BEGIN {printf "median: tracked %.3fs  no-track %.3fs  overhead %+.2f%%\n", t, u, (t - u) / u * 100}' 
