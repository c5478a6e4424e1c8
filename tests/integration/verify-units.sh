#!/bin/sh
# verify-units.sh: check the systemd units in contrib/ with systemd-analyze verify.
#
# The units are copied into a temporary directory with ExecStart=/ExecReload=
# binaries that exist on this machine (confabd is usually not installed), then
# verified together so that Service= and Sockets= references resolve.  Any
# complaint fails the script.  Exit 77 (automake "skip") without systemd-analyze.
#
# usage: tests/integration/verify-units.sh [CONTRIB_DIR]
set -u

here=$(dirname "$0")
contrib=${1:-${top_srcdir:-$here/../..}/contrib}

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "verify-units: systemd-analyze not found, skipping" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/confab-units.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

true_bin=$(command -v true)
kill_bin=$(command -v kill || echo /bin/kill)
case $kill_bin in /*) ;; *) kill_bin=/bin/kill ;; esac

n=0
for u in "$contrib"/*.service "$contrib"/*.socket; do
	[ -f "$u" ] || continue
	sed -e "s|^ExecStart=/usr/sbin/confabd|ExecStart=$true_bin|" \
	    -e "s|^ExecReload=/bin/kill|ExecReload=$kill_bin|" \
	    "$u" >"$tmp/$(basename "$u")"
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "verify-units: no units in $contrib" >&2
	exit 1
fi

# --man=no: the man pages need not be installed here.  The User= check of
# verify is offline-safe; --recursive-errors=no keeps complaints about units we
# do not ship (network.target etc. on odd hosts) out of the verdict.
out=$(cd "$tmp" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no \
    --recursive-errors=no ./*.service ./*.socket 2>&1)
rc=$?
# Complaints that only concern a missing binary are not ours to judge.
filtered=$(printf '%s\n' "$out" | grep -v -e '^$' \
    -e 'is not executable: No such file or directory' \
    -e 'Command .* is not executable')
if [ -n "$filtered" ] || { [ "$rc" -ne 0 ] && [ -z "$out" ]; }; then
	printf '%s\n' "$out" >&2
	echo "verify-units: FAILED ($n units)" >&2
	exit 1
fi
echo "verify-units: $n units OK"
exit 0
