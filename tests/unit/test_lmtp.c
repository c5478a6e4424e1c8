/* test_lmtp.c: the LMTP server on one end of a socketpair, with a mock delivery
 * handler, driven by a scripted client forked from the test (it writes each chunk,
 * waits for so many replies, and records every byte the server sends). */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lmtp.h"
#include "log.h"
#include "tap.h"

/* What the handler saw. */
static int	nrcpt_calls, ndata_calls;
static char	seen_from[256];
static char	seen_rcpts[8][256];
static int	seen_nrcpts;
static char	seen_msg[65536];
static size_t	seen_len;
static char	last_rcpt[512];

static void
mock_rcpt(const char *rcpt, const char *from, struct lmtp_reply *r, void *arg)
{
	nrcpt_calls++;
	snprintf(last_rcpt, sizeof(last_rcpt), "%s", rcpt);
	if (strncmp(rcpt, "nobody", 6) == 0) {
		r->code = 550;
		snprintf(r->enh, sizeof(r->enh), "5.1.1");
		snprintf(r->text, sizeof(r->text), "no such user <%s>", rcpt);
		return;
	}
	r->code = 250;
	snprintf(r->enh, sizeof(r->enh), "2.1.5");
	snprintf(r->text, sizeof(r->text), "OK");
}

static void
mock_data(const char *from, const char **rcpts, int nrcpts, const char *msg, size_t len,
    struct lmtp_reply *replies, void *arg)
{
	int	i;

	ndata_calls++;
	snprintf(seen_from, sizeof(seen_from), "%s", from);
	seen_nrcpts = nrcpts;
	for (i = 0; i < nrcpts; i++) {
		if (i < 8)
			snprintf(seen_rcpts[i], sizeof(seen_rcpts[i]), "%s", rcpts[i]);
		if (strncmp(rcpts[i], "full", 4) == 0) {
			replies[i].code = 452;
			snprintf(replies[i].enh, sizeof(replies[i].enh), "4.2.2");
			snprintf(replies[i].text, sizeof(replies[i].text), "mailbox full");
		} else {
			replies[i].code = 250;
			snprintf(replies[i].enh, sizeof(replies[i].enh), "2.0.0");
			snprintf(replies[i].text, sizeof(replies[i].text), "delivered to <%s>",
			    rcpts[i]);
		}
	}
	seen_len = len < sizeof(seen_msg) - 1 ? len : sizeof(seen_msg) - 1;
	memcpy(seen_msg, msg, seen_len);
	seen_msg[seen_len] = '\0';
}

static struct lmtp_handler handler = {
	.rcpt = mock_rcpt,
	.data = mock_data,
	.max_size = 10000,
	.hostname = "lmtp.example.test",
};

/* The scripted client. */
struct step {
	const char	*send;		/* NULL: end of script */
	int		 wait;		/* final reply lines to wait for after sending */
};

static char	transcript[1 << 20];
static size_t	tlen;

/* Final reply lines ("250 ..." or "250") in p[0..n). */
static int
count_final(const char *p, size_t n)
{
	const char	*end = p + n, *lf;
	int		 k = 0;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (lf - p >= 4 && (p[3] == ' ' || p[3] == '\r'))
			k++;
		p = lf + 1;
	}
	return k;
}

static void
client(int fd, const struct step *script, FILE *rec)
{
	static char	got[1 << 20];
	size_t		len = 0;
	int		want = 0;
	ssize_t		r;

	for (; script->send != NULL; script++) {
		size_t	n = strlen(script->send), off = 0;

		while (off < n) {
			if ((r = write(fd, script->send + off, n - off)) <= 0)
				goto out;
			off += (size_t)r;
		}
		want += script->wait;
		while (count_final(got, len) < want) {
			if ((r = read(fd, got + len, sizeof(got) - len)) <= 0)
				goto out;
			len += (size_t)r;
		}
	}
	shutdown(fd, SHUT_WR);
	/* Whatever else comes, up to the server's close. */
	while ((r = read(fd, got + len, sizeof(got) - len)) > 0)
		len += (size_t)r;
out:
	fwrite(got, 1, len, rec);
	fflush(rec);
	_exit(0);
}

