/* test_ingest.c: the importers against the ecatworld fixtures and hostile samples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ingest.h"
#include "log.h"
#include "tap.h"

struct coll {
	struct item	*v;
	size_t		 n;
	int		 stop_after;	/* abort the parse after this many items, 0 = never */
};

static char *
dupnull(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int
collect(const struct item *it, void *arg)
{
	struct coll	*c = arg;
	struct item	*d;
	int		 i;

	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	d = &c->v[c->n++];
	*d = *it;
	d->post_link = dupnull(it->post_link);
	d->title = dupnull(it->title);
	d->author = dupnull(it->author);
	d->author_email = dupnull(it->author_email);
	d->author_url = dupnull(it->author_url);
	d->link = dupnull(it->link);
	d->html = dupnull(it->html);
	d->comments_url = dupnull(it->comments_url);
	d->categories = it->ncategories ? xcalloc((size_t)it->ncategories, sizeof(char *)) :
	    NULL;
	for (i = 0; i < it->ncategories; i++)
		d->categories[i] = xstrdup(it->categories[i]);
	if (c->stop_after > 0 && c->n >= (size_t)c->stop_after)
		return -1;
	return 0;
}

static void
coll_free(struct coll *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		item_free(&c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static const char *
srcdir(void)
{
	const char	*d = getenv("top_srcdir");

	return d != NULL && *d != '\0' ? d : ".";
}

static int
parse(const char *rel, struct coll *c, struct ingest_result *res)
{
	char	*path;
	int	 rc;

	xasprintf(&path, "%s/tests/data/%s", srcdir(), rel);
	rc = ingest_file(path, collect, c, res);
	free(path);
	return rc;
}

static int
parse_str(const char *s, struct coll *c, struct ingest_result *res)
{
	return ingest_buffer(s, strlen(s), "inline", collect, c, res);
}

static struct item *
find(struct coll *c, enum item_kind kind, long long id)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].kind == kind &&
		    (kind == ITEM_POST ? c->v[i].post_id : c->v[i].comment_id) == id)
			return &c->v[i];
	return NULL;
}

static size_t
count(struct coll *c, enum item_kind kind)
{
	size_t	 i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->v[i].kind == kind;
	return n;
}

static int
has_prefix(const char *s, const char *p)
{
	return s != NULL && strncmp(s, p, strlen(p)) == 0;
}

static json_t *expected;

/* The comments of a parse against ecatworld-expected-tree.json. */
static void
check_tree(struct coll *c, const char *what, int post_known_for_nested)
{
	json_t		*comments, *e;
	struct item	*it;
	size_t		 i;
	int		 ids = 1, parents = 1, authors = 1, dates = 1, texts = 1, posts = 1;
	const char	*link = json_string_value(json_object_get(json_object_get(expected,
			    "post"), "link"));

	comments = json_object_get(expected, "comments");
	is_int(count(c, ITEM_COMMENT), json_array_size(comments), "%s: %zu comments", what,
	    json_array_size(comments));
	json_array_foreach(comments, i, e) {
		long long	 id = json_integer_value(json_object_get(e, "id"));

		if ((it = find(c, ITEM_COMMENT, id)) == NULL) {
			ids = 0;
			printf("# %s: comment %lld missing\n", what, id);
			continue;
		}
		if (it->parent_id != json_integer_value(json_object_get(e, "parent"))) {
			parents = 0;
			printf("# %s: %lld parent %lld\n", what, id, it->parent_id);
		}
		if (strcmp(it->author, json_string_value(json_object_get(e, "author"))) != 0) {
			authors = 0;
			printf("# %s: %lld author '%s'\n", what, id, it->author);
		}
		if (it->date != ingest_parse_date(json_string_value(json_object_get(e,
		    "date_gmt"))) || it->date == 0) {
			dates = 0;
			printf("# %s: %lld date %lld\n", what, id, (long long)it->date);
		}
		if (it->html == NULL || strstr(it->html,
		    json_string_value(json_object_get(e, "first_words"))) == NULL) {
			texts = 0;
			printf("# %s: %lld html '%.40s'\n", what, id, it->html);
		}
		/* Atom only names the post of top-level comments (?p=2481); nested ones
		 * carry the permalink to find it. */
		if (it->post_id != 2481 && (post_known_for_nested || it->parent_id == 0 ||
		    it->post_id != 0))
			posts = 0;
		if (it->post_link == NULL || strcmp(it->post_link, link) != 0)
			posts = 0;
		if (it->state != ITEM_OK)
			posts = 0;
	}
	ok(ids, "%s: the same comment ids", what);
	ok(parents, "%s: the same parents", what);
	/* All four sources agree: the anonymous commenters have an empty name. The Atom
	 * feed titles them "By: Anonymous" but its <author><name> is empty, so "" it is;
	 * the renderer makes "Anonymous" of it. */
	ok(authors, "%s: the same authors (\"\" for anonymous)", what);
	ok(dates, "%s: the same dates", what);
	ok(texts, "%s: html contains the first words", what);
	ok(posts, "%s: post id / post link / state of each comment", what);
}

