<?php
/*
 * wp.php DIR COMMAND [ARGS]: act on the WordPress that tests/wp/wp-up.sh DIR
 * started, from inside (php-cli, as the admin), the way a moderator would in
 * wp-admin. Prints JSON for list/get/newpost; exits 1 with a message on error.
 *
 *   approve ID | hold ID | spam ID | trash ID | untrash ID | delete ID
 *   edit ID CONTENT          (CONTENT "-" reads stdin)
 *   close POST | open POST   (comment_status of a post)
 *   list [POST] [STATUS]     comments, oldest first; STATUS all (default),
 *                            approve, hold, spam, trash
 *   get ID                   one comment
 *   newpost TITLE CONTENT    publish a post as admin; prints it
 *   flood SECONDS            comment flood window (0 = off, the default)
 *   option NAME [VALUE]      read or set an option
 */
require __DIR__ . '/boot.php';
function usage()
{
	fwrite(STDERR, "usage: php wp.php DIR approve|hold|spam|trash|untrash|delete|get ID\n" .
	    "       php wp.php DIR edit ID CONTENT|-\n" .
	    "       php wp.php DIR close|open POST\n" .
	    "       php wp.php DIR list [POST] [all|approve|hold|spam|trash]\n" .
	    "       php wp.php DIR newpost TITLE CONTENT\n" .
	    "       php wp.php DIR flood SECONDS\n" .
	    "       php wp.php DIR option NAME [VALUE]\n");
	exit(2);
}
if ($argc < 3)
	usage();
$dir = $argv[1];
$cmd = $argv[2];
$args = array_slice($argv, 3);
wp_boot($dir);
require '/usr/share/wordpress/wp-load.php';
wp_set_current_user(1);

function fail($m) { fwrite(STDERR, "wp.php: $m\n"); exit(1); }
function json($v) { echo json_encode($v, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n"; }
function arg($i) { global $args; if (!isset($args[$i])) usage(); return $args[$i]; }
function comment_of($id)
{
	$c = get_comment((int) $id);
	if (!$c)
		fail("no comment $id");
	return $c;
}
function cjson($c)
{
	$st = array('1' => 'approved', '0' => 'hold', 'spam' => 'spam', 'trash' => 'trash');
	return array(
		'id' => (int) $c->comment_ID,
		'post' => (int) $c->comment_post_ID,
		'parent' => (int) $c->comment_parent,
		'author_name' => $c->comment_author,
		'author_email' => $c->comment_author_email,
		'author_url' => $c->comment_author_url,
		'user_id' => (int) $c->user_id,
		'date_gmt' => str_replace(' ', 'T', $c->comment_date_gmt),
		'status' => $st[$c->comment_approved] ?? $c->comment_approved,
		'type' => $c->comment_type,
		'content' => $c->comment_content,
	);
}
function status($id, $s)
{
	comment_of($id);
	if (!wp_set_comment_status((int) $id, $s))
		fail("cannot set comment $id to $s");
	clean_comment_cache((int) $id);
	json(cjson(comment_of($id)));
}

switch ($cmd) {
case 'approve':	status(arg(0), 'approve'); break;
case 'hold':	status(arg(0), 'hold'); break;
case 'spam':	status(arg(0), 'spam'); break;
case 'trash':	status(arg(0), 'trash'); break;
case 'untrash':
	comment_of(arg(0));
	wp_untrash_comment((int) arg(0)) or fail('cannot untrash ' . arg(0));
	json(cjson(comment_of(arg(0))));
	break;
case 'delete':
	comment_of(arg(0));
	wp_delete_comment((int) arg(0), true) or fail('cannot delete ' . arg(0));
	json(array('id' => (int) arg(0), 'deleted' => true));
	break;
case 'edit':
	comment_of(arg(0));
	$content = arg(1) === '-' ? stream_get_contents(STDIN) : arg(1);
	$r = wp_update_comment(array('comment_ID' => (int) arg(0),
	    'comment_content' => $content), true);
	if (is_wp_error($r))
		fail($r->get_error_message());
	clean_comment_cache((int) arg(0));
	json(cjson(comment_of(arg(0))));
	break;
case 'close':
case 'open':
	$p = get_post((int) arg(0)) or fail('no post ' . arg(0));
	$r = wp_update_post(array('ID' => $p->ID,
	    'comment_status' => $cmd === 'close' ? 'closed' : 'open'), true);
	if (is_wp_error($r))
		fail($r->get_error_message());
	json(array('id' => $p->ID, 'comment_status' => get_post($p->ID)->comment_status));
	break;
case 'list':
	$q = array('status' => $args[1] ?? 'all', 'orderby' => 'comment_ID',
	    'order' => 'ASC', 'number' => 0);
	if (isset($args[0]) && $args[0] !== '')
		$q['post_id'] = (int) $args[0];
	if ($q['status'] === 'all')
		$q['status'] = array('approve', 'hold', 'spam', 'trash');
	json(array_map('cjson', get_comments($q)));
	break;
case 'get':
	json(cjson(comment_of(arg(0))));
	break;
case 'newpost':
	$id = wp_insert_post(array('post_title' => arg(0), 'post_content' => arg(1),
	    'post_status' => 'publish', 'post_author' => 1), true);
	if (is_wp_error($id))
		fail($id->get_error_message());
	$p = get_post($id);
	json(array('id' => $id, 'link' => get_permalink($id), 'date_gmt' =>
	    str_replace(' ', 'T', $p->post_date_gmt), 'title' => $p->post_title));
	break;
case 'flood':
	update_option('confab_flood_seconds', (int) arg(0));
	json(array('confab_flood_seconds' => (int) get_option('confab_flood_seconds')));
	break;
case 'option':
	if (isset($args[1]))
		update_option(arg(0), $args[1]);
	json(array(arg(0) => get_option(arg(0))));
	break;
default:
	usage();
}
