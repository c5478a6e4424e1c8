/* token.h: stateless signed tokens (reply, bounce, confirm, unsubscribe) and the
 * list addresses that carry them. */
#ifndef CONFAB_TOKEN_H
#define CONFAB_TOKEN_H

#include <time.h>

#include "secret.h"

/*
 * A token is what a per-recipient address stands for, signed so that nothing needs to
 * be stored to check it:
 *
 *	base32(hdr | varint subscriber | varint article | varint group | varint expires | mac)
 *
 * hdr is one octet: format version (bits 7-6, always 0), kind (bits 5-4), key id (bits
 * 3-0). The varints are unsigned LEB128, minimal. mac is the first TOKEN_MACLEN octets
 * of HMAC-SHA256(key, "confab-token\0" | everything before it). The text is RFC 4648
 * base32, lowercase, unpadded; trailing spare bits are zero. A typical reply token is
 * 39-42 characters; none is ever longer than TOKEN_MAXLEN, so "unsubscribe+TOKEN" still
 * fits in the 64 octets RFC 5321 allows a local part.
 *
 * The MAC covers every field, so a token for one kind, subscriber, group or article is
 * useless for any other; the caller still has to check that the fields fit the use
 * (kind matches the address, the From: matches the subscriber, ...).
 */

#define TOKEN_MACLEN	12	/* octets of HMAC kept: 96 bits */
#define TOKEN_MINLEN	28	/* characters: hdr + four 1-octet varints + mac */
#define TOKEN_MAXLEN	52	/* characters: 32 octets */
#define TOKEN_MAXKEYID	15
#define TOKEN_MAXKEYS	4

enum token_kind {
	TOK_REPLY,		/* reply+TOKEN: post a comment under `article` */
	TOK_BOUNCE,		/* bounce+TOKEN: a delivery to `subscriber` failed */
	TOK_CONFIRM,		/* confirm+TOKEN: subscriber confirms `group` */
	TOK_UNSUB,		/* unsubscribe+TOKEN: subscriber leaves `group` */
};

struct token {
	enum token_kind	 kind;
	long long	 subscriber;	/* subscriber id, >= 0 */
	long long	 article;	/* e.g. the parent's article id, or 0; >= 0 */
	long long	 group;		/* group id or thread root article id; >= 0 */
	time_t		 expires;	/* valid while now < expires; > 0 */
	int		 key_id;	/* which key signed it, 0..TOKEN_MAXKEYID */
};

/* The keys a token may be signed with, by id: the current one (what token_make is
 * given) and those retired recently enough that their tokens may still be in use. */
struct token_keys {
	int		 n;
	int		 ids[TOKEN_MAXKEYS];
	unsigned char	 keys[TOKEN_MAXKEYS][SECRET_LEN];
};

/* A ring of one key with the given id. */
void	 token_keys_init(struct token_keys *, int id, const unsigned char key[SECRET_LEN]);
/* Add a key; -1 if the ring is full or the id is out of range or already there. */
int	 token_keys_add(struct token_keys *, int id, const unsigned char key[SECRET_LEN]);

/* Sign t with key, which must be the key known as t->key_id. Returns the token as a
 * malloc'd lowercase string the caller owns, or NULL if a field is out of range
 * (negative ids, expires <= 0, a key id over TOKEN_MAXKEYID, or values so large the
 * token would pass TOKEN_MAXLEN). */
char	*token_make(const struct token *t, const unsigned char key[SECRET_LEN]);

/* Check and decode s (case-insensitive). 0: valid, *out filled. -1: malformed, unknown
 * key id, or a MAC that does not match (compared in constant time); *out untouched.
 * -2: genuine but expired (now >= expires); *out filled, so the caller can say whose
 * link expired. */
int	 token_parse(const char *s, const struct token_keys *keys, time_t now,
	    struct token *out);

/*
 * Addresses in the [mail] domain:
 *	reply+TOKEN@D  bounce+TOKEN@D  confirm+TOKEN@D  unsubscribe+TOKEN@D
 *	GROUP@D (post to the list)  GROUP+subscribe@D  GROUP+unsubscribe@D
 */
#define MAILADDR_LOCALMAX	64	/* RFC 5321 4.5.3.1.1 */

enum mailaddr_kind {
	MAILADDR_REPLY,
	MAILADDR_BOUNCE,
	MAILADDR_CONFIRM,
	MAILADDR_UNSUB,
	MAILADDR_POST,
	MAILADDR_SUBSCRIBE,
	MAILADDR_UNSUBSCRIBE,
};

struct mailaddr {
	enum mailaddr_kind	 kind;
	enum token_kind		 tkind;		/* the token kind the address wants */
	char			 token[TOKEN_MAXLEN + 1];	/* token kinds; lowercase */
	char			 group[MAILADDR_LOCALMAX + 1];	/* group kinds; lowercase */
};

/* Split addr ("local@domain", optionally in <>) if it belongs to domain (compared
 * case-insensitively). The token is only checked for shape here: pass it to
 * token_parse and check that the kind is out->tkind. A group name is lowercased and
 * must be made of [a-z0-9.+_-]; "reply", "bounce", "confirm" and "unsubscribe" before a
 * '+' are reserved for tokens. 0 on success, -1 if the address is not one of ours. */
int	 mailaddr_parse(const char *addr, const char *domain, struct mailaddr *out);

/* The address of a kind for a token (token kinds) or a group (group kinds), malloc'd,
 * caller owns. */
char	*mailaddr_make(enum mailaddr_kind, const char *tok_or_group, const char *domain);

#endif
