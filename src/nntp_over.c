/* nntp_over.c: the overview commands, OVER and HDR (RFC 3977 8.3, 8.5) and the legacy
 * XOVER, XHDR and XPAT, answered from the overview lines kept in memory (overview.c)
 * when the group's are, else from the store, in slices either way. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nntp.h"
#include "msg.h"
#include "nntp_cmd.h"
#include "overview.h"
#include "wildmat.h"

/* OVER / XOVER */

static int
over_cb(long long num, const char *over, size_t len, void *arg)
{
	struct buf	*out = arg;

	buf_printf(out, "%lld\t", num);
	buf_add(out, over, len);
	buf_add(out, "\r\n", 2);
	return 0;
}

/* The first line of the kept overview g after article number hi (ranges end at most
 * at 1 << 62: nntp_parse_range). */
static size_t
ov_end(const struct ovgroup *g, long long hi)
{
	return ov_find(g, hi + 1);
}

/* A slice was made; next is the first article number after it, 0 if there was none:
 * 1 with the stream moved on, or 0 when the range is done (the "." is owed). */
static int
slice_done(struct stream *st, long long next)
{
	if (next == 0 || next > st->hi)
		return 0;
	st->lo = next;
	return 1;
}

/* The same for a slice from the store, into out. */
static int
slice_fill(struct stream *st, struct buf *out, long long last)
{
	if (slice_done(st, last < st->lo ? 0 : last + 1))
		return 1;
	buf_add(out, ".\r\n", 3);
	return 0;
}

/* The cached slice went out: the same. */
static int
slice_sent(struct session *s, long long next)
{
	if (slice_done(&s->stream, next))
		return 1;
	nntp_write(s, ".\r\n", 3);
	return 0;
}

/* The first line, if owed: 1 go on, 0 the response ends with it (no article in the
 * range, or the store failed). */
static int
first_line(struct stream *st, struct store *store, struct buf *out)
{
	long long	n = 0;
	int		rc = 1;

	if (st->ok == NULL)
		return 1;
	if (st->hi >= st->lo)
		rc = store_article_step(store, st->gid, st->lo - 1, 1, &n);
	if (rc == -1) {
		buf_adds(out, "403 internal fault\r\n");
		return 0;
	}
	if (rc != 0 || n > st->hi) {
		buf_printf(out, "%s\r\n", st->none);
		return 0;
	}
	buf_printf(out, "%s\r\n", st->ok);
	st->ok = NULL;
	st->lo = n;	/* the first live one */
	return 1;
}

static int
over_fill(struct stream *st, struct store *store, struct buf *out)
{
	long long	last;

	if (!first_line(st, store, out))
		return 0;
	if (store_over_range(store, st->gid, st->lo, st->hi, NNTP_SLICE_ROWS, over_cb, out,
	    &last) == -1)
		return -1;
	return slice_fill(st, out, last);
}

/* The group's kept overview, when the stream may use it (its first line is sent). */
static const struct ovgroup *
stream_ov(struct session *s)
{
	if (s->stream.ok != NULL)
		return NULL;
	return ov_get(s->srv->ov, s->srv->store, s->stream.gid);
}

static int
over_next(struct session *s)
{
	const struct ovgroup	*g;
	size_t			 i, j, k;

	if ((g = stream_ov(s)) == NULL)
		return nntp_stream_fill(s, over_fill);
	/* A run of whole lines, copied at once. */
	i = ov_find(g, s->stream.lo);
	j = ov_end(g, s->stream.hi);
	for (k = i; k < j && g->offs[k + 1] - g->offs[i] <= NNTP_SLICE_BYTES; k++)
		;
	if (k == i && k < j)
		k++;
	nntp_write(s, g->text + g->offs[i], g->offs[k] - g->offs[i]);
	return slice_sent(s, k < j ? g->nums[k] : 0);
}

