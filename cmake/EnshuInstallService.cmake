# Run by 'cmake --install' (see EnshuInstall.cmake): writes the service's
# files for the prefix being installed to. With prefix /usr (the Debian
# package) the config goes to /etc/enshu, otherwise to PREFIX/etc/enshu.
# file(INSTALL) prepends DESTDIR, when set, as for every other rule.

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_etc "/etc")
else()
  set(_etc "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(ENSHU_CONFIG "${_etc}/enshu/enshu.conf")
set(ENSHU_CONFIG_DEFAULT "${ENSHU_CONFIG}")
set(ENSHU_SERVE_WRAPPER "${CMAKE_INSTALL_PREFIX}/${ENSHU_LIBEXECDIR}/enshu/enshu-serve")
set(ENSHU_SCENARIOS_DIR "${CMAKE_INSTALL_PREFIX}/${ENSHU_DATADIR}/scenarios")
file(RELATIVE_PATH ENSHU_BIN_FROM_WRAPPER "${CMAKE_INSTALL_PREFIX}/${ENSHU_LIBEXECDIR}/enshu"
     "${CMAKE_INSTALL_PREFIX}/${ENSHU_BINDIR}")

foreach(f enshu-serve enshu.service enshu.conf)
  configure_file("${ENSHU_SERVICE_SRC}/${f}.in" "${ENSHU_SERVICE_TMP}/${f}" @ONLY)
endforeach()
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/${ENSHU_LIBEXECDIR}/enshu"
     TYPE PROGRAM FILES "${ENSHU_SERVICE_TMP}/enshu-serve")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
     TYPE FILE FILES "${ENSHU_SERVICE_TMP}/enshu.service")
file(INSTALL DESTINATION "${_etc}/enshu" TYPE FILE FILES "${ENSHU_SERVICE_TMP}/enshu.conf")
