# Sanitizer instrumentation for every target of this directory tree (scripts/sanitize.sh builds
# build-asan and build-tsan with it). Directory-scoped options, not CMAKE_CXX_FLAGS, so a
# parent project's flags are left alone.
if(VIGIL_SANITIZERS)
  # Any report is a failure: no recovering past the first one, frames kept for the stack traces.
  add_compile_options(-fsanitize=${VIGIL_SANITIZERS} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${VIGIL_SANITIZERS} -fno-sanitize-recover=all)
endif()

if(VIGIL_BUILD_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "VIGIL_BUILD_FUZZERS needs Clang (libFuzzer); configure with "
                      "-DCMAKE_CXX_COMPILER=clang++-14")
endif()
