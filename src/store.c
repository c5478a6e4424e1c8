/* store.c: the store's groups, items, articles, overview, users and leases, written
 * once for both engines (store_int.h). With store_mail.c (queues and lists) and
 * store_db.c (schemas, transactions, the engines), the only files with SQL in them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

#define SS_COLS	"SELECT source, polled, result, http_status, error, next_poll, last_ok," \
	" fails, owner FROM source_status"

static const char *stmt_sql[S_MAX] = {
	[S_GROUP_GET] = "SELECT g.id, g.name, g.description, g.created, g.posting,"
	    " g.live_count, (SELECT min(n.num) FROM numbers n"
	    "   WHERE n.group_id = g.id AND n.live = 1), g.next_num - 1"
	    " FROM groups g WHERE g.name = ?1",
	[S_GROUP_ID] = "SELECT id, description, posting FROM groups WHERE name = ?1",
	[S_GROUP_INS] = "INSERT INTO groups (name, description, created, posting, next_num)"
	    " VALUES (?1, ?2, ?3, ?4, 1) RETURNING id",
	[S_GROUP_UPD] = "UPDATE groups SET description = ?2, posting = ?3 WHERE id = ?1",
	[S_GROUP_EACH] = "SELECT g.id, g.name, g.description, g.created, g.posting,"
	    " g.live_count, (SELECT min(n.num) FROM numbers n"
	    "   WHERE n.group_id = g.id AND n.live = 1), g.next_num - 1"
	    " FROM groups g ORDER BY g.name",
	[S_GROUP_NEXT] = "UPDATE groups SET next_num = next_num + 1 WHERE id = ?1"
	    " RETURNING next_num - 1",
	[S_GROUP_MARK] = "SELECT live_count, next_num FROM groups WHERE id = ?1",
	[S_SOURCE_GET] = "SELECT id FROM sources WHERE name = ?1",
	[S_SOURCE_INS] = "INSERT INTO sources (name) VALUES (?1) RETURNING id",
	[S_ITEM_GET] = "SELECT kind, state, post_id, comment_id, parent_id, post_link, title,"
	    " author, email, url, link, html, date, categories, hash, msgid, article_id, dirty,"
	    " gen FROM items WHERE source_id = ?1 AND post_id = ?2 AND comment_id = ?3",
	[S_ITEM_INS] = "INSERT INTO items (source_id, post_id, comment_id, kind, state,"
	    " parent_id, post_link, title, author, email, url, link, html, date, categories,"
	    " hash, msgid, gen, dirty, article_id, comments_url)"
	    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,1,0,?19)",
	[S_ITEM_UPD] = "UPDATE items SET kind = ?4, state = ?5, parent_id = ?6, post_link = ?7,"
	    " title = ?8, author = ?9, email = ?10, url = ?11, link = ?12, html = ?13,"
	    " date = ?14, categories = ?15, hash = ?16, gen = ?18, dirty = 1, comments_url = ?19"
	    " WHERE source_id = ?1 AND post_id = ?2 AND comment_id = ?3",
	[S_ITEM_STAMP] = "UPDATE items SET gen = ?4"
	    " WHERE source_id = ?1 AND post_id = ?2 AND comment_id = ?3",
	[S_ITEM_BY_LINK] = "SELECT post_id FROM items WHERE source_id = ?1 AND comment_id = 0"
	    " AND link = ?2 LIMIT 1",
	[S_ITEM_VANISH] = "UPDATE items SET state = 6, dirty = 1, hash = 'vanished'"
	    " WHERE source_id = ?1 AND post_id = ?2 AND comment_id <> 0 AND gen <> ?3"
	    " AND state = 0 AND msgid IS NULL",
	/* "AND dirty" as the partial index items_dirty says it, for SQLite to use it. */
	[S_ITEM_DIRTY] = "SELECT post_id, comment_id FROM items WHERE source_id = ?1 AND dirty"
	    " ORDER BY comment_id <> 0, date, post_id, comment_id",
	[S_ITEM_CLEAN] = "UPDATE items SET dirty = 0, article_id = ?4"
	    " WHERE source_id = ?1 AND post_id = ?2 AND comment_id = ?3",
	[S_LOCAL_ID] = "SELECT max(max(comment_id), max(post_id)) + 1 FROM items"
	    " WHERE source_id = ?1",
	[S_ITEM_HASH] = "SELECT hash, gen FROM items"
	    " WHERE source_id = ?1 AND post_id = ?2 AND comment_id = ?3",
	[S_ITEM_REF] = "SELECT i.parent_id, i.article_id, i.dirty,"
	    " (SELECT a.msgid FROM articles a WHERE a.id = i.article_id AND a.live = 1)"
	    " FROM items i"
	    " WHERE i.source_id = ?1 AND i.post_id = ?2 AND i.comment_id = ?3",
	[S_ART_INS] = "INSERT INTO articles (msgid, source_id, post_id, comment_id, version,"
	    " live, date, arrived, data, head_len, over)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10) RETURNING id",
	[S_NUM_INS] = "INSERT INTO numbers (group_id, num, article_id) VALUES (?1, ?2, ?3)",
	[S_GROUP_COUNT_UP] = "UPDATE groups SET live_count = live_count + 1 WHERE id = ?1",
	[S_GROUP_COUNT_DOWN] = "UPDATE groups SET live_count = live_count - 1 WHERE id IN"
	    " (SELECT group_id FROM numbers WHERE article_id = ?1 AND live = 1)",
	[S_NUM_WITHDRAW] = "UPDATE numbers SET live = 0 WHERE article_id = ?1",
	[S_ART_WITHDRAW] = "UPDATE articles SET live = 0 WHERE id = ?1",
	[S_ART_BY_MSGID] = "SELECT id, msgid, live, date, arrived, data, head_len FROM articles"
	    " WHERE msgid = ?1",
	[S_ART_BY_ID] = "SELECT id, msgid, live, date, arrived, data, head_len FROM articles"
	    " WHERE id = ?1",
	[S_ART_BY_NUM] = "SELECT a.id, a.msgid, a.live, a.date, a.arrived, a.data, a.head_len"
	    " FROM numbers n JOIN articles a ON a.id = n.article_id"
	    " WHERE n.group_id = ?1 AND n.num = ?2",
	[S_ART_EXISTS] = "SELECT 1 FROM articles WHERE msgid = ?1",
	[S_ART_STAT_MSGID] = "SELECT id, msgid, live, date, arrived, NULL, head_len"
	    " FROM articles WHERE msgid = ?1",
	[S_ART_STAT_NUM] = "SELECT a.id, a.msgid, a.live, a.date, a.arrived, NULL, a.head_len"
	    " FROM numbers n JOIN articles a ON a.id = n.article_id"
	    " WHERE n.group_id = ?1 AND n.num = ?2",
	[S_ART_MSGID] = "SELECT msgid, live FROM articles WHERE id = ?1",
	[S_ART_ITEM] = "SELECT source_id, post_id, comment_id FROM articles WHERE msgid = ?1",
	/* numbers.live mirrors articles.live (numbers_live indexes it). */
	[S_STEP_NEXT] = "SELECT num FROM numbers WHERE group_id = ?1 AND live = 1 AND num > ?2"
	    " ORDER BY num LIMIT 1",
	[S_STEP_PREV] = "SELECT num FROM numbers WHERE group_id = ?1 AND live = 1 AND num < ?2"
	    " ORDER BY num DESC LIMIT 1",
	[S_ART_NUM] = "SELECT n.num FROM numbers n JOIN articles a ON a.id = n.article_id"
	    " WHERE n.group_id = ?1 AND a.msgid = ?2 AND a.live = 1",
	[S_OVER_RANGE] = "SELECT n.num, a.over FROM numbers n JOIN articles a"
	    " ON a.id = n.article_id WHERE n.group_id = ?1 AND n.num BETWEEN ?2 AND ?3"
	    " AND n.live = 1 ORDER BY n.num LIMIT ?4",
	[S_OVER_MSGID] = "SELECT over FROM articles WHERE msgid = ?1 AND live = 1",
	[S_NUM_RANGE] = "SELECT num FROM numbers WHERE group_id = ?1 AND live = 1"
	    " AND num BETWEEN ?2 AND ?3 ORDER BY num LIMIT ?4",
	[S_NUM_GONE] = "SELECT num FROM numbers WHERE group_id = ?1 AND live = 0"
	    " AND num BETWEEN ?2 AND ?3 ORDER BY num LIMIT ?4",
	[S_HEAD_RANGE] = "SELECT n.num, a.data, a.head_len FROM numbers n JOIN articles a"
	    " ON a.id = n.article_id WHERE n.group_id = ?1 AND n.num BETWEEN ?2 AND ?3"
	    " AND n.live = 1 ORDER BY n.num LIMIT ?4",
	[S_NEWNEWS] = "SELECT a.id, a.arrived, a.msgid, (SELECT group_concat(g.name, ',')"
	    " FROM numbers n JOIN groups g ON g.id = n.group_id WHERE n.article_id = a.id)"
	    " FROM articles a WHERE (a.arrived, a.id) > (?1, ?2) AND a.live = 1"
	    " ORDER BY a.arrived, a.id LIMIT ?3",
	[S_USER_PUT] = "INSERT INTO users (name, hash) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET hash = excluded.hash",
	[S_USER_GET] = "SELECT hash FROM users WHERE name = ?1",
	[S_USER_DEL] = "DELETE FROM users WHERE name = ?1",
	[S_USER_EACH] = "SELECT name FROM users ORDER BY name",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	/* Taken when free, expired or already ours; no row when another holds it. */
	[S_SS_PUT] = "INSERT INTO source_status (source, polled, result, http_status, error,"
	    " next_poll, last_ok, fails, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?9, ?10, ?8)"
	    " ON CONFLICT (source) DO UPDATE SET polled = excluded.polled,"
	    " result = excluded.result, http_status = excluded.http_status,"
	    " error = excluded.error, next_poll = CASE WHEN excluded.next_poll = 0"
	    " THEN source_status.next_poll ELSE excluded.next_poll END,"
	    " last_ok = CASE WHEN ?7 = 1 THEN excluded.polled ELSE source_status.last_ok END,"
	    " fails = CASE WHEN ?7 = 1 THEN 0 ELSE source_status.fails + 1 END,"
	    " owner = excluded.owner",
	[S_SS_GET] = SS_COLS " WHERE source = ?1",
	[S_SS_EACH] = SS_COLS " ORDER BY source",
	[S_FE_BEAT] = "INSERT INTO frontends (owner, version, started, seen, nntp, lmtp)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (owner) DO UPDATE SET"
	    " version = excluded.version, started = excluded.started, seen = excluded.seen,"
	    " nntp = excluded.nntp, lmtp = excluded.lmtp",
	[S_FE_PRUNE] = "DELETE FROM frontends WHERE seen < ?1",
	[S_FE_GONE] = "DELETE FROM frontends WHERE owner = ?1",
	[S_FE_EACH] = "SELECT owner, version, started, seen, nntp, lmtp FROM frontends"
	    " ORDER BY owner",
	[S_LEASE] = "INSERT INTO leases (name, owner, until) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
	    " WHERE leases.owner = excluded.owner OR leases.until < ?4 RETURNING 1",
};

