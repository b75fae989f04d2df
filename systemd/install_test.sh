#!/usr/bin/env bash
# Packaging tests, registered by systemd/CMakeLists.txt (label "packaging").
#   install_test.sh install  -> `cmake --install --prefix /usr` into a DESTDIR; the installed
#                               binary validates the installed config; unit and docs in place;
#                               a non-/usr prefix gets a unit pointing at its own paths.
#   install_test.sh deb      -> `cpack -G DEB`; Depends, file list, conffiles, maintainer
#                               scripts; the unpacked binary validates the unpacked config.
# Environment (set by CTest): NEWSMON_SOURCE_DIR, NEWSMON_BUILD_DIR, NEWSMON_CMAKE,
# NEWSMON_CPACK. Exit 77 = skipped. No network; a few seconds.
set -euo pipefail

mode=${1:?usage: install_test.sh install|deb}
source_dir=${NEWSMON_SOURCE_DIR:?}
build_dir=${NEWSMON_BUILD_DIR:?}
cmake=${NEWSMON_CMAKE:-cmake}
cpack=${NEWSMON_CPACK:-cpack}

work=$(mktemp -d "${TMPDIR:-/tmp}/newsmon-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_file() { [[ -f "$1" ]] || fail "missing $1"; }

thread_names() { (cd "$source_dir/config/threads" && ls -1 -- *.toml); }
doc_names() { echo README.md; (cd "$source_dir/docs" && ls -1 -- *.md); }

test_install() {
  local root="$work/root"
  DESTDIR="$root" "$cmake" --install "$build_dir" --prefix /usr >"$work/install.log" 2>&1 \
    || { cat "$work/install.log" >&2; fail "cmake --install failed"; return; }

  [[ -x "$root/usr/bin/newsmon" ]] || fail "missing executable $root/usr/bin/newsmon"
  expect_file "$root/usr/lib/systemd/system/newsmon.service"
  cmp -s "$source_dir/systemd/newsmon.service" "$root/usr/lib/systemd/system/newsmon.service" \
    || fail "installed unit differs from systemd/newsmon.service (prefix /usr must keep it as is)"
  expect_file "$root/etc/newsmon/newsmon.toml"
  local name
  for name in $(thread_names); do expect_file "$root/etc/newsmon/threads/$name"; done
  for name in $(doc_names); do expect_file "$root/usr/share/doc/newsmon/$name"; done
  [[ ! -e "$root/usr/etc" ]] || fail "config went to /usr/etc instead of /etc"

  # Everything must have gone under DESTDIR (read from the log: install_manifest.txt in
  # the build dir is shared with concurrent installs such as the deb test's).
  local stray
  stray=$(sed -n 's/^-- \(Installing\|Up-to-date\): //p' "$work/install.log" | grep -v "^$root/" || true)
  [[ -z "$stray" ]] || fail "installed outside DESTDIR: $stray"

  # The installed binary accepts the installed config (thread_files relative to it).
  local out
  if ! out=$("$root/usr/bin/newsmon" check-config --config "$root/etc/newsmon/newsmon.toml" 2>&1); then
    fail "installed newsmon check-config on the installed config: $out"
  else
    echo "check-config: $out"
  fi

  # Another prefix: config under <prefix>/etc, unit rewritten to the prefix's paths.
  local opt="$work/opt-root"
  DESTDIR="$opt" "$cmake" --install "$build_dir" --prefix /opt/newsmon >"$work/install-opt.log" 2>&1 \
    || { cat "$work/install-opt.log" >&2; fail "cmake --install --prefix /opt/newsmon failed"; return; }
  expect_file "$opt/opt/newsmon/etc/newsmon/newsmon.toml"
  local unit="$opt/opt/newsmon/lib/systemd/system/newsmon.service"
  expect_file "$unit"
  grep -qx 'ExecStart=/opt/newsmon/bin/newsmon run --config /opt/newsmon/etc/newsmon/newsmon.toml --database /var/lib/newsmon/newsmon.db' "$unit" \
    || fail "unit for prefix /opt/newsmon: $(grep ExecStart= "$unit" || echo 'no ExecStart')"
}

test_deb() {
  command -v dpkg-deb >/dev/null || { echo "SKIP: dpkg-deb not installed"; exit 77; }
  command -v dpkg-shlibdeps >/dev/null || { echo "SKIP: dpkg-shlibdeps not installed (dpkg-dev)"; exit 77; }
  command -v file >/dev/null || { echo "SKIP: file not installed (CPack needs it for Depends)"; exit 77; }

  "$cpack" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; return; }
  local debs=("$work"/pkg/newsmon_*.deb)
  [[ -f "${debs[0]}" ]] || { fail "no newsmon_*.deb in $work/pkg"; return; }
  local deb=${debs[0]}
  echo "built $(basename "$deb")"

  local depends
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  local names lib
  names=$(tr ',|' '\n\n' <<<"$depends" | sed -E 's/^ *([^ (]+).*/\1/')
  for lib in libc6 libcurl4 libzmq5 libsqlite3-0 libpugixml1v5 libicu72 libstdc++6; do
    grep -qxF -- "$lib" <<<"$names" || fail "Depends lacks $lib"
  done
  [[ "$depends" != *-dev* ]] || fail "Depends names a -dev package"

  local listing
  listing=$(dpkg-deb -c "$deb" | awk '{print $NF}')
  local path
  for path in ./usr/bin/newsmon ./usr/lib/systemd/system/newsmon.service ./etc/newsmon/newsmon.toml \
      ./usr/share/doc/newsmon/README.md; do
    grep -qx -- "$path" <<<"$listing" || fail "package lacks $path"
  done
  for name in $(thread_names); do
    grep -qx -- "./etc/newsmon/threads/$name" <<<"$listing" || fail "package lacks thread file $name"
  done

  dpkg-deb -e "$deb" "$work/control"
  grep -qx /etc/newsmon/newsmon.toml "$work/control/conffiles" || fail "conffiles lacks newsmon.toml"
  for name in $(thread_names); do
    grep -qx "/etc/newsmon/threads/$name" "$work/control/conffiles" || fail "conffiles lacks threads/$name"
  done
  local script
  for script in postinst prerm postrm; do
    [[ -x "$work/control/$script" ]] || fail "maintainer script $script missing or not executable"
    sh -n "$work/control/$script" || fail "maintainer script $script: syntax error"
  done

  # The packaged (stripped) binary runs and accepts the packaged config.
  dpkg-deb -x "$deb" "$work/unpacked"
  local out
  if ! out=$("$work/unpacked/usr/bin/newsmon" check-config --config "$work/unpacked/etc/newsmon/newsmon.toml" 2>&1); then
    fail "packaged newsmon check-config on the packaged config: $out"
  else
    echo "check-config: $out"
  fi
}

case "$mode" in
  install) test_install ;;
  deb) test_deb ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac

if ((failures)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "OK"
