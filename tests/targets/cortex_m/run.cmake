# One board's end-to-end check of the Cortex-M example:
#   1. the host generator writes the weights and input headers and the host's output (expected.txt),
#   2. the firmware project is configured with the board's toolchain file and built,
#   3. it must link no allocator; its flash and RAM use and its arena symbol's size are read back,
#   4. QEMU runs it: exit status 0; the core it reports must be the one built for; its arena size,
#      weight and input sizes and layers must be the host's; its outputs must be within
#      1e-5 x max|host| of the host's (scalar float on the target, the host's SIMD kernels),
#   5. the probes show the safety nets work: an allocation exits with 98, a fault with 99.
# The report (ctest -V, or on failure) says what was built, its sizes, the kernel each layer ran
# on the target and on the host, and every output side by side.
# Arguments: CPU (m4, m7, m55), SOURCE_DIR, WORK_DIR, GENERATOR.
cmake_minimum_required(VERSION 3.25)

set(toolchain ${SOURCE_DIR}/cmake/arm-none-eabi-cortex-${CPU}.cmake)
if(NOT EXISTS ${toolchain})
  message(FATAL_ERROR "no toolchain file ${toolchain}")
endif()
set(cpu_name cortex-${CPU})
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/generated)
# The host build's compiler and flags (a sanitizer build's, say) must not reach the cross build.
foreach(variable CC CXX CFLAGS CXXFLAGS LDFLAGS)
  unset(ENV{${variable}})
endforeach()

set(report "")
# Adds a line (its arguments, concatenated) to the report printed at the end or with a failure.
# ARGV<i> one by one: expanding ARGN would split the text at its semicolons.
function(note)
  math(EXPR last "${ARGC} - 1")
  foreach(i RANGE ${last})
    string(APPEND report "${ARGV${i}}")
  endforeach()
  set(report "${report}\n" PARENT_SCOPE)
endfunction()
# The report and the reason go out verbatim first: FATAL_ERROR's text is reflowed by CMake.
function(fail text)
  message("${cpu_name}: FAILED\n${report}\n${text}")
  message(FATAL_ERROR "${cpu_name}: FAILED, see above")
