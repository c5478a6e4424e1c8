# WP.pm: a real WordPress for a test (tests/wp/wp-up.sh), always torn down.
package WP;
use strict;
use warnings;
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX ();
use Scalar::Util qw(weaken);
use Confab qw(free_port);

# Stopped at END, before File::Temp removes their directories (see MTA.pm).
my @live;
END { local $?; $_->down for grep { defined } @live }

sub available {
	return 0 if $>;
	return -f '/usr/share/wordpress/wp-load.php' && -x '/usr/sbin/mariadbd'
	    && !system('php -m 2>/dev/null | grep -qx mysqli');
}

sub new {
	my ($class) = @_;
	my $dir = tempdir('wp-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{KEEP});
	my $port = free_port();
	my $self = bless { dir => $dir, port => $port, up => 1, owner => $$ }, $class;
	my $sh = Confab::srcdir() . '/tests/wp';
	my $out = `$sh/wp-up.sh $dir $port 2>&1`;
	die "wp-up.sh failed:\n$out" if $?;
	open(my $f, '<', "$dir/wp.env") or die;
	while (<$f>) { $self->{env}{$1} = $2 if /^([A-Z_]+)='(.*)'$/ }
	close $f;
	push @live, $self;
	weaken($live[-1]);
	return $self;
}

sub url { $_[0]{env}{WP_URL} }
sub env { $_[0]{env}{$_[1]} }
sub dir { $_[0]{dir} }

# wp(CMD, ARGS...) -> decoded JSON (or raw text)
sub wp {
	my ($self, @args) = @_;
	my $php = Confab::srcdir() . '/tests/wp/wp.php';
	open(my $p, '-|', 'php', $php, $self->{dir}, @args) or die;
	local $/;
	my $out = <$p> // '';
	close $p;
	my $j = eval { JSON::PP->new->utf8->allow_nonref->decode($out) };
	return defined $j ? $j : $out;
}

# Pause / resume the web server (the blog stops answering, connections hang).
sub pause  { kill('STOP', -$_[0]{env}{WP_PGID}) }
sub resume { kill('CONT', -$_[0]{env}{WP_PGID}) }

# maintenance(on): the blog answers every request 503 (Retry-After: 1), or no more.
sub maintenance {
	my ($self, $on) = @_;
	my $f = "$self->{dir}/maintenance";
	if ($on) { open(my $fh, '>', $f) or die "$f: $!"; close $fh } else { unlink $f }
}

# stop_web / start_web: the web server truly stopped (connections refused; MariaDB
# stays), then started again on the same port, as tests/wp/wp-up.sh starts it.
sub stop_web {
	my $self = shift;
	my $pg = $self->{env}{WP_PGID} or return;
	$self->resume;
	kill('TERM', -$pg);
	for (1 .. 100) { last unless kill(0, -$pg); select(undef, undef, undef, 0.1) }
	kill('KILL', -$pg) if kill(0, -$pg);
	for (1 .. 50) { last unless kill(0, -$pg); select(undef, undef, undef, 0.1) }
	waitpid($self->{web_pid}, 0) if $self->{web_pid};
}

sub start_web {
	my $self = shift;
	my $sh = Confab::srcdir() . '/tests/wp';
	my $pid = fork() // die "fork: $!";
	if (!$pid) {
		POSIX::setsid();
		$ENV{CONFAB_WP_CONFIG} = $self->{env}{WP_CONFIG_NAME};
		$ENV{PHP_CLI_SERVER_WORKERS} = $ENV{WP_WORKERS} // 4;
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', "$self->{dir}/php-server.log");
		open(STDERR, '>&', \*STDOUT);
		exec('php', '-S', "127.0.0.1:$self->{port}", '-t', '/usr/share/wordpress',
		    "$sh/router.php") or POSIX::_exit(127);
	}
	$self->{web_pid} = $pid;
	@{ $self->{env} }{qw(WP_PID WP_PGID)} = ($pid, $pid);	# setsid: its own group
	# wp-down.sh stops what wp.env names
	my $env = "$self->{dir}/wp.env";
	open(my $in, '<', $env) or die "$env: $!";
	my @l = grep { !/^WP_P(G)?ID=/ } <$in>;
	close $in;
	open(my $out, '>', $env) or die "$env: $!";
	print $out @l, "WP_PID='$pid'\nWP_PGID='$pid'\n";
	close $out;
	for (1 .. 100) {
		return 1 if !system('curl', '-sf', '-o', '/dev/null', '--max-time', '5',
		    "$self->{env}{WP_URL}/?rest_route=/");
		select(undef, undef, undef, 0.1);
	}
	die "php -S did not come back on port $self->{port}";
}

sub down {
	my $self = shift;
	return unless $self->{up} && $self->{owner} == $$;	# not a forked child's
	$self->resume;
	system(Confab::srcdir() . "/tests/wp/wp-down.sh", $self->{dir});
	$self->{up} = 0;
}

sub DESTROY { local $?; $_[0]->down }

1;
