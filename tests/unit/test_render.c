/* test_render.c: the mapping rules, end to end through importer and store:
 * Message-IDs, References (trimming, missing and unpublished parents), Subject, From
 * pseudonyms, hostile input, supersedes and withdrawals, and the fixture tree in the
 * three formats. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libetpan/libetpan.h>

#include "conf.h"
#include "import.h"
#include "ingest.h"
#include "log.h"
#include "render.h"
#include "store.h"
#include "tap.h"

static char		 dir[] = "/tmp/confab-test-render-XXXXXX";
static struct conf	*conf;
static unsigned char	 key[SECRET_LEN];

static struct store *
fresh_store(const char *name)
{
	char		 path[300], err[256];
	struct store	*st;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	unlink(path);
	st = store_open(path, 1000, err, sizeof(err));
	if (st == NULL)
		fatal("%s", err);
	return st;
}

static struct item
mk(enum item_kind kind, long long post, long long cid, long long parent, const char *author,
    const char *html)
{
	struct item	it;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.post_id = post;
	it.comment_id = cid;
	it.parent_id = parent;
	it.author = (char *)author;
	it.author_email = NULL;
	it.html = (char *)html;
	it.title = kind == ITEM_POST ? (char *)"A &amp; B &amp;lt;3 \xe2\x80\x94 caf\xc3\xa9" : NULL;
	it.link = (char *)"https://blog.example/a/";
	it.date = 1327655520 + (time_t)cid * 60;
	return it;
}

/* Import items and publish; returns stats. */
static struct import_stats
run(struct store *st, struct item *items, int n)
{
	struct importer		*im = importer_new(st, conf, &conf->sources[0], key);
	struct import_stats	 s;
	int			 i;

	store_begin(st);
	for (i = 0; i < n; i++)
		importer_item(&items[i], im);
	importer_publish(im);
	store_commit(st);
	s = *importer_stats(im);
	importer_free(im);
	return s;
}

static char *
hdr(const struct store_article *a, const char *name)
{
	size_t		 nl = strlen(name);
	const char	*p = a->data, *end = a->data + a->head_len;
	struct buf	 b;

	while (p < end) {
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			p += nl + 2;
			buf_init(&b);
			for (; p < end; p++) {
				if (*p == '\r')
					continue;
				if (*p == '\n') {
					if (p[1] == ' ')
						continue;
					break;
				}
				buf_addc(&b, *p);
			}
			return buf_steal(&b);
		}
		p = strchr(p, '\n') + 1;
	}
	return NULL;
}

/* RFC 2047-decode a header value (unfolded) with libetpan. */
static char *
decode(const char *v)
{
	size_t	 idx = 0;
	char	*out = NULL, *r;

	if (v == NULL || mailmime_encoded_phrase_parse("utf-8", v, strlen(v), &idx, "utf-8",
	    &out) != MAILIMF_NO_ERROR)
		return NULL;
	r = xstrdup(out);
	free(out);
	return r;
}

static int
get(struct store *st, const char *msgid, struct store_article *a)
{
	int	rc = store_article_by_msgid(st, msgid, a);

	if (rc == 0 && !a->live)
		store_article_clear(a);
	return rc == 0 && a->live ? 0 : -1;
}

/* Every header line ≤ 998 octets, 7-bit, CRLF; every line of the body ≤ 998. */
static int
wire_ok(const struct store_article *a)
{
	size_t	i, col = 0;

	for (i = 0; i < a->len; i++) {
		if (i < a->head_len && ((unsigned char)a->data[i] >= 0x80 || a->data[i] == 0))
			return 0;
		if (a->data[i] == '\n') {
			if (i == 0 || a->data[i - 1] != '\r')
				return 0;
			col = 0;
		} else if (++col > 998)
			return 0;
	}
	return 1;
}

