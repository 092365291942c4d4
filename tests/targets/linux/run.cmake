# One Linux target's check (ctest runs it as target.<NAME>):
#   1. an x86-64 level this CPU cannot run is reported as skipped (the test's SKIP_REGULAR_EXPRESSION);
#   2. suite/ is configured for the target (a toolchain file, or -DJOULE_MARCH=<level>) and built;
#   3. its Catch2 tests run through the sub-build's ctest (under qemu-user when cross-compiled);
#   4. its report runs: the target and the kernel of every layer must be the expected ones, and the
#      outputs must match the host's reference kernels within 1e-5 x max |host|; the int8 network's
#      layers must run the host's kernels and its outputs must have the host's bits;
#   5. it prints what was built, which kernels ran, what matched and how long each step took, and
#      writes the same to WORK_DIR/summary.txt.
# The x86-64 level that -march=native gives on this CPU is tested by joule_tests of the build that
# runs this test; for it only the report is built, and the output says so.
# Arguments: NAME, TOOLCHAIN or MARCH with CPU_FLAGS, NEXT_CPU_FLAGS, HOST_MARCH and COMPILER (the
# host build's), EXPECTED_ARCH, SOURCE_DIR, WORK_DIR, REFERENCE (the host's report program),
# GENERATOR, MAKE_PROGRAM, JOBS.
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/../compare_outputs.cmake)  # now_ms, compare_outputs

# Milliseconds as seconds with one decimal.
function(seconds variable ms)
  math(EXPR whole "${ms} / 1000")
  math(EXPR tenth "(${ms} % 1000) / 100")
  set(${variable} "${whole}.${tenth} s" PARENT_SCOPE)
endfunction()

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "target.${NAME}: ${what} failed (${result}): ${shown}\n${out}")
  endif()
endfunction()

# The CPU flags of `wanted` (a space-separated list) that /proc/cpuinfo does not list.
function(missing_cpu_flags variable wanted)
  file(STRINGS /proc/cpuinfo flag_lines REGEX "^flags[ \t]*:" LIMIT_COUNT 1)
  string(REGEX REPLACE "^flags[ \t]*:" "" have " ${flag_lines} ")
  separate_arguments(wanted UNIX_COMMAND "${wanted}")
  set(missing "")
  foreach(flag IN LISTS wanted)
    if(NOT have MATCHES "[ \t]${flag}[ \t]")
      list(APPEND missing ${flag})
    endif()
  endforeach()
  set(${variable} "${missing}" PARENT_SCOPE)
endfunction()

