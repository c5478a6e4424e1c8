/* conf.c: load and validate confabd.conf with inih. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "log.h"

struct loadctx {
	struct conf	*c;
	char		*err;
	size_t		 errlen;
	int		 failed;
	FILE		*f;
	int		 line;		/* lines read so far: the handler's line */
};

static int
fail(struct loadctx *lc, int line, const char *fmt, const char *a, const char *b)
{
	char	msg[384];

	if (lc->failed)
		return 0;
	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(lc->err, lc->errlen, "%s:%d: %s", lc->c->path, line, msg);
	lc->failed = 1;
	return 0;
}

static int
parse_int(const char *v, long min, long max, long *out)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
	    !strcasecmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Check "host:port", "[v6]:port"; 0 if well-formed. */
static int
valid_listen(const char *v)
{
	const char	*colon;
	long		 port;

	if (!strncmp(v, "unix:", 5))
		return v[5] == '/' ? 0 : -1;
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		colon = rb + 1;
	} else if ((colon = strrchr(v, ':')) == NULL || colon == v)
		return -1;
	if (parse_int(colon + 1, 1, 65535, &port) == -1)
		return -1;
	return 0;
}

static int
valid_group(const char *g)
{
	const unsigned char	*p;

	if (*g == '\0' || *g == '.' || strlen(g) > 250)
		return 0;
	for (p = (const unsigned char *)g; *p; p++)
		if (*p <= ' ' || *p == ',' || *p == '*' || *p == '?' || *p == '!' ||
		    *p == '[' || *p == '\\' || *p == 0x7f || (*p == '.' && (p[1] == '.' ||
		    p[1] == '\0')))
			return 0;
	return 1;
}

static struct conf_source *
source_get(struct conf *c, const char *name)
{
	struct conf_source	*s;
	int			 i;

	for (i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, name))
			return &c->sources[i];
	c->sources = xreallocarray(c->sources, c->nsources + 1, sizeof(*c->sources));
	s = &c->sources[c->nsources++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->posting = POST_AUTH;
	s->poll_interval = 300;
	return s;
}

