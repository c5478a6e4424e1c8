<?php
/*
 * Router for `php -S 127.0.0.1:PORT -t /usr/share/wordpress router.php`: what
 * Apache's mod_rewrite + .htaccess do for WordPress. Existing files are served
 * as they are; everything else (/wp-json/..., /2012/01/27/slug/, /feed/) goes
 * to index.php so that pretty permalinks and /wp-json/ work.
 * CONFAB_WP_CONFIG (environment) names /etc/wordpress/config-NAME.php, the
 * run's own config (Debian's wp-config.php honours $_SERVER['WORDPRESS_CONFIG']).
 */
if (getenv('CONFAB_WP_CONFIG'))
	$_SERVER['WORDPRESS_CONFIG'] = getenv('CONFAB_WP_CONFIG');
$root = $_SERVER['DOCUMENT_ROOT'];
$path = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
if ($path !== '/' && strpos($path, '..') === false) {
	$f = $root . $path;
	if (is_dir($f) && is_file(rtrim($f, '/') . '/index.php')) {
		$path = rtrim($path, '/') . '/index.php';
		$f = $root . $path;
	}
	if (is_file($f) && substr($f, -4) !== '.php')
		return false;		/* static file: php -S serves it */
	if (!is_file($f))
		$path = '/index.php';
} else {
	$path = '/index.php';
}
/* run PHP ourselves (not `return false`) so WORDPRESS_CONFIG above holds */
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = $path;
$_SERVER['SCRIPT_FILENAME'] = $root . $path;
chdir(dirname($root . $path));
require $root . $path;
