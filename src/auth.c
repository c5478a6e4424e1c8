/* auth.c: local accounts with libxcrypt, and SASL PLAIN decoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "log.h"
#include "poll.h"

#define WP_CACHE	32
#define WP_CACHE_OK	300	/* seconds a good answer is trusted */
#define WP_CACHE_BAD	30	/* seconds a refusal is remembered */

/* A fixed hash to compare against when the user does not exist, so that unknown
 * users take as long as wrong passwords. */
static const char dummy_hash[] =
    "$y$j9T$T.K3jEJm5VGmzRoIFTKBx0$GIrj1VeuPTCEs0rPUtjEMhQZIOC09UbqVg0Pr5WGCL/";

int
auth_verify(const char *hash, const char *pass)
{
	struct crypt_data	*cd = xcalloc(1, sizeof(*cd));
	const char		*h = hash != NULL ? hash : dummy_hash;
	char			*out;
	int			 ok;

	out = crypt_r(pass, h, cd);
	ok = hash != NULL && out != NULL && out[0] != '*' && strlen(out) == strlen(h) &&
	    CRYPTO_memcmp(out, h, strlen(h)) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
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

/* Answers by SHA-256 of user, password and source: the password is never kept. */
struct wp_cached {
	unsigned char	 key[32];
	time_t		 until;
	int		 ok;
	char		 source[64];
};
static struct wp_cached	 wp_cache[WP_CACHE];

static void
wp_key(const char *user, const char *pass, const char *source, unsigned char out[32])
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, user, strlen(user) + 1);
	EVP_DigestUpdate(md, pass, strlen(pass) + 1);
	EVP_DigestUpdate(md, source, strlen(source) + 1);
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

static struct wp_cached *
wp_cache_find(const unsigned char key[32])
{
	int	i;

	for (i = 0; i < WP_CACHE; i++)
		if (wp_cache[i].until > time(NULL) && !memcmp(wp_cache[i].key, key, 32))
			return &wp_cache[i];
	return NULL;
}

static void
wp_cache_put(const unsigned char key[32], int ok, const char *source)
{
	int	i, old = 0;

	for (i = 0; i < WP_CACHE; i++)
		if (wp_cache[i].until < wp_cache[old].until)
			old = i;
	memcpy(wp_cache[old].key, key, 32);
	wp_cache[old].ok = ok;
	wp_cache[old].until = time(NULL) + (ok ? WP_CACHE_OK : WP_CACHE_BAD);
	snprintf(wp_cache[old].source, sizeof(wp_cache[old].source), "%s", source);
}

struct auth_wp {
	struct fetcher		*fetch;
	char			**names, **urls;	/* wordpress sources (copied: a reload
							 * may free the config meanwhile) */
	int			 nsrc;
	char			*user, *pass;
	int			 next;		/* next source index to try */
	int			 cancelled, busy;
	auth_wp_cb		 cb;
	void			*arg;
	char			 source[64];
};

int
auth_wordpress_sources(const struct conf *c)
{
	int	i;

	for (i = 0; i < c->nsources; i++)
		if (c->sources[i].type == SRC_WORDPRESS)
			return 1;
	return 0;
}

static void
auth_wp_free(struct auth_wp *a)
{
	int	i;

	for (i = 0; i < a->nsrc; i++) {
		free(a->names[i]);
		free(a->urls[i]);
	}
	free(a->names);
	free(a->urls);
	explicit_bzero(a->pass, strlen(a->pass));
	free(a->pass);
	free(a->user);
	free(a);
}

static void	auth_wp_try(struct auth_wp *);

static void
auth_wp_done(struct auth_wp *a, int ok)
{
	if (!a->cancelled)
		a->cb(ok, ok ? a->source : NULL, a->arg);
	auth_wp_free(a);
}

static void
auth_wp_answer(const struct fetch_res *r, void *arg)
{
	struct auth_wp	*a = arg;
	unsigned char	 key[32];

	a->busy = 0;
	if (a->cancelled) {
		auth_wp_free(a);
		return;
	}
	wp_key(a->user, a->pass, a->source, key);
	if (r->status == 200) {
		wp_cache_put(key, 1, a->source);
		auth_wp_done(a, 1);
		return;
	}
	if (r->status == 401 || r->status == 403)
		wp_cache_put(key, 0, a->source);
	else
		log_warn("%s: checking a WordPress login: %s", a->source,
		    r->status ? "unexpected answer" : r->error);
	auth_wp_try(a);
}

static void
auth_wp_try(struct auth_wp *a)
{
	struct wp_cached		*c;
	struct fetch_req		 req;
	unsigned char			 key[32];
	char				*url;
	int				 i;

	while (a->next < a->nsrc) {
		i = a->next++;
		snprintf(a->source, sizeof(a->source), "%s", a->names[i]);
		wp_key(a->user, a->pass, a->names[i], key);
		if ((c = wp_cache_find(key)) != NULL) {
			if (c->ok) {
				auth_wp_done(a, 1);
				return;
			}
			continue;
		}
		url = wp_rest_url(a->urls[i], "/wp/v2/users/me", "context=edit");
		memset(&req, 0, sizeof(req));
		req.url = url;
		req.user = a->user;
		req.password = a->pass;
		a->busy = 1;
		if (fetch_start(a->fetch, &req, auth_wp_answer, a) == 0) {
			free(url);
			return;
		}
		a->busy = 0;
		free(url);
	}
	auth_wp_done(a, 0);
}

struct auth_wp *
auth_wordpress(struct fetcher *f, const struct conf *c, const char *user, const char *pass,
    auth_wp_cb cb, void *arg)
{
	struct auth_wp	*a = xcalloc(1, sizeof(*a));
	int		 i;

	a->fetch = f;
	for (i = 0; i < c->nsources; i++) {
		if (c->sources[i].type != SRC_WORDPRESS)
			continue;
		a->names = xreallocarray(a->names, (size_t)a->nsrc + 1, sizeof(char *));
		a->urls = xreallocarray(a->urls, (size_t)a->nsrc + 1, sizeof(char *));
		a->names[a->nsrc] = xstrdup(c->sources[i].name);
		a->urls[a->nsrc++] = xstrdup(c->sources[i].url);
	}
	a->user = xstrdup(user);
	a->pass = xstrdup(pass);
	a->cb = cb;
	a->arg = arg;
	return a;
}

void
auth_wp_start(struct auth_wp *a)
{
	auth_wp_try(a);
}

void
auth_wp_cancel(struct auth_wp *a)
{
	a->cancelled = 1;
	if (!a->busy)
		auth_wp_free(a);
}
