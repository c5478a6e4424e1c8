/* store_mail.c: the store's queues and lists: conditional GET validators, the outbox of
 * follow-ups to blogs, mailing-list subscribers and the mail queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

/* The columns outbox_row() and sub_row() read. */
#define OB_COLS	"SELECT id, source, msgid, post_id, parent_id, author, email, html," \
	" state, attempts, next_try, last_error, comment_id, created, trying FROM outbox"
#define SUB_COLS	"SELECT s.id, s.group_id, g.name, s.thread, s.address, s.mode," \
	" s.state, s.bounces, s.created FROM subscribers s JOIN groups g ON g.id = s.group_id"

static const char *stmt_sql[S_MAX] = {
	[S_FC_GET] = "SELECT etag, last_modified FROM fetch_cache WHERE source = ?1 AND url = ?2",
	[S_FC_PUT] = "INSERT INTO fetch_cache (source, url, etag, last_modified)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source, url) DO UPDATE"
	    " SET etag = excluded.etag, last_modified = excluded.last_modified",
	[S_OB_ADD] = "INSERT INTO outbox (source, msgid, post_id, parent_id, author, email, html,"
	    " state, attempts, next_try, created) VALUES (?1,?2,?3,?4,?5,?6,?7,0,0,?8,?9)"
	    " RETURNING id",
	[S_OB_GET] = OB_COLS " WHERE id = ?1",
	[S_OB_ATTEMPT] = "UPDATE outbox SET attempts = attempts + 1, next_try = ?2, trying = 1"
	    " WHERE id = ?1 AND state = 0 AND next_try <= ?3",
	[S_OB_FINISH] = "UPDATE outbox SET state = ?2, comment_id = ?3, last_error = ?4,"
	    " trying = 0 WHERE id = ?1",
	[S_OB_RETRY] = "UPDATE outbox SET next_try = ?2, last_error = ?3, trying = 0"
	    " WHERE id = ?1",
	[S_OB_EACH] = OB_COLS " WHERE state <> 1 ORDER BY id",
	[S_OB_EACH_ALL] = OB_COLS " ORDER BY id",
	/* Not one whose attempt may be on its way: it is not due before that ends. */
	[S_OB_DUE_NOW] = "UPDATE outbox SET next_try = ?2, state = 0 WHERE (id = ?1 OR ?1 = 0)"
	    " AND state <> 1 AND (trying = 0 OR next_try <= ?2)",
	[S_OB_DROP] = "DELETE FROM outbox WHERE id = ?1 AND state <> 1"
	    " AND (trying = 0 OR next_try <= ?2)",
	[S_OB_DUE] = "SELECT id FROM outbox WHERE state = 0 AND next_try <= ?1 ORDER BY id",
	[S_OB_BY_COMMENT] = "SELECT msgid FROM outbox WHERE source = ?1 AND comment_id = ?2"
	    " AND state = 1",
	[S_OB_UNMATCHED] = OB_COLS " WHERE source = ?1 AND post_id = ?2"
	    " AND comment_id = 0 AND attempts > 0 AND state <> 2 ORDER BY id",
	[S_SUB_ADD] = "INSERT INTO subscribers (group_id, thread, address, mode, state, bounces,"
	    " created) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)"
	    " ON CONFLICT (group_id, thread, address) DO UPDATE SET mode = ?4,"
	    " state = max(state, ?5), bounces = 0",
	[S_SUB_GET] = SUB_COLS " WHERE s.id = ?1",
	[S_SUB_FIND] = SUB_COLS " WHERE s.group_id = ?1 AND s.thread = ?2"
	    " AND s.address = ?3 COLLATE NOCASE",
	[S_SUB_STATE] = "UPDATE subscribers SET state = ?2 WHERE id = ?1",
	[S_SUB_DEL] = "DELETE FROM subscribers WHERE id = ?1",
	[S_SUB_EACH] = SUB_COLS " WHERE g.name = ?1 ORDER BY s.address, s.thread",
	[S_SUB_BOUNCE] = "UPDATE subscribers SET bounces = bounces + 1,"
	    " state = CASE WHEN bounces + 1 >= ?2 THEN 2 ELSE state END WHERE id = ?1",
	[S_SUB_FOR] = SUB_COLS " WHERE s.group_id = ?1 AND s.state = 1"
	    " AND (s.thread = '' OR s.thread = ?2)",
	[S_MQ_ADD] = "INSERT INTO mailq (subscriber_id, article_id, kind, state,"
	    " attempts, next_try, data, created) VALUES (?1, ?2, ?3, 0, 0, ?4, ?5, ?6)"
	    " ON CONFLICT DO NOTHING",
	[S_MQ_DUE] = "SELECT id FROM mailq WHERE state = 0 AND next_try <= ?1 ORDER BY id"
	    " LIMIT ?2",
	[S_MQ_GET] = "SELECT id, subscriber_id, article_id, kind, state, attempts, next_try,"
	    " created, last_error, data FROM mailq WHERE id = ?1",
	[S_MQ_DEFER] = "UPDATE mailq SET state = 0, attempts = attempts + 1, next_try = ?2,"
	    " last_error = ?3 WHERE id = ?1",
	[S_MQ_EACH] = "SELECT q.id, q.subscriber_id, q.article_id, q.kind, q.state, q.attempts,"
	    " q.next_try, q.created, q.last_error, s.address, g.name FROM mailq q"
	    " LEFT JOIN subscribers s ON s.id = q.subscriber_id"
	    " LEFT JOIN groups g ON g.id = s.group_id ORDER BY q.id",
	[S_MQ_DUE_NOW] = "UPDATE mailq SET next_try = ?2 WHERE (id = ?1 OR ?1 = 0) AND state = 0"
	    " AND kind <> 2",
	[S_MQ_DROP] = "DELETE FROM mailq WHERE id = ?1 AND state = 0",
	/* Counted by kind of row, cheap on the (state, next_try) indexes' tables. */
	[S_STATUS_OB] = "SELECT state, CASE WHEN attempts > 0 THEN 1 ELSE 0 END, count(*),"
	    " min(created) FROM outbox GROUP BY 1, 2",
	[S_STATUS_MQ] = "SELECT CASE WHEN kind = 2 THEN -1 ELSE state END,"
	    " CASE WHEN attempts > 0 THEN 1 ELSE 0 END, count(*), min(created) FROM mailq"
	    " GROUP BY 1, 2",
	[S_SUB_COUNTS] = "SELECT g.name, s.state, count(s.id) FROM groups g"
	    " LEFT JOIN subscribers s ON s.group_id = g.id GROUP BY g.name, s.state"
	    " ORDER BY g.name",
	[S_MQ_CLAIM] = "UPDATE mailq SET state = ?2, next_try = ?3 WHERE id = ?1 AND state = 0",
	[S_MQ_DEL] = "DELETE FROM mailq WHERE id = ?1",
	[S_MQ_SENDING] = "SELECT id FROM mailq WHERE state = 1 AND next_try < ?1",
	[S_ART_AFTER] = "SELECT id, msgid, version, over FROM articles WHERE id > ?1 AND live = 1"
	    " ORDER BY id LIMIT ?2",
	[S_ART_GROUPS] = "SELECT group_id FROM numbers WHERE article_id = ?1",
	[S_MAX_ART] = "SELECT coalesce(max(id), 0) FROM articles",
	[S_MQ_KIND] = "SELECT id, subscriber_id, article_id FROM mailq WHERE kind = ?1"
	    " ORDER BY subscriber_id, id",
};

