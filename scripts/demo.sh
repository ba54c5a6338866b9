#!/usr/bin/env bash
# vigil's main demo: installs what is missing, builds, then trains on Fashion-MNIST three times
# in a fresh demo store to show tracking and governance at work:
#   1. a well-configured run that trains and PASSes,
#   2. a run whose learning rate is outside the allowed range: refused before its first step,
#   3. a short run (fewer than 10 epochs) that trains but scores lower, with a warning;
# then validates the runs with `vigil validate` and lists them with `vigil runs ls`.
#
#   scripts/demo.sh [CMAKE_ARGS...]
#
# Environment: VIGIL_BUILD_DIR (default build/), VIGIL_DEMO_STORE (default .vigil/demo.db,
# cleared at start), VIGIL_DEMO_DATA (default /usr/share/datasets/fashion-mnist).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build_dir=${VIGIL_BUILD_DIR:-"$root/build"}
store=${VIGIL_DEMO_STORE:-"$root/.vigil/demo.db"}
data_dir=${VIGIL_DEMO_DATA:-/usr/share/datasets/fashion-mnist}

bold=""; reset=""
if [[ -t 1 ]]; then bold=$'\033[1m'; reset=$'\033[0m'; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
fail() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

say "Installing missing packages (scripts/bootstrap.sh)"
"$root/scripts/bootstrap.sh"

say "Building vigil into $build_dir (scripts/build.sh)"
VIGIL_BUILD_DIR="$build_dir" "$root/scripts/build.sh" -DVIGIL_WITH_TORCH=ON -DVIGIL_BUILD_CLI=ON \
  -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF "$@"
mnist="$build_dir/examples/mnist/vigil-mnist"
vigil="$build_dir/cli/vigil"
[[ -x "$mnist" ]] || fail "$mnist was not built"
[[ -x "$vigil" ]] || fail "$vigil was not built"

mkdir -p "$(dirname "$store")"
rm -f "$store" "$store-wal" "$store-shm" "$store-journal"
# A small slice of Fashion-MNIST and the MLP keep the three trainings within a few minutes on
# two cores; the full dataset and the CNN are vigil-mnist's defaults.
common=(--store "$store" --data-dir "$data_dir" --experiment fashion-mnist-demo
        --model mlp --limit 3000 --seed 42)

say "Scenario 1/3: a well-configured run (adam, lr 0.001, 10 epochs): trains and PASSes"
"$mnist" "${common[@]}" --name baseline-mlp --optimizer adam --lr 0.001 --epochs 10

say "Scenario 2/3: learning rate 0.5, outside the allowed [0.0001, 0.1]: refused before step 1"
set +e
"$mnist" "${common[@]}" --name too-fast-sgd --optimizer sgd --lr 0.5 --epochs 10
rc=$?
set -e
[[ $rc -eq 3 ]] || fail "expected vigil-mnist to refuse the run (exit 3), got exit $rc"
echo "(exit 3: refused by a rule before training, as expected)"

say "Scenario 3/3: a short run (3 epochs): trains, but the min-epochs warning lowers its score"
"$mnist" "${common[@]}" --name short-mlp --optimizer adam --lr 0.001 --epochs 3

say "Validating the finished runs against the default policy (vigil validate)"
"$vigil" --store "$store" validate

say "All runs (vigil runs ls)"
"$vigil" --store "$store" runs ls

say "Look at the runs in the dashboard: $vigil --store $store ui, then open http://127.0.0.1:43800"
