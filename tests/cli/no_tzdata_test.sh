#!/bin/sh
# Without Debian's tzdata every command refuses with one clear line and exit 1, instead of aborting on an
# exception from the date library: once with /usr/share/zoneinfo empty, once with it missing (an empty
# tmpfs over /usr/share/zoneinfo, then over /usr/share, in a mount namespace of the test's own). That needs
# root (CI is); elsewhere the test is skipped (exit 77).
# Usage: RESTOREPOINTD=... SOURCE_DIR=... no_tzdata_test.sh
set -u
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
  echo "SKIP: needs root and mount namespaces"
  exit 77
fi
failures=0
for hidden in /usr/share/zoneinfo /usr/share; do
  out=$(unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs tmpfs "$2" && exec "$0" --config "$1" validate' \
    "${RESTOREPOINTD:?}" "${SOURCE_DIR:?}/config/restorepointd.yaml" "$hidden" 2>&1)
  code=$?
  [ "$code" = 1 ] || { echo "FAIL ($hidden hidden): exit $code, expected 1"; failures=$((failures + 1)); }
  case "$out" in
    "restorepointd: the time zone database cannot be read ("*"): install Debian's tzdata (/usr/share/zoneinfo)") ;;
    *) echo "FAIL ($hidden hidden): unexpected output:"; failures=$((failures + 1)) ;;
  esac
  echo "$out"
done
exit "$failures"
