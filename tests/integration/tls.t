#!/usr/bin/perl
# tls.t: NNTPS (implicit TLS on listen_tls), STARTTLS (RFC 4642), TLS 1.2+ only, and the
# certificate reloaded on SIGHUP. Perl has no TLS in core, so the TLS client is
# `openssl s_client`; the test CA and certificates are in tests/data/tls (see README).
use strict;
use warnings;
use Test::More;
use File::Copy qw(copy);
use IO::Socket::INET;
use IO::Select;
use IPC::Open2;
use POSIX ();
use Time::HiRes qw(time sleep);
use Confab qw(free_port);

my $src = Confab::srcdir();
my $tls = "$src/tests/data/tls";
plan skip_all => 'openssl command not found' if system('openssl version >/dev/null 2>&1');

my $G = 'blogs.ecatworld';
my $tport = free_port();
my $c0 = Confab->new(start => 0, import => ["$src/tests/data/ecatworld.wxr"]);
my $dir = $c0->dir;
copy("$tls/server.pem", "$dir/cert.pem") or die;
copy("$tls/server.key", "$dir/key.pem") or die;
chmod 0600, "$dir/key.pem";
# a second harness sharing the config directory would be awkward: rewrite the config
# with the TLS keys and start.
{
	open(my $f, '<', $c0->conf) or die;
	local $/;
	my $conf = <$f>;
	close $f;
	$conf =~ s/^\[server\]\n/[server]\nlisten_tls = 127.0.0.1:$tport\ntls_cert = $dir\/cert.pem\ntls_key = $dir\/key.pem\nauth_failures = 50\n/m
	    or die;
	open($f, '>', $c0->conf) or die;
	print $f $conf;
	close $f;
}
my $c = $c0;
$c->start;

# a TLS client: openssl s_client (-quiet: no banner, the session on stdin/stdout)
package TLSClient;
use parent -norequire, 'Confab::Client';	# block() and mcmd() on top of line() and cmd()
use IPC::Open2;
use POSIX ();
use IO::Select;

sub new {
	my ($class, $port, @args) = @_;
	my $err = File::Temp->new;
	my @cmd = ('openssl', 's_client', '-quiet', '-verify_return_error',
	    '-CAfile', "$tls/ca.pem", '-verify_hostname', 'localhost',
	    '-connect', "127.0.0.1:$port", @args);
	my $pid = open2(my $out, my $in, 'sh', '-c', 'exec "$@" 2>' . $err->filename, 'sh',
	    @cmd);
	$in->autoflush(1);
	my $self = bless { pid => $pid, in => $in, out => $out, err => $err }, $class;
	return $self;
}

sub line {
	my ($self, $timeout) = @_;
	my $l;
	eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm($timeout // 10);
		$l = readline($self->{out});
		alarm(0);
	};
	alarm(0);
	return undef unless defined $l;
	$l =~ s/\r?\n\z//;
	return $l;
}

sub cmd { my ($s, $c) = @_; print { $s->{in} } "$c\r\n"; return $s->line }

sub stderr { my $s = shift; open(my $f, '<', $s->{err}->filename) or return ''; local $/; <$f> }

sub close {
	my $self = shift;
	return unless $self->{pid};
	close $self->{in};
	kill 'TERM', $self->{pid};
	waitpid($self->{pid}, 0);
	delete $self->{pid};
}

sub DESTROY { $_[0]->close }

package main;
use File::Temp;

sub caps {
	my ($cl) = @_;
	my $st = $cl->cmd('CAPABILITIES');
	return undef unless defined $st && $st =~ /^101 /;
	return { map { /^(\S+)\s*(.*)$/ ? (uc $1 => $2) : () } @{ $cl->block } };
}

# serial of the certificate the server presents on the NNTPS port
sub serial {
	my $out = `openssl s_client -connect 127.0.0.1:$tport -CAfile $tls/ca.pem </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null`;
	return $out =~ /serial=(\w+)/ ? $1 : '';
}

is($c->user_add('alice', 'wonderland'), 0, 'user add alice');

