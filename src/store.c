/* store.c: SQLite store: schema, groups, items, articles, overview, users. With
 * store_mail.c (queues and lists), the only files with SQL in them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

static const char *stmt_sql[S_MAX] = {
	[S_GROUP_GET] = "SELECT g.id, g.name, g.description, g.created, g.posting,"
	    " g.live_count, (SELECT min(n.num) FROM numbers n"
	    "   WHERE n.group_id = g.id AND n.live), g.next_num - 1"
	    " FROM groups g WHERE g.name = ?1",
	[S_GROUP_ID] = "SELECT id, description, posting FROM groups WHERE name = ?1",
	[S_GROUP_INS] = "INSERT INTO groups (name, description, created, posting, next_num)"
	    " VALUES (?1, ?2, ?3, ?4, 1)",
	[S_GROUP_UPD] = "UPDATE groups SET description = ?2, posting = ?3 WHERE id = ?1",
	[S_GROUP_EACH] = "SELECT g.id, g.name, g.description, g.created, g.posting,"
	    " g.live_count, (SELECT min(n.num) FROM numbers n"
	    "   WHERE n.group_id = g.id AND n.live), g.next_num - 1"
	    " FROM groups g ORDER BY g.name",
	[S_GROUP_NEXT] = "SELECT next_num FROM groups WHERE id = ?1",
	[S_GROUP_BUMP] = "UPDATE groups SET next_num = next_num + 1 WHERE id = ?1",
	[S_GROUP_MARK] = "SELECT live_count, next_num FROM groups WHERE id = ?1",
	[S_SOURCE_GET] = "SELECT id FROM sources WHERE name = ?1",
	[S_SOURCE_INS] = "INSERT INTO sources (name) VALUES (?1)",
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
	[S_ITEM_DIRTY] = "SELECT post_id, comment_id FROM items WHERE source_id = ?1 AND dirty"
	    " ORDER BY comment_id <> 0, date, post_id, comment_id",
	[S_ITEM_CLEAN] = "UPDATE items SET dirty = 0, article_id = ?4"
	    " WHERE source_id = ?1 AND post_id = ?2 AND comment_id = ?3",
	[S_LOCAL_ID] = "SELECT max(max(comment_id), max(post_id)) + 1 FROM items"
	    " WHERE source_id = ?1",
	[S_ITEM_HASH] = "SELECT hash, gen FROM items"
	    " WHERE source_id = ?1 AND post_id = ?2 AND comment_id = ?3",
	[S_ITEM_REF] = "SELECT i.parent_id, i.article_id, i.dirty,"
	    " (SELECT a.msgid FROM articles a WHERE a.id = i.article_id AND a.live) FROM items i"
	    " WHERE i.source_id = ?1 AND i.post_id = ?2 AND i.comment_id = ?3",
	[S_ART_INS] = "INSERT INTO articles (msgid, source_id, post_id, comment_id, version,"
	    " live, date, arrived, data, head_len, over)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10)",
	[S_NUM_INS] = "INSERT INTO numbers (group_id, num, article_id) VALUES (?1, ?2, ?3)",
	[S_GROUP_COUNT_UP] = "UPDATE groups SET live_count = live_count + 1 WHERE id = ?1",
	[S_GROUP_COUNT_DOWN] = "UPDATE groups SET live_count = live_count - 1 WHERE id IN"
	    " (SELECT group_id FROM numbers WHERE article_id = ?1 AND live)",
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
	    " WHERE n.group_id = ?1 AND a.msgid = ?2 AND a.live",
	[S_OVER_RANGE] = "SELECT n.num, a.over FROM numbers n JOIN articles a"
	    " ON a.id = n.article_id WHERE n.group_id = ?1 AND n.num BETWEEN ?2 AND ?3"
	    " AND n.live = 1 ORDER BY n.num LIMIT ?4",
	[S_OVER_MSGID] = "SELECT over FROM articles WHERE msgid = ?1 AND live",
	[S_NUM_RANGE] = "SELECT num FROM numbers WHERE group_id = ?1 AND live = 1"
	    " AND num BETWEEN ?2 AND ?3 ORDER BY num LIMIT ?4",
	[S_NUM_GONE] = "SELECT num FROM numbers WHERE group_id = ?1 AND live = 0"
	    " AND num BETWEEN ?2 AND ?3 ORDER BY num LIMIT ?4",
	[S_HEAD_RANGE] = "SELECT n.num, a.data, a.head_len FROM numbers n JOIN articles a"
	    " ON a.id = n.article_id WHERE n.group_id = ?1 AND n.num BETWEEN ?2 AND ?3"
	    " AND n.live = 1 ORDER BY n.num LIMIT ?4",
	[S_NEWNEWS] = "SELECT a.id, a.arrived, a.msgid, (SELECT group_concat(g.name, ',')"
	    " FROM numbers n JOIN groups g ON g.id = n.group_id WHERE n.article_id = a.id)"
	    " FROM articles a WHERE (a.arrived, a.id) > (?1, ?2) AND a.live"
	    " ORDER BY a.arrived, a.id LIMIT ?3",
	[S_USER_PUT] = "INSERT OR REPLACE INTO users (name, hash) VALUES (?1, ?2)",
	[S_USER_GET] = "SELECT hash FROM users WHERE name = ?1",
	[S_USER_DEL] = "DELETE FROM users WHERE name = ?1",
	[S_USER_EACH] = "SELECT name FROM users ORDER BY name",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_PUT] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
};

/* Forward migrations: migrations[v] takes schema version v to v + 1. */
static const char *migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  description TEXT, created INTEGER NOT NULL, posting INTEGER NOT NULL,"
	"  next_num INTEGER NOT NULL);"
	"CREATE TABLE items (source_id INTEGER NOT NULL REFERENCES sources(id),"
	"  post_id INTEGER NOT NULL, comment_id INTEGER NOT NULL, kind INTEGER NOT NULL,"
	"  state INTEGER NOT NULL, parent_id INTEGER NOT NULL, post_link TEXT, title TEXT,"
	"  author TEXT, email TEXT, url TEXT, link TEXT, html TEXT, date INTEGER,"
	"  categories TEXT, hash TEXT NOT NULL, msgid TEXT, gen INTEGER NOT NULL,"
	"  dirty INTEGER NOT NULL, article_id INTEGER NOT NULL,"
	"  PRIMARY KEY (source_id, post_id, comment_id)) WITHOUT ROWID;"
	"CREATE INDEX items_dirty ON items (source_id, dirty) WHERE dirty;"
	"CREATE INDEX items_link ON items (source_id, link) WHERE comment_id = 0;"
	"CREATE TABLE articles (id INTEGER PRIMARY KEY, msgid TEXT NOT NULL UNIQUE,"
	"  source_id INTEGER, post_id INTEGER, comment_id INTEGER, version INTEGER,"
	"  live INTEGER NOT NULL, date INTEGER NOT NULL, arrived INTEGER NOT NULL,"
	"  data BLOB NOT NULL, head_len INTEGER NOT NULL, over TEXT NOT NULL);"
	"CREATE INDEX articles_date ON articles (date);"
	"CREATE INDEX articles_arrived ON articles (arrived);"
	"CREATE TABLE numbers (group_id INTEGER NOT NULL, num INTEGER NOT NULL,"
	"  article_id INTEGER NOT NULL, PRIMARY KEY (group_id, num)) WITHOUT ROWID;"
	"CREATE INDEX numbers_article ON numbers (article_id);"
	"CREATE TABLE users (name TEXT PRIMARY KEY, hash TEXT NOT NULL) WITHOUT ROWID;",
	/* 1 -> 2: live sources and the outbox */
	"ALTER TABLE items ADD COLUMN comments_url TEXT;"
	"CREATE TABLE fetch_cache (source TEXT NOT NULL, url TEXT NOT NULL, etag TEXT,"
	"  last_modified INTEGER, PRIMARY KEY (source, url)) WITHOUT ROWID;"
	"CREATE TABLE outbox (id INTEGER PRIMARY KEY, source TEXT NOT NULL,"
	"  msgid TEXT NOT NULL UNIQUE, post_id INTEGER NOT NULL, parent_id INTEGER NOT NULL,"
	"  author TEXT, email TEXT, html TEXT NOT NULL, state INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL, next_try INTEGER NOT NULL, last_error TEXT,"
	"  comment_id INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
	"CREATE INDEX outbox_due ON outbox (state, next_try);"
	"CREATE INDEX outbox_comment ON outbox (source, comment_id);",
	/* 2 -> 3: mailing lists */
	"CREATE TABLE subscribers (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL,"
	"  thread TEXT NOT NULL, address TEXT NOT NULL COLLATE NOCASE, mode INTEGER NOT NULL,"
	"  state INTEGER NOT NULL, bounces INTEGER NOT NULL, created INTEGER NOT NULL,"
	"  UNIQUE (group_id, thread, address));"
	"CREATE TABLE mailq (id INTEGER PRIMARY KEY, subscriber_id INTEGER NOT NULL,"
	"  article_id INTEGER NOT NULL, kind INTEGER NOT NULL, state INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL, next_try INTEGER NOT NULL, data BLOB,"
	"  UNIQUE (subscriber_id, article_id, kind));"
	"CREATE INDEX mailq_due ON mailq (state, next_try);",
	/* 3 -> 4: live counts kept, not counted: GROUP in O(log n) */
	"ALTER TABLE numbers ADD COLUMN live INTEGER NOT NULL DEFAULT 1;"
	"UPDATE numbers SET live = (SELECT a.live FROM articles a WHERE a.id = article_id);"
	"CREATE INDEX numbers_live ON numbers (group_id, live, num);"
	"ALTER TABLE groups ADD COLUMN live_count INTEGER NOT NULL DEFAULT 0;"
	"UPDATE groups SET live_count = (SELECT count(*) FROM numbers n"
	"  WHERE n.group_id = groups.id AND n.live);",
	/* 4 -> 5: one mail per subscriber and article; any number of notices */
	"CREATE TABLE mailq5 (id INTEGER PRIMARY KEY, subscriber_id INTEGER NOT NULL,"
	"  article_id INTEGER NOT NULL, kind INTEGER NOT NULL, state INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL, next_try INTEGER NOT NULL, data BLOB);"
	"INSERT INTO mailq5 SELECT * FROM mailq;"
	"DROP TABLE mailq;"
	"ALTER TABLE mailq5 RENAME TO mailq;"
	"CREATE INDEX mailq_due ON mailq (state, next_try);"
	"CREATE UNIQUE INDEX mailq_once ON mailq (subscriber_id, article_id, kind)"
	"  WHERE article_id > 0;",
};
#define NMIGRATIONS	(int)(sizeof(migrations) / sizeof(migrations[0]))

