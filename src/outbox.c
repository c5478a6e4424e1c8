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

struct creds {
	const char	*source, *user, *pass;
};

static void	deliver(struct outbox *, long long id, const struct creds *);
static void	deliver_later(struct outbox *, long long id, const struct creds *);

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
	/* From the loop, not from in here: a verdict at once must not end w before
	 * the caller has it. */
	deliver_later(ob, id, source && user && pass ? &cr : NULL);
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
retry_at(const struct conf *c, int attempts, int retry_after)
{
	return time(NULL) + backoff(c ? c->retry_interval : 30, attempts - 1, RETRY_MAX,
	    retry_after, 25);
}

/* One delivery, from the entry's reading to the blog's answer recorded: the store's
 * parts in run()s (on a worker with a pool of stores), the rest here. */
enum { W_NONE, W_VERDICT, W_SEND, W_REFUSED };

struct obwork {
	struct outbox		*ob;
	struct conf		*conf;		/* held */
	long long		 id;
	char			*cr_source, *cr_user, *cr_pass;	/* as the user, or NULL */
	time_t			 floor;		/* no retry before: the request surely ended */
	struct store_outbox	 e;
	int			 what;		/* the outcome, W_* */
	int			 code;		/* W_VERDICT, W_REFUSED */
	char			 msg[512];
	int			 kick;		/* poll the source again soon */
	/* The blog's answer. */
	int			 status, retry_after;
	char			*body, *error;
	size_t			 body_len;
};

static void
obwork_free(struct obwork *w)
{
	store_outbox_clear(&w->e);
	conf_free(w->conf);
	free(w->cr_source);
	free(w->cr_user);
	if (w->cr_pass != NULL)
		explicit_bzero(w->cr_pass, strlen(w->cr_pass));
	free(w->cr_pass);
	free(w->body);
	free(w->error);
	free(w);
}

static void
outcome(struct obwork *w, int what, int code, const char *msg)
{
	w->what = what;
	w->code = code;
	snprintf(w->msg, sizeof(w->msg), "%s", msg ? msg : "");
}

/* The blog accepted it: publish the comment now with the poster's Message-ID (held
 * comments are stored, and appear when the blog approves them). */