static struct event_base *base;

static void
stopcb(evutil_socket_t fd, short ev, void *arg)
{
	struct lmtp_server *srv = arg;

	if (lmtp_sessions(srv) == 0)
		event_base_loopbreak(base);
}

/* Run a script; the server's replies land in transcript[]. */
static void
run(const struct step *script)
{
	struct lmtp_server	*srv;
	struct sockaddr_un	 sun;
	struct event		*stop;
	struct timeval		 tv = { 0, 5000 };
	FILE			*rec;
	pid_t			 pid;
	int			 sv[2];

	nrcpt_calls = ndata_calls = seen_nrcpts = 0;
	seen_from[0] = seen_msg[0] = last_rcpt[0] = '\0';
	seen_len = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 || (rec = tmpfile()) == NULL)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sv[0]);
		client(sv[1], script, rec);
	}
	close(sv[1]);

	base = event_base_new();
	srv = lmtp_new(base, &handler);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	lmtp_accept(srv, sv[0], (struct sockaddr *)&sun, sizeof(sun));
	stop = event_new(base, -1, EV_PERSIST, stopcb, srv);
	event_add(stop, &tv);
	event_base_dispatch(base);
	event_free(stop);
	lmtp_free(srv);
	event_base_free(base);
	waitpid(pid, NULL, 0);

	rewind(rec);
	tlen = fread(transcript, 1, sizeof(transcript) - 1, rec);
	transcript[tlen] = '\0';
	fclose(rec);
}

/* The final reply lines' codes, with enhanced codes: "220 250 550/5.1.1 ...". */
static const char *
codes(void)
{
	static char	 out[8192];
	const char	*p = transcript, *end = transcript + tlen, *lf;
	size_t		 o = 0;

	out[0] = '\0';
	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (lf - p >= 4 && (p[3] == ' ' || p[3] == '\r') && o + 16 < sizeof(out)) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.3s", o ? " " : "",
			    p);
			if (p[3] == ' ' && p[4] >= '2' && p[4] <= '5' && p[5] == '.')
				o += (size_t)snprintf(out + o, sizeof(out) - o, "/%.*s",
				    (int)strcspn(p + 4, " \r"), p + 4);
		}
		p = lf + 1;
	}
	return out;
}

static void
test_transaction(void)
{
	static const struct step script[] = {
		{ "", 1 },
		{ "LHLO mx.example.test\r\n", 1 },
		{ "MAIL FROM:<sender@example.org> BODY=8BITMIME SIZE=120\r\n", 1 },
		{ "RCPT TO:<reply+abc@lists.example.test>\r\n", 1 },
		{ "RCPT TO:<nobody@lists.example.test>\r\n", 1 },
		{ "RCPT TO:<full@lists.example.test>\r\n", 1 },
		{ "DATA\r\n", 1 },
		{ "Subject: hello\r\n\r\n..x\r\n...\r\n.\r\n", 2 },
		{ "QUIT\r\n", 1 },
		{ NULL, 0 },
	};

	run(script);
	ok(strncmp(transcript, "220 lmtp.example.test LMTP confab ready\r\n", 41) == 0,
	    "greeting");
	ok(strstr(transcript, "250-lmtp.example.test\r\n250-PIPELINING\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE 10000\r\n") != NULL,
	    "LHLO lists the extensions");
	is_str(codes(), "220 250 250/2.1.0 250/2.1.5 550/5.1.1 250/2.1.5 354 250/2.0.0 "
	    "452/4.2.2 221/2.0.0", "replies: one per accepted recipient after the dot");
	ok(strstr(transcript, "250 2.0.0 delivered to <reply+abc@lists.example.test>\r\n"
	    "452 4.2.2 mailbox full\r\n221") != NULL, "per-recipient replies in RCPT order");
	is_int(nrcpt_calls, 3, "rcpt handler called for each RCPT");
	is_int(ndata_calls, 1, "data handler called once");
	is_str(seen_from, "sender@example.org", "envelope sender");
	is_int(seen_nrcpts, 2, "two accepted recipients");
	is_str(seen_rcpts[0], "reply+abc@lists.example.test", "first recipient");
	is_str(seen_rcpts[1], "full@lists.example.test", "second recipient");
	is_str(seen_msg, "Subject: hello\r\n\r\n.x\r\n..\r\n", "message dot-unstuffed");
}

