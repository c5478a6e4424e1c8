/* trim.c: trim an emailed reply down to what its author wrote. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "trim.h"

#define ATTR_MAX	300	/* longest attribution, both lines joined */
#define MOBILE_MAX	100	/* longest mobile footer line */
#define LOOSE_SIG_LINES	4	/* lines a bare "--" may have under it */

struct line {
	const char	*p;
	size_t		 len;
	int		 drop;
};

/* Attribution verbs, at the end ("Name wrote:") or inside ("Am ... schrieb Name:"). */
static const char *verbs[] = {
	"wrote", "writes", "schrieb", "a écrit", "escribió", "ha scritto", "schreef",
	"escreveu", "skrev", "kirjoitti", "napisał", NULL
};
/* How a dated attribution begins (en, de, fr, es, it, nl, pt, sv, pl). */
static const char *openers[] = {
	"on ", "am ", "le ", "el ", "il ", "op ", "em ", "den ", "w dniu ", NULL
};
/* Outlook's "-----Original Message-----", with the dashes stripped. */
static const char *originals[] = {
	"original message", "ursprüngliche nachricht", "message d'origine",
	"mensaje original", "messaggio originale", "oorspronkelijk bericht",
	"mensagem original", "ursprungligt meddelande", NULL
};
/* Outlook's header block: From:, then a date and a To:/Subject: within a few lines. */
static const char *hdr_from[] = { "from", "von", "de", "da", "van", "från", "od", NULL };
static const char *hdr_date[] = {
	"sent", "date", "gesendet", "datum", "envoyé", "enviado", "fecha", "inviato",
	"data", "verzonden", "skickat", "wysłano", NULL
};
static const char *hdr_to[] = {
	"to", "subject", "cc", "an", "betreff", "à", "À", "a", "objet", "para", "asunto",
	"oggetto", "aan", "onderwerp", "till", "ämne", "do", "temat", NULL
};
/* Footers mobile and webmail clients append. */
static const char *mobile[] = {
	"sent from my ", "sent from mail for windows", "sent from outlook",
	"sent from yahoo mail", "sent from the all new aol app", "sent from samsung",
	"sent via ", "sent with proton mail", "sent from proton mail", "get outlook for ",
	"von meinem ", "gesendet von ", "envoyé de mon ", "envoyé depuis mon ",
	"enviado desde mi ", "enviado do meu ", "inviato da ", "verzonden vanaf mijn ",
	"skickat från min ", NULL
};

