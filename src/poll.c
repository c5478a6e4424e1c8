/* poll.c: live sources. A run is a queue of HTTP steps (posts pages, comment pages,
 * feeds, comment feeds); each response is imported in its own short transaction, so
 * the loop never waits on the network and the store is never held across one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <curl/curl.h>

#include "import.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "poll.h"
#include "work.h"

#define RESCAN_WINDOW	(14 * 86400)	/* comments of posts this recent: rescanned each run */
#define FULL_EVERY	(24 * 3600)	/* a full scan at least this often */
#define MAX_STEPS	100000
#define MAX_BACKOFF	(6 * 3600)

enum step_kind { ST_POSTS, ST_COMMENTS, ST_RECENT, ST_FEED, ST_COMMENT_FEED };

struct step {
	enum step_kind	 kind;
	long long	 post_id;
	int		 page;
	char		*url;		/* feeds */
};

struct job {
	struct poller	*p;
	struct conf	*conf;		/* held: the run's own */
	unsigned long	 id;
	int		 busy;		/* its store work is on a worker */
	int		 cancelled;	/* ... and it ends when that is back */
	char		*source;
	int		 full;
	struct step	*q;
	size_t		 nq, iq;
	long		 fetches, errors, notmod;
	int		 result, http_status;	/* the first failure (store_source_status) */
	char		 error[256];
	long		 published, superseded, withdrawn, unchanged;
	long long	 gen;		/* import generation shared by the run's steps */
	int		 retry_after;
	poll_done_cb	 done;
	void		*arg;
	struct timespec	 t0;
};

struct sched {
	char		*source;
	struct event	*ev;
	int		 fails;
	int		 kicked;	/* run now, whoever holds the lease */
	struct poller	*p;
};

struct poller {
	struct event_base	*base;
	struct fetcher		*fetch;
	struct store		*store;
	const unsigned char	*key;
	const struct conf	*conf;
	struct job		**jobs;
	size_t			 njobs;
	unsigned long		 next_id;
	struct sched		*sched;
	size_t			 nsched;
	char			 owner[300];	/* who takes leases: host:pid */
	struct workers		*workers;	/* poller_set_async() */
	struct store_pool	*pool;
};

/* A request in flight refers to its job by id: the job may be gone when it answers. */
struct ticket {
	struct poller	*p;
	unsigned long	 job;
};

char *
wp_rest_url(const char *base, const char *route, const char *query)
{
	size_t	n = strlen(base);
	char	*u;

	/* ?rest_route= works whether or not pretty permalinks are on. */
	xasprintf(&u, "%s%s?rest_route=%s%s%s", base, n && base[n - 1] == '/' ? "" : "/",
	    route, query && *query ? "&" : "", query ? query : "");
	return u;
}

static const struct conf_source *
job_src(struct job *j)
{
	return conf_source_find(j->conf, j->source);
}

/* The store's part of a step: here, or on a worker (PostgreSQL), then done(j, arg)
 * here, which frees arg; a run cancelled meanwhile ends then instead (arg freed). */
struct jobwork {
	struct job	*j;
	void		(*run)(struct store *, struct job *, void *);
	void		(*done)(struct job *, void *);
	void		*arg;
};

static void	job_free(struct job *);

static void
jobwork_run(struct store *st, void *arg)
{
	struct jobwork	*w = arg;

	w->run(st, w->j, w->arg);
}

static void
jobwork_done(void *arg, int ok)
{
	struct jobwork	*w = arg;
	struct job	*j = w->j;

	j->busy = 0;
	if (j->cancelled || event_base_got_exit(j->p->base)) {
		free(w->arg);	/* args are flat (see pagework) */
		if (j->cancelled)
			job_free(j);	/* poller_set_conf() took it off the list */
	} else		/* (else stopping: poller_free() frees it) */
		w->done(j, w->arg);
	free(w);
}

static void
job_store(struct job *j, void (*run)(struct store *, struct job *, void *),
    void (*done)(struct job *, void *), void *arg)
{
	struct jobwork	*w = xcalloc(1, sizeof(*w));

	w->j = j;
	w->run = run;
	w->done = done;
	w->arg = arg;
	j->busy = 1;
	work_store(j->p->workers, j->p->pool, j->p->store, jobwork_run, jobwork_done, w);
}

