/* confab.c: the admin command. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "confab.h"
#include "fetch.h"
#include <event2/event.h>
#include "import.h"
#include "ingest.h"
#include "log.h"
#include "mail.h"
#include "poll.h"
#include "secret.h"
#include "store.h"

static const char	*conf_path;
struct conf		*conf;

static void
usage(FILE *f)
{
	fprintf(f, "usage: confab [-c config] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  check                          validate the configuration\n"
	    "  import --source NAME FILE...   import WXR, Atom, RSS, WordPress JSON or Disqus\n"
	    "  poll --source NAME [--full]    fetch a live source once, now (--full: every\n"
	    "                                 post and comment, not only recent ones)\n"
	    "  subscribe GROUP ADDRESS [--thread MSGID] [--digest] [--no-confirm]\n"
	    "  unsubscribe GROUP ADDRESS      end a subscription\n"
	    "  subscribers GROUP              list a group's subscribers\n"
	    "  deliver --recipient ADDRESS    take one mail on stdin (for MTAs that pipe)\n"
	    "  user add NAME                  add or change a local account (password on stdin)\n"
	    "  user del NAME                  remove a local account\n"
	    "  user list                      list local accounts\n"
	    "  store copy --to CONNINFO       copy the store into an empty PostgreSQL database\n"
	    "                                 (numbers and Message-IDs kept)\n"
	    "  status [--json]                sources' polls, queues, front ends, the store\n"
	    "  outbox list [--all]            comments waiting for the blog (--all: delivered too)\n"
	    "  outbox retry ID|all            make entries due now (a running confabd sends them)\n"
	    "  outbox drop ID                 remove an entry that was not delivered\n"
	    "  mailq list|retry ID|all|drop ID  the same for the list mail queue\n"
	    "options:\n"
	    "  -c, --config FILE   configuration (default %s)\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       the version\n", conf_default_path());
}

void
load_conf(void)
{
	char	err[512];

	if ((conf = conf_load(conf_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "confab: %s\n", err);
		exit(1);
	}
	log_set_level(conf->log_level < LOG_LVL_WARN ? conf->log_level : LOG_LVL_WARN);
}

struct store *
open_store(void)
{
	struct store	*st;
	char		 err[512];

	if ((st = store_connect(conf->store_backend, conf_store_where(conf), conf->busy_timeout,
	    err, sizeof(err))) == NULL) {
		fprintf(stderr, "confab: %s\n", err);
		exit(1);
	}
	return st;
}

static int
cmd_check(int argc, char **argv)
{
	char	store[1024];

	load_conf();
	printf("%s: configuration OK (%d source%s)\n", conf_path, conf->nsources,
	    conf->nsources == 1 ? "" : "s");
	if (store_probe(conf->store_backend, conf_store_where(conf), store,
	    sizeof(store)) == -1) {
		fprintf(stderr, "confab: store: %s\n", store);
		return 1;
	}
	printf("store: %s\n", store);
	return 0;
}

/* Progress: a bar on a TTY, plain lines otherwise. */
struct progress {
	struct importer	*im;
	int		 tty;
	long		 items;
	double		 start, last;
	long		 total_hint;
	const char	*file;
};

