# Flash and RAM use of a firmware image, from arm-none-eabi-size, and the size of its `arena`
# symbol (the network's activation arena, Net::arena_bytes) from arm-none-eabi-nm.
#
# As a script (the firmware build runs it after linking each example, joule_cortex_m.elf and
# joule_cortex_m_int8.elf):
#   cmake -DELF=joule_cortex_m.elf -DSIZE=arm-none-eabi-size -DNM=arm-none-eabi-nm
#         [-DDESCRIPTION="cortex-m4 (...)"] -P size_report.cmake
# As a module (tests/targets/cortex_m/run.cmake): include() it, call firmware_size(elf size nm).
#
# flash = text + data (code, constants, the initial values of .data);
# RAM   = data + bss (.bss holds the arena and the stack reservation).

# Sets, in the caller's scope: firmware_text, firmware_data, firmware_bss, firmware_flash,
# firmware_ram, firmware_arena (0 when the image has no arena symbol), firmware_size_output (what
# arm-none-eabi-size printed).
function(firmware_size elf size nm)
  execute_process(COMMAND ${size} ${elf} OUTPUT_VARIABLE output RESULT_VARIABLE result ERROR_VARIABLE output)
  if(NOT result EQUAL 0 OR NOT output MATCHES "\n *([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)")
    message(FATAL_ERROR "${size} ${elf} failed:\n${output}")
  endif()
  set(text ${CMAKE_MATCH_1})
  set(data ${CMAKE_MATCH_2})
  set(bss ${CMAKE_MATCH_3})
  # -S: symbol sizes; -C: "(anonymous namespace)::arena" rather than its mangled name.
  execute_process(COMMAND ${nm} -S -C ${elf} OUTPUT_VARIABLE symbols RESULT_VARIABLE result ERROR_VARIABLE symbols)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${nm} -S -C ${elf} failed:\n${symbols}")
  endif()
  set(arena 0)
  if(symbols MATCHES "(^|\n)[0-9a-f]+ ([0-9a-f]+) [bB] [^\n]*::arena\n")
    math(EXPR arena "0x${CMAKE_MATCH_2}" OUTPUT_FORMAT DECIMAL)
  endif()
  math(EXPR flash "${text} + ${data}")
  math(EXPR ram "${data} + ${bss}")
  foreach(name text data bss flash ram arena)
    set(firmware_${name} ${${name}} PARENT_SCOPE)
  endforeach()
  string(REGEX REPLACE "\n+$" "" output "${output}")
  set(firmware_size_output "${output}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  foreach(argument ELF SIZE NM)
    if(NOT ${argument})
      message(FATAL_ERROR "size_report.cmake: -D${argument}=... is required")
    endif()
  endforeach()
  firmware_size(${ELF} ${SIZE} ${NM})
  get_filename_component(name ${ELF} NAME)
  message("${name} ${DESCRIPTION}\n${firmware_size_output}\n"
          "  flash ${firmware_flash} bytes (text + data), RAM ${firmware_ram} bytes (data + bss), "
          "of which the arena ${firmware_arena} bytes (Net::arena_bytes)")
endif()
