/* ingest_disqus.c: Disqus XML exports.
 *
 * <disqus> holds <category>, <thread dsq:id> (one per blog post) and <post dsq:id>
 * (one per comment, naming its thread and parent by dsq:id). Threads usually come
 * first, but nothing promises it, so the file is read twice: threads (passed on as
 * posts and remembered by dsq:id), then posts (passed on as comments). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_xml.h"
#include "log.h"

struct thread {
	char		*key;		/* dsq:id */
	long long	 post_id;
	char		*link;
};

struct tmap {
	struct thread	*v;
	size_t		 cap, n;
};

struct dq {
	struct item	 it;
	char		*dsq, *id, *date, *deleted, *spam, *thread, *parent;
	int		 in_author;
};

static size_t
khash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static struct thread *
tmap_find(struct tmap *m, const char *key)
{
	size_t	 i;

	if (m->cap == 0 || key == NULL)
		return NULL;
	for (i = khash(key) & (m->cap - 1); m->v[i].key != NULL; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i];
	return NULL;
}

static void
tmap_put(struct tmap *m, const char *key, long long post_id, const char *link)
{
	struct thread	*old = m->v, *t;
	size_t		 oldcap = m->cap, i;

	if ((t = tmap_find(m, key)) != NULL) {	/* a repeated thread: last wins */
		t->post_id = post_id;
		free(t->link);
		t->link = link != NULL ? xstrdup(link) : NULL;
		return;
	}
	if ((m->n + 1) * 2 > m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->v = xcalloc(m->cap, sizeof(*m->v));
		m->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].key != NULL) {
				t = &m->v[khash(old[i].key) & (m->cap - 1)];
				while (t->key != NULL)
					t = t + 1 < m->v + m->cap ? t + 1 : m->v;
				*t = old[i];
				m->n++;
			}
		free(old);
	}
	for (i = khash(key) & (m->cap - 1); m->v[i].key != NULL; i = (i + 1) & (m->cap - 1))
		;
	m->v[i].key = xstrdup(key);
	m->v[i].post_id = post_id;
	m->v[i].link = link != NULL ? xstrdup(link) : NULL;
	m->n++;
}

