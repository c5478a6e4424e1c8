/* fetch.c: HTTP(S) client on the event loop. libcurl's multi interface is driven by
 * libevent through CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION and curl_multi_socket_action
 * (the curl "multi-event"/"hiperfifo" pattern), so nothing blocks the loop: name
 * resolution runs in curl's resolver threads, connects and TLS are non-blocking.
 *
 * A request goes through three lists: queued on its host (when per_host transfers
 * to that host:port are already running), running (added to the multi handle), and
 * done (finished, its callback not yet called). Callbacks are called only from
 * fetch_process(), after curl has returned, so a callback may call fetch_start() and
 * even fetcher_free() (the free is then deferred until the callback returns, and no
 * further callbacks are called).
 *
 * curl_global_init() is called once, by the first fetcher_new(); like libcurl's own
 * rule, the first fetcher_new() must happen before other threads that use libcurl are
 * started. fetch_global_cleanup() undoes it (for tests and leak checkers).
 */
#include <sys/queue.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fetch.h"
#include "log.h"
#include "msg.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define FETCH_TIMEOUT		30
#define FETCH_CONNECT_TIMEOUT	10
#define FETCH_PER_HOST		2
#define FETCH_MAX_BODY		((size_t)64 << 20)
#define FETCH_MAX_REDIRS	5L
#define FETCH_TOO_LARGE		"response too large"

struct host;

struct transfer {
	TAILQ_ENTRY(transfer)	 entry;		/* host queue, running or done */
	struct fetcher		*f;
	struct host		*host;		/* NULL once no longer queued or running */
	CURL			*easy;
	struct curl_slist	*headers;
	char			*url;
	char			*user;
	char			*password;
	char			*body;
	size_t			 body_len;
	fetch_cb		 cb;
	void			*arg;

	CURLcode		 result;
	const char		*start_error;	/* could not be added to the multi handle */
	int			 too_large;
	struct buf		 resp;
	char			*etag;
	time_t			 last_modified;
	int			 retry_after;
	long			 total_pages;
	char			 errbuf[CURL_ERROR_SIZE];
};
TAILQ_HEAD(transfers, transfer);

struct host {
	TAILQ_ENTRY(host)	 entry;
	char			*key;		/* "host:port", lower case */
	int			 running;
	struct transfers	 queue;
};

struct sockctx {
	LIST_ENTRY(sockctx)	 entry;
	curl_socket_t		 fd;
	struct event		*ev;
};

struct fetcher {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	char			*ca_file;
	char			*user_agent;
	long			 timeout;
	long			 connect_timeout;
	int			 per_host;
	size_t			 max_body;

	TAILQ_HEAD(, host)	 hosts;
	struct transfers	 running;
	struct transfers	 done;
	LIST_HEAD(, sockctx)	 socks;
	int			 pending;	/* queued + running + done */
	int			 busy;		/* inside fetch_process() */
	int			 dying;		/* fetcher_free() called from a callback */
};

static int	curl_initialized;

static void	fetch_process(struct fetcher *);
static void	fetcher_destroy(struct fetcher *);

void
fetch_global_cleanup(void)
{
	if (curl_initialized) {
		curl_global_cleanup();
		curl_initialized = 0;
	}
}

/* libevent: a socket curl watches is ready. */
static void
sock_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher	*f = arg;
	int		 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(f->multi, fd, action, &running);
	fetch_process(f);
}

