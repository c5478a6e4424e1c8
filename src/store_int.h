/* store_int.h: what the store's files share: the statements, the handle and a small
 * layer over the two engines (SQLite, PostgreSQL through libpq) that the operations in
 * store.c and store_mail.c are written against once. Private to the store; nothing
 * else includes it. SQL is written in the dialect both engines share (?N parameters
 * are rewritten to $N for PostgreSQL); where they differ a statement has a PostgreSQL
 * variant. */
#ifndef CONFAB_STORE_INT_H
#define CONFAB_STORE_INT_H

#include <stdlib.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "log.h"
#include "store.h"

enum stmt_id {
	S_GROUP_GET, S_GROUP_ID, S_GROUP_INS, S_GROUP_UPD, S_GROUP_EACH, S_GROUP_NEXT,
	S_GROUP_MARK,
	S_SOURCE_GET, S_SOURCE_INS,
	S_ITEM_GET, S_ITEM_INS, S_ITEM_UPD, S_ITEM_STAMP, S_ITEM_BY_LINK, S_ITEM_VANISH,
	S_ITEM_DIRTY, S_ITEM_CLEAN, S_LOCAL_ID, S_ITEM_REF, S_ITEM_HASH,
	S_ART_INS, S_NUM_INS, S_GROUP_COUNT_UP, S_GROUP_COUNT_DOWN, S_NUM_WITHDRAW,
	S_ART_WITHDRAW, S_ART_BY_MSGID, S_ART_BY_ID, S_ART_BY_NUM,
	S_ART_STAT_MSGID, S_ART_STAT_NUM,
	S_ART_EXISTS, S_ART_MSGID, S_ART_ITEM, S_STEP_NEXT, S_STEP_PREV, S_ART_NUM,
	S_OVER_RANGE, S_OVER_MSGID, S_NUM_RANGE, S_NUM_GONE, S_HEAD_RANGE, S_NEWNEWS,
	S_USER_PUT, S_USER_GET, S_USER_DEL, S_USER_EACH,
	S_META_GET, S_META_PUT, S_LEASE,
	S_FC_GET, S_FC_PUT,
	S_OB_ADD, S_OB_GET, S_OB_ATTEMPT, S_OB_FINISH, S_OB_RETRY, S_OB_DUE, S_OB_BY_COMMENT,
	S_OB_UNMATCHED,
	S_SUB_ADD, S_SUB_GET, S_SUB_FIND, S_SUB_STATE, S_SUB_DEL, S_SUB_EACH, S_SUB_BOUNCE,
	S_SUB_FOR, S_MQ_ADD, S_MQ_DUE, S_MQ_GET, S_MQ_CLAIM, S_MQ_DEL, S_MQ_SENDING,
	S_ART_AFTER, S_ART_GROUPS, S_MAX_ART, S_MQ_KIND,
	S_SS_PUT, S_SS_GET, S_SS_EACH, S_FE_BEAT, S_FE_PRUNE, S_FE_GONE, S_FE_EACH,
	S_OB_EACH, S_OB_EACH_ALL, S_OB_DUE_NOW, S_OB_DROP, S_MQ_DEFER, S_MQ_EACH,
	S_MQ_DUE_NOW, S_MQ_DROP, S_STATUS_OB, S_STATUS_MQ, S_SUB_COUNTS,
	S_MAX
};

#define DB_NPARAM	24	/* the most parameters a statement has */
#define DB_NCOL		20	/* the most columns a statement returns */

enum { DB_ERR = -1, DB_DONE = 0, DB_ROW = 1 };

struct stmt {
	struct store	*s;
	enum stmt_id	 id;
	int		 adhoc;		/* not cached (store_copy) */
	sqlite3_stmt	*lite;
	/* PostgreSQL: the statement is prepared once per connection. */
	char		*pgsql;		/* the SQL with $N parameters */
	unsigned	 prepared;	/* connection generation it was prepared on */
	int		 nparams;
	Oid		 types[DB_NPARAM];
	const char	*val[DB_NPARAM];
	int		 len[DB_NPARAM], fmt[DB_NPARAM];
	char		 num[DB_NPARAM][24];
	PGresult	*res;
	int		 row, done;
	unsigned char	*bytea[DB_NCOL];	/* decoded bytea columns of the current row */
	size_t		 bytea_len[DB_NCOL];
};

