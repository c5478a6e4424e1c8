# http.t: the [http] listener. List mail really delivered through a private Postfix
# carries RFC 8058 one-click unsubscribe links; a real browser (Debian's chromium,
# headless, driven through chromedriver's WebDriver API with core Perl) opens one,
# sees the page, presses the button and the subscription ends; curl's one-click POSTs
# (urlencoded and multipart) end others; a GET alone, a forged token or a bad body
# end nothing. The confirmation link works the same way. /metrics passes
# `promtool check metrics` and its counters move; /healthz says ok; HTTPS with the
# server's certificate.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use POSIX ":sys_wait_h";
use Time::HiRes qw(sleep time);
use Confab qw(run_cmd free_port);
use MTA;

plan skip_all => 'needs root, postfix and swaks (contrib/deps.sh)' unless MTA::available();
plan skip_all => 'needs chromium, chromium-driver, prometheus (promtool) and curl (contrib/deps.sh)'
    unless -x '/usr/bin/chromium' && -x '/usr/bin/chromedriver' && -x '/usr/bin/promtool'
    && -x '/usr/bin/curl';

my $mta = MTA->new;
my $list = 'lists.example.test';
my $subs = 'subs.example.test';
my $hport = free_port();
my $base = "https://localhost:$hport";	# the test certificate's name
my $tls = Confab::srcdir() . '/tests/data/tls';
my $d = Confab->new(
    import => [Confab::srcdir() . '/tests/data/ecatworld.wxr'],
    server => "tls_cert = $tls/server.pem\ntls_key = $tls/server.key",
    extra => $mta->mail_conf() . "\n[http]\nlisten = 127.0.0.1:$hport\nbase_url = $base/\n"
        . "tls = yes\nmax_body_size = 4096\ntimeout = 10\n");
my $tmp = $d->dir;

sub hdr { my ($m, $h) = @_; return $m =~ /^\Q$h\E:[ \t]*(.*(?:\n[ \t].*)*)/mi ? do { (my $v = $1) =~ s/\n[ \t]+/ /g; $v } : undef }
# curl trusting the test CA; localhost is 127.0.0.1 (the listener is not on ::1)
sub curl { my $o; my $rc = run_cmd(\$o, 'curl', '-sS', '--max-time', '20', '--cacert', "$tls/ca.pem",
    '--resolve', "localhost:$hport:127.0.0.1", @_); return wantarray ? ($rc, $o) : $o }
