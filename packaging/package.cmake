# Install rules and CPack settings for the .deb and the .rpm, both from the same rules. Included from the
# top-level CMakeLists.txt; `cpack` in a release build directory writes both packages there.
# Paths under /usr are relative to CPACK_PACKAGING_INSTALL_PREFIX (/usr); /etc is absolute on purpose.

set(RESTOREPOINTD_DOC_DIR share/doc/restorepointd)
set(RESTOREPOINTD_PACKAGING_OUT ${PROJECT_BINARY_DIR}/packaging)

# Debian wants man pages and its changelog compressed with gzip -9n (no name or time stamp, reproducible).
set(compressed_docs)
foreach(source man/restorepointd.8 man/restorepointd.yaml.5 packaging/deb/changelog.Debian)
  get_filename_component(name ${source} NAME)
  set(output ${RESTOREPOINTD_PACKAGING_OUT}/${name}.gz)
  add_custom_command(OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${RESTOREPOINTD_PACKAGING_OUT}
    COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/${source} > ${output}
    DEPENDS ${PROJECT_SOURCE_DIR}/${source} VERBATIM)
  list(APPEND compressed_docs ${output})
endforeach()
add_custom_target(restorepointd_package_docs ALL DEPENDS ${compressed_docs})

install(TARGETS restorepointd RUNTIME DESTINATION bin)
# `restorepointd demo` looks for the emulator and the demo's files at these paths by default.
install(TARGETS azure-emulator RUNTIME DESTINATION lib/restorepointd)
install(FILES systemd/restorepointd.service DESTINATION lib/systemd/system)
install(FILES config/restorepointd.yaml DESTINATION /etc/restorepointd)
install(DIRECTORY DESTINATION /etc/restorepointd/policies.d)
install(DIRECTORY config/examples/ DESTINATION ${RESTOREPOINTD_DOC_DIR}/examples)
install(DIRECTORY config/schema/ DESTINATION ${RESTOREPOINTD_DOC_DIR}/schema)
install(FILES packaging/deb/copyright ${RESTOREPOINTD_PACKAGING_OUT}/changelog.Debian.gz
        DESTINATION ${RESTOREPOINTD_DOC_DIR})
# Listed and justified in the file itself.
install(FILES packaging/deb/lintian-overrides DESTINATION share/lintian/overrides RENAME restorepointd)
install(FILES ${RESTOREPOINTD_PACKAGING_OUT}/restorepointd.8.gz DESTINATION share/man/man8)
install(FILES ${RESTOREPOINTD_PACKAGING_OUT}/restorepointd.yaml.5.gz DESTINATION share/man/man5)

set(CPACK_GENERATOR DEB RPM)
set(CPACK_PACKAGE_NAME restorepointd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "restorepointd maintainers")
set(CPACK_PACKAGE_CONTACT "restorepointd maintainers <maintainers@users.noreply.r-seed-aa05df6c.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "keeps Azure VM restore points as YAML policies say")
set(CPACK_PACKAGE_DESCRIPTION
"restorepointd is a daemon that creates Azure virtual machine restore points
on cron or interval schedules, copies them to other regions, turns Instant
Access on and off, and prunes them by calendar retention rules (restic's
semantics), never deleting the newest good point or a source whose copy is
still replicating. Policies are YAML files under /etc/restorepointd; every
job is recorded in a SQLite database that `restorepointd status` reads.
It runs as a sandboxed systemd service with a dynamic user.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_FILE_NAME_SEPARATOR _)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Appended to what dpkg-shlibdeps finds: /bin/kill (ExecReload=) comes from procps, and schedules'
# time zones are read from tzdata's /usr/share/zoneinfo.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps, tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
  ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)

set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
# /etc and /usr are fixed paths (the unit names /usr/bin/restorepointd): not relocatable.
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_PACKAGE_LICENSE "none chosen yet")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_RPM_PACKAGE_REQUIRES "procps, tzdata")
# No /usr/lib/.build-id links: they would clash with any other package built the same way.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")
set(CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/restorepointd/restorepointd.yaml")
# Directories of the base system: the package must not claim them.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  /etc /usr/lib/systemd /usr/lib/systemd/system /usr/share/man /usr/share/man/man5 /usr/share/man/man8
  /usr/share/lintian /usr/share/lintian/overrides)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/post)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/preun)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/postun)

include(CPack)
