/* test_store_status.c: what an operator sees: poll results, heartbeats, queue depths,
 * retry and drop of outbox and mail queue entries. On SQLite, and on PostgreSQL too
 * when CONFAB_TEST_PG names an empty database (tests/integration/status.t does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "tap.h"

struct seen {
	int		 n;
	long long	 id[8];
	char		 what[8][128];
};

static int
ob_cb(const struct store_outbox *e, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 8) {
		s->id[s->n] = e->id;
		snprintf(s->what[s->n], sizeof(s->what[0]), "%d/%d/%s", e->state, e->attempts,
		    e->last_error ? e->last_error : "-");
	}
	s->n++;
	return 0;
}

static int
mq_cb(const struct store_mq *q, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 8) {
		s->id[s->n] = q->id;
		snprintf(s->what[s->n], sizeof(s->what[0]), "%d/%d/%d/%s/%s/%s", q->kind,
		    q->state, q->attempts, q->last_error ? q->last_error : "-",
		    q->address ? q->address : "-", q->group ? q->group : "-");
	}
	s->n++;
	return 0;
}

static int
ss_cb(const struct store_source_status *ss, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 8)
		snprintf(s->what[s->n], sizeof(s->what[0]), "%s %s %d %s", ss->source,
		    store_poll_result_name(ss->result), ss->fails, ss->error ? ss->error : "-");
	s->n++;
	return 0;
}

static int
fe_cb(const struct store_frontend *fe, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 8)
		snprintf(s->what[s->n], sizeof(s->what[0]), "%s %d %d", fe->owner, fe->nntp,
		    fe->lmtp);
	s->n++;
	return 0;
}

static int
subs_cb(const struct store_group_subs *g, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 8)
		snprintf(s->what[s->n], sizeof(s->what[0]), "%s %lld/%lld/%lld", g->group,
		    g->pending, g->active, g->suspended);
	s->n++;
	return 0;
}

static void
run(struct store *st, const char *engine)
{
	struct store_source_status	 ss;
	struct store_frontend		 fe;
	struct store_status		 sst;
	struct store_outbox		 e;
	struct store_info		 in;
	struct store_sub		 sub;
	struct seen			 seen;
	long long			 gid, id1, id2, id3, n;
	time_t				 now = time(NULL);

	printf("# %s\n", engine);
	ok(store_info(st, &in) == 0 && in.schema == (in.backend == STORE_SQLITE ?
	    STORE_SCHEMA_VERSION : 7) && in.size > 0, "%s: store info: %s, %lld octets",
	    engine, in.where, in.size);

	/* Poll results: fails counted, last_ok kept, next_poll 0 keeps the scheduled. */
	memset(&ss, 0, sizeof(ss));
	ss.source = "blog";
	ss.polled = now - 20;
	ss.result = POLL_OK;
	ss.next_poll = now + 300;
	ss.owner = "h:1";
	ok(store_source_status_put(st, &ss) == 0, "%s: poll result recorded", engine);
	ss.polled = now - 10;
	ss.result = POLL_UNREACHABLE;
	ss.error = "Couldn't connect to server";
	ss.next_poll = 0;
	store_source_status_put(st, &ss);
	ss.result = POLL_HTTP;
	ss.http_status = 503;
	ss.error = "HTTP 503";
	store_source_status_put(st, &ss);
	ok(store_source_status_get(st, "blog", &ss) == 0, "%s: read back", engine);
	is_int(ss.result, POLL_HTTP, "%s: the last result", engine);
	is_int(ss.http_status, 503, "%s: its status", engine);
	is_int(ss.fails, 2, "%s: two failed runs in a row", engine);
	is_int(ss.last_ok, now - 20, "%s: the last good run kept", engine);
	is_int(ss.next_poll, now + 300, "%s: next_poll 0 keeps the scheduled one", engine);
	store_source_status_clear(&ss);
	is_int(store_source_status_get(st, "nope", &ss), 1, "%s: unknown source", engine);
	memset(&seen, 0, sizeof(seen));
	store_source_status_each(st, ss_cb, &seen);
	is_int(seen.n, 1, "%s: one source", engine);
	is_str(seen.what[0], "blog http error 2 HTTP 503", "%s: listed", engine);

	/* Heartbeats: old rows pruned, a stopped front end removes its own. */
	memset(&fe, 0, sizeof(fe));
	fe.owner = "a:1";
	fe.version = "t";
	fe.started = fe.seen = now - 1000;
	store_frontend_beat(st, &fe, 0);
	fe.owner = "b:2";
	fe.started = fe.seen = now;
	fe.nntp = 3;
	fe.lmtp = 1;
	ok(store_frontend_beat(st, &fe, now - 500) == 0, "%s: heartbeat", engine);
	fe.nntp = 4;
	store_frontend_beat(st, &fe, now - 500);
	memset(&seen, 0, sizeof(seen));
	store_frontend_each(st, fe_cb, &seen);
	is_int(seen.n, 1, "%s: the stale front end was pruned", engine);
	is_str(seen.what[0], "b:2 4 1", "%s: the live one, updated", engine);
	store_frontend_gone(st, "b:2");
	memset(&seen, 0, sizeof(seen));
	store_frontend_each(st, fe_cb, &seen);
	is_int(seen.n, 0, "%s: gone when it stops", engine);

	/* Outbox: depths, retry now, the attempt on its way left alone, drop. */
	memset(&e, 0, sizeof(e));
	e.source = "blog";
	e.post_id = 1;
	e.html = "x";
	e.next_try = now + 3600;
	e.msgid = "<1@t>";
	store_outbox_add(st, &e, &id1);
	e.msgid = "<2@t>";
	store_outbox_add(st, &e, &id2);
	e.msgid = "<3@t>";
	store_outbox_add(st, &e, &id3);
	store_outbox_retry(st, id1, now + 3600, "blog answered HTTP 503");
	store_outbox_finish(st, id3, OB_REFUSED, 0, "comment_closed: closed");
	ok(store_status(st, &sst) == 0, "%s: status", engine);
	is_int(sst.outbox_pending, 2, "%s: two pending", engine);
	is_int(sst.outbox_refused, 1, "%s: one refused", engine);
	ok(sst.outbox_oldest >= now - 5 && sst.outbox_oldest <= now + 5, "%s: oldest", engine);
	memset(&seen, 0, sizeof(seen));
	store_outbox_each(st, 0, ob_cb, &seen);
	is_int(seen.n, 3, "%s: outbox list", engine);
	is_str(seen.what[0], "0/0/blog answered HTTP 503", "%s: its error", engine);
	ok(store_outbox_due_now(st, id1, now, &n) == 0 && n == 1, "%s: retry one", engine);
	/* An attempt on its way (for 2 s): neither due now, nor dropped, nor taken again. */
	now = time(NULL);
	ok(store_outbox_attempt(st, id1, now, now + 2) == 0, "%s: attempt taken", engine);
	store_outbox_get(st, id1, &e);
	is_int(e.trying, 1, "%s: on its way", engine);
	store_outbox_clear(&e);
	is_int(store_outbox_due_now(st, id1, now, &n), 1, "%s: not made due meanwhile", engine);
	is_int(store_outbox_drop(st, id1, now), 1, "%s: nor dropped", engine);
	if (in.backend == STORE_POSTGRESQL) {
		/* Front ends on several hosts: the database's clock decides, so one whose
		 * clock is an hour ahead takes neither that attempt nor a lease early. */
		is_int(store_outbox_attempt(st, id1, now + 3600, now + 3602), 1,
		    "%s: not taken again by a clock an hour ahead", engine);
		is_int(store_outbox_due_now(st, id1, now + 3600, &n), 1, "%s: nor made due "
		    "by it", engine);
		is_int(store_outbox_drop(st, id1, now + 3600), 1, "%s: nor dropped by it", engine);
		is_int(store_lease(st, "poll:x", "a:1", now, now + 60), 0, "%s: lease taken",
		    engine);
		is_int(store_lease(st, "poll:x", "b:2", now + 3600, now + 3660), 1,
		    "%s: not by a clock an hour ahead", engine);
		is_int(store_lease(st, "poll:x", "a:1", now + 1, now + 61), 0,
		    "%s: the holder renews it", engine);
	}
	sleep(3);
	now = time(NULL);
	ok(store_outbox_due_now(st, id1, now, &n) == 0, "%s: once it has surely "
	    "ended, it may be", engine);
	ok(store_outbox_due_now(st, 0, now, &n) == 0 && n == 3, "%s: retry all: the three, "
	    "the refused one pending again (%lld)", engine, n);
	store_outbox_get(st, id3, &e);
	is_int(e.state, OB_PENDING, "%s: refused -> pending", engine);
	store_outbox_clear(&e);
	store_outbox_finish(st, id2, OB_DELIVERED, 7, NULL);
	is_int(store_outbox_drop(st, id2, now), 1, "%s: a delivered entry is kept", engine);
	is_int(store_outbox_drop(st, 999, now), 1, "%s: no such entry", engine);
	is_int(store_outbox_drop(st, id3, now), 0, "%s: dropped", engine);
	memset(&seen, 0, sizeof(seen));
	store_outbox_each(st, 1, ob_cb, &seen);
	is_int(seen.n, 2, "%s: all: the delivered too, not the dropped", engine);

	/* Mail queue. */
	store_group_ensure(st, "blogs.t", "", 0, &gid);
	store_group_ensure(st, "blogs.empty", "", 0, &n);
	store_sub_add(st, gid, "", "a@x.test", SUB_EACH, SUB_ACTIVE, &sub);
	store_mq_add(st, sub.id, 0, MQ_PREPARED, now, "m", 1);
	store_mq_add(st, sub.id, 5, MQ_DIGEST_ITEM, (time_t)1 << 50, NULL, 0);
	store_mq_add(st, sub.id, 6, MQ_ARTICLE, now, NULL, 0);
	store_sub_clear(&sub);
	store_sub_add(st, gid, "", "b@x.test", SUB_EACH, SUB_PENDING, &sub);
	store_sub_clear(&sub);
	memset(&seen, 0, sizeof(seen));
	store_mq_each(st, mq_cb, &seen);
	is_int(seen.n, 3, "%s: mail queue list", engine);
	ok(store_mq_defer(st, seen.id[0], now + 600, "451 try later") == 0, "%s: deferred",
	    engine);
	store_mq_claim(st, seen.id[2], MQ_SENDING, now);
	store_status(st, &sst);
	is_int(sst.mq_failed, 1, "%s: one failed", engine);
	is_int(sst.mq_sending, 1, "%s: one sending", engine);
	is_int(sst.mq_digest, 1, "%s: one digest item", engine);
	is_int(sst.mq_queued, 0, "%s: none queued untried", engine);
	ok(sst.mq_oldest >= now - 5 && sst.mq_oldest <= now + 5, "%s: mail oldest", engine);
	memset(&seen, 0, sizeof(seen));
	store_mq_each(st, mq_cb, &seen);
	is_str(seen.what[0], "1/0/1/451 try later/a@x.test/blogs.t", "%s: its error and "
	    "subscriber", engine);
	ok(store_mq_due_now(st, seen.id[0], now, &n) == 0 && n == 1, "%s: retry", engine);
	is_int(store_mq_due_now(st, seen.id[1], now, &n), 1, "%s: a digest item is not", engine);
	is_int(store_mq_due_now(st, seen.id[2], now, &n), 1, "%s: nor one being sent", engine);
	is_int(store_mq_drop(st, seen.id[2]), 1, "%s: which is not dropped", engine);
	is_int(store_mq_drop(st, seen.id[0]), 0, "%s: dropped", engine);
	is_int(store_mq_drop(st, seen.id[0]), 1, "%s: once", engine);

	memset(&seen, 0, sizeof(seen));
	store_sub_counts(st, subs_cb, &seen);
	is_int(seen.n, 2, "%s: every group", engine);
	is_str(seen.what[0], "blogs.empty 0/0/0", "%s: one without subscribers", engine);
	is_str(seen.what[1], "blogs.t 1/1/0", "%s: pending and active", engine);
}

int
main(void)
{
	char		 dir[] = "/tmp/confab-test-status-XXXXXX", path[256], err[256];
	const char	*pg = getenv("CONFAB_TEST_PG");
	struct store	*st;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/c.db", dir);
	if ((st = store_open(path, 1000, err, sizeof(err))) == NULL) {
		ok(0, "store opens: %s", err);
		return tap_done();
	}
	run(st, "SQLite");
	store_close(st);
	if (pg != NULL && *pg) {
		st = store_connect(STORE_POSTGRESQL, pg, 1000, err, sizeof(err));
		ok(st != NULL, "PostgreSQL store opens (%s)", st ? "" : err);
		if (st != NULL)
			run(st, "PostgreSQL");
		store_close(st);
	}
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return tap_done();
}