/* libevent: curl's timeout expired. */
static void
timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher	*f = arg;
	int		 running;

	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_process(f);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what, or stop watching it. */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct fetcher	*f = userp;
	struct sockctx	*sc = socketp;
	short		 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (sc != NULL) {
			event_free(sc->ev);
			LIST_REMOVE(sc, entry);
			free(sc);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (sc == NULL) {
		sc = xcalloc(1, sizeof(*sc));
		sc->fd = s;
		LIST_INSERT_HEAD(&f->socks, sc, entry);
		curl_multi_assign(f->multi, s, sc);
	} else
		event_free(sc->ev);
	if ((sc->ev = event_new(f->base, s, kind, sock_event_cb, f)) == NULL)
		fatal("fetch: event_new failed");
	if (event_add(sc->ev, NULL) == -1)
		fatal("fetch: event_add failed");
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: (re)arm or stop the single timer. curl must not be called
 * from here; a 0 ms timeout fires on the loop's next iteration. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetcher	*f = userp;
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(f->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (evtimer_add(f->timer, &tv) == -1)
		return -1;
	return 0;
}

long
fetcher_timeout(const struct fetcher *f)
{
	return f->timeout;
}

struct fetcher *
fetcher_new(struct event_base *base, const struct fetch_opts *opts)
{
	struct fetcher	*f;

	if (!curl_initialized) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("fetch: curl_global_init failed");
		/* Names are resolved off the loop only by an asynchronous resolver. */
		if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ASYNCHDNS))
			log_warn("fetch: this libcurl resolves host names synchronously: a slow"
			    " DNS server stalls every connection while a blog is looked up");
		curl_initialized = 1;
	}
	f = xcalloc(1, sizeof(*f));
	f->base = base;
	f->timeout = FETCH_TIMEOUT;
	f->connect_timeout = FETCH_CONNECT_TIMEOUT;
	f->per_host = FETCH_PER_HOST;
	f->max_body = FETCH_MAX_BODY;
	if (opts != NULL) {
		if (opts->ca_file != NULL)
			f->ca_file = xstrdup(opts->ca_file);
		if (opts->user_agent != NULL)
			f->user_agent = xstrdup(opts->user_agent);
		if (opts->timeout > 0)
			f->timeout = opts->timeout;
		if (opts->connect_timeout > 0)
			f->connect_timeout = opts->connect_timeout;
		if (opts->per_host > 0)
			f->per_host = opts->per_host;
		if (opts->max_body > 0)
			f->max_body = opts->max_body;
	}
	if (f->user_agent == NULL)
		f->user_agent = xstrdup("confab/" PACKAGE_VERSION);
	TAILQ_INIT(&f->hosts);
	TAILQ_INIT(&f->running);
	TAILQ_INIT(&f->done);
	LIST_INIT(&f->socks);

	if ((f->timer = evtimer_new(base, timer_event_cb, f)) == NULL)
		fatal("fetch: evtimer_new failed");
	if ((f->multi = curl_multi_init()) == NULL)
		fatal("fetch: curl_multi_init failed");
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
}

static void
transfer_free(struct transfer *t)
{
	if (t == NULL)
		return;
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	free(t->url);
	free(t->user);
	free(t->password);
	free(t->body);
	free(t->etag);
	buf_free(&t->resp);
	free(t);
}

static void
host_maybe_free(struct fetcher *f, struct host *h)
{
	if (h->running > 0 || !TAILQ_EMPTY(&h->queue))
		return;
	TAILQ_REMOVE(&f->hosts, h, entry);
	free(h->key);
	free(h);
}

static void
fetcher_destroy(struct fetcher *f)
{
	struct transfer	*t;
	struct host	*h;
	struct sockctx	*sc;

	while ((t = TAILQ_FIRST(&f->running)) != NULL) {
		TAILQ_REMOVE(&f->running, t, entry);
		curl_multi_remove_handle(f->multi, t->easy);
		transfer_free(t);
	}
	while ((t = TAILQ_FIRST(&f->done)) != NULL) {
		TAILQ_REMOVE(&f->done, t, entry);
		transfer_free(t);
	}
	while ((h = TAILQ_FIRST(&f->hosts)) != NULL) {
		while ((t = TAILQ_FIRST(&h->queue)) != NULL) {
			TAILQ_REMOVE(&h->queue, t, entry);
			transfer_free(t);
		}
		TAILQ_REMOVE(&f->hosts, h, entry);
		free(h->key);
		free(h);
	}
	/* No callbacks into a half-freed fetcher while curl closes cached connections. */
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, NULL);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, NULL);
	curl_multi_cleanup(f->multi);
	while ((sc = LIST_FIRST(&f->socks)) != NULL) {
		LIST_REMOVE(sc, entry);
		event_free(sc->ev);
		free(sc);
	}
	event_free(f->timer);
	free(f->ca_file);
	free(f->user_agent);
	free(f);
}