/* Where PostgreSQL's SQL differs: addresses compare without case through an index on
 * lower(address) (SQLite: COLLATE NOCASE). */
static const char *pg_sql[S_MAX] = {
	[S_SUB_ADD] = "INSERT INTO subscribers (group_id, thread, address, mode, state, bounces,"
	    " created) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)"
	    " ON CONFLICT (group_id, thread, lower(address)) DO UPDATE SET mode = ?4,"
	    " state = greatest(subscribers.state, ?5), bounces = 0",
	[S_SUB_FIND] = SUB_COLS " WHERE s.group_id = ?1 AND s.thread = ?2"
	    " AND lower(s.address) = lower(?3)",
	/* Whether an attempt may still be on its way, by the database's clock. */
	[S_OB_ATTEMPT] = "UPDATE outbox SET attempts = attempts + 1, trying = 1,"
	    " next_try = " PG_NOW " + (?2::bigint - ?3::bigint)"
	    " WHERE id = ?1 AND state = 0 AND next_try <= ?3"
	    " AND (trying = 0 OR next_try <= " PG_NOW ")",
	[S_OB_DUE_NOW] = "UPDATE outbox SET next_try = ?2, state = 0 WHERE (id = ?1 OR ?1 = 0)"
	    " AND state <> 1 AND (trying = 0 OR next_try <= " PG_NOW ")",
	[S_OB_DROP] = "DELETE FROM outbox WHERE id = ?1 AND state <> 1"
	    " AND (trying = 0 OR next_try <= " PG_NOW ")",
};

