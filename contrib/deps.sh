#!/bin/sh
# deps.sh: install the Debian 12 packages confab needs to build, test and run.
# Only runs apt-get when something is missing. Needs root.
set -e
PKGS="build-essential autoconf automake pkg-config
libevent-dev libssl-dev libetpan-dev libsqlite3-dev sqlite3 libxml2-dev
libcurl4-gnutls-dev libjansson-dev libinih-dev zlib1g-dev libcrypt-dev libsystemd-dev
systemd perl openssl slrn tin tmux suck
wordpress mariadb-server php-cli php-mysql curl
postfix postfix-pcre swaks"
[ "${1:-}" = "--with-fuzz" ] && PKGS="$PKGS clang libclang-rt-14-dev"
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
# Packages like wordpress (apache2) and mariadb-server would start system daemons on
# install; the tests start their own on loopback, so forbid service starts meanwhile.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	guard=1
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing || rc=$?
[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
exit ${rc:-0}