static void
step_add(struct job *j, enum step_kind k, long long post, int page, const char *url)
{
	struct step	*s;
	size_t		 i;

	if (j->nq >= MAX_STEPS)
		return;
	if (url != NULL)	/* a feed URL once per run */
		for (i = 0; i < j->nq; i++)
			if (j->q[i].url && !strcmp(j->q[i].url, url))
				return;
	j->q = xreallocarray(j->q, j->nq + 1, sizeof(*j->q));
	s = &j->q[j->nq++];
	s->kind = k;
	s->post_id = post;
	s->page = page;
	s->url = url ? xstrdup(url) : NULL;
}

static void
job_free(struct job *j)
{
	size_t	i;

	for (i = 0; i < j->nq; i++)
		free(j->q[i].url);
	free(j->q);
	free(j->source);
	conf_free(j->conf);
	free(j);
}

static void	job_next(struct job *);
static void	job_send(struct job *, char *etag, time_t last_modified);
static time_t	sched_after(struct poller *, const char *, int ok, int retry_after);

/* A step failed: one more error, and the first one's kind and words kept for status. */
static void
job_fail(struct job *j, int result, int http_status, const char *fmt, ...)
{
	va_list	ap;

	j->errors++;
	if (j->result != POLL_NONE)
		return;
	j->result = result;
	j->http_status = http_status;
	va_start(ap, fmt);
	vsnprintf(j->error, sizeof(j->error), fmt, ap);
	va_end(ap);
	j->error[strcspn(j->error, "\r\n")] = '\0';
}

/* What the run did, for `confab status` and any front end: written with the run's
 * last bookkeeping, in one short transaction. */
struct record {
	time_t	next;
};

static void
job_record(struct store *st, struct job *j, void *arg)
{
	struct record			*rec = arg;
	struct store_source_status	 ss;
	char				 key[300], val[32];
	time_t				 now = time(NULL);

	memset(&ss, 0, sizeof(ss));
	ss.source = j->source;
	ss.polled = now;
	ss.result = j->errors ? j->result : j->fetches > 0 && j->notmod == j->fetches ?
	    POLL_NOT_MODIFIED : POLL_OK;
	ss.http_status = j->errors ? j->http_status : 0;
	ss.error = j->errors ? j->error : NULL;
	ss.next_poll = rec->next;
	ss.owner = j->p->owner;
	if (store_begin(st) == -1)
		return;
	if (j->errors == 0 && j->full) {
		snprintf(key, sizeof(key), "poll.full.%s", j->source);
		snprintf(val, sizeof(val), "%lld", (long long)now);
		if (store_meta_put(st, key, val) == -1)
			goto fail;
	}
	if (store_source_status_put(st, &ss) == -1 || store_commit(st) == -1)
		goto fail;
	return;
fail:
	store_rollback(st);
}

static void
job_unlist(struct job *j)
{
	struct poller	*p = j->p;
	size_t		 i;

	for (i = 0; i < p->njobs; i++)
		if (p->jobs[i] == j) {
			p->jobs[i] = p->jobs[--p->njobs];
			break;
		}
}

static void
job_recorded(struct job *j, void *arg)
{
	free(arg);
	job_unlist(j);
	if (j->done)
		j->done(j->errors == 0, j->arg);
	job_free(j);
}

static void
job_finish(struct job *j)
{
	struct record	*rec = xcalloc(1, sizeof(*rec));
	struct timespec	 t1;
	int		 ok = j->errors == 0;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("%s: poll %s: %ld fetches, %ld errors, %ld published, %ld superseded, "
	    "%ld withdrawn, %.2f s", j->source, ok ? "done" : "failed", j->fetches, j->errors,
	    j->published, j->superseded, j->withdrawn, (double)(t1.tv_sec - j->t0.tv_sec) +
	    (t1.tv_nsec - j->t0.tv_nsec) / 1e9);
	metrics_poll(j->source, ok, time(NULL));
	rec->next = sched_after(j->p, j->source, ok, j->retry_after);
	job_store(j, job_record, job_recorded, rec);
}

static struct job *
job_find(struct poller *p, unsigned long id)
{
	size_t	i;

	for (i = 0; i < p->njobs; i++)
		if (p->jobs[i]->id == id)
			return p->jobs[i];
	return NULL;
}

/* Import one response. The callback records what the page listed. */
struct pagectx {
	struct job	*j;
	struct importer	*im;
	int		 posts_seen;
	int		 comments_seen;
};

