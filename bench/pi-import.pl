#!/usr/bin/perl
# pi-import.pl INBOX-NAME BATCH: add the articles of an rnews batch, in order, to the
# public-inbox v2 inbox INBOX-NAME (from $PI_CONFIG) with PublicInbox::V2Writable, the
# library public-inbox-mda and -learn use, in one process and one git fast-import
# (public-inbox-mda would start a process per message). Prints "imported N seconds S".
use strict;
use warnings;
use Time::HiRes qw(time);
use PublicInbox::Config;
use PublicInbox::Eml;
use PublicInbox::InboxWritable;
my ($name, $file) = @ARGV;
die "usage: pi-import.pl INBOX-NAME BATCH\n" unless $name && $file;
my $cfg = PublicInbox::Config->new;
my $ibx = $cfg->lookup_name($name) or die "no inbox $name in $ENV{PI_CONFIG}\n";
$ibx = PublicInbox::InboxWritable->new($ibx);
my $t0 = time;
my $im = $ibx->importer(0);
open(my $fh, '<:raw', $file) or die "$file: $!\n";
my $n = 0;
while (defined(my $h = <$fh>)) {
	my ($len) = $h =~ /^#! rnews (\d+)/ or die "$file: bad batch line $h";
	read($fh, my $art, $len) == $len or die "$file: short article\n";
	$im->add(PublicInbox::Eml->new(\$art)) or warn "not added: article $n\n";
	$n++;
}
$im->done;
printf "imported %d seconds %.3f\n", $n, time - $t0;