static void
check_post(struct item *p, const char *what)
{
	json_t	*e = json_object_get(expected, "post");

	ok(p != NULL, "%s: post 2481 found", what);
	if (p == NULL)
		return;
	is_int(p->post_id, json_integer_value(json_object_get(e, "id")), "%s: post id", what);
	is_str(p->title, json_string_value(json_object_get(e, "title")), "%s: title", what);
	is_str(p->link, json_string_value(json_object_get(e, "link")), "%s: link", what);
	is_int(p->date, ingest_parse_date(json_string_value(json_object_get(e, "date_gmt"))),
	    "%s: date", what);
	is_int(p->state, ITEM_OK, "%s: published", what);
	ok(has_prefix(p->html, "<p>In another one-word major announcement"), "%s: html", what);
}

static void
test_fixtures(void)
{
	struct ingest_result	 res;
	struct coll		 c = { 0 };
	json_error_t		 err;
	char			*path;
	size_t			 i;
	int			 order = 1;

	xasprintf(&path, "%s/tests/data/ecatworld-expected-tree.json", srcdir());
	expected = json_load_file(path, 0, &err);
	free(path);
	ok(expected != NULL, "expected tree loads");
	if (expected == NULL)
		exit(tap_done());

	/* WXR */
	is_int(parse("ecatworld.wxr", &c, &res), 0, "wxr parses: %s", res.error);
	is_int(res.format, FMT_WXR, "wxr detected");
	is_int(res.full, 1, "wxr is a full export");
	is_int(res.items, 29, "wxr: 29 items");
	ok(c.n > 0 && c.v[0].kind == ITEM_POST, "wxr: the post comes before its comments");
	check_post(find(&c, ITEM_POST, 2481), "wxr");
	if (find(&c, ITEM_POST, 2481) != NULL) {
		struct item	*p = find(&c, ITEM_POST, 2481);

		is_str(p->author, "admin", "wxr: dc:creator is the author");
		is_int(p->ncategories, 1, "wxr: one category");
		if (p->ncategories == 1)
			is_str(p->categories[0], "Rossi", "wxr: category display name");
		is_int(p->line, 12, "wxr: line of <item>");
	}
	check_tree(&c, "wxr", 1);
	if (find(&c, ITEM_COMMENT, 10404) != NULL) {
		struct item	*it = find(&c, ITEM_COMMENT, 10404);

		is_str(it->link, "https://e-catworld.example/2012/01/27/"
		    "rossi-says-production-in-the-us-has-begun/#comment-10404", "wxr: comment link");
		is_str(it->author_email, "luca.salvarani@mail.example", "wxr: author email");
		is_int(it->line, 47, "wxr: line of <wp:comment>");
	}
	/* WXR comment_content is raw text with blank-line paragraphs, no <p>. */
	ok(find(&c, ITEM_COMMENT, 10409) != NULL &&
	    strstr(find(&c, ITEM_COMMENT, 10409)->html, "\n\nHe does") != NULL,
	    "wxr: comment text keeps its blank-line paragraphs");
	ok(find(&c, ITEM_COMMENT, 10461) != NULL &&
	    strstr(find(&c, ITEM_COMMENT, 10461)->html, "R&amp;D") != NULL,
	    "wxr: entities inside CDATA stay as they are");
	coll_free(&c);

	/* Atom: posts feed, then comments feed */
	is_int(parse("ecatworld.atom", &c, &res), 0, "atom parses: %s", res.error);
	is_int(res.format, FMT_ATOM, "atom detected");
	is_int(res.full, 0, "atom is not a full export");
	is_int(c.n, 1, "atom: one entry");
	check_post(find(&c, ITEM_POST, 2481), "atom");
	if (c.n == 1)
		is_str(c.v[0].author, "admin", "atom: author/name");
	coll_free(&c);

	is_int(parse("ecatworld-comments.atom", &c, &res), 0, "comments atom parses: %s",
	    res.error);
	is_int(count(&c, ITEM_POST), 0, "comments atom: no posts");
	check_tree(&c, "atom", 0);
	if (find(&c, ITEM_COMMENT, 10401) != NULL)
		is_int(find(&c, ITEM_COMMENT, 10401)->post_id, 2481,
		    "atom: top-level comment: post id from in-reply-to ?p=");
	if (find(&c, ITEM_COMMENT, 10404) != NULL)
		is_int(find(&c, ITEM_COMMENT, 10404)->post_id, 0,
		    "atom: nested comment: post unknown, post_link set");
	for (i = 0; i < c.n; i++)
		if (c.v[i].title != NULL)
			order = 0;
	ok(order, "atom: comments have no title (\"By: x\" is not the post's)");
	coll_free(&c);

	/* REST JSON */
	is_int(parse("ecatworld-wp-posts.json", &c, &res), 0, "posts json parses: %s",
	    res.error);
	is_int(res.format, FMT_WPJSON, "json detected");
	is_int(res.full, 1, "json is a full page");
	check_post(find(&c, ITEM_POST, 2481), "json");
	if (c.n == 1) {
		is_int(c.v[0].ncategories, 1, "json: categories");
		if (c.v[0].ncategories == 1)
			is_str(c.v[0].categories[0], "7", "json: category id as a string");
		is_str(c.v[0].author, "", "json: no _embedded, no author name");
	}
	coll_free(&c);
	is_int(parse("ecatworld-wp-comments.json", &c, &res), 0, "comments json parses: %s",
	    res.error);
	check_tree(&c, "json", 1);
	if (find(&c, ITEM_COMMENT, 10404) != NULL)
		is_int(find(&c, ITEM_COMMENT, 10404)->line, 17, "json: line of the object");
	coll_free(&c);
	json_decref(expected);
}