/* Conditional GET validators. */

int
store_fetch_cache_get(struct store *s, const char *source, const char *url, char **etag,
    time_t *last_modified)
{
	struct stmt	*st = prep(s, S_FC_GET);
	int		 rc;

	*etag = NULL;
	*last_modified = 0;
	bind_text(st, 1, source);
	bind_text(st, 2, url);
	rc = step(st);
	if (rc == DB_ROW) {
		*etag = col_str(st, 0);
		*last_modified = (time_t)col_int(st, 1);
	}
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "fetch cache get");
}

int
store_fetch_cache_put(struct store *s, const char *source, const char *url,
    const char *etag, time_t last_modified)
{
	struct stmt	*st = prep(s, S_FC_PUT);

	bind_text(st, 1, source);
	bind_text(st, 2, url);
	bind_text(st, 3, etag);
	bind_int(st, 4, (long long)last_modified);
	return run(s, st, "fetch cache put");
}


/* Outbox. */

void
store_outbox_clear(struct store_outbox *e)
{
	free(e->source);
	free(e->msgid);
	free(e->author);
	free(e->email);
	free(e->html);
	free(e->last_error);
	memset(e, 0, sizeof(*e));
}

static void
outbox_row(struct stmt *st, struct store_outbox *e)
{
	memset(e, 0, sizeof(*e));
	e->id = col_int(st, 0);
	e->source = col_str(st, 1);
	e->msgid = col_str(st, 2);
	e->post_id = col_int(st, 3);
	e->parent_id = col_int(st, 4);
	e->author = col_str(st, 5);
	e->email = col_str(st, 6);
	e->html = col_str(st, 7);
	e->state = col_int(st, 8);
	e->attempts = col_int(st, 9);
	e->next_try = (time_t)col_int(st, 10);
	e->last_error = col_str(st, 11);
	e->comment_id = col_int(st, 12);
	e->created = (time_t)col_int(st, 13);
	e->trying = (int)col_int(st, 14);
}

int
store_outbox_add(struct store *s, const struct store_outbox *e, long long *id)
{
	struct stmt	*st = prep(s, S_OB_ADD);
	long long	 one;

	bind_text(st, 1, e->source);
	bind_text(st, 2, e->msgid);
	bind_int(st, 3, e->post_id);
	bind_int(st, 4, e->parent_id);
	bind_text(st, 5, e->author);
	bind_text(st, 6, e->email);
	bind_text(st, 7, e->html);
	bind_int(st, 8, (long long)e->next_try);
	bind_int(st, 9, (long long)time(NULL));
	/* Outside a transaction this is its own: durable (WAL, synchronous) on return. */
	if (id == NULL)
		id = &one;
	return one_int(s, st, id, "outbox add") == 0 ? 0 : -1;
}

int
store_outbox_get(struct store *s, long long id, struct store_outbox *e)
{
	struct stmt	*st = prep(s, S_OB_GET);
	int		 rc;

	bind_int(st, 1, id);
	rc = step(st);
	if (rc == DB_ROW)
		outbox_row(st, e);
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "outbox get");
}

int
store_outbox_attempt(struct store *s, long long id, time_t now, time_t next_try)
{
	struct stmt	*st = prep(s, S_OB_ATTEMPT);

	bind_int(st, 1, id);
	bind_int(st, 2, (long long)next_try);
	bind_int(st, 3, (long long)now);
	if (run(s, st, "outbox attempt") == -1)
		return -1;
	return s->changes > 0 ? 0 : 1;
}

