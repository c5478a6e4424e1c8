#!/usr/bin/perl
# post.t: NNTP POST to a local (posting = open) group, through the one posting path
# (src/post.c): decoding, charset conversion, format=flowed, quoting, signatures,
# RFC 2047 names, the refusals (441 with a reason), Message-ID handling, References,
# numbering.
use strict;
use warnings;
use utf8;
binmode(Test::More->builder->$_, ":utf8") for qw(output failure_output todo_output);
use Test::More;
use Encode qw(decode encode);
use MIME::Base64 qw(encode_base64);
use Confab;

my $src = Confab::srcdir();
my $c = Confab->new(import => ["$src/tests/data/ecatworld.wxr"]);
my $n = $c->client;
like($n->greeting, qr/^200 /, 'greeting allows posting');

my $POST   = '<p2481@e-catworld.example>';
my $PAOLO  = '<p2481.c10401@e-catworld.example>';	# Paolotini, top level
my $LUCA   = '<p2481.c10404@e-catworld.example>';	# Luca Salvarani, under Paolotini
my $ANON   = '<p2481.c10409@e-catworld.example>';	# Anonymous, under Luca

# post(text) -> status line after the article; LF line ends become CRLF, dot-stuffed.
sub post {
	my ($art, $conn) = @_;
	$conn //= $n;
	my $st = $conn->cmd('POST');
	return $st unless $st =~ /^340 /;
	$art = encode('UTF-8', $art) if utf8::is_utf8($art);
	$art =~ s/\r?\n/\r\n/g;
	$art .= "\r\n" unless $art =~ /\r\n\z/;
	$art =~ s/^\./../mg;
	$conn->send($art . ".\r\n");
	return $conn->line;
}

sub group_state {
	my ($st) = $n->cmd('GROUP blogs.ecatworld');
	my ($count, $low, $high) = $st =~ /^211 (\d+) (\d+) (\d+) /
	    or die "GROUP: $st";
	return ($count, $low, $high);
}

# article(id) -> (headers hashref lc name => value, body string LF, raw lines)
sub article {
	my ($id) = @_;
	my ($st, $l) = $n->mcmd("ARTICLE $id");
	return (undef, undef, $st) unless $st =~ /^220 /;
	my (%h, @body, $inbody, $last);
	for my $line (@$l) {
		if ($inbody) { push @body, $line; next; }
		if ($line eq '') { $inbody = 1; next; }
		if ($line =~ /^[ \t]/ && defined $last) { $h{$last} .= $line; next; }
		my ($k, $v) = $line =~ /^([^:]+):\s*(.*)$/ or next;
		$last = lc $k;
		$h{$last} = $v;
	}
	return (\%h, join("\n", @body) . "\n", $st, $l);
}