static void
test_hostile_wxr(void)
{
	struct ingest_result	 res;
	struct coll		 c = { 0 };
	struct item		*it;
	size_t			 i;
	int			 dup = 0, ctl = 1;

	is_int(parse("ingest/hostile.wxr", &c, &res), 0, "hostile wxr parses: %s", res.error);
	is_int(res.format, FMT_WXR, "WXR 1.1 namespace detected");
	is_int(count(&c, ITEM_POST), 9, "hostile: 9 posts");
	is_int(count(&c, ITEM_COMMENT), 9, "hostile: 9 comments (duplicate id included)");
	for (i = 0; i < c.n; i++) {
		const char	*f[] = { c.v[i].author, c.v[i].author_email, c.v[i].title,
				    c.v[i].link, c.v[i].author_url };
		size_t		 j;

		if (c.v[i].kind == ITEM_COMMENT && c.v[i].comment_id == 201)
			dup++;
		for (j = 0; j < 5; j++)
			if (f[j] != NULL && strpbrk(f[j], "\r\n\t\x7f") != NULL)
				ctl = 0;
	}
	is_int(dup, 2, "duplicate comment ids are both passed on (the store decides)");
	ok(ctl, "no CR, LF, TAB or DEL in one-line fields");
	if ((it = find(&c, ITEM_POST, 100)) != NULL) {
		is_int(strlen(it->title), 300 + 4, "300-character title kept whole (304 bytes)");
		ok(has_prefix(it->title, "Ünïcödé title xxx"), "non-ASCII title");
		is_str(it->author, "Zoë", "non-ASCII author");
		is_int(it->state, ITEM_OK, "published post");
		is_int(it->ncategories, 2, "categories: domain=category and legacy, deduplicated,"
		    " no tags");
		if (it->ncategories == 2) {
			is_str(it->categories[0], "Café & Bar", "category display text");
			is_str(it->categories[1], "Legacy", "legacy category");
		}
	}
	if ((it = find(&c, ITEM_COMMENT, 201)) != NULL) {
		is_str(it->author, "Eve Bcc: victim@example.com", "CR/LF in author become a space");
		is_str(it->author_email, "eve@example.com Bcc: x@example.com",
		    "CR/LF in email become a space");
		is_int(it->state, ITEM_OK, "approved comment");
		is_int(it->date, 1577962800, "comment_date_gmt, not comment_date");
	}
	if ((it = find(&c, ITEM_COMMENT, 202)) != NULL) {
		is_int(it->state, ITEM_UNAPPROVED, "approved 0: unapproved");
		is_str(it->author, "Jürgen Müller 日本語", "non-ASCII author");
		is_int(it->parent_id, 201, "parent");
	} else
		ok(0, "comment 202 found");
	it = find(&c, ITEM_COMMENT, 203);
	is_int(it ? (int)it->state : -1, ITEM_SPAM, "spam");
	it = find(&c, ITEM_COMMENT, 204);
	is_int(it ? (int)it->state : -1, ITEM_TRASH, "trash");
	it = find(&c, ITEM_COMMENT, 205);
	is_int(it ? (int)it->state : -1, ITEM_PINGBACK, "approved pingback");
	it = find(&c, ITEM_COMMENT, 206);
	is_int(it ? (int)it->state : -1, ITEM_UNAPPROVED, "unapproved trackback stays unapproved");
	if ((it = find(&c, ITEM_COMMENT, 207)) != NULL) {
		is_str(it->author, "Tab Del Nel Ls", "TAB, DEL, C1 NEL, U+2028 and runs of space");
		is_str(it->html, "line one\nline two\nthree", "html: CRLF and CR to LF, DEL gone");
		is_int(it->parent_id, 0, "a comment is not its own parent");
	} else
		ok(0, "comment 207 found");
	it = find(&c, ITEM_POST, 101);
	is_int(it ? (int)it->state : -1, ITEM_DRAFT, "draft");
	is_int(it ? it->date : -1, 1578036600, "date 0000-00-00: pubDate (+0100) instead");
	it = find(&c, ITEM_POST, 102);
	is_int(it ? (int)it->state : -1, ITEM_PRIVATE, "private");
	it = find(&c, ITEM_POST, 103);
	is_int(it ? (int)it->state : -1, ITEM_PROTECTED, "password-protected");
	it = find(&c, ITEM_POST, 104);
	is_int(it ? (int)it->state : -1, ITEM_DRAFT, "pending is a draft");
	it = find(&c, ITEM_POST, 105);
	is_int(it ? (int)it->state : -1, ITEM_DRAFT, "future is a draft");
	it = find(&c, ITEM_POST, 106);
	is_int(it ? (int)it->state : -1, ITEM_OTHER_TYPE, "page: other type");
	it = find(&c, ITEM_POST, 107);
	is_int(it ? (int)it->state : -1, ITEM_OTHER_TYPE, "attachment: other type");
	it = find(&c, ITEM_COMMENT, 301);
	is_int(it ? it->post_id : -1, 107, "comment on an attachment still passed on");
	it = find(&c, ITEM_POST, 108);
	is_str(it ? it->title : NULL, "Q&A <draft>", "title: XML entities decoded once");
	is_int(it ? (int)it->state : -1, ITEM_DRAFT, "auto-draft");
	coll_free(&c);

	/* WXR 1.0 namespace, inline */
	is_int(parse_str("<?xml version=\"1.0\"?>\n<rss version=\"2.0\" "
	    "xmlns:wp=\"http://wordpress.org/export/1.0/\"><channel><item><title>Old</title>"
	    "<wp:post_id>9</wp:post_id><wp:status>publish</wp:status><wp:post_type>post"
	    "</wp:post_type><wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_approved>"
	    "1</wp:comment_approved></wp:comment></item></channel></rss>", &c, &res), 0,
	    "WXR 1.0 parses");
	is_int(c.n, 2, "WXR 1.0: post and comment");
	coll_free(&c);

	/* A callback that says stop */
	c.stop_after = 2;
	is_int(parse("ecatworld.wxr", &c, &res), -1, "callback -1 stops the parse");
	is_int(c.n, 2, "no item after the stop");
	ok(strstr(res.error, "ecatworld.wxr:33:") != NULL, "stop is reported with a line: %s",
	    res.error);
	coll_free(&c);
}

