# wordpress.t: live two-way sync against a real WordPress (tests/wp): the mirror's tree,
# replies posted over NNTP landing on the blog and coming back once with the poster's
# Message-ID, moderation, edits, trash, comments closed, the blog down, and a crash right
# after 240.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use Confab qw(run_cmd);
use WP;
use MTA;

plan skip_all => 'WordPress test packages missing or not root (see tests/wp/README)'
    unless WP::available();

my $t0 = time;
my $wp = WP->new;
diag(sprintf('WordPress up in %.1f s', time - $t0));
my $host = '127.0.0.1';
my $data = Confab::srcdir() . '/tests/data';

# A private Postfix too, when installed, for replies by mail to the blog (section 9).
my $mta = MTA::available() ? eval { MTA->new } : undef;
ok($mta, 'the private Postfix came up') or diag($@) if MTA::available();

my $d = Confab->new(start => 0,
    server => "post_timeout = 3\nretry_interval = 1\n",
    extra => $mta ? $mta->mail_conf : '',
    sources => <<"EOS");
[source ecat]
type = wordpress
url = @{[ $wp->url ]}/
user = admin
app_password_file = @{[ $wp->dir ]}/admin.app
group = blogs.ecatworld
posting = open
poll_interval = 3600
EOS
open(my $f, '>', $wp->dir . '/admin.app') or die;
print $f $wp->env('WP_ADMIN_APP_PASSWORD'), "\n";
close $f;

# 1. Mirror: the tree equals the fixture's.
my ($rc, $out) = $d->confab_cmd('poll', '--source', 'ecat');
is($rc, 0, 'confab poll succeeds') or diag $out;
like($out, qr/ecat: poll done: .* 29 published/, 'poll logs what it published');
$d->start;
my $c = $d->client;
is($c->cmd('GROUP blogs.ecatworld'), '211 29 1 29 blogs.ecatworld', '29 articles mirrored');
my ($st, $ov) = $c->mcmd('OVER 1-29');
my %refs = map { my @x = split /\t/; ($x[4] => $x[5]) } @$ov;
my $tree = decode_json(do { local $/; open(my $j, '<', "$data/ecatworld-expected-tree.json") or die; <$j> });
my $good = 0;
for my $cm (@{ $tree->{comments} }) {
	my $r = $refs{"<p2481.c$cm->{id}\@$host>"} // '';
	my $want = $cm->{parent} ? "<p2481.c$cm->{parent}\@$host>" : "<p2481\@$host>";
	$good++ if $r =~ /^<p2481\@\Q$host\E>/ && $r =~ /\Q$want\E$/;
}
is($good, 28, "every comment threads under its parent");

