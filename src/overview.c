/* overview.c: the overview lines of groups kept ready in memory (issue 7).
 *
 * OVER, and HDR/XHDR/XPAT of overview fields, copy their replies from here instead of
 * walking the store row by row. A group's lines ("num\tfields\r\n") sit in one buffer,
 * with their numbers and offsets beside them for binary search.
 *
 * Every use first reads the group's mark in the store (live count, next number; one
 * indexed row), which each insertion and withdrawal changes, by this process or another
 * (confab import). A group that only grew since gets its new lines appended; any other
 * change reads it again, in one snapshot with the mark it is then stamped with. Groups
 * are dropped least recently used first once all of them pass `overview_cache` octets;
 * a group larger than that alone is not kept (until the limit changes) and is served
 * from the store, slice by slice, as without the cache.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "overview.h"
#include "store.h"

struct ovcache {
	struct ovgroup	*head, *tail;	/* most recently used first */
	size_t		 total, max;
	long long	*toobig;	/* groups not kept: larger than max alone */
	size_t		 ntoobig;
};

struct ovcache *
ov_new(size_t max)
{
	struct ovcache	*c = xcalloc(1, sizeof(*c));

	c->max = max;
	return c;
}

static size_t
group_size(const struct ovgroup *g)
{
	return g->tcap + g->ncap * (sizeof(*g->nums) + sizeof(*g->offs));
}

static void
unlink_group(struct ovcache *c, struct ovgroup *g)
{
	if (g->prev)
		g->prev->next = g->next;
	else
		c->head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		c->tail = g->prev;
	g->prev = g->next = NULL;
}

static void
drop(struct ovcache *c, struct ovgroup *g)
{
	unlink_group(c, g);
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
	while (c->head != NULL)
		drop(c, c->head);
	free(c->toobig);
	free(c);
}

void
ov_set_max(struct ovcache *c, size_t max)
{
	c->max = max;
	c->ntoobig = 0;		/* worth another try under the new limit */
	while (c->tail != NULL && c->total > c->max)
		drop(c, c->tail);
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
	for (g = c->head; g != NULL; g = g->next)
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
	f->c->total += group_size(g) - before;
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

/* Bring g up to the store's state, in one snapshot: the lines of withdrawn articles
 * dropped, those of new ones appended; read whole only if that does not add up (or the
 * store is another one). -1 on error or when the group is too big. */
static int
refresh(struct ovcache *c, struct store *st, struct ovgroup *g)
{
	struct fill	 f = { c, g, 0 };
	struct gone	 w = { NULL, 0 };
	long long	 count, next, last;
	size_t		 had, dropped = 0;
	int		 rc = -1, whole = 0;

	if (store_read_begin(st) == -1)
		return -1;
	if (store_group_mark(st, g->gid, &count, &next) != 0)
		goto done;
	if (next < g->nextnum)
		whole = 1;
	else if (g->n > 0 && count - g->count != next - g->nextnum) {
		if (store_withdrawn_range(st, g->gid, g->nums[0], g->nextnum - 1, gone_add,
		    &w) == -1)
			goto done;
		dropped = drop_lines(g, &w);
	}
	for (;;) {
		if (whole) {
			g->n = g->len = 0;
			g->nextnum = 1;
		}
		had = g->n;
		if (store_over_range(st, g->gid, g->nextnum, INT64_MAX, -1, add_line, &f,
		    &last) == -1 || f.toobig)
			goto done;
		if ((long long)g->n == count || whole)
			break;
		whole = 1;
	}
	g->count = count;
	g->nextnum = next;
	log_debug("overview of group %lld: %zu lines kept, %zu of them read now, %zu dropped",
	    g->gid, g->n, g->n - had, dropped);
	rc = 0;
done:
	free(w.v);
	store_read_end(st);
	return rc;
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
	for (g = c->head; g != NULL && g->gid != gid; g = g->next)
		;
	if (g != NULL) {
		/* Checked already in this snapshot of the store: nothing can have changed. */
		if (snap != 0 && g->snap == snap)
			count = g->count, next = g->nextnum;
		else if (store_group_mark(st, gid, &count, &next) != 0)
			return NULL;
		unlink_group(c, g);
	} else {
		g = xcalloc(1, sizeof(*g));
		g->gid = gid;
		g->nextnum = 1;
		count = next = -1;
	}
	/* Front of the list: the others make room for it, least recently used first. */
	g->next = c->head;
	if (c->head)
		c->head->prev = g;
	c->head = g;
	if (c->tail == NULL)
		c->tail = g;
	g->snap = snap;
	if (count == g->count && next == g->nextnum)
		return g;
	if (refresh(c, st, g) == -1) {
		if (group_size(g) > c->max) {
			log_info("overview of group %lld exceeds overview_cache (%zu octets):"
			    " served from the store", gid, c->max);
			c->toobig = xreallocarray(c->toobig, c->ntoobig + 1, sizeof(*c->toobig));
			c->toobig[c->ntoobig++] = gid;
		}
		drop(c, g);
		return NULL;
	}
	while (c->total > c->max && c->tail != g)
		drop(c, c->tail);
	return g;
}
