/* smtp.c: an SMTP client on the event loop (RFC 5321), after OpenSMTPD's mta: one
 * connection, one message, a small state machine driven by the server's replies, no
 * pipelining. The caller hears once: when the message's fate is known (or the
 * exchange failed); QUIT and the teardown go on quietly after that. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "log.h"
#include "smtp.h"

#define SMTP_MAX_LINE		4096	/* a reply line (RFC 5321 says 512; be lenient) */
#define SMTP_MAX_LINES		100	/* lines in one reply */
#define SMTP_MAX_TEXT		512	/* reply text kept for the result */
#define SMTP_DEFAULT_TIMEOUT	60
#define SMTP_QUIT_TIMEOUT	5	/* after the result: wait this long for 221 */

enum smtp_state {
	SM_GREET,	/* waiting for 220 */
	SM_EHLO,
	SM_HELO,
	SM_MAIL,
	SM_RCPT,	/* waiting for the reply to RCPT number c->rcpt */
	SM_DATA,	/* waiting for 354 */
	SM_BODY,	/* message sent, waiting for the final reply */
	SM_QUIT,	/* result given; waiting for 221 or the end */
};

static const char *const state_names[] = {
	"greeting", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "end of data", "QUIT"
};

struct smtp {
	struct event_base	*base;
	struct bufferevent	*bev;
	struct event		*timer;
	smtp_cb			 cb;
	void			*arg;
	char			*relay, *helo, *from;
	char			**rcpts;
	int			 nrcpts;
	int			*codes;		/* per recipient: the RCPT reply (0: not tried) */
	char			*data;
	size_t			 len;
	enum smtp_state		 state;
	int			 rcpt;		/* the RCPT being answered */
	int			 naccepted;
	int			 ext_8bitmime;	/* the server offered 8BITMIME */
	int			 reported;	/* cb was called */
	int			 connect_err;	/* errno of a connect that failed at once */
	/* The reply being read. */
	int			 rcode;
	int			 rlines;
	struct buf		 rtext;
};

static void	smtp_free(struct smtp *);

/* Copy reply text into the result buffer: printable, one line, bounded. */
static void
text_add(struct buf *b, const char *p)
{
	if (b->len > 0 && b->len < SMTP_MAX_TEXT)
		buf_addc(b, ' ');
	for (; *p != '\0' && b->len < SMTP_MAX_TEXT; p++)
		buf_addc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
}

/* The result is known: tell the caller, once. */
static void
report(struct smtp *c, int code, const char *text)
{
	struct smtp_result	r;

	if (c->reported)
		return;
	c->reported = 1;
	r.code = code;
	r.text = text;
	r.nrcpts = c->nrcpts;
	r.rcpt_codes = c->codes;
	if (code >= 200 && code < 300)
		log_info("smtp %s: from=<%s> rcpts=%d accepted=%d: %d %s", c->relay, c->from,
		    c->nrcpts, c->naccepted, code, text);
	else
		log_warn("smtp %s: from=<%s> rcpts=%d accepted=%d: %s%d %s", c->relay,
		    c->from, c->nrcpts, c->naccepted, code == 0 ? "failed: " : "", code,
		    text);
	c->cb(&r, c->arg);
}

static void
send_line(struct smtp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
send_line(struct smtp *c, const char *fmt, ...)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	va_list		 ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
}

/* The result is known: say so, then QUIT. */
static void
finish(struct smtp *c, int code, const char *text)
{
	struct timeval	tv = { SMTP_QUIT_TIMEOUT, 0 };

	report(c, code, text);
	send_line(c, "QUIT");
	c->state = SM_QUIT;
	evtimer_add(c->timer, &tv);
}

