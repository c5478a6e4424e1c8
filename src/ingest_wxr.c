/* ingest_wxr.c: WordPress eXtended RSS (WXR 1.0-1.2) exports.
 *
 * <rss><channel><item> is a post (or page, attachment...) and its <wp:comment>
 * children are its comments. The post is passed on before its first comment. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "ingest_xml.h"
#include "log.h"

#define WP_NS	"http://wordpress.org/export/"

struct wxr {
	struct xr	 x;
	const char	*name;
	ingest_cb	 cb;
	void		*arg;
	struct ingest_result *res;

	int		 in_item, in_comment, post_sent;
	struct item	 post;
	char		*guid, *pubdate, *date_gmt, *date, *status, *type, *password, *id;

	struct item	 c;
	char		*c_id, *c_parent, *c_approved, *c_type, *c_date_gmt, *c_date;
};

/* "http://wordpress.org/export/1.2/", any version, not ".../1.2/excerpt/". */
static int
is_wp(const char *ns)
{
	const char	*v;

	if (ns == NULL || strncmp(ns, WP_NS, sizeof(WP_NS) - 1) != 0)
		return 0;
	v = strchr(ns + sizeof(WP_NS) - 1, '/');
	return v != NULL && v[1] == '\0';
}

static void
clear(char **p)
{
	free(*p);
	*p = NULL;
}

static void
post_clear(struct wxr *w)
{
	item_reset(&w->post);
	clear(&w->guid);
	clear(&w->pubdate);
	clear(&w->date_gmt);
	clear(&w->date);
	clear(&w->status);
	clear(&w->type);
	clear(&w->password);
	clear(&w->id);
	w->post_sent = 0;
}

static void
comment_clear(struct wxr *w)
{
	item_reset(&w->c);
	clear(&w->c_id);
	clear(&w->c_parent);
	clear(&w->c_approved);
	clear(&w->c_type);
	clear(&w->c_date_gmt);
	clear(&w->c_date);
}

static enum item_state
post_state(struct wxr *w)
{
	const char	*st = w->status;

	if (w->type != NULL && !xr_streq(w->type, "post"))
		return ITEM_OTHER_TYPE;
	if (st == NULL || xr_streq(st, "publish")) {
		if (w->password != NULL && w->password[0] != '\0')
			return ITEM_PROTECTED;
		return ITEM_OK;
	}
	if (xr_streq(st, "private"))
		return ITEM_PRIVATE;
	if (xr_streq(st, "trash"))
		return ITEM_TRASH;
	return ITEM_DRAFT;	/* draft, pending, future, auto-draft, anything else */
}

static int
post_send(struct wxr *w)
{
	struct item	*p = &w->post;

	if (w->post_sent)
		return 0;
	w->post_sent = 1;
	p->kind = ITEM_POST;
	p->state = post_state(w);
	if ((p->post_id = ingest_leading_id(w->id)) == 0 &&
	    (p->post_id = ingest_id_from_url(w->guid, "?p=")) == 0)
		p->post_id = ingest_hash_id(w->guid != NULL ? w->guid :
		    p->link != NULL ? p->link : p->title);
	/* Drafts say "0000-00-00 00:00:00": fall back to pubDate, then local time. */
	if ((p->date = ingest_parse_date(w->date_gmt)) == 0 &&
	    (p->date = ingest_parse_date(w->pubdate)) == 0)
		p->date = ingest_parse_date(w->date);
	if (p->post_link == NULL && p->link != NULL)
		p->post_link = xstrdup(p->link);
	return ingest_emit(p, w->name, w->cb, w->arg, w->res);
}

static int
comment_send(struct wxr *w)
{
	struct item	*c = &w->c;
	const char	*a = w->c_approved, *t = w->c_type;

	c->kind = ITEM_COMMENT;
	c->post_id = w->post.post_id;
	if ((c->comment_id = ingest_leading_id(w->c_id)) == 0) {
		xr_fail(&w->x, "comment without a numeric wp:comment_id");
		return -1;
	}
	c->parent_id = ingest_leading_id(w->c_parent);
	if (c->parent_id == c->comment_id)
		c->parent_id = 0;
	if ((c->date = ingest_parse_date(w->c_date_gmt)) == 0)
		c->date = ingest_parse_date(w->c_date);
	if (xr_streq(a, "1") || xr_streq(a, "approve") || xr_streq(a, "approved"))
		c->state = ITEM_OK;
	else if (xr_streq(a, "spam"))
		c->state = ITEM_SPAM;
	else if (xr_streq(a, "trash") || xr_streq(a, "post-trashed"))
		c->state = ITEM_TRASH;
	else
		c->state = ITEM_UNAPPROVED;
	if (c->state == ITEM_OK) {
		if (xr_streq(t, "pingback") || xr_streq(t, "trackback"))
			c->state = ITEM_PINGBACK;
		else if (t != NULL && *t != '\0' && !xr_streq(t, "comment") && !xr_streq(t, "review"))
			c->state = ITEM_OTHER_TYPE;	/* order_note, webhook... */
	}
	if (w->post.link != NULL && w->post.link[0] != '\0') {
		c->post_link = xstrdup(w->post.link);
		xasprintf(&c->link, "%s#comment-%lld", w->post.link, c->comment_id);
	}
	return ingest_emit(c, w->name, w->cb, w->arg, w->res);
}

