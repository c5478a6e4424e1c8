/* poll.c: live sources. A run is a queue of HTTP steps (posts pages, comment pages,
 * feeds, comment feeds); each response is imported in its own short transaction, so
 * the loop never waits on the network and the store is never held across one. */
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
	unsigned long	 id;
	char		*source;
	int		 full;
	struct step	*q;
	size_t		 nq, iq;
	long		 fetches, errors;
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
	return j->p->conf ? conf_source_find(j->p->conf, j->source) : NULL;
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
	free(j);
}

static void	job_next(struct job *);
static void	sched_after(struct poller *, const char *, int ok, int retry_after);

static void
job_finish(struct job *j)
{
	struct poller	*p = j->p;
	struct timespec	 t1;
	size_t		 i;
	int		 ok = j->errors == 0;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("%s: poll %s: %ld fetches, %ld errors, %ld published, %ld superseded, "
	    "%ld withdrawn, %.2f s", j->source, ok ? "done" : "failed", j->fetches, j->errors,
	    j->published, j->superseded, j->withdrawn, (double)(t1.tv_sec - j->t0.tv_sec) +
	    (t1.tv_nsec - j->t0.tv_nsec) / 1e9);
	for (i = 0; i < p->njobs; i++)
		if (p->jobs[i] == j) {
			p->jobs[i] = p->jobs[--p->njobs];
			break;
		}
	if (ok && j->full) {
		char	key[300], val[32];

		snprintf(key, sizeof(key), "poll.full.%s", j->source);
		snprintf(val, sizeof(val), "%lld", (long long)time(NULL));
		store_meta_put(p->store, key, val);
	}
	metrics_poll(j->source, ok, time(NULL));
	sched_after(p, j->source, ok, j->retry_after);
	if (j->done)
		j->done(ok, j->arg);
	job_free(j);
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

static int
import_page(struct job *j, const struct step *s, const struct fetch_res *r, int last)
{
	struct poller			*p = j->p;
	const struct conf_source	*src = job_src(j);
	struct ingest_result		 res;
	struct pagectx			 pc;
	const struct import_stats	*st;
	int				 rc = -1;

	memset(&pc, 0, sizeof(pc));
	pc.j = j;
	if (store_begin(p->store) == -1)
		return -1;
	if ((pc.im = importer_new_gen(p->store, p->conf, src, p->key, j->gen)) == NULL)
		goto done;
	if (ingest_buffer(r->body, r->body_len, r->effective_url, page_item, &pc, &res) == -1) {
		log_warn("%s: %s", j->source, res.error);
		goto done;
	}
	/* The last page of a post's comments: what it did not list is gone. */
	if (s->kind == ST_COMMENTS && last && importer_vanish_post(pc.im, s->post_id) == -1)
		goto done;
	if (importer_publish(pc.im) == -1)
		goto done;
	if (store_commit(p->store) == -1)
		goto done;
	st = importer_stats(pc.im);
	j->published += st->published;
	j->superseded += st->superseded;
	j->withdrawn += st->withdrawn;
	j->unchanged += st->unchanged;
	rc = 0;
done:
	if (rc == -1)
		store_rollback(p->store);
	importer_free(pc.im);
	return rc;
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
	if (r->status == 304)
		goto next;
	if (r->status == 0 || r->status == 429 || r->status >= 500) {
		log_warn("%s: %s: %s", j->source, r->effective_url ? r->effective_url : "?",
		    r->status ? "server busy or failing" : r->error);
		j->errors++;
		j->retry_after = r->retry_after;
		j->iq = j->nq;		/* stop this run; try again later */
		goto next;
	}
	if (r->status == 400 && s->page > 1)
		goto next;		/* WordPress: page past the end */
	if (r->status != 200) {
		log_warn("%s: %s: HTTP %d", j->source, r->effective_url, r->status);
		if (s->kind != ST_COMMENT_FEED)
			j->errors++;
		goto next;
	}
	if (s->url != NULL && (r->etag || r->last_modified))
		store_fetch_cache_put(j->p->store, j->source, s->url, r->etag, r->last_modified);
	last = r->total_pages <= s->page;
	if ((s->kind == ST_POSTS && j->full) || s->kind == ST_COMMENTS)
		if (!last)
			step_add(j, s->kind, s->post_id, s->page + 1, NULL);
	if (import_page(j, s, r, last) == -1)
		j->errors++;
next:
	job_next(j);
}

static void
job_next(struct job *j)
{
	const struct conf_source	*src;
	struct poller			*p = j->p;
	struct fetch_req		 req;
	struct ticket			*t;
	struct step			*s;
	char				*url = NULL, *etag = NULL, query[256];
	time_t				 lm = 0;
	int				 creds;

	if (j->iq >= j->nq || (src = job_src(j)) == NULL) {
		job_finish(j);
		return;
	}
	s = &j->q[j->iq++];
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
		store_fetch_cache_get(p->store, j->source, s->url, &etag, &lm);
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
		j->errors++;
		j->iq = j->nq;
		free(url);
		free(etag);
		job_finish(j);
		return;
	}
	free(url);
	free(etag);
}

