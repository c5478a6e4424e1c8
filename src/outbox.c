/* outbox.c: deliver queued comments to the blog (WordPress REST), with retries.
 * Every entry is already durable when it gets here; an attempt is counted (and
 * committed) before the request leaves, so a crash mid-delivery is seen as "outcome
 * unknown" and settled by WordPress's duplicate check or by matching on the next sync. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "import.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "work.h"
#include "poll.h"

#define RETRY_MAX	(6 * 3600)	/* longest wait between retries */
#define SCAN_EVERY	5		/* s: the longest a due entry waits (confab outbox retry) */

struct outbox_wait {
	struct outbox_wait	*next;
	struct outbox		*ob;
	long long		 id;
	outbox_cb		 cb;
	void			*arg;
	struct event		*timer;
};

struct outbox {
	struct event_base	*base;
	struct fetcher		*fetch;
	struct store		*store;
	const unsigned char	*key;
	const struct conf	*conf;
	struct poller		*poller;
	struct outbox_wait	*waits;
	outbox_refused_cb	 refused;	/* nobody waited for a refusal: tell them */
	void			*refused_arg;
	long long		*inflight;	/* ids being delivered */
	size_t			 ninflight;
	struct event		*scan;
	struct workers		*workers;	/* outbox_set_async() */
	struct store_pool	*pool;
	int			 scanning;	/* a scan on a worker */
};

struct ticket {
	struct outbox	*ob;
	long long	 id;
};

struct creds {
	const char	*source, *user, *pass;
};

static void	deliver(struct outbox *, long long id, const struct creds *);

static void
wait_done(struct outbox_wait *w, int code, const char *msg)
{
	struct outbox_wait	**wp;

	for (wp = &w->ob->waits; *wp != NULL; wp = &(*wp)->next)
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	event_free(w->timer);
	if (w->cb != NULL)
		w->cb(code, msg, w->arg);
	free(w);
}

/* Tell whoever waits for entry id; returns how many did. */
static int
verdict(struct outbox *ob, long long id, int code, const char *msg)
{
	struct outbox_wait	*w, *next;
	int			 n = 0;

	for (w = ob->waits; w != NULL; w = next) {
		next = w->next;
		if (w->id == id && w->cb != NULL) {
			wait_done(w, code, msg);
			n++;
		}
	}
	return n;
}

static void
wait_timeout(evutil_socket_t fd, short ev, void *arg)
{
	/* No verdict in time: the entry stays queued and will be delivered. */
	wait_done(arg, 240, "queued for the blog");
}

struct outbox_wait *
outbox_deliver(struct outbox *ob, long long id, int timeout, const char *source,
    const char *user, const char *pass, outbox_cb cb, void *arg)
{
	struct creds		 cr = { source, user, pass };
	struct outbox_wait	*w = xcalloc(1, sizeof(*w));
	struct timeval		 tv = { timeout, 0 };

	w->ob = ob;
	w->id = id;
	w->cb = cb;
	w->arg = arg;
	w->timer = evtimer_new(ob->base, wait_timeout, w);
	evtimer_add(w->timer, &tv);
	w->next = ob->waits;
	ob->waits = w;
	deliver(ob, id, source && user && pass ? &cr : NULL);
	return w;
}

void
outbox_cancel(struct outbox_wait *w)
{
	w->cb = NULL;
	wait_done(w, 0, NULL);
}

static int
inflight(struct outbox *ob, long long id, int add)
{
	size_t	i;

	for (i = 0; i < ob->ninflight; i++)
		if (ob->inflight[i] == id) {
			if (add < 0)
				ob->inflight[i] = ob->inflight[--ob->ninflight];
			return 1;
		}
	if (add > 0) {
		ob->inflight = xreallocarray(ob->inflight, ob->ninflight + 1, sizeof(long long));
		ob->inflight[ob->ninflight++] = id;
	}
	return 0;
}

static time_t
retry_at(struct outbox *ob, int attempts, int retry_after)
{
	return time(NULL) + backoff(ob->conf ? ob->conf->retry_interval : 30, attempts - 1,
	    RETRY_MAX, retry_after, 25);
}

/* The blog accepted it: publish the comment now with the poster's Message-ID (held
 * comments are stored, and appear when the blog approves them). */
struct pubctx {
	struct outbox	*ob;
	const char	*msgid;
	struct importer	*im;
	long long	 comment_id;
};

static int
publish_cb(const struct item *it, void *arg)
{
	struct pubctx	*pc = arg;

	pc->comment_id = it->comment_id;
	return importer_item_msgid(pc->im, it, pc->msgid);
}