/* Each file keeps the SQL of its statements; the handle caches them all. */
#define prep(s, id)	prep_sql(s, id, stmt_sql[id])

static int
exec(struct store *s, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warn("store: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
migrate(struct store *s, char *err, size_t errlen)
{
	int	 v;
	char	 sql[64];

	if (exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	if ((v = store_schema_version(s)) < 0)
		goto fail;
	if (v > NMIGRATIONS) {
		exec(s, "ROLLBACK");
		snprintf(err, errlen, "store schema version %d is newer than this confab (%d)",
		    v, NMIGRATIONS);
		return -1;
	}
	for (; v < NMIGRATIONS; v++) {
		log_debug("store: migrating schema %d -> %d", v, v + 1);
		if (exec(s, migrations[v]) == -1)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(s, sql) == -1)
			goto fail;
	}
	if (exec(s, "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	exec(s, "ROLLBACK");
	snprintf(err, errlen, "store migration failed: %s", sqlite3_errmsg(s->db));
	return -1;
}

struct store *
store_open(const char *path, int busy_ms, char *err, size_t errlen)
{
	struct store	*s = xcalloc(1, sizeof(*s));

	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) :
		    "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, busy_ms);
	sqlite3_extended_result_codes(s->db, 1);
	/* New stores only (a no-op on an existing one): 8 KiB pages hold an item row
	 * without overflow and make a big import a third faster than 4 KiB. */
	if (exec(s, "PRAGMA page_size = 8192") == -1 ||
	    exec(s, "PRAGMA journal_mode = WAL") == -1 ||
	    exec(s, "PRAGMA synchronous = FULL") == -1 ||	/* durable at COMMIT */
	    exec(s, "PRAGMA mmap_size = 1073741824") == -1 ||	/* no pread copies */
	    exec(s, "PRAGMA foreign_keys = ON") == -1) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	if (migrate(s, err, errlen) == -1)
		goto fail;
	return s;
fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL) {
		if (sqlite3_close(s->db) != SQLITE_OK)
			log_warn("store: close: %s", sqlite3_errmsg(s->db));
	}
	free(s);
}

int
store_begin(struct store *s)
{
	store_read_release(s);
	if (exec(s, "BEGIN IMMEDIATE") == -1)
		return -1;
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	if (exec(s, "COMMIT") == -1)
		return -1;
	s->in_tx = 0;
	return 0;
}

int
store_rollback(struct store *s)
{
	s->in_tx = 0;
	return exec(s, "ROLLBACK");
}

/* Read snapshots nest: the outermost begins and ends the transaction. */
int
store_read_begin(struct store *s)
{
	if (s->reading++ > 0)
		return 0;
	if (exec(s, "BEGIN") == -1) {
		s->reading = 0;
		return -1;
	}
	s->snap++;
	return 0;
}

long long
store_read_id(struct store *s)
{
	return s->reading > 0 ? s->snap : 0;
}

int
store_read_end(struct store *s)
{
	if (s->reading == 0 || --s->reading > 0)
		return 0;
	return exec(s, "COMMIT");
}

void
store_read_hold(struct store *s)
{
	if (!s->held && store_read_begin(s) == 0)
		s->held = 1;
}

void
store_read_release(struct store *s)
{
	if (s->held) {
		s->held = 0;
		store_read_end(s);
	}
}

/* Groups. */

void
store_group_clear(struct store_group *g)
{
	free(g->name);
	free(g->description);
	memset(g, 0, sizeof(*g));
}

static void
group_row(sqlite3_stmt *st, struct store_group *g)
{
	g->id = sqlite3_column_int64(st, 0);
	g->name = col_str(st, 1);
	g->description = col_str(st, 2);
	g->created = (time_t)sqlite3_column_int64(st, 3);
	g->posting = sqlite3_column_int(st, 4);
	g->count = sqlite3_column_int64(st, 5);
	g->high = sqlite3_column_int64(st, 7);
	if (g->count == 0)
		g->low = g->high + 1;	/* RFC 3977 6.1.1.2: empty group */
	else
		g->low = sqlite3_column_int64(st, 6);
}

int
store_group_get(struct store *s, const char *name, struct store_group *g)
{
	sqlite3_stmt	*st = prep(s, S_GROUP_GET);
	int		 rc;

	memset(g, 0, sizeof(*g));
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		group_row(st, g);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 1 : dberr(s, "group get");
}

int
store_group_ensure(struct store *s, const char *name, const char *desc, int posting,
    long long *id)
{
	sqlite3_stmt	*st = prep(s, S_GROUP_ID);
	const char	*d;
	int		 rc, same;

	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		d = (const char *)sqlite3_column_text(st, 1);
		same = sqlite3_column_int(st, 2) == posting && (desc == NULL ||
		    (d != NULL && !strcmp(d, desc)));
		sqlite3_reset(st);
		if (same)
			return 0;
		st = prep(s, S_GROUP_UPD);
		sqlite3_bind_int64(st, 1, *id);
		bind_text(st, 2, desc);
		sqlite3_bind_int(st, 3, posting);
		return run(s, st, "group update");
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dberr(s, "group id");
	st = prep(s, S_GROUP_INS);
	bind_text(st, 1, name);
	bind_text(st, 2, desc);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(st, 4, posting);
	if (run(s, st, "group insert") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_group_each(struct store *s, store_group_cb cb, void *arg)
{
	sqlite3_stmt		*st = prep(s, S_GROUP_EACH);
	struct store_group	 g;
	int			 rc;

	int			 stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		group_row(st, &g);
		stop = cb(&g, arg) != 0;
		store_group_clear(&g);
	}
	sqlite3_reset(st);
	return stop || rc == SQLITE_DONE ? 0 : dberr(s, "groups");
}

int
store_group_mark(struct store *s, long long gid, long long *count, long long *next)
{
	sqlite3_stmt	*st = prep(s, S_GROUP_MARK);
	int		 rc;

	sqlite3_bind_int64(st, 1, gid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*next = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : dberr(s, "group mark");
}

int
store_group_next_number(struct store *s, long long gid, long long *num)
{
	sqlite3_stmt	*st = prep(s, S_GROUP_NEXT);

	sqlite3_bind_int64(st, 1, gid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dberr(s, "next number");
	}
	*num = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = prep(s, S_GROUP_BUMP);
	sqlite3_bind_int64(st, 1, gid);
	return run(s, st, "bump number");
}

/* Sources. */

int
store_source_id(struct store *s, const char *name, long long *id)
{
	sqlite3_stmt	*st = prep(s, S_SOURCE_GET);

	bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	st = prep(s, S_SOURCE_INS);
	bind_text(st, 1, name);
	if (run(s, st, "source insert") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
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
item_row(sqlite3_stmt *st, long long source_id, struct store_item *si)
{
	struct item	*it = &si->it;

	memset(si, 0, sizeof(*si));
	si->source_id = source_id;
	it->kind = sqlite3_column_int(st, 0);
	it->state = sqlite3_column_int(st, 1);
	it->post_id = sqlite3_column_int64(st, 2);
	it->comment_id = sqlite3_column_int64(st, 3);
	it->parent_id = sqlite3_column_int64(st, 4);
	it->post_link = col_str(st, 5);
	it->title = col_str(st, 6);
	it->author = col_str(st, 7);
	it->author_email = col_str(st, 8);
	it->author_url = col_str(st, 9);
	it->link = col_str(st, 10);
	it->html = col_str(st, 11);
	it->date = (time_t)sqlite3_column_int64(st, 12);
	cats_split(it, (const char *)sqlite3_column_text(st, 13));
	si->hash = col_str(st, 14);
	si->msgid = col_str(st, 15);
	si->article_id = sqlite3_column_int64(st, 16);
	si->dirty = sqlite3_column_int(st, 17);
	si->gen = sqlite3_column_int64(st, 18);
}

int
store_item_get(struct store *s, long long source_id, long long post_id,
    long long comment_id, struct store_item *si)
{
	sqlite3_stmt	*st = prep(s, S_ITEM_GET);
	int		 rc;

	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, post_id);
	sqlite3_bind_int64(st, 3, comment_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		item_row(st, source_id, si);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : dberr(s, "item get");
}

int
store_item_put(struct store *s, long long source_id, const struct item *it,
    const char *hash, const char *msgid, long long gen, int *result, int *dup)
{
	sqlite3_stmt	*st = prep(s, S_ITEM_HASH);
	char		*cats;
	int		 rc, exists = 0, same = 0;

	*result = 0;
	*dup = 0;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, it->post_id);
	sqlite3_bind_int64(st, 3, it->comment_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		exists = 1;
		same = !strcmp((const char *)sqlite3_column_text(st, 0), hash);
		*dup = sqlite3_column_int64(st, 1) == gen;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(s, "item get");
	if (exists && same) {
		st = prep(s, S_ITEM_STAMP);
		sqlite3_bind_int64(st, 1, source_id);
		sqlite3_bind_int64(st, 2, it->post_id);
		sqlite3_bind_int64(st, 3, it->comment_id);
		sqlite3_bind_int64(st, 4, gen);
		return run(s, st, "item stamp");
	}
	st = prep(s, exists ? S_ITEM_UPD : S_ITEM_INS);
	cats = cats_join(it);
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, it->post_id);
	sqlite3_bind_int64(st, 3, it->comment_id);
	sqlite3_bind_int(st, 4, it->kind);
	sqlite3_bind_int(st, 5, it->state);
	sqlite3_bind_int64(st, 6, it->parent_id);
	bind_text(st, 7, it->post_link);
	bind_text(st, 8, it->title);
	bind_text(st, 9, it->author);
	bind_text(st, 10, it->author_email);
	bind_text(st, 11, it->author_url);
	bind_text(st, 12, it->link);
	bind_text(st, 13, it->html);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)it->date);
	bind_text(st, 15, cats);
	bind_text(st, 16, hash);
	if (!exists)
		bind_text(st, 17, msgid);
	sqlite3_bind_int64(st, 18, gen);
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
	sqlite3_stmt	*st = prep(s, S_ITEM_REF);
	int		 rc;

	memset(r, 0, sizeof(*r));
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, post_id);
	sqlite3_bind_int64(st, 3, comment_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->post_id = post_id;
		r->comment_id = comment_id;
		r->parent_id = sqlite3_column_int64(st, 0);
		r->article_id = sqlite3_column_int64(st, 1);
		r->dirty = sqlite3_column_int(st, 2);
		if (r->article_id != 0)
			r->live_msgid = col_str(st, 3);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : dberr(s, "item ref");
}

int
store_post_by_link(struct store *s, long long source_id, const char *link,
    long long *post_id)
{
	sqlite3_stmt	*st = prep(s, S_ITEM_BY_LINK);

	sqlite3_bind_int64(st, 1, source_id);
	bind_text(st, 2, link);
	return one_int(s, st, post_id, "post by link");
}

int
store_items_vanish(struct store *s, long long source_id, long long post_id,
    long long gen, long *n)
{
	sqlite3_stmt	*st = prep(s, S_ITEM_VANISH);

	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, post_id);
	sqlite3_bind_int64(st, 3, gen);
	if (run(s, st, "vanish") == -1)
		return -1;
	*n = sqlite3_changes(s->db);
	return 0;
}

int
store_items_dirty(struct store *s, long long source_id, store_key_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	long long	*v = NULL;
	size_t		 n = 0, i;
	int		 rc, ret = 0;

	/* Collect the keys first: the callback writes to the same table. */
	st = prep(s, S_ITEM_DIRTY);
	sqlite3_bind_int64(st, 1, source_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = sqlite3_column_int64(st, 0);
		v[n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
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
	sqlite3_stmt	*st = prep(s, S_ITEM_CLEAN);

	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, post_id);
	sqlite3_bind_int64(st, 3, comment_id);
	sqlite3_bind_int64(st, 4, article_id);
	return run(s, st, "item clean");
}

static long long
meta_int(struct store *s, const char *key)
{
	sqlite3_stmt	*st = prep(s, S_META_GET);
	long long	 v = 0;

	bind_text(st, 1, key);
	one_int(s, st, &v, "meta get");
	return v;
}

long long
store_next_gen(struct store *s)
{
	sqlite3_stmt	*st;
	long long	 g = meta_int(s, "gen") + 1;

	st = prep(s, S_META_PUT);
	bind_text(st, 1, "gen");
	sqlite3_bind_int64(st, 2, g);
	run(s, st, "gen");
	return g;
}

long long
store_local_comment_id(struct store *s, long long source_id)
{
	sqlite3_stmt	*st = prep(s, S_LOCAL_ID);
	long long	 id = 1;

	sqlite3_bind_int64(st, 1, source_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
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
	sqlite3_stmt	*st = prep(s, S_ART_INS);
	int		 i;

	bind_text(st, 1, na->msgid);
	sqlite3_bind_int64(st, 2, na->source_id);
	sqlite3_bind_int64(st, 3, na->post_id);
	sqlite3_bind_int64(st, 4, na->comment_id);
	sqlite3_bind_int(st, 5, na->version);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)na->date);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	sqlite3_bind_blob(st, 8, na->data, (int)na->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)na->head_len);
	bind_text(st, 10, na->over);
	if (run(s, st, "article insert") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	for (i = 0; i < na->ngroups; i++) {
		st = prep(s, S_NUM_INS);
		sqlite3_bind_int64(st, 1, na->gids[i]);
		sqlite3_bind_int64(st, 2, na->nums[i]);
		sqlite3_bind_int64(st, 3, *id);
		if (run(s, st, "number insert") == -1)
			return -1;
		st = prep(s, S_GROUP_COUNT_UP);
		sqlite3_bind_int64(st, 1, na->gids[i]);
		if (run(s, st, "group count") == -1)
			return -1;
	}
	return 0;
}

int
store_article_withdraw(struct store *s, long long id)
{
	static const enum stmt_id steps[] = { S_GROUP_COUNT_DOWN, S_NUM_WITHDRAW,
	    S_ART_WITHDRAW };
	size_t		i;

	/* Counts first: they only count numbers still live. */
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		sqlite3_stmt *st = prep(s, steps[i]);

		sqlite3_bind_int64(st, 1, id);
		if (run(s, st, "withdraw") == -1)
			return -1;
	}
	return 0;
}

static int
article_fetch(struct store *s, sqlite3_stmt *st, struct store_article *a, const char *what)
{
	int	rc = sqlite3_step(st);

	memset(a, 0, sizeof(*a));
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		a->msgid = col_str(st, 1);
		a->live = sqlite3_column_int(st, 2);
		a->date = (time_t)sqlite3_column_int64(st, 3);
		a->arrived = (time_t)sqlite3_column_int64(st, 4);
		a->len = (size_t)sqlite3_column_bytes(st, 5);
		a->data = xmalloc(a->len + 1);
		if (a->len > 0)
			memcpy(a->data, sqlite3_column_blob(st, 5), a->len);
		a->data[a->len] = '\0';
		a->head_len = (size_t)sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : dberr(s, what);
}

int
store_article_by_msgid(struct store *s, const char *msgid, struct store_article *a)
{
	sqlite3_stmt	*st = prep(s, S_ART_BY_MSGID);

	bind_text(st, 1, msgid);
	return article_fetch(s, st, a, "article by msgid");
}

int
store_article_stat_msgid(struct store *s, const char *msgid, struct store_article *a)
{
	sqlite3_stmt	*st = prep(s, S_ART_STAT_MSGID);

	bind_text(st, 1, msgid);
	return article_fetch(s, st, a, "stat by msgid");
}

int
store_article_stat_num(struct store *s, long long gid, long long num,
    struct store_article *a)
{
	sqlite3_stmt	*st = prep(s, S_ART_STAT_NUM);

	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, num);
	return article_fetch(s, st, a, "stat by number");
}

