#!/usr/bin/perl
# newsreaders.t: real newsreaders against the real daemon.
#  - slrn, driven in a detached tmux: the group is listed, the thread tree shows the
#    blog's comment nesting, a follow-up posted with 'f' lands under the right comment
#    (References checked over a raw socket) and slrn threads it there on re-entry.
#  - suck: the whole group downloaded, every article byte-identical to ARTICLE's answer;
#    a second run fetches only what is new.
#  - tin (if installed): reads the group list and the thread non-interactively.
# Clients that are not installed are skipped, not failed.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(sleep time);
use Confab qw(run_cmd);

my $src = Confab::srcdir();
my $c = Confab->new(import => ["$src/tests/data/ecatworld.wxr"]);
my $port = $c->port;
my $GROUP = 'blogs.ecatworld';

sub have { my $p = shift; grep { -x "$_/$p" } split /:/, $ENV{PATH} }

# Expected depth of every comment (post = 0) from the fixture's tree.
my $tree = do {
	open(my $f, '<', "$src/tests/data/ecatworld-expected-tree.json") or die;
	local $/;
	decode_json(<$f>);
};
my $pid = $tree->{post}{id};
my (%parent, %author, %depth);
for my $cm (@{ $tree->{comments} }) {
	$parent{ $cm->{id} } = $cm->{parent};
	$author{ $cm->{id} } = $cm->{author} eq '' ? 'Anonymous' : $cm->{author};
}
sub depth_of {
	my $id = shift;
	return $depth{$id} //= $parent{$id} ? 1 + depth_of($parent{$id}) : 1;
}
depth_of($_) for keys %parent;

