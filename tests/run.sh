#!/bin/sh
# run.sh: install what is missing, build, and run the whole test suite (make check).
# Ends with one line "N passed, N failed". Extra arguments go to configure.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CONFAB_BUILD:-$top/build}
sh "$top/contrib/deps.sh"
sh "$top/contrib/build.sh" "$build" "$@"
cd "$build"
rc=0
make -j"$(nproc)" check >check.out 2>&1 || rc=$?
grep -E '^(# |FAIL|ERROR|XPASS)' check.out || true
[ $rc -ne 0 ] && [ -f test-suite.log ] && cat test-suite.log | head -200
pass=$(cat tests/unit/*.trs tests/integration/*.trs 2>/dev/null | grep -c '^:test-result: PASS' || true)
fail=$(cat tests/unit/*.trs tests/integration/*.trs 2>/dev/null | grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' || true)
skip=$(cat tests/unit/*.trs tests/integration/*.trs 2>/dev/null | grep -c '^:test-result: SKIP' || true)
[ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
