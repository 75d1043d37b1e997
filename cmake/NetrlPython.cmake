# The Python module `netrl` (python/, docs/python.md): pybind11 over the C++ library.
#
# NETRL_PYTHON defaults to ON when the Python development headers and pybind11 are found (Debian:
# python3-dev, pybind11-dev; cmake/install_deps.sh installs them; numpy is needed at run time only,
# python3-numpy). The interpreter is /usr/bin/python3 unless Python_EXECUTABLE is given: the module
# is built for one interpreter's ABI, and the tests run it. `pip install .` (scikit-build-core)
# passes its own.
if(NOT DEFINED Python_EXECUTABLE AND NOT SKBUILD AND EXISTS /usr/bin/python3)
  set(Python_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python 3.8 QUIET COMPONENTS Interpreter Development.Module)
if(Python_FOUND)
  find_package(pybind11 2.10 CONFIG QUIET)
endif()
if(Python_FOUND AND pybind11_FOUND)
  set(_netrl_python_default ON)
else()
  set(_netrl_python_default OFF)
endif()
option(NETRL_PYTHON "Build the Python module netrl (pybind11)" ${_netrl_python_default})
if(NETRL_PYTHON AND NOT (Python_FOUND AND pybind11_FOUND))
  message(FATAL_ERROR "NETRL_PYTHON=ON needs the Python development headers and pybind11 "
                      "(Debian: python3-dev pybind11-dev; bash cmake/install_deps.sh). "
                      "Found: Python ${Python_FOUND}, pybind11 ${pybind11_FOUND}.")
endif()
