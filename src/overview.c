/* overview.c: the overview lines of groups kept ready in memory (issue 7).
 *
 * OVER, and HDR/XHDR/XPAT of overview fields, copy their replies from here instead of
 * walking the store row by row. A group's lines ("num\tfields\r\n") sit in one buffer,
 * with their numbers and offsets beside them for binary search.
 *
 * A group is read into memory a step at a time (OV_STEP lines per use, ~10 ms), so the
 * loop never stalls on a big one; until it is whole, its users read the store. Every
 * use of a whole group first reads its mark in the store (live count, next number; one
 * indexed row), which each insertion and withdrawal changes, by this process or another
 * (confab import); within one read snapshot, once is enough. When it changed, the lines
 * of withdrawn articles are dropped and those of new ones appended, in one snapshot with
 * the mark the lines are then stamped with; if the count does not add up, the group is
 * read again. A store that sends change notices (PostgreSQL, LISTEN/NOTIFY: every
 * front end's commits) spares that read: a group checked since its last notice is
 * used as it is. Groups are dropped least recently used first once all of them pass
 * `overview_cache` octets; a group larger than that alone is not kept (until the limit
 * changes) and is served from the store, slice by slice, as without the cache.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "overview.h"
#include "store.h"
#include "work.h"

struct ovcache {
	TAILQ_HEAD(ovlist, ovgroup) lru;	/* most recently used first */
	size_t		 total, max;
	long long	*toobig;	/* groups not kept: larger than max alone */
	size_t		 ntoobig;
	struct workers	*workers;	/* ov_set_async(): groups read there */
	struct store_pool *pool;
};

static void	evict(struct ovcache *, struct ovgroup *);

struct ovcache *
ov_new(size_t max)
{
	struct ovcache	*c = xcalloc(1, sizeof(*c));

	TAILQ_INIT(&c->lru);
	c->max = max;
	return c;
}

static size_t
group_size(const struct ovgroup *g)
{
	return g->tcap + g->ncap * (sizeof(*g->nums) + sizeof(*g->offs));
}

static void
drop(struct ovcache *c, struct ovgroup *g)
{
	TAILQ_REMOVE(&c->lru, g, lru);
	c->total -= group_size(g);
	free(g->nums);
	free(g->offs);
	free(g->text);
	free(g);
}

void
ov_free(struct ovcache *c)
{
	if (c == NULL)
		return;
	while (!TAILQ_EMPTY(&c->lru))
		drop(c, TAILQ_FIRST(&c->lru));
	free(c->toobig);
	free(c);
}

void
ov_set_max(struct ovcache *c, size_t max)
{
	c->max = max;
	c->ntoobig = 0;		/* worth another try under the new limit */
	evict(c, NULL);
}

