# import.t: confab import from every fixture format, idempotence, malformed input.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Confab;

my $data = Confab::srcdir() . '/tests/data';
my $tmp = tempdir(CLEANUP => 1);

for my $case (
	['WXR', ["$data/ecatworld.wxr"]],
	['Atom', ["$data/ecatworld.atom", "$data/ecatworld-comments.atom"]],
	['WordPress JSON', ["$data/ecatworld-wp-posts.json", "$data/ecatworld-wp-comments.json"]],
) {
	my ($fmt, $files) = @$case;
	my $d = Confab->new(start => 0);
	my ($rc, $out) = $d->confab_cmd('import', '--source', 'ecatworld', @$files);
	is($rc, 0, "$fmt: import succeeds");
	like($out, qr/posts 1, comments 28: published 29, unchanged 0/, "$fmt: summary counts");
	like($out, qr/\Q$files->[0]\E: \Q$fmt\E/, "$fmt: format detected from content");
	($rc, $out) = $d->confab_cmd('import', '--source', 'ecatworld', @$files);
	like($out, qr/published 0, unchanged 29, superseded 0, withdrawn 0/, "$fmt: re-import changes nothing");
	$d->start;
	my $c = $d->client;
	is($c->cmd('GROUP blogs.ecatworld'), '211 29 1 29 blogs.ecatworld', "$fmt: 29 articles, numbers 1-29");
	my ($st, $ov) = $c->mcmd('OVER 1-29');
	my %num = map { my @f = split /\t/; ($f[4] => $f[0]) } @$ov;
	is($num{'<p2481@e-catworld.example>'}, 1, "$fmt: the post is article 1");
	is(scalar(keys %num), 29, "$fmt: 29 distinct Message-IDs");
	$d->stop;
}

# Malformed input: reported with file:line, nothing half-written.
{
	my $d = Confab->new(start => 0, import => ["$data/ecatworld.wxr"]);
	open(my $in, '<', "$data/ecatworld.wxr") or die;
	my @lines = <$in>;
	close $in;
	# An edited copy (one comment changed) cut short halfway: must not apply the edit.
	my $half = join('', @lines[0 .. int(@lines / 2)]);
	$half =~ s/Rossi’s style is scam-style/EDITED/;
	open(my $f, '>', "$tmp/broken.wxr") or die;
	print $f $half;
	close $f;
	my ($rc, $out) = $d->confab_cmd('import', '--source', 'ecatworld', "$tmp/broken.wxr");
	is($rc, 1, 'truncated file: exit 1');
	like($out, qr/\Q$tmp\E\/broken\.wxr:\d+: /, 'error names file:line');
	like($out, qr/nothing imported/, 'says nothing was imported');
	open($f, '>', "$tmp/junk.txt") or die;
	print $f "this is not a feed\n";
	close $f;
	($rc, $out) = $d->confab_cmd('import', '--source', 'ecatworld', "$tmp/junk.txt");
	is($rc, 1, 'unknown format: exit 1');
	($rc, $out) = $d->confab_cmd('import', '--source', 'nosuch', "$data/ecatworld.wxr");
	like($out, qr/no \[source nosuch\]/, 'unknown source named');
	($rc, $out) = $d->confab_cmd('import', '--source', 'ecatworld', "$tmp/missing.wxr");
	is($rc, 1, 'missing file: exit 1');
	$d->start;
	my $c = $d->client;
	is($c->cmd('GROUP blogs.ecatworld'), '211 29 1 29 blogs.ecatworld', 'store unchanged after failed imports');
	my ($st, $body) = $c->mcmd('BODY <p2481.c10401@e-catworld.example>');
	like($st, qr/^222 /, 'the comment is still there');
	ok(!grep({ /EDITED/ } @{ $body // [] }), 'the half-read edit was not applied');
	ok(grep({ /style is scam-style/ } @{ $body // [] }), 'its text is the original');
	$d->stop;
}

# An edited, a spammed and a vanished comment in a later full export.
{
	my $d = Confab->new(start => 0, import => ["$data/ecatworld.wxr"]);
	my $x = do { local $/; open(my $in, '<', "$data/ecatworld.wxr") or die; <$in> };
	$x =~ s/Rossi’s style is scam-style/Rossi’s style is (edited) scam-style/ or die;
	# 10404 becomes spam
	$x =~ s{(<wp:comment_id>10404</wp:comment_id>.*?<wp:comment_approved><!\[CDATA\[)1(\]\]>)}{${1}spam$2}s or die;
	# 10409 vanishes
	$x =~ s{<wp:comment>\s*<wp:comment_id>10409</wp:comment_id>.*?</wp:comment>}{}s or die;
	open(my $f, '>', "$tmp/changed.wxr") or die;
	print $f $x;
	close $f;
	my ($rc, $out) = $d->confab_cmd('import', '--source', 'ecatworld', "$tmp/changed.wxr");
	is($rc, 0, 'changed export imports');
	like($out, qr/superseded 1, withdrawn 2/, 'one superseded, two withdrawn');
	like($out, qr/skipped 1: spam/, 'spam reported');
	$d->start;
	my $c = $d->client;
	like($c->cmd('STAT <p2481.c10401.v2@e-catworld.example>'), qr/^223 0 /, 'new version exists');
	like($c->cmd('STAT <p2481.c10401@e-catworld.example>'), qr/^430 /, 'old version 430');
	like($c->cmd('STAT <p2481.c10404@e-catworld.example>'), qr/^430 /, 'spam comment withdrawn');
	like($c->cmd('STAT <p2481.c10409@e-catworld.example>'), qr/^430 /, 'vanished comment withdrawn');
	my ($st, $h) = $c->mcmd('HEAD <p2481.c10401.v2@e-catworld.example>');
	ok((grep { $_ eq 'Supersedes: <p2481.c10401@e-catworld.example>' } @$h), 'Supersedes header');
	is($c->cmd('GROUP blogs.ecatworld'), '211 27 1 30 blogs.ecatworld', 'numbers never reused: high 30, 27 live');
	$d->stop;
}
done_testing;
