/* store_db.c: the store's two engines behind one small layer (store_int.h): SQLite for
 * one machine, PostgreSQL (libpq) for several confabd sharing one database. Opening,
 * schema migrations, transactions and read snapshots, and statements. */
#include <sys/stat.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

/* SQLite's forward migrations: migrations[v] takes schema version v to v + 1. */
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
	/* 5 -> 6: leases (one instance at a time does the background work) */
	"CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL,"
	"  until INTEGER NOT NULL) WITHOUT ROWID;",
	/* 6 -> 7: what an operator sees (confab status): poll results, front ends'
	 * heartbeats, attempts on their way, mail queue ages and errors. Rows queued
	 * before have no age: the migration's time stands for it. */
	"CREATE TABLE source_status (source TEXT PRIMARY KEY, polled INTEGER NOT NULL,"
	"  result TEXT NOT NULL, http_status INTEGER NOT NULL, error TEXT,"
	"  next_poll INTEGER NOT NULL, last_ok INTEGER NOT NULL, fails INTEGER NOT NULL,"
	"  owner TEXT) WITHOUT ROWID;"
	"CREATE TABLE frontends (owner TEXT PRIMARY KEY, version TEXT,"
	"  started INTEGER NOT NULL, seen INTEGER NOT NULL, nntp INTEGER NOT NULL,"
	"  lmtp INTEGER NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE outbox ADD COLUMN trying INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE mailq ADD COLUMN created INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE mailq ADD COLUMN last_error TEXT;"
	"UPDATE mailq SET created = CAST(strftime('%s', 'now') AS INTEGER);",
};
#define NMIGRATIONS	(int)(sizeof(migrations) / sizeof(migrations[0]))

/* PostgreSQL stores begin at version 6: pg_migrations[0] makes an empty database that,
 * and pg_migrations[v - 5] takes v to v + 1 after it. bytea where SQLite keeps octets
 * as they came (articles, overview lines, prepared mail): text must be valid in the
 * database's encoding. */
#define PG_FIRST	6
static const char *pg_migrations[] = {
	/* 0 -> 6 */
	"CREATE TABLE schema_version (version integer NOT NULL);"
	"INSERT INTO schema_version VALUES (0);"
	"CREATE TABLE meta (key text PRIMARY KEY, value text);"
	"CREATE TABLE sources (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);"
	"CREATE TABLE groups (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE,"
	"  description text, created bigint NOT NULL, posting integer NOT NULL,"
	"  next_num bigint NOT NULL, live_count bigint NOT NULL DEFAULT 0);"
	"CREATE TABLE items (source_id bigint NOT NULL REFERENCES sources(id),"
	"  post_id bigint NOT NULL, comment_id bigint NOT NULL, kind integer NOT NULL,"
	"  state integer NOT NULL, parent_id bigint NOT NULL, post_link text, title text,"
	"  author text, email text, url text, link text, html text, date bigint,"
	"  categories text, hash text NOT NULL, msgid text, gen bigint NOT NULL,"
	"  dirty integer NOT NULL, article_id bigint NOT NULL, comments_url text,"
	"  PRIMARY KEY (source_id, post_id, comment_id));"
	"CREATE INDEX items_dirty ON items (source_id) WHERE dirty <> 0;"
	"CREATE INDEX items_link ON items (source_id, link) WHERE comment_id = 0;"
	"CREATE TABLE articles (id bigserial PRIMARY KEY, msgid text NOT NULL UNIQUE,"
	"  source_id bigint, post_id bigint, comment_id bigint, version integer,"
	"  live integer NOT NULL, date bigint NOT NULL, arrived bigint NOT NULL,"
	"  data bytea NOT NULL, head_len bigint NOT NULL, over bytea NOT NULL);"
	"CREATE INDEX articles_date ON articles (date);"
	"CREATE INDEX articles_arrived ON articles (arrived, id);"
	"CREATE TABLE numbers (group_id bigint NOT NULL, num bigint NOT NULL,"
	"  article_id bigint NOT NULL, live integer NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (group_id, num));"
	"CREATE INDEX numbers_article ON numbers (article_id);"
	"CREATE INDEX numbers_live ON numbers (group_id, live, num);"
	"CREATE TABLE users (name text PRIMARY KEY, hash text NOT NULL);"
	"CREATE TABLE fetch_cache (source text NOT NULL, url text NOT NULL, etag text,"
	"  last_modified bigint, PRIMARY KEY (source, url));"
	"CREATE TABLE outbox (id bigserial PRIMARY KEY, source text NOT NULL,"
	"  msgid text NOT NULL UNIQUE, post_id bigint NOT NULL, parent_id bigint NOT NULL,"
	"  author text, email text, html text NOT NULL, state integer NOT NULL,"
	"  attempts integer NOT NULL, next_try bigint NOT NULL, last_error text,"
	"  comment_id bigint NOT NULL DEFAULT 0, created bigint NOT NULL);"
	"CREATE INDEX outbox_due ON outbox (state, next_try);"
	"CREATE INDEX outbox_comment ON outbox (source, comment_id);"
	"CREATE TABLE subscribers (id bigserial PRIMARY KEY, group_id bigint NOT NULL,"
	"  thread text NOT NULL, address text NOT NULL, mode integer NOT NULL,"
	"  state integer NOT NULL, bounces integer NOT NULL, created bigint NOT NULL);"
	"CREATE UNIQUE INDEX subscribers_once ON subscribers (group_id, thread, lower(address));"
	"CREATE TABLE mailq (id bigserial PRIMARY KEY, subscriber_id bigint NOT NULL,"
	"  article_id bigint NOT NULL, kind integer NOT NULL, state integer NOT NULL,"
	"  attempts integer NOT NULL, next_try bigint NOT NULL, data bytea);"
	"CREATE INDEX mailq_due ON mailq (state, next_try);"
	"CREATE UNIQUE INDEX mailq_once ON mailq (subscriber_id, article_id, kind)"
	"  WHERE article_id > 0;"
	"CREATE TABLE leases (name text PRIMARY KEY, owner text NOT NULL, until bigint NOT NULL);",
	/* 6 -> 7: as SQLite's */
	"CREATE TABLE source_status (source text PRIMARY KEY, polled bigint NOT NULL,"
	"  result text NOT NULL, http_status integer NOT NULL, error text,"
	"  next_poll bigint NOT NULL, last_ok bigint NOT NULL, fails integer NOT NULL,"
	"  owner text);"
	"CREATE TABLE frontends (owner text PRIMARY KEY, version text, started bigint NOT NULL,"
	"  seen bigint NOT NULL, nntp integer NOT NULL, lmtp integer NOT NULL);"
	"ALTER TABLE outbox ADD COLUMN trying integer NOT NULL DEFAULT 0;"
	"ALTER TABLE mailq ADD COLUMN created bigint NOT NULL DEFAULT 0,"
	"  ADD COLUMN last_error text;"
	"UPDATE mailq SET created = extract(epoch FROM now())::bigint;",
};
#define PG_NMIGRATIONS	(int)(sizeof(pg_migrations) / sizeof(pg_migrations[0]))
#define PG_LAST		(PG_FIRST + PG_NMIGRATIONS - 1)