static double
now(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void
progress_show(struct progress *p, int final)
{
	double	el = now() - p->start, rate = el > 0 ? p->items / el : 0;

	if (p->tty) {
		fprintf(stderr, "\r%s: %ld items, %.0f/s, %.1fs%s", p->file, p->items, rate, el,
		    final ? "\n" : "   ");
	} else if (final || now() - p->last >= 5)
		fprintf(stderr, "%s: %ld items, %.0f items/s\n", p->file, p->items, rate);
	p->last = now();
}

static int
progress_cb(const struct item *it, void *arg)
{
	struct progress	*p = arg;

	p->items++;
	if ((p->items & 1023) == 0 && now() - p->last > (p->tty ? 0.2 : 5))
		progress_show(p, 0);
	return importer_item(it, p->im);
}

static int
count_cb(const struct item *it, void *arg)
{
	(*(long *)arg)++;
	return 0;
}

/* import --parse-only: parse and count, store untouched (the benchmark's baseline). */
static int
parse_files(int nfiles, char **files)
{
	struct ingest_result	res;
	struct rusage		ru;
	double			t0 = now(), el;
	long			items = 0;
	int			i;

	for (i = 0; i < nfiles; i++) {
		memset(&res, 0, sizeof(res));
		if (ingest_file(files[i], count_cb, &items, &res) == -1) {
			fprintf(stderr, "confab: %s\n", res.error);
			return 1;
		}
		fprintf(stderr, "%s: %s, %ld items\n", files[i], ingest_format_name(res.format),
		    res.items);
	}
	getrusage(RUSAGE_SELF, &ru);
	el = now() - t0;
	printf("parsed %ld items (store untouched)\n", items);
	printf("%.2f s, %.0f items/s, peak RSS %ld MB\n", el, items / (el > 0 ? el : 1),
	    ru.ru_maxrss / 1024);
	return 0;
}

static int
cmd_import(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "parse-only", no_argument, NULL, 'P' },
		{ "mail", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	const struct conf_source	*src;
	const struct import_stats	*stt;
	int				 mail = 0;
	struct store			*st;
	struct importer			*im;
	struct ingest_result		 res;
	struct progress			 pr;
	unsigned char			 key[SECRET_LEN];
	const char			*source = NULL;
	char				 err[512];
	int				 ch, i, full = 0, rc = 1, parse_only = 0;
	double				 t0 = now();
	struct rusage			 ru;

	optind = 0;	/* 0: glibc re-initialises getopt (argument permutation) */
	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (ch == 's')
			source = optarg;
		else if (ch == 'P')
			parse_only = 1;
		else if (ch == 'M')
			mail = 1;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (source == NULL || optind >= argc) {
		fprintf(stderr, "usage: confab import --source NAME [--mail] FILE...\n");
		return 2;
	}
	load_conf();
	if ((src = conf_source_find(conf, source)) == NULL) {
		fprintf(stderr, "confab: no [source %s] in %s\n", source, conf_path);
		return 1;
	}
	if (parse_only)
		return parse_files(argc - optind, argv + optind);
	st = open_store();
	if (secret_load(conf->secret_file, key, err, sizeof(err)) == -1) {
		fprintf(stderr, "confab: %s\n", err);
		store_close(st);
		return 1;
	}
	if (store_begin(st) == -1) {
		fprintf(stderr, "confab: the store is busy\n");
		store_close(st);
		return 1;
	}
	im = importer_new(st, conf, src, key);
	if (im == NULL)
		goto fail;
	memset(&pr, 0, sizeof(pr));
	pr.im = im;
	pr.tty = isatty(2);
	for (i = optind; i < argc; i++) {
		pr.file = argv[i];
		pr.items = 0;
		pr.start = pr.last = now();
		memset(&res, 0, sizeof(res));
		if (ingest_file(argv[i], progress_cb, &pr, &res) == -1) {
			if (pr.tty)
				fputc('\n', stderr);
			fprintf(stderr, "confab: %s\nconfab: nothing imported\n", res.error);
			goto fail;
		}
		progress_show(&pr, 1);
		fprintf(stderr, "%s: %s, %ld items\n", argv[i], ingest_format_name(res.format),
		    res.items);
		full |= res.full;
	}
	if (full && importer_vanish(im) == -1)
		goto fail;
	/* A bulk import is history: not mailed to subscribers unless asked (--mail). */
	if (importer_publish(im) == -1 || (!mail && mail_skip_existing(st) == -1) ||
	    store_commit(st) == -1)
		goto fail;
	stt = importer_stats(im);
	getrusage(RUSAGE_SELF, &ru);
	printf("posts %ld, comments %ld: published %ld, unchanged %ld, superseded %ld, "
	    "withdrawn %ld\n", stt->posts, stt->comments, stt->published, stt->unchanged,
	    stt->superseded, stt->withdrawn);
	for (i = 1; i <= ITEM_OTHER_TYPE; i++)
		if (stt->skipped[i] > 0)
			printf("skipped %ld: %s\n", stt->skipped[i], item_state_name(i));
	if (stt->duplicates)
		printf("skipped %ld: duplicate id\n", stt->duplicates);
	if (stt->unknown_post)
		printf("skipped %ld: comment of an unknown post\n", stt->unknown_post);
	printf("%.2f s, %.0f items/s, peak RSS %ld MB\n", now() - t0,
	    (stt->posts + stt->comments) / (now() - t0 > 0 ? now() - t0 : 1),
	    ru.ru_maxrss / 1024);
	rc = 0;
	goto done;
fail:
	store_rollback(st);
done:
	importer_free(im);
	store_close(st);
	explicit_bzero(key, sizeof(key));
	return rc;
}

static struct event_base *poll_base;

static void
poll_done(int ok, void *arg)
{
	int	*rc = arg;

	*rc = ok ? 0 : 1;
	event_base_loopbreak(poll_base);
}

static int
cmd_poll(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "full", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct conf_source	*src;
	struct event_base		*base;
	struct fetch_opts		 fopts;
	int				 full = 0;
	struct fetcher			*f;
	struct poller			*p;
	struct store			*st;
	unsigned char			 key[SECRET_LEN];
	const char			*source = NULL;
	char				 err[512];
	int				 ch, rc = -1;

	optind = 0;	/* 0: glibc re-initialises getopt (argument permutation) */
	while ((ch = getopt_long(argc, argv, "s:f", opts, NULL)) != -1) {
		if (ch == 's')
			source = optarg;
		else if (ch == 'f')
			full = 1;
		else
			return 2;
	}
	if (source == NULL || optind != argc) {
		fprintf(stderr, "usage: confab poll --source NAME [--full]\n");
		return 2;
	}
	load_conf();
	log_set_level(conf->log_level > LOG_LVL_INFO ? conf->log_level : LOG_LVL_INFO);
	if ((src = conf_source_find(conf, source)) == NULL) {
		fprintf(stderr, "confab: no [source %s] in %s\n", source, conf_path);
		return 1;
	}
	if (src->type == SRC_LOCAL) {
		fprintf(stderr, "confab: source %s is local: nothing to poll\n", source);
		return 1;
	}
	if (secret_load(conf->secret_file, key, err, sizeof(err)) == -1) {
		fprintf(stderr, "confab: %s\n", err);
		return 1;
	}
	st = open_store();
	poll_base = base = event_base_new();
	memset(&fopts, 0, sizeof(fopts));
	fopts.ca_file = conf->ca_file;
	f = fetcher_new(base, &fopts);
	p = poller_new(base, f, st, key);
	poller_set_conf(p, conf, 0);
	if (poller_run(p, source, full, poll_done, &rc) == 0 && rc == -1)
		event_base_dispatch(base);
	poller_free(p);
	fetcher_free(f);
	event_base_free(base);
	store_close(st);
	explicit_bzero(key, sizeof(key));
	return rc == 0 ? 0 : 1;
}

static struct mail_ctx *
mail_ctx_open(struct mail_ctx *m, unsigned char *key)
{
	char	err[512];

	load_conf();
	if (secret_load(conf->secret_file, key, err, sizeof(err)) == -1) {
		fprintf(stderr, "confab: %s\n", err);
		exit(1);
	}
	m->store = open_store();
	m->conf = conf;
	m->key = key;
	return m;
}

static int
cmd_subscribe(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "thread", required_argument, NULL, 't' },
		{ "digest", no_argument, NULL, 'd' },
		{ "no-confirm", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct mail_ctx		 m;
	unsigned char		 key[SECRET_LEN];
	const char		*thread = NULL, *why = NULL;
	int			 ch, digest = 0, confirm = 1, rc;

	optind = 0;	/* 0: glibc re-initialises getopt (argument permutation) */
	while ((ch = getopt_long(argc, argv, "t:dn", opts, NULL)) != -1) {
		if (ch == 't')
			thread = optarg;
		else if (ch == 'd')
			digest = 1;
		else if (ch == 'n')
			confirm = 0;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: confab subscribe GROUP ADDRESS [--thread MSGID] "
		    "[--digest] [--no-confirm]\n");
		return 2;
	}
	mail_ctx_open(&m, key);
	rc = mail_subscribe(&m, argv[optind], argv[optind + 1], thread, digest, confirm, &why);
	if (rc == -1)
		fprintf(stderr, "confab: %s\n", why);
	else
		printf("%s %s to %s%s\n", argv[optind + 1], confirm ? "asked to confirm" :
		    "subscribed", argv[optind], thread ? " (one thread)" : "");
	store_close(m.store);
	explicit_bzero(key, sizeof(key));
	return rc == 0 ? 0 : 1;
}

