#!/bin/bash
# mta-up.sh DIR SMTP_PORT LMTP_PORT LIST_DOMAIN [SUB_DOMAIN]
#
# Starts a private Postfix instance on loopback as a test bed for confab's
# mailing-list mode; mta-down.sh DIR stops it. Everything lives under DIR:
#   DIR/etc       config_directory (main.cf, master.cf, maps)
#   DIR/spool     queue_directory      DIR/data  data_directory
#   DIR/maildirs  mail to ANY-LOCALPART@SUB_DOMAIN (a virtual mailbox domain) is
#                 delivered to DIR/maildirs/LOCALPART/new/ (Maildir; localpart
#                 lowercased, [a-z0-9][a-z0-9._+=-]*, others rejected at RCPT).
#                 Failure hooks by local part: reject-* is refused at RCPT (550),
#                 bounce-* is accepted then bounced (DSN to the envelope sender),
#                 defer-* is accepted and deferred (retried every 1-5 s).
#   DIR/maillog   maillog_file (no syslogd needed)
#   DIR/mta.env   shell-sourceable MTA_* variables
# smtpd listens on 127.0.0.1:SMTP_PORT only. Mail for LIST_DOMAIN is relayed
# over LMTP to 127.0.0.1:LMTP_PORT (several recipients in one transaction);
# everything else goes to the error transport and bounces: no connection ever
# leaves 127.0.0.1. The default instance (/etc/postfix) is neither used nor
# changed; only Debian's templates are copied from /usr/share/postfix.
# Needs root and Debian's postfix package (tests/mta/deps.sh).
# Environment: MTA_TIMEOUT (seconds to wait for the 220 banner, default 30).
set -eu

die() { echo "mta-up: $*" >&2; exit 1; }

[ $# -eq 4 ] || [ $# -eq 5 ] || die "usage: $0 DIR SMTP_PORT LMTP_PORT LIST_DOMAIN [SUB_DOMAIN]"
dir=$1 smtp_port=$2 lmtp_port=$3 list_domain=$4 sub_domain=${5:-subs.example.test}
here=$(cd "$(dirname "$0")" && pwd)

case $smtp_port$lmtp_port in *[!0-9]*) die "ports must be numbers" ;; esac
case "$list_domain$sub_domain" in *[!A-Za-z0-9.-]*) die "bad domain name" ;; esac
[ "$list_domain" != "$sub_domain" ] || die "LIST_DOMAIN and SUB_DOMAIN must differ"
[ "$(id -u)" -eq 0 ] || die "must run as root (Postfix's master runs as root)"
for cmd in postfix postconf; do
	command -v "$cmd" >/dev/null || die "postfix is not installed (run tests/mta/deps.sh)"
done
getent passwd postfix >/dev/null || die "no 'postfix' user (is Debian's postfix installed?)"
getent group postdrop >/dev/null || die "no 'postdrop' group (is Debian's postfix installed?)"
for f in main.cf.debian master.cf.dist; do
	[ -f "/usr/share/postfix/$f" ] || die "missing /usr/share/postfix/$f"
done

# Maildir deliveries run as this unprivileged user (pipe(8) refuses root).
vuser=nobody
vuid=$(id -u "$vuser") || die "no user $vuser"
vgid=$(id -g "$vuser")

# The port must be free: something answering there would be tested instead of us.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case $dir in *[[:space:]]*) die "DIR must not contain white space: $dir" ;; esac
# A leftover instance from an earlier run in the same DIR: stop it first.
if [ -f "$dir/spool/pid/master.pid" ]; then
	"$here/mta-down.sh" "$dir" >/dev/null 2>&1 || true
fi
port_busy "$smtp_port" && die "127.0.0.1:$smtp_port is already in use"

etc=$dir/etc spool=$dir/spool data=$dir/data maildirs=$dir/maildirs log=$dir/maillog
rm -rf "$etc" "$spool" "$data"
mkdir -p "$etc" "$spool" "$data" "$maildirs"
# The delivery agent (uid $vuser) must reach DIR/maildirs by its full path.
chmod 755 "$dir"
chown postfix: "$data"
chmod 700 "$data"
chown "$vuid:$vgid" "$maildirs"
chmod 700 "$maildirs"
# shellcheck disable=SC2016 # $0 is expanded by the inner shell
if ! su -s /bin/sh -c 'test -w "$0"' "$vuser" "$maildirs" 2>/dev/null; then
	die "$maildirs is not reachable by user $vuser (a parent directory is not searchable by others?)"
fi
: >"$log"

cp /usr/share/postfix/main.cf.debian "$etc/main.cf"
cp /usr/share/postfix/master.cf.dist "$etc/master.cf"

