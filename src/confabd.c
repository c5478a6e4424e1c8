/* confabd.c: the daemon: config, store, listeners, signals, systemd, the loop. */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <libxml/parser.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "fetch.h"
#include "http.h"
#include "lmtp.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "nntp.h"
#include "outbox.h"
#include "overview.h"
#include "poll.h"
#include "sd.h"
#include "secret.h"
#include "store.h"
#include "tls.h"
#include "work.h"

enum { L_NNTP, L_NNTPS, L_LMTP };

struct listener {
	struct listener		*next;
	struct evconnlistener	*ev;
	char			*addr;		/* as configured, or "fd:N" when inherited */
	int			 tls;		/* L_NNTP, L_NNTPS or L_LMTP */
	int			 inherited;
};

static struct server	 srv;
static struct fetcher	*fetcher;
static struct poller	*poller;
static struct mailer	*mailer;
static struct lmtp_server *lmtp;
static struct lmtp_handler lmtp_h;
static struct mail_ctx	 mailctx;
static struct listener	*listeners;
static struct event	*wdog;
static struct httpd	*httpd;

/* The heartbeat: this front end's row in the store (confab status), every HEARTBEAT
 * seconds; rows silent for a day are removed by whoever beats next. */
#define HEARTBEAT	15
#define HEARTBEAT_PRUNE	86400
static struct event	*beat_ev;
static char		 beat_owner[300];	/* host:pid, as the poller's leases */
static time_t		 beat_started;
static int		 beat_busy;		/* one write at a time */

static void
usage(void)
{
	fprintf(stderr, "usage: confabd [-dfnV] [-c config]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -f       stay in the foreground (systemd, tests)\n"
	    "  -n       check the configuration and exit\n"
	    "  -d       debug logging\n"
	    "  -V       print the version and exit\n", conf_default_path());
	exit(2);
}

static void
accept_cb(struct evconnlistener *ev, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct listener	*l = arg;

	if (l->tls == L_LMTP)
		lmtp_accept(lmtp, fd, sa, (socklen_t)salen);
	else
		nntp_accept(&srv, fd, sa, (socklen_t)salen, l->tls == L_NNTPS);
}

/* The handlers get their mail_ctx as arg: mailctx, or an offloaded call's own. */
static void
lmtp_rcpt(const char *rcpt, const char *mail_from, struct lmtp_reply *r, void *arg)
{
	mail_check_rcpt(arg, rcpt, r);
}

static void
lmtp_data(const char *mail_from, const char **rcpts, int n, const char *msg, size_t len,
    struct lmtp_reply *replies, void *arg)
{
	int	i;

	for (i = 0; i < n; i++)
		mail_receive(arg, mail_from, rcpts[i], msg, len, &replies[i]);
}

static void
lmtp_delivered(void *arg)
{
	mailer_kick(mailer);
	outbox_kick(srv.outbox);	/* replies to blogs go out now */
}

/* PostgreSQL: LMTP's checks and deliveries on a worker, with a pooled store and the
 * configuration of the moment (held). */
struct lmtpwork {
	void		(*run)(void *, void *);
	void		(*done)(void *);
	void		*job;
	struct mail_ctx	 mc;
	struct conf	*conf;
};

static void
lmtp_work_run(struct store *st, void *arg)
{
	struct lmtpwork	*w = arg;

	w->mc.store = st;
	w->run(w->job, &w->mc);
}

static void
lmtp_work_done(void *arg, int ok)
{
	struct lmtpwork	*w = arg;

	w->done(w->job);	/* (not run: the replies it had, 451) */
	conf_free(w->conf);
	free(w);
}

static void
lmtp_offload(void (*run)(void *, void *), void (*done)(void *), void *job, void *arg)
{
	struct lmtpwork	*w = xcalloc(1, sizeof(*w));

	w->run = run;
	w->done = done;
	w->job = job;
	w->conf = conf_hold(srv.conf);
	w->mc = mailctx;
	w->mc.conf = w->conf;
	work_store(srv.workers, srv.pool, srv.store, lmtp_work_run, lmtp_work_done, w);
}

static void
outbox_refused(const struct store_outbox *e, const char *why, void *arg)
{
	const struct conf_source	*src = conf_source_find(srv.conf, e->source);

	if (src != NULL)
		mailer_refused(mailer, src->group, e->email, e->msgid, e->html, why);
}

