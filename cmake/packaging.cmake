# The Debian package (make deb): what is installed besides /usr/bin/gantry, and CPack's DEB
# generator. Files under /etc are absolute install destinations, conffiles of the package.
set(GANTRY_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(GANTRY_PACKAGE_OUT ${PROJECT_BINARY_DIR}/package)

# gantry(1) from the option registry, gzipped as Debian wants it (-9n: no name, no time).
add_custom_command(
    OUTPUT ${GANTRY_PACKAGE_OUT}/gantry.1 ${GANTRY_PACKAGE_OUT}/gantry.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${GANTRY_PACKAGE_OUT}
    COMMAND sh -c "\"$1\" --man-page > \"$2\" && gzip -9n < \"$2\" > \"$2.gz\""
            sh $<TARGET_FILE:gantry> ${GANTRY_PACKAGE_OUT}/gantry.1
    DEPENDS gantry
    COMMENT "gantry(1) from the option registry"
    VERBATIM)

# The Debian changelog lintian asks for, with this version.
set(CPACK_PACKAGE_CONTACT "gantry maintainers <maintainers@users.noreply.r-seed-2b179fd1.example>")
set(GANTRY_DEB_RELEASE 1)
set(GANTRY_DEB_VERSION ${PROJECT_VERSION}-${GANTRY_DEB_RELEASE})
string(TIMESTAMP GANTRY_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${GANTRY_PACKAGING_DIR}/debian/changelog.in ${GANTRY_PACKAGE_OUT}/changelog.Debian @ONLY)
add_custom_command(
    OUTPUT ${GANTRY_PACKAGE_OUT}/changelog.Debian.gz
    COMMAND sh -c "gzip -9n < \"$1\" > \"$1.gz\"" sh ${GANTRY_PACKAGE_OUT}/changelog.Debian
    DEPENDS ${GANTRY_PACKAGE_OUT}/changelog.Debian
    VERBATIM)
add_custom_target(package_docs ALL
    DEPENDS ${GANTRY_PACKAGE_OUT}/gantry.1.gz ${GANTRY_PACKAGE_OUT}/changelog.Debian.gz)

install(FILES ${GANTRY_PACKAGE_OUT}/gantry.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${GANTRY_PACKAGE_OUT}/changelog.Debian.gz ${GANTRY_PACKAGING_DIR}/debian/copyright
    DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian 12 keeps packaged units in /lib/systemd/system.
install(FILES ${GANTRY_PACKAGING_DIR}/systemd/gantry@.service ${GANTRY_PACKAGING_DIR}/systemd/gantry@.socket
    DESTINATION /lib/systemd/system)
install(FILES ${GANTRY_PACKAGING_DIR}/logrotate/gantry DESTINATION /etc/logrotate.d)
install(FILES ${GANTRY_PACKAGING_DIR}/nginx/gantry-uwsgi.conf DESTINATION /etc/nginx/snippets)
install(FILES ${GANTRY_PACKAGING_DIR}/etc/example.yaml DESTINATION /etc/gantry/apps-available)
install(DIRECTORY DESTINATION /etc/gantry/apps-enabled)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gantry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "pre-fork WSGI application server that reads uWSGI's options")
# The body only: CPack puts the summary on the first line itself.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Gantry runs a Python WSGI application in a master process and a pool of
forked workers, behind nginx over the uwsgi protocol or HTTP/1.1. It reads
uWSGI's INI and YAML files and option names, reloads gracefully on SIGHUP,
and speaks systemd's notification and socket activation protocols.
.
This package has the gantry program, its manual page, systemd units
(gantry@.service, gantry@.socket) that run the applications configured in
/etc/gantry/apps-enabled/, a logrotate file and an nginx snippet.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${GANTRY_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(GANTRY_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (none when empty)")
if(GANTRY_HOMEPAGE)
    set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${GANTRY_HOMEPAGE})
endif()
# Library dependencies from what the binary links (dpkg-shlibdeps), and the Python it embeds:
# the minor version the build found (GANTRY_PYTHON), as libpythonX.Y is tied to it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
math(EXPR GANTRY_PYTHON_NEXT_MINOR "${Python_VERSION_MINOR} + 1")
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "python3 (>= ${Python_VERSION_MAJOR}.${Python_VERSION_MINOR}), python3 (<< ${Python_VERSION_MAJOR}.${GANTRY_PYTHON_NEXT_MINOR})")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx, logrotate")
set(CPACK_STRIP_FILES ON)
# Maintainer scripts and the conffiles list (everything installed under /etc).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${GANTRY_PACKAGING_DIR}/debian/conffiles
    ${GANTRY_PACKAGING_DIR}/debian/postinst
    ${GANTRY_PACKAGING_DIR}/debian/prerm
    ${GANTRY_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
