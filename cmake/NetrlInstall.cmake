# Installation of netrl as a CMake package:
#   find_package(netrl CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE netrl::netrl)          # the C++ API (netrl/netrl.hpp)
#   target_link_libraries(app PRIVATE netrl::passive_wait)    # optional, executables only: passive
#                                                             # OpenMP waiting by default
# Installed: the static libraries netrl::core, netrl::kernels and netrl::netrl (the host API), the
# public headers (netrl/...), the `netrl` tool, the CUDA module (libnetrl_cuda.so, CUDA builds;
# loaded on first use of backend "cuda"), and netrlConfig.cmake / netrlConfigVersion.cmake /
# netrlTargets.cmake under lib/cmake/netrl.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NETRL_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/netrl)

set_target_properties(netrl_core PROPERTIES EXPORT_NAME core)
set_target_properties(netrl_kernels PROPERTIES EXPORT_NAME kernels)
set_target_properties(netrl_host PROPERTIES EXPORT_NAME netrl)
set_target_properties(netrl_passive_wait PROPERTIES EXPORT_NAME passive_wait)
foreach(_t netrl_core netrl_kernels netrl_host)
  target_include_directories(${_t} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()

install(TARGETS netrl_core netrl_kernels netrl_host netrl_passive_wait
        EXPORT netrlTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        OBJECTS DESTINATION ${CMAKE_INSTALL_LIBDIR}/netrl-objects
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS netrl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The plotting scripts of `netrl figure` (found there by figures::scripts_dir()).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/figures/ DESTINATION ${CMAKE_INSTALL_DATADIR}/netrl/figures FILES_MATCHING PATTERN "*.py")
if(TARGET netrl_cuda)
  install(TARGETS netrl_cuda LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()

# Public headers only: the headers beside the sources (host/solve/, kernels/common/, ...) are private.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/netrl ${PROJECT_SOURCE_DIR}/kernels/include/netrl
                  ${PROJECT_SOURCE_DIR}/host/include/netrl ${PROJECT_BINARY_DIR}/include/netrl
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(EXPORT netrlTargets NAMESPACE netrl:: DESTINATION ${NETRL_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/netrlConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/netrlConfig.cmake
                              INSTALL_DESTINATION ${NETRL_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/netrlConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/netrlConfig.cmake ${PROJECT_BINARY_DIR}/netrlConfigVersion.cmake
        DESTINATION ${NETRL_INSTALL_CMAKEDIR})