static int
page_item(const struct item *it, void *arg)
{
	struct pagectx			*pc = arg;
	struct job			*j = pc->j;
	const struct conf_source	*src = job_src(j);

	if (it->kind == ITEM_POST) {
		pc->posts_seen++;
		if (src->type == SRC_WORDPRESS && it->state == ITEM_OK &&
		    (j->full || it->date >= time(NULL) - RESCAN_WINDOW))
			step_add(j, ST_COMMENTS, it->post_id, 1, NULL);
		if (src->type != SRC_WORDPRESS && it->comments_url != NULL)
			step_add(j, ST_COMMENT_FEED, it->post_id, 0, it->comments_url);
	} else
		pc->comments_seen++;
	return importer_item(it, pc->im);
}

/* A response to import, copied out of the fetcher's (flat: one allocation). */
struct pagework {
	struct step	 s;		/* s.url points into text */
	int		 status, last;
	char		*etag;		/* validators to keep for s.url, or NULL */
	time_t		 last_modified;
	char		*effective_url;
	size_t		 body_len;
	char		*body;
	char		 text[];
};

static int
import_page(struct store *st, struct job *j, const struct pagework *w)
{
	const struct conf_source	*src = job_src(j);
	struct ingest_result		 res;
	struct pagectx			 pc;
	const struct import_stats	*ist;
	char				 why[512];
	int				 rc = -1, kind = POLL_STORE;

	memset(&pc, 0, sizeof(pc));
	pc.j = j;
	snprintf(why, sizeof(why), "%.400s: could not be stored", w->effective_url);
	if (store_begin(st) == -1) {
		job_fail(j, kind, w->status, "%s", why);
		return -1;
	}
	if ((pc.im = importer_new_gen(st, j->conf, src, j->p->key, j->gen)) == NULL)
		goto done;
	if (ingest_buffer(w->body, w->body_len, w->effective_url, page_item, &pc, &res) == -1) {
		log_warn("%s: %s", j->source, res.error);
		snprintf(why, sizeof(why), "%s", res.error);
		kind = POLL_PARSE;
		goto done;
	}
	/* The last page of a post's comments: what it did not list is gone. */
	if (w->s.kind == ST_COMMENTS && w->last &&
	    importer_vanish_post(pc.im, w->s.post_id) == -1)
		goto done;
	if (importer_publish(pc.im) == -1)
		goto done;
	if (store_commit(st) == -1)
		goto done;
	ist = importer_stats(pc.im);
	j->published += ist->published;
	j->superseded += ist->superseded;
	j->withdrawn += ist->withdrawn;
	j->unchanged += ist->unchanged;
	rc = 0;
done:
	if (rc == -1) {
		store_rollback(st);
		job_fail(j, kind, w->status, "%s", why);	/* res.error names the URL */
	}
	importer_free(pc.im);
	return rc;
}

static void
page_run(struct store *st, struct job *j, void *arg)
{
	struct pagework	*w = arg;

	if (w->etag != NULL || w->last_modified != 0)
		store_fetch_cache_put(st, j->source, w->s.url, w->etag, w->last_modified);
	import_page(st, j, w);	/* a failure is counted there */
}

static void
page_done(struct job *j, void *arg)
{
	free(arg);
	job_next(j);
}

static struct pagework *
pagework_new(const struct step *s, const struct fetch_res *r, int last)
{
	const char	*eu = r->effective_url ? r->effective_url : "";
	size_t		 nu = s->url ? strlen(s->url) + 1 : 0, ne = strlen(eu) + 1;
	size_t		 nt = s->url && r->etag ? strlen(r->etag) + 1 : 0;
	struct pagework	*w = xmalloc(sizeof(*w) + nu + ne + nt + r->body_len + 1);
	char		*p = w->text;

	memset(w, 0, sizeof(*w));
	w->s = *s;
	w->status = r->status;
	w->last = last;
	if (nu > 0) {
		w->s.url = memcpy(p, s->url, nu);
		p += nu;
		w->last_modified = r->last_modified;
	}
	w->effective_url = memcpy(p, eu, ne);
	p += ne;
	if (nt > 0) {
		w->etag = memcpy(p, r->etag, nt);
		p += nt;
	}
	w->body = p;
	w->body_len = r->body_len;
	if (r->body_len > 0)
		memcpy(p, r->body, r->body_len);
	p[r->body_len] = '\0';
	return w;
}