# Lines "arch NAME", "lanes N", "[int8 ]kernel PATH NAME", "[int8 ]output I NANOS BITS" into
# <prefix>_arch, <prefix>_lanes, <prefix>_paths, <prefix>_kernels, <prefix>_outputs (the NANOS) and,
# for the int8 lines, <prefix>_int8_paths, <prefix>_int8_kernels, <prefix>_int8_outputs (NANOS),
# <prefix>_int8_bits; "FAIL: ..." into <prefix>_fails.
macro(parse text prefix)
  foreach(key arch lanes paths kernels outputs int8_paths int8_kernels int8_outputs int8_bits fails)
    set(${prefix}_${key} "")
  endforeach()
  string(REPLACE "\r" "" parse_text "${text}")
  string(REPLACE ";" "," parse_text "${parse_text}")
  string(REPLACE "\n" ";" parse_lines "${parse_text}")
  foreach(line IN LISTS parse_lines)
    if(line MATCHES "^(arch|lanes) ([^ ]+)$")
      set(${prefix}_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
    elseif(line MATCHES "^(int8 )?kernel ([^ ]+) ([^ ]+)$")
      set(parse_part "")
      if(CMAKE_MATCH_1)
        set(parse_part "int8_")
      endif()
      list(APPEND ${prefix}_${parse_part}paths ${CMAKE_MATCH_2})
      list(APPEND ${prefix}_${parse_part}kernels ${CMAKE_MATCH_3})
    elseif(line MATCHES "^(int8 )?output ([0-9]+) (-?[0-9]+) (0x[0-9a-f]+)$")
      set(parse_part "")
      if(CMAKE_MATCH_1)
        set(parse_part "int8_")
        list(APPEND ${prefix}_int8_bits ${CMAKE_MATCH_4})
      endif()
      list(LENGTH ${prefix}_${parse_part}outputs parse_count)
      if(NOT CMAKE_MATCH_2 EQUAL parse_count)
        message(FATAL_ERROR "target.${NAME}: ${prefix} ${CMAKE_MATCH_1}output ${CMAKE_MATCH_2} out of order")
      endif()
      list(APPEND ${prefix}_${parse_part}outputs ${CMAKE_MATCH_3})
    elseif(line MATCHES "^FAIL: ")
      list(APPEND ${prefix}_fails "${line}")
    endif()
  endforeach()
endmacro()

# 1. What to build, and whether this CPU can run it.
set(suite ON)
set(suite_note "")
if(TOOLCHAIN)
  file(RELATIVE_PATH toolchain_shown ${SOURCE_DIR} ${TOOLCHAIN})
  set(configure_args --toolchain ${TOOLCHAIN})
  set(described "${NAME} Linux, cross-compiled with ${toolchain_shown}")
else()
  missing_cpu_flags(missing "${CPU_FLAGS}")
  if(missing)
    list(JOIN missing " " missing)
    set(summary "target.${NAME}: [skipped] this CPU cannot run -march=${MARCH} code: /proc/cpuinfo lacks ${missing}. Nothing was built or run for ${NAME}.")
    message("${summary}")
    file(WRITE ${WORK_DIR}/summary.txt "${summary}\n")
    return()
  endif()
  set(configure_args -DJOULE_MARCH=${MARCH} -DCMAKE_CXX_COMPILER=${COMPILER})
  set(described "x86-64 Linux, -march=${MARCH}")
  if(NEXT_CPU_FLAGS)
    missing_cpu_flags(next_missing "${NEXT_CPU_FLAGS}")
  else()
    set(next_missing "(none above ${MARCH})")
  endif()
  # The highest level this CPU has is what -march=native selects: joule_tests runs it already.
  if((HOST_MARCH STREQUAL "native" AND next_missing) OR HOST_MARCH STREQUAL MARCH)
    set(suite OFF)
    string(CONCAT suite_note "not built again: joule_tests of this build (JOULE_MARCH=${HOST_MARCH}) runs the whole "
                  "suite with the kernels of ${MARCH} (${EXPECTED_ARCH}), the highest level this CPU has")
  endif()
endif()

# A sanitizer build's compiler and flags must not reach the target's build.
foreach(variable CC CXX CFLAGS CXXFLAGS LDFLAGS)
  unset(ENV{${variable}})
endforeach()

# 2. Configure and build.
now_ms(t0)
set(generator_args -G ${GENERATOR})
if(MAKE_PROGRAM)
  list(APPEND generator_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
step("configuring" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/targets/linux/suite -B ${WORK_DIR} ${generator_args}
     ${configure_args} -DCMAKE_BUILD_TYPE=Release -DJOULE_SOURCE_DIR=${SOURCE_DIR}
     -DJOULE_EXPECTED_ARCH=${EXPECTED_ARCH} -DJOULE_TARGET_SUITE=${suite})
now_ms(t1)
step("building" ${CMAKE_COMMAND} --build ${WORK_DIR} -j ${JOBS})
now_ms(t2)
include(${WORK_DIR}/target_info.cmake)

# 3. The Catch2 tests, as ctest runs them in the target's build (through its emulator).
set(suite_summary "${suite_note}")
if(suite)
  execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${WORK_DIR} -R "^joule_target_tests$" -V --timeout 900
                  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0 OR NOT out MATCHES "All tests passed \\(([0-9]+) assertions? in ([0-9]+) test cases?\\)")
    message(FATAL_ERROR "target.${NAME}: the Catch2 tests failed (${result}); their output:\n${out}")
  endif()
  set(suite_summary "all tests passed: ${CMAKE_MATCH_1} assertions in ${CMAKE_MATCH_2} test cases")
endif()
now_ms(t3)

# 4. The report, and the host's.
execute_process(COMMAND ${TARGET_EMULATOR} ${TARGET_REPORT} RESULT_VARIABLE status
                OUTPUT_VARIABLE printed ERROR_VARIABLE printed TIMEOUT 300)
now_ms(t4)
execute_process(COMMAND ${REFERENCE} RESULT_VARIABLE host_status OUTPUT_VARIABLE expected ERROR_VARIABLE expected
                TIMEOUT 300)
if(NOT host_status EQUAL 0)
  message(FATAL_ERROR "target.${NAME}: the host reference ${REFERENCE} failed (${host_status}):\n${expected}")
endif()
parse("${printed}" target)
parse("${expected}" host)

set(problems ${target_fails})
if(NOT status EQUAL 0 AND NOT target_fails)
  list(APPEND problems "the report ended with status '${status}'")
endif()
if(NOT target_arch STREQUAL EXPECTED_ARCH)
  list(APPEND problems "arch::name is '${target_arch}', expected ${EXPECTED_ARCH}")
endif()
if(NOT target_paths STREQUAL host_paths)
  list(APPEND problems "layers differ: target [${target_paths}], host [${host_paths}]")
endif()
set(kernel_suffix "__${EXPECTED_ARCH}")
if(EXPECTED_ARCH STREQUAL "scalar")
  set(kernel_suffix "__reference")
endif()
set(distinct_kernels "")
foreach(kernel IN LISTS target_kernels)
  string(LENGTH "${kernel}" kernel_length)
  string(LENGTH "${kernel_suffix}" suffix_length)
  math(EXPR suffix_at "${kernel_length} - ${suffix_length}")
  if(suffix_at LESS 0)
    set(suffix_at 0)
  endif()
  string(SUBSTRING "${kernel}" ${suffix_at} -1 kernel_end)
  if(NOT kernel_end STREQUAL kernel_suffix)
    list(APPEND problems "kernel ${kernel} is not a ${EXPECTED_ARCH} kernel")
  endif()
  if(NOT kernel IN_LIST distinct_kernels)
    list(APPEND distinct_kernels ${kernel})
  endif()
endforeach()

compare_outputs("${host_outputs}" "${target_outputs}" compared)
list(APPEND problems ${compared_problems})
foreach(name count max_host tolerance max_diff max_diff_index matched)
  set(${name} ${compared_${name}})
endforeach()
# The first ten outputs over the tolerance, for the failure message.
set(shown 0)
set(i 0)
foreach(diff IN LISTS compared_diffs)
  if(diff GREATER tolerance AND shown LESS 10)
    list(GET host_outputs ${i} h)
    list(GET target_outputs ${i} t)
    list(APPEND problems "output ${i}: target ${t}, host ${h} (x 1e-9), difference ${diff} > ${tolerance}")
    math(EXPR shown "${shown} + 1")
  endif()
  math(EXPR i "${i} + 1")
endforeach()

# The int8 network: each layer runs the target's int8 kernel where the target has one (AVX2) and
# the reference elsewhere, and every output must have the host's bits: the int8 kernels are
# bit-identical to their reference on every target.
if(NOT target_int8_paths STREQUAL host_int8_paths)
  list(APPEND problems "int8 layers differ: target [${target_int8_paths}], host [${host_int8_paths}]")
endif()
set(simd_int8_kernels 0)
foreach(kernel IN LISTS target_int8_kernels)
  string(REGEX MATCH "__[^_]+$" kernel_end "${kernel}")
  if(kernel_end STREQUAL kernel_suffix AND NOT kernel_suffix STREQUAL "__reference")
    math(EXPR simd_int8_kernels "${simd_int8_kernels} + 1")
  elseif(NOT kernel_end STREQUAL "__reference")
    list(APPEND problems "int8 kernel ${kernel} is neither a ${EXPECTED_ARCH} kernel nor the reference")
  endif()
endforeach()
# The AVX2 int8 kernels (kernels/*/int8_dispatch.hpp) exist for fma3+avx2 only.
if(EXPECTED_ARCH STREQUAL "fma3+avx2" AND simd_int8_kernels EQUAL 0)
  list(APPEND problems "no int8 layer runs an fma3+avx2 kernel: [${target_int8_kernels}]")
endif()
set(distinct_int8_kernels ${target_int8_kernels})
list(REMOVE_DUPLICATES distinct_int8_kernels)
compare_exact("${host_int8_bits}" "${target_int8_bits}" exact)
list(APPEND problems ${exact_problems})
set(shown 0)
foreach(i IN LISTS exact_mismatched)
  if(shown LESS 10)
    list(GET host_int8_bits ${i} h)
    list(GET target_int8_bits ${i} t)
    list(GET host_int8_outputs ${i} h_nanos)
    list(GET target_int8_outputs ${i} t_nanos)
    list(APPEND problems "int8 output ${i}: target ${t} (${t_nanos} x 1e-9), host ${h} (${h_nanos} x 1e-9): not the same bits")
    math(EXPR shown "${shown} + 1")
  endif()
endforeach()

if(problems)
  list(JOIN problems "\n  " problems)
  message(FATAL_ERROR "target.${NAME}: the report does not match:\n  ${problems}\n"
                      "target printed:\n${printed}\nhost reference printed:\n${expected}")
endif()

# 5. What was built, what ran, what matched.
set(programs "joule_target_report")
if(suite)
  set(shown_sources "")
  foreach(source IN LISTS TARGET_SUITE_SOURCES)
    file(RELATIVE_PATH source ${SOURCE_DIR}/tests ${source})
    list(APPEND shown_sources ${source})
  endforeach()
  list(JOIN shown_sources " " shown_sources)
  set(programs "joule_target_tests (Catch2: ${shown_sources}) and joule_target_report")
endif()
set(runner "natively")
if(TARGET_EMULATOR)
  list(JOIN TARGET_EMULATOR " " runner)
  set(runner "under ${runner}")
endif()
list(LENGTH target_kernels layers)
list(JOIN distinct_kernels " " distinct_kernels)
list(LENGTH target_int8_kernels int8_layers)
list(JOIN distinct_int8_kernels " " distinct_int8_kernels)
math(EXPR ratio_ppb "${max_diff} * 1000000000 / ${max_host}")
math(EXPR configure_ms "${t1} - ${t0}")
math(EXPR build_ms "${t2} - ${t1}")
math(EXPR suite_ms "${t3} - ${t2}")
math(EXPR report_ms "${t4} - ${t3}")
math(EXPR total_ms "${t4} - ${t0}")
foreach(phase configure build suite report total)
  seconds(${phase}_time ${${phase}_ms})
endforeach()
set(summary "target.${NAME}: ${described}, run ${runner}
  built:    ${programs}
            with ${TARGET_COMPILER}, ${TARGET_FLAGS}
  arch:     ${target_arch} (joule::arch::name; expected ${EXPECTED_ARCH}), ${target_lanes} float(s) per register
  kernels:  ${layers} layers of the report's network, every one ${kernel_suffix}: ${distinct_kernels}
  tests:    ${suite_summary}
  matched:  ${matched} of ${count} outputs within ${tolerance} x 1e-9 of the host's reference kernels (1e-5 x max|host|);
            max |target - host| = ${max_diff} x 1e-9 at output ${max_diff_index}, ${ratio_ppb} x 1e-9 of max|host|
  int8:     ${int8_layers} layers of the same network in int8 (and a depthwise one), ${simd_int8_kernels} on ${EXPECTED_ARCH}
            kernels, the rest on the reference: ${distinct_int8_kernels}
            ${exact_matched} of ${exact_count} outputs bit for bit the host's (${exact_distinct} distinct values)
  wall:     configure ${configure_time}, build ${build_time}, tests ${suite_time}, report ${report_time}; total ${total_time}")
message("${summary}")
# Also kept beside the target's build, for a CI step that shows every target's summary.
file(WRITE ${WORK_DIR}/summary.txt "${summary}\n")
