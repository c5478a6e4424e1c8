/* nntp.c: NNTP sessions: accepting, reading lines, writing, TLS, COMPRESS, slices.
 * Each session is a small state machine; nntp_close() is the only way one ends. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "metrics.h"
#include "nntp.h"
#include "nntp_cmd.h"
#include "sock.h"
#include "auth.h"
#include "outbox.h"

static void	readcb(struct bufferevent *, void *);
static void	writecb(struct bufferevent *, void *);
static void	eventcb(struct bufferevent *, short, void *);
static void	process(struct session *);
static void	touch(struct session *);
static void	flush_direct(struct session *);

void
slog(struct session *s, int level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vsession(level, 's', (unsigned long long)s->id, s->addr, fmt, ap);
	va_end(ap);
}

static void
idlecb(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;

	if (s->state == SS_CLOSING) {
		/* The client does not read its last response either. */
		nntp_close(s, "idle timeout while closing");
		return;
	}
	nntp_end(s, "400 idle for too long, closing", "idle timeout");
	touch(s);
	writecb(s->bev, s);
}

static void
flushcb(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;

	writecb(s->bev, s);
}

/* Output still queued anywhere in the stack (COMPRESS, TLS, socket). */
static size_t
stack_outlen(struct session *s)
{
	struct bufferevent	*b;
	size_t			 n = 0;

	for (b = s->bev; b != NULL; b = bufferevent_get_underlying(b))
		n += evbuffer_get_length(bufferevent_get_output(b));
	return n;
}

static void
touch(struct session *s)
{
	struct timeval	tv = { s->srv->conf->idle_timeout, 0 };

	evtimer_add(s->idle, &tv);
}

static struct peer **
peer_bucket(struct server *srv, const char *addr)
{
	unsigned	 h = 2166136261u;	/* FNV-1a */

	for (; *addr; addr++)
		h = (h ^ (unsigned char)*addr) * 16777619u;
	return &srv->peers[h % NNTP_PEER_BUCKETS];
}

/* The connection count of an address; created (at 0) when absent. */
static struct peer *
peer_get(struct server *srv, const char *addr)
{
	struct peer	**pp = peer_bucket(srv, addr), *p;

	for (p = *pp; p != NULL; p = p->next)
		if (!strcmp(p->addr, addr))
			return p;
	p = xcalloc(1, sizeof(*p));
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	p->next = *pp;
	*pp = p;
	return p;
}

static void
peer_put(struct server *srv, struct peer *peer)
{
	struct peer	**pp;

	if (--peer->n > 0)
		return;
	for (pp = peer_bucket(srv, peer->addr); *pp != NULL; pp = &(*pp)->next)
		if (*pp == peer) {
			*pp = peer->next;
			free(peer);
			return;
		}
}

void
nntp_accept(struct server *srv, int fd, struct sockaddr *sa, socklen_t salen, int tls)
{
	struct session	*s;
	struct peer	*peer;
	char		 host[INET6_ADDRSTRLEN];
	int		 loopback = sock_accepted(fd, sa, host, sizeof(host));

	peer = peer_get(srv, host);
	if (srv->draining || srv->nsessions >= srv->conf->max_connections ||
	    peer->n >= srv->conf->max_connections_per_ip) {
		static const char busy[] = "400 too many connections, try again later\r\n";

		log_warn("%s: connection refused: %s", host, srv->draining ?
		    "shutting down" : "too many connections");
		if (!tls && write(fd, busy, sizeof(busy) - 1) < 0)
			log_debug("%s: %s", host, strerror(errno));
		close(fd);
		metrics.nntp_refused++;
		peer->n++;
		peer_put(srv, peer);	/* frees it if it was new */
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->peer = peer;
	peer->n++;
	s->srv = srv;
	s->id = ++srv->next_id;
	snprintf(s->addr, sizeof(s->addr), "%s", host);
	s->loopback = loopback;
	buf_init(&s->post);
	if (tls) {
		SSL	*ssl;

		if (srv->tls == NULL || (ssl = SSL_new(srv->tls)) == NULL) {
			close(fd);
			peer_put(srv, peer);
			free(s);
			return;
		}
		s->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		s->tls = 1;
	} else
		s->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL)
		fatal("bufferevent_socket_new");
	s->idle = evtimer_new(srv->base, idlecb, s);
	s->flush = evtimer_new(srv->base, flushcb, s);
	LIST_INSERT_HEAD(&srv->sessions, s, entry);
	srv->nsessions++;
	metrics.nntp_accepted++;
	metrics.nntp_open++;

	bufferevent_setcb(s->bev, readcb, writecb, eventcb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, NNTP_LOW_WATER, 0);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	touch(s);
	slog(s, LOG_LVL_INFO, "connected%s", tls ? " (TLS)" : "");
	nntp_greet(s);
	flush_direct(s);
}

