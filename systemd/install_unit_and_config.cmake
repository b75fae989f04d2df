# Install-time part of systemd/CMakeLists.txt: the unit and the default config.
# Runs inside `cmake --install` (and cpack), so CMAKE_INSTALL_PREFIX is the prefix of this
# install; the newsmon_* variables are set by the install(CODE) just before.

cmake_path(SET prefix NORMALIZE "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "(.)/+$" "\\1" prefix "${prefix}")  # "/usr/" -> "/usr"

# Same rule as GNUInstallDirs: prefix /usr (or /) keeps its configuration in /etc.
if(prefix STREQUAL "/usr" OR prefix STREQUAL "/")
  set(sysconfdir "/etc")
else()
  set(sysconfdir "${prefix}/etc")
endif()
if(IS_ABSOLUTE "${newsmon_bindir}")
  set(bindir "${newsmon_bindir}")
else()
  string(REGEX REPLACE "/$" "" bindir "${prefix}/${newsmon_bindir}")
endif()

# Config: /etc/newsmon/newsmon.toml + threads/*.toml. thread_files and database in the
# config are relative to its folder, so they stay valid where it lands.
file(INSTALL "${newsmon_config}" DESTINATION "${sysconfdir}/newsmon" FILE_PERMISSIONS
  OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL ${newsmon_thread_files} DESTINATION "${sysconfdir}/newsmon/threads" FILE_PERMISSIONS
  OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Unit: as written for prefix /usr; otherwise point ExecStart at this install's binary
# and config.
if(IS_ABSOLUTE "${newsmon_unit_dir}")
  set(unit_dir "${newsmon_unit_dir}")
else()
  set(unit_dir "${prefix}/${newsmon_unit_dir}")
endif()
file(INSTALL "${newsmon_unit}" DESTINATION "${unit_dir}" FILE_PERMISSIONS
  OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
if(NOT bindir STREQUAL "/usr/bin" OR NOT sysconfdir STREQUAL "/etc")
  set(installed_unit "$ENV{DESTDIR}${unit_dir}/newsmon.service")
  file(READ "${installed_unit}" unit)
  string(REPLACE "/usr/bin/newsmon " "${bindir}/newsmon " unit "${unit}")
  string(REPLACE "/etc/newsmon/newsmon.toml" "${sysconfdir}/newsmon/newsmon.toml" unit "${unit}")
  file(WRITE "${installed_unit}" "${unit}")
  message(STATUS "Adjusted ExecStart in ${installed_unit} for prefix ${prefix}")
endif()