# Article number -> Message-ID, References, and comment id (0 for the post), over NNTP.
sub overview {
	my $n = $c->client;
	$n->cmd("GROUP $GROUP");
	my ($st, $l) = $n->mcmd('OVER 1-');
	$n->cmd('QUIT');
	my %o;
	for (@{ $l // [] }) {
		my @f = split /\t/;
		my ($cid) = $f[4] =~ /^<p\d+(?:\.c(\d+))?@/;
		$o{ $f[0] } = { msgid => $f[4], refs => $f[5], cid => $cid // 0, from => $f[2] };
	}
	return \%o;
}
my $over = overview();
is(scalar keys %$over, 29, 'fixture: 29 articles in OVER');
my %num_of = map { $over->{$_}{cid} => $_ } keys %$over;	# comment id -> number

# ---------------------------------------------------------------------------- slrn
SKIP: {
	skip 'slrn or tmux not installed', 1 unless have('slrn') && have('tmux');
	my $home = tempdir('confab-slrn-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
	my $sock = "confabtest$$";
	my @tmux = ('tmux', '-L', $sock);
	my $tmux_up;
	my $guard = Guard->new(sub { system(@tmux, 'kill-server') if $tmux_up; });

	open(my $ed, '>', "$home/editor.sh") or die;
	print $ed "#!/bin/sh\nprintf '\\nA follow-up written in slrn.\\n' >> \"\$1\"\n";
	close $ed;
	chmod 0755, "$home/editor.sh";
	open(my $rc, '>', "$home/.slrnrc") or die;
	print $rc <<"EOR";
set hostname "slrn.example.org"
set username "tester"
set realname "Slrn Tester"
set editor_command "$home/editor.sh '%s'"
set simulate_graphic_chars 1
set query_read_group_cutoff 0
set cc_followup 0
set uncollapse_threads 1
set check_new_groups 0
set read_active 0
set auto_mark_article_as_read 0
set use_mime 1
set display_cursor_bar 0
header_display_format 0 "%-6n|%-20r|%T%s"
EOR
	close $rc;
	open(my $nrc, '>', "$home/.jnewsrc") or die;
	print $nrc "$GROUP:\n";
	close $nrc;

	my $cmd = "env HOME=$home LANG=C.UTF-8 LC_ALL=C.UTF-8 NNTPSERVER=127.0.0.1 " .
	    "slrn --nntp -h 127.0.0.1 -p $port -f $home/.jnewsrc -i $home/.slrnrc " .
	    "--debug $home/slrn.debug " .
	    "2>$home/slrn.err; echo SLRN-EXITED \$?; sleep 30";
	is(system(@tmux, '-f', '/dev/null', 'new-session', '-d', '-x', '160', '-y', '50', $cmd), 0,
	    'tmux session started');
	$tmux_up = 1;

	my $screen = '';
	my $cap = sub {
		open(my $p, '-|', @tmux, 'capture-pane', '-p', '-J') or die;
		local $/;
		$screen = <$p> // '';
		close $p;
		return $screen;
	};
	# wait_for(regex, seconds) -> true when the screen matches; polls, never sleeps long
	my $wait_for = sub {
		my ($re, $secs) = @_;
		my $until = time + ($secs // 15);
		while (time < $until) {
			return 1 if $cap->() =~ $re;
			return 0 if $screen =~ /SLRN-EXITED/;
			sleep 0.1;
		}
		return 0;
	};
	my $keys = sub { system(@tmux, 'send-keys', @_) == 0 or die "send-keys: $?" };
	my $dump = sub { diag "screen:\n$screen"; diag $c->log; };

	ok($wait_for->(qr/^\S*\s+29\s+\Q$GROUP\E\s*$/m), 'slrn lists the group with 29 unread')
	    or $dump->();
	$keys->('Space');
	ok($wait_for->(qr/^\S*\s+29\|/m) && $screen =~ /Group: \Q$GROUP\E/,
	    'slrn enters the group and shows the headers') or $dump->();
	# ... from one XOVER: slrn falls back to a HEAD per article when it does not like
	# LIST OVERVIEW.FMT (its traffic, from --debug).
	my $traffic = '';
	if (open(my $f, '<', "$home/slrn.debug")) { local $/; $traffic = <$f> }
	like($traffic, qr/^>XOVER 1-29\s*$/m, 'slrn reads the headers with XOVER');
	unlike($traffic, qr/^>HEAD /m, '... not a HEAD per article');

	# Parse "  NNN|           Author|<tree>subject" lines into number => {depth, author}
	my $parse = sub {
		my (%d, @order);
		for my $line (split /\n/, $screen) {
			my ($num, $auth, $rest) = $line =~ /^(?:->|  )\s*(\d+)\|\s*(.*?)\|(.*)$/
			    or next;
			my $dep = 0;
			$dep = (length($1) + 1) / 2 if $rest =~ /^([ |`+]*)->/;
			$d{$num} = { depth => $dep, author => $auth };
			push @order, $num;
		}
		return (\%d, \@order);
	};
	my ($shown, $order) = $parse->();
	is(scalar @$order, 29, 'all 29 articles in the header list') or $dump->();
	my $bad = 0;
	for my $num (sort { $a <=> $b } keys %$over) {
		my $cid = $over->{$num}{cid};
		my $want = $cid ? $depth{$cid} : 0;
		my $got = $shown->{$num}{depth};
		$bad++, diag "article $num (c$cid): depth ${\($got // 'missing')}, want $want"
		    unless defined $got && $got == $want;
		$bad++, diag "article $num: author '$shown->{$num}{author}', want '$author{$cid}'"
		    if $cid && defined $got && $shown->{$num}{author} ne $author{$cid};
	}
	is($bad, 0, 'every article at its depth of the blog tree, under its author');
	# Spot checks: Luca's reply to Paolotini indented one step under it, right after it.
	my ($paolo, $luca) = ($num_of{10401}, $num_of{10404});
	is($shown->{$paolo}{author}, 'Paolotini', 'Paolotini shown');
	is($shown->{$luca}{author}, 'Luca Salvarani', 'Luca Salvarani shown');
	is($shown->{$luca}{depth}, $shown->{$paolo}{depth} + 1, 'Luca indented under Paolotini');
	my %pos = map { $order->[$_] => $_ } 0 .. $#$order;
	is($pos{$luca}, $pos{$paolo} + 1, 'Luca directly below Paolotini');
	# Every child is displayed below its parent (thread order).
	my $misorder = grep {
		my $cid = $over->{$_}{cid};
		$cid && $parent{$cid} && $pos{$_} < $pos{ $num_of{ $parent{$cid} } }
	} keys %$over;
	is($misorder, 0, 'children below their parents');
	like($screen, qr/^\S*\s*1\|\s*admin\|Rossi Says Production in the US Has Begun/m,
	    'the post is the thread root with its title');

	# Follow-up to Dave's comment (c10426), three levels deep.
	my $target = 10426;
	my $tnum = $num_of{$target};
	$keys->('j');
	ok($wait_for->(qr/Goto article:/), 'goto prompt') or $dump->();
	$keys->("$tnum", 'Enter');
	ok($wait_for->(qr/^->\s*\Q$tnum\E\|/m), "cursor on article $tnum") or $dump->();
	$keys->('f');
	my $posted = 0;
	my $until = time + 30;
	while (time < $until) {
		$wait_for->(qr/followup\? \[|Post the message\?|Posting\.\.\.done|[Ee]rror|failed/i, 15);
		if ($screen =~ /(\S+ )?want to followup\?/i) {
			$keys->('y');
		} elsif ($screen =~ /Post the message\?/) {
			$keys->('y');
			if ($wait_for->(qr/Posting\.\.\.done|[Ee]rror|failed|rejected/, 15)) {
				$posted = $screen =~ /Posting\.\.\.done/;
				last;
			}
		} elsif ($screen =~ /Posting\.\.\.done/) {
			$posted = 1;
			last;
		} else {
			last;
		}
		sleep 0.2;
	}
	ok($posted, 'slrn says the follow-up was posted') or $dump->();

	# Over NNTP: a new article under Dave's comment.
	my $n = $c->client;
	my ($gst) = $n->cmd("GROUP $GROUP");
	like($gst, qr/^211 30 1 30 /, 'group has 30 articles now');
	my ($ast, $art) = $n->mcmd('ARTICLE 30');
	like($ast, qr/^220 30 /, 'ARTICLE 30');
	my (%h, $inbody, @body, $last);
	for (@{ $art // [] }) {
		if ($inbody) { push @body, $_; next }
		if ($_ eq '') { $inbody = 1; next }
		if (/^[ \t]/ && $last) { $h{$last} .= $_; next }
		/^([^:]+):\s*(.*)/ and $h{ $last = lc $1 } = $2;
	}
	my $tid = $over->{$tnum}{msgid};
	like($h{references} // '', qr/\Q$tid\E$/, "References end with $tid");
	is($h{references}, "$over->{$tnum}{refs} $tid", 'References = parent chain + parent');
	is($h{'in-reply-to'}, $tid, 'In-Reply-To the parent');
	like($h{from} // '', qr/^"?Slrn Tester"? </, 'From: the slrn user name');
	my $body = join("\n", @body);
	like($body, qr/A follow-up written in slrn\./, 'the text written in the editor');
	like($body, qr/^> /m, 'the quoted part kept as a quote');
	$n->cmd('QUIT');

	# Re-enter the group: slrn threads the new article under Dave's comment.
	$keys->('q');
	ok($wait_for->(qr/^\S*\s+\d+\s+\Q$GROUP\E\s*$/m), 'back in the group list') or $dump->();
	$keys->('Space');
	ok($wait_for->(qr/^\S*\s*30\|/m), 're-entered group shows article 30') or $dump->();
	($shown, $order) = $parse->();
	%pos = map { $order->[$_] => $_ } 0 .. $#$order;
	is($shown->{30}{author}, 'Slrn Tester', 'new article by Slrn Tester');
	is($shown->{30}{depth}, $depth{$target} + 1, 'new article one level under its parent')
	    or $dump->();
	my ($up) = grep { $shown->{$_}{depth} < $shown->{30}{depth} }
	    reverse @$order[0 .. ($pos{30} // 1) - 1];
	is($up, $tnum, "its parent row is article $tnum (Dave)") or $dump->();

	# Leave slrn.
	$keys->('q');
	$wait_for->(qr/^\S*\s+\d+\s+\Q$GROUP\E\s*$/m, 5);
	$keys->('q');
	for (1 .. 3) {
		last if $wait_for->(qr/SLRN-EXITED/, 5);
		$keys->('y') if $screen =~ /\?/;
	}
	like($screen, qr/SLRN-EXITED 0/, 'slrn quits cleanly') or $dump->();
}

# ---------------------------------------------------------------------------- suck
sub slurp {
	open(my $fh, '<:raw', $_[0]) or die "$_[0]: $!";
	local $/;
	return scalar <$fh>;
}

sub raw_article {
	my ($n, $id) = @_;
	my $st = $n->cmd("ARTICLE $id");
	return undef unless defined $st && $st =~ /^220 /;
	my $s = '';
	while (defined(my $l = $n->sock->getline)) {
		last if $l eq ".\r\n";
		$l =~ s/^\.//;
		$s .= $l;
	}
	return $s;
}

SKIP: {
	skip 'suck not installed', 1 unless have('suck');
	my $d = tempdir('confab-suck-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
	mkdir "$d/$_" for qw(data tmp msgs msgs2);
	open(my $f, '>', "$d/data/sucknewsrc") or die;
	print $f "$GROUP 0\n";
	close $f;
	my @suck = ('suck', '127.0.0.1', '-N', $port, '-m', '-dd', "$d/data", '-dt', "$d/tmp",
	    '-H', '-c', '-q');
	my $out;
	my $rc = run_cmd(\$out, @suck, '-dm', "$d/msgs");
	is($rc, 0, 'suck exits 0') or diag $out;
	my $n = $c->client;
	my ($gst) = $n->cmd("GROUP $GROUP");
	my ($count, $hi) = $gst =~ /^211 (\d+) \d+ (\d+)/;
	opendir(my $dh, "$d/msgs") or die;
	my @files = sort grep { -f "$d/msgs/$_" } readdir $dh;
	closedir $dh;
	is(scalar @files, $count, "suck wrote one file per article ($count)");
	my ($same, %seen) = (0);
	for my $file (@files) {
		my $got = slurp("$d/msgs/$file");
		my ($mid) = $got =~ /^Message-ID:\s*(<[^>]+>)/mi;
		unless ($mid) { diag "$file: no Message-ID"; next }
		$seen{$mid}++;
		my $want = raw_article($n, $mid);
		$want =~ s/\r\n/\n/g if defined $want;
		if (defined $want && $got eq $want) {
			$same++;
		} else {
			diag "$file ($mid) differs from ARTICLE";
		}
	}
	is($same, $count, 'every sucked article is byte-identical to ARTICLE (CRLF -> LF)');
	is(scalar keys %seen, $count, 'no article sucked twice');
	open($f, '<', "$d/data/sucknewsrc") or die;
	my $nrc = <$f>;
	close $f;
	like($nrc, qr/^\Q$GROUP\E $hi\b/, "sucknewsrc updated to the high mark $hi");

	# A new follow-up, then an incremental run gets exactly that one.
	my $st = $n->cmd('POST');
	$n->send("From: Sucker <s\@example.org>\r\nNewsgroups: $GROUP\r\nSubject: Re: x\r\n" .
	    "References: $over->{1}{msgid}\r\n\r\nNew for suck.\r\n.\r\n");
	like($n->line, qr/^240 /, 'posted one more article');
	$rc = run_cmd(\$out, @suck, '-dm', "$d/msgs2");
	is($rc, 0, 'second suck run exits 0') or diag $out;
	opendir($dh, "$d/msgs2") or die;
	my @new = grep { -f "$d/msgs2/$_" } readdir $dh;
	closedir $dh;
	is(scalar @new, 1, 'second run downloads only the new article');
	if (@new) {
		like(slurp("$d/msgs2/$new[0]"), qr/\nNew for suck\.\n/, 'and it is the new one');
	}
	$n->cmd('QUIT');
}

# ---------------------------------------------------------------------------- tin
SKIP: {
	skip 'tin not installed', 1 unless have('tin');
	my $home = tempdir('confab-tin-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
	open(my $f, '>', "$home/.newsrc") or die;
	print $f "$GROUP:\n";
	close $f;
	local %ENV = (%ENV, HOME => $home, TERM => 'dumb');
	delete $ENV{TIN_HOMEDIR};
	my @tin = ('tin', '-r', '-g', '127.0.0.1', '-p', $port, '-Q', '-f', "$home/.newsrc");
	my $n = $c->client;
	my ($count) = $n->cmd("GROUP $GROUP") =~ /^211 (\d+) /;
	# -Z: exit 2 when there is unread news; -v prints the count per group.
	my $out;
	my $rc = run_cmd(\$out, @tin, '-Z', '-v');
	is($rc, 2, 'tin -Z: unread news exists') or diag $out;
	like($out, qr/\b$count unread .* in \Q$GROUP\E/, "tin counts $count unread") or diag $out;
	# -S: save the unread articles, one file per article number, then they are read.
	$rc = run_cmd(\$out, @tin, '-S');
	is($rc, 0, 'tin -S exits 0') or diag $out;
	(my $gdir = "$home/News/$GROUP") =~ s{\.}{/}g;
	opendir(my $dh, $gdir) or die "$gdir: $!";
	my @files = grep { /^\d+$/ } readdir $dh;
	closedir $dh;
	is(scalar @files, $count, "tin saved $count articles");
	my $same = 0;
	for my $num (sort { $a <=> $b } @files) {
		my $want = raw_article($n, $num);
		$want =~ s/\r\n/\n/g if defined $want;
		my $got = slurp("$gdir/$num");
		if (defined $want && $got eq $want) {
			$same++;
		} else {
			diag "tin's article $num differs from ARTICLE $num";
		}
	}
	is($same, $count, 'tin\'s saved articles are identical to ARTICLE');
	# -c: catch up (mark all read); the newsrc then covers 1-high and -Z finds nothing.
	my (undef, undef, $hi) = $n->cmd("GROUP $GROUP") =~ /^211 (\d+) (\d+) (\d+)/;
	$rc = run_cmd(\$out, @tin, '-c');
	is($rc, 0, 'tin -c exits 0') or diag $out;
	like(slurp("$home/.newsrc"), qr/^\Q$GROUP\E: 1-$hi$/m, "newsrc: $GROUP: 1-$hi");
	$rc = run_cmd(\$out, @tin, '-Z');
	is($rc, 0, 'after catching up tin sees no unread news') or diag $out;
	$n->cmd('QUIT');
}

ok($c->alive, 'confabd survived the clients');
is($c->stop, 0, 'confabd exits cleanly');
done_testing();

package Guard;
sub new { my ($c, $f) = @_; bless { f => $f }, $c }
sub DESTROY { $_[0]{f}->() }