/* The advisory lock every PostgreSQL write transaction takes: writers across all front
 * ends follow one another as SQLite's do (numbers handed out in commit order, every
 * check-then-write as one step); readers never wait for it. */
#define PG_WRITE_LOCK	"SELECT pg_advisory_xact_lock(4367321)"

static void
pg_fail(struct store *s, const PGresult *r)
{
	const char	*m = r ? PQresultErrorMessage(r) : "";

	if (*m == '\0')
		m = PQerrorMessage(s->conn);
	snprintf(s->err, sizeof(s->err), "%s", *m ? m : "PostgreSQL error");
	s->err[strcspn(s->err, "\n")] = '\0';
}

static void
notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("store: PostgreSQL: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* After (re)connecting: quiet notices; prepared statements are gone. */
#define PG_SETUP	"SET client_min_messages = warning; LISTEN confab_groups"

static void
pg_session(struct store *s)
{
	PGresult	*r;

	s->conn_gen++;
	PQsetNoticeProcessor(s->conn, notice, NULL);
	r = PQexec(s->conn, PG_SETUP);
	PQclear(r);
}

/* The results of a session setup sent without waiting (store_reconnect): read when
 * they are there (wait 0), or waited for before the next query. */
static void
setup_results(struct store *s, int wait)
{
	PGresult	*r;

	if (!s->setup_sent)
		return;
	if (!wait && (PQconsumeInput(s->conn) == 0 || PQisBusy(s->conn)))
		return;
	while ((r = PQgetResult(s->conn)) != NULL)
		PQclear(r);
	s->setup_sent = 0;
}

int
store_socket(const struct store *s)
{
	if (!s->pg || s->resetting || PQstatus(s->conn) != CONNECTION_OK)
		return -1;
	return PQsocket(s->conn);
}

int
store_reconnect(struct store *s, int *fd, int *writing)
{
	if (!s->pg)
		return 0;
	if (!s->resetting) {
		if (PQstatus(s->conn) == CONNECTION_OK || s->in_tx || s->reading)
			return 0;
		if (!PQresetStart(s->conn)) {
			pg_fail(s, NULL);
			return -1;
		}
		s->resetting = 1;
		s->setup_sent = 0;
		*fd = PQsocket(s->conn);
		*writing = 1;	/* libpq: as if the last poll said "writing" */
		return 1;
	}
	switch (PQresetPoll(s->conn)) {
	case PGRES_POLLING_READING:
		*fd = PQsocket(s->conn);
		*writing = 0;
		return 1;
	case PGRES_POLLING_WRITING:
		*fd = PQsocket(s->conn);
		*writing = 1;
		return 1;
	case PGRES_POLLING_OK:
		s->resetting = 0;
		s->conn_gen++;
		PQsetNoticeProcessor(s->conn, notice, NULL);
		s->setup_sent = PQsendQuery(s->conn, PG_SETUP) == 1;
		log_info("store: reconnected to PostgreSQL");
		return 0;
	default:
		s->resetting = 0;
		pg_fail(s, NULL);
		return -1;
	}
}

/* The connection is usable, or is made so: a lost one is reset, at most every
 * RECONNECT_MS, and never inside a transaction (that one is gone: its caller rolls
 * back). */
#define RECONNECT_MS	250	/* the least time between two reconnection attempts */

static long long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
pg_ready(struct store *s)
{
	long long	now;

	/* Between transactions, read what the server may have said meanwhile: a server
	 * that restarted closed the connection, and this notices before a query fails. */
	if (PQstatus(s->conn) == CONNECTION_OK && (s->in_tx || s->reading ||
	    PQconsumeInput(s->conn) == 1)) {
		setup_results(s, 1);
		return 0;
	}
	now = mono_ms();
	if (s->in_tx || s->reading || s->resetting || now - s->last_reset < RECONNECT_MS) {
		snprintf(s->err, sizeof(s->err), "the connection to PostgreSQL is lost");
		return -1;
	}
	s->last_reset = now;
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		pg_fail(s, NULL);
		return -1;
	}
	log_info("store: reconnected to PostgreSQL");
	pg_session(s);
	return 0;
}