sub post_reply {
	my ($from, $parent, $text, $msgid) = @_;
	my $cl = $d->client;
	my $s = $cl->cmd('POST');
	return $s unless $s =~ /^340/;
	$cl->send("From: $from\r\nNewsgroups: blogs.ecatworld\r\nSubject: Re: Rossi\r\n"
	    . "Message-ID: $msgid\r\nReferences: <p2481\@$host> $parent\r\n"
	    . "Content-Type: text/plain; charset=UTF-8\r\n\r\n$text\r\n.\r\n");
	my $r = $cl->line;
	$cl->cmd('QUIT');
	return $r;
}
sub wp_comments { my $l = $wp->wp('list', 2481, 'all'); ref $l eq 'ARRAY' ? $l : [] }
sub count_text { my $t = shift; scalar grep { ($_->{content} // $_->{comment_content} // '') =~ /\Q$t\E/ } @{ wp_comments() } }
sub wait_stat {
	my ($id, $want, $secs) = @_;
	my $until = time + ($secs // 20);
	my $r;
	while (time < $until) {
		$r = $d->client->cmd("STAT $id");
		return $r if $r =~ $want;
		sleep 0.2;
	}
	return $r;
}

# 2. A reply posted over NNTP lands on WordPress under the right parent and comes back
#    once, threaded, with the poster's Message-ID.
my $t = time;
my $r = post_reply('Luca Salvarani <luca.salvarani@mail.example>', "<p2481.c10404\@$host>",
    "A reply from a newsreader, first.", '<nntp-reply-1@example.org>');
like($r, qr/^240 /, 'POST answered 240 with the blog\'s verdict');
ok(time - $t < 3, 'verdict before the post timeout');
my ($wc) = grep { ($_->{content} // $_->{comment_content} // '') =~ /from a newsreader, first/ } @{ wp_comments() };
ok($wc, 'the comment is on WordPress');
is($wc->{parent} // $wc->{comment_parent}, 10404, '... under the right parent');
like($wc->{author_name} // $wc->{comment_author} // '', qr/Luca Salvarani/, '... with the poster\'s name');
like(wait_stat('<nntp-reply-1@example.org>', qr/^223/), qr/^223 /, 'the article has the poster\'s Message-ID');
($rc, $out) = $d->confab_cmd('poll', '--source', 'ecat', '--full');
is($rc, 0, 'full re-sync');
like($d->client->cmd('GROUP blogs.ecatworld'), qr/^211 30 /, 'one article, never a duplicate after sync');
my ($hs, $h) = $d->client->mcmd('HEAD <nntp-reply-1@example.org>');
my ($os, $ol) = $d->client->mcmd('OVER <nntp-reply-1@example.org>');
like((split /\t/, $ol->[0])[5], qr/^<p2481\@\Q$host\E> <p2481\.c10401\@\Q$host\E> <p2481\.c10404\@\Q$host\E>$/,
    'References: the parent\'s chain, then the parent');
ok((grep { /^In-Reply-To: <p2481\.c10404\@\Q$host\E>$/ } @$h), 'In-Reply-To the parent');

# 3. A held comment appears only once the blog approves it.
$r = post_reply('New Person <new.person@example.org>', "<p2481.c10401\@$host>",
    "Held until approved.", '<nntp-held-1@example.org>');
like($r, qr/^240 /, 'held comment: 240');
is($d->confab_cmd('poll', '--source', 'ecat', '--full'), 0, 'a full poll while it is held');
like($d->client->cmd('STAT <nntp-held-1@example.org>'), qr/^430 /, 'not shown while held');
my ($held) = grep { ($_->{content} // $_->{comment_content} // '') =~ /Held until approved/ } @{ wp_comments() };
ok($held, 'the held comment is on WordPress');
$wp->wp('approve', $held->{id} // $held->{comment_ID});
$d->confab_cmd('poll', '--source', 'ecat', '--full');
like(wait_stat('<nntp-held-1@example.org>', qr/^223/, 5), qr/^223 /, 'shown after approval, with the poster\'s Message-ID');

# 4. An edit on WordPress supersedes; trash withdraws.
$wp->wp('edit', 10401, '<p>Edited on the blog.</p>');
$wp->wp('trash', 10461);
$d->confab_cmd('poll', '--source', 'ecat', '--full');
like($d->client->cmd("STAT <p2481.c10401.v2\@$host>"), qr/^223 /, 'edit: a new version');
($hs, $h) = $d->client->mcmd("HEAD <p2481.c10401.v2\@$host>");
ok((grep { $_ eq "Supersedes: <p2481.c10401\@$host>" } @$h), 'with Supersedes');
like($d->client->cmd("STAT <p2481.c10401\@$host>"), qr/^430 /, 'old version withdrawn');
like($d->client->cmd("STAT <p2481.c10461\@$host>"), qr/^430 /, 'trashed comment withdrawn');

# 5. Comments closed: the blog's refusal is the poster's answer.
$wp->wp('close', 2481);
$r = post_reply('Luca Salvarani <luca.salvarani@mail.example>', "<p2481.c10404\@$host>",
    "This must be refused.", '<nntp-closed-1@example.org>');
like($r, qr/^441 .*rest_comment_closed/, 'comments closed: 441 with the blog\'s reason');
$wp->wp('open', 2481);

# 6. WordPress not answering: 240, and the comment lands once it is back, exactly once.
$wp->pause;
$t = time;
$r = post_reply('Luca Salvarani <luca.salvarani@mail.example>', "<p2481.c10404\@$host>",
    "Sent while the blog was away.", '<nntp-away-1@example.org>');
like($r, qr/^240 /, 'blog not answering: still 240');
ok(time - $t >= 2.5 && time - $t < 6, 'after the post timeout');
$wp->resume;
like(wait_stat('<nntp-away-1@example.org>', qr/^223/, 40), qr/^223 /, 'delivered once the blog is back');
is(count_text('Sent while the blog was away'), 1, 'exactly one comment on WordPress');

# 7. confabd killed right after 240: after a restart the comment lands exactly once.
$wp->pause;
$r = post_reply('Luca Salvarani <luca.salvarani@mail.example>', "<p2481.c10404\@$host>",
    "Crash right after acceptance.", '<nntp-crash-1@example.org>');
like($r, qr/^240 /, '240 before the crash');
$d->stop('KILL');
$wp->resume;		# WordPress now handles the request the dead confabd sent
sleep 1;
$d->start;
like(wait_stat('<nntp-crash-1@example.org>', qr/^223/, 40), qr/^223 /, 'after restart: the comment is there, with the poster\'s Message-ID');
is(count_text('Crash right after acceptance'), 1, 'exactly one comment on WordPress');
like($d->client->cmd('GROUP blogs.ecatworld'), qr/^211 32 /, 'and one article in the group');

# 8. AUTHINFO as a WordPress user (application password), and posting as that user.
my $rd = $d->client;
is($rd->cmd('AUTHINFO USER ' . $wp->env('WP_READER_USER')), '381 password required', 'AUTHINFO USER');
is($rd->cmd('AUTHINFO PASS wrong-password'), '481 authentication failed', 'a wrong application password is refused');
$rd = $d->client;
$rd->cmd('AUTHINFO USER ' . $wp->env('WP_READER_USER'));
is($rd->cmd('AUTHINFO PASS ' . $wp->env('WP_READER_APP_PASSWORD')), '281 authentication accepted',
    'a WordPress user and application password are accepted');
like($d->log, qr/authenticated as reader \(WordPress user of ecat\)/, 'checked against WordPress');
is($rd->cmd('POST'), '340 send article to be posted; end with <CR-LF>.<CR-LF>', 'POST');
$rd->send("From: Someone Else <someone\@example.org>\r\nNewsgroups: blogs.ecatworld\r\n"
    . "Subject: Re: Rossi\r\nMessage-ID: <nntp-as-reader\@example.org>\r\n"
    . "References: <p2481\@$host> <p2481.c10404\@$host>\r\n\r\nPosted as the reader.\r\n.\r\n");
like($rd->line, qr/^240 /, 'posted');
my ($asr) = grep { ($_->{content} // '') =~ /Posted as the reader/ } @{ wp_comments() };
is($asr->{user_id}, $wp->env('WP_READER_ID'), 'the comment belongs to the WordPress user');
is($asr->{parent}, 10404, '... under the right parent');

# 9. Replies by mail to the blog, through Postfix and LMTP; a refusal is mailed back.
SKIP: {
	skip 'postfix or swaks not installed', 8 unless $mta;
	my $subs = 'subs.example.test';
	my $smtp = $mta->smtp;
	my $wait_mail = sub { $mta->wait_mail('alice', $_[0]) // '' };
	is(scalar $d->confab_cmd('subscribe', 'blogs.ecatworld', "alice\@$subs", '--no-confirm'), 0,
	    'alice subscribes');
	like(post_reply('Luca Salvarani <luca.salvarani@mail.example>', "<p2481.c10404\@$host>",
	    "For the list and the blog.", '<nntp-for-list@example.org>'), qr/^240 /, 'a follow-up');
	my $m = $wait_mail->(qr/nntp-for-list\@example\.org/);
	my ($reply) = $m =~ /^Reply-To: <(reply\+[a-z2-7]+\@lists\.example\.test)>/mi;
	ok($reply, 'alice gets it, with a reply address');
	my ($parent) = grep { ($_->{content} // '') =~ /For the list and the blog/ } @{ wp_comments() };
	my $o;
	run_cmd(\$o, 'swaks', '--silent', '1', '--server', "127.0.0.1:$smtp", '--from', "alice\@$subs",
	    '--to', $reply, '--header', "From: Alice <alice\@$subs>",
	    '--header', 'Message-Id: <mail-to-wp-1@subs.example.test>',
	    '--body', "Replied by mail, to WordPress.\n\nOn Mon, 1 Jan 2024, X wrote:\n> For the list\n");
	my $c;
	for (1 .. 150) {
		($c) = grep { ($_->{content} // '') =~ /Replied by mail, to WordPress/ } @{ wp_comments() };
		last if $c;
		sleep 0.2;
	}
	ok($c, 'the mailed reply is a comment on WordPress');
	is($c->{parent}, $parent->{id}, '... under the article answered');
	unlike($c->{content} // '', qr/For the list/, '... without the quoted tail');
	$wp->wp('close', 2481);
	run_cmd(\$o, 'swaks', '--silent', '1', '--server', "127.0.0.1:$smtp", '--from', "alice\@$subs",
	    '--to', $reply, '--header', "From: Alice <alice\@$subs>",
	    '--header', 'Message-Id: <mail-to-wp-2@subs.example.test>', '--body', 'Too late.');
	my $n = $wait_mail->(qr/Subject: Your reply could not be posted/);
	ok($n, 'comments closed: alice is told her reply was not posted');
	like($n, qr/rest_comment_closed/, '... with the blog\'s reason');
	$wp->wp('open', 2481);
}

$d->stop;
$wp->down;
done_testing;
