/* test_token.c: signed tokens and list addresses. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "token.h"
#include "tap.h"

static unsigned char	key1[SECRET_LEN], key2[SECRET_LEN];
static const time_t	NOW = 1735689600;	/* 2025-01-01 */

static int
same(const struct token *a, const struct token *b)
{
	return a->kind == b->kind && a->subscriber == b->subscriber &&
	    a->article == b->article && a->group == b->group &&
	    a->expires == b->expires && a->key_id == b->key_id;
}

static void
test_roundtrip(void)
{
	struct token_keys	 ring;
	struct token		 t, got;
	enum token_kind		 k;
	char			*s;
	size_t			 i;
	int			 allshort = 1, alllower = 1, allfit = 1, allsame = 1;
	const char		*names[] = { "reply", "bounce", "confirm", "unsubscribe" };

	token_keys_init(&ring, 1, key1);
	for (k = TOK_REPLY; k <= TOK_UNSUB; k++) {
		t = (struct token){ .kind = k, .subscriber = 4711, .article = 123456,
		    .group = 17, .expires = NOW + 30 * 86400, .key_id = 1 };
		s = token_make(&t, key1);
		ok(s != NULL, "make %s", names[k]);
		if (s == NULL)
			continue;
		memset(&got, 0, sizeof(got));
		is_int(token_parse(s, &ring, NOW, &got), 0, "parse %s: %s (%zu chars)",
		    names[k], s, strlen(s));
		allsame &= same(&t, &got);
		allshort &= strlen(s) <= 40;
		allfit &= strlen(names[k]) + 1 + strlen(s) <= 64;
		for (i = 0; s[i]; i++)
			alllower &= islower((unsigned char)s[i]) ||
			    (s[i] >= '2' && s[i] <= '7');
		free(s);
	}
	ok(allsame, "all fields round trip for every kind");
	ok(allshort, "typical tokens are at most 40 characters");
	ok(alllower, "tokens are lowercase base32");
	ok(allfit, "prefix+token fits a 64-octet local part");

	/* extremes that still fit */
	t = (struct token){ .kind = TOK_REPLY, .subscriber = 0, .article = 0, .group = 0,
	    .expires = 1, .key_id = 0 };
	token_keys_init(&ring, 0, key1);
	s = token_make(&t, key1);
	ok(s != NULL && strlen(s) == TOKEN_MINLEN, "smallest token is TOKEN_MINLEN long");
	is_int(token_parse(s, &ring, 0, &got), 0, "smallest token parses");
	ok(same(&t, &got), "smallest token round trips");
	free(s);
	t = (struct token){ .kind = TOK_UNSUB, .subscriber = (1LL << 35) - 1,
	    .article = (1LL << 35) - 1, .group = (1LL << 28) - 1,
	    .expires = (time_t)4102444800LL /* 2100 */, .key_id = 15 };
	token_keys_init(&ring, 15, key1);
	s = token_make(&t, key1);
	ok(s != NULL && strlen(s) <= TOKEN_MAXLEN, "large ids still fit: %s",
	    s ? s : "(null)");
	is_int(token_parse(s, &ring, NOW, &got), 0, "large token parses");
	ok(same(&t, &got), "large token round trips");
	free(s);
}

static void
test_refused_make(void)
{
	struct token	t;

	t = (struct token){ .kind = TOK_REPLY, .subscriber = 1, .article = 2, .group = 3,
	    .expires = NOW, .key_id = 0 };
	t.subscriber = -1;
	ok(token_make(&t, key1) == NULL, "negative subscriber refused");
	t.subscriber = 1;
	t.expires = 0;
	ok(token_make(&t, key1) == NULL, "expires 0 refused");
	t.expires = NOW;
	t.key_id = 16;
	ok(token_make(&t, key1) == NULL, "key id 16 refused");
	t.key_id = -1;
	ok(token_make(&t, key1) == NULL, "key id -1 refused");
	t.key_id = 0;
	t.kind = (enum token_kind)4;
	ok(token_make(&t, key1) == NULL, "unknown kind refused");
	t.kind = TOK_REPLY;
	t.subscriber = t.article = t.group = (1LL << 62);
	ok(token_make(&t, key1) == NULL, "ids too large for TOKEN_MAXLEN refused");
}

