/* nntp_cmd.c: the NNTP reader commands (RFC 3977, 4642, 4643, 8054, and the legacy
 * XOVER, XHDR, XPAT). One table; arity and state are checked before any handler.
 * OVER and HDR live in nntp_over.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "auth.h"
#include "work.h"
#include "metrics.h"
#include "nntp.h"
#include "msg.h"
#include "nntp_cmd.h"
#include "outbox.h"
#include "overview.h"
#include "post.h"
#include "wildmat.h"

#define NEED_NOTLS	0x01	/* not after TLS is up */
#define NEED_NOAUTH	0x02	/* not after authentication */
#define NEED_NOZ	0x04	/* not after COMPRESS */
#define READS		0x08	/* only reads the store (see nntp_dispatch) */

struct cmd {
	const char	*name;
	int		 min, max;	/* arguments after the keyword */
	int		 needs;
	void		(*fn)(struct session *, int, char **);
};

const char *const nntp_overview_fmt[] = {
	"Subject:", "From:", "Date:", "Message-ID:", "References:", ":bytes", ":lines",
	"Xref:full", NULL
};

/* Helpers. */

static int
posting_allowed(struct session *s)
{
	const struct conf	*c = s->srv->conf;
	int			 i;

	for (i = 0; i < c->nsources; i++)
		if (c->sources[i].posting == POST_OPEN ||
		    (c->sources[i].posting == POST_AUTH && (s->authed || s->tls ||
		    s->loopback)))
			return 1;
	return 0;
}

static int
auth_allowed(struct session *s)
{
	return s->tls || s->loopback;
}

void
nntp_greet(struct session *s)
{
	if (posting_allowed(s))
		nntp_reply(s, "200 %s confab %s ready, posting allowed", s->srv->conf->hostname,
		    PACKAGE_VERSION);
	else
		nntp_reply(s, "201 %s confab %s ready, no posting", s->srv->conf->hostname,
		    PACKAGE_VERSION);
}

int
nntp_is_msgid(const char *a)
{
	size_t	n = strlen(a);

	return n >= 3 && n <= 250 && a[0] == '<' && a[n - 1] == '>';
}

static int
parse_num(const char *p, const char **end, long long *out)
{
	long long	v = 0;
	const char	*q = p;

	while (isdigit((unsigned char)*q) && q - p < 16)
		v = v * 10 + (*q++ - '0');
	if (q == p || isdigit((unsigned char)*q))
		return -1;
	*end = q;
	*out = v;
	return 0;
}

int
nntp_parse_range(const char *a, long long *lo, long long *hi)
{
	const char	*e;

	if (parse_num(a, &e, lo) == -1)
		return -1;
	if (*e == '\0') {
		*hi = *lo;
		return 0;
	}
	if (*e++ != '-')
		return -1;
	if (*e == '\0') {
		*hi = (1LL << 62);
		return 0;
	}
	if (parse_num(e, &e, hi) == -1 || *e != '\0')
		return -1;
	return 0;
}

static void
upcase(char *p)
{
	for (; *p; p++)
		*p = (char)toupper((unsigned char)*p);
}

/* g is the session's group now; its first article the current one. */
static void
group_enter(struct session *s, const struct store_group *g)
{
	free(s->group);
	s->group = xstrdup(g->name);
	s->gid = g->id;
	s->cur = g->count > 0 ? g->low : 0;
}

/* The words from argv[from] on as one string: RFC 4643 user names and passwords may
 * contain spaces. */
char *
nntp_rest_of_line(int argc, char **argv, int from)
{
	int	i;

	for (i = from; i < argc - 1; i++)
		argv[i][strlen(argv[i])] = ' ';
	return argv[from];
}

/* ARTICLE, HEAD, BODY and STAT in three steps: what the command names (on the loop,
 * from the session and the overview cache), the lookup in the store (on the loop, or
 * on a worker thread with a store of its own when the store is PostgreSQL: the loop
 * never waits on its network), and the reply (on the loop). */
/* ARTICLE, HEAD, BODY or STAT: what is looked up, and what was found. */
struct artjob {
	int			 code;		/* 220..223 */
	char			*msgid;		/* by Message-ID, or NULL: by number */
	long long		 gid, num;	/* the group; the number named (or current) */
	int			 explicit;	/* a number given, not the current article */
	int			 rc;		/* the lookup: 0 found, 1 not, -1 error */
	struct store_article	 a;
};

static void
artjob_free(void *arg)
{
	struct artjob	*j = arg;

	store_article_clear(&j->a);
	free(j->msgid);
	free(j);
}

/* What the command names; NULL with the reply sent (a syntax error, no group, no
 * current article), or the job with rc >= 0 when the overview cache answered. */
static struct artjob *
art_resolve(struct session *s, int argc, char **argv)
{
	struct artjob		*j;
	const struct ovgroup	*g;
	const char		*e, *id;
	long long		 n = 0;
	size_t			 len;
	int			 code;

	switch (toupper((unsigned char)argv[0][0])) {
	case 'A': code = 220; break;
	case 'H': code = 221; break;
	case 'B': code = 222; break;
	default: code = 223;
	}
	/* The syntax first, then the state (RFC 3977 3.2.1). */
	if (argc > 1 && !nntp_is_msgid(argv[1]) &&
	    (parse_num(argv[1], &e, &n) == -1 || *e != '\0')) {
		nntp_reply(s, "501 bad article number or message-id");
		return NULL;
	}
	if (argc < 2 || !nntp_is_msgid(argv[1])) {
		if (s->gid == 0) {
			nntp_reply(s, "412 no newsgroup selected");
			return NULL;
		}
		if (argc < 2 && (n = s->cur) == 0) {
			nntp_reply(s, "420 current article number is invalid");
			return NULL;
		}
	}
	j = xcalloc(1, sizeof(*j));
	j->code = code;
	j->gid = s->gid;
	j->num = n;
	j->explicit = argc > 1;
	j->rc = -2;	/* not looked up yet */
	if (argc > 1 && nntp_is_msgid(argv[1]))
		j->msgid = xstrdup(argv[1]);
	else if (code == 223 && (g = ov_get(s->srv->ov, s->srv->store, s->gid)) != NULL) {
		/* STAT by number needs no more than the Message-ID, in the kept overview. */
		if ((id = ov_msgid(g, n, &len)) != NULL) {
			j->a.msgid = xstrndup(id, len);
			j->a.live = 1;
		}
		j->rc = id != NULL ? 0 : 1;
	}
	return j;
}

