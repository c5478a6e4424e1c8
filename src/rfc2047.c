/* rfc2047.c: RFC 2047 encoded words and RFC 5322 folding for header text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rfc2047.h"
#include "utf8.h"

/*
 * RFC 2047 §2 limits lines holding encoded words to 76 characters; we fold
 * every line there, which also keeps us under RFC 5322's 78.
 */
#define LINE_MAX_SOFT	76
#define LINE_MAX_HARD	998
#define EW_MAX		75
#define EW_OVERHEAD	12	/* "=?UTF-8?B?" + "?=" */
#define EW_MIN_PAYLOAD	16	/* don't start a tiny word at a line's end */

struct fold {
	struct buf	 b;
	size_t		 col;		/* octets on the current line */
	int		 first;		/* nothing written yet */
};

char *
header_sanitize(const char *utf8)
{
	const unsigned char	*s = (const unsigned char *)utf8;
	struct buf		 b;
	size_t			 len, i, adv;
	int32_t			 cp;
	int			 space = 0;

	buf_init(&b);
	if (s == NULL)
		return buf_steal(&b);
	len = strlen(utf8);
	for (i = 0; i < len; i += adv) {
		cp = utf8_next(s + i, len - i, &adv);
		if (cp == ' ' || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029) {
			if (cp >= 0)	/* whitespace and controls */
				space = 1;
			else {
				if (space && b.len > 0)
					buf_addc(&b, ' ');
				space = 0;
				buf_adds(&b, "\xef\xbf\xbd");
			}
			continue;
		}
		if (space && b.len > 0)
			buf_addc(&b, ' ');
		space = 0;
		buf_add(&b, s + i, adv);
	}
	return buf_steal(&b);
}

/* Put a token on the current line, or fold before it if it would not fit. */
static void
fold_add(struct fold *f, const char *tok, size_t len)
{
	if (!f->first) {
		if (f->col + 1 + len > LINE_MAX_SOFT) {
			buf_adds(&f->b, "\r\n ");
			f->col = 1;
		} else {
			buf_addc(&f->b, ' ');
			f->col++;
		}
	}
	buf_add(&f->b, tok, len);
	f->col += len;
	f->first = 0;
}

static int
q_literal(unsigned char c, enum rfc2047_ctx ctx)
{
	if (ctx == RFC2047_PHRASE)	/* RFC 2047 §5(3) */
		return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("!*+-/", c) != NULL;
	return c > 0x20 && c < 0x7f && c != '=' && c != '?' && c != '_';
}

static size_t
q_len(const unsigned char *s, size_t n, enum rfc2047_ctx ctx)
{
	size_t	i, l = 0;

	for (i = 0; i < n; i++)
		l += (s[i] == ' ' || q_literal(s[i], ctx)) ? 1 : 3;
	return l;
}

