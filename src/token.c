/* token.c: stateless signed tokens and the list addresses that carry them. */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "log.h"
#include "token.h"

#define TOKEN_MAXRAW	32		/* octets: TOKEN_MAXLEN * 5 / 8 */
#define TOKEN_LABEL	"confab-token"	/* domain separation from other HMAC uses */

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

void
token_keys_init(struct token_keys *k, int id, const unsigned char key[SECRET_LEN])
{
	memset(k, 0, sizeof(*k));
	token_keys_add(k, id, key);
}

int
token_keys_add(struct token_keys *k, int id, const unsigned char key[SECRET_LEN])
{
	int	i;

	if (k->n < 0 || k->n >= TOKEN_MAXKEYS || id < 0 || id > TOKEN_MAXKEYID)
		return -1;
	for (i = 0; i < k->n; i++)
		if (k->ids[i] == id)
			return -1;
	k->ids[k->n] = id;
	memcpy(k->keys[k->n], key, SECRET_LEN);
	k->n++;
	return 0;
}

static const unsigned char *
keys_find(const struct token_keys *k, int id)
{
	int	i;

	for (i = 0; i < k->n && i < TOKEN_MAXKEYS; i++)
		if (k->ids[i] == id)
			return k->keys[i];
	return NULL;
}

/* Append v as unsigned LEB128; -1 if it would not fit in cap. */
static int
varint_put(unsigned char *b, size_t *len, size_t cap, uint64_t v)
{
	do {
		if (*len >= cap)
			return -1;
		b[(*len)++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return 0;
}

/* Read a minimal LEB128 varint no larger than LLONG_MAX; -1 if malformed. */
static int
varint_get(const unsigned char *b, size_t len, size_t *off, long long *out)
{
	uint64_t	v = 0;
	unsigned	shift = 0;
	unsigned char	c;

	for (;;) {
		if (*off >= len || shift > 56)
			return -1;
		c = b[(*off)++];
		if (shift == 56 && c > 0x7f)	/* would pass 63 bits */
			return -1;
		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0)
			break;
		shift += 7;
	}
	if (c == 0 && shift != 0)		/* not minimal */
		return -1;
	*out = (long long)v;
	return 0;
}

static void
token_mac(const unsigned char key[SECRET_LEN], const unsigned char *b, size_t len,
    unsigned char mac[EVP_MAX_MD_SIZE])
{
	unsigned char	msg[sizeof(TOKEN_LABEL) + TOKEN_MAXRAW];
	unsigned int	maclen = 0;

	memcpy(msg, TOKEN_LABEL, sizeof(TOKEN_LABEL));	/* with its NUL */
	memcpy(msg + sizeof(TOKEN_LABEL), b, len);
	if (HMAC(EVP_sha256(), key, SECRET_LEN, msg, sizeof(TOKEN_LABEL) + len,
	    mac, &maclen) == NULL || maclen < TOKEN_MACLEN)
		fatal("token: HMAC-SHA256 failed");
}

char *
token_make(const struct token *t, const unsigned char key[SECRET_LEN])
{
	unsigned char	 b[TOKEN_MAXRAW], mac[EVP_MAX_MD_SIZE];
	size_t		 len = 0, cap = TOKEN_MAXRAW - TOKEN_MACLEN, bit;
	char		*s, *p;

	if ((unsigned)t->kind > TOK_UNSUB || t->key_id < 0 || t->key_id > TOKEN_MAXKEYID ||
	    t->subscriber < 0 || t->article < 0 || t->group < 0 || t->expires <= 0)
		return NULL;
	b[len++] = (unsigned char)(t->kind << 4 | t->key_id);
	if (varint_put(b, &len, cap, (uint64_t)t->subscriber) == -1 ||
	    varint_put(b, &len, cap, (uint64_t)t->article) == -1 ||
	    varint_put(b, &len, cap, (uint64_t)t->group) == -1 ||
	    varint_put(b, &len, cap, (uint64_t)t->expires) == -1)
		return NULL;
	token_mac(key, b, len, mac);
	memcpy(b + len, mac, TOKEN_MACLEN);
	len += TOKEN_MACLEN;

	p = s = xmalloc((len * 8 + 4) / 5 + 1);
	for (bit = 0; bit < len * 8; bit += 5) {
		unsigned v = (unsigned)b[bit / 8] << 8;

		if (bit / 8 + 1 < len)
			v |= b[bit / 8 + 1];
		*p++ = b32[(v >> (11 - bit % 8)) & 31];
	}
	*p = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	OPENSSL_cleanse(mac, sizeof(mac));
	return s;
}

static int
b32val(int c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Decode unpadded base32 of exactly a whole number of octets, spare bits zero. */
static int
b32_decode(const char *s, unsigned char *b, size_t cap, size_t *lenp)
{
	size_t		slen = strlen(s), len, i;
	uint32_t	acc = 0;
	unsigned	nbits = 0;
	int		v;

	len = slen * 5 / 8;
	if (len > cap || (len * 8 + 4) / 5 != slen)
		return -1;
	*lenp = 0;
	for (i = 0; i < slen; i++) {
		if ((v = b32val((unsigned char)s[i])) == -1)
			return -1;
		acc = (acc << 5 | (uint32_t)v) & 0xfff;
		nbits += 5;
		if (nbits >= 8) {
			nbits -= 8;
			b[(*lenp)++] = (unsigned char)(acc >> nbits);
		}
	}
	if ((acc & ((1u << nbits) - 1)) != 0)	/* non-canonical tail */
		return -1;
	return 0;
}

int
token_parse(const char *s, const struct token_keys *keys, time_t now, struct token *out)
{
	unsigned char		 b[TOKEN_MAXRAW], mac[EVP_MAX_MD_SIZE];
	const unsigned char	*key;
	size_t			 len, off;
	long long		 sub, art, grp, exp;
	int			 r = -1;

	if (s == NULL || keys == NULL || strlen(s) < TOKEN_MINLEN ||
	    strlen(s) > TOKEN_MAXLEN)
		return -1;
	if (b32_decode(s, b, sizeof(b), &len) == -1 || len < 1 + 4 + TOKEN_MACLEN)
		return -1;
	if ((b[0] >> 6) != 0 || (key = keys_find(keys, b[0] & 0x0f)) == NULL)
		return -1;
	len -= TOKEN_MACLEN;
	token_mac(key, b, len, mac);
	if (CRYPTO_memcmp(mac, b + len, TOKEN_MACLEN) != 0)
		goto done;
	off = 1;
	if (varint_get(b, len, &off, &sub) == -1 || varint_get(b, len, &off, &art) == -1 ||
	    varint_get(b, len, &off, &grp) == -1 || varint_get(b, len, &off, &exp) == -1 ||
	    off != len || exp <= 0 || (long long)(time_t)exp != exp)
		goto done;
	out->kind = (enum token_kind)(b[0] >> 4 & 3);
	out->key_id = b[0] & 0x0f;
	out->subscriber = sub;
	out->article = art;
	out->group = grp;
	out->expires = (time_t)exp;
	r = now >= out->expires ? -2 : 0;
done:
	OPENSSL_cleanse(mac, sizeof(mac));
	return r;
}

/* The local-part prefixes of token addresses, indexed by enum token_kind. */
static const char *tok_prefix[] = { "reply", "bounce", "confirm", "unsubscribe" };
static const enum mailaddr_kind tok_addr[] = {
	MAILADDR_REPLY, MAILADDR_BOUNCE, MAILADDR_CONFIRM, MAILADDR_UNSUB
};

static int
token_shaped(const char *s, size_t len)
{
	size_t	i;

	if (len < TOKEN_MINLEN || len > TOKEN_MAXLEN)
		return 0;
	for (i = 0; i < len; i++)
		if (b32val((unsigned char)s[i]) == -1)
			return 0;
	return 1;
}

static int
group_shaped(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || strchr(".+-", s[0]) != NULL || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isascii(c) && isalnum(c)) && c != '.' && c != '+' && c != '_' &&
		    c != '-')
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

static void
copy_lower(char *dst, const char *src, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[len] = '\0';
}

static int
has_suffix(const char *s, size_t len, const char *suf, size_t *pre)
{
	size_t	slen = strlen(suf);

	if (len <= slen || strncasecmp(s + len - slen, suf, slen) != 0)
		return 0;
	*pre = len - slen;
	return 1;
}

int
mailaddr_parse(const char *addr, const char *domain, struct mailaddr *out)
{
	const char	*at, *dom, *plus;
	size_t		 alen, llen, dlen, pre;
	unsigned	 k;

	if (addr == NULL || domain == NULL)
		return -1;
	alen = strlen(addr);
	if (alen >= 2 && addr[0] == '<' && addr[alen - 1] == '>') {
		addr++;
		alen -= 2;
	}
	if ((at = memchr(addr, '@', alen)) == NULL)
		return -1;
	llen = (size_t)(at - addr);
	dom = at + 1;
	dlen = alen - llen - 1;
	if (llen == 0 || llen > MAILADDR_LOCALMAX || dlen != strlen(domain) ||
	    strncasecmp(dom, domain, dlen) != 0)
		return -1;

	memset(out, 0, sizeof(*out));
	if ((plus = memchr(addr, '+', llen)) != NULL) {
		for (k = 0; k < sizeof(tok_prefix) / sizeof(tok_prefix[0]); k++) {
			size_t	plen = strlen(tok_prefix[k]);
			size_t	tlen = llen - plen - 1;

			if ((size_t)(plus - addr) != plen ||
			    strncasecmp(addr, tok_prefix[k], plen) != 0)
				continue;
			if (!token_shaped(plus + 1, tlen))
				return -1;	/* reserved: never a group */
			out->kind = tok_addr[k];
			out->tkind = (enum token_kind)k;
			copy_lower(out->token, plus + 1, tlen);
			return 0;
		}
	}
	if (has_suffix(addr, llen, "+unsubscribe", &pre))
		out->kind = MAILADDR_UNSUBSCRIBE;
	else if (has_suffix(addr, llen, "+subscribe", &pre))
		out->kind = MAILADDR_SUBSCRIBE;
	else {
		out->kind = MAILADDR_POST;
		pre = llen;
	}
	if (!group_shaped(addr, pre))
		return -1;
	copy_lower(out->group, addr, pre);
	return 0;
}

char *
mailaddr_make(enum mailaddr_kind kind, const char *what, const char *domain)
{
	char	*s = NULL;

	switch (kind) {
	case MAILADDR_REPLY:
	case MAILADDR_BOUNCE:
	case MAILADDR_CONFIRM:
	case MAILADDR_UNSUB:
		xasprintf(&s, "%s+%s@%s", tok_prefix[kind - MAILADDR_REPLY], what, domain);
		break;
	case MAILADDR_POST:
		xasprintf(&s, "%s@%s", what, domain);
		break;
	case MAILADDR_SUBSCRIBE:
		xasprintf(&s, "%s+subscribe@%s", what, domain);
		break;
	case MAILADDR_UNSUBSCRIBE:
		xasprintf(&s, "%s+unsubscribe@%s", what, domain);
		break;
	}
	return s;
}
