#!/usr/bin/env bash
# Would the daemon survive the sandbox of systemd/newsmon.service? (labels "packaging;systemd")
#
# systemd-analyze cannot run the unit without systemd as PID 1, so this test runs the
# built daemon on the demo config (file:// feeds, a real SQLite file, the ZeroMQ bus on
# loopback tcp://) under strace, as an unprivileged user like DynamicUser= gives it,
# and checks what it did against the unit:
#   - every system call is allowed by the unit's SystemCallFilter= lines (the groups are
#     expanded with `systemd-analyze syscall-filter`). A filtered call fails with EPERM,
#     and libraries assert on some (ZeroMQ aborts if pthread_setschedparam fails);
#   - every socket family is in RestrictAddressFamilies= (ZeroMQ aborts if getifaddrs'
#     netlink socket is refused when it binds a tcp:// endpoint);
#   - files are written only in the state directory (ProtectSystem=strict).
# Exit 77 = skipped (no strace, no systemd-analyze, or ptrace not permitted here).
# Environment (set by CTest): NEWSMON_SOURCE_DIR, NEWSMON_BINARY.
set -euo pipefail

source_dir=${NEWSMON_SOURCE_DIR:?}
binary=${NEWSMON_BINARY:?}
unit="$source_dir/systemd/newsmon.service"

for tool in strace systemd-analyze; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found; the sandbox was not checked"; exit 77; }
done
[[ -x "$binary" ]] || { echo "FAIL: no built binary at $binary" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/newsmon-sandbox.XXXXXX")
daemon_pid=
cleanup() {
  [[ -n "$daemon_pid" ]] && kill -KILL "$daemon_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# --- what the unit allows --------------------------------------------------------------
declare -A group_cache
expand() {  # expand "@group" or "name" into syscall names, one per line
  local item=$1
  if [[ $item != @* ]]; then echo "$item"; return; fi
  if [[ -z "${group_cache[$item]+x}" ]]; then
    local members=() line
    while read -r line; do
      [[ -z "$line" || "$line" == \#* ]] && continue
      members+=("$line")
    done < <(systemd-analyze syscall-filter --no-pager "$item" | tail -n +2)
    local names=() member
    for member in "${members[@]}"; do
      mapfile -t -O "${#names[@]}" names < <(expand "$member")
    done
    group_cache[$item]=$(printf '%s\n' "${names[@]}")
  fi
  printf '%s\n' "${group_cache[$item]}"
}

declare -A allowed=()
while IFS= read -r value; do
  deny=0
  if [[ $value == ~* ]]; then deny=1; value=${value#\~}; fi
  for item in $value; do
    while read -r name; do
      [[ -z "$name" ]] && continue
      if ((deny)); then unset "allowed[$name]"; else allowed[$name]=1; fi
    done < <(expand "$item")
  done
done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
((${#allowed[@]} > 100)) || { echo "FAIL: could not read SystemCallFilter= from $unit" >&2; exit 1; }

families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit" | tr ' ' '\n' | grep -v '^$' || true)
[[ -n "$families" ]] || { echo "FAIL: no RestrictAddressFamilies= in $unit" >&2; exit 1; }

# --- run the daemon --------------------------------------------------------------------
cp -r "$source_dir/config" "$work/config"
mkdir -p "$work/state" "$work/out"
as_user=()
if [[ $(id -u) -eq 0 ]]; then
  command -v setpriv >/dev/null || { echo "SKIP: running as root without setpriv"; exit 77; }
  chown 65534:65534 "$work/state" "$work/out"
  chmod -R a+rX "$work/config"
  chmod 755 "$work"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi

# NOTIFY_SOCKET/WATCHDOG_USEC as systemd sets them, so the sd_notify path runs too (nobody
# listens: the datagrams fail, the system calls are what counts here).
NOTIFY_SOCKET="$work/out/notify" WATCHDOG_USEC=200000 \
"${as_user[@]}" strace -f -qq -o "$work/out/trace" \
  "$binary" run --config "$work/config/demo.toml" --database "$work/state/newsmon.db" \
  --publish 'tcp://127.0.0.1:*' --replay 'tcp://127.0.0.1:*' >"$work/out/log" 2>&1 &
daemon_pid=$!

# Wait for the demo's alerts (all feeds fetched, stored, classified and published).
for _ in $(seq 1 100); do
  grep -q 'alert #' "$work/out/log" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
sleep 0.5  # let the outbox drain
if grep -qi 'ptrace.*Operation not permitted\|PTRACE_TRACEME' "$work/out/log"; then
  echo "SKIP: ptrace is not permitted here: $(head -3 "$work/out/log")"
  exit 77
fi
# Signals go to newsmon itself, strace's child: SIGHUP (systemctl reload), then SIGTERM.
newsmon_pid=$(ps -o pid= --ppid "$daemon_pid" | head -1 | tr -d ' ')
if [[ -n "$newsmon_pid" ]]; then
  kill -HUP "$newsmon_pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    grep -q 'reloaded' "$work/out/log" && break
    sleep 0.1
  done
  grep -q 'reloaded' "$work/out/log" || fail "no reload after SIGHUP; log:"$'\n'"$(tail -5 "$work/out/log")"
  kill -TERM "$newsmon_pid" 2>/dev/null || true
fi
status=0
wait "$daemon_pid" || status=$?
daemon_pid=
[[ -s "$work/out/trace" ]] || { echo "FAIL: no trace; log:"$'\n'"$(cat "$work/out/log")" >&2; exit 1; }
grep -q 'alert #' "$work/out/log" || fail "the daemon published no alert; log:"$'\n'"$(tail -20 "$work/out/log")"
((status == 0)) || fail "daemon exit status $status; log:"$'\n'"$(tail -20 "$work/out/log")"

# --- compare ---------------------------------------------------------------------------
# strace lines: "PID name(args) = ret" or "PID name(args <unfinished ...>".
mapfile -t used < <(sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$work/out/trace" | sort -u)
((${#used[@]} > 20)) || { fail "strace saw almost nothing: $(head -5 "$work/out/trace")"; }
echo "system calls used: ${#used[@]}"
for name in "${used[@]}"; do
  [[ -n "${allowed[$name]+x}" ]] || fail "system call $name is not allowed by SystemCallFilter= ($(grep -m1 -E "^[0-9]+ +$name\(" "$work/out/trace"))"
done

while read -r family; do
  grep -qx -- "$family" <<<"$families" \
    || fail "socket family $family is not in RestrictAddressFamilies= ($(grep -m1 "socket.*($family" "$work/out/trace"))"
done < <(sed -nE 's/^[0-9]+ +socket(pair)?\((AF_[A-Z0-9]+).*/\2/p' "$work/out/trace" | sort -u)

# Writes: only below the state directory (the unit's ProtectSystem=strict makes the rest
# read-only; /dev/null stays writable).
while read -r path; do
  case "$path" in
    "$work/state/"*|/dev/null) ;;
    *) fail "writes outside the state directory: $path" ;;
  esac
done < <(sed -nE 's/^[0-9]+ +openat\([^,]+, "([^"]+)", [^)]*(O_WRONLY|O_RDWR|O_CREAT).*/\1/p' "$work/out/trace" | sort -u)

if ((failures)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "OK"