static void
gidset_add(struct gidset *g, long long gid)
{
	int	i;

	for (i = 0; i < g->n && g->v[i] != gid; i++)
		;
	if (gid == 0 || (i == g->n && g->n == (int)(sizeof(g->v) / sizeof(g->v[0]))))
		g->all = 1;
	else if (i == g->n)
		g->v[g->n++] = gid;
}

/* Take the notices libpq has read into a bounded set: when nobody asks for them (no
 * overview cache), they must not pile up. */
static void
collect_notices(struct store *s)
{
	PGnotify	*n;
	long long	 gid;

	while ((n = PQnotifies(s->conn)) != NULL) {
		gid = strtoll(n->extra, NULL, 10);
		PQfreemem(n);
		gidset_add(&s->heard, gid);
	}
}

static int
exec(struct store *s, const char *sql)
{
	char		*msg = NULL;
	PGresult	*r;
	int		 rc = 0;

	if (!s->pg) {
		if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			log_warn("store: %s", msg ? msg : "error");
			sqlite3_free(msg);
			return -1;
		}
		return 0;
	}
	if (pg_ready(s) == -1)
		return dberr(s, "exec");
	r = PQexec(s->conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(s, r);
		rc = dberr(s, sql);
	} else if (!strcmp(sql, "COMMIT") && !strcmp(PQcmdStatus(r), "ROLLBACK")) {
		/* A transaction that failed earlier is rolled back, not committed. */
		snprintf(s->err, sizeof(s->err), "the transaction was rolled back");
		rc = dberr(s, sql);
	}
	PQclear(r);
	collect_notices(s);
	return rc;
}

int
dberr(struct store *s, const char *what)
{
	log_warn("store: %s: %s", what, s->pg ? s->err : sqlite3_errmsg(s->db));
	return -1;
}

static int
pg_version(struct store *s)
{
	PGresult	*r;
	int		 v = -1;

	r = PQexec(s->conn, "SELECT to_regclass('schema_version') IS NOT NULL");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		v = 0;		/* an empty database */
	else if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		PQclear(r);
		r = PQexec(s->conn, "SELECT max(version) FROM schema_version");
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			v = atoi(PQgetvalue(r, 0, 0));
	}
	if (v < 0)
		pg_fail(s, r);
	PQclear(r);
	return v;
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (s->pg)
		return pg_ready(s) == 0 ? pg_version(s) : -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One step of either engine's migrations, v -> v + 1 (PostgreSQL: 0 -> PG_FIRST). */
static int
migrate_step(struct store *s, int *v)
{
	char	sql[64];
	int	to;

	if (!s->pg) {
		if (exec(s, migrations[*v]) == -1)
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", *v + 1);
		to = *v + 1;
	} else {
		to = *v == 0 ? PG_FIRST : *v + 1;
		if (exec(s, pg_migrations[*v == 0 ? 0 : *v - PG_FIRST + 1]) == -1)
			return -1;
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d", to);
	}
	log_debug("store: migrated schema %d -> %d", *v, to);
	*v = to;
	return exec(s, sql);
}