void
nntp_close(struct session *s, const char *why)
{
	struct server	*srv = s->srv;

	slog(s, LOG_LVL_INFO, "closed: %s", why ? why : s->close_reason ? s->close_reason :
	    "done");
	LIST_REMOVE(s, entry);
	srv->nsessions--;
	metrics.nntp_open--;
	peer_put(srv, s->peer);
	event_free(s->idle);
	event_free(s->flush);
	if (s->bev != NULL)
		bufferevent_free(s->bev);	/* frees the stack and closes the fd */
	if (s->compress) {
		inflateEnd(&s->zin);
		deflateEnd(&s->zout);
	}
	free(s->stream.arg);
	free(s->stream.arg2);
	free(s->user);
	free(s->group);
	if (s->wait != NULL)
		outbox_cancel(s->wait);
	free(s->posted);
	if (s->authwp != NULL)
		auth_wp_cancel(s->authwp);
	if (s->authjob != NULL)
		s->authjob->s = NULL;	/* the worker's result is dropped */
	if (s->storejob != NULL)
		s->storejob->s = NULL;
	if (s->wp_pass != NULL)
		explicit_bzero(s->wp_pass, strlen(s->wp_pass));
	free(s->wp_pass);
	free(s->wp_source);
	free(s->pending_user);
	buf_free(&s->post);
	free(s);
	if (srv->draining && srv->nsessions == 0 && srv->on_empty)
		srv->on_empty(srv);
}

/* Output queued at the top of the stack. */
static size_t
nntp_outlen(struct session *s)
{
	return evbuffer_get_length(bufferevent_get_output(s->bev));
}

/* Output is about to be queued: the write event must be on to carry it. */
static void
want_write(struct session *s)
{
	if (s->wr_off) {
		s->wr_off = 0;
		bufferevent_enable(s->bev, EV_WRITE);
	}
}

/* A plain TCP session writes what its commands produced at once, from the read
 * callback: a reply the socket takes whole needs no write event armed and disarmed
 * (two epoll_ctl calls and a loop iteration fewer per request; with the changelist
 * they cancel out). Whatever the socket does not take is left to the bufferevent. */
static void
flush_direct(struct session *s)
{
	struct evbuffer	*out;
	int		 rc;

	if (s->tls || s->compress)
		return;
	out = bufferevent_get_output(s->bev);
	if (evbuffer_get_length(out) == 0)
		return;
	/* The bufferevent keeps its output's start frozen but for its own writes. */
	evbuffer_unfreeze(out, 1);
	rc = evbuffer_write(out, bufferevent_getfd(s->bev));
	evbuffer_freeze(out, 1);
	if (rc < 0 || evbuffer_get_length(out) > 0)
		return;
	bufferevent_disable(s->bev, EV_WRITE);
	s->wr_off = 1;
	writecb(s->bev, s);	/* what the bufferevent does once the output drained */
}

void
nntp_write(struct session *s, const void *p, size_t n)
{
	want_write(s);
	bufferevent_write(s->bev, p, n);
}