int
store_article_by_id(struct store *s, long long id, struct store_article *a)
{
	sqlite3_stmt	*st = prep(s, S_ART_BY_ID);

	sqlite3_bind_int64(st, 1, id);
	return article_fetch(s, st, a, "article by id");
}

int
store_article_by_num(struct store *s, long long gid, long long num,
    struct store_article *a)
{
	sqlite3_stmt	*st = prep(s, S_ART_BY_NUM);

	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, num);
	return article_fetch(s, st, a, "article by number");
}

int
store_msgid_exists(struct store *s, const char *msgid)
{
	sqlite3_stmt	*st = prep(s, S_ART_EXISTS);
	long long	 one;

	bind_text(st, 1, msgid);
	return one_int(s, st, &one, "msgid exists");
}

int
store_article_msgid(struct store *s, long long id, char **msgid, int *live)
{
	sqlite3_stmt	*st = prep(s, S_ART_MSGID);
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*msgid = col_str(st, 0);
		*live = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : dberr(s, "article msgid");
}

int
store_article_item(struct store *s, const char *msgid, long long *source_id,
    long long *post_id, long long *comment_id)
{
	sqlite3_stmt	*st = prep(s, S_ART_ITEM);
	int		 rc;

	bind_text(st, 1, msgid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*source_id = sqlite3_column_int64(st, 0);
		*post_id = sqlite3_column_int64(st, 1);
		*comment_id = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : dberr(s, "article item");
}

int
store_article_step(struct store *s, long long gid, long long num, int dir, long long *out)
{
	sqlite3_stmt	*st = prep(s, dir > 0 ? S_STEP_NEXT : S_STEP_PREV);

	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, num);
	return one_int(s, st, out, "step");
}

