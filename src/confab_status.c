/* confab_status.c: what confab is doing, for its operator: `confab status [--json]`,
 * and the queues like postqueue(1): `confab outbox|mailq list|retry|drop`. Everything
 * comes from the store, so it works the same for one confabd or several sharing one
 * PostgreSQL store, and whether or not a confabd runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "confab.h"
#include "log.h"

#define ALIVE_FOR	45	/* s: a front end whose heartbeat is older has stopped */
#define STATUS_MAX	20	/* entries of each queue shown by status */
/* How soon a running confabd sends what was made due (outbox.c, mail.c: 5 s). */
#define SOON	"; a running confabd sends it within 5 seconds"

static const char *src_types[] = { "?", "local", "wordpress", "atom", "rss" };
static const char *ob_states[] = { "pending", "delivered", "refused" };
static const char *mq_kinds[] = { "article", "prepared", "digest item" };

/* "2025-01-31 12:00:05", or "-" for 0. */
static const char *
when(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (t <= 0 || localtime_r(&t, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* "42s", "5m", "3h", "2d". */
static const char *
age(time_t from, time_t now, char *buf, size_t len)
{
	long long	d = (long long)(now - from);

	if (from <= 0)
		return "-";
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, len, "%llds", d);
	else if (d < 7200)
		snprintf(buf, len, "%lldm", d / 60);
	else if (d < 2 * 86400)
		snprintf(buf, len, "%lldh", d / 3600);
	else
		snprintf(buf, len, "%lldd", d / 86400);
	return buf;
}

static json_t *
jtime(time_t t)
{
	return t > 0 ? json_integer((json_int_t)t) : json_null();
}

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* An id on the command line: 0 for "all" when allowed, -1 if not an id. */
static long long
parse_id(const char *s, int all)
{
	char		*end;
	long long	 v;

	if (all && !strcmp(s, "all"))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return -1;
	return v;
}

/* Status. */

struct collect {
	json_t		*a;
	time_t		 now;
	long		 n, max;	/* max 0: all */
};

static int
fe_json(const struct store_frontend *fe, void *arg)
{
	struct collect	*c = arg;

	json_array_append_new(c->a, json_pack("{s:s, s:o, s:o, s:o, s:b, s:i, s:i}",
	    "owner", fe->owner, "version", jstr(fe->version), "started", jtime(fe->started),
	    "seen", jtime(fe->seen), "alive", c->now - fe->seen <= ALIVE_FOR, "nntp",
	    fe->nntp, "lmtp", fe->lmtp));
	return 0;
}

static json_t *
ob_json(const struct store_outbox *e)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:o, s:s, s:i, s:o, s:o, s:o, s:b, s:o}",
	    "id", (json_int_t)e->id, "source", e->source, "msgid", e->msgid,
	    "post", (json_int_t)e->post_id, "parent", (json_int_t)e->parent_id,
	    "author", jstr(e->author), "state", ob_states[e->state % 3], "attempts",
	    e->attempts, "next_try", e->state == OB_PENDING ? jtime(e->next_try) : json_null(),
	    "last_error", jstr(e->last_error), "created", jtime(e->created), "trying",
	    e->trying, "comment", e->comment_id ? json_integer(e->comment_id) : json_null());
}

static int
ob_collect(const struct store_outbox *e, void *arg)
{
	struct collect	*c = arg;

	if (c->max == 0 || c->n < c->max)
		json_array_append_new(c->a, ob_json(e));
	c->n++;
	return 0;
}

static json_t *
mq_json(const struct store_mq *q)
{
	return json_pack("{s:I, s:s, s:o, s:o, s:o, s:s, s:i, s:o, s:o, s:o}",
	    "id", (json_int_t)q->id, "kind", mq_kinds[q->kind % 3], "address", jstr(q->address),
	    "group", jstr(q->group), "article", q->article_id > 0 ?
	    json_integer(q->article_id) : json_null(), "state", q->kind == MQ_DIGEST_ITEM ?
	    "digest" : q->state == MQ_SENDING ? "sending" : q->attempts > 0 ? "failed" :
	    "queued", "attempts", q->attempts, "next_try", q->state == MQ_QUEUED &&
	    q->kind != MQ_DIGEST_ITEM ? jtime(q->next_try) : json_null(),
	    "last_error", jstr(q->last_error), "created", jtime(q->created));
}

