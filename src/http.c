/* http.c: the HTTP listener on evhttp. Links in list mail end or confirm a
 * subscription (GET shows a page with a button, only POST acts: link scanners fetch
 * every URL of a mail), RFC 8058 one-click POSTs from mail clients, /healthz and
 * /metrics. What needs the store runs on a worker with a store of its own when the
 * server has a pool (PostgreSQL), and the reply goes out when it is done; with
 * SQLite it runs on the loop, as the rest of confabd's store work does. */
#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "form.h"
#include "http.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "nntp.h"
#include "token.h"
#include "work.h"

/* Requests waiting for the store at once; more get 503 at once rather than a queue
 * that grows without bound behind the workers. */
#define HTTP_MAX_PENDING	64

struct httpd {
	struct server		*srv;
	int			 pending;	/* jobs submitted, not done */
	struct evhttp		*http;
	struct evhttp_bound_socket *sock;
	char			*addr;		/* what sock listens on, as configured */
	int			 inherited;	/* sock came from systemd: kept on reload */
};

/* A request waiting for the store. */
struct httpjob {
	struct httpd		*h;
	struct evhttp_request	*req;
	void			(*run)(struct store *, struct httpjob *);
	void			(*reply)(struct httpjob *);
	int			 failed;	/* no store could be had */
	int			 rc;
	struct token		 t;
	char			 addr[256], group[256];
	long long		 outbox, mailq;
};

/* Text into HTML, element content or a quoted attribute alike. */
static void
html_esc(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			buf_addc(b, *s);
		}
}