static int
cmd_unsubscribe(int argc, char **argv)
{
	struct mail_ctx		m;
	unsigned char		key[SECRET_LEN];
	int			rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: confab unsubscribe GROUP ADDRESS [THREAD]\n");
		return 2;
	}
	mail_ctx_open(&m, key);
	rc = mail_unsubscribe(&m, argv[1], argv[2], argc > 3 ? argv[3] : NULL);
	if (rc == -1)
		fprintf(stderr, "confab: %s is not subscribed to %s\n", argv[2], argv[1]);
	store_close(m.store);
	return rc == 0 ? 0 : 1;
}

static int
print_sub(const struct store_sub *b, void *arg)
{
	static const char *states[] = { "pending", "active", "suspended" };

	printf("%s\t%s\t%s\t%s%s\n", b->address, states[b->state % 3],
	    b->mode == SUB_DIGEST ? "digest" : "each", *b->thread ? "thread " : "group",
	    b->thread);
	return 0;
}

static int
cmd_subscribers(int argc, char **argv)
{
	struct store	*st;
	int		 rc;

	if (argc != 2) {
		fprintf(stderr, "usage: confab subscribers GROUP\n");
		return 2;
	}
	load_conf();
	st = open_store();
	rc = store_sub_each(st, argv[1], print_sub, NULL);
	store_close(st);
	return rc == 0 ? 0 : 1;
}