# (status, headers, body) of a request, by curl
sub req {
	my $o = curl('-i', @_);
	$o =~ s/\r//g;
	my ($head, $body) = split /\n\n/, $o, 2;
	my ($code) = ($head // '') =~ m{^HTTP/\S+ (\d+)};
	return ($code // 0, $head // '', $body // '');
}
sub subscribers { my (undef, $o) = $d->confab_cmd('subscribers', 'blogs.ecatworld'); return $o }
sub subs_until {	# poll confab subscribers until it matches (or not)
	my ($re, $want) = @_;
	my $out = '';
	for (1 .. 100) {
		$out = subscribers();
		last if ($out =~ $re) == $want;
		sleep 0.1;
	}
	return $out;
}
sub post_followup {
	my ($text, $msgid) = @_;
	my $c = $d->client;
	$c->cmd('POST');
	$c->send("From: Poster <poster\@example.org>\r\nNewsgroups: blogs.ecatworld\r\nSubject: Re: x\r\n"
	    . "Message-ID: $msgid\r\nReferences: <p2481\@e-catworld.example>\r\n\r\n$text\r\n.\r\n");
	return $c->line;
}

# /healthz, and the page for what is not there.
my ($code, $head, $body) = req("$base/healthz");
is($code, 200, '/healthz: 200');
is($body, "ok\n", '... "ok"');
($code) = req("$base/nothing");
is($code, 404, 'an unknown path: 404');

# Everyone subscribed gets list mail with both unsubscribe links.
for my $who (qw(alice bob carol erin)) {
	my ($rc, $o) = $d->confab_cmd('subscribe', 'blogs.ecatworld', "$who\@$subs", '--no-confirm');
	is($rc, 0, "$who subscribed") or diag $o;
}
like(post_followup('For the list.', '<http-1@example.org>'), qr/^240 /, 'a follow-up is posted');
my %url;
for my $who (qw(alice bob carol erin)) {
	my $m = $mta->wait_mail($who, qr/http-1\@example\.org/) // '';
	my $lu = hdr($m, 'List-Unsubscribe') // '';
	like($lu, qr{^<\Q$base\E/u/[a-z2-7]+>, <mailto:unsubscribe\+[a-z2-7]+\@\Q$list\E>$},
	    "$who: List-Unsubscribe has the https link and the mailto");
	is(hdr($m, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click', "$who: List-Unsubscribe-Post");
	my ($tok) = $lu =~ m{/u/([a-z2-7]+)>};
	my ($mtok) = $lu =~ m{unsubscribe\+([a-z2-7]+)\@};
	is($tok, $mtok, "$who: the same token in both");
	($url{$who}) = $lu =~ /^<([^>]+)>/;
}

# A GET (what a link scanner does) shows a page and ends nothing.
($code, $head, $body) = req($url{alice});
is($code, 200, 'GET /u/TOKEN: 200');
like($head, qr{^Content-Type: text/html; charset=utf-8$}mi, '... HTML');
like($head, qr{^Cache-Control: no-store$}mi, '... not to be cached');
like($body, qr{<form method="post"}, '... with a form that POSTs');
like(subscribers(), qr/^alice\@/m, 'alice is still subscribed after the GET');

# A real browser: open alice's link, press the button. (It is not told of the test
# CA: it is told to take any certificate, and where localhost is.)
my $cdport = free_port();
my $cdpid = fork // die;
if (!$cdpid) {
	open(STDOUT, '>', "$tmp/chromedriver.log");
	open(STDERR, '>&', \*STDOUT);
	exec('/usr/bin/chromedriver', "--port=$cdport") or die;
}
my $ht = HTTP::Tiny->new(timeout => 60);
my $wd = "http://127.0.0.1:$cdport";
sub wd {
	my ($method, $path, $data) = @_;
	my $r = $ht->request($method, "$wd$path", defined $data ? {
	    headers => { 'Content-Type' => 'application/json' }, content => encode_json($data) } : {});
	my $v = eval { decode_json($r->{content}) } // {};
	diag "WebDriver $method $path: $r->{status} $r->{content}" unless $r->{success};
	return $v->{value};
}
for (1 .. 100) { my $r = $ht->get("$wd/status"); last if $r->{success} && $r->{content} =~ /"ready":\s*true/; sleep 0.1 }
my $sess = wd('POST', '/session', { capabilities => { alwaysMatch => { browserName => 'chrome',
    'goog:chromeOptions' => { binary => '/usr/bin/chromium', args => ['--headless=new',
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--ignore-certificate-errors',
    "--host-resolver-rules=MAP localhost 127.0.0.1", "--user-data-dir=$tmp/chromium"] } } } });
my $sid = ref $sess eq 'HASH' ? $sess->{sessionId} : undef;
ok($sid, 'chromium started through chromedriver');
sub browse_and_press {
	my ($url, $title_before, $title_after) = @_;
	wd('POST', "/session/$sid/url", { url => $url });
	is(wd('GET', "/session/$sid/title"), $title_before, "the browser shows the page: $title_before");
	my $el = wd('POST', "/session/$sid/element", { using => 'css selector', value => '#go' });
	my ($eid) = ref $el eq 'HASH' ? values %$el : ();
	ok($eid, '... and its button');
	wd('POST', "/session/$sid/element/$eid/click", {});
	my $t = '';
	for (1 .. 100) { $t = wd('GET', "/session/$sid/title") // ''; last if $t eq $title_after; sleep 0.1 }
	is($t, $title_after, "pressed: $title_after");
}
SKIP: {
	skip 'no browser session', 5 unless $sid;
	browse_and_press($url{alice}, 'Unsubscribe', 'Unsubscribed');
	like(wd('GET', "/session/$sid/source") // '', qr/alice\@\Q$subs\E will get no more mail from blogs\.ecatworld/,
	    '... the page says whose subscription ended');
}
unlike(subs_until(qr/^alice\@/m, 0), qr/^alice\@/m, 'alice is unsubscribed');

# RFC 8058 one-click from a mail client: curl, urlencoded and multipart.
($code, $head, $body) = req('-X', 'POST', '-d', 'List-Unsubscribe=One-Click', $url{bob});
is($code, 200, 'one-click POST (urlencoded): 200');
like($body, qr/Unsubscribed/, '... says so');
unlike(subscribers(), qr/^bob\@/m, 'bob is unsubscribed');
($code) = req('-F', 'List-Unsubscribe=One-Click', $url{carol});
is($code, 200, 'one-click POST (multipart/form-data): 200');
unlike(subscribers(), qr/^carol\@/m, 'carol is unsubscribed');
($code, $head, $body) = req('-X', 'POST', '-d', 'List-Unsubscribe=One-Click', $url{bob});
is($code, 200, 'the same POST again: 200');
like($body, qr/Already unsubscribed/, '... the subscription had ended already');

# What ends nothing: a bad body, a forged token, a malformed one, an oversized body.
($code) = req('-X', 'POST', '-d', 'List-Unsubscribe=Two-Clicks', $url{erin});
is($code, 400, 'a POST without List-Unsubscribe=One-Click: 400');
(my $forged = $url{erin}) =~ s{/u/([a-z2-7])}{'/u/' . ($1 eq 'a' ? 'b' : 'a')}e;
($code, $head, $body) = req('-X', 'POST', '-d', 'List-Unsubscribe=One-Click', $forged);
is($code, 403, 'a forged token: 403');
like($body, qr/not valid/, '... with a page that says so');
($code) = req("$base/u/<script>");
is($code, 403, 'a malformed token: 403');
($code) = req('-X', 'POST', '-H', 'Content-Type: application/x-www-form-urlencoded',
    '--data-binary', 'List-Unsubscribe=One-Click&x=' . ('y' x 5000), $url{erin});
is($code, 413, 'a body over max_body_size: 413');
like(subscribers(), qr/^erin\@\Q$subs\E\tactive/m, 'erin is still subscribed after all that');

# The confirmation link: GET shows a button, pressing it (in the browser) confirms.
my ($rc, $o) = $d->confab_cmd('subscribe', 'blogs.ecatworld', "dave\@$subs");
is($rc, 0, 'dave asked to confirm') or diag $o;
my $cm = $mta->wait_mail('dave', qr/Confirm your subscription/) // '';
my ($curl) = $cm =~ m{^(\Q$base\E/c/[a-z2-7]+)\r?$}m;
ok($curl, 'the confirmation mail has a link beside the reply instructions');
like($cm, qr/reply to this message/, '... and still the reply instructions');
($code, $head, $body) = req($curl // "$base/c/x");
is($code, 200, 'GET /c/TOKEN: 200');
like($head, qr{^Cache-Control: no-store$}mi, '... not to be cached');
like(subscribers(), qr/^dave\@\Q$subs\E\tpending/m, 'dave is still pending after the GET');
SKIP: {
	skip 'no browser session', 4 unless $sid && $curl;
	browse_and_press($curl, 'Confirm your subscription', 'Subscribed');
}
like(subs_until(qr/^dave\@\Q$subs\E\tactive/m, 1), qr/^dave\@\Q$subs\E\tactive/m, 'dave is active');
(my $cforged = $curl // "$base/c/x") =~ s{/c/([a-z2-7])}{'/c/' . ($1 eq 'a' ? 'b' : 'a')}e;
($code) = req('-X', 'POST', '-d', 'confirm=yes', $cforged);
is($code, 403, 'a forged confirmation token: 403');
($code) = req('-X', 'POST', '-d', 'List-Unsubscribe=One-Click', $curl // "$base/c/x");
is($code, 400, 'a confirm link does not take an unsubscribe body');
wd('DELETE', "/session/$sid") if $sid;
kill('TERM', $cdpid);
waitpid($cdpid, 0);

# /metrics: valid exposition format, and its counters move.
sub metric {
	my ($text, $re) = @_;
	return $text =~ /^\Q$re\E (\S+)$/m ? $1 : undef;
}
my $m1 = curl("$base/metrics");
my $before = metric($m1, 'confab_nntp_connections_accepted_total');
ok(defined $before, 'connections accepted is counted');
my $c = $d->client;
$c->cmd('GROUP blogs.ecatworld');
$c->cmd('BOGUS');
$c->cmd('ARTICLE <nonesuch@example.org>');
my $m2 = curl("$base/metrics");
is(metric($m2, 'confab_nntp_connections_accepted_total'), ($before // 0) + 1, 'one NNTP connect: accepted + 1');
cmp_ok(metric($m2, 'confab_nntp_connections') // 0, '>=', 1, 'open connections gauge');
cmp_ok(metric($m2, 'confab_nntp_commands_total{command="GROUP"}') // 0, '>', metric($m1, 'confab_nntp_commands_total{command="GROUP"}') // 0,
    'GROUP counted');
is(metric($m2, 'confab_nntp_commands_total{command="unknown"}'), (metric($m1, 'confab_nntp_commands_total{command="unknown"}') // 0) + 1,
    'an unknown command counted as "unknown" (no client text as a label)');
cmp_ok(metric($m2, 'confab_nntp_error_responses_total{class="4xx"}') // 0, '>', metric($m1, 'confab_nntp_error_responses_total{class="4xx"}') // 0,
    '430 counted as a 4xx');
cmp_ok(metric($m2, 'confab_nntp_error_responses_total{class="5xx"}') // 0, '>', metric($m1, 'confab_nntp_error_responses_total{class="5xx"}') // 0,
    '500 counted as a 5xx');
cmp_ok(metric($m2, 'confab_posts_accepted_total') // 0, '>=', 1, 'posts accepted');
cmp_ok(metric($m2, 'confab_mail_total{result="sent"}') // 0, '>=', 4, 'list mail sent');
like(metric($m2, 'confab_outbox_pending') // '', qr/^\d+$/, 'outbox depth from the store');
like(metric($m2, 'confab_mail_queue') // '', qr/^\d+$/, 'mail queue depth from the store');
$c->close;
open(my $mf, '>', "$tmp/metrics.txt") or die;
print $mf $m2;
close $mf;
($rc, $o) = run_cmd(\my $po, 'sh', '-c', "promtool check metrics < $tmp/metrics.txt");
is($rc, 0, 'promtool check metrics: clean') or diag $po;
($code, $head) = req("$base/metrics");
like($head, qr{^Content-Type: text/plain; version=0\.0\.4}mi, '... served as text format 0.0.4');

# SIGHUP moves the listener to a new address and closes the old one.
{
	my $nport = free_port();
	my $cfg = do { local $/; open(my $f, '<', $d->conf) or die; <$f> };
	$cfg =~ s/^listen = 127\.0\.0\.1:$hport$/listen = 127.0.0.1:$nport/m or die;
	open(my $f, '>', $d->conf) or die; print $f $cfg; close $f;
	$d->signal('HUP');
	my $ok;
	for (1 .. 100) { $ok = curl("https://127.0.0.1:$nport/healthz"); last if $ok eq "ok\n"; sleep 0.1 }
	is($ok, "ok\n", 'reload: HTTP on the new address');
	my ($orc) = curl("$base/healthz");
	isnt($orc, 0, '... and no longer on the old one');
}

# Unknown config and bad values are refused with file:line.
my $bad = "$tmp/bad.conf";
for my $line ('listen = nowhere', 'max_body_size = 12', 'tls = maybe', 'base_url = ftp://x', 'bogus = 1') {
	open(my $f, '>', $bad) or die;
	print $f "[server]\nhostname = x\n[store]\npath = $tmp/x.db\n[http]\n$line\n";
	close $f;
	($rc, $o) = run_cmd(\my $out, Confab::confabd(), '-n', '-c', $bad);
	isnt($rc, 0, "[http] $line: refused");
	like($out, qr/bad\.conf:6:/, '... naming the line');
}

# No plain HTTP on the HTTPS port.
my ($prc) = curl("http://localhost:$hport/healthz");
isnt($prc, 0, 'no plain HTTP on the HTTPS port');

# Plain HTTP on IPv6; an http base_url gets the link but no one-click header (RFC 8058
# wants https).
{
	my $sport = free_port();
	# (the first confabd has the MTA's LMTP port: this one only sends)
	my $s = Confab->new(import => [Confab::srcdir() . '/tests/data/ecatworld.wxr'], extra => "[mail]\ndomain = $list\nrelay = 127.0.0.1:@{[ $mta->smtp ]}\n"
	    . "[http]\nlisten = [::1]:$sport\n"
	    . "base_url = http://[::1]:$sport\n");
	($code, $head, $body) = req("http://[::1]:$sport/healthz");
	is($code, 200, 'plain HTTP on [::1]: /healthz 200') or diag $s->log;
	is(scalar $s->confab_cmd('subscribe', 'blogs.ecatworld', "frank\@$subs", '--no-confirm'), 0,
	    'frank subscribed there');
	my $c2 = $s->client;
	$c2->cmd('POST');
	$c2->send("From: P <p\@example.org>\r\nNewsgroups: blogs.ecatworld\r\nSubject: Re: x\r\n"
	    . "Message-ID: <http-v6\@example.org>\r\nReferences: <p2481\@e-catworld.example>\r\n\r\nv6\r\n.\r\n");
	like($c2->line, qr/^240 /, 'a follow-up there');
	my $m = $mta->wait_mail('frank', qr/http-v6\@example\.org/) // '';
	like(hdr($m, 'List-Unsubscribe') // '', qr{^<http://\[::1\]:$sport/u/[a-z2-7]+>, <mailto:}, 'http base_url: the link');
	is(hdr($m, 'List-Unsubscribe-Post'), undef, '... but no List-Unsubscribe-Post');
	$s->stop;
}

done_testing();