static void
send_buf(struct evhttp_request *req, int code, const char *reason, const char *ctype,
    int nostore, const struct buf *b)
{
	struct evkeyvalq	*oh = evhttp_request_get_output_headers(req);
	struct evbuffer		*out = evbuffer_new();

	if (out == NULL)
		fatal("evbuffer_new");
	evhttp_add_header(oh, "Content-Type", ctype);
	evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
	if (nostore) {
		/* The URL carries a token: no cache keeps the page, no Referer leaks it. */
		evhttp_add_header(oh, "Cache-Control", "no-store");
		evhttp_add_header(oh, "Referrer-Policy", "no-referrer");
	}
	if (code == 503)
		evhttp_add_header(oh, "Retry-After", "30");
	evbuffer_add(out, b->data, b->len);
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

/* An HTML page: title and a paragraph of text (both escaped here), then `form`
 * (markup made here, or NULL). */
static void
page(struct evhttp_request *req, int code, const char *reason, const char *title,
    const char *text, const char *form)
{
	struct buf	b;

	buf_init(&b);
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	html_esc(&b, title);
	buf_adds(&b, "</title></head>\n<body>\n<h1>");
	html_esc(&b, title);
	buf_adds(&b, "</h1>\n<p>");
	html_esc(&b, text);
	buf_adds(&b, "</p>\n");
	if (form != NULL)
		buf_adds(&b, form);
	buf_adds(&b, "</body></html>\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Security-Policy",
	    "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
	send_buf(req, code, reason, "text/html; charset=utf-8", 1, &b);
	buf_free(&b);
}

static void
text(struct evhttp_request *req, int code, const char *reason, const char *s)
{
	struct buf	b;

	buf_init(&b);
	buf_adds(&b, s);
	send_buf(req, code, reason, "text/plain; charset=utf-8", 0, &b);
	buf_free(&b);
}

/* Jobs. */

static void
job_run(struct store *st, void *arg)
{
	struct httpjob	*j = arg;

	j->run(st, j);
}

static void
job_done(void *arg, int ok)
{
	struct httpjob	*j = arg;

	j->failed = !ok;
	j->h->pending--;
	j->reply(j);	/* evhttp frees the request once replied to, gone client or not */
	free(j);
}

/* run() on a worker with a pooled store (PostgreSQL) or here, then reply() here. */
static void
job_start(struct httpd *h, struct evhttp_request *req, struct httpjob *j,
    void (*run)(struct store *, struct httpjob *), void (*reply)(struct httpjob *))
{
	j->h = h;
	j->req = req;
	j->run = run;
	j->reply = reply;
	if (h->pending >= HTTP_MAX_PENDING) {
		j->failed = 1;	/* the reply says: try again later */
		reply(j);
		free(j);
		return;
	}
	h->pending++;
	work_store(h->srv->workers, h->srv->pool, h->srv->store, job_run, job_done, j);
}

/* Subscription links: /u/TOKEN and /c/TOKEN. */

static void
token_run(struct store *st, struct httpjob *j)
{
	j->rc = mail_token_act(st, &j->t, j->addr, sizeof(j->addr), j->group,
	    sizeof(j->group));
}

static void
token_reply(struct httpjob *j)
{
	int	unsub = j->t.kind == TOK_UNSUB;
	char	msg[700];

	if (j->failed || j->rc == -1) {
		page(j->req, 503, "Service Unavailable", "Please try again later",
		    "The subscription could not be changed just now. Nothing was changed; "
		    "please try again in a few minutes.", NULL);
		return;
	}
	if (j->rc == 1) {
		page(j->req, 200, "OK", unsub ? "Already unsubscribed" : "No such subscription",
		    unsub ? "This subscription has ended already: no more mail will be sent "
		    "to you for it." : "This subscription does not exist any more. Subscribe "
		    "again to get the list's mail.", NULL);
		return;
	}
	snprintf(msg, sizeof(msg), unsub ? "%s will get no more mail from %s." :
	    "%s will get the mail of %s from now on.", j->addr, j->group);
	page(j->req, 200, "OK", unsub ? "Unsubscribed" : "Subscribed", msg, NULL);
}

static int
token_shape(const char *s)
{
	size_t	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ234567");

	return s[n] == '\0' && n >= TOKEN_MINLEN && n <= TOKEN_MAXLEN;
}

static void
token_page(struct httpd *h, struct evhttp_request *req, enum token_kind kind,
    const char *tok)
{
	static const char *what[2][4] = {
		/* field, value, button, title */
		{ "confirm", "yes", "Confirm", "Confirm your subscription" },
		{ "List-Unsubscribe", "One-Click", "Unsubscribe", "Unsubscribe" },
	};
	const char	**w = what[kind == TOK_UNSUB];
	struct httpjob	*j;
	struct evbuffer	*in;
	struct buf	 form;
	char		 v[32];
	const char	*ctype, *body;
	int		 rc;

	j = xcalloc(1, sizeof(*j));
	rc = token_shape(tok) ? mail_token_parse(h->srv->key, tok, kind, &j->t) : -1;
	if (rc == -1) {
		page(req, 403, "Forbidden", "This link is not valid",
		    "The link is damaged or was not made by this list. Use the link of a "
		    "recent message of the list.", NULL);
		goto done;
	}
	if (rc == -2) {
		page(req, 410, "Gone", "This link has expired", kind == TOK_UNSUB ?
		    "Unsubscribe links stay valid for a year. Use the link in a recent "
		    "message of the list, or mail the list's unsubscribe address." :
		    "Confirmation links stay valid for a week. Subscribe again to get a new "
		    "one.", NULL);
		goto done;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		/* GET: only a button. Nothing changes until it is pressed. */
		buf_init(&form);
		buf_adds(&form, "<form method=\"post\" action=\"");
		html_esc(&form, tok);	/* relative: also right behind a proxy's prefix */
		buf_adds(&form, "\">\n<input type=\"hidden\" name=\"");
		html_esc(&form, w[0]);
		buf_adds(&form, "\" value=\"");
		html_esc(&form, w[1]);
		buf_adds(&form, "\">\n<button type=\"submit\" id=\"go\">");
		html_esc(&form, w[2]);
		buf_adds(&form, "</button>\n</form>\n");
		page(req, 200, "OK", w[3], kind == TOK_UNSUB ? "Press the button to stop "
		    "getting this list's mail." : "Press the button to start getting this "
		    "list's mail.", form.data);
		buf_free(&form);
		goto done;
	}
	in = evhttp_request_get_input_buffer(req);
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	if ((body = (const char *)evbuffer_pullup(in, -1)) == NULL)
		body = "";	/* empty */
	rc = form_field(ctype, body, evbuffer_get_length(in), w[0], v, sizeof(v));
	if (rc != 0 || strcmp(v, w[1]) != 0) {
		page(req, 400, "Bad Request", "Not understood", kind == TOK_UNSUB ?
		    "A one-click unsubscribe POST has the form field List-Unsubscribe=One-Click "
		    "(RFC 8058)." : "Press the button on the confirmation page.", NULL);
		goto done;
	}
	job_start(h, req, j, token_run, token_reply);
	return;
done:
	free(j);
}

/* /healthz and /metrics: both ask the store (its queue depths), off the loop. */

static void
depths_run(struct store *st, struct httpjob *j)
{
	struct store_status	ss;

	if ((j->rc = store_status(st, &ss)) == 0) {
		j->outbox = ss.outbox_pending;
		j->mailq = ss.mq_queued + ss.mq_failed + ss.mq_sending + ss.mq_digest;
	}
}

static void
health_reply(struct httpjob *j)
{
	if (j->failed || j->rc != 0)
		text(j->req, 503, "Service Unavailable", "store unavailable\n");
	else if (j->h->srv->draining)
		text(j->req, 503, "Service Unavailable", "shutting down\n");
	else
		text(j->req, 200, "OK", "ok\n");
}

static void
prom_reply(struct httpjob *j)
{
	struct buf	b;

	buf_init(&b);
	if (j->failed || j->rc != 0)
		j->outbox = j->mailq = -1;
	metrics_format(&b, j->outbox, j->mailq);
	send_buf(j->req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", 0, &b);
	buf_free(&b);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct httpd		*h = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	int			 post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;

	metrics.http_requests++;
	if (path == NULL)
		path = "";
	if (!strncmp(path, "/u/", 3) || !strncmp(path, "/c/", 3)) {
		token_page(h, req, path[1] == 'u' ? TOK_UNSUB : TOK_CONFIRM, path + 3);
		return;
	}
	if (strcmp(path, "/healthz") && strcmp(path, "/metrics")) {
		text(req, 404, "Not Found", "not found\n");
		return;
	}
	if (post) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
		text(req, 405, "Method Not Allowed", "GET only\n");
		return;
	}
	job_start(h, req, xcalloc(1, sizeof(struct httpjob)), depths_run,
	    !strcmp(path, "/healthz") ? health_reply : prom_reply);
}

/* HTTPS: each connection's bufferevent is a TLS one, with the server's context at
 * the time (a reload may have replaced it). */
static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	struct httpd	*h = arg;
	SSL		*ssl;

	if (h->srv->tls == NULL || (ssl = SSL_new(h->srv->tls)) == NULL)
		fatal("http: no TLS context");	/* conf.c insists on tls_cert */
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
}

struct httpd *
httpd_new(struct server *srv)
{
	struct httpd	*h = xcalloc(1, sizeof(*h));

	h->srv = srv;
	if ((h->http = evhttp_new(srv->base)) == NULL)
		fatal("evhttp_new");
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(h->http, request_cb, h);
	return h;
}

static void
unbind(struct httpd *h)
{
	if (h->sock != NULL) {
		log_info("no longer listening on %s (HTTP)", h->addr);
		evhttp_del_accept_socket(h->http, h->sock);
	}
	h->sock = NULL;
	free(h->addr);
	h->addr = NULL;
}

int
httpd_set_conf(struct httpd *h, const struct conf *c)
{
	struct sockaddr_storage	 ss;
	struct evconnlistener	*l;
	int			 len = sizeof(ss);

	evhttp_set_max_body_size(h->http, (ev_ssize_t)c->http_max_body);
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)c->http_max_headers);
	evhttp_set_timeout(h->http, c->http_timeout);
	evhttp_set_bevcb(h->http, c->http_tls ? tls_bev : NULL, h);
	if (h->inherited)
		return 0;
	if (h->addr != NULL && c->http_listen != NULL && !strcmp(h->addr, c->http_listen))
		return 0;
	unbind(h);
	if (c->http_listen == NULL)
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(c->http_listen, (struct sockaddr *)&ss, &len) == -1) {
		log_err("http: listen %s: bad address", c->http_listen);
		return -1;
	}
	l = evconnlistener_new_bind(h->srv->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE | (ss.ss_family == AF_INET6 ?
	    LEV_OPT_BIND_IPV6ONLY : 0), 511, (struct sockaddr *)&ss, len);
	if (l == NULL || (h->sock = evhttp_bind_listener(h->http, l)) == NULL) {
		log_err("http: listen %s: %s", c->http_listen, strerror(errno));
		if (l != NULL)
			evconnlistener_free(l);
		return -1;
	}
	h->addr = xstrdup(c->http_listen);
	log_info("listening on %s (HTTP%s)", h->addr, c->http_tls ? "S" : "");
	return 0;
}

int
httpd_inherit(struct httpd *h, int fd)
{
	if (h->sock != NULL) {
		log_warn("http: more than one socket named http; using the first");
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	if ((h->sock = evhttp_accept_socket_with_handle(h->http, fd)) == NULL) {
		log_err("http: socket activation: fd %d: %s", fd, strerror(errno));
		return -1;
	}
	h->inherited = 1;
	xasprintf(&h->addr, "fd:%d(http)", fd);
	log_info("listening on inherited %s", h->addr);
	return 0;
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h->addr);
	free(h);
}