static int
migrate(struct store *s, char *err, size_t errlen)
{
	int	 v, from, last = s->pg ? PG_LAST : NMIGRATIONS;

	/* Several front ends may start at once: one migrates, the others then see it. */
	if (exec(s, s->pg ? "BEGIN; " PG_WRITE_LOCK : "BEGIN IMMEDIATE") == -1)
		goto fail;
	if ((v = store_schema_version(s)) < 0)
		goto fail;
	if (v > last) {
		exec(s, "ROLLBACK");
		snprintf(err, errlen, "store schema version %d is newer than this confab (%d)",
		    v, last);
		return -1;
	}
	from = v;
	while (v < last)
		if (migrate_step(s, &v) == -1)
			goto fail;
	if (exec(s, "COMMIT") == -1)
		goto fail;
	if (from > 0 && from < last)
		log_info("store: schema migrated from version %d to %d", from, last);
	return 0;
fail:
	snprintf(err, errlen, "store migration failed: %s", s->pg ? s->err :
	    sqlite3_errmsg(s->db));
	exec(s, "ROLLBACK");
	return -1;
}

static struct store *
store_new(int backend)
{
	struct store	*s = xcalloc(1, sizeof(*s));
	int		 i;

	for (i = 0; i < S_MAX; i++) {
		s->st[i].s = s;
		s->st[i].id = (enum stmt_id)i;
	}
	s->pg = backend == STORE_POSTGRESQL;
	return s;
}

static struct store *
open_sqlite(struct store *s, const char *path, int busy_ms, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) :
		    "cannot open");
		return NULL;
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
		return NULL;
	}
	return s;
}

static struct store *
open_pg(struct store *s, const char *conninfo, char *err, size_t errlen)
{
	const char	*m;

	/* A server that does not answer must not hang a front end: 5 s unless said. */
	if (strstr(conninfo, "connect_timeout") != NULL || strstr(conninfo, "://") != NULL)
		s->conninfo = xstrdup(conninfo);
	else
		xasprintf(&s->conninfo, "%s connect_timeout=5", conninfo);
	s->conn = PQconnectdb(s->conninfo);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		m = PQerrorMessage(s->conn);
		snprintf(err, errlen, "PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
		return NULL;
	}
	pg_session(s);
	return s;
}

struct store *
store_connect(int backend, const char *where, int busy_ms, char *err, size_t errlen)
{
	struct store	*s = store_new(backend);

	if ((s->pg ? open_pg(s, where, err, errlen) :
	    open_sqlite(s, where, busy_ms, err, errlen)) == NULL ||
	    migrate(s, err, errlen) == -1) {
		store_close(s);
		return NULL;
	}
	return s;
}

/* What `confab check` says of the store: connect, read the schema version, change
 * nothing. 0 with a description in out, -1 with the reason in out. */
int
store_probe(int backend, const char *where, char *out, size_t outlen)
{
	struct store	*s = store_new(backend);
	int		 v, last, rc = -1;

	last = s->pg ? PG_LAST : NMIGRATIONS;
	if (!s->pg && access(where, F_OK) == -1) {
		snprintf(out, outlen, "SQLite %s: not created yet (confabd creates it)", where);
		rc = 0;
		goto done;
	}
	if (s->pg ? open_pg(s, where, out, outlen) == NULL :
	    sqlite3_open_v2(where, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		if (!s->pg)
			snprintf(out, outlen, "SQLite %s: %s", where, sqlite3_errmsg(s->db));
		goto done;
	}
	if ((v = store_schema_version(s)) < 0)
		snprintf(out, outlen, "cannot read the schema version: %s", s->pg ? s->err :
		    sqlite3_errmsg(s->db));
	else if (v > last)
		snprintf(out, outlen, "store schema version %d is newer than this confab (%d)",
		    v, last);
	else {
		if (s->pg)
			snprintf(out, outlen, "PostgreSQL database %s on %s:%s as %s, schema version"
			    " %d%s", PQdb(s->conn), PQhost(s->conn), PQport(s->conn),
			    PQuser(s->conn), v, v == 0 ? " (empty: confabd creates the schema)" :
			    v < last ? " (confabd migrates it)" : "");
		else
			snprintf(out, outlen, "SQLite %s, schema version %d%s", where, v,
			    v < last ? " (confabd migrates it)" : "");
		rc = 0;
	}
done:
	store_close(s);
	return rc;
}

int
store_info(struct store *s, struct store_info *in)
{
	const char	*file;
	char		 wal[1024];
	struct stat	 sb;
	PGresult	*r;

	memset(in, 0, sizeof(*in));
	in->backend = s->pg ? STORE_POSTGRESQL : STORE_SQLITE;
	in->size = -1;
	if ((in->schema = store_schema_version(s)) < 0)
		return dberr(s, "schema version");
	if (!s->pg) {
		file = sqlite3_db_filename(s->db, "main");
		snprintf(in->where, sizeof(in->where), "%s", file ? file : "");
		if (file != NULL && stat(file, &sb) == 0) {
			in->size = (long long)sb.st_size;
			snprintf(wal, sizeof(wal), "%s-wal", file);
			if (stat(wal, &sb) == 0)
				in->size += (long long)sb.st_size;
		}
		return 0;
	}
	snprintf(in->where, sizeof(in->where), "%s@%s:%s as %s", PQdb(s->conn),
	    PQhost(s->conn), PQport(s->conn), PQuser(s->conn));
	r = PQexec(s->conn, "SELECT pg_database_size(current_database())");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		in->size = atoll(PQgetvalue(r, 0, 0));
	else
		pg_fail(s, r);
	PQclear(r);
	return in->size < 0 ? dberr(s, "database size") : 0;
}

struct store *
store_open(const char *path, int busy_ms, char *err, size_t errlen)
{
	return store_connect(STORE_SQLITE, path, busy_ms, err, errlen);
}

void
store_close(struct store *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < S_MAX; i++) {
		reset(&s->st[i]);
		sqlite3_finalize(s->st[i].lite);
		free(s->st[i].pgsql);
	}
	if (s->db != NULL) {
		if (sqlite3_close(s->db) != SQLITE_OK)
			log_warn("store: close: %s", sqlite3_errmsg(s->db));
	}
	if (s->conn != NULL)
		PQfinish(s->conn);
	free(s->conninfo);
	free(s);
}