static void
diag_token(const char *s, int r)
{
	printf("#   accepted (%d): %s\n", r, s);
}

static void
test_tamper(void)
{
	static const char	 alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct token_keys	 ring, wrong;
	struct token		 t, got, before;
	char			*s, *m, buf[TOKEN_MAXLEN + 8];
	size_t			 i, j, len;
	int			 refused = 1, untouched = 1, n = 0, r;

	token_keys_init(&ring, 2, key1);
	t = (struct token){ .kind = TOK_REPLY, .subscriber = 99, .article = 2481,
	    .group = 5, .expires = NOW + 3600, .key_id = 2 };
	s = token_make(&t, key1);
	len = strlen(s);

	/* every single-character substitution, to every other base32 character */
	memset(&before, 0x5a, sizeof(before));
	for (i = 0; i < len; i++) {
		for (j = 0; j < 32; j++) {
			if (alpha[j] == s[i])
				continue;
			memcpy(buf, s, len + 1);
			buf[i] = alpha[j];
			got = before;
			r = token_parse(buf, &ring, NOW, &got);
			n++;
			if (r != -1) {
				refused = 0;
				diag_token(buf, r);
			}
			untouched &= memcmp(&got, &before, sizeof(got)) == 0;
		}
	}
	ok(refused, "all %d single-character changes refused", n);
	ok(untouched, "a refused token leaves *out alone");

	/* and to characters outside the alphabet */
	refused = 1;
	for (i = 0; i < len; i++) {
		const char	*bad = "0189=+-_ .@\x80";

		for (j = 0; bad[j]; j++) {
			memcpy(buf, s, len + 1);
			buf[i] = bad[j];
			refused &= token_parse(buf, &ring, NOW, &got) == -1;
		}
	}
	ok(refused, "non-base32 characters refused");

	/* truncation and extension */
	refused = 1;
	for (i = 0; i < len; i++) {
		memcpy(buf, s, i);
		buf[i] = '\0';
		refused &= token_parse(buf, &ring, NOW, &got) == -1;
	}
	ok(refused, "every truncation refused");
	refused = 1;
	for (j = 0; j < 32; j++) {
		snprintf(buf, sizeof(buf), "%s%c", s, alpha[j]);
		refused &= token_parse(buf, &ring, NOW, &got) == -1;
		snprintf(buf, sizeof(buf), "%s%ca", s, alpha[j]);
		refused &= token_parse(buf, &ring, NOW, &got) == -1;
		snprintf(buf, sizeof(buf), "%s%caaaaaa", s, alpha[j]);
		refused &= token_parse(buf, &ring, NOW, &got) == -1;
		snprintf(buf, sizeof(buf), "%c%s", alpha[j], s);
		refused &= token_parse(buf, &ring, NOW, &got) == -1;
	}
	ok(refused, "extensions (1, 2, 7 chars; prefix) refused");
	is_int(token_parse("", &ring, NOW, &got), -1, "empty refused");

	/* case-insensitive */
	m = xstrdup(s);
	for (i = 0; m[i]; i++)
		m[i] = (char)toupper((unsigned char)m[i]);
	memset(&got, 0, sizeof(got));
	is_int(token_parse(m, &ring, NOW, &got), 0, "uppercase accepted");
	ok(same(&t, &got), "uppercase decodes the same");
	for (i = 0; m[i]; i += 2)
		m[i] = (char)tolower((unsigned char)m[i]);
	is_int(token_parse(m, &ring, NOW, &got), 0, "mixed case accepted");
	free(m);

	/* keys */
	token_keys_init(&wrong, 2, key2);
	is_int(token_parse(s, &wrong, NOW, &got), -1, "wrong key refused");
	token_keys_init(&wrong, 3, key1);
	is_int(token_parse(s, &wrong, NOW, &got), -1, "unknown key id refused");
	memset(&wrong, 0, sizeof(wrong));
	is_int(token_parse(s, &wrong, NOW, &got), -1, "empty key ring refuses all");
	/* a token claiming key id 3 but signed with key 2's key */
	t.key_id = 3;
	m = token_make(&t, key1);
	token_keys_init(&wrong, 2, key1);
	token_keys_add(&wrong, 3, key2);
	is_int(token_parse(m, &wrong, NOW, &got), -1, "key id pointing at another key refused");
	free(m);
	t.key_id = 2;

	/* rotation: old key still in the ring */
	token_keys_init(&wrong, 3, key2);
	is_int(token_keys_add(&wrong, 2, key1), 0, "add retired key");
	is_int(token_keys_add(&wrong, 2, key2), -1, "duplicate key id refused");
	is_int(token_keys_add(&wrong, 16, key2), -1, "key id 16 refused");
	is_int(token_parse(s, &wrong, NOW, &got), 0, "token by a retired key still valid");
	token_keys_add(&wrong, 4, key1);
	token_keys_add(&wrong, 5, key1);
	is_int(token_keys_add(&wrong, 6, key1), -1, "ring holds at most TOKEN_MAXKEYS");

	/* expiry */
	memset(&got, 0, sizeof(got));
	is_int(token_parse(s, &ring, NOW + 3599, &got), 0, "valid one second before expiry");
	memset(&got, 0, sizeof(got));
	is_int(token_parse(s, &ring, NOW + 3600, &got), -2, "expired at expires");
	ok(same(&t, &got), "expired token still decoded for the caller");
	is_int(token_parse(s, &ring, NOW + 86400 * 365, &got), -2, "expired a year later");

	/* a token of one kind is not a token of another */
	t.kind = TOK_UNSUB;
	m = token_make(&t, key1);
	ok(strcmp(m, s) != 0, "kinds give different tokens");
	token_parse(m, &ring, NOW, &got);
	is_int(got.kind, TOK_UNSUB, "kind carried");
	free(m);
	free(s);
}

