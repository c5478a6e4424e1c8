<?php
/*
 * setup.php DIR FIXTURE.wxr: install WordPress for the run in DIR (wp-up.sh
 * calls this), set the options tests rely on, create the users and their
 * application passwords, and seed the fixture thread from the WXR file with its
 * own post and comment ids. Prints KEY='value' lines for DIR/wp.env.
 */
if ($argc != 3) {
	fwrite(STDERR, "usage: php setup.php DIR FIXTURE.wxr\n");
	exit(2);
}
require __DIR__ . '/boot.php';
$dir = $argv[1];
$wxr = file_get_contents($argv[2]);
$env = wp_boot($dir);
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
require_once ABSPATH . 'wp-admin/includes/post.php';

function out($k, $v) { echo "$k='" . str_replace("'", "'\\''", $v) . "'\n"; }
function fail($m) { fwrite(STDERR, "setup.php: $m\n"); exit(1); }

/* ---- the WXR fixture, read with regular expressions (php-xml not needed) */
function tag($xml, $name)
{
	if (!preg_match('/<' . preg_quote($name, '/') . '>(.*?)<\/' .
	    preg_quote($name, '/') . '>/s', $xml, $m))
		return '';
	$v = $m[1];
	if (preg_match('/^<!\[CDATA\[(.*)\]\]>$/s', $v, $c))
		return $c[1];
	return html_entity_decode($v, ENT_QUOTES | ENT_XML1, 'UTF-8');
}
if (!preg_match('/<item>(.*?)<\/item>/s', $wxr, $m))
	fail('no <item> in fixture');
$item = $m[1];
preg_match_all('/<wp:comment>(.*?)<\/wp:comment>/s', $item, $cm);
$site_title = tag($wxr, 'title');

/* ---- install */
$admin_pw = 'confab-admin-pw';
$r = wp_install($site_title, 'admin', 'admin@e-catworld.example', false, '', $admin_pw);
if (empty($r['user_id']))
	fail('wp_install failed');
$admin = (int) $r['user_id'];
wp_set_current_user($admin);	/* unfiltered_html: the post content stays as it is */

/* the defaults wp_install makes: Hello world! (+ its comment), Sample Page, Privacy Policy */
foreach (get_posts(array('post_type' => 'any', 'post_status' => 'any',
    'numberposts' => -1)) as $p)
	wp_delete_post($p->ID, true);
$wpdb->query("DELETE FROM $wpdb->comments");
$wpdb->query("DELETE FROM $wpdb->commentmeta");

$opts = array(
	'blogdescription' => tag($wxr, 'description'),
	'timezone_string' => 'UTC',
	'gmt_offset' => 0,
	'blog_public' => 0,
	'default_comment_status' => 'open',
	'require_name_email' => 1,		/* anonymous: name and email needed */
	'comment_registration' => 0,		/* no login needed to comment */
	'comment_moderation' => 0,		/* not every comment held ... */
	'comment_previously_approved' => 1,	/* ... but a first-time author's is */
	'close_comments_for_old_posts' => 0,	/* the fixture post is from 2012 */
	'comment_max_links' => 2,		/* WordPress default: 3+ links -> held */
	'moderation_keys' => '',
	'disallowed_keys' => '',
	'thread_comments' => 1,
	'thread_comments_depth' => 10,
	'page_comments' => 0,
	'comments_notify' => 0,
	'moderation_notify' => 0,
	'confab_flood_seconds' => 0,		/* see mu-plugin.php */
	'permalink_structure' => '/%year%/%monthnum%/%day%/%postname%/',
);
foreach ($opts as $k => $v)
	update_option($k, $v);
$wp_rewrite->init();
$wp_rewrite->set_permalink_structure($opts['permalink_structure']);
flush_rewrite_rules(false);

/* ---- users with application passwords */
function app_password($uid)
{
	list($pw) = WP_Application_Passwords::create_new_application_password($uid,
	    array('name' => 'confab-test'));
	if (is_wp_error($pw) || !$pw)
		fail('cannot create application password');
	return $pw;
}
out('WP_ADMIN_USER', 'admin');
out('WP_ADMIN_PASSWORD', $admin_pw);
out('WP_ADMIN_APP_PASSWORD', app_password($admin));
foreach (array(array('READER', 'reader', 'subscriber', 'Reader Rita'),
    array('AUTHOR', 'writer', 'author', 'Writer Walt')) as $u) {
	list($key, $login, $role, $name) = $u;
	$uid = wp_insert_user(array('user_login' => $login, 'user_pass' => "confab-$login-pw",
	    'user_email' => "$login@example.test", 'display_name' => $name, 'role' => $role));
	if (is_wp_error($uid))
		fail($uid->get_error_message());
	out("WP_{$key}_USER", $login);
	out("WP_{$key}_PASSWORD", "confab-$login-pw");
	out("WP_{$key}_APP_PASSWORD", app_password($uid));
	out("WP_{$key}_ID", $uid);
}

/* ---- the fixture post, with its own id */
$cat = wp_insert_term('Rossi', 'category', array('slug' => 'rossi'));
$pid = wp_insert_post(array(
	'import_id' => (int) tag($item, 'wp:post_id'),
	'post_title' => tag($item, 'title'),
	'post_name' => tag($item, 'wp:post_name'),
	'post_content' => tag($item, 'content:encoded'),
	'post_excerpt' => tag($item, 'excerpt:encoded'),
	'post_date' => tag($item, 'wp:post_date'),
	'post_date_gmt' => tag($item, 'wp:post_date_gmt'),
	'post_status' => tag($item, 'wp:status'),
	'comment_status' => tag($item, 'wp:comment_status'),
	'post_type' => tag($item, 'wp:post_type'),
	'post_author' => $admin,
	'post_category' => is_wp_error($cat) ? array() : array($cat['term_id']),
), true);
if (is_wp_error($pid) || $pid != (int) tag($item, 'wp:post_id'))
	fail('post not inserted with its fixture id');

/* ---- its comments, with their own ids (direct insert keeps comment_ID) */
foreach ($cm[1] as $c) {
	$ok = $wpdb->insert($wpdb->comments, array(
		'comment_ID' => (int) tag($c, 'wp:comment_id'),
		'comment_post_ID' => $pid,
		'comment_author' => tag($c, 'wp:comment_author'),
		'comment_author_email' => tag($c, 'wp:comment_author_email'),
		'comment_author_url' => tag($c, 'wp:comment_author_url'),
		'comment_author_IP' => tag($c, 'wp:comment_author_IP'),
		'comment_date' => tag($c, 'wp:comment_date'),
		'comment_date_gmt' => tag($c, 'wp:comment_date_gmt'),
		'comment_content' => tag($c, 'wp:comment_content'),
		'comment_karma' => 0,
		'comment_approved' => tag($c, 'wp:comment_approved'),
		'comment_agent' => '',
		'comment_type' => tag($c, 'wp:comment_type') ?: 'comment',
		'comment_parent' => (int) tag($c, 'wp:comment_parent'),
		'user_id' => (int) tag($c, 'wp:comment_user_id'),
	));
	if (!$ok)
		fail('comment insert: ' . $wpdb->last_error);
}
wp_update_comment_count_now($pid);
wp_cache_flush();
out('WP_POST_ID', $pid);
out('WP_COMMENTS', count($cm[1]));
