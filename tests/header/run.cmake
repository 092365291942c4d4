# The compiled-in weights path end to end: golden.py makes a randomized MobileNetV1 0.25-128, its
# input and PyTorch's output; export.py --header turns the same model's weights into a C++ header
# (through `joule header`); a program built with that header runs the input; its output must match
# PyTorch's. Arguments: SOURCE_DIR, WORK_DIR, JOULE, COMPILER.
set(model mobilenet_v1_0.25_128)
set(python /usr/bin/python3)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " shown "${ARGN}")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${shown}\n${out}\n${err}")
  endif()
  message(STATUS "${shown}\n${out}")
endfunction()

step(${python} ${SOURCE_DIR}/tools/golden.py ${model} --seed 11 --out ${WORK_DIR})
step(${python} ${SOURCE_DIR}/tools/export.py ${model} --seed 11 --header ${WORK_DIR}/weights.hpp --joule ${JOULE})
string(TIMESTAMP start "%s")
step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/header/project -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
     -DCMAKE_CXX_COMPILER=${COMPILER} -DJOULE_SOURCE_DIR=${SOURCE_DIR} -DWEIGHTS_DIR=${WORK_DIR})
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
string(TIMESTAMP end "%s")
math(EXPR seconds "${end} - ${start}")
file(SIZE ${WORK_DIR}/weights.hpp header_bytes)
message(STATUS "header of ${header_bytes} bytes compiled in ${seconds} s")
step(${WORK_DIR}/build/header_check ${WORK_DIR}/input.npy ${WORK_DIR}/actual.npy)
step(${python} ${SOURCE_DIR}/tools/compare.py ${WORK_DIR}/actual.npy ${WORK_DIR}/expected.npy)