void
nntp_reply(struct session *s, const char *fmt, ...)
{
	char	line[NNTP_MAX_LINE * 2];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	slog(s, LOG_LVL_DEBUG, "> %s", line);
	metrics_reply(line);
	line[n++] = '\r';
	line[n++] = '\n';
	nntp_write(s, line, (size_t)n);
}

void
nntp_end(struct session *s, const char *reply, const char *reason)
{
	if (reply != NULL)
		nntp_reply(s, "%s", reply);
	s->state = SS_CLOSING;
	s->close_reason = reason;
	bufferevent_disable(s->bev, EV_READ);
	/* The write callback closes the session once the reply has gone (a layer such
	 * as COMPRESS may not call it by itself; bufferevent_free drops the call). */
	bufferevent_trigger(s->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
	    BEV_TRIG_DEFER_CALLBACKS);
}

void
nntp_write_stuffed(struct session *s, const char *p, size_t n)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	const char	*end = p + n, *lf;

	want_write(s);
	/* Every line starting with "." gets one more; the text is CRLF already. The runs
	 * of lines between such lines go out whole. */
	while (p < end) {
		if (*p == '.')
			evbuffer_add(out, ".", 1);
		lf = memmem(p, (size_t)(end - p), "\n.", 2);
		lf = lf ? lf + 1 : end;
		evbuffer_add(out, p, (size_t)(lf - p));
		p = lf;
	}
}

void
nntp_stream_start(struct session *s)
{
	/* The slices are made from the write callback, never from inside a handler:
	 * the session may end there. */
	s->streaming = 1;
	bufferevent_trigger(s->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
	    BEV_TRIG_DEFER_CALLBACKS);
}

void
nntp_stream_stop(struct session *s)
{
	s->streaming = 0;
	free(s->stream.arg);
	free(s->stream.arg2);
	memset(&s->stream, 0, sizeof(s->stream));
}

/* Run the complete command lines in the input, as far as the state allows. */
static void
process_lines(struct session *s)
{
	struct evbuffer	*in;
	char		*line;
	size_t		 n;

	while (s->bev != NULL && !s->streaming && s->state != SS_CLOSING &&
	    s->state != SS_WAIT) {
		if (nntp_outlen(s) > NNTP_HIGH_WATER) {
			/* Client is not reading: stop reading commands until it does. */
			bufferevent_disable(s->bev, EV_READ);
			return;
		}
		in = bufferevent_get_input(s->bev);
		if (s->skip_line) {
			/* The rest of an over-long command line, already answered. */
			struct evbuffer_ptr p = evbuffer_search(in, "\n", 1, NULL);

			if (p.pos < 0) {
				evbuffer_drain(in, evbuffer_get_length(in));
				return;
			}
			evbuffer_drain(in, (size_t)p.pos + 1);
			s->skip_line = 0;
			continue;
		}
		line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			size_t	pending = evbuffer_get_length(in);

			if (s->state == SS_CMD && pending > NNTP_MAX_LINE) {
				/* An over-long command line without its end yet: answer
				 * now, discard the rest when it comes. */
				evbuffer_drain(in, pending);
				s->skip_line = 1;
				goto toolong;
			}
			if (s->state == SS_POST && pending > s->srv->conf->max_article_size +
			    NNTP_MAX_LINE) {
				/* A single huge line in an article: keep swallowing. */
				evbuffer_drain(in, pending);
				s->post_too_big = 1;
			}
			return;
		}
		if (s->state == SS_POST) {
			if (n == 1 && line[0] == '.') {
				s->state = SS_CMD;
				nntp_post_done(s, s->post.data ? s->post.data : "", s->post.len,
				    s->post_too_big);
				buf_reset(&s->post);
				s->post_too_big = 0;
			} else if (!s->post_too_big) {
				const char *l = line[0] == '.' ? line + 1 : line;	/* unstuff */
				size_t	    ln = line[0] == '.' ? n - 1 : n;

				if (s->post.len + ln + 2 > s->srv->conf->max_article_size)
					s->post_too_big = 1;
				else {
					buf_add(&s->post, l, ln);
					buf_add(&s->post, "\r\n", 2);
				}
			}
			free(line);
			continue;
		}
		if (n + 2 > NNTP_MAX_LINE || memchr(line, '\0', n) != NULL) {
			free(line);
toolong:
			nntp_reply(s, "501 command line too long or malformed");
			if (++s->bad_lines >= NNTP_MAX_BAD_LINES) {
				nntp_end(s, "400 too many bad commands, closing",
				    "too many bad commands");
			}
			continue;
		}
		slog(s, LOG_LVL_DEBUG, "< %s", !strncasecmp(line, "AUTHINFO ", 9) &&
		    strncasecmp(line + 9, "USER", 4) ? "AUTHINFO ********" : line);
		nntp_dispatch(s, line);
		free(line);
	}
}