endfunction()

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    fail("failed (${result}): ${shown}\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/../compare_outputs.cmake)  # now_ms, compare_outputs

function(since_ms start variable)
  now_ms(end)
  math(EXPR elapsed "${end} - ${start}")
  set(${variable} ${elapsed} PARENT_SCOPE)
endfunction()

# `text` followed by spaces up to `width` characters.
function(pad text width variable)
  string(LENGTH "${text}" length)
  set(spaces "")
  if(length LESS width)
    math(EXPR count "${width} - ${length}")
    string(REPEAT " " ${count} spaces)
  endif()
  set(${variable} "${text}${spaces}" PARENT_SCOPE)
endfunction()

# An integer count of 1e-9 as a decimal: -769559562 -> -0.769559562.
function(decimal nanos variable)
  set(sign "")
  if(nanos LESS 0)
    set(sign "-")
    math(EXPR nanos "0 - ${nanos}")
  endif()
  math(EXPR whole "${nanos} / 1000000000")
  math(EXPR fraction "${nanos} % 1000000000")
  string(LENGTH "${fraction}" digits)
  math(EXPR zeros "9 - ${digits}")
  string(REPEAT "0" ${zeros} leading)
  set(${variable} "${sign}${whole}.${leading}${fraction}" PARENT_SCOPE)
endfunction()

# Lines "cpu NAME CPUID", "built_for ...", "arena_bytes N" (and weight_bytes, input_bytes),
# "kernel PATH NAME", "output I VALUE", "stack_bytes USED RESERVED" into <prefix>_<key>.
macro(parse text prefix)
  foreach(key cpu cpuid built_for arena_bytes weight_bytes input_bytes paths kernels outputs stack_used stack_reserved)
    set(${prefix}_${key} "")
  endforeach()
  string(REPLACE "\r" "" parse_text "${text}")
  string(REPLACE "\n" ";" parse_lines "${parse_text}")
  foreach(line IN LISTS parse_lines)
    if(line MATCHES "^(arena_bytes|weight_bytes|input_bytes) ([0-9]+)$")
      set(${prefix}_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
    elseif(line MATCHES "^cpu ([^ ]+) ([^ ]+)$")
      set(${prefix}_cpu ${CMAKE_MATCH_1})
      set(${prefix}_cpuid ${CMAKE_MATCH_2})
    elseif(line MATCHES "^built_for (.*)$")
      set(${prefix}_built_for "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^kernel ([^ ]+) ([^ ]+)$")
      list(APPEND ${prefix}_paths ${CMAKE_MATCH_1})
      list(APPEND ${prefix}_kernels ${CMAKE_MATCH_2})
    elseif(line MATCHES "^output ([0-9]+) (-?[0-9]+)$")
      list(LENGTH ${prefix}_outputs parse_count)
      if(NOT CMAKE_MATCH_1 EQUAL parse_count)
        fail("${prefix}: output ${CMAKE_MATCH_1} out of order")
      endif()
      list(APPEND ${prefix}_outputs ${CMAKE_MATCH_2})
    elseif(line MATCHES "^stack_bytes ([0-9]+) ([0-9]+)$")
      set(${prefix}_stack_used ${CMAKE_MATCH_1})
      set(${prefix}_stack_reserved ${CMAKE_MATCH_2})
    endif()
  endforeach()
endmacro()

# 1-2. Generate on the host, build the firmware for the board.
now_ms(start)
step(${GENERATOR} ${WORK_DIR}/generated)
since_ms(${start} generate_ms)
file(READ ${WORK_DIR}/generated/expected.txt expected)
parse("${expected}" host)

now_ms(start)
step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/cortex_m -B ${WORK_DIR}/build --toolchain ${toolchain}
     -DJOULE_SOURCE_DIR=${SOURCE_DIR} -DJOULE_GENERATED_DIR=${WORK_DIR}/generated)
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
since_ms(${start} build_ms)
set(build_output "${step_output}")
include(${WORK_DIR}/build/firmware_build.cmake)  # FIRMWARE_EMULATOR, _BOARD, _CPU_FLAGS, _COMPILER, _SIZE, _NM
include(${SOURCE_DIR}/examples/cortex_m/size_report.cmake)
set(elf ${WORK_DIR}/build/joule_cortex_m.elf)
note("built:   ${elf}\n"
     "         ${FIRMWARE_COMPILER} ${FIRMWARE_CPU_FLAGS} -O2, for QEMU's ${FIRMWARE_BOARD} board")

# 3. No allocator linked, and the sizes.
function(linked_allocator elf variable)
  execute_process(COMMAND ${FIRMWARE_NM} ${elf} OUTPUT_VARIABLE symbols RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    fail("${FIRMWARE_NM} ${elf} failed")
  endif()
  set(found "")
  if(symbols MATCHES "(^|\n)[0-9a-f]* *[A-Za-z] (malloc|_malloc_r|calloc|realloc|_sbrk|_sbrk_r)\n")
    set(found ${CMAKE_MATCH_2})
  endif()
  set(${variable} "${found}" PARENT_SCOPE)
endfunction()
linked_allocator(${elf} allocator)
if(allocator)
  fail("the firmware links the allocator (${allocator}); it must not use the heap")
endif()
# The same check must see the allocator where there is one, or its silence above proves nothing.
linked_allocator(${WORK_DIR}/build/probe_heap.elf probe_allocator)
if(NOT probe_allocator)
  fail("the allocator check finds no malloc in probe_heap.elf, which calls it")
endif()

firmware_size(${elf} ${FIRMWARE_SIZE} ${FIRMWARE_NM})
math(EXPR code_bytes "${firmware_flash} - ${host_weight_bytes} - ${host_input_bytes}")
note("size:    arm-none-eabi-size: text ${firmware_text}, data ${firmware_data}, bss ${firmware_bss}\n"
     "         flash ${firmware_flash} bytes (text + data: weights ${host_weight_bytes}, input ${host_input_bytes}, "
     "code and the rest ${code_bytes})\n"
     "         RAM ${firmware_ram} bytes (data + bss: the arena ${firmware_arena}, the stack reservation, the rest)")

# 4. Run it and compare with the host.
now_ms(start)
execute_process(COMMAND ${FIRMWARE_EMULATOR} ${elf} RESULT_VARIABLE status
                OUTPUT_VARIABLE printed ERROR_VARIABLE printed TIMEOUT 60)
since_ms(${start} run_ms)
if(NOT status STREQUAL "0")
  fail("the firmware ended with status '${status}' (99: fault, 98: heap use, 97: stack overflow); it printed:\n${printed}")
endif()
parse("${printed}" target)
note("ran:     QEMU ${FIRMWARE_BOARD}, exit status 0; the core reports ${target_cpu} (CPUID ${target_cpuid}), "
     "the code is built for ${target_built_for}")
if(target_stack_used STREQUAL "" OR target_stack_reserved STREQUAL "")
  fail("the firmware printed no stack_bytes line:\n${printed}")
endif()
math(EXPR ram_used "${firmware_ram} - ${target_stack_reserved} + ${target_stack_used}")
note("         stack: ${target_stack_used} of ${target_stack_reserved} reserved bytes used, "
     "so the run used ${ram_used} bytes of RAM")

set(problems "")
if(NOT target_cpu STREQUAL cpu_name)
  list(APPEND problems "the board runs '${target_cpu}', the image is built for ${cpu_name}")
endif()
foreach(key arena_bytes weight_bytes input_bytes)
  if(target_${key} STREQUAL "" OR NOT target_${key} STREQUAL host_${key})
    list(APPEND problems "${key}: firmware '${target_${key}}', host '${host_${key}}'")
  endif()
endforeach()
if(NOT firmware_arena EQUAL host_arena_bytes)
  list(APPEND problems "the ELF's arena symbol has ${firmware_arena} bytes, the type computes ${host_arena_bytes}")
endif()
note("arena:   ${target_arena_bytes} bytes, Net::arena_bytes on the target and on the host; "
     "the linked arena symbol has ${firmware_arena}")

if(NOT target_paths STREQUAL host_paths)
  string(REPLACE ";" " " shown_target "${target_paths}")
  string(REPLACE ";" " " shown_host "${host_paths}")
  list(APPEND problems "layers differ: firmware [${shown_target}], host [${shown_host}]")
endif()
# arm-none-eabi-g++ does not search /usr/include, so xsimd is not found: every kernel is scalar.
foreach(kernel IN LISTS target_kernels)
  if(NOT kernel MATCHES "__reference$")
    list(APPEND problems "a kernel other than the scalar reference ran on the target: ${kernel}")
  endif()
endforeach()
list(LENGTH host_paths layer_count)
list(LENGTH target_kernels target_layer_count)
note("kernels: layer       on the target (scalar)                       on the host")
if(layer_count GREATER 0 AND layer_count EQUAL target_layer_count)
  math(EXPR last "${layer_count} - 1")
  foreach(i RANGE ${last})
    list(GET host_paths ${i} path)
    list(GET target_kernels ${i} target_kernel)
    list(GET host_kernels ${i} host_kernel)
    pad("${path}" 11 path)
    pad("${target_kernel}" 44 target_kernel)
    note("         ${path} ${target_kernel} ${host_kernel}")
  endforeach()
endif()

compare_outputs("${host_outputs}" "${target_outputs}" compared)
list(APPEND problems ${compared_problems})
foreach(name count max_host tolerance max_diff max_diff_index matched)
  set(${name} ${compared_${name}})
endforeach()
if(count GREATER 0)
  note("outputs: i  host          target        |target - host|")
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    list(GET host_outputs ${i} h)
    list(GET target_outputs ${i} t)
    list(GET compared_diffs ${i} diff)
    decimal(${h} h_text)
    decimal(${t} t_text)
    decimal(${diff} diff_text)
    if(diff GREATER tolerance)
      list(APPEND problems "output ${i}: firmware ${t_text}, host ${h_text}, difference ${diff_text} over the tolerance")
      set(verdict "  over the tolerance")
    else()
      set(verdict "")
    endif()
    pad("${i}" 2 i_text)
    pad("${h_text}" 13 h_text)
    pad("${t_text}" 13 t_text)
    note("         ${i_text} ${h_text} ${t_text} ${diff_text}${verdict}")
  endforeach()
  decimal(${max_diff} max_diff_text)
  decimal(${tolerance} tolerance_text)
  decimal(${max_host} max_host_text)
  set(relative "")
  if(max_host GREATER 0 AND max_diff LESS 1000000000)
    math(EXPR relative_ppb "${max_diff} * 1000000000 / ${max_host}")
    decimal(${relative_ppb} relative)
    set(relative " (${relative} of max|host|)")
  endif()
  note("         max |target - host| = ${max_diff_text} at output ${max_diff_index}${relative}; "
       "tolerance ${tolerance_text} = 1e-5 x max|host| ${max_host_text} + 1e-9 for printing")
  note("         ${matched} of ${count} outputs within the tolerance")
endif()

if(problems)
  list(JOIN problems "\n  " problems)
  fail("the firmware does not match the host:\n  ${problems}\nfirmware printed:\n${printed}\nhost expected:\n${expected}")
endif()

# 5. The safety nets on this board.
foreach(probe heap:98:heap.use.detected fault:99:fault:.exception.3.)
  string(REPLACE ":" ";" probe "${probe}")
  list(GET probe 0 name)
  list(GET probe 1 want)
  list(GET probe 2 message_pattern)
  execute_process(COMMAND ${FIRMWARE_EMULATOR} ${WORK_DIR}/build/probe_${name}.elf RESULT_VARIABLE probe_status
                  OUTPUT_VARIABLE probe_out ERROR_VARIABLE probe_out TIMEOUT 30)
  if(NOT probe_status STREQUAL want OR NOT probe_out MATCHES "${message_pattern}")
    fail("probe_${name}: status '${probe_status}', expected ${want}; it printed:\n${probe_out}")
  endif()
endforeach()
note("safety:  no allocator linked (the same check finds it in probe_heap.elf); probe_heap.elf ended with "
     "98 (heap guard), probe_fault.elf with 99 (HardFault handler)")
note("time:    generate ${generate_ms} ms, configure and build ${build_ms} ms, QEMU run ${run_ms} ms")

# The firmware build's own size report, as a user building the example sees it.
string(REGEX MATCH "joule_cortex_m.elf for [^\n]*\n[^\n]*\n[^\n]*\n[^\n]*" build_report "${build_output}")
message("${cpu_name}: PASSED, matches the host\n${report}\nthe firmware build printed:\n${build_report}\n"
        "the firmware printed:\n${printed}")