/* Where PostgreSQL's SQL differs. */
static const char *pg_sql[S_MAX] = {
	[S_ITEM_DIRTY] = "SELECT post_id, comment_id FROM items WHERE source_id = ?1"
	    " AND dirty <> 0 ORDER BY comment_id <> 0, date, post_id, comment_id",
	[S_LOCAL_ID] = "SELECT greatest(max(comment_id), max(post_id)) + 1 FROM items"
	    " WHERE source_id = ?1",
	[S_NEWNEWS] = "SELECT a.id, a.arrived, a.msgid, (SELECT string_agg(g.name, ',')"
	    " FROM numbers n JOIN groups g ON g.id = n.group_id WHERE n.article_id = a.id)"
	    " FROM articles a WHERE (a.arrived, a.id) > (?1, ?2) AND a.live = 1"
	    " ORDER BY a.arrived, a.id LIMIT ?3",
	[S_LEASE] = "INSERT INTO leases (name, owner, until)"
	    " VALUES (?1, ?2, " PG_NOW " + (?3::bigint - ?4::bigint))"
	    " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
	    " WHERE leases.owner = excluded.owner OR leases.until < " PG_NOW " RETURNING 1",
};




/* Groups. */

void
store_group_clear(struct store_group *g)
{
	free(g->name);
	free(g->description);
	memset(g, 0, sizeof(*g));
}

