/* ingest_rss.c: RSS 2.0 feeds (and RSS 1.0), with content:encoded and dc:creator.
 *
 * Items are posts, unless the feed is a feed of comments: an item whose link or guid
 * says "#comment-NNN" is a comment on the post its link (without the fragment) names.
 * RSS has no threading, so such comments are flat (parent 0). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "ingest_xml.h"
#include "log.h"

struct rss_item {
	struct item	 it;
	char		*guid, *pubdate, *dcdate, *desc, *rauthor;
};

static void
ri_clear(struct rss_item *r)
{
	item_reset(&r->it);
	free(r->guid);
	free(r->pubdate);
	free(r->dcdate);
	free(r->desc);
	free(r->rauthor);
	memset(r, 0, sizeof(*r));
}

/* <author>editor@example.com (Jane Doe)</author> */
static void
split_author(struct item *it, const char *a)
{
	const char	*o, *c;

	if (a == NULL || *a == '\0')
		return;
	if ((o = strchr(a, '(')) != NULL && (c = strrchr(o, ')')) != NULL && c > o + 1) {
		it->author = xstrndup(o + 1, (size_t)(c - o - 1));
		if (strchr(a, '@') != NULL && strchr(a, '@') < o)
			it->author_email = xstrndup(a, (size_t)(o - a));
	} else if (strchr(a, '@') != NULL)
		it->author_email = xstrdup(a);
	else
		it->author = xstrdup(a);
}

static int
item_field(struct xr *x, struct rss_item *r)
{
	const char	*ns = xr_ns(x), *l = xr_local(x);
	char		*s = NULL;
	int		 rc;

	if (ns == NULL || *ns == '\0' || xr_streq(ns, NS_RSS1)) {
		if (xr_streq(l, "title"))
			return xr_text(x, &r->it.title);
		if (xr_streq(l, "link"))
			return xr_text(x, &r->it.link);
		if (xr_streq(l, "guid"))
			return xr_text(x, &r->guid);
		if (xr_streq(l, "description"))
			return xr_text(x, &r->desc);
		if (xr_streq(l, "pubDate"))
			return xr_text(x, &r->pubdate);
		if (xr_streq(l, "author"))
			return xr_text(x, &r->rauthor);
		if (xr_streq(l, "category")) {
			if ((rc = xr_text(x, &s)) == 0)
				ingest_add_category(&r->it, s);
			free(s);
			return rc;
		}
	} else if (xr_streq(ns, NS_CONTENT) && xr_streq(l, "encoded"))
		return xr_text(x, &r->it.html);
	else if (xr_streq(ns, NS_DC) && xr_streq(l, "creator"))
		return xr_text(x, &r->it.author);
	else if (xr_streq(ns, NS_DC) && xr_streq(l, "date"))
		return xr_text(x, &r->dcdate);
	else if (xr_streq(ns, NS_WFW) && xr_streq(l, "commentRss"))
		return xr_text(x, &r->it.comments_url);
	return 0;
}

static int
item_send(struct rss_item *r, int comments_feed, const char *name, ingest_cb cb,
    void *arg, struct ingest_result *res)
{
	struct item	*it = &r->it;
	long long	 cid = 0;

	if ((it->date = ingest_parse_date(r->pubdate)) == 0)
		it->date = ingest_parse_date(r->dcdate);
	if (it->html == NULL) {
		it->html = r->desc;
		r->desc = NULL;
	}
	if (it->author == NULL)
		split_author(it, r->rauthor);
	if (it->link == NULL && r->guid != NULL && strstr(r->guid, "://") != NULL)
		it->link = xstrdup(r->guid);
	if ((cid = ingest_id_from_url(it->link, "#comment-")) == 0 &&
	    (cid = ingest_id_from_url(r->guid, "#comment-")) == 0 && comments_feed &&
	    (cid = ingest_comment_id(it->link)) == 0)
		cid = ingest_comment_id(r->guid);
	if (cid > 0) {
		it->kind = ITEM_COMMENT;
		it->comment_id = cid;
		free(it->title);	/* "By: name" / "Comment on T by name" */
		it->title = NULL;
		if ((it->post_id = ingest_id_from_url(r->guid, "?p=")) == 0)
			it->post_id = ingest_id_from_url(it->link, "?p=");
		it->post_link = ingest_strip_fragment(it->link != NULL ? it->link : r->guid);
	} else {
		it->kind = ITEM_POST;
		if ((it->post_id = ingest_id_from_url(r->guid, "?p=")) == 0 &&
		    (it->post_id = ingest_id_from_url(it->link, "?p=")) == 0)
			it->post_id = ingest_hash_id(r->guid != NULL ? r->guid :
			    it->link != NULL ? it->link : it->title);
		if (it->link != NULL)
			it->post_link = xstrdup(it->link);
	}
	it->state = ITEM_OK;
	return ingest_emit(it, name, cb, arg, res);
}

int
ingest_rss(const char *data, size_t len, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	struct xr	 x;
	struct rss_item	 r;
	char		*ctitle = NULL;
	int		 rc, d, idepth = -1, comments = 0, seen_root = 0;

	memset(&r, 0, sizeof(r));
	ingest_result_init(res, FMT_RSS, 0);
	if (xr_open(&x, data, len, name, res) == -1)
		return -1;
	while ((rc = xr_read(&x)) == 1) {
		d = xr_depth(&x);
		if (xr_is_start(&x)) {
			if (d == 0) {
				if (!xr_is(&x, NULL, "rss") && !xr_streq(xr_local(&x), "RDF")) {
					xr_fail(&x, "not an RSS feed: root element <%s>",
					    xr_local(&x));
					goto fail;
				}
				seen_root = 1;
			} else if (idepth == -1 && (d == 1 || d == 2) &&
			    (xr_is(&x, NULL, "item") || xr_is(&x, NS_RSS1, "item"))) {
				idepth = d;
				r.it.line = xr_line(&x);
				if (xr_is_empty(&x)) {
					idepth = -1;
					rc = item_send(&r, comments, name, cb, arg, res);
					ri_clear(&r);
					if (rc == -1)
						goto fail;
				}
			} else if (idepth == -1 && d == 2 && ctitle == NULL &&
			    (xr_is(&x, NULL, "title") || xr_is(&x, NS_RSS1, "title"))) {
				if (xr_text(&x, &ctitle) == -1)
					goto fail;
				comments = strncmp(ctitle, "Comments on:", 12) == 0 ||
				    strncmp(ctitle, "Comments for ", 13) == 0;
			} else if (idepth != -1 && d == idepth + 1) {
				if (item_field(&x, &r) == -1)
					goto fail;
			}
		} else if (idepth != -1 && d == idepth && xr_streq(xr_local(&x), "item") &&
		    xmlTextReaderNodeType(x.r) == XML_READER_TYPE_END_ELEMENT) {
			idepth = -1;
			rc = item_send(&r, comments, name, cb, arg, res);
			ri_clear(&r);
			if (rc == -1)
				goto fail;
		}
	}
	if (rc == -1)
		goto fail;
	if (!seen_root) {
		ingest_error(res, name, 1, "empty document");
		goto fail;
	}
	free(ctitle);
	xr_close(&x);
	return 0;
fail:
	free(ctitle);
	ri_clear(&r);
	xr_close(&x);
	return -1;
}