/* Resolve the range argument of OVER/HDR/XPAT; -1 when the reply was sent. */
static int
range_arg(struct session *s, const char *arg, long long *lo, long long *hi)
{
	if (arg != NULL && nntp_parse_range(arg, lo, hi) == -1) {
		nntp_reply(s, "501 bad range");	/* the syntax first (RFC 3977 3.2.1) */
		return -1;
	}
	if (s->gid == 0) {
		nntp_reply(s, "412 no newsgroup selected");
		return -1;
	}
	if (arg == NULL) {
		if (s->cur == 0) {
			nntp_reply(s, "420 current article number is invalid");
			return -1;
		}
		*lo = *hi = s->cur;
	}
	return 0;
}

/* Start the stream of lo..hi for the session's group: its first line now when the
 * kept overview tells whether the range holds any live article, else owed to the
 * store's first slice. */
static void
range_stream(struct session *s, int (*next)(struct session *), long long lo,
    long long hi, const char *ok, const char *none)
{
	const struct ovgroup	*g;

	memset(&s->stream, 0, sizeof(s->stream));
	s->stream.next = next;
	s->stream.gid = s->gid;
	s->stream.lo = lo;
	s->stream.hi = hi;
	if ((g = ov_get(s->srv->ov, s->srv->store, s->gid)) == NULL) {
		s->stream.ok = ok;
		s->stream.none = none;
	} else if (hi < lo || ov_find(g, lo) >= ov_end(g, hi)) {
		nntp_reply(s, "%s", none);
		return;
	} else
		nntp_reply(s, "%s", ok);
	nntp_stream_start(s);
}

struct overjob {
	char	*msgid;
	long long gid, num;
	char	*over;
	int	 rc;
};

static void
overjob_fetch(struct store *st, void *arg)
{
	struct overjob	*j = arg;

	if ((j->rc = store_over_msgid(st, j->msgid, &j->over)) == 0 && j->gid != 0 &&
	    store_article_num(st, j->gid, j->msgid, &j->num) != 0)
		j->num = 0;
}

static void
overjob_reply(struct session *s, void *arg)
{
	struct overjob	*j = arg;
	struct buf	 b;

	if (j->rc == -1) {
		nntp_reply(s, "403 internal fault");
		return;
	}
	if (j->rc != 0) {
		nntp_reply(s, "430 no article with that message-id");
		return;
	}
	nntp_reply(s, "224 overview information follows");
	buf_init(&b);
	over_cb(j->num, j->over, strlen(j->over), &b);
	buf_add(&b, ".\r\n", 3);
	nntp_write(s, b.data, b.len);
	buf_free(&b);
}

static void
overjob_free(void *arg)
{
	struct overjob	*j = arg;

	free(j->msgid);
	free(j->over);
	free(j);
}

void
nntp_cmd_over(struct session *s, int argc, char **argv)
{
	long long	lo, hi;
	int		legacy = toupper((unsigned char)argv[0][0]) == 'X';

	if (argc > 1 && nntp_is_msgid(argv[1])) {
		struct overjob	*j;

		if (legacy) {
			nntp_reply(s, "501 XOVER takes no message-id");
			return;
		}
		j = xcalloc(1, sizeof(*j));
		j->msgid = xstrdup(argv[1]);
		j->gid = s->gid;
		nntp_store_lookup(s, overjob_fetch, overjob_reply, overjob_free, j);
		return;
	}
	if (range_arg(s, argc > 1 ? argv[1] : NULL, &lo, &hi) == -1)
		return;
	range_stream(s, over_next, lo, hi, "224 overview information follows",
	    argc > 1 ? "423 no articles in that range" :
	    "420 current article number is invalid");
}

/* HDR / XHDR / XPAT */

/* The value of field (a header name, ":bytes" or ":lines") of an article. */
static char *
field_value(const char *field, const char *data, size_t head_len, size_t len)
{
	char	*v;

	if (!strcasecmp(field, ":bytes")) {
		xasprintf(&v, "%zu", len);
		return v;
	}
	if (!strcasecmp(field, ":lines")) {
		size_t	n = 0, i;

		for (i = head_len; i < len; i++)
			n += data[i] == '\n';
		xasprintf(&v, "%zu", n);
		return v;
	}
	return msg_header(data, head_len, field);
}

