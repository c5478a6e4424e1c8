#!/usr/bin/perl
# nntp-export.pl PORT GROUP > BATCH: every article of GROUP on 127.0.0.1:PORT, fetched
# with pipelined ARTICLE n (n = low..high of GROUP), written as an rnews batch
# ("#! rnews LENGTH\n" + the article with LF line ends, dot-stuffing undone). Xref is
# dropped (it names the exporting server's numbers). Prints the count to stderr.
use strict;
use warnings;
use IO::Socket::INET;
my ($port, $group) = @ARGV;
die "usage: nntp-export.pl PORT GROUP\n" unless $port && $group;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
    or die "connect 127.0.0.1:$port: $!\n";
binmode $s;
my $l = <$s>;
die "greeting: $l" unless $l =~ /^20[01]/;
print $s "GROUP $group\r\n";
$l = <$s>;
my ($n, $lo, $hi) = $l =~ /^211 (\d+) (\d+) (\d+)/ or die "GROUP $group: $l";
binmode STDOUT;
my ($next, $got, $win) = ($lo, 0, 64);
my $out = 0;
while ($got < $hi - $lo + 1) {
	while ($next <= $hi && $out < $win) {
		print $s "ARTICLE $next\r\n";
		$next++;
		$out++;
	}
	$s->flush;
	$l = <$s>;
	$out--;
	$got++;
	next if $l =~ /^423/;
	die "ARTICLE: $l" unless $l =~ /^220/;
	my ($art, $inhdr) = ('', 1);
	while (defined($l = <$s>)) {
		last if $l eq ".\r\n";
		$l =~ s/\r\n\z/\n/;
		$l =~ s/^\.\././;
		if ($inhdr) {
			$inhdr = 0 if $l eq "\n";
			next if $l =~ /^Xref:/i;
		}
		$art .= $l;
	}
	print "#! rnews " . length($art) . "\n" . $art;
	$n++;
}
print $s "QUIT\r\n";
print STDERR "exported " . ($hi - $lo + 1) . " articles of $group\n";
