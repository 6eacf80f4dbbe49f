# The Debian package: 'cpack -G DEB' in the build directory makes
# enshu_VERSION_ARCH.deb of what 'cmake --install' installs, under /usr
# (the config under /etc/enshu, a conffile). Its version comes from git
# (EnshuVersion.cmake); its dependencies are the Debian 12 packages Enshu
# uses at run time: the shared libraries the binary links (found with
# ldd and dpkg -S), libvirt's daemon with its QEMU driver, QEMU, the
# tools libvirt's networks need, and bash for the service's wrapper.
# Recommended: what 'enshu images build' runs (images/build.sh), virsh
# (named in messages), and libvirt's systemd units for a service host.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME enshu)
set(CPACK_PACKAGE_VERSION "${ENSHU_DEB_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "cyber-range exercise engine on libvirt")
set(CPACK_PACKAGE_DESCRIPTION
    "Enshu runs hands-on cyber-defence exercises: it reads a YAML incident script,
brings up one isolated virtual LAN of real guests per team on libvirt hosts,
fires the script's injects, scores the teams and serves browser consoles to
trainees and instructors.")
set(ENSHU_DEB_MAINTAINER "Enshu maintainers <enshu@localhost>"
    CACHE STRING "The Debian package's Maintainer field")
set(CPACK_PACKAGE_CONTACT "${ENSHU_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Install with DESTDIR and prefix /usr, so that the install-time rules
# (cmake/EnshuInstallService.cmake) see the package's real prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6, libvirt0, libyaml-0-2, libwebsockets17, libsqlite3-0, libjansson4, libsodium23, \
libunistring2, libxml2, libvirt-daemon, libvirt-daemon-driver-qemu, qemu-system-x86, qemu-utils, \
dnsmasq-base, iptables, bash")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "libvirt-clients, libvirt-daemon-system, busybox-static, cpio, e2fsprogs, kmod, \
qemu-guest-agent, xz-utils")
configure_file("${PROJECT_SOURCE_DIR}/cmake/deb/conffiles" "${PROJECT_BINARY_DIR}/deb/conffiles"
               COPYONLY)
configure_file("${PROJECT_SOURCE_DIR}/cmake/deb/postinst" "${PROJECT_BINARY_DIR}/deb/postinst"
               COPYONLY)
configure_file("${PROJECT_SOURCE_DIR}/cmake/deb/postrm" "${PROJECT_BINARY_DIR}/deb/postrm"
               COPYONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_BINARY_DIR}/deb/conffiles;${PROJECT_BINARY_DIR}/deb/postinst;${PROJECT_BINARY_DIR}/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