static void
test_malformed(void)
{
	struct ingest_result	 res;
	struct coll		 c = { 0 };
	clock_t			 t0;

	is_int(parse("ingest/truncated.wxr", &c, &res), -1, "truncated WXR fails");
	ok(strstr(res.error, "truncated.wxr:60: ") != NULL, "error names file and line: %s",
	    res.error);
	coll_free(&c);

	t0 = clock();
	is_int(parse("ingest/entities.wxr", &c, &res), -1, "entity bomb / XXE refused");
	ok(strstr(res.error, "entities.wxr:2: ") != NULL && strstr(res.error, "DOCTYPE"),
	    "refused at the DOCTYPE: %s", res.error);
	ok(clock() - t0 < CLOCKS_PER_SEC, "quickly");
	is_int(c.n, 0, "nothing passed on");
	coll_free(&c);

	is_int(parse_str("<?xml version=\"1.0\" encoding=\"UTF-16\"?><feed/>", &c, &res), -1,
	    "UTF-16 declared in ASCII refused");
	is_int(parse_str("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>a</entry>"
	    "</feed>", &c, &res), -1, "mismatched tags fail");
	ok(has_prefix(res.error, "inline:1: "), "inline:1: %s", res.error);
	is_int(parse_str("[{\"id\": 1,\n \"post\": 2,\n oops}]", &c, &res), -1,
	    "bad JSON fails");
	ok(has_prefix(res.error, "inline:3: "), "with the JSON line: %s", res.error);
	is_int(parse_str("{\"code\":\"rest_forbidden\",\"message\":\"Sorry\",\"data\":{}}", &c,
	    &res), -1, "a REST error object fails");
	ok(strstr(res.error, "rest_forbidden") != NULL, "and says so: %s", res.error);
	is_int(parse_str("hello", &c, &res), -1, "unknown format fails");
	is_int(res.format, FMT_UNKNOWN, "as unknown");
	is_int(parse_str("", &c, &res), -1, "empty input fails");
	is_int(parse_str("<rss><channel>", &c, &res), -1, "unfinished RSS fails");
	is_int(c.n, 0, "nothing passed on from the failures");
	coll_free(&c);
	is_int(ingest_file("/nonexistent/x.wxr", collect, &c, &res), -1, "missing file");
	ok(strstr(res.error, "No such file") != NULL, "missing file: %s", res.error);
}

