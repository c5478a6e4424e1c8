/* test_smtp.c: the SMTP client against a scripted SMTP server forked from the test
 * (one connection per run); the server records every byte it receives. */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "smtp.h"
#include "tap.h"

enum mode {
	M_OK,		/* a normal server; RCPT to bad@... gets 550 */
	M_NOEHLO,	/* EHLO is 502: the client must try HELO */
	M_DATA451,	/* DATA gets 451 */
	M_HANG,		/* accepts and never says a word */
	M_GREET421,	/* 421 at once */
	M_DROP,		/* closes the connection after the message, before replying */
};

static char	transcript[65536];
static size_t	tlen;

/* Server side (the child). */
struct conn {
	int	 fd;
	char	 buf[4096];
	size_t	 len;
	FILE	*rec;
};

static void
say(struct conn *c, const char *s)
{
	size_t	 n = strlen(s);
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(c->fd, s, n)) <= 0)
			_exit(0);
		s += w;
		n -= (size_t)w;
	}
}

/* One line with its CRLF, recorded raw; NULL at EOF. */
static char *
get_line(struct conn *c, char *line, size_t size)
{
	char	*lf;
	ssize_t	 r;
	size_t	 n;

	while ((lf = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len == sizeof(c->buf) ||
		    (r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len)) <= 0)
			return NULL;
		c->len += (size_t)r;
	}
	n = (size_t)(lf - c->buf) + 1;
	fwrite(c->buf, 1, n, c->rec);
	fflush(c->rec);
	if (n >= size)
		n = size - 1;
	memcpy(line, c->buf, n);
	line[n] = '\0';
	c->len -= (size_t)(lf - c->buf) + 1;
	memmove(c->buf, lf + 1, c->len);
	return line;
}

static void
serve(int lfd, enum mode mode, FILE *rec)
{
	struct conn	c = { .rec = rec };
	char		line[2048];

	if ((c.fd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	if (mode == M_HANG) {
		while (read(c.fd, line, sizeof(line)) > 0)
			;
		_exit(0);
	}
	if (mode == M_GREET421) {
		say(&c, "421 4.3.2 fake.example busy, come back later\r\n");
		get_line(&c, line, sizeof(line));	/* QUIT */
		say(&c, "221 2.0.0 bye\r\n");
		_exit(0);
	}
	say(&c, "220-fake.example ESMTP\r\n220-a multi-line\r\n220 greeting\r\n");
	while (get_line(&c, line, sizeof(line)) != NULL) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			if (mode == M_NOEHLO)
				say(&c, "502 5.5.1 what is EHLO\r\n");
			else
				say(&c, "250-fake.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
				    "250 SIZE 100000\r\n");
		} else if (strncasecmp(line, "HELO", 4) == 0)
			say(&c, "250 fake.example\r\n");
		else if (strncasecmp(line, "MAIL", 4) == 0)
			say(&c, "250 2.1.0 ok\r\n");
		else if (strncasecmp(line, "RCPT", 4) == 0) {
			if (strstr(line, "bad") != NULL)
				say(&c, "550-5.1.1 no such user\r\n550 5.1.1 really\r\n");
			else
				say(&c, "250 2.1.5 ok\r\n");
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			if (mode == M_DATA451) {
				say(&c, "451 4.3.0 try again later\r\n");
				continue;
			}
			say(&c, "354 go ahead\r\n");
			while (get_line(&c, line, sizeof(line)) != NULL &&
			    strcmp(line, ".\r\n") != 0)
				;
			if (mode == M_DROP)
				_exit(0);
			say(&c, "250-2.0.0 ok\r\n250 2.0.0 queued as ABC123\r\n");
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			say(&c, "221 2.0.0 bye\r\n");
			break;
		} else
			say(&c, "500 5.5.1 what\r\n");
	}
	_exit(0);
}

/* Client side (the test). */
struct result {
	int	called;
	int	code;
	char	text[1024];
	int	nrcpts;
	int	codes[8];
};

static void
done(const struct smtp_result *r, void *arg)
{
	struct result	*res = arg;
	int		 i;

	res->called++;
	res->code = r->code;
	snprintf(res->text, sizeof(res->text), "%s", r->text ? r->text : "(null)");
	res->nrcpts = r->nrcpts;
	for (i = 0; i < r->nrcpts && i < 8; i++)
		res->codes[i] = r->rcpt_codes[i];
}