/* Length of a (non-breaking) space at p, or 0. */
static size_t
space_at(const char *p, size_t len)
{
	if (len >= 1 && (p[0] == ' ' || p[0] == '\t'))
		return 1;
	if (len >= 2 && (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;			/* U+00A0 */
	if (len >= 3 && (unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
	    (unsigned char)p[2] == 0xaf)
		return 3;			/* U+202F, before French colons */
	return 0;
}

/* Length of a (non-breaking) space ending at p + len, or 0. */
static size_t
space_before(const char *p, size_t len)
{
	if (len >= 1 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		return 1;
	if (len >= 2 && space_at(p + len - 2, 2) == 2)
		return 2;
	if (len >= 3 && space_at(p + len - 3, 3) == 3)
		return 3;
	return 0;
}

static void
strip(const char **p, size_t *len)
{
	size_t	k;

	while ((k = space_at(*p, *len)) != 0) {
		*p += k;
		*len -= k;
	}
	while ((k = space_before(*p, *len)) != 0)
		*len -= k;
}

static int
is_blank(const struct line *l)
{
	const char	*p = l->p;
	size_t		 len = l->len;

	strip(&p, &len);
	return len == 0;
}

static int
is_quote(const struct line *l)
{
	return l->len > 0 && l->p[0] == '>';
}

static int
starts_with(const char *p, size_t len, const char *pre)
{
	size_t	n = strlen(pre);

	return len >= n && strncasecmp(p, pre, n) == 0;
}

static int
ends_with(const char *p, size_t len, const char *suf)
{
	size_t	n = strlen(suf);

	return len >= n && strncasecmp(p + len - n, suf, n) == 0;
}

static int
contains(const char *p, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(p + i, needle, n) == 0)
			return 1;
	return 0;
}

static int
starts_with_any(const char *p, size_t len, const char **list)
{
	for (; *list != NULL; list++)
		if (starts_with(p, len, *list))
			return 1;
	return 0;
}

/* A time such as 10:00 or 9:05:33. */
static int
has_time(const char *p, size_t len)
{
	size_t	i;

	for (i = 1; i + 2 < len; i++)
		if (p[i] == ':' && isdigit((unsigned char)p[i - 1]) &&
		    isdigit((unsigned char)p[i + 1]) && isdigit((unsigned char)p[i + 2]))
			return 1;
	return 0;
}

enum attr { ATTR_NO, ATTR_WEAK, ATTR_STRONG, ATTR_DATED };

/*
 * How surely p is an attribution line. WEAK: it ends in ':' and has a verb ("As Bob
 * wrote:"), good enough right above a trailing quote. STRONG: it also begins like a
 * dated attribution, names an address, or is Thunderbird's "X wrote on <date>:"; good
 * enough anywhere. DATED: it begins like a dated attribution and has a time; that much
 * marks an unquoted original below it.
 */
static enum attr
attribution(const char *p, size_t len)
{
	const char	**v;
	size_t		  n, k;
	int		  verb = 0, opener;

	strip(&p, &len);
	if (len == 0 || len > ATTR_MAX || p[len - 1] != ':')
		return ATTR_NO;
	n = len - 1;
	while ((k = space_before(p, n)) != 0)
		n -= k;
	for (v = verbs; *v != NULL && !verb; v++) {
		size_t	vl = strlen(*v);

		if (ends_with(p, n, *v) && (n == vl || space_before(p, n - vl) != 0))
			verb = 1;
		else {
			char	mid[32];

			snprintf(mid, sizeof(mid), " %s ", *v);
			verb = contains(p, n, mid);
		}
	}
	if (!verb)
		return ATTR_NO;
	opener = starts_with_any(p, len, openers);
	if (opener && has_time(p, n))
		return ATTR_DATED;
	if (opener || memchr(p, '@', n) != NULL || contains(p, n, " wrote on "))
		return ATTR_STRONG;
	return ATTR_WEAK;
}

/*
 * The attribution ending at line i, if any: its first line in *first and its strength.
 * A long one may be wrapped onto two lines ("On ..., Name <" / "a@b> wrote:"); the
 * first half must then begin like a dated one and hold a digit.
 */
static enum attr
attribution_at(const struct line *l, size_t i, size_t *first)
{
	enum attr	 a, a2;
	const char	*p, *q;
	size_t		 plen, qlen, k;
	char		 joined[ATTR_MAX + 2];

	if (is_quote(&l[i]) || (a = attribution(l[i].p, l[i].len)) == ATTR_NO)
		return ATTR_NO;
	*first = i;
	p = l[i].p;
	plen = l[i].len;
	strip(&p, &plen);
	if (i == 0 || starts_with_any(p, plen, openers) || is_quote(&l[i - 1]))
		return a;
	q = l[i - 1].p;
	qlen = l[i - 1].len;
	strip(&q, &qlen);
	if (qlen == 0 || qlen + 1 + plen > ATTR_MAX || !starts_with_any(q, qlen, openers) ||
	    q[qlen - 1] == ':')
		return a;
	for (k = 0; k < qlen && !isdigit((unsigned char)q[k]); k++)
		;
	if (k == qlen)
		return a;
	memcpy(joined, q, qlen);
	joined[qlen] = ' ';
	memcpy(joined + qlen + 1, p, plen);
	if ((a2 = attribution(joined, qlen + 1 + plen)) > a) {
		*first = i - 1;
		return a2;
	}
	return a;
}

/* The next line from i on (below end) that is not blank, or end. */
static size_t
next_nonblank(const struct line *l, size_t i, size_t end)
{
	while (i < end && is_blank(&l[i]))
		i++;
	return i;
}

static int
is_sig_separator(const struct line *l)
{
	return l->len == 3 && memcmp(l->p, "-- ", 3) == 0;
}

/* "--" after something stripped the space of "-- " (or added more). */
static int
is_loose_sig_separator(const struct line *l)
{
	const char	*p = l->p;
	size_t		 len = l->len;

	strip(&p, &len);
	return len == 2 && p[0] == '-' && p[1] == '-' && l->p[0] == '-';
}

/* "-----Original Message-----" and its translations. */
static int
is_original_marker(const struct line *l)
{
	const char	**o;
	const char	 *p = l->p;
	size_t		  len = l->len, lead = 0, trail = 0;

	strip(&p, &len);
	while (lead < len && p[lead] == '-')
		lead++;
	while (trail < len - lead && p[len - 1 - trail] == '-')
		trail++;
	if (lead < 3 || trail < 3)
		return 0;
	p += lead;
	len -= lead + trail;
	strip(&p, &len);
	for (o = originals; *o != NULL; o++)
		if (len == strlen(*o) && strncasecmp(p, *o, len) == 0)
			return 1;
	return 0;
}

/* Does l begin with one of keys as a header name ("From:", "*From:*", "De :")? */
static int
header_key(const struct line *l, const char **keys)
{
	const char	*p = l->p;
	size_t		 len = l->len, n, k;

	strip(&p, &len);
	if (len > 0 && *p == '*') {
		p++;
		len--;
	}
	for (; *keys != NULL; keys++) {
		n = strlen(*keys);
		if (len < n + 1 || strncasecmp(p, *keys, n) != 0)
			continue;
		if (p[n] == '*')
			n++;
		while ((k = space_at(p + n, len - n)) != 0)
			n += k;
		if (n < len && p[n] == ':')
			return 1;
	}
	return 0;
}

static int
is_outlook_header(const struct line *l, size_t i, size_t n)
{
	size_t	j;
	int	date = 0, to = 0;

	if (!header_key(&l[i], hdr_from))
		return 0;
	for (j = i + 1; j < n && j <= i + 6 && !is_blank(&l[j]); j++) {
		if (header_key(&l[j], hdr_date))
			date = 1;
		else if (header_key(&l[j], hdr_to))
			to = 1;
	}
	return date && to;
}

/* A rule of underscores, as Outlook puts above its header block. */
static int
is_underscores(const struct line *l)
{
	const char	*p = l->p;
	size_t		 len = l->len, i;

	strip(&p, &len);
	if (len < 8)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] != '_')
			return 0;
	return 1;
}

static int
is_mobile_footer(const struct line *l)
{
	const char	*p = l->p;
	size_t		 len = l->len;

	strip(&p, &len);
	return len <= MOBILE_MAX && starts_with_any(p, len, mobile);
}

/* Where the own text ends for good: a signature or an unquoted original. */
static size_t
hard_end(const struct line *l, size_t n)
{
	size_t	i, j, first;

	for (i = 0; i < n; i++) {
		if (is_quote(&l[i]))
			continue;
		if (is_sig_separator(&l[i]) || is_original_marker(&l[i]))
			return i;
		if (is_outlook_header(l, i, n)) {
			j = i;
			while (j > 0 && is_blank(&l[j - 1]))
				j--;
			if (j > 0 && is_underscores(&l[j - 1]))
				return j - 1;
			return i;
		}
		if (attribution_at(l, i, &first) == ATTR_DATED) {
			j = next_nonblank(l, i + 1, n);
			if (j == n || !is_quote(&l[j]))
				return first;
		}
	}
	return n;
}

static size_t
strip_blank_tail(const struct line *l, size_t end)
{
	while (end > 0 && is_blank(&l[end - 1]))
		end--;
	return end;
}

/* A bare "--" with at most LOOSE_SIG_LINES unquoted lines under it, or end. */
static size_t
loose_sig(const struct line *l, size_t end)
{
	size_t	i, n = 0;

	for (i = end; i > 0 && n <= LOOSE_SIG_LINES; i--) {
		if (is_quote(&l[i - 1]))
			break;
		if (is_loose_sig_separator(&l[i - 1]))
			return i - 1;
		if (!is_blank(&l[i - 1]))
			n++;
	}
	return end;
}

/* Peel trailing quotes with their attribution, footers and loose signatures. */
static size_t
soft_end(const struct line *l, size_t end)
{
	size_t	first, e;
	int	loose = 0;

	for (;;) {
		end = strip_blank_tail(l, end);
		if (end == 0)
			return 0;
		if (is_quote(&l[end - 1])) {
			while (end > 0 && (is_quote(&l[end - 1]) || is_blank(&l[end - 1])))
				end--;
			end = strip_blank_tail(l, end);
			if (end > 0 && attribution_at(l, end - 1, &first) != ATTR_NO)
				end = first;
			continue;
		}
		if (is_mobile_footer(&l[end - 1])) {
			end--;
			continue;
		}
		if (!loose && (e = loose_sig(l, end)) != end) {
			end = e;
			loose = 1;
			continue;
		}
		return end;
	}
}

/* Drop sure attributions that introduce interleaved quotes, with the blanks after. */
static void
drop_attributions(struct line *l, size_t end)
{
	size_t	i, j, first;

	for (i = 0; i < end; i++) {
		if (attribution_at(l, i, &first) < ATTR_STRONG)
			continue;
		j = next_nonblank(l, i + 1, end);
		if (j == end || !is_quote(&l[j]))
			continue;
		while (first < j)
			l[first++].drop = 1;
	}
}

char *
trim_reply(const char *text)
{
	struct line	*l = NULL;
	struct buf	 b;
	const char	*p, *nl;
	size_t		 n = 0, cap = 0, i, start, end;

	for (p = text; *p != '\0'; p = nl + 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			l = xreallocarray(l, cap, sizeof(*l));
		}
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		l[n].p = p;
		l[n].len = (size_t)(nl - p);
		if (l[n].len > 0 && p[l[n].len - 1] == '\r')
			l[n].len--;
		l[n].drop = 0;
		n++;
		if (*nl == '\0')
			break;
	}

	end = soft_end(l, hard_end(l, n));
	drop_attributions(l, end);
	for (start = 0; start < end && (l[start].drop || is_blank(&l[start])); start++)
		;

	buf_init(&b);
	for (i = start; i < end; i++) {
		if (l[i].drop)
			continue;
		buf_add(&b, l[i].p, l[i].len);
		buf_addc(&b, '\n');
	}
	free(l);
	return buf_steal(&b);
}
