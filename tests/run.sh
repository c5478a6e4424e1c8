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
results() { find tests -name '*.trs' -exec cat {} + 2>/dev/null | grep -c -E "^:test-result: ($1)" || true; }
pass=$(results PASS)
fail=$(results 'FAIL|ERROR|XPASS')
skip=$(results SKIP)
[ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
