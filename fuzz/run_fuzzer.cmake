# Runs one libFuzzer target as a ctest test: cmake -DFUZZER=... -DWORK=... -DSECONDS=...
# -DCORPUS=dir -DREGRESSIONS=dir -P run_fuzzer.cmake. Every input of the seed corpus and of the
# regressions folder (either may be absent) is replayed first, then the target fuzzes for
# SECONDS; a crash leaves its input as WORK/crash-* (or leak-*, timeout-*, oom-*) and fails the
# test. Copy such a file to fuzz/regressions/<target>/ once fixed.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
set(dirs ${WORK}/corpus)
foreach(dir ${CORPUS} ${REGRESSIONS})
  if(IS_DIRECTORY ${dir})
    list(APPEND dirs ${dir})
  endif()
endforeach()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
          -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1
          -artifact_prefix=${WORK}/ ${dirs}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB findings ${WORK}/crash-* ${WORK}/leak-* ${WORK}/timeout-* ${WORK}/oom-*)
  message(FATAL_ERROR "${FUZZER} failed (${result}); reproduce with: ${FUZZER} ${findings}")
endif()