static int
listener(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		fatal("listener");
	*port = ntohs(sin.sin_port);
	return fd;
}

/* One exchange against a server in the given mode; the transcript lands in
 * transcript[]. */
static int
run(enum mode mode, const char **rcpts, int nrcpts, const char *data, int timeout,
    struct result *res)
{
	struct event_base	*base;
	struct smtp_msg		 m;
	char			 relay[64];
	FILE			*rec;
	pid_t			 pid;
	int			 lfd, port, rc;

	memset(res, 0, sizeof(*res));
	lfd = listener(&port);
	if ((rec = tmpfile()) == NULL)
		fatal("tmpfile");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		serve(lfd, mode, rec);
	close(lfd);

	base = event_base_new();
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", port);
	memset(&m, 0, sizeof(m));
	m.relay = relay;
	m.helo = "confab.test";
	m.from = "bounce+x@lists.example.test";
	m.rcpts = rcpts;
	m.nrcpts = nrcpts;
	m.data = data;
	m.len = strlen(data);
	m.timeout = timeout;
	rc = smtp_send(base, &m, done, res);
	ok(rc == 0, "smtp_send starts");
	ok(res->called == 0, "no callback from inside smtp_send");
	event_base_dispatch(base);	/* returns when the client is gone */
	event_base_free(base);
	if (mode == M_HANG)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	rewind(rec);
	tlen = fread(transcript, 1, sizeof(transcript) - 1, rec);
	transcript[tlen] = '\0';
	fclose(rec);
	return rc;
}

static void
test_ok(void)
{
	const char	*rcpts[] = { "alice@example.org", "bad@example.org" };
	struct result	 res;

	/* 8-bit text, a line starting with ".", one with "..", no final CRLF. */
	run(M_OK, rcpts, 2, "Subject: hi\r\n\r\nCaff\xc3\xa8\r\n.hidden\r\n..two\r\n"
	    "line\nbare LF\r\n.\r\nend", 10, &res);
	is_int(res.called, 1, "callback called once");
	is_int(res.code, 250, "message accepted");
	ok(strstr(res.text, "queued as ABC123") != NULL, "result has the final reply: %s",
	    res.text);
	is_int(res.nrcpts, 2, "two recipients in the result");
	is_int(res.codes[0], 250, "first recipient 250");
	is_int(res.codes[1], 550, "second recipient 550 (multi-line reply)");
	ok(strncmp(transcript, "EHLO confab.test\r\n", 18) == 0,
	    "EHLO after the multi-line greeting");
	ok(strstr(transcript, "\r\nMAIL FROM:<bounce+x@lists.example.test> BODY=8BITMIME\r\n")
	    != NULL, "MAIL FROM with BODY=8BITMIME for 8-bit data");
	ok(strstr(transcript, "\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bad@example.org>"
	    "\r\nDATA\r\n") != NULL, "RCPT for each recipient, then DATA");
	ok(strstr(transcript, "\r\nSubject: hi\r\n\r\nCaff\xc3\xa8\r\n..hidden\r\n...two\r\n"
	    "line\r\nbare LF\r\n..\r\nend\r\n.\r\nQUIT\r\n") != NULL,
	    "body dot-stuffed, CRLF mended, final CRLF added, then QUIT");
}

static void
test_7bit_helo(void)
{
	const char	*rcpts[] = { "alice@example.org" };
	struct result	 res;

	run(M_NOEHLO, rcpts, 1, "Subject: plain\r\n\r\nascii only\r\n", 10, &res);
	is_int(res.code, 250, "HELO fallback: accepted");
	ok(strstr(transcript, "EHLO confab.test\r\nHELO confab.test\r\n") != NULL,
	    "HELO after EHLO was refused");
	ok(strstr(transcript, "MAIL FROM:<bounce+x@lists.example.test>\r\n") != NULL,
	    "no BODY= without 8BITMIME");
	ok(strstr(transcript, "\r\nascii only\r\n.\r\n") != NULL, "no extra CRLF");
}

