#!/usr/bin/perl
# cluster.t: three confabd on one PostgreSQL database (a private server, PG.pm): posts
# through all three at once get unique, contiguous numbers and are stored once each; a
# front end killed (-9) in the middle loses and duplicates nothing; a post through one
# is read through the others at once; PostgreSQL restarting costs 4xx answers, not
# hangs, and the front ends carry on; `confab check` says what is wrong with a
# database; `confab store copy` moves a SQLite store keeping numbers and Message-IDs.
use strict;
use warnings;
use Test::More;
use POSIX ":sys_wait_h";
use Time::HiRes qw(sleep time);
use IO::Select;
use IO::Socket::INET;
use Confab qw(run_cmd);
use PG;

plan skip_all => 'PostgreSQL server packages missing (postgresql)' unless PG::available();

my $pg = PG->new;
my $G = 'test.cluster';
my $src = "[source ecatworld]\ntype = local\ngroup = $G\ndomain = e-catworld.example\n"
    . "posting = open\n";
my $ci = $pg->createdb('cluster');
# The fixture thread (29 articles); the posts below are follow-ups to its article.
my $B = 29;
my @d = (Confab->new(backend => 'postgresql', conninfo => $ci, sources => $src,
    import => [Confab::srcdir() . '/tests/data/ecatworld.wxr']));
push @d, Confab->new(share => $d[0], sources => $src) for 1 .. 2;
my $db = sub { $pg->psql('cluster', $_[0]) };

sub article {
	my ($id, $text) = @_;
	return "From: Poster <poster\@example.org>\r\nNewsgroups: $G\r\nSubject: load $id\r\n"
	    . "Message-ID: $id\r\nReferences: <p2481\@e-catworld.example>\r\n\r\n"
	    . "$text\r\n.\r\n";
}

# load(prefix, posts per front end, connections per front end, [kill => front end,
#      after => posts]) -> { msgid => status line } of every post tried.
sub load {
	my ($tag, $per, $conns, %o) = @_;
	my $out = "$d[0]{dir}/load-$tag";
	mkdir $out;
	my @kids;
	for my $k (0 .. $#d) {
		for my $c (1 .. $conns) {
			my $pid = fork // die;
			if (!$pid) {
				open(my $f, '>', "$out/$k-$c") or die;
				$f->autoflush(1);
				my $cl = eval { $d[$k]->client };
				for my $i (1 .. $per / $conns) {
					my $id = "<$tag.$k.$c.$i\@cluster.test>";
					my $st = $cl ? eval {
						my $s = $cl->cmd('POST') // die;
						die $s unless $s =~ /^340/;
						$cl->send(article($id, "post $i of connection $c"));
						$cl->line // die;
					} : undef;
					$st //= 'lost';
					$st =~ s/\r?\n?$//;
					print $f "$id $st\n";
					undef $cl if $st eq 'lost';
				}
				POSIX::_exit(0);	# no destructors: they would stop the servers
			}
			push @kids, $pid;
		}
	}
	if (defined $o{kill}) {
		# Kill one front end once the load is well under way.
		my $until = time + 60;
		while (time < $until && $db->("SELECT count(*) FROM articles") < $o{after}) {
			sleep 0.05;
		}
		$d[$o{kill}]->stop('KILL');
	}
	waitpid($_, 0) for @kids;
	my %r;
	for my $f (glob("$out/*")) {
		open(my $fh, '<', $f) or die;
		while (<$fh>) {
			chomp;
			my ($id, $st) = split / /, $_, 2;
			$r{$id} = $st;
		}
	}
	return \%r;
}

# What the store holds: numbers contiguous from 1 and unique, one per article, and
# every accepted post (240) stored exactly once.
sub check_store {
	my ($what, $r) = @_;
	my ($n, $distinct, $lo, $hi) = split /\|/, $db->("SELECT count(*), count(DISTINCT num),"
	    . " min(num), max(num) FROM numbers WHERE group_id = (SELECT id FROM groups"
	    . " WHERE name = '$G')");
	is($distinct, $n, "$what: no number given twice");
	is($lo, 1, "$what: numbers start at 1");
	is($hi, $n, "$what: numbers are contiguous (1..$n)");
	is($db->("SELECT count(*) FROM articles"), $n, "$what: one number per article");
	my %stored;
	$stored{$_}++ for split /\n/, $db->("SELECT msgid FROM articles");
	my @acc = grep { $r->{$_} =~ /^240 / } keys %$r;
	my @lost = grep { !$stored{$_} } @acc;
	my @twice = grep { $stored{$_} > 1 } keys %stored;
	is(scalar(@lost), 0, "$what: every post answered 240 is stored") or diag("@lost[0 .. 4]");
	is(scalar(@twice), 0, "$what: none is stored twice");
	return (scalar(@acc), $n);
}

