/* import.c: stage blog items, then publish, supersede and withdraw articles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "html2text.h"
#include "import.h"
#include "log.h"
#include "render.h"

#define MAX_DEPTH	1000	/* longest ancestor chain followed */
#define MAX_NEST	64	/* dirty ancestors published first, at most */

struct importer {
	struct store			*st;
	const struct conf		*conf;
	const struct conf_source	*src;
	const unsigned char		*key;
	long long			 source_id;
	long long			 gen;
	long long			*posts;		/* posts seen in this run (vanish) */
	size_t				 nposts;
	long long			 stack[64];	/* comments being published */
	int				 depth;
	/* The post of the comments being published (they come post by post). */
	struct store_item		 post;
	char				*post_msgid;	/* its live Message-ID, or NULL */
	char				*post_subject;	/* its comments' Subject, once rendered */
	int				 post_cached, post_found;
	/* Groups ensured in this run, by name. */
	const char			**gnames;
	long long			*gids;
	int				 ngids;
	struct import_stats		 stats;
};

struct importer *
importer_new_gen(struct store *st, const struct conf *conf, const struct conf_source *src,
    const unsigned char key[SECRET_LEN], long long gen)
{
	struct importer	*im = xcalloc(1, sizeof(*im));

	im->st = st;
	im->conf = conf;
	im->src = src;
	im->key = key;
	if (store_source_id(st, src->name, &im->source_id) == -1) {
		free(im);
		return NULL;
	}
	im->gen = gen ? gen : store_next_gen(st);
	return im;
}

struct importer *
importer_new(struct store *st, const struct conf *conf, const struct conf_source *src,
    const unsigned char key[SECRET_LEN])
{
	return importer_new_gen(st, conf, src, key, 0);
}

static void post_forget(struct importer *);

void
importer_free(struct importer *im)
{
	if (im == NULL)
		return;
	post_forget(im);
	free(im->gnames);
	free(im->gids);
	free(im->posts);
	free(im);
}

const struct import_stats *
importer_stats(const struct importer *im)
{
	return &im->stats;
}

static void
hash_str(EVP_MD_CTX *md, const char *s)
{
	EVP_DigestUpdate(md, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* Content hash of everything that shows in the article. */
static void
item_hash(const struct item *it, char out[65])
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	unsigned char	 d[32];
	char		 num[96];
	int		 i;

	if (md == NULL)
		fatal("out of memory");
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	snprintf(num, sizeof(num), "%d %d %lld %lld", it->kind, it->state, it->parent_id,
	    (long long)it->date);
	hash_str(md, num);
	hash_str(md, it->title);
	hash_str(md, it->author);
	hash_str(md, it->author_email);
	hash_str(md, it->author_url);
	hash_str(md, it->link);
	hash_str(md, it->html);
	for (i = 0; i < it->ncategories; i++)
		hash_str(md, it->categories[i]);
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	for (i = 0; i < 32; i++) {
		out[i * 2] = "0123456789abcdef"[d[i] >> 4];
		out[i * 2 + 1] = "0123456789abcdef"[d[i] & 15];
	}
	out[64] = '\0';
}

/* Text of an HTML comment, whitespace collapsed, for matching; caller owns. */
static char *
plain(const char *html)
{
	char	*t = html2text(html ? html : "", html ? strlen(html) : 0, 998), *p, *q;
	int	 sp = 0;

	for (p = q = t; *p; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '>') {
			sp = q != t;
			continue;
		}
		if (sp)
			*q++ = ' ';
		sp = 0;
		*q++ = *p;
	}
	*q = '\0';
	return t;
}

struct match {
	const struct item	*it;
	char			*text;
	char			*msgid;
	long long		 id;
};

static int
match_cb(const struct store_outbox *e, void *arg)
{
	struct match	*m = arg;
	char		*t;
	int		 same;

	if (e->parent_id != m->it->parent_id)
		return 0;
	if (e->email && *e->email && m->it->author_email && *m->it->author_email &&
	    strcasecmp(e->email, m->it->author_email) != 0)
		return 0;
	if (m->text == NULL)
		m->text = plain(m->it->html);
	t = plain(e->html);
	same = strcmp(t, m->text) == 0;
	free(t);
	if (!same)
		return 0;
	m->msgid = xstrdup(e->msgid);
	m->id = e->id;
	return 1;
}

/* A blog comment that went out through the outbox keeps the poster's Message-ID:
 * by the comment id the blog gave, or (delivery outcome unknown, e.g. a crash before
 * the answer) by post, parent, author and text. */
