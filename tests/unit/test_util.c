/* test_util.c: the growable buffer and allocation helpers. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"

int
main(void)
{
	struct buf	 b;
	char		*s;
	int		 i;

	buf_init(&b);
	ok(b.len == 0 && b.data == NULL, "empty buffer");
	buf_adds(&b, "abc");
	buf_addc(&b, 'd');
	buf_printf(&b, "%d-%s", 42, "x");
	is_str(b.data, "abcd42-x", "adds, addc and printf append");
	is_int(b.len, 8, "length tracks content");
	for (i = 0; i < 10000; i++)
		buf_addc(&b, 'z');
	is_int(b.len, 10008, "grows past many doublings");
	ok(b.data[b.len] == '\0', "always NUL-terminated");
	buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	buf_add(&b, "a\0b", 3);
	is_int(b.len, 3, "binary-safe add");
	ok(memcmp(b.data, "a\0b", 3) == 0, "binary content kept");
	s = buf_steal(&b);
	ok(b.data == NULL && b.len == 0, "steal resets the buffer");
	free(s);
	s = buf_steal(&b);
	is_str(s, "", "steal of an empty buffer gives an empty string");
	free(s);
	xasprintf(&s, "%s/%d", "p", 7);
	is_str(s, "p/7", "xasprintf");
	free(s);
	s = xstrndup("abcdef", 3);
	is_str(s, "abc", "xstrndup");
	free(s);

	is_int(backoff(30, 0, 3600, -1, 0), 30, "backoff: the base first");
	is_int(backoff(30, 3, 3600, -1, 0), 240, "backoff: doubled per failure");
	is_int(backoff(30, 40, 3600, -1, 0), 3600, "backoff: at most the cap");
	is_int(backoff(30, 1, 3600, 500, 0), 500, "backoff: at least Retry-After");
	is_int(backoff(0, 0, 3600, -1, 0), 1, "backoff: never under a second");
	{
		long	lo = 1000, hi = 0, v;

		for (i = 0; i < 2000; i++) {
			v = backoff(1000, 0, 3600, -1, 20);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		ok(lo >= 900 && hi <= 1100 && lo < 980 && hi > 1020,
		    "backoff: jitter of 20 spreads over +-10%% (%ld..%ld)", lo, hi);
	}
	return tap_done();
}
