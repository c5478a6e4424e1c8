/* ingest_wpjson.c: WordPress REST API JSON, /wp/v2/posts and /wp/v2/comments.
 *
 * A response is one page: an array of objects (or one object), loaded whole.
 * Dates are the *_gmt fields, GMT without a zone. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ingest.h"
#include "log.h"

/* Finds the line each element of the top-level array starts on; jansson does not
 * say where values are. */
struct scan {
	const char	*p, *e;
	long		 line;
	int		 depth;
};

static long
scan_next(struct scan *s)
{
	int	 instr = 0;

	for (; s->p < s->e; s->p++) {
		char	 c = *s->p;

		if (c == '\n')
			s->line++;
		if (instr) {
			if (c == '\\' && s->p + 1 < s->e)
				s->p++;
			else if (c == '"')
				instr = 0;
			continue;
		}
		if (s->depth == 1 && !isspace((unsigned char)c) && c != ',' && c != ']') {
			const char *start = s->p;
			long	 line = s->line;

			/* step into the element: the loop below does not count it twice */
			for (; s->p < s->e; s->p++) {
				c = *s->p;
				if (!instr && s->depth == 1 && s->p > start &&
				    (c == ',' || isspace((unsigned char)c)))
					break;
				if (c == '\n')
					s->line++;
				if (instr) {
					if (c == '\\' && s->p + 1 < s->e)
						s->p++;
					else if (c == '"')
						instr = 0;
				} else if (c == '"')
					instr = 1;
				else if (c == '[' || c == '{')
					s->depth++;
				else if (c == ']' || c == '}') {
					if (--s->depth <= 1) {
						s->p++;
						break;
					}
				}
			}
			return line;
		}
		if (c == '"')
			instr = 1;
		else if (c == '[' || c == '{')
			s->depth++;
		else if (c == ']' || c == '}')
			s->depth--;
	}
	return s->line;
}

/* A string member, or NULL. NULs (allowed by JSON) become spaces. */
static char *
jstr(json_t *v)
{
	const char	*s;
	char		*r;
	size_t		 n, i;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	n = json_string_length(v);
	r = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		r[i] = s[i] != '\0' ? s[i] : ' ';
	r[n] = '\0';
	return r;
}

static char *
jget(json_t *o, const char *key)
{
	return jstr(json_object_get(o, key));
}

/* "title": {"rendered": "..."} or, in some contexts, "title": "..." */
static char *
jrendered(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (json_is_object(v))
		return jget(v, "rendered");
	return jstr(v);
}

static long long
jid(json_t *o, const char *key)
{
	json_t		*v = json_object_get(o, key);
	long long	 n;

	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v))
		n = ingest_leading_id(json_string_value(v));
	else
		return 0;
	return n > 0 && n < (1LL << 53) ? n : 0;
}

static time_t
jdate(json_t *o)
{
	const char	*k[] = { "date_gmt", "date" };
	json_t		*v;
	size_t		 i;
	time_t		 t;

	for (i = 0; i < 2; i++)
		if ((v = json_object_get(o, k[i])) != NULL && json_is_string(v) &&
		    (t = ingest_parse_date(json_string_value(v))) != 0)
			return t;
	return 0;
}

static int
is(json_t *o, const char *key, const char *want)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static void
post_categories(struct item *it, json_t *o)
{
	json_t	*cats, *terms, *group, *t, *v;
	size_t	 i, j;
	char	 num[32];
	int	 named = 0;

	/* With ?_embed, names are in _embedded["wp:term"]: arrays of term objects. */
	terms = json_object_get(json_object_get(o, "_embedded"), "wp:term");
	json_array_foreach(terms, i, group) {
		json_array_foreach(group, j, t) {
			char	*name;

			if (!is(t, "taxonomy", "category"))
				continue;
			name = jget(t, "name");
			ingest_add_category(it, name);
			free(name);
			named = 1;
		}
	}
	if (named)
		return;
	cats = json_object_get(o, "categories");
	json_array_foreach(cats, i, v) {
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
			ingest_add_category(it, num);
		} else if (json_is_string(v))
			ingest_add_category(it, json_string_value(v));
	}
}

static void
make_post(struct item *it, json_t *o)
{
	json_t	*content = json_object_get(o, "content"), *authors;

	it->kind = ITEM_POST;
	it->post_id = jid(o, "id");
	it->title = jrendered(o, "title");
	it->html = jrendered(o, "content");
	it->link = jget(o, "link");
	if (it->link != NULL)
		it->post_link = xstrdup(it->link);
	it->date = jdate(o);
	authors = json_object_get(json_object_get(o, "_embedded"), "author");
	it->author = jget(json_array_get(authors, 0), "name");
	post_categories(it, o);
	if (json_object_get(o, "type") != NULL && !is(o, "type", "post"))
		it->state = ITEM_OTHER_TYPE;
	else if (json_object_get(o, "status") == NULL || is(o, "status", "publish"))
		it->state = json_is_true(json_object_get(content, "protected")) ?
		    ITEM_PROTECTED : ITEM_OK;
	else if (is(o, "status", "private"))
		it->state = ITEM_PRIVATE;
	else if (is(o, "status", "trash"))
		it->state = ITEM_TRASH;
	else
		it->state = ITEM_DRAFT;
}

