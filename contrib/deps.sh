#!/bin/sh
# deps.sh [--demo] [--with-fuzz] [--bench]: install the Debian 12 packages confab needs
# to build, test and run (--demo: only what building and running it needs, and the
# newsreaders slrn and tin, as contrib/demo.sh wants; --with-fuzz: and clang for the
# libFuzzer harnesses; --bench: only the benchmark's peers, INN and public-inbox).
# chromium and chromium-driver are the browser of tests/integration/http.t; prometheus
# is there only for its promtool, which checks /metrics (without recommends: some
# 100 MB). Only runs apt-get when something is missing. Needs root. Services are never
# started: the tests and benchmarks run their own instances on loopback.
set -e
BUILD="build-essential autoconf automake pkg-config
libevent-dev libssl-dev libetpan-dev libsqlite3-dev libpq-dev libxml2-dev
libcurl4-gnutls-dev libjansson-dev libinih-dev zlib1g-dev libcrypt-dev libsystemd-dev"
PKGS="$BUILD sqlite3 postgresql
systemd perl openssl slrn tin tmux suck
wordpress mariadb-server php-cli php-mysql curl
postfix swaks
chromium chromium-driver prometheus"
bench="" fuzz=""
for a in "$@"; do
	case $a in
	--demo) PKGS="$BUILD slrn tin" ;;
	--with-fuzz) fuzz=" clang libclang-rt-14-dev" ;;
	--bench) bench=1 ;;
	*) echo "usage: deps.sh [--demo] [--with-fuzz] [--bench]" >&2; exit 2 ;;
	esac
done
[ -n "$bench" ] && PKGS="inn2 public-inbox time"
PKGS="$PKGS$fuzz"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix unconfigured: the tests run their own instance (tests/mta/mta-up.sh).
printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
	'postfix postfix/mailname string localhost' | debconf-set-selections
# wordpress (apache2), mariadb-server, postfix and inn2 would start system daemons on
# install: forbid service starts meanwhile.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	guard=1
fi
rc=0
apt-get update -q || rc=$?
# shellcheck disable=SC2086
[ $rc -eq 0 ] && { apt-get install -y -q --no-install-recommends $missing || rc=$?; }
# inn2's postinst fails unless inn.conf names a domain (or the host has an FQDN).
if [ -n "$bench" ] && [ -f /etc/news/inn.conf ]; then
	sed -i 's/^#* *domain:.*/domain: bench.invalid/' /etc/news/inn.conf
	rc=0
	dpkg --configure -a || rc=$?
fi
[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
exit $rc