static void
group_row(struct stmt *st, struct store_group *g)
{
	g->id = col_int(st, 0);
	g->name = col_str(st, 1);
	g->description = col_str(st, 2);
	g->created = (time_t)col_int(st, 3);
	g->posting = col_int(st, 4);
	g->count = col_int(st, 5);
	g->high = col_int(st, 7);
	if (g->count == 0)
		g->low = g->high + 1;	/* RFC 3977 6.1.1.2: empty group */
	else
		g->low = col_int(st, 6);
}

int
store_group_get(struct store *s, const char *name, struct store_group *g)
{
	struct stmt	*st = prep(s, S_GROUP_GET);
	int		 rc;

	memset(g, 0, sizeof(*g));
	bind_text(st, 1, name);
	rc = step(st);
	if (rc == DB_ROW) {
		group_row(st, g);
		reset(st);
		return 0;
	}
	reset(st);
	return rc == DB_DONE ? 1 : dberr(s, "group get");
}

int
store_group_ensure(struct store *s, const char *name, const char *desc, int posting,
    long long *id)
{
	struct stmt	*st = prep(s, S_GROUP_ID);
	const char	*d;
	int		 rc, same;

	bind_text(st, 1, name);
	rc = step(st);
	if (rc == DB_ROW) {
		*id = col_int(st, 0);
		d = (const char *)col_text(st, 1);
		same = col_int(st, 2) == posting && (desc == NULL ||
		    (d != NULL && !strcmp(d, desc)));
		reset(st);
		if (same)
			return 0;
		st = prep(s, S_GROUP_UPD);
		bind_int(st, 1, *id);
		bind_text(st, 2, desc);
		bind_int(st, 3, posting);
		return run(s, st, "group update");
	}
	reset(st);
	if (rc != DB_DONE)
		return dberr(s, "group id");
	st = prep(s, S_GROUP_INS);
	bind_text(st, 1, name);
	bind_text(st, 2, desc);
	bind_int(st, 3, (long long)time(NULL));
	bind_int(st, 4, posting);
	return one_int(s, st, id, "group insert") == 0 ? 0 : -1;
}

int
store_group_each(struct store *s, store_group_cb cb, void *arg)
{
	struct stmt		*st = prep(s, S_GROUP_EACH);
	struct store_group	 g;
	int			 rc;

	int			 stop = 0;

	while (!stop && (rc = step(st)) == DB_ROW) {
		group_row(st, &g);
		stop = cb(&g, arg) != 0;
		store_group_clear(&g);
	}
	reset(st);
	return stop || rc == DB_DONE ? 0 : dberr(s, "groups");
}

