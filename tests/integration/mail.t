# mail.t: mailing-list mode against a real Postfix on loopback (tests/mta): list mail
# in a subscriber's Maildir, replies by mail becoming comments (through Postfix and
# straight over LMTP, swaks), tokens refused at RCPT, subscribe/confirm/unsubscribe,
# and nothing lost or duplicated when confabd is down or a delivery is retried.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use Confab qw(run_cmd);
use MTA;

plan skip_all => 'needs root, postfix and swaks (contrib/deps.sh)' unless MTA::available();

my $mta = MTA->new;
my ($smtp, $lmtp, $mdir) = ($mta->smtp, $mta->lmtp, $mta->dir);
my $list = 'lists.example.test';
my $subs = 'subs.example.test';

my $d = Confab->new(
    import => [Confab::srcdir() . '/tests/data/ecatworld.wxr'],
    server => "post_timeout = 3",
    extra => $mta->mail_conf("digest_interval = 4\n"));

sub maildir { $mta->maildir(@_) }
sub wait_mail { $mta->wait_mail(@_) }
sub hdr { my ($m, $h) = @_; return $m =~ /^\Q$h\E:[ \t]*(.*(?:\n[ \t].*)*)/mi ? do { (my $v = $1) =~ s/\n[ \t]+/ /g; $v } : undef }
sub swaks { my $o; my $rc = run_cmd(\$o, 'swaks', '--silent', '1', @_); return ($rc, $o) }
sub post_followup {
	my ($parent, $text, $msgid) = @_;
	my $c = $d->client;
	$c->cmd('POST');
	$c->send("From: Poster <poster\@example.org>\r\nNewsgroups: blogs.ecatworld\r\nSubject: Re: x\r\n"
	    . "Message-ID: $msgid\r\nReferences: <p2481\@e-catworld.example> $parent\r\n\r\n$text\r\n.\r\n");
	return $c->line;
}

# 1. A subscriber receives each new article (not the imported history).
my ($rc, $o) = $d->confab_cmd('subscribe', 'blogs.ecatworld', "alice\@$subs", '--no-confirm');
is($rc, 0, 'subscribe --no-confirm') or diag $o;
($rc, $o) = $d->confab_cmd('subscribers', 'blogs.ecatworld');
like($o, qr/^alice\@\Q$subs\E\tactive\teach\tgroup/m, 'subscribers lists alice, active');
like(post_followup('<p2481.c10404@e-catworld.example>', 'A new comment for the list.',
    '<list-1@example.org>'), qr/^240 /, 'a new comment is posted');