/* Where HDR's lines go: the stream's state, the output. */
struct hdrctx {
	struct stream	*st;
	struct buf	*out;
};

/* "num value" (HDR, XHDR) or, for XPAT, only when the value (NULL: no such header)
 * matches the pattern. */
static void
hdr_line(struct hdrctx *c, long long num, const char *v, size_t n)
{
	char	pfx[24], *p = pfx + sizeof(pfx), *z = NULL;
	unsigned long long u = (unsigned long long)num;

	if (c->st->kind == 2) {	/* XPAT: only matching lines */
		int	match = v != NULL && wildmat_match(z = xstrndup(v, n), c->st->arg2);

		free(z);
		if (!match)
			return;
	}
	*--p = ' ';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	buf_add(c->out, p, (size_t)(pfx + sizeof(pfx) - p));
	if (v != NULL)
		buf_add(c->out, v, n);
	buf_add(c->out, "\r\n", 2);
}

static int
hdr_cb(long long num, const char *data, size_t head_len, void *arg)
{
	struct hdrctx	*c = arg;
	char		*v;

	/* :bytes and :lines need the whole article; the row has head_len only. */
	v = msg_header(data, head_len, c->st->arg);
	hdr_line(c, num, v, v ? strlen(v) : 0);
	free(v);
	return 0;
}

/* Which overview field holds a header (fields 1..8 after the number), or -1: those
 * are answered from the overview, without reading the articles. */
static int
over_index(const char *name)
{
	const char	*f;
	size_t		 n;
	int		 i;

	for (i = 0; (f = nntp_overview_fmt[i]) != NULL; i++) {
		n = f[0] == ':' ? strlen(f) : strcspn(f, ":");	/* "Subject:", ":bytes" */
		if (!strncasecmp(name, f, n) && name[n] == '\0')
			return i;
	}
	return -1;
}

static int
hdr_meta_cb(long long num, const char *over, size_t len, void *arg)
{
	struct hdrctx	*c = arg;
	const char	*p = over, *end = over + len, *t;
	int		 i;

	for (i = 0; i < c->st->field && p != NULL; i++)
		if ((p = memchr(p, '\t', (size_t)(end - p))) != NULL)
			p++;
	if (p == NULL)
		return 0;
	if ((t = memchr(p, '\t', (size_t)(end - p))) == NULL)
		t = end;
	if (c->st->field == 7 && t - p >= 6 && !strncasecmp(p, "Xref: ", 6))
		p += 6;		/* Xref:full in the overview carries the name */
	/* An empty field is an absent header (XPAT matches nothing there). */
	hdr_line(c, num, p == t && c->st->kind == 2 ? NULL : p, (size_t)(t - p));
	return 0;
}

static int
hdr_fill(struct stream *st, struct store *store, struct buf *out)
{
	struct hdrctx	c = { st, out };
	long long	last;
	int		rc;

	if (!first_line(st, store, out))
		return 0;
	if (st->field >= 0)
		rc = store_over_range(store, st->gid, st->lo, st->hi, NNTP_SLICE_ROWS,
		    hdr_meta_cb, &c, &last);
	else
		rc = store_heads_range(store, st->gid, st->lo, st->hi, NNTP_SLICE_ROWS,
		    hdr_cb, &c, &last);
	if (rc == -1)
		return -1;
	return slice_fill(st, out, last);
}