void
fetcher_free(struct fetcher *f)
{
	if (f == NULL)
		return;
	if (f->busy > 0) {
		f->dying = 1;	/* called from a callback: fetch_process() frees it */
		return;
	}
	fetcher_destroy(f);
}

int
fetch_pending(struct fetcher *f)
{
	return f->pending;
}

/* Add t to the multi handle; on failure it goes to the done list with an error. */
static void
transfer_run(struct fetcher *f, struct transfer *t)
{
	CURLMcode	mc;

	if ((mc = curl_multi_add_handle(f->multi, t->easy)) != CURLM_OK) {
		t->start_error = curl_multi_strerror(mc);
		t->host = NULL;
		TAILQ_INSERT_TAIL(&f->done, t, entry);
		return;
	}
	t->host->running++;
	TAILQ_INSERT_TAIL(&f->running, t, entry);
}

/* Start queued transfers to h while it has room. */
static void
host_pump(struct fetcher *f, struct host *h)
{
	struct transfer	*t;

	while (h->running < f->per_host && (t = TAILQ_FIRST(&h->queue)) != NULL) {
		TAILQ_REMOVE(&h->queue, t, entry);
		transfer_run(f, t);
	}
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Retry-After: delay-seconds or an HTTP-date; -1 if neither. */
static int
parse_retry_after(const char *v)
{
	char		*end;
	long		 n;
	time_t		 when, now;

	if (isdigit((unsigned char)*v)) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (*end != '\0')
			return -1;
		if (errno == ERANGE || n > INT_MAX)
			return INT_MAX;
		return (int)n;
	}
	if ((when = curl_getdate(v, NULL)) == -1)
		return -1;
	now = time(NULL);
	if (when <= now)
		return 0;
	if (when - now > INT_MAX)
		return INT_MAX;
	return (int)(when - now);
}

/* CURLOPT_HEADERFUNCTION: one header line of any response, redirects included;
 * a status line starts a new response, so only the final one's headers are kept. */
static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct transfer	*t = arg;
	size_t		 len = size * n, nlen;
	const char	*end = p + len, *colon, *v;
	char		*val, *e;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(t->etag);
		t->etag = NULL;
		t->last_modified = 0;
		t->retry_after = -1;
		t->total_pages = -1;
		return len;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return len;
	nlen = (size_t)(colon - p);
	v = skip_ws(colon + 1, end);
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
	    end[-1] == '\t'))
		end--;
	val = xstrndup(v, (size_t)(end - v));
	if (nlen == 4 && strncasecmp(p, "ETag", 4) == 0) {
		free(t->etag);
		t->etag = val;
		return len;
	}
	if (nlen == 13 && strncasecmp(p, "Last-Modified", 13) == 0) {
		if ((t->last_modified = curl_getdate(val, NULL)) == -1)
			t->last_modified = 0;
	} else if (nlen == 11 && strncasecmp(p, "Retry-After", 11) == 0)
		t->retry_after = parse_retry_after(val);
	else if (nlen == 15 && strncasecmp(p, "X-WP-TotalPages", 15) == 0) {
		errno = 0;
		t->total_pages = strtol(val, &e, 10);
		if (e == val || *e != '\0' || errno == ERANGE || t->total_pages < 0)
			t->total_pages = -1;
	}
	free(val);
	return len;
}

/* CURLOPT_WRITEFUNCTION: the (decoded) body, bounded by max_body. */
static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct transfer	*t = arg;
	size_t		 len = size * n;

	if (len > t->f->max_body - t->resp.len) {
		t->too_large = 1;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	buf_add(&t->resp, p, len);
	return len;
}

/* "host:port" (lower case) of an http or https URL; caller owns; NULL otherwise. */
static char *
host_key(const char *url)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL, *port = NULL, *key = NULL, *c;

	if ((u = curl_url()) == NULL)
		fatal("fetch: curl_url failed");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
		goto done;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto done;
	xasprintf(&key, "%s:%s", host, port);
	for (c = key; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return key;
}

