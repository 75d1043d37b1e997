# Runs pytest on the binding tests (CTest's pytest_bindings): PYTHON -m pytest TESTS (the folder
# tests/python, its test_*.py files), its report printed and written to LOG; fails when pytest
# fails (or collects no test).
execute_process(COMMAND ${PYTHON} -m pytest -q -p no:cacheprovider ${TESTS}
                OUTPUT_VARIABLE report ERROR_VARIABLE report RESULT_VARIABLE status)
file(WRITE ${LOG} "${report}")
message("${report}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "pytest exited with status ${status} (report: ${LOG})")
endif()