static void
test_pipelined(void)
{
	static const struct step script[] = {
		{ "LHLO mx\r\nMAIL FROM:<>\r\nRCPT TO:<a@l.test>\r\nRCPT TO:<nobody@l.test>\r\n"
		  "RCPT TO:<b@l.test>\r\nDATA\r\n", 7 },
		{ "line\r\n.\r\nMAIL FROM:<c@x.test>\r\nRCPT TO:<d@l.test>\r\nDATA\r\n", 5 },
		{ "two\r\n.\r\nQUIT\r\n", 2 },
		{ NULL, 0 },
	};

	run(script);
	is_str(codes(), "220 250 250/2.1.0 250/2.1.5 550/5.1.1 250/2.1.5 354 "
	    "250/2.0.0 250/2.0.0 250/2.1.0 250/2.1.5 354 250/2.0.0 221/2.0.0",
	    "pipelined commands answered in order");
	is_int(ndata_calls, 2, "two messages");
	is_str(seen_from, "c@x.test", "second sender");
	is_str(seen_rcpts[0], "d@l.test", "second transaction's recipient only");
	is_str(seen_msg, "two\r\n", "second message");
}

static void
test_sequence(void)
{
	static const struct step script[] = {
		{ "MAIL FROM:<a@b.test>\r\nHELO mx\r\nEHLO mx\r\nLHLO mx\r\nRCPT TO:<a@l.test>\r\n"
		  "DATA\r\nMAIL FROM:<a@b.test>\r\nMAIL FROM:<a@b.test>\r\nDATA\r\n"
		  "RCPT TO:<nobody@l.test>\r\nDATA\r\nRSET x\r\nQUIT now\r\nQUIT\r\n", 15 },
		{ NULL, 0 },
	};

	run(script);
	is_str(codes(), "220 503/5.5.1 500/5.5.1 500/5.5.1 250 503/5.5.1 503/5.5.1 "
	    "250/2.1.0 503/5.5.1 554/5.5.1 550/5.1.1 554/5.5.1 501/5.5.4 501/5.5.4 221/2.0.0",
	    "MAIL before LHLO, HELO/EHLO, RCPT/DATA before MAIL, nested MAIL, "
	    "DATA without recipients, arguments where none belong");
	ok(strstr(transcript, "554 5.5.1 no valid recipients\r\n") != NULL,
	    "554 5.5.1 no valid recipients");
	is_int(ndata_calls, 0, "no message");
}

static void
test_syntax(void)
{
	static const struct step script[] = {
		{ "LHLO\r\nLHLO mx\r\nFOO bar\r\nMAIL FROM:a@b.test\r\nMAIL TO:<a@b.test>\r\n"
		  "MAIL FROM:<a@b.test> SIZE=x\r\nMAIL FROM:<a@b.test> FOO=1\r\n"
		  "MAIL FROM: <@relay.test,@r2.test:src@b.test> BODY=7BIT\r\n"
		  "RCPT TO:<a b@l.test>\r\nRCPT TO:<>\r\nRCPT TO:<\"john >doe\"@l.test>\r\n"
		  "RCPT TO:<x@l.test> NOTIFY=NEVER\r\nVRFY x\r\nNOOP\r\nrset\r\n", 16 },
		{ NULL, 0 },
	};

	run(script);
	is_str(codes(), "220 501/5.5.4 250 500/5.5.1 501/5.1.7 501/5.5.4 501/5.5.4 "
	    "555/5.5.4 250/2.1.0 501/5.1.3 501/5.1.3 250/2.1.5 555/5.5.4 252/2.0.0 "
	    "250/2.0.0 250/2.0.0",
	    "syntax errors, unknown command, VRFY, NOOP, RSET");
	is_str(last_rcpt, "\"john >doe\"@l.test", "quoted local part passed as given");
}

