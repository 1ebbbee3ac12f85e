#!/bin/sh
# Checks the .deb and .rpm that cpack wrote in a build directory: control fields, conffiles, maintainer
# scripts, file lists, lintian; installs the .deb into a throw-away root with dpkg (scripts run chrootless
# with DPKG_ROOT), runs the installed binary's validate in a chroot of that root on the installed
# settings, checks the unit with systemd-analyze verify and security there, then removes and purges.
# Usage: check-package.sh BUILD_DIR SOURCE_DIR        (as root: dpkg --root and chroot need it)
set -eu

build=${1:?usage: check-package.sh BUILD_DIR SOURCE_DIR}
source_dir=${2:?usage: check-package.sh BUILD_DIR SOURCE_DIR}
# Above this systemd-analyze's exposure (0 best, 10 worst) the unit's sandbox has been loosened: fail.
max_exposure=${MAX_EXPOSURE:-2.5}

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

version=$(sed -n 's/^project(restorepointd VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[ -n "$version" ] || { echo "check-package: no project version in $source_dir/CMakeLists.txt" >&2; exit 1; }
deb="$build/restorepointd_${version}-1_$(dpkg --print-architecture).deb"
rpm_file="$build/restorepointd-${version}-1.$(uname -m).rpm"
[ -f "$deb" ] || { echo "check-package: $deb is missing (run cpack in $build)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/restorepointd-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# --- control fields ---------------------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = restorepointd ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "${version}-1" ] || fail "Version is '$(field Version)', the project is $version"
[ "$(field Section)" = admin ] || fail "Section is '$(field Section)'"
[ "$(field Priority)" = optional ] || fail "Priority is '$(field Priority)'"
for dependency in libc6 libssl3 libsystemd0 tzdata procps; do
  case ", $(field Depends)," in
    *", $dependency "* | *", $dependency,"*) ;;
    *) fail "Depends lacks $dependency: $(field Depends)" ;;
  esac
done
[ "$(field Description | wc -l)" -ge 4 ] || fail "Description has no real extended description"
ok "control: $(field Package) $(field Version), Depends: $(field Depends)"

# --- control files: conffiles, maintainer scripts ---------------------------------------------------------
dpkg-deb -e "$deb" "$tmp/control"
printf '/etc/restorepointd/restorepointd.yaml\n' > "$tmp/conffiles.expected"
diff -u "$tmp/conffiles.expected" "$tmp/control/conffiles" || fail "conffiles differ from the expected list"
for script in postinst prerm postrm; do
  [ -x "$tmp/control/$script" ] || { fail "maintainer script $script missing or not executable"; continue; }
  sh -n "$tmp/control/$script" || fail "$script: sh -n reports a syntax error"
  if command -v shellcheck >/dev/null 2>&1; then
    shellcheck -s sh "$tmp/control/$script" || fail "$script: shellcheck"
  fi
done
ok "conffiles and maintainer scripts"

# --- the file list ------------------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||; s|/$||' | sort > "$tmp/files"
for path in /usr/bin/restorepointd /usr/lib/restorepointd/azure-emulator \
  /usr/lib/systemd/system/restorepointd.service /etc/restorepointd/restorepointd.yaml \
  /etc/restorepointd/policies.d /usr/share/man/man8/restorepointd.8.gz \
  /usr/share/man/man5/restorepointd.yaml.5.gz /usr/share/doc/restorepointd/copyright \
  /usr/share/doc/restorepointd/changelog.Debian.gz /usr/share/doc/restorepointd/schema/policy.schema.json \
  /usr/share/doc/restorepointd/schema/restorepointd.schema.json \
  /usr/share/doc/restorepointd/examples/daily-30-days.yaml /usr/share/doc/restorepointd/examples/demo/policies.d \
  /usr/share/lintian/overrides/restorepointd; do
  grep -qx "$path" "$tmp/files" || fail "the .deb lacks $path"