int
store_outbox_finish(struct store *s, long long id, int state, long long comment_id,
    const char *error)
{
	struct stmt	*st = prep(s, S_OB_FINISH);

	bind_int(st, 1, id);
	bind_int(st, 2, state);
	bind_int(st, 3, comment_id);
	bind_text(st, 4, error);
	return run(s, st, "outbox finish");
}

int
store_outbox_retry(struct store *s, long long id, time_t next_try, const char *error)
{
	struct stmt	*st = prep(s, S_OB_RETRY);

	bind_int(st, 1, id);
	bind_int(st, 2, (long long)next_try);
	bind_text(st, 3, error);
	return run(s, st, "outbox retry");
}

int
store_outbox_due(struct store *s, time_t now, store_id_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_OB_DUE);

	bind_int(st, 1, (long long)now);
	return each_id(s, st, cb, arg, "outbox due");
}

int
store_outbox_by_comment(struct store *s, const char *source, long long comment_id,
    char **msgid)
{
	struct stmt	*st = prep(s, S_OB_BY_COMMENT);

	bind_text(st, 1, source);
	bind_int(st, 2, comment_id);
	return one_str(s, st, msgid, "outbox by comment");
}

int
store_outbox_unmatched(struct store *s, const char *source, long long post_id,
    store_outbox_cb cb, void *arg)
{
	struct stmt		*st = prep(s, S_OB_UNMATCHED);
	struct store_outbox	*v = NULL;
	size_t			 n = 0, i;
	int			 rc, stop = 0;

	bind_text(st, 1, source);
	bind_int(st, 2, post_id);
	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		outbox_row(st, &v[n++]);
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(&v[i], arg) != 0)
			stop = 1;
		store_outbox_clear(&v[i]);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "outbox unmatched");
}

/* Subscribers. */

void
store_sub_clear(struct store_sub *b)
{
	free(b->group);
	free(b->thread);
	free(b->address);
	memset(b, 0, sizeof(*b));
}

static void
sub_row(struct stmt *st, struct store_sub *b)
{
	memset(b, 0, sizeof(*b));
	b->id = col_int(st, 0);
	b->group_id = col_int(st, 1);
	b->group = col_str(st, 2);
	b->thread = col_str(st, 3);
	b->address = col_str(st, 4);
	b->mode = col_int(st, 5);
	b->state = col_int(st, 6);
	b->bounces = col_int(st, 7);
	b->created = (time_t)col_int(st, 8);
}

static int
sub_one(struct store *s, struct stmt *st, struct store_sub *b, const char *what)
{
	int	rc = step(st);

	if (rc == DB_ROW)
		sub_row(st, b);
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, what);
}

int
store_sub_add(struct store *s, long long group_id, const char *thread, const char *address,
    int mode, int state, struct store_sub *out)
{
	struct stmt	*st = prep(s, S_SUB_ADD);

	bind_int(st, 1, group_id);
	bind_text(st, 2, thread ? thread : "");
	bind_text(st, 3, address);
	bind_int(st, 4, mode);
	bind_int(st, 5, state);
	bind_int(st, 6, (long long)time(NULL));
	if (run(s, st, "subscribe") == -1)
		return -1;
	st = prep(s, S_SUB_FIND);
	bind_int(st, 1, group_id);
	bind_text(st, 2, thread ? thread : "");
	bind_text(st, 3, address);
	return sub_one(s, st, out, "subscriber") == 0 ? 0 : -1;
}

int
store_sub_get(struct store *s, long long id, struct store_sub *b)
{
	struct stmt	*st = prep(s, S_SUB_GET);

	bind_int(st, 1, id);
	return sub_one(s, st, b, "subscriber get");
}

int
store_sub_find(struct store *s, long long group_id, const char *thread,
    const char *address, struct store_sub *b)
{
	struct stmt	*st = prep(s, S_SUB_FIND);

	bind_int(st, 1, group_id);
	bind_text(st, 2, thread ? thread : "");
	bind_text(st, 3, address);
	return sub_one(s, st, b, "subscriber find");
}