static int
post_field(struct wxr *w)
{
	struct xr	*x = &w->x;
	struct item	*p = &w->post;
	const char	*ns = xr_ns(x), *l = xr_local(x);
	char		*dom, *s = NULL;
	int		 rc;

	if (ns == NULL || *ns == '\0') {
		if (xr_streq(l, "title"))
			return xr_text(x, &p->title);
		if (xr_streq(l, "link"))
			return xr_text(x, &p->link);
		if (xr_streq(l, "guid"))
			return xr_text(x, &w->guid);
		if (xr_streq(l, "pubDate"))
			return xr_text(x, &w->pubdate);
		if (xr_streq(l, "category")) {
			dom = xr_attr(x, "domain");
			if ((rc = xr_text(x, &s)) == 0 && (dom == NULL || xr_streq(dom, "category")))
				ingest_add_category(p, s);
			free(dom);
			free(s);
			return rc;
		}
	} else if (xr_streq(ns, NS_CONTENT) && xr_streq(l, "encoded"))
		return xr_text(x, &p->html);
	else if (xr_streq(ns, NS_DC) && xr_streq(l, "creator"))
		return xr_text(x, &p->author);
	else if (is_wp(ns)) {
		if (xr_streq(l, "post_id"))
			return xr_text(x, &w->id);
		if (xr_streq(l, "post_date_gmt"))
			return xr_text(x, &w->date_gmt);
		if (xr_streq(l, "post_date"))
			return xr_text(x, &w->date);
		if (xr_streq(l, "status"))
			return xr_text(x, &w->status);
		if (xr_streq(l, "post_type"))
			return xr_text(x, &w->type);
		if (xr_streq(l, "post_password"))
			return xr_text(x, &w->password);
	}
	return 0;
}

static int
comment_field(struct wxr *w)
{
	struct xr	*x = &w->x;
	struct item	*c = &w->c;
	const char	*l = xr_local(x);

	if (!is_wp(xr_ns(x)))
		return 0;
	if (xr_streq(l, "comment_id"))
		return xr_text(x, &w->c_id);
	if (xr_streq(l, "comment_parent"))
		return xr_text(x, &w->c_parent);
	if (xr_streq(l, "comment_author"))
		return xr_text(x, &c->author);
	if (xr_streq(l, "comment_author_email"))
		return xr_text(x, &c->author_email);
	if (xr_streq(l, "comment_author_url"))
		return xr_text(x, &c->author_url);
	if (xr_streq(l, "comment_date_gmt"))
		return xr_text(x, &w->c_date_gmt);
	if (xr_streq(l, "comment_date"))
		return xr_text(x, &w->c_date);
	if (xr_streq(l, "comment_content"))
		return xr_text(x, &c->html);
	if (xr_streq(l, "comment_approved"))
		return xr_text(x, &w->c_approved);
	if (xr_streq(l, "comment_type"))
		return xr_text(x, &w->c_type);
	return 0;
}

/* Called at the end tag of an item or comment (or at an empty start tag). */
static int
end_comment(struct wxr *w)
{
	int	 rc;

	rc = post_send(w) == -1 ? -1 : comment_send(w);
	comment_clear(w);
	w->in_comment = 0;
	return rc;
}

static int
end_item(struct wxr *w)
{
	int	 rc;

	rc = post_send(w);
	post_clear(w);
	w->in_item = 0;
	return rc;
}

int
ingest_wxr(const char *data, size_t len, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	struct wxr	 w;
	struct xr	*x = &w.x;
	int		 rc, d, seen_root = 0;

	memset(&w, 0, sizeof(w));
	w.name = name;
	w.cb = cb;
	w.arg = arg;
	w.res = res;
	ingest_result_init(res, FMT_WXR, 1);
	if (xr_open(x, data, len, name, res) == -1)
		return -1;
	while ((rc = xr_read(x)) == 1) {
		d = xr_depth(x);
		if (xr_is_start(x)) {
			if (d == 0) {
				if (!xr_is(x, NULL, "rss")) {
					xr_fail(x, "not a WXR file: root element <%s>",
					    xr_local(x));
					goto fail;
				}
				seen_root = 1;
			} else if (!w.in_item && d == 2 && xr_is(x, NULL, "item")) {
				w.in_item = 1;
				w.post.line = xr_line(x);
				if (xr_is_empty(x) && end_item(&w) == -1)
					goto fail;
			} else if (w.in_item && !w.in_comment && d == 3 &&
			    is_wp(xr_ns(x)) && xr_streq(xr_local(x), "comment")) {
				w.in_comment = 1;
				w.c.line = xr_line(x);
				if (post_send(&w) == -1)
					goto fail;
				if (xr_is_empty(x) && end_comment(&w) == -1)
					goto fail;
			} else if (w.in_comment && d == 4) {
				if (comment_field(&w) == -1)
					goto fail;
			} else if (w.in_item && !w.in_comment && d == 3) {
				if (post_field(&w) == -1)
					goto fail;
			}
		} else if (w.in_comment && d == 3 && xr_is_end(x, xr_ns(x), "comment")) {
			if (end_comment(&w) == -1)
				goto fail;
		} else if (w.in_item && d == 2 && xr_is_end(x, NULL, "item")) {
			if (end_item(&w) == -1)
				goto fail;
		}
	}
	if (rc == -1)
		goto fail;
	if (!seen_root) {
		ingest_error(res, name, 1, "empty document");
		goto fail;
	}
	xr_close(x);
	return 0;
fail:
	comment_clear(&w);
	post_clear(&w);
	xr_close(x);
	return -1;
}
