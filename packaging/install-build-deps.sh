#!/bin/sh
# Installs what restorepointd needs to build and test, from Debian 12 packages only.
# Idempotent: when every package is already installed it returns without touching apt.
# Used by `make demo`, `make test` and the package build (lintian, rpm's rpmbuild, systemd-analyze, man and
# strace check the package and the unit's sandbox).
set -eu

PACKAGES="
  build-essential cmake make ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libyaml-cpp-dev libsqlitecpp-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libcli11-dev
  libhowardhinnant-date-dev tzdata
  libsystemd-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3 python3-jsonschema python3-yaml python3-azure
  lintian rpm systemd man-db groff-base strace shellcheck
"

missing=""
for p in $PACKAGES; do
  # dpkg-query answers "install ok installed" only for a package that is fully installed.
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-build-deps: missing packages:$missing" >&2
  echo "install-build-deps: run as root (or: sudo apt-get install$missing)" >&2
  exit 1
fi

echo "install-build-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
