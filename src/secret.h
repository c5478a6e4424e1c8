/* secret.h: the server secret (HMAC key for pseudonyms and tokens). */
#ifndef CONFAB_SECRET_H
#define CONFAB_SECRET_H

#include <stddef.h>

#define SECRET_LEN	32

/* Load the key from path, creating it (mode 0600, random) if absent.
 * 0 on success; -1 with err set. */
int	secret_load(const char *path, unsigned char key[SECRET_LEN], char *err, size_t errlen);

/* Stable pseudonymous local part: HMAC-SHA256(key, label + value) in base32,
 * `len` characters (≤ 50), written NUL-terminated to out (len + 1 bytes). */
void	secret_pseudonym(const unsigned char key[SECRET_LEN], const char *label,
	    const char *value, char *out, size_t len);

#endif
