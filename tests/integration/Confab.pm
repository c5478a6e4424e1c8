# Confab.pm: integration-test harness. Writes a temporary config and store, starts the
# real confabd on a free loopback port, waits until it answers, always tears it down.
package Confab;
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX ":sys_wait_h";
use Time::HiRes qw(sleep time);
use Exporter 'import';
our @EXPORT_OK = qw(free_port srcdir builddir run_cmd);

sub srcdir   { $ENV{top_srcdir}   // '.' }
sub builddir { $ENV{top_builddir} // '.' }
sub confabd  { builddir() . '/src/confabd' }
sub confab   { builddir() . '/src/confab' }

sub free_port {
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Proto => 'tcp', Listen => 1, ReuseAddr => 1) or die "no port: $!";
	my $p = $s->sockport;
	close $s;
	return $p;
}

# run_cmd(\$out, CMD...) -> exit code; stdout+stderr in $out.
sub run_cmd {
	my ($outref, @cmd) = @_;
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if (!$pid) {
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or die "exec $cmd[0]: $!";
	}
	local $/;
	$$outref = <$fh> // '';
	close $fh;
	return $? & 127 ? 128 + ($? & 127) : $? >> 8;	# killed by a signal: 128 + its number
}

# The default source: the fixture blog, local and open for posting.
sub demo_source {
	return <<"EOS";
[source ecatworld]
type = local
group = blogs.ecatworld
domain = e-catworld.example
description = E-Cat World
posting = open
EOS
}

# The store the tests run on: sqlite (default) or postgresql (CONFAB_TEST_STORE).
sub test_backend { $ENV{CONFAB_TEST_STORE} // 'sqlite' }

# new(server => [server] lines, sources => text (default: the demo local source),
#     extra => more sections (e.g. [mail]), import => [files], start => 1,
#     share => another Confab whose store this one uses too,
#     backend => sqlite | postgresql (default test_backend), conninfo => its database
#     (default: a new one on PG->shared))
sub new {
	my ($class, %o) = @_;
	my $dir = tempdir('confab-test-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
	my $self = bless { dir => $dir, port => $o{port} // free_port(), %o }, $class;
	if ($o{share}) {
		$self->{backend} = $o{share}{backend};
		$self->{store} = $o{share}{store};
		$self->{conninfo} = $o{share}{conninfo};
	} else {
		$self->{backend} = $o{backend} // test_backend();
		if ($self->{backend} eq 'postgresql') {
			require PG;
			$self->{conninfo} = $o{conninfo} // PG->shared->createdb;
			$self->{conninfo} =~ s/host=\S+/host=@{[ PG->shared->dir ]}/ if $o{pg_socket};
			$self->{store} = "backend = postgresql\nconninfo = $self->{conninfo}\n";
		} else {
			$self->{store} = "path = $dir/confab.db\n";
		}
	}
	my $src = $o{sources} // demo_source();
	my $server = $o{server} // '';
	$self->{conf} = "$dir/confabd.conf";
	open(my $f, '>', $self->{conf}) or die;
	print $f <<"EOC";
[server]
hostname = news.example.test
listen = 127.0.0.1:$self->{port}
secret_file = $dir/secret
$server
[store]
$self->{store}
$src
@{[ $o{extra} // '' ]}
EOC
	close $f;
	for my $file (@{ $o{import} // [] }) {
		my $out;
		my $rc = run_cmd(\$out, confab(), '-c', $self->{conf}, 'import', '--source',
		    $o{import_source} // 'ecatworld', $file);
		die "import $file failed: $out" if $rc;
	}
	$self->start unless defined $o{start} && !$o{start};
	return $self;
}

sub dir  { $_[0]{dir} }
sub conf { $_[0]{conf} }
sub backend { $_[0]{backend} }

# sql(query) -> the rows of a query on this instance's store, "|"-separated, or undef
# when the engine's client is missing. hex(x): SQLite's hex(), PostgreSQL's encode().
sub sql {
	my ($self, $q) = @_;
	my $out;
	if ($self->{backend} eq 'postgresql') {
		$q =~ s/\bhex\((\w+(?:\.\w+)?)\)/upper(encode($1, 'hex'))/g;
		my ($db) = $self->{conninfo} =~ /dbname=(\S+)/;
		return PG->shared->psql($db, $q);
	}
	return undef unless -x '/usr/bin/sqlite3';
	$out = `sqlite3 -separator '|' '$self->{dir}/confab.db' "$q" 2>/dev/null`;
	chomp $out;
	return $out;
}
sub port { $_[0]{port} }
sub log  { my $s = shift; open(my $f, '<', "$s->{dir}/confabd.log") or return ''; local $/; <$f> }

sub start {
	my ($self, @extra) = @_;
	my $pid = fork // die;
	if (!$pid) {
		open(STDOUT, '>>', "$self->{dir}/confabd.log");
		open(STDERR, '>&', \*STDOUT);
		exec(@{ $self->{wrapper} // [] }, confabd(), '-c', $self->{conf}, '-f',
		    ($ENV{CONFAB_DEBUG} ? '-d' : ()), @extra)
		    or die "exec: $!";
	}
	$self->{pid} = $pid;
	my $until = time + 10;
	while (time < $until) {
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$self->{port}", Timeout => 1);
		if ($s) {
			my $greet = <$s>;
			close $s;
			return $self if defined $greet && $greet =~ /^20[01] /;
		}
		die "confabd exited early:\n" . $self->log if waitpid($pid, WNOHANG) == $pid;
		sleep 0.05;
	}
	die "confabd did not come up:\n" . $self->log;
}

sub alive { my $s = shift; $s->{pid} && kill(0, $s->{pid}) && waitpid($s->{pid}, WNOHANG) == 0 }

# stop([signal]) -> exit status of confabd
sub stop {
	my ($self, $sig) = @_;
	return undef unless $self->{pid};
	kill($sig // 'TERM', $self->{pid});
	my $until = time + 15;
	while (time < $until) {
		if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
			delete $self->{pid};
			return $?;
		}
		sleep 0.05;
	}
	kill('KILL', $self->{pid});
	waitpid($self->{pid}, 0);
	delete $self->{pid};
	return -1;
}

sub signal { my ($s, $sig) = @_; kill($sig, $s->{pid}) }

sub confab_cmd {
	my ($self, @args) = @_;
	my $out;
	my $rc = run_cmd(\$out, confab(), '-c', $self->{conf}, @args);
	return wantarray ? ($rc, $out) : $rc;
}

sub client { Confab::Client->new($_[0]{port}) }

# user_add(name, password) -> exit status of "confab user add" (password on stdin)
sub user_add {
	my ($self, $user, $pass) = @_;
	my $pid = open(my $fh, '|-') // die "fork: $!";
	if (!$pid) {
		open(STDOUT, '>', '/dev/null');
		exec(confab(), '-c', $self->{conf}, 'user', 'add', $user) or die "exec: $!";
	}
	print $fh "$pass\n";
	close $fh;
	return $? >> 8;
}

sub DESTROY { local $?; my $s = shift; $s->stop('KILL') if $s->{pid}; }

# A raw NNTP client: exact lines, no interpretation.
package Confab::Client;
use IO::Socket::INET;

sub new {
	my ($class, $port, %o) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10)
	    or die "connect: $!";
	my $self = bless { s => $s }, $class;
	$self->{greeting} = $self->line;
	return $self;
}

sub sock { $_[0]{s} }
sub greeting { $_[0]{greeting} }
sub send { my ($self, $data) = @_; $self->{s}->print($data) }

sub line {
	my $self = shift;
	local $/ = "\n";
	my $l = $self->{s}->getline;
	return undef unless defined $l;
	$l =~ s/\r\n\z//;
	return $l;
}

# cmd("GROUP x") -> the status line
sub cmd {
	my ($self, $c) = @_;
	$self->{s}->print("$c\r\n");
	return $self->line;
}

# The lines of a multi-line block up to ".", dot-unstuffed.
sub block {
	my $self = shift;
	my @l;
	while (defined(my $l = $self->line)) {
		last if $l eq '.';
		$l =~ s/^\.//;
		push @l, $l;
	}
	return \@l;
}

# mcmd("OVER 1-3") -> (status, [lines]) ; lines only on the given success codes
sub mcmd {
	my ($self, $c) = @_;
	my $st = $self->cmd($c);
	return ($st, undef) unless defined $st && $st =~ /^(1\d\d|2[12]\d|23[01])\s/;
	return ($st, undef) if $st =~ /^(111|205|211|223)/ && $c !~ /^LISTGROUP/i;
	return ($st, $self->block);
}

sub close { $_[0]{s}->close }

1;
