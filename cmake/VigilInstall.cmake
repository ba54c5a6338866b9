# Install rules and the exported package config, so that a user project can
#   find_package(vigil REQUIRED)
#   target_link_libraries(app PRIVATE vigil::tracker vigil::rules)
include(CMakePackageConfigHelpers)

set(VIGIL_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/vigil")
set(_vigil_targets vigil_tracker)
if(TARGET vigil_rules)
  list(APPEND _vigil_targets vigil_rules)
endif()
if(TARGET vigil_plugin)
  list(APPEND _vigil_targets vigil_plugin)
endif()

install(TARGETS ${_vigil_targets} EXPORT vigilTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY tracker/include/ rules/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET vigil_plugin)
  install(DIRECTORY plugin/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
if(TARGET vigil)
  install(TARGETS vigil RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/rules/default.json)
  install(FILES rules/default.json DESTINATION ${CMAKE_INSTALL_DATADIR}/vigil)
endif()

install(EXPORT vigilTargets NAMESPACE vigil:: DESTINATION ${VIGIL_CMAKE_DIR})
set(VIGIL_CONFIG_WITH_TORCH OFF)
if(TARGET vigil_plugin)
  set(VIGIL_CONFIG_WITH_TORCH ON)
endif()
configure_package_config_file(cmake/vigilConfig.cmake.in
                              "${CMAKE_CURRENT_BINARY_DIR}/vigilConfig.cmake"
                              INSTALL_DESTINATION ${VIGIL_CMAKE_DIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/vigilConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/vigilConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/vigilConfigVersion.cmake"
        DESTINATION ${VIGIL_CMAKE_DIR})