int
store_group_mark(struct store *s, long long gid, long long *count, long long *next)
{
	struct stmt	*st = prep(s, S_GROUP_MARK);
	int		 rc;

	bind_int(st, 1, gid);
	if ((rc = step(st)) == DB_ROW) {
		*count = col_int(st, 0);
		*next = col_int(st, 1);
	}
	reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : dberr(s, "group mark");
}

int
store_group_next_number(struct store *s, long long gid, long long *num)
{
	struct stmt	*st = prep(s, S_GROUP_NEXT);

	bind_int(st, 1, gid);
	return one_int(s, st, num, "next number") == 0 ? 0 : -1;
}

/* Sources. */

int
store_source_id(struct store *s, const char *name, long long *id)
{
	struct stmt	*st = prep(s, S_SOURCE_GET);

	bind_text(st, 1, name);
	if (step(st) == DB_ROW) {
		*id = col_int(st, 0);
		reset(st);
		return 0;
	}
	reset(st);
	st = prep(s, S_SOURCE_INS);
	bind_text(st, 1, name);
	return one_int(s, st, id, "source insert") == 0 ? 0 : -1;
}

/* Items. */

void
store_item_clear(struct store_item *si)
{
	item_free(&si->it);
	free(si->hash);
	free(si->msgid);
	memset(si, 0, sizeof(*si));
}

static char *
cats_join(const struct item *it)
{
	struct buf	b;
	int		i;

	if (it->ncategories == 0)
		return NULL;
	buf_init(&b);
	for (i = 0; i < it->ncategories; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		buf_adds(&b, it->categories[i]);
	}
	return buf_steal(&b);
}

static void
cats_split(struct item *it, const char *s)
{
	const char	*p, *nl;

	if (s == NULL || *s == '\0')
		return;
	for (p = s;; p = nl + 1) {
		nl = strchr(p, '\n');
		it->categories = xreallocarray(it->categories, it->ncategories + 1,
		    sizeof(char *));
		it->categories[it->ncategories++] = nl ? xstrndup(p, (size_t)(nl - p)) :
		    xstrdup(p);
		if (nl == NULL)
			break;
	}
}

static void
item_row(struct stmt *st, long long source_id, struct store_item *si)
{
	struct item	*it = &si->it;

	memset(si, 0, sizeof(*si));
	si->source_id = source_id;
	it->kind = col_int(st, 0);
	it->state = col_int(st, 1);
	it->post_id = col_int(st, 2);
	it->comment_id = col_int(st, 3);
	it->parent_id = col_int(st, 4);
	it->post_link = col_str(st, 5);
	it->title = col_str(st, 6);
	it->author = col_str(st, 7);
	it->author_email = col_str(st, 8);
	it->author_url = col_str(st, 9);
	it->link = col_str(st, 10);
	it->html = col_str(st, 11);
	it->date = (time_t)col_int(st, 12);
	cats_split(it, (const char *)col_text(st, 13));
	si->hash = col_str(st, 14);
	si->msgid = col_str(st, 15);
	si->article_id = col_int(st, 16);
	si->dirty = col_int(st, 17);
	si->gen = col_int(st, 18);
}

int
store_item_get(struct store *s, long long source_id, long long post_id,
    long long comment_id, struct store_item *si)
{
	struct stmt	*st = prep(s, S_ITEM_GET);
	int		 rc;

	bind_int(st, 1, source_id);
	bind_int(st, 2, post_id);
	bind_int(st, 3, comment_id);
	rc = step(st);
	if (rc == DB_ROW)
		item_row(st, source_id, si);
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "item get");
}

int
store_item_put(struct store *s, long long source_id, const struct item *it,
    const char *hash, const char *msgid, long long gen, int *result, int *dup)
{
	struct stmt	*st = prep(s, S_ITEM_HASH);
	char		*cats;
	int		 rc, exists = 0, same = 0;

	*result = 0;
	*dup = 0;
	bind_int(st, 1, source_id);
	bind_int(st, 2, it->post_id);
	bind_int(st, 3, it->comment_id);
	rc = step(st);
	if (rc == DB_ROW) {
		exists = 1;
		same = !strcmp((const char *)col_text(st, 0), hash);
		*dup = col_int(st, 1) == gen;
	}
	reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return dberr(s, "item get");
	if (exists && same) {
		st = prep(s, S_ITEM_STAMP);
		bind_int(st, 1, source_id);
		bind_int(st, 2, it->post_id);
		bind_int(st, 3, it->comment_id);
		bind_int(st, 4, gen);
		return run(s, st, "item stamp");
	}
	st = prep(s, exists ? S_ITEM_UPD : S_ITEM_INS);
	cats = cats_join(it);
	bind_int(st, 1, source_id);
	bind_int(st, 2, it->post_id);
	bind_int(st, 3, it->comment_id);
	bind_int(st, 4, it->kind);
	bind_int(st, 5, it->state);
	bind_int(st, 6, it->parent_id);
	bind_text(st, 7, it->post_link);
	bind_text(st, 8, it->title);
	bind_text(st, 9, it->author);
	bind_text(st, 10, it->author_email);
	bind_text(st, 11, it->author_url);
	bind_text(st, 12, it->link);
	bind_text(st, 13, it->html);
	bind_int(st, 14, (long long)it->date);
	bind_text(st, 15, cats);
	bind_text(st, 16, hash);
	if (!exists)
		bind_text(st, 17, msgid);
	bind_int(st, 18, gen);
	bind_text(st, 19, it->comments_url);
	rc = run(s, st, exists ? "item update" : "item insert");
	free(cats);
	if (rc == 0)
		*result = exists ? 2 : 1;
	return rc;
}

