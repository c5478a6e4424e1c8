<?php
/*
 * confab test mu-plugin (copied by wp-up.sh into the run's wp-content/mu-plugins/).
 * - no mail leaves the machine: wp_mail() is short-circuited and logged to
 *   DIR/mail.log (one JSON object a line);
 * - anonymous comments are allowed through the REST API (WordPress refuses
 *   them by default: 401 rest_comment_login_required);
 * - comment flood control: WordPress' default 15 s throttle is replaced by the
 *   option confab_flood_seconds (0 = off, the default here). A test sets it with
 *   `php tests/wp/wp.php DIR flood 60`; then a second comment from the same
 *   non-moderator (same user, or same IP/email when anonymous) within 60 s is
 *   refused: REST 400 comment_flood. Admins/moderators are never throttled.
 */
add_filter('pre_wp_mail', function ($ret, $atts) {
	$log = defined('CONFAB_TEST_DIR') ? CONFAB_TEST_DIR . '/mail.log' : null;
	if ($log)
		@file_put_contents($log, json_encode(array(
		    'to' => $atts['to'], 'subject' => $atts['subject'])) . "\n",
		    FILE_APPEND | LOCK_EX);
	return true;
}, 10, 2);

add_filter('rest_allow_anonymous_comments', '__return_true');

remove_filter('comment_flood_filter', 'wp_throttle_comment_flood', 10);
add_filter('comment_flood_filter', function ($flood, $last, $new) {
	$s = (int) get_option('confab_flood_seconds', 0);
	return $flood || ($s > 0 && ($new - $last) < $s);
}, 10, 3);