static void
test_all_refused(void)
{
	const char	*rcpts[] = { "bad1@example.org", "bad2@example.org" };
	struct result	 res;

	run(M_OK, rcpts, 2, "x\r\n", 10, &res);
	is_int(res.code, 550, "all recipients refused: the last RCPT code");
	ok(strstr(res.text, "5.1.1") != NULL, "and its text: %s", res.text);
	is_int(res.codes[0], 550, "per recipient 550");
	is_int(res.codes[1], 550, "per recipient 550");
	ok(strstr(transcript, "DATA") == NULL, "no DATA");
	ok(strstr(transcript, "\r\nQUIT\r\n") != NULL, "QUIT");
}

static void
test_data451(void)
{
	const char	*rcpts[] = { "alice@example.org" };
	struct result	 res;

	run(M_DATA451, rcpts, 1, "x\r\n", 10, &res);
	is_int(res.code, 451, "451 on DATA");
	ok(strstr(res.text, "try again later") != NULL, "text: %s", res.text);
	is_int(res.codes[0], 250, "the recipient itself was accepted");
	ok(strstr(transcript, "DATA\r\nQUIT\r\n") != NULL, "no body after 451; QUIT");
}

static void
test_greet421(void)
{
	const char	*rcpts[] = { "alice@example.org" };
	struct result	 res;

	run(M_GREET421, rcpts, 1, "x\r\n", 10, &res);
	is_int(res.code, 421, "421 greeting");
	is_int(res.codes[0], 0, "recipient not tried");
}

static void
test_drop(void)
{
	const char	*rcpts[] = { "alice@example.org" };
	struct result	 res;

	run(M_DROP, rcpts, 1, "x\r\n", 10, &res);
	is_int(res.code, 0, "connection lost before the final reply: 0");
	ok(strstr(res.text, "closed") != NULL, "text: %s", res.text);
}

static void
test_timeout(void)
{
	const char	*rcpts[] = { "alice@example.org" };
	struct result	 res;
	time_t		 t0 = time(NULL);

	run(M_HANG, rcpts, 1, "x\r\n", 1, &res);
	is_int(res.called, 1, "callback once");
	is_int(res.code, 0, "silent server: 0");
	is_str(res.text, "timeout", "text 'timeout'");
	ok(time(NULL) - t0 <= 3, "within the timeout");
}

static void
test_refused(void)
{
	const char	*rcpts[] = { "alice@example.org" };
	struct event_base *base = event_base_new();
	struct smtp_msg	 m;
	struct result	 res;
	char		 relay[64];
	int		 fd, port;

	fd = listener(&port);
	close(fd);	/* nobody listens there now */
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", port);
	memset(&m, 0, sizeof(m));
	memset(&res, 0, sizeof(res));
	m.relay = relay;
	m.helo = "confab.test";
	m.from = "";
	m.rcpts = rcpts;
	m.nrcpts = 1;
	m.data = "x\r\n";
	m.len = 3;
	m.timeout = 5;
	ok(smtp_send(base, &m, done, &res) == 0, "smtp_send to a closed port starts");
	ok(res.called == 0, "no callback from inside smtp_send");
	event_base_dispatch(base);
	is_int(res.called, 1, "callback once");
	is_int(res.code, 0, "connection refused: 0");
	ok(strcasestr(res.text, "refused") != NULL, "text: %s", res.text);

	/* What cannot start. */
	m.relay = "not an address";
	ok(smtp_send(base, &m, done, &res) == -1, "bad relay address: -1");
	m.relay = relay;
	rcpts[0] = "evil@example.org>\r\nRCPT TO:<other@example.org";
	ok(smtp_send(base, &m, done, &res) == -1, "CR LF in a recipient: -1");
	rcpts[0] = "alice@example.org";
	m.from = "a\nb";
	ok(smtp_send(base, &m, done, &res) == -1, "LF in the sender: -1");
	m.from = "";
	m.nrcpts = 0;
	ok(smtp_send(base, &m, done, &res) == -1, "no recipients: -1");
	event_base_dispatch(base);
	is_int(res.called, 1, "no callback for what did not start");
	event_base_free(base);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	log_init(getenv("TEST_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_ERR, "test_smtp");
	test_ok();
	test_7bit_helo();
	test_all_refused();
	test_data451();
	test_greet421();
	test_drop();
	test_timeout();
	test_refused();
	return tap_done();
}