static struct host *
host_get(struct fetcher *f, char *key)
{
	struct host	*h;

	TAILQ_FOREACH(h, &f->hosts, entry) {
		if (strcmp(h->key, key) == 0) {
			free(key);
			return h;
		}
	}
	h = xcalloc(1, sizeof(*h));
	h->key = key;
	TAILQ_INIT(&h->queue);
	TAILQ_INSERT_TAIL(&f->hosts, h, entry);
	return h;
}

static struct curl_slist *
add_header(struct curl_slist *l, const char *name, const char *value)
{
	struct curl_slist	*n;
	char			*s;

	xasprintf(&s, "%s: %s", name, value);
	if ((n = curl_slist_append(l, s)) == NULL)
		fatal("fetch: curl_slist_append failed");
	free(s);
	return n;
}

#define SETOPT(opt, val) do {						\
	if (curl_easy_setopt(e, opt, val) != CURLE_OK) {		\
		log_warn("fetch: %s: cannot set " #opt, t->url);	\
		return -1;						\
	}								\
} while (0)

/* Configure t->easy for the request; -1 if libcurl refuses an option. */
static int
transfer_setup(struct fetcher *f, struct transfer *t, const struct fetch_req *req, int post)
{
	CURL	*e = t->easy;
	char	 date[64];

	SETOPT(CURLOPT_URL, t->url);
	SETOPT(CURLOPT_PRIVATE, t);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, t->errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, t);
	SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(CURLOPT_HEADERDATA, t);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(CURLOPT_MAXREDIRS, FETCH_MAX_REDIRS);
	/* Only where the URL says: no proxy from http_proxy/https_proxy/all_proxy. */
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, f->ca_file);
	SETOPT(CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(CURLOPT_TIMEOUT, f->timeout);
	SETOPT(CURLOPT_CONNECTTIMEOUT, f->connect_timeout);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(f->max_body > INT64_MAX ? INT64_MAX :
	    (int64_t)f->max_body));
	SETOPT(CURLOPT_USERAGENT, f->user_agent);
	if (t->user != NULL) {
		SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(CURLOPT_USERNAME, t->user);
		SETOPT(CURLOPT_PASSWORD, t->password != NULL ? t->password : "");
	}
	if (post) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_len);
		SETOPT(CURLOPT_POSTFIELDS, t->body);
		if (req->content_type != NULL)
			t->headers = add_header(t->headers, "Content-Type", req->content_type);
		t->headers = add_header(t->headers, "Expect", "");
	}
	if (req->etag != NULL)
		t->headers = add_header(t->headers, "If-None-Match", req->etag);
	/* Not CURLOPT_TIMECONDITION: with it, curl turns a 200 whose Last-Modified is not
	 * newer into an empty 200 body. The server decides; a 304 is reported as 304. */
	if (req->last_modified > 0) {
		msg_date(req->last_modified, "GMT", date, sizeof(date));
		t->headers = add_header(t->headers, "If-Modified-Since", date);
	}
	if (t->headers != NULL)
		SETOPT(CURLOPT_HTTPHEADER, t->headers);
	return 0;
}

