#!/usr/bin/perl
# inn-feed.pl PORT BATCH...: feed the articles of rnews batches to innd on 127.0.0.1:PORT
# with MODE STREAM and pipelined TAKETHIS (the way innxmit/innfeed stream), falling back
# to IHAVE when streaming is refused. Prints "fed N accepted A rejected R seconds S".
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time);
my ($port, @files) = @ARGV;
die "usage: inn-feed.pl PORT BATCH...\n" unless $port && @files;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
    or die "connect 127.0.0.1:$port: $!\n";
binmode $s;
my $l = <$s>;
die "greeting: $l" unless $l =~ /^20[01]/;
print $s "MODE STREAM\r\n";
$s->flush;
$l = <$s>;
my $stream = $l =~ /^203/;
my ($fed, $ok, $rej, $out, $win) = (0, 0, 0, 0, 64);
my $t0 = time;
sub wire { my $a = shift; $a =~ s/^\./../mg; $a =~ s/\n/\r\n/g; "$a.\r\n" }
sub reply {
	my $r = <$s> // die "innd closed the connection\n";
	$out--;
	if ($r =~ /^(239|235)/) { $ok++ } else { $rej++; warn "innd: $r" if $rej <= 5 }
}
for my $f (@files) {
	open(my $fh, '<:raw', $f) or die "$f: $!\n";
	while (defined(my $h = <$fh>)) {
		my ($len) = $h =~ /^#! rnews (\d+)/ or die "$f: bad batch line $h";
		read($fh, my $art, $len) == $len or die "$f: short article\n";
		my ($id) = $art =~ /^Message-ID:\s*(<[^>]+>)/mi or die "$f: no Message-ID\n";
		if ($stream) {
			print $s "TAKETHIS $id\r\n" . wire($art);
			$out++;
			if ($out >= $win) { $s->flush; reply() }
		} else {
			print $s "IHAVE $id\r\n";
			$s->flush;
			$l = <$s>;
			if ($l !~ /^335/) { $rej++; next }
			print $s wire($art);
			$s->flush;
			$out++;
			reply();
		}
		$fed++;
	}
}
$s->flush;
reply() while $out > 0;
my $dt = time - $t0;
print $s "QUIT\r\n";
printf "fed %d accepted %d rejected %d seconds %.3f\n", $fed, $ok, $rej, $dt;
