/* store.h: the store: SQLite (WAL) on one machine, or PostgreSQL shared by several
 * confabd. The only interface to persistent state; no SQL lives outside store.c,
 * store_mail.c and store_db.c, and nothing else knows which engine runs. Every call returns 0 on success, -1 on
 * error (logged), and lookups 1 for "not found". Strings handed out in structs are owned
 * by the caller and freed with the matching *_clear(); callbacks' arguments are valid
 * only during the call. */
#ifndef CONFAB_STORE_H
#define CONFAB_STORE_H

#include <stddef.h>
#include <time.h>

#include "item.h"

#define STORE_SCHEMA_VERSION	7	/* SQLite's; PostgreSQL stores begin at 6 */

enum store_backend { STORE_SQLITE = 0, STORE_POSTGRESQL = 1 };

typedef int (*store_id_cb)(long long id, void *);

struct store;

/* where: the SQLite file, or a libpq conninfo. Creates or migrates the schema; err
 * tells why not (no such database, bad password, a schema newer than this confab). */
struct store	*store_connect(int backend, const char *where, int busy_ms, char *err,
		    size_t errlen);
struct store	*store_open(const char *path, int busy_ms, char *err, size_t errlen);
/* Connect and read the schema version, changing nothing: 0 and what the store is, or
 * -1 and why it cannot be used, in out. */
int		 store_probe(int backend, const char *where, char *out, size_t outlen);
/* What the store is: its engine, where (the SQLite file, or database@host:port as
 * user: never a password), its size in octets (SQLite: the file and its WAL;
 * PostgreSQL: pg_database_size; -1 unknown) and its schema version. */
struct store_info {
	int		 backend;	/* enum store_backend */
	char		 where[512];
	long long	 size;
	int		 schema;
};
int		 store_info(struct store *, struct store_info *);
/* Connections to one store for worker threads: each store_pool_get() gives a store
 * to use on one thread at a time, until store_pool_put(); NULL (err says why) when
 * none can be made. Thread-safe. */
struct store_pool;
struct store_pool *store_pool_new(int backend, const char *where, int busy_ms);
struct store	*store_pool_get(struct store_pool *, char *err, size_t errlen);
void		 store_pool_put(struct store_pool *, struct store *);
void		 store_pool_free(struct store_pool *);
void		 store_close(struct store *);
/* A write transaction: writers (of every front end sharing the store) take turns. */
int		 store_begin(struct store *);
int		 store_commit(struct store *);
int		 store_rollback(struct store *);
int		 store_schema_version(struct store *);
int		 store_read_begin(struct store *);	/* BEGIN: one snapshot for reads */
int		 store_read_end(struct store *);	/* (nested: the outermost ends it) */
/* Which snapshot reads see now, 0 outside one: what was read in it still holds. */
long long	 store_read_id(struct store *);
/* Keep one read snapshot across calls until released (pipelined reader commands):
 * one set of SQLite's locks instead of one per statement. store_begin() releases it. */
void		 store_read_hold(struct store *);
void		 store_read_release(struct store *);

/* Change notices (PostgreSQL: LISTEN/NOTIFY): 1 when the store tells of every change
 * to a group's articles, by any front end, so that a cache checked since may be used
 * without asking again; 0 (SQLite): ask every time. */
int		 store_notifies(const struct store *);
/* The groups changed since the last call, each to cb (gid 0: maybe any); never waits.
 * Returns how many notices. */
int		 store_changes(struct store *, store_id_cb, void *);
/* A lost connection (PostgreSQL) made again without waiting, a step per call: 1 with
 * the socket to wait on in *fd (for writing if *writing, else reading) before the next
 * call; 0 connected (again, or all along; SQLite: always); -1 failed (logged): try
 * again later. Change notices missed meanwhile count as "any group" (gid 0). */
int		 store_reconnect(struct store *, int *fd, int *writing);
/* The socket change notices arrive on (PostgreSQL, connected), else -1. */
int		 store_socket(const struct store *);

/* Groups. */
struct store_group {
	long long	 id;
	char		*name;
	char		*description;
	time_t		 created;
	int		 posting;	/* enum posting */
	long long	 count, low, high;	/* live articles; low/high water marks */
};
void	store_group_clear(struct store_group *);
/* Create the group if absent; update description and posting policy if present. */
int	store_group_ensure(struct store *, const char *name, const char *desc, int posting,
	    long long *id);
int	store_group_get(struct store *, const char *name, struct store_group *);
typedef int (*store_group_cb)(const struct store_group *, void *);
int	store_group_each(struct store *, store_group_cb, void *);	/* by name */
int	store_group_next_number(struct store *, long long gid, long long *num);
/* What changes whenever a group's articles do: its live count and its next number
 * (articles are never revived, numbers never reused). */