static void
mail_setup(const struct conf *c)
{
	mailctx.store = srv.store;
	mailctx.conf = c;
	mailctx.key = srv.key;
	lmtp_h.rcpt = lmtp_rcpt;
	lmtp_h.data = lmtp_data;
	lmtp_h.arg = &mailctx;
	lmtp_h.delivered = lmtp_delivered;
	/* Off the loop on PostgreSQL; at once on SQLite (a local file). */
	lmtp_h.offload = srv.pool != NULL ? lmtp_offload : NULL;
	lmtp_h.max_size = c->max_article_size * 4;	/* mail carries quotes and MIME */
	lmtp_h.hostname = c->hostname;
	if (lmtp != NULL)
		lmtp_set_handler(lmtp, &lmtp_h);
	if (mailer != NULL)
		mailer_set_conf(mailer, c);
}

static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
	evconnlistener_enable(arg);
}

static void
accept_error_cb(struct evconnlistener *ev, void *arg)
{
	int	e = EVUTIL_SOCKET_ERROR();

	log_warn("accept: %s", evutil_socket_error_to_string(e));
	if (e == EMFILE || e == ENFILE) {
		/* Out of descriptors: pause accepting for a second. */
		struct timeval	tv = { 1, 0 };

		evconnlistener_disable(ev);
		event_base_once(srv.base, -1, EV_TIMEOUT, accept_resume, ev, &tv);
	}
}

static int
parse_addr(const char *s, struct sockaddr_storage *ss, int *len)
{
	*len = sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	return evutil_parse_sockaddr_port(s, (struct sockaddr *)ss, len);
}

static struct listener *
listener_open(const char *addr, int kind)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	 sun;
	struct listener		*l;
	int			 len;

	memset(&ss, 0, sizeof(ss));
	if (!strncmp(addr, "unix:", 5)) {
		/* LMTP over a unix socket, e.g. for Postfix's lmtp:unix: transport. */
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(addr + 5) >= sizeof(sun.sun_path)) {
			log_err("listen %s: path too long", addr);
			return NULL;
		}
		strcpy(sun.sun_path, addr + 5);
		unlink(sun.sun_path);
		memcpy(&ss, &sun, sizeof(sun));
		len = sizeof(sun);
	} else if (parse_addr(addr, &ss, &len) == -1) {
		log_err("listen %s: bad address", addr);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->tls = kind;
	l->addr = xstrdup(addr);
	l->ev = evconnlistener_new_bind(srv.base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC | (ss.ss_family == AF_UNIX ? 0 : LEV_OPT_REUSEABLE) |
	    (ss.ss_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0), 511,
	    (struct sockaddr *)&ss, len);
	if (l->ev == NULL) {
		log_err("listen %s: %s", addr, strerror(errno));
		free(l->addr);
		free(l);
		return NULL;
	}
	if (ss.ss_family == AF_UNIX)
		chmod(addr + 5, 0660);
	evconnlistener_set_error_cb(l->ev, accept_error_cb);
	log_info("listening on %s%s", addr, kind == L_NNTPS ? " (TLS)" : kind == L_LMTP ?
	    " (LMTP)" : "");
	return l;
}

static void
listener_free(struct listener *l)
{
	evconnlistener_free(l->ev);
	free(l->addr);
	free(l);
}

/* Open what the config asks for and is not open; close what it no longer has. */
/* The addresses a config wants for a kind of listener. */
static int
wanted(const struct conf *c, int kind, char ***v)
{
	static char	*lmtp_one[1];

	switch (kind) {
	case L_NNTP:
		*v = (char **)c->listen;
		return c->nlisten;
	case L_NNTPS:
		*v = (char **)c->listen_tls;
		return c->nlisten_tls;
	default:
		lmtp_one[0] = c->listen_lmtp;
		*v = lmtp_one;
		return c->listen_lmtp != NULL;
	}
}

