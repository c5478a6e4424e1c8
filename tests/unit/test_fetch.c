/* test_fetch.c: the HTTP(S) client against canned servers on 127.0.0.1 forked from
 * the test (plain HTTP and OpenSSL TLS, one process per connection). */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <zlib.h>

#include "fetch.h"
#include "log.h"
#include "tap.h"

#define LM_TIME		1700000000
#define LM_TEXT		"Tue, 14 Nov 2023 22:13:20 GMT"
#define GZ_TEXT		"compressed hello, compressed hello, compressed hello\n"

/* Server side, shared between the server's processes. */
struct shared {
	atomic_int	cur;		/* /conc requests in progress */
	atomic_int	max;		/* the most at once */
	atomic_int	hits;		/* /conc requests served */
};
static struct shared	*sh;

struct conn {
	int	 fd;
	SSL	*ssl;
};

static ssize_t
conn_read(struct conn *c, char *p, size_t n)
{
	if (c->ssl != NULL)
		return SSL_read(c->ssl, p, (int)n);
	return read(c->fd, p, n);
}

static void
conn_write(struct conn *c, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = c->ssl != NULL ? SSL_write(c->ssl, s, (int)n) : write(c->fd, s, n);
		if (w <= 0)
			_exit(0);
		s += w;
		n -= (size_t)w;
	}
}

/* Header value from a request head (name without colon); static buffer; "" if none. */
static const char *
req_hdr(const char *head, const char *name)
{
	static char	 v[1024];
	size_t		 nl = strlen(name), i;
	const char	*p = head;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			for (i = 0; p[i] != '\r' && p[i] != '\0' && i < sizeof(v) - 1; i++)
				v[i] = p[i];
			v[i] = '\0';
			return v;
		}
	}
	return "";
}

static size_t
gzip_buf(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
	z_stream	z;
	size_t		n;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		_exit(1);
	z.next_in = (Bytef *)(void *)in;
	z.avail_in = (uInt)inlen;
	z.next_out = out;
	z.avail_out = (uInt)outcap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		_exit(1);
	n = z.total_out;
	deflateEnd(&z);
	return n;
}

static void
respond(struct conn *c, const char *status, const char *extra, const void *body, size_t len)
{
	char	head[2048];
	int	n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, extra, len);
	conn_write(c, head, (size_t)n);
	if (len > 0)
		conn_write(c, body, len);
}

