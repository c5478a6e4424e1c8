#!/usr/bin/perl
# post-load.pl PORT[,PORT...] GROUP CONNS SECONDS: CONNS connections, spread over the
# ports in turn, each POSTing follow-ups to the group's first article for SECONDS, one
# at a time (POST, 340, the article, 240). Prints one line:
#   RESULT op=post conns=N ops=N errors=N seconds=S rps=R
# Loopback only.
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time);
use POSIX ();

my ($ports, $group, $conns, $secs) = @ARGV;
die "usage: post-load.pl PORT[,PORT...] GROUP CONNS SECONDS\n" unless $secs;
my @ports = split /,/, $ports;

sub conn {
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_[0]", Timeout => 30) or die "connect: $!";
	<$s>;
	return $s;
}
sub cmd { my ($s, $c) = @_; print $s "$c\r\n"; my $l = <$s> // ''; $l =~ s/\r?\n$//; $l }

# The thread root the follow-ups answer: the group's first article.
my $s = conn($ports[0]);
cmd($s, "GROUP $group") =~ /^211 \d+ (\d+) / or die "GROUP $group failed\n";
my $first = $1;
cmd($s, "HDR Message-ID $first") =~ /^225/ or die "HDR failed\n";
my ($root) = (<$s> // '') =~ /^\d+ (<[^>]+>)/ or die "no Message-ID\n";
<$s>;
close $s;

my $t0 = time;
pipe(my $r, my $w) or die;
my @kids;
for my $k (0 .. $conns - 1) {
	my $pid = fork // die;
	if (!$pid) {
		close $r;
		my $c = conn($ports[$k % @ports]);
		my ($n, $err) = (0, 0);
		while (time - $t0 < $secs) {
			my $st = cmd($c, 'POST');
			if ($st =~ /^340/) {
				my $id = sprintf('<load.%d.%d.%d@bench.example>', $$, $k, $n);
				print $c "From: Load <load\@bench.example>\r\nNewsgroups: $group\r\n"
				    . "Subject: Re: load\r\nMessage-ID: $id\r\nReferences: $root\r\n\r\n"
				    . "A follow-up from the load, number $n.\r\n.\r\n";
				$st = <$c> // '';
			}
			$st =~ /^240/ ? $n++ : $err++;
			last if $err > 100;
		}
		print $w "$n $err\n";
		close $w;
		POSIX::_exit(0);
	}
	push @kids, $pid;
}
close $w;
my ($ops, $errors) = (0, 0);
while (<$r>) {
	my ($n, $e) = split;
	$ops += $n;
	$errors += $e;
}
waitpid($_, 0) for @kids;
my $el = time - $t0;
printf "RESULT op=post conns=%d ops=%d errors=%d seconds=%.3f rps=%.1f\n", $conns, $ops,
    $errors, $el, $ops / ($el || 1e-9);