static size_t
b_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static void
ew_write(struct fold *f, const unsigned char *s, size_t n, int useb,
    enum rfc2047_ctx ctx)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char	 hex[] = "0123456789ABCDEF";
	char			 w[EW_MAX + 1];
	size_t			 i, l;
	uint32_t		 v;

	memcpy(w, useb ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
	l = 10;
	if (useb) {
		for (i = 0; i < n; i += 3) {
			v = (uint32_t)s[i] << 16;
			if (i + 1 < n)
				v |= (uint32_t)s[i + 1] << 8;
			if (i + 2 < n)
				v |= s[i + 2];
			w[l++] = b64[(v >> 18) & 63];
			w[l++] = b64[(v >> 12) & 63];
			w[l++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
			w[l++] = i + 2 < n ? b64[v & 63] : '=';
		}
	} else {
		for (i = 0; i < n; i++) {
			if (s[i] == ' ')
				w[l++] = '_';
			else if (q_literal(s[i], ctx))
				w[l++] = (char)s[i];
			else {
				w[l++] = '=';
				w[l++] = hex[s[i] >> 4];
				w[l++] = hex[s[i] & 15];
			}
		}
	}
	w[l++] = '?';
	w[l++] = '=';
	fold_add(f, w, l);
}

/* Encode a run of text as adjacent encoded words, filling lines. */
static void
ew_run(struct fold *f, const char *text, size_t len, enum rfc2047_ctx ctx)
{
	const unsigned char	*s = (const unsigned char *)text;
	size_t			 i, n, adv, avail, enc, cl;
	int			 useb;

	/* the shorter of B and Q; Q on a tie, as it reads better */
	useb = b_len(len) < q_len(s, len, ctx);
	i = 0;
	while (i < len) {
		avail = f->first ? LINE_MAX_SOFT - f->col :
		    LINE_MAX_SOFT - f->col - 1;
		if (f->col + 1 >= LINE_MAX_SOFT)
			avail = 0;
		if (avail > EW_MAX)
			avail = EW_MAX;
		enc = useb ? b_len(len - i) : q_len(s + i, len - i, ctx);
		utf8_next(s + i, len - i, &adv);
		cl = useb ? b_len(adv) : q_len(s + i, adv, ctx);
		if (EW_OVERHEAD + enc > avail &&
		    (avail < EW_OVERHEAD + EW_MIN_PAYLOAD ||
		    avail < EW_OVERHEAD + cl)) {
			/* fold first; also at the start if `used` is huge */
			buf_adds(&f->b, "\r\n ");
			f->col = 1;
			f->first = 1;	/* no space after the fold */
			avail = EW_MAX;
		}
		/* take whole characters while they fit */
		for (n = 0; i + n < len; n += adv) {
			utf8_next(s + i + n, len - i - n, &adv);
			cl = useb ? b_len(n + adv) :
			    q_len(s + i, n + adv, ctx);
			if (n > 0 && EW_OVERHEAD + cl > avail)
				break;
		}
		ew_write(f, s + i, n, useb, ctx);
		i += n;
	}
}

static int
needs_ew(const char *w, size_t len, size_t extra, size_t maxword)
{
	size_t	i;

	if (len + extra > maxword)
		return 1;
	for (i = 0; i < len; i++) {
		if ((unsigned char)w[i] >= 0x80)
			return 1;
		if (w[i] == '=' && i + 1 < len && w[i + 1] == '?')
			return 1;
	}
	return 0;
}

static void
encode_text(struct fold *f, const char *s, size_t maxword)
{
	const char	*p = s, *e, *run = NULL, *runend = NULL;
	size_t		 len;

	for (;;) {
		e = strchr(p, ' ');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (needs_ew(p, len, 0, maxword)) {
			if (run == NULL)
				run = p;
			runend = p + len;
		} else {
			if (run != NULL)
				ew_run(f, run, (size_t)(runend - run),
				    RFC2047_TEXT);
			run = NULL;
			fold_add(f, p, len);
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (run != NULL)
		ew_run(f, run, (size_t)(runend - run), RFC2047_TEXT);
}

static void
encode_phrase(struct fold *f, const char *s, size_t maxword)
{
	struct buf	 q;
	const char	*p, *e;
	size_t		 len, i, esc;
	int		 special = 0;

	for (p = s; *p != '\0'; p = e != NULL ? e + 1 : p + len) {
		e = strchr(p, ' ');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = esc = 0; i < len; i++)
			if (p[i] == '"' || p[i] == '\\')
				esc++;
		if (needs_ew(p, len, esc, maxword)) {
			ew_run(f, s, strlen(s), RFC2047_PHRASE);
			return;
		}
		if (e == NULL)
			break;
	}
	if (strpbrk(s, "()<>[]:;@\\,.\"") != NULL)
		special = 1;
	if (!special) {
		encode_text(f, s, maxword);
		return;
	}
	/* quoted-string; folding at its spaces is FWS and unfolds back */
	buf_init(&q);
	buf_addc(&q, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == ' ') {
			fold_add(f, q.data, q.len);
			buf_reset(&q);
			continue;
		}
		if (*p == '"' || *p == '\\')
			buf_addc(&q, '\\');
		buf_addc(&q, *p);
	}
	buf_addc(&q, '"');
	fold_add(f, q.data, q.len);
	buf_free(&q);
}

char *
rfc2047_encode(const char *utf8, enum rfc2047_ctx ctx, size_t used)
{
	struct fold	 f;
	char		*s;
	size_t		 maxword;

	s = header_sanitize(utf8);
	buf_init(&f.b);
	f.col = used;
	f.first = 1;
	/* a bare word must fit on a line of its own (or the first one) */
	maxword = LINE_MAX_HARD - (used > 1 ? (used < 900 ? used : 900) : 1);
	if (ctx == RFC2047_PHRASE)
		maxword -= 2;	/* room for quotes */
	if (*s != '\0') {
		if (ctx == RFC2047_PHRASE)
			encode_phrase(&f, s, maxword);
		else
			encode_text(&f, s, maxword);
	}
	free(s);
	return buf_steal(&f.b);
}
