# MTA.pm: a private Postfix for a test (tests/mta/mta-up.sh), always torn down.
package MTA;
use strict;
use warnings;
use File::Temp qw(tempdir);
use Scalar::Util qw(weaken);
use Time::HiRes qw(sleep time);
use Confab qw(free_port);

# Instances still up when the test ends are stopped by this END block, which runs
# before File::Temp's removes their directories (END blocks run last defined, first):
# DESTROY in global destruction comes after that, finds no directory and so no
# instance to stop, and Postfix was left running.
my @live;
END { local $?; $_->down for grep { defined } @live }

sub available { !$> && -x '/usr/sbin/postfix' && -x '/usr/bin/swaks' }

# new(list => DOMAIN, subs => DOMAIN): mail for list goes over LMTP to ->lmtp; any
# address of subs lands in a Maildir (->maildir).
sub new {
	my ($class, %o) = @_;
	my $self = bless { list => $o{list} // 'lists.example.test',
	    subs => $o{subs} // 'subs.example.test', smtp => free_port(), lmtp => free_port(),
	    dir => tempdir('mta-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{KEEP}) }, $class;
	my $out = `@{[ Confab::srcdir() ]}/tests/mta/mta-up.sh $self->{dir} $self->{smtp} $self->{lmtp} $self->{list} $self->{subs} 2>&1`;
	die "mta-up.sh failed:\n$out" if $?;
	$self->{up} = 1;
	$self->{owner} = $$;
	push @live, $self;
	weaken($live[-1]);
	return $self;
}

sub smtp { $_[0]{smtp} }
sub lmtp { $_[0]{lmtp} }
sub dir  { $_[0]{dir} }

# The [mail] section that points confabd at this MTA.
sub mail_conf {
	my ($self, $more) = @_;
	return "[mail]\ndomain = $self->{list}\nrelay = 127.0.0.1:$self->{smtp}\n"
	    . "listen_lmtp = 127.0.0.1:$self->{lmtp}\n" . ($more // '');
}

# The mails in a subscriber's Maildir, as text, oldest first.
sub maildir {
	my ($self, $who) = @_;
	my @m;
	for my $f (sort glob("$self->{dir}/maildirs/$who/new/*")) {
		open(my $fh, '<', $f) or next;
		local $/;
		push @m, scalar <$fh>;
	}
	return @m;
}

# The newest mail of who matching re, waiting up to secs (30); undef if none came.
sub wait_mail {
	my ($self, $who, $re, $secs) = @_;
	my $until = time + ($secs // 30);
	while (time < $until) {
		my @m = grep { /$re/ } $self->maildir($who);
		return $m[-1] if @m;
		sleep 0.2;
	}
	return undef;
}

sub down {
	my $self = shift;
	return unless $self->{up} && $self->{owner} == $$;	# not a forked child's
	system(Confab::srcdir() . '/tests/mta/mta-down.sh', $self->{dir});
	$self->{up} = 0;
}

sub DESTROY { local $?; $_[0]->down }

1;