static void
test_rss_disqus_json_atom(void)
{
	struct ingest_result	 res;
	struct coll		 c = { 0 };
	struct item		*it;

	is_int(parse("ingest/rss2.xml", &c, &res), 0, "rss parses: %s", res.error);
	is_int(res.format, FMT_RSS, "rss detected");
	is_int(res.full, 0, "rss is not full");
	if ((it = find(&c, ITEM_POST, 2481)) != NULL) {
		is_str(it->title, "Rossi Says Production in the US Has Begun", "rss title");
		ok(has_prefix(it->html, "<p>In another"), "content:encoded over description");
		is_int(it->date, 1327655520, "RFC 822 pubDate with +0100");
		is_str(it->author, "admin", "dc:creator");
		is_int(it->ncategories, 2, "two categories");
	} else
		ok(0, "rss post 2481");
	is_int(c.n, 2, "two items");
	if (c.n == 2) {
		it = &c.v[1];
		ok(it->post_id > 0 && it->post_id < (1LL << 53), "no ?p=: hashed id");
		is_int(it->post_id, ingest_hash_id("https://e-catworld.example/plain/"),
		    "hash of the guid");
		is_str(it->author, "Jane Editor", "<author> email (name)");
		is_str(it->author_email, "editor@e-catworld.example", "<author> email");
		is_str(it->html, "<p>Only a description.</p>", "description as html");
		is_str(it->title, "Plain & simple", "title");
	}
	coll_free(&c);

	is_int(parse("ingest/rss2-comments.xml", &c, &res), 0, "rss comments parse");
	is_int(count(&c, ITEM_COMMENT), 2, "two comments");
	if ((it = find(&c, ITEM_COMMENT, 10401)) != NULL) {
		is_int(it->post_id, 2481, "post id from the guid ?p=");
		is_str(it->post_link, "https://e-catworld.example/2012/01/27/"
		    "rossi-says-production-in-the-us-has-begun/", "post link");
		is_int(it->parent_id, 0, "flat");
	} else
		ok(0, "rss comment 10401 found");
	if ((it = find(&c, ITEM_COMMENT, 10404)) != NULL) {
		is_str(it->post_link, "https://e-catworld.example/2012/01/27/"
		    "rossi-says-production-in-the-us-has-begun/", "comment-page-1/ dropped");
		ok(has_prefix(it->html, "Rossi is not"), "description when no content:encoded");
	} else
		ok(0, "rss comment 10404 found");
	coll_free(&c);

	is_int(parse("ingest/disqus.xml", &c, &res), 0, "disqus parses: %s", res.error);
	is_int(res.format, FMT_DISQUS, "disqus detected");
	is_int(res.full, 1, "disqus is full");
	is_int(count(&c, ITEM_POST), 3, "three threads");
	is_int(count(&c, ITEM_COMMENT), 5, "five posts");
	ok(c.n == 8 && c.v[0].kind == ITEM_POST && c.v[2].kind == ITEM_POST,
	    "threads before comments");
	it = find(&c, ITEM_POST, 2481);
	is_str(it ? it->title : NULL, "Rossi Says Production in the US Has Begun",
	    "thread <id>2481 https://...</id> gives post 2481");
	it = find(&c, ITEM_POST, ingest_hash_id("https://e-catworld.example/about/"));
	is_int(it ? (int)it->state : -1, ITEM_TRASH, "empty <id>: hash of the link; deleted thread");
	if ((it = find(&c, ITEM_COMMENT, 900002)) != NULL) {
		is_int(it->parent_id, 900001, "parent dsq:id");
		is_int(it->post_id, 2481, "thread's post id");
		is_str(it->author, "Luca Salvarani", "author name");
		is_int(it->date, 1327665720, "createdAt");
		is_str(it->link, "https://e-catworld.example/2012/01/27/"
		    "rossi-says-production-in-the-us-has-begun/#comment-900002", "comment link");
	} else
		ok(0, "disqus 900002");
	it = find(&c, ITEM_COMMENT, 900003);
	is_int(it ? (int)it->state : -1, ITEM_TRASH, "isDeleted");
	it = find(&c, ITEM_COMMENT, 900004);
	is_int(it ? (int)it->state : -1, ITEM_SPAM, "isSpam");
	it = find(&c, ITEM_COMMENT, 900005);
	is_int(it ? it->post_id : -1, 77, "thread listed after its posts");
	coll_free(&c);

	is_int(parse("ingest/hostile.json", &c, &res), 0, "hostile json parses");
	ok(strstr(res.error, "hostile.json:15: ") != NULL, "non-object entry reported: %s",
	    res.error);
	is_int(c.n, 6, "six objects passed on, two non-objects skipped");
	if ((it = find(&c, ITEM_COMMENT, 501)) != NULL) {
		is_str(it->author, "Eve Bcc: victim@example.com", "\\r\\n and \\u0000 in author");
		is_str(it->html, "<p>nul here</p>\n", "\\u0000 in html: a space");
	}
	it = find(&c, ITEM_COMMENT, 502);
	is_int(it ? (int)it->state : -1, ITEM_UNAPPROVED, "hold");
	is_int(it ? it->line : -1, 16, "line of the object");
	it = find(&c, ITEM_COMMENT, 503);
	is_int(it ? (int)it->state : -1, ITEM_SPAM, "spam");
	it = find(&c, ITEM_COMMENT, 504);
	is_int(it ? (int)it->state : -1, ITEM_TRASH, "trash");
	it = find(&c, ITEM_COMMENT, 505);
	is_int(it ? (int)it->state : -1, ITEM_PINGBACK, "pingback");
	it = find(&c, ITEM_COMMENT, 506);
	is_int(it ? (int)it->state : -1, ITEM_PINGBACK, "trackback");
	coll_free(&c);

	is_int(parse("ingest/wp-posts-states.json", &c, &res), 0, "post states json parses");
	if ((it = find(&c, ITEM_POST, 1)) != NULL) {
		is_str(it->title, "Rossi&#8217;s &amp; co", "title.rendered entities left alone");
		is_str(it->author, "Frank Acland", "author from _embedded");
		is_int(it->ncategories, 2, "category names from _embedded wp:term");
		if (it->ncategories == 2)
			is_str(it->categories[1], "LENR", "category name");
	} else
		ok(0, "post 1 found");
	it = find(&c, ITEM_POST, 2);
	is_int(it ? (int)it->state : -1, ITEM_PROTECTED, "content.protected");
	it = find(&c, ITEM_POST, 3);
	is_int(it ? (int)it->state : -1, ITEM_DRAFT, "draft");
	is_int(it ? it->date : -1, 1578009600, "date_gmt null: date");
	it = find(&c, ITEM_POST, 4);
	is_int(it ? (int)it->state : -1, ITEM_PRIVATE, "private");
	it = find(&c, ITEM_POST, 5);
	is_int(it ? (int)it->state : -1, ITEM_OTHER_TYPE, "page");
	coll_free(&c);

	is_int(parse_str("  {\"id\": 7, \"post\": 3, \"parent\": 0, \"author_name\": \"A\","
	    " \"status\": \"approved\", \"content\": {\"rendered\": \"hi\"}}", &c, &res), 0,
	    "a single JSON object");
	is_int(c.n, 1, "is one item");
	is_int(c.n ? c.v[0].kind : 0, ITEM_COMMENT, "a comment");
	coll_free(&c);

	is_int(parse("ingest/atom-edge.atom", &c, &res), 0, "atom edge cases parse: %s",
	    res.error);
	is_int(c.n, 5, "five entries");
	if (c.n == 5) {
		it = &c.v[0];
		is_str(it->html, "<p>Hello <b>world</b> &amp; all</p>", "xhtml: inner div");
		is_str(it->title, "Less &lt;than&gt; &amp; more", "text title escaped");
		is_str(it->link, "https://edge.example/blog/posts/xhtml.html", "xml:base resolved");
		is_int(it->post_id, ingest_hash_id("tag:edge.example,2020:xhtml"), "hashed id");
		is_int(it->date, 1577872800, "updated with +02:00");
		is_str(it->author_email, "ann@edge.example", "author email");
		is_int(it->ncategories, 2, "categories: label, else term");
		it = &c.v[1];
		is_str(it->html, "1 &lt; 2 &amp; &quot;quotes&quot;", "text content escaped");
		is_int(it->post_id, 42, "?p=42");
		is_int(it->date, 1577923200, "published (fractional seconds) over updated");
		is_str(it->link, "https://edge.example/?p=42", "rel=alternate, not edit");
		it = &c.v[2];
		is_str(it->html, "<p>short</p>", "summary when no content");
		it = &c.v[3];
		is_int(it->kind, ITEM_COMMENT, "in-reply-to: comment");
		is_int(it->comment_id, 77, "?replytocom=77");
		is_int(it->parent_id, 76, "parent from #comment-76");
		is_int(it->post_id, 42, "post from its own ?p=42");
		is_str(it->post_link, "https://edge.example/?p=42", "replytocom dropped");
		is_int(it->date, 1578200400, "-05:00");
		it = &c.v[4];
		is_int(it->comment_id, 78, "#comment-78");
		is_int(it->parent_id, 77, "parent 77");
		is_int(it->post_id, 0, "post unknown");
		is_str(it->post_link, "https://edge.example/post/", "post link from the permalink");
		is_str(it->author, "", "empty name");
	}
	coll_free(&c);
}