int
store_sub_state(struct store *s, long long id, int state)
{
	struct stmt	*st = prep(s, S_SUB_STATE);

	bind_int(st, 1, id);
	bind_int(st, 2, state);
	return run(s, st, "subscriber state");
}

int
store_sub_del(struct store *s, long long id)
{
	struct stmt	*st = prep(s, S_SUB_DEL);

	bind_int(st, 1, id);
	return run(s, st, "unsubscribe");
}

int
store_sub_bounce(struct store *s, long long id, int limit)
{
	struct stmt	*st = prep(s, S_SUB_BOUNCE);

	bind_int(st, 1, id);
	bind_int(st, 2, limit);
	return run(s, st, "bounce");
}

static int
sub_list(struct store *s, struct stmt *st, store_sub_cb cb, void *arg, const char *what)
{
	struct store_sub	*v = NULL;
	size_t			 n = 0, i;
	int			 rc, stop = 0;

	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		sub_row(st, &v[n++]);
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(&v[i], arg) != 0)
			stop = 1;
		store_sub_clear(&v[i]);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, what);
}

int
store_sub_each(struct store *s, const char *group, store_sub_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_SUB_EACH);

	bind_text(st, 1, group);
	return sub_list(s, st, cb, arg, "subscribers");
}

int
store_sub_for(struct store *s, long long group_id, const char *thread, store_sub_cb cb,
    void *arg)
{
	struct stmt	*st = prep(s, S_SUB_FOR);

	bind_int(st, 1, group_id);
	bind_text(st, 2, thread ? thread : "");
	return sub_list(s, st, cb, arg, "subscribers for");
}

/* Mail queue. */

int
store_mq_add(struct store *s, long long sub_id, long long article_id, int kind,
    time_t next_try, const char *data, size_t len)
{
	struct stmt	*st = prep(s, S_MQ_ADD);

	bind_int(st, 1, sub_id);
	bind_int(st, 2, article_id);
	bind_int(st, 3, kind);
	bind_int(st, 4, (long long)next_try);
	if (data != NULL)
		bind_blob(st, 5, data, len);
	bind_int(st, 6, (long long)time(NULL));
	return run(s, st, "mail queue add");
}

int
store_mq_due(struct store *s, time_t now, int limit, store_id_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_MQ_DUE);

	bind_int(st, 1, (long long)now);
	bind_int(st, 2, limit);
	return each_id(s, st, cb, arg, "mail queue due");
}

int
store_mq_get(struct store *s, long long id, struct store_mq *q)
{
	struct stmt	*st = prep(s, S_MQ_GET);
	int		 rc;

	memset(q, 0, sizeof(*q));
	bind_int(st, 1, id);
	rc = step(st);
	if (rc == DB_ROW) {
		q->id = col_int(st, 0);
		q->sub_id = col_int(st, 1);
		q->article_id = col_int(st, 2);
		q->kind = col_int(st, 3);
		q->state = col_int(st, 4);
		q->attempts = col_int(st, 5);
		q->next_try = (time_t)col_int(st, 6);
		q->created = (time_t)col_int(st, 7);
		q->last_error = col_str(st, 8);
		if (!col_null(st, 9)) {
			q->len = (size_t)col_bytes(st, 9);
			q->data = xmalloc(q->len + 1);
			memcpy(q->data, col_blob(st, 9), q->len);
			q->data[q->len] = '\0';
		}
	}
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "mail queue get");
}

void
store_mq_clear(struct store_mq *q)
{
	free(q->data);
	free(q->last_error);
	free(q->address);
	free(q->group);
	memset(q, 0, sizeof(*q));
}

int
store_mq_claim(struct store *s, long long id, int state, time_t now)
{
	struct stmt	*st = prep(s, S_MQ_CLAIM);

	bind_int(st, 1, id);
	bind_int(st, 2, state);
	bind_int(st, 3, (long long)now);
	if (run(s, st, "mail queue claim") == -1)
		return -1;
	return s->changes > 0 ? 0 : 1;
}

