#!/usr/bin/env bash
# Configures and builds vigil into ${VIGIL_BUILD_DIR:-build}. Extra arguments go to cmake.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VIGIL_BUILD_DIR:-"$root/build"}
jobs=${VIGIL_JOBS:-$(nproc)}
# Dashboard front end: install its npm packages (uPlot is embedded into `vigil`) when missing or
# older than the lockfile, before cmake configures cli/ui.
web="$root/cli/ui/web"
if [[ ! -d "$web/node_modules" || "$web/package-lock.json" -nt "$web/node_modules" ]]; then
  (cd "$web" && npm ci --no-audit --no-fund) && touch "$web/node_modules"
fi
# Unity builds (16 sources per compiler run) roughly halve a full build on 2 cores: the JSON,
# spdlog and GoogleTest headers are parsed and instantiated once per batch, not per file.
# VIGIL_UNITY_BUILD=OFF for quicker rebuilds of single files while editing.
# Optimised as RelWithDebInfo (-O2) but without debug info: -g costs about a quarter of the
# compile time of a LibTorch translation unit. VIGIL_BUILD_TYPE=RelWithDebInfo (or Debug) when
# you need a debugger.
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=${VIGIL_BUILD_TYPE:-Release} \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DCMAKE_UNITY_BUILD=${VIGIL_UNITY_BUILD:-ON} -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