static void
test_basic(void)
{
	struct store		*st = fresh_store("basic");
	struct item		 it[4];
	struct store_article	 a;
	struct import_stats	 s;
	char			*v;

	it[0] = mk(ITEM_POST, 7, 0, 0, "admin", "<p>Hello.</p>");
	it[1] = mk(ITEM_COMMENT, 7, 11, 0, "Luca Salvarani", "<p>First</p>");
	it[1].author_email = (char *)"luca@mail.example";
	it[2] = mk(ITEM_COMMENT, 7, 12, 11, "", "<p>Second</p>");
	it[3] = mk(ITEM_COMMENT, 7, 13, 12, "Luca Salvarani", "<p>Third</p>");
	it[3].author_email = (char *)"LUCA@mail.example";
	s = run(st, it, 4);
	is_int(s.published, 4, "four articles published");

	ok(get(st, "<p7@blog.example>", &a) == 0, "post Message-ID <pPOST@host>");
	v = hdr(&a, "Subject");
	{
		char *d = decode(v);
		is_str(d, "A & B &lt;3 \xe2\x80\x94 caf\xc3\xa9", "Subject: entities decoded once");
		free(d);
	}
	ok(v && strstr(v, "=?UTF-8?") != NULL, "non-ASCII title RFC 2047-encoded (%s)", v);
	free(v);
	ok(hdr(&a, "References") == NULL, "post has no References");
	v = hdr(&a, "Archived-At");
	is_str(v, "<https://blog.example/a/>", "Archived-At: <permalink>");
	free(v);
	v = hdr(&a, "Date");
	is_str(v, "Fri, 27 Jan 2012 09:12:00 +0000", "Date from the GMT date");
	free(v);
	v = hdr(&a, "Content-Type");
	is_str(v, "text/plain; charset=UTF-8; format=flowed", "Content-Type");
	free(v);
	ok(wire_ok(&a), "7-bit headers, CRLF, lines <= 998");
	store_article_clear(&a);

	ok(get(st, "<p7.c13@blog.example>", &a) == 0, "comment Message-ID <pPOST.cID@host>");
	v = hdr(&a, "References");
	is_str(v, "<p7@blog.example> <p7.c11@blog.example> <p7.c12@blog.example>",
	    "References: root, then every ancestor, oldest first");
	free(v);
	v = hdr(&a, "In-Reply-To");
	is_str(v, "<p7.c12@blog.example>", "In-Reply-To: the parent");
	free(v);
	v = hdr(&a, "Subject");
	{
		char *d = decode(v);
		is_str(d, "Re: A & B &lt;3 \xe2\x80\x94 caf\xc3\xa9", "comment Subject: Re: title");
		free(d);
	}
	free(v);
	v = hdr(&a, "From");
	ok(v && !strncmp(v, "Luca Salvarani <", 16) && strstr(v, "@ecat.invalid>") &&
	    !strstr(v, "mail.example"), "From: name and pseudonym, never the email (%s)", v);
	{
		struct store_article	b;
		char			*w;

		get(st, "<p7.c11@blog.example>", &b);
		w = hdr(&b, "From");
		is_str(w, v, "same email (any case) -> same pseudonym");
		free(w);
		store_article_clear(&b);
		get(st, "<p7.c12@blog.example>", &b);
		w = hdr(&b, "From");
		ok(w && !strncmp(w, "Anonymous <", 11), "empty name -> Anonymous (%s)", w);
		free(w);
		store_article_clear(&b);
	}
	free(v);
	store_article_clear(&a);

	/* Re-import: nothing changes. */
	s = run(st, it, 4);
	is_int(s.unchanged, 4, "re-import: all unchanged");
	is_int(s.published, 0, "re-import: nothing published");

	/* Edit: a new version supersedes the old. */
	it[3].html = (char *)"<p>Third, edited</p>";
	s = run(st, it, 4);
	is_int(s.superseded, 1, "an edit supersedes");
	ok(get(st, "<p7.c13@blog.example>", &a) == -1, "old version withdrawn (430)");
	ok(get(st, "<p7.c13.v2@blog.example>", &a) == 0, "new version <pP.cC.v2@host>");
	v = hdr(&a, "Supersedes");
	is_str(v, "<p7.c13@blog.example>", "Supersedes: the old Message-ID");
	free(v);
	store_article_clear(&a);

	/* Spam: withdrawn; number not reused. */
	it[2].state = ITEM_SPAM;
	s = run(st, it, 4);
	is_int(s.withdrawn, 1, "a comment turned spam is withdrawn");
	ok(get(st, "<p7.c12@blog.example>", &a) == -1, "spam comment gone");
	{
		struct store_group	g;

		store_group_get(st, "blogs.ecat", &g);
		is_int(g.high, 5, "high water mark kept (4 + 1 superseding version)");
		is_int(g.count, 3, "three live articles");
		store_group_clear(&g);
	}
	/* A new comment under the spam one hangs under its nearest published ancestor. */
	it[0] = mk(ITEM_COMMENT, 7, 14, 12, "Late", "<p>under spam</p>");
	s = run(st, it, 1);
	ok(get(st, "<p7.c14@blog.example>", &a) == 0, "reply to a hidden comment published");
	v = hdr(&a, "References");
	is_str(v, "<p7@blog.example> <p7.c11@blog.example>",
	    "it hangs under the nearest published ancestor");
	free(v);
	ok(strstr(a.data, "Xref: news.example.test blogs.ecat:6\r\n") != NULL,
	    "next number is 6, never a reused one");
	store_article_clear(&a);
	/* Missing parent: hangs under the post. */
	it[0] = mk(ITEM_COMMENT, 7, 15, 999, "Orphan", "<p>lost parent</p>");
	run(st, it, 1);
	get(st, "<p7.c15@blog.example>", &a);
	v = hdr(&a, "References");
	is_str(v, "<p7@blog.example>", "missing parent: hangs under the post");
	free(v);
	store_article_clear(&a);
	store_close(st);
}