struct pubctx {
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
accepted(struct store *st, struct obwork *w)
{
	const struct store_outbox	*e = &w->e;
	const struct conf_source	*src = conf_source_find(w->conf, e->source);
	struct ingest_result		 res;
	struct pubctx			 pc;

	memset(&pc, 0, sizeof(pc));
	pc.msgid = e->msgid;
	if (src == NULL || store_begin(st) == -1)
		goto fallback;
	pc.im = importer_new(st, w->conf, src, w->ob->key);
	if (pc.im == NULL || ingest_buffer(w->body, w->body_len, "response", publish_cb, &pc,
	    &res) == -1 || pc.comment_id == 0 || store_outbox_finish(st, e->id,
	    OB_DELIVERED, pc.comment_id, NULL) == -1 || importer_publish(pc.im) == -1 ||
	    store_commit(st) == -1) {
		store_rollback(st);
		importer_free(pc.im);
		goto fallback;
	}
	importer_free(pc.im);
	log_info("%s: %s delivered as comment %lld", e->source, e->msgid, pc.comment_id);
	return;
fallback:
	/* Delivered, but the answer could not be used: the next sync matches it. */
	store_outbox_finish(st, e->id, OB_DELIVERED, 0, NULL);
	log_warn("%s: %s delivered; its comment id will be matched on the next sync",
	    e->source, e->msgid);
	w->kick = 1;
}

static void
answer_run(struct store *st, void *arg)
{
	struct obwork		*w = arg;
	struct store_outbox	*e = &w->e;
	json_t			*j = NULL;
	const char		*code = NULL, *message = NULL;
	char			 why[512];

	store_outbox_clear(e);
	if (store_outbox_get(st, w->id, e) != 0) {
		memset(e, 0, sizeof(*e));
		return;
	}
	if (w->status >= 400 && w->status < 500 && w->body_len > 0 &&
	    (j = json_loadb(w->body, w->body_len, 0, NULL)) != NULL) {
		code = json_string_value(json_object_get(j, "code"));
		message = json_string_value(json_object_get(j, "message"));
	}
	if (w->status == 201 || w->status == 200) {
		accepted(st, w);
		outcome(w, W_VERDICT, 240, "accepted by the blog");
	} else if (w->status == 409 && code && !strcmp(code, "comment_duplicate") &&
	    e->attempts > 1) {
		/* An earlier attempt got through before we heard back. */
		store_outbox_finish(st, w->id, OB_DELIVERED, 0, NULL);
		log_info("%s: %s was delivered by an earlier attempt", e->source, e->msgid);
		w->kick = 1;
		outcome(w, W_VERDICT, 240, "accepted by the blog");
	} else if (w->status >= 400 && w->status < 500 && w->status != 408 &&
	    w->status != 429) {
		snprintf(why, sizeof(why), "%s: %s", code ? code : "refused",
		    message ? message : "the blog refused the comment");
		/* The blog's message may hold HTML entities or tags; keep one plain line. */
		why[strcspn(why, "\r\n")] = '\0';
		store_outbox_finish(st, w->id, OB_REFUSED, 0, why);
		log_info("%s: %s refused: %s", e->source, e->msgid, why);
		outcome(w, W_REFUSED, 441, why);
	} else {
		if (w->status)
			snprintf(why, sizeof(why), "blog answered HTTP %d", w->status);
		else
			snprintf(why, sizeof(why), "%s", w->error ? w->error : "no answer");
		store_outbox_retry(st, w->id, retry_at(w->conf, e->attempts, w->retry_after),
		    why);
		log_warn("%s: %s not delivered (%s); will retry", e->source, e->msgid, why);
		outcome(w, W_VERDICT, 240, "queued for the blog");
	}
	json_decref(j);
}

static void
answer_done(void *arg, int ok)
{
	struct obwork	*w = arg;
	struct outbox	*ob = w->ob;

	inflight(ob, w->id, -1);
	if (ok && !event_base_got_exit(ob->base)) {
		if (w->kick && ob->poller != NULL)
			poller_kick(ob->poller, w->e.source);
		if (w->what == W_VERDICT)
			verdict(ob, w->id, w->code, w->msg);
		else if (w->what == W_REFUSED && verdict(ob, w->id, 441, w->msg) == 0 &&
		    ob->refused != NULL)
			ob->refused(&w->e, w->msg, ob->refused_arg);
	}
	obwork_free(w);
}

/* The blog's answer (or none): recorded, then told. */
static void
answer(struct obwork *w, int status, const char *body, size_t len, const char *error,
    int retry_after)
{
	w->status = status;
	w->retry_after = retry_after;
	w->body_len = len;
	w->body = xmalloc(len + 1);
	if (len > 0)
		memcpy(w->body, body, len);
	w->body[len] = '\0';
	w->error = error != NULL ? xstrdup(error) : NULL;
	w->what = W_NONE;
	work_store(w->ob->workers, w->ob->pool, w->ob->store, answer_run, answer_done, w);
}

static void
delivered(const struct fetch_res *r, void *arg)
{
	answer(arg, r->status, r->body, r->body_len, r->error, r->retry_after);
}

/* The entry read and, if it is to go, its attempt counted durably before the request
 * leaves. */
static void
attempt_run(struct store *st, void *arg)
{
	struct obwork			*w = arg;
	struct store_outbox		*e = &w->e;
	const struct conf_source	*src;
	time_t				 now, next;

	if (store_outbox_get(st, w->id, e) != 0) {
		memset(e, 0, sizeof(*e));
		return;
	}
	if (e->state != OB_PENDING) {
		outcome(w, W_VERDICT, e->state == OB_REFUSED ? 441 : 240,
		    e->state == OB_REFUSED ? e->last_error : "accepted by the blog");
		return;
	}
	if ((src = conf_source_find(w->conf, e->source)) == NULL ||
	    src->type != SRC_WORDPRESS) {
		store_outbox_retry(st, w->id, time(NULL) + RETRY_MAX, "source not configured");
		outcome(w, W_VERDICT, 240, "queued");
		return;
	}
	/* 1: another front end took it first (or it is no longer due). Not due again
	 * before this request has surely ended: no front end sharing the store sends it
	 * meanwhile. */
	now = time(NULL);
	next = retry_at(w->conf, e->attempts + 1, -1);
	if (next < now + w->floor)
		next = now + w->floor;
	if (store_outbox_attempt(st, w->id, now, next) == 0)
		w->what = W_SEND;
}

static void
send_request(struct obwork *w)
{
	struct outbox			*ob = w->ob;
	const struct store_outbox	*e = &w->e;
	const struct conf_source	*src = conf_source_find(w->conf, e->source);
	struct fetch_req		 req;
	json_t				*body;
	char				*url, *json;
	int				 as_user = w->cr_source != NULL &&
					    !strcmp(w->cr_source, e->source);

	if (as_user)		/* the user's own name and address come from WordPress */
		body = json_pack("{s:I, s:I, s:s}", "post", (json_int_t)e->post_id, "parent",
		    (json_int_t)e->parent_id, "content", e->html);
	else
		body = json_pack("{s:I, s:I, s:s, s:s, s:s}", "post", (json_int_t)e->post_id,
		    "parent", (json_int_t)e->parent_id, "content", e->html, "author_name",
		    e->author ? e->author : "", "author_email", e->email ? e->email : "");
	json = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	url = wp_rest_url(src->url, "/wp/v2/comments", NULL);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.content_type = "application/json";
	req.body = json;
	req.body_len = strlen(json);
	if (as_user) {
		req.user = w->cr_user;
		req.password = w->cr_pass;
	} else if (src->user != NULL && src->app_password != NULL) {
		req.user = src->user;
		req.password = src->app_password;
	}
	log_debug("%s: delivering %s (attempt %d)", e->source, e->msgid, e->attempts + 1);
	if (fetch_start(ob->fetch, &req, delivered, w) == -1)
		answer(w, 0, NULL, 0, "cannot start the request", -1);
	free(url);
	free(json);
}

static void
attempt_done(void *arg, int ok)
{
	struct obwork	*w = arg;
	struct outbox	*ob = w->ob;

	if (ok && w->what == W_SEND && !event_base_got_exit(ob->base)) {
		send_request(w);	/* still in flight */
		return;
	}
	inflight(ob, w->id, -1);
	if (ok && w->what == W_VERDICT && !event_base_got_exit(ob->base))
		verdict(ob, w->id, w->code, w->msg);
	obwork_free(w);
}

static struct obwork *
obwork_new(struct outbox *ob, long long id, const struct creds *cr)
{
	struct obwork	*w = xcalloc(1, sizeof(*w));

	w->ob = ob;
	w->conf = conf_hold(ob->conf);
	w->id = id;
	if (cr != NULL) {
		w->cr_source = xstrdup(cr->source);
		w->cr_user = xstrdup(cr->user);
		w->cr_pass = xstrdup(cr->pass);
	}
	w->floor = fetcher_timeout(ob->fetch) + 5;
	return w;
}

static void
attempt(struct obwork *w)
{
	struct outbox	*ob = w->ob;

	if (inflight(ob, w->id, 0)) {
		obwork_free(w);		/* one is under way already */
		return;
	}
	inflight(ob, w->id, 1);	/* from the reading to the answer recorded */
	work_store(ob->workers, ob->pool, ob->store, attempt_run, attempt_done, w);
}

static void
deliver(struct outbox *ob, long long id, const struct creds *cr)
{
	if (ob->conf != NULL)
		attempt(obwork_new(ob, id, cr));
}

static void
deliver_cb(evutil_socket_t fd, short ev, void *arg)
{
	attempt(arg);
}

static void
deliver_later(struct outbox *ob, long long id, const struct creds *cr)
{
	struct timeval	tv = { 0, 0 };

	if (ob->conf == NULL)
		return;
	event_base_once(ob->base, -1, EV_TIMEOUT, deliver_cb, obwork_new(ob, id, cr), &tv);
}

/* The due entries, read on a worker with a pool of stores (outbox_set_async), at once
 * without. */
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

	if (ob->scanning)
		return;
	ob->scanning = 1;
	sc = xcalloc(1, sizeof(*sc));
	sc->ob = ob;
	work_store(ob->workers, ob->pool, ob->store, scan_run, scan_done, sc);
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
