/* fuzz_lmtp.c: libFuzzer harness for the LMTP session (lmtp.c): the input is what a
 * client sends, byte for byte; it goes down a socketpair into a real session on the
 * event loop, the replies are read and checked (every line a well-formed reply), and
 * the loop runs until the session is gone. A small max_size and a picky mock handler
 * reach the size, recipient and per-recipient reply paths. */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lmtp.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
mock_rcpt(const char *rcpt, const char *from, struct lmtp_reply *r, void *arg)
{
	if (rcpt == NULL || from == NULL || strpbrk(rcpt, "\r\n") != NULL)
		abort();
	r->code = rcpt[0] == 'x' ? 550 : rcpt[0] == 'y' ? 0 : 250;	/* y: forgets */
	memcpy(r->enh, rcpt[0] == 'x' ? "5.1.1" : "2.1.5", 6);
	memcpy(r->text, "ok\r\nsneaky", 11);
}

static void
mock_data(const char *from, const char **rcpts, int nrcpts, const char *msg, size_t len,
    struct lmtp_reply *replies, void *arg)
{
	int	i;

	if (nrcpts < 1 || nrcpts > LMTP_MAX_RCPTS || len > 4096 || msg[len] != '\0')
		abort();
	if (len > 0 && (len < 2 || memcmp(msg + len - 2, "\r\n", 2) != 0))
		abort();	/* whole lines only */
	for (i = 0; i < nrcpts; i++) {
		if (rcpts[i] == NULL || rcpts[i][0] == '\0')
			abort();
		replies[i].code = rcpts[i][0] == 'f' ? 452 : 250;
	}
}

static struct lmtp_handler handler = {
	.rcpt = mock_rcpt,
	.data = mock_data,
	.max_size = 4096,
	.hostname = "fuzz.example",
};

struct client {
	int		 fd;
	const uint8_t	*data;
	size_t		 len, off;
	struct event	*ev;
	int		 done;		/* EOF from the server */
	char		 line[8192];
	size_t		 llen;
};

/* Every reply line: three digits, then ' ', '-' or the end, nothing bare. */
static void
check_reply(struct client *c, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (c->llen == sizeof(c->line))
			abort();	/* a reply line this long */
		c->line[c->llen++] = p[i];
		if (p[i] != '\n')
			continue;
		if (c->llen < 5 || c->line[c->llen - 2] != '\r' ||
		    c->line[0] < '2' || c->line[0] > '5' ||
		    (c->line[3] != ' ' && c->line[3] != '-' && c->line[3] != '\r') ||
		    memchr(c->line, '\r', c->llen - 2) != NULL ||
		    memchr(c->line, '\0', c->llen) != NULL)
			abort();
		c->llen = 0;
	}
}

static void
clientcb(evutil_socket_t fd, short ev, void *arg)
{
	struct client	*c = arg;
	char		 buf[16384];
	ssize_t		 r;

	if (ev & EV_WRITE) {
		if (c->off < c->len) {
			r = write(fd, c->data + c->off, c->len - c->off);
			if (r > 0)
				c->off += (size_t)r;
			else if (r < 0 && errno != EAGAIN)
				c->off = c->len;	/* the server hung up */
		}
		if (c->off == c->len) {
			shutdown(fd, SHUT_WR);
			event_del(c->ev);
			event_assign(c->ev, event_get_base(c->ev), fd, EV_READ | EV_PERSIST,
			    clientcb, c);
			event_add(c->ev, NULL);
			c->off++;
		}
	}
	if (ev & EV_READ) {
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			check_reply(c, buf, (size_t)r);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			event_del(c->ev);
			c->done = 1;
			event_base_loopbreak(event_get_base(c->ev));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	struct lmtp_server	*srv;
	struct sockaddr_un	 sun;
	struct client		 c;
	int			 sv[2];

	if (size > 65536)
		return 0;
	if (base == NULL) {
		signal(SIGPIPE, SIG_IGN);
		log_init(LOG_LVL_ERR, "fuzz_lmtp");
		if ((base = event_base_new()) == NULL)
			abort();
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	evutil_make_socket_nonblocking(sv[1]);
	srv = lmtp_new(base, &handler);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	lmtp_accept(srv, sv[0], (struct sockaddr *)&sun, sizeof(sun));

	memset(&c, 0, sizeof(c));
	c.fd = sv[1];
	c.data = data;
	c.len = size;
	c.ev = event_new(base, sv[1], EV_READ | EV_WRITE | EV_PERSIST, clientcb, &c);
	event_add(c.ev, NULL);
	event_base_dispatch(base);	/* until the client sees the server's EOF */
	if (!c.done)
		abort();
	if (c.llen != 0)
		abort();	/* a reply without its CRLF */
	if (lmtp_sessions(srv) != 0)
		abort();	/* the client saw EOF: the session must be gone */
	event_free(c.ev);
	close(sv[1]);
	lmtp_free(srv);
	return 0;
}
