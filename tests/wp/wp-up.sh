#!/bin/bash
# wp-up.sh DIR PORT: a real WordPress on http://127.0.0.1:PORT, from nothing,
# seeded with the fixture thread (tests/data/ecatworld.wxr: post 2481 and its 28
# comments, ids kept). MariaDB runs from DIR/mysql on a unix socket only (no TCP),
# php -S serves /usr/share/wordpress on 127.0.0.1:PORT. Writes DIR/wp.env
# (shell variables) and exits 0 once the REST API shows the thread.
# Stop with tests/wp/wp-down.sh DIR. See tests/wp/README.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fixture=${WP_FIXTURE:-$here/../data/ecatworld.wxr}

die() { echo "wp-up.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: wp-up.sh DIR PORT"
mkdir -p "$1"
dir=$(cd "$1" && pwd)
port=$2
case $port in ''|*[!0-9]*) die "PORT must be a number: $port";; esac
ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
t0=$(ms)
log() { local d=$(( $(ms) - t0 )); printf 'wp-up.sh: [%d.%03ds] %s\n' $((d / 1000)) $((d % 1000)) "$*" >&2; }

for b in mariadbd mariadb-install-db mariadb php curl setsid; do
	command -v $b >/dev/null 2>&1 || [ -x /usr/sbin/$b ] ||
	    die "$b missing: apt-get install wordpress mariadb-server php-cli php-mysql curl"
done
[ -f /usr/share/wordpress/wp-load.php ] || die "no /usr/share/wordpress: apt-get install wordpress"
php -m | grep -qx mysqli || die "php has no mysqli: apt-get install php-mysql"
[ -r "$fixture" ] || die "no fixture $fixture"

# refuse to trample a live run, and a busy port
if [ -f "$dir/wp.env" ]; then
	(
		. "$dir/wp.env"
		if { [ -n "${WP_PGID:-}" ] && kill -0 -- "-$WP_PGID"; } 2>/dev/null ||
		   { [ -n "${MYSQL_PID:-}" ] && kill -0 "$MYSQL_PID"; } 2>/dev/null; then
			exit 1
		fi
	) || die "$dir already has a running WordPress: tests/wp/wp-down.sh $dir first"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	die "port 127.0.0.1:$port is taken"