static void
make_comment(struct item *it, json_t *o)
{
	it->kind = ITEM_COMMENT;
	it->comment_id = jid(o, "id");
	it->post_id = jid(o, "post");
	if ((it->parent_id = jid(o, "parent")) == it->comment_id)
		it->parent_id = 0;
	it->author = jget(o, "author_name");
	it->author_email = jget(o, "author_email");
	it->author_url = jget(o, "author_url");
	it->html = jrendered(o, "content");
	it->link = jget(o, "link");
	it->post_link = ingest_strip_fragment(it->link);
	it->date = jdate(o);
	if (json_object_get(o, "status") == NULL || is(o, "status", "approved") ||
	    is(o, "status", "approve") || is(o, "status", "1"))
		it->state = ITEM_OK;
	else if (is(o, "status", "spam"))
		it->state = ITEM_SPAM;
	else if (is(o, "status", "trash"))
		it->state = ITEM_TRASH;
	else
		it->state = ITEM_UNAPPROVED;	/* hold, unapproved */
	if (it->state == ITEM_OK && (is(o, "type", "pingback") || is(o, "type", "trackback")))
		it->state = ITEM_PINGBACK;
}

/* 1 = passed on, 0 = skipped (res->error holds why), -1 = stop. */
static int
one(json_t *o, long line, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	struct item	 it;
	json_t		*post;
	int		 rc;

	memset(&it, 0, sizeof(it));
	it.line = line;
	if (!json_is_object(o)) {
		ingest_error(res, name, line, "entry is not an object: skipped");
		return 0;
	}
	post = json_object_get(o, "post");
	if ((post != NULL && json_object_get(o, "title") == NULL) ||
	    json_object_get(o, "author_name") != NULL)
		make_comment(&it, o);
	else
		make_post(&it, o);
	if ((it.kind == ITEM_POST && it.post_id == 0) ||
	    (it.kind == ITEM_COMMENT && it.comment_id == 0)) {
		ingest_error(res, name, line, "entry without a numeric id: skipped");
		item_free(&it);
		return 0;
	}
	rc = ingest_emit(&it, name, cb, arg, res);
	item_free(&it);
	return rc == -1 ? -1 : 1;
}

int
ingest_wpjson(const char *data, size_t len, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	json_t		*root, *v;
	json_error_t	 err;
	struct scan	 sc;
	char		 skipped[sizeof(res->error)] = "";
	size_t		 i;
	int		 rc = 0;

	ingest_result_init(res, FMT_WPJSON, 1);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	root = json_loadb(data, len, JSON_ALLOW_NUL, &err);
	if (root == NULL)
		return ingest_error(res, name, err.line > 0 ? err.line : 1, "%s", err.text);
	if (json_is_object(root)) {
		/* {"code": "rest_forbidden", "message": "...", "data": {...}} */
		if (json_object_get(root, "code") != NULL &&
		    json_object_get(root, "message") != NULL &&
		    json_object_get(root, "id") == NULL) {
			ingest_error(res, name, 1, "the blog answered an error: %s: %s",
			    json_is_string(json_object_get(root, "code")) ?
			    json_string_value(json_object_get(root, "code")) : "?",
			    json_is_string(json_object_get(root, "message")) ?
			    json_string_value(json_object_get(root, "message")) : "?");
			json_decref(root);
			return -1;
		}
		rc = one(root, 1, name, cb, arg, res);
		json_decref(root);
		return rc == -1 ? -1 : 0;
	}
	if (!json_is_array(root)) {
		json_decref(root);
		return ingest_error(res, name, 1, "neither a JSON array nor an object");
	}
	memset(&sc, 0, sizeof(sc));
	sc.p = data;
	sc.e = data + len;
	sc.line = 1;
	json_array_foreach(root, i, v) {
		if ((rc = one(v, scan_next(&sc), name, cb, arg, res)) == -1)
			break;
		if (rc == 0 && skipped[0] == '\0')
			memcpy(skipped, res->error, sizeof(skipped));
	}
	json_decref(root);
	if (rc == -1)
		return -1;
	/* Skipped entries are reported, not fatal: the first one stays in res->error. */
	memcpy(res->error, skipped, sizeof(res->error));
	if (skipped[0] != '\0')
		log_warn("%s", skipped);
	return 0;
}
