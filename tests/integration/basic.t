# basic.t: the daemon starts, greets, answers the foundation commands, and stops.
use strict;
use warnings;
use Test::More;
use Confab qw(run_cmd);

my $d = Confab->new;
my $c = $d->client;
like($c->greeting, qr/^200 news\.example\.test .*posting allowed/, 'greeting 200 when posting is open');
my ($st, $caps) = $c->mcmd('CAPABILITIES');
is($st, '101 Capability list:', 'CAPABILITIES');
is($caps->[0], 'VERSION 2', 'VERSION 2 first');
ok((grep { $_ eq 'READER' } @$caps), 'READER');
ok((grep { /^IMPLEMENTATION confab / } @$caps), 'IMPLEMENTATION');
like($c->cmd('DATE'), qr/^111 \d{14}$/, 'DATE');
my ($h, $help) = $c->mcmd('HELP');
like($h, qr/^100 /, 'HELP');
ok(scalar(@$help) > 10, 'HELP lists the commands');
is($c->cmd('FROB'), '500 unknown command', 'unknown command 500');
is($c->cmd('QUIT'), '205 closing connection', 'QUIT');
is($c->line, undef, 'connection closed after QUIT');

# Each connection gets its own session id in the log.
$d->client->cmd('QUIT');
my $log = $d->log;
like($log, qr/s1 127\.0\.0\.1: connected/, 'session id logged');
like($log, qr/s2 127\.0\.0\.1: closed: QUIT/, 'close reason logged per session');
is($d->stop('TERM'), 0, 'SIGTERM: clean exit');

# A read-only config greets 201.
my $ro = Confab->new(sources => "[source ro]\ntype = local\nposting = no\n");
like($ro->client->greeting, qr/^201 /, 'greeting 201 without posting');
$ro->stop;

# -n checks the config, -V prints the version.
my $out;
is(run_cmd(\$out, Confab::confabd(), '-n', '-c', $d->conf), 0, 'confabd -n: good config');
like($out, qr/configuration OK/, '-n says OK');
is(run_cmd(\$out, Confab::confabd(), '-V'), 0, 'confabd -V');
like($out, qr/^confabd \d+\.\d+/, 'version printed');
is(run_cmd(\$out, Confab::confabd(), '-x'), 2, 'bad option: usage, exit 2');

# IPv6 literal listen address (skipped where the machine has no ::1).
SKIP: {
	my $s6 = eval { require IO::Socket::IP; IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0, Listen => 1) };
	skip 'no IPv6 loopback', 2 unless $s6;
	my $p6 = $s6->sockport;
	close $s6;
	my $d6 = Confab->new(server => "listen = [::1]:$p6");
	my $c6 = IO::Socket::IP->new(PeerHost => '::1', PeerPort => $p6, Timeout => 5);
	ok($c6, 'connects over IPv6');
	like(scalar <$c6>, qr/^20[01] /, 'greets over IPv6');
	$d6->stop;
}
done_testing;
