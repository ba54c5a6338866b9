#!/usr/bin/env bash
# Builds the LibTorch-free parts of vigil with clang-14 under sanitizers and runs their tests
# (scripts/test.sh runs this after the main GCC build; README "Fuzzing and sanitizers"):
#   build-asan  tracker, rules, cli (incl. ui), their tests and the fuzz targets with
#               AddressSanitizer + UndefinedBehaviorSanitizer (only the targets its tests run);
#               ctest runs the unit and CLI tests and each fuzz target for VIGIL_FUZZ_SECONDS
#               (default 10) over its corpus; the GoogleTest binaries run in 4 shards each
#               (VIGIL_TEST_SHARDS), not one process per test case, which under ASan costs more
#               than most test cases. The CLI and dashboard governance tests run on SQLite only
#               here (VIGIL_TEST_SQLITE_ONLY): they reach a store through tracker::Store alone,
#               whose PostgreSQL backend the tracker tests run under ASan in the same step
#   build-tsan  tracker and its tests with ThreadSanitizer; the tracker test binaries are run
#               in shards, two at a time
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

# What the ASan step's ctest runs (helpers such as `vigil` and the test children come as their
# dependencies); a test binary missing here fails that ctest run ("Could not find executable").
asan_targets=(vigil_tracker_unit_test vigil_tracker_store_test vigil_tracker_process_test
              vigil_tracker_backend_test vigil_tracker_text_test vigil_tracker_job_test
              vigil_rules_test vigil_rules_store_test vigil_cli_test vigil_ui_api_test
              vigil_ui_governance_test vigil_ui_unit_test vigil_ui_hostile_test
              vigil_fuzz_rules_json vigil_fuzz_store_uri vigil_fuzz_filter vigil_fuzz_chunk_decode
              vigil_fuzz_idx_header vigil_fuzz_ui_request)

asan() {
  local dir=${VIGIL_ASAN_BUILD_DIR:-$root/build-asan}
  # The CLI tests run the `vigil` binary and the governance API tests the dashboard's handlers,
  # both on top of tracker::Store: their PostgreSQL cases add no code under ASan that
  # vigil_tracker_{store,backend,job}_test (both backends, copy_runs included) and
  # vigil_ui_api_test's backend-parity case do not run here already. The GCC build runs them
  # on both backends.
  cmake -S "$root" -B "$dir" "${common[@]}" -DVIGIL_SANITIZERS=address,undefined \
    -DVIGIL_BUILD_FUZZERS=ON -DVIGIL_FUZZ_SECONDS="${VIGIL_FUZZ_SECONDS:-10}" \
    -DVIGIL_TEST_SHARDS=4 "-DVIGIL_TEST_SQLITE_ONLY=vigil_cli_test;vigil_ui_governance_test" \
    >/dev/null
  timed "asan+ubsan build" cmake --build "$dir" -j "$jobs" --target "${asan_targets[@]}"
  # The browser test drives the dashboard through Chromium and the package test reinstalls:
  # the GCC build runs both, and the JavaScript unit tests and lint (no C++ in them); here every
  # other test runs, the fuzz targets included.
  (cd "$dir" && timed "asan+ubsan tests and fuzzing" \
    ctest --output-on-failure -j "$jobs" --timeout 600 \
      -E '^(vigil_ui_e2e|vigil_report_e2e|vigil_ui_governance_e2e|vigil_ui_web_unit|vigil_ui_web_lint|package\.)')
}

tsan() {
  local dir=${VIGIL_TSAN_BUILD_DIR:-$root/build-tsan}
  local tests=(vigil_tracker_unit_test vigil_tracker_store_test vigil_tracker_process_test)
  cmake -S "$root" -B "$dir" "${common[@]}" -DVIGIL_SANITIZERS=thread -DVIGIL_BUILD_CLI=OFF \
    -DVIGIL_TEST_SHARDS=4 >/dev/null
  timed "tsan build" cmake --build "$dir" -j "$jobs" --target "${tests[@]}"
  # One exclusion, not a suppression: TSan's runtime does not follow a child forked from a
  # multi-threaded process (clang-14 leaves the SIGTERM sent to such a child pending in its own
  # queue, so the child waits in pause() forever). That test runs in the GCC and ASan builds.
  # ctest starts the throwaway PostgreSQL server of the store tests (fixture `postgres`) and
  # runs the shards of the three binaries two at a time.
  local pattern
  pattern="^($(IFS='|' && echo "${tests[*]}"))\.shard"
  (cd "$dir" && GTEST_FILTER='-*SignalTest.SignalToForkedChildDoesNotEndParentRuns*' \
    timed "tsan tests" ctest --output-on-failure -j "$jobs" --timeout 600 -R "$pattern")
}

for step in "${steps[@]}"; do
  case "$step" in
    asan) asan ;;
    tsan) tsan ;;
    *) echo "sanitize: unknown step '$step'; expected asan or tsan" >&2; exit 2 ;;
  esac
done
