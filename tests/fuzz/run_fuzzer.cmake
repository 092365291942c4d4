# Runs one libFuzzer executable for a while as a test: on a fresh copy of the seed corpus (the
# fuzzer adds to its first directory, which must not be the source tree) plus the regressions.
# Fails when the fuzzer reports a crash, a sanitizer error, a timeout or an out-of-memory.
# Arguments: FUZZER, CORPUS, REGRESSIONS, WORK_DIR, SECONDS.
file(REMOVE_RECURSE ${WORK_DIR}/corpus)
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
file(COPY ${CORPUS}/ DESTINATION ${WORK_DIR}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
          -artifact_prefix=${WORK_DIR}/artifacts/ -print_final_stats=1
          ${WORK_DIR}/corpus ${REGRESSIONS}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the fuzzer stopped with status ${result}: the input that did it is in "
                      "${WORK_DIR}/artifacts/. Commit it to ${REGRESSIONS}/ and fix the reader.")
endif()