static void
test_hostile(void)
{
	struct store		*st = fresh_store("hostile");
	struct item		 it[70];
	struct store_article	 a;
	struct import_stats	 s;
	char			 title[400], html[6000], *v;
	const char		*p;
	int			 i;

	memset(title, 0, sizeof(title));
	for (i = 0; i < 300; i++)
		title[i] = "Aé b"[i % 4] == (char)0xc3 ? 'e' : "Ab c"[i % 4];
	memcpy(title + 100, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x99\x82", 9);
	it[0] = mk(ITEM_POST, 1, 0, 0, "x", "<p>.</p><p>..</p>");
	it[0].title = title;
	it[1] = mk(ITEM_COMMENT, 1, 2, 0, "Evil\r\nBcc: victim@example.org\r\n", "<p>hi</p>");
	it[2] = mk(ITEM_COMMENT, 1, 3, 0, "J\xc3\xbcrgen \"The\" M\xc3\xbcller <x@y>",
	    "<script>alert(1)</script><p>&amp;amp; &lt;b&gt;</p>");
	memset(html, 'x', 5000);
	html[5000] = '\0';
	it[3] = mk(ITEM_COMMENT, 1, 4, 0, "Long", html);
	it[4] = mk(ITEM_COMMENT, 1, 5, 0, "Empty", "");
	it[5] = mk(ITEM_COMMENT, 1, 5, 0, "Duplicate", "<p>dup</p>");
	/* A 60-deep reply chain. */
	for (i = 0; i < 60; i++)
		it[6 + i] = mk(ITEM_COMMENT, 1, 100 + i, i ? 99 + i : 0, "Deep", "<p>d</p>");
	s = run(st, it, 66);
	is_int(s.duplicates, 1, "a duplicate comment id is counted once as duplicate");

	ok(get(st, "<p1@blog.example>", &a) == 0, "post with a 300-character title");
	ok(wire_ok(&a), "long title: every line <= 998, 7-bit");
	v = hdr(&a, "Subject");
	for (p = v; p && (p = strstr(p, "=?")) != NULL; p++) {
		const char *e = strstr(p + 2, "?=");
		const char *q = e ? strstr(e + 2, "?=") : NULL;
		(void)q;
		if (e == NULL)
			break;
		e = strstr(strchr(strchr(p + 2, '?') + 1, '?') + 1, "?=");
		if (e - p + 2 > 75) {
			ok(0, "encoded word <= 75 chars");
			break;
		}
		p = e;
	}
	free(v);
	ok(strstr(a.data, "\r\n.\r\n") != NULL, "a line that is just '.' stored raw (stuffed on the wire)");
	store_article_clear(&a);

	ok(get(st, "<p1.c2@blog.example>", &a) == 0, "CR/LF in the author name");
	ok(strstr(a.data, "\r\nBcc:") == NULL && memmem(a.data, a.head_len, "\nBcc", 4) == NULL,
	    "no header injected");
	ok(wire_ok(&a), "still well-formed");
	store_article_clear(&a);

	ok(get(st, "<p1.c3@blog.example>", &a) == 0, "non-ASCII name with quotes and <>");
	v = hdr(&a, "From");
	ok(v && strstr(v, "=?UTF-8?") && strstr(v, "@ecat.invalid>") && !strstr(v, " <x@y>"),
	    "name encoded, its <x@y> is not an address (%s)", v);
	printf("# From: %s\n", v);
	free(v);
	ok(strstr(a.data, "alert") == NULL, "<script> dropped");
	ok(strstr(a.data, "&amp; <b>") != NULL, "entities decoded exactly once");
	store_article_clear(&a);

	ok(get(st, "<p1.c4@blog.example>", &a) == 0, "a 5,000-character line");
	ok(wire_ok(&a), "no line over 998 octets");
	store_article_clear(&a);
	ok(get(st, "<p1.c5@blog.example>", &a) == 0, "empty/duplicate comment published once");
	store_article_clear(&a);

	ok(get(st, "<p1.c159@blog.example>", &a) == 0, "end of the 60-deep chain");
	v = hdr(&a, "References");
	ok(v && strlen(v) + strlen("References: ") <= 998, "References within 998 octets (%zu)",
	    v ? strlen(v) : 0);
	ok(v && !strncmp(v, "<p1@blog.example> ", 18), "trimmed References keeps the root");
	ok(v && strstr(v, "<p1.c156@blog.example> <p1.c157@blog.example> "
	    "<p1.c158@blog.example>") && strlen(strstr(v, "<p1.c156")) ==
	    strlen("<p1.c156@blog.example> <p1.c157@blog.example> <p1.c158@blog.example>"),
	    "... and the last three");
	ok(v && !strstr(v, "<p1.c100@blog.example>"), "... dropping from the middle");
	free(v);
	ok(wire_ok(&a), "folded References is well-formed");
	store_article_clear(&a);
	store_close(st);
}

/* Byte-exact golden articles (CONFAB_UPDATE_GOLDEN=1 rewrites them; read the diff). */
static void
goldens(struct store *st, const char *src)
{
	static const char	*ids[] = { "<p2481@e-catworld.example>",
	    "<p2481.c10401@e-catworld.example>", "<p2481.c10409@e-catworld.example>",
	    "<p2481.c10416@e-catworld.example>", "<p2481.c10461@e-catworld.example>" };
	struct store_article	 a;
	char			 path[1024], name[128], *want;
	size_t			 i, n;
	FILE			*f;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(ids[i] + 1, "@"), ids[i] + 1);
		snprintf(path, sizeof(path), "%s/tests/data/golden/%s.eml", src, name);
		if (get(st, ids[i], &a) != 0) {
			ok(0, "golden %s: article exists", name);
			continue;
		}
		if (getenv("CONFAB_UPDATE_GOLDEN") && (f = fopen(path, "wb")) != NULL) {
			fwrite(a.data, 1, a.len, f);
			fclose(f);
		}
		want = tap_slurp(path, &n);
		ok(want != NULL && n == a.len && memcmp(want, a.data, n) == 0,
		    "golden %s: byte-exact", name);
		free(want);
		store_article_clear(&a);
	}
}