int
store_begin(struct store *s)
{
	store_read_release(s);
	if (exec(s, s->pg ? "BEGIN; " PG_WRITE_LOCK : "BEGIN IMMEDIATE") == -1) {
		if (s->pg)
			exec(s, "ROLLBACK");
		return -1;
	}
	s->in_tx = 1;
	return 0;
}

/* NOTIFY confab_groups of the groups changed: delivered to every listening front end
 * (this one too) when the transaction commits, and not at all if it does not. */
static int
notify_changed(struct store *s)
{
	char	sql[64 + 48 * (sizeof(s->changed.v) / sizeof(s->changed.v[0]))], *p = sql;
	int	i, rc;

	if (!s->pg || (s->changed.n == 0 && !s->changed.all))
		return 0;
	p += snprintf(p, sizeof(sql), "SELECT 1");
	if (s->changed.all)
		snprintf(p, sizeof(sql) - (size_t)(p - sql), ", pg_notify('confab_groups', '0')");
	else
		for (i = 0; i < s->changed.n; i++)
			p += snprintf(p, sizeof(sql) - (size_t)(p - sql),
			    ", pg_notify('confab_groups', '%lld')", s->changed.v[i]);
	rc = exec(s, sql);
	s->changed.n = s->changed.all = 0;
	return rc;
}

void
group_changed(struct store *s, long long gid)
{
	if (!s->pg)
		return;
	gidset_add(&s->changed, gid);
	if (!s->in_tx)
		notify_changed(s);
}

int
store_commit(struct store *s)
{
	if (notify_changed(s) == -1 || exec(s, "COMMIT") == -1)
		return -1;
	s->in_tx = 0;
	return 0;
}

int
store_rollback(struct store *s)
{
	s->in_tx = 0;
	s->changed.n = s->changed.all = 0;
	return exec(s, "ROLLBACK");
}

int
store_notifies(const struct store *s)
{
	return s->pg;
}

/* The change notices that came meanwhile (read without waiting); a new connection may
 * have missed some: gid 0, every group. */
int
store_changes(struct store *s, store_id_cb cb, void *arg)
{
	int	i, count;

	if (!s->pg)
		return 0;
	if (s->seen_gen != s->conn_gen) {
		s->seen_gen = s->conn_gen;
		s->heard.all = 1;
	}
	if (PQstatus(s->conn) == CONNECTION_OK && !s->in_tx && !s->reading &&
	    !s->resetting) {
		PQconsumeInput(s->conn);
		setup_results(s, 0);
	}
	collect_notices(s);
	if (s->heard.all)
		cb(0, arg);
	else
		for (i = 0; i < s->heard.n; i++)
			cb(s->heard.v[i], arg);
	count = s->heard.all ? 1 : s->heard.n;
	s->heard.n = s->heard.all = 0;
	return count;
}

