/* auth.h: AUTHINFO backends. Here: local accounts (libxcrypt yescrypt hashes). */
#ifndef CONFAB_AUTH_H
#define CONFAB_AUTH_H

#include <stddef.h>
#include "store.h"

/* 0 if user/pass is a valid local account, -1 otherwise. */
int	auth_password(struct store *, const char *user, const char *pass);
/* A new yescrypt hash of pass; caller owns. NULL on failure. */
char	*auth_hash(const char *pass);
/* Decode a base64 SASL PLAIN response "[authzid] NUL authcid NUL passwd". */
int	auth_sasl_plain(const char *b64, char *user, size_t ulen, char *pass, size_t plen);

#endif
