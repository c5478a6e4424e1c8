/* fuzz_form.c: libFuzzer harness for form_field: the first line of the input is the
 * Content-Type, the rest the body (not NUL-terminated: the copy is exactly its size). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nl = memchr(data, '\n', size);
	char		*ctype, *body, out[64];
	size_t		 tl = nl ? (size_t)(nl - data) : size, bl = size - tl - (nl != NULL);
	int		 r;

	ctype = xstrndup((const char *)data, tl);
	body = xmalloc(bl ? bl : 1);
	memcpy(body, data + tl + (nl != NULL), bl);
	r = form_field(ctype, body, bl, "List-Unsubscribe", out, sizeof(out));
	if (r == 0 && strlen(out) >= sizeof(out))
		abort();
	r = form_field(ctype, body, bl, "q", out, 1);
	if (r == 0 && out[0] != '\0')
		abort();
	free(ctype);
	free(body);
	return 0;
}
