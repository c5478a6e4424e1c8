/* fuzz_trim.c: libFuzzer harness for reply trimming. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "trim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
blank(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	return 1;
}

/* The line at p: its length without LF (and, if crlf, a CR before it); *next is the
 * line after. */
static size_t
line(const char *p, int crlf, const char **next)
{
	const char	*nl = strchr(p, '\n');
	size_t		 len;

	if (nl == NULL)
		nl = p + strlen(p);
	*next = *nl == '\n' ? nl + 1 : nl;
	len = (size_t)(nl - p);
	if (crlf && len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in, *out;
	const char	*o, *i, *onext, *inext, *lastline = NULL;
	size_t		 olen, ilen, lastlen = 0;

	in = xstrndup((const char *)data, size);
	out = trim_reply(in);

	/* every output line is an input line, in order; each ends in LF */
	for (o = out, i = in; *o != '\0'; o = onext) {
		olen = line(o, 0, &onext);
		if (o[olen] != '\n')
			abort();
		if (o == out && blank(o, olen))
			abort();		/* no leading blank line */
		for (;;) {
			if (*i == '\0')
				abort();	/* not an input line, or out of order */
			ilen = line(i, 1, &inext);
			if (ilen == olen && memcmp(i, o, olen) == 0) {
				i = inext;
				break;
			}
			i = inext;
		}
		lastline = o;
		lastlen = olen;
	}
	if (lastline != NULL && blank(lastline, lastlen))
		abort();			/* no trailing blank line */
	free(out);
	free(in);
	return 0;
}