int
store_article_num(struct store *s, long long gid, const char *msgid, long long *num)
{
	sqlite3_stmt	*st = prep(s, S_ART_NUM);

	sqlite3_bind_int64(st, 1, gid);
	bind_text(st, 2, msgid);
	return one_int(s, st, num, "article number");
}

static sqlite3_stmt *
range_stmt(struct store *s, enum stmt_id id, long long gid, long long lo, long long hi,
    int limit)
{
	sqlite3_stmt	*st = prep(s, id);

	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	sqlite3_bind_int(st, 4, limit);
	return st;
}

int
store_over_range(struct store *s, long long gid, long long lo, long long hi, int limit,
    store_over_cb cb, void *arg, long long *last)
{
	sqlite3_stmt	*st = range_stmt(s, S_OVER_RANGE, gid, lo, hi, limit);
	int		 rc;

	*last = lo - 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		if (cb(*last, (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1), arg) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dberr(s, "over");
}

int
store_over_msgid(struct store *s, const char *msgid, char **over)
{
	sqlite3_stmt	*st = prep(s, S_OVER_MSGID);

	bind_text(st, 1, msgid);
	return one_str(s, st, over, "over msgid");
}

int
store_numbers_range(struct store *s, long long gid, long long lo, long long hi, int limit,
    store_num_cb cb, void *arg, long long *last)
{
	sqlite3_stmt	*st = range_stmt(s, S_NUM_RANGE, gid, lo, hi, limit);
	int		 rc;

	*last = lo - 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		if (cb(*last, arg) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dberr(s, "numbers");
}

int
store_withdrawn_range(struct store *s, long long gid, long long lo, long long hi,
    store_num_cb cb, void *arg)
{
	sqlite3_stmt	*st = range_stmt(s, S_NUM_GONE, gid, lo, hi, -1);
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(sqlite3_column_int64(st, 0), arg) != 0)
			break;
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dberr(s, "withdrawn numbers");
}

int
store_heads_range(struct store *s, long long gid, long long lo, long long hi, int limit,
    store_art_cb cb, void *arg, long long *last)
{
	sqlite3_stmt	*st = range_stmt(s, S_HEAD_RANGE, gid, lo, hi, limit);
	int		 rc;

	*last = lo - 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		if (cb(*last, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_int64(st, 2),
		    arg) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dberr(s, "heads");
}

int
store_newnews(struct store *s, time_t arrived, long long id, int limit,
    store_newnews_cb cb, void *arg)
{
	sqlite3_stmt	*st = prep(s, S_NEWNEWS);
	int		 rc, stop = 0;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)arrived);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int(st, 3, limit);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = cb(sqlite3_column_int64(st, 0), (time_t)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3), arg) != 0;
	sqlite3_reset(st);
	return stop || rc == SQLITE_DONE ? 0 : dberr(s, "newnews");
}