/* The fixture in each format gives exactly the expected tree. */
static void
test_fixture(const char *name, const char **files, int nfiles)
{
	char			 path[1024], mid[128], want[128];
	const char		*src = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	struct store		*st = fresh_store(name);
	struct importer		*im = importer_new(st, conf, &conf->sources[0], key);
	struct ingest_result	 res;
	struct store_article	 a;
	json_t			*tree, *c;
	json_error_t		 jerr;
	size_t			 i;
	int			 rc = 0, good = 0, total;

	store_begin(st);
	for (i = 0; i < (size_t)nfiles; i++) {
		snprintf(path, sizeof(path), "%s/tests/data/%s", src, files[i]);
		memset(&res, 0, sizeof(res));
		rc |= ingest_file(path, importer_item, im, &res);
		if (rc)
			printf("# %s\n", res.error);
	}
	importer_publish(im);
	store_commit(st);
	importer_free(im);
	ok(rc == 0, "%s: imports", name);
	snprintf(path, sizeof(path), "%s/tests/data/ecatworld-expected-tree.json", src);
	tree = json_load_file(path, 0, &jerr);
	total = (int)json_array_size(json_object_get(tree, "comments"));
	json_array_foreach(json_object_get(tree, "comments"), i, c) {
		long long id = json_integer_value(json_object_get(c, "id"));
		long long parent = json_integer_value(json_object_get(c, "parent"));
		char *refs;
		const char *last;

		snprintf(mid, sizeof(mid), "<p2481.c%lld@e-catworld.example>", id);
		if (parent)
			snprintf(want, sizeof(want), "<p2481.c%lld@e-catworld.example>", parent);
		else
			snprintf(want, sizeof(want), "<p2481@e-catworld.example>");
		if (get(st, mid, &a) != 0) {
			printf("# %s: %s missing\n", name, mid);
			continue;
		}
		refs = hdr(&a, "References");
		last = refs ? strrchr(refs, ' ') : NULL;
		last = last ? last + 1 : refs;
		if (refs && !strncmp(refs, "<p2481@e-catworld.example>", 26) && last &&
		    !strcmp(last, want))
			good++;
		else
			printf("# %s: %s References %s, want ...%s\n", name, mid, refs, want);
		free(refs);
		store_article_clear(&a);
	}
	is_int(good, 28, "%s: all %d comments thread under their parent", name, total);
	json_decref(tree);
	if (!strcmp(name, "wxr"))
		goldens(st, src);
	store_close(st);
}