int	store_group_mark(struct store *, long long gid, long long *count, long long *next);

/* Sources. */
int	store_source_id(struct store *, const char *name, long long *id);	/* create */

/* Blog items (raw data as ingested). */
struct store_item {
	struct item	 it;		/* the blog data */
	long long	 source_id;
	char		*hash;		/* content hash of the blog data */
	char		*msgid;		/* Message-ID fixed at arrival (NNTP/mail), or NULL */
	long long	 article_id;	/* current article (live or not), 0 none */
	int		 dirty;
	long long	 gen;
};
void	store_item_clear(struct store_item *);
/* Insert or update; *result: 0 unchanged, 1 new, 2 changed. Marks dirty when not 0.
 * `gen` is the import generation stamped on the row; *dup set when the row already
 * had this gen (a duplicate in one import). */
int	store_item_put(struct store *, long long source_id, const struct item *,
	    const char *hash, const char *msgid, long long gen, int *result, int *dup);
int	store_item_get(struct store *, long long source_id, long long post_id,
	    long long comment_id, struct store_item *);
/* An item's place in its thread without its blog data (cheap: for ancestor walks). */
struct store_item_ref {
	long long	 post_id, comment_id, parent_id;
	long long	 article_id;	/* current article (live or not), 0 none */
	int		 dirty;
	char		*live_msgid;	/* the current article's Message-ID if live, else NULL */
};
void	store_item_ref_clear(struct store_item_ref *);
int	store_item_ref(struct store *, long long source_id, long long post_id,
	    long long comment_id, struct store_item_ref *);
int	store_post_by_link(struct store *, long long source_id, const char *link,
	    long long *post_id);
/* Mark comments of post `post_id` not stamped with `gen` as vanished (state TRASH, dirty).
 * Returns how many, in *n. */
int	store_items_vanish(struct store *, long long source_id, long long post_id,
	    long long gen, long *n);
/* Keys of the dirty items of a source in publishing order (posts first, then by date). */
typedef int (*store_key_cb)(long long post_id, long long comment_id, void *);
int	store_items_dirty(struct store *, long long source_id, store_key_cb, void *);
int	store_item_clean(struct store *, long long source_id, long long post_id,
	    long long comment_id, long long article_id);
long long store_next_gen(struct store *);
long long store_local_comment_id(struct store *, long long source_id);

/* Articles. */
struct store_article {
	long long	 id;
	char		*msgid;
	int		 live;
	time_t		 date;
	time_t		 arrived;
	char		*data;		/* whole article, CRLF, not dot-stuffed */
	size_t		 len;
	size_t		 head_len;	/* octets of the header incl. the empty line */
};
void	store_article_clear(struct store_article *);
struct store_newart {
	const char	*msgid;
	long long	 source_id, post_id, comment_id;
	int		 version;
	time_t		 date;
	const char	*data;
	size_t		 len, head_len;
	const char	*over;		/* overview fields 1..7 and Xref, tab-joined, no number */
	long long	*gids;		/* groups and their numbers (already assigned) */
	long long	*nums;
	int		 ngroups;
};
int	store_article_add(struct store *, const struct store_newart *, long long *id);
int	store_article_withdraw(struct store *, long long id);
int	store_article_by_msgid(struct store *, const char *msgid, struct store_article *);
int	store_article_by_id(struct store *, long long id, struct store_article *);
int	store_article_by_num(struct store *, long long gid, long long num,
	    struct store_article *);
/* The same without the article's bytes (data is ""): STAT, NEXT, LAST. */
int	store_article_stat_msgid(struct store *, const char *msgid, struct store_article *);
int	store_article_stat_num(struct store *, long long gid, long long num,
	    struct store_article *);
int	store_msgid_exists(struct store *, const char *msgid);	/* 0 yes, 1 no */
/* Message-ID and liveness of an article by id; caller owns *msgid. */
int	store_article_msgid(struct store *, long long id, char **msgid, int *live);
/* Item an article belongs to. */
int	store_article_item(struct store *, const char *msgid, long long *source_id,
	    long long *post_id, long long *comment_id);
/* Live neighbours: next (dir > 0) or previous (dir < 0) live number from num. */
int	store_article_step(struct store *, long long gid, long long num, int dir,
	    long long *out);
/* Number of a live article (by msgid) in group gid. */
int	store_article_num(struct store *, long long gid, const char *msgid, long long *num);

/* Overview rows of live articles lo..hi, ascending, at most `limit` rows.
 * *last gets the last number passed (so the caller resumes at *last + 1). */