/* The lookup, on any thread with a store of its own. */
static void
art_fetch(struct store *st, void *arg)
{
	struct artjob	*j = arg;
	int		 stat = j->code == 223;
	long long n;

	if (j->msgid != NULL) {
		j->rc = stat ? store_article_stat_msgid(st, j->msgid, &j->a) :
		    store_article_by_msgid(st, j->msgid, &j->a);
		j->num = 0;
		if (j->rc == 0 && j->a.live && j->gid != 0 &&
		    store_article_num(st, j->gid, j->msgid, &n) == 0)
			j->num = n;
	} else
		j->rc = stat ? store_article_stat_num(st, j->gid, j->num, &j->a) :
		    store_article_by_num(st, j->gid, j->num, &j->a);
}

static void
art_reply(struct session *s, void *arg)
{
	struct artjob		*j = arg;
	struct store_article	*a = &j->a;

	if (j->rc == -1) {
		nntp_reply(s, "403 internal fault");
		return;
	}
	if (j->rc == 1 || !a->live) {
		nntp_reply(s, j->msgid != NULL ? "430 no article with that message-id" :
		    j->explicit ? "423 no article with that number" :
		    "420 current article number is invalid");
		return;
	}
	if (j->msgid == NULL && j->explicit && j->gid == s->gid)
		s->cur = j->num;	/* RFC 3977 6.2.1.2: a number sets the current article */
	nntp_reply(s, "%d %lld %s", j->code, j->num, a->msgid);
	if (j->code == 220)
		nntp_write_stuffed(s, a->data, a->len);
	else if (j->code == 221)
		nntp_write_stuffed(s, a->data, a->head_len - 2);	/* without the empty line */
	else if (j->code == 222)
		nntp_write_stuffed(s, a->data + a->head_len, a->len - a->head_len);
	if (j->code != 223)
		nntp_write(s, ".\r\n", 3);
}

static void
storejob_run(struct store *st, void *arg)
{
	struct storejob	*j = arg;

	j->run(st, j->arg);
}

static void
storejob_done(void *arg, int ok)
{
	struct storejob	*j = arg;
	struct session	*s = j->s;

	if (s != NULL && s->state == SS_CLOSING) {	/* ending meanwhile (idle) */
		s->storejob = NULL;
		if (s->streaming)
			nntp_stream_stop(s);
	} else if (s != NULL) {	/* NULL: the session went away meanwhile */
		s->storejob = NULL;
		s->state = SS_CMD;	/* reply() may wait again (POST) or end it */
		if (ok)
			j->reply(s, j->arg);
		else if (s->streaming) {	/* a response under way cannot turn 403 */
			nntp_stream_stop(s);
			nntp_end(s, NULL, "store unavailable");
		} else
			nntp_reply(s, "403 internal fault");
		if (s->state == SS_CMD)
			nntp_resume(s);
	}
	j->done(j->arg);
	free(j);
}

/* Look up in the store and reply: off the loop with a pool of stores, the session
 * waiting (its next commands too); else at once. reply() must not close the session
 * (nntp_end() it). */