/* Read snapshots nest: the outermost begins and ends the transaction. */
int
store_read_begin(struct store *s)
{
	if (s->reading > 0) {
		s->reading++;
		return 0;
	}
	if (exec(s, s->pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN") == -1)
		return -1;
	s->reading = 1;
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

/* Statements. */

/* ?N -> $N; the number of parameters, and which the SQL uses (an unused one, bound
 * for the statement's sibling, is typed text: PostgreSQL cannot infer it). */
static char *
pg_rewrite(const char *sql, int *nparams, Oid *types)
{
	char	*out = xmalloc(strlen(sql) + 1), *o = out;
	int	 n, i, used[DB_NPARAM + 1] = { 0 };

	*nparams = 0;
	for (; *sql; sql++) {
		if (*sql == '?' && isdigit((unsigned char)sql[1])) {
			*o++ = '$';
			if ((n = atoi(sql + 1)) > DB_NPARAM)
				fatal("store: a statement with %d parameters", n);
			used[n] = 1;
			if (n > *nparams)
				*nparams = n;
		} else
			*o++ = *sql;
	}
	*o = '\0';
	for (i = 0; i < *nparams; i++)
		types[i] = used[i + 1] ? 0 : 25;	/* TEXTOID */
	return out;
}

struct stmt *
prep_sql(struct store *s, enum stmt_id id, const char *sql, const char *pgsql)
{
	struct stmt	*st = &s->st[id];

	if (s->pg) {
		if (st->pgsql == NULL)
			st->pgsql = pg_rewrite(pgsql ? pgsql : sql, &st->nparams, st->types);
		reset(st);
		return st;
	}
	if (st->lite == NULL) {
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &st->lite, NULL) != SQLITE_OK)
			fatal("store: preparing statement %d: %s", id, sqlite3_errmsg(s->db));
	} else {
		sqlite3_reset(st->lite);
		sqlite3_clear_bindings(st->lite);
	}
	return st;
}

void
bind_int(struct stmt *st, int i, long long v)
{
	if (!st->s->pg) {
		sqlite3_bind_int64(st->lite, i, v);
		return;
	}
	snprintf(st->num[i - 1], sizeof(st->num[0]), "%lld", v);
	st->val[i - 1] = st->num[i - 1];
	st->fmt[i - 1] = 0;
}

void
bind_text(struct stmt *st, int i, const char *v)
{
	if (!st->s->pg) {
		if (v == NULL)
			sqlite3_bind_null(st->lite, i);
		else
			sqlite3_bind_text(st->lite, i, v, -1, SQLITE_STATIC);
		return;
	}
	st->val[i - 1] = v;
	st->fmt[i - 1] = 0;
}

void
bind_blob(struct stmt *st, int i, const void *v, size_t len)
{
	if (!st->s->pg) {
		sqlite3_bind_blob(st->lite, i, v, (int)len, SQLITE_STATIC);
		return;
	}
	st->val[i - 1] = v ? v : "";
	st->len[i - 1] = (int)len;
	st->fmt[i - 1] = 1;	/* binary: no escaping */
}

void
bind_octets(struct stmt *st, int i, const char *v, size_t len)
{
	if (!st->s->pg)
		sqlite3_bind_text(st->lite, i, v, (int)len, SQLITE_STATIC);
	else
		bind_blob(st, i, v, len);
}

static void
free_row(struct stmt *st)
{
	int	i;

	for (i = 0; i < DB_NCOL; i++) {
		free(st->bytea[i]);
		st->bytea[i] = NULL;
	}
}

static int
pg_exec(struct store *s, struct stmt *st)
{
	char		 name[16];
	PGresult	*r;
	ExecStatusType	 rc;

	if (pg_ready(s) == -1)
		return -1;
	if (st->adhoc) {
		st->res = PQexecParams(s->conn, st->pgsql, st->nparams, st->types, st->val,
		    st->len, st->fmt, 0);
		goto ran;
	}
	snprintf(name, sizeof(name), "s%d", st->id);
	if (st->prepared != s->conn_gen) {
		r = PQprepare(s->conn, name, st->pgsql, st->nparams, st->types);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			pg_fail(s, r);
			PQclear(r);
			return -1;
		}
		PQclear(r);
		st->prepared = s->conn_gen;
	}
	st->res = PQexecPrepared(s->conn, name, st->nparams, st->val, st->len, st->fmt, 0);
ran:
	rc = PQresultStatus(st->res);
	if (rc != PGRES_TUPLES_OK && rc != PGRES_COMMAND_OK) {
		pg_fail(s, st->res);
		PQclear(st->res);
		st->res = NULL;
		return -1;
	}
	s->changes = atoll(PQcmdTuples(st->res));
	st->row = -1;
	collect_notices(s);
	return 0;
}

int
step(struct stmt *st)
{
	int	rc;

	if (!st->s->pg) {
		rc = sqlite3_step(st->lite);
		return rc == SQLITE_ROW ? DB_ROW : rc == SQLITE_DONE ? DB_DONE : DB_ERR;
	}
	if (st->res == NULL && pg_exec(st->s, st) == -1)
		return DB_ERR;
	free_row(st);
	return ++st->row < PQntuples(st->res) ? DB_ROW : DB_DONE;
}

void
reset(struct stmt *st)
{
	if (!st->s->pg) {
		if (st->lite != NULL)
			sqlite3_reset(st->lite);
		return;
	}
	free_row(st);
	PQclear(st->res);
	st->res = NULL;
	memset(st->val, 0, sizeof(st->val));
	memset(st->len, 0, sizeof(st->len));
	memset(st->fmt, 0, sizeof(st->fmt));
}

