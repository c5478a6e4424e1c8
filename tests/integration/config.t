# config.t: configuration errors, SIGHUP reload, graceful stop.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use Confab qw(run_cmd free_port);

my $dir = tempdir(CLEANUP => 1);
sub write_conf { my ($t) = @_; open(my $f, '>', "$dir/c.conf") or die; print $f $t; close $f; "$dir/c.conf" }
my $out;

# confab check: good and bad files, errors name file:line.
my $good = write_conf("[server]\nlisten = 127.0.0.1:1\n[store]\npath = $dir/x.db\n[source a]\ntype = local\n");
is(run_cmd(\$out, Confab::confab(), '-c', $good, 'check'), 0, 'confab check: good config');
for my $case (
	["[server]\nhostname = x\nlisten = nowhere\n", 3, qr/bad address/],
	["[server]\n\n\nfrobnicate = 1\n", 4, qr/unknown key 'frobnicate'/],
	["[sever]\nx = 1\n", 2, qr/unknown section \[sever\]/],
	["[source a]\ntype = blogger\n", 2, qr/type: 'blogger'/],
	["[server]\nidle_timeout = soon\n", 2, qr/idle_timeout/],
) {
	my ($text, $line, $re) = @$case;
	my $p = write_conf($text);
	is(run_cmd(\$out, Confab::confab(), '-c', $p, 'check'), 1, "bad config exits 1 ($re)");
	like($out, qr/\Q$p\E:$line: /, "error names file:line $line");
	like($out, $re, 'error says what');
	is(run_cmd(\$out, Confab::confabd(), '-n', '-c', $p), 1, 'confabd -n refuses it too');
}
# The shipped example documents every key: uncommented, it is a valid config.
{
	open(my $in, '<', Confab::srcdir() . '/conf/confabd.conf') or die;
	my $all = join('', map { s/^#([a-z_]+ =)/$1/r =~ s/^#\[source/[source/r } <$in>);
	open(my $pw, '>', "$dir/app.password") or die;
	print $pw "abcd efgh ijkl mnop\n";
	close $pw;
	$all =~ s/^app_password_file = .*$/app_password_file = $dir\/app.password/m or die;
	open(my $mo, '>', "$dir/motd") or die;
	print $mo "Hello\n";
	close $mo;
	$all =~ s/^motd_file = .*$/motd_file = $dir\/motd/m or die;
	my $p = write_conf($all);
	is(run_cmd(\$out, Confab::confab(), '-c', $p, 'check'), 0,
	    'conf/confabd.conf with every key uncommented is valid') or diag $out;
}
# The application password is read with the config: a missing file fails the check.
{
	my $p = write_conf("[source w]\ntype = wordpress\nurl = https://blog.example/\n"
	    . "user = gw\napp_password_file = $dir/missing.password\n");
	is(run_cmd(\$out, Confab::confab(), '-c', $p, 'check'), 1, 'missing app_password_file: exit 1');
	like($out, qr/\Q$dir\E\/missing\.password: No such file/, '... naming the file');
}
is(run_cmd(\$out, Confab::confab(), '--version'), 0, 'confab --version');
like($out, qr/^confab \d/, 'version');
is(run_cmd(\$out, Confab::confab(), '--help'), 0, 'confab --help');
like($out, qr/import --source NAME/, 'help lists commands');
is(run_cmd(\$out, Confab::confab(), '-c', $good, 'frob'), 2, 'unknown command exits 2');

# SIGHUP reload keeps connections and reopens changed listeners.
my $d = Confab->new(import => [Confab::srcdir() . '/tests/data/ecatworld.wxr']);
my $c = $d->client;
like($c->cmd('GROUP blogs.ecatworld'), qr/^211 29 1 29 /, 'group before reload');
my $conf = do { local $/; open(my $f, '<', $d->conf) or die; <$f> };
my $port2 = free_port();
(my $new = $conf) =~ s/(listen = 127\.0\.0\.1:\d+)/$1\nlisten = 127.0.0.1:$port2/;
$new =~ s/description = E-Cat World/description = Renamed by reload/;
$new .= "\n[source second]\ntype = local\ngroup = blogs.second\n";
open(my $f, '>', $d->conf) or die; print $f $new; close $f;
$d->signal('HUP');
my $c2;
for (1 .. 100) { $c2 = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port2") and last; sleep 0.05; }
ok($c2, 'reload opened the new listener');
like(scalar <$c2>, qr/^20[01] /, 'new listener greets');
like($c->cmd('DATE'), qr/^111 /, 'established connection survives the reload');
my ($st, $l) = $c->mcmd('LIST NEWSGROUPS');
ok((grep { /^blogs\.ecatworld\tRenamed by reload$/ } @$l), 'description reloaded');
ok((grep { /^blogs\.second\t/ } @$l), 'new source group appears');

# A bad config on reload is reported, the old one kept.
open($f, '>', $d->conf) or die; print $f "$new\n[server]\nbogus = 1\n"; close $f;
$d->signal('HUP');
my $until = time + 5;
sleep 0.05 while time < $until && $d->log !~ /keeping the old configuration/;
like($d->log, qr/bogus.*keeping the old configuration/, 'bad reload reported, old config kept');
like($c->cmd('GROUP blogs.second'), qr/^211 /, 'still serving with the old config');
my $c3 = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port2");
ok($c3, 'listeners untouched by a failed reload');

# Removing a listener on reload closes it.
open($f, '>', $d->conf) or die; print $f $conf; close $f;
$d->signal('HUP');
$until = time + 5;
my $gone;
while (time < $until) {
	$gone = !IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port2");
	last if $gone;
	sleep 0.05;
}
ok($gone, 'a listener removed from the config is closed on reload');

# Graceful stop: stop accepting, finish the response, exit 0.
$c->send("LISTGROUP blogs.ecatworld\r\n");
is($d->stop('TERM'), 0, 'SIGTERM exits 0');
my $first = $c->line;
like($first, qr/^211 /, 'the response in flight was finished');
my @rest;
while (defined(my $x = $c->line)) { push @rest, $x }
ok((grep { $_ eq '.' } @rest), 'multi-line response terminated before close');
like($d->log, qr/stopping: draining/, 'drain logged');
done_testing;
