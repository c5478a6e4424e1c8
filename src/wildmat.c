/* wildmat.c: RFC 3977 section 4 wildmat matching and validation.
 *
 * Matching walks the patterns right to left: the first (i.e. rightmost) pattern
 * that matches decides.  Each pattern is matched with the classic iterative
 * algorithm that remembers only the most recent "*" and, on a mismatch, lets that
 * star swallow one more character.  Remembering just the last star is enough
 * (an earlier star can never need to grow once a later one has been reached), so
 * the worst case is O(n * m), e.g. "*a*a*a*a*a*b" against a long run of "a".
 *
 * Every step ("*", "?" and a literal alike) advances the text by whole
 * characters, so the text is only ever looked at on the boundaries of its one
 * left-to-right segmentation into characters (a well-formed UTF-8 sequence, or
 * else one stray octet).  That keeps the last-star argument sound even for
 * malformed UTF-8, and means a literal never matches half a character.
 */
#include <stddef.h>
#include <string.h>

#include "utf8.h"
#include "wildmat.h"

/* Octets of the character at s: a malformed octet is a character of its own. */
static size_t
u8_char(const unsigned char *s, const unsigned char *e)
{
	size_t	 n = utf8_seq(s, (size_t)(e - s));

	return n ? n : 1;
}

/* Does text [t, te) match the single pattern [p, pe)?  Anchored both ends. */
static int
match_pattern(const unsigned char *t, const unsigned char *te,
    const unsigned char *p, const unsigned char *pe)
{
	const unsigned char *star_p = NULL, *star_t = NULL;
	size_t	 n;

	while (t < te) {
		if (p < pe && *p == '*') {
			/* Any earlier star is forgotten: this one covers for it. */
			while (p < pe && *p == '*')
				p++;
			if (p == pe)
				return 1;	/* trailing star eats the rest */
			star_p = p;
			star_t = t;
			continue;
		}
		if (p < pe && *p == '?') {
			p++;
			t += u8_char(t, te);
			continue;
		}
		/* A literal character (never half of one) must be the same. */
		if (p < pe && (n = u8_char(p, pe)) == u8_char(t, te) &&
		    memcmp(p, t, n) == 0) {
			p += n;
			t += n;
			continue;
		}
		if (star_p == NULL)
			return 0;
		/* Let the last star swallow one more character and retry. */
		star_t += u8_char(star_t, te);
		t = star_t;
		p = star_p;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

int
wildmat_match(const char *text, const char *wildmat)
{
	const unsigned char *t = (const unsigned char *)text;
	const unsigned char *te = t + strlen(text);
	const unsigned char *w = (const unsigned char *)wildmat;
	const unsigned char *end = w + strlen(wildmat), *start;
	int	 neg;

	/* Walk patterns from the right; the first that matches decides. */
	for (;;) {
		start = end;
		while (start > w && start[-1] != ',')
			start--;
		neg = start < end && *start == '!';
		if (match_pattern(t, te, start + neg, end))
			return !neg;
		if (start == w)
			return 0;
		end = start - 1;	/* skip the comma */
	}
}

/* RFC 3977 wildmat-exact (ASCII part) or wildmat-wild. */
static int
ascii_item(unsigned char c)
{
	if (c == '*' || c == '?')
		return 1;
	return (c >= 0x22 && c <= 0x29) || c == 0x2b ||
	    (c >= 0x2d && c <= 0x3e) || (c >= 0x40 && c <= 0x5a) ||
	    (c >= 0x5e && c <= 0x7e);
}

int
wildmat_valid(const char *wildmat)
{
	const unsigned char *s, *e;
	size_t	 n;
	int	 items = 0;	/* items in the current pattern */

	if (wildmat == NULL)
		return 0;
	s = (const unsigned char *)wildmat;
	e = s + strlen(wildmat);
	if (s < e && *s == '!')
		s++;		/* extension: the first pattern may be negated */
	while (s < e) {
		if (*s == ',') {
			if (items == 0)
				return 0;	/* empty pattern */
			items = 0;
			s++;
			if (s < e && *s == '!')
				s++;
			continue;
		}
		if (*s < 0x80) {
			if (!ascii_item(*s))
				return 0;
			s++;
		} else {
			if ((n = utf8_seq(s, (size_t)(e - s))) == 0)
				return 0;
			s += n;
		}
		items++;
	}
	return items > 0;
}