void
store_item_ref_clear(struct store_item_ref *r)
{
	free(r->live_msgid);
	memset(r, 0, sizeof(*r));
}

int
store_item_ref(struct store *s, long long source_id, long long post_id,
    long long comment_id, struct store_item_ref *r)
{
	struct stmt	*st = prep(s, S_ITEM_REF);
	int		 rc;

	memset(r, 0, sizeof(*r));
	bind_int(st, 1, source_id);
	bind_int(st, 2, post_id);
	bind_int(st, 3, comment_id);
	rc = step(st);
	if (rc == DB_ROW) {
		r->post_id = post_id;
		r->comment_id = comment_id;
		r->parent_id = col_int(st, 0);
		r->article_id = col_int(st, 1);
		r->dirty = col_int(st, 2);
		if (r->article_id != 0)
			r->live_msgid = col_str(st, 3);
	}
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "item ref");
}

int
store_post_by_link(struct store *s, long long source_id, const char *link,
    long long *post_id)
{
	struct stmt	*st = prep(s, S_ITEM_BY_LINK);

	bind_int(st, 1, source_id);
	bind_text(st, 2, link);
	return one_int(s, st, post_id, "post by link");
}

int
store_items_vanish(struct store *s, long long source_id, long long post_id,
    long long gen, long *n)
{
	struct stmt	*st = prep(s, S_ITEM_VANISH);

	bind_int(st, 1, source_id);
	bind_int(st, 2, post_id);
	bind_int(st, 3, gen);
	if (run(s, st, "vanish") == -1)
		return -1;
	*n = s->changes;
	return 0;
}

int
store_items_dirty(struct store *s, long long source_id, store_key_cb cb, void *arg)
{
	struct stmt	*st;
	long long	*v = NULL;
	size_t		 n = 0, i;
	int		 rc, ret = 0;

	/* Collect the keys first: the callback writes to the same table. */
	st = prep(s, S_ITEM_DIRTY);
	bind_int(st, 1, source_id);
	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = col_int(st, 0);
		v[n++] = col_int(st, 1);
	}
	reset(st);
	if (rc != DB_DONE)
		ret = dberr(s, "dirty items");
	for (i = 0; ret == 0 && i < n; i += 2)
		if (cb(v[i], v[i + 1], arg) != 0)
			ret = -1;
	free(v);
	return ret;
}

int
store_item_clean(struct store *s, long long source_id, long long post_id,
    long long comment_id, long long article_id)
{
	struct stmt	*st = prep(s, S_ITEM_CLEAN);

	bind_int(st, 1, source_id);
	bind_int(st, 2, post_id);
	bind_int(st, 3, comment_id);
	bind_int(st, 4, article_id);
	return run(s, st, "item clean");
}

static long long
meta_int(struct store *s, const char *key)
{
	struct stmt	*st = prep(s, S_META_GET);
	long long	 v = 0;

	bind_text(st, 1, key);
	one_int(s, st, &v, "meta get");
	return v;
}

long long
store_next_gen(struct store *s)
{
	struct stmt	*st;
	long long	 g = meta_int(s, "gen") + 1;

	st = prep(s, S_META_PUT);
	bind_text(st, 1, "gen");
	bind_int(st, 2, g);
	run(s, st, "gen");
	return g;
}

long long
store_local_comment_id(struct store *s, long long source_id)
{
	struct stmt	*st = prep(s, S_LOCAL_ID);
	long long	 id = 1;

	bind_int(st, 1, source_id);
	if (step(st) == DB_ROW && !col_null(st, 0))
		id = col_int(st, 0);
	reset(st);
	return id;
}

/* Articles. */

void
store_article_clear(struct store_article *a)
{
	free(a->msgid);
	free(a->data);
	memset(a, 0, sizeof(*a));
}