static char *
outbox_msgid(struct importer *im, const struct item *it)
{
	struct match	 m;
	char		*msgid = NULL;

	if (store_outbox_by_comment(im->st, im->src->name, it->comment_id, &msgid) == 0)
		return msgid;
	memset(&m, 0, sizeof(m));
	m.it = it;
	if (store_outbox_unmatched(im->st, im->src->name, it->post_id, match_cb, &m) == 0 &&
	    m.msgid != NULL) {
		store_outbox_finish(im->st, m.id, OB_DELIVERED, it->comment_id, NULL);
		log_info("%s: comment %lld is %s from the outbox", im->src->name, it->comment_id,
		    m.msgid);
	}
	free(m.text);
	return m.msgid;
}

static int
stage(struct importer *im, const struct item *orig, const char *msgid)
{
	struct item	 it = *orig;
	char		 hash[65], *obmsgid = NULL;
	int		 result, dup, rc;

	if (it.kind == ITEM_COMMENT && it.post_id == 0) {
		if (it.post_link == NULL || (rc = store_post_by_link(im->st, im->source_id,
		    it.post_link, &it.post_id)) == 1) {
			im->stats.unknown_post++;
			return 0;
		}
		if (rc == -1)
			return -1;
	}
	if (it.kind == ITEM_POST) {
		it.comment_id = 0;
		it.parent_id = 0;
		im->stats.posts++;
		im->posts = xreallocarray(im->posts, im->nposts + 1, sizeof(long long));
		im->posts[im->nposts++] = it.post_id;
	} else
		im->stats.comments++;
	if (it.state == ITEM_PINGBACK && im->src->pingbacks)
		it.state = ITEM_OK;
	if (it.state != ITEM_OK)
		im->stats.skipped[it.state]++;
	item_hash(&it, hash);
	if (msgid == NULL && it.kind == ITEM_COMMENT && im->src->type != SRC_LOCAL)
		msgid = obmsgid = outbox_msgid(im, &it);
	rc = store_item_put(im->st, im->source_id, &it, hash, msgid, im->gen, &result, &dup);
	free(obmsgid);
	if (rc == -1)
		return -1;
	if (dup)
		im->stats.duplicates++;
	else if (result == 0)
		im->stats.unchanged++;
	return 0;
}

int
importer_item(const struct item *it, void *arg)
{
	return stage(arg, it, NULL);
}

int
importer_item_msgid(struct importer *im, const struct item *it, const char *msgid)
{
	return stage(im, it, msgid);
}

int
importer_vanish_post(struct importer *im, long long post_id)
{
	long	n;

	if (store_items_vanish(im->st, im->source_id, post_id, im->gen, &n) == -1)
		return -1;
	im->stats.skipped[ITEM_TRASH] += n;
	return 0;
}

int
importer_vanish(struct importer *im)
{
	size_t	i;
	long	n;

	for (i = 0; i < im->nposts; i++) {
		if (store_items_vanish(im->st, im->source_id, im->posts[i], im->gen, &n) == -1)
			return -1;
		im->stats.skipped[ITEM_TRASH] += n;
	}
	return 0;
}

/* The current Message-ID of an item's article if it is live; caller owns. */
static char *
live_msgid(struct importer *im, long long article_id)
{
	char	*m = NULL;
	int	 live = 0;

	if (article_id == 0 || store_article_msgid(im->st, article_id, &m, &live) != 0)
		return NULL;
	if (!live) {
		free(m);
		return NULL;
	}
	return m;
}

static void
post_forget(struct importer *im)
{
	if (im->post_cached && im->post_found)
		store_item_clear(&im->post);
	free(im->post_msgid);
	im->post_msgid = NULL;
	free(im->post_subject);
	im->post_subject = NULL;
	im->post_cached = im->post_found = 0;
}

/* The post of a comment and its live Message-ID (NULL if not published): 0, 1 if the
 * post is unknown, -1 on error. Cached: comments are published post by post, and
 * publishing a comment (or, nested, its ancestors, all of the same post) never changes
 * the post; publishing a post forgets it. */
static int
post_get(struct importer *im, long long post_id, const struct store_item **post,
    const char **msgid)
{
	int	rc;

	if (!im->post_cached || im->post.it.post_id != post_id) {
		post_forget(im);
		if ((rc = store_item_get(im->st, im->source_id, post_id, 0, &im->post)) == -1)
			return -1;
		im->post_cached = 1;
		im->post_found = rc == 0;
		if (!im->post_found)
			im->post.it.post_id = post_id;
		else
			im->post_msgid = live_msgid(im, im->post.article_id);
	}
	if (!im->post_found)
		return 1;
	*post = &im->post;
	*msgid = im->post_msgid;
	return 0;
}