int
run(struct store *s, struct stmt *st, const char *what)
{
	int	rc = step(st);

	if (!s->pg && rc != DB_ERR)
		s->changes = sqlite3_changes(s->db);
	reset(st);
	return rc == DB_ERR ? dberr(s, what) : 0;
}

int
col_null(struct stmt *st, int i)
{
	if (!st->s->pg)
		return sqlite3_column_type(st->lite, i) == SQLITE_NULL;
	return PQgetisnull(st->res, st->row, i);
}

long long
col_int(struct stmt *st, int i)
{
	if (!st->s->pg)
		return sqlite3_column_int64(st->lite, i);
	return strtoll(PQgetvalue(st->res, st->row, i), NULL, 10);
}

#define BYTEAOID	17

/* A bytea column decoded, NUL-terminated, once per row. */
static const unsigned char *
pg_bytea(struct stmt *st, int i)
{
	unsigned char	*raw;
	size_t		 n;

	if (st->bytea[i] == NULL) {
		raw = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, i),
		    &n);
		if (raw == NULL)
			fatal("store: out of memory");
		st->bytea[i] = xmalloc(n + 1);
		memcpy(st->bytea[i], raw, n);
		st->bytea[i][n] = '\0';
		st->bytea_len[i] = n;
		PQfreemem(raw);
	}
	return st->bytea[i];
}

