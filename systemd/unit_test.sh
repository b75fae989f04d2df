#!/usr/bin/env bash
# Checks systemd/newsmon.service with systemd's own tools (labels "packaging;systemd"):
#   - `systemd-analyze verify` reports nothing about the unit. ExecStart= names
#     /usr/bin/newsmon, which need not exist here, so a copy whose ExecStart points at
#     the built binary is verified (the copy is otherwise byte for byte the unit);
#   - `systemd-analyze security --offline=true` rates it at most 2.0 ("OK").
# Needs no running systemd (works in containers). Exit 77 = skipped (no systemd-analyze).
# Environment (set by CTest): NEWSMON_SOURCE_DIR, NEWSMON_BINARY.
set -euo pipefail

source_dir=${NEWSMON_SOURCE_DIR:?}
binary=${NEWSMON_BINARY:?}
unit="$source_dir/systemd/newsmon.service"
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not found (apt-get install systemd); the unit was not checked"
  exit 77
fi
[[ -x "$binary" ]] || { echo "FAIL: no built binary at $binary" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/newsmon-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The unit must say what the service needs.
for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=30s' 'Restart=on-failure' \
    'ExecStart=/usr/bin/newsmon run --config /etc/newsmon/newsmon.toml --database /var/lib/newsmon/newsmon.db' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'StateDirectory=newsmon' 'ConfigurationDirectory=newsmon' \
    'DynamicUser=yes'; do
  grep -qxF -- "$line" "$unit" || fail "unit lacks '$line'"
done

# --- verify ----------------------------------------------------------------------------
copy="$work/newsmon.service"
grep -c '^ExecStart=/usr/bin/newsmon ' "$unit" | grep -qx 1 || fail "expected one ExecStart=/usr/bin/newsmon line"
sed "s#^ExecStart=/usr/bin/newsmon #ExecStart=$binary #" "$unit" >"$copy"
verify_out=$(cd "$work" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$copy" 2>&1) && verify_rc=0 || verify_rc=$?
# Lines about other units (e.g. a broken unit elsewhere on the host) are not ours.
ours=$(grep -i 'newsmon' <<<"$verify_out" || true)
if ((verify_rc != 0)) || [[ -n "$ours" ]]; then
  fail "systemd-analyze verify (exit $verify_rc):"$'\n'"$verify_out"
else
  echo "systemd-analyze verify: clean${verify_out:+ (about other units: $verify_out)}"
fi

# --- security --------------------------------------------------------------------------
security_out=$(cd "$work" && SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=true --no-pager \
  "$source_dir/systemd/newsmon.service" 2>&1) || true
overall=$(grep -m1 'Overall exposure level' <<<"$security_out" || true)
if [[ -z "$overall" ]]; then
  fail "no 'Overall exposure level' line from systemd-analyze security:"$'\n'"$security_out"
else
  echo "$overall"
  grep '^✗' <<<"$security_out" || true
  exposure=$(sed -E 's/.*: *([0-9]+\.[0-9]+).*/\1/' <<<"$overall")
  [[ "$exposure" =~ ^[0-9]+\.[0-9]+$ ]] || fail "cannot parse exposure from: $overall"
  awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }' \
    || fail "exposure $exposure > $max_exposure"
fi

if ((failures)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "OK"