static int
has_8bit(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

/* The message, dot-stuffed, CRLF line ends (bare LF mended), then the final dot. */
static void
send_body(struct smtp *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	const char	*p = c->data, *end = c->data + c->len, *lf;
	size_t		 n;

	while (p < end) {
		if (*p == '.')
			evbuffer_add(out, ".", 1);
		lf = memchr(p, '\n', (size_t)(end - p));
		if (lf == NULL) {
			evbuffer_add(out, p, (size_t)(end - p));
			evbuffer_add(out, "\r\n", 2);	/* the final CRLF */
			break;
		}
		n = (size_t)(lf - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		evbuffer_add(out, p, n);
		evbuffer_add(out, "\r\n", 2);
		p = lf + 1;
	}
	evbuffer_add(out, ".\r\n", 3);
}

static void
send_rcpt(struct smtp *c)
{
	send_line(c, "RCPT TO:<%s>", c->rcpts[c->rcpt]);
}

/* A complete reply: move on. */
static void
on_reply(struct smtp *c, int code, const char *text)
{
	switch (c->state) {
	case SM_GREET:
		if (code != 220) {
			finish(c, code, text);
			break;
		}
		send_line(c, "EHLO %s", c->helo);
		c->state = SM_EHLO;
		break;
	case SM_EHLO:
	case SM_HELO:
		if (c->state == SM_EHLO && code >= 500) {
			/* An old server: plain HELO (RFC 5321 3.2). */
			send_line(c, "HELO %s", c->helo);
			c->state = SM_HELO;
			break;
		}
		if (code / 100 != 2) {
			finish(c, code, text);
			break;
		}
		send_line(c, "MAIL FROM:<%s>%s", c->from, c->ext_8bitmime &&
		    has_8bit(c->data, c->len) ? " BODY=8BITMIME" : "");
		c->state = SM_MAIL;
		break;
	case SM_MAIL:
		if (code / 100 != 2) {
			finish(c, code, text);
			break;
		}
		c->rcpt = 0;
		send_rcpt(c);
		c->state = SM_RCPT;
		break;
	case SM_RCPT:
		c->codes[c->rcpt] = code;
		if (code / 100 == 2)
			c->naccepted++;
		else
			log_info("smtp %s: RCPT <%s>: %d %s", c->relay, c->rcpts[c->rcpt],
			    code, text);
		if (++c->rcpt < c->nrcpts) {
			send_rcpt(c);
			break;
		}
		if (c->naccepted == 0) {
			finish(c, code, text);	/* the last refusal speaks for all */
			break;
		}
		send_line(c, "DATA");
		c->state = SM_DATA;
		break;
	case SM_DATA:
		if (code != 354) {
			finish(c, code, text);
			break;
		}
		send_body(c);
		c->state = SM_BODY;
		break;
	case SM_BODY:
		finish(c, code, text);
		break;
	case SM_QUIT:
		break;		/* readcb ends it */
	}
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct smtp	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line, *text;
	size_t		 n;
	int		 code, last;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		/* "250-text" continues, "250 text" or "250" ends (RFC 5321 4.2.1). */
		if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
		    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
		    (n > 3 && line[3] != ' ' && line[3] != '-') ||
		    memchr(line, '\0', n) != NULL ||
		    (c->rlines > 0 && atoi(line) != c->rcode) ||
		    ++c->rlines > SMTP_MAX_LINES) {
			free(line);
			goto bad;
		}
		code = atoi(line);
		last = n == 3 || line[3] == ' ';
		text = n > 3 ? line + 4 : line + 3;
		c->rcode = code;
		if (c->state == SM_EHLO && strncasecmp(text, "8BITMIME", 8) == 0 &&
		    (text[8] == '\0' || text[8] == ' '))
			c->ext_8bitmime = 1;
		if (c->rlines > 1 && text[0] >= '2' && text[0] <= '5' && text[1] == '.')
			text += strcspn(text, " ") + (text[strcspn(text, " ")] == ' ');
						/* the enhanced code once is enough */
		if (c->rlines == 1 || c->state != SM_EHLO)
			text_add(&c->rtext, text);	/* not the EHLO keywords */
		free(line);
		if (!last)
			continue;
		c->rlines = 0;
		text = buf_steal(&c->rtext);
		if (c->state == SM_QUIT) {
			free(text);
			smtp_free(c);
			return;
		}
		on_reply(c, code, text);
		free(text);
	}
	if (evbuffer_get_length(in) <= SMTP_MAX_LINE)
		return;
bad:
	if (c->reported) {
		smtp_free(c);
		return;
	}
	log_debug("smtp %s: bad reply in %s", c->relay, state_names[c->state]);
	report(c, 0, "protocol error: malformed reply from the relay");
	smtp_free(c);
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp	*c = arg;
	char		 msg[256];

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF)
		snprintf(msg, sizeof(msg), "connection closed by the relay in %s",
		    state_names[c->state]);
	else
		snprintf(msg, sizeof(msg), "%s: %s", c->relay,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	report(c, 0, msg);
	smtp_free(c);
}

