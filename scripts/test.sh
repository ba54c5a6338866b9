#!/usr/bin/env bash
# Builds everything and runs every test through ctest (unit, CLI end-to-end, plugin, package
# consumer, dashboard API and browser tests), after checking formatting; then the LibTorch-free
# parts again with clang-14 under ASan+UBSan (with the fuzz targets) and TSan
# (scripts/sanitize.sh). Warnings are errors (VIGIL_WARNINGS_AS_ERRORS=OFF to relax locally).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
timed() {  # timed LABEL COMMAND...: runs it and prints its wall time (the 20-minute budget)
  local label=$1 start=$SECONDS
  shift
  "$@"
  echo "test.sh: $label took $((SECONDS - start)) s (total $SECONDS s)"
}
timed bootstrap "$root/scripts/bootstrap.sh"
"$root/scripts/check_format.sh"
werror=${VIGIL_WARNINGS_AS_ERRORS:-ON}
timed build "$root/scripts/build.sh" -DVIGIL_BUILD_TESTS=ON -DVIGIL_WARNINGS_AS_ERRORS=$werror
cd "${VIGIL_BUILD_DIR:-$root/build}"
timed ctest ctest --output-on-failure -j "${VIGIL_JOBS:-$(nproc)}" --timeout 600
timed sanitizers "$root/scripts/sanitize.sh"
