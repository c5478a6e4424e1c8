# status.t: what an operator sees (confab status, outbox and mailq): a real WordPress
# stopped, its poll failing and a comment posted over NNTP waiting in the outbox, both
# with the blog's error; WordPress started again, `confab outbox retry` delivers the
# comment exactly once. Then drops, the mail queue, and bad ids.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use Confab qw(free_port);
use WP;

plan skip_all => 'WordPress test packages missing or not root (see tests/wp/README)'
    unless WP::available();

my $wp = WP->new;
my $host = '127.0.0.1';
my $dead = free_port();		# the relay nobody listens on: mail fails, and waits
# retry_interval 600: no automatic retry during the test; only `outbox retry` sends.
my $d = Confab->new(start => 0,
    server => "post_timeout = 3\nretry_interval = 600\n",
    extra => "[mail]\ndomain = lists.example.test\nrelay = 127.0.0.1:$dead\n",
    sources => <<"EOS");
[source ecat]
type = wordpress
url = @{[ $wp->url ]}/
group = blogs.ecatworld
posting = open
poll_interval = 3600
EOS

# The store functions themselves, on PostgreSQL too (the unit test, on its own database).
if ($d->backend eq 'postgresql') {
	local $ENV{CONFAB_TEST_PG} = PG->shared->createdb;
	my $tap = `@{[ Confab::builddir() ]}/tests/unit/test_store_status 2>&1`;
	my $bad = () = $tap =~ /^not ok/mg;
	ok($? == 0 && $bad == 0 && $tap =~ /PostgreSQL: pending and active/,
	    'store status functions pass on PostgreSQL') or diag $tap;
}

my ($rc, $out) = $d->confab_cmd('poll', '--source', 'ecat');
is($rc, 0, 'the blog mirrored') or diag $out;
$d->start;

