#!/usr/bin/env bash
# Launches vigil-mnist --ddp as N local processes, torchrun style: each rank gets RANK,
# LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT and one VIGIL_RUN_ID shared by the job, so
# all ranks record ONE run. Every other argument goes to every rank.
#
#   scripts/ddp_demo.sh [--ranks N] [vigil-mnist flags...]     e.g. --limit 2000 --epochs 1
#
# Environment: VIGIL_STORE (the store every rank writes to; or pass --store), VIGIL_MNIST (the
# binary; default build/examples/mnist/vigil-mnist), MASTER_PORT (default: a free port),
# VIGIL_RUN_ID (default: a new random id). Exits 0 when every rank did, else with the exit
# code of the lowest rank that failed (3 refused, 4 aborted by a guard, 1 error).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ranks=2
args=()
while (($#)); do
  case "$1" in
    --ranks)
      [[ $# -ge 2 ]] || { echo "ddp_demo: --ranks needs a number" >&2; exit 2; }
      ranks=$2
      shift 2
      ;;
    --ranks=*) ranks=${1#--ranks=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
if ! [[ "$ranks" =~ ^[0-9]+$ ]] || ((ranks < 1 || ranks > 64)); then
  echo "ddp_demo: --ranks '$ranks': expected a number of processes from 1 to 64" >&2
  exit 2
fi

binary=${VIGIL_MNIST:-"$root/build/examples/mnist/vigil-mnist"}
[[ -x "$binary" ]] || { echo "ddp_demo: $binary not found: build vigil-mnist first" >&2; exit 2; }

# A random port nobody listens on yet (a connection attempt is refused).
free_port() {
  local port
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "ddp_demo: no free port found" >&2
  exit 1
}

export MASTER_ADDR=127.0.0.1
export MASTER_PORT=${MASTER_PORT:-$(free_port)}
export WORLD_SIZE=$ranks
export VIGIL_RUN_ID=${VIGIL_RUN_ID:-ddp-$(cat /proc/sys/kernel/random/uuid)}

pids=()
for ((rank = 0; rank < ranks; rank++)); do
  RANK=$rank LOCAL_RANK=$rank "$binary" --ddp ${args[@]+"${args[@]}"} &
  pids+=($!)
done
status=0
for rank in "${!pids[@]}"; do
  if wait "${pids[$rank]}"; then :; else
    code=$?
    echo "ddp_demo: rank $rank exited with $code" >&2
    ((status != 0)) || status=$code
  fi
done
exit "$status"