size_t
ov_find(const struct ovgroup *g, long long num)
{
	size_t	lo = 0, hi = g->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (g->nums[mid] < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
ov_size(const struct ovcache *c, size_t *groups)
{
	const struct ovgroup	*g;

	*groups = 0;
	TAILQ_FOREACH(g, &c->lru, lru)
		(*groups)++;
	return c->total;
}

const char *
ov_msgid(const struct ovgroup *g, long long num, size_t *len)
{
	size_t		 i = ov_find(g, num);
	const char	*p, *end, *t;
	int		 f;

	if (i == g->n || g->nums[i] != num)
		return NULL;
	p = g->text + g->offs[i];
	end = g->text + g->offs[i + 1] - 2;
	for (f = 0; f < 4 && p != NULL; f++)	/* number, Subject, From, Date */
		if ((p = memchr(p, '\t', (size_t)(end - p))) != NULL)
			p++;
	if (p == NULL)
		return NULL;
	t = memchr(p, '\t', (size_t)(end - p));
	*len = (size_t)((t ? t : end) - p);
	return p;
}

struct fill {
	struct ovcache	*c;
	struct ovgroup	*g;
	size_t		*total;		/* c->total, or a worker's count of the change */
	int		 toobig;
};

static int
add_line(long long num, const char *over, size_t len, void *arg)
{
	struct fill	*f = arg;
	struct ovgroup	*g = f->g;
	char		 digits[24], *p = digits + sizeof(digits);
	unsigned long long u = (unsigned long long)num;
	size_t		 nd, need, before = group_size(g);

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	nd = (size_t)(digits + sizeof(digits) - p);
	need = g->len + nd + 1 + len + 2;
	if (g->n + 1 >= g->ncap) {
		g->ncap = g->ncap ? g->ncap * 2 : 256;
		g->nums = xreallocarray(g->nums, g->ncap, sizeof(*g->nums));
		g->offs = xreallocarray(g->offs, g->ncap, sizeof(*g->offs));
	}
	if (need > g->tcap) {
		g->tcap = g->tcap ? g->tcap : 16384;
		while (g->tcap < need)
			g->tcap *= 2;
		g->text = xrealloc(g->text, g->tcap);
	}
	*f->total += group_size(g) - before;
	if (group_size(g) > f->c->max) {
		f->toobig = 1;
		return 1;	/* stop reading */
	}
	memcpy(g->text + g->len, p, nd);
	g->text[g->len + nd] = '\t';
	memcpy(g->text + g->len + nd + 1, over, len);
	memcpy(g->text + need - 2, "\r\n", 2);
	g->nums[g->n] = num;
	g->offs[g->n] = g->len;
	g->len = need;
	g->offs[++g->n] = g->len;
	return 0;
}

struct gone {
	long long	*v;
	size_t		 n;
};

static int
gone_add(long long num, void *arg)
{
	struct gone	*w = arg;

	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = num;
	return 0;
}

/* Drop the lines of the (ascending) numbers in w; how many went. */
static size_t
drop_lines(struct ovgroup *g, const struct gone *w)
{
	size_t	i, k = 0, out = 0, pos = 0, start, end;

	for (i = 0; i < g->n; i++) {
		start = g->offs[i];
		end = g->offs[i + 1];
		while (k < w->n && w->v[k] < g->nums[i])
			k++;
		if (k < w->n && w->v[k] == g->nums[i])
			continue;
		if (pos != start)
			memmove(g->text + pos, g->text + start, end - start);
		g->nums[out] = g->nums[i];
		g->offs[out++] = pos;
		pos += end - start;
	}
	i = g->n - out;
	g->n = out;
	g->len = pos;
	g->offs[out] = pos;
	return i;
}

/* Start reading g from the beginning, a step at a time. */
static void
restart(struct ovgroup *g)
{
	g->n = g->len = 0;
	g->nextnum = 1;
	g->building = 1;
	g->unsure = 1;
	g->fresh = 0;
}

/* The next OV_STEP lines of a group being read: 0 (still g->building when more are
 * left), -1 on error or when the group is too big. Each step is its own read of the
 * store: what changes meanwhile is mended when the group is complete (refresh()). */
static int
build_step(struct ovcache *c, struct store *st, struct ovgroup *g, size_t *total)
{
	struct fill	f = { c, g, total, 0 };
	long long	last;
	size_t		had = g->n;

	if (store_over_range(st, g->gid, g->nextnum, INT64_MAX, OV_STEP, add_line, &f,
	    &last) == -1 || f.toobig)
		return -1;
	if (g->n > had)
		g->nextnum = last + 1;
	if (g->n - had < OV_STEP) {
		g->building = 0;
		log_debug("overview of group %lld: %zu lines read", g->gid, g->n);
	}
	return 0;
}

/* Bring a complete g up to the store's state, in one snapshot: the lines of withdrawn
 * articles dropped, those of new ones appended. 0 done, 1 when that does not add up (or
 * the store is another one) and g is to be read again, -1 on error or when too big. */
static int
refresh(struct ovcache *c, struct store *st, struct ovgroup *g, size_t *total)
{
	struct fill	 f = { c, g, total, 0 };
	struct gone	 w = { NULL, 0 };
	long long	 count, next, last;
	size_t		 had, dropped = 0;
	int		 rc = -1;

	if (store_read_begin(st) == -1)
		return -1;
	if (store_group_mark(st, g->gid, &count, &next) != 0)
		goto done;
	rc = 1;
	if (next < g->nextnum)
		goto done;
	if (g->n > 0 && (g->unsure || count - g->count != next - g->nextnum)) {
		rc = -1;
		if (store_withdrawn_range(st, g->gid, g->nums[0], g->nextnum - 1, gone_add,
		    &w) == -1)
			goto done;
		dropped = drop_lines(g, &w);	/* (the buffers keep their size) */
	}
	had = g->n;
	rc = -1;
	if (store_over_range(st, g->gid, g->nextnum, INT64_MAX, -1, add_line, &f,
	    &last) == -1 || f.toobig)
		goto done;
	rc = 1;
	if ((long long)g->n != count)
		goto done;
	g->count = count;
	g->nextnum = next;
	g->unsure = 0;
	log_debug("overview of group %lld: %zu lines kept, %zu of them read now, %zu dropped",
	    g->gid, g->n, g->n - had, dropped);
	rc = 0;
done:
	free(w.v);
	store_read_end(st);
	if (rc == 1) {
		log_debug("overview of group %lld: read again", g->gid);
		restart(g);
	}
	return rc;
}

/* A change notice: gid's lines (0: every group's) are to be checked on next use. */
static int
changed(long long gid, void *arg)
{
	struct ovcache	*c = arg;
	struct ovgroup	*g;

	TAILQ_FOREACH(g, &c->lru, lru)
		if (gid == 0 || g->gid == gid) {
			if (g->busy)	/* the worker's: ovjob_done() sees this */
				g->renotice = 1;
			else
				g->fresh = 0;
		}
	return 0;
}

/* The others make room for g, least recently used first (not those a worker reads). */
static void
evict(struct ovcache *c, struct ovgroup *g)
{
	struct ovgroup	*v, *prev;

	for (v = TAILQ_LAST(&c->lru, ovlist); v != NULL && v != g && c->total > c->max;
	    v = prev) {
		prev = TAILQ_PREV(v, ovlist, lru);
		if (!v->busy)
			drop(c, v);
	}
}

/* g could not be read, or is too big to keep. */
static void
fail(struct ovcache *c, struct ovgroup *g)
{
	if (group_size(g) > c->max) {
		log_info("overview of group %lld exceeds overview_cache (%zu octets):"
		    " served from the store", g->gid, c->max);
		c->toobig = xreallocarray(c->toobig, c->ntoobig + 1, sizeof(*c->toobig));
		c->toobig[c->ntoobig++] = g->gid;
	}
	drop(c, g);
}

/* With a pool of stores (PostgreSQL), a group is checked and read on a worker thread,
 * whole, the loop leaving it alone meanwhile (busy); its users read the store until
 * it is back. */
struct ovjob {
	struct ovcache	*c;
	struct ovgroup	*g;
	size_t		 total;		/* what g grew by */
	int		 built;		/* read from the start */
	int		 rc;
};

static const struct ovgroup *get_async(struct ovcache *, struct ovgroup *);

static void
ovjob_run(struct store *st, void *arg)
{
	struct ovjob	*j = arg;
	struct ovgroup	*g = j->g;
	long long	 count, next;
	int		 rc = 1, tries;

	if (!g->building) {
		if (store_group_mark(st, g->gid, &count, &next) != 0) {
			j->rc = -1;
			return;
		}
		if (count == g->count && next == g->nextnum) {
			j->rc = 0;
			return;
		}
	}
	/* Read whole, then mended for what changed meanwhile (refresh: 1 when it does
	 * not add up and the group is to be read again). */
	for (tries = 0; tries < 3 && rc == 1; tries++) {
		while (g->building) {
			j->built = 1;
			if (build_step(j->c, st, g, &j->total) == -1) {
				j->rc = -1;
				return;
			}
		}
		rc = refresh(j->c, st, g, &j->total);
	}
	j->rc = rc;
}

static void
ovjob_done(void *arg, int ok)
{
	struct ovjob	*j = arg;
	struct ovgroup	*g = j->g;
	struct ovcache	*c = j->c;

	c->total += j->total;
	g->busy = 0;
	if (!ok || j->rc != 0)
		fail(c, g);
	else {
		if (j->built)
			log_info("overview of group %lld: %zu lines kept in memory", g->gid,
			    g->n);
		g->fresh = !g->renotice;
		evict(c, g);
		if (!g->fresh && c->pool != NULL)	/* a notice came meanwhile: check */
			get_async(c, g);		/* again now, not on use */
	}
	free(j);
}

void
ov_set_async(struct ovcache *c, struct workers *w, struct store_pool *pool)
{
	c->workers = w;
	c->pool = pool;
}

/* ov_get() with a pool of stores: never a query here. */
static const struct ovgroup *
get_async(struct ovcache *c, struct ovgroup *g)
{
	struct ovjob	*j;

	if (g->fresh && !g->building && !g->busy)
		return g;
	if (!g->busy) {
		j = xcalloc(1, sizeof(*j));
		j->c = c;
		j->g = g;
		g->busy = 1;
		g->renotice = 0;
		work_store(c->workers, c->pool, NULL, ovjob_run, ovjob_done, j);
	}
	return NULL;
}

void
ov_notices(struct ovcache *c, struct store *st)
{
	if (c != NULL)
		store_changes(st, changed, c);
}

void
ov_stale(struct ovcache *c, long long gid)
{
	if (c != NULL)
		changed(gid, c);
}

const struct ovgroup *
ov_get(struct ovcache *c, struct store *st, long long gid)
{
	struct ovgroup	*g;
	long long	 count, next, snap = store_read_id(st);
	size_t		 i;

	if (c == NULL || c->max == 0)
		return NULL;
	for (i = 0; i < c->ntoobig; i++)
		if (c->toobig[i] == gid)
			return NULL;
	TAILQ_FOREACH(g, &c->lru, lru)
		if (g->gid == gid)
			break;
	if (g != NULL)
		TAILQ_REMOVE(&c->lru, g, lru);
	else {
		g = xcalloc(1, sizeof(*g));
		g->gid = gid;
		restart(g);
	}
	/* Front of the list: the others make room for it, least recently used first. */
	TAILQ_INSERT_HEAD(&c->lru, g, lru);
	if (c->pool != NULL)
		return get_async(c, g);
	if (g->building) {
		/* A step per use, and one for a whole batch of pipelined commands: the loop
		 * never waits long on a big group. Its users read the store meanwhile. */
		if (snap != 0 && g->snap == snap)
			goto room;
		g->snap = snap;
		if (build_step(c, st, g, &c->total) == -1)
			goto fail;
		if (g->building)
			goto room;
	} else if ((snap != 0 && g->snap == snap) || g->fresh)
		return g;	/* checked in this snapshot, or since the last notice */
	else if (store_group_mark(st, gid, &count, &next) != 0)
		return NULL;
	else if (count == g->count && next == g->nextnum) {
		g->snap = snap;
		g->fresh = store_notifies(st);
		return g;
	}
	switch (refresh(c, st, g, &c->total)) {
	case -1:
		goto fail;
	case 1:
		goto room;	/* being read again */
	}
	g->snap = snap;
	g->fresh = store_notifies(st);
room:
	evict(c, g);
	return g->building ? NULL : g;
fail:
	fail(c, g);
	return NULL;
}