typedef int (*store_over_cb)(long long num, const char *over, size_t len, void *);
int	store_over_range(struct store *, long long gid, long long lo, long long hi,
	    int limit, store_over_cb, void *, long long *last);
int	store_over_msgid(struct store *, const char *msgid, char **over);
/* Live article numbers lo..hi, as above. */
typedef int (*store_num_cb)(long long num, void *);
int	store_numbers_range(struct store *, long long gid, long long lo, long long hi,
	    int limit, store_num_cb, void *, long long *last);
/* The withdrawn numbers in lo..hi, ascending. */
int	store_withdrawn_range(struct store *, long long gid, long long lo, long long hi,
	    store_num_cb, void *);
/* Whole articles lo..hi (for HDR/XPAT on arbitrary headers). */
typedef int (*store_art_cb)(long long num, const char *data, size_t head_len, void *);
int	store_heads_range(struct store *, long long gid, long long lo, long long hi,
	    int limit, store_art_cb, void *, long long *last);
/* Message-IDs of live articles arrived since `since` in group gid. */
/* Live articles that arrived after (arrived, id), in arrival order, at most limit,
 * with the names of their groups (comma-separated): NEWNEWS in slices. */
typedef int (*store_newnews_cb)(long long id, time_t arrived, const char *msgid,
	    const char *groups, void *);
int	store_newnews(struct store *, time_t arrived, long long id, int limit,
	    store_newnews_cb, void *);

/* Users (local accounts). */
int	store_user_put(struct store *, const char *name, const char *hash);
int	store_user_hash(struct store *, const char *name, char **hash);
int	store_user_del(struct store *, const char *name);
typedef int (*store_user_cb)(const char *name, void *);
int	store_user_each(struct store *, store_user_cb, void *);

/* Key/value bookkeeping (poll state); caller owns *value. */
int	store_meta_get(struct store *, const char *key, char **value);
int	store_meta_put(struct store *, const char *key, const char *value);

/* A lease on a named duty for `owner` until `until`: 0 taken or renewed, 1 another
 * owner holds it (its lease not yet past `now`). */
int	store_lease(struct store *, const char *name, const char *owner, time_t now,
	    time_t until);

/* The last poll of each live source, written by the poller when a run ends (in the
 * run's last write), so that any front end or `confab status` can tell whether a blog
 * answers and why not. */
enum poll_result {
	POLL_NONE = 0,		/* never polled */
	POLL_OK,		/* fetched and imported */
	POLL_NOT_MODIFIED,	/* every answer was 304 */
	POLL_HTTP,		/* an HTTP error status (http_status) */
	POLL_UNREACHABLE,	/* no answer: connection refused, timeout, TLS, DNS */
	POLL_PARSE,		/* an answer that could not be parsed */
	POLL_STORE,		/* the answer could not be stored */
	POLL_NRESULTS
};
/* "ok", "not modified", "http error", "unreachable", "parse error", "store error"
 * ("never" for POLL_NONE); store_poll_result() maps a name back (POLL_NONE if none). */
const char	*store_poll_result_name(int);
int		 store_poll_result(const char *);
struct store_source_status {
	char		*source;
	time_t		 polled;	/* when the last run ended */
	int		 result;	/* enum poll_result */
	int		 http_status;	/* the failing status, else 0 (or 200/304) */
	char		*error;		/* why it failed, one line; NULL when ok */
	time_t		 next_poll;	/* when it is due again; 0 unknown */
	time_t		 last_ok;	/* the last run that succeeded, 0 never */
	int		 fails;		/* failed runs in a row */
	char		*owner;		/* the front end that polled (host:pid) */
};
void	store_source_status_clear(struct store_source_status *);
/* Record a run: last_ok and fails follow from result (ok and not modified succeed);
 * next_poll 0 keeps the one recorded (confab poll does not schedule). */
int	store_source_status_put(struct store *, const struct store_source_status *);
int	store_source_status_get(struct store *, const char *source,
	    struct store_source_status *);
typedef int (*store_source_status_cb)(const struct store_source_status *, void *);
int	store_source_status_each(struct store *, store_source_status_cb, void *); /* by name */

/* Front ends sharing the store: each writes a heartbeat row (owner host:pid) every
 * little while with its open connections, and removes it when it stops; one whose
 * row is old has died. */
struct store_frontend {
	char		*owner;		/* host:pid */
	char		*version;
	time_t		 started, seen;	/* seen: its last heartbeat */
	int		 nntp, lmtp;	/* connections open */
};
void	store_frontend_clear(struct store_frontend *);
/* Write fe's heartbeat; rows not seen since prune_before are removed. */
int	store_frontend_beat(struct store *, const struct store_frontend *,
	    time_t prune_before);
