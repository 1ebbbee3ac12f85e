#!/bin/sh
# `restorepointd demo`, briefly: the daemon against the emulator makes points on both VMs, copies one, stops
# cleanly and prints the status; the demo's folder is gone afterwards.
# Usage: RESTOREPOINTD=... EMULATOR=... DEMO_DIR=... demo_test.sh
set -u
out=$("${RESTOREPOINTD:?}" demo --emulator "${EMULATOR:?}" --demo-dir "${DEMO_DIR:?}" --seconds 12 2>&1)
code=$?
failures=0
expect() {  # expect TEXT: the output has this line part
  case "$out" in
    *"$1"*) ;;
    *) echo "FAIL: no '$1' in the demo's output"; failures=$((failures + 1)) ;;
  esac
}
[ "$code" = 0 ] || { echo "FAIL: exit $code"; failures=$((failures + 1)); }
expect "policy sql VM sql01: create sql-"
expect "policy web VM web01: create web-"
expect "policy web VM web01: copy web-"
expect "% replicated"
expect "policy sql VM sql01: set-instant-access succeeded"
expect "stopped:"
expect '$ restorepointd status'
expect "POLICY  VM"
case "$out" in *Bearer*) echo "FAIL: a token in the output"; failures=$((failures + 1)) ;; esac
if ls -d /tmp/restorepointd-demo-* >/dev/null 2>&1; then
  echo "note: demo folders of other runs exist under /tmp"
fi
if [ "$failures" -ne 0 ]; then
  echo "$out" | tail -40
  exit 1
fi
echo "demo: all checks passed"
