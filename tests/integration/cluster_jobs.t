#!/usr/bin/perl
# cluster_jobs.t: the background work runs once across three confabd on one PostgreSQL
# database: list mail through a real Postfix (each subscriber gets each article once,
# and each article in one digest only, whichever front end it was posted through), and
# a polled source is fetched by one front end at a time (its lease), not by all three.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use IO::Socket::INET;
use Confab qw(free_port);
use PG;
use MTA;

plan skip_all => 'PostgreSQL server packages missing (postgresql)' unless PG::available();
plan skip_all => 'needs root, postfix and swaks (contrib/deps.sh)' unless MTA::available();

my $pg = PG->new;
my $mta = MTA->new;
my $subs = 'subs.example.test';
my $ci = $pg->createdb('jobs');

# A feed server that writes one line per request for /feed to a log.
my $fport = free_port();
my $flog = "$mta->{dir}/feed.log";
my $feed = do { local $/; open(my $f, '<', Confab::srcdir() . '/tests/data/ecatworld.atom') or die; <$f> };
my $fpid = fork // die;
if (!$fpid) {
	my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$fport", Listen => 16,
	    ReuseAddr => 1) or die "feed server: $!";
	while (my $c = $l->accept) {
		my $req = <$c> // next;
		while (my $h = <$c>) { last if $h =~ /^\r?\n$/ }
		my ($path) = $req =~ /^GET (\S+)/;
		if (($path // '') eq '/feed') {
			open(my $lg, '>>', $flog) or die;
			printf $lg "%.2f\n", time;
			close $lg;
			print $c "HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\n"
			    . "Content-Length: " . length($feed) . "\r\nConnection: close\r\n\r\n$feed";
		} else {
			print $c "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		}
		close $c;
	}
	exit 0;
}
END { kill 'KILL', $fpid if $fpid }

my $src = Confab::demo_source() . <<"EOS";

[source feed]
type = atom
url = http://127.0.0.1:$fport/feed
group = blogs.feed
posting = no
poll_interval = 10
EOS
# The first front end takes Postfix's LMTP deliveries; all three send list mail.
my $mail = "[mail]\ndomain = lists.example.test\nrelay = 127.0.0.1:@{[ $mta->smtp ]}\n"
    . "digest_interval = 3\n";
my @d = (Confab->new(backend => 'postgresql', conninfo => $ci, sources => $src,
    import => [Confab::srcdir() . '/tests/data/ecatworld.wxr'], start => 0,
    extra => $mail . "listen_lmtp = 127.0.0.1:@{[ $mta->lmtp ]}\n"));
push @d, Confab->new(share => $d[0], sources => $src, start => 0, extra => $mail) for 1 .. 2;

my ($rc, $o) = $d[0]->confab_cmd('subscribe', 'blogs.ecatworld', "alice\@$subs", '--no-confirm');
is($rc, 0, 'alice subscribes to each article') or diag $o;
($rc, $o) = $d[0]->confab_cmd('subscribe', 'blogs.ecatworld', "carol\@$subs", '--digest', '--no-confirm');
is($rc, 0, 'carol subscribes to the digest') or diag $o;
my $t0 = time;
$_->start for @d;

# 1. Two posts through each front end.
my @ids;
for my $k (0 .. 2) {
	for my $i (1 .. 2) {
		my $id = "<jobs.$k.$i\@cluster.test>";
		my $c = $d[$k]->client;
		$c->cmd('POST');
		$c->send("From: Poster <poster\@example.org>\r\nNewsgroups: blogs.ecatworld\r\n"
		    . "Subject: Re: x\r\nMessage-ID: $id\r\n"
		    . "References: <p2481\@e-catworld.example>\r\n\r\nPost $i through $k.\r\n.\r\n");
		like($c->line, qr/^240 /, "post $id through front end $k");
		push @ids, $id;
	}
}

# count(who, id) -> how many mails in who's Maildir carry that Message-ID line.
sub count {
	my ($who, $id) = @_;
	my $re = qr/^Message-ID: \Q$id\E\s*$/mi;
	return scalar grep { /$re/ } $mta->maildir($who);
}
sub all_came {
	my ($who) = @_;
	my $until = time + 60;
	while (time < $until) {
		return 1 unless grep { count($who, $_) == 0 } @ids;
		sleep 0.2;
	}
	return 0;
}
ok(all_came('alice'), 'alice gets every post by mail');
ok(all_came('carol'), 'carol gets every post in a digest');
# Let the three mailers run a few more rounds: nothing goes out twice.
sleep 8;
for my $id (@ids) {
	is(count('alice', $id), 1, "alice got $id once");
	is(count('carol', $id), 1, "carol got $id in one digest");
}
ok(!(grep { !m{^Content-Type: multipart/digest}mi } $mta->maildir('carol')),
    'carol got digests only');
is(scalar(grep { /^Message-ID: <jobs\./mi } $mta->maildir('alice')), scalar @ids,
    'alice got nothing else');

# 2. The feed: polled by one front end at a time. Three front ends, each polling every
# 10 s on its own, would fetch it some three times as often.
sleep 1 while time < $t0 + 31;
my @polls;
if (open(my $f, '<', $flog)) { @polls = <$f> }
my $span = time - $t0;
note(scalar(@polls) . " fetches in $span s: " . join(' ', map { sprintf '%.1f', $_ - $t0 } @polls));
cmp_ok(scalar @polls, '>=', 3, 'the feed is polled about every 10 s');
cmp_ok(scalar @polls, '<=', 5, '... by one front end at a time, not by all three');
# (the feed holds the article alone: its comments have a feed of their own)
like($d[$_]->client->cmd('GROUP blogs.feed'), qr/^211 1 1 1 /,
    "front end $_ reads the feed's article, stored once") for 0 .. 2;
is($pg->psql('jobs', "SELECT count(*) FROM leases WHERE name = 'poll:feed'"), 1,
    'one lease for it');

$_->stop for @d;
for my $k (0 .. 2) {
	unlike($d[$k]->log, qr/\berror: |AddressSanitizer|runtime error/, "front end $k: no errors");
}
done_testing;