static void
test_distinct(void)
{
	struct token	 t;
	char		*a, *b;

	t = (struct token){ .kind = TOK_REPLY, .subscriber = 1, .article = 2, .group = 3,
	    .expires = NOW, .key_id = 0 };
	a = token_make(&t, key1);
	b = token_make(&t, key1);
	is_str(a, b, "deterministic");
	free(b);
	t.subscriber = 2;
	b = token_make(&t, key1);
	ok(strcmp(a, b) != 0, "another subscriber, another token");
	free(b);
	t.subscriber = 1;
	b = token_make(&t, key2);
	ok(strcmp(a, b) != 0, "another key, another token");
	free(b);
	free(a);
}

static void
addr_is(const char *addr, int want_r, enum mailaddr_kind kind, const char *tok,
    const char *group)
{
	struct mailaddr	ma;
	int		r;

	r = mailaddr_parse(addr, "Lists.Example.Test", &ma);
	if (want_r == -1) {
		is_int(r, -1, "refused: %s", addr);
		return;
	}
	is_int(r, 0, "parsed: %s", addr);
	if (r != 0)
		return;
	is_int(ma.kind, kind, "  kind of %s", addr);
	if (tok != NULL)
		is_str(ma.token, tok, "  token of %s", addr);
	if (group != NULL)
		is_str(ma.group, group, "  group of %s", addr);
}