int
fetch_start(struct fetcher *f, const struct fetch_req *req, fetch_cb cb, void *arg)
{
	struct transfer	*t = NULL;
	char		*key;
	int		 post = 0;

	if (f->dying || req == NULL || req->url == NULL || cb == NULL)
		return -1;
	if (req->method != NULL && strcmp(req->method, "GET") != 0) {
		if (strcmp(req->method, "POST") != 0) {
			log_warn("fetch: %s: method %s not supported", req->url, req->method);
			return -1;
		}
		post = 1;
	}
	if ((key = host_key(req->url)) == NULL) {
		log_warn("fetch: %s: not an http or https URL", req->url);
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->f = f;
	t->url = xstrdup(req->url);
	t->cb = cb;
	t->arg = arg;
	t->retry_after = -1;
	t->total_pages = -1;
	buf_init(&t->resp);
	if (req->user != NULL) {
		t->user = xstrdup(req->user);
		if (req->password != NULL)
			t->password = xstrdup(req->password);
	}
	if (post) {
		t->body_len = req->body != NULL ? req->body_len : 0;
		t->body = xmalloc(t->body_len + 1);
		if (t->body_len > 0)
			memcpy(t->body, req->body, t->body_len);
		t->body[t->body_len] = '\0';
	}
	if ((t->easy = curl_easy_init()) == NULL)
		fatal("fetch: curl_easy_init failed");
	if (transfer_setup(f, t, req, post) == -1)
		goto fail;

	t->host = host_get(f, key);
	key = NULL;
	if (t->host->running < f->per_host) {
		if (curl_multi_add_handle(f->multi, t->easy) != CURLM_OK) {
			log_warn("fetch: %s: cannot start", t->url);
			host_maybe_free(f, t->host);
			goto fail;
		}
		t->host->running++;
		TAILQ_INSERT_TAIL(&f->running, t, entry);
	} else {
		log_debug("fetch: %s: queued (%s busy)", t->url, t->host->key);
		TAILQ_INSERT_TAIL(&t->host->queue, t, entry);
	}
	f->pending++;
	return 0;
fail:
	free(key);
	transfer_free(t);
	return -1;
}

/* A running transfer finished: off the multi handle, free its host slot. */
static void
transfer_finish(struct fetcher *f, struct transfer *t, CURLcode result)
{
	struct host	*h = t->host;

	t->result = result;
	curl_multi_remove_handle(f->multi, t->easy);
	TAILQ_REMOVE(&f->running, t, entry);
	TAILQ_INSERT_TAIL(&f->done, t, entry);
	t->host = NULL;
	h->running--;
	host_pump(f, h);
	host_maybe_free(f, h);
}

static void
transfer_deliver(struct fetcher *f, struct transfer *t)
{
	struct fetch_res	 res;
	long			 code = 0;
	char			*eff = NULL;
	curl_off_t		 us = 0;

	memset(&res, 0, sizeof(res));
	res.retry_after = -1;
	res.total_pages = -1;
	res.body = "";
	if (t->start_error != NULL)
		res.error = t->start_error;
	else if (t->too_large || t->result == CURLE_FILESIZE_EXCEEDED)
		res.error = FETCH_TOO_LARGE;
	else if (t->result != CURLE_OK)
		res.error = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(t->result);
	else if (curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK ||
	    code <= 0)
		res.error = "no HTTP response";
	if (t->start_error == NULL) {
		curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &eff);
		if (curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK)
			res.seconds = (double)us / 1e6;
	}
	res.effective_url = eff != NULL ? eff : t->url;
	if (res.error == NULL) {
		res.status = (int)code;
		if (t->resp.data != NULL) {
			res.body = t->resp.data;
			res.body_len = t->resp.len;
		}
		res.etag = t->etag;
		res.last_modified = t->last_modified;
		res.retry_after = t->retry_after;
		res.total_pages = t->total_pages;
		log_debug("fetch: %s: %d, %zu bytes, %.3fs", t->url, res.status, res.body_len,
		    res.seconds);
	} else
		log_debug("fetch: %s: %s", t->url, res.error);
	f->pending--;
	t->cb(&res, t->arg);
}

/* After curl ran: collect finished transfers, then call their callbacks. */
static void
fetch_process(struct fetcher *f)
{
	CURLMsg		*m;
	struct transfer	*t;
	CURL		*easy;
	CURLcode	 result;
	char		*priv;
	int		 left;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		easy = m->easy_handle;
		result = m->data.result;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
		    priv == NULL)
			continue;
		transfer_finish(f, (struct transfer *)(void *)priv, result);
	}
	f->busy++;
	while (!f->dying && (t = TAILQ_FIRST(&f->done)) != NULL) {
		TAILQ_REMOVE(&f->done, t, entry);
		transfer_deliver(f, t);
		transfer_free(t);
	}
	f->busy--;
	if (f->dying && f->busy == 0)
		fetcher_destroy(f);
}
