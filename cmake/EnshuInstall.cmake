# What 'cmake --install' puts where, relative to any prefix (the Debian
# package uses /usr):
#   bin/enshu
#   share/enshu/web          the consoles' own files: the pages and js/, css/,
#                            vendor/ (filled from npm by scripts/setup), fonts/,
#                            img/, the language catalogues i18n/*.json: what
#                            engine/ws_server.c serves. Never node_modules/,
#                            package files or notes.
#   share/enshu/images       the guest image recipes ('enshu images build')
#   share/enshu/scenarios    the shipped incident scripts with their
#                            attachments, reference and schema
#   share/man/man1/enshu.1
#   share/doc/enshu          README.md, CHANGELOG.md
#   libexec/enshu/enshu-serve, lib/systemd/system/enshu.service and
#   etc/enshu/enshu.conf (/etc/enshu for prefix /usr): the service
# The binary finds share/enshu from its own directory (engine/data_dir.h).

set(ENSHU_DATADIR "${CMAKE_INSTALL_DATADIR}/enshu")

install(TARGETS enshu RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

file(GLOB ENSHU_WEB_PAGES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/web/*.html")
install(FILES ${ENSHU_WEB_PAGES} DESTINATION "${ENSHU_DATADIR}/web")
foreach(dir js css vendor fonts img)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/web/${dir}" DESTINATION "${ENSHU_DATADIR}/web"
          OPTIONAL)
endforeach()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/web/i18n" DESTINATION "${ENSHU_DATADIR}/web"
        FILES_MATCHING PATTERN "*.json")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/images/" DESTINATION "${ENSHU_DATADIR}/images"
        USE_SOURCE_PERMISSIONS)
# invalid/ holds the golden tests' broken scripts: not for users.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/scenarios/" DESTINATION "${ENSHU_DATADIR}/scenarios"
        PATTERN invalid EXCLUDE)

install(FILES "${PROJECT_SOURCE_DIR}/docs/enshu.1" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES "${PROJECT_SOURCE_DIR}/README.md" "${PROJECT_SOURCE_DIR}/CHANGELOG.md"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# The service's files name absolute paths (the wrapper in the unit, the
# config in the wrapper) that depend on the prefix given at install time
# ('cmake --install --prefix', CPack's /usr), so they are written then.
install(CODE "
  set(ENSHU_SERVICE_SRC \"${PROJECT_SOURCE_DIR}/service\")
  set(ENSHU_SERVICE_TMP \"${PROJECT_BINARY_DIR}/service\")
  set(ENSHU_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(ENSHU_LIBEXECDIR \"${CMAKE_INSTALL_LIBEXECDIR}\")
  set(ENSHU_DATADIR \"${ENSHU_DATADIR}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/EnshuInstallService.cmake\")
")
