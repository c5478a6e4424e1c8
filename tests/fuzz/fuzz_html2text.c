/* fuzz_html2text.c: libFuzzer harness for the HTML to flowed text converter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html2text.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
	}
	free(out);
	s = xstrndup((const char *)data + 1, size - 1);
	free(html_entities_decode(s));
	free(s);
	return 0;
}