int	store_frontend_gone(struct store *, const char *owner);
typedef int (*store_frontend_cb)(const struct store_frontend *, void *);
int	store_frontend_each(struct store *, store_frontend_cb, void *);	/* by owner */

/* Conditional-GET validators per source and URL; caller owns *etag. */
int	store_fetch_cache_get(struct store *, const char *source, const char *url,
	    char **etag, time_t *last_modified);
int	store_fetch_cache_put(struct store *, const char *source, const char *url,
	    const char *etag, time_t last_modified);

/* Outbox: comments on their way to the blog. */
enum outbox_state { OB_PENDING = 0, OB_DELIVERED = 1, OB_REFUSED = 2 };
struct store_outbox {
	long long	 id;
	char		*source;	/* source name */
	char		*msgid;		/* the poster's Message-ID */
	long long	 post_id, parent_id;	/* blog ids; parent 0 = the post */
	char		*author, *email;
	char		*html;
	int		 state;		/* enum outbox_state */
	int		 attempts;
	time_t		 next_try;
	char		*last_error;
	long long	 comment_id;	/* the blog's id once known, else 0 */
	time_t		 created;
	int		 trying;	/* an attempt's request may be on its way (until
					 * next_try): not to be made due before */
};
void	store_outbox_clear(struct store_outbox *);
int	store_outbox_add(struct store *, const struct store_outbox *, long long *id);
int	store_outbox_get(struct store *, long long id, struct store_outbox *);
/* A delivery is being tried: attempts + 1 and the next try, committed before sending.
 * 1 when the entry is no longer pending and due at `now` (another took it). */
int	store_outbox_attempt(struct store *, long long id, time_t now, time_t next_try);
int	store_outbox_finish(struct store *, long long id, int state, long long comment_id,
	    const char *error);
int	store_outbox_retry(struct store *, long long id, time_t next_try, const char *error);
/* Ids of pending entries due at or before `now`. */
int	store_outbox_due(struct store *, time_t now, store_id_cb, void *);
/* The poster's Message-ID for a blog comment delivered through the outbox (by the
 * blog's comment id). 0 found (caller owns *msgid), 1 none. */
int	store_outbox_by_comment(struct store *, const char *source, long long comment_id,
	    char **msgid);
/* Entries of a post whose delivery outcome is unknown (tried, no comment id yet), for
 * matching a comment the blog shows against them. */
typedef int (*store_outbox_cb)(const struct store_outbox *, void *);
int	store_outbox_unmatched(struct store *, const char *source, long long post_id,
	    store_outbox_cb, void *);
/* Entries not delivered (pending and refused; all: delivered ones too), by id. */
int	store_outbox_each(struct store *, int all, store_outbox_cb, void *);
/* Make entry id (0: every one) due at `now`, a refused one pending again; *n gets how
 * many. An entry whose attempt may still be on its way (trying, next_try > now) is
 * left alone: the attempt logic sends an entry once. 1 when none changed. */
int	store_outbox_due_now(struct store *, long long id, time_t now, long long *n);
/* Remove an entry that is not delivered (delivered ones map the blog's comment to
 * the poster's Message-ID) nor on its way at `now`: 1 when none was. */
int	store_outbox_drop(struct store *, long long id, time_t now);

/* Mailing-list subscribers. thread "" = the whole group, else the thread's root
 * Message-ID. */
enum sub_mode { SUB_EACH = 0, SUB_DIGEST = 1 };
enum sub_state { SUB_PENDING = 0, SUB_ACTIVE = 1, SUB_SUSPENDED = 2 };
struct store_sub {
	long long	 id, group_id;
	char		*group, *thread, *address;
	int		 mode, state, bounces;
	time_t		 created;
};
void	store_sub_clear(struct store_sub *);
/* Add (or update the mode of, and re-activate) a subscription; out gets the row. */
int	store_sub_add(struct store *, long long group_id, const char *thread,
	    const char *address, int mode, int state, struct store_sub *out);
int	store_sub_get(struct store *, long long id, struct store_sub *);
int	store_sub_find(struct store *, long long group_id, const char *thread,
	    const char *address, struct store_sub *);
int	store_sub_state(struct store *, long long id, int state);
int	store_sub_del(struct store *, long long id);
/* One more bounce; suspended at `limit`. */
int	store_sub_bounce(struct store *, long long id, int limit);
typedef int (*store_sub_cb)(const struct store_sub *, void *);
int	store_sub_each(struct store *, const char *group, store_sub_cb, void *);
/* Active subscribers of a group, whole-group ones and those of thread `thread`. */
int	store_sub_for(struct store *, long long group_id, const char *thread, store_sub_cb,
	    void *);