static void
test_rset(void)
{
	static const struct step script[] = {
		{ "LHLO mx\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<one@l.test>\r\nRSET\r\n"
		  "DATA\r\nMAIL FROM:<c@b.test>\r\nRCPT TO:<two@l.test>\r\nDATA\r\n", 9 },
		{ "body\r\n.\r\nQUIT\r\n", 2 },
		{ NULL, 0 },
	};

	run(script);
	is_str(codes(), "220 250 250/2.1.0 250/2.1.5 250/2.0.0 503/5.5.1 250/2.1.0 "
	    "250/2.1.5 354 250/2.0.0 221/2.0.0", "RSET ends the transaction");
	is_int(seen_nrcpts, 1, "one recipient after RSET");
	is_str(seen_rcpts[0], "two@l.test", "the one given after RSET");
	is_str(seen_from, "c@b.test", "the sender given after RSET");
}

static char	big[30000];

static void
test_size(void)
{
	struct step script[] = {
		{ "LHLO mx\r\nMAIL FROM:<a@b.test> SIZE=10001\r\nMAIL FROM:<a@b.test> "
		  "SIZE=99999999999999999999999\r\nMAIL FROM:<a@b.test> SIZE=10000\r\n"
		  "RCPT TO:<one@l.test>\r\nRCPT TO:<two@l.test>\r\nDATA\r\n", 8 },
		{ big, 2 },
		{ "NOOP\r\n", 1 },
		{ NULL, 0 },
	};
	size_t	o = 0;

	/* 12000 octets in 100-octet lines, then the dot. */
	while (o < 12000) {
		memset(big + o, 'x', 98);
		memcpy(big + o + 98, "\r\n", 2);
		o += 100;
	}
	memcpy(big + o, ".\r\n", 4);
	run(script);
	is_str(codes(), "220 250 552/5.3.4 552/5.3.4 250/2.1.0 250/2.1.5 250/2.1.5 354 "
	    "552/5.3.4 552/5.3.4 250/2.0.0", "SIZE and message over the limit: 552 per "
	    "recipient, session goes on");
	is_int(ndata_calls, 0, "handler not called for a message too big");
}

static void
test_long_lines(void)
{
	struct step script[] = {
		{ big, 1 },
		{ "NOOP\r\nLHLO mx\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<one@l.test>\r\nDATA\r\n",
		  6 },
		{ NULL, 1 },	/* the message, set below */
		{ "NOOP\r\n", 1 },
		{ NULL, 0 },
	};
	static char	msg[4000];

	memset(big, 'A', 2500);
	memcpy(big + 2500, "\r\n", 3);
	script[0].send = big;
	/* A 1200-octet line and then an ordinary one; 998 octets is still fine. */
	memset(msg, 'b', 998);
	memcpy(msg + 998, "\r\n", 2);
	memset(msg + 1000, 'c', 1200);
	memcpy(msg + 2200, "\r\nok\r\n.\r\n", 10);
	script[2].send = msg;
	run(script);
	is_str(codes(), "220 500/5.5.2 250/2.0.0 250 250/2.1.0 250/2.1.5 354 554/5.6.0 "
	    "250/2.0.0", "long command line: 500 5.5.2; long data line: 554 at the dot");
	is_int(ndata_calls, 0, "handler not called for a message with a long line");

	/* Exactly 998 octets of text is a legal line. */
	{
		struct step s2[] = {
			{ "LHLO mx\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<one@l.test>\r\nDATA\r\n",
			  5 },
			{ NULL, 1 },
			{ NULL, 0 },
		};

		memcpy(msg + 1000, ".\r\n", 4);
		s2[1].send = msg;
		run(s2);
		is_str(codes(), "220 250 250/2.1.0 250/2.1.5 354 250/2.0.0",
		    "a 998-octet line is accepted");
		is_int((long long)seen_len, 1000, "and delivered whole");
	}
}

