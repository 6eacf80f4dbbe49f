# The version Enshu reports (enshu --version, the Debian package), taken
# from git at configure time:
#   - on a release tag vX.Y.Z:             X.Y.Z
#   - past one:                            X.Y.Z-N-gSHA (git describe)
#   - in a clone without release tags:     PROJECT_VERSION-gSHA (CI clones)
#   - with uncommitted changes:            ...-dirty
#   - outside git (a source tarball):      0.0.0-unknown
# Only tags of the form v<digit>... count as releases: other tags (markers
# of work in progress) are ignored. Reconfigure to refresh it.
#
# Sets ENSHU_VERSION and ENSHU_DEB_VERSION (the same, with '+' for '-' past
# the base version, as a Debian version without revision wants).

set(ENSHU_VERSION "0.0.0-unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" describe --tags --match "v[0-9]*" --always --dirty
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    OUTPUT_VARIABLE _enshu_describe
    OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _enshu_git_rc
    ERROR_QUIET)
  if(_enshu_git_rc EQUAL 0 AND _enshu_describe MATCHES "^v([0-9].*)$")
    set(ENSHU_VERSION "${CMAKE_MATCH_1}")
  elseif(_enshu_git_rc EQUAL 0 AND _enshu_describe MATCHES "^[0-9a-f]+(-dirty)?$")
    # --always gave an abbreviated commit: no release tag is reachable.
    set(ENSHU_VERSION "${PROJECT_VERSION}-g${_enshu_describe}")
  endif()
endif()
string(REGEX REPLACE "-" "+" ENSHU_DEB_VERSION "${ENSHU_VERSION}")
message(STATUS "Enshu version: ${ENSHU_VERSION}")