/* Open what the config asks for and is not open; close what it no longer has. */
static int
listeners_sync(const struct conf *c)
{
	struct listener	**lp, *l;
	char		**v;
	int		  i, t, n, found, ok = 0;

	for (lp = &listeners; (l = *lp) != NULL;) {
		found = l->inherited;
		n = wanted(c, l->tls, &v);
		for (i = 0; !found && i < n; i++)
			found = !strcmp(l->addr, v[i]);
		if (!found) {
			log_info("no longer listening on %s", l->addr);
			*lp = l->next;
			listener_free(l);
		} else
			lp = &l->next;
	}
	for (t = L_NNTP; t <= L_LMTP; t++) {
		n = wanted(c, t, &v);
		for (i = 0; i < n; i++) {
			for (found = 0, l = listeners; l && !found; l = l->next)
				found = (l->tls == t && !strcmp(l->addr, v[i])) ||
				    (l->inherited && l->tls == t);
			if (found)
				continue;
			if ((l = listener_open(v[i], t)) == NULL) {
				ok = -1;
				continue;
			}
			l->next = listeners;
			listeners = l;
		}
	}
	return ok;
}

static int
inherit_listeners(void)
{
	struct sysd_fd	 fds[SYSD_MAX_FDS];
	struct listener	*l;
	int		 n, i, nhttp = 0;

	n = sysd_listen(fds, SYSD_MAX_FDS);
	for (i = 0; i < n; i++) {
		if (!strcmp(fds[i].name, "http")) {
			if (httpd_inherit(httpd, fds[i].fd) == -1)
				fatal("socket activation: fd %d: cannot serve HTTP", fds[i].fd);
			nhttp++;
			continue;
		}
		evutil_make_socket_nonblocking(fds[i].fd);
		l = xcalloc(1, sizeof(*l));
		l->tls = !strcmp(fds[i].name, "nntps") ? L_NNTPS : !strcmp(fds[i].name, "lmtp") ?
		    L_LMTP : L_NNTP;
		l->inherited = 1;
		xasprintf(&l->addr, "fd:%d(%s)", fds[i].fd, fds[i].name);
		l->ev = evconnlistener_new(srv.base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE |
		    LEV_OPT_CLOSE_ON_EXEC, -1, fds[i].fd);
		if (l->ev == NULL)
			fatal("socket activation: fd %d: %s", fds[i].fd, strerror(errno));
		evconnlistener_set_error_cb(l->ev, accept_error_cb);
		l->next = listeners;
		listeners = l;
		log_info("listening on inherited %s", l->addr);
	}
	return n - nhttp;	/* the NNTP and LMTP ones */
}

/* Groups of the configured sources exist, with their description and policy. */
static int
groups_sync(struct store *st, const struct conf *c)
{
	long long	id;
	int		i;

	if (store_begin(st) == -1)
		return -1;
	for (i = 0; i < c->nsources; i++)
		if (store_group_ensure(st, c->sources[i].group, c->sources[i].description,
		    (int)c->sources[i].posting, &id) == -1) {
			store_rollback(st);
			return -1;
		}
	return store_commit(st);
}

/* A reload: the new configuration's groups are written first (off the loop with a
 * pool of stores), then it takes over, so that once listeners answer, LIST shows the
 * new groups; systemd's RELOADING=1 lasts until then. A SIGHUP meanwhile runs again
 * after it. */
struct reload {
	struct conf	*conf;
	SSL_CTX		*tls;
};
static int	reloading, reload_again;

static void	reload(void);

static void
groups_run(struct store *st, void *arg)
{
	struct reload	*r = arg;

	if (groups_sync(st, r->conf) == -1)
		log_err("reload: could not update groups");
}

static void
status(void)
{
	struct listener	*l;
	int		 n = 0;

	for (l = listeners; l; l = l->next)
		n++;
	sysd_notify("STATUS=serving on %d listener%s", n, n == 1 ? "" : "s");
}

