<?php
/*
 * boot.php: load WordPress for a run started by wp-up.sh, from php-cli.
 * wp_boot(DIR) reads DIR/wp.env (KEY='value' lines), fakes the HTTP request
 * Debian's wp-config.php needs (Host header -> config file) and loads wp-load.php.
 */
function wp_env_read($dir)
{
	$env = array();
	$lines = @file("$dir/wp.env", FILE_IGNORE_NEW_LINES);
	if ($lines === false) {
		fwrite(STDERR, "no $dir/wp.env: is WordPress up (tests/wp/wp-up.sh)?\n");
		exit(2);
	}
	foreach ($lines as $l)
		if (preg_match("/^([A-Z_]+)='(.*)'$/", $l, $m))
			$env[$m[1]] = str_replace("'\\''", "'", $m[2]);
	return $env;
}

function wp_boot($dir)
{
	$env = wp_env_read($dir);
	$_SERVER['HTTP_HOST'] = '127.0.0.1:' . $env['WP_PORT'];
	$_SERVER['SERVER_NAME'] = '127.0.0.1';
	$_SERVER['SERVER_PORT'] = $env['WP_PORT'];
	$_SERVER['REQUEST_URI'] = '/';
	$_SERVER['REQUEST_METHOD'] = 'GET';
	$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
	$_SERVER['WORDPRESS_CONFIG'] = $env['WP_CONFIG_NAME'];
	return $env;
}