static void
tmap_free(struct tmap *m)
{
	size_t	 i;

	for (i = 0; i < m->cap; i++) {
		free(m->v[i].key);
		free(m->v[i].link);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static void
dq_clear(struct dq *q)
{
	item_reset(&q->it);
	free(q->dsq);
	free(q->id);
	free(q->date);
	free(q->deleted);
	free(q->spam);
	free(q->thread);
	free(q->parent);
	memset(q, 0, sizeof(*q));
}

static char *
dsq_id(struct xr *x)
{
	char	*v;

	if ((v = xr_attr_ns(x, "id", NS_DSQ)) == NULL)
		v = xr_attr(x, "dsq:id");
	return v;
}

static int
field(struct xr *x, struct dq *q, int depth)
{
	const char	*l = xr_local(x);

	if (!xr_streq(xr_ns(x), NS_DISQUS))
		return 0;
	if (q->in_author && depth == 3) {
		if (xr_streq(l, "name"))
			return xr_text(x, &q->it.author);
		if (xr_streq(l, "email"))
			return xr_text(x, &q->it.author_email);
		if (xr_streq(l, "link") || xr_streq(l, "url"))
			return xr_text(x, &q->it.author_url);
		return 0;
	}
	if (depth != 2)
		return 0;
	if (xr_streq(l, "author")) {
		q->in_author = !xr_is_empty(x);
		return 0;
	}
	if (xr_streq(l, "thread")) {
		free(q->thread);
		q->thread = dsq_id(x);
		return 0;
	}
	if (xr_streq(l, "parent")) {
		free(q->parent);
		q->parent = dsq_id(x);
		return 0;
	}
	if (xr_streq(l, "id"))
		return xr_text(x, &q->id);
	if (xr_streq(l, "link"))
		return xr_text(x, &q->it.link);
	if (xr_streq(l, "title"))
		return xr_text(x, &q->it.title);
	if (xr_streq(l, "message"))
		return xr_text(x, &q->it.html);
	if (xr_streq(l, "createdAt"))
		return xr_text(x, &q->date);
	if (xr_streq(l, "isDeleted"))
		return xr_text(x, &q->deleted);
	if (xr_streq(l, "isSpam"))
		return xr_text(x, &q->spam);
	return 0;
}

static long long
num_or_hash(const char *s)
{
	long long	 v;

	if ((v = ingest_leading_id(s)) > 0)
		return v;
	return ingest_hash_id(s);
}

static int
thread_send(struct xr *x, struct dq *q, struct tmap *m, const char *name, ingest_cb cb,
    void *arg, struct ingest_result *res)
{
	struct item	*it = &q->it;

	if (q->dsq == NULL)
		return xr_fail(x, "thread without dsq:id");
	it->kind = ITEM_POST;
	/* <id> is the blog's own identifier, "2481 https://..." for WordPress. */
	if ((it->post_id = ingest_leading_id(q->id)) == 0)
		it->post_id = ingest_hash_id(it->link != NULL && *it->link != '\0' ?
		    it->link : q->id != NULL && *q->id != '\0' ? q->id : q->dsq);
	it->date = ingest_parse_date(q->date);
	it->state = xr_streq(q->deleted, "true") ? ITEM_TRASH : ITEM_OK;
	if (it->link != NULL)
		it->post_link = xstrdup(it->link);
	if (ingest_emit(it, name, cb, arg, res) == -1)
		return -1;
	tmap_put(m, q->dsq, it->post_id, it->link);
	return 0;
}

static int
post_send(struct xr *x, struct dq *q, struct tmap *m, const char *name, ingest_cb cb,
    void *arg, struct ingest_result *res)
{
	struct item	*it = &q->it;
	struct thread	*t;

	if (q->dsq == NULL)
		return xr_fail(x, "post without dsq:id");
	it->kind = ITEM_COMMENT;
	free(it->link);		/* posts have none; build one below */
	it->link = NULL;
	it->comment_id = num_or_hash(q->dsq);
	if (q->parent != NULL && (it->parent_id = num_or_hash(q->parent)) == it->comment_id)
		it->parent_id = 0;
	if ((t = tmap_find(m, q->thread)) != NULL) {
		it->post_id = t->post_id;
		if (t->link != NULL && *t->link != '\0') {
			it->post_link = xstrdup(t->link);
			xasprintf(&it->link, "%s#comment-%lld", t->link, it->comment_id);
		}
	}
	it->date = ingest_parse_date(q->date);
	if (xr_streq(q->deleted, "true"))
		it->state = ITEM_TRASH;
	else if (xr_streq(q->spam, "true"))
		it->state = ITEM_SPAM;
	else
		it->state = ITEM_OK;
	return ingest_emit(it, name, cb, arg, res);
}

/* One pass: threads (want_posts 0) or posts (1). */
static int
pass(const char *data, size_t len, const char *name, int want_posts, struct tmap *m,
    ingest_cb cb, void *arg, struct ingest_result *res)
{
	struct xr	 x;
	struct dq	 q;
	const char	*what = want_posts ? "post" : "thread";
	int		 rc, d, in = 0;

	memset(&q, 0, sizeof(q));
	if (xr_open(&x, data, len, name, res) == -1)
		return -1;
	while ((rc = xr_read(&x)) == 1) {
		d = xr_depth(&x);
		if (xr_is_start(&x)) {
			if (d == 0 && !xr_is(&x, NS_DISQUS, "disqus")) {
				xr_fail(&x, "not a Disqus export: root element <%s>",
				    xr_local(&x));
				goto fail;
			}
			if (d == 1 && xr_is(&x, NS_DISQUS, what)) {
				in = 1;
				q.it.line = xr_line(&x);
				q.dsq = dsq_id(&x);
				if (!xr_is_empty(&x))
					continue;
			} else if (d == 1) {
				if (xr_skip(&x) == -1)
					goto fail;
				continue;
			} else {
				if (in && field(&x, &q, d) == -1)
					goto fail;
				continue;
			}
		} else if (in && q.in_author && d == 2 && xr_is_end(&x, NS_DISQUS, "author")) {
			q.in_author = 0;
			continue;
		} else if (!(in && d == 1 && xr_is_end(&x, NS_DISQUS, what)))
			continue;
		/* the end of a thread or post */
		in = 0;
		rc = want_posts ? post_send(&x, &q, m, name, cb, arg, res) :
		    thread_send(&x, &q, m, name, cb, arg, res);
		dq_clear(&q);
		if (rc == -1)
			goto fail;
	}
	if (rc == -1)
		goto fail;
	xr_close(&x);
	return 0;
fail:
	dq_clear(&q);
	xr_close(&x);
	return -1;
}

int
ingest_disqus(const char *data, size_t len, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	struct tmap	 m;
	int		 rc;

	memset(&m, 0, sizeof(m));
	ingest_result_init(res, FMT_DISQUS, 1);
	rc = pass(data, len, name, 0, &m, cb, arg, res);
	if (rc == 0)
		rc = pass(data, len, name, 1, &m, cb, arg, res);
	tmap_free(&m);
	return rc;
}