done
if grep -E '^/usr/local|^/work|/build' "$tmp/files"; then fail "the .deb holds build or /usr/local paths"; fi
ok "file list ($(wc -l < "$tmp/files") entries)"

# --- the .rpm, from the same install rules -------------------------------------------------------------------
if [ -f "$rpm_file" ]; then
  rpm -qpl "$rpm_file" 2>/dev/null | sort > "$tmp/rpm-files"
  # Files only: the .rpm leaves the base system's directories (/usr/share/man, ...) to their owners.
  dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\.||' | grep -v '^/usr/share/lintian/' |
    sort > "$tmp/deb-regular"
  rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm_file" 2>/dev/null | awk '$1 !~ /^d/ {print $2}' |
    grep -v '^/usr/share/lintian/' | sort > "$tmp/rpm-regular"
  diff -u "$tmp/deb-regular" "$tmp/rpm-regular" || fail "the .rpm's files differ from the .deb's (diff above)"
  grep -qx /etc/restorepointd/policies.d "$tmp/rpm-files" || fail "the .rpm does not own /etc/restorepointd/policies.d"
  [ "$(rpm -qp --configfiles "$rpm_file" 2>/dev/null)" = /etc/restorepointd/restorepointd.yaml ] ||
    fail "the .rpm's config files: $(rpm -qp --configfiles "$rpm_file" 2>/dev/null)"
  ok "rpm: $(basename "$rpm_file"), $(wc -l < "$tmp/rpm-files") entries"
else
  fail "$rpm_file is missing"
fi

# --- man pages and changelog ------------------------------------------------------------------------------
dpkg-deb -x "$deb" "$tmp/x"
for page in man8/restorepointd.8.gz man5/restorepointd.yaml.5.gz; do
  warnings=$(zcat "$tmp/x/usr/share/man/$page" | groff -man -ww -Tutf8 -z 2>&1)
  [ -z "$warnings" ] || fail "$page: groff: $warnings"
done
top=$(zcat "$tmp/x/usr/share/doc/restorepointd/changelog.Debian.gz" | sed -n '1s/^restorepointd (\([^)]*\)).*/\1/p')
[ "$top" = "${version}-1" ] || fail "changelog.Debian's newest entry is '$top', the package ${version}-1: add an entry"
if readelf -S "$tmp/x/usr/bin/restorepointd" | grep -q '\.debug_'; then fail "/usr/bin/restorepointd is not stripped"; fi
ok "man pages, changelog, stripped binary"

# --- lintian: no errors ----------------------------------------------------------------------------------------
lintian --pedantic --display-info "$deb" > "$tmp/lintian" 2>&1 || true
grep -v '^running with root privileges' "$tmp/lintian" || true
if grep -q '^E:' "$tmp/lintian"; then fail "lintian reports errors"; fi
ok "lintian: $(grep -c '^E:' "$tmp/lintian") errors, $(grep -c '^W:' "$tmp/lintian") warnings, $(grep -c '^I:' "$tmp/lintian") info"