/* Users. */

int
store_user_put(struct store *s, const char *name, const char *hash)
{
	sqlite3_stmt	*st = prep(s, S_USER_PUT);

	bind_text(st, 1, name);
	bind_text(st, 2, hash);
	return run(s, st, "user put");
}

int
store_user_hash(struct store *s, const char *name, char **hash)
{
	sqlite3_stmt	*st = prep(s, S_USER_GET);

	bind_text(st, 1, name);
	return one_str(s, st, hash, "user get");
}

int
store_user_del(struct store *s, const char *name)
{
	sqlite3_stmt	*st = prep(s, S_USER_DEL);

	bind_text(st, 1, name);
	if (run(s, st, "user del") == -1)
		return -1;
	return sqlite3_changes(s->db) > 0 ? 0 : 1;
}

int
store_user_each(struct store *s, store_user_cb cb, void *arg)
{
	sqlite3_stmt	*st = prep(s, S_USER_EACH);
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb((const char *)sqlite3_column_text(st, 0), arg) != 0)
			break;
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dberr(s, "users");
}

/* Meta. */

int
store_meta_get(struct store *s, const char *key, char **value)
{
	sqlite3_stmt	*st = prep(s, S_META_GET);

	bind_text(st, 1, key);
	return one_str(s, st, value, "meta get");
}

int
store_meta_put(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt	*st = prep(s, S_META_PUT);

	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return run(s, st, "meta put");
}