static void
test_long_split(void)
{
	static char	part[1501];
	struct step	script[] = {
		{ part, 2 },	/* answered before its end arrives */
		{ "still the same line\r\nNOOP\r\n", 1 },
		{ NULL, 0 },
	};

	memset(part, 'A', 1500);
	run(script);
	is_str(codes(), "220 500/5.5.2 250/2.0.0",
	    "a long line is answered at once; its tail is skipped");
}

static void
test_many(void)
{
	static char	cmds[16384];
	struct step	script[] = { { cmds, LMTP_MAX_RCPTS + 4 }, { NULL, 0 } };
	size_t		o = 0;
	int		i;

	o += (size_t)snprintf(cmds + o, sizeof(cmds) - o, "LHLO mx\r\nMAIL FROM:<>\r\n");
	for (i = 0; i <= LMTP_MAX_RCPTS; i++)
		o += (size_t)snprintf(cmds + o, sizeof(cmds) - o, "RCPT TO:<r%d@l.test>\r\n",
		    i);
	run(script);
	ok(strstr(transcript, "250 2.1.5 OK\r\n452 4.5.3 too many recipients\r\n") != NULL,
	    "recipient %d: 452 4.5.3", LMTP_MAX_RCPTS + 1);
	is_int(nrcpt_calls, LMTP_MAX_RCPTS, "handler asked about %d", LMTP_MAX_RCPTS);
}

static void
test_bad_commands(void)
{
	static const struct step script[] = {
		{ "A\r\nB\r\nC\r\nD\r\nE\r\nF\r\nG\r\nH\r\nI\r\nJ\r\nNOOP\r\n", 11 },
		{ NULL, 0 },
	};

	run(script);
	is_str(codes(), "220 500/5.5.1 500/5.5.1 500/5.5.1 500/5.5.1 500/5.5.1 500/5.5.1 "
	    "500/5.5.1 500/5.5.1 500/5.5.1 500/5.5.1 421/4.7.0",
	    "dropped after %d bad commands; nothing after", LMTP_MAX_BAD);
}

static void
test_quit_and_eof(void)
{
	static const struct step quit[] = {
		{ "LHLO mx\r\nQUIT\r\nNOOP\r\n", 3 },
		{ NULL, 0 },
	};
	/* The client half-closes at once: it still gets every reply. */
	static const struct step halfclose[] = {
		{ "LHLO mx\r\nNOOP\r\nNOOP", 0 },
		{ NULL, 0 },
	};

	run(quit);
	is_str(codes(), "220 250 221/2.0.0", "QUIT: 221, then the server closes");
	ok(strstr(transcript, "221 2.0.0 lmtp.example.test closing") != NULL, "221 text");
	run(halfclose);
	is_str(codes(), "220 250 250/2.0.0", "replies for a client that half-closed");
}

static void
test_idle(void)
{
	static const struct step script[] = {
		{ "LHLO mx\r\n", 3 },	/* the third is the 421 */
		{ NULL, 0 },
	};
	time_t	t0 = time(NULL);

	handler.idle_timeout = 1;
	run(script);
	handler.idle_timeout = 0;
	is_str(codes(), "220 250 421/4.4.2", "idle: 421 and close");
	ok(time(NULL) - t0 <= 3, "after the idle timeout");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	log_init(getenv("TEST_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_ERR, "test_lmtp");
	test_transaction();
	test_pipelined();
	test_sequence();
	test_syntax();
	test_rset();
	test_size();
	test_long_lines();
	test_long_split();
	test_many();
	test_bad_commands();
	test_quit_and_eof();
	test_idle();
	return tap_done();
}
