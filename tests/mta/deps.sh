#!/bin/sh
# deps.sh: install Debian's Postfix (unconfigured, not started) and swaks for the
# MTA test bed. Only runs apt-get when something is missing. Needs root.
set -e
PKGS="postfix swaks"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "mta deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# "No configuration": the package leaves /etc/postfix/main.cf alone; mta-up.sh writes
# its own instance config from /usr/share/postfix/main.cf.debian.
printf '%s\n' \
	'postfix postfix/main_mailer_type select No configuration' \
	'postfix postfix/mailname string localhost' | debconf-set-selections
# No init system here: forbid the package's service start during install.
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
[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
exit $rc
