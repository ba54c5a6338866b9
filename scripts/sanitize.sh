#!/usr/bin/env bash
# Builds the LibTorch-free parts of vigil with clang-14 under sanitizers and runs their tests
# (scripts/test.sh runs this after the main GCC build; README "Fuzzing and sanitizers"):
#   build-asan  tracker, rules, cli (incl. ui), their tests and the fuzz targets with
#               AddressSanitizer + UndefinedBehaviorSanitizer; ctest runs the unit and CLI tests
#               and each fuzz target for VIGIL_FUZZ_SECONDS (default 10) over its corpus; the
#               GoogleTest binaries run in 4 shards each (VIGIL_TEST_SHARDS), not one process
#               per test case, which under ASan costs more than most test cases
#   build-tsan  tracker and its tests with ThreadSanitizer; the tracker test binaries are run
# Any sanitizer report fails the step (-fno-sanitize-recover, halt_on_error). -O1 with line
# tables only: the sanitizers' cost stays small and the stack traces keep file:line.
#   scripts/sanitize.sh [asan|tsan]...   (default: both)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=${VIGIL_JOBS:-$(nproc)}
steps=("$@")
((${#steps[@]})) || steps=(asan tsan)

common=(-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
        -DVIGIL_WITH_TORCH=OFF -DVIGIL_BUILD_BENCH=OFF -DVIGIL_BUILD_TESTS=ON
        -DVIGIL_WARNINGS_AS_ERRORS=ON
        -DCMAKE_UNITY_BUILD=${VIGIL_UNITY_BUILD:-ON} -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
command -v ccache >/dev/null 2>&1 && common+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

# Symbolized reports (file:line) need llvm-symbolizer.
export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14
# detect_leaks: a leak is a bug too. check_initialization_order: static init order fiascos.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=report_objects=1
# second_deadlock_stack: both stacks of a lock-order inversion. No suppressions.
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

timed() {  # timed LABEL COMMAND...: runs it and prints its wall time
  local label=$1 start=$SECONDS
  shift
  "$@"
  echo "sanitize: $label took $((SECONDS - start)) s"
}

asan() {
  local dir=${VIGIL_ASAN_BUILD_DIR:-$root/build-asan}
  cmake -S "$root" -B "$dir" "${common[@]}" -DVIGIL_SANITIZERS=address,undefined \
    -DVIGIL_BUILD_FUZZERS=ON -DVIGIL_FUZZ_SECONDS="${VIGIL_FUZZ_SECONDS:-10}" \
    -DVIGIL_TEST_SHARDS=4 >/dev/null
  timed "asan+ubsan build" cmake --build "$dir" -j "$jobs"
  # The browser test drives the dashboard through Chromium and the package test reinstalls:
  # the GCC build runs both, and the JavaScript unit tests and lint (no C++ in them); here every
  # other test runs, the fuzz targets included.
  (cd "$dir" && timed "asan+ubsan tests and fuzzing" \
    ctest --output-on-failure -j "$jobs" --timeout 600 -E '^(vigil_ui_e2e|vigil_ui_web_unit|vigil_ui_web_lint|package\.)')
}

tsan() {
  local dir=${VIGIL_TSAN_BUILD_DIR:-$root/build-tsan}
  local tests=(vigil_tracker_unit_test vigil_tracker_store_test vigil_tracker_process_test)
  cmake -S "$root" -B "$dir" "${common[@]}" -DVIGIL_SANITIZERS=thread -DVIGIL_BUILD_CLI=OFF \
    >/dev/null
  timed "tsan build" cmake --build "$dir" -j "$jobs" --target "${tests[@]}"
  # One exclusion, not a suppression: TSan's runtime does not follow a child forked from a
  # multi-threaded process (clang-14 leaves the SIGTERM sent to such a child pending in its own
  # queue, so the child waits in pause() forever). That test runs in the GCC and ASan builds.
  local forked_child='*SignalTest.SignalToForkedChildDoesNotEndParentRuns*'
  # The store tests run on SQLite and PostgreSQL: a throwaway server for them (ctest's fixture
  # does this in the other builds).
  "$root/scripts/pg_test_cluster.sh" start "$dir/pg_test"
  # shellcheck disable=SC2064 # expand now: $dir is local
  trap "'$root/scripts/pg_test_cluster.sh' stop '$dir/pg_test'" EXIT
  export VIGIL_TEST_POSTGRES_URI_FILE=$dir/pg_test/uri
  local start=$SECONDS
  for test in "${tests[@]}"; do
    "$dir/tests/tracker/$test" --gtest_brief=1 --gtest_filter="-$forked_child"
  done
  echo "sanitize: tsan tests took $((SECONDS - start)) s"
}

for step in "${steps[@]}"; do
  case "$step" in
    asan) asan ;;
    tsan) tsan ;;
    *) echo "sanitize: unknown step '$step'; expected asan or tsan" >&2; exit 2 ;;
  esac
done
