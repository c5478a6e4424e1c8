/* store_int.h: what store.c and store_mail.c share: the statements, the handle and the
 * helpers around sqlite3_step. Private to the store; nothing else includes it. */
#ifndef CONFAB_STORE_INT_H
#define CONFAB_STORE_INT_H

#include <stdlib.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

enum stmt_id {
	S_GROUP_GET, S_GROUP_ID, S_GROUP_INS, S_GROUP_UPD, S_GROUP_EACH, S_GROUP_NEXT, S_GROUP_BUMP,
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
	S_META_GET, S_META_PUT,
	S_FC_GET, S_FC_PUT,
	S_OB_ADD, S_OB_GET, S_OB_ATTEMPT, S_OB_FINISH, S_OB_RETRY, S_OB_DUE, S_OB_BY_COMMENT,
	S_OB_UNMATCHED,
	S_SUB_ADD, S_SUB_GET, S_SUB_FIND, S_SUB_STATE, S_SUB_DEL, S_SUB_EACH, S_SUB_BOUNCE,
	S_SUB_FOR, S_MQ_ADD, S_MQ_DUE, S_MQ_GET, S_MQ_STATE, S_MQ_DEL, S_MQ_SENDING,
	S_ART_AFTER, S_ART_GROUPS, S_MAX_ART, S_MQ_KIND,
	S_MAX
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[S_MAX];
	int		 in_tx;
	int		 reading;	/* nested store_read_begin() */
	long long	 snap;		/* the current (or last) read snapshot */
	int		 held;		/* store_read_hold() */
};

static inline sqlite3_stmt *
prep_sql(struct store *s, enum stmt_id id, const char *sql)
{
	if (s->st[id] == NULL) {
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		    &s->st[id], NULL) != SQLITE_OK)
			fatal("store: preparing statement %d: %s", id, sqlite3_errmsg(s->db));
	} else {
		sqlite3_reset(s->st[id]);
		sqlite3_clear_bindings(s->st[id]);
	}
	return s->st[id];
}

static inline int
dberr(struct store *s, const char *what)
{
	log_warn("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* Run a statement expecting no rows. */
static inline int
run(struct store *s, sqlite3_stmt *st, const char *what)
{
	int	rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dberr(s, what);
	return 0;
}

static inline void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static inline char *
col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	return p ? xstrdup((const char *)p) : NULL;
}

/* Step a statement expected to give at most one row: 0 with column 0 in *out, 1 if
 * none, -1 on error. The statement is reset. */
static inline int
one_int(struct store *s, sqlite3_stmt *st, long long *out, const char *what)
{
	int	rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : dberr(s, what);
}

/* The same for a text column; caller owns *out. */
static inline int
one_str(struct store *s, sqlite3_stmt *st, char **out, const char *what)
{
	int	rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*out = col_str(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : dberr(s, what);
}

/* Collect column 0 of every row, then call cb for each once the statement is reset
 * (callbacks may use the store); stops at the first non-zero return. */
static inline int
each_id(struct store *s, sqlite3_stmt *st, store_id_cb cb, void *arg, const char *what)
{
	long long	*v = NULL;
	size_t		 n = 0, i;
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (i = 0; rc == SQLITE_DONE && i < n; i++)
		if (cb(v[i], arg) != 0)
			break;
	free(v);
	return rc == SQLITE_DONE ? 0 : dberr(s, what);
}

#endif
