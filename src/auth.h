/* auth.h: AUTHINFO backends. Here: local accounts (libxcrypt yescrypt hashes). */
#ifndef CONFAB_AUTH_H
#define CONFAB_AUTH_H

#include <stddef.h>

#include "conf.h"
#include "fetch.h"
#include "store.h"

/* 0 if pass matches hash (a local account's, from store_user_hash), -1 if not or if
 * hash is NULL (no such user: it takes as long). Costly (yescrypt, ~15 ms): call it
 * off the event loop (work.h). Thread-safe. */
int	auth_verify(const char *hash, const char *pass);

/* WordPress users: USER/PASS checked as a WordPress user and application password
 * (GET /wp/v2/users/me) against each wordpress source in turn, answers cached for a
 * few minutes. cb(ok, source, arg) once, on the loop, unless cancelled. */
struct auth_wp;
typedef void (*auth_wp_cb)(int ok, const char *source, void *arg);
struct auth_wp	*auth_wordpress(struct fetcher *, const struct conf *, const char *user,
		    const char *pass, auth_wp_cb, void *arg);
/* Start the check; the callback may run before this returns (cached answer). */
void		 auth_wp_start(struct auth_wp *);
void		 auth_wp_cancel(struct auth_wp *);	/* no callback then */
/* Any source that can check WordPress users? */
int		 auth_wordpress_sources(const struct conf *);
/* A new yescrypt hash of pass; caller owns. NULL on failure. */
char	*auth_hash(const char *pass);
/* Decode a base64 SASL PLAIN response "[authzid] NUL authcid NUL passwd". */
int	auth_sasl_plain(const char *b64, char *user, size_t ulen, char *pass, size_t plen);

#endif
