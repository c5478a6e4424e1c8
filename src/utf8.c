/* utf8.c: well-formed UTF-8 sequences, the one decoder the parsers share. */
#include "utf8.h"

size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)
		return 0;
	if (s[0] < 0xe0)
		n = 2;
	else if (s[0] < 0xf0) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* no overlongs */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* no surrogates */
	} else if (s[0] < 0xf5) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* no overlongs */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* nothing above U+10FFFF */
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t	i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return 0;
	return 1;
}

int32_t
utf8_next(const unsigned char *s, size_t len, size_t *adv)
{
	static const unsigned char	mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	size_t				n = utf8_seq(s, len), i;
	uint32_t			cp;

	*adv = n ? n : 1;
	if (n == 0)
		return -1;
	cp = s[0] & mask[n];
	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return (int32_t)cp;
}
