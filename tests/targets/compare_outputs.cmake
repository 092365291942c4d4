# What the target scripts (cortex_m/run.cmake, linux/run.cmake) share: a clock, and the
# comparisons of a target's outputs with the host's: within a tolerance (float32) or bit for bit
# (int8).

# Milliseconds since the epoch, for the time of each step.
function(now_ms variable)
  string(TIMESTAMP seconds "%s" UTC)
  string(TIMESTAMP micro "%f" UTC)
  math(EXPR ms "${seconds} * 1000 + ${micro} / 1000")
  set(${variable} ${ms} PARENT_SCOPE)
endfunction()

# compare_outputs(<host list> <target list> <prefix>): both lists hold outputs printed as
# round(y x 1e9). The tolerance is 1e-5 x max|host| in those units (the kernel tests' bound for
# SIMD against reference: other summation orders, FMA), plus one unit for the rounding of the two
# printed values. Sets, in the caller's scope:
#   <prefix>_count          outputs compared (0 when the counts differ)
#   <prefix>_max_host       max |host|
#   <prefix>_tolerance      the bound on |target - host|
#   <prefix>_diffs          |target - host| per output
#   <prefix>_max_diff, <prefix>_max_diff_index, <prefix>_matched
#   <prefix>_problems       what makes the comparison itself fail (counts, all-zero host output)
function(compare_outputs host target prefix)
  set(problems "")
  list(LENGTH host count)
  list(LENGTH target target_count)
  if(count EQUAL 0 OR NOT count EQUAL target_count)
    list(APPEND problems "outputs: the target printed ${target_count}, the host ${count}")
    set(count 0)
  endif()
  set(max_host 0)
  foreach(value IN LISTS host)
    string(REGEX REPLACE "^-" "" magnitude ${value})
    if(magnitude GREATER max_host)
      set(max_host ${magnitude})
    endif()
  endforeach()
  if(count GREATER 0 AND max_host EQUAL 0)
    list(APPEND problems "the host's outputs are all zero: a comparison of zeros proves nothing")
  endif()
  math(EXPR tolerance "${max_host} / 100000 + 1")
  set(diffs "")
  set(max_diff 0)
  set(max_diff_index 0)
  set(matched 0)
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      list(GET host ${i} h)
      list(GET target ${i} t)
      math(EXPR diff "${t} - ${h}")
      string(REGEX REPLACE "^-" "" diff ${diff})
      list(APPEND diffs ${diff})
      if(diff GREATER max_diff)
        set(max_diff ${diff})
        set(max_diff_index ${i})
      endif()
      if(NOT diff GREATER tolerance)
        math(EXPR matched "${matched} + 1")
      endif()
    endforeach()
  endif()
  foreach(name count max_host tolerance diffs max_diff max_diff_index matched problems)
    set(${prefix}_${name} "${${name}}" PARENT_SCOPE)
  endforeach()
endfunction()

# compare_exact(<host list> <target list> <prefix>): outputs that every target must give bit for bit
# (int8 networks: integer arithmetic and exactly rounded float requantization), each printed as
# its float's bits (0x3e808081). Equal means the same text. Sets, in the caller's scope:
#   <prefix>_count          outputs compared (0 when the counts differ)
#   <prefix>_matched        outputs with the host's bits
#   <prefix>_mismatched     the indices of the others
#   <prefix>_distinct       how many different values the host printed
#   <prefix>_problems       what makes the comparison itself fail (counts, a host output of one
#                           value only: equal constants would prove nothing)
function(compare_exact host target prefix)
  set(problems "")
  list(LENGTH host count)
  list(LENGTH target target_count)
  if(count EQUAL 0 OR NOT count EQUAL target_count)
    list(APPEND problems "outputs: the target printed ${target_count}, the host ${count}")
    set(count 0)
  endif()
  set(distinct_values ${host})
  list(REMOVE_DUPLICATES distinct_values)
  list(LENGTH distinct_values distinct)
  if(count GREATER 0 AND distinct LESS 2)
    list(APPEND problems "the host's outputs are all ${distinct_values}: a comparison of one value proves nothing")
  endif()
  set(matched 0)
  set(mismatched "")
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      list(GET host ${i} h)
      list(GET target ${i} t)
      if(t STREQUAL h)
        math(EXPR matched "${matched} + 1")
      else()
        list(APPEND mismatched ${i})
      endif()
    endforeach()
  endif()
  foreach(name count matched mismatched distinct problems)
    set(${prefix}_${name} "${${name}}" PARENT_SCOPE)
  endforeach()
endfunction()
