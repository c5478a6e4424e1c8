/* test_conf.c: config loading, defaults, and errors that name file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tap.h"

static char path[] = "/tmp/confab-test-conf-XXXXXX";

static struct conf *
load(const char *text, char *err, size_t errlen)
{
	FILE	*f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	return conf_load(path, err, errlen);
}

/* err must be "PATH:LINE: ..." containing what. */
static void
bad(const char *text, int line, const char *what)
{
	char		 err[512], want[600];
	struct conf	*c = load(text, err, sizeof(err));

	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	ok(c == NULL && strncmp(err, want, strlen(want)) == 0 && strstr(err, what) != NULL,
	    "rejected at line %d: %s", line, what);
	if (c != NULL || strstr(err, what) == NULL)
		printf("#   err: %s\n", err);
	conf_free(c);
}

int
main(void)
{
	char		 err[512];
	struct conf	*c;
	int		 fd = mkstemp(path);

	close(fd);
	c = load("[server]\nhostname = h.example\nlisten = 127.0.0.1:1119\n"
	    "listen = [::1]:1119\n[store]\npath = /tmp/x.db\n"
	    "[source blog]\ntype = wordpress\nurl = https://blog.example:8443/x/\n"
	    "category_group = news blogs.blog.news\n"
	    "[source demo]\ntype = local ; inline comment\nposting = open\n", err, sizeof(err));
	ok(c != NULL, "a full config loads (%s)", err);
	if (c == NULL)
		return tap_done();
	is_str(c->hostname, "h.example", "hostname");
	is_int(c->nlisten, 2, "listen repeats");
	is_str(c->listen[1], "[::1]:1119", "IPv6 literal");
	is_int(c->max_connections, 10000, "max_connections default");
	is_int(c->idle_timeout, 600, "idle_timeout default");
	is_int(c->max_article_size, 1048576, "max_article_size default");
	is_str(c->secret_file, "/tmp/secret", "secret_file defaults next to the store");
	is_int(c->nsources, 2, "two sources");
	is_str(c->sources[0].group, "blogs.blog", "group defaults to blogs.NAME");
	is_str(c->sources[0].domain, "blog.example", "domain from the url's host");
	is_int(c->sources[0].ncategory_groups, 1, "category_group");
	is_str(c->sources[1].domain, "demo.invalid", "local source domain");
	is_int(c->sources[1].posting, POST_OPEN, "posting = open (inline comment stripped)");
	ok(conf_source_by_group(c, "blogs.demo") == &c->sources[1], "source by group");
	conf_free(c);

	bad("[server]\nhostname = x\nbogus = 1\n", 3, "unknown key 'bogus'");
	bad("\n[nope]\nx = 1\n", 3, "unknown section [nope]");
	bad("[server]\nlisten = 127.0.0.1\n", 2, "bad address");
	bad("[server]\nlisten = 127.0.0.1:99999\n", 2, "bad address");
	bad("[server]\nmax_connections = lots\n", 2, "max_connections");
	bad("[server]\nidle_timeout = 0\n", 2, "idle_timeout");
	bad("[server]\nlog_level = loud\n", 2, "log_level");
	bad("[source a]\ntype = ftp\n", 2, "type: 'ftp'");
	bad("[source a]\ntype = local\ngroup = bad..name\n", 3, "not a valid newsgroup");
	bad("[source a]\ntype = local\nposting = maybe\n", 3, "posting");
	bad("[source a]\ntype = rss\nurl = ftp://x/\n", 3, "not an http(s) URL");
	bad("[store]\nbusy_timeout = -5\n", 2, "busy_timeout");
	bad("[mail]\nrelay = nowhere\n", 2, "relay");

	bad("[http]\nlisten = 8119\n", 2, "listen: bad address");
	bad("[http]\nlisten = unix:/run/x\n", 2, "listen: bad address");
	bad("[http]\nbase_url = lists.example.org\n", 2, "base_url");
	bad("[http]\nbase_url = https://x.example/?a=1\n", 2, "base_url");
	bad("[http]\ntls = maybe\n", 2, "tls: 'maybe'");
	bad("[http]\nmax_body_size = 10\n", 2, "max_body_size");
	bad("[http]\nmax_header_size = 99999999\n", 2, "max_header_size");
	bad("[http]\ntimeout = 0\n", 2, "timeout");
	bad("[http]\nport = 80\n", 2, "unknown key 'port' in section [http]");

	c = load("[http]\n", err, sizeof(err));
	ok(c != NULL && c->http_listen == NULL && c->http_base_url == NULL &&
	    c->http_max_body == 65536 && c->http_max_headers == 8192 && c->http_timeout == 30 &&
	    !c->http_tls, "[http]: off, and the limits' defaults");
	conf_free(c);
	c = load("[http]\nlisten = [::1]:8119\nbase_url = https://lists.example.org/x//\n"
	    "max_body_size = 4096\ntimeout = 5\n", err, sizeof(err));
	ok(c != NULL && !strcmp(c->http_listen, "[::1]:8119") &&
	    !strcmp(c->http_base_url, "https://lists.example.org/x") &&
	    c->http_max_body == 4096 && c->http_timeout == 5,
	    "[http]: IPv6 listen, base_url without its trailing '/', limits (%s)", err);
	conf_free(c);
	c = load("[http]\nlisten = 127.0.0.1:8119\nlisten =\n", err, sizeof(err));
	ok(c != NULL && c->http_listen == NULL, "[http] listen = (empty): off");
	conf_free(c);
	c = load("[http]\ntls = yes\n", err, sizeof(err));
	ok(c == NULL && strstr(err, "tls_cert"), "[http] tls needs a certificate");

	c = load("[source a]\ntype = rss\n", err, sizeof(err));
	ok(c == NULL && strstr(err, "needs a url"), "a feed source needs a url");
	c = load("[source a]\ntype = local\n[source b]\ntype = local\ngroup = blogs.a\n",
	    err, sizeof(err));
	ok(c == NULL && strstr(err, "share group"), "two sources cannot share a group");
	c = load("[server]\nlisten_tls = 127.0.0.1:563\n", err, sizeof(err));
	ok(c == NULL && strstr(err, "tls_cert"), "listen_tls needs a certificate");
	c = load("this is not ini\n", err, sizeof(err));
	ok(c == NULL && strstr(err, ":1:"), "syntax error names line 1 (%s)", err);
	c = conf_load("/nonexistent/confab.conf", err, sizeof(err));
	ok(c == NULL && strstr(err, "No such file"), "missing file is reported");
	unlink(path);
	return tap_done();
}