sub polled_by_daemon {
	my ($rc, $out) = $d->confab_cmd('status', '--json');
	my $j = eval { decode_json($out) } // {};
	return ($j->{sources}[0]{polled_by} // '') =~ /:$d->{pid}$/;
}
my $until = time + 20;
sleep 0.3 while time < $until && !polled_by_daemon();
ok(polled_by_daemon(), 'the running confabd polled and recorded it');

sub status_json {
	my ($rc, $out) = $d->confab_cmd('status', '--json');
	my $j = eval { decode_json($out =~ s/^confab: .*\n//mgr) };
	ok($rc == 0 && $j, 'status --json parses') or diag $out;
	return $j // {};
}
sub comments_with { my $t = shift; my $l = $wp->wp('list', 2481, 'all');
	scalar grep { ($_->{content} // '') =~ /\Q$t\E/ } @{ ref $l eq 'ARRAY' ? $l : [] } }
sub post_reply {
	my ($text, $msgid) = @_;
	my $c = $d->client;
	my $s = $c->cmd('POST');
	return $s unless $s =~ /^340/;
	$c->send("From: Olga <olga\@example.org>\r\nNewsgroups: blogs.ecatworld\r\n"
	    . "Subject: Re: Rossi\r\nMessage-ID: $msgid\r\nReferences: <p2481\@$host>\r\n"
	    . "Content-Type: text/plain; charset=UTF-8\r\n\r\n$text\r\n.\r\n");
	my $r = $c->line;
	$c->cmd('QUIT');
	return $r;
}
sub outbox_entry {	# the entry of a Message-ID in status --json, once it was tried
	my ($msgid, $secs) = @_;
	my $until = time + ($secs // 15);
	while (time < $until) {
		my ($rc, $out) = $d->confab_cmd('status', '--json');
		my $j = eval { decode_json($out) } // {};
		my ($e) = grep { $_->{msgid} eq $msgid } @{ $j->{outbox}{entries} // [] };
		return $e if $e && $e->{attempts} >= 1 && $e->{last_error};
		sleep 0.3;
	}
	return undef;
}

# 1. The blog's web server stopped: the poll fails, the reply waits.
$wp->stop_web;
($rc, $out) = $d->confab_cmd('poll', '--source', 'ecat');
isnt($rc, 0, 'poll fails with WordPress stopped');
like(post_reply('Written while the blog was down.', '<down1@example.org>'), qr/^240/,
    'a reply is accepted (queued) while the blog is down');
my $e = outbox_entry('<down1@example.org>');
ok($e, 'the outbox entry was tried and failed') or diag $d->log;
my $id = $e ? $e->{id} : 0;

($rc, $out) = $d->confab_cmd('status');
is($rc, 0, 'confab status');
like($out, qr/^  ecat \(wordpress \Q@{[ $wp->url ]}\E\/\): unreachable at /m,
    '... shows the source unreachable');
like($out, qr/^    error: .*(Couldn't connect|refused)/m, '... with the poll error');
like($out, qr/^outbox: 1 pending \(1 failing\)/m, '... the outbox waiting');
like($out, qr/^  #$id ecat post 2481: pending, 1 attempt, next try /m, '... the entry');
like($out, qr/^    last error: .*(Couldn't connect|refused)/m, '... and why it waits');
like($out, qr/^  \S+:$d->{pid}: running, \d+ NNTP/m, '... the front end running');

my $j = status_json();
my ($s) = grep { $_->{name} eq 'ecat' } @{ $j->{sources} };
is($s->{result}, 'unreachable', 'json: the poll result');
like($s->{error} // '', qr/Couldn't connect|refused/, 'json: its error');
ok($s->{fails} >= 1, 'json: a failed run');
ok($s->{last_ok} && $s->{last_ok} <= $s->{last_poll}, 'json: the last good poll kept');
is($j->{outbox}{pending}, 1, 'json: one pending');
is($j->{outbox}{entries}[0]{id}, $id, 'json: the entry');
is($j->{outbox}{entries}[0]{state}, 'pending', 'json: pending');
like($j->{outbox}{entries}[0]{last_error}, qr/Couldn't connect|refused/, 'json: its error');
ok($j->{outbox}{entries}[0]{next_try} > time + 60, 'json: no retry soon by itself');
my ($fe) = grep { $_->{owner} =~ /:$d->{pid}$/ } @{ $j->{frontends} };
ok($fe && $fe->{alive}, 'json: the front end alive');
is($j->{store}{backend}, $d->backend, 'json: the store kind');
is($j->{store}{schema}, 7, 'json: the schema version');
ok($j->{store}{size} > 0, 'json: the store size');

($rc, $out) = $d->confab_cmd('outbox', 'list');
like($out, qr/^$id\s+ecat\s+2481\/0\s+Olga\s+pending\s+1\s.*(Couldn't connect|refused)/m,
    'outbox list shows the entry') or diag $out;

# 2. WordPress back; retry: delivered once, the outbox empty.
$wp->start_web;
is(comments_with('Written while the blog was down.'), 0, 'not on the blog yet');
($rc, $out) = $d->confab_cmd('outbox', 'retry', $id);
is($rc, 0, 'outbox retry') or diag $out;
like($out, qr/entry $id due now/, '... says so');
$until = time + 20;
sleep 0.5 while time < $until && comments_with('Written while the blog was down.') == 0;
is(comments_with('Written while the blog was down.'), 1, 'the comment is on the blog');
sleep 6;	# another scan or two: nothing sent twice
is(comments_with('Written while the blog was down.'), 1, '... exactly once');
$j = status_json();
is($j->{outbox}{pending}, 0, 'status: the outbox empty');
is($j->{outbox}{delivered}, 1, 'status: one delivered');
($rc, $out) = $d->confab_cmd('outbox', 'retry', $id);
is($rc, 1, 'retrying a delivered entry fails');
like($out, qr/entry $id was delivered already/, '... and says why');
($rc, $out) = $d->confab_cmd('outbox', 'drop', $id);
is($rc, 1, 'a delivered entry is not dropped');
($rc, $out) = $d->confab_cmd('poll', '--source', 'ecat');
is(status_json()->{sources}[0]{result}, 'ok', 'the next poll is ok again');

# 3. The blog in maintenance (503): the entry waits with that error; dropped, never sent.
$wp->maintenance(1);
like(post_reply('This one is dropped.', '<drop1@example.org>'), qr/^240/, 'queued (503)');
$e = outbox_entry('<drop1@example.org>');
like($e ? $e->{last_error} : '', qr/HTTP 503/, 'its error is the blog\'s 503');
($rc, $out) = $d->confab_cmd('outbox', 'drop', $e ? $e->{id} : 0);
is($rc, 0, 'outbox drop') or diag $out;
$wp->maintenance(0);
($rc, $out) = $d->confab_cmd('outbox', 'retry', 'all');
is($rc, 0, 'outbox retry all');
like($out, qr/^0 entries due now/m, '... nothing left to retry');
sleep 6;
is(comments_with('This one is dropped.'), 0, 'a dropped entry never reaches the blog');
($rc, $out) = $d->confab_cmd('outbox', 'list');
unlike($out, qr/^\d+\s+ecat\s/m, 'outbox list is empty');

# 4. Bad ids.
for my $q ('outbox', 'mailq') {
	for my $cmd ('retry', 'drop') {
		($rc, $out) = $d->confab_cmd($q, $cmd, 987654);
		is($rc, 1, "$q $cmd of no such id: exit 1");
		like($out, qr/$q: no entry 987654/, '... and a message');
	}
	($rc, $out) = $d->confab_cmd($q, 'retry', 'x1');
	is($rc, 2, "$q retry x1: a usage error");
	($rc, $out) = $d->confab_cmd($q, 'frob');
	is($rc, 2, "$q frob: a usage error");
}

# 5. The mail queue: a confirmation to a relay that does not answer.
($rc, $out) = $d->confab_cmd('subscribe', 'blogs.ecatworld', 'mia@example.org');
is($rc, 0, 'subscribe (a confirmation mail queued)') or diag $out;
my ($mq, $mid);
$until = time + 20;
while (time < $until) {
	(undef, $mq) = $d->confab_cmd('mailq', 'list');
	last if $mq =~ /^(\d+)\s+prepared\s+mia\@example.org\s+blogs.ecatworld\s+failed\s+1\s/m;
	sleep 0.5;
}
($mid) = $mq =~ /^(\d+)\s+prepared\s+mia\@example.org\s+blogs.ecatworld\s+failed\s+1\s/m;
ok($mid, 'mailq list: the mail failed once, with its error') or diag $mq;
like($mq, qr/^$mid\s.*\S+$/m, '... the error shown');
$j = status_json();
is($j->{mailq}{failed}, 1, 'status: one failed mail');
is($j->{mailq}{entries}[0]{address}, 'mia@example.org', 'status: to whom');
ok($j->{mailq}{entries}[0]{last_error}, 'status: why');
my ($g) = grep { $_->{group} eq 'blogs.ecatworld' } @{ $j->{subscribers} };
is($g->{pending}, 1, 'status: one pending subscriber');
($rc, $out) = $d->confab_cmd('mailq', 'retry', $mid);
is($rc, 0, 'mailq retry') or diag $out;
my $due = status_json()->{mailq}{entries}[0]{next_try} // 0;
ok($due <= time + 1, 'the mail is due now');
$until = time + 10;
while (1) {	# not while it is being sent
	($rc, $out) = $d->confab_cmd('mailq', 'drop', $mid);
	last if $rc == 0 || $out =~ /no entry/ || time > $until;
	sleep 0.2;
}
is($rc, 0, 'mailq drop') or diag $out;
($rc, $out) = $d->confab_cmd('mailq', 'list');
unlike($out, qr/^$mid\s/m, 'the mail is gone');
is(status_json()->{mailq}{failed}, 0, 'status: no failed mail');

# 6. A front end that stops cleanly removes its heartbeat.
my $pid = $d->{pid};
$d->stop;
$j = status_json();
ok(!grep({ $_->{owner} =~ /:$pid$/ } @{ $j->{frontends} }), 'a stopped confabd is not '
    . 'listed');

done_testing;