static int
hdr_next(struct session *s)
{
	const struct ovgroup	*g;
	struct buf		 b;
	struct hdrctx		 c = { &s->stream, &b };
	size_t			 i, j, k;

	if (s->stream.field < 0 || (g = stream_ov(s)) == NULL)
		return nntp_stream_fill(s, hdr_fill);
	buf_init(&b);
	i = ov_find(g, s->stream.lo);
	j = ov_end(g, s->stream.hi);
	for (k = i; k < j && k - i < NNTP_SLICE_ROWS * 4; k++) {
		const char	*l = g->text + g->offs[k];
		const char	*f = (const char *)memchr(l, '\t',
		    g->offs[k + 1] - g->offs[k]) + 1;

		hdr_meta_cb(g->nums[k], f, (size_t)(g->text + g->offs[k + 1] - 2 - f), &c);
	}
	if (b.len > 0)
		nntp_write(s, b.data, b.len);
	buf_free(&b);
	return slice_sent(s, k < j ? g->nums[k] : 0);
}

/* HDR, XHDR, XPAT by Message-ID. */
struct hdrjob {
	int			 kind;
	char			*msgid, *field, *pat;
	int			 rc;
	struct store_article	 a;
};

static void
hdrjob_fetch(struct store *st, void *arg)
{
	struct hdrjob	*j = arg;

	j->rc = store_article_by_msgid(st, j->msgid, &j->a);
}

static void
hdrjob_reply(struct session *s, void *arg)
{
	struct hdrjob	*j = arg;
	char		*v;

	if (j->rc == -1) {
		nntp_reply(s, "403 internal fault");
		return;
	}
	if (j->rc != 0 || !j->a.live) {
		nntp_reply(s, "430 no article with that message-id");
		return;
	}
	/* RFC 3977 8.5.2: by message-id, the number is 0. */
	v = field_value(j->field, j->a.data, j->a.head_len, j->a.len);
	nntp_reply(s, "%s", j->kind == 0 ? "225 headers follow" : "221 headers follow");
	if (j->kind == 2) {
		if (v != NULL && wildmat_match(v, j->pat))
			nntp_reply(s, "%s %s", j->msgid, v);
	} else if (j->kind == 1)
		nntp_reply(s, "%s %s", j->msgid, v ? v : "");
	else
		nntp_reply(s, "0 %s", v ? v : "");
	nntp_write(s, ".\r\n", 3);
	free(v);
}

static void
hdrjob_free(void *arg)
{
	struct hdrjob	*j = arg;

	if (j->rc == 0)
		store_article_clear(&j->a);
	free(j->msgid);
	free(j->field);
	free(j->pat);
	free(j);
}

void
nntp_cmd_hdr(struct session *s, int argc, char **argv)
{
	int		 kind = !strcasecmp(argv[0], "HDR") ? 0 :
			    !strcasecmp(argv[0], "XHDR") ? 1 : 2;
	const char	*ok = kind == 0 ? "225 headers follow" : "221 headers follow";
	const char	*rangearg = argc > 2 ? argv[2] : NULL;
	long long	 lo, hi;

	if (kind == 2 && argc < 4) {
		nntp_reply(s, "501 XPAT header range|message-id pattern...");
		return;
	}
	if (kind != 2 && argc > 3) {
		nntp_reply(s, "501 too many arguments");
		return;
	}
	if (rangearg != NULL && nntp_is_msgid(rangearg)) {
		struct hdrjob	*j = xcalloc(1, sizeof(*j));

		j->kind = kind;
		j->msgid = xstrdup(rangearg);
		j->field = xstrdup(argv[1]);
		if (kind == 2)
			j->pat = xstrdup(nntp_rest_of_line(argc, argv, 3));
		j->rc = 1;
		nntp_store_lookup(s, hdrjob_fetch, hdrjob_reply, hdrjob_free, j);
		return;
	}
	if (range_arg(s, rangearg, &lo, &hi) == -1)
		return;
	range_stream(s, hdr_next, lo, hi, ok, rangearg ? "423 no articles in that range" :
	    "420 current article number is invalid");
	if (!s->streaming)
		return;
	s->stream.kind = kind;
	s->stream.arg = xstrdup(argv[1]);
	s->stream.field = over_index(argv[1]);
	if (kind == 2)		/* a pattern may hold spaces (as INN takes it) */
		s->stream.arg2 = xstrdup(nntp_rest_of_line(argc, argv, 3));
}