int
store_article_add(struct store *s, const struct store_newart *na, long long *id)
{
	struct stmt	*st = prep(s, S_ART_INS);
	int		 i;

	bind_text(st, 1, na->msgid);
	bind_int(st, 2, na->source_id);
	bind_int(st, 3, na->post_id);
	bind_int(st, 4, na->comment_id);
	bind_int(st, 5, na->version);
	bind_int(st, 6, (long long)na->date);
	bind_int(st, 7, (long long)time(NULL));
	bind_blob(st, 8, na->data, na->len);
	bind_int(st, 9, (long long)na->head_len);
	bind_octets(st, 10, na->over, strlen(na->over));
	if (one_int(s, st, id, "article insert") != 0)
		return -1;
	for (i = 0; i < na->ngroups; i++) {
		st = prep(s, S_NUM_INS);
		bind_int(st, 1, na->gids[i]);
		bind_int(st, 2, na->nums[i]);
		bind_int(st, 3, *id);
		if (run(s, st, "number insert") == -1)
			return -1;
		st = prep(s, S_GROUP_COUNT_UP);
		bind_int(st, 1, na->gids[i]);
		if (run(s, st, "group count") == -1)
			return -1;
		group_changed(s, na->gids[i]);
	}
	return 0;
}

int
store_article_withdraw(struct store *s, long long id)
{
	static const enum stmt_id steps[] = { S_GROUP_COUNT_DOWN, S_NUM_WITHDRAW,
	    S_ART_WITHDRAW };
	long long	gids[16];
	size_t		i;
	int		n, k;

	if (store_notifies(s)) {	/* which groups other front ends are to hear of */
		if ((n = store_article_groups(s, id, gids, 16)) < 0)
			return -1;
		for (k = 0; k < n; k++)
			group_changed(s, gids[k]);
		if (n == 16)
			group_changed(s, 0);	/* perhaps more: every group */
	}
	/* Counts first: they only count numbers still live. */
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct stmt *st = prep(s, steps[i]);

		bind_int(st, 1, id);
		if (run(s, st, "withdraw") == -1)
			return -1;
	}
	return 0;
}

static int
article_fetch(struct store *s, struct stmt *st, struct store_article *a, const char *what)
{
	int	rc = step(st);

	memset(a, 0, sizeof(*a));
	if (rc == DB_ROW) {
		a->id = col_int(st, 0);
		a->msgid = col_str(st, 1);
		a->live = col_int(st, 2);
		a->date = (time_t)col_int(st, 3);
		a->arrived = (time_t)col_int(st, 4);
		a->len = (size_t)col_bytes(st, 5);
		a->data = xmalloc(a->len + 1);
		if (a->len > 0)
			memcpy(a->data, col_blob(st, 5), a->len);
		a->data[a->len] = '\0';
		a->head_len = (size_t)col_int(st, 6);
	}
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, what);
}

int
store_article_by_msgid(struct store *s, const char *msgid, struct store_article *a)
{
	struct stmt	*st = prep(s, S_ART_BY_MSGID);

	bind_text(st, 1, msgid);
	return article_fetch(s, st, a, "article by msgid");
}

int
store_article_stat_msgid(struct store *s, const char *msgid, struct store_article *a)
{
	struct stmt	*st = prep(s, S_ART_STAT_MSGID);

	bind_text(st, 1, msgid);
	return article_fetch(s, st, a, "stat by msgid");
}

int
store_article_stat_num(struct store *s, long long gid, long long num,
    struct store_article *a)
{
	struct stmt	*st = prep(s, S_ART_STAT_NUM);

	bind_int(st, 1, gid);
	bind_int(st, 2, num);
	return article_fetch(s, st, a, "stat by number");
}

int
store_article_by_id(struct store *s, long long id, struct store_article *a)
{
	struct stmt	*st = prep(s, S_ART_BY_ID);

	bind_int(st, 1, id);
	return article_fetch(s, st, a, "article by id");
}

int
store_article_by_num(struct store *s, long long gid, long long num,
    struct store_article *a)
{
	struct stmt	*st = prep(s, S_ART_BY_NUM);

	bind_int(st, 1, gid);
	bind_int(st, 2, num);
	return article_fetch(s, st, a, "article by number");
}

int
store_msgid_exists(struct store *s, const char *msgid)
{
	struct stmt	*st = prep(s, S_ART_EXISTS);
	long long	 one;

	bind_text(st, 1, msgid);
	return one_int(s, st, &one, "msgid exists");
}

int
store_article_msgid(struct store *s, long long id, char **msgid, int *live)
{
	struct stmt	*st = prep(s, S_ART_MSGID);
	int		 rc;

	bind_int(st, 1, id);
	rc = step(st);
	if (rc == DB_ROW) {
		*msgid = col_str(st, 0);
		*live = col_int(st, 1);
	}
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "article msgid");
}

int
store_article_item(struct store *s, const char *msgid, long long *source_id,
    long long *post_id, long long *comment_id)
{
	struct stmt	*st = prep(s, S_ART_ITEM);
	int		 rc;

	bind_text(st, 1, msgid);
	rc = step(st);
	if (rc == DB_ROW) {
		*source_id = col_int(st, 0);
		*post_id = col_int(st, 1);
		*comment_id = col_int(st, 2);
	}
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "article item");
}

int
store_article_step(struct store *s, long long gid, long long num, int dir, long long *out)
{
	struct stmt	*st = prep(s, dir > 0 ? S_STEP_NEXT : S_STEP_PREV);

	bind_int(st, 1, gid);
	bind_int(st, 2, num);
	return one_int(s, st, out, "step");
}

