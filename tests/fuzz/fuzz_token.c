/* fuzz_token.c: libFuzzer harness for token_parse, mailaddr_parse and the round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "token.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t
take(const uint8_t **p, size_t *n, size_t k)
{
	uint64_t	v = 0;

	while (k-- > 0 && *n > 0) {
		v = v << 8 | **p;
		(*p)++;
		(*n)--;
	}
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	 key[SECRET_LEN] = { 1, 2, 3, 4, 5 };
	struct token_keys	 ring;
	struct token		 t, got;
	struct mailaddr		 ma;
	const uint8_t		*p = data;
	size_t			 n = size;
	char			*in, *s, *a;
	int			 r;

	token_keys_init(&ring, 0, key);
	token_keys_add(&ring, 7, key);

	/* arbitrary text: must not crash, and must never verify (no key is known) */
	in = xstrndup((const char *)data, size);
	r = token_parse(in, &ring, 0, &got);
	if (r == 0 || r == -2) {
		/* only possible if the input is a genuine token: check it is one */
		if ((s = token_make(&got, key)) == NULL || strcasecmp(s, in) != 0)
			abort();
		free(s);
	}
	if (mailaddr_parse(in, "lists.example.test", &ma) == 0) {
		if (ma.kind <= MAILADDR_UNSUB && strlen(ma.token) < TOKEN_MINLEN)
			abort();
		if (ma.kind > MAILADDR_UNSUB && ma.group[0] == '\0')
			abort();
	}
	free(in);

	/* round trip: fields from the input */
	t.kind = (enum token_kind)(take(&p, &n, 1) & 3);
	t.key_id = (int)(take(&p, &n, 1) & 1 ? 7 : 0);
	t.subscriber = (long long)(take(&p, &n, 8) >> (take(&p, &n, 1) & 63));
	t.article = (long long)(take(&p, &n, 8) >> (take(&p, &n, 1) & 63));
	t.group = (long long)(take(&p, &n, 8) >> (take(&p, &n, 1) & 63));
	t.expires = (time_t)(take(&p, &n, 8) >> (take(&p, &n, 1) & 63));
	if ((s = token_make(&t, key)) == NULL)
		return 0;
	if (strlen(s) < TOKEN_MINLEN || strlen(s) > TOKEN_MAXLEN)
		abort();
	r = token_parse(s, &ring, t.expires - 1, &got);
	if (r != 0 || got.kind != t.kind || got.key_id != t.key_id ||
	    got.subscriber != t.subscriber || got.article != t.article ||
	    got.group != t.group || got.expires != t.expires)
		abort();
	if (token_parse(s, &ring, t.expires, &got) != -2)
		abort();
	a = mailaddr_make((enum mailaddr_kind)t.kind, s, "lists.example.test");
	if (strchr(a, '@') - a > MAILADDR_LOCALMAX ||
	    mailaddr_parse(a, "LISTS.example.test", &ma) != 0 ||
	    ma.tkind != t.kind || strcmp(ma.token, s) != 0)
		abort();
	free(a);
	free(s);
	return 0;
}
