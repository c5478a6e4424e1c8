/* fuzz_wildmat.c: libFuzzer harness for wildmat_match/wildmat_valid.
 * Input: TEXT NUL WILDMAT (no NUL: the whole input is the wildmat, text empty). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wildmat.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Reference: the obvious recursive matcher, for short inputs only.  Characters
 * are as in wildmat.c: a well-formed UTF-8 sequence, or one stray octet. */
static size_t
ref_char(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 1;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 1;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 1;
	return n;
}

static int
ref_pat(const unsigned char *t, const unsigned char *p, const unsigned char *pe)
{
	size_t	 n;

	if (p == pe)
		return *t == '\0';
	if (*p == '*') {
		for (;;) {
			if (ref_pat(t, p + 1, pe))
				return 1;
			if (*t == '\0')
				return 0;
			t += ref_char(t);
		}
	}
	if (*t == '\0')
		return 0;
	if (*p == '?')
		return ref_pat(t + ref_char(t), p + 1, pe);
	n = ref_char(p);
	if (p + n > pe || n != ref_char(t) || memcmp(p, t, n) != 0)
		return 0;
	return ref_pat(t + n, p + n, pe);
}

static int
ref_match(const char *text, const char *wildmat)
{
	const unsigned char *s = (const unsigned char *)wildmat, *e;
	int	 result = 0, neg;

	for (;;) {
		e = s;
		while (*e != '\0' && *e != ',')
			e++;
		neg = s < e && *s == '!';
		if (ref_pat((const unsigned char *)text, s + neg, e))
			result = !neg;
		if (*e == '\0')
			return result;
		s = e + 1;
	}
}

static int
stars(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		n += *s == '*';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	char	*text, *pat;
	size_t	 tlen, plen;
	int	 m, m2;

	if (size > 4096)
		return 0;	/* O(n*m): keep runs quick */
	nul = memchr(data, '\0', size);
	if (nul != NULL) {
		tlen = (size_t)(nul - data);
		plen = size - tlen - 1;
	} else {
		tlen = 0;
		plen = size;
	}
	if ((text = malloc(tlen + 1)) == NULL || (pat = malloc(plen + 1)) == NULL)
		abort();
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	memcpy(pat, nul != NULL ? nul + 1 : data, plen);
	pat[plen] = '\0';	/* a further NUL just ends the pattern early */

	m = wildmat_match(text, pat);
	if (m != 0 && m != 1)
		abort();
	(void)wildmat_valid(pat);
	/* Same answer as the reference (kept short: it is exponential). */
	if (tlen <= 24 && plen <= 24 && stars(pat) <= 5 && m != ref_match(text, pat))
		abort();
	/* Invariants: "*" matches everything; a text always matches itself when it
	 * holds no wildmat specials. */
	if (!wildmat_match(text, "*"))
		abort();
	if (strpbrk(text, "*?,!") == NULL && !wildmat_match(text, text))
		abort();
	/* Appending a negation of everything always yields no match. */
	m2 = 0;
	{
		size_t	 l = strlen(pat);
		char	*p2 = malloc(l + 4);

		if (p2 == NULL)
			abort();
		memcpy(p2, pat, l);
		memcpy(p2 + l, ",!*", 4);
		m2 = wildmat_match(text, p2);
		free(p2);
	}
	if (m2 != 0)
		abort();
	free(text);
	free(pat);
	return 0;
}
