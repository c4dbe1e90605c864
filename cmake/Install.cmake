# `cmake --install` puts the libraries, public headers and a package config in the prefix so
# that `find_package(synack)` gives an embedding program synack::synack (the core),
# synack::sim (simulator, links, pcap tap) and synack::api (the BSD-socket facade).
include(CMakePackageConfigHelpers)

install(TARGETS synack synack_sim synack_api EXPORT synackTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/synack DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Internal headers are installed too (under synack/internal) so the static libraries' inline
# code is usable; only include/synack is the stable API.
install(DIRECTORY src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/synack/internal
  FILES_MATCHING PATTERN "*.h")
install(EXPORT synackTargets NAMESPACE synack:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/synack)
configure_package_config_file(cmake/synackConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/synackConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/synack)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/synackConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/synackConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/synackConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/synack)
if(SYNACK_BUILD_APPS)
  install(TARGETS synack_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