# 1. 3 x 2,000 posts at once, four connections per front end.
my $t0 = time;
my $r = load('a', 2000, 4);
my $dt = time - $t0;
my @bad = grep { $r->{$_} !~ /^240 / } keys %$r;
is(scalar(keys %$r), 6000, '6,000 posts tried');
is(scalar(@bad), 0, 'every post accepted (240)') or diag(join("\n", map { "$_ $r->{$_}" } @bad[0 .. 4]));
diag(sprintf('6,000 posts through three front ends in %.1f s (%.0f/s)', $dt, 6000 / $dt));
my ($acc, $n) = check_store('three front ends', $r);
is($n, $B + 6000, 'the fixture and 6,000 posts numbered 1..' . ($B + 6000));
for my $k (0 .. 2) {
	is($d[$k]->client->cmd("GROUP $G"), "211 @{[ $B + 6000 ]} 1 @{[ $B + 6000 ]} $G", "front end $k sees them all");
}

# 2. A post through one front end is read through the others at once, also from
# their overview caches (warmed above).
{
	my @cl = map { my $c = $_->client; $c->cmd("GROUP $G"); $c } @d;
	my ($st) = $cl[1]->mcmd('OVER ' . ($B + 6000));
	like($st, qr/^224 /, 'front end 1 has its overview of the group cached');
	my $s = $cl[0]->cmd('POST');
	$cl[0]->send(article('<fresh@cluster.test>', 'fresh'));
	like($cl[0]->line, qr/^240 /, 'posted through front end 0');
	for my $k (1, 2) {
		like($cl[$k]->cmd('STAT <fresh@cluster.test>'), qr/^223 @{[ $B + 6001 ]} /,
		    "front end $k has it at once, numbered the next");
		is($cl[$k]->cmd("GROUP $G"), "211 @{[ $B + 6001 ]} 1 @{[ $B + 6001 ]} $G", "front end $k: GROUP counts it");
		my ($os, $ol) = $cl[$k]->mcmd('OVER ' . ($B + 6001));
		like($ol->[0] // '', qr/^@{[ $B + 6001 ]}\t.*\t<fresh\@cluster\.test>\t/, "front end $k: OVER has it")
		    or diag($os);
	}
	$_->close for @cl;
}

# 2b. A slow database holds up only the sessions that wait on it: while another client
# holds the articles table locked, ARTICLE waits, and on the same front end a reader
# served from the overview cache, DATE and a new connection are answered at once.
{
	my ($a, $b) = map { my $c = $d[0]->client; $c->cmd("GROUP $G"); $c } 1 .. 2;
	my $last = $B + 6001;
	my ($st) = $b->mcmd("OVER 1-$last");
	like($st, qr/^224 /, 'a reader reads the overview');
	my $until = time + 15;	# kept in memory once a worker has read it
	sleep 0.1 while time < $until && $d[0]->log !~ /overview of group \d+: \d+ lines kept/;
	like($d[0]->log, qr/overview of group \d+: \d+ lines kept/, '... now kept in memory');
	sleep 1;	# (and checked again, if it was kept before: a refresh on a worker)
	my $pid = fork // die;
	if (!$pid) {
		$pg->psql('cluster', 'BEGIN; LOCK TABLE articles IN ACCESS EXCLUSIVE MODE;'
		    . ' SELECT pg_sleep(4); COMMIT');
		POSIX::_exit(0);
	}
	$until = time + 10;
	sleep 0.05 while time < $until && !$db->("SELECT count(*) FROM pg_locks l JOIN pg_class c"
	    . " ON c.oid = l.relation WHERE c.relname = 'articles' AND l.mode = 'AccessExclusiveLock'"
	    . " AND l.granted");
	$a->send("ARTICLE <fresh\@cluster.test>\r\n");
	sleep 0.3;
	my $t = time;
	my ($os, $ol) = $b->mcmd("OVER 1-$last");
	my $over_t = time - $t;
	is(scalar(@{ $ol // [] }), $last, 'the reader gets its OVER from the cache');
	like($b->cmd('DATE'), qr/^111 /, '... and DATE');
	like($d[0]->client->greeting, qr/^20[01] /, 'a new connection is greeted');
	ok(time - $t < 1.5, sprintf('all within %.2f s while the database is locked', time - $t));
	my $rin = '';
	vec($rin, fileno($a->sock), 1) = 1;
	is(select(my $rout = $rin, undef, undef, 0), 0, 'ARTICLE is still waiting for the database');
	my $first = $a->line;
	$a->block;
	like($first // '', qr/^220 \d+ <fresh\@cluster\.test>/, 'and is answered once the lock goes');
	ok(time - $t > 2, sprintf('(after %.1f s)', time - $t));
	waitpid($pid, 0);
	$_->close for $a, $b;
}

# 3. kill -9 of a front end in the middle of 3 x 1,000 more.
$r = load('b', 1000, 4, kill => 2, after => $B + 6001 + 1500);
my @gone = grep { $r->{$_} eq 'lost' } keys %$r;
ok(@gone > 0, sprintf('the killed front end lost %d of its connections\' posts', scalar @gone));
($acc) = check_store('after kill -9', $r);
is(scalar(grep { /^<b\.[01]\./ && $r->{$_} =~ /^240 / } keys %$r), 2000,
    'the two front ends left accepted all their 2,000');
$d[2]->start;
like($d[2]->client->cmd("GROUP $G"), qr/^211 (\d+) 1 \1 \Q$G\E$/, 'the killed front end restarts');

# 4. PostgreSQL stops: answers come quickly, and are 4xx; once it is back the front
# ends reconnect on their own and nothing accepted is lost.
{
	my $cl = $d[0]->client;
	$cl->cmd("GROUP $G");
	$pg->stop('fast');
	my $t = time;
	my $st = $cl->cmd('STAT <fresh@cluster.test>');
	like($st // '', qr/^4\d\d /, 'STAT with the database down: 4xx') or diag($st);
	my $p = $cl->cmd('POST') // '';
	if ($p =~ /^340/) {
		$cl->send(article('<down@cluster.test>', 'while down'));
		$p = $cl->line;
	}
	like($p, qr/^4\d\d /, 'POST with the database down: 4xx, not 240') or diag($p);
	ok(time - $t < 10, sprintf('answered in %.1f s, no hang', time - $t));
	like($d[1]->client->greeting, qr/^20[01] /, 'a new reader is still greeted');
	$pg->start;
	my $ok;
	my $until = time + 15;
	while (time < $until) {
		$ok = $cl->cmd('STAT <fresh@cluster.test>') // '';
		last if $ok =~ /^223 /;
		sleep 0.3;
	}
	like($ok, qr/^223 @{[ $B + 6001 ]} /, 'after the restart the same session reads again');
	my $c2 = $d[1]->client;
	$c2->cmd('POST');
	$c2->send(article('<after@cluster.test>', 'after the restart'));
	like($c2->line, qr/^240 /, 'and posting works again');
	# Front end 0 keeps the group's overview in memory, trusted while no change
	# notice comes: its own connection (the one that hears them) must be back too.
	$c2->cmd("GROUP $G");
	my ($num) = ($c2->cmd('STAT <after@cluster.test>') // '') =~ /^223 (\d+) /;
	my $ov = '';
	$until = time + 8;
	while (time < $until) {
		($ov) = $cl->mcmd("OVER $num");
		last if ($ov // '') =~ /^224 /;
		sleep 0.2;
	}
	like($ov // '', qr/^224 /, 'the front end that kept the overview lists it too');
	my $seen = '';
	$until = time + 5;	# (a reconnection attempt at most every 250 ms)
	while (time < $until && $seen !~ /^223 /) {
		$seen = $d[2]->client->cmd('STAT <after@cluster.test>') // '';
		sleep 0.1 unless $seen =~ /^223 /;
	}
	like($seen, qr/^223 /, '... seen by the others');
	like($d[0]->log . $d[1]->log, qr/reconnected to PostgreSQL/, 'the reconnection is logged');
	check_store('after the restart', {});
}

# 5. confab check says what is wrong with the database.
{
	my $bad = Confab->new(backend => 'postgresql', sources => $src, start => 0,
	    conninfo => $pg->conninfo('cluster', password => 'wrong'));
	my ($rc, $out) = $bad->confab_cmd('check');
	isnt($rc, 0, 'check fails with a bad password');
	like($out, qr/password authentication failed/, '... and says so');
	my $none = Confab->new(backend => 'postgresql', sources => $src, start => 0,
	    conninfo => $pg->conninfo('nosuchdb'));
	($rc, $out) = $none->confab_cmd('check');
	isnt($rc, 0, 'check fails with no such database');
	like($out, qr/database "nosuchdb" does not exist/, '... and says so');
	my $ok = Confab->new(share => $d[0], sources => $src, start => 0);
	($rc, $out) = $ok->confab_cmd('check');
	is($rc, 0, 'check passes on the shared database') or diag($out);
	my ($was) = $out =~ /schema version (\d+)/;
	like($out, qr/store: PostgreSQL .*schema version 7/, '... naming the engine and schema');
	$db->("UPDATE schema_version SET version = 99");
	($rc, $out) = $ok->confab_cmd('check');
	isnt($rc, 0, 'check fails on a schema newer than this confab');
	like($out, qr/schema version 99 is newer than this confab/, '... and says so');
	$db->("UPDATE schema_version SET version = $was");
}

# 6. confab store copy: a SQLite store moved to PostgreSQL answers the same, numbers
# and Message-IDs kept, and numbering goes on from where it was.
{
	my $lite = Confab->new(backend => 'sqlite', sources => $src,
	    import => [Confab::srcdir() . '/tests/data/ecatworld.wxr']);
	my $cl = $lite->client;
	for my $i (1 .. 3) {
		$cl->cmd('POST');
		$cl->send(article("<copy$i\@cluster.test>", "before the copy $i"));
		like($cl->line, qr/^240 /, "post $i to the SQLite store");
	}
	is($lite->user_add('reader', 'secret'), 0, 'a local account');
	my $dump = sub {
		my $c = shift->client;
		my @out = ($c->cmd("GROUP $G"));
		for my $cmd ('OVER 1-', 'LISTGROUP', 'HDR Message-ID 1-', 'NEWNEWS * 19700101 000000') {
			my ($st, $l) = $c->mcmd($cmd);
			push @out, $st, @{ $l // [] };
		}
		for my $n (1, 15, 30, 32) {
			my ($st, $l) = $c->mcmd("ARTICLE $n");
			push @out, $st, @{ $l // [] };
		}
		return join("\n", @out);
	};
	my $before = $dump->($lite);
	$lite->stop;
	my $to = $pg->createdb('copied');
	my ($rc, $out) = $lite->confab_cmd('store', 'copy', '--to', $to);
	is($rc, 0, 'confab store copy succeeds') or diag($out);
	like($out, qr/^articles: 32 rows$/m, '... and counts the articles');
	my $moved = Confab->new(backend => 'postgresql', conninfo => $to, sources => $src);
	my $after = $dump->($moved);
	is($after, $before, 'the copy answers GROUP, OVER, LISTGROUP, HDR, NEWNEWS and ARTICLE the same');
	my (undef, $users) = $moved->confab_cmd('user', 'list');
	like($users, qr/^reader$/m, 'the local account came along');
	my $c2 = $moved->client;
	$c2->cmd('POST');
	$c2->send(article('<copy4@cluster.test>', 'after the copy'));
	like($c2->line, qr/^240 /, 'posting to the copy');
	like($c2->cmd('STAT <copy4@cluster.test>'), qr/^223 0 /, '... stored');
	$c2->cmd("GROUP $G");
	like($c2->cmd('STAT <copy4@cluster.test>'), qr/^223 33 /, '... numbered on from the last (33)');
	($rc, $out) = $lite->confab_cmd('store', 'copy', '--to', $to);
	isnt($rc, 0, 'a second copy into the same database is refused');
	like($out, qr/not empty/, '... because it is not empty');
	$moved->stop;
}

# 7. One reply, three front ends, a real WordPress answering 503 for a while: every
# front end retries the outbox, the comment lands on the blog once.
SKIP: {
	require WP;
	skip 'WordPress test packages missing or not root (see tests/wp/README)', 9
	    unless WP::available();
	my $wp = WP->new;
	open(my $f, '>', $wp->dir . '/admin.app') or die;
	print $f $wp->env('WP_ADMIN_APP_PASSWORD'), "\n";
	close $f;
	my $wsrc = "[source ecat]\ntype = wordpress\nurl = @{[ $wp->url ]}/\nuser = admin\n"
	    . "app_password_file = @{[ $wp->dir ]}/admin.app\ngroup = blogs.ecatworld\n"
	    . "posting = open\npoll_interval = 3600\n";
	my $server = "post_timeout = 3\nretry_interval = 1\n";
	my @w = (Confab->new(backend => 'postgresql', conninfo => $pg->createdb('wp'),
	    sources => $wsrc, server => $server, start => 0));
	my ($rc, $out) = $w[0]->confab_cmd('poll', '--source', 'ecat');
	is($rc, 0, 'the blog mirrored into the shared store') or diag($out);
	$w[0]->start;
	push @w, Confab->new(share => $w[0], sources => $wsrc, server => $server) for 1 .. 2;
	$wp->maintenance(1);
	my $cl = $w[1]->client;
	$cl->cmd('POST');
	$cl->send("From: Luca Salvarani <luca.salvarani\@mail.example>\r\nNewsgroups: blogs.ecatworld\r\n"
	    . "Subject: Re: Rossi\r\nMessage-ID: <three-fronts\@example.org>\r\n"
	    . "References: <p2481\@127.0.0.1> <p2481.c10404\@127.0.0.1>\r\n\r\n"
	    . "One reply, three front ends.\r\n.\r\n");
	like($cl->line, qr/^240 /, 'the reply is queued while the blog answers 503');
	sleep 4;	# every front end scans the outbox each second meanwhile
	my $tries = () = join('', map { $_->log } @w) =~ /three-fronts\@example\.org> not delivered/g;
	ok($tries >= 2, "retried while the blog was down ($tries attempts)");
	$wp->maintenance(0);
	my $count = sub { scalar grep { ($_->{content} // $_->{comment_content} // '') =~
	    /One reply, three front ends/ } @{ (sub { ref $_[0] eq 'ARRAY' ? $_[0] : [] })->(
	    $wp->wp('list', 2481, 'all')) } };
	my $until = time + 20;
	sleep 0.5 while time < $until && $count->() == 0;
	sleep 4;	# time for any second delivery
	is($count->(), 1, 'the comment is on WordPress once');
	my $logs = join('', map { $_->log } @w);
	my $done = () = $logs =~ /three-fronts\@example\.org> delivered as comment/g;
	is($done, 1, 'one front end delivered it');
	unlike($logs, qr/three-fronts\@example\.org> refused/, 'none was refused as a duplicate');
	for my $k (0 .. 2) {
		like($w[$k]->client->cmd('STAT <three-fronts@example.org>'), qr/^223 /,
		    "front end $k has the article");
	}
	$_->stop for @w;
}

# 8. A database far away (every packet held 0.15 s each way by a proxy): each command
# that needs the store waits a round trip or more for it, and meanwhile the loop does
# not: DATE on another session of the same front end is answered at once.
sub slow_proxy {	# -> (port, pid): 127.0.0.1:port forwards to $to with the delay
	my ($to, $delay) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16,
	    ReuseAddr => 1) or die "proxy: $!";
	my $pid = fork // die;
	return ($l->sockport, $pid) if $pid;
	my $sel = IO::Select->new($l);
	my (%peer, %q);		# fileno -> the other end; fileno -> [due, data] to write
	while (1) {
		my $now = time;
		my $wait = 1;
		for my $fd (keys %q) {
			my $s = $peer{$fd} or next;
			while (@{ $q{$fd} } && $q{$fd}[0][0] <= $now) {
				my $c = shift @{ $q{$fd} };
				syswrite($s->{to}, $c->[1]) // last;
			}
			$wait = $q{$fd}[0][0] - $now if @{ $q{$fd} } && $q{$fd}[0][0] - $now < $wait;
		}
		for my $r ($sel->can_read($wait > 0 ? $wait : 0)) {
			if ($r == $l) {
				my $c = $l->accept or next;
				my $u = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$to") or next;
				$peer{ fileno $c } = { to => $u, me => $c };
				$peer{ fileno $u } = { to => $c, me => $u };
				$sel->add($c, $u);
				next;
			}
			my $n = sysread($r, my $buf, 65536);
			my $p = $peer{ fileno $r } or next;
			if (!$n) {
				for my $s ($r, $p->{to}) {
					delete $q{ fileno $s };
					delete $peer{ fileno $s };
					$sel->remove($s);
					close $s;
				}
				next;
			}
			push @{ $q{ fileno $r } }, [time + $delay, $buf];
		}
	}
}
{
	my $delay = 0.15;
	my ($port, $ppid) = slow_proxy($pg->port, $delay);
	(my $far = $ci) =~ s/port=\d+/port=$port/;
	my $f = Confab->new(backend => 'postgresql', conninfo => $far, sources => $src,
	    server => "max_connections_per_ip = 50\n");
	is($f->user_add('far', 'far-secret'), 0, 'a user added through the slow link');
	my ($a, $b) = ($f->client, $f->client);
	like($b->cmd('DATE'), qr/^111 /, 'the far front end answers');
	my @gmt = gmtime(time - 5);
	my $since = sprintf('%04d%02d%02d %02d%02d%02d GMT', $gmt[5] + 1900, $gmt[4] + 1, @gmt[3, 2, 1, 0]);
	my @cmds = ("GROUP $G", "LISTGROUP $G 1-40", 'OVER 1-40', 'HDR Subject 1-40',
	    'XPAT Subject 1-40 *load*', 'HDR Message-ID <fresh@cluster.test>',
	    'OVER <fresh@cluster.test>', 'ARTICLE 3', 'STAT <fresh@cluster.test>', 'NEXT', 'LIST',
	    'LIST NEWSGROUPS', 'NEWGROUPS 20000101 000000 GMT', "NEWNEWS $G $since",
	    'AUTHINFO USER far', 'AUTHINFO PASS far-secret', 'POST');
	for my $c (@cmds) {
		my $t = time;
		if ($c eq 'POST') {
			like($a->cmd('POST'), qr/^340 /, 'POST: send it');
			$t = time;
			$a->send(article('<far@cluster.test>', 'posted far away'));
		} else {
			$a->send("$c\r\n");
		}
		my $date = $b->cmd('DATE');
		my $dt = time - $t;
		my $st = $a->line // '';
		$a->block if $st =~ /^(215|221|224|225|230|231|220|211 .* list follows)/;
		my $at = time - $t;
		like($st, qr/^(2\d\d|381) /, "$c: answered") or diag($st);
		# (AUTHINFO USER needs no store; HDR and XPAT may find the overview kept by
		# then, read on a worker since OVER.)
		ok($at >= 2 * $delay, sprintf('%s: waited %.2f s for the database', $c, $at))
		    unless $c =~ /^(AUTHINFO USER|HDR Subject|XPAT)/;
		ok($date =~ /^111 / && $dt < $delay, sprintf('%s: DATE meanwhile in %.3f s', $c, $dt));
	}
	# Pipelined readers: here no snapshot of the loop's own store is held for them.
	$a->cmd("GROUP $G");
	$a->send("STAT 3\r\nHEAD 4\r\nSTAT 5\r\n");
	my $t = time;
	my $date = $b->cmd('DATE');
	my $dt = time - $t;
	my @st = ($a->line, $a->line);
	$a->block;
	push @st, $a->line;
	is(scalar(grep { /^22[13] / } @st), 3, 'three pipelined readers answered') or diag("@st");
	ok($date =~ /^111 / && $dt < $delay, sprintf('DATE meanwhile in %.3f s', $dt));
	like($d[0]->client->cmd('STAT <far@cluster.test>'), qr/^223 /,
	    'the post through the slow link is read on another front end');
	$f->stop;
	kill('KILL', $ppid);
	waitpid($ppid, 0);
}

$_->stop for @d;
done_testing;
