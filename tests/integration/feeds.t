# feeds.t: Atom (RFC 4685) and RSS sources, against the real WordPress's feeds, and
# over HTTPS with a test CA (and refused without it).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use JSON::PP;
use Confab qw(free_port);
use WP;

my $data = Confab::srcdir() . '/tests/data';
my $tree = decode_json(do { local $/; open(my $j, '<', "$data/ecatworld-expected-tree.json") or die; <$j> });

# OVER of the whole group -> { msgid => references }
sub refs_of {
	my ($d) = @_;
	my $c = $d->client;
	my $g = $c->cmd('GROUP blogs.feed');
	my ($st, $ov) = $c->mcmd('OVER 1-');
	return ($g, { map { my @x = split /\t/; ($x[4] => $x[5]) } @{ $ov // [] } });
}

sub feed_daemon {
	my ($type, $url, $extra) = @_;
	return Confab->new(start => 0, server => $extra // '', sources => <<"EOS");
[source feed]
type = $type
url = $url
group = blogs.feed
posting = no
EOS
}

SKIP: {
	skip 'WordPress test packages missing or not root', 9 unless WP::available();
	my $wp = WP->new;
	$wp->wp('option', 'posts_per_rss', 100);	# comment feeds list the newest N only
	my $host = '127.0.0.1';

	# Atom: the tree comes from thr:in-reply-to.
	my $d = feed_daemon('atom', $wp->url . '/?feed=atom');
	my ($rc, $out) = $d->confab_cmd('poll', '--source', 'feed');
	is($rc, 0, 'atom: poll succeeds') or diag $out;
	$d->start;
	my ($g, $refs) = refs_of($d);
	like($g, qr/^211 29 /, 'atom: the post and its 28 comments');
	# A feed names the post by its permalink: its id may be a hash of it.
	my ($post) = grep { $refs->{$_} eq '' } keys %$refs;
	my ($p) = ($post // '') =~ /^<p(\d+)\@/;
	ok($p, "atom: the post is $post");
	my $good = 0;
	for my $cm (@{ $tree->{comments} }) {
		my $r = $refs->{"<p$p.c$cm->{id}\@$host>"} // '';
		my $want = $cm->{parent} ? "<p$p.c$cm->{parent}\@$host>" : "<p$p\@$host>";
		$good++ if $r =~ /^\Q$post\E/ && $r =~ /\Q$want\E$/;
	}
	is($good, 28, 'atom: every comment threads under its parent (RFC 4685)');
	($rc, $out) = $d->confab_cmd('poll', '--source', 'feed');
	like($out, qr/(?<!\d)0 published, 0 superseded, 0 withdrawn\b/,
	    'atom: a second poll changes nothing');
	$d->stop;

	# RSS: comment feeds are flat, so comments hang under the post.
	$d = feed_daemon('rss', $wp->url . '/?feed=rss2');
	($rc, $out) = $d->confab_cmd('poll', '--source', 'feed');
	is($rc, 0, 'rss: poll succeeds') or diag $out;
	$d->start;
	($g, $refs) = refs_of($d);
	like($g, qr/^211 29 /, 'rss: the post and its 28 comments');
	($post) = grep { $refs->{$_} eq '' } keys %$refs;
	ok($post, 'rss: one article starts the thread');
	is(scalar(grep { $_ eq $post } values %$refs), 28, 'rss: every comment under the post');
	$d->stop;
	$wp->down;
}

# HTTPS with the test CA: openssl s_server serves a feed whose replies link is local.
SKIP: {
	skip 'openssl not installed', 4 unless -x '/usr/bin/openssl';
	my $dir = tempdir(CLEANUP => 1);
	my $port = free_port();
	my $base = "https://127.0.0.1:$port";
	my $atom = do { local $/; open(my $f, '<', "$data/ecatworld.atom") or die; <$f> };
	$atom =~ s{href="https://e-catworld\.example/[^"]*/feed/atom/"}{href="$base/comments.atom"} or die;
	open(my $f, '>', "$dir/feed.atom") or die; print $f $atom; close $f;
	system('cp', "$data/ecatworld-comments.atom", "$dir/comments.atom") == 0 or die;
	my $pid = fork // die;
	if (!$pid) {
		chdir $dir or die;
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec('openssl', 's_server', '-accept', "127.0.0.1:$port", '-WWW', '-quiet',
		    '-cert', "$data/tls/server.pem", '-key', "$data/tls/server.key") or die;
	}
	for (1 .. 100) { last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port"); sleep 0.05 }

	my $d = feed_daemon('atom', "$base/feed.atom", "ca_file = $data/tls/ca.pem");
	my ($rc, $out) = $d->confab_cmd('poll', '--source', 'feed');
	is($rc, 0, 'https with the test CA: poll succeeds') or diag $out;
	$d->start;
	my ($g) = refs_of($d);
	like($g, qr/^211 29 /, 'https: post and comments imported');
	$d->stop;

	$d = feed_daemon('atom', "$base/feed.atom");
	($rc, $out) = $d->confab_cmd('poll', '--source', 'feed');
	is($rc, 1, 'https with an unknown CA: poll fails');
	like($out, qr/certificate/i, 'and says it is the certificate');
	kill 'TERM', $pid;
	waitpid($pid, 0);
}
done_testing;
