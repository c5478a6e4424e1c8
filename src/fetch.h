/* fetch.h: HTTP(S) client on the event loop: libcurl's multi interface driven by
 * libevent (no blocking calls on the loop's thread). */
#ifndef CONFAB_FETCH_H
#define CONFAB_FETCH_H

#include <stddef.h>
#include <time.h>

#include <event2/event.h>

struct fetcher;

struct fetch_opts {
	const char	*ca_file;		/* CA bundle for TLS verification, or NULL: system */
	int		 timeout;		/* whole transfer, seconds (default 30) */
	int		 connect_timeout;	/* seconds (default 10) */
	int		 per_host;		/* concurrent transfers per host (default 2) */
	size_t		 max_body;		/* refuse bodies larger than this (default 64 MiB) */
	const char	*user_agent;		/* default "confab/VERSION" */
};

struct fetch_req {
	const char	*method;	/* "GET" (default) or "POST" */
	const char	*url;
	const char	*user;		/* HTTP basic auth (WordPress application passwords) */
	const char	*password;
	const char	*content_type;	/* for POST, e.g. "application/json" */
	const char	*body;		/* POST body */
	size_t		 body_len;
	const char	*etag;		/* conditional GET: If-None-Match */
	time_t		 last_modified;	/* conditional GET: If-Modified-Since (0 = none) */
};

struct fetch_res {
	int		 status;	/* HTTP status; 0 on transport error */
	const char	*error;		/* transport error text (status 0), else NULL */
	const char	*body;		/* response body (decoded gzip), NUL-terminated */
	size_t		 body_len;
	const char	*etag;		/* ETag response header, or NULL */
	time_t		 last_modified;	/* Last-Modified response header, or 0 */
	int		 retry_after;	/* Retry-After seconds (429/503), or -1 */
	long		 total_pages;	/* X-WP-TotalPages, or -1 */
	const char	*effective_url;	/* after redirects */
	double		 seconds;	/* transfer time */
};

/* Called once per request, on the loop's thread; res and its strings live only during
 * the call. It may call fetch_start(), and fetcher_free() (then no further callbacks
 * are called and the fetcher is freed when the callback returns). A transport error
 * (status 0) covers timeouts, TLS verification failures, too many redirects (more
 * than 5), redirects to schemes other than http/https and "response too large". */
typedef void (*fetch_cb)(const struct fetch_res *, void *arg);

/* A fetcher on base; opts may be NULL. Caller owns (fetcher_free). */
struct fetcher	*fetcher_new(struct event_base *, const struct fetch_opts *);
/* Cancels outstanding requests without calling their callbacks. */
void		 fetcher_free(struct fetcher *);
/* The longest a transfer lasts, in seconds. */
long		 fetcher_timeout(const struct fetcher *);
/* Start a request; it is queued when the host is at its concurrency limit. The request
 * strings are copied. Returns 0, or -1 if it cannot be started (cb not called). */
int		 fetch_start(struct fetcher *, const struct fetch_req *, fetch_cb, void *arg);
/* Requests running or queued. */
int		 fetch_pending(struct fetcher *);
/* curl_global_cleanup(), after the last fetcher_free() (tests, leak checkers). The
 * first fetcher_new() calls curl_global_init(), so it must run before other threads
 * that use libcurl start. */
void		 fetch_global_cleanup(void);

#endif
