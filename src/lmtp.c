/* lmtp.c: LMTP sessions (RFC 2033 over RFC 5321 syntax): accepting, reading command
 * and data lines (bounded), one reply per recipient after the message. Commands are
 * answered strictly in order, so a pipelining client (Postfix) gets its replies in the
 * order it sent the commands. lmtp_close() is the only way a session ends. */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lmtp.h"
#include "sock.h"
#include "log.h"

#define LMTP_HIGH_WATER		(64 * 1024)	/* stop reading commands above this */
#define LMTP_LOW_WATER		(16 * 1024)	/* ... and start again below this */
#define LMTP_MAX_PATH		256		/* RFC 5321 4.5.3.1.3, with <> */

enum lstate {
	LS_CMD,		/* reading command lines */
	LS_DATA,	/* reading the message after 354 */
	LS_CLOSING,	/* flushing the last reply, then close */
	LS_WAIT,	/* the handler has a RCPT or the message: input waits */
};

enum data_err {
	DE_NONE,
	DE_SIZE,	/* over max_size: 552 5.3.4 */
	DE_LONG,	/* a line over LMTP_MAX_LINE: 554 5.6.0 */
};

struct lmtp_server {
	struct event_base		*base;
	const struct lmtp_handler	*h;
	LIST_HEAD(, lsess)		 sessions;
	int				 nsessions;
	uint64_t			 next_id;
};

struct lsess {
	LIST_ENTRY(lsess)	 entry;
	struct lmtp_server	*srv;
	uint64_t		 id;
	struct bufferevent	*bev;
	struct event		*idle;
	char			 addr[64];
	enum lstate		 state;
	int			 lhlo;		/* LHLO given */
	int			 bad;		/* bad commands so far */
	int			 skip_line;	/* discarding the rest of a long line */
	/* The transaction. */
	char			*from;		/* MAIL given ("" for <>) */
	char			**rcpts;	/* accepted recipients */
	int			 nrcpts;
	struct buf		 msg;
	enum data_err		 err;
	const char		*close_reason;
	struct pending		*pend;		/* LS_WAIT */
	const char		*eof;		/* the client closed its side in LS_WAIT */
	int			 in_handler;	/* pending_done() from inside the call */
};

/* A RCPT or a message with the handler (maybe off the loop: h->offload); it owns
 * what the handler reads, so the session may go meanwhile. */
struct pending {
	struct lsess		*s;		/* NULL once the session is gone */
	const struct lmtp_handler *h;
	int			 data;		/* the message, else a RCPT */
	char			*addr;		/* RCPT */
	char			*from;
	char			**rcpts;	/* DATA: the transaction's, moved here */
	int			 nrcpts;
	struct buf		 msg;
	enum data_err		 err;
	struct lmtp_reply	*r;		/* one per recipient (RCPT: one) */
};

static void	readcb(struct bufferevent *, void *);
static void	writecb(struct bufferevent *, void *);
static void	eventcb(struct bufferevent *, short, void *);
static void	process(struct lsess *);
static void	lmtp_close(struct lsess *, const char *);
static void	touch(struct lsess *);

