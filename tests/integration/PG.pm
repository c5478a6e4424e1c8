# PG.pm: a private PostgreSQL server for the tests: initdb and pg_ctl in a temporary
# directory, listening on 127.0.0.1 only, stopped when the test ends. One per test
# process (PG->shared); each confabd store is a database of its own on it.
package PG;
use strict;
use warnings;
use File::Temp qw(tempdir);
use Scalar::Util qw(weaken);
use Confab qw(free_port run_cmd);

my $BIN = (sort glob('/usr/lib/postgresql/*/bin'))[-1] // '';
our $PASSWORD = 'confab-test-pw';
my @live;	# every server started here, stopped at END

sub available { -x "$BIN/initdb" && -x "$BIN/pg_ctl" && ($> || getpwnam('postgres')) }

# As root the server runs as postgres (initdb refuses root).
sub _as {
	my @cmd = @_;
	return $> ? @cmd : ('runuser', '-u', 'postgres', '--', @cmd);
}

sub new {
	my ($class) = @_;
	my $dir = tempdir('pg-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{KEEP});
	chmod 0755, $dir;
	if (!$>) {
		my (undef, undef, $uid, $gid) = getpwnam('postgres');
		chown $uid, $gid, $dir;
	}
	my $self = bless { dir => $dir, port => free_port(), n => 0, owner => $$ }, $class;
	push @live, $self;
	weaken($live[-1]);
	my $out;
	run_cmd(\$out, _as("$BIN/initdb", '-D', "$dir/data", '-U', 'postgres', '-E', 'UTF8',
	    '--locale=C.UTF-8', '-A', 'trust')) == 0 or die "initdb failed:\n$out";
	# Password logins for the confab role over TCP; the harness itself is trusted.
	open(my $h, '>', "$dir/data/pg_hba.conf") or die;
	print $h "local all postgres trust\nlocal all all scram-sha-256\n"
	    . "host all postgres 127.0.0.1/32 trust\n"
	    . "host all all 127.0.0.1/32 scram-sha-256\n";
	close $h;
	open(my $c, '>>', "$dir/data/postgresql.conf") or die;
	print $c "listen_addresses = '127.0.0.1'\nport = $self->{port}\n"
	    . "unix_socket_directories = '$dir'\nfsync = off\nmax_connections = 200\n";
	close $c;
	$self->start;
	$self->psql('postgres', "CREATE ROLE confab LOGIN PASSWORD '$PASSWORD'");
	return $self;
}

my $shared;
sub shared { $shared //= PG->new }

sub port { $_[0]{port} }
sub dir  { $_[0]{dir} }

sub start {
	my $self = shift;
	my $out;
	run_cmd(\$out, _as("$BIN/pg_ctl", '-D', "$self->{dir}/data", '-l', "$self->{dir}/log",
	    '-w', '-t', '30', 'start')) == 0 or die "pg_ctl start failed:\n$out";
	$self->{up} = 1;
}

# stop([mode]): fast by default; "immediate" is a crash.
sub stop {
	my ($self, $mode) = @_;
	return unless $self->{up};
	my $out;
	run_cmd(\$out, _as("$BIN/pg_ctl", '-D', "$self->{dir}/data", '-m', $mode // 'fast',
	    '-w', 'stop'));
	$self->{up} = 0;
}

# psql(db, sql) -> output (unaligned, tuples only); dies on error.
sub psql {
	my ($self, $db, $sql) = @_;
	my $out;
	my $rc = run_cmd(\$out, 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h',
	    '127.0.0.1', '-p', $self->{port}, '-U', 'postgres', '-d', $db, '-c', $sql);
	die "psql failed: $sql\n$out" if $rc;
	chomp $out;
	return $out;
}

# A new empty database owned by confab; its libpq conninfo.
sub createdb {
	my ($self, $name) = @_;
	$name //= sprintf('confab_%d_%d', $$, ++$self->{n});
	$self->psql('postgres', "CREATE DATABASE $name OWNER confab");
	return $self->conninfo($name);
}

sub conninfo {
	my ($self, $db, %o) = @_;
	return "host=127.0.0.1 port=$self->{port} dbname=$db user=confab password="
	    . ($o{password} // $PASSWORD);
}

# Only the process that started it stops it (not a forked child on its way out). At
# END, before File::Temp removes the directories (see MTA.pm), not in DESTROY after it.
sub DESTROY { local $?; $_[0]->stop('immediate') if $_[0]{owner} == $$ }
END { local $?; $_->{owner} == $$ && $_->stop('immediate') for grep { defined } @live }

1;