static void
setstr(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int
server_key(struct loadctx *lc, const char *k, const char *v, int line)
{
	struct conf	*c = lc->c;
	long		 n;

	if (!strcmp(k, "hostname"))
		setstr(&c->hostname, v);
	else if (!strcmp(k, "listen") || !strcmp(k, "listen_tls")) {
		int	 tls = k[6] != '\0';
		char	**arr = tls ? c->listen_tls : c->listen;
		int	*cnt = tls ? &c->nlisten_tls : &c->nlisten;

		if (valid_listen(v) == -1 || !strncmp(v, "unix:", 5))
			return fail(lc, line, "%s: bad address '%s' (want HOST:PORT or [V6]:PORT)",
			    k, v);
		if (*cnt >= CONF_MAX_LISTEN)
			return fail(lc, line, "%s: too many addresses%s", k, "");
		arr[(*cnt)++] = xstrdup(v);
	} else if (!strcmp(k, "tls_cert"))
		setstr(&c->tls_cert, v);
	else if (!strcmp(k, "tls_key"))
		setstr(&c->tls_key, v);
	else if (!strcmp(k, "secret_file"))
		setstr(&c->secret_file, v);
	else if (!strcmp(k, "motd_file"))
		setstr(&c->motd_file, v);
	else if (!strcmp(k, "organization"))
		setstr(&c->organization, v);
	else if (!strcmp(k, "log_level")) {
		if (!strcmp(v, "error"))
			c->log_level = LOG_LVL_ERR;
		else if (!strcmp(v, "warning"))
			c->log_level = LOG_LVL_WARN;
		else if (!strcmp(v, "info"))
			c->log_level = LOG_LVL_INFO;
		else if (!strcmp(v, "debug"))
			c->log_level = LOG_LVL_DEBUG;
		else
			return fail(lc, line, "log_level: '%s' is not error, warning, info or debug%s",
			    v, "");
	} else if (!strcmp(k, "max_connections")) {
		if (parse_int(v, 1, 1000000, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a number from 1 to 1000000", k, v);
		c->max_connections = (int)n;
	} else if (!strcmp(k, "max_connections_per_ip")) {
		if (parse_int(v, 1, 1000000, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a number from 1 to 1000000", k, v);
		c->max_connections_per_ip = (int)n;
	} else if (!strcmp(k, "idle_timeout")) {
		if (parse_int(v, 1, 86400, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a number of seconds from 1 to 86400",
			    k, v);
		c->idle_timeout = (int)n;
	} else if (!strcmp(k, "max_article_size")) {
		if (parse_int(v, 1024, 64L * 1024 * 1024, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a size from 1024 to 67108864", k, v);
		c->max_article_size = (size_t)n;
	} else if (!strcmp(k, "overview_cache")) {
		if (parse_int(v, 0, 64L * 1024 * 1024 * 1024, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a size from 0 to 68719476736", k, v);
		c->overview_cache = (size_t)n;
	} else if (!strcmp(k, "post_timeout")) {
		if (parse_int(v, 0, 300, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a number of seconds from 0 to 300",
			    k, v);
		c->post_timeout = (int)n;
	} else if (!strcmp(k, "ca_file"))
		setstr(&c->ca_file, v);
	else if (!strcmp(k, "retry_interval")) {
		if (parse_int(v, 1, 86400, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a number of seconds from 1 to 86400",
			    k, v);
		c->retry_interval = (int)n;
	} else if (!strcmp(k, "auth_failures")) {
		if (parse_int(v, 1, 1000, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a number from 1 to 1000", k, v);
		c->auth_failures = (int)n;
	} else
		return fail(lc, line, "unknown key '%s' in section [server]%s", k, "");
	return 1;
}

static int
source_key(struct loadctx *lc, const char *name, const char *k, const char *v, int line)
{
	struct conf_source	*s = source_get(lc->c, name);
	long			 n;

	if (!strcmp(k, "type")) {
		if (!strcmp(v, "local"))
			s->type = SRC_LOCAL;
		else if (!strcmp(v, "wordpress"))
			s->type = SRC_WORDPRESS;
		else if (!strcmp(v, "atom"))
			s->type = SRC_ATOM;
		else if (!strcmp(v, "rss"))
			s->type = SRC_RSS;
		else
			return fail(lc, line, "type: '%s' is not local, wordpress, atom or rss%s",
			    v, "");
	} else if (!strcmp(k, "url")) {
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return fail(lc, line, "url: '%s' is not an http(s) URL%s", v, "");
		setstr(&s->url, v);
	} else if (!strcmp(k, "user"))
		setstr(&s->user, v);
	else if (!strcmp(k, "app_password_file"))
		setstr(&s->app_password_file, v);
	else if (!strcmp(k, "group")) {
		if (!valid_group(v))
			return fail(lc, line, "group: '%s' is not a valid newsgroup name%s", v, "");
		setstr(&s->group, v);
	} else if (!strcmp(k, "description"))
		setstr(&s->description, v);
	else if (!strcmp(k, "domain"))
		setstr(&s->domain, v);
	else if (!strcmp(k, "posting")) {
		if (!strcmp(v, "no"))
			s->posting = POST_NO;
		else if (!strcmp(v, "auth"))
			s->posting = POST_AUTH;
		else if (!strcmp(v, "open"))
			s->posting = POST_OPEN;
		else
			return fail(lc, line, "posting: '%s' is not no, auth or open%s", v, "");
	} else if (!strcmp(k, "pingbacks")) {
		if (parse_bool(v, &s->pingbacks) == -1)
			return fail(lc, line, "pingbacks: '%s' is not yes or no%s", v, "");
	} else if (!strcmp(k, "poll_interval")) {
		if (parse_int(v, 10, 7 * 86400, &n) == -1)
			return fail(lc, line, "poll_interval: '%s' is not seconds from 10 to 604800%s",
			    v, "");
		s->poll_interval = (int)n;
	} else if (!strcmp(k, "category_group")) {
		char	slug[256], group[256];

		if (sscanf(v, "%255s %255s", slug, group) != 2 || !valid_group(group))
			return fail(lc, line, "category_group: '%s' is not 'SLUG GROUP'%s", v, "");
		s->category_groups = xreallocarray(s->category_groups,
		    (size_t)s->ncategory_groups * 2 + 2, sizeof(char *));
		s->category_groups[s->ncategory_groups * 2] = xstrdup(slug);
		s->category_groups[s->ncategory_groups * 2 + 1] = xstrdup(group);
		s->ncategory_groups++;
	} else
		return fail(lc, line, "unknown key '%s' in section [source %s]", k, name);
	return 1;
}

static int
http_key(struct loadctx *lc, const char *k, const char *v, int line)
{
	struct conf	*c = lc->c;
	long		 n;

	if (!strcmp(k, "listen")) {
		free(c->http_listen);
		c->http_listen = NULL;
		if (*v == '\0')
			return 1;	/* empty: off */
		if (valid_listen(v) == -1 || !strncmp(v, "unix:", 5))
			return fail(lc, line, "listen: bad address '%s' (want HOST:PORT or "
			    "[V6]:PORT)%s", v, "");
		c->http_listen = xstrdup(v);
	} else if (!strcmp(k, "base_url")) {
		size_t	l = strlen(v);

		if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
		    strpbrk(v, " \t\"<>?#") != NULL || l > 200)
			return fail(lc, line, "base_url: '%s' is not an http(s) URL without query "
			    "or fragment%s", v, "");
		while (l > 8 && v[l - 1] == '/')
			l--;	/* links are made as base_url + "/u/TOKEN" */
		free(c->http_base_url);
		c->http_base_url = xstrndup(v, l);
	} else if (!strcmp(k, "tls")) {
		if (parse_bool(v, &c->http_tls) == -1)
			return fail(lc, line, "tls: '%s' is not yes or no%s", v, "");
	} else if (!strcmp(k, "max_body_size")) {
		if (parse_int(v, 256, 16L * 1024 * 1024, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a size from 256 to 16777216", k, v);
		c->http_max_body = (size_t)n;
	} else if (!strcmp(k, "max_header_size")) {
		if (parse_int(v, 1024, 1024L * 1024, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a size from 1024 to 1048576", k, v);
		c->http_max_headers = (size_t)n;
	} else if (!strcmp(k, "timeout")) {
		if (parse_int(v, 1, 3600, &n) == -1)
			return fail(lc, line, "%s: '%s' is not a number of seconds from 1 to 3600",
			    k, v);
		c->http_timeout = (int)n;
	} else
		return fail(lc, line, "unknown key '%s' in section [http]%s", k, "");
	return 1;
}

/* Debian's inih is built without INI_HANDLER_LINENO: count lines in the reader. */
static char *
reader(char *str, int num, void *stream)
{
	struct loadctx	*lc = stream;
	char		*r = fgets(str, num, lc->f);

	if (r != NULL)
		lc->line++;
	return r;
}

static int
handler(void *user, const char *section, const char *k, const char *v)
{
	struct loadctx	*lc = user;
	struct conf	*c = lc->c;
	int		 line = lc->line;

	if (lc->failed)
		return 0;
	if (k == NULL)		/* new section: checked on its first key */
		return 1;
	if (!strcmp(section, "server"))
		return server_key(lc, k, v, line);
	if (!strcmp(section, "store")) {
		long	n;

		if (!strcmp(k, "path"))
			setstr(&c->store_path, v);
		else if (!strcmp(k, "conninfo"))
			setstr(&c->store_conninfo, v);
		else if (!strcmp(k, "backend")) {
			if (!strcmp(v, "sqlite"))
				c->store_backend = 0;
			else if (!strcmp(v, "postgresql"))
				c->store_backend = 1;
			else
				return fail(lc, line, "backend: '%s' is not sqlite or postgresql%s",
				    v, "");
		} else if (!strcmp(k, "busy_timeout")) {
			if (parse_int(v, 0, 600000, &n) == -1)
				return fail(lc, line, "busy_timeout: '%s' is not ms from 0 to 600000%s",
				    v, "");
			c->busy_timeout = (int)n;
		} else
			return fail(lc, line, "unknown key '%s' in section [store]%s", k, "");
		return 1;
	}
	if (!strcmp(section, "mail")) {
		long	n;

		if (!strcmp(k, "domain"))
			setstr(&c->mail_domain, v);
		else if (!strcmp(k, "relay")) {
			if (valid_listen(v) == -1)
				return fail(lc, line, "relay: bad address '%s'%s", v, "");
			setstr(&c->mail_relay, v);
		} else if (!strcmp(k, "require_auth")) {
			if (strpbrk(v, " \t;") != NULL || *v == '\0')
				return fail(lc, line, "require_auth: '%s' is not an authserv-id%s", v, "");
			setstr(&c->trusted_authserv, v);
		} else if (!strcmp(k, "digest_interval")) {
			if (parse_int(v, 1, 30 * 86400, &n) == -1)
				return fail(lc, line, "digest_interval: '%s' is not seconds from 1 to "
				    "2592000%s", v, "");
			c->digest_interval = (int)n;
		} else if (!strcmp(k, "listen_lmtp")) {
			if (valid_listen(v) == -1)
				return fail(lc, line, "listen_lmtp: bad address '%s'%s", v, "");
			setstr(&c->listen_lmtp, v);
		} else
			return fail(lc, line, "unknown key '%s' in section [mail]%s", k, "");
		return 1;
	}
	if (!strcmp(section, "http"))
		return http_key(lc, k, v, line);
	if (!strncmp(section, "source ", 7) && section[7] != '\0' &&
	    strspn(section + 7, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
	    == strlen(section + 7))
		return source_key(lc, section + 7, k, v, line);
	return fail(lc, line, "unknown section [%s]%s", section, "");
}

/* Host part of an http(s) URL; caller owns. */
static char *
url_host(const char *url)
{
	const char	*p = strstr(url, "://"), *e;

	p = p ? p + 3 : url;
	e = p + strcspn(p, ":/?#");
	return xstrndup(p, (size_t)(e - p));
}

/* The first line of a secret file (an application password), without the newline;
 * caller owns. -1 with err set if it cannot be read or is empty. */
static int
read_secret(const char *path, char **out, char *err, size_t errlen)
{
	FILE	*f;
	char	 line[1024];

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0') {
		snprintf(err, errlen, "%s: empty", path);
		return -1;
	}
	*out = xstrdup(line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* The message of the day, as CRLF lines (at most 64 KiB); caller owns. */
static int
read_motd(const char *path, char **out, char *err, size_t errlen)
{
	FILE		*f;
	struct buf	 b;
	int		 c;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b);
	while ((c = getc(f)) != EOF && b.len < 65536) {
		if (c == '\r')
			continue;
		if (c == '\n')
			buf_addc(&b, '\r');
		buf_addc(&b, c);
	}
	fclose(f);
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		buf_adds(&b, "\r\n");
	*out = buf_steal(&b);
	return 0;
}

const char *
conf_default_path(void)
{
	return SYSCONFDIR "/confab/confabd.conf";
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf	*c = xcalloc(1, sizeof(*c));
	struct loadctx	 lc = { c, err, errlen, 0, NULL, 0 };
	FILE		*f;
	int		 rc, i, j;
	char		 host[256];

	c->path = xstrdup(path);
	c->log_level = LOG_LVL_INFO;
	c->max_connections = 10000;
	c->max_connections_per_ip = 100;
	c->idle_timeout = 600;
	c->max_article_size = 1024 * 1024;
	c->overview_cache = 256 * 1024 * 1024;
	c->post_timeout = 10;
	c->auth_failures = 5;
	c->retry_interval = 30;
	c->digest_interval = 86400;
	c->busy_timeout = 5000;
	c->http_max_body = 64 * 1024;
	c->http_max_headers = 8 * 1024;
	c->http_timeout = 30;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	lc.f = f;
	rc = ini_parse_stream(reader, &lc, handler, &lc);
	fclose(f);
	if (lc.failed)
		goto fail;
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		goto fail;
	}

	if (c->hostname == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		c->hostname = xstrdup(host);
	}
	if (c->store_path == NULL)
		c->store_path = xstrdup(LOCALSTATEDIR "/lib/confab/confab.db");
	if (c->store_backend == 1 && c->store_conninfo == NULL) {
		snprintf(err, errlen, "%s: [store] backend = postgresql needs conninfo", path);
		goto fail;
	}
	if (c->secret_file == NULL) {
		const char *slash = strrchr(c->store_path, '/');
		if (slash == NULL)
			c->secret_file = xstrdup("secret");
		else
			xasprintf(&c->secret_file, "%.*s/secret", (int)(slash - c->store_path),
			    c->store_path);
	}
	if (c->motd_file != NULL && read_motd(c->motd_file, &c->motd, err, errlen) == -1)
		goto fail;
	if (c->mail_relay == NULL)
		c->mail_relay = xstrdup("127.0.0.1:25");
	if ((c->nlisten_tls > 0) && (c->tls_cert == NULL || c->tls_key == NULL)) {
		snprintf(err, errlen, "%s: listen_tls needs tls_cert and tls_key", path);
		goto fail;
	}
	if (c->http_tls && (c->tls_cert == NULL || c->tls_key == NULL)) {
		snprintf(err, errlen, "%s: [http] tls needs [server] tls_cert and tls_key", path);
		goto fail;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(err, errlen, "%s: tls_cert and tls_key go together", path);
		goto fail;
	}
	for (i = 0; i < c->nsources; i++) {
		struct conf_source *s = &c->sources[i];

		if (s->type == 0) {
			snprintf(err, errlen, "%s: [source %s] has no type", path, s->name);
			goto fail;
		}
		/* Read once here, not on every request (and a bad path fails the check). */
		if (s->app_password_file != NULL &&
		    read_secret(s->app_password_file, &s->app_password, err, errlen) == -1)
			goto fail;
		if (s->type != SRC_LOCAL && s->url == NULL) {
			snprintf(err, errlen, "%s: [source %s] needs a url", path, s->name);
			goto fail;
		}
		if (s->group == NULL)
			xasprintf(&s->group, "blogs.%s", s->name);
		if (s->type == SRC_ATOM || s->type == SRC_RSS)
			s->posting = POST_NO;	/* a feed cannot take comments */
		if (s->domain == NULL) {
			if (s->url != NULL)
				s->domain = url_host(s->url);
			else
				xasprintf(&s->domain, "%s.invalid", s->name);
		}
		for (j = 0; j < i; j++)
			if (!strcmp(c->sources[j].group, s->group)) {
				snprintf(err, errlen, "%s: sources %s and %s share group %s", path,
				    c->sources[j].name, s->name, s->group);
				goto fail;
			}
	}
	return c;
fail:
	conf_free(c);
	return NULL;
}

struct conf *
conf_hold(const struct conf *cc)
{
	struct conf	*c = (struct conf *)cc;	/* the count is not the contents */

	c->holds++;
	return c;
}

void
conf_free(struct conf *c)
{
	int	i, j;

	if (c == NULL)
		return;
	if (c->holds > 0) {
		c->holds--;
		return;
	}
	free(c->path);
	free(c->hostname);
	for (i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	for (i = 0; i < c->nlisten_tls; i++)
		free(c->listen_tls[i]);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->ca_file);
	free(c->secret_file);
	free(c->motd_file);
	free(c->motd);
	free(c->organization);
	free(c->store_path);
	free(c->store_conninfo);
	free(c->mail_domain);
	free(c->mail_relay);
	free(c->listen_lmtp);
	free(c->trusted_authserv);
	free(c->http_listen);
	free(c->http_base_url);
	for (i = 0; i < c->nsources; i++) {
		struct conf_source *s = &c->sources[i];

		free(s->name);
		free(s->url);
		free(s->user);
		free(s->app_password_file);
		if (s->app_password != NULL)
			explicit_bzero(s->app_password, strlen(s->app_password));
		free(s->app_password);
		free(s->group);
		free(s->description);
		free(s->domain);
		for (j = 0; j < s->ncategory_groups * 2; j++)
			free(s->category_groups[j]);
		free(s->category_groups);
	}
	free(c->sources);
	free(c);
}

const struct conf_source *
conf_source_find(const struct conf *c, const char *name)
{
	int	i;

	for (i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, name))
			return &c->sources[i];
	return NULL;
}

const struct conf_source *
conf_source_by_group(const struct conf *c, const char *group)
{
	int	i;

	for (i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].group, group))
			return &c->sources[i];
	return NULL;
}
