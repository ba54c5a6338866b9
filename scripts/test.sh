#!/usr/bin/env bash
# Builds everything and runs every test through ctest (unit, CLI end-to-end, plugin, package
# consumer, dashboard API and browser tests), after checking formatting.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/bootstrap.sh"
"$root/scripts/check_format.sh"
werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
"$root/scripts/build.sh" -DVIGIL_BUILD_TESTS=ON -DVIGIL_WARNINGS_AS_ERRORS=$werror
cd "${VIGIL_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${VIGIL_JOBS:-$(nproc)}" --timeout 600
