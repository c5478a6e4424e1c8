#!/bin/bash
# wp-down.sh DIR: stop what tests/wp/wp-up.sh DIR started (php -S process group,
# mariadbd) and remove the run's /etc/wordpress config. Keeps DIR (logs, data).
set -u
dir=${1:?usage: wp-down.sh DIR}
[ -f "$dir/wp.env" ] || { echo "wp-down.sh: no $dir/wp.env; nothing to stop" >&2; exit 0; }
WP_PGID= MYSQL_PID= WP_CONFIG_FILE=
. "$dir/wp.env"

gone() { ! kill -0 "$@" 2>/dev/null; }
stop() {	# stop TARGET...: TERM, wait up to 10 s, then KILL
	kill -TERM "$@" 2>/dev/null || return 0
	for i in $(seq 1 100); do gone "$@" && return 0; sleep 0.1; done
	kill -KILL "$@" 2>/dev/null
	for i in $(seq 1 20); do gone "$@" && return 0; sleep 0.1; done
}
[ -n "$WP_PGID" ] && [ "$WP_PGID" -gt 1 ] && stop -- "-$WP_PGID"
if [ -n "$MYSQL_PID" ]; then
	# mariadbd is ours only if its command line names this datadir
	if tr '\0' ' ' <"/proc/$MYSQL_PID/cmdline" 2>/dev/null | grep -qF -- "--datadir=$dir/mysql"; then
		stop "$MYSQL_PID"
	fi
fi
if [ -n "$WP_CONFIG_FILE" ] && [ -f "$WP_CONFIG_FILE" ] &&
   grep -qF "confab-test: written by tests/wp/wp-up.sh for $dir;" "$WP_CONFIG_FILE"; then
	rm -f "$WP_CONFIG_FILE"
fi
# mark the run stopped (wp-up.sh DIR may then start afresh)
sed -i -e '/^WP_PGID=/d' -e '/^WP_PID=/d' -e '/^MYSQL_PID=/d' "$dir/wp.env"
exit 0