/* A group's id, ensured once per run. */
static int
group_id(struct importer *im, const char *name, const char *desc, long long *id)
{
	int	i;

	for (i = 0; i < im->ngids; i++)
		if (!strcmp(im->gnames[i], name)) {
			*id = im->gids[i];
			return 0;
		}
	if (store_group_ensure(im->st, name, desc, (int)im->src->posting, id) == -1)
		return -1;
	im->gnames = xreallocarray(im->gnames, (size_t)im->ngids + 1, sizeof(char *));
	im->gids = xreallocarray(im->gids, (size_t)im->ngids + 1, sizeof(long long));
	im->gnames[im->ngids] = name;
	im->gids[im->ngids++] = *id;
	return 0;
}

static int publish_one(struct importer *, long long post_id, long long comment_id);

/* Groups an item goes to: the source's group, then its categories' groups. */
static int
item_groups(struct importer *im, const struct item *post, const char ***groups)
{
	const struct conf_source	*s = im->src;
	int				 n = 0, i, j, k, seen;

	*groups = xcalloc((size_t)s->ncategory_groups + 1, sizeof(char *));
	(*groups)[n++] = s->group;
	for (i = 0; i < s->ncategory_groups; i++) {
		for (j = 0; j < post->ncategories; j++)
			if (!strcasecmp(post->categories[j], s->category_groups[i * 2]))
				break;
		if (j == post->ncategories)
			continue;
		for (seen = 0, k = 0; k < n; k++)
			seen |= !strcmp((*groups)[k], s->category_groups[i * 2 + 1]);
		if (!seen)
			(*groups)[n++] = s->category_groups[i * 2 + 1];
	}
	return n;
}

/* Ancestors' live Message-IDs, root post first. Processes dirty ancestors first. */
static int
ancestors(struct importer *im, const struct store_item *si, long long post_id,
    const char *post_msgid, char ***refs)
{
	struct store_item_ref	 a;
	char			**v = NULL, *m;
	long long		 parent = si->it.parent_id, *seen = NULL;
	int			 n = 0, nseen = 0, i, rc;

	while (parent != 0 && nseen < MAX_DEPTH) {
		for (i = 0; i < nseen && seen[i] != parent; i++)
			;
		if (i < nseen || parent == si->it.comment_id)
			break;		/* a cycle in the blog's data */
		seen = xreallocarray(seen, (size_t)nseen + 1, sizeof(*seen));
		seen[nseen++] = parent;
		rc = store_item_ref(im->st, im->source_id, post_id, parent, &a);
		if (rc == -1)
			goto fail;
		if (rc == 1)
			break;		/* missing parent: hang under what we have */
		for (i = 0; i < im->depth && im->stack[i] != parent; i++)
			;
		if (a.dirty && i == im->depth && im->depth < MAX_NEST &&
		    publish_one(im, post_id, parent) == -1) {
			store_item_ref_clear(&a);
			goto fail;
		}
		if (a.dirty) {
			store_item_ref_clear(&a);
			if (store_item_ref(im->st, im->source_id, post_id, parent, &a) != 0)
				goto fail;
		}
		if (a.live_msgid != NULL) {
			v = xreallocarray(v, (size_t)n + 1, sizeof(char *));
			v[n++] = a.live_msgid;
			a.live_msgid = NULL;
		}
		parent = a.parent_id;
		store_item_ref_clear(&a);
	}
	if (post_msgid != NULL) {
		v = xreallocarray(v, (size_t)n + 1, sizeof(char *));
		v[n++] = xstrdup(post_msgid);
	}
	for (i = 0; i < n / 2; i++) {	/* collected nearest first: reverse */
		m = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = m;
	}
	*refs = v;
	free(seen);
	return n;
fail:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(seen);
	return -1;
}

