# WP.pm: a real WordPress for a test (tests/wp/wp-up.sh), always torn down.
package WP;
use strict;
use warnings;
use File::Temp qw(tempdir);
use JSON::PP;
use Confab qw(free_port);

sub available {
	return 0 if $>;
	return -f '/usr/share/wordpress/wp-load.php' && -x '/usr/sbin/mariadbd'
	    && !system('php -m 2>/dev/null | grep -qx mysqli');
}

sub new {
	my ($class) = @_;
	my $dir = tempdir('wp-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{KEEP});
	my $port = free_port();
	my $self = bless { dir => $dir, port => $port, up => 1 }, $class;
	my $sh = Confab::srcdir() . '/tests/wp';
	my $out = `$sh/wp-up.sh $dir $port 2>&1`;
	die "wp-up.sh failed:\n$out" if $?;
	open(my $f, '<', "$dir/wp.env") or die;
	while (<$f>) { $self->{env}{$1} = $2 if /^([A-Z_]+)='(.*)'$/ }
	close $f;
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

sub down {
	my $self = shift;
	return unless $self->{up};
	$self->resume;
	system(Confab::srcdir() . "/tests/wp/wp-down.sh", $self->{dir});
	$self->{up} = 0;
}

sub DESTROY { local $?; $_[0]->down }

1;