static void
reload_done(void *arg, int ok)
{
	struct reload	*r = arg;
	struct conf	*c = r->conf;

	reloading = 0;
	if (srv.draining) {	/* stopping (the loop ends only so) */
		conf_free(c);
		if (r->tls)
			SSL_CTX_free(r->tls);
		free(r);
		return;
	}
	if (!ok)
		log_err("reload: could not update groups");
	conf_free(srv.conf);
	srv.conf = c;
	log_set_level(c->log_level);
	ov_set_max(srv.ov, c->overview_cache);
	if (srv.tls)
		SSL_CTX_free(srv.tls);	/* live sessions keep their own reference */
	srv.tls = r->tls;
	free(r);
	if (listeners_sync(c) == -1)
		log_err("reload: some listeners could not be opened");
	if (httpd_set_conf(httpd, c) == -1)
		log_err("reload: the HTTP listener could not be opened");
	poller_set_conf(poller, c, 1);
	outbox_set_conf(srv.outbox, c, poller);
	mail_setup(c);
	log_info("reloaded");
	sysd_notify("READY=1");
	status();
	if (reload_again) {
		reload_again = 0;
		reload();
	}
}

static void
reload(void)
{
	char		 err[512];
	struct conf	*c;
	struct reload	*r;
	SSL_CTX		*tls = NULL;

	if (reloading) {
		reload_again = 1;
		return;
	}
	sysd_notify("RELOADING=1");
	log_info("reloading %s", srv.conf->path);
	if ((c = conf_load(srv.conf->path, err, sizeof(err))) == NULL) {
		log_err("reload: %s; keeping the old configuration", err);
		goto fail;
	}
	if (c->tls_cert != NULL && (tls = tls_server_ctx(c->tls_cert, c->tls_key, err,
	    sizeof(err))) == NULL) {
		log_err("reload: %s; keeping the old configuration", err);
		conf_free(c);
		goto fail;
	}
	if (c->store_backend != srv.conf->store_backend ||
	    strcmp(conf_store_where(c), conf_store_where(srv.conf)) != 0)
		log_warn("reload: [store] changes need a restart; still using %s",
		    srv.conf->store_backend ? "the same PostgreSQL database" :
		    srv.conf->store_path);
	r = xcalloc(1, sizeof(*r));
	r->conf = c;
	r->tls = tls;
	reloading = 1;
	work_store(srv.workers, srv.pool, srv.store, groups_run, reload_done, r);
	return;
fail:
	sysd_notify("READY=1");
	status();
}

static void
stop_loop(struct server *s)
{
	event_base_loopexit(s->base, NULL);
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct listener	*l;

	switch (sig) {
	case SIGHUP:
		reload();
		break;
	case SIGTERM:
	case SIGINT:
		if (srv.draining) {
			log_info("second signal: stopping now");
			event_base_loopexit(srv.base, NULL);
			break;
		}
		log_info("stopping: draining %d connection%s", srv.nsessions,
		    srv.nsessions == 1 ? "" : "s");
		sysd_notify("STOPPING=1");
		for (l = listeners; l; l = l->next)
			evconnlistener_disable(l->ev);
		srv.on_empty = stop_loop;
		nntp_drain(&srv);
		{
			/* Do not wait forever for slow clients. */
			struct timeval tv = { 10, 0 };
			event_base_loopexit(srv.base, &tv);
		}
		break;
	}
}

static void
watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	sysd_notify("WATCHDOG=1");
}

/* PostgreSQL: the loop's own connection (it hears the change notices) made again
 * without waiting when it was lost, a step whenever its socket is ready. */
static struct event	*relink_tick, *relink_io;

static void
relink_step(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval	tv = { 5, 0 };
	int		sock, writing;

	if (relink_io != NULL) {
		event_free(relink_io);
		relink_io = NULL;
	}
	if (store_reconnect(srv.store, &sock, &writing) != 1)
		return;		/* connected, or failed: the next tick tries again */
	relink_io = event_new(srv.base, sock, writing ? EV_WRITE : EV_READ, relink_step,
	    NULL);
	event_add(relink_io, &tv);	/* (a timeout: poll libpq again all the same) */
}

/* Change notices are read when they come, not asked for on every use of the kept
 * overview; after a reconnection (a new socket) once at once: what was missed counts
 * as every group. */
static struct event	*notice_ev;
static int		 notice_fd = -1;

static void	notice_watch(void);

static void
notice_cb(evutil_socket_t fd, short ev, void *arg)
{
	ov_notices(srv.ov, srv.store);
	notice_watch();		/* the connection may have gone (EOF) */
}

