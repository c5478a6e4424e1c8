#!/bin/sh
# deps.sh: install the benchmark's peers, INN 2.7 and public-inbox 1.9, from Debian,
# without letting them start daemons (bench/compare runs private instances on
# 127.0.0.1). Only runs apt-get when something is missing. Needs root.
set -e
missing=""
for p in inn2 public-inbox time; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	guard=1
fi
rc=0
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || rc=$?
# shellcheck disable=SC2086
[ $rc -ne 0 ] || apt-get install -y -q $missing || true
# inn2's postinst fails unless inn.conf names a domain (or the host has an FQDN).
if [ -f /etc/news/inn.conf ]; then
	sed -i 's/^#* *domain:.*/domain: bench.invalid/' /etc/news/inn.conf
	dpkg --configure -a || rc=$?
fi
[ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
exit $rc