fi
sock=$dir/mysql.sock
[ ${#sock} -lt 100 ] || die "socket path too long (${#sock} > 99): use a shorter DIR"

# one config file per port: /etc/wordpress/config-confabtest-PORT.php, chosen by
# $_SERVER['WORDPRESS_CONFIG'] (Debian's wp-config.php), so runs on other ports
# and /etc/wordpress/config-127.0.0.1.php are left alone.
cfgname=confabtest-$port
cfg=/etc/wordpress/config-$cfgname.php
[ -w /etc/wordpress ] || die "/etc/wordpress not writable (run as root)"

# clean leftovers of a dead run in DIR
rm -rf "$dir/mysql" "$dir/wp-content" "$dir/wp.env" "$dir"/*.log "$sock"
: >"$dir/wp.env"
env_add() { printf "%s='%s'\n" "$1" "$(printf %s "$2" | sed "s/'/'\\\\''/g")" >>"$dir/wp.env"; }
env_add WP_DIR "$dir"
env_add WP_PORT "$port"
env_add WP_URL "http://127.0.0.1:$port"
env_add WP_CONFIG_NAME "$cfgname"
env_add WP_CONFIG_FILE "$cfg"
env_add MYSQL_SOCKET "$sock"

ok=0
cleanup() { [ $ok = 1 ] || { echo "wp-up.sh: failed; logs in $dir" >&2; "$here/wp-down.sh" "$dir" >&2 || true; }; }
trap cleanup EXIT

# ---- MariaDB: own datadir, unix socket only, as root (no systemd needed)
log "mariadb-install-db"
mariadb-install-db --no-defaults --datadir="$dir/mysql" --user=root \
    --auth-root-authentication-method=socket --skip-test-db \
    >"$dir/mysql-install.log" 2>&1 || { cat "$dir/mysql-install.log" >&2; die "mariadb-install-db failed"; }
log "mariadbd"
setsid /usr/sbin/mariadbd --no-defaults --user=root --datadir="$dir/mysql" \
    --socket="$sock" --skip-networking --pid-file="$dir/mysql.pid" \
    --log-error="$dir/mysql.log" --skip-log-bin \
    --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    </dev/null >/dev/null 2>&1 &
mysql_pid=$!
env_add MYSQL_PID "$mysql_pid"
for i in $(seq 1 300); do
	mariadb --no-defaults -uroot --socket="$sock" -e 'select 1' >/dev/null 2>&1 && break
	kill -0 $mysql_pid 2>/dev/null || { cat "$dir/mysql.log" >&2; die "mariadbd died"; }
	sleep 0.1
done
dbpw=wp-$port-$RANDOM$RANDOM
mariadb --no-defaults -uroot --socket="$sock" <<SQL || die "cannot create database"
CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'wordpress'@'localhost' IDENTIFIED BY '$dbpw';
GRANT ALL ON wordpress.* TO 'wordpress'@'localhost';
SQL

# ---- WordPress config and a private wp-content (mu-plugins, uploads)
mkdir -p "$dir/wp-content/mu-plugins" "$dir/wp-content/plugins" \
    "$dir/wp-content/themes" "$dir/wp-content/uploads"
cp "$here/mu-plugin.php" "$dir/wp-content/mu-plugins/confab-test.php"
salt() { head -c 48 /dev/urandom | base64 | tr -d '\n/+='; }
cat >"$cfg" <<PHP
<?php
/* confab-test: written by tests/wp/wp-up.sh for $dir; wp-down.sh removes it. */
define('CONFAB_TEST_DIR', '$dir');
/* WP->maintenance(1): every web request answers 503 until DIR/maintenance goes. */
if (PHP_SAPI !== 'cli' && file_exists('$dir/maintenance')) {
	header('Retry-After: 1');
	http_response_code(503);
	exit;
}
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', '$dbpw');
define('DB_HOST', 'localhost:$sock');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', 'http://127.0.0.1:$port');
define('WP_SITEURL', 'http://127.0.0.1:$port');
define('WP_CONTENT_DIR', '$dir/wp-content');
define('WP_CONTENT_URL', 'http://127.0.0.1:$port/wp-content');
define('WP_ENVIRONMENT_TYPE', 'local');	/* application passwords over http */
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('FS_METHOD', 'direct');
define('WP_DEBUG', false);	/* true: PHP 8.2 deprecation noise from WP 6.1 */
@ini_set('log_errors', '1');
@ini_set('display_errors', '0');
@ini_set('error_log', '$dir/php-error.log');
define('AUTH_KEY', '$(salt)');
define('SECURE_AUTH_KEY', '$(salt)');
define('LOGGED_IN_KEY', '$(salt)');
define('NONCE_KEY', '$(salt)');
define('AUTH_SALT', '$(salt)');
define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)');
define('NONCE_SALT', '$(salt)');
\$table_prefix = 'wp_';
PHP

# ---- install and seed (php-cli; no HTTP needed)
log "wp_install + seed"
php "$here/setup.php" "$dir" "$fixture" >"$dir/setup.out" 2>"$dir/setup.log" ||
    { cat "$dir/setup.log" >&2; die "setup.php failed"; }
cat "$dir/setup.out" >>"$dir/wp.env"

# ---- php -S on loopback only, in its own process group (workers outlive a
# kill of the master: stop with kill -- -PGID)
log "php -S 127.0.0.1:$port"
CONFAB_WP_CONFIG=$cfgname PHP_CLI_SERVER_WORKERS=${WP_WORKERS:-4} \
    setsid php -S "127.0.0.1:$port" -t /usr/share/wordpress "$here/router.php" \
    </dev/null >"$dir/php-server.log" 2>&1 &
php_pid=$!
sleep 0.2
pgid=
[ -r /proc/$php_pid/stat ] && read -r _ _ _ _ pgid _ </proc/$php_pid/stat
[ -n "$pgid" ] || { cat "$dir/php-server.log" >&2; die "php -S did not start (port $port taken?)"; }
env_add WP_PID "$php_pid"
env_add WP_PGID "$pgid"

# ---- ready when the REST API shows the post and its comments
url=http://127.0.0.1:$port
for i in $(seq 1 100); do
	kill -0 $php_pid 2>/dev/null || { cat "$dir/php-server.log" >&2; die "php -S died (port $port taken?)"; }
	kill -0 $mysql_pid 2>/dev/null || { tail -40 "$dir/mysql.log" >&2; die "mariadbd died"; }
	if curl -sf --max-time 20 -o "$dir/ready.json" "$url/?rest_route=/wp/v2/comments&post=2481&per_page=100" &&
	   [ "$(grep -o '"post":2481' "$dir/ready.json" | wc -l)" -ge 28 ]; then
		ok=1
		break
	fi
	sleep 0.1
done
[ $ok = 1 ] || die "REST API did not show the fixture thread at $url"
rm -f "$dir/ready.json"
log "up: $url (DIR/wp.env)"
cat "$dir/wp.env"