/* confab deliver: for MTAs that pipe (sysexits: 0 ok, 65 data, 67 no user, 75 later). */
static int
cmd_deliver(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "recipient", required_argument, NULL, 'r' },
		{ "sender", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct mail_ctx		 m;
	struct lmtp_reply	 r;
	unsigned char		 key[SECRET_LEN];
	const char		*rcpt = NULL, *from = "";
	struct buf		 msg, crlf;
	char			 chunk[65536];
	size_t			 n, i, limit;
	int			 ch;

	optind = 0;	/* 0: glibc re-initialises getopt (argument permutation) */
	while ((ch = getopt_long(argc, argv, "r:f:", opts, NULL)) != -1) {
		if (ch == 'r')
			rcpt = optarg;
		else if (ch == 'f')
			from = optarg;
		else
			return 64;
	}
	if (rcpt == NULL || optind != argc) {
		fprintf(stderr, "usage: confab deliver --recipient ADDRESS [--sender ADDRESS] "
		    "< message\n");
		return 64;
	}
	mail_ctx_open(&m, key);
	limit = conf->max_article_size * 4;
	memset(&r, 0, sizeof(r));
	mail_check_rcpt(&m, rcpt, &r);
	if (r.code != 250) {
		fprintf(stderr, "confab: %d %s %s\n", r.code, r.enh, r.text);
		store_close(m.store);
		return r.code >= 500 ? 67 : 75;
	}
	buf_init(&msg);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (msg.len + n > limit) {
			fprintf(stderr, "confab: message larger than %zu octets\n", limit);
			buf_free(&msg);
			store_close(m.store);
			return 65;
		}
		buf_add(&msg, chunk, n);
	}
	/* Pipes deliver LF line ends: the message is handled with CRLF. */
	buf_init(&crlf);
	for (i = 0; i < msg.len; i++) {
		if (msg.data[i] == '\n' && (i == 0 || msg.data[i - 1] != '\r'))
			buf_addc(&crlf, '\r');
		buf_addc(&crlf, msg.data[i]);
	}
	buf_free(&msg);
	memset(&r, 0, sizeof(r));
	mail_receive(&m, from, rcpt, crlf.data ? crlf.data : "", crlf.len, &r);
	buf_free(&crlf);
	store_close(m.store);
	explicit_bzero(key, sizeof(key));
	if (r.code == 250) {
		printf("%s\n", r.text);
		return 0;
	}
	fprintf(stderr, "confab: %d %s %s\n", r.code, r.enh, r.text);
	if (r.code < 500)
		return 75;
	return !strcmp(r.enh, "5.1.1") ? 67 : 65;
}

static int
print_user(const char *name, void *arg)
{
	printf("%s\n", name);
	return 0;
}