static void
fetched(const struct fetch_res *r, void *arg)
{
	struct ticket	*t = arg;
	struct job	*j = job_find(t->p, t->job);
	struct step	 cur, *s = &cur;
	int		 last;

	free(t);
	if (j == NULL)
		return;		/* the run was cancelled */
	cur = j->q[j->iq - 1];	/* a copy: adding steps may move the queue */
	j->fetches++;
	log_debug("%s: GET %s -> %d, %zu bytes, %.2f s", j->source, r->effective_url,
	    r->status, r->body_len, r->seconds);
	if (r->status == 304) {
		j->notmod++;
		goto next;
	}
	if (r->status == 0 || r->status == 429 || r->status >= 500) {
		log_warn("%s: %s: %s", j->source, r->effective_url ? r->effective_url : "?",
		    r->status ? "server busy or failing" : r->error);
		if (r->status)
			job_fail(j, POLL_HTTP, r->status, "%s: HTTP %d", r->effective_url,
			    r->status);
		else
			job_fail(j, POLL_UNREACHABLE, 0, "%s: %s", r->effective_url ?
			    r->effective_url : "?", r->error ? r->error : "no answer");
		j->retry_after = r->retry_after;
		j->iq = j->nq;		/* stop this run; try again later */
		goto next;
	}
	if (r->status == 400 && s->page > 1)
		goto next;		/* WordPress: page past the end */
	if (r->status != 200) {
		log_warn("%s: %s: HTTP %d", j->source, r->effective_url, r->status);
		if (s->kind != ST_COMMENT_FEED)
			job_fail(j, POLL_HTTP, r->status, "%s: HTTP %d", r->effective_url,
			    r->status);
		goto next;
	}
	last = r->total_pages <= s->page;
	if ((s->kind == ST_POSTS && j->full) || s->kind == ST_COMMENTS)
		if (!last)
			step_add(j, s->kind, s->post_id, s->page + 1, NULL);
	job_store(j, page_run, page_done, pagework_new(s, r, last));
	return;
next:
	job_next(j);
}

/* A feed's validators, for a conditional GET. */
struct validators {
	char	etag[512];		/* (a longer one is not kept: a plain GET) */
	time_t	last_modified;
};

static void
validators_run(struct store *st, struct job *j, void *arg)
{
	struct validators	*v = arg;
	char			*etag = NULL;

	store_fetch_cache_get(st, j->source, j->q[j->iq - 1].url, &etag, &v->last_modified);
	if (etag != NULL && strlen(etag) < sizeof(v->etag))
		strcpy(v->etag, etag);
	free(etag);
}

static void
validators_done(struct job *j, void *arg)
{
	struct validators	*v = arg;

	job_send(j, v->etag[0] ? xstrdup(v->etag) : NULL, v->last_modified);
	free(v);
}

static void
job_next(struct job *j)
{
	struct step	*s;

	if (j->iq >= j->nq || job_src(j) == NULL) {
		job_finish(j);
		return;
	}
	s = &j->q[j->iq++];
	if (s->kind == ST_FEED || s->kind == ST_COMMENT_FEED)
		job_store(j, validators_run, validators_done,
		    xcalloc(1, sizeof(struct validators)));
	else
		job_send(j, NULL, 0);
}