static void
accepted(struct outbox *ob, const struct store_outbox *e, const struct fetch_res *r)
{
	const struct conf_source	*src = conf_source_find(ob->conf, e->source);
	struct ingest_result		 res;
	struct pubctx			 pc;

	memset(&pc, 0, sizeof(pc));
	pc.ob = ob;
	pc.msgid = e->msgid;
	if (src == NULL || store_begin(ob->store) == -1)
		goto fallback;
	pc.im = importer_new(ob->store, ob->conf, src, ob->key);
	if (pc.im == NULL || ingest_buffer(r->body, r->body_len, "response", publish_cb, &pc,
	    &res) == -1 || pc.comment_id == 0 || store_outbox_finish(ob->store, e->id,
	    OB_DELIVERED, pc.comment_id, NULL) == -1 || importer_publish(pc.im) == -1 ||
	    store_commit(ob->store) == -1) {
		store_rollback(ob->store);
		importer_free(pc.im);
		goto fallback;
	}
	importer_free(pc.im);
	log_info("%s: %s delivered as comment %lld", e->source, e->msgid, pc.comment_id);
	return;
fallback:
	/* Delivered, but the answer could not be used: the next sync matches it. */
	store_outbox_finish(ob->store, e->id, OB_DELIVERED, 0, NULL);
	log_warn("%s: %s delivered; its comment id will be matched on the next sync",
	    e->source, e->msgid);
	if (ob->poller)
		poller_kick(ob->poller, e->source);
}

static void
delivered(const struct fetch_res *r, void *arg)
{
	struct ticket		*t = arg;
	struct outbox		*ob = t->ob;
	struct store_outbox	 e;
	json_t			*j = NULL;
	const char		*code = NULL, *message = NULL;
	char			 why[512];
	long long		 id = t->id;

	free(t);
	inflight(ob, id, -1);
	if (store_outbox_get(ob->store, id, &e) != 0)
		return;
	if (r->status >= 400 && r->status < 500 && r->body_len > 0 &&
	    (j = json_loadb(r->body, r->body_len, 0, NULL)) != NULL) {
		code = json_string_value(json_object_get(j, "code"));
		message = json_string_value(json_object_get(j, "message"));
	}
	if (r->status == 201 || r->status == 200) {
		accepted(ob, &e, r);
		verdict(ob, id, 240, "accepted by the blog");
	} else if (r->status == 409 && code && !strcmp(code, "comment_duplicate") &&
	    e.attempts > 1) {
		/* An earlier attempt got through before we heard back. */
		store_outbox_finish(ob->store, id, OB_DELIVERED, 0, NULL);
		log_info("%s: %s was delivered by an earlier attempt", e.source, e.msgid);
		if (ob->poller)
			poller_kick(ob->poller, e.source);
		verdict(ob, id, 240, "accepted by the blog");
	} else if (r->status >= 400 && r->status < 500 && r->status != 408 &&
	    r->status != 429) {
		snprintf(why, sizeof(why), "%s: %s", code ? code : "refused",
		    message ? message : "the blog refused the comment");
		/* The blog's message may hold HTML entities or tags; keep one plain line. */
		why[strcspn(why, "\r\n")] = '\0';
		store_outbox_finish(ob->store, id, OB_REFUSED, 0, why);
		log_info("%s: %s refused: %s", e.source, e.msgid, why);
		if (verdict(ob, id, 441, why) == 0 && ob->refused != NULL)
			ob->refused(&e, why, ob->refused_arg);
	} else {
		if (r->status)
			snprintf(why, sizeof(why), "blog answered HTTP %d", r->status);
		else
			snprintf(why, sizeof(why), "%s", r->error);
		store_outbox_retry(ob->store, id, retry_at(ob, e.attempts, r->retry_after), why);
		log_warn("%s: %s not delivered (%s); will retry", e.source, e.msgid, why);
		verdict(ob, id, 240, "queued for the blog");
	}
	json_decref(j);
	store_outbox_clear(&e);
}