static int
cmd_user(int argc, char **argv)
{
	struct store	*st;
	char		 pass[1024], *hash;
	int		 rc = 1;

	if (argc < 2 || (strcmp(argv[1], "list") && argc != 3)) {
		fprintf(stderr, "usage: confab user add|del NAME, confab user list\n");
		return 2;
	}
	load_conf();
	st = open_store();
	if (!strcmp(argv[1], "add")) {
		struct termios	t, old;
		int		tty = isatty(0);

		if (strlen(argv[2]) == 0 || strlen(argv[2]) > 64 || strpbrk(argv[2], " \t:")) {
			fprintf(stderr, "confab: bad user name\n");
			goto done;
		}
		if (tty) {
			fprintf(stderr, "password for %s: ", argv[2]);
			tcgetattr(0, &old);
			t = old;
			t.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(0, TCSANOW, &t);
		}
		if (fgets(pass, sizeof(pass), stdin) == NULL)
			pass[0] = '\0';
		if (tty) {
			tcsetattr(0, TCSANOW, &old);
			fputc('\n', stderr);
		}
		pass[strcspn(pass, "\r\n")] = '\0';
		if (pass[0] == '\0') {
			fprintf(stderr, "confab: empty password\n");
			goto done;
		}
		if ((hash = auth_hash(pass)) == NULL) {
			fprintf(stderr, "confab: cannot hash the password\n");
			goto done;
		}
		explicit_bzero(pass, sizeof(pass));
		if (store_user_put(st, argv[2], hash) == 0) {
			printf("user %s saved\n", argv[2]);
			rc = 0;
		}
		free(hash);
	} else if (!strcmp(argv[1], "del")) {
		int r = store_user_del(st, argv[2]);
		if (r == 1)
			fprintf(stderr, "confab: no user %s\n", argv[2]);
		rc = r == 0 ? 0 : 1;
	} else if (!strcmp(argv[1], "list"))
		rc = store_user_each(st, print_user, NULL) == 0 ? 0 : 1;
	else {
		fprintf(stderr, "usage: confab user add|del NAME, confab user list\n");
		rc = 2;
	}
done:
	store_close(st);
	return rc;
}

static void
copied(const char *table, long long rows, void *arg)
{
	(void)arg;
	printf("%s: %lld row%s\n", table, rows, rows == 1 ? "" : "s");
}

/* store copy --to CONNINFO: then set [store] backend = postgresql, conninfo = CONNINFO. */
static int
cmd_store(int argc, char **argv)
{
	struct store	*from, *to;
	char		 err[512];
	int		 rc;

	if (argc != 4 || strcmp(argv[1], "copy") != 0 || strcmp(argv[2], "--to") != 0) {
		fprintf(stderr, "usage: confab store copy --to CONNINFO\n");
		return 2;
	}
	load_conf();
	from = open_store();
	if ((to = store_connect(STORE_POSTGRESQL, argv[3], conf->busy_timeout, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "confab: %s\n", err);
		store_close(from);
		return 1;
	}
	if ((rc = store_copy(from, to, copied, NULL)) == 0)
		printf("copied; now set [store] backend = postgresql and conninfo = ... and"
		    " restart confabd\n");
	else
		fprintf(stderr, "confab: store copy failed; the destination is unchanged\n");
	store_close(to);
	store_close(from);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, rc;

	log_init(LOG_LVL_WARN, "confab");
	conf_path = conf_default_path();
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("confab %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[0], "check"))
		rc = cmd_check(argc, argv);
	else if (!strcmp(argv[0], "import"))
		rc = cmd_import(argc, argv);
	else if (!strcmp(argv[0], "subscribe"))
		rc = cmd_subscribe(argc, argv);
	else if (!strcmp(argv[0], "unsubscribe"))
		rc = cmd_unsubscribe(argc, argv);
	else if (!strcmp(argv[0], "subscribers"))
		rc = cmd_subscribers(argc, argv);
	else if (!strcmp(argv[0], "deliver"))
		rc = cmd_deliver(argc, argv);
	else if (!strcmp(argv[0], "poll"))
		rc = cmd_poll(argc, argv);
	else if (!strcmp(argv[0], "user"))
		rc = cmd_user(argc, argv);
	else if (!strcmp(argv[0], "store"))
		rc = cmd_store(argc, argv);
	else if (!strcmp(argv[0], "status"))
		rc = cmd_status(argc, argv);
	else if (!strcmp(argv[0], "outbox"))
		rc = cmd_outbox(argc, argv);
	else if (!strcmp(argv[0], "mailq"))
		rc = cmd_mailq(argc, argv);
	else {
		fprintf(stderr, "confab: unknown command '%s'\n", argv[0]);
		usage(stderr);
		rc = 2;
	}
	conf_free(conf);
	return rc;
}