void
nntp_store_lookup(struct session *s, void (*run)(struct store *, void *),
    void (*reply)(struct session *, void *), void (*done)(void *), void *arg)
{
	struct storejob	*j;

	if (s->srv->pool == NULL) {
		run(s->srv->store, arg);
		reply(s, arg);
		done(arg);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->run = run;
	j->reply = reply;
	j->done = done;
	j->arg = arg;
	s->storejob = j;
	s->state = SS_WAIT;
	bufferevent_disable(s->bev, EV_READ);
	work_store(s->srv->workers, s->srv->pool, NULL, storejob_run, storejob_done, j);
}

/* The next slice of a stream from the store, by fill(): here, or on a worker (the
 * stream moved into the job and back). 2: under way, the stream waits. */
struct filljob {
	struct stream	 st;
	nntp_fill_fn	 fill;
	struct buf	 out;
	int		 rc;
};

static void
fill_run(struct store *st, void *arg)
{
	struct filljob	*j = arg;

	j->rc = j->fill(&j->st, st, &j->out);
}

/* The first line of a response, when a slice made it (stream.ok was owed): counted
 * and logged as nntp_reply() does its own. */
static void
fill_first(struct session *s, int owed, const struct buf *b)
{
	if (owed && b->len > 0) {
		metrics_reply(b->data);
		slog(s, LOG_LVL_DEBUG, "> %.*s", (int)strcspn(b->data, "\r"), b->data);
	}
}

static void
fill_reply(struct session *s, void *arg)
{
	struct filljob	*j = arg;

	fill_first(s, s->stream.ok != NULL, &j->out);
	s->stream = j->st;
	memset(&j->st, 0, sizeof(j->st));
	if (j->out.len > 0)
		nntp_write(s, j->out.data, j->out.len);
	if (j->rc > 0)
		nntp_stream_start(s);
	else {
		nntp_stream_stop(s);
		if (j->rc < 0)
			nntp_end(s, NULL, "error while streaming");
	}
}

static void
fill_free(void *arg)
{
	struct filljob	*j = arg;

	free(j->st.arg);
	free(j->st.arg2);
	buf_free(&j->out);
	free(j);
}

int
nntp_stream_fill(struct session *s, nntp_fill_fn fill)
{
	struct filljob	*j;
	struct buf	 b;
	int		 rc;

	if (s->srv->pool == NULL) {
		int	owed = s->stream.ok != NULL;

		buf_init(&b);
		rc = fill(&s->stream, s->srv->store, &b);
		fill_first(s, owed, &b);
		if (b.len > 0)
			nntp_write(s, b.data, b.len);
		buf_free(&b);
		return rc;
	}
	j = xcalloc(1, sizeof(*j));
	j->st = s->stream;
	j->fill = fill;
	s->stream.arg = s->stream.arg2 = NULL;
	nntp_store_lookup(s, fill_run, fill_reply, fill_free, j);
	return 2;
}

/* Commands. */

static void
cmd_article(struct session *s, int argc, char **argv)
{
	struct artjob	*j;

	if ((j = art_resolve(s, argc, argv)) == NULL)
		return;
	if (j->rc == -2)
		nntp_store_lookup(s, art_fetch, art_reply, artjob_free, j);
	else {		/* the overview cache answered */
		art_reply(s, j);
		artjob_free(j);
	}
}

static void
cmd_capabilities(struct session *s, int argc, char **argv)
{
	nntp_reply(s, "101 Capability list:");
	nntp_write_stuffed(s, "VERSION 2\r\nREADER\r\n", 19);
	if (posting_allowed(s))
		nntp_reply(s, "POST");
	nntp_reply(s, "LIST ACTIVE ACTIVE.TIMES NEWSGROUPS OVERVIEW.FMT HEADERS COUNTS%s",
	    s->srv->conf->motd != NULL ? " MOTD" : "");	/* only with a motd_file */
	nntp_reply(s, "NEWNEWS");
	nntp_reply(s, "OVER MSGID");
	nntp_reply(s, "HDR");
	if (s->srv->tls != NULL && !s->tls && !s->authed && !s->compress)
		nntp_reply(s, "STARTTLS");
	if (!s->authed) {
		if (auth_allowed(s))
			nntp_reply(s, "AUTHINFO USER SASL");
		else
			nntp_reply(s, "AUTHINFO");
		if (auth_allowed(s))
			nntp_reply(s, "SASL PLAIN");
	}
	if (!s->compress)
		nntp_reply(s, "COMPRESS DEFLATE");
	nntp_reply(s, "IMPLEMENTATION confab %s", PACKAGE_VERSION);
	nntp_write(s, ".\r\n", 3);
}

static void
cmd_date(struct session *s, int argc, char **argv)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	nntp_reply(s, "111 %04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
cmd_help(struct session *s, int argc, char **argv)
{
	static const char help[] =
	    "  ARTICLE [message-id|number]\r\n"
	    "  AUTHINFO USER name|PASS password|SASL PLAIN [initial-response]\r\n"
	    "  BODY [message-id|number]\r\n"
	    "  CAPABILITIES [keyword]\r\n"
	    "  COMPRESS DEFLATE\r\n"
	    "  DATE\r\n"
	    "  GROUP newsgroup\r\n"
	    "  HDR header [message-id|range]\r\n"
	    "  HEAD [message-id|number]\r\n"
	    "  HELP\r\n"
	    "  LAST\r\n"
	    "  LIST [ACTIVE|ACTIVE.TIMES|COUNTS|HEADERS|MOTD|NEWSGROUPS|OVERVIEW.FMT] [wildmat]\r\n"
	    "  LISTGROUP [newsgroup [range]]\r\n"
	    "  MODE READER\r\n"
	    "  NEWGROUPS [yy]yymmdd hhmmss [GMT]\r\n"
	    "  NEWNEWS wildmat [yy]yymmdd hhmmss [GMT]\r\n"
	    "  NEXT\r\n"
	    "  OVER [message-id|range]\r\n"
	    "  POST\r\n"
	    "  QUIT\r\n"
	    "  STARTTLS\r\n"
	    "  STAT [message-id|number]\r\n"
	    "  XHDR header [message-id|range]\r\n"
	    "  XOVER [range]\r\n"
	    "  XPAT header message-id|range pattern...\r\n";

	nntp_reply(s, "100 Help text follows");
	nntp_write_stuffed(s, help, sizeof(help) - 1);
	nntp_write(s, ".\r\n", 3);
}

static void
cmd_quit(struct session *s, int argc, char **argv)
{
	nntp_end(s, "205 closing connection", "QUIT");
}

static void
cmd_mode(struct session *s, int argc, char **argv)
{
	if (strcasecmp(argv[1], "READER") != 0) {
		nntp_reply(s, "501 unknown MODE variant");
		return;
	}
	if (posting_allowed(s))
		nntp_reply(s, "200 posting allowed");
	else
		nntp_reply(s, "201 posting prohibited");
}

struct groupjob {
	char			*name;
	int			 rc;
	struct store_group	 g;
	int			 list;		/* LISTGROUP */
	long long		 lo, hi;	/* its range, if given (lo > 0) */
};

static void
group_fetch(struct store *st, void *arg)
{
	struct groupjob	*j = arg;

	j->rc = store_group_get(st, j->name, &j->g);
}

static int
listgroup_cb(long long num, void *arg)
{
	buf_printf(arg, "%lld\r\n", num);
	return 0;
}

static int
listgroup_fill(struct stream *st, struct store *store, struct buf *out)
{
	long long	last;

	if (store_numbers_range(store, st->gid, st->lo, st->hi, NNTP_SLICE_ROWS * 8,
	    listgroup_cb, out, &last) == -1)
		return -1;
	if (last < st->lo || last >= st->hi) {
		buf_add(out, ".\r\n", 3);
		return 0;
	}
	st->lo = last + 1;
	return 1;
}

static int
listgroup_next(struct session *s)
{
	return nntp_stream_fill(s, listgroup_fill);
}

static void
group_reply(struct session *s, void *arg)
{
	struct groupjob	*j = arg;
	long long	 lo = j->g.low, hi = j->g.high;

	if (j->rc == -1) {
		nntp_reply(s, "403 internal fault");
		return;
	}
	if (j->rc != 0) {
		nntp_reply(s, "411 no such newsgroup");
		return;
	}
	group_enter(s, &j->g);
	if (!j->list) {
		nntp_reply(s, "211 %lld %lld %lld %s", j->g.count, j->g.low, j->g.high,
		    j->g.name);
		return;
	}
	if (j->lo > 0) {
		lo = j->lo;
		hi = j->hi;
	}
	nntp_reply(s, "211 %lld %lld %lld %s list follows", j->g.count, j->g.low, j->g.high,
	    j->g.name);
	if (hi < lo) {
		nntp_write(s, ".\r\n", 3);
		return;
	}
	memset(&s->stream, 0, sizeof(s->stream));
	s->stream.next = listgroup_next;
	s->stream.gid = s->gid;
	s->stream.lo = lo;
	s->stream.hi = hi;
	nntp_stream_start(s);
}

static void
groupjob_free(void *arg)
{
	struct groupjob	*j = arg;

	store_group_clear(&j->g);
	free(j->name);
	free(j);
}

static void
cmd_group(struct session *s, int argc, char **argv)
{
	struct groupjob	*j = xcalloc(1, sizeof(*j));

	j->name = xstrdup(argv[1]);
	nntp_store_lookup(s, group_fetch, group_reply, groupjob_free, j);
}

static void
cmd_listgroup(struct session *s, int argc, char **argv)
{
	struct groupjob	*j;
	long long	 lo = 1, hi = 0;

	if (argc > 2 && nntp_parse_range(argv[2], &lo, &hi) == -1) {
		nntp_reply(s, "501 bad range");	/* before the group (RFC 3977 3.2.1) */
		return;
	}
	if (argc < 2 && (s->gid == 0 || s->group == NULL)) {
		nntp_reply(s, "412 no newsgroup selected");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->name = xstrdup(argc > 1 ? argv[1] : s->group);
	j->list = 1;
	if (argc > 2) {
		j->lo = lo > 0 ? lo : 1;	/* a range starts at 1 at the least */
		j->hi = hi;
	}
	nntp_store_lookup(s, group_fetch, group_reply, groupjob_free, j);
}

struct stepjob {
	int			 next;
	long long		 gid, cur, n;
	int			 rc;
	struct store_article	 a;
};

static void
step_fetch(struct store *st, void *arg)
{
	struct stepjob	*j = arg;

	j->rc = store_article_step(st, j->gid, j->cur, j->next ? 1 : -1, &j->n);
	if (j->rc == 0)
		j->rc = store_article_stat_num(st, j->gid, j->n, &j->a);
}

static void
step_reply(struct session *s, void *arg)
{
	struct stepjob	*j = arg;

	if (j->rc == -1)
		nntp_reply(s, "403 internal fault");
	else if (j->rc != 0)
		nntp_reply(s, j->next ? "421 no next article in this group" :
		    "422 no previous article in this group");
	else {
		s->cur = j->n;
		nntp_reply(s, "223 %lld %s retrieved", j->n, j->a.msgid);
	}
}

static void
stepjob_free(void *arg)
{
	struct stepjob	*j = arg;

	store_article_clear(&j->a);
	free(j);
}

static void
cmd_step(struct session *s, int argc, char **argv)
{
	struct stepjob	*j;

	if (s->gid == 0) {
		nntp_reply(s, "412 no newsgroup selected");
		return;
	}
	if (s->cur == 0) {
		nntp_reply(s, "420 current article number is invalid");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->next = toupper((unsigned char)argv[0][0]) == 'N';
	j->gid = s->gid;
	j->cur = s->cur;
	nntp_store_lookup(s, step_fetch, step_reply, stepjob_free, j);
}

/* LIST */

/* LIST ACTIVE and its kin, NEWGROUPS: the groups, read whole (they are few). */
struct listjob {
	char		*kw;
	char		*pat;		/* wildmat, or NULL */
	time_t		 since;		/* NEWGROUPS */
	const char	*ok;		/* the first line */
	int		 rc;
	struct buf	 out;
};

static int
list_group_cb(const struct store_group *g, void *arg)
{
	struct listjob	*lc = arg;
	struct buf	*b = &lc->out;
	char		 flag = g->posting == POST_NO ? 'n' : 'y';

	if (lc->pat != NULL && !wildmat_match(g->name, lc->pat))
		return 0;
	if (lc->since != 0 && g->created < lc->since)
		return 0;
	if (!strcmp(lc->kw, "ACTIVE"))
		buf_printf(b, "%s %lld %lld %c\r\n", g->name, g->high, g->low, flag);
	else if (!strcmp(lc->kw, "ACTIVE.TIMES"))
		buf_printf(b, "%s %lld confab\r\n", g->name, (long long)g->created);
	else if (!strcmp(lc->kw, "NEWSGROUPS"))
		buf_printf(b, "%s\t%s\r\n", g->name, g->description ? g->description : "");
	else if (!strcmp(lc->kw, "COUNTS"))
		buf_printf(b, "%s %lld %lld %lld %c\r\n", g->name, g->high, g->low, g->count,
		    flag);
	return 0;
}

static void
list_fetch(struct store *st, void *arg)
{
	struct listjob	*j = arg;

	j->rc = store_group_each(st, list_group_cb, j);
}

static void
list_reply(struct session *s, void *arg)
{
	struct listjob	*j = arg;

	if (j->rc == -1) {
		nntp_reply(s, "403 internal fault");
		return;
	}
	nntp_reply(s, "%s", j->ok);
	if (j->out.len > 0)	/* each line begins with a group's name: no dot */
		nntp_write(s, j->out.data, j->out.len);
	nntp_write(s, ".\r\n", 3);
}

static void
listjob_free(void *arg)
{
	struct listjob	*j = arg;

	free(j->kw);
	free(j->pat);
	buf_free(&j->out);
	free(j);
}

static void
list_groups(struct session *s, const char *kw, const char *pat, time_t since,
    const char *ok)
{
	struct listjob	*j = xcalloc(1, sizeof(*j));

	j->kw = xstrdup(kw);
	j->pat = pat != NULL ? xstrdup(pat) : NULL;
	j->since = since;
	j->ok = ok;
	nntp_store_lookup(s, list_fetch, list_reply, listjob_free, j);
}

static void
cmd_list(struct session *s, int argc, char **argv)
{
	char		*kw = argc > 1 ? argv[1] : NULL;
	int		 i;

	if (kw != NULL)
		upcase(kw);
	if (kw == NULL || !strcmp(kw, "ACTIVE") || !strcmp(kw, "ACTIVE.TIMES") ||
	    !strcmp(kw, "NEWSGROUPS") || !strcmp(kw, "COUNTS")) {
		if (argc > 2 && !wildmat_valid(argv[2])) {
			nntp_reply(s, "501 bad wildmat");
			return;
		}
		list_groups(s, kw != NULL ? kw : "ACTIVE", argc > 2 ? argv[2] : NULL, 0,
		    "215 list follows");
	} else if (!strcmp(kw, "OVERVIEW.FMT")) {
		if (argc > 2) {
			nntp_reply(s, "501 no argument allowed");
			return;
		}
		/* The metadata in RFC 3977 8.4.2's form "for compatibility with existing
		 * implementations", as INN lists them: slrn takes no other, and without it
		 * reads every article's head instead of using XOVER. */
		nntp_reply(s, "215 order of fields in overview database");
		for (i = 0; nntp_overview_fmt[i] != NULL; i++)
			nntp_reply(s, "%s", !strcmp(nntp_overview_fmt[i], ":bytes") ? "Bytes:" :
			    !strcmp(nntp_overview_fmt[i], ":lines") ? "Lines:" : nntp_overview_fmt[i]);
		nntp_write(s, ".\r\n", 3);
	} else if (!strcmp(kw, "HEADERS")) {
		if (argc > 2 && strcasecmp(argv[2], "MSGID") && strcasecmp(argv[2], "RANGE")) {
			nntp_reply(s, "501 LIST HEADERS [MSGID|RANGE]");
			return;
		}
		nntp_reply(s, "215 headers supported");
		nntp_write(s, ":\r\n:bytes\r\n:lines\r\n.\r\n", 22);
	} else if (!strcmp(kw, "MOTD")) {
		const char	*motd = s->srv->conf->motd;

		if (argc > 2) {
			nntp_reply(s, "501 no argument allowed");
			return;
		}
		if (motd == NULL) {
			nntp_reply(s, "503 no message of the day");
			return;
		}
		nntp_reply(s, "215 message of the day follows");
		nntp_write_stuffed(s, motd, strlen(motd));
		nntp_write(s, ".\r\n", 3);
	} else
		nntp_reply(s, "501 unknown LIST keyword");
}

static void
cmd_newgroups(struct session *s, int argc, char **argv)
{
	time_t	since;

	if (nntp_parse_datetime(argv[1], argv[2], argc > 3 ? argv[3] : NULL,
	    &since) == -1) {
		nntp_reply(s, "501 bad date or time");
		return;
	}
	list_groups(s, "ACTIVE", NULL, since != 0 ? since : 1,
	    "231 list of new newsgroups follows");
}

/* NEWNEWS in slices, keyed by (arrival time, article id); an article is listed once
 * if any of its groups matches the wildmat. */
struct newnews {
	struct stream	*st;
	struct buf	*out;
	int		 rows;
};

static int
newnews_cb(long long id, time_t arrived, const char *msgid, const char *groups, void *arg)
{
	struct newnews	*nn = arg;
	char		*g, *name, *save = NULL;
	int		 match = 0;

	nn->st->since = arrived;
	nn->st->pos = id;
	nn->rows++;
	g = xstrdup(groups ? groups : "");
	for (name = strtok_r(g, ",", &save); name != NULL && !match;
	    name = strtok_r(NULL, ",", &save))
		match = wildmat_match(name, nn->st->arg);
	free(g);
	if (match)
		buf_printf(nn->out, "%s\r\n", msgid);
	return 0;
}

static int
newnews_fill(struct stream *st, struct store *store, struct buf *out)
{
	struct newnews	nn = { st, out, 0 };

	if (store_newnews(store, st->since, st->pos, NNTP_SLICE_ROWS, newnews_cb, &nn) == -1)
		return -1;
	if (nn.rows < NNTP_SLICE_ROWS) {
		buf_add(out, ".\r\n", 3);
		return 0;
	}
	return 1;
}

static int
newnews_next(struct session *s)
{
	return nntp_stream_fill(s, newnews_fill);
}

static void
cmd_newnews(struct session *s, int argc, char **argv)
{
	time_t	since;

	if (!wildmat_valid(argv[1])) {
		nntp_reply(s, "501 bad wildmat");
		return;
	}
	if (nntp_parse_datetime(argv[2], argv[3], argc > 4 ? argv[4] : NULL, &since) == -1) {
		nntp_reply(s, "501 bad date or time");
		return;
	}
	nntp_reply(s, "230 list of new articles follows");
	memset(&s->stream, 0, sizeof(s->stream));
	s->stream.next = newnews_next;
	s->stream.arg = xstrdup(argv[1]);
	s->stream.since = since;	/* arrived >= since: (since, 0) is before them all */
	s->stream.pos = 0;
	nntp_stream_start(s);
}

/* POST */

static void
cmd_post(struct session *s, int argc, char **argv)
{
	if (!posting_allowed(s)) {
		if (auth_allowed(s) && !s->authed)
			nntp_reply(s, "480 authentication required");
		else
			nntp_reply(s, "440 posting not permitted");
		return;
	}
	nntp_reply(s, "340 send article to be posted; end with <CR-LF>.<CR-LF>");
	nntp_post_begin(s);
}

static void
post_verdict(int code, const char *msg, void *arg)
{
	struct session	*s = arg;

	s->wait = NULL;
	if (code == 240) {
		slog(s, LOG_LVL_INFO, "posted %s (%s)", s->posted, msg);
		nntp_reply(s, "240 article received %s", s->posted);
	} else {
		slog(s, LOG_LVL_INFO, "blog refused %s: %s", s->posted, msg);
		nntp_reply(s, "441 %s", msg);
	}
	nntp_resume(s);
}

/* An article after POST: checked and stored (off the loop with a pool of stores),
 * then published or queued for the blog. */
struct postjob {
	struct post_req	 req;
	struct conf	*conf;		/* held: a reload meanwhile does not free it */
	char		*data, *user;
	int		 code;
	long long	 obid;
	char		 msg[256], msgid[256];
};

static void
post_run(struct store *st, void *arg)
{
	struct postjob	*j = arg;

	j->req.store = st;
	j->code = post_article(&j->req, j->msg, sizeof(j->msg), j->msgid, sizeof(j->msgid));
}

static void
post_reply(struct session *s, void *arg)
{
	struct postjob	*j = arg;

	if (j->code == 240)
		/* here, not in post_run (maybe a worker); atomic: LMTP's may be one */
		__atomic_fetch_add(&metrics.posts_accepted, 1, __ATOMIC_RELAXED);
	if (j->code == 240 && j->obid > 0 && s->srv->outbox != NULL) {
		/* Stored durably; now give the blog a bounded time for its verdict. */
		slog(s, LOG_LVL_INFO, "queued %s for the blog", j->msgid);
		free(s->posted);
		s->posted = xstrdup(j->msgid);
		s->state = SS_WAIT;
		bufferevent_disable(s->bev, EV_READ);
		/* As the WordPress user who logged in, where it is their blog. */
		s->wait = outbox_deliver(s->srv->outbox, j->obid, s->srv->conf->post_timeout,
		    s->authed ? s->wp_source : NULL, s->user, s->wp_pass, post_verdict, s);
		return;
	}
	if (j->code == 240) {
		/* Published here: what this front end keeps of the overview is to be
		 * checked again before the poster reads it (a notice may lag). */
		ov_stale(s->srv->ov, 0);
		slog(s, LOG_LVL_INFO, "posted %s", j->msgid);
		nntp_reply(s, "240 article received %s", j->msgid);
	} else {
		slog(s, LOG_LVL_INFO, "post refused: %s", j->msg);
		nntp_reply(s, "%d %s", j->code, j->msg);
	}
}

static void
postjob_free(void *arg)
{
	struct postjob	*j = arg;

	conf_free(j->conf);
	free(j->data);
	free(j->user);
	free(j);
}

void
nntp_post_done(struct session *s, const char *article, size_t len, int too_big)
{
	struct postjob	*j;

	if (too_big) {
		nntp_reply(s, "441 article too big (limit %zu octets)",
		    s->srv->conf->max_article_size);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->conf = conf_hold(s->srv->conf);
	j->data = xmalloc(len + 1);
	memcpy(j->data, article, len);
	j->data[len] = '\0';
	j->user = s->authed && s->user != NULL ? xstrdup(s->user) : NULL;
	j->req.conf = j->conf;
	j->req.key = s->srv->key;
	j->req.user = j->user;
	j->req.data = j->data;
	j->req.len = len;
	j->req.outbox_id = &j->obid;
	nntp_store_lookup(s, post_run, post_reply, postjob_free, j);
}

/* STARTTLS, AUTHINFO, COMPRESS */

static void
cmd_starttls(struct session *s, int argc, char **argv)
{
	if (s->srv->tls == NULL) {
		nntp_reply(s, "580 TLS not available");
		return;
	}
	nntp_reply(s, "382 continue with TLS negotiation");
	if (nntp_starttls(s) == -1)
		nntp_end(s, NULL, "TLS setup failed");	/* after the 382 */
}

static int
authfail_check(struct session *s, int add)
{
	struct server	*srv = s->srv;
	time_t		 now = time(NULL);
	int		 i, free_slot = -1, oldest = 0;

	for (i = 0; i < (int)(sizeof(srv->fails) / sizeof(srv->fails[0])); i++) {
		struct authfail *f = &srv->fails[i];

		if (f->addr[0] != '\0' && now - f->window >= 60)
			f->addr[0] = '\0';
		if (f->addr[0] == '\0') {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (f->window < srv->fails[oldest].window)
			oldest = i;
		if (!strcmp(f->addr, s->addr)) {
			if (add)
				f->count++;
			return f->count >= srv->conf->auth_failures;
		}
	}
	if (add) {
		i = free_slot >= 0 ? free_slot : oldest;
		snprintf(srv->fails[i].addr, sizeof(srv->fails[i].addr), "%s", s->addr);
		srv->fails[i].window = now;
		srv->fails[i].count = 1;
	}
	return 0;
}

/* A login checked (locally or by a blog): answer and read commands again. */
static void
auth_finished(struct session *s, int ok, const char *source)
{
	if (ok) {
		free(s->user);
		s->user = s->pending_user;
		s->pending_user = NULL;
		s->authed = 1;
		if (source != NULL) {
			s->wp_source = xstrdup(source);
			slog(s, LOG_LVL_INFO, "authenticated as %s (WordPress user of %s)",
			    s->user, source);
		} else
			slog(s, LOG_LVL_INFO, "authenticated as %s", s->user);
		nntp_reply(s, "281 authentication accepted");
	} else {
		authfail_check(s, 1);
		slog(s, LOG_LVL_WARN, "authentication failed for %s", s->pending_user);
		nntp_reply(s, "481 authentication failed");
	}
	if (!ok || source == NULL) {	/* the password is kept only to post as a WP user */
		if (s->wp_pass != NULL)
			explicit_bzero(s->wp_pass, strlen(s->wp_pass));
		free(s->wp_pass);
		s->wp_pass = NULL;
	}
	nntp_resume(s);
}

static void
wp_auth_done(int ok, const char *source, void *arg)
{
	struct session	*s = arg;

	s->authwp = NULL;
	auth_finished(s, ok, source);
}

/* A local account: yescrypt costs ~15 ms, so it runs on a worker thread. */
static void
authjob_run(void *arg)
{
	struct authjob	*j = arg;

	j->ok = auth_verify(j->hash, j->pass) == 0;
}

static void
authjob_done(void *arg)
{
	struct authjob	*j = arg;

	if (j->s != NULL) {	/* NULL: the session went away meanwhile */
		j->s->authjob = NULL;
		auth_finished(j->s, j->ok, NULL);
	}
	explicit_bzero(j->pass, strlen(j->pass));
	free(j->pass);
	free(j->user);
	free(j->hash);
	free(j);
}

/* The account's hash, read from the store (off the loop with a pool of stores). */
static void
authjob_lookup(struct store *st, void *arg)
{
	struct authjob	*j = arg;

	j->rc = store_user_hash(st, j->user, &j->hash);
}

static void
authjob_found(void *arg, int ok)
{
	struct authjob	*j = arg;
	struct session	*s = j->s;

	if (s == NULL || !ok || j->rc == -1) {
		j->s = NULL;
		if (s != NULL) {
			s->authjob = NULL;
			nntp_reply(s, "481 authentication failed (server error)");
			nntp_resume(s);
		}
		authjob_done(j);
		return;
	}
	if (j->rc == 1 && s->srv->fetch != NULL && auth_wordpress_sources(s->srv->conf)) {
		/* Not a local account: ask the blogs, without blocking the loop. */
		s->authjob = NULL;
		j->s = NULL;
		free(s->wp_pass);
		s->wp_pass = xstrdup(j->pass);
		s->authwp = auth_wordpress(s->srv->fetch, s->srv->conf, j->user, j->pass,
		    wp_auth_done, s);
		authjob_done(j);	/* only frees */
		auth_wp_start(s->authwp);
		return;
	}
	/* hash NULL: no such user, checked all the same. */
	work_submit(s->srv->workers, authjob_run, authjob_done, j);
}

static void
auth_check(struct session *s, const char *user, const char *pass)
{
	struct authjob	*j;

	if (authfail_check(s, 0)) {
		nntp_reply(s, "481 too many failed attempts, try again later");
		return;
	}
	free(s->pending_user);
	s->pending_user = xstrdup(user);	/* user may be s->user */
	s->state = SS_WAIT;
	bufferevent_disable(s->bev, EV_READ);
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->user = xstrdup(user);
	j->pass = xstrdup(pass);
	s->authjob = j;
	work_store(s->srv->workers, s->srv->pool, s->srv->store, authjob_lookup,
	    authjob_found, j);
}

static void
cmd_authinfo(struct session *s, int argc, char **argv)
{
	if (!auth_allowed(s)) {
		nntp_reply(s, "483 encryption required: use STARTTLS first");
		return;
	}
	if (!strcasecmp(argv[1], "USER")) {
		if (argc < 3) {
			nntp_reply(s, "501 AUTHINFO USER name");
			return;
		}
		free(s->user);
		s->user = xstrdup(nntp_rest_of_line(argc, argv, 2));
		nntp_reply(s, "381 password required");
	} else if (!strcasecmp(argv[1], "PASS")) {
		if (argc < 3) {
			nntp_reply(s, "501 AUTHINFO PASS password");
			return;
		}
		if (s->user == NULL) {
			nntp_reply(s, "482 AUTHINFO USER first");
			return;
		}
		auth_check(s, s->user, nntp_rest_of_line(argc, argv, 2));
	} else if (!strcasecmp(argv[1], "SASL")) {
		char	user[256], pass[256];

		if (argc < 3 || strcasecmp(argv[2], "PLAIN") != 0) {
			nntp_reply(s, "503 only SASL PLAIN is supported");
			return;
		}
		if (argc > 4) {
			nntp_reply(s, "501 AUTHINFO SASL PLAIN [initial-response]");
			return;
		}
		if (argc != 4) {
			/* RFC 4643 2.4: the initial response is required here (no 383 round). */
			nntp_reply(s, "482 SASL PLAIN needs the initial response");
			return;
		}
		if (auth_sasl_plain(argv[3], user, sizeof(user), pass, sizeof(pass)) == -1) {
			nntp_reply(s, "482 malformed SASL PLAIN response");
			return;
		}
		auth_check(s, user, pass);
		explicit_bzero(pass, sizeof(pass));
	} else
		nntp_reply(s, "501 AUTHINFO USER|PASS|SASL");
}

static void
cmd_compress(struct session *s, int argc, char **argv)
{
	if (strcasecmp(argv[1], "DEFLATE") != 0) {
		nntp_reply(s, "501 unknown compression algorithm");
		return;
	}
	nntp_reply(s, "206 compression active");
	if (nntp_compress(s) == -1)
		nntp_end(s, NULL, "COMPRESS setup failed");	/* after the 206 */
}

/* Argument syntax beyond the table's arity, checked before any state (RFC 3977 3.2.1,
 * RFC 4643 2.3 and 2.4): 1 well-formed. */
static int
args_ok(const struct cmd *c, int argc, char **argv)
{
	if (c->fn == cmd_authinfo) {
		if (!strcasecmp(argv[1], "USER") || !strcasecmp(argv[1], "PASS"))
			return argc >= 3;
		if (!strcasecmp(argv[1], "SASL"))
			return argc == 3 || argc == 4;
		return 0;
	}
	return 1;
}

static const struct cmd cmds[] = {
	{ "ARTICLE",		0, 1,  READS, cmd_article },
	{ "AUTHINFO",		1, NNTP_MAX_ARGS - 1, NEED_NOAUTH, cmd_authinfo },
	{ "BODY",		0, 1,  READS, cmd_article },
	{ "CAPABILITIES",	0, 1,  0, cmd_capabilities },
	{ "COMPRESS",		1, 1,  NEED_NOZ, cmd_compress },
	{ "DATE",		0, 0,  0, cmd_date },
	{ "GROUP",		1, 1,  READS, cmd_group },
	{ "HDR",		1, 2,  READS, nntp_cmd_hdr },
	{ "HEAD",		0, 1,  READS, cmd_article },
	{ "HELP",		0, 0,  0, cmd_help },
	{ "LAST",		0, 0,  READS, cmd_step },
	{ "LIST",		0, 2,  0, cmd_list },
	{ "LISTGROUP",		0, 2,  READS, cmd_listgroup },
	{ "MODE",		1, 1,  0, cmd_mode },
	{ "NEWGROUPS",		2, 3,  0, cmd_newgroups },
	{ "NEWNEWS",		3, 4,  0, cmd_newnews },
	{ "NEXT",		0, 0,  READS, cmd_step },
	{ "OVER",		0, 1,  READS, nntp_cmd_over },
	{ "POST",		0, 0,  0, cmd_post },
	{ "QUIT",		0, 0,  0, cmd_quit },
	{ "STARTTLS",		0, 0,  NEED_NOTLS | NEED_NOAUTH | NEED_NOZ, cmd_starttls },
	{ "STAT",		0, 1,  READS, cmd_article },
	{ "XHDR",		1, 2,  READS, nntp_cmd_hdr },
	{ "XOVER",		0, 1,  READS, nntp_cmd_over },
	{ "XPAT",		3, NNTP_MAX_ARGS - 1, READS, nntp_cmd_hdr },
};

int
nntp_split(char *line, char **argv, int max)
{
	int	argc = 0;
	char	*p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

void
nntp_dispatch(struct session *s, char *line)
{
	char		*argv[NNTP_MAX_ARGS];
	const struct cmd *c = NULL;
	const char	*why = NULL;
	size_t		 i;
	int		 argc;

	argc = nntp_split(line, argv, NNTP_MAX_ARGS);
	if (argc == 0) {
		nntp_reply(s, "500 empty command");
		return;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcasecmp(argv[0], cmds[i].name)) {
			c = &cmds[i];
			break;
		}
	metrics_cmd(c != NULL ? c->name : NULL);
	if (c == NULL) {
		nntp_reply(s, "500 unknown command");
		return;
	}
	if (argc < 0 || argc - 1 < c->min || argc - 1 > c->max || !args_ok(c, argc, argv)) {
		nntp_reply(s, "501 syntax error in arguments");
		return;
	}
	if ((c->needs & NEED_NOTLS) && s->tls)
		why = "TLS is already active";
	else if ((c->needs & NEED_NOAUTH) && s->authed)
		why = "already authenticated";
	else if ((c->needs & NEED_NOZ) && s->compress)
		why = "compression is already active";
	if (why != NULL) {
		nntp_reply(s, "502 %s", why);
		return;
	}
	s->bad_lines = 0;
	/* Reader commands pipelined behind one another share a snapshot of the store,
	 * held until the session's callback returns (nntp.c); others run outside it.
	 * (With a pool of stores the workers read, each in a snapshot of its own.) */
	if (s->srv->pool != NULL)
		;
	else if (!(c->needs & READS))
		store_read_release(s->srv->store);
	else if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
		store_read_hold(s->srv->store);
	c->fn(s, argc, argv);
}
