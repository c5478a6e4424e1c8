#!/usr/bin/perl
# smoke.t: the Postfix test bed (mta-up.sh / mta-down.sh) works end to end.
# Starts a tiny LMTP sink in this process, a private Postfix in front of it, and
# checks with swaks: list mail reaches the sink in ONE LMTP transaction with all
# its recipients; subscriber mail lands in a Maildir; outside mail is refused and
# nothing connects anywhere but 127.0.0.1; swaks speaks LMTP to the sink directly.
# Needs root, postfix and swaks (tests/mta/deps.sh); skips otherwise.
# Core Perl modules only. KEEP=1 keeps the temporary directory.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../integration";
use Confab qw(free_port);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Fcntl qw(:flock);
use POSIX ();
use Time::HiRes qw(sleep time);

my $here = $FindBin::Bin;
my $list = 'lists.example.test';
my $subs = 'subs.example.test';

plan skip_all => 'needs root' if $> != 0;
for my $tool (qw(postfix swaks)) {
	plan skip_all => "$tool not installed (run tests/mta/deps.sh)"
	    unless grep { -x "$_/$tool" } qw(/usr/sbin /usr/bin);
}

my $dir = tempdir('mta-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
chmod 0755, $dir;
diag("test MTA directory: $dir") if $ENV{KEEP};
my $sinklog = "$dir/sink.log";

# --- LMTP sink ------------------------------------------------------------
# Listens before the fork so the port is known and taken; forks per connection.
# Each finished transaction is appended to $sinklog as one line:
#   from=<S> rcpt=<R1>,<R2> bytes=N subject=...
my $lsock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Proto => 'tcp', Listen => 16, ReuseAddr => 1) or die "listen: $!";
my $lmtp_port = $lsock->sockport;
my $sink_pid = fork // die "fork: $!";
if (!$sink_pid) {
	$SIG{CHLD} = 'IGNORE';
	$SIG{ALRM} = sub { POSIX::_exit(0) };
	alarm 300;	# never outlive a hung test
	while (1) {
		my $c = $lsock->accept or next;
		my $pid = fork;
		if (defined $pid && !$pid) {
			close $lsock;
			lmtp_session($c);
			POSIX::_exit(0);
		}
		close $c;
	}
}
close $lsock;

sub record {
	my ($line) = @_;
	open(my $f, '>>', $sinklog) or return;
	flock($f, LOCK_EX);
	print $f "$line\n";
	close $f;
}

sub lmtp_session {
	my ($c) = @_;
	$c->autoflush(1);
	my $say = sub { print $c map { "$_\r\n" } @_ };
	$say->('220 sink.test LMTP sink ready');
	my ($from, @rcpt);
	while (defined(my $l = <$c>)) {
		$l =~ s/\r?\n\z//;
		if ($l =~ /^LHLO\b/i) {
			$say->('250-sink.test', '250-PIPELINING', '250-8BITMIME',
			    '250-ENHANCEDSTATUSCODES', '250 SMTPUTF8');
		} elsif ($l =~ /^MAIL FROM:\s*(<[^>]*>)/i) {
			($from, @rcpt) = ($1);
			$say->('250 2.1.0 ok');
		} elsif ($l =~ /^RCPT TO:\s*(<[^>]*>)/i) {
			if (defined $from) { push @rcpt, $1; $say->('250 2.1.5 ok') }
			else { $say->('503 5.5.1 MAIL first') }
		} elsif ($l =~ /^DATA\b/i) {
			if (!@rcpt) { $say->('503 5.5.1 no valid recipients'); next }
			$say->('354 go ahead');
			my ($bytes, $subject) = (0, '');
			while (defined(my $d = <$c>)) {
				last if $d =~ /^\.\r?\n\z/;
				$bytes += length $d;
				$subject = $1 if !$subject && $d =~ /^Subject:\s*(.*?)\r?\n\z/i;
			}
			record("from=$from rcpt=" . join(',', @rcpt) . " bytes=$bytes subject=$subject");
			$say->("250 2.0.0 $_ delivered") for @rcpt;
			($from, @rcpt) = ();
		} elsif ($l =~ /^RSET\b/i) {
			($from, @rcpt) = ();
			$say->('250 2.0.0 ok');
		} elsif ($l =~ /^NOOP\b/i) {
			$say->('250 2.0.0 ok');
		} elsif ($l =~ /^QUIT\b/i) {
			$say->('221 2.0.0 bye');
			last;
		} else {
			$say->('500 5.5.2 unknown command');
		}
	}
	close $c;
}

