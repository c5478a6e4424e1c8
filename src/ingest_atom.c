/* ingest_atom.c: Atom 1.0 (RFC 4287) feeds with threading (RFC 4685).
 *
 * An entry with <thr:in-reply-to> is a comment, any other entry a post. WordPress
 * comment feeds say "#comment-NNN" in ids and links, "?p=NNN" in post ids. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <libxml/uri.h>

#include "ingest_xml.h"
#include "log.h"

struct entry {
	struct item	 it;
	char		*id, *published, *updated, *alt, *summary;
	char		*ref, *href;
	int		 reply;
	int		 in_author;
	int		 has_content;
};

static void
entry_clear(struct entry *e)
{
	item_reset(&e->it);
	free(e->id);
	free(e->published);
	free(e->updated);
	free(e->alt);
	free(e->summary);
	free(e->ref);
	free(e->href);
	memset(e, 0, sizeof(*e));
}

/* An href resolved against xml:base, if there is one. */
static char *
link_href(struct xr *x)
{
	xmlChar		*base, *abs;
	char		*href, *s;

	if ((href = xr_attr(x, "href")) == NULL)
		return NULL;
	base = xmlTextReaderBaseUri(x->r);
	if (base == NULL)
		return href;
	abs = xmlBuildURI((const xmlChar *)href, base);
	xmlFree(base);
	if (abs == NULL)
		return href;
	s = xstrdup((const char *)abs);
	xmlFree(abs);
	free(href);
	return s;
}

/* Atom text constructs as HTML: html as is, xhtml serialized, text escaped. */
static int
text_construct(struct xr *x, char **out)
{
	char	*type, *s = NULL;
	int	 rc;

	type = xr_attr(x, "type");
	if (xr_streq(type, "xhtml"))
		rc = xr_xhtml(x, out);
	else if (xr_streq(type, "html") || xr_streq(type, "text/html"))
		rc = xr_text(x, out);
	else {
		/* text (the default), text/plain or another media type: escape */
		if ((rc = xr_text(x, &s)) == 0) {
			free(*out);
			*out = ingest_html_escape(s);
		}
		free(s);
	}
	free(type);
	return rc;
}

static int
entry_field(struct xr *x, struct entry *e, int depth)
{
	const char	*ns = xr_ns(x), *l = xr_local(x);
	char		*rel, *h, *term;

	if (e->in_author && depth == 3) {
		if (!xr_streq(ns, NS_ATOM))
			return 0;
		if (xr_streq(l, "name"))
			return xr_text(x, &e->it.author);
		if (xr_streq(l, "email"))
			return xr_text(x, &e->it.author_email);
		if (xr_streq(l, "uri"))
			return xr_text(x, &e->it.author_url);
		return 0;
	}
	if (depth != 2)
		return 0;
	if (xr_streq(ns, NS_THR) && xr_streq(l, "in-reply-to")) {
		if (!e->reply) {
			e->reply = 1;
			e->ref = xr_attr(x, "ref");
			e->href = link_href(x);
		}
		return 0;
	}
	if (!xr_streq(ns, NS_ATOM))
		return 0;
	if (xr_streq(l, "id"))
		return xr_text(x, &e->id);
	if (xr_streq(l, "title"))
		return text_construct(x, &e->it.title);
	if (xr_streq(l, "content")) {
		e->has_content = 1;
		return text_construct(x, &e->it.html);
	}
	if (xr_streq(l, "summary"))
		return text_construct(x, &e->summary);
	if (xr_streq(l, "published"))
		return xr_text(x, &e->published);
	if (xr_streq(l, "updated"))
		return xr_text(x, &e->updated);
	if (xr_streq(l, "author")) {
		/* The first author only; an empty <author/> has no end tag. */
		if (e->it.author == NULL && !xr_is_empty(x))
			e->in_author = 1;
		return 0;
	}
	if (xr_streq(l, "link")) {
		rel = xr_attr(x, "rel");
		if ((rel == NULL || xr_streq(rel, "alternate")) && e->alt == NULL &&
		    (h = link_href(x)) != NULL)
			e->alt = h;
		else if (rel != NULL && xr_streq(rel, "replies") && e->it.comments_url == NULL) {
			/* RFC 4685 4: the entry's replies feed (ours if Atom). */
			char	*type = xr_attr(x, "type");

			if (type == NULL || strstr(type, "atom") != NULL)
				e->it.comments_url = link_href(x);
			free(type);
		}
		free(rel);
		return 0;
	}
	if (xr_streq(l, "category")) {
		if ((term = xr_attr(x, "label")) == NULL)
			term = xr_attr(x, "term");
		ingest_add_category(&e->it, term);
		free(term);
	}
	return 0;
}