static void
timercb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp	*c = arg;

	if (!c->reported)
		log_debug("smtp %s: timeout in %s", c->relay, state_names[c->state]);
	report(c, 0, "timeout");
	smtp_free(c);
}

/* The connection could not even start: the error is reported from the loop. */
static void
failcb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp	*c = arg;
	char		 msg[256];

	snprintf(msg, sizeof(msg), "%s: %s", c->relay, strerror(c->connect_err));
	report(c, 0, msg);
	smtp_free(c);
}

static void
smtp_free(struct smtp *c)
{
	int	i;

	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->timer != NULL)
		event_free(c->timer);
	free(c->relay);
	free(c->helo);
	free(c->from);
	for (i = 0; i < c->nrcpts; i++)
		free(c->rcpts[i]);
	free(c->rcpts);
	free(c->codes);
	free(c->data);
	buf_free(&c->rtext);
	free(c);
}

/* An address or name fit for a command line: no CR, LF, NUL, '<', '>' or space. */
static int
clean(const char *s, int empty_ok)
{
	if (s == NULL || (*s == '\0' && !empty_ok) || strlen(s) > 256)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '<' || *s == '>')
			return 0;
	return 1;
}

int
smtp_send(struct event_base *base, const struct smtp_msg *m, smtp_cb cb, void *arg)
{
	struct smtp		*c;
	struct sockaddr_storage	 ss;
	int			 sslen = sizeof(ss), i;
	struct timeval		 tv;

	memset(&ss, 0, sizeof(ss));
	if (m->relay == NULL || evutil_parse_sockaddr_port(m->relay, (struct sockaddr *)&ss,
	    &sslen) == -1) {
		log_warn("smtp: bad relay address '%s'", m->relay ? m->relay : "");
		return -1;
	}
	if (ss.ss_family == AF_INET && ((struct sockaddr_in *)&ss)->sin_port == 0)
		((struct sockaddr_in *)&ss)->sin_port = htons(25);
	else if (ss.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_port == 0)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(25);
	if (m->nrcpts < 1 || !clean(m->from, 1) ||
	    !clean(m->helo != NULL && *m->helo != '\0' ? m->helo : "localhost", 0)) {
		log_warn("smtp %s: bad envelope", m->relay);
		return -1;
	}
	for (i = 0; i < m->nrcpts; i++)
		if (!clean(m->rcpts[i], 0)) {
			log_warn("smtp %s: bad recipient address", m->relay);
			return -1;
		}

	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->cb = cb;
	c->arg = arg;
	c->relay = xstrdup(m->relay);
	c->helo = xstrdup(m->helo != NULL && *m->helo != '\0' ? m->helo : "localhost");
	c->from = xstrdup(m->from);
	c->nrcpts = m->nrcpts;
	c->rcpts = xcalloc((size_t)m->nrcpts, sizeof(*c->rcpts));
	c->codes = xcalloc((size_t)m->nrcpts, sizeof(*c->codes));
	for (i = 0; i < m->nrcpts; i++)
		c->rcpts[i] = xstrdup(m->rcpts[i]);
	c->data = xmalloc(m->len + 1);
	if (m->len > 0)
		memcpy(c->data, m->data, m->len);
	c->data[m->len] = '\0';
	c->len = m->len;
	c->state = SM_GREET;
	buf_init(&c->rtext);

	if ((c->timer = evtimer_new(base, timercb, c)) == NULL)
		fatal("evtimer_new");
	tv.tv_sec = m->timeout > 0 ? m->timeout : SMTP_DEFAULT_TIMEOUT;
	tv.tv_usec = 0;
	evtimer_add(c->timer, &tv);

	if ((c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatal("bufferevent_socket_new");
	bufferevent_setcb(c->bev, readcb, NULL, eventcb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, sslen) == -1) {
		/* Never call back from here: report from the loop. */
		c->connect_err = errno ? errno : ECONNREFUSED;
		bufferevent_free(c->bev);
		c->bev = NULL;
		event_free(c->timer);
		if ((c->timer = evtimer_new(base, failcb, c)) == NULL)
			fatal("evtimer_new");
		tv.tv_sec = 0;
		evtimer_add(c->timer, &tv);
		return 0;
	}
	log_debug("smtp %s: connecting, from=<%s> rcpts=%d size=%zu", c->relay, c->from,
	    c->nrcpts, c->len);
	return 0;
}
