#!/bin/sh
# The unit's SystemCallFilter= tried on the real binary without systemd (PID 1 here is not systemd): runs
# `restorepointd demo` (the emulator and `restorepointd run`, on loopback only) under strace -f, keeps the
# system calls of the `run` process and its threads, and fails on any that
# SystemCallFilter=@system-service ~@privileged @resources would refuse.
# Usage: check-syscalls.sh RESTOREPOINTD EMULATOR DEMO_DIR [SECONDS]
set -eu

restorepointd=${1:?usage: check-syscalls.sh RESTOREPOINTD EMULATOR DEMO_DIR [SECONDS]}
emulator=${2:?usage: check-syscalls.sh RESTOREPOINTD EMULATOR DEMO_DIR [SECONDS]}
demo_dir=${3:?usage: check-syscalls.sh RESTOREPOINTD EMULATOR DEMO_DIR [SECONDS]}
seconds=${4:-10}
command -v strace >/dev/null 2>&1 || { echo "check-syscalls: strace is not installed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/restorepointd-syscalls.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A group's system calls, with the groups it includes expanded.
expand() {
  systemd-analyze syscall-filter "$1" | sed -n '2,$p' | sed 's/^ *//; /^#/d; /^$/d' | while read -r entry; do
    case "$entry" in
      @*) expand "$entry" ;;
      *) echo "$entry" ;;
    esac
  done
}
expand @system-service | sort -u > "$tmp/allowed"
{ expand @privileged; expand @resources; } | sort -u > "$tmp/denied"
comm -23 "$tmp/allowed" "$tmp/denied" > "$tmp/permitted"

# As nobody, as DynamicUser= runs it: as root, SQLite also fchown()s its journal files to the database's owner.
chmod 755 "$tmp"
strace -f -qq -o "$tmp/trace" setpriv --reuid=65534 --regid=65534 --clear-groups "$restorepointd" demo --emulator "$emulator" --demo-dir "$demo_dir" \
  --seconds "$seconds" > "$tmp/demo.out" 2>&1 || { tail -20 "$tmp/demo.out"; echo "check-syscalls: the demo failed" >&2; exit 1; }

# The run process is the one that exec'd `restorepointd run`; its threads are the clones it made after that.
awk '
  / execve\(/ && /, "run"/ { daemon[$1] = 1; next }
  !($1 in daemon) { next }
  /clone3?\(|clone3? resumed>/ && / = [0-9]+$/ { daemon[$NF] = 1 }
  $2 ~ /^<\.\.\./ || $2 ~ /^(\+\+\+|---)/ { next }
  $2 ~ /^socket\(/ { family = $2; sub(/^socket\(/, "", family); sub(/,.*/, "", family); print family > "/dev/stderr" }
  { name = $2; sub(/\(.*/, "", name); print name }
' "$tmp/trace" 2> "$tmp/families" | sort -u > "$tmp/used"
[ -s "$tmp/used" ] || { echo "check-syscalls: found no system call of restorepointd run in the trace" >&2; exit 1; }

refused=$(comm -23 "$tmp/used" "$tmp/permitted")
echo "check-syscalls: restorepointd run made $(wc -l < "$tmp/used") distinct system calls: $(tr '\n' ' ' < "$tmp/used")"
if [ -n "$refused" ]; then
  echo "FAIL: the unit's SystemCallFilter= would refuse: $(echo "$refused" | tr '\n' ' ')" >&2
  exit 1
fi
# RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX.
other=$(sort -u "$tmp/families" | grep -v -x -e AF_INET -e AF_INET6 -e AF_UNIX || true)
if [ -n "$other" ]; then
  echo "FAIL: the unit's RestrictAddressFamilies= would refuse sockets of $(echo "$other" | tr '\n' ' ')" >&2
  exit 1
fi
echo "check-syscalls: socket families used: $(sort -u "$tmp/families" | tr '\n' ' ')"
echo "check-syscalls: every one is allowed by SystemCallFilter=@system-service ~@privileged @resources"
