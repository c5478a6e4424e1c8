/* overview.h: the overview lines of groups kept ready in memory (see overview.c). */
#ifndef CONFAB_OVERVIEW_H
#define CONFAB_OVERVIEW_H

#include <sys/queue.h>
#include <stddef.h>

struct store;

/* One group's overview: line i is text[offs[i] .. offs[i + 1]), "num\tfields\r\n",
 * for article number nums[i]; numbers ascending. */
struct ovgroup {
	TAILQ_ENTRY(ovgroup) lru;	/* most recently used first */
	long long	 gid;
	long long	 count, nextnum;	/* the store's mark these lines match */
	long long	 snap;		/* the read snapshot they were checked in */
	int		 building;	/* being read, a step at a time, from nextnum */
	int		 unsure;	/* read in steps: withdrawals since not seen yet */
	int		 fresh;		/* checked, and no change notice since (store_notifies) */
	int		 busy;		/* being read on a worker thread (ov_set_async) */
	int		 renotice;	/* a change notice came meanwhile */
	long long	*nums;
	size_t		*offs;
	size_t		 n, ncap;
	char		*text;
	size_t		 len, tcap;
};

#define OV_STEP		8192	/* lines read per call while a group is read */

struct ovcache;

struct ovcache	*ov_new(size_t max);	/* at most max octets in all; 0: keep nothing */
void		 ov_free(struct ovcache *);
void		 ov_set_max(struct ovcache *, size_t);
/* Check and read groups on w's threads with stores of pool, never on the loop: the
 * store sends change notices (store_notifies). NULL, NULL before stopping w: no more
 * work is given to it. */
struct workers;
struct store_pool;
void		 ov_set_async(struct ovcache *, struct workers *, struct store_pool *);
/* The group's lines as the store has them now, or NULL when they are not kept (too
 * large, cache off, store error) or not read whole yet (a big group is read a step of
 * OV_STEP lines per call): the caller reads the store. Valid until the next ov_get(). */
const struct ovgroup *ov_get(struct ovcache *, struct store *, long long gid);
/* Take the store's change notices (PostgreSQL: call it when the store's socket is
 * readable, store_socket(); SQLite has none). */
void		 ov_notices(struct ovcache *, struct store *);
/* gid's lines (0: every group's) are to be checked against the store on next use. */
void		 ov_stale(struct ovcache *, long long gid);
size_t		 ov_find(const struct ovgroup *, long long num);	/* first >= num */
/* The Message-ID of article num, if it is a line of g; not NUL-terminated. */
const char	*ov_msgid(const struct ovgroup *, long long num, size_t *len);
size_t		 ov_size(const struct ovcache *, size_t *groups);	/* octets kept */

#endif