/* Groups named in change notices: a few by id, or "all" (gid 0, or too many). */
struct gidset {
	long long	 v[32];
	int		 n, all;
};

struct store {
	int		 pg;		/* 1: PostgreSQL, 0: SQLite */
	sqlite3		*db;
	PGconn		*conn;
	char		*conninfo;
	unsigned	 conn_gen;	/* bumped on every (re)connection */
	long long	 last_reset;	/* ms, CLOCK_MONOTONIC */
	int		 resetting;	/* store_reconnect() under way */
	int		 setup_sent;	/* its session setup's results not read yet */
	struct stmt	 st[S_MAX];
	int		 in_tx;
	int		 reading;	/* nested store_read_begin() */
	long long	 snap;		/* the current (or last) read snapshot */
	int		 held;		/* store_read_hold() */
	long long	 changes;	/* rows the last run() changed */
	/* PostgreSQL: groups whose articles this transaction changed, told to every front
	 * end (NOTIFY) as it commits; the connection generation store_changes() saw. */
	struct gidset	 changed;
	unsigned	 seen_gen;
	struct gidset	 heard;		/* notices received, not yet given out */
	char		 err[512];	/* PostgreSQL: the last error */
};

/* The layer (store_db.c). */
struct stmt	*prep_sql(struct store *, enum stmt_id, const char *sql, const char *pgsql);
void		 bind_int(struct stmt *, int i, long long v);
void		 bind_text(struct stmt *, int i, const char *v);	/* NULL: SQL NULL */
void		 bind_blob(struct stmt *, int i, const void *v, size_t len);
/* Text that may hold any octets (no NUL): TEXT in SQLite, bytea in PostgreSQL. */
void		 bind_octets(struct stmt *, int i, const char *v, size_t len);
int		 step(struct stmt *);		/* DB_ROW, DB_DONE or DB_ERR */
void		 reset(struct stmt *);
long long	 col_int(struct stmt *, int i);
const char	*col_text(struct stmt *, int i);	/* NULL for SQL NULL */
const void	*col_blob(struct stmt *, int i);
size_t		 col_bytes(struct stmt *, int i);
int		 col_null(struct stmt *, int i);
int		 dberr(struct store *, const char *what);
/* A group's articles changed (PostgreSQL: other front ends are told at commit). */
void		 group_changed(struct store *, long long gid);

/* The database's clock, in seconds, for what front ends on several hosts compare: who
 * holds a lease, whether an outbox entry's attempt may still be on its way. Times the
 * caller passes become offsets from its own `now` there, so a host whose clock is off
 * cannot take a lease early or send a reply twice. */
#define PG_NOW	"extract(epoch FROM clock_timestamp())::bigint"

/* Each file keeps the SQL of its statements (stmt_sql, and pg_sql where PostgreSQL's
 * differs); the handle caches them all. */
#define prep(s, id)	prep_sql(s, id, stmt_sql[id], pg_sql[id])

static inline char *
col_str(struct stmt *st, int i)
{
	const char *p = col_text(st, i);

	return p ? xstrdup(p) : NULL;
}

/* Run a statement expecting no rows; s->changes gets the rows it changed. */
int	run(struct store *, struct stmt *, const char *what);

/* Step a statement expected to give at most one row: 0 with column 0 in *out, 1 if
 * none, -1 on error. The statement is reset. */
static inline int
one_int(struct store *s, struct stmt *st, long long *out, const char *what)
{
	int	rc = step(st);

	if (rc == DB_ROW)
		*out = col_int(st, 0);
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, what);
}

/* The same for a text column; caller owns *out. */
static inline int
one_str(struct store *s, struct stmt *st, char **out, const char *what)
{
	int	rc = step(st);

	if (rc == DB_ROW)
		*out = col_str(st, 0);
	reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? 1 : dberr(s, what);
}

/* Collect column 0 of every row, then call cb for each once the statement is reset
 * (callbacks may use the store); stops at the first non-zero return. */
static inline int
each_id(struct store *s, struct stmt *st, store_id_cb cb, void *arg, const char *what)
{
	long long	*v = NULL;
	size_t		 n = 0, i;
	int		 rc;

	while ((rc = step(st)) == DB_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = col_int(st, 0);
	}
	reset(st);
	for (i = 0; rc == DB_DONE && i < n; i++)
		if (cb(v[i], arg) != 0)
			break;
	free(v);
	return rc == DB_DONE ? 0 : dberr(s, what);
}

#endif