static enum ingest_format
det(const char *s)
{
	return ingest_detect(s, strlen(s));
}

static void
test_detect(void)
{
	is_int(det("\xef\xbb\xbf \n[{}]"), FMT_WPJSON, "BOM + JSON array");
	is_int(det("{\"id\":1}"), FMT_WPJSON, "JSON object");
	is_int(det("<?xml version=\"1.0\"?>\n<!-- c <rss> -->\n<!DOCTYPE rss>"
	    "<rss xmlns:wp=\"http://wordpress.org/export/1.2/\">"), FMT_WXR, "WXR");
	is_int(det("<rss version=\"2.0\"><channel><wp:wxr_version>1.2"), FMT_WXR, "WXR by wxr_version");
	is_int(det("<rss version=\"2.0\"><channel>"), FMT_RSS, "RSS");
	is_int(det("<rdf:RDF xmlns:rdf=\"x\">"), FMT_RSS, "RSS 1.0");
	is_int(det("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), FMT_ATOM,
	    "Atom");
	is_int(det("<atom:feed>"), FMT_ATOM, "prefixed Atom");
	is_int(det("<disqus xmlns=\"http://disqus.com\">"), FMT_DISQUS,
	    "Disqus");
	is_int(det("<html>"), FMT_UNKNOWN, "HTML");
	is_int(det("<!-- never closed"), FMT_UNKNOWN, "open comment");
	is_int(det(""), FMT_UNKNOWN, "empty");
	is_str(ingest_format_name(FMT_WXR), "WXR", "format name");
	is_str(item_state_name(ITEM_PINGBACK), "pingback", "state name");
}

static void
test_helpers(void)
{
	char	*s;

	is_int(ingest_parse_date("2012-01-27T09:12:00Z"), 1327655520, "RFC 3339 Z");
	is_int(ingest_parse_date("2012-01-27T10:12:00+01:00"), 1327655520, "RFC 3339 +01:00");
	is_int(ingest_parse_date("2012-01-27T04:12:00.5-05:00"), 1327655520, "fraction, -05:00");
	is_int(ingest_parse_date("2012-01-27 09:12:00"), 1327655520, "MySQL GMT");
	is_int(ingest_parse_date("2012-01-27T09:12:00"), 1327655520, "REST GMT");
	is_int(ingest_parse_date("Fri, 27 Jan 2012 09:12:00 +0000"), 1327655520, "RFC 822");
	is_int(ingest_parse_date("Fri, 27 Jan 2012 09:12:00 GMT"), 1327655520, "RFC 822 GMT");
	is_int(ingest_parse_date("27 Jan 2012 04:12:00 EST"), 1327655520, "no day, EST");
	is_int(ingest_parse_date("Fri, 27 Jan 12 09:12 UTC"), 1327655520, "2-digit year, HH:MM");
	is_int(ingest_parse_date("0000-00-00 00:00:00"), 0, "zero date");
	is_int(ingest_parse_date("2012-13-01T00:00:00Z"), 0, "month 13");
	is_int(ingest_parse_date("Fri, 27 Foo 2012 09:12:00 GMT"), 0, "bad month");
	is_int(ingest_parse_date("yesterday"), 0, "garbage");
	is_int(ingest_parse_date(""), 0, "empty");
	is_int(ingest_parse_date(NULL), 0, "NULL");
	is_int(ingest_parse_date("2012-01-27T09:12:00Zjunk+"), 1327655520, "trailing junk "
	    "after Z ignored");

	is_int(ingest_id_from_url("https://b.example/?p=2481", "?p="), 2481, "?p=");
	is_int(ingest_id_from_url("https://b.example/?foo=1&p=12#x", "?p="), 12, "&p=");
	is_int(ingest_id_from_url("https://b.example/?page_id=3", "?p="), 0, "not ?page_id=");
	is_int(ingest_id_from_url("https://b.example/?p=1234567890123456789", "?p="), 0,
	    "too long");
	is_int(ingest_comment_id("https://b.example/x/#comment-10401"), 10401, "#comment-");
	is_int(ingest_comment_id("https://b.example/?p=1&replytocom=7"), 7, "replytocom=");
	is_int(ingest_comment_id("comment-55"), 55, "comment-");
	is_int(ingest_comment_id("https://b.example/x/comment-page-2/"), 0, "comment-page-");
	is_int(ingest_leading_id("2481 https://b.example/?p=2481"), 2481, "leading id");
	is_int(ingest_leading_id("abc"), 0, "no leading id");
	ok(ingest_hash_id("x") == ingest_hash_id("x") && ingest_hash_id("x") > 0 &&
	    ingest_hash_id("x") < (1LL << 53) && ingest_hash_id("x") != ingest_hash_id("y"),
	    "hash ids: stable, positive, < 2^53");
	s = ingest_strip_fragment("https://b.example/p/comment-page-3/#comment-9");
	is_str(s, "https://b.example/p/", "strip fragment and comment page");
	free(s);
	s = ingest_html_escape("a<b>&\"");
	is_str(s, "a&lt;b&gt;&amp;&quot;", "html escape");
	free(s);
}

int
main(void)
{
	log_init(LOG_LVL_ERR, "test_ingest");
	test_detect();
	test_helpers();
	test_fixtures();
	test_hostile_wxr();
	test_malformed();
	test_rss_disqus_json_atom();
	return tap_done();
}