# --- install into a throw-away root -----------------------------------------------------------------------------
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
# The root has no libc6 & co. registered (--force-depends); scripts run outside it with DPKG_ROOT set.
in_root() { dpkg --root="$root" --log="$tmp/dpkg.log" --force-script-chrootless --force-depends "$@" >> "$tmp/dpkg.out" 2>&1; }
in_root -i "$deb" || { cat "$tmp/dpkg.out"; fail "dpkg -i into $root"; }
[ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' restorepointd)" = "install ok installed" ] ||
  fail "restorepointd is not 'install ok installed' in the root"
[ -L "$root/etc/systemd/system/multi-user.target.wants/restorepointd.service" ] ||
  fail "postinst did not enable the unit (no multi-user.target.wants link)"
# A second install is an upgrade: postinst configure gets the old version and must still succeed.
in_root -i "$deb" || { cat "$tmp/dpkg.out"; fail "dpkg -i again (upgrade path)"; }
ok "installed into $root (enabled through deb-systemd-helper with DPKG_ROOT)"

# The installed settings name /etc/... paths, so validate runs in a chroot of the root with the binary's
# libraries and the time zones copied in: the installed binary on the installed files at their real paths.
for lib in $(ldd "$root/usr/bin/restorepointd" | awk '/=>/ {print $3} /^\t\// {print $1}'); do
  cp --parents -L "$lib" "$root/"
done
cp -a --parents /usr/share/zoneinfo "$root/"
if chroot "$root" /usr/bin/restorepointd validate > "$tmp/validate" 2>&1; then
  ok "installed validate on the installed settings: $(tail -n 1 "$tmp/validate")"
else
  cat "$tmp/validate"; fail "the installed restorepointd validate fails on the installed settings"
fi
# A first policy from the examples, as the README's first steps have it.
cp "$root/usr/share/doc/restorepointd/examples/daily-30-days.yaml" "$root/etc/restorepointd/policies.d/"
chroot "$root" /usr/bin/restorepointd validate > "$tmp/validate" 2>&1 ||
  { cat "$tmp/validate"; fail "validate with the example policy daily-30-days.yaml"; }
rm "$root/etc/restorepointd/policies.d/daily-30-days.yaml"

# --- the unit: systemd-analyze verify and security against the installed files ----------------------------------
# A root of only this package lacks the base system's targets and /bin/kill (procps): copied from the host.
cp -P /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.slice "$root/usr/lib/systemd/system/" 2>/dev/null || true
mkdir -p "$root/bin" && cp /bin/kill "$root/bin/kill"
# MANPATH: Documentation=man:... is looked up in the package's own man pages.
if MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" restorepointd.service > "$tmp/verify" 2>&1 &&
  [ ! -s "$tmp/verify" ]; then
  ok "systemd-analyze verify: clean"
else
  cat "$tmp/verify"; fail "systemd-analyze verify"
fi
systemd-analyze security --offline=yes --root="$root" restorepointd.service > "$tmp/security" 2>&1 || true
exposure=$(sed -n 's/.*Overall exposure level for restorepointd.service: \([0-9.]*\).*/\1/p' "$tmp/security")
if [ -z "$exposure" ]; then
  cat "$tmp/security"; fail "systemd-analyze security printed no exposure"
elif awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e > m) }'; then
  grep '✗' "$tmp/security" || true; fail "exposure $exposure is above $max_exposure"
else
  ok "systemd-analyze security: exposure $exposure (at most $max_exposure)"
fi

# --- remove and purge ---------------------------------------------------------------------------------------------
# What a DynamicUser= service leaves: the private state folder and the link to it.
mkdir -p "$root/var/lib/private/restorepointd"
echo state > "$root/var/lib/private/restorepointd/state.db"
ln -s private/restorepointd "$root/var/lib/restorepointd"
in_root -r restorepointd || { cat "$tmp/dpkg.out"; fail "dpkg -r"; }
[ -f "$root/etc/restorepointd/restorepointd.yaml" ] || fail "remove took the conffile (only purge may)"
[ -f "$root/var/lib/private/restorepointd/state.db" ] || fail "remove took the state (only purge may)"
[ ! -e "$root/usr/bin/restorepointd" ] || fail "remove left /usr/bin/restorepointd"
in_root -P restorepointd || { cat "$tmp/dpkg.out"; fail "dpkg -P"; }
for gone in /etc/restorepointd/restorepointd.yaml /var/lib/restorepointd /var/lib/private/restorepointd \
  /etc/systemd/system/multi-user.target.wants/restorepointd.service; do
  if [ -e "$root$gone" ] || [ -L "$root$gone" ]; then fail "purge left $gone"; fi
done
ok "remove kept the configuration and the state; purge removed both and the enablement"

if [ "$failures" -ne 0 ]; then
  echo "check-package: $failures failures" >&2
  exit 1
fi
echo "check-package: all checks passed"