static void
serve(struct conn *c)
{
	static char	 req[65536], out[65536], big[100000];
	static unsigned char gz[65536];
	char		 method[16], path[256], extra[512], *hend, *body;
	size_t		 len = 0, blen, n;
	ssize_t		 r;
	long		 clen;
	int		 cur, m;
	time_t		 t;
	struct tm	 tm;

	while ((hend = memmem(req, len, "\r\n\r\n", 4)) == NULL) {
		if (len == sizeof(req) - 1 || (r = conn_read(c, req + len,
		    sizeof(req) - 1 - len)) <= 0)
			return;
		len += (size_t)r;
	}
	req[len] = '\0';
	*hend = '\0';		/* the head is a string now */
	body = hend + 4;
	clen = strtol(req_hdr(req, "Content-Length"), NULL, 10);
	while ((long)(len - (size_t)(body - req)) < clen) {
		if (len == sizeof(req) - 1 || (r = conn_read(c, req + len,
		    sizeof(req) - 1 - len)) <= 0)
			return;
		len += (size_t)r;
	}
	req[len] = '\0';
	if (sscanf(req, "%15s %255s", method, path) != 2)
		return;

	if (strcmp(path, "/ok") == 0)
		respond(c, "200 OK", "Content-Type: text/plain\r\n", "hello\n", 6);
	else if (strcmp(path, "/gzip") == 0) {
		if (strstr(req_hdr(req, "Accept-Encoding"), "gzip") == NULL)
			respond(c, "406 No gzip", "", "", 0);
		else {
			n = gzip_buf(GZ_TEXT, strlen(GZ_TEXT), gz, sizeof(gz));
			respond(c, "200 OK", "Content-Encoding: gzip\r\n", gz, n);
		}
	} else if (strcmp(path, "/bomb") == 0) {
		memset(big, 'a', sizeof(big));
		n = gzip_buf(big, sizeof(big), gz, sizeof(gz));
		respond(c, "200 OK", "Content-Encoding: gzip\r\n", gz, n);
	} else if (strcmp(path, "/etag") == 0) {
		if (strcmp(req_hdr(req, "If-None-Match"), "\"v1\"") == 0)
			respond(c, "304 Not Modified", "ETag: \"v1\"\r\n", "", 0);
		else
			respond(c, "200 OK", "ETag: \"v1\"\r\n", "etag body", 9);
	} else if (strcmp(path, "/lm") == 0) {
		if (strcmp(req_hdr(req, "If-Modified-Since"), LM_TEXT) == 0)
			respond(c, "304 Not Modified", "", "", 0);
		else
			respond(c, "200 OK", "Last-Modified: " LM_TEXT "\r\n", "lm body", 7);
	} else if (strcmp(path, "/lmsame") == 0)	/* ignores If-Modified-Since */
		respond(c, "200 OK", "Last-Modified: " LM_TEXT "\r\n", "full body", 9);
	else if (strcmp(path, "/redirect") == 0)
		respond(c, "302 Found", "Location: /redirect2\r\nETag: \"r\"\r\n", "", 0);
	else if (strcmp(path, "/redirect2") == 0)
		respond(c, "301 Moved", "Location: /ok\r\nRetry-After: 3\r\n", "", 0);
	else if (strcmp(path, "/loop") == 0)
		respond(c, "302 Found", "Location: /loop\r\n", "", 0);
	else if (strcmp(path, "/toftp") == 0)
		respond(c, "302 Found", "Location: ftp://127.0.0.1:9/x\r\n", "", 0);
	else if (strcmp(path, "/slow") == 0) {
		sleep(3);
		respond(c, "200 OK", "", "late", 4);
	} else if (strcmp(path, "/conc") == 0) {
		cur = atomic_fetch_add(&sh->cur, 1) + 1;
		while ((m = atomic_load(&sh->max)) < cur &&
		    !atomic_compare_exchange_weak(&sh->max, &m, cur))
			;
		usleep(200000);
		atomic_fetch_sub(&sh->cur, 1);
		atomic_fetch_add(&sh->hits, 1);
		respond(c, "200 OK", "", "conc", 4);
	} else if (strcmp(path, "/big") == 0) {
		memset(big, 'b', 10000);
		respond(c, "200 OK", "", big, 10000);
	} else if (strcmp(path, "/bignolen") == 0) {
		memset(big, 'b', 10000);
		n = (size_t)snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		conn_write(c, out, n);
		conn_write(c, big, 10000);
	} else if (strcmp(path, "/retry") == 0)
		respond(c, "503 Service Unavailable", "Retry-After: 7\r\n", "busy", 4);
	else if (strcmp(path, "/retrydate") == 0) {
		t = time(NULL) + 30;
		gmtime_r(&t, &tm);
		strftime(out, sizeof(out), "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		respond(c, "429 Too Many Requests", out, "", 0);
	} else if (strcmp(path, "/wp") == 0)
		respond(c, "200 OK", "X-WP-Total: 25\r\nX-WP-TotalPages: 3\r\n", "[]", 2);
	else if (strcmp(path, "/post") == 0) {
		blen = len - (size_t)(body - req);
		n = (size_t)snprintf(out, sizeof(out), "method=%s\n", method);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "ct=%s\n",
		    req_hdr(req, "Content-Type"));
		n += (size_t)snprintf(out + n, sizeof(out) - n, "auth=%s\n",
		    req_hdr(req, "Authorization"));
		n += (size_t)snprintf(out + n, sizeof(out) - n, "ua=%s\n",
		    req_hdr(req, "User-Agent"));
		n += (size_t)snprintf(out + n, sizeof(out) - n, "body=%.*s", (int)blen, body);
		respond(c, "200 OK", "", out, n);
	} else {
		snprintf(extra, sizeof(extra), "X-Path: %s\r\n", path);
		respond(c, "404 Not Found", extra, "", 0);
	}
}