sub art {
	my (%o) = @_;
	my $h = '';
	$h .= "From: $o{from}\n" if defined $o{from};
	$h .= "Newsgroups: $o{ng}\n" if defined $o{ng};
	$h .= "Subject: $o{subject}\n" if defined $o{subject};
	$h .= "References: $o{refs}\n" if defined $o{refs};
	$h .= "Message-ID: $o{msgid}\n" if defined $o{msgid};
	$h .= "$o{extra}" if defined $o{extra};
	return $h . "\n" . ($o{body} // "Hello.\n");
}

my %base = (from => 'Tester <tester@example.org>', ng => 'blogs.ecatworld',
    subject => 'Re: Rossi Says Production in the US Has Begun', refs => "$POST $PAOLO");

my ($count0, $low0, $high0) = group_state();
is($high0, 29, 'fixture: 29 articles');

# --- 1. quoted-printable, ISO-8859-1, format=flowed, quotes, signature, RFC 2047 From
my $st = post(art(%base,
    from => '=?ISO-8859-1?Q?J=F6rg_M=FCller?= <jm@example.org>',
    extra => "MIME-Version: 1.0\n" .
	"Content-Type: text/plain; charset=ISO-8859-1; format=flowed\n" .
	"Content-Transfer-Encoding: quoted-printable\n",
    body => <<'B'));
> Rossi's style is=20
> scam-style

Gr=FC=DFe, this is a soft=20
wrapped paragraph with a hard=
 break after it.
Second line, same paragraph.

-- 
J=F6rg, the signature
B
like($st, qr/^240 .*<[^>]+\@[^>]+>/, 'QP/Latin-1/flowed article accepted') or diag $c->log;
my ($count1, $low1, $high1) = group_state();
is($high1, $high0 + 1, 'GROUP high mark went up by one');
is($count1, $count0 + 1, 'GROUP count went up by one');
my ($id1) = $st =~ /(<[^>]+>)/;
{
	my ($h, $body) = article($high1);
	ok($h, "ARTICLE $high1 works");
	is($h->{'message-id'}, $id1, 'Message-ID is the one 240 named');
	is($h->{references}, "$POST $PAOLO", 'References = parent References + parent');
	is($h->{'in-reply-to'}, $PAOLO, 'In-Reply-To = parent');
	like($h->{'content-type'}, qr{^text/plain; charset=UTF-8}i, 'article is UTF-8');
	my $from = $h->{from};
	unlike($from, qr/[^\x20-\x7e]/, 'From is 7-bit');
	unlike($from, qr/jm\@example\.org/, 'poster address not revealed');
	for my $w ($from =~ /(=\?[^?]+\?[BbQq]\?[^?]*\?=)/g) {
		ok(length($w) <= 75, "encoded word <= 75 chars: $w");
	}
	my $dfrom = decode('MIME-Header', $from);
	like($dfrom, qr/^"?Jörg Müller"? </, 'RFC 2047 From decoded and re-encoded')
	    or diag $from;
	my $ubody = decode('UTF-8', $body);
	like($ubody, qr/^> Rossi's style is scam-style$/m, 'quote kept, flowed quote joined')
	    or diag $ubody;
	like($ubody, qr/Grüße, this is a soft wrapped paragraph with a hard break after it\./,
	    'QP soft break and flowed soft breaks joined, Latin-1 converted');
	like($ubody, qr/^Second line, same paragraph\.$/m, 'hard break kept');
	unlike($ubody, qr/signature/, 'signature dropped');
	unlike($ubody, qr/^-- $/m, 'signature separator dropped');
	# The article in OVER with the next number
	my ($ost, $ol) = $n->mcmd("OVER $high1");
	like($ost, qr/^224 /, 'OVER of the new article');
	my @f = split /\t/, $ol->[0] // '';
	is($f[0], $high1, 'OVER number');
	is($f[4], $id1, 'OVER Message-ID');
	is($f[5], "$POST $PAOLO", 'OVER References');
	my ($xst, $xl) = $n->mcmd("OVER " . ($high0 + 1) . "-");
	is(scalar @{ $xl // [] }, 1, 'exactly one new article in OVER high+1-');
}

# --- 2. base64 UTF-8 body, reply to a deeper comment, poster's own Message-ID
my $own = '<own-id-' . $$ . '@posters.example>';
$st = post(art(%base, refs => "$POST $PAOLO $LUCA", msgid => $own,
    extra => "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n" .
	"Content-Transfer-Encoding: base64\n",
    body => encode_base64(encode('UTF-8', "Ciao Luca — così è.\n\nSecondo paragrafo.\n"))));
like($st, qr/^240 /, 'base64 article accepted');
like($st, qr/\Q$own\E/, '240 names the poster\'s Message-ID');
{
	my ($h, $body) = article($own);
	ok($h, 'ARTICLE <poster id> works');
	is($h->{'message-id'}, $own, 'poster Message-ID kept');
	is($h->{references}, "$POST $PAOLO $LUCA", 'References chain');
	is(decode('UTF-8', $body), "Ciao Luca — così è.\n\nSecondo paragrafo.\n",
	    'base64 body decoded');
	my ($c2, undef, $h2) = group_state();
	is($h2, $high1 + 1, 'numbers ascend');
}

# --- 3. reply to the posted article (parent known only through confab)
$st = post(art(%base, refs => "$POST $PAOLO $LUCA $own", body => "Reply to a reply.\n"));
like($st, qr/^240 /, 'follow-up to a posted article accepted');
my ($id3) = $st =~ /(<[^>]+>)/;
{
	my ($h) = article($id3);
	is($h->{references}, "$POST $PAOLO $LUCA $own", 'References through a posted parent');
	is($h->{'in-reply-to'}, $own, 'In-Reply-To the posted parent');
}

# --- 4. References: unknown ids in it are skipped; the last known one is the parent;
#     the chain is rebuilt from the parent, not copied from the poster
$st = post(art(%base, refs => "<unknown1\@nowhere.example> $ANON <unknown2\@nowhere.example>",
    body => "Threaded under Anonymous.\n"));
like($st, qr/^240 /, 'References with unknown ids around a known one');
{
	my ($id) = $st =~ /(<[^>]+>)/;
	my ($h) = article($id);
	is($h->{references}, "$POST $PAOLO $LUCA $ANON", 'chain rebuilt from the parent');
}

# --- 5. refusals
my ($cb, $lb, $hb) = group_state();
my @refuse = (
    [ 'missing Subject',    art(%base, subject => undef), qr/subject/i ],
    [ 'missing From',       art(%base, from => undef), qr/from/i ],
    [ 'missing Newsgroups', art(%base, ng => undef), qr/newsgroups/i ],
    [ 'unknown group',      art(%base, ng => 'alt.nonexistent'), qr/group/i ],
    [ 'one unknown group',  art(%base, ng => 'blogs.ecatworld,alt.nonexistent'), qr/group/i ],
    [ 'only unknown References', art(%base, refs => '<nope@nowhere.example>'),
	qr/reference|known/i ],
    [ 'no References',      art(%base, refs => undef), qr/thread|reference/i ],
    [ 'malformed From',     art(%base, from => 'not an address at all <'), qr/from/i ],
    [ 'empty body',         art(%base, body => ''), qr/empty/i ],
    [ 'blank body',         art(%base, body => "\n  \n\n"), qr/empty/i ],
    [ 'signature-only body', art(%base, body => "-- \nJust a signature\n"), qr/empty/i ],
    [ 'HTML-only',          art(%base, extra => "MIME-Version: 1.0\n" .
	"Content-Type: text/html; charset=utf-8\n", body => "<p>Hello</p>\n"),
	qr/text\/plain|html/i ],
    [ 'non-UTF-8 without charset', art(%base, body => "Gr\xfc\xdfe\n"), qr/utf-8|charset/i ],
    [ 'unknown charset',    art(%base, extra => "Content-Type: text/plain; charset=x-klingon\n"),
	qr/charset/i ],
    [ 'malformed Message-ID', art(%base, msgid => 'no-angle@brackets'), qr/message-id/i ],
    [ 'duplicate Message-ID (poster)', art(%base, msgid => $own), qr/duplicate|known/i ],
    [ 'duplicate Message-ID (imported)', art(%base, msgid => $LUCA), qr/duplicate|known/i ],
    [ 'control message (cancel)', art(%base, subject => "cmsg cancel $own",
	extra => "Control: cancel $own\n", body => "cancel\n"), qr/control/i ],
    [ 'Supersedes', art(%base, extra => "Supersedes: $own\n"), qr/supersed/i ],
);
for my $r (@refuse) {
	my ($what, $a, $re) = @$r;
	my $s = post($a);
	like($s, qr/^441 /, "$what: 441");
	like($s, $re, "$what: reason given") or diag $s;
}
my ($ca, $la, $ha) = group_state();
is($ha, $hb, 'refused articles did not take a number');
is($ca, $cb, 'refused articles did not change the count');

# --- 6. plain 8-bit UTF-8 without Content-Type, dot lines, header folding, LF-only client
$st = post(art(%base, from => "\"Zoë Ünïcode\" <zoe\@example.org>",
    subject => "Re: Rossi\n\tfolded",
    body => ".leading dot line\n..two dots\nUTF-8 text: naïve café ✓\n"));
like($st, qr/^240 /, 'raw UTF-8 article accepted');
{
	my ($id) = $st =~ /(<[^>]+>)/;
	my ($h, $body, undef, $raw) = article($id);
	my $ubody = decode('UTF-8', $body);
	like($ubody, qr/^\.leading dot line$/m, 'leading dot survives the round trip');
	like($ubody, qr/^\.\.two dots$/m, 'two leading dots survive');
	like($ubody, qr/naïve café ✓/, 'UTF-8 body kept');
	my $dfrom = decode('MIME-Header', $h->{from});
	like($dfrom, qr/Zoë Ünïcode/, 'raw UTF-8 display name encoded') or diag $h->{from};
	unlike($h->{from}, qr/[^\x20-\x7e]/, 'From is 7-bit');
}

# --- 6b. fixed (non-flowed) text: trailing blanks mean nothing, lines stay lines
$st = post(art(%base, body => "line one   \nline two\t\n\nnext para\n"));
like($st, qr/^240 /, 'fixed text accepted');
{
	my ($id) = $st =~ /(<[^>]+>)/;
	my ($h, $body) = article($id);
	like($body, qr/^line one\nline two\n\nnext para\n\z/, 'hard lines kept, trailing blanks gone')
	    or diag $body;
}

# --- 7. a long encoded name: every encoded word <= 75 chars, split on characters
$st = post(art(%base, from => '=?UTF-8?B?' .
    encode_base64(encode('UTF-8', 'Ŧĥïš ïš à vêrÿ lõñğ ñàmê ŵïţħ ĺõţš õƒ àççêñţš ' x 2), '') .
    '?= <long@example.org>'));
like($st, qr/^240 /, 'long encoded name accepted');
{
	my ($id) = $st =~ /(<[^>]+>)/;
	my ($h) = article($id);
	my @w = $h->{from} =~ /(=\?[^?]+\?[BbQq]\?[^?]*\?=)/g;
	ok(@w > 1, 'long name split into several encoded words');
	ok(!(grep { length($_) > 75 } @w), 'no encoded word over 75 chars');
	like(decode('MIME-Header', $h->{from}), qr/Ŧĥïš ïš à vêrÿ/, 'long name decodes');
}

# --- 7b. old news From form, Latin-1 label holding Windows-1252, terminal escapes
$st = post(art(%base, from => 'old.style@example.org (Old =?ISO-8859-1?Q?St=FFle?=)',
    extra => "Content-Type: text/plain; charset=iso-8859-1\n",
    body => "Price: 5 \x80, \x93quoted\x94 \x1b[31mred\x1b[0m bell\x07 done.\n"));
like($st, qr/^240 /, 'old-style From and cp1252 body accepted');
{
	my ($id) = $st =~ /(<[^>]+>)/;
	my ($h, $body) = article($id);
	like(decode('MIME-Header', $h->{from}), qr/^"?Old Stÿle"? </, 'name from the comment');
	my $ubody = decode('UTF-8', $body);
	like($ubody, qr/Price: 5 €, “quoted”/, 'Latin-1 label read as Windows-1252');
	unlike($ubody, qr/[\x00-\x08\x0b-\x1f\x7f]/, 'no control characters reach the article');
	like($ubody, qr/red\[0m bell done\./, 'text around the escapes kept');
}
# a name with encoded control characters
$st = post(art(%base, from => '=?UTF-8?Q?Evil=0D=0AX-Injected:_yes?= <e@example.org>'));
like($st, qr/^240 /, 'name with encoded CR LF accepted');
{
	my ($id) = $st =~ /(<[^>]+>)/;
	my ($h, $body, undef, $raw) = article($id);
	ok($h && $h->{from}, 'the article is there');
	ok(!exists $h->{'x-injected'}, 'no header injected through the name');
	unlike(decode('MIME-Header', $h->{from}), qr/[\r\n]/, 'no CR/LF in the decoded name');
	like(decode('MIME-Header', $h->{from}), qr/Evil\s+X-Injected: yes/,
	    'the name is kept, its CR LF as blanks');
}

# --- 8. the posts survive a restart (stored durably) and numbering continues
my ($cr, $lr, $hr) = group_state();
$n->close;
$c->stop;
$c->start;
$n = $c->client;
my ($cs, $ls, $hs) = group_state();
is($hs, $hr, 'high mark survives a restart');
{
	my ($h) = article($own);
	ok($h, 'posted article still there after restart');
}
$st = post(art(%base, body => "After restart.\n"));
like($st, qr/^240 /, 'post after restart');
my (undef, undef, $ht) = group_state();
is($ht, $hs + 1, 'next number after restart');

ok($c->alive, 'confabd still running');
$n->cmd('QUIT');
is($c->stop, 0, 'confabd exits cleanly on TERM');

# --- 9. two blogs: a follow-up can only hang under an article of its own blog; a
#     group whose posting is "no" refuses
{
	my $c2 = Confab->new(import => ["$src/tests/data/ecatworld.wxr"], sources => <<'EOS');
[source ecatworld]
type = local
group = blogs.ecatworld
domain = e-catworld.example
posting = open

[source other]
type = local
group = blogs.other
domain = other.example
posting = open

[source closed]
type = local
group = blogs.closed
domain = closed.example
posting = no
EOS
	my $m = $c2->client;
	my $s = post(art(%base, ng => 'blogs.other'), $m);
	like($s, qr/^441 /, 'References into another blog: 441') or diag $s;
	$s = post(art(%base, ng => 'blogs.ecatworld,blogs.other'), $m);
	like($s, qr/^441 .*cross/i, 'cross-post to two blogs: 441 with reason') or diag $s;
	$s = post(art(%base, ng => 'blogs.closed'), $m);
	like($s, qr/^441 .*not allowed/i, 'posting = no: 441') or diag $s;
	$s = post(art(%base), $m);
	like($s, qr/^240 /, 'the same article to its own blog: 240') or diag $s;
	$m->cmd('QUIT');
	is($c2->stop, 0, 'second confabd exits cleanly');
}

# --- 10. posting = auth (the default): a follow-up needs AUTHINFO first
{
	my $c3 = Confab->new(import => ["$src/tests/data/ecatworld.wxr"], sources => <<'EOS');
[source ecatworld]
type = local
group = blogs.ecatworld
domain = e-catworld.example
EOS
	is($c3->user_add('reader', 'pass word'), 0, 'user add reader');
	my $m = $c3->client;
	my $s = post(art(%base, msgid => '<auth-1@example.org>'), $m);
	like($s, qr/^441 .*authentication required/i, 'posting = auth, not logged in: 441')
	    or diag $s;
	like($m->cmd('STAT <auth-1@example.org>'), qr/^430 /, 'and nothing was stored');
	like($m->cmd('AUTHINFO USER reader'), qr/^381 /, 'AUTHINFO USER');
	like($m->cmd('AUTHINFO PASS pass word'), qr/^281 /, 'AUTHINFO PASS');
	$s = post(art(%base, msgid => '<auth-1@example.org>'), $m);
	like($s, qr/^240 /, 'the same follow-up once logged in: 240') or diag $s;
	like($m->cmd('STAT <auth-1@example.org>'), qr/^223 /, 'and it is there');
	$m->cmd('QUIT');
	is($c3->stop, 0, 'third confabd exits cleanly');
}
done_testing();
