#!/usr/bin/perl
# nntp.t: the NNTP reader server against RFC 3977 (reader commands), RFC 4643
# (AUTHINFO), RFC 8054 (COMPRESS) and what real newsreaders send: exact response codes,
# wire format (dot-stuffing, CRLF, pipelining), limits and concurrency.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use File::Temp;
use Compress::Raw::Zlib;
use MIME::Base64 qw(encode_base64);
use Net::NNTP;
use Confab;

my $src = Confab::srcdir();
my $G = 'blogs.ecatworld';
my $POST = '<p2481@e-catworld.example>';
my $PAOLO = '<p2481.c10401@e-catworld.example>';	# number 2
my $LUCA = '<p2481.c10404@e-catworld.example>';	# number 3, under Paolotini

my $c = Confab->new(import => ["$src/tests/data/ecatworld.wxr"]);
my $n = $c->client;

# read the status line and, for multi-line codes, the raw (still stuffed) lines
sub raw_block {
	my ($cl) = @_;
	my @l;
	while (defined(my $l = $cl->line)) {
		last if $l eq '.';
		push @l, $l;
	}
	return \@l;
}

sub post_article {
	my ($cl, $art) = @_;
	my $st = $cl->cmd('POST');
	return $st unless $st =~ /^340 /;
	$art =~ s/\r?\n/\r\n/g;
	$art .= "\r\n" unless $art =~ /\r\n\z/;
	$art =~ s/^\./../mg;
	$cl->send($art . ".\r\n");
	return $cl->line;
}

# ---------------------------------------------------------------- greeting, caps
like($n->greeting, qr/^200 news\.example\.test .*posting allowed/, 'greeting 200');
{
	my ($st, $l) = $n->mcmd('CAPABILITIES');
	like($st, qr/^101 /, 'CAPABILITIES 101');
	my %cap = map { /^(\S+)\s*(.*)$/ ? (uc $1 => $2) : () } @$l;
	is($l->[0], 'VERSION 2', 'VERSION 2 first');
	ok(exists $cap{READER}, 'READER');
	ok(!exists $cap{'MODE-READER'}, 'no MODE-READER with READER');
	ok(exists $cap{POST}, 'POST (open group)');
	for my $k (qw(ACTIVE ACTIVE.TIMES NEWSGROUPS OVERVIEW.FMT HEADERS COUNTS)) {
		like($cap{LIST}, qr/(^| )\Q$k\E( |$)/, "LIST $k advertised");
	}
	unlike($cap{LIST}, qr/\bMOTD\b/, 'LIST MOTD not advertised without motd_file');
	is($cap{OVER}, 'MSGID', 'OVER MSGID');
	ok(exists $cap{HDR}, 'HDR');
	ok(exists $cap{NEWNEWS}, 'NEWNEWS');
	like($cap{AUTHINFO}, qr/\bUSER\b/, 'AUTHINFO USER on loopback');
	like($cap{AUTHINFO}, qr/\bSASL\b/, 'AUTHINFO SASL');
	like($cap{SASL}, qr/\bPLAIN\b/, 'SASL PLAIN');
	is($cap{COMPRESS}, 'DEFLATE', 'COMPRESS DEFLATE');
	like($cap{IMPLEMENTATION}, qr/^confab /, 'IMPLEMENTATION');
	ok(!exists $cap{STARTTLS}, 'no STARTTLS without tls_cert');
	($st) = $n->mcmd('capabilities');
	like($st, qr/^101 /, 'keywords are case-insensitive');
}
like($n->cmd('MODE READER'), qr/^200 /, 'MODE READER 200');
like($n->cmd('mode reader'), qr/^200 /, 'mode reader 200');
like($n->cmd('MODE STREAM'), qr/^50[13] /, 'MODE STREAM refused');
like($n->cmd('FROBNICATE'), qr/^500 /, 'unknown command 500');
like($n->cmd('IHAVE <x@y>'), qr/^500 /, 'IHAVE (transit) not supported: 500');
like($n->cmd(''), qr/^500 /, 'empty line 500');
like($n->cmd('GROUP'), qr/^501 /, 'GROUP without argument 501');
like($n->cmd('DATE extra'), qr/^501 /, 'DATE with an argument 501');
like($n->cmd('STARTTLS'), qr/^5(80|02) /, 'STARTTLS without TLS configured: 580/502');

