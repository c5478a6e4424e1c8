/* fuzz_html2text.c: libFuzzer harness for the HTML to flowed text converter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html2text.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
valid_utf8(const unsigned char *s)
{
	size_t	n, k;

	for (; *s != '\0'; s += n) {
		if (*s < 0x80)
			n = 1;
		else if (*s >= 0xc2 && *s <= 0xdf)
			n = 2;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4;
		else
			return 0;
		for (k = 1; k < n; k++)
			if ((s[k] & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*out, *s, *l, *e;
	int	 width;

	if (size < 1)
		return 0;
	width = data[0];
	out = html2text((const char *)data + 1, size - 1, width);
	/* every line ends in LF and stays within 998 octets */
	for (l = out; *l != '\0'; l = e + 1) {
		if ((e = strchr(l, '\n')) == NULL || e - l > 998)
			abort();
		if (e > l && e[-1] == ' ' && e[1] == '\n')
			abort();	/* soft break before a paragraph end */
	}
	if (!valid_utf8((const unsigned char *)out))
		abort();
	free(out);
	s = xstrndup((const char *)data + 1, size - 1);
	free(html_entities_decode(s));
	free(s);
	return 0;
}
