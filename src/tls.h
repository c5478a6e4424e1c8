/* tls.h: server TLS context (OpenSSL), TLS 1.2 and later only. */
#ifndef CONFAB_TLS_H
#define CONFAB_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/* New server context from PEM cert (chain) and key; NULL with err set. Caller owns
 * (SSL_CTX_free). */
SSL_CTX	*tls_server_ctx(const char *cert, const char *key, char *err, size_t errlen);

#endif