# Maps are plain files read without postmap: texthash and regexp (built in).
printf '%s\tlmtp:inet:127.0.0.1:%s\n' "$list_domain" "$lmtp_port" >"$etc/transport"
# Catch-all for SUB_DOMAIN: every local part of this shape exists. virtual(8)
# refuses $1 substitution in virtual_mailbox_maps (so no per-localpart path from a
# regexp); delivery is therefore done by pipe(8) + maildir-deliver.pl instead.
re_domain=$(printf '%s' "$sub_domain" | sed 's/\./\\./g')
{
	echo 'if !/^reject-/'
	printf '/^[a-z0-9][a-z0-9._+=-]*@%s$/\tOK\n' "$re_domain"
	echo 'endif'
} >"$etc/virtual_mailbox"
install -m 755 "$here/maildir-deliver.pl" "$etc/maildir-deliver.pl"

pc() { postconf -c "$etc" "$@"; }
pc -e \
	"compatibility_level = 3.6" \
	"config_directory = $etc" \
	"queue_directory = $spool" \
	"data_directory = $data" \
	"mail_owner = postfix" \
	"setgid_group = postdrop" \
	"myhostname = mta.test" \
	"mydomain = test" \
	"myorigin = \$myhostname" \
	"mydestination =" \
	"inet_interfaces = loopback-only" \
	"inet_protocols = ipv4" \
	"smtp_bind_address = 127.0.0.1" \
	"lmtp_bind_address = 127.0.0.1" \
	"mynetworks = 127.0.0.0/8 [::1]/128" \
	"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
	"smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination" \
	"relay_domains = $list_domain" \
	"transport_maps = texthash:$etc/transport" \
	"default_transport = error:outside mail is not delivered by the confab test MTA" \
	"relay_transport = \$default_transport" \
	"smtp_dns_support_level = disabled" \
	"lmtp_dns_support_level = disabled" \
	"virtual_mailbox_domains = $sub_domain" \
	"virtual_mailbox_maps = regexp:$etc/virtual_mailbox" \
	"virtual_transport = maildir" \
	"maildir_destination_recipient_limit = 1" \
	"alias_maps =" \
	"alias_database =" \
	"local_recipient_maps =" \
	"maillog_file = $log" \
	"maillog_file_prefixes = $dir" \
	"smtputf8_enable = yes" \
	"queue_run_delay = 1s" \
	"minimal_backoff_time = 1s" \
	"maximal_backoff_time = 5s" \
	"maximal_queue_lifetime = 10m" \
	"bounce_queue_lifetime = 10m" \
	"delay_warning_time = 0" \
	"in_flow_delay = 0" \
	"smtpd_error_sleep_time = 0" \
	"smtpd_client_connection_rate_limit = 0" \
	"lmtp_connect_timeout = 5s" \
	"biff = no"
# lmtp_destination_recipient_limit stays at its default (50): one LMTP
# transaction carries up to 50 recipients of one message.

# master.cf: no chroot (its files would have to be copied into DIR/spool), no
# port-25 listener; smtpd on 127.0.0.1:SMTP_PORT only.
pc -MX smtp/inet
pc -F '*/*/chroot = n'
pc -M "127.0.0.1:$smtp_port/inet = 127.0.0.1:$smtp_port inet n - n - - smtpd"
# One recipient per delivery (see maildir_destination_recipient_limit above).
pc -M "maildir/unix = maildir unix - n n - - pipe flags=DRXhu user=$vuser argv=/usr/bin/perl $etc/maildir-deliver.pl $maildirs \${user}"

# Postfix waits (300 ms steps) until a config file is older than a second or so:
# backdate them.
touch -d '-10 seconds' "$etc"/*
postfix -c "$etc" start >>"$log" 2>&1 || { tail -20 "$log" >&2; die "postfix start failed"; }

# Wait for the 220 banner.
timeout=${MTA_TIMEOUT:-30}
deadline=$((SECONDS + timeout))
banner=
while [ $SECONDS -lt $deadline ]; do
	if exec 3<>"/dev/tcp/127.0.0.1/$smtp_port" 2>/dev/null; then
		IFS= read -r -t 5 banner <&3 || true
		printf 'QUIT\r\n' >&3 2>/dev/null || true
		exec 3>&- 3<&-
		case $banner in 220*) break ;; esac
	fi
	sleep 0.1
done
case $banner in
220*) ;;
*)	tail -20 "$log" >&2
	"$here/mta-down.sh" "$dir" >/dev/null 2>&1 || true
	die "smtpd did not answer 220 on 127.0.0.1:$smtp_port within ${timeout}s (got: '$banner')" ;;
esac

cat >"$dir/mta.env" <<EOF
MTA_DIR='$dir'
MTA_SMTP_PORT=$smtp_port
MTA_LMTP_PORT=$lmtp_port
MTA_LIST_DOMAIN=$list_domain
MTA_SUB_DOMAIN=$sub_domain
MTA_MAILDIRS='$maildirs'
MTA_LOG='$log'
MTA_CONFIG_DIR='$etc'
EOF
echo "mta-up: postfix on 127.0.0.1:$smtp_port, $list_domain -> lmtp 127.0.0.1:$lmtp_port, *@$sub_domain -> $maildirs/" >&2
