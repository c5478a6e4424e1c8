/* auth.c: local accounts with libxcrypt, and SASL PLAIN decoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "log.h"

/* A fixed hash to compare against when the user does not exist, so that unknown
 * users take as long as wrong passwords. */
static const char *dummy_hash;

int
auth_password(struct store *st, const char *user, const char *pass)
{
	struct crypt_data	*cd;
	char			*hash = NULL, *out;
	int			 rc, ok = 0;

	if ((rc = store_user_hash(st, user, &hash)) == -1)
		return -1;
	if (dummy_hash == NULL)
		dummy_hash = auth_hash("not a password");
	cd = xcalloc(1, sizeof(*cd));
	out = crypt_r(pass, rc == 0 ? hash : dummy_hash, cd);
	if (rc == 0 && out != NULL && out[0] != '*' && strlen(out) == strlen(hash) &&
	    CRYPTO_memcmp(out, hash, strlen(hash)) == 0)
		ok = 1;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(hash);
	return ok ? 0 : -1;
}

char *
auth_hash(const char *pass)
{
	struct crypt_data	*cd = xcalloc(1, sizeof(*cd));
	char			*salt, *out, *ret = NULL;

	salt = crypt_gensalt_rn("$y$", 0, NULL, 0, cd->setting, sizeof(cd->setting));
	if (salt != NULL && (out = crypt_r(pass, salt, cd)) != NULL && out[0] != '*')
		ret = xstrdup(out);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ret;
}

int
auth_sasl_plain(const char *b64, char *user, size_t ulen, char *pass, size_t plen)
{
	size_t		 n = strlen(b64), dl;
	unsigned char	*d;
	const char	*authz, *authc, *pw;
	int		 len, ret = -1;

	if (n == 0 || n % 4 != 0 || n > 2048)
		return -1;
	d = xmalloc(n);
	if ((len = EVP_DecodeBlock(d, (const unsigned char *)b64, (int)n)) < 0)
		goto done;
	if (b64[n - 1] == '=')
		len--;
	if (n > 1 && b64[n - 2] == '=')
		len--;
	dl = (size_t)len;
	d[dl] = '\0';
	authz = (const char *)d;
	authc = memchr(d, '\0', dl);
	if (authc == NULL)
		goto done;
	authc++;
	pw = memchr(authc, '\0', dl - (size_t)(authc - authz));
	if (pw == NULL)
		goto done;
	pw++;
	if (memchr(pw, '\0', dl - (size_t)(pw - authz)) != NULL)
		goto done;
	if (*authz != '\0' && strcmp(authz, authc) != 0)
		goto done;	/* no proxy authorization */
	if (strlen(authc) >= ulen || dl - (size_t)(pw - authz) >= plen || *authc == '\0')
		goto done;
	snprintf(user, ulen, "%s", authc);
	memcpy(pass, pw, dl - (size_t)(pw - authz));
	pass[dl - (size_t)(pw - authz)] = '\0';
	ret = 0;
done:
	explicit_bzero(d, n);
	free(d);
	return ret;
}
