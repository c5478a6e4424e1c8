# systemd.t: the units verify, socket activation works, sd_notify speaks the protocol.
use strict;
use warnings;
use Test::More;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use Confab qw(run_cmd free_port);

my $out;
SKIP: {
	skip 'systemd-analyze not installed', 1 unless -x '/usr/bin/systemd-analyze';
	my $rc = run_cmd(\$out, 'sh', Confab::srcdir() . '/tests/integration/verify-units.sh');
	is($rc, 0, 'systemd-analyze verify: units are clean') or diag $out;
}

# Socket activation: confabd serves the socket it is handed (fd name "nntp").
SKIP: {
	skip 'systemd-socket-activate not installed', 4 unless -x '/usr/bin/systemd-socket-activate';
	my $port = free_port();
	my $d = Confab->new(start => 0, port => $port,
	    server => "listen = 127.0.0.1:1");	# must NOT be used: inherited sockets win
	$d->{wrapper} = ['systemd-socket-activate', '-l', "127.0.0.1:$port", '--fdname=nntp'];
	$d->start;
	my $c = $d->client;
	like($c->greeting, qr/^20[01] /, 'greets on the inherited socket');
	like($c->cmd('DATE'), qr/^111 /, 'answers on the inherited socket');
	like($d->log, qr/listening on inherited fd:3\(nntp\)/, 'fd named nntp picked up');
	unlike($d->log, qr/listening on 127\.0\.0\.1:1\b/, 'configured listen not opened under socket activation');
	$d->stop;
}

# The HTTP listener's socket (fd name "http") beside NNTP's, [http] listen unused.
SKIP: {
	skip 'systemd-socket-activate or curl not installed', 3
	    unless -x '/usr/bin/systemd-socket-activate' && -x '/usr/bin/curl';
	my ($port, $hport) = (free_port(), free_port());
	my $d = Confab->new(start => 0, port => $port, extra => "[http]\nlisten = 127.0.0.1:1\n");
	$d->{wrapper} = ['systemd-socket-activate', '-l', "127.0.0.1:$port", '-l',
	    "127.0.0.1:$hport", '--fdname=nntp:http'];
	$d->start;
	my $rc = run_cmd(\my $o, 'curl', '-sS', '--max-time', '10', "http://127.0.0.1:$hport/healthz");
	is($o, "ok\n", 'HTTP answers on the inherited socket');
	like($d->log, qr/listening on inherited fd:4\(http\)/, 'fd named http picked up');
	unlike($d->log, qr/listening on 127\.0\.0\.1:1\b/, '[http] listen not opened under socket activation');
	$d->stop;
}

# sd_notify: READY, STATUS, RELOADING, STOPPING and WATCHDOG over NOTIFY_SOCKET.
{
	my $dir = tempdir(CLEANUP => 1);
	my $path = "$dir/notify";
	my $ns = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "notify socket: $!";
	local $ENV{NOTIFY_SOCKET} = $path;
	local $ENV{WATCHDOG_USEC} = 200000;
	my $d = Confab->new;
	my @msgs;
	my $wait = sub {
		my ($re, $secs) = @_;
		my $until = time + ($secs // 5);
		while (time < $until) {
			return 1 if grep { /$re/m } @msgs;
			my $rin = '';
			vec($rin, fileno($ns), 1) = 1;
			if (select(my $r = $rin, undef, undef, 0.1)) {
				my $m;
				$ns->recv($m, 4096);
				push @msgs, $m;
			}
		}
		return scalar grep { /$re/m } @msgs;
	};
	ok($wait->(qr/^READY=1$/), 'READY=1 sent');
	ok($wait->(qr/^STATUS=serving on 1 listener$/), 'STATUS= sent');
	@msgs = ();
	ok($wait->(qr/^WATCHDOG=1$/, 2), 'WATCHDOG=1 pinged at half WATCHDOG_USEC');
	@msgs = ();
	$d->signal('HUP');
	ok($wait->(qr/^RELOADING=1$/), 'RELOADING=1 on SIGHUP');
	ok($wait->(qr/^READY=1$/), 'READY=1 after the reload');
	@msgs = ();
	$d->signal('TERM');
	ok($wait->(qr/^STOPPING=1$/), 'STOPPING=1 on SIGTERM');
	is($d->stop(0), 0, 'exits 0 after the drain');
}
done_testing;