static void
process(struct session *s)
{
	struct store	*st = s->srv->store;

	process_lines(s);	/* may end the session */
	store_read_release(st);	/* the snapshot pipelined readers shared */
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;

	touch(s);
	process(s);
	flush_direct(s);	/* may end the session */
}

static void
writecb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	int		 rc;

	/* Produce slices while the output is below the low-water mark. A compression
	 * filter may call back from inside a slice's write: not a second producer. */
	if (s->producing)
		return;
	s->producing = 1;
	while (s->streaming && s->storejob == NULL && nntp_outlen(s) <= NNTP_LOW_WATER) {
		if ((rc = s->stream.next(s)) <= 0) {
			nntp_stream_stop(s);
			if (rc < 0) {
				nntp_close(s, "error while streaming");
				return;
			}
		}
	}
	s->producing = 0;
	if (s->streaming)
		return;
	if (s->srv->draining && s->state == SS_CMD && nntp_outlen(s) == 0)
		nntp_end(s, "400 server shutting down", "server shutting down");
	if (s->state == SS_CLOSING) {
		struct timeval	tv = { 0, 20000 };

		if (stack_outlen(s) == 0)
			nntp_close(s, NULL);
		else if (nntp_outlen(s) == 0)
			evtimer_add(s->flush, &tv);	/* a layer below still has some */
		return;
	}
	if (nntp_outlen(s) <= NNTP_LOW_WATER) {
		bufferevent_enable(s->bev, EV_READ);
		/* Commands pipelined behind a long response wait in the input buffer. */
		if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
			process(s);
	}
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;
	unsigned long	 e;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF)
		nntp_close(s, "client closed the connection");
	else if (what & BEV_EVENT_ERROR) {
		char	msg[256] = "";

		if ((e = bufferevent_get_openssl_error(bev)) != 0)
			ERR_error_string_n(e, msg, sizeof(msg));
		else
			snprintf(msg, sizeof(msg), "%s", strerror(EVUTIL_SOCKET_ERROR()));
		nntp_close(s, msg);
	} else
		nntp_close(s, "connection event");
}

int
nntp_starttls(struct session *s)
{
	struct bufferevent	*tls;
	SSL			*ssl;

	if (s->srv->tls == NULL || (ssl = SSL_new(s->srv->tls)) == NULL)
		return -1;
	/* RFC 4642: anything the client pipelined after STARTTLS is discarded. */
	evbuffer_drain(bufferevent_get_input(s->bev),
	    evbuffer_get_length(bufferevent_get_input(s->bev)));
	/* The 382 already queued leaves in clear text, ahead of the handshake. */
	tls = bufferevent_openssl_filter_new(s->srv->base, s->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		return -1;
	}
	/* Hold the backlog at the top, where the high-water mark sees it. */
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, NNTP_UNDER_HIGH);
	s->bev = tls;
	s->tls = 1;
	bufferevent_setcb(s->bev, readcb, writecb, eventcb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, NNTP_LOW_WATER, 0);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	return 0;
}

