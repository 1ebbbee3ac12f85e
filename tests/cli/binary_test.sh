#!/bin/sh
# End-to-end checks of the installed-style binary: exit codes, stdout and stderr of each command.
# Usage: RESTOREPOINTD=path/to/restorepointd binary_test.sh
set -u
bin=${RESTOREPOINTD:?set RESTOREPOINTD to the binary}
failures=0
err_file=$(mktemp)
passed=0

check() {  # check NAME EXPECTED_EXIT EXPECTED_STDOUT -- command...
  name=$1 want_code=$2 want_out=$3
  shift 4
  out=$("$@" 2>"$err_file")
  code=$?
  if [ "$code" != "$want_code" ] || [ "$out" != "$want_out" ]; then
    echo "FAIL $name: exit $code (want $want_code)"
    echo "  stdout: $out"
    echo "  want:   $want_out"
    echo "  stderr: $(cat "$err_file")"
    failures=$((failures + 1))
  else
    passed=$((passed + 1))
  fi
}

check version 0 "restorepointd 0.1.0" -- "$bin" --version

check calendar 0 "2026-03-29T01:00:00Z
2026-03-30T00:30:00Z" -- \
  "$bin" calendar "30 2 * * *" --timezone Europe/Berlin --from 2026-03-28T12:00:00Z --count 2

check calendar-config-after-subcommand 0 "2026-01-01T04:00:00Z" -- \
  "$bin" calendar "every 4h" --from 2026-01-01T00:00:00Z --count 1 --config /nonexistent.yaml

check calendar-bad-expression 1 "" -- "$bin" calendar "0 24 * * *"

check no-subcommand 2 "" -- "$bin"

retention() { printf '2026-11-24T10:00:00Z\n2026-11-25T10:00:00Z\n2026-11-25T09:00:00Z\n' | "$bin" retention "$@"; }
check retention 0 "2026-11-25T10:00:00Z keep keep_daily,newest
2026-11-25T09:00:00Z prune
2026-11-24T10:00:00Z keep keep_daily" -- retention --keep-daily 7

check retention-negative-count 2 "" -- retention --keep-daily -1

bad_input() { printf '2026-11-24T10:00:00Z\nbogus\n' | "$bin" retention --keep-last 1; }
check retention-bad-input 1 "" -- bad_input

# validate: the shipped examples pass --strict; a broken policy fails with its position on stderr.
config=$(mktemp -d)
mkdir "$config/policies.d"
cp "${SOURCE_DIR:?set SOURCE_DIR to the repository}"/config/examples/*.yaml "$config/policies.d/"
printf 'policies: policies.d\n' > "$config/restorepointd.yaml"
if "$bin" validate --strict --config "$config/restorepointd.yaml" >/dev/null 2>"$err_file"; then
  passed=$((passed + 1))
else
  echo "FAIL validate-examples: $(cat "$err_file")"; failures=$((failures + 1))
fi
printf 'name: x\nretention: {keep_dayly: 1}\n' > "$config/policies.d/zz-broken.yaml"
check validate-broken 1 "" -- "$bin" --config "$config/restorepointd.yaml" validate
if grep -q "zz-broken.yaml:2:13: retention.keep_dayly: unknown key; did you mean keep_daily?" "$err_file"; then
  passed=$((passed + 1))
else
  echo "FAIL validate-broken-message: $(cat "$err_file")"; failures=$((failures + 1))
fi
rm -rf "$config"

rm -f "$err_file"
echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