static int
mq_collect(const struct store_mq *q, void *arg)
{
	struct collect	*c = arg;

	if (q->kind == MQ_DIGEST_ITEM && c->max > 0)
		return 0;	/* status: counted, not listed */
	if (c->max == 0 || c->n < c->max)
		json_array_append_new(c->a, mq_json(q));
	c->n++;
	return 0;
}

static int
subs_json(const struct store_group_subs *g, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:I}", "group", g->group,
	    "active", (json_int_t)g->active, "pending", (json_int_t)g->pending,
	    "suspended", (json_int_t)g->suspended));
	return 0;
}

/* The whole status as one JSON object: --json prints it, the text is made from it. */
static json_t *
status_json(struct store *st, time_t now)
{
	struct store_info		 in;
	struct store_status		 ss;
	struct store_source_status	 ps;
	struct collect			 c;
	json_t				*o, *a, *q;
	int				 i, rc;

	if (store_info(st, &in) == -1 || store_status(st, &ss) == -1)
		return NULL;
	o = json_pack("{s:s, s:I, s:{s:s, s:s, s:o, s:i}}", "version", PACKAGE_VERSION,
	    "now", (json_int_t)now, "store", "backend", in.backend == STORE_POSTGRESQL ?
	    "postgresql" : "sqlite", "location", in.where, "size", in.size >= 0 ?
	    json_integer(in.size) : json_null(), "schema", in.schema);

	c.a = a = json_array();
	c.now = now;
	if (store_frontend_each(st, fe_json, &c) == -1)
		goto fail;
	json_object_set_new(o, "frontends", a);

	a = json_array();
	json_object_set_new(o, "sources", a);
	for (i = 0; i < conf->nsources; i++) {
		const struct conf_source	*src = &conf->sources[i];

		if ((rc = store_source_status_get(st, src->name, &ps)) == -1)
			goto fail;
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:o, s:o,"
		    " s:o, s:o, s:i, s:o}", "name", src->name, "type", src_types[src->type % 5],
		    "url", jstr(src->url), "group", src->group, "last_poll", jtime(ps.polled),
		    "result", src->type == SRC_LOCAL ? "local" : store_poll_result_name(ps.result),
		    "http_status", ps.http_status ? json_integer(ps.http_status) : json_null(),
		    "error", jstr(ps.error), "next_poll", jtime(ps.next_poll), "last_ok",
		    jtime(ps.last_ok), "fails", ps.fails, "polled_by", jstr(ps.owner)));
		store_source_status_clear(&ps);
	}

	c.a = a = json_array();
	c.n = 0;
	c.max = STATUS_MAX;
	if (store_outbox_each(st, 0, ob_collect, &c) == -1)
		goto fail;
	q = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "pending",
	    (json_int_t)ss.outbox_pending, "failing", (json_int_t)ss.outbox_failing,
	    "refused", (json_int_t)ss.outbox_refused, "delivered",
	    (json_int_t)ss.outbox_delivered, "oldest", jtime(ss.outbox_oldest), "entries", a);
	json_object_set_new(o, "outbox", q);

	c.a = a = json_array();
	c.n = 0;
	if (store_mq_each(st, mq_collect, &c) == -1)
		goto fail;
	q = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "queued", (json_int_t)ss.mq_queued,
	    "failed", (json_int_t)ss.mq_failed, "sending", (json_int_t)ss.mq_sending,
	    "digest", (json_int_t)ss.mq_digest, "oldest", jtime(ss.mq_oldest), "entries", a);
	json_object_set_new(o, "mailq", q);

	a = json_array();
	json_object_set_new(o, "subscribers", a);
	if (store_sub_counts(st, subs_json, a) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static const char *
js(json_t *o, const char *k)
{
	const char	*v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static long long
ji(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
human_size(long long n, char *buf, size_t len)
{
	if (n < 0)
		snprintf(buf, len, "size unknown");
	else if (n < 10 * 1024 * 1024)
		snprintf(buf, len, "%lld KiB", (n + 1023) / 1024);
	else
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
}

static void
status_text(json_t *o)
{
	json_t		*s = json_object_get(o, "store"), *v, *q;
	time_t		 now = (time_t)ji(o, "now");
	char		 b1[32], b2[32], b3[32];
	size_t		 i;

	human_size(json_is_null(json_object_get(s, "size")) ? -1 : ji(s, "size"), b1,
	    sizeof(b1));
	printf("store: %s %s, %s, schema %lld\n", !strcmp(js(s, "backend"), "sqlite") ?
	    "SQLite" : "PostgreSQL", js(s, "location"), b1, ji(s, "schema"));

	q = json_object_get(o, "frontends");
	printf("front ends: %zu\n", json_array_size(q));
	json_array_foreach(q, i, v)
		printf("  %s: %s, %lld NNTP and %lld LMTP connections, up since %s, last seen "
		    "%s ago\n", js(v, "owner"), json_is_true(json_object_get(v, "alive")) ?
		    "running" : "NOT RUNNING (no heartbeat)", ji(v, "nntp"), ji(v, "lmtp"),
		    when((time_t)ji(v, "started"), b1, sizeof(b1)),
		    age((time_t)ji(v, "seen"), now, b2, sizeof(b2)));

	q = json_object_get(o, "sources");
	printf("sources: %zu\n", json_array_size(q));
	json_array_foreach(q, i, v) {
		if (!strcmp(js(v, "type"), "local")) {
			printf("  %s (local, %s): confab is the comment store\n", js(v, "name"),
			    js(v, "group"));
			continue;
		}
		printf("  %s (%s %s): %s", js(v, "name"), js(v, "type"), js(v, "url"),
		    js(v, "result"));
		if (ji(v, "last_poll") > 0)
			printf(" at %s", when((time_t)ji(v, "last_poll"), b1, sizeof(b1)));
		if (ji(v, "fails") > 0)
			printf(", %lld failed run%s in a row, last ok %s", ji(v, "fails"),
			    ji(v, "fails") == 1 ? "" : "s", when((time_t)ji(v, "last_ok"), b2,
			    sizeof(b2)));
		printf("\n");
		if (*js(v, "error"))
			printf("    error: %s\n", js(v, "error"));
		if (ji(v, "next_poll") > 0)
			printf("    next poll: %s\n", when((time_t)ji(v, "next_poll"), b3,
			    sizeof(b3)));
	}

	q = json_object_get(o, "outbox");
	printf("outbox: %lld pending (%lld failing)", ji(q, "pending"), ji(q, "failing"));
	if (ji(q, "oldest") > 0)
		printf(", the oldest %s old", age((time_t)ji(q, "oldest"), now, b1, sizeof(b1)));
	printf("; %lld refused; %lld delivered\n", ji(q, "refused"), ji(q, "delivered"));
	json_array_foreach(json_object_get(q, "entries"), i, v) {
		printf("  #%lld %s post %lld", ji(v, "id"), js(v, "source"), ji(v, "post"));
		if (ji(v, "parent"))
			printf(" parent %lld", ji(v, "parent"));
		printf(": %s, %lld attempt%s", js(v, "state"), ji(v, "attempts"),
		    ji(v, "attempts") == 1 ? "" : "s");
		if (!strcmp(js(v, "state"), "pending"))
			printf(", next try %s", when((time_t)ji(v, "next_try"), b1, sizeof(b1)));
		printf("\n");
		if (*js(v, "last_error"))
			printf("    last error: %s\n", js(v, "last_error"));
	}

	q = json_object_get(o, "mailq");
	printf("mail queue: %lld queued, %lld failed, %lld sending", ji(q, "queued"),
	    ji(q, "failed"), ji(q, "sending"));
	if (ji(q, "oldest") > 0)
		printf(", the oldest %s old", age((time_t)ji(q, "oldest"), now, b1, sizeof(b1)));
	printf("; %lld digest items\n", ji(q, "digest"));
	json_array_foreach(json_object_get(q, "entries"), i, v)
		if (*js(v, "last_error"))
			printf("  #%lld to %s: %s\n", ji(v, "id"), js(v, "address"),
			    js(v, "last_error"));

	printf("subscribers:\n");
	json_array_foreach(json_object_get(o, "subscribers"), i, v)
		printf("  %s: %lld active, %lld pending, %lld suspended\n", js(v, "group"),
		    ji(v, "active"), ji(v, "pending"), ji(v, "suspended"));
}

int
cmd_status(int argc, char **argv)
{
	struct store	*st;
	json_t		*o;
	int		 asjson = 0;

	if (argc == 2 && !strcmp(argv[1], "--json"))
		asjson = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: confab status [--json]\n");
		return 2;
	}
	load_conf();
	st = open_store();
	o = status_json(st, time(NULL));
	store_close(st);
	if (o == NULL) {
		fprintf(stderr, "confab: status: cannot read the store\n");
		return 1;
	}
	if (asjson) {
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
	} else
		status_text(o);
	json_decref(o);
	return 0;
}

/* The queues. */

static int
ob_line(const struct store_outbox *e, void *arg)
{
	time_t	now = *(time_t *)arg;
	char	b1[32], b2[32], pp[48];

	snprintf(pp, sizeof(pp), "%lld/%lld", e->post_id, e->parent_id);
	printf("%-6lld %-12s %-16s %-16.16s %-9s %8d  %-19s %5s  %s\n", e->id, e->source, pp,
	    e->author && *e->author ? e->author : "-", e->trying && e->next_try > now ?
	    "sending" : ob_states[e->state % 3], e->attempts, e->state == OB_PENDING ?
	    when(e->next_try, b1, sizeof(b1)) : "-", age(e->created, now, b2, sizeof(b2)),
	    e->last_error ? e->last_error : "");
	return 0;
}

static int
mq_line(const struct store_mq *q, void *arg)
{
	time_t	now = *(time_t *)arg;
	char	b1[32], b2[32];

	printf("%-6lld %-11s %-24.24s %-20.20s %-7s %8d  %-19s %5s  %s\n", q->id,
	    mq_kinds[q->kind % 3], q->address ? q->address : "-", q->group ? q->group : "-",
	    q->kind == MQ_DIGEST_ITEM ? "digest" : q->state == MQ_SENDING ? "sending" :
	    q->attempts > 0 ? "failed" : "queued", q->attempts, q->kind != MQ_DIGEST_ITEM &&
	    q->state == MQ_QUEUED ? when(q->next_try, b1, sizeof(b1)) : "-",
	    age(q->created, now, b2, sizeof(b2)), q->last_error ? q->last_error : "");
	return 0;
}

static int
outbox_retry(struct store *st, long long id, time_t now)
{
	struct store_outbox	e;
	char			b[32];
	long long		n = 0;
	int			rc;

	if (id > 0 && (rc = store_outbox_get(st, id, &e)) != 0) {
		if (rc == 1)
			fprintf(stderr, "confab: outbox: no entry %lld\n", id);
		return 1;
	}
	if (id > 0 && e.state == OB_DELIVERED) {
		fprintf(stderr, "confab: outbox: entry %lld was delivered already\n", id);
		store_outbox_clear(&e);
		return 1;
	}
	if (store_begin(st) == -1 || (rc = store_outbox_due_now(st, id, now, &n)) == -1 ||
	    store_commit(st) == -1) {
		store_rollback(st);
		if (id > 0)
			store_outbox_clear(&e);
		return 1;
	}
	if (id == 0)
		printf("%lld entr%s due now%s\n", n, n == 1 ? "y" : "ies", n > 0 ? SOON : "");
	else if (rc == 1)
		fprintf(stderr, "confab: outbox: entry %lld is being delivered now (its request "
		    "may be on its way until %s); not retried\n", id, when(e.next_try, b,
		    sizeof(b)));
	else
		printf("entry %lld due now%s\n", id, SOON);
	if (id > 0)
		store_outbox_clear(&e);
	return id > 0 && rc == 1 ? 1 : 0;
}

static int
outbox_drop(struct store *st, long long id, time_t now)
{
	struct store_outbox	e;
	int			rc;

	if ((rc = store_outbox_get(st, id, &e)) != 0) {
		if (rc == 1)
			fprintf(stderr, "confab: outbox: no entry %lld\n", id);
		return 1;
	}
	if (store_begin(st) == -1 || (rc = store_outbox_drop(st, id, now)) == -1 ||
	    store_commit(st) == -1) {
		store_rollback(st);
		store_outbox_clear(&e);
		return 1;
	}
	if (rc == 1)
		fprintf(stderr, "confab: outbox: entry %lld is %s; not dropped\n", id,
		    e.state == OB_DELIVERED ? "delivered (it maps the blog's comment to its "
		    "Message-ID)" : "being delivered now");
	else
		printf("entry %lld dropped (%s, %s)\n", id, e.source, e.msgid);
	store_outbox_clear(&e);
	return rc;
}

/* "retry ID|all" or "drop ID": 0 with *id, 1 when it is not that (usage), 2 when the
 * id is not one (said). */
static int
queue_id(const char *q, int argc, char **argv, long long *id)
{
	if (argc != 3 || (strcmp(argv[1], "retry") && strcmp(argv[1], "drop")))
		return 1;
	if ((*id = parse_id(argv[2], !strcmp(argv[1], "retry"))) < 0) {
		fprintf(stderr, "confab: %s: '%s' is not an entry id\n", q, argv[2]);
		return 2;
	}
	return 0;
}

static int
queue_usage(const char *q)
{
	fprintf(stderr, "usage: confab %s list%s | retry ID|all | drop ID\n", q,
	    !strcmp(q, "outbox") ? " [--all]" : "");
	return 2;
}

int
cmd_outbox(int argc, char **argv)
{
	struct store	*st;
	time_t		 now = time(NULL);
	long long	 id = 0;
	int		 rc, all = 0;

	if (argc >= 2 && !strcmp(argv[1], "list") && (argc == 2 || (argc == 3 &&
	    !strcmp(argv[2], "--all"))))
		all = argc == 3;
	else if ((rc = queue_id("outbox", argc, argv, &id)) != 0)
		return rc == 1 ? queue_usage("outbox") : 2;
	load_conf();
	st = open_store();
	if (!strcmp(argv[1], "list")) {
		printf("%-6s %-12s %-16s %-16s %-9s %8s  %-19s %5s  %s\n", "ID", "SOURCE",
		    "POST/PARENT", "AUTHOR", "STATE", "ATTEMPTS", "NEXT TRY", "AGE",
		    "LAST ERROR");
		rc = store_outbox_each(st, all, ob_line, &now) == 0 ? 0 : 1;
	} else if (!strcmp(argv[1], "retry"))
		rc = outbox_retry(st, id, now);
	else
		rc = outbox_drop(st, id, now);
	store_close(st);
	return rc;
}

static int
mailq_one(struct store *st, const char *what, long long id, time_t now)
{
	struct store_mq	q;
	long long	n = 0;
	int		rc, retry = !strcmp(what, "retry");

	if (id > 0 && (rc = store_mq_get(st, id, &q)) != 0) {
		if (rc == 1)
			fprintf(stderr, "confab: mailq: no entry %lld\n", id);
		return 1;
	}
	if (store_begin(st) == -1 || (rc = retry ? store_mq_due_now(st, id, now, &n) :
	    store_mq_drop(st, id)) == -1 || store_commit(st) == -1) {
		store_rollback(st);
		if (id > 0)
			store_mq_clear(&q);
		return 1;
	}
	if (id == 0)
		printf("%lld entr%s due now%s\n", n, n == 1 ? "y" : "ies", n > 0 ? SOON : "");
	else if (rc == 1)
		fprintf(stderr, "confab: mailq: entry %lld %s; not %s\n", id, q.state ==
		    MQ_SENDING ? "is being sent now" : "waits for its digest",
		    retry ? "retried" : "dropped");
	else
		printf("entry %lld %s\n", id, retry ? "due now" SOON : "dropped");
	if (id > 0)
		store_mq_clear(&q);
	return id > 0 ? rc : 0;
}

int
cmd_mailq(int argc, char **argv)
{
	struct store	*st;
	time_t		 now = time(NULL);
	long long	 id = 0;
	int		 rc;

	if (argc == 2 && !strcmp(argv[1], "list"))
		;
	else if ((rc = queue_id("mailq", argc, argv, &id)) != 0)
		return rc == 1 ? queue_usage("mailq") : 2;
	load_conf();
	st = open_store();
	if (!strcmp(argv[1], "list")) {
		printf("%-6s %-11s %-24s %-20s %-7s %8s  %-19s %5s  %s\n", "ID", "KIND",
		    "TO", "GROUP", "STATE", "ATTEMPTS", "NEXT TRY", "AGE", "LAST ERROR");
		rc = store_mq_each(st, mq_line, &now) == 0 ? 0 : 1;
	} else
		rc = mailq_one(st, argv[1], id, now);
	store_close(st);
	return rc;
}