# ---------------------------------------------------------------- no group selected
for my $cmd ('ARTICLE', 'HEAD', 'BODY', 'STAT', 'ARTICLE 1', 'STAT 1', 'NEXT', 'LAST',
    'OVER', 'XOVER', 'XOVER 1-10', 'XHDR Path', 'HDR Subject', 'HDR Subject 1-2',
    'LISTGROUP', 'XPAT Subject 1- *Rossi*') {
	like($n->cmd($cmd), qr/^412 /, "$cmd before GROUP: 412");
}
# RFC 3977 3.2.1: a syntax error is 501 whatever the state, so before 412.
for my $cmd ('ARTICLE abc', 'HEAD 1x', 'BODY -1', 'STAT 1-2', 'ARTICLE <nope',
    'NEXT 1', 'LAST x', 'OVER x-y', 'XOVER 1-x', 'OVER 1--2', 'HDR Subject x',
    'XHDR Subject 3-a', 'XPAT Subject x-y *Rossi*', 'XPAT Subject 1-',
    'LISTGROUP no.such.group 1-x', "LISTGROUP $G x") {
	like($n->cmd($cmd), qr/^501 /, "$cmd before GROUP: 501, not 412");
}
like($n->cmd('STAT'), qr/^412 /, 'a LISTGROUP with a bad range selects no group');
like($n->cmd('STAT <no.such@example.org>'), qr/^430 /, 'STAT <unknown> before GROUP: 430');
{
	my ($st, $l) = $n->mcmd("HDR Subject $POST");
	like($st, qr/^225 /, 'HDR by message-id before GROUP: 225');
	is(scalar(@{ $l // [] }), 1, 'HDR by message-id: one line');
}

# ---------------------------------------------------------------- GROUP
like($n->cmd('GROUP no.such.group'), qr/^411 /, 'GROUP unknown 411');
is($n->cmd("GROUP $G"), "211 29 1 29 $G", 'GROUP 211 count low high');
like($n->cmd("group $G"), qr/^211 29 1 29 /, 'group lowercase');

# ---------------------------------------------------------------- LISTGROUP
{
	my $m = $c->client;
	like($m->cmd('LISTGROUP'), qr/^412 /, 'LISTGROUP without group 412');
	like($m->cmd('LISTGROUP no.such'), qr/^411 /, 'LISTGROUP unknown group 411');
	my ($st, $l) = $m->mcmd("LISTGROUP $G");
	like($st, qr/^211 29 1 29 \Q$G\E/, 'LISTGROUP g 211');
	is_deeply($l, [1 .. 29], 'LISTGROUP all numbers');
	($st, $l) = $m->mcmd('LISTGROUP');
	is_deeply($l, [1 .. 29], 'LISTGROUP current group');
	($st, $l) = $m->mcmd("LISTGROUP $G 5-7");
	is_deeply($l, [5, 6, 7], 'LISTGROUP range n-m');
	($st, $l) = $m->mcmd("LISTGROUP $G 27-");
	is_deeply($l, [27, 28, 29], 'LISTGROUP range n-');
	($st, $l) = $m->mcmd("LISTGROUP $G 4");
	is_deeply($l, [4], 'LISTGROUP single number');
	($st, $l) = $m->mcmd("LISTGROUP $G 9-3");
	like($st, qr/^211 /, 'reversed range still 211');
	is_deeply($l, [], 'reversed range: empty list');
	($st, $l) = $m->mcmd("LISTGROUP $G 100-200");
	is_deeply($l, [], 'range past the end: empty list');
	like($m->cmd("LISTGROUP $G 1-x"), qr/^501 /, 'bad range 501');
	# LISTGROUP sets the current article to the first one
	like($m->cmd('STAT'), qr/^223 1 \Q$POST\E/, 'LISTGROUP selects the first article');
	$m->close;
}

# ---------------------------------------------------------------- LAST / NEXT
{
	my $m = $c->client;
	$m->cmd("GROUP $G");
	like($m->cmd('LAST'), qr/^422 /, 'LAST at the first article 422');
	is($m->cmd('NEXT'), "223 2 $PAOLO retrieved", 'NEXT 223 n msgid') ;
	like($m->cmd('LAST'), qr/^223 1 \Q$POST\E/, 'LAST 223');
	like($m->cmd('STAT 29'), qr/^223 29 /, 'STAT 29');
	like($m->cmd('NEXT'), qr/^421 /, 'NEXT at the last article 421');
	like($m->cmd('STAT 29'), qr/^223 29 /, 'current unchanged after 421');
	$m->close;
}

# ---------------------------------------------------------------- ARTICLE HEAD BODY STAT
my %db;
sub db_article {
	my ($id) = @_;
	my $out = $c->sql("SELECT hex(data), head_len FROM articles WHERE msgid = '$id'");
	return () unless defined $out;
	my ($hex, $hl) = split /\|/, $out;
	return defined $hex ? (pack('H*', $hex), $hl) : ();
}
{
	my $m = $c->client;
	like($m->cmd('ARTICLE <nope@nowhere>'), qr/^430 /, 'ARTICLE unknown msgid 430');
	like($m->cmd('HEAD <nope@nowhere>'), qr/^430 /, 'HEAD unknown msgid 430');
	like($m->cmd('BODY <nope@nowhere>'), qr/^430 /, 'BODY unknown msgid 430');
	like($m->cmd('STAT <nope@nowhere>'), qr/^430 /, 'STAT unknown msgid 430');
	my ($st, $l) = $m->mcmd("ARTICLE $LUCA");
	is($st, "220 0 $LUCA", 'ARTICLE <msgid> without a group: 220 0 msgid');
	$m->cmd("GROUP $G");
	like($m->cmd('ARTICLE 30'), qr/^423 /, 'ARTICLE 30 423');
	like($m->cmd('HEAD 0'), qr/^423 /, 'HEAD 0 423');
	like($m->cmd('STAT 99999'), qr/^423 /, 'STAT 99999 423');
	like($m->cmd('ARTICLE abc'), qr/^501 /, 'ARTICLE abc 501');

	($st, $l) = $m->mcmd('ARTICLE 3');
	is($st, "220 3 $LUCA", 'ARTICLE 3');
	my $art = join("\r\n", @$l) . "\r\n";
	my ($hs, $hl) = $m->mcmd('HEAD 3');
	is($hs, "221 3 $LUCA", 'HEAD 3');
	my ($bs, $bl) = $m->mcmd('BODY 3');
	is($bs, "222 3 $LUCA", 'BODY 3');
	my $head = join("\r\n", @$hl) . "\r\n";
	my $body = join("\r\n", @$bl) . "\r\n";
	is($art, "$head\r\n$body", 'ARTICLE = HEAD + empty line + BODY');
	ok(!grep(/^$/, @$hl), 'HEAD has no empty line');
	like($head, qr/^Message-ID: \Q$LUCA\E\r$/m, 'HEAD has the Message-ID');
	like($head, qr/^References: \Q$POST $PAOLO\E\r$/m, 'References chain');
	my ($over_st, $ov) = $m->mcmd('OVER 3');
	my @f = split /\t/, $ov->[0];
	is($f[6], length($art), ':bytes in OVER = length of ARTICLE');
	is($f[7], scalar(@$bl), ':lines in OVER = lines of BODY');
	SKIP: {
		my ($data, $hlen) = db_article($LUCA);
		skip 'sqlite3 not installed', 2 unless defined $data;
		is($art, $data, 'ARTICLE byte-exact as stored');
		is($body, substr($data, $hlen), 'BODY byte-exact as stored');
	}
	is($m->cmd('STAT'), "223 3 $LUCA", 'ARTICLE n sets the current article');
	($st) = $m->mcmd("HEAD $PAOLO");
	is($st, "221 2 $PAOLO", 'HEAD <msgid> in the group gives its number');
	is($m->cmd('STAT'), "223 3 $LUCA", 'by msgid does not move the current article');
	($st) = $m->mcmd('BODY');
	is($st, "222 3 $LUCA", 'BODY on the current article');
	($st) = $m->mcmd('head');
	is($st, "221 3 $LUCA", 'head (lowercase) on the current article');
	is($m->cmd("STAT $LUCA"), "223 3 $LUCA", 'STAT <msgid>');
	$m->close;

	# Net::NNTP agrees
	my $nn = Net::NNTP->new("127.0.0.1:" . $c->port, Timeout => 10);
	ok($nn, 'Net::NNTP connects');
	my @g = $nn->group($G);
	is_deeply([@g[0 .. 3]], [29, 1, 29, $G], 'Net::NNTP group');
	my $a = $nn->article(3);
	is(join('', @$a), join("\n", @$l) . "\n", 'Net::NNTP article == raw ARTICLE');
	my $xo = $nn->xover('1-29');
	is(scalar(keys %$xo), 29, 'Net::NNTP xover 29 rows');
	$nn->quit;
}

# ---------------------------------------------------------------- OVER / XOVER
{
	my $m = $c->client;
	like($m->cmd('OVER'), qr/^412 /, 'OVER no group 412');
	my ($st, $l) = $m->mcmd("OVER $LUCA");
	like($st, qr/^224 /, 'OVER <msgid> without group 224');
	like($l->[0], qr/^0\t/, 'OVER <msgid> outside the group: number 0');
	like($m->cmd('OVER <nope@nowhere>'), qr/^430 /, 'OVER unknown msgid 430');
	$m->cmd("GROUP $G");
	($st, $l) = $m->mcmd('OVER 1-29');
	is(scalar(@$l), 29, 'OVER 1-29: 29 lines');
	my @f = split /\t/, $l->[2], -1;
	is(scalar(@f), 9, '8 fields + number');
	is($f[0], 3, 'number');
	like($f[1], qr/^Re: Rossi/, 'Subject');
	like($f[2], qr/^Luca Salvarani </, 'From');
	like($f[3], qr/^\w{3}, \d+ \w{3} \d{4} /, 'Date');
	is($f[4], $LUCA, 'Message-ID');
	is($f[5], "$POST $PAOLO", 'References');
	like($f[8], qr/^Xref: news\.example\.test \Q$G\E:3$/, 'Xref:full');
	ok(!grep(/[\r\n]/, map { split /\t/ } @$l), 'no CR/LF inside OVER fields');
	($st, $l) = $m->mcmd('XOVER 27-');
	is_deeply([map { (split /\t/)[0] } @$l], [27, 28, 29], 'XOVER n-');
	($st, $l) = $m->mcmd('OVER 5');
	is(scalar(@$l), 1, 'OVER n');
	like($m->cmd('OVER 40-50'), qr/^423 /, 'OVER empty range 423');
	like($m->cmd('OVER 9-3'), qr/^423 /, 'OVER reversed range 423');
	like($m->cmd('OVER x-y'), qr/^501 /, 'OVER bad range 501');
	($st, $l) = $m->mcmd('XOVER');
	like($st, qr/^224 /, 'XOVER on the current article');
	like($l->[0], qr/^1\t/, 'current article is 1 after GROUP');
	($st, $l) = $m->mcmd("OVER $LUCA");
	like($l->[0], qr/^(3|0)\t/, 'OVER <msgid> in the group');
	$m->close;

	# an empty group: GROUP then OVER/STAT says 420
	my $e = Confab->new(sources => <<'EOS');
[source empty]
type = local
group = local.empty
domain = empty.example
posting = open
EOS
	my $em = $e->client;
	like($em->cmd('GROUP local.empty'), qr/^211 0 /, 'empty group 211 0');
	like($em->cmd('OVER'), qr/^420 /, 'OVER in an empty group 420');
	like($em->cmd('STAT'), qr/^420 /, 'STAT in an empty group 420');
	like($em->cmd('NEXT'), qr/^420 /, 'NEXT in an empty group 420');
	my ($est, $el) = $em->mcmd('LISTGROUP');
	like($est, qr/^211 0 /, 'LISTGROUP empty group');
	is_deeply($el, [], 'LISTGROUP empty list');
	$em->close;
	$e->stop;
}

# ---------------------------------------------------------------- HDR / XHDR / XPAT
{
	my $m = $c->client;
	$m->cmd("GROUP $G");
	my ($st, $l) = $m->mcmd('HDR Subject 1-3');
	like($st, qr/^225 /, 'HDR 225');
	is(scalar(@$l), 3, 'HDR 3 lines');
	like($l->[1], qr/^2 Re: Rossi/, 'HDR line is "number value"');
	($st, $l) = $m->mcmd('XHDR Message-ID 2-3');
	like($st, qr/^221 /, 'XHDR 221');
	is_deeply($l, ["2 $PAOLO", "3 $LUCA"], 'XHDR Message-ID');
	($st, $l) = $m->mcmd('hdr message-id 2');
	is_deeply($l, ["2 $PAOLO"], 'header names case-insensitive');
	($st, $l) = $m->mcmd("HDR Subject $LUCA");
	like($st, qr/^225 /, 'HDR by msgid 225');
	like($l->[0], qr/^0 Re: Rossi/, 'HDR by msgid: number 0 (RFC 3977 8.5.2)');
	($st, $l) = $m->mcmd("XHDR Subject $LUCA");
	like($l->[0], qr/^\Q$LUCA\E Re: Rossi/, 'XHDR by msgid: msgid value');
	($st, $l) = $m->mcmd('HDR :bytes 1-3');
	like($l->[0], qr/^1 \d+$/, 'HDR :bytes');
	($st, $l) = $m->mcmd('HDR :lines 1-3');
	like($l->[1], qr/^2 \d+$/, 'HDR :lines');
	($st, $l) = $m->mcmd('HDR X-No-Such 1-2');
	is_deeply($l, ['1 ', '2 '], 'absent header: number and empty value');
	($st, $l) = $m->mcmd('HDR Archived-At');
	like($l->[0], qr/^1 <https:/, 'HDR on the current article');
	($st, $l) = $m->mcmd('XHDR Path');
	like($st, qr/^221 /, 'XHDR Path on the current article');
	like($m->cmd('HDR Subject 50-60'), qr/^423 /, 'HDR empty range 423');
	like($m->cmd('HDR Subject <nope@x>'), qr/^430 /, 'HDR unknown msgid 430');
	like($m->cmd('HDR'), qr/^501 /, 'HDR without a header 501');
	($st, $l) = $m->mcmd('XPAT From 1-29 *Salvarani*');
	like($st, qr/^221 /, 'XPAT 221');
	ok(@$l >= 1 && !grep(!/Salvarani/, @$l), 'XPAT only matching lines');
	# INN: the words after the range are one pattern, joined by spaces
	($st, $l) = $m->mcmd('XPAT Subject 1-3 Re: Rossi*');
	is_deeply([map { (split / /)[0] } @$l], [2, 3], 'XPAT pattern with a space');
	($st, $l) = $m->mcmd("XPAT Message-ID $LUCA *c10404*");
	is_deeply($l, ["$LUCA $LUCA"], 'XPAT by message-id');
	like($m->cmd('XPAT Subject 1-3'), qr/^501 /, 'XPAT without pattern 501');
	$m->close;
}

# folded headers are unfolded (References of deep comments are folded)
{
	my $m = $c->client;
	$m->cmd("GROUP $G");
	my ($st, $h) = $m->mcmd('HEAD 8');
	my $folded = join("\n", @$h) =~ /^References: [^\n]*\n[ \t]/m;
	ok($folded, 'article 8 has a folded References header');
	my ($hs, $l) = $m->mcmd('HDR References 8');
	like($l->[0], qr/^8 <p2481\@\S+>( <\S+>){4,}$/, 'HDR: References unfolded');
	($hs, $l) = $m->mcmd('OVER 8');
	my @f = split /\t/, $l->[0];
	like($f[5], qr/^<p2481\@\S+>( <\S+>){4,}$/, 'OVER: References unfolded');
	$m->close;
}

# raw RFC 2047 words stay encoded: a poster's non-ASCII name is stored encoded;
# a body with lines starting with "." is dot-stuffed on the wire
{
	my $m = $c->client;
	my $st = post_article($m, <<"EOA");
From: =?UTF-8?Q?Caf=C3=A9_Cr=C3=A8me?= <tester\@example.org>
Newsgroups: $G
Subject: Re: dots
Message-ID: <fold.1\@example.org>
References: $POST $PAOLO
Content-Type: text/plain; charset=UTF-8

.leading dot
..two dots
.
 .space dot
last line
EOA
	like($st, qr/^240 /, 'POST with a folded subject and a dot-led body 240');
	my ($gs) = $m->cmd("GROUP $G");
	my ($high) = $gs =~ /^211 \d+ \d+ (\d+)/;
	is($high, 30, 'new article is number 30');
	my ($hs, $l) = $m->mcmd('HDR From 30');
	like($l->[0], qr/^30 .*=\?UTF-8\?[BQ]\?/i, 'HDR: RFC 2047 word kept raw');
	unlike($l->[0], qr/[^\x00-\x7f]/, 'HDR value is 7-bit');
	($hs, $l) = $m->mcmd('OVER 30');
	my @f = split /\t/, $l->[0];
	like($f[2], qr/=\?UTF-8\?[BQ]\?/i, 'OVER From raw');
	is($f[4], '<fold.1@example.org>', 'poster Message-ID kept');
	is($f[5], "$POST $PAOLO", 'References of the follow-up');
	$m->send("BODY 30\r\n");
	is($m->line, '222 30 <fold.1@example.org>', 'BODY 30');
	my $raw = raw_block($m);
	ok(grep($_ eq '..leading dot', @$raw), 'dot-stuffed on the wire: ..leading dot');
	ok(grep($_ eq '...two dots', @$raw), '...two dots');
	ok(grep($_ eq '..', @$raw), 'a lone "." line goes out as ".."');
	ok(!grep($_ eq '.', @$raw), 'only the terminator is a lone dot');
	is($raw->[-1], 'last line', 'body ends before the terminator');
	$m->close;
}

# ---------------------------------------------------------------- POST
{
	my $m = $c->client;
	my $st = post_article($m, <<"EOA");
From: Follower <follower\@example.org>
Newsgroups: $G
Subject: Re: Rossi Says Production in the US Has Begun
Message-ID: <follow.1\@example.org>
References: $POST $PAOLO $LUCA

A follow-up to Luca.
EOA
	like($st, qr/^240 /, 'POST follow-up 240');
	$m->cmd("GROUP $G");
	my ($as, $l) = $m->mcmd('ARTICLE <follow.1@example.org>');
	like($as, qr/^220 31 <follow\.1\@example\.org>/, 'follow-up is article 31');
	($as, $l) = $m->mcmd('HDR References <follow.1@example.org>');
	is($l->[0], "0 $POST $PAOLO $LUCA", 'References chain extended to the parent');
	my ($g) = $m->cmd("GROUP $G");
	is($g, "211 31 1 31 $G", 'group now has 31');
	my ($xs, $xl) = $m->mcmd('XHDR Newsgroups 31');
	is($xl->[0], "31 $G", 'in the group');

	like(post_article($m, <<"EOA"), qr/^441 /, 'duplicate Message-ID 441');
From: Follower <follower\@example.org>
Newsgroups: $G
Subject: Re: again
Message-ID: <follow.1\@example.org>
References: $POST

Again.
EOA
	like(post_article($m, <<"EOA"), qr/^441 /, 'POST without References 441');
From: Follower <follower\@example.org>
Newsgroups: $G
Subject: A new thread

New thread.
EOA
	like(post_article($m, <<"EOA"), qr/^441 /, 'POST to an unknown group 441');
From: Follower <follower\@example.org>
Newsgroups: no.such.group
Subject: Re: x
References: $POST

Nope.
EOA
	my $big = "x" x 70 . "\n";
	like(post_article($m, "From: F <f\@example.org>\nNewsgroups: $G\nSubject: Re: big\n"
	    . "References: $POST\n\n" . ($big x 20000)), qr/^441 /,
	    'article over max_article_size 441');
	like($m->cmd('DATE'), qr/^111 /, 'session goes on after a refused POST');
	$m->close;
}

# ---------------------------------------------------------------- LIST family
{
	my $m = $c->client;
	my ($st, $l) = $m->mcmd('LIST');
	like($st, qr/^215 /, 'bare LIST 215');
	is_deeply($l, ["$G 31 1 y"], 'bare LIST = LIST ACTIVE');
	($st, $l) = $m->mcmd('LIST ACTIVE');
	is_deeply($l, ["$G 31 1 y"], 'LIST ACTIVE');
	($st, $l) = $m->mcmd('list active blogs.*');
	is_deeply($l, ["$G 31 1 y"], 'LIST ACTIVE wildmat');
	($st, $l) = $m->mcmd('LIST ACTIVE blogs.*,!blogs.ecat*');
	is_deeply($l, [], 'LIST ACTIVE wildmat with negation');
	($st, $l) = $m->mcmd('LIST ACTIVE comp.*');
	is_deeply($l, [], 'LIST ACTIVE no match');
	($st, $l) = $m->mcmd('LIST ACTIVE.TIMES');
	like($l->[0], qr/^\Q$G\E \d+ \S+$/, 'LIST ACTIVE.TIMES');
	my ($ctime) = $l->[0] =~ / (\d+) /;
	ok(abs($ctime - time) < 3600, 'creation time is recent');
	($st, $l) = $m->mcmd('LIST NEWSGROUPS');
	is_deeply($l, ["$G\tE-Cat World"], 'LIST NEWSGROUPS');
	($st, $l) = $m->mcmd('LIST NEWSGROUPS *.ecatworld');
	is(scalar(@$l), 1, 'LIST NEWSGROUPS wildmat');
	($st, $l) = $m->mcmd('LIST OVERVIEW.FMT');
	is_deeply($l, ['Subject:', 'From:', 'Date:', 'Message-ID:', 'References:', 'Bytes:',
	    'Lines:', 'Xref:full'], 'LIST OVERVIEW.FMT: 7 fields (the metadata in the '
	    . 'compatibility form of RFC 3977 8.4.2) then Xref:full');
	($st, $l) = $m->mcmd('LIST HEADERS');
	like($st, qr/^215 /, 'LIST HEADERS 215');
	ok(grep($_ eq ':', @$l) && grep($_ eq ':bytes', @$l) && grep($_ eq ':lines', @$l),
	    'LIST HEADERS: any header, :bytes, :lines');
	($st, $l) = $m->mcmd('LIST HEADERS MSGID');
	like($st, qr/^215 /, 'LIST HEADERS MSGID');
	like($m->cmd('LIST HEADERS FOO'), qr/^501 /, 'LIST HEADERS FOO 501');
	($st, $l) = $m->mcmd('LIST COUNTS');
	is_deeply($l, ["$G 31 1 31 y"], 'LIST COUNTS');
	like($m->cmd('LIST MOTD'), qr/^503 /, 'LIST MOTD without motd_file 503');
	like($m->cmd('LIST FROBS'), qr/^501 /, 'unknown LIST keyword 501');
	like($m->cmd('LIST DISTRIB.PATS'), qr/^50[13] /, 'LIST DISTRIB.PATS 501/503');
	like($m->cmd('LIST ACTIVE a b'), qr/^501 /, 'LIST too many arguments 501');
	$m->close;
}

# ---------------------------------------------------------------- NEWGROUPS NEWNEWS DATE
{
	my $m = $c->client;
	my $st = $m->cmd('DATE');
	like($st, qr/^111 \d{14}$/, 'DATE 111 yyyymmddhhmmss');
	my ($d) = $st =~ /^111 (\d{14})/;
	my $now = strftime('%Y%m%d%H%M%S', gmtime);
	ok(abs($d - $now) < 100 || substr($d, 0, 10) eq substr($now, 0, 10), 'DATE close to now');

	my $l;
	($st, $l) = $m->mcmd('NEWGROUPS 19700101 000000 GMT');
	like($st, qr/^231 /, 'NEWGROUPS 231');
	like($l->[0], qr/^\Q$G\E 31 1 y$/, 'NEWGROUPS lists the group');
	my $future = strftime('%Y%m%d', gmtime(time + 86400 * 2));
	($st, $l) = $m->mcmd("NEWGROUPS $future 000000 GMT");
	is_deeply($l, [], 'NEWGROUPS in the future: none');
	($st, $l) = $m->mcmd('NEWGROUPS 700101 000000');
	like($st, qr/^231 /, 'NEWGROUPS 2-digit year, local time');
	like($m->cmd('NEWGROUPS 20261301 000000'), qr/^501 /, 'bad month 501');
	like($m->cmd('NEWGROUPS 2026011 000000'), qr/^501 /, 'bad date length 501');
	like($m->cmd('NEWGROUPS 20260101 256000'), qr/^501 /, 'bad time 501');
	like($m->cmd('NEWGROUPS 20260101 000000 UTC'), qr/^501 /, 'not GMT 501');
	# RFC 3977 7.3.2: yy up to this year's is this century, a larger one the last.
	my @tm = gmtime;
	my $yy = $tm[5] % 100;
	my $next = sprintf('%02d', ($yy + 1) % 100);
	($st, $l) = $m->mcmd("NEWGROUPS ${next}0101 000000 GMT");
	is_deeply($l, ["$G 31 1 y"], "NEWGROUPS ${next}0101: a past year, the group");
	my $tomorrow = strftime('%y%m%d', gmtime(time + 86400));
	($st, $l) = $m->mcmd("NEWGROUPS $tomorrow 000000 GMT");
	if (substr($tomorrow, 0, 2) == $yy) {
		is_deeply($l, [], "NEWGROUPS $tomorrow: this century, tomorrow: none");
	} else {
		is_deeply($l, ["$G 31 1 y"], "NEWGROUPS $tomorrow (next year): last century");
	}

	($st, $l) = $m->mcmd("NEWNEWS $G 19900101 000000 GMT");
	like($st, qr/^230 /, 'NEWNEWS 230');
	ok(grep($_ eq $LUCA, @$l) && grep($_ eq '<follow.1@example.org>', @$l),
	    'NEWNEWS lists message-ids');
	my %seen;
	ok(!grep($seen{$_}++, @$l), 'NEWNEWS: no duplicates');
	($st, $l) = $m->mcmd("NEWNEWS * 900101 000000");
	like($st, qr/^230 /, 'NEWNEWS 2-digit year');
	ok(@$l >= 31, 'NEWNEWS * lists all');
	($st, $l) = $m->mcmd("NEWNEWS *,!blogs.* 19900101 000000 GMT");
	is_deeply($l, [], 'NEWNEWS with negated wildmat');
	($st, $l) = $m->mcmd("NEWNEWS $G $future 000000 GMT");
	is_deeply($l, [], 'NEWNEWS in the future: none');
	like($m->cmd("NEWNEWS $G 2026xx01 000000"), qr/^501 /, 'NEWNEWS bad date 501');
	like($m->cmd("NEWNEWS $G"), qr/^501 /, 'NEWNEWS missing date 501');
	($st, $l) = $m->mcmd("NEWNEWS $G ${next}0101 000000 GMT");
	ok(grep($_ eq $LUCA, @{ $l // [] }), "NEWNEWS ${next}0101: last century, all");

	($st, $l) = $m->mcmd('HELP');
	like($st, qr/^100 /, 'HELP 100');
	ok(@$l > 5, 'HELP text');
	is($m->cmd('QUIT'), '205 closing connection', 'QUIT 205');
	is($m->line, undef, 'connection closed after 205');
}

# ---------------------------------------------------------------- pipelining
{
	my $m = $c->client;
	my (@cmds, @want);
	for my $i (1 .. 50) {
		my $k = $i % 5;
		if ($k == 0) { push @cmds, "GROUP $G"; push @want, qr/^211 31 1 31 /; }
		elsif ($k == 1) { push @cmds, 'DATE'; push @want, qr/^111 /; }
		elsif ($k == 2) { my $a = 1 + $i % 29; push @cmds, "stat $a"; push @want, $i < 5 ? qr/^412 / : qr/^223 $a /; }
		elsif ($k == 3) { push @cmds, 'FOO'; push @want, qr/^500 /; }
		else { my $a = 1 + $i % 29; push @cmds, "head $a"; push @want, $i < 5 ? qr/^412 / : qr/^221 $a /; }
	}
	$m->send(join('', map { "$_\r\n" } @cmds));
	my $ok = 1;
	for my $i (0 .. $#cmds) {
		my $st = $m->line;
		if (!defined $st || $st !~ $want[$i]) {
			diag("pipelined #$i $cmds[$i]: " . ($st // 'EOF'));
			$ok = 0;
			last;
		}
		raw_block($m) if $st =~ /^221 /;
	}
	ok($ok, '50 pipelined commands answered in order');

	# slrnpull: batches of lowercase head/body
	$m->send(join('', map { "head $_\r\nbody $_\r\n" } 1 .. 29));
	$ok = 1;
	for my $a (1 .. 29) {
		my $h = $m->line;
		my $hb = raw_block($m);
		my $b = $m->line;
		my $bb = raw_block($m);
		$ok = 0, diag("head/body $a: $h / $b") unless $h =~ /^221 $a </ && $b =~ /^222 $a </;
	}
	ok($ok, 'pipelined lowercase head/body batch');
	$m->close;
}

# ---------------------------------------------------------------- long lines
{
	my $m = $c->client;
	is(substr($m->cmd('DATE ' . ('x' x 600)), 0, 4), '501 ', '600-octet line 501');
	like($m->cmd('DATE'), qr/^111 /, 'session goes on');
	$m->cmd("GROUP $G");
	# 510 octets with CRLF: allowed
	my ($xst) = $m->mcmd('XPAT Subject 1-3 ' . ('*' x 491));
	like($xst, qr/^221 /, 'a 510-octet line is fine');
	like($m->cmd('XPAT Subject 1-3 ' . ('*' x 494)), qr/^501 /, 'a 513-octet line: 501');
	# a long line split across several writes is one bad line, not several
	$m->send('DATE ' . ('y' x 700));
	sleep 0.2;
	$m->send(('y' x 700) . "\r\nDATE\r\n");
	like($m->line, qr/^501 /, 'split long line: 501');
	like($m->line, qr/^111 /, 'then the next command');
	$m->send(('z' x 100000) . "\r\nDATE\r\n");
	like($m->line, qr/^501 /, '100 kB line: 501');
	like($m->line, qr/^111 /, 'then the next command');
	$m->send(join('', map { 'ARTICLE ' . ('x' x 600) . "\r\n" } 1 .. 20));
	my ($bad, $closed) = (0, 0);
	while (defined(my $l = $m->line)) {
		$bad++ if $l =~ /^501 /;
		$closed = 1 if $l =~ /^400 /;
	}
	ok($closed && $bad < 20, "abusive long lines: dropped after $bad (400)");
}

# ---------------------------------------------------------------- AUTHINFO
is($c->user_add('alice', 's3cret pass'), 0, 'confab user add alice');
{
	my $m = $c->client;
	like($m->cmd('AUTHINFO PASS x'), qr/^482 /, 'PASS before USER 482');
	like($m->cmd('AUTHINFO USER alice'), qr/^381 /, 'AUTHINFO USER 381');
	like($m->cmd('AUTHINFO PASS wrong'), qr/^481 /, 'wrong password 481');
	like($m->cmd('AUTHINFO FOO'), qr/^501 /, 'AUTHINFO FOO 501');
	like($m->cmd('AUTHINFO SASL'), qr/^501 /, 'AUTHINFO SASL without a mechanism 501');
	like($m->cmd('AUTHINFO USER alice'), qr/^381 /, 'USER again');
	# RFC 4643: the password is the rest of the line (it may contain spaces)
	like($m->cmd('AUTHINFO PASS s3cret pass'), qr/^281 /, 'AUTHINFO PASS 281');
	like($m->cmd('AUTHINFO USER alice'), qr/^502 /, 'after auth: 502');
	like($m->cmd('AUTHINFO USER'), qr/^501 /, 'after auth, a syntax error: 501 before 502');
	like($m->cmd('AUTHINFO FOO'), qr/^501 /, 'after auth, AUTHINFO FOO: 501');
	my ($st, $l) = $m->mcmd('CAPABILITIES');
	ok(!grep(/^AUTHINFO/, @$l), 'no AUTHINFO capability after auth');
	$m->close;

	$m = $c->client;
	my $ir = encode_base64("\0alice\0s3cret pass", '');
	like($m->cmd('AUTHINFO SASL PLAIN ' . encode_base64("\0alice\0nope", '')), qr/^481 /,
	    'SASL PLAIN wrong password 481');
	like($m->cmd('AUTHINFO SASL CRAM-MD5'), qr/^503 /, 'unsupported mechanism 503');
	like($m->cmd("AUTHINFO SASL PLAIN $ir"), qr/^281 /, 'SASL PLAIN initial response 281');
	like($m->cmd("AUTHINFO SASL PLAIN $ir"), qr/^502 /, 'SASL again: 502');
	$m->close;
}

# 483: AUTHINFO over cleartext from a peer that is not on loopback. Server and client
# each live in a network namespace of our own, joined by a veth pair (192.0.2.0/30).
SKIP: {
	skip 'needs root and iproute2 for network namespaces', 5
	    if $> || (!-x '/usr/sbin/ip' && !-x '/sbin/ip');
	my ($nsa, $nsb) = ("cfb483a$$", "cfb483b$$");
	my $cleanup = sub { system("ip netns del $nsa 2>/dev/null; ip netns del $nsb 2>/dev/null") };
	my $up = !system("ip netns add $nsa 2>/dev/null") && !system("ip netns add $nsb") &&
	    !system("ip link add cfba$$ netns $nsa type veth peer name cfbb$$ netns $nsb") &&
	    !system("ip netns exec $nsa sh -c 'ip addr add 192.0.2.1/30 dev cfba$$ && "
	    . "ip link set cfba$$ up && ip link set lo up'") &&
	    !system("ip netns exec $nsb sh -c 'ip addr add 192.0.2.2/30 dev cfbb$$ && "
	    . "ip link set cfbb$$ up && ip link set lo up'");
	if (!$up) {
		$cleanup->();
		skip 'cannot make network namespaces here', 5;
	}
	# PostgreSQL over its Unix socket: loopback TCP stays outside the namespace.
	my $a = Confab->new(start => 0, server => "listen = 192.0.2.1:1119\n", pg_socket => 1);
	is($a->user_add('remote', 'pw'), 0, 'user add remote');
	my $pid = fork // die;
	if (!$pid) {
		open(STDERR, '>', $a->dir . '/confabd.log');
		exec('ip', 'netns', 'exec', $nsa, Confab::confabd(), '-c', $a->conf, '-f') or die;
	}
	# A client in the other namespace: greeting, CAPABILITIES, AUTHINFO USER.
	my $script = 'use IO::Socket::INET; my $s; for (1 .. 100) { '
	    . '$s = IO::Socket::INET->new(PeerAddr => "192.0.2.1:1119", Timeout => 5) and last; '
	    . 'select(undef, undef, undef, 0.05) } $s or die "connect: $!"; '
	    . 'local $/ = "\r\n"; my @o = (scalar <$s>); '
	    . 'print $s "CAPABILITIES\r\n"; while (defined(my $l = <$s>)) { push @o, $l; last if $l eq ".\r\n" } '
	    . 'for my $c ("AUTHINFO FOO", "AUTHINFO USER", "AUTHINFO USER remote") { '
	    . 'print $s "$c\r\n"; push @o, scalar <$s> } print @o';
	my $out = `ip netns exec $nsb perl -e '$script' 2>&1`;
	kill 'TERM', $pid;
	waitpid($pid, 0);
	$cleanup->();
	like($out, qr/^20[01] /, 'a non-loopback client is greeted');
	like($out, qr/^AUTHINFO\r$/m, 'CAPABILITIES: AUTHINFO without USER over cleartext');
	like($out, qr/^483 /m, 'AUTHINFO over cleartext from a non-loopback peer: 483');
	like($out, qr/^501 [^\n]*\n501 [^\n]*\n483 /m, 'syntax errors there: 501 before 483');
}
{
	my $a = Confab->new(server => "auth_failures = 3\n");
	is($a->user_add('bob', 'right'), 0, 'user add bob');
	my $m = $a->client;
	for my $i (1 .. 3) {
		$m->cmd('AUTHINFO USER bob');
		like($m->cmd('AUTHINFO PASS wrong'), qr/^481 /, "failure $i");
	}
	$m->cmd('AUTHINFO USER bob');
	like($m->cmd('AUTHINFO PASS right'), qr/^481 /,
	    'after auth_failures failures: 481 even with the right password');
	my $m2 = $a->client;
	$m2->cmd('AUTHINFO USER bob');
	like($m2->cmd('AUTHINFO PASS right'), qr/^481 /, 'limit is per client address');
	$a->stop;
}
{
	# NEWNEWS over more articles than one slice, cross-posted ones listed once.
	my $dir = File::Temp::tempdir(CLEANUP => 1);
	system("perl " . Confab::srcdir() . "/bench/gen-wxr.pl 3 200 > $dir/big.wxr") == 0 or die;
	my $a = Confab->new(import => ["$dir/big.wxr"], sources => <<"EOS");
[source ecatworld]
type = local
group = blogs.big
category_group = news blogs.big.news
EOS
	my $m = $a->client;
	my ($st, $l) = $m->mcmd('NEWNEWS blogs.big* 19900101 000000 GMT');
	is(scalar(@{ $l // [] }), 603, 'NEWNEWS: all 603 articles, over several slices');
	my %seen;
	is(scalar(grep { $seen{$_}++ } @{ $l // [] }), 0, 'each listed once');
	($st, $l) = $m->mcmd('NEWNEWS blogs.big.news 19900101 000000 GMT');
	is(scalar(@{ $l // [] }), 603, 'cross-posted articles match through either group');
	($st, $l) = $m->mcmd('NEWNEWS *,!blogs.big* 19900101 000000 GMT');
	is(scalar(@{ $l // [] }), 0, 'a negated wildmat excludes the groups');
	$a->stop;
}
{
	# Checking a password (yescrypt, ~15 ms) must not stall other clients: 40 logins
	# at once, and a DATE on another connection meanwhile.
	my $a = Confab->new;
	is($a->user_add('carol', 'pw'), 0, 'user add carol');
	my @m = map { $a->client } 1 .. 40;
	my $other = $a->client;
	my $t0 = time;
	$_->send("AUTHINFO USER carol\r\nAUTHINFO PASS pw\r\n") for @m;
	my $date = $other->cmd('DATE');
	my $date_rtt = time - $t0;
	my $ok = 0;
	for (@m) { $_->line; $ok++ if $_->line =~ /^281 /; }
	my $all = time - $t0;
	like($date, qr/^111 /, 'DATE answered while 40 logins are checked');
	is($ok, 40, 'all 40 logins accepted');
	ok($date_rtt < $all / 4, sprintf('DATE did not wait for the password checks (%.0f ms of %.0f ms)',
	    $date_rtt * 1000, $all * 1000));
	$a->stop;
}

# ---------------------------------------------------------------- overview cache
{
	# OVER and HDR come from overview lines kept in memory; they must follow the
	# store as "confab import" changes it from another process: new articles
	# appended, a withdrawn one dropped. Three daemons on one store: the cache on,
	# off, and too small for the group (served from the store): same answers.
	my $dir = File::Temp::tempdir(CLEANUP => 1);
	system("perl " . Confab::srcdir() . "/bench/gen-wxr.pl 3 30 > $dir/full.wxr") == 0
	    or die;
	my $full = do { local (@ARGV, $/) = "$dir/full.wxr"; <> };
	my $first = $full;
	$first =~ s{<item>(?:(?!<item>).)*</item>\s*(?=</channel>)}{}s or die 'no last item';
	my $spam = $full;
	$spam =~ s{(<wp:comment_id>100035</wp:comment_id>.*?<wp:comment_approved>)1<}{${1}spam<}s
	    or die 'no comment 100035';
	for (['first', $first], ['spam', $spam]) {
		open(my $f, '>', "$dir/$_->[0].wxr") or die;
		print $f $_->[1];
		close $f;
	}
	my $src = "[source ecatworld]\ntype = local\ngroup = blogs.ov\n";
	my $on = Confab->new(import => ["$dir/first.wxr"], sources => $src, start => 0);
	$on->start('-d');
	my @others = map {
		Confab->new(sources => $src, server => "overview_cache = $_", share => $on);
	} (0, 20000);
	my $same = sub {
		my ($what, $n) = @_;
		my @want;
		for my $cmd ('OVER 1-', 'XOVER 5-40', 'HDR References 1-', 'XHDR Subject 10-20',
		    'XPAT Message-ID 1- *c10003[5-9]@*', 'HDR Xref 1-', 'OVER 1000-2000') {
			my @got;
			for my $d ($on, @others) {
				my $m = $d->client;
				$m->cmd('GROUP blogs.ov');
				my ($st, $l) = $m->mcmd($cmd);
				push @got, join("\n", $st, @{ $l // [] });
				$m->close;
			}
			is($got[1], $got[0], "$what: $cmd as without the cache");
			is($got[2], $got[0], "$what: $cmd as with a cache too small for the group");
			push @want, $got[0];
		}
		# STAT by number, one at a time and pipelined (one snapshot of the store).
		my @stat;
		for my $d ($on, @others, $on) {
			my $m = $d->client;
			$m->cmd('GROUP blogs.ov');
			if (@stat == 3) {
				$m->send(join('', map { "STAT $_\r\n" } 1 .. 100));
				push @stat, join("\n", map { $m->line } 1 .. 100);
			} else {
				push @stat, join("\n", map { $m->cmd("STAT $_") } 1 .. 100);
			}
			$m->close;
		}
		is(scalar(grep { /^223 / } split /\n/, $stat[0]), $n, "$what: STAT finds $n articles");
		is($stat[1], $stat[0], "$what: STAT 1..100 as without the cache");
		is($stat[2], $stat[0], "$what: STAT 1..100 as with a cache too small for the group");
		is($stat[3], $stat[0], "$what: STAT 1..100 pipelined as one by one");
		my @lines = split /\n/, $want[0];
		is(scalar(@lines) - 1, $n, "$what: OVER has $n lines");
		return \@lines;
	};
	$same->('first import', 62);
	like($on->log, qr/overview of group \d+: 62 lines read$/m, 'the cache read the group once');
	is(($on->confab_cmd('import', '--source', 'ecatworld', "$dir/full.wxr"))[0], 0,
	    'a third post imported while the daemons run');
	$same->('after the import', 93);
	like($on->log, qr/93 lines kept, 31 of them read now/, 'only the new lines were read');
	is(($on->confab_cmd('import', '--source', 'ecatworld', "$dir/spam.wxr"))[0], 0,
	    'a comment marked spam');
	my $l = $same->('after the withdrawal', 92);
	ok(!grep(/c100035\@/, @$l), 'the withdrawn comment is gone from OVER');
	like($on->log, qr/92 lines kept, 0 of them read now, 1 dropped/,
	    'a withdrawal drops its line without reading the group again');
	like($others[1]->log, qr/exceeds overview_cache \(20000 octets\)/,
	    'a group larger than the cache is said to be served from the store');
	$_->stop for $on, @others;
}

# ---------------------------------------------------------------- COMPRESS DEFLATE
{
	my $m = $c->client;
	like($m->cmd('COMPRESS GZIP'), qr/^50[13] /, 'COMPRESS GZIP refused');
	is(substr($m->cmd('COMPRESS DEFLATE'), 0, 4), '206 ', 'COMPRESS DEFLATE 206');
	my ($d) = Compress::Raw::Zlib::Deflate->new(-WindowBits => -15, -AppendOutput => 1);
	my ($i) = Compress::Raw::Zlib::Inflate->new(-WindowBits => -15, -AppendOutput => 1,
	    -ConsumeInput => 1, -LimitOutput => 0);
	my $sock = $m->sock;
	my $plain = '';
	my $zsend = sub {
		my $out = '';
		$d->deflate($_[0], $out);
		$d->flush($out, Z_SYNC_FLUSH);
		syswrite($sock, $out);
	};
	# read until the plain text matches $re
	my $zread = sub {
		my ($re) = @_;
		my $until = time + 10;
		while ($plain !~ $re && time < $until) {
			my $sel = IO::Select->new($sock);
			next unless $sel->can_read(1);
			my $buf;
			my $r = sysread($sock, $buf, 65536);
			last unless $r;
			my $st = $i->inflate($buf, $plain);
			last if $st != Z_OK && $st != Z_STREAM_END && $st != Z_BUF_ERROR;
		}
		return $plain =~ $re ? $& : undef;
	};
	$zsend->("GROUP $G\r\nOVER 1-29\r\n");
	my $got = $zread->(qr/^211 .*?\r\n224 .*?\r\n(?:.*\r\n)*?\.\r\n/s);
	ok(defined $got, 'compressed GROUP + OVER answered');
	like($plain, qr/^211 31 1 31 \Q$G\E\r\n/, 'GROUP through deflate');
	my @rows = grep /^\d+\t/, split /\r\n/, $plain;
	is(scalar(@rows), 29, 'OVER through deflate: 29 rows');
	$plain = '';
	$zsend->("COMPRESS DEFLATE\r\n");
	ok(defined $zread->(qr/^502 .*\r\n/), 'second COMPRESS 502');
	$plain = '';
	$zsend->("ARTICLE 3\r\n");
	ok(defined $zread->(qr/\r\n\.\r\n\z/), 'ARTICLE through deflate');
	like($plain, qr/^220 3 \Q$LUCA\E\r\n/, 'ARTICLE status');
	$plain = '';
	$zsend->("QUIT\r\n");
	ok(defined $zread->(qr/^205 .*\r\n/), 'QUIT through deflate: 205 arrives');
	my $rest;
	my $sel = IO::Select->new($sock);
	ok($sel->can_read(5) && !sysread($sock, $rest, 100), 'then the server closes');
	$m->close;
}

# ---------------------------------------------------------------- LIST MOTD, limits
{
	my $dir = $c->dir;
	open(my $f, '>', "$dir/motd") or die;
	print $f "Welcome to confab\n.dot line\n";
	close $f;
	my $l = Confab->new(server => "motd_file = $dir/motd\nmax_connections_per_ip = 3\n"
	    . "idle_timeout = 2\n");
	my $m = $l->client;
	$m->send("LIST MOTD\r\n");
	like($m->line, qr/^215 /, 'LIST MOTD 215 with motd_file');
	is_deeply(raw_block($m), ['Welcome to confab', '..dot line'], 'MOTD text, dot-stuffed');
	my ($st, $cl) = $m->mcmd('CAPABILITIES');
	ok(grep(/^LIST .*\bMOTD\b/, @{ $cl // [] }), 'LIST MOTD advertised with motd_file');
	like($m->cmd('LIST MOTD x'), qr/^501 /, 'LIST MOTD with an argument 501');

	my @more = map { $l->client } 1 .. 2;
	like($more[0]->greeting, qr/^20[01] /, 'second connection ok');
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $l->port, Timeout => 5);
	my $g = <$s>;
	like($g // '', qr/^400 /, 'max_connections_per_ip: 400 on the 4th');
	close $s;
	$_->close for @more;
	sleep 0.3;

	my $t0 = time;
	my $idle = $l->client;
	my $msg = $idle->line;
	like($msg // '', qr/^400 /, 'idle_timeout: 400');
	my $dt = time - $t0;
	ok($dt >= 1.5 && $dt < 6, sprintf('after about 2 s (%.1f)', $dt));
	is($idle->line, undef, 'then closed');
	$l->stop;
}

# ---------------------------------------------------------------- concurrency
{
	my $cc = Confab->new(import => ["$src/tests/data/ecatworld.wxr"],
	    server => "max_connections_per_ip = 1000\n");
	my @s;
	for (1 .. 200) {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $cc->port, Timeout => 10)
		    or last;
		push @s, $s;
	}
	is(scalar(@s), 200, '200 sockets open at once');
	my $greeted = grep { my $g = <$_>; defined $g && $g =~ /^200 / } @s;
	is($greeted, 200, 'all 200 greeted');
	$_->print("GROUP $G\r\n") for @s;
	my $ans = grep { my $g = <$_>; defined $g && $g =~ /^211 29 / } @s;
	is($ans, 200, 'all 200 answer GROUP');
	close $_ for @s;

	# a slow reader does not stall anybody else
	my $a = Confab::Client->new($cc->port);
	$a->send("GROUP $G\r\n" . ("OVER 1-29\r\n" x 200));
	sleep 0.3;
	my $b = Confab::Client->new($cc->port);
	my $t0 = time;
	like($b->cmd('DATE'), qr/^111 /, 'B: DATE answered while A does not read');
	ok(time - $t0 < 3, 'quickly');
	like($b->cmd("GROUP $G"), qr/^211 /, 'B: GROUP');
	my ($st, $l) = $b->mcmd('OVER 1-29');
	is(scalar(@$l), 29, 'B: OVER');
	# A eventually gets everything, in order
	my $n224 = 0;
	like($a->line, qr/^211 /, 'A: GROUP');
	while ($n224 < 200) {
		my $st = $a->line;
		last unless defined $st && $st =~ /^224 /;
		my $rows = $a->block;
		last unless @$rows == 29;
		$n224++;
	}
	is($n224, 200, 'A: all 200 OVER responses complete and in order');
	$a->close;
	$b->close;

	# graceful SIGTERM with a client connected
	my $w = Confab::Client->new($cc->port);
	like($w->cmd("GROUP $G"), qr/^211 /, 'client connected before TERM');
	my $rc = $cc->stop('TERM');
	my $last = $w->line;
	like($last // '', qr/^400 /, 'client got 400 on shutdown');
	is($rc, 0, 'confabd exits 0 on SIGTERM');
}

ok($c->alive, 'daemon still alive');
like($c->log, qr/./, 'daemon logged');
unlike($c->log, qr/AddressSanitizer|runtime error|Segmentation/, 'no sanitizer reports');
is($c->stop, 0, 'stop exits 0');
done_testing();