sub sink_lines {
	open(my $f, '<', $sinklog) or return ();
	return map { chomp; $_ } <$f>;
}

sub wait_for(&$) {
	my ($cond, $secs) = @_;
	my $end = time + $secs;
	while (time < $end) {
		my @r = $cond->();
		return @r if @r;
		sleep 0.1;
	}
	return $cond->();
}

sub run {
	my @cmd = @_;
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if (!$pid) {
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or POSIX::_exit(127);
	}
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return ($? >> 8, $out);
}

sub slurp { open(my $f, '<', $_[0]) or return ''; local $/; <$f> // '' }

# --- the MTA --------------------------------------------------------------
my $smtp_port = free_port();

my $up_started = 0;
END {
	local $?;
	system("$here/mta-down.sh", $dir) if $up_started;
	if ($sink_pid) { kill 'TERM', $sink_pid; waitpid($sink_pid, 0) }
}

my $t0 = time;
$up_started = 1;
my ($rc, $out) = run("$here/mta-up.sh", $dir, $smtp_port, $lmtp_port, $list);
is($rc, 0, 'mta-up.sh starts postfix') or diag($out);
BAIL_OUT("mta-up.sh failed") if $rc;
note(sprintf 'mta-up.sh took %.2fs', time - $t0);

my %env = slurp("$dir/mta.env") =~ /^(MTA_\w+)='?([^'\n]*)'?$/mg;
is($env{MTA_SMTP_PORT}, $smtp_port, 'mta.env: MTA_SMTP_PORT');
is($env{MTA_LMTP_PORT}, $lmtp_port, 'mta.env: MTA_LMTP_PORT');
is($env{MTA_LIST_DOMAIN}, $list, 'mta.env: MTA_LIST_DOMAIN');
is($env{MTA_SUB_DOMAIN}, $subs, 'mta.env: MTA_SUB_DOMAIN (default)');
ok(-d $env{MTA_MAILDIRS}, 'mta.env: MTA_MAILDIRS exists');
ok(-f $env{MTA_LOG}, 'mta.env: MTA_LOG exists');
ok(-f "$env{MTA_CONFIG_DIR}/main.cf", 'mta.env: MTA_CONFIG_DIR has main.cf');

($rc, $out) = run("$here/mta-up.sh", "$dir/second", $smtp_port, $lmtp_port, $list);
isnt($rc, 0, 'a second instance on the same SMTP port is refused');
like($out, qr/already in use/, '... with a clear message');

my @swaks = ('swaks', '--server', "127.0.0.1:$smtp_port", '--helo', 'client.test',
    '--timeout', '10');

# (a) list mail: one LMTP transaction carrying both recipients.
$t0 = time;
($rc, $out) = run(@swaks, '--from', "x\@$subs", '--to', "a\@$list,b\@$list",
    '--header', 'Subject: smoke-a');
is($rc, 0, '(a) swaks to two list addresses accepted') or diag($out);
my @a = wait_for { grep { /subject=smoke-a/ } sink_lines() } 20;
is(scalar @a, 1, '(a) the sink got exactly one transaction') or diag(join "\n", sink_lines());
like($a[0] // '', qr/^from=<x\@\Q$subs\E> rcpt=<a\@\Q$list\E>,<b\@\Q$list\E> /,
    '(a) ... with both recipients and the envelope sender');
note(sprintf '(a) SMTP in to LMTP out: %.2fs', time - $t0);
sleep 0.5;
is(scalar(grep { /subject=smoke-a/ } sink_lines()), 1, '(a) and no second copy');
my $log = slurp($env{MTA_LOG});
like($log, qr/relay=127\.0\.0\.1\[127\.0\.0\.1\]:$lmtp_port\b.*status=sent/,
    '(a) maillog shows the LMTP delivery');

# (b) subscriber mail lands in DIR/maildirs/<localpart>/new/ (localpart lowercased).
$t0 = time;
($rc, $out) = run(@swaks, '--from', "list-bounces\@$list", '--to', "Someone\@$subs",
    '--header', 'Subject: smoke-b', '--body', "caf\xc3\xa9 body line\n");
is($rc, 0, '(b) swaks to a subscriber accepted') or diag($out);
my $new = "$env{MTA_MAILDIRS}/someone/new";
my @files = wait_for { my @f = glob("$new/*"); @f } 20;
is(scalar @files, 1, '(b) one message in maildirs/someone/new/')
    or diag(slurp($env{MTA_LOG}));
