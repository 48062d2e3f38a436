#!/usr/bin/env bash
# README's quick-start commands must start on a machine with nothing installed. Each case
# runs a script with a PATH holding only the few programs a minimal Debian has (bash,
# coreutils, grep) and stubs standing in for the package tools, so no python3 and no sudo.
#   fresh_machine_test.sh <corolla source dir>
set -uo pipefail
src=$1
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/tools" "$t/bin"
for tool in bash dirname grep uname cat; do ln -s "$(command -v "$tool")" "$t/bin/$tool"; done
chmod_bin=$(command -v chmod)

expect() {  # expect <case> <wanted output> <actual output>
  if [[ "$2" == "$3" ]]; then
    echo "ok: $1"
  else
    printf 'FAIL: %s\n--- wanted\n%s\n--- got\n%s\n' "$1" "$2" "$3"
    fail=1
  fi
}

# tools/compare: runs tools/setup --perf before anything needs Python (the stub setup
# "installs" a python3 that says how it was called), then hands over to compare.py.
cp "$src/tools/compare" "$t/tools/compare"
cat >"$t/tools/setup" <<STUB
#!$t/bin/bash
echo "setup \$*"
printf '#!%s\necho "python3 \$*"\n' "$t/bin/bash" >"$t/bin/python3"
$chmod_bin +x "$t/bin/python3"
STUB
$chmod_bin +x "$t/tools/setup"
out=$(env -i PATH="$t/bin" "$t/tools/compare" --smoke 2>&1)
expect "compare without python3 runs setup, then compare.py" \
  "$(printf 'setup --perf\npython3 %s/tools/compare.py --smoke' "$t")" "$out"
out=$(env -i PATH="$t/bin" "$t/tools/compare" --no-build --smoke 2>&1)
expect "compare --no-build leaves setup out" "python3 $t/tools/compare.py --no-build --smoke" "$out"
rm "$t/bin/python3"
out=$(env -i PATH="$t/bin" "$t/tools/compare" --help 2>&1; echo "exit $?")
expect "compare --help without python3 says what to run" \
  "$(printf 'compare: error: python3 is not installed; run tools/setup --perf (tools/compare without --no-build, --list or --help runs it)\nexit 1')" "$out"

# tools/setup as a user without sudo (a minimal Debian has none): a clear message, not
# "sudo: command not found" halfway through.
for stub in "id:echo 1000" "dpkg-query:exit 1" "apt-get:exit 0" "apt-cache:exit 0"; do
  printf '#!%s\n%s\n' "$t/bin/bash" "${stub#*:}" >"$t/bin/${stub%%:*}"
  $chmod_bin +x "$t/bin/${stub%%:*}"
done
out=$(env -i PATH="$t/bin" "$t/bin/bash" "$src/tools/setup" 2>&1; echo "exit $?")
expect "setup without root and sudo says so" \
  "$(printf 'tools/setup: installing packages needs root, and sudo is not installed: run tools/setup as root\nexit 1')" "$out"

exit $fail