static void
deliver(struct outbox *ob, long long id, const struct creds *cr)
{
	const struct conf_source	*src;
	struct store_outbox		 e;
	struct fetch_req		 req;
	struct ticket			*t;
	json_t				*body;
	char				*url = NULL, *json = NULL;
	time_t				 now, next;

	if (inflight(ob, id, 0) || ob->conf == NULL || store_outbox_get(ob->store, id, &e) != 0)
		return;
	if (e.state != OB_PENDING) {
		verdict(ob, id, e.state == OB_REFUSED ? 441 : 240, e.state == OB_REFUSED ?
		    e.last_error : "accepted by the blog");
		goto done;
	}
	if ((src = conf_source_find(ob->conf, e.source)) == NULL || src->type != SRC_WORDPRESS) {
		store_outbox_retry(ob->store, id, time(NULL) + RETRY_MAX, "source not configured");
		verdict(ob, id, 240, "queued");
		goto done;
	}
	/* Count the attempt durably before the request leaves; 1: another front end
	 * took it first (or it is no longer due). Not due again before this request
	 * has surely ended: no front end sharing the store sends it meanwhile. */
	now = time(NULL);
	next = retry_at(ob, e.attempts + 1, -1);
	if (next < now + fetcher_timeout(ob->fetch) + 5)
		next = now + fetcher_timeout(ob->fetch) + 5;
	if (store_outbox_attempt(ob->store, id, now, next) != 0)
		goto done;
	if (cr != NULL && strcmp(cr->source, e.source) != 0)
		cr = NULL;
	if (cr != NULL)		/* the user's own name and address come from WordPress */
		body = json_pack("{s:I, s:I, s:s}", "post", (json_int_t)e.post_id, "parent",
		    (json_int_t)e.parent_id, "content", e.html);
	else
		body = json_pack("{s:I, s:I, s:s, s:s, s:s}", "post", (json_int_t)e.post_id,
		    "parent", (json_int_t)e.parent_id, "content", e.html, "author_name",
		    e.author ? e.author : "", "author_email", e.email ? e.email : "");
	json = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	url = wp_rest_url(src->url, "/wp/v2/comments", NULL);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.content_type = "application/json";
	req.body = json;
	req.body_len = strlen(json);
	if (cr != NULL) {
		req.user = cr->user;
		req.password = cr->pass;
	} else if (src->user != NULL && src->app_password != NULL) {
		req.user = src->user;
		req.password = src->app_password;
	}
	t = xcalloc(1, sizeof(*t));
	t->ob = ob;
	t->id = id;
	inflight(ob, id, 1);
	if (fetch_start(ob->fetch, &req, delivered, t) == -1) {
		inflight(ob, id, -1);
		free(t);
		store_outbox_retry(ob->store, id, retry_at(ob, e.attempts + 1, -1), "cannot start");
		verdict(ob, id, 240, "queued");
	}
	log_debug("%s: delivering %s (attempt %d)", e.source, e.msgid, e.attempts + 1);
done:
	free(url);
	free(json);
	store_outbox_clear(&e);
}

static int
due_cb(long long id, void *arg)
{
	deliver(arg, id, NULL);
	return 0;
}

/* The due entries, read on a worker with a pool of stores (outbox_set_async). */
struct scan {
	struct outbox	*ob;
	long long	*ids;
	size_t		 n;
};

static int
scan_add(long long id, void *arg)
{
	struct scan	*sc = arg;

	sc->ids = xreallocarray(sc->ids, sc->n + 1, sizeof(*sc->ids));
	sc->ids[sc->n++] = id;
	return 0;
}

static void
scan_run(struct store *st, void *arg)
{
	store_outbox_due(st, time(NULL), scan_add, arg);
}

static void
scan_done(void *arg, int ok)
{
	struct scan	*sc = arg;
	size_t		 i;

	sc->ob->scanning = 0;
	if (event_base_got_exit(sc->ob->base))
		ok = 0;		/* stopping: they go out next time */
	for (i = 0; ok && i < sc->n; i++)
		deliver(sc->ob, sc->ids[i], NULL);
	free(sc->ids);
	free(sc);
}

static void
scan_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct outbox	*ob = arg;
	struct scan	*sc;

	if (ob->pool == NULL) {
		store_outbox_due(ob->store, time(NULL), due_cb, ob);
		return;
	}
	if (ob->scanning)
		return;
	ob->scanning = 1;
	sc = xcalloc(1, sizeof(*sc));
	sc->ob = ob;
	work_store(ob->workers, ob->pool, NULL, scan_run, scan_done, sc);
}

void
outbox_set_async(struct outbox *ob, struct workers *w, struct store_pool *pool)
{
	ob->workers = w;
	ob->pool = pool;
}

struct outbox *
outbox_new(struct event_base *base, struct fetcher *f, struct store *st,
    const unsigned char key[SECRET_LEN])
{
	struct outbox	*ob = xcalloc(1, sizeof(*ob));

	ob->base = base;
	ob->fetch = f;
	ob->store = st;
	ob->key = key;
	ob->scan = event_new(base, -1, EV_PERSIST, scan_cb, ob);
	return ob;
}

void
outbox_set_conf(struct outbox *ob, const struct conf *c, struct poller *p)
{
	struct timeval	tv = { c->retry_interval < SCAN_EVERY ? c->retry_interval : SCAN_EVERY, 0 };

	ob->conf = c;
	ob->poller = p;
	/* Look for due entries every few seconds (one indexed query): an entry made due
	 * by `confab outbox retry`, here or on another front end, goes out promptly; those
	 * left from before a restart go out now. */
	event_del(ob->scan);
	event_add(ob->scan, &tv);
	event_base_once(ob->base, -1, EV_TIMEOUT, scan_cb, ob, NULL);
}

void
outbox_kick(struct outbox *ob)
{
	event_base_once(ob->base, -1, EV_TIMEOUT, scan_cb, ob, NULL);
}

void
outbox_on_refused(struct outbox *ob, outbox_refused_cb cb, void *arg)
{
	ob->refused = cb;
	ob->refused_arg = arg;
}

void
outbox_free(struct outbox *ob)
{
	if (ob == NULL)
		return;
	while (ob->waits != NULL)
		outbox_cancel(ob->waits);
	event_free(ob->scan);
	free(ob->inflight);
	free(ob);
}