/* category_group: an article in a mapped category is cross-posted, with its number in
 * each group in Xref, and its comments follow it. */
static void
test_crosspost(void)
{
	char			 path[300], err[256];
	struct conf		*c, *saved = conf;
	struct store		*st = fresh_store("cross");
	struct store_article	 a;
	struct item		 it[2];
	char			*cats[] = { "Rossi" };
	char			*v;
	FILE			*f;

	snprintf(path, sizeof(path), "%s/cross.conf", dir);
	f = fopen(path, "w");
	fprintf(f, "[server]\nhostname = news.example.test\n[store]\npath = %s/y.db\n"
	    "[source ecat]\ntype = local\ndomain = blog.example\n"
	    "category_group = rossi blogs.ecat.rossi\n"
	    "category_group = other blogs.ecat.other\n", dir);
	fclose(f);
	if ((c = conf_load(path, err, sizeof(err))) == NULL)
		fatal("%s", err);
	conf = c;
	it[0] = mk(ITEM_POST, 9, 0, 0, "admin", "<p>x</p>");
	it[0].categories = cats;
	it[0].ncategories = 1;
	it[1] = mk(ITEM_COMMENT, 9, 91, 0, "Reader", "<p>y</p>");
	run(st, it, 2);
	ok(get(st, "<p9@blog.example>", &a) == 0, "cross-posted post");
	v = hdr(&a, "Newsgroups");
	is_str(v, "blogs.ecat,blogs.ecat.rossi", "Newsgroups: the source's group, then the category's");
	free(v);
	v = hdr(&a, "Xref");
	is_str(v, "news.example.test blogs.ecat:1 blogs.ecat.rossi:1", "Xref: its number in each");
	free(v);
	store_article_clear(&a);
	ok(get(st, "<p9.c91@blog.example>", &a) == 0, "its comment");
	v = hdr(&a, "Newsgroups");
	is_str(v, "blogs.ecat,blogs.ecat.rossi", "comments follow the post's groups");
	free(v);
	store_article_clear(&a);
	conf = saved;
	conf_free(c);
	store_close(st);
}

int
main(void)
{
	char		 path[300], err[256];
	FILE		*f;
	const char	*wxr[] = { "ecatworld.wxr" };
	const char	*atom[] = { "ecatworld.atom", "ecatworld-comments.atom" };
	const char	*json[] = { "ecatworld-wp-posts.json", "ecatworld-wp-comments.json" };

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	f = fopen(path, "w");
	fprintf(f, "[server]\nhostname = news.example.test\n[store]\npath = %s/x.db\n"
	    "[source ecat]\ntype = local\ndomain = blog.example\n", dir);
	fclose(f);
	if ((conf = conf_load(path, err, sizeof(err))) == NULL)
		fatal("%s", err);
	memset(key, 7, sizeof(key));
	test_basic();
	test_hostile();
	test_crosspost();
	free(conf->sources[0].domain);
	conf->sources[0].domain = xstrdup("e-catworld.example");
	test_fixture("wxr", wxr, 1);
	test_fixture("atom", atom, 2);
	test_fixture("json", json, 2);
	conf_free(conf);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return tap_done();
}