static void
llog(struct lsess *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
llog(struct lsess *s, int level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vsession(level, 'l', (unsigned long long)s->id, s->addr, fmt, ap);
	va_end(ap);
}

static const char *
hostname(struct lsess *s)
{
	const char	*h = s->srv->h->hostname;

	return h != NULL && *h != '\0' ? h : "localhost";
}

static size_t
max_size(struct lsess *s)
{
	return s->srv->h->max_size ? s->srv->h->max_size : LMTP_DEFAULT_MAX_SIZE;
}

static size_t
outlen(struct lsess *s)
{
	return evbuffer_get_length(bufferevent_get_output(s->bev));
}

static void
reply(struct lsess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reply(struct lsess *s, const char *fmt, ...)
{
	char	line[LMTP_MAX_LINE];
	va_list	ap;
	int	n, i;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	for (i = 0; i < n; i++)		/* client text echoed back stays on its line */
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	llog(s, LOG_LVL_DEBUG, "> %s", line);
	line[n++] = '\r';
	line[n++] = '\n';
	bufferevent_write(s->bev, line, (size_t)n);
}

/* A handler's reply on the wire: code, enhanced status, one line of text. */
static void
reply_handler(struct lsess *s, const struct lmtp_reply *r)
{
	char	text[sizeof(r->text)], enh[sizeof(r->enh)];
	size_t	i;
	int	code = r->code;

	memcpy(text, r->text, sizeof(text));
	text[sizeof(text) - 1] = '\0';
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			text[i] = ' ';
	memcpy(enh, r->enh, sizeof(enh));
	enh[sizeof(enh) - 1] = '\0';
	if (strspn(enh, "0123456789.") != strlen(enh))
		enh[0] = '\0';
	if (code < 200 || code > 599 || (code >= 300 && code < 400)) {
		llog(s, LOG_LVL_WARN, "handler gave reply code %d", code);
		reply(s, "451 4.3.0 internal error");
		return;
	}
	if (enh[0] != '\0' && enh[0] - '0' != code / 100)
		enh[0] = '\0';	/* the class must agree with the code */
	reply(s, "%d %s%s%s", code, enh, enh[0] != '\0' ? " " : "",
	    text[0] != '\0' ? text : code < 300 ? "OK" : "failed");
}

/* Forget the transaction (MAIL, RCPTs, message). */
static void
txn_reset(struct lsess *s)
{
	int	i;

	free(s->from);
	s->from = NULL;
	for (i = 0; i < s->nrcpts; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpts = 0;
	buf_free(&s->msg);
	s->err = DE_NONE;
}

/* Stop reading; close once the replies queued so far are written. */
static void
closing(struct lsess *s, const char *why)
{
	s->state = LS_CLOSING;
	s->close_reason = why;
	bufferevent_disable(s->bev, EV_READ);
	if (outlen(s) == 0)
		bufferevent_trigger(s->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
}

/* A 5xx for a bad command; too many of them and the client goes. */
static void
bad(struct lsess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bad(struct lsess *s, const char *fmt, ...)
{
	char	line[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reply(s, "%s", line);
	if (++s->bad >= LMTP_MAX_BAD) {
		reply(s, "421 4.7.0 %s too many errors, closing", hostname(s));
		closing(s, "too many bad commands");
	}
}

static void
idlecb(evutil_socket_t fd, short ev, void *arg)
{
	struct lsess	*s = arg;
	struct timeval	 flush = { 10, 0 };

	if (s->state == LS_CLOSING) {
		lmtp_close(s, "idle timeout while closing");
		return;
	}
	if (s->state == LS_WAIT) {	/* not the client's silence: ours */
		touch(s);
		return;
	}
	reply(s, "421 4.4.2 %s idle for too long, closing", hostname(s));
	closing(s, "idle timeout");
	evtimer_add(s->idle, &flush);	/* the client may not read it either */
}

static void
touch(struct lsess *s)
{
	struct timeval	tv = { s->srv->h->idle_timeout > 0 ? s->srv->h->idle_timeout :
			    LMTP_IDLE_TIMEOUT, 0 };

	evtimer_add(s->idle, &tv);
}

/*
 * Paths and parameters.
 */

/* "<local@domain> PARAMS": on success *addr points into p at the address (source
 * route dropped, NUL-terminated), *params at what follows (maybe ""). Quoted local
 * parts may hold '>' and spaces. -1 on bad syntax. */
static int
parse_path(char *p, char **addr, char **params)
{
	char	*start, *q;
	int	 quoted = 0;

	while (*p == ' ')
		p++;	/* "MAIL FROM: <a>" is common enough to tolerate */
	if (*p++ != '<')
		return -1;
	start = p;
	if (*p == '@') {
		/* A source route "<@a,@b:user@c>" (RFC 5321 4.1.2): ignored. */
		if ((q = strchr(p, ':')) == NULL)
			return -1;
		start = p = q + 1;
	}
	for (;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\0' || c < 0x20 || c == 0x7f)
			return -1;
		if (quoted) {
			if (c == '\\') {
				if (p[1] == '\0')
					return -1;
				p++;
			} else if (c == '"')
				quoted = 0;
			continue;
		}
		if (c == '"')
			quoted = 1;
		else if (c == '>')
			break;
		else if (c == ' ' || c == '<' || c == '\\')
			return -1;
	}
	if (p - start > LMTP_MAX_PATH - 2)
		return -1;
	*p++ = '\0';
	if (*p != '\0' && *p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	*addr = start;
	*params = p;
	return 0;
}

/* Next "KEY[=VALUE]" from *p; NULL at the end. */
static char *
next_param(char **p, char **value)
{
	char	*k = *p, *e;

	while (*k == ' ')
		k++;
	if (*k == '\0')
		return NULL;
	e = k + strcspn(k, " ");
	if (*e != '\0')
		*e++ = '\0';
	*p = e;
	if ((*value = strchr(k, '=')) != NULL)
		*(*value)++ = '\0';
	return k;
}

/* "FROM:" / "TO:" prefix, case-insensitive; the rest or NULL. */
static char *
skip_prefix(char *arg, const char *prefix)
{
	size_t	n = strlen(prefix);

	return strncasecmp(arg, prefix, n) == 0 ? arg + n : NULL;
}

/*
 * Commands.
 */

static void
cmd_lhlo(struct lsess *s, char *arg)
{
	txn_reset(s);
	s->lhlo = 1;
	reply(s, "250-%s", hostname(s));
	reply(s, "250-PIPELINING");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250-8BITMIME");
	reply(s, "250 SIZE %zu", max_size(s));
}

static void
cmd_helo(struct lsess *s, char *arg)
{
	bad(s, "500 5.5.1 this is LMTP: use LHLO");
}

static void
cmd_mail(struct lsess *s, char *arg)
{
	char	*p, *addr, *params, *k, *v, *end;
	unsigned long long size;

	if (s->from != NULL) {
		bad(s, "503 5.5.1 nested MAIL command");
		return;
	}
	if ((p = skip_prefix(arg, "FROM:")) == NULL) {
		bad(s, "501 5.5.4 syntax: MAIL FROM:<address>");
		return;
	}
	if (parse_path(p, &addr, &params) == -1) {
		bad(s, "501 5.1.7 bad sender address syntax");
		return;
	}
	while ((k = next_param(&params, &v)) != NULL) {
		if (strcasecmp(k, "SIZE") == 0) {
			if (v == NULL || !isdigit((unsigned char)*v)) {
				bad(s, "501 5.5.4 bad SIZE parameter");
				return;
			}
			errno = 0;
			size = strtoull(v, &end, 10);
			if (*end != '\0') {
				bad(s, "501 5.5.4 bad SIZE parameter");
				return;
			}
			if (errno == ERANGE || size > max_size(s)) {
				reply(s, "552 5.3.4 message too big (at most %zu octets)",
				    max_size(s));
				return;
			}
		} else if (strcasecmp(k, "BODY") == 0) {
			if (v == NULL || (strcasecmp(v, "7BIT") != 0 &&
			    strcasecmp(v, "8BITMIME") != 0)) {
				bad(s, "501 5.5.4 bad BODY parameter");
				return;
			}
		} else {
			bad(s, "555 5.5.4 unsupported parameter %.64s", k);
			return;
		}
	}
	s->from = xstrdup(addr);
	reply(s, "250 2.1.0 OK");
}

static void
pending_free(struct pending *p)
{
	int	i;

	free(p->addr);
	free(p->from);
	for (i = 0; i < p->nrcpts; i++)
		free(p->rcpts[i]);
	free(p->rcpts);
	buf_free(&p->msg);
	free(p->r);
	free(p);
}

static void
pending_run(void *job, void *ctx)
{
	struct pending	*p = job;

	if (!p->data)
		p->h->rcpt(p->addr, p->from, p->r, ctx);
	else
		p->h->data(p->from, (const char **)p->rcpts, p->nrcpts,
		    p->msg.data != NULL ? p->msg.data : "", p->msg.len, p->r, ctx);
}

/* The replies, then the commands that came meanwhile. */
static void
pending_done(void *job)
{
	struct pending	*p = job;
	struct lsess	*s = p->s;
	int		 i, nok = 0;

	for (i = 0; p->data && i < p->nrcpts; i++)
		nok += p->r[i].code >= 200 && p->r[i].code < 300;
	if (nok > 0 && p->h->delivered != NULL)
		p->h->delivered(p->h->arg);	/* even when the session has gone */
	if (s == NULL) {
		pending_free(p);
		return;
	}
	s->pend = NULL;
	if (s->state == LS_WAIT)
		s->state = LS_CMD;
	if (!p->data) {
		llog(s, LOG_LVL_DEBUG, "RCPT <%s>: %d", p->addr, p->r->code);
		reply_handler(s, p->r);
		if (p->r->code >= 200 && p->r->code < 300) {
			s->rcpts = xreallocarray(s->rcpts, (size_t)s->nrcpts + 1,
			    sizeof(*s->rcpts));
			s->rcpts[s->nrcpts++] = p->addr;
			p->addr = NULL;
		}
	} else {
		for (i = 0; i < p->nrcpts; i++)
			reply_handler(s, &p->r[i]);
		llog(s, LOG_LVL_INFO, "from=<%s> size=%zu rcpts=%d delivered=%d%s", p->from,
		    p->msg.len, p->nrcpts, nok, p->err == DE_SIZE ? " (too big)" :
		    p->err == DE_LONG ? " (line too long)" : "");
	}
	pending_free(p);
	if (s->eof != NULL)
		closing(s, s->eof);	/* the client had gone quiet: its replies, then bye */
	else if (!s->in_handler && s->state == LS_CMD) {
		bufferevent_enable(s->bev, EV_READ);
		process(s);	/* (may close s) */
	}
}

/* Hand p to the handler: done at once, or later (the session reads nothing meanwhile). */
static void
pending_start(struct lsess *s, struct pending *p, int call)
{
	const struct lmtp_handler *h = s->srv->h;

	p->s = s;
	p->h = h;
	s->pend = p;
	s->state = LS_WAIT;
	if (call && h->offload != NULL) {
		bufferevent_disable(s->bev, EV_READ);
		h->offload(pending_run, pending_done, p, h->arg);
		return;
	}
	s->in_handler = 1;	/* process() goes on with the next line itself */
	if (call)
		pending_run(p, h->arg);
	pending_done(p);
	s->in_handler = 0;
}

static void
temp_fail(struct lmtp_reply *r)
{
	r->code = 451;		/* unless the handler says otherwise: its store was away */
	snprintf(r->enh, sizeof(r->enh), "4.3.0");
	snprintf(r->text, sizeof(r->text), "try again later");
}

static void
cmd_rcpt(struct lsess *s, char *arg)
{
	const struct lmtp_handler *h = s->srv->h;
	struct pending		*p;
	char			*to, *addr, *params;

	if ((to = skip_prefix(arg, "TO:")) == NULL) {
		bad(s, "501 5.5.4 syntax: RCPT TO:<address>");
		return;
	}
	if (parse_path(to, &addr, &params) == -1 || *addr == '\0') {
		bad(s, "501 5.1.3 bad recipient address syntax");
		return;
	}
	if (*params != '\0') {
		bad(s, "555 5.5.4 unsupported parameter");
		return;
	}
	if (s->nrcpts >= LMTP_MAX_RCPTS) {
		reply(s, "452 4.5.3 too many recipients");
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->addr = xstrdup(addr);
	p->from = xstrdup(s->from);
	p->r = xcalloc(1, sizeof(*p->r));
	if (h->rcpt != NULL)
		temp_fail(p->r);
	else {
		p->r->code = 250;
		snprintf(p->r->enh, sizeof(p->r->enh), "2.1.5");
	}
	buf_init(&p->msg);
	pending_start(s, p, h->rcpt != NULL);
}

static void
cmd_data(struct lsess *s, char *arg)
{
	if (s->nrcpts == 0) {
		reply(s, "554 5.5.1 no valid recipients");
		return;
	}
	buf_reset(&s->msg);
	s->err = DE_NONE;
	s->state = LS_DATA;
	reply(s, "354 go ahead, end with <CRLF>.<CRLF>");
}

/* The final dot: one reply per accepted recipient, in RCPT order. */
static void
data_done(struct lsess *s)
{
	const struct lmtp_handler *h = s->srv->h;
	struct pending		*p = xcalloc(1, sizeof(*p));
	int			 i;

	s->state = LS_CMD;
	/* The transaction moves into p: the session starts afresh. */
	p->data = 1;
	p->from = s->from;
	p->rcpts = s->rcpts;
	p->nrcpts = s->nrcpts;
	p->msg = s->msg;
	p->err = s->err;
	s->from = NULL;
	s->rcpts = NULL;
	s->nrcpts = 0;
	buf_init(&s->msg);
	txn_reset(s);
	p->r = xcalloc((size_t)p->nrcpts, sizeof(*p->r));
	for (i = 0; i < p->nrcpts; i++) {
		switch (p->err) {
		case DE_SIZE:
			p->r[i].code = 552;
			snprintf(p->r[i].enh, sizeof(p->r[i].enh), "5.3.4");
			snprintf(p->r[i].text, sizeof(p->r[i].text),
			    "message too big (at most %zu octets)", max_size(s));
			break;
		case DE_LONG:
			p->r[i].code = 554;
			snprintf(p->r[i].enh, sizeof(p->r[i].enh), "5.6.0");
			snprintf(p->r[i].text, sizeof(p->r[i].text),
			    "message has a line longer than %d octets", LMTP_MAX_LINE - 2);
			break;
		case DE_NONE:
			temp_fail(&p->r[i]);
			break;
		}
	}
	pending_start(s, p, p->err == DE_NONE && h->data != NULL);
}

/* A line of the message (CRLF removed), as it came on the wire. */
static void
data_line(struct lsess *s, const char *line, size_t n)
{
	if (n == 1 && line[0] == '.') {
		data_done(s);
		return;
	}
	if (s->err != DE_NONE)
		return;
	if (line[0] == '.') {	/* dot-unstuff */
		line++;
		n--;
	}
	if (s->msg.len + n + 2 > max_size(s)) {
		s->err = DE_SIZE;
		buf_free(&s->msg);
		return;
	}
	buf_add(&s->msg, line, n);
	buf_add(&s->msg, "\r\n", 2);
}

static void
cmd_rset(struct lsess *s, char *arg)
{
	txn_reset(s);
	reply(s, "250 2.0.0 OK");
}

static void
cmd_noop(struct lsess *s, char *arg)
{
	reply(s, "250 2.0.0 OK");
}

static void
cmd_vrfy(struct lsess *s, char *arg)
{
	reply(s, "252 2.0.0 cannot VRFY; send some mail and it will be tried");
}

static void
cmd_quit(struct lsess *s, char *arg)
{
	reply(s, "221 2.0.0 %s closing connection", hostname(s));
	closing(s, "QUIT");
}

enum { ARG_NONE, ARG_OPT, ARG_REQ };
#define NEED_LHLO	0x1	/* after LHLO */
#define NEED_MAIL	0x2	/* in a transaction (after MAIL) */
#define NEED_NOMAIL	0x4	/* outside a transaction */

static const struct cmd {
	const char	*name;
	int		 args;
	int		 needs;
	void		(*fn)(struct lsess *, char *);
} cmds[] = {
	{ "DATA",	ARG_NONE, NEED_LHLO | NEED_MAIL,	cmd_data },
	{ "EHLO",	ARG_OPT,  0,				cmd_helo },
	{ "HELO",	ARG_OPT,  0,				cmd_helo },
	{ "LHLO",	ARG_REQ,  0,				cmd_lhlo },
	{ "MAIL",	ARG_REQ,  NEED_LHLO,			cmd_mail },
	{ "NOOP",	ARG_OPT,  0,				cmd_noop },
	{ "QUIT",	ARG_NONE, 0,				cmd_quit },
	{ "RCPT",	ARG_REQ,  NEED_LHLO | NEED_MAIL,	cmd_rcpt },
	{ "RSET",	ARG_NONE, 0,				cmd_rset },
	{ "VRFY",	ARG_REQ,  0,				cmd_vrfy },
};

static void
dispatch(struct lsess *s, char *line)
{
	const struct cmd	*c = NULL;
	char			*arg, *e;
	size_t			 i, vlen;

	/* Trailing blanks are not part of anything. */
	for (e = line + strlen(line); e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	vlen = strcspn(line, " ");
	arg = line + vlen;
	while (*arg == ' ')
		arg++;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == vlen &&
		    strncasecmp(cmds[i].name, line, vlen) == 0) {
			c = &cmds[i];
			break;
		}
	if (c == NULL) {
		bad(s, "500 5.5.1 command unrecognized");
		return;
	}
	if ((c->args == ARG_NONE && *arg != '\0') || (c->args == ARG_REQ && *arg == '\0')) {
		bad(s, "501 5.5.4 syntax error in arguments");
		return;
	}
	if ((c->needs & NEED_LHLO) && !s->lhlo) {
		bad(s, "503 5.5.1 send LHLO first");
		return;
	}
	if ((c->needs & NEED_MAIL) && s->from == NULL) {
		bad(s, "503 5.5.1 need MAIL command");
		return;
	}
	c->fn(s, arg);
}

/*
 * Reading.
 */

static void
process(struct lsess *s)
{
	struct evbuffer		*in;
	struct evbuffer_ptr	 p;
	size_t			 eol, n, pending;
	char			*line;

	while (s->state != LS_CLOSING && s->state != LS_WAIT) {
		if (s->state == LS_CMD && outlen(s) > LMTP_HIGH_WATER) {
			/* The client does not read its replies: wait until it does. */
			bufferevent_disable(s->bev, EV_READ);
			return;
		}
		in = bufferevent_get_input(s->bev);
		if (s->skip_line) {
			/* The rest of an over-long line, already dealt with. */
			p = evbuffer_search(in, "\n", 1, NULL);
			if (p.pos < 0) {
				evbuffer_drain(in, evbuffer_get_length(in));
				return;
			}
			evbuffer_drain(in, (size_t)p.pos + 1);
			s->skip_line = 0;
			continue;
		}
		pending = evbuffer_get_length(in);
		p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_CRLF);
		if (p.pos < 0 && pending <= LMTP_MAX_LINE)
			return;		/* wait for the rest of the line */
		if (p.pos < 0 || (size_t)p.pos + 2 > LMTP_MAX_LINE) {
			/* Over-long: never copied; the rest is skipped as it comes. */
			if (p.pos < 0) {
				evbuffer_drain(in, pending);
				s->skip_line = 1;
			} else
				evbuffer_drain(in, (size_t)p.pos + eol);
			if (s->state == LS_DATA) {
				if (s->err == DE_NONE) {
					s->err = DE_LONG;
					buf_free(&s->msg);
				}
			} else
				bad(s, "500 5.5.2 line too long");
			continue;
		}
		line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
		if (line == NULL)
			return;
		if (s->state == LS_DATA) {
			data_line(s, line, n);
			free(line);
			continue;
		}
		if (memchr(line, '\0', n) != NULL)
			bad(s, "500 5.5.2 NUL in command");
		else {
			llog(s, LOG_LVL_DEBUG, "< %s", line);
			dispatch(s, line);
		}
		free(line);
	}
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct lsess	*s = arg;

	touch(s);
	process(s);
}

static void
writecb(struct bufferevent *bev, void *arg)
{
	struct lsess	*s = arg;

	if (s->state == LS_CLOSING) {
		if (outlen(s) == 0)
			lmtp_close(s, NULL);
		return;
	}
	if (s->state != LS_WAIT && outlen(s) <= LMTP_LOW_WATER &&
	    !(bufferevent_get_enabled(s->bev) & EV_READ)) {
		bufferevent_enable(s->bev, EV_READ);
		/* Commands pipelined behind the replies wait in the input buffer. */
		process(s);
	}
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct lsess	*s = arg;

	if (what & BEV_EVENT_EOF) {
		const char *why = s->state == LS_DATA ? "client closed the connection in DATA" :
		    s->from != NULL ? "client closed the connection in a transaction" :
		    "client closed the connection";

		/* A client that half-closes still gets the replies it is owed. */
		if (s->state == LS_WAIT) {
			s->eof = why;
			bufferevent_disable(s->bev, EV_READ);
		} else if (s->state != LS_CLOSING && outlen(s) > 0)
			closing(s, why);
		else if (s->state != LS_CLOSING)
			lmtp_close(s, why);
	} else if (what & BEV_EVENT_ERROR)
		lmtp_close(s, strerror(EVUTIL_SOCKET_ERROR()));
	else
		lmtp_close(s, "connection event");
}

/*
 * Sessions and the server.
 */

static void
lmtp_close(struct lsess *s, const char *why)
{
	struct lmtp_server	*srv = s->srv;

	llog(s, LOG_LVL_INFO, "closed: %s", why ? why : s->close_reason ? s->close_reason :
	    "done");
	LIST_REMOVE(s, entry);
	srv->nsessions--;
	if (s->pend != NULL)
		s->pend->s = NULL;	/* the handler's replies are dropped */
	event_free(s->idle);
	bufferevent_free(s->bev);	/* closes the fd */
	txn_reset(s);
	free(s);
}

void
lmtp_accept(struct lmtp_server *srv, int fd, struct sockaddr *sa, socklen_t salen)
{
	struct lsess	*s;
	char		 host[INET6_ADDRSTRLEN];

	sock_accepted(fd, sa, host, sizeof(host));

	s = xcalloc(1, sizeof(*s));
	s->srv = srv;
	s->id = ++srv->next_id;
	snprintf(s->addr, sizeof(s->addr), "%s", host);
	buf_init(&s->msg);
	s->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL)
		fatal("bufferevent_socket_new");
	s->idle = evtimer_new(srv->base, idlecb, s);
	if (s->idle == NULL)
		fatal("evtimer_new");
	LIST_INSERT_HEAD(&srv->sessions, s, entry);
	srv->nsessions++;

	bufferevent_setcb(s->bev, readcb, writecb, eventcb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, LMTP_LOW_WATER, 0);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	touch(s);
	llog(s, LOG_LVL_INFO, "connected");
	reply(s, "220 %s LMTP confab ready", hostname(s));
}

struct lmtp_server *
lmtp_new(struct event_base *base, const struct lmtp_handler *h)
{
	struct lmtp_server	*srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->h = h;
	return srv;
}

void
lmtp_set_handler(struct lmtp_server *srv, const struct lmtp_handler *h)
{
	srv->h = h;
}

int
lmtp_sessions(struct lmtp_server *srv)
{
	return srv->nsessions;
}

void
lmtp_free(struct lmtp_server *srv)
{
	if (srv == NULL)
		return;
	while (!LIST_EMPTY(&srv->sessions))
		lmtp_close(LIST_FIRST(&srv->sessions), "server stopped");
	free(srv);
}
