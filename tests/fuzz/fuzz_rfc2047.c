/* fuzz_rfc2047.c: libFuzzer harness for header encoding and sanitizing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rfc2047.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum rfc2047_ctx	 ctx;
	char			*in, *out, *p;
	size_t			 used;

	if (size < 1)
		return 0;
	ctx = (data[0] & 1) ? RFC2047_PHRASE : RFC2047_TEXT;
	used = data[0] >> 1;
	in = xstrndup((const char *)data + 1, size - 1);
	out = rfc2047_encode(in, ctx, used);
	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80 || *p == '\0')
			abort();
		if (*p == '\r' && (p[1] != '\n' || p[2] != ' '))
			abort();
		if (*p == '\n' && (p == out || p[-1] != '\r'))
			abort();
	}
	free(out);
	free(header_sanitize(in));
	free(in);
	return 0;
}
