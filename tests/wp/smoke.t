#!/usr/bin/perl
# smoke.t: tests/wp/wp-up.sh brings up a real WordPress (Debian packages) on a
# free loopback port, seeded with the fixture thread; check its REST API the way
# confab uses it, then always tear it down (END). Skips when the packages are
# missing (tests/wp/README lists them).
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../integration";
use Confab qw(free_port);
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IO::Socket::INET;
use HTTP::Tiny;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);

my $here = dirname(abs_path($0));
my $top = abs_path("$here/../..");
plan skip_all => 'WordPress test packages missing (see tests/wp/README)'
    unless -f '/usr/share/wordpress/wp-load.php' && -x '/usr/sbin/mariadbd'
    && !system('php -m 2>/dev/null | grep -qx mysqli');
plan skip_all => 'needs root (writes /etc/wordpress, runs mariadbd)' if $>;

# tempdir short enough for the MariaDB socket path
my $dir = tempdir('wp-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{KEEP});
my $port = free_port();
my $up = 0;
END {
	local $?;
	system("$here/wp-down.sh", $dir) if $up;
	diag("kept $dir") if $ENV{KEEP};
}

# ---- up
my $t = time;
$up = 1;
my $out = `$here/wp-up.sh $dir $port 2>&1`;
my $rc = $? >> 8;
is($rc, 0, 'wp-up.sh exits 0') or BAIL_OUT("wp-up.sh failed:\n$out");
diag(sprintf('wp-up.sh took %.1f s', time - $t));
my %env;
open(my $ef, '<', "$dir/wp.env") or die;
while (<$ef>) { $env{$1} = $2 if /^([A-Z_]+)='(.*)'$/ }
close $ef;
is($env{WP_URL}, "http://127.0.0.1:$port", 'WP_URL');
ok($env{$_}, "wp.env has $_") for qw(WP_PORT WP_ADMIN_USER WP_ADMIN_APP_PASSWORD
    WP_READER_USER WP_READER_APP_PASSWORD WP_PGID MYSQL_PID MYSQL_SOCKET);
my $url = $env{WP_URL};

# a second run on the same port or the same DIR fails clearly
my $dir2 = tempdir('wp-XXXXXX', DIR => '/tmp', CLEANUP => 1);
$out = `$here/wp-up.sh $dir2 $port 2>&1`;
isnt($? >> 8, 0, 'wp-up.sh on a taken port fails');
like($out, qr/port 127\.0\.0\.1:$port is taken/, '... and says so');
$out = `$here/wp-up.sh $dir @{[free_port()]} 2>&1`;
isnt($? >> 8, 0, 'wp-up.sh on a running DIR fails');
like($out, qr/already has a running WordPress/, '... and says so');

# ---- REST helpers
my $http = HTTP::Tiny->new(timeout => 30);
my $json = JSON::PP->new->utf8;
sub auth { my ($u, $p) = @_; 'Basic ' . encode_base64("$u:$p", '') }
my %admin = (Authorization => auth($env{WP_ADMIN_USER}, $env{WP_ADMIN_APP_PASSWORD}));
my %reader = (Authorization => auth($env{WP_READER_USER}, $env{WP_READER_APP_PASSWORD}));
sub req {	# req(METHOD, PATH, {headers}, body-hashref) -> (status, decoded, raw)
	my ($m, $path, $h, $body) = @_;
	my %o = (headers => { %{ $h // {} } });
	if ($body) {
		$o{content} = $json->encode($body);
		$o{headers}{'Content-Type'} = 'application/json';
	}
	my $r = $http->request($m, "$url$path", \%o);
	my $d = eval { $json->decode($r->{content}) };
	return ($r->{status}, $d, $r->{content});
}
sub wp { my $o = `php $here/wp.php $dir @_`; $? == 0 ? $json->decode($o) : undef }

# ---- posts, both URL forms
for my $path ('/wp-json/wp/v2/posts', '/?rest_route=/wp/v2/posts') {
	my ($s, $d) = req(GET => $path);
	is($s, 200, "GET $path");
	is(scalar(@{ $d // [] }), 1, '... one post');
	is($d->[0]{id}, 2481, '... id 2481');
	is($d->[0]{title}{rendered}, 'Rossi Says Production in the US Has Begun', '... title');
	is($d->[0]{date_gmt}, '2012-01-27T09:12:00', '... date_gmt');
	like($d->[0]{content}{rendered}, qr/one-word major announcement/, '... content');
	is($d->[0]{link}, "$url/2012/01/27/rossi-says-production-in-the-us-has-begun/", '... link');
}

# ---- the 28 comments, ids and parents as in the expected tree
my $exp = do {
	local $/;
	open(my $f, '<', "$top/tests/data/ecatworld-expected-tree.json") or die;
	$json->decode(<$f>);
};
sub public_comments {
	my ($s, $d) = req(GET => '/wp-json/wp/v2/comments?post=2481&per_page=100');
	die "comments: $s" unless $s == 200;
	return { map { $_->{id} => $_ } @$d };
}
my $got = public_comments();
is(scalar(keys %$got), 28, '28 comments');
my $same = 1;
for my $c (@{ $exp->{comments} }) {
	my $g = $got->{ $c->{id} };
	unless ($g && $g->{parent} == $c->{parent} && $g->{author_name} eq $c->{author}
	    && "$g->{date_gmt}Z" eq $c->{date_gmt} && $g->{post} == 2481) {
		diag("comment $c->{id} differs");
		$same = 0;
	}
}
ok($same, 'ids, parents, authors, dates match ecatworld-expected-tree.json');
my ($s, $d) = req(GET => '/?rest_route=/wp/v2/comments&post=2481&per_page=100');
is(scalar(@{ $d // [] }), 28, 'comments via ?rest_route= too');

# ---- application passwords (HTTP basic auth over loopback http)
($s, $d) = req(GET => '/wp-json/wp/v2/users/me', \%admin);
is($s, 200, 'users/me as admin');
is($d->{slug}, 'admin', '... is admin');
($s, $d) = req(GET => '/wp-json/wp/v2/users/me?context=edit', \%reader);
is($s, 200, 'users/me as reader');
is_deeply($d->{roles}, ['subscriber'], '... a subscriber');
($s, $d) = req(GET => '/wp-json/wp/v2/users/me');
is($s, 401, 'users/me without auth: 401');
($s, $d) = req(GET => '/wp-json/wp/v2/users/me', { Authorization => auth('admin', 'wrong') });
is($s, 401, 'users/me with a wrong password: 401');

# ---- posting comments
my $admin_body = { post => 2481, parent => 10401, content => 'A reply from the gateway.' };
($s, $d) = req(POST => '/wp-json/wp/v2/comments', \%admin, $admin_body);
is($s, 201, 'POST as admin with parent: 201');
is($d->{parent}, 10401, '... parent kept');
is($d->{status}, 'approved', '... approved');
ok($d->{id} > 10484, "... new id $d->{id}");
ok(public_comments()->{ $d->{id} }, '... visible');

($s, $d) = req(POST => '/wp-json/wp/v2/comments', \%admin, $admin_body);
is($s, 409, 'same comment again: 409');
is($d->{code}, 'comment_duplicate', '... comment_duplicate');

($s, $d) = req(POST => '/wp-json/wp/v2/comments', undef, { post => 2481, parent => 10434,
    author_name => 'New Person', author_email => 'new.person@mail.example',
    content => 'First comment from a stranger.' });
is($s, 201, 'anonymous POST: 201');
is($d->{status}, 'hold', '... held (first comment of an unknown author)');
my $held = $d->{id};
ok(!public_comments()->{$held}, '... not visible');
is(wp("approve $held")->{status}, 'approved', 'wp.php approve');
ok(public_comments()->{$held}, '... now visible');

($s, $d) = req(POST => '/wp-json/wp/v2/comments', undef, { post => 2481,
    author_name => 'Luca Salvarani', author_email => 'luca.salvarani@mail.example',
    content => 'Again me, previously approved.' });
is($s, 201, 'anonymous POST as a previously approved author: 201');
is($d->{status}, 'approved', '... approved at once');

($s, $d) = req(POST => '/wp-json/wp/v2/comments', undef, { post => 2481,
    author_name => 'No Mail', content => 'Who am I?' });
is($s, 400, 'anonymous POST without email: 400');
is($d->{code}, 'rest_comment_author_data_required', '... rest_comment_author_data_required');

($s, $d) = req(POST => '/wp-json/wp/v2/comments', \%reader, { post => 2481,
    content => 'The reader speaks.' });
is($s, 201, 'POST as reader: 201');
is($d->{author_name}, 'Reader Rita', '... under the display name');
is($d->{status}, 'hold', '... held (first comment)');

# ---- flood (switched on by the test)
is(wp('flood 60')->{confab_flood_seconds}, 60, 'wp.php flood 60');
($s, $d) = req(POST => '/wp-json/wp/v2/comments', \%reader, { post => 2481,
    content => 'The reader speaks again, too soon.' });
is($s, 400, 'second comment within the window: 400');
is($d->{code}, 'comment_flood', '... comment_flood');
wp('flood 0');
($s, $d) = req(POST => '/wp-json/wp/v2/comments', \%reader, { post => 2481,
    content => 'The reader speaks again, flood off.' });
is($s, 201, 'flood off: 201');

# ---- closed post
ok(wp('close 2481'), 'wp.php close 2481');
($s, $d) = req(POST => '/wp-json/wp/v2/comments', \%admin, { post => 2481,
    content => 'Too late.' });
is($s, 403, 'comment on a closed post: 403');
is($d->{code}, 'rest_comment_closed', '... rest_comment_closed');
wp('open 2481');

# ---- edit, trash, get, list
is(wp('edit 10401 "Edited by the moderator."')->{content}, 'Edited by the moderator.', 'wp.php edit');
is(public_comments()->{10401}{content}{rendered}, "<p>Edited by the moderator.</p>\n", '... REST shows it');
is(wp('trash 10484')->{status}, 'trash', 'wp.php trash');
ok(!public_comments()->{10484}, '... gone from REST');
is(wp('get 10404')->{author_email}, 'luca.salvarani@mail.example', 'wp.php get');
my $all = wp('list 2481');
is(scalar(@$all), 28 + 5, 'wp.php list: every status');
is(scalar(grep { $_->{status} eq 'hold' } @$all), 2, '... two held (the reader comments)');

# ---- down
is(system("$here/wp-down.sh", $dir), 0, 'wp-down.sh');
$up = 0;
ok(!kill(0, $env{MYSQL_PID}), 'mariadbd gone');
ok(!kill(0, -$env{WP_PGID}), 'php -S process group gone');
ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 2),
    'port closed');
ok(!-e $env{WP_CONFIG_FILE}, 'per-run config removed');
done_testing();