int
store_mq_del(struct store *s, long long id)
{
	struct stmt	*st = prep(s, S_MQ_DEL);

	bind_int(st, 1, id);
	return run(s, st, "mail queue del");
}

int
store_mq_sending(struct store *s, time_t before, store_id_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_MQ_SENDING);

	bind_int(st, 1, (long long)before);
	return each_id(s, st, cb, arg, "mail queue sending");
}

int
store_articles_after(struct store *s, long long after, int limit, store_newart_cb cb,
    void *arg)
{
	struct stmt	*st = prep(s, S_ART_AFTER);
	struct {
		long long	 id;
		char		*msgid, *over;
		int		 version;
	}		*v = NULL;
	size_t		 n = 0, i;
	int		 rc, stop = 0;

	bind_int(st, 1, after);
	bind_int(st, 2, limit);
	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].id = col_int(st, 0);
		v[n].msgid = col_str(st, 1);
		v[n].version = col_int(st, 2);
		v[n].over = col_str(st, 3);
		n++;
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(v[i].id, v[i].msgid, v[i].version, v[i].over, arg) != 0)
			stop = 1;
		free(v[i].msgid);
		free(v[i].over);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "articles after");
}

int
store_article_groups(struct store *s, long long article_id, long long *gids, int max)
{
	struct stmt	*st = prep(s, S_ART_GROUPS);
	int		 n = 0, rc;

	bind_int(st, 1, article_id);
	while ((rc = step(st)) == DB_ROW)
		if (n < max)
			gids[n++] = col_int(st, 0);
	reset(st);
	return rc == DB_DONE ? n : dberr(s, "article groups");
}

long long
store_max_article(struct store *s)
{
	struct stmt	*st = prep(s, S_MAX_ART);
	long long	 v = 0;

	one_int(s, st, &v, "max article");
	return v;
}

int
store_mq_kind(struct store *s, int kind, store_mq_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_MQ_KIND);
	long long	*v = NULL;
	size_t		 n = 0, i;
	int		 rc;

	bind_int(st, 1, kind);
	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 3, sizeof(*v));
		v[n++] = col_int(st, 0);
		v[n++] = col_int(st, 1);
		v[n++] = col_int(st, 2);
	}
	reset(st);
	for (i = 0; i < n; i += 3)
		if (cb(v[i], v[i + 1], v[i + 2], arg) != 0)
			break;
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "mail queue kind");
}

/* What an operator looks at: lists, retries, drops, depths. */

int
store_outbox_each(struct store *s, int all, store_outbox_cb cb, void *arg)
{
	struct stmt		*st = prep(s, all ? S_OB_EACH_ALL : S_OB_EACH);
	struct store_outbox	*v = NULL;
	size_t			 n = 0, i;
	int			 rc, stop = 0;

	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		outbox_row(st, &v[n++]);
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(&v[i], arg) != 0)
			stop = 1;
		store_outbox_clear(&v[i]);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "outbox list");
}

/* A statement on row id (0: all of them, where it says so) at `now`: 0 with how many
 * it changed in *n (unless NULL), 1 when none. */
static int
rows_now(struct store *s, int sid, long long id, time_t now, long long *n,
    const char *what)
{
	struct stmt	*st = prep(s, sid);

	bind_int(st, 1, id);
	bind_int(st, 2, (long long)now);
	if (run(s, st, what) == -1)
		return -1;
	if (n != NULL)
		*n = s->changes;
	return s->changes > 0 ? 0 : 1;
}

int
store_outbox_due_now(struct store *s, long long id, time_t now, long long *n)
{
	return rows_now(s, S_OB_DUE_NOW, id, now, n, "outbox due now");
}

int
store_outbox_drop(struct store *s, long long id, time_t now)
{
	return rows_now(s, S_OB_DROP, id, now, NULL, "outbox drop");
}

int
store_mq_defer(struct store *s, long long id, time_t next_try, const char *error)
{
	struct stmt	*st = prep(s, S_MQ_DEFER);

	bind_int(st, 1, id);
	bind_int(st, 2, (long long)next_try);
	bind_text(st, 3, error);
	return run(s, st, "mail queue defer");
}