my $m = wait_mail('alice', qr/list-1\@example\.org/);
ok($m, 'alice gets it by mail');
$m //= '';
is(hdr($m, 'Message-ID'), '<list-1@example.org>', 'same Message-ID as the article');
like(hdr($m, 'References') // '', qr/^<p2481\@e-catworld\.example> .*<p2481\.c10404\@e-catworld\.example>$/, 'same References');
is(hdr($m, 'In-Reply-To'), '<p2481.c10404@e-catworld.example>', 'same In-Reply-To');
like(hdr($m, 'From') // '', qr/^"?Poster via E-Cat World"? <blogs\.ecatworld\@\Q$list\E>$/, 'DMARC-safe From: "Name via Blog" <list>');
unlike($m, qr/poster\@example\.org/, 'the poster\'s address is not revealed');
like(hdr($m, 'List-Id') // '', qr/<blogs\.ecatworld\.\Q$list\E>/, 'List-Id');
is(hdr($m, 'List-Post'), "<mailto:blogs.ecatworld\@$list>", 'List-Post');
like(hdr($m, 'List-Unsubscribe') // '', qr/^<mailto:unsubscribe\+[a-z2-7]+\@\Q$list\E>$/, 'List-Unsubscribe');
is(hdr($m, 'Precedence'), 'list', 'Precedence: list');
like(hdr($m, 'Archived-At') // '', qr/#comment-\d+>$/, 'Archived-At');
my ($replyto) = (hdr($m, 'Reply-To') // '') =~ /<(reply\+[a-z2-7]+\@\Q$list\E)>/;
ok($replyto, 'per-recipient Reply-To: reply+TOKEN');
like($m, qr/A new comment for the list\./, 'the body');
like(`grep -c 'to=<alice\@$subs>' $mdir/maillog`, qr/^[1-9]/, 'through Postfix');

# 2. A reply by mail, through Postfix, becomes a comment under the right parent.
($rc, $o) = swaks('--server', "127.0.0.1:$smtp", '--from', "alice\@$subs", '--to', $replyto,
    '--header', "From: Alice <alice\@$subs>", '--header', 'Subject: Re: A new comment',
    '--header', 'Message-Id: <mail-reply-1@subs.example.test>',
    '--body', "Answered by mail.\n\nOn Mon, 1 Jan 2024 at 10:00, Poster via E-Cat World wrote:\n> A new comment for the list.\n");
is($rc, 0, 'swaks through Postfix') or diag $o;
my $st;
for (1 .. 150) { $st = $d->client->cmd('STAT <mail-reply-1@subs.example.test>'); last if $st =~ /^223/; sleep 0.2 }
like($st, qr/^223 /, 'the reply is an article with the mail\'s Message-ID');
my ($os, $ol) = $d->client->mcmd('OVER <mail-reply-1@subs.example.test>');
like((split /\t/, $ol->[0] // '')[5] // '', qr/<list-1\@example\.org>$/, 'threaded under the mailed article');
my ($bs, $body) = $d->client->mcmd('BODY <mail-reply-1@subs.example.test>');
is(join("\n", @{ $body // [] }), 'Answered by mail.', 'quoted tail and attribution trimmed');

# 3. Straight over LMTP, several recipients in one transaction; tokens checked at RCPT.
(my $forged = $replyto) =~ s/reply\+([a-z2-7])/'reply+' . ($1 eq 'a' ? 'b' : 'a')/e;
($rc, $o) = swaks('--protocol', 'LMTP', '--server', "127.0.0.1:$lmtp", '--from', "alice\@$subs",
    '--to', $forged, '--header', "From: <alice\@$subs>", '--body', 'forged');
isnt($rc, 0, 'a forged token is refused');
like($o, qr/550 5\.1\.1/, '... at RCPT with 550 5.1.1');
($rc, $o) = swaks('--protocol', 'LMTP', '--server', "127.0.0.1:$lmtp", '--from', "mallory\@$subs",
    '--to', $replyto, '--header', "From: <mallory\@$subs>", '--header', 'Message-Id: <mallory-1@x>',
    '--body', 'Not alice.');
like($o, qr/550 5\.7\.1/, 'a From: that is not the subscriber is refused');
like($d->client->cmd('STAT <mallory-1@x>'), qr/^430 /, 'nothing posted');
($rc, $o) = swaks('--protocol', 'LMTP', '--server', "127.0.0.1:$lmtp", '--from', "alice\@$subs",
    '--to', "blogs.ecatworld\@$list", '--body', 'new thread');
like($o, qr/550 5\.7\.1/, 'a new thread by mail is refused at RCPT');
($rc, $o) = swaks('--protocol', 'LMTP', '--server', "127.0.0.1:$lmtp", '--from', "alice\@$subs",
    '--to', $replyto, '--header', "From: Alice <alice\@$subs>",
    '--header', 'Message-Id: <lmtp-reply-1@subs.example.test>',
    '--body', "Straight over LMTP.\n-- \nAlice's signature\n");
is($rc, 0, 'a reply straight over LMTP') or diag $o;
like($d->client->cmd('STAT <lmtp-reply-1@subs.example.test>'), qr/^223 /, 'posted at once (durable before 250)');
($bs, $body) = $d->client->mcmd('BODY <lmtp-reply-1@subs.example.test>');
is(join("\n", @{ $body // [] }), 'Straight over LMTP.', 'signature trimmed');

# The same mail again (a retry after a lost 250): one comment.
($rc, $o) = swaks('--protocol', 'LMTP', '--server', "127.0.0.1:$lmtp", '--from', "alice\@$subs",
    '--to', $replyto, '--header', "From: Alice <alice\@$subs>",
    '--header', 'Message-Id: <lmtp-reply-1@subs.example.test>',
    '--body', "Straight over LMTP.\n");
is($rc, 0, 'a retried delivery is accepted');
sub ids_in_group { my $c = $d->client; $c->cmd('GROUP blogs.ecatworld'); my ($s, $l) = $c->mcmd('XHDR Message-ID 1-'); return @{ $l // [] } }
my @ids = ids_in_group();
is(scalar(grep { /lmtp-reply-1/ } @ids), 1, '... but posted once');

# A reply's text is read as a news follow-up's is: its charset converted (Latin-1 as
# Windows-1252), terminal escapes and other controls dropped.
($rc, $o) = swaks('--protocol', 'LMTP', '--server', "127.0.0.1:$lmtp", '--from', "alice\@$subs",
    '--to', $replyto, '--header', "From: Alice <alice\@$subs>",
    '--header', 'Message-Id: <lmtp-latin1@subs.example.test>',
    '--header', 'Content-Type: text/plain; charset=iso-8859-1',
    '--body', "Caf\xe9 \e[31mred\e[0m \x93quoted\x94.\n");
is($rc, 0, 'a Latin-1 reply with escapes') or diag $o;
($bs, $body) = $d->client->mcmd('BODY <lmtp-latin1@subs.example.test>');
is(join("\n", @{ $body // [] }), "Caf\xc3\xa9 [31mred[0m \xe2\x80\x9cquoted\xe2\x80\x9d.",
    '... converted to UTF-8, the escapes gone');

# 4. confab deliver (for MTAs that pipe): sysexits.
my $msg = "From: Alice <alice\@$subs>\nMessage-ID: <pipe-1\@subs.example.test>\nSubject: x\n\nBy pipe.\n";
open(my $p, '|-', Confab::confab(), '-c', $d->conf, 'deliver', '--recipient', $replyto) or die;
print $p $msg;
close $p;
is($? >> 8, 0, 'confab deliver: 0');
like($d->client->cmd('STAT <pipe-1@subs.example.test>'), qr/^223 /, 'posted');
open($p, '|-', Confab::confab(), '-c', $d->conf, 'deliver', '--recipient', "reply+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\@$list") or die;
print $p $msg;
close $p;
is($? >> 8, 67, 'a bad token: 67 (EX_NOUSER)');

# With [mail] require_auth, a reply needs the trusted MTA's DKIM or DMARC pass.
{
	my $cfg = do { local $/; open(my $f, '<', $d->conf) or die; <$f> };
	$cfg =~ s/^\[mail\]$/[mail]\nrequire_auth = mx.example.test/m;
	my $strict = $d->dir . '/strict.conf';
	open(my $f, '>', $strict) or die; print $f $cfg; close $f;
	my $deliver = sub {
		my ($extra, $id) = @_;
		open(my $pp, '|-', Confab::confab(), '-c', $strict, 'deliver', '--recipient', $replyto) or die;
		print $pp "${extra}From: Alice <alice\@$subs>\nMessage-ID: <$id>\nSubject: x\n\nChecked.\n";
		close $pp;
		return $? >> 8;
	};
	is($deliver->('', 'noauth-1@subs.example.test'), 65, 'require_auth: no Authentication-Results, refused');
	is($deliver->("Authentication-Results: mx.example.test; dkim=fail\n", 'noauth-2@subs.example.test'), 65,
	    'require_auth: dkim=fail, refused');
	is($deliver->("Authentication-Results: mx.example.test;\n dmarc=pass header.from=$subs\n",
	    'auth-1@subs.example.test'), 0, 'require_auth: a DMARC pass from the trusted MTA is taken');
	is($deliver->("Authentication-Results: forged.example; dkim=pass\n", 'noauth-3@subs.example.test'), 65,
	    'require_auth: a pass from another authserv-id does not count');
}

# 5. Subscribe by mail: double opt-in, then unsubscribe through List-Unsubscribe.
($rc, $o) = swaks('--server', "127.0.0.1:$smtp", '--from', "bob\@$subs",
    '--to', "blogs.ecatworld+subscribe\@$list", '--header', "From: Bob <bob\@$subs>", '--body', 'subscribe');
is($rc, 0, 'subscribe request by mail');
my $conf = wait_mail('bob', qr/Confirm your subscription/);
ok($conf, 'bob gets a confirmation request (and nothing else)');
($rc, $o) = $d->confab_cmd('subscribers', 'blogs.ecatworld');
like($o, qr/^bob\@\Q$subs\E\tpending/m, 'bob is pending');
# Double opt-in: while pending, bob gets no list mail (alice's copy shows it went out).
post_followup('<p2481.c10401@e-catworld.example>', 'Not for bob yet.', '<list-pending@example.org>');
ok(wait_mail('alice', qr/list-pending\@example\.org/), 'a list mail while bob is pending');
sleep 1;
my @bob = maildir('bob');
is(scalar(@bob), 1, 'bob has one mail, the confirmation request');
ok(!grep({ /list-pending/ } @bob), '... not the list mail');
my ($caddr) = (hdr($conf // '', 'Reply-To') // '') =~ /<(confirm\+[a-z2-7]+\@\Q$list\E)>/;
ok($caddr, 'the confirmation has a confirm+TOKEN Reply-To');
($rc, $o) = swaks('--server', "127.0.0.1:$smtp", '--from', "bob\@$subs", '--to', $caddr,
    '--header', "From: <bob\@$subs>", '--body', 'yes');
sub subs_until {	# poll confab subscribers until it matches (or not)
	my ($re, $want) = @_;
	my $out = '';
	for (1 .. 150) {
		(undef, $out) = $d->confab_cmd('subscribers', 'blogs.ecatworld');
		last if ($out =~ $re) == $want;
		sleep 0.2;
	}
	return $out;
}
$o = subs_until(qr/^bob\@\Q$subs\E\tactive/m, 1);
like($o, qr/^bob\@\Q$subs\E\tactive/m, 'confirmed: active');
post_followup('<p2481.c10401@e-catworld.example>', 'For alice and bob.', '<list-2@example.org>');
$m = wait_mail('bob', qr/list-2\@example\.org/);
ok($m, 'bob receives list mail now');
my ($uaddr) = (hdr($m // '', 'List-Unsubscribe') // '') =~ /<mailto:([^>]+)>/;
($rc, $o) = swaks('--server', "127.0.0.1:$smtp", '--from', "bob\@$subs", '--to', $uaddr, '--body', 'unsubscribe');
$o = subs_until(qr/^bob\@/m, 0);
unlike($o, qr/^bob\@/m, 'List-Unsubscribe takes effect at once');

# 6. A daily digest (here every 4 s): one MIME digest with the articles.
($rc, $o) = $d->confab_cmd('subscribe', 'blogs.ecatworld', "carol\@$subs", '--digest', '--no-confirm');
is($rc, 0, 'subscribe --digest');
post_followup('<p2481.c10401@e-catworld.example>', 'Digest one.', '<digest-1@example.org>');
post_followup('<p2481.c10401@e-catworld.example>', 'Digest two.', '<digest-2@example.org>');
$m = wait_mail('carol', qr/digest-2\@example\.org/, 40);
ok($m, 'carol gets a digest');
like(hdr($m // '', 'Content-Type') // '', qr{^multipart/digest; boundary=}, 'a MIME digest');
ok(($m // '') =~ /digest-1\@example\.org/ && ($m // '') =~ /Digest two\./, 'with both articles');
is(scalar(grep { /^Message-ID: <digest-1\@example\.org>/mi } maildir('carol')), 1, 'one mail, not one per article');

# confabd killed right after publishing: the list mail still goes out, once.
like(post_followup('<p2481.c10401@e-catworld.example>', 'Mailed after a crash.', '<crash-mail-1@example.org>'),
    qr/^240 /, 'posted');
$d->stop('KILL');
$d->start;
ok(wait_mail('alice', qr/crash-mail-1\@example\.org/), 'after SIGKILL and restart, the list mail is sent');
sleep 1;
is(scalar(grep { (hdr($_, 'Message-ID') // '') eq '<crash-mail-1@example.org>' } maildir('alice')), 1,
    '... exactly once');

# 7. confabd down: Postfix keeps the reply and it lands once confabd is back.
$d->stop;
($rc, $o) = swaks('--server', "127.0.0.1:$smtp", '--from', "alice\@$subs", '--to', $replyto,
    '--header', "From: Alice <alice\@$subs>", '--header', 'Message-Id: <while-down-1@subs.example.test>',
    '--body', 'Sent while confabd was down.');
is($rc, 0, 'Postfix takes the mail while confabd is down');
sleep 2;
$d->start;
system('postqueue', '-c', "$mdir/etc", '-f');
for (1 .. 150) { $st = $d->client->cmd('STAT <while-down-1@subs.example.test>'); last if $st =~ /^223/; sleep 0.2 }
like($st, qr/^223 /, 'delivered once confabd is back');
is(scalar(grep { /while-down-1/ } ids_in_group()), 1, 'exactly once');
is(scalar(grep { (hdr($_, 'Message-ID') // '') eq '<list-1@example.org>' } maildir('alice')), 1,
    'no list mail was sent twice');
$d->stop;
done_testing;