int
poller_run(struct poller *p, const char *source, int full, poll_done_cb done, void *arg)
{
	const struct conf_source	*src;
	struct job			*j;
	char				 key[300], *v = NULL;
	size_t				 i;

	if (p->conf == NULL || (src = conf_source_find(p->conf, source)) == NULL ||
	    src->type == SRC_LOCAL)
		return -1;
	for (i = 0; i < p->njobs; i++)
		if (!strcmp(p->jobs[i]->source, source))
			return -1;	/* already running */
	j = xcalloc(1, sizeof(*j));
	j->p = p;
	j->id = ++p->next_id;
	j->source = xstrdup(source);
	j->done = done;
	j->arg = arg;
	j->retry_after = -1;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	snprintf(key, sizeof(key), "poll.full.%s", source);
	j->full = full || store_meta_get(p->store, key, &v) != 0 || v == NULL ||
	    time(NULL) - atoll(v) >= FULL_EVERY;
	free(v);
	if (store_begin(p->store) == -1) {
		job_free(j);
		return -1;
	}
	j->gen = store_next_gen(p->store);
	store_commit(p->store);
	if (src->type == SRC_WORDPRESS) {
		step_add(j, ST_POSTS, 0, 1, NULL);
		if (!j->full)
			step_add(j, ST_RECENT, 0, 1, NULL);
	} else
		step_add(j, ST_FEED, 0, 0, src->url);
	log_info("%s: polling %s (%s scan)", source, src->url, j->full ? "full" : "recent");
	p->jobs = xreallocarray(p->jobs, p->njobs + 1, sizeof(*p->jobs));
	p->jobs[p->njobs++] = j;
	job_next(j);
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

static void
sched_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sched			*s = arg;
	const struct conf_source	*src = conf_source_find(s->p->conf, s->source);
	char				 name[300];
	time_t				 now = time(NULL);

	/* Front ends sharing the store poll a source in turn: the one holding its lease
	 * (until its next poll is due) does; the others look again later. */
	snprintf(name, sizeof(name), "poll:%s", s->source);
	if (!s->kicked && src != NULL && store_lease(s->p->store, name, s->p->owner, now,
	    now + src->poll_interval - 1) != 0) {
		log_debug("%s: polled by another confabd", s->source);
		sched_after(s->p, s->source, 1, -1);
		return;
	}
	s->kicked = 0;
	if (poller_run(s->p, s->source, 0, NULL, NULL) == -1)
		sched_after(s->p, s->source, 1, -1);
}

static void
sched_after(struct poller *p, const char *source, int ok, int retry_after)
{
	const struct conf_source	*src = p->conf ? conf_source_find(p->conf, source) : NULL;
	struct sched			*s = sched_find(p, source);
	struct timeval			 tv;
	long				 secs;

	if (s == NULL || src == NULL)
		return;
	s->fails = ok ? 0 : s->fails + 1;
	/* Failures double the interval; +-10% so that many sources do not poll in step. */
	secs = backoff(src->poll_interval, s->fails, ok ? src->poll_interval : MAX_BACKOFF,
	    retry_after, 20);
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(s->ev, &tv);
}

void
poller_set_conf(struct poller *p, const struct conf *c, int schedule)
{
	size_t	i;
	int	k;

	/* Runs in progress refer to the old config: cancel them (rescheduled below). */
	for (i = 0; i < p->njobs; i++)
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
poller_free(struct poller *p)
{
	if (p == NULL)
		return;
	poller_set_conf(p, NULL, 0);
	free(p->jobs);
	free(p);
}
