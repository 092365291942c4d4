# Compiles SOURCE twice with COMPILER: as is, which must fail with every "// expect: <regex>"
# line of the source found in the compiler's output; and with -DJOULE_COMPILE_FAIL_CONTROL,
# which must succeed, so that the failure is the one the case is about.
file(STRINGS "${SOURCE}" expectations REGEX "^// expect: ")
if(NOT expectations)
  message(FATAL_ERROR "${SOURCE} has no '// expect:' line")
endif()
set(command "${COMPILER}" -std=c++20 -fsyntax-only "-I${INCLUDE_DIR}" "${SOURCE}")

execute_process(COMMAND ${command} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
foreach(line IN LISTS expectations)
  string(REGEX REPLACE "^// expect: " "" pattern "${line}")
  string(FIND "${out}${err}" "${pattern}" position)
  if(position EQUAL -1)
    message(FATAL_ERROR "the compiler's message lacks '${pattern}':\n${out}${err}")
  endif()
  message(STATUS "found: ${pattern}")
endforeach()

execute_process(COMMAND ${command} -DJOULE_COMPILE_FAIL_CONTROL RESULT_VARIABLE result OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the control variant of ${SOURCE} must compile:\n${out}${err}")
endif()
message(STATUS "control variant compiles")