/* The current step's request; takes etag. */
static void
job_send(struct job *j, char *etag, time_t lm)
{
	const struct conf_source	*src = job_src(j);
	struct poller			*p = j->p;
	struct fetch_req		 req;
	struct ticket			*t;
	struct step			*s = &j->q[j->iq - 1];
	char				*url = NULL, query[256];
	int				 creds;

	creds = src->user != NULL && src->app_password != NULL;
	switch (s->kind) {
	case ST_POSTS:
		snprintf(query, sizeof(query), "per_page=100&page=%d&orderby=modified&order=desc%s",
		    s->page, creds ? "&context=edit&status=publish,future,draft,pending,private" : "");
		url = wp_rest_url(src->url, "/wp/v2/posts", query);
		break;
	case ST_COMMENTS:
		snprintf(query, sizeof(query), "post=%lld&per_page=100&page=%d&orderby=id&order=asc%s",
		    s->post_id, s->page, creds ? "&context=edit&status=all" : "");
		url = wp_rest_url(src->url, "/wp/v2/comments", query);
		break;
	case ST_RECENT:
		snprintf(query, sizeof(query), "per_page=100&orderby=date_gmt&order=desc%s",
		    creds ? "&context=edit&status=all" : "");
		url = wp_rest_url(src->url, "/wp/v2/comments", query);
		break;
	case ST_FEED:
	case ST_COMMENT_FEED:
		url = xstrdup(s->url);
		break;
	}
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.etag = etag;
	req.last_modified = lm;
	if (creds) {
		req.user = src->user;
		req.password = src->app_password;
	}
	t = xcalloc(1, sizeof(*t));
	t->p = p;
	t->job = j->id;
	if (fetch_start(p->fetch, &req, fetched, t) == -1) {
		free(t);
		log_warn("%s: cannot fetch %s", j->source, url);
		job_fail(j, POLL_UNREACHABLE, 0, "%s: cannot start the request", url);
		j->iq = j->nq;
		free(url);
		free(etag);
		job_finish(j);
		return;
	}
	free(url);
	free(etag);
}

/* A run's start: a full scan or not, and its import generation. */
static void
start_run(struct store *st, struct job *j, void *arg)
{
	char	 key[300], *v = NULL;
	int	*ok = arg;

	snprintf(key, sizeof(key), "poll.full.%s", j->source);
	j->full = j->full || store_meta_get(st, key, &v) != 0 || v == NULL ||
	    time(NULL) - atoll(v) >= FULL_EVERY;
	free(v);
	if (store_begin(st) == -1)
		return;
	j->gen = store_next_gen(st);
	*ok = store_commit(st) == 0;
}

static void
start_done(struct job *j, void *arg)
{
	const struct conf_source	*src = job_src(j);
	int				 ok = *(int *)arg;

	free(arg);
	if (!ok) {
		job_fail(j, POLL_STORE, 0, "the store cannot be written");
		job_finish(j);
		return;
	}
	if (src->type == SRC_WORDPRESS) {
		step_add(j, ST_POSTS, 0, 1, NULL);
		if (!j->full)
			step_add(j, ST_RECENT, 0, 1, NULL);
	} else
		step_add(j, ST_FEED, 0, 0, src->url);
	log_info("%s: polling %s (%s scan)", j->source, src->url, j->full ? "full" : "recent");
	job_next(j);
}

int
poller_run(struct poller *p, const char *source, int full, poll_done_cb done, void *arg)
{
	const struct conf_source	*src;
	struct job			*j;
	size_t				 i;

	if (p->conf == NULL || (src = conf_source_find(p->conf, source)) == NULL ||
	    src->type == SRC_LOCAL)
		return -1;
	for (i = 0; i < p->njobs; i++)
		if (!strcmp(p->jobs[i]->source, source))
			return -1;	/* already running */
	j = xcalloc(1, sizeof(*j));
	j->p = p;
	j->conf = conf_hold(p->conf);
	j->id = ++p->next_id;
	j->source = xstrdup(source);
	j->full = full;
	j->done = done;
	j->arg = arg;
	j->retry_after = -1;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	p->jobs = xreallocarray(p->jobs, p->njobs + 1, sizeof(*p->jobs));
	p->jobs[p->njobs++] = j;
	job_store(j, start_run, start_done, xcalloc(1, sizeof(int)));
	return 0;
}

/* Scheduling. */

static struct sched *
sched_find(struct poller *p, const char *source)
{
	size_t	i;

	for (i = 0; i < p->nsched; i++)
		if (!strcmp(p->sched[i].source, source))
			return &p->sched[i];
	return NULL;
}

/* Front ends sharing the store poll a source in turn: the one holding its lease
 * (until its next poll is due) does; the others look again later. The lease is taken
 * on a worker with a pool of stores; the schedule may be gone by then (a reload). */
struct leasework {
	struct poller	*p;
	char		 source[256];
	char		 name[300];
	time_t		 now, until;
	int		 rc;
};

static void
lease_run(struct store *st, void *arg)
{
	struct leasework	*w = arg;

	w->rc = store_lease(st, w->name, w->p->owner, w->now, w->until);
}