# ---------------------------------------------------------------- cleartext: STARTTLS offered
{
	my $n = $c->client;
	$n->send("CAPABILITIES\r\n");
	like($n->line, qr/^101 /, 'CAPABILITIES');
	my $caps = { map { /^(\S+)\s*(.*)$/ ? (uc $1 => $2) : () } @{ $n->block } };
	ok(exists $caps->{STARTTLS}, 'STARTTLS advertised when TLS is configured');
	like($n->cmd('STARTTLS extra'), qr/^501 /, 'STARTTLS with an argument 501');
	is($n->cmd('AUTHINFO USER alice'), '381 password required', 'AUTHINFO allowed on loopback');
	like($n->cmd('AUTHINFO PASS wonderland'), qr/^281 /, 'authenticated in clear (loopback)');
	like($n->cmd('STARTTLS'), qr/^502 /, 'STARTTLS after AUTHINFO 502');
	$n->close;
}

# ---------------------------------------------------------------- NNTPS
{
	my $t = TLSClient->new($tport);
	like($t->line // '', qr/^200 /, 'NNTPS greeting over TLS') or diag $t->stderr;
	my $caps = caps($t);
	ok($caps && !exists $caps->{STARTTLS}, 'no STARTTLS on an NNTPS connection');
	like($caps->{AUTHINFO} // '', qr/USER/, 'AUTHINFO USER advertised over TLS');
	like($t->cmd("GROUP $G"), qr/^211 29 1 29 /, 'GROUP over TLS');
	like($t->cmd('STARTTLS'), qr/^502 /, 'STARTTLS on NNTPS 502');
	like($t->cmd('ARTICLE 3'), qr/^220 3 /, 'ARTICLE over TLS');
	my $art = $t->block;
	ok(@$art > 10, 'article text');
	like($t->cmd('AUTHINFO USER alice'), qr/^381 /, 'AUTHINFO USER over TLS');
	like($t->cmd('AUTHINFO PASS wonderland'), qr/^281 /, 'AUTHINFO PASS over TLS');
	like($t->cmd('COMPRESS DEFLATE'), qr/^206 /, 'COMPRESS is allowed after TLS');
	$t->close;
	is(serial(), '1001', 'the configured certificate (serial 1001)');
}

# ---------------------------------------------------------------- STARTTLS
{
	my $t = TLSClient->new($c->port, '-starttls', 'nntp');
	like($t->cmd('DATE') // '', qr/^111 /, 'STARTTLS (openssl -starttls nntp): DATE over TLS')
	    or diag $t->stderr;
	my $caps = caps($t);
	ok($caps && !exists $caps->{STARTTLS}, 'after STARTTLS: no STARTTLS capability');
	like($caps->{AUTHINFO} // '', qr/USER/, 'after STARTTLS: AUTHINFO USER');
	like($t->cmd('STARTTLS'), qr/^502 /, 'STARTTLS again 502');
	like($t->cmd("GROUP $G"), qr/^211 /, 'GROUP');
	like($t->cmd('AUTHINFO USER alice'), qr/^381 /, 'AUTHINFO USER');
	like($t->cmd('AUTHINFO PASS wonderland'), qr/^281 /, 'AUTHINFO PASS 281');
	is($t->cmd('QUIT'), '205 closing connection', 'QUIT over TLS');
	$t->close;
}

# STARTTLS by hand: the 382, and commands pipelined behind STARTTLS are discarded
# (RFC 4642 2.2.2). A relay does the clear-text part, then hands the bytes over to
# s_client, which starts its handshake.
{
	my $rport = free_port();
	my $ls = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$rport", Listen => 1,
	    ReuseAddr => 1) or die;
	my $status = File::Temp->new;
	my $rpid = fork // die;
	if (!$rpid) {
		my $cl = $ls->accept or POSIX::_exit(1);
		my $sv = IO::Socket::INET->new(PeerAddr => "127.0.0.1:" . $c->port) or POSIX::_exit(1);
		my $g = <$sv>;
		syswrite($sv, "STARTTLS\r\nDATE\r\nHELP\r\n");
		my $r = <$sv>;
		open(my $f, '>', $status->filename);
		print $f $r;
		close $f;
		my $sel = IO::Select->new($cl, $sv);
		for (;;) {
			for my $h ($sel->can_read(10)) {
				my $buf;
				my $k = sysread($h, $buf, 16384);
				POSIX::_exit(0) unless $k;
				syswrite($h == $cl ? $sv : $cl, $buf);
			}
		}
	}
	close $ls;
	my $t = TLSClient->new($rport);
	my $d = $t->cmd('DATE');
	like($d // '', qr/^111 \d{14}$/, 'after STARTTLS with pipelined input: TLS works, '
	    . 'first answer is ours') or diag $t->stderr;
	like($t->cmd('MODE READER'), qr/^200 /, 'the pipelined HELP was not answered');
	$t->close;
	kill 'TERM', $rpid;
	waitpid($rpid, 0);
	open(my $f, '<', $status->filename);
	my $r = <$f> // '';
	like($r, qr/^382 /, 'STARTTLS 382');
}

# ---------------------------------------------------------------- protocol versions
{
	# First, that this client speaks TLS 1.1 at all: against openssl's own server.
	my $sport = Confab::free_port();
	my $spid = fork // die;
	if (!$spid) {
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec('openssl', 's_server', '-accept', "127.0.0.1:$sport", '-cert', "$dir/cert.pem",
		    '-key', "$dir/key.pem", '-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-www')
		    or exit 1;
	}
	for (1 .. 100) { last if IO::Socket::INET->new("127.0.0.1:$sport"); select(undef, undef, undef, 0.05) }
	my $out = `openssl s_client -connect 127.0.0.1:$sport -tls1_1 -cipher 'DEFAULT:\@SECLEVEL=0' </dev/null 2>&1`;
	kill 'TERM', $spid;
	waitpid($spid, 0);
	like($out, qr/Protocol\s*:\s*TLSv1\.1/, 'this client can speak TLS 1.1 (to openssl s_server)');
	$out = `openssl s_client -connect 127.0.0.1:$tport -tls1_1 -cipher 'DEFAULT:\@SECLEVEL=0' </dev/null 2>&1`;
	my $rc = $? >> 8;
	ok($rc != 0, 'TLS 1.1 handshake fails');
	like($out, qr/protocol version|unsupported protocol/i, 'refused for its protocol version');
	$out = `printf 'QUIT\\r\\n' | openssl s_client -ign_eof -connect 127.0.0.1:$tport -tls1_2 -CAfile $tls/ca.pem 2>&1`;
	like($out, qr/Protocol\s*:\s*TLSv1\.2/, 'TLS 1.2 accepted');
	like($out, qr/^200 .*^205 /ms, 'greeting and QUIT after a TLS 1.2 handshake');
	$out = `openssl s_client -connect 127.0.0.1:$tport -tls1_3 -CAfile $tls/ca.pem </dev/null 2>&1`;
	like($out, qr/TLSv1\.3/, 'TLS 1.3 accepted');
}

# ---------------------------------------------------------------- reload on SIGHUP
{
	my $old = TLSClient->new($tport);
	like($old->line // '', qr/^200 /, 'a connection before the reload');
	copy("$tls/server2.pem", "$dir/cert.pem") or die;
	copy("$tls/server2.key", "$dir/key.pem") or die;
	$c->signal('HUP');
	my $until = time + 5;
	my $s = '';
	while (time < $until) {
		$s = serial();
		last if $s eq '1002';
		sleep 0.1;
	}
	is($s, '1002', 'after SIGHUP new connections get the new certificate');
	like($old->cmd('DATE') // '', qr/^111 /, 'the old TLS session goes on');
	$old->close;
	my $t = TLSClient->new($c->port, '-starttls', 'nntp');
	like($t->cmd('DATE') // '', qr/^111 /, 'STARTTLS with the new certificate');
	$t->close;

	# a broken cert on reload keeps the old one
	open(my $f, '>', "$dir/cert.pem") or die;
	print $f "garbage\n";
	close $f;
	$c->signal('HUP');
	sleep 0.5;
	ok($c->alive, 'a bad certificate on reload does not kill the daemon');
	is(serial(), '1002', 'and the previous certificate stays');
}

ok($c->alive, 'daemon alive');
unlike($c->log, qr/AddressSanitizer|runtime error/, 'no sanitizer reports');
is($c->stop, 0, 'stop exits 0');
done_testing();
