# CTest: install netrl into a temporary prefix, then build and run examples/consumer against the
# installed tree with find_package(netrl CONFIG REQUIRED). Run with
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... [-DCONSUMER_CXX=... -DCONSUMER_CXX_FLAGS=...
#         -DCONSUMER_LINKER_FLAGS=...] -P consume_installed.cmake
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f lib/cmake/netrl/netrlConfig.cmake lib/cmake/netrl/netrlConfigVersion.cmake include/netrl/netrl.hpp
          include/netrl/version.hpp bin/netrl)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install tree lacks ${f}")
  endif()
endforeach()
# Private headers stay private.
foreach(f include/solve/reference.hpp include/netrl/json_fields.hpp include/common/functors.hpp)
  if(EXISTS ${prefix}/${f})
    message(FATAL_ERROR "a private header was installed: ${f}")
  endif()
endforeach()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/consumer -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CONSUMER_CXX} "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message("${out}")
if(NOT out MATCHES "count8 gain 0\\.3605475721[34]")
  message(FATAL_ERROR "the consumer did not print the count8 gain 0.36054757214 (to 1e-11)")
endif()
if(NOT out MATCHES "r\\^2 = 0\\.9[89]")
  message(FATAL_ERROR "the consumer's inferred reward is not within r^2 >= 0.98 of the truth")
endif()