/* Mail queue: one row per mail to send. data: a prepared mail (confirmations, notices;
 * article_id 0) or NULL (rendered from the article when sent). A subscriber gets an
 * article (id > 0) of a kind once: repeats are ignored. A row is queued (attempts > 0:
 * it failed and waits for its next try), sending (taken; never sent twice), or a
 * digest item (never due: the digest takes it). */
enum mq_kind { MQ_ARTICLE = 0, MQ_PREPARED = 1, MQ_DIGEST_ITEM = 2 };
enum mq_state { MQ_QUEUED = 0, MQ_SENDING = 1 };
struct store_mq {
	long long	 id, sub_id, article_id;
	int		 kind, state, attempts;
	char		*data;		/* store_mq_get only */
	size_t		 len;
	time_t		 next_try, created;
	char		*last_error;	/* why the last try failed, or NULL */
	char		*address, *group;	/* the subscriber's (store_mq_each only) */
};
int	store_mq_add(struct store *, long long sub_id, long long article_id, int kind,
	    time_t next_try, const char *data, size_t len);
int	store_mq_due(struct store *, time_t now, int limit, store_id_cb, void *);
int	store_mq_get(struct store *, long long id, struct store_mq *);
void	store_mq_clear(struct store_mq *);
/* Take a queued row for sending (state to `state`, next_try to `now`, the time it was
 * taken): 1 when it is not queued any more. */
int	store_mq_claim(struct store *, long long id, int state, time_t now);
int	store_mq_del(struct store *, long long id);
/* A try failed: queued again for next_try, attempts + 1, with why. */
int	store_mq_defer(struct store *, long long id, time_t next_try, const char *error);
/* Every row, by id, with the subscriber's address and group (no data). */
typedef int (*store_mq_row_cb)(const struct store_mq *, void *);
int	store_mq_each(struct store *, store_mq_row_cb, void *);
/* Make queued row id (0: every queued one; not digest items) due at `now`; *n gets
 * how many. 1 when none changed. */
int	store_mq_due_now(struct store *, long long id, time_t now, long long *n);
/* Remove a row not being sent: 1 when none was. */
int	store_mq_drop(struct store *, long long id);
/* Rows "sending" since before `before` (taken and never finished). */
int	store_mq_sending(struct store *, time_t before, store_id_cb, void *);
/* Rows of one kind, by subscriber (digest items). */
typedef int (*store_mq_cb)(long long id, long long sub_id, long long article_id, void *);
int	store_mq_kind(struct store *, int kind, store_mq_cb, void *);

/* Queue depths at one moment (`confab status`, metrics); oldest: the creation time of
 * the oldest entry counted, 0 when none. */
struct store_status {
	long long	 outbox_pending;	/* waiting for the blog */
	long long	 outbox_failing;	/* of those, tried and not delivered yet */
	long long	 outbox_refused;	/* the blog said no: kept until dropped */
	long long	 outbox_delivered;
	time_t		 outbox_oldest;		/* of the pending */
	long long	 mq_queued;	/* never tried yet */
	long long	 mq_failed;	/* failed at least once, waiting for the next try */
	long long	 mq_sending;
	long long	 mq_digest;	/* items waiting for a digest */
	time_t		 mq_oldest;	/* of queued, failed and sending */
};
int	store_status(struct store *, struct store_status *);
/* Subscribers per group (every group, those without any too), by group name. */
struct store_group_subs {
	const char	*group;
	long long	 pending, active, suspended;
};
typedef int (*store_group_subs_cb)(const struct store_group_subs *, void *);
int	store_sub_counts(struct store *, store_group_subs_cb, void *);

/* Live articles with id > after, ascending (the list mailer's cursor). */
typedef int (*store_newart_cb)(long long id, const char *msgid, int version,
	    const char *over, void *);
int	store_articles_after(struct store *, long long after, int limit, store_newart_cb,
	    void *);
/* Groups an article is in; returns the count (at most max) or -1. */
int	store_article_groups(struct store *, long long article_id, long long *gids, int max);
long long store_max_article(struct store *);

/* Copy every row of `from` into the empty store `to` (the same schema version), in one
 * transaction of `to`: ids, numbers and Message-IDs as they are. cb: each table done. */
typedef void (*store_copy_cb)(const char *table, long long rows, void *);
int	store_copy(struct store *from, struct store *to, store_copy_cb, void *);

#endif