my $msg = @files ? slurp($files[0]) : '';
like($msg, qr/^Return-Path: <list-bounces\@\Q$list\E>$/m, '(b) Return-Path is the envelope sender');
like($msg, qr/^Delivered-To: someone\@\Q$subs\E$/mi, '(b) Delivered-To is the recipient');
like($msg, qr/^Subject: smoke-b$/m, '(b) the message is intact');
unlike($msg, qr/\r/, '(b) Maildir file has LF line ends');
note(sprintf '(b) SMTP in to Maildir: %.2fs', time - $t0);
ok(-d "$env{MTA_MAILDIRS}/someone/$_", "(b) Maildir has $_/") for qw(cur tmp);

# A bad local part is refused at RCPT time, not delivered somewhere odd.
($rc, $out) = run(@swaks, '--from', "x\@$subs", '--to', "../etc\@$subs");
isnt($rc, 0, '(b) an unusable local part is refused');
like($out, qr/<\*\* 5\d\d /, '(b) ... with a 5xx');

# Failure hooks: reject-* at RCPT, bounce-* by a DSN to the envelope sender
# (here the list's bounce address, so it comes back over LMTP), defer-* queued.
($rc, $out) = run(@swaks, '--from', "x\@$subs", '--to', "reject-me\@$subs");
like($out, qr/<\*\* 550 /, 'reject-* is refused at RCPT with 550');
($rc, $out) = run(@swaks, '--from', "list-bounces\@$list", '--to', "bounce-me\@$subs,defer-me\@$subs",
    '--header', 'Subject: smoke-hooks');
is($rc, 0, 'bounce-* and defer-* are accepted') or diag($out);
my @dsn = wait_for { grep { /^from=<> rcpt=<list-bounces\@\Q$list\E>/ } sink_lines() } 20;
is(scalar @dsn, 1, 'bounce-*: a DSN comes back to the envelope sender over LMTP')
    or diag(slurp($env{MTA_LOG}));
like(slurp($env{MTA_LOG}), qr/to=<defer-me\@\Q$subs\E>.*status=deferred/, 'defer-* is deferred');

# (c) outside mail is refused by smtpd (default_transport = error) and
# nothing ever connects anywhere.
($rc, $out) = run(@swaks, '--from', "x\@$subs", '--to', 'x@example.com');
is($rc, 24, '(c) swaks to an outside domain fails at RCPT TO (exit 24)');
like($out, qr/<\*\* 5\d\d /, '(c) ... with a 5xx reject');
($rc, $out) = run(@swaks, '--from', "x\@$subs", '--to', "y\@$subs,x\@example.com");
like($out, qr/<\*\* 5\d\d .*example\.com/, '(c) mixed recipients: the outside one is rejected');
my @y = wait_for { my @f = glob("$env{MTA_MAILDIRS}/y/new/*"); @f } 20;
is(scalar @y, 1, '(c) ... and the subscriber still gets the mail');
sleep 1;
$log = slurp($env{MTA_LOG});
unlike($log, qr/connect to (?!127\.0\.0\.1\[)/, '(c) maillog: no connection attempt beyond 127.0.0.1');
unlike($log, qr/relay=(?!127\.0\.0\.1\[|maildir|none)[^,]+,/, '(c) maillog: no relay but LMTP and maildir');
unlike($log, qr/(fatal|panic|warning):/, 'maillog has no warnings') or diag($log);

# (d) swaks speaks LMTP straight to the sink (as confab's LMTP tests will).
($rc, $out) = run('swaks', '--protocol', 'LMTP', '--server', "127.0.0.1:$lmtp_port",
    '--helo', 'client.test', '--from', "x\@$subs", '--to', "c\@$list,d\@$list",
    '--header', 'Subject: smoke-d', '--timeout', '10');
is($rc, 0, '(d) swaks --protocol LMTP to the sink') or diag($out);
like($out, qr/-> LHLO client\.test/, '(d) swaks said LHLO');
my @d = grep { /subject=smoke-d/ } sink_lines();
is(scalar @d, 1, '(d) one LMTP transaction');
like($d[0] // '', qr/rcpt=<c\@\Q$list\E>,<d\@\Q$list\E> /, '(d) ... with both recipients');
my $two = () = $out =~ /<-  250 2\.0\.0 <[cd]\@/g;
is($two, 2, '(d) swaks read one reply per recipient after DATA');

# mta-down.sh stops it and is safe to repeat.
($rc, $out) = run("$here/mta-down.sh", $dir);
is($rc, 0, 'mta-down.sh');
ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $smtp_port, Timeout => 2),
    'the SMTP port is closed');
($rc, $out) = run("$here/mta-down.sh", $dir);
is($rc, 0, 'mta-down.sh again is harmless');
$up_started = 0;

done_testing();
