# vigil_set_warnings(target): the project's warning set, as errors when VIGIL_WARNINGS_AS_ERRORS.
# Every flag is understood by both GCC and Clang, except the local-shadowing warning, which each
# spells its own way (-Wshadow=local is GCC-only and is an error for Clang under -Werror).
function(vigil_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
                                             -Wno-unused-parameter)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wshadow=local)
      # In a unity batch GCC takes each included source for a header and warns on its
      # anonymous-namespace types used by the file's own classes: a false positive there.
      get_target_property(unity ${target} UNITY_BUILD)
      if(unity)
        target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
      endif()
    else()
      target_compile_options(${target} PRIVATE -Wshadow-uncaptured-local)
    endif()
    if(VIGIL_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
