#!/usr/bin/perl
# gen-wxr.pl POSTS COMMENTS: a synthetic WordPress WXR export on stdout, with nested
# comment trees (each comment answers a random earlier one, or the post).
use strict;
use warnings;
my ($posts, $per) = (shift // 1000, shift // 100);
srand(42);
my @words = qw(rossi energy cold fusion reactor test heat output input claim patent
    investors production facility report measure steam watts customer question answer);
sub text { join(' ', map { $words[rand @words] } 1 .. (8 + int(rand(60)))) }
print qq{<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><title>Bench</title><link>https://bench.example</link><wp:wxr_version>1.2</wp:wxr_version>\n};
my $cid = 100000;
for my $p (1 .. $posts) {
	my $t = 1300000000 + $p * 86400;
	my @d = gmtime($t);
	my $date = sprintf('%04d-%02d-%02d %02d:%02d:%02d', $d[5] + 1900, $d[4] + 1, @d[3, 2, 1, 0]);
	print "<item><title>Post number $p about " . text() . "</title><link>https://bench.example/?p=$p</link>"
	    . "<dc:creator><![CDATA[admin]]></dc:creator><content:encoded><![CDATA[<p>" . text() . "</p><p>" . text()
	    . "</p>]]></content:encoded><wp:post_id>$p</wp:post_id><wp:post_date_gmt>$date</wp:post_date_gmt>"
	    . "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
	    . "<category domain=\"category\" nicename=\"news\"><![CDATA[News]]></category>\n";
	my @ids;
	for my $c (1 .. $per) {
		$cid++;
		my $parent = @ids && rand() < 0.7 ? $ids[rand @ids] : 0;
		push @ids, $cid;
		my @e = gmtime($t + $c * 60);
		my $cd = sprintf('%04d-%02d-%02d %02d:%02d:%02d', $e[5] + 1900, $e[4] + 1, @e[3, 2, 1, 0]);
		my $a = "Commenter " . int(rand(500));
		print "<wp:comment><wp:comment_id>$cid</wp:comment_id><wp:comment_author><![CDATA[$a]]></wp:comment_author>"
		    . "<wp:comment_author_email>u" . int(rand(500)) . "\@mail.example</wp:comment_author_email>"
		    . "<wp:comment_date_gmt>$cd</wp:comment_date_gmt><wp:comment_content><![CDATA[" . text() . "\n\n" . text()
		    . "]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>$parent</wp:comment_parent></wp:comment>\n";
	}
	print "</item>\n";
}
print "</channel></rss>\n";