/* COMPRESS DEFLATE (RFC 8054): raw deflate both ways, flushed after each write. */
static enum bufferevent_filter_result
zin_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct session		*s = arg;
	struct evbuffer_iovec	 v;
	unsigned char		 out[16384];
	size_t			 n;
	int			 rc;

	while ((n = evbuffer_get_length(src)) > 0) {
		if (evbuffer_peek(src, -1, NULL, &v, 1) < 1)
			break;
		s->zin.next_in = v.iov_base;
		s->zin.avail_in = (uInt)v.iov_len;
		do {
			s->zin.next_out = out;
			s->zin.avail_out = sizeof(out);
			rc = inflate(&s->zin, Z_SYNC_FLUSH);
			if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END)
				return BEV_ERROR;
			evbuffer_add(dst, out, sizeof(out) - s->zin.avail_out);
		} while (s->zin.avail_out == 0);
		evbuffer_drain(src, v.iov_len - s->zin.avail_in);
		if (s->zin.avail_in > 0)
			break;
	}
	return BEV_OK;
}

static enum bufferevent_filter_result
zout_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct session	*s = arg;
	unsigned char	 out[16384];
	size_t		 n;
	unsigned char	*p;

	while ((n = evbuffer_get_length(src)) > 0) {
		if (n > 65536)
			n = 65536;
		p = evbuffer_pullup(src, (ev_ssize_t)n);
		s->zout.next_in = p;
		s->zout.avail_in = (uInt)n;
		do {
			s->zout.next_out = out;
			s->zout.avail_out = sizeof(out);
			if (deflate(&s->zout, Z_SYNC_FLUSH) == Z_STREAM_ERROR)
				return BEV_ERROR;
			evbuffer_add(dst, out, sizeof(out) - s->zout.avail_out);
		} while (s->zout.avail_out == 0);
		evbuffer_drain(src, n);
	}
	return BEV_OK;
}

int
nntp_compress(struct session *s)
{
	struct bufferevent	*z;

	memset(&s->zin, 0, sizeof(s->zin));
	memset(&s->zout, 0, sizeof(s->zout));
	if (inflateInit2(&s->zin, -15) != Z_OK)
		return -1;
	if (deflateInit2(&s->zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&s->zin);
		return -1;
	}
	/* The 206 leaves uncompressed: push it down before stacking the filter. */
	bufferevent_flush(s->bev, EV_WRITE, BEV_FLUSH);
	z = bufferevent_filter_new(s->bev, zin_filter, zout_filter, BEV_OPT_CLOSE_ON_FREE,
	    NULL, s);
	if (z == NULL) {
		inflateEnd(&s->zin);
		deflateEnd(&s->zout);
		return -1;
	}
	s->compress = 1;
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, NNTP_UNDER_HIGH);
	s->bev = z;
	bufferevent_setcb(s->bev, readcb, writecb, eventcb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, NNTP_LOW_WATER, 0);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	return 0;
}

void
nntp_resume(struct session *s)
{
	s->state = SS_CMD;
	bufferevent_enable(s->bev, EV_READ);
	process(s);
}

void
nntp_post_begin(struct session *s)
{
	s->state = SS_POST;
	buf_reset(&s->post);
	s->post_too_big = 0;
}

void
nntp_drain(struct server *srv)
{
	struct session	*s;

	srv->draining = 1;
	LIST_FOREACH(s, &srv->sessions, entry) {	/* none is closed here */
		if (!s->streaming && s->state != SS_POST && s->state != SS_WAIT &&
		    nntp_outlen(s) == 0)
			nntp_end(s, "400 server shutting down", "server shutting down");
	}
	if (srv->nsessions == 0 && srv->on_empty)
		srv->on_empty(srv);
}

void
nntp_close_all(struct server *srv)
{
	srv->on_empty = NULL;
	while (!LIST_EMPTY(&srv->sessions))
		nntp_close(LIST_FIRST(&srv->sessions), "server stopped");
}
