#!/bin/bash
# mta-down.sh DIR: stop the Postfix instance that mta-up.sh started in DIR.
# Safe to run twice, or on a DIR where nothing runs. Leaves DIR's files
# (maillog, maildirs) in place for inspection.
set -u

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 1; }
dir=$1
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd)
etc=$dir/etc pidfile=$dir/spool/pid/master.pid

pid=
[ -f "$pidfile" ] && pid=$(tr -dc 0-9 <"$pidfile")
# Only a master whose command line names this instance's directory is ours.
ours() {
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "master" &&
		[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$dir/spool" ]
}

if ours; then
	[ -f "$etc/main.cf" ] && postfix -c "$etc" stop >/dev/null 2>&1
	for _ in $(seq 50); do ours || break; sleep 0.1; done
	if ours; then
		# Graceful stop failed: kill the master and its children by id.
		for k in $(pgrep -P "$pid" 2>/dev/null); do kill -9 "$k" 2>/dev/null; done
		kill -9 "$pid" 2>/dev/null
	fi
fi
rm -f "$pidfile"
exit 0