/* Fork a server on 127.0.0.1; returns its port, *pid is its process group. */
static int
server_start(const char *cert, const char *key, pid_t *pid)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	SSL_CTX			*ctx = NULL;
	struct conn		 c;
	int			 s, fd, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(s, 64) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &sl) == -1)
		return -1;
	fflush(stdout);
	if ((*pid = fork()) == -1)
		return -1;
	if (*pid > 0) {
		setpgid(*pid, *pid);
		close(s);
		return ntohs(sin.sin_port);
	}
	setpgid(0, 0);
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (cert != NULL) {
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
			_exit(1);
	}
	for (;;) {
		if ((fd = accept(s, NULL, NULL)) == -1)
			continue;
		if (fork() != 0) {
			close(fd);
			continue;
		}
		close(s);
		c.fd = fd;
		c.ssl = NULL;
		if (ctx != NULL) {
			c.ssl = SSL_new(ctx);
			SSL_set_fd(c.ssl, fd);
			if (SSL_accept(c.ssl) != 1)
				_exit(0);
		}
		serve(&c);
		if (c.ssl != NULL)
			SSL_shutdown(c.ssl);
		_exit(0);
	}
}

static void
server_stop(pid_t pid)
{
	kill(-pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Client side. */
struct result {
	int	 done;
	int	 status;
	char	*error;
	char	*body;
	size_t	 body_len;
	char	*etag;
	time_t	 last_modified;
	int	 retry_after;
	long	 total_pages;
	char	*effective_url;
	double	 seconds;
};

static struct event_base	*base;
static int			 outstanding, port, tls_port, callbacks;
static struct fetcher		*freed_in_cb;

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
result_cb(const struct fetch_res *r, void *arg)
{
	struct result	*res = arg;

	res->done = 1;
	res->status = r->status;
	res->error = dup_or_null(r->error);
	res->body = xmalloc(r->body_len + 1);
	memcpy(res->body, r->body, r->body_len + 1);
	res->body_len = r->body_len;
	res->etag = dup_or_null(r->etag);
	res->last_modified = r->last_modified;
	res->retry_after = r->retry_after;
	res->total_pages = r->total_pages;
	res->effective_url = dup_or_null(r->effective_url);
	res->seconds = r->seconds;
	callbacks++;
	if (--outstanding == 0)
		event_base_loopexit(base, NULL);
}

static void
result_clear(struct result *r)
{
	free(r->error);
	free(r->body);
	free(r->etag);
	free(r->effective_url);
	memset(r, 0, sizeof(*r));
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	printf("# watchdog: loop stopped\n");
	event_base_loopbreak(base);
}

/* Run the loop until outstanding callbacks are in (or 20 s). */
static void
run(void)
{
	struct event	*w = evtimer_new(base, watchdog_cb, NULL);
	struct timeval	 tv = { 20, 0 };

	evtimer_add(w, &tv);
	if (outstanding > 0)
		event_base_dispatch(base);
	event_free(w);
}

static void
run_for(int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static const char *
url(const char *path)
{
	static char	u[4][256];
	static int	i;

	i = (i + 1) % 4;
	snprintf(u[i], sizeof(u[i]), "http://127.0.0.1:%d%s", port, path);
	return u[i];
}

/* One request, to completion. */
static struct result
fetch(struct fetcher *f, const struct fetch_req *req)
{
	struct result	r;

	memset(&r, 0, sizeof(r));
	if (fetch_start(f, req, result_cb, &r) == -1) {
		r.error = xstrdup("fetch_start failed");
		return r;
	}
	outstanding++;
	run();
	return r;
}

static struct result
get(struct fetcher *f, const char *path)
{
	struct fetch_req	req = { .url = url(path) };

	return fetch(f, &req);
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static double	timer_at;

static void
timer_fired(evutil_socket_t fd, short what, void *arg)
{
	timer_at = now_ms();
}

static void
never_cb(const struct fetch_res *r, void *arg)
{
	callbacks++;
}

static void
free_in_cb(const struct fetch_res *r, void *arg)
{
	callbacks++;
	fetcher_free(freed_in_cb);
	event_base_loopexit(base, NULL);
}

static struct result	chained;

static void
chain_cb(const struct fetch_res *r, void *arg)
{
	struct fetcher		*f = arg;
	struct fetch_req	 req = { .url = url("/ok") };

	callbacks++;
	if (fetch_start(f, &req, result_cb, &chained) == 0)
		outstanding++;
	if (--outstanding == 0)
		event_base_loopexit(base, NULL);
}

static const char *
S(const char *s)
{
	return s != NULL ? s : "(null)";
}

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strcasestr(s, needle) != NULL;
}

static void
test_basic(struct fetcher *f)
{
	struct result		r;
	struct fetch_req	req;

	r = get(f, "/ok");
	is_int(r.status, 200, "GET /ok: 200");
	is_str(r.error, NULL, "GET /ok: no error");
	is_str(r.body, "hello\n", "GET /ok: body");
	is_int(r.body_len, 6, "GET /ok: body length");
	is_str(r.etag, NULL, "GET /ok: no ETag");
	is_int(r.last_modified, 0, "GET /ok: no Last-Modified");
	is_int(r.retry_after, -1, "GET /ok: no Retry-After");
	is_int(r.total_pages, -1, "GET /ok: no X-WP-TotalPages");
	is_str(r.effective_url, url("/ok"), "GET /ok: effective URL");
	ok(r.seconds > 0 && r.seconds < 5, "GET /ok: transfer time %.3f s", r.seconds);
	is_int(fetch_pending(f), 0, "nothing pending afterwards");
	result_clear(&r);

	r = get(f, "/nothere");
	is_int(r.status, 404, "404 is a status, not an error");
	is_str(r.error, NULL, "404: no transport error");
	result_clear(&r);

	r = get(f, "/gzip");
	is_int(r.status, 200, "gzip: 200 (Accept-Encoding sent)");
	is_str(r.body, GZ_TEXT, "gzip: body decoded");
	result_clear(&r);

	r = get(f, "/etag");
	is_int(r.status, 200, "etag: 200 first");
	is_str(r.etag, "\"v1\"", "etag: ETag parsed (quotes kept)");
	is_str(r.body, "etag body", "etag: body");
	result_clear(&r);
	memset(&req, 0, sizeof(req));
	req.url = url("/etag");
	req.etag = "\"v1\"";
	r = fetch(f, &req);
	is_int(r.status, 304, "etag: If-None-Match gives 304");
	is_str(r.error, NULL, "etag: 304 is no error");
	is_int(r.body_len, 0, "etag: 304 has no body");
	is_str(r.body, "", "etag: 304 body is an empty string");
	result_clear(&r);

	r = get(f, "/lm");
	is_int(r.status, 200, "lm: 200 first");
	is_int(r.last_modified, LM_TIME, "lm: Last-Modified parsed");
	result_clear(&r);
	memset(&req, 0, sizeof(req));
	req.url = url("/lm");
	req.last_modified = LM_TIME;
	r = fetch(f, &req);
	is_int(r.status, 304, "lm: If-Modified-Since gives 304");
	result_clear(&r);
	memset(&req, 0, sizeof(req));
	req.url = url("/lmsame");
	req.last_modified = LM_TIME;
	r = fetch(f, &req);
	is_int(r.status, 200, "lm: a server ignoring If-Modified-Since: 200");
	is_str(r.body, "full body", "lm: ... and its body is kept");
	result_clear(&r);

	r = get(f, "/redirect");
	is_int(r.status, 200, "redirect: followed (2 hops)");
	is_str(r.body, "hello\n", "redirect: body of the target");
	is_str(r.effective_url, url("/ok"), "redirect: effective URL");
	is_str(r.etag, NULL, "redirect: headers of the final response only");
	is_int(r.retry_after, -1, "redirect: no Retry-After from a redirect response");
	result_clear(&r);

	r = get(f, "/loop");
	is_int(r.status, 0, "redirect loop: status 0");
	ok(contains(r.error, "redirect"), "redirect loop: error '%s'", S(r.error));
	result_clear(&r);

	r = get(f, "/toftp");
	is_int(r.status, 0, "redirect to ftp: refused");
	ok(r.error != NULL, "redirect to ftp: error '%s'", S(r.error));
	result_clear(&r);

	r = get(f, "/big");
	is_int(r.status, 0, "big (Content-Length): status 0");
	is_str(r.error, "response too large", "big (Content-Length): response too large");
	is_int(r.body_len, 0, "big: no body");
	result_clear(&r);
	r = get(f, "/bignolen");
	is_str(r.error, "response too large", "big (no length): response too large");
	result_clear(&r);
	r = get(f, "/bomb");
	is_str(r.error, "response too large", "big (gzip bomb): decoded size counts");
	result_clear(&r);

	r = get(f, "/retry");
	is_int(r.status, 503, "retry: 503");
	is_int(r.retry_after, 7, "retry: Retry-After seconds");
	is_str(r.body, "busy", "retry: body of the error response");
	result_clear(&r);
	r = get(f, "/retrydate");
	is_int(r.status, 429, "retry date: 429");
	ok(r.retry_after >= 28 && r.retry_after <= 31, "retry date: Retry-After HTTP-date %d",
	    r.retry_after);
	result_clear(&r);

	r = get(f, "/wp");
	is_int(r.total_pages, 3, "wp: X-WP-TotalPages");
	result_clear(&r);

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url("/post");
	req.user = "alice";
	req.password = "app pass";
	req.content_type = "application/json";
	req.body = "{\"content\":\"hi\"}xx";
	req.body_len = 16;
	r = fetch(f, &req);
	is_int(r.status, 200, "POST: 200");
	is_str(r.body, "method=POST\nct=application/json\n"
	    "auth=Basic YWxpY2U6YXBwIHBhc3M=\nua=confab/" PACKAGE_VERSION "\n"
	    "body={\"content\":\"hi\"}", "POST: method, type, basic auth, agent, body");
	result_clear(&r);

	/* Not started: cb never called, nothing pending. */
	memset(&req, 0, sizeof(req));
	req.url = "ftp://127.0.0.1:9/x";
	ok(fetch_start(f, &req, never_cb, NULL) == -1, "ftp:// refused");
	req.url = "file:///etc/passwd";
	ok(fetch_start(f, &req, never_cb, NULL) == -1, "file:// refused");
	req.url = "127.0.0.1/ok";
	ok(fetch_start(f, &req, never_cb, NULL) == -1, "URL without scheme refused");
	req.url = url("/ok");
	req.method = "PUT";
	ok(fetch_start(f, &req, never_cb, NULL) == -1, "method PUT refused");
	is_int(fetch_pending(f), 0, "refused requests are not pending");

	/* A callback may start another request. */
	memset(&chained, 0, sizeof(chained));
	callbacks = 0;
	memset(&req, 0, sizeof(req));
	req.url = url("/ok");
	ok(fetch_start(f, &req, chain_cb, f) == 0, "chain: started");
	outstanding++;
	run();
	is_int(callbacks, 2, "chain: request started from a callback completes");
	is_int(chained.status, 200, "chain: its result");
	result_clear(&chained);
}

static void
test_slow(void)
{
	struct fetch_opts	 o = { .timeout = 1, .connect_timeout = 1 };
	struct fetcher		*f = fetcher_new(base, &o);
	struct event		*ev = evtimer_new(base, timer_fired, NULL);
	struct timeval		 tv = { 0, 50000 };
	struct fetch_req	 req = { .url = url("/slow") };
	struct result		 r;
	double			 t0;

	memset(&r, 0, sizeof(r));
	timer_at = 0;
	t0 = now_ms();
	ok(fetch_start(f, &req, result_cb, &r) == 0, "slow: started");
	outstanding++;
	evtimer_add(ev, &tv);
	run();
	ok(timer_at - t0 >= 45 && timer_at - t0 < 500,
	    "loop not blocked: 50 ms timer fired after %.0f ms", timer_at - t0);
	is_int(r.status, 0, "slow: status 0 after the timeout");
	ok(contains(r.error, "timed out") || contains(r.error, "timeout"),
	    "slow: error '%s'", S(r.error));
	ok(now_ms() - t0 < 2500, "slow: gave up after about 1 s (%.0f ms)", now_ms() - t0);
	result_clear(&r);
	event_free(ev);
	fetcher_free(f);
}

static void
test_concurrency(void)
{
	struct fetch_opts	 o = { .per_host = 2 };
	struct fetcher		*f = fetcher_new(base, &o);
	struct fetch_req	 req = { .url = url("/conc") };
	struct result		 r[6];
	double			 t0;
	int			 i, all = 1;

	atomic_store(&sh->cur, 0);
	atomic_store(&sh->max, 0);
	atomic_store(&sh->hits, 0);
	memset(r, 0, sizeof(r));
	t0 = now_ms();
	for (i = 0; i < 6; i++) {
		if (fetch_start(f, &req, result_cb, &r[i]) == 0)
			outstanding++;
	}
	is_int(fetch_pending(f), 6, "per host: 6 pending (2 running, 4 queued)");
	run();
	for (i = 0; i < 6; i++) {
		if (r[i].status != 200)
			all = 0;
		result_clear(&r[i]);
	}
	ok(all, "per host: all 6 completed");
	is_int(atomic_load(&sh->hits), 6, "per host: server saw 6");
	is_int(atomic_load(&sh->max), 2, "per host: at most 2 at once on the server");
	ok(now_ms() - t0 >= 550, "per host: 3 rounds of 200 ms (%.0f ms)", now_ms() - t0);
	is_int(fetch_pending(f), 0, "per host: nothing pending");
	fetcher_free(f);
}

static void
test_free(void)
{
	struct fetch_opts	 o = { .per_host = 1 };
	struct fetcher		*f = fetcher_new(base, &o);
	struct fetch_req	 req = { .url = url("/conc") };	/* 200 ms each */
	int			 i;

	callbacks = 0;
	atomic_store(&sh->hits, 0);
	for (i = 0; i < 3; i++)
		fetch_start(f, &req, never_cb, NULL);
	is_int(fetch_pending(f), 3, "free: 1 running, 2 queued");
	run_for(100);
	fetcher_free(f);
	run_for(700);	/* long enough for all three, had they gone on */
	is_int(callbacks, 0, "free: outstanding requests cancelled without callbacks");
	ok(atomic_load(&sh->hits) <= 1, "free: the queued ones never started (%d served)",
	    atomic_load(&sh->hits));

	/* fetcher_free() from a callback: deferred, no further callbacks. */
	f = fetcher_new(base, NULL);
	freed_in_cb = f;
	callbacks = 0;
	req.url = url("/ok");
	for (i = 0; i < 3; i++)
		fetch_start(f, &req, free_in_cb, NULL);
	outstanding = 1;
	run();
	outstanding = 0;
	run_for(300);
	is_int(callbacks, 1, "free from a callback: no further callbacks");
}

static void
test_tls(const char *top)
{
	char			 cert[1024], key[1024], ca[1024], u[256];
	struct fetch_opts	 o;
	struct fetcher		*f;
	struct fetch_req	 req;
	struct result		 r;
	pid_t			 pid;

	snprintf(cert, sizeof(cert), "%s/tests/data/tls/server.pem", top);
	snprintf(key, sizeof(key), "%s/tests/data/tls/server.key", top);
	snprintf(ca, sizeof(ca), "%s/tests/data/tls/ca.pem", top);
	if ((tls_port = server_start(cert, key, &pid)) == -1) {
		ok(0, "TLS server starts");
		return;
	}
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/ok", tls_port);
	memset(&req, 0, sizeof(req));
	req.url = u;

	memset(&o, 0, sizeof(o));
	o.ca_file = ca;
	f = fetcher_new(base, &o);
	r = fetch(f, &req);
	is_int(r.status, 200, "https with the test CA: 200 (%s)", S(r.error));
	is_str(r.body, "hello\n", "https: body");
	result_clear(&r);
	fetcher_free(f);

	f = fetcher_new(base, NULL);
	r = fetch(f, &req);
	is_int(r.status, 0, "https, unknown CA: refused");
	ok(contains(r.error, "certificate"), "https, unknown CA: error '%s'", S(r.error));
	result_clear(&r);
	fetcher_free(f);

	server_stop(pid);
}

int
main(void)
{
	const char		*top = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	struct fetch_opts	 o = { .max_body = 4096 };
	struct fetcher		*f;
	pid_t			 pid;

	log_init(getenv("TEST_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN, "test_fetch");
	signal(SIGPIPE, SIG_IGN);
	/* Requests must go where the URL says, whatever the environment asks. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	setenv("https_proxy", "http://127.0.0.1:9", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:9", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	if ((port = server_start(NULL, NULL, &pid)) == -1) {
		printf("Bail out! cannot start the test server\n");
		return 1;
	}
	base = event_base_new();

	f = fetcher_new(base, &o);
	test_basic(f);
	fetcher_free(f);
	test_slow();
	test_concurrency();
	test_free();
	test_tls(top);

	server_stop(pid);
	event_base_free(base);
	fetch_global_cleanup();
	munmap(sh, sizeof(*sh));
	return tap_done();
}
