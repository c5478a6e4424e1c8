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
	struct session	*s = arg;
	char		 pfx[32];
	int		 n = snprintf(pfx, sizeof(pfx), "%lld\t", num);

	nntp_write(s, pfx, (size_t)n);
	nntp_write(s, over, len);
	nntp_write(s, "\r\n", 2);
	return 0;
}

/* The first line of the kept overview g after article number hi (ranges end at most
 * at 1 << 62: nntp_parse_range). */
static size_t
ov_end(const struct ovgroup *g, long long hi)
{
	return ov_find(g, hi + 1);
}

/* A slice was sent; next is the first article number after it, 0 if there was none:
 * 1 with the stream moved on, or 0 with the final "." when the range is done. */
static int
slice_next(struct session *s, long long next)
{
	if (next == 0 || next > s->stream.hi) {
		nntp_write(s, ".\r\n", 3);
		return 0;
	}
	s->stream.lo = next;
	return 1;
}

static int
over_next(struct session *s)
{
	const struct ovgroup	*g;
	long long		 last;
	size_t			 i, j, k;

	if ((g = ov_get(s->srv->ov, s->srv->store, s->stream.gid)) != NULL) {
		/* A run of whole lines, copied at once. */
		i = ov_find(g, s->stream.lo);
		j = ov_end(g, s->stream.hi);
		for (k = i; k < j && g->offs[k + 1] - g->offs[i] <= NNTP_SLICE_BYTES; k++)
			;
		if (k == i && k < j)
			k++;
		nntp_write(s, g->text + g->offs[i], g->offs[k] - g->offs[i]);
		return slice_next(s, k < j ? g->nums[k] : 0);
	}
	if (store_over_range(s->srv->store, s->stream.gid, s->stream.lo, s->stream.hi,
	    NNTP_SLICE_ROWS, over_cb, s, &last) == -1)
		return -1;
	return slice_next(s, last < s->stream.lo ? 0 : last + 1);
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

/* Is any live article in lo..hi? */
static int
range_has(struct session *s, long long lo, long long hi)
{
	const struct ovgroup	*g;
	long long		 n;

	if (hi < lo)
		return 0;
	if ((g = ov_get(s->srv->ov, s->srv->store, s->gid)) != NULL)
		return ov_find(g, lo) < ov_end(g, hi);
	if (store_article_step(s->srv->store, s->gid, lo - 1, 1, &n) != 0)
		return 0;
	return n <= hi;
}

void
nntp_cmd_over(struct session *s, int argc, char **argv)
{
	long long	lo, hi, num = 0;
	char		*over;
	int		legacy = toupper((unsigned char)argv[0][0]) == 'X';

	if (argc > 1 && nntp_is_msgid(argv[1])) {
		if (legacy) {
			nntp_reply(s, "501 XOVER takes no message-id");
			return;
		}
		if (store_over_msgid(s->srv->store, argv[1], &over) != 0) {
			nntp_reply(s, "430 no article with that message-id");
			return;
		}
		if (s->gid != 0)
			store_article_num(s->srv->store, s->gid, argv[1], &num);
		nntp_reply(s, "224 overview information follows");
		over_cb(num, over, strlen(over), s);
		nntp_write(s, ".\r\n", 3);
		free(over);
		return;
	}
	if (range_arg(s, argc > 1 ? argv[1] : NULL, &lo, &hi) == -1)
		return;
	if (!range_has(s, lo, hi)) {
		nntp_reply(s, argc > 1 ? "423 no articles in that range" :
		    "420 current article number is invalid");
		return;
	}
	nntp_reply(s, "224 overview information follows");
	memset(&s->stream, 0, sizeof(s->stream));
	s->stream.next = over_next;
	s->stream.gid = s->gid;
	s->stream.lo = lo;
	s->stream.hi = hi;
	nntp_stream_start(s);
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

/* "num value" (HDR, XHDR) or, for XPAT, only when the value (NULL: no such header)
 * matches the pattern. */
static void
hdr_line(struct session *s, long long num, const char *v, size_t n)
{
	char	pfx[24], *p = pfx + sizeof(pfx), *z = NULL;
	unsigned long long u = (unsigned long long)num;

	if (s->stream.kind == 2) {	/* XPAT: only matching lines */
		int	match = v != NULL && wildmat_match(z = xstrndup(v, n), s->stream.arg2);

		free(z);
		if (!match)
			return;
	}
	*--p = ' ';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	nntp_write(s, p, (size_t)(pfx + sizeof(pfx) - p));
	if (v != NULL)
		nntp_write(s, v, n);
	nntp_write(s, "\r\n", 2);
}

static int
hdr_cb(long long num, const char *data, size_t head_len, void *arg)
{
	struct session	*s = arg;
	char		*v;

	/* :bytes and :lines need the whole article; the row has head_len only. */
	v = msg_header(data, head_len, s->stream.arg);
	hdr_line(s, num, v, v ? strlen(v) : 0);
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
	struct session	*s = arg;
	const char	*p = over, *end = over + len, *t;
	int		 i;

	for (i = 0; i < s->stream.field && p != NULL; i++)
		if ((p = memchr(p, '\t', (size_t)(end - p))) != NULL)
			p++;
	if (p == NULL)
		return 0;
	if ((t = memchr(p, '\t', (size_t)(end - p))) == NULL)
		t = end;
	if (s->stream.field == 7 && t - p >= 6 && !strncasecmp(p, "Xref: ", 6))
		p += 6;		/* Xref:full in the overview carries the name */
	/* An empty field is an absent header (XPAT matches nothing there). */
	hdr_line(s, num, p == t && s->stream.kind == 2 ? NULL : p, (size_t)(t - p));
	return 0;
}

static int
hdr_next(struct session *s)
{
	const struct ovgroup	*g;
	long long		 last;
	size_t			 i, j, k;
	int			 rc;

	if (s->stream.field >= 0 &&
	    (g = ov_get(s->srv->ov, s->srv->store, s->stream.gid)) != NULL) {
		i = ov_find(g, s->stream.lo);
		j = ov_end(g, s->stream.hi);
		for (k = i; k < j && k - i < NNTP_SLICE_ROWS * 4; k++) {
			const char	*l = g->text + g->offs[k];
			const char	*f = (const char *)memchr(l, '\t',
			    g->offs[k + 1] - g->offs[k]) + 1;

			hdr_meta_cb(g->nums[k], f, (size_t)(g->text + g->offs[k + 1] - 2 - f), s);
		}
		return slice_next(s, k < j ? g->nums[k] : 0);
	}
	if (s->stream.field >= 0)
		rc = store_over_range(s->srv->store, s->stream.gid, s->stream.lo, s->stream.hi,
		    NNTP_SLICE_ROWS, hdr_meta_cb, s, &last);
	else
		rc = store_heads_range(s->srv->store, s->stream.gid, s->stream.lo,
		    s->stream.hi, NNTP_SLICE_ROWS, hdr_cb, s, &last);
	if (rc == -1)
		return -1;
	return slice_next(s, last < s->stream.lo ? 0 : last + 1);
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
		struct store_article	a;
		char			*v;
		int			 rc;

		memset(&a, 0, sizeof(a));
		if ((rc = store_article_by_msgid(s->srv->store, rangearg, &a)) == -1) {
			nntp_reply(s, "403 internal fault");
			return;
		}
		if (rc != 0 || !a.live) {
			if (rc == 0)
				store_article_clear(&a);
			nntp_reply(s, "430 no article with that message-id");
			return;
		}
		/* RFC 3977 8.5.2: by message-id, the number is 0. */
		v = field_value(argv[1], a.data, a.head_len, a.len);
		nntp_reply(s, "%s", ok);
		if (kind == 2) {
			if (v != NULL && wildmat_match(v, nntp_rest_of_line(argc, argv, 3)))
				nntp_reply(s, "%s %s", rangearg, v);
		} else if (kind == 1)
			nntp_reply(s, "%s %s", rangearg, v ? v : "");
		else
			nntp_reply(s, "0 %s", v ? v : "");
		nntp_write(s, ".\r\n", 3);
		free(v);
		store_article_clear(&a);
		return;
	}
	if (range_arg(s, rangearg, &lo, &hi) == -1)
		return;
	if (!range_has(s, lo, hi)) {
		nntp_reply(s, rangearg ? "423 no articles in that range" :
		    "420 current article number is invalid");
		return;
	}
	nntp_reply(s, "%s", ok);
	memset(&s->stream, 0, sizeof(s->stream));
	s->stream.next = hdr_next;
	s->stream.gid = s->gid;
	s->stream.lo = lo;
	s->stream.hi = hi;
	s->stream.kind = kind;
	s->stream.arg = xstrdup(argv[1]);
	s->stream.field = over_index(argv[1]);
	if (kind == 2)		/* a pattern may hold spaces (as INN takes it) */
		s->stream.arg2 = xstrdup(nntp_rest_of_line(argc, argv, 3));
	nntp_stream_start(s);
}