static void
notice_watch(void)
{
	int	fd = store_socket(srv.store);

	if (fd == notice_fd)
		return;
	if (notice_ev != NULL)
		event_free(notice_ev);
	notice_ev = NULL;
	if ((notice_fd = fd) < 0)
		return;
	notice_ev = event_new(srv.base, fd, EV_READ | EV_PERSIST, notice_cb, NULL);
	event_add(notice_ev, NULL);
	ov_notices(srv.ov, srv.store);
}

static void
relink_cb(evutil_socket_t fd, short ev, void *arg)
{
	if (relink_io == NULL)
		relink_step(-1, 0, NULL);
	notice_watch();
}

struct beat {
	struct store_frontend	 fe;
};

/* On a worker with a connection of its own on PostgreSQL (the loop never waits). */
static void
beat_run(struct store *st, void *arg)
{
	struct beat	*b = arg;

	if (store_frontend_beat(st, &b->fe, b->fe.seen - HEARTBEAT_PRUNE) == -1)
		log_warn("heartbeat: cannot write to the store");
}

static void
beat_done(void *arg, int ok)
{
	beat_busy = 0;
	free(arg);
}

static void
beat_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct beat	*b;

	if (beat_busy)
		return;		/* the last one has not finished: the store is slow */
	b = xcalloc(1, sizeof(*b));
	b->fe.owner = beat_owner;
	b->fe.version = PACKAGE_VERSION;
	b->fe.started = beat_started;
	b->fe.seen = time(NULL);
	b->fe.nntp = srv.nsessions;
	b->fe.lmtp = lmtp != NULL ? lmtp_sessions(lmtp) : 0;
	beat_busy = 1;
	work_store(srv.workers, srv.pool, srv.store, beat_run, beat_done, b);
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
libevent_log(int sev, const char *msg)
{
	if (sev >= EVENT_LOG_WARN)
		log_warn("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

int
main(int argc, char *argv[])
{
	const char	*path = conf_default_path();
	char		 err[512];
	int		 ch, foreground = 0, check = 0, debug = 0, n;
	struct event	*sigs[4];
	const int	 signos[4] = { SIGHUP, SIGTERM, SIGINT, 0 };
	struct listener	*l;
	struct fetch_opts fopts;
	struct event_config *evcfg;

	log_init(LOG_LVL_INFO, "confabd");
	while ((ch = getopt(argc, argv, "c:dfhnV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("confabd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if ((srv.conf = conf_load(path, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return 1;
	}
	log_set_level(debug ? LOG_LVL_DEBUG : srv.conf->log_level);
	if (srv.conf->tls_cert != NULL && (srv.tls = tls_server_ctx(srv.conf->tls_cert,
	    srv.conf->tls_key, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	event_set_log_callback(libevent_log);
	/* The changelist folds a write event armed and disarmed within one loop iteration
	 * (flush_direct in nntp.c) into no epoll_ctl call at all; confabd never dup()s. */
	if ((evcfg = event_config_new()) == NULL ||
	    event_config_set_flag(evcfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == -1 ||
	    (srv.base = event_base_new_with_config(evcfg)) == NULL)
		fatal("event_base_new");
	xmlInitParser();	/* before any worker thread may parse (POST publishing) */
	event_config_free(evcfg);
	if ((srv.store = store_connect(srv.conf->store_backend, conf_store_where(srv.conf),
	    srv.conf->busy_timeout, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return 1;
	}
	if (secret_load(srv.conf->secret_file, srv.key, err, sizeof(err)) == -1) {
		log_err("%s", err);
		return 1;
	}
	if (groups_sync(srv.store, srv.conf) == -1) {
		log_err("cannot set up groups in the store");
		return 1;
	}
	metrics.started = time(NULL);
	httpd = httpd_new(&srv);
	n = inherit_listeners();
	if (n == 0 && listeners_sync(srv.conf) == -1)
		return 1;
	if (httpd_set_conf(httpd, srv.conf) == -1)
		return 1;
	if (listeners == NULL) {
		log_err("nothing to listen on: set [server] listen");
		return 1;
	}
	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon: %s", strerror(errno));
		log_syslog();
		event_reinit(srv.base);
	}
	for (n = 0; signos[n] != 0; n++) {
		sigs[n] = evsignal_new(srv.base, signos[n], signal_cb, NULL);
		evsignal_add(sigs[n], NULL);
	}
	if (sysd_watchdog_usec() > 0) {
		struct timeval	tv;
		uint64_t	half = sysd_watchdog_usec() / 2;

		tv.tv_sec = (time_t)(half / 1000000);
		tv.tv_usec = (suseconds_t)(half % 1000000);
		wdog = event_new(srv.base, -1, EV_PERSIST, watchdog_cb, NULL);
		event_add(wdog, &tv);
	}
	memset(&fopts, 0, sizeof(fopts));
	fopts.ca_file = srv.conf->ca_file;	/* fixed at start: a change needs a restart */
	if ((fetcher = fetcher_new(srv.base, &fopts)) == NULL)
		fatal("cannot set up the HTTP client");
	poller = poller_new(srv.base, fetcher, srv.store, srv.key);
	srv.outbox = outbox_new(srv.base, fetcher, srv.store, srv.key);
	srv.fetch = fetcher;
	/* PostgreSQL: article lookups run on the workers, each with a connection of its
	 * own (they wait on the network, not on a CPU). */
	if (srv.conf->store_backend == STORE_POSTGRESQL)
		srv.pool = store_pool_new(STORE_POSTGRESQL, conf_store_where(srv.conf),
		    srv.conf->busy_timeout);
	srv.workers = workers_new(srv.base, srv.pool != NULL ? 8 : 2);
	srv.ov = ov_new(srv.conf->overview_cache);
	if (srv.pool != NULL) {
		struct timeval	tv = { 1, 0 };

		relink_tick = event_new(srv.base, -1, EV_PERSIST, relink_cb, NULL);
		event_add(relink_tick, &tv);
		notice_watch();
		ov_set_async(srv.ov, srv.workers, srv.pool);
		outbox_set_async(srv.outbox, srv.workers, srv.pool);
		poller_set_async(poller, srv.workers, srv.pool);
	}
	poller_set_conf(poller, srv.conf, 1);
	outbox_set_conf(srv.outbox, srv.conf, poller);
	lmtp = lmtp_new(srv.base, &lmtp_h);
	mailer = mailer_new(srv.base, srv.store, srv.key);
	if (srv.pool != NULL)
		mailer_set_async(mailer, srv.workers, srv.pool);
	outbox_on_refused(srv.outbox, outbox_refused, NULL);
	mail_setup(srv.conf);
	if (gethostname(beat_owner, sizeof(beat_owner) - 24) == -1)
		strcpy(beat_owner, "localhost");
	snprintf(beat_owner + strlen(beat_owner), 24, ":%ld", (long)getpid());
	beat_started = time(NULL);
	{
		struct timeval	tv = { HEARTBEAT, 0 };

		beat_ev = event_new(srv.base, -1, EV_PERSIST, beat_cb, NULL);
		event_add(beat_ev, &tv);
		beat_cb(-1, 0, NULL);
	}
	log_info("confabd %s ready (%s)", PACKAGE_VERSION, srv.conf->hostname);
	sysd_notify("READY=1");
	status();

	event_base_dispatch(srv.base);

	log_info("stopped");
	event_free(beat_ev);
	if (relink_tick != NULL)
		event_free(relink_tick);
	if (relink_io != NULL)
		event_free(relink_io);
	if (notice_ev != NULL)
		event_free(notice_ev);
	nntp_close_all(&srv);
	if (srv.pool != NULL)
		ov_set_async(srv.ov, NULL, NULL);	/* nothing more for the workers */
	workers_free(srv.workers);	/* their last done()s may still need the rest */
	outbox_free(srv.outbox);
	poller_free(poller);
	lmtp_free(lmtp);
	mailer_free(mailer);
	httpd_free(httpd);	/* (after the workers: their replies went out) */
	store_pool_free(srv.pool);
	store_frontend_gone(srv.store, beat_owner);	/* a clean stop: not "dead" */
	ov_free(srv.ov);
	fetcher_free(fetcher);
	while ((l = listeners) != NULL) {
		listeners = l->next;
		listener_free(l);
	}
	for (n = 0; signos[n] != 0; n++)
		event_free(sigs[n]);
	if (wdog)
		event_free(wdog);
	store_close(srv.store);
	if (srv.tls)
		SSL_CTX_free(srv.tls);
	conf_free(srv.conf);
	event_base_free(srv.base);
	return 0;
}