static void
lease_done(void *arg, int ok)
{
	struct leasework	*w = arg;
	struct poller		*p = w->p;

	if (!event_base_got_exit(p->base) && sched_find(p, w->source) != NULL) {
		if (!ok || w->rc != 0) {
			log_debug("%s: polled by another confabd", w->source);
			sched_after(p, w->source, 1, -1);
		} else if (poller_run(p, w->source, 0, NULL, NULL) == -1)
			sched_after(p, w->source, 1, -1);
	}
	free(w);
}

static void
sched_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sched			*s = arg;
	const struct conf_source	*src = conf_source_find(s->p->conf, s->source);
	struct leasework		*w;

	if (s->kicked || src == NULL || strlen(s->source) >= sizeof(w->source)) {
		s->kicked = 0;
		if (poller_run(s->p, s->source, 0, NULL, NULL) == -1)
			sched_after(s->p, s->source, 1, -1);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->p = s->p;
	strcpy(w->source, s->source);
	snprintf(w->name, sizeof(w->name), "poll:%s", s->source);
	w->now = time(NULL);
	w->until = w->now + src->poll_interval - 1;
	work_store(s->p->workers, s->p->pool, s->p->store, lease_run, lease_done, w);
}

/* Schedule the source's next poll; returns when (0: not scheduled here). */
static time_t
sched_after(struct poller *p, const char *source, int ok, int retry_after)
{
	const struct conf_source	*src = p->conf ? conf_source_find(p->conf, source) : NULL;
	struct sched			*s = sched_find(p, source);
	struct timeval			 tv;
	long				 secs;

	if (s == NULL || src == NULL)
		return 0;
	s->fails = ok ? 0 : s->fails + 1;
	/* Failures double the interval; +-10% so that many sources do not poll in step. */
	secs = backoff(src->poll_interval, s->fails, ok ? src->poll_interval : MAX_BACKOFF,
	    retry_after, 20);
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(s->ev, &tv);
	return time(NULL) + secs;
}

void
poller_set_conf(struct poller *p, const struct conf *c, int schedule)
{
	size_t	i;
	int	k;

	/* Runs in progress refer to the old config: cancel them (rescheduled below); one
	 * whose store work is on a worker ends when that is back. */
	for (i = 0; i < p->njobs; i++)
		if (p->jobs[i]->busy)
			p->jobs[i]->cancelled = 1;
		else
			job_free(p->jobs[i]);
	p->njobs = 0;
	for (i = 0; i < p->nsched; i++) {
		event_free(p->sched[i].ev);
		free(p->sched[i].source);
	}
	free(p->sched);
	p->sched = NULL;
	p->nsched = 0;
	p->conf = c;
	if (!schedule)
		return;
	for (k = 0; k < c->nsources; k++) {
		struct sched	*s;

		if (c->sources[k].type == SRC_LOCAL)
			continue;
		p->sched = xreallocarray(p->sched, p->nsched + 1, sizeof(*p->sched));
		s = &p->sched[p->nsched++];
		memset(s, 0, sizeof(*s));
		s->p = p;
		s->source = xstrdup(c->sources[k].name);
	}
	/* Events point into the array: create them once it stops moving. */
	for (i = 0; i < p->nsched; i++) {
		struct timeval	tv = { 1 + (time_t)i, 0 };

		p->sched[i].ev = evtimer_new(p->base, sched_cb, &p->sched[i]);
		evtimer_add(p->sched[i].ev, &tv);
	}
}

void
poller_kick(struct poller *p, const char *source)
{
	struct sched	*s = sched_find(p, source);
	struct timeval	 tv = { 2, 0 };

	if (s != NULL) {
		s->kicked = 1;
		evtimer_add(s->ev, &tv);
	}
}

struct poller *
poller_new(struct event_base *base, struct fetcher *f, struct store *st,
    const unsigned char key[SECRET_LEN])
{
	struct poller	*p = xcalloc(1, sizeof(*p));

	p->base = base;
	p->fetch = f;
	p->store = st;
	p->key = key;
	if (gethostname(p->owner, sizeof(p->owner) - 24) == -1)
		strcpy(p->owner, "localhost");
	snprintf(p->owner + strlen(p->owner), 24, ":%ld", (long)getpid());
	return p;
}

void
poller_set_async(struct poller *p, struct workers *w, struct store_pool *pool)
{
	p->workers = w;
	p->pool = pool;
}

void
poller_free(struct poller *p)
{
	if (p == NULL)
		return;
	poller_set_conf(p, NULL, 0);
	free(p->jobs);
	free(p);
}