static int
entry_send(struct xr *x, struct entry *e, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	struct item	*it = &e->it;
	long long	 pid;

	if ((it->date = ingest_parse_date(e->published)) == 0)
		it->date = ingest_parse_date(e->updated);
	if (!e->has_content && e->summary != NULL) {
		it->html = e->summary;
		e->summary = NULL;
	}
	if (e->alt != NULL)
		it->link = xstrdup(e->alt);
	if (e->reply) {
		it->kind = ITEM_COMMENT;
		free(it->title);	/* "By: name": not the post's title */
		it->title = NULL;
		if ((it->comment_id = ingest_comment_id(e->id)) == 0 &&
		    (it->comment_id = ingest_comment_id(e->alt)) == 0)
			it->comment_id = ingest_hash_id(e->id != NULL ? e->id : e->alt);
		if ((it->parent_id = ingest_comment_id(e->ref)) == 0)
			it->parent_id = ingest_comment_id(e->href);
		if (it->parent_id == it->comment_id)
			it->parent_id = 0;
		if ((pid = ingest_id_from_url(e->ref, "?p=")) == 0)
			pid = ingest_id_from_url(e->id, "?p=");
		if (it->parent_id == 0) {
			/* A reply to the post: in-reply-to names the post. */
			it->post_id = ingest_id_from_url(e->ref, "?p=");
			if (it->post_id == 0)
				it->post_id = ingest_id_from_url(e->href, "?p=");
			if (e->href != NULL)
				it->post_link = ingest_strip_fragment(e->href);
			else if (e->ref != NULL && strstr(e->ref, "://") != NULL)
				it->post_link = ingest_strip_fragment(e->ref);
		} else
			it->post_id = pid;	/* "?p=2481#comment-10401", or 0 */
		if (it->post_link == NULL && e->alt != NULL)
			it->post_link = ingest_strip_fragment(e->alt);
	} else {
		it->kind = ITEM_POST;
		if ((it->post_id = ingest_id_from_url(e->id, "?p=")) == 0 &&
		    (it->post_id = ingest_id_from_url(e->alt, "?p=")) == 0)
			it->post_id = ingest_hash_id(e->id != NULL ? e->id :
			    e->alt != NULL ? e->alt : it->title);
		if (e->alt != NULL)
			it->post_link = xstrdup(e->alt);
	}
	it->state = ITEM_OK;
	return ingest_emit(it, name, cb, arg, res);
}

int
ingest_atom(const char *data, size_t len, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	struct xr	 x;
	struct entry	 e;
	int		 rc, d, in_entry = 0, seen_root = 0;

	memset(&e, 0, sizeof(e));
	ingest_result_init(res, FMT_ATOM, 0);
	if (xr_open(&x, data, len, name, res) == -1)
		return -1;
	while ((rc = xr_read(&x)) == 1) {
		d = xr_depth(&x);
		if (xr_is_start(&x)) {
			if (d == 0) {
				if (!xr_is(&x, NS_ATOM, "feed")) {
					xr_fail(&x, "not an Atom feed: root element <%s>",
					    xr_local(&x));
					goto fail;
				}
				seen_root = 1;
			} else if (!in_entry && d == 1 && xr_is(&x, NS_ATOM, "entry")) {
				in_entry = 1;
				e.it.line = xr_line(&x);
				if (xr_is_empty(&x)) {
					in_entry = 0;
					rc = entry_send(&x, &e, name, cb, arg, res);
					entry_clear(&e);
					if (rc == -1)
						goto fail;
				}
			} else if (in_entry && entry_field(&x, &e, d) == -1)
				goto fail;
		} else if (in_entry && e.in_author && d == 2 && xr_is_end(&x, NS_ATOM, "author"))
			e.in_author = 0;
		else if (in_entry && d == 1 && xr_is_end(&x, NS_ATOM, "entry")) {
			in_entry = 0;
			rc = entry_send(&x, &e, name, cb, arg, res);
			entry_clear(&e);
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
	xr_close(&x);
	return 0;
fail:
	entry_clear(&e);
	xr_close(&x);
	return -1;
}
