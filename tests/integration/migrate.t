#!/usr/bin/perl
# migrate.t: a store written by an earlier confab (schema 6, tests/data/store-v6.*: the
# fixture thread on a local source and on a WordPress source, a posted follow-up, an
# account, two subscribers, list mail waiting for a relay that was down and a reply
# waiting for the blog) is migrated forward by the new confabd, on SQLite and on
# PostgreSQL, and everything in it carries on: numbers, Message-IDs, articles, the
# account, the outbox entry and its error, the mail queue.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP;
use Confab qw(run_cmd);
use PG;

my $data = Confab::srcdir() . '/tests/data';
my $V = 7;	# STORE_SCHEMA_VERSION
my $sources = Confab::demo_source() . <<'EOS';

[source wp]
type = wordpress
url = http://127.0.0.1:9/
group = blogs.wp
description = A WordPress blog that is down
posting = open
EOS
my $mail = "[mail]\ndomain = lists.example.test\nrelay = 127.0.0.1:9\n";

my %seen;	# what each engine answered, compared between them at the end
sub on {
	my ($engine) = @_;
	my ($d, $pg, $db);
	if ($engine eq 'sqlite') {
		plan skip_all => 'sqlite3 missing (contrib/deps.sh)' unless -x '/usr/bin/sqlite3';
		$d = Confab->new(backend => 'sqlite', sources => $sources, extra => $mail,
		    start => 0);
		is(system("gzip -dc $data/store-v6.sqlite.sql.gz | sqlite3 $d->{dir}/confab.db"), 0,
		    "$engine: the schema 6 store loaded");
	} else {
		$pg = PG->shared;
		my $ci = $pg->createdb;
		($db) = $ci =~ /dbname=(\S+)/;
		$d = Confab->new(backend => 'postgresql', conninfo => $ci, sources => $sources,
		    extra => $mail, start => 0);
		my $out;
		local $ENV{PGPASSWORD} = $PG::PASSWORD;
		is(run_cmd(\$out, 'sh', '-c', "gzip -dc $data/store-v6.pg.sql.gz | psql -X -q "
		    . "-v ON_ERROR_STOP=1 -h 127.0.0.1 -p @{[ $pg->port ]} -U confab -d $db"), 0,
		    "$engine: the schema 6 store loaded") or diag $out;
	}
	my ($rc, $out) = $d->confab_cmd('check');
	is($rc, 0, "$engine: check passes") or diag $out;
	like($out, qr/schema version 6 \(confabd migrates it\)/, "$engine: check says it will be migrated");
	$d->start;
	like($d->log, qr/schema migrated from version 6 to $V/, "$engine: confabd migrated it");
	($rc, $out) = $d->confab_cmd('check');
	like($out, qr/schema version $V\b(?! \()/, "$engine: now at version $V");

	my $c = $d->client;
	like($c->cmd('GROUP blogs.ecatworld'), qr/^211 30 1 30 /, "$engine: 30 articles, 1-30");
	my ($st, $l) = $c->mcmd('LISTGROUP blogs.ecatworld');
	is(join(',', @{ $l // [] }), join(',', 1 .. 30), "$engine: LISTGROUP 1-30");
	like($d->client->cmd('GROUP blogs.wp'), qr/^211 29 1 29 /, "$engine: the WordPress group, 1-29");
	($st, my $a) = $c->mcmd('ARTICLE <v6-local@example.org>');
	like($st, qr/^220 30 <v6-local\@example\.org>/, "$engine: the follow-up is still 30");
	my $art = join("\n", @{ $a // [] });
	like($art, qr/^References: <p2481\@e-catworld\.example> <p2481\.c10401\@e-catworld\.example>$/m,
	    "$engine: ... with its References");
	like($art, qr/stored by schema 6\./, "$engine: ... and its body");
	($st, $a) = $c->mcmd('ARTICLE <p2481.c10404@e-catworld.example>');
	like($st, qr/^220 \d+ /, "$engine: an imported comment by its Message-ID");
	$seen{$engine}{article} = join("\n", @{ $a // [] });
	($st, $l) = $c->mcmd('OVER 1-30');
	is(scalar @{ $l // [] }, 30, "$engine: OVER 1-30");
	$seen{$engine}{over} = join("\n", @{ $l // [] });

	# Numbering goes on from where it was.
	$c->cmd('POST');
	$c->send("From: After <after\@example.org>\r\nNewsgroups: blogs.ecatworld\r\n"
	    . "Subject: Re: x\r\nMessage-ID: <after-$engine\@example.org>\r\n"
	    . "References: <p2481\@e-catworld.example>\r\n\r\nAfter the migration.\r\n.\r\n");
	like($c->line, qr/^240 /, "$engine: a new post");
	like($c->cmd("STAT <after-$engine\@example.org>"), qr/^223 31 /, "$engine: ... is 31");

	# The account made before.
	my $u = $d->client;
	like($u->cmd('AUTHINFO USER alice'), qr/^381 /, "$engine: AUTHINFO USER");
	like($u->cmd('AUTHINFO PASS secret-pw'), qr/^281 /, "$engine: the old account's password");

	# What waited: the reply for the blog (with the error it had), the list mail.
	($rc, $out) = $d->confab_cmd('status', '--json');
	is($rc, 0, "$engine: status --json") or diag $out;
	my $s = eval { decode_json($out) } // {};
	my ($ob) = grep { $_->{msgid} eq '<v6-wp@example.org>' } @{ $s->{outbox}{entries} // [] };
	ok($ob, "$engine: the reply for the blog still waits in the outbox") or diag $out;
	like($ob->{last_error} // '', qr/connect/i, "$engine: ... with why");
	is(($s->{mailq}{queued} // 0) + ($s->{mailq}{failed} // 0) + ($s->{mailq}{digest} // 0), 2,
	    "$engine: the two list mails still wait (one each, one for a digest)") or diag $out;
	($rc, $out) = $d->confab_cmd('subscribers', 'blogs.ecatworld');
	like($out, qr/^bob\@subs\.example\.test\tactive\teach/m, "$engine: bob still subscribed");
	like($out, qr/^carol\@subs\.example\.test\tactive\tdigest/m, "$engine: carol too, digest");

	# A restart does not migrate again.
	$d->stop;
	my $before = () = $d->log =~ /schema migrated/g;
	$d->start;
	like($d->client->cmd('GROUP blogs.ecatworld'), qr/^211 31 1 31 /, "$engine: after a restart");
	is(scalar(() = $d->log =~ /schema migrated/g), $before, "$engine: no second migration");
	$d->stop;
	unlike($d->log, qr/\berror: |AddressSanitizer|runtime error/, "$engine: no errors logged");
}

on('sqlite');
SKIP: {
	skip 'PostgreSQL server packages missing (postgresql)', 1 unless PG::available();
	on('postgresql');
	is($seen{postgresql}{article}, $seen{sqlite}{article}, 'the same article on both engines');
	is($seen{postgresql}{over}, $seen{sqlite}{over}, 'the same overview on both engines');
}
done_testing;