int
store_mq_each(struct store *s, store_mq_row_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_MQ_EACH);
	struct store_mq	*v = NULL;
	size_t		 n = 0, i;
	int		 rc, stop = 0;

	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		v[n].id = col_int(st, 0);
		v[n].sub_id = col_int(st, 1);
		v[n].article_id = col_int(st, 2);
		v[n].kind = (int)col_int(st, 3);
		v[n].state = (int)col_int(st, 4);
		v[n].attempts = (int)col_int(st, 5);
		v[n].next_try = (time_t)col_int(st, 6);
		v[n].created = (time_t)col_int(st, 7);
		v[n].last_error = col_str(st, 8);
		v[n].address = col_str(st, 9);
		v[n].group = col_str(st, 10);
		n++;
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(&v[i], arg) != 0)
			stop = 1;
		store_mq_clear(&v[i]);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "mail queue list");
}

int
store_mq_due_now(struct store *s, long long id, time_t now, long long *n)
{
	return rows_now(s, S_MQ_DUE_NOW, id, now, n, "mail queue due now");
}

int
store_mq_drop(struct store *s, long long id)
{
	struct stmt	*st = prep(s, S_MQ_DROP);

	bind_int(st, 1, id);
	if (run(s, st, "mail queue drop") == -1)
		return -1;
	return s->changes > 0 ? 0 : 1;
}

static void
oldest(time_t *o, time_t t)
{
	if (t > 0 && (*o == 0 || t < *o))
		*o = t;
}

int
store_status(struct store *s, struct store_status *ss)
{
	struct stmt	*st;
	long long	 n;
	int		 rc, state, tried;

	memset(ss, 0, sizeof(*ss));
	if (store_read_begin(s) == -1)
		return -1;
	st = prep(s, S_STATUS_OB);
	while ((rc = step(st)) == DB_ROW) {
		state = (int)col_int(st, 0);
		tried = (int)col_int(st, 1);
		n = col_int(st, 2);
		if (state == OB_PENDING) {
			ss->outbox_pending += n;
			ss->outbox_failing += tried ? n : 0;
			oldest(&ss->outbox_oldest, (time_t)col_int(st, 3));
		} else if (state == OB_REFUSED)
			ss->outbox_refused += n;
		else
			ss->outbox_delivered += n;
	}
	reset(st);
	if (rc != DB_DONE)
		goto fail;
	st = prep(s, S_STATUS_MQ);
	while ((rc = step(st)) == DB_ROW) {
		state = (int)col_int(st, 0);
		tried = (int)col_int(st, 1);
		n = col_int(st, 2);
		if (state < 0) {
			ss->mq_digest += n;
			continue;
		}
		if (state == MQ_SENDING)
			ss->mq_sending += n;
		else if (tried)
			ss->mq_failed += n;
		else
			ss->mq_queued += n;
		oldest(&ss->mq_oldest, (time_t)col_int(st, 3));
	}
	reset(st);
	if (rc != DB_DONE)
		goto fail;
	return store_read_end(s);
fail:
	dberr(s, "status");
	store_read_end(s);
	return -1;
}

int
store_sub_counts(struct store *s, store_group_subs_cb cb, void *arg)
{
	struct stmt		*st = prep(s, S_SUB_COUNTS);
	struct store_group_subs	*v = NULL, *g;
	const char		*name;
	size_t			 n = 0, i;
	int			 rc, stop = 0;
	long long		 c;

	while ((rc = step(st)) == DB_ROW) {
		name = col_text(st, 0);
		if (n == 0 || strcmp(v[n - 1].group, name) != 0) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			memset(&v[n], 0, sizeof(v[n]));
			v[n++].group = xstrdup(name);
		}
		g = &v[n - 1];
		c = col_int(st, 2);
		if (col_null(st, 1))
			continue;	/* a group without subscribers */
		switch (col_int(st, 1)) {
		case SUB_PENDING:
			g->pending += c;
			break;
		case SUB_ACTIVE:
			g->active += c;
			break;
		default:
			g->suspended += c;
			break;
		}
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(&v[i], arg) != 0)
			stop = 1;
		free((char *)v[i].group);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "subscriber counts");
}
