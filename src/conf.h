/* conf.h: the configuration file (INI, parsed with inih).
 * A struct conf is immutable once loaded; SIGHUP loads a new one and swaps it. */
#ifndef CONFAB_CONF_H
#define CONFAB_CONF_H

#include <stddef.h>

#define CONF_MAX_LISTEN	16

enum source_type { SRC_LOCAL = 1, SRC_WORDPRESS, SRC_ATOM, SRC_RSS };
enum posting { POST_NO = 0, POST_AUTH, POST_OPEN };

struct conf_source {
	char		*name;		/* [source NAME] */
	enum source_type type;		/* type = local | wordpress | atom | rss */
	char		*url;		/* url = https://blog.example/ (not for local) */
	char		*user;		/* user = (wordpress, optional) */
	char		*app_password_file;
	char		*app_password;	/* its first line, read when the config is loaded */
	char		*group;		/* group = blogs.NAME (default "blogs.NAME") */
	char		*description;	/* description = (LIST NEWSGROUPS) */
	char		*domain;	/* domain = Message-ID/pseudonym domain (default url's host,
					 * or the source name + ".invalid" for local sources) */
	enum posting	 posting;	/* posting = no | auth | open (default auth) */
	int		 pingbacks;	/* pingbacks = yes|no (default no) */
	int		 poll_interval;	/* poll_interval = seconds (default 300) */
	char		**category_groups; /* category_group = SLUG GROUP (may repeat), pairs */
	int		 ncategory_groups;
};

struct conf {
	int		 holds;			/* conf_hold()s not yet freed */
	char		*path;
	/* [server] */
	char		*hostname;		/* hostname = (default: gethostname) */
	char		*listen[CONF_MAX_LISTEN];	/* listen = ADDR:PORT, may repeat */
	int		 nlisten;
	char		*listen_tls[CONF_MAX_LISTEN];	/* listen_tls = ADDR:PORT */
	int		 nlisten_tls;
	char		*tls_cert, *tls_key;
	char		*secret_file;		/* default: next to the store, "secret" */
	char		*motd_file;
	char		*motd;			/* its text, CRLF lines, read with the config */
	char		*organization;
	int		 log_level;		/* log_level = error|warning|info|debug */
	int		 max_connections;	/* default 10000 */
	int		 max_connections_per_ip;	/* default 100 */
	int		 idle_timeout;		/* seconds, default 600 */
	size_t		 max_article_size;	/* bytes, default 1 MiB */
	size_t		 overview_cache;	/* bytes of overview kept in memory, 256 MiB */
	int		 post_timeout;		/* seconds to wait for the blog's verdict, default 10 */
	int		 auth_failures;		/* failed AUTHINFO per client per minute, default 5 */
	int		 retry_interval;	/* seconds before the outbox's first retry, default 30 */
	char		*ca_file;		/* CA bundle for HTTPS to blogs (default: system) */
	/* [store] */
	int		 store_backend;		/* backend = sqlite | postgresql (enum store_backend) */
	char		*store_path;		/* path = (default LOCALSTATEDIR/lib/confab/confab.db) */
	char		*store_conninfo;	/* conninfo = (libpq; backend = postgresql) */
#define conf_store_where(c)	((c)->store_backend ? (c)->store_conninfo : (c)->store_path)
	int		 busy_timeout;		/* ms, default 5000 */
	/* [mail] */
	char		*mail_domain, *mail_relay, *listen_lmtp;
	int		 digest_interval;	/* seconds between digests, default 86400 */
	char		*trusted_authserv;	/* require_auth = AUTHSERV-ID: replies need a
						 * DKIM or DMARC pass from that MTA */
	/* [http] */
	char		*http_listen;		/* listen = ADDR:PORT (default: none, off) */
	char		*http_base_url;		/* base_url = public URL of it, no trailing '/' */
	int		 http_tls;		/* tls = yes: HTTPS with [server] tls_cert */
	size_t		 http_max_body;		/* max_body_size = bytes, default 64 KiB */
	size_t		 http_max_headers;	/* max_header_size = bytes, default 8 KiB */
	int		 http_timeout;		/* timeout = seconds, default 30 */
	/* [source NAME] ... */
	struct conf_source *sources;
	int		 nsources;
};

/* Load and validate a config file. On error returns NULL and writes "file:line: what"
 * into err (errlen bytes). Caller owns the result (conf_free). */
struct conf *conf_load(const char *path, char *err, size_t errlen);
void	conf_free(struct conf *);
/* One more owner of c (a job on a worker thread across a reload): each conf_hold()
 * is matched by a conf_free(), on the loop's thread. */
struct conf	*conf_hold(const struct conf *);
const struct conf_source *conf_source_find(const struct conf *, const char *name);
const struct conf_source *conf_source_by_group(const struct conf *, const char *group);
const char *conf_default_path(void);
#endif