static void
test_mailaddr(void)
{
	struct token_keys	 ring;
	struct mailaddr		 ma;
	struct token		 t, got;
	char			*s, *a, up[200];
	const char		*tk = "abcdefghijklmnopqrstuvwxyz234567abcdefgh";
	size_t			 i;

	addr_is("reply+abcdefghijklmnopqrstuvwxyz234567abcdefgh@lists.example.test", 0,
	    MAILADDR_REPLY, tk, NULL);
	addr_is("<REPLY+ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGH@LISTS.EXAMPLE.TEST>", 0,
	    MAILADDR_REPLY, tk, NULL);
	addr_is("bounce+abcdefghijklmnopqrstuvwxyz234567abcdefgh@lists.example.test", 0,
	    MAILADDR_BOUNCE, tk, NULL);
	addr_is("confirm+abcdefghijklmnopqrstuvwxyz234567abcdefgh@lists.example.test", 0,
	    MAILADDR_CONFIRM, tk, NULL);
	addr_is("unsubscribe+abcdefghijklmnopqrstuvwxyz234567abcdefgh@lists.example.test",
	    0, MAILADDR_UNSUB, tk, NULL);
	addr_is("blogs.ecatworld@lists.example.test", 0, MAILADDR_POST, NULL,
	    "blogs.ecatworld");
	addr_is("Blogs.ECatWorld@lists.example.test", 0, MAILADDR_POST, NULL,
	    "blogs.ecatworld");
	addr_is("blogs.ecatworld+subscribe@lists.example.test", 0, MAILADDR_SUBSCRIBE,
	    NULL, "blogs.ecatworld");
	addr_is("blogs.ecatworld+Unsubscribe@lists.example.test", 0, MAILADDR_UNSUBSCRIBE,
	    NULL, "blogs.ecatworld");
	addr_is("comp.lang.c++@lists.example.test", 0, MAILADDR_POST, NULL,
	    "comp.lang.c++");
	addr_is("comp.lang.c+++subscribe@lists.example.test", 0, MAILADDR_SUBSCRIBE, NULL,
	    "comp.lang.c++");
	addr_is("blogs.ecatworld@lists.example.org", -1, 0, NULL, NULL);
	addr_is("blogs.ecatworld@sub.lists.example.test", -1, 0, NULL, NULL);
	addr_is("blogs.ecatworld@example.test", -1, 0, NULL, NULL);
	addr_is("blogs.ecatworld", -1, 0, NULL, NULL);
	addr_is("@lists.example.test", -1, 0, NULL, NULL);
	addr_is("+subscribe@lists.example.test", -1, 0, NULL, NULL);
	addr_is("reply+short@lists.example.test", -1, 0, NULL, NULL);
	addr_is("reply+abcdefghijklmnopqrstuvwxyz234567abcdefg1@lists.example.test", -1, 0,
	    NULL, NULL);
	addr_is("reply@lists.example.test", 0, MAILADDR_POST, NULL, "reply");
	addr_is("\"blogs x\"@lists.example.test", -1, 0, NULL, NULL);
	addr_is("a..b@lists.example.test", -1, 0, NULL, NULL);
	addr_is(".ab@lists.example.test", -1, 0, NULL, NULL);
	addr_is("a@b@lists.example.test", -1, 0, NULL, NULL);
	addr_is("<blogs.ecatworld@lists.example.test", -1, 0, NULL, NULL);
	addr_is("x12345678901234567890123456789012345678901234567890123456789012345"
	    "@lists.example.test", -1, 0, NULL, NULL);

	/* end to end: make a token, make its address, parse both back */
	token_keys_init(&ring, 0, key1);
	t = (struct token){ .kind = TOK_REPLY, .subscriber = 12, .article = 345678,
	    .group = 9, .expires = NOW + 60 * 86400, .key_id = 0 };
	s = token_make(&t, key1);
	a = mailaddr_make(MAILADDR_REPLY, s, "lists.example.test");
	for (i = 0; a[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)a[i]);
	up[i] = '\0';
	is_int(mailaddr_parse(up, "lists.example.test", &ma), 0, "uppercased address: %s",
	    up);
	is_int(ma.tkind, TOK_REPLY, "address wants a reply token");
	is_int(token_parse(ma.token, &ring, NOW, &got), 0, "its token parses");
	ok(same(&t, &got) && got.kind == ma.tkind, "and is the one we made");
	free(a);
	a = mailaddr_make(MAILADDR_UNSUBSCRIBE, "blogs.x", "lists.example.test");
	is_str(a, "blogs.x+unsubscribe@lists.example.test", "mailaddr_make group form");
	free(a);
	free(s);
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < SECRET_LEN; i++) {
		key1[i] = (unsigned char)i;
		key2[i] = (unsigned char)(i * 7 + 1);
	}
	test_roundtrip();
	test_refused_make();
	test_tamper();
	test_distinct();
	test_mailaddr();
	return tap_done();
}