const char *
col_text(struct stmt *st, int i)
{
	if (!st->s->pg)
		return (const char *)sqlite3_column_text(st->lite, i);
	if (PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQftype(st->res, i) == BYTEAOID ? (const char *)pg_bytea(st, i) :
	    PQgetvalue(st->res, st->row, i);
}

const void *
col_blob(struct stmt *st, int i)
{
	if (!st->s->pg)
		return sqlite3_column_blob(st->lite, i);
	if (PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQftype(st->res, i) == BYTEAOID ? pg_bytea(st, i) :
	    (const void *)PQgetvalue(st->res, st->row, i);
}

size_t
col_bytes(struct stmt *st, int i)
{
	if (!st->s->pg)
		return (size_t)sqlite3_column_bytes(st->lite, i);
	if (PQftype(st->res, i) == BYTEAOID) {
		pg_bytea(st, i);
		return st->bytea_len[i];
	}
	return (size_t)PQgetlength(st->res, st->row, i);
}

/* Copying a store (confab store copy). */

/* A statement of the copy's own, not cached. */
static struct stmt *
adhoc(struct store *s, const char *sql)
{
	struct stmt	*st = xcalloc(1, sizeof(*st));

	st->s = s;
	st->adhoc = 1;
	if (s->pg)
		st->pgsql = pg_rewrite(sql, &st->nparams, st->types);
	else if (sqlite3_prepare_v2(s->db, sql, -1, &st->lite, NULL) != SQLITE_OK) {
		dberr(s, sql);
		free(st);
		return NULL;
	}
	return st;
}

static void
adhoc_free(struct stmt *st)
{
	if (st == NULL)
		return;
	reset(st);
	sqlite3_finalize(st->lite);
	free(st->pgsql);
	free(st);
}

/* Every table but the leases and heartbeats (they belong to running front ends), parents first; the
 * columns both engines' schemas have, octets (bytea in PostgreSQL) marked '*'. */
static const struct {
	const char	*table, *cols;
	int		 serial;	/* an id column PostgreSQL numbers */
} copy_tables[] = {
	{ "meta", "key,value", 0 },
	{ "sources", "id,name", 1 },
	{ "groups", "id,name,description,created,posting,next_num,live_count", 1 },
	{ "items", "source_id,post_id,comment_id,kind,state,parent_id,post_link,title,author,"
	    "email,url,link,html,date,categories,hash,msgid,gen,dirty,article_id,comments_url",
	    0 },
	{ "articles", "id,msgid,source_id,post_id,comment_id,version,live,date,arrived,*data,"
	    "head_len,*over", 1 },
	{ "numbers", "group_id,num,article_id,live", 0 },
	{ "users", "name,hash", 0 },
	{ "fetch_cache", "source,url,etag,last_modified", 0 },
	{ "outbox", "id,source,msgid,post_id,parent_id,author,email,html,state,attempts,"
	    "next_try,last_error,comment_id,created,trying", 1 },
	{ "subscribers", "id,group_id,thread,address,mode,state,bounces,created", 1 },
	{ "mailq", "id,subscriber_id,article_id,kind,state,attempts,next_try,*data,created,"
	    "last_error", 1 },
	{ "source_status", "source,polled,result,http_status,error,next_poll,last_ok,fails,"
	    "owner", 0 },
};

static long long
copy_table(struct store *from, struct store *to, int t)
{
	char		 sel[1024], ins[1024], cols[512], *p;
	int		 n = 1, i, octets[DB_NCOL] = { 0 }, rc;
	long long	 rows = 0;
	struct stmt	*r = NULL, *w = NULL;
	const char	*c;

	/* "a,*b" -> columns "a,b", parameters "?1,?2", octets[1]. */
	for (c = copy_tables[t].cols, p = cols; *c; c++) {
		if (*c == '*')
			octets[n - 1] = 1;
		else
			*p++ = *c;
		n += *c == ',';
	}
	*p = '\0';
	snprintf(sel, sizeof(sel), "SELECT %s FROM %s", cols, copy_tables[t].table);
	p = ins + snprintf(ins, sizeof(ins), "INSERT INTO %s (%s) VALUES (",
	    copy_tables[t].table, cols);
	for (i = 1; i <= n; i++)
		p += snprintf(p, sizeof(ins) - (size_t)(p - ins), "%s?%d", i > 1 ? "," : "", i);
	snprintf(p, sizeof(ins) - (size_t)(p - ins), ")");
	if ((r = adhoc(from, sel)) == NULL || (w = adhoc(to, ins)) == NULL) {
		rows = -1;
		goto done;
	}
	while ((rc = step(r)) == DB_ROW) {
		for (i = 0; i < n; i++) {
			if (col_null(r, i))
				bind_text(w, i + 1, NULL);
			else if (octets[i])
				bind_blob(w, i + 1, col_blob(r, i), col_bytes(r, i));
			else
				bind_text(w, i + 1, col_text(r, i));
		}
		if (run(to, w, copy_tables[t].table) == -1) {
			rows = -1;
			goto done;
		}
		rows++;
	}
	if (rc == DB_ERR)
		rows = dberr(from, copy_tables[t].table);
done:
	adhoc_free(r);
	adhoc_free(w);
	return rows;
}

int
store_copy(struct store *from, struct store *to, store_copy_cb cb, void *arg)
{
	char		 sql[256];
	long long	 n;
	size_t		 t;
	struct stmt	*st;
	int		 empty;

	if (store_begin(to) == -1)
		return -1;
	/* Into an empty store only: numbers and Message-IDs are kept as they are. */
	if ((st = adhoc(to, "SELECT (SELECT count(*) FROM groups) + (SELECT count(*) FROM"
	    " items) + (SELECT count(*) FROM articles)")) == NULL)
		goto fail;
	empty = step(st) == DB_ROW && col_int(st, 0) == 0;
	adhoc_free(st);
	if (!empty) {
		log_warn("store copy: the destination store is not empty");
		goto fail;
	}
	if (store_read_begin(from) == -1)
		goto fail;
	for (t = 0; t < sizeof(copy_tables) / sizeof(copy_tables[0]); t++) {
		if ((n = copy_table(from, to, (int)t)) < 0) {
			store_read_end(from);
			goto fail;
		}
		if (to->pg && copy_tables[t].serial) {
			snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s',"
			    " 'id'), coalesce(max(id), 0) + 1, false) FROM %s",
			    copy_tables[t].table, copy_tables[t].table);
			if (exec(to, sql) == -1) {
				store_read_end(from);
				goto fail;
			}
		}
		if (cb != NULL)
			cb(copy_tables[t].table, n, arg);
	}
	store_read_end(from);
	return store_commit(to) == 0 ? 0 : -1;
fail:
	store_rollback(to);
	return -1;
}

/* Connections for worker threads. */

struct store_pool {
	pthread_mutex_t	 lock;
	int		 backend;
	char		*where;
	int		 busy_ms;
	struct store	**free;
	size_t		 nfree;
};

struct store_pool *
store_pool_new(int backend, const char *where, int busy_ms)
{
	struct store_pool	*p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	p->backend = backend;
	p->where = xstrdup(where);
	p->busy_ms = busy_ms;
	return p;
}

/* A store of the caller's own until store_pool_put(): one kept, or a new connection
 * (the schema is the one the front end opened; it is not migrated again). */
struct store *
store_pool_get(struct store_pool *p, char *err, size_t errlen)
{
	struct store	*s = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nfree > 0)
		s = p->free[--p->nfree];
	pthread_mutex_unlock(&p->lock);
	if (s != NULL)
		return s;
	s = store_new(p->backend);
	if ((s->pg ? open_pg(s, p->where, err, errlen) :
	    open_sqlite(s, p->where, p->busy_ms, err, errlen)) == NULL) {
		store_close(s);
		return NULL;
	}
	return s;
}

void
store_pool_put(struct store_pool *p, struct store *s)
{
	pthread_mutex_lock(&p->lock);
	p->free = xreallocarray(p->free, p->nfree + 1, sizeof(*p->free));
	p->free[p->nfree++] = s;
	pthread_mutex_unlock(&p->lock);
}

void
store_pool_free(struct store_pool *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfree; i++)
		store_close(p->free[i]);
	free(p->free);
	free(p->where);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