int
store_article_num(struct store *s, long long gid, const char *msgid, long long *num)
{
	struct stmt	*st = prep(s, S_ART_NUM);

	bind_int(st, 1, gid);
	bind_text(st, 2, msgid);
	return one_int(s, st, num, "article number");
}

static struct stmt *
range_stmt(struct store *s, enum stmt_id id, long long gid, long long lo, long long hi,
    int limit)
{
	struct stmt	*st = prep(s, id);

	bind_int(st, 1, gid);
	bind_int(st, 2, lo);
	bind_int(st, 3, hi);
	bind_int(st, 4, limit < 0 ? INT64_MAX : limit);	/* -1: no limit */
	return st;
}

int
store_over_range(struct store *s, long long gid, long long lo, long long hi, int limit,
    store_over_cb cb, void *arg, long long *last)
{
	struct stmt	*st = range_stmt(s, S_OVER_RANGE, gid, lo, hi, limit);
	int		 rc;

	*last = lo - 1;
	while ((rc = step(st)) == DB_ROW) {
		*last = col_int(st, 0);
		if (cb(*last, (const char *)col_text(st, 1),
		    (size_t)col_bytes(st, 1), arg) != 0)
			break;
	}
	reset(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : dberr(s, "over");
}

int
store_over_msgid(struct store *s, const char *msgid, char **over)
{
	struct stmt	*st = prep(s, S_OVER_MSGID);

	bind_text(st, 1, msgid);
	return one_str(s, st, over, "over msgid");
}

int
store_numbers_range(struct store *s, long long gid, long long lo, long long hi, int limit,
    store_num_cb cb, void *arg, long long *last)
{
	struct stmt	*st = range_stmt(s, S_NUM_RANGE, gid, lo, hi, limit);
	int		 rc;

	*last = lo - 1;
	while ((rc = step(st)) == DB_ROW) {
		*last = col_int(st, 0);
		if (cb(*last, arg) != 0)
			break;
	}
	reset(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : dberr(s, "numbers");
}

int
store_withdrawn_range(struct store *s, long long gid, long long lo, long long hi,
    store_num_cb cb, void *arg)
{
	struct stmt	*st = range_stmt(s, S_NUM_GONE, gid, lo, hi, -1);
	int		 rc;

	while ((rc = step(st)) == DB_ROW)
		if (cb(col_int(st, 0), arg) != 0)
			break;
	reset(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : dberr(s, "withdrawn numbers");
}

int
store_heads_range(struct store *s, long long gid, long long lo, long long hi, int limit,
    store_art_cb cb, void *arg, long long *last)
{
	struct stmt	*st = range_stmt(s, S_HEAD_RANGE, gid, lo, hi, limit);
	int		 rc;

	*last = lo - 1;
	while ((rc = step(st)) == DB_ROW) {
		*last = col_int(st, 0);
		if (cb(*last, col_blob(st, 1), (size_t)col_int(st, 2),
		    arg) != 0)
			break;
	}
	reset(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : dberr(s, "heads");
}

int
store_newnews(struct store *s, time_t arrived, long long id, int limit,
    store_newnews_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_NEWNEWS);
	int		 rc, stop = 0;

	bind_int(st, 1, (long long)arrived);
	bind_int(st, 2, id);
	bind_int(st, 3, limit);
	while (!stop && (rc = step(st)) == DB_ROW)
		stop = cb(col_int(st, 0), (time_t)col_int(st, 1),
		    (const char *)col_text(st, 2),
		    (const char *)col_text(st, 3), arg) != 0;
	reset(st);
	return stop || rc == DB_DONE ? 0 : dberr(s, "newnews");
}

/* Users. */

int
store_user_put(struct store *s, const char *name, const char *hash)
{
	struct stmt	*st = prep(s, S_USER_PUT);

	bind_text(st, 1, name);
	bind_text(st, 2, hash);
	return run(s, st, "user put");
}

int
store_user_hash(struct store *s, const char *name, char **hash)
{
	struct stmt	*st = prep(s, S_USER_GET);

	bind_text(st, 1, name);
	return one_str(s, st, hash, "user get");
}

int
store_user_del(struct store *s, const char *name)
{
	struct stmt	*st = prep(s, S_USER_DEL);

	bind_text(st, 1, name);
	if (run(s, st, "user del") == -1)
		return -1;
	return s->changes > 0 ? 0 : 1;
}

int
store_user_each(struct store *s, store_user_cb cb, void *arg)
{
	struct stmt	*st = prep(s, S_USER_EACH);
	int		 rc;

	while ((rc = step(st)) == DB_ROW)
		if (cb((const char *)col_text(st, 0), arg) != 0)
			break;
	reset(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : dberr(s, "users");
}

/* Meta. */

int
store_meta_get(struct store *s, const char *key, char **value)
{
	struct stmt	*st = prep(s, S_META_GET);

	bind_text(st, 1, key);
	return one_str(s, st, value, "meta get");
}

int
store_meta_put(struct store *s, const char *key, const char *value)
{
	struct stmt	*st = prep(s, S_META_PUT);

	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return run(s, st, "meta put");
}

int
store_lease(struct store *s, const char *name, const char *owner, time_t now, time_t until)
{
	struct stmt	*st = prep(s, S_LEASE);
	long long	 one;

	bind_text(st, 1, name);
	bind_text(st, 2, owner);
	bind_int(st, 3, (long long)until);
	bind_int(st, 4, (long long)now);
	return one_int(s, st, &one, "lease");
}

/* Poll results. */

static const char *poll_names[POLL_NRESULTS] = {
	"never", "ok", "not modified", "http error", "unreachable", "parse error",
	"store error"
};

const char *
store_poll_result_name(int r)
{
	return r >= 0 && r < POLL_NRESULTS ? poll_names[r] : "unknown";
}

int
store_poll_result(const char *name)
{
	int	i;

	for (i = 0; name != NULL && i < POLL_NRESULTS; i++)
		if (!strcmp(name, poll_names[i]))
			return i;
	return POLL_NONE;
}

void
store_source_status_clear(struct store_source_status *ss)
{
	free(ss->source);
	free(ss->error);
	free(ss->owner);
	memset(ss, 0, sizeof(*ss));
}

int
store_source_status_put(struct store *s, const struct store_source_status *ss)
{
	struct stmt	*st = prep(s, S_SS_PUT);
	int		 good = ss->result == POLL_OK || ss->result == POLL_NOT_MODIFIED;

	bind_text(st, 1, ss->source);
	bind_int(st, 2, (long long)ss->polled);
	bind_text(st, 3, store_poll_result_name(ss->result));
	bind_int(st, 4, ss->http_status);
	bind_text(st, 5, ss->error);
	bind_int(st, 6, (long long)ss->next_poll);
	bind_int(st, 7, good);
	bind_text(st, 8, ss->owner);
	bind_int(st, 9, good ? (long long)ss->polled : 0);	/* a first row: last_ok */
	bind_int(st, 10, !good);				/* and fails */
	return run(s, st, "source status put");
}

static void
ss_row(struct stmt *st, struct store_source_status *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->source = col_str(st, 0);
	ss->polled = (time_t)col_int(st, 1);
	ss->result = store_poll_result(col_text(st, 2));
	ss->http_status = (int)col_int(st, 3);
	ss->error = col_str(st, 4);
	ss->next_poll = (time_t)col_int(st, 5);
	ss->last_ok = (time_t)col_int(st, 6);
	ss->fails = (int)col_int(st, 7);
	ss->owner = col_str(st, 8);
}

int
store_source_status_get(struct store *s, const char *source, struct store_source_status *ss)
{
	struct stmt	*st = prep(s, S_SS_GET);
	int		 rc;

	memset(ss, 0, sizeof(*ss));
	bind_text(st, 1, source);
	if ((rc = step(st)) == DB_ROW)
		ss_row(st, ss);
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, "source status get");
}

int
store_source_status_each(struct store *s, store_source_status_cb cb, void *arg)
{
	struct stmt			*st = prep(s, S_SS_EACH);
	struct store_source_status	*v = NULL;
	size_t				 n = 0, i;
	int				 rc, stop = 0;

	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		ss_row(st, &v[n++]);
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(&v[i], arg) != 0)
			stop = 1;
		store_source_status_clear(&v[i]);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "source status");
}

/* Front ends' heartbeats. */

void
store_frontend_clear(struct store_frontend *fe)
{
	free(fe->owner);
	free(fe->version);
	memset(fe, 0, sizeof(*fe));
}

int
store_frontend_beat(struct store *s, const struct store_frontend *fe, time_t prune_before)
{
	struct stmt	*st = prep(s, S_FE_BEAT);

	bind_text(st, 1, fe->owner);
	bind_text(st, 2, fe->version);
	bind_int(st, 3, (long long)fe->started);
	bind_int(st, 4, (long long)fe->seen);
	bind_int(st, 5, fe->nntp);
	bind_int(st, 6, fe->lmtp);
	if (run(s, st, "heartbeat") == -1)
		return -1;
	st = prep(s, S_FE_PRUNE);
	bind_int(st, 1, (long long)prune_before);
	return run(s, st, "heartbeat prune");
}

int
store_frontend_gone(struct store *s, const char *owner)
{
	struct stmt	*st = prep(s, S_FE_GONE);

	bind_text(st, 1, owner);
	return run(s, st, "heartbeat gone");
}

int
store_frontend_each(struct store *s, store_frontend_cb cb, void *arg)
{
	struct stmt		*st = prep(s, S_FE_EACH);
	struct store_frontend	*v = NULL;
	size_t			 n = 0, i;
	int			 rc, stop = 0;

	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].owner = col_str(st, 0);
		v[n].version = col_str(st, 1);
		v[n].started = (time_t)col_int(st, 2);
		v[n].seen = (time_t)col_int(st, 3);
		v[n].nntp = (int)col_int(st, 4);
		v[n].lmtp = (int)col_int(st, 5);
		n++;
	}
	reset(st);
	for (i = 0; i < n; i++) {
		if (!stop && cb(&v[i], arg) != 0)
			stop = 1;
		store_frontend_clear(&v[i]);
	}
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, "front ends");
}
