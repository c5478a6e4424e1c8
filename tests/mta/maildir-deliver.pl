#!/usr/bin/perl
# maildir-deliver.pl BASE LOCALPART: Postfix pipe(8) delivery agent of the test MTA.
# Writes the message on stdin to BASE/LOCALPART/new/ (Maildir: tmp/ then rename),
# creating the Maildir on first use. Exit codes per sysexits: 67 bounces an unusable
# local part or bounce-*, 75 defers defer-* and any I/O error.
use strict;
use warnings;
use Time::HiRes qw(time);

my ($base, $user) = @ARGV;
exit 64 unless defined $user && @ARGV == 2;
if ($user !~ /^[a-z0-9][a-z0-9._+=-]*\z/ || $user =~ /\.\./) {
	print "unusable mailbox name\n";
	exit 67;
}
# Failure hooks for tests: bounce-* bounces, defer-* stays in the queue.
if ($user =~ /^bounce-/) {
	print "mailbox $user bounces (test hook)\n";
	exit 67;
}
if ($user =~ /^defer-/) {
	print "mailbox $user is unavailable (test hook)\n";
	exit 75;
}
my $md = "$base/$user";
for my $d ($md, "$md/tmp", "$md/new", "$md/cur") {
	next if mkdir($d, 0700) || $!{EEXIST};
	print "mkdir $d: $!\n";
	exit 75;
}
my $t = time;
my $name = sprintf('%d.M%06dP%d.mta', int($t), ($t - int($t)) * 1e6, $$);
my $tmp = "$md/tmp/$name";
my $ok = open(my $fh, '>', $tmp);
if ($ok) {
	binmode STDIN;
	binmode $fh;
	while (1) {
		my $n = read(STDIN, my $buf, 65536);
		if (!defined $n) { $ok = 0; last }
		last if $n == 0;
		$ok = print $fh $buf or last;
	}
	$ok = close($fh) && $ok;
}
if (!$ok || !rename($tmp, "$md/new/$name")) {
	print "write $tmp: $!\n";
	unlink $tmp;
	exit 75;
}
exit 0;