static int
publish_item(struct importer *im, const struct store_item *si)
{
	const struct item	*it = &si->it;
	const struct store_item	*post = NULL;
	const char		*post_msgid = NULL;
	struct render_in	 in;
	struct rendered		 r;
	struct store_newart	 na;
	const char		**groups = NULL;
	long long		*gids = NULL, *nums = NULL, id;
	char			**refs = NULL, *cur = NULL, *msgid = NULL;
	int			 live, ngroups, nrefs = 0, version, i, ret = -1;

	live = it->state == ITEM_OK;
	if (it->kind == ITEM_COMMENT) {
		if ((i = post_get(im, it->post_id, &post, &post_msgid)) == -1)
			return -1;
		if (i == 1) {
			live = 0;
			im->stats.unknown_post++;
		} else if (post_msgid == NULL)
			live = 0;	/* the post is not published: nor are its comments */
	} else
		post_forget(im);	/* publishing the post changes it */
	cur = live_msgid(im, si->article_id);
	if (!live) {
		if (cur != NULL) {
			if (store_article_withdraw(im->st, si->article_id) == -1)
				goto done;
			im->stats.withdrawn++;
		}
		ret = store_item_clean(im->st, im->source_id, it->post_id, it->comment_id,
		    si->article_id);
		goto done;
	}

	/* A new version: the fixed Message-ID first, then derived ones. */
	for (version = 1;; version++) {
		free(msgid);
		if (version == 1 && si->msgid != NULL)
			msgid = xstrdup(si->msgid);
		else
			msgid = render_msgid(it->post_id, it->comment_id, version,
			    im->src->domain);
		if ((i = store_msgid_exists(im->st, msgid)) == -1)
			goto done;
		if (i == 1)
			break;
	}
	if (it->kind == ITEM_COMMENT && (nrefs = ancestors(im, si, post->it.post_id,
	    post_msgid, &refs)) == -1)
		goto done;

	ngroups = item_groups(im, it->kind == ITEM_POST ? it : &post->it, &groups);
	gids = xcalloc((size_t)ngroups, sizeof(*gids));
	nums = xcalloc((size_t)ngroups, sizeof(*nums));
	for (i = 0; i < ngroups; i++) {
		if (group_id(im, groups[i], i == 0 ? im->src->description : NULL,
		    &gids[i]) == -1 ||
		    store_group_next_number(im->st, gids[i], &nums[i]) == -1)
			goto done;
	}
	memset(&in, 0, sizeof(in));
	in.it = it;
	in.post_title = it->kind == ITEM_COMMENT ? post->it.title : NULL;
	if (it->kind == ITEM_COMMENT && post->it.title != NULL) {
		/* The same for all comments of a post (without a title, their own). */
		if (im->post_subject == NULL)
			im->post_subject = render_subject(it, post->it.title);
		in.subject = im->post_subject;
	}
	in.refs = (const char **)refs;
	in.nrefs = nrefs;
	in.msgid = msgid;
	in.supersedes = cur;
	in.source = im->src->name;
	in.hostname = im->conf->hostname;
	in.organization = im->conf->organization;
	in.groups = groups;
	in.nums = nums;
	in.ngroups = ngroups;
	in.key = im->key;
	if (render_article(&in, &r) == -1) {
		log_warn("%s: item %lld/%lld cannot be rendered, skipped", im->src->name,
		    it->post_id, it->comment_id);
		ret = store_item_clean(im->st, im->source_id, it->post_id, it->comment_id,
		    si->article_id);
		goto done;
	}
	memset(&na, 0, sizeof(na));
	na.msgid = msgid;
	na.source_id = im->source_id;
	na.post_id = it->post_id;
	na.comment_id = it->comment_id;
	na.version = version;
	na.date = it->date;
	na.data = r.data;
	na.len = r.len;
	na.head_len = r.head_len;
	na.over = r.over;
	na.gids = gids;
	na.nums = nums;
	na.ngroups = ngroups;
	i = store_article_add(im->st, &na, &id);
	rendered_free(&r);
	if (i == -1)
		goto done;
	if (cur != NULL) {
		if (store_article_withdraw(im->st, si->article_id) == -1)
			goto done;
		im->stats.superseded++;
	} else
		im->stats.published++;
	ret = store_item_clean(im->st, im->source_id, it->post_id, it->comment_id, id);
done:
	for (i = 0; i < nrefs; i++)
		free(refs[i]);
	free(refs);
	free(groups);
	free(gids);
	free(nums);
	free(cur);
	free(msgid);
	return ret;
}

static int
publish_one(struct importer *im, long long post_id, long long comment_id)
{
	struct store_item	si;
	int			rc;

	if ((rc = store_item_get(im->st, im->source_id, post_id, comment_id, &si)) != 0)
		return rc == 1 ? 0 : -1;
	if (si.dirty && im->depth < MAX_NEST) {
		im->stack[im->depth++] = comment_id;
		rc = publish_item(im, &si);
		im->depth--;
	}
	store_item_clear(&si);
	return rc;
}

static int
publish_cb(long long post_id, long long comment_id, void *arg)
{
	return publish_one(arg, post_id, comment_id);
}

int
importer_publish(struct importer *im)
{
	int	rc;

	post_forget(im);
	im->ngids = 0;
	rc = store_items_dirty(im->st, im->source_id, publish_cb, im);
	post_forget(im);
	return rc;
}
