/* mail.c: mailing-list mode (DESIGN.md, "Mailing-list mode"). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "html2text.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "msg.h"
#include "post.h"
#include "render.h"
#include "rfc2047.h"
#include "smtp.h"
#include "token.h"
#include "trim.h"
#include "work.h"


#define SEND_PARALLEL	4	/* SMTP transactions at once */
#define SCAN_EVERY	5	/* seconds between looks at new articles and the queue */
#define RETRY_FIRST	60
#define RETRY_MAX	(12 * 3600)
#define GIVE_UP_AFTER	20	/* attempts */
#define NOT_DUE		((time_t)1 << 50)	/* queue rows waiting for the digest */
#define SENDING_STALE	600	/* s: a row "sending" this long was left by a stopped confabd */

static char *
make_token(const unsigned char *key, enum token_kind kind, long long sub, long long art,
    long long group, int days)
{
	struct token	t;

	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.subscriber = sub;
	t.article = art;
	t.group = group;
	t.expires = time(NULL) + (time_t)days * 86400;
	t.key_id = 0;
	return token_make(&t, key);
}

static void
reply(struct lmtp_reply *r, int code, const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
reply(struct lmtp_reply *r, int code, const char *enh, const char *fmt, ...)
{
	va_list	ap;

	r->code = code;
	snprintf(r->enh, sizeof(r->enh), "%s", enh);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	r->text[strcspn(r->text, "\r\n")] = '\0';
}

/* Header helpers. */

/* The head of a mail confab writes itself (confirmation, notice, digest), from the
 * list: From, To, Subject, Date, a fresh Message-ID and MIME-Version. */
static void
own_head(struct buf *b, const char *group, const char *list, const char *to,
    const char *subject, const char *kind, const char *domain)
{
	char	date[64], *id = msg_make_id(kind, domain);

	msg_date(time(NULL), "+0000", date, sizeof(date));
	buf_printf(b, "From: %s <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: %s\r\nMIME-Version: 1.0\r\n", group, list, to, subject, date, id);
	free(id);
}

/* List-Unsubscribe (RFC 2369): the mailto address, and with an HTTP endpoint its link
 * first (the same token in both); RFC 8058's one-click POST is announced only for an
 * https one, as that RFC requires (clients ignore it otherwise). */
static void
unsub_headers(struct buf *b, const struct conf *c, const char *utok, const char *uaddr)
{
	if (c->http_base_url == NULL) {
		buf_printf(b, "List-Unsubscribe: <mailto:%s>\r\n", uaddr);
		return;
	}
	buf_printf(b, "List-Unsubscribe: <%s/u/%s>,\r\n <mailto:%s>\r\n", c->http_base_url,
	    utok, uaddr);
	if (!strncmp(c->http_base_url, "https://", 8))
		buf_adds(b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
}

/* Subscriptions. */

int
mail_subscribe(const struct mail_ctx *m, const char *group, const char *address,
    const char *thread, int digest, int confirm, const char **why)
{
	struct store_group	 g;
	struct store_sub	 sub;
	char			*tok = NULL, *caddr = NULL, *laddr = NULL, *data = NULL;
	struct buf		 b;
	char			*subject;
	int			 rc = -1;

	memset(&sub, 0, sizeof(sub));
	if (m->conf->mail_domain == NULL) {
		*why = "no [mail] domain configured";
		return -1;
	}
	if (!msg_valid_addr(address)) {
		*why = "not a mail address";
		return -1;
	}
	if (store_group_get(m->store, group, &g) != 0) {
		*why = "no such group";
		return -1;
	}
	if (thread != NULL && store_msgid_exists(m->store, thread) != 0) {
		store_group_clear(&g);
		*why = "no such thread";
		return -1;
	}
	if (store_begin(m->store) == -1) {
		store_group_clear(&g);
		*why = "store busy";
		return -1;
	}
	if (store_sub_add(m->store, g.id, thread, address, digest ? SUB_DIGEST : SUB_EACH,
	    confirm ? SUB_PENDING : SUB_ACTIVE, &sub) == -1) {
		*why = "store error";
		goto fail;
	}
	if (confirm && sub.state == SUB_PENDING) {
		/* Nothing but this goes to an unconfirmed address. */
		tok = make_token(m->key, TOK_CONFIRM, sub.id, 0, g.id, 7);
		caddr = mailaddr_make(MAILADDR_CONFIRM, tok, m->conf->mail_domain);
		laddr = mailaddr_make(MAILADDR_POST, g.name, m->conf->mail_domain);
		buf_init(&b);
		xasprintf(&subject, "Confirm your subscription to %s", g.name);
		own_head(&b, g.name, laddr, address, subject, "confirm", m->conf->mail_domain);
		free(subject);
		buf_printf(&b, "Reply-To: <%s>\r\nAuto-Submitted: auto-generated\r\n"
		    "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n"
		    "Someone (hopefully you) asked to receive %s%s by mail at\r\n%s.\r\n\r\n"
		    "To confirm, reply to this message, or send any mail to\r\n%s\r\n\r\n",
		    caddr, g.name, thread ? " (one thread)" : "", address, caddr);
		if (m->conf->http_base_url != NULL)
			buf_printf(&b, "Or open this link and press the button there:\r\n"
			    "%s/c/%s\r\n\r\n", m->conf->http_base_url, tok);
		buf_adds(&b, "If you did not ask for this, ignore this message: nothing more "
		    "will\r\nbe sent to you.\r\n");
		data = buf_steal(&b);
		if (store_mq_add(m->store, sub.id, 0, MQ_PREPARED, time(NULL),
		    data, strlen(data)) == -1) {
			*why = "store error";
			goto fail;
		}
	}
	if (store_commit(m->store) == -1) {
		*why = "store error";
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	store_rollback(m->store);
done:
	store_sub_clear(&sub);
	store_group_clear(&g);
	free(tok);
	free(caddr);
	free(laddr);
	free(data);
	return rc;
}

int
mail_unsubscribe(const struct mail_ctx *m, const char *group, const char *address,
    const char *thread)
{
	struct store_group	g;
	struct store_sub	sub;
	int			rc;

	if (store_group_get(m->store, group, &g) != 0)
		return -1;
	rc = store_sub_find(m->store, g.id, thread, address, &sub);
	store_group_clear(&g);
	if (rc != 0)
		return -1;
	rc = store_sub_del(m->store, sub.id);
	store_sub_clear(&sub);
	return rc;
}

int
mail_skip_existing(struct store *st)
{
	char	v[32];

	snprintf(v, sizeof(v), "%lld", store_max_article(st));
	return store_meta_put(st, "mail.cursor", v);
}

/* Inbound. */

int
mail_token_parse(const unsigned char *key, const char *s, enum token_kind kind,
    struct token *t)
{
	struct token_keys	keys;
	int			rc;

	token_keys_init(&keys, 0, key);
	rc = token_parse(s, &keys, time(NULL), t);
	explicit_bzero(&keys, sizeof(keys));
	return rc != -1 && t->kind != kind ? -1 : rc;
}

int
mail_token_act(struct store *st, const struct token *t, char *addr, size_t addrlen,
    char *group, size_t grouplen)
{
	struct store_sub	sub;
	int			rc;

	if ((rc = store_sub_get(st, t->subscriber, &sub)) != 0)
		return rc;
	if (sub.group_id != t->group) {
		/* Not the subscription the token was made for (its id is another's now). */
		store_sub_clear(&sub);
		return 1;
	}
	if (t->kind == TOK_CONFIRM)
		rc = store_sub_state(st, sub.id, SUB_ACTIVE);
	else
		rc = store_sub_del(st, sub.id);
	if (rc == 0)
		log_info("mail: %s %s %s", sub.address, t->kind == TOK_CONFIRM ?
		    "confirmed" : "unsubscribed from", sub.group);
	if (addr != NULL)
		snprintf(addr, addrlen, "%s", sub.address);
	if (group != NULL)
		snprintf(group, grouplen, "%s", sub.group);
	store_sub_clear(&sub);
	return rc;
}

static int
token_check(const struct mail_ctx *m, const struct mailaddr *a, struct token *t,
    struct lmtp_reply *r)
{
	int	rc = mail_token_parse(m->key, a->token, a->tkind, t);

	if (rc == -1) {
		reply(r, 550, "5.1.1", "no such address");
		return -1;
	}
	if (rc == -2) {
		reply(r, 550, "5.7.1", "this address has expired; reply to a newer message");
		return -1;
	}
	return 0;
}

void
mail_check_rcpt(const struct mail_ctx *m, const char *rcpt, struct lmtp_reply *r)
{
	struct mailaddr		a;
	struct token		t;
	struct store_sub	sub;
	struct store_group	g;

	if (m->conf->mail_domain == NULL || mailaddr_parse(rcpt, m->conf->mail_domain, &a)
	    == -1) {
		reply(r, 550, "5.1.1", "no such address");
		return;
	}
	switch (a.kind) {
	case MAILADDR_POST:
		if (store_group_get(m->store, a.group, &g) != 0) {
			reply(r, 550, "5.1.1", "no such list");
			return;
		}
		store_group_clear(&g);
		reply(r, 550, "5.7.1", "a new thread is a new blog article; reply to a "
		    "message of the list to comment");
		return;
	case MAILADDR_SUBSCRIBE:
	case MAILADDR_UNSUBSCRIBE:
		if (store_group_get(m->store, a.group, &g) != 0) {
			reply(r, 550, "5.1.1", "no such list");
			return;
		}
		store_group_clear(&g);
		break;
	default:
		if (token_check(m, &a, &t, r) == -1)
			return;
		if (a.kind == MAILADDR_BOUNCE)
			break;	/* bounces for gone subscribers are simply dropped */
		if (store_sub_get(m->store, t.subscriber, &sub) != 0) {
			reply(r, 550, "5.1.1", "no such subscription");
			return;
		}
		if (a.kind == MAILADDR_REPLY && sub.state != SUB_ACTIVE) {
			store_sub_clear(&sub);
			reply(r, 550, "5.7.1", "your subscription is not active");
			return;
		}
		store_sub_clear(&sub);
	}
	reply(r, 250, "2.1.5", "ok");
}

/* The text of a mail: its text/plain part, or its HTML as text; UTF-8, LF, not
 * flowed. Caller owns; NULL with why. */
static void
unflow(struct buf *out, const char *text, int delsp)
{
	const char	*p = text, *nl;
	int		 soft = 0, depth, pdepth = -1;

	while (*p) {
		size_t		n;
		const char	*l;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		l = p;
		for (depth = 0; (size_t)depth < n && l[depth] == '>'; depth++)
			;
		if (soft && depth == pdepth) {
			/* Continuation of a flowed paragraph: drop its quote marks. */
			l += depth;
			n -= (size_t)depth;
			if (n > 0 && l[0] == ' ' && depth > 0)
				l++, n--;
		} else if (soft)
			buf_addc(out, '\n');
		if (depth == 0 && n > 0 && l[0] == ' ' && !soft)
			l++, n--;	/* space-stuffing */
		soft = n > 0 && l[n - 1] == ' ' && !(n == 3 && !strncmp(l, "-- ", 3));
		if (soft && delsp)
			n--;
		buf_add(out, l, n);
		if (!soft)
			buf_addc(out, '\n');
		pdepth = depth;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

struct textpart {
	char		*text;		/* decoded */
	int		 html, flowed, delsp;
	const char	*why;		/* why the last text part could not be read */
};

/* The first text/plain part, else the first text/html one. */
static void
find_text(struct mailmime *mm, struct textpart *tp)
{
	struct mailmime_content	*ct;
	struct mailmime_single_fields sf;
	clistiter		*cur;
	const char		*sub, *cs, *fmt, *dsp;
	char			*t;
	int			 enc = MAILMIME_MECHANISM_8BIT, html;

	if (mm == NULL || (tp->text != NULL && !tp->html))
		return;
	if (mm->mm_type == MAILMIME_MULTIPLE) {
		for (cur = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); cur != NULL;
		    cur = clist_next(cur))
			find_text(clist_content(cur), tp);
		return;
	}
	if (mm->mm_type == MAILMIME_MESSAGE) {
		find_text(mm->mm_data.mm_message.mm_msg_mime, tp);
		return;
	}
	ct = mm->mm_content_type;
	if (ct != NULL && (ct->ct_type->tp_type != MAILMIME_TYPE_DISCRETE_TYPE ||
	    ct->ct_type->tp_data.tp_discrete_type->dt_type != MAILMIME_DISCRETE_TYPE_TEXT))
		return;
	sub = ct ? ct->ct_subtype : "plain";
	html = strcasecmp(sub, "html") == 0;
	if ((!html && strcasecmp(sub, "plain") != 0) || (html && tp->text != NULL))
		return;
	cs = ct ? mailmime_content_param_get(ct, "charset") : NULL;
	fmt = ct ? mailmime_content_param_get(ct, "format") : NULL;
	dsp = ct ? mailmime_content_param_get(ct, "delsp") : NULL;
	mailmime_single_fields_init(&sf, mm->mm_mime_fields, ct);
	if (sf.fld_encoding != NULL)
		enc = sf.fld_encoding->enc_type;
	if ((t = msg_text(mm->mm_body->dt_data.dt_text.dt_data,
	    mm->mm_body->dt_data.dt_text.dt_length, enc, cs, &tp->why)) == NULL)
		return;
	free(tp->text);
	tp->text = t;
	tp->html = html;
	tp->flowed = fmt && !strcasecmp(fmt, "flowed");
	tp->delsp = dsp && !strcasecmp(dsp, "yes");
}

static char *
mail_text(const char *msg, size_t len, const char **why)
{
	struct mailmime	*mm = NULL;
	struct textpart	 tp;
	struct buf	 b;
	size_t		 idx = 0;
	char		*t;

	memset(&tp, 0, sizeof(tp));
	if (mailmime_parse(msg, len, &idx, &mm) != MAILIMF_NO_ERROR) {
		*why = "cannot parse the message";
		return NULL;
	}
	find_text(mm, &tp);
	mailmime_free(mm);
	if (tp.text == NULL) {
		*why = tp.why != NULL ? tp.why : "no text in the message";
		return NULL;
	}
	if (tp.html) {
		t = html2text(tp.text, strlen(tp.text), 72);
		free(tp.text);
		tp.text = t;
		tp.flowed = 1;
		tp.delsp = 0;
	}
	buf_init(&b);
	if (tp.flowed)
		unflow(&b, tp.text, tp.delsp);
	else
		buf_adds(&b, tp.text);
	free(tp.text);
	return buf_steal(&b);
}

/* RFC 8601: does the trusted MTA's Authentication-Results (the topmost one with its
 * authserv-id; lower ones may be forged by the sender) say DKIM or DMARC passed? */
static int
auth_results_pass(const char *msg, size_t len, const char *authserv)
{
	size_t		 al = strlen(authserv);
	char		*v;
	int		 i, mine, pass = 0;

	for (i = 0; (v = msg_header_nth(msg, len, "Authentication-Results", i)) != NULL;
	    i++) {
		mine = !strncasecmp(v, authserv, al) && (v[al] == ';' || v[al] == ' ');
		if (mine)
			pass = strcasestr(v, "dmarc=pass") != NULL ||
			    strcasestr(v, "dkim=pass") != NULL;
		free(v);
		if (mine)
			break;
	}
	return pass;
}

static void
receive_reply(const struct mail_ctx *m, const struct token *t, const char *msg, size_t len,
    struct lmtp_reply *r)
{
	struct store_sub		 sub;
	struct store_article		 a;
	const struct conf_source	*src;
	struct comment_req		 cr;
	const char			*why = NULL;
	char				*from = NULL, *name = NULL, *addr = NULL, *text = NULL;
	char				*own = NULL, *mid = NULL, msgid[256];
	long long			 sid, pid, cid, obid = 0;
	int				 have_sub = 0, have_art = 0;

	if (store_sub_get(m->store, t->subscriber, &sub) != 0) {
		reply(r, 550, "5.1.1", "no such subscription");
		return;
	}
	have_sub = 1;
	from = msg_header(msg, len, "From");
	if (msg_mailbox(from, &name, &addr) == -1) {
		reply(r, 550, "5.6.0", "no usable From: header");
		goto done;
	}
	if (strcasecmp(addr, sub.address) != 0) {
		reply(r, 550, "5.7.1", "this reply address belongs to another subscriber");
		goto done;
	}
	if (m->conf->trusted_authserv != NULL &&
	    !auth_results_pass(msg, len, m->conf->trusted_authserv)) {
		reply(r, 550, "5.7.1", "the sender could not be verified (no DKIM or DMARC "
		    "pass from %s)", m->conf->trusted_authserv);
		goto done;
	}
	if (store_article_by_id(m->store, t->article, &a) != 0 || !a.live) {
		if (a.msgid)
			store_article_clear(&a);
		reply(r, 550, "5.7.1", "the message you answered is no longer there");
		goto done;
	}
	have_art = 1;
	if (store_article_item(m->store, a.msgid, &sid, &pid, &cid) != 0 ||
	    (src = conf_source_by_group(m->conf, sub.group)) == NULL) {
		reply(r, 550, "5.7.1", "this thread no longer takes comments");
		goto done;
	}
	if (src->type == SRC_ATOM || src->type == SRC_RSS) {
		reply(r, 550, "5.7.1", "this blog's comments cannot be answered by mail");
		goto done;
	}
	if ((text = mail_text(msg, len, &why)) == NULL) {
		reply(r, 550, "5.6.0", "%s", why);
		goto done;
	}
	own = trim_reply(text);
	if (*own == '\0') {
		reply(r, 550, "5.6.0", "the reply has no text of its own (only quotes)");
		goto done;
	}
	mid = msg_header(msg, len, "Message-ID");
	if (mid != NULL && store_msgid_exists(m->store, mid) == 0) {
		reply(r, 250, "2.0.0", "already posted");
		goto done;
	}
	memset(&cr, 0, sizeof(cr));
	cr.store = m->store;
	cr.conf = m->conf;
	cr.key = m->key;
	cr.src = src;
	cr.source_id = sid;
	cr.post_id = pid;
	cr.parent_id = cid;
	cr.name = name;
	cr.addr = addr;
	cr.text = own;
	cr.msgid = mid != NULL && msg_valid_msgid(mid) ? mid : NULL;
	cr.outbox_id = &obid;
	if (post_comment(&cr, msgid, sizeof(msgid), &why) == 240) {
		/* (LMTP may run this on a worker thread) */
		__atomic_fetch_add(&metrics.posts_accepted, 1, __ATOMIC_RELAXED);
		log_info("mail: reply from %s posted as %s", addr, msgid);
		reply(r, 250, "2.0.0", "posted as %s", msgid);
	} else
		reply(r, 451, "4.3.0", "%s", why ? why : "cannot post now");
done:
	if (have_sub)
		store_sub_clear(&sub);
	if (have_art)
		store_article_clear(&a);
	free(from);
	free(name);
	free(addr);
	free(text);
	free(own);
	free(mid);
}

void
mail_receive(const struct mail_ctx *m, const char *mail_from, const char *rcpt,
    const char *msg, size_t len, struct lmtp_reply *r)
{
	struct mailaddr		 a;
	struct token		 t;
	const char		*why = NULL;
	char			*from, *name = NULL, *addr = NULL;

	if (mailaddr_parse(rcpt, m->conf->mail_domain, &a) == -1) {
		reply(r, 550, "5.1.1", "no such address");
		return;
	}
	if (a.kind != MAILADDR_SUBSCRIBE && a.kind != MAILADDR_UNSUBSCRIBE &&
	    a.kind != MAILADDR_POST && token_check(m, &a, &t, r) == -1)
		return;
	switch (a.kind) {
	case MAILADDR_REPLY:
		receive_reply(m, &t, msg, len, r);
		return;
	case MAILADDR_BOUNCE:
		if (store_sub_bounce(m->store, t.subscriber, MAIL_BOUNCE_LIMIT) == -1) {
			reply(r, 451, "4.3.0", "try again later");
			return;
		}
		log_info("mail: bounce for subscriber %lld", t.subscriber);
		reply(r, 250, "2.0.0", "bounce noted");
		return;
	case MAILADDR_CONFIRM:
	case MAILADDR_UNSUB:
		switch (mail_token_act(m->store, &t, NULL, 0, NULL, 0)) {
		case 0:
			reply(r, 250, "2.0.0", a.kind == MAILADDR_CONFIRM ? "subscribed" :
			    "unsubscribed");
			break;
		case 1:
			reply(r, 250, "2.0.0", "nothing to do");
			break;
		default:
			reply(r, 451, "4.3.0", "try again later");
		}
		return;
	case MAILADDR_SUBSCRIBE:
	case MAILADDR_UNSUBSCRIBE:
		from = msg_header(msg, len, "From");
		if (msg_mailbox(from, &name, &addr) == -1) {
			free(from);
			if (mail_from == NULL || *mail_from == '\0') {
				reply(r, 550, "5.6.0", "no usable From: header");
				return;
			}
			addr = xstrdup(mail_from);
		}
		free(from);
		free(name);
		if (a.kind == MAILADDR_SUBSCRIBE) {
			if (mail_subscribe(m, a.group, addr, NULL, 0, 1, &why) == -1)
				reply(r, 451, "4.3.0", "%s", why);
			else
				reply(r, 250, "2.0.0", "confirmation sent");
		} else {
			mail_unsubscribe(m, a.group, addr, NULL);
			reply(r, 250, "2.0.0", "unsubscribed");
		}
		free(addr);
		return;
	default:
		reply(r, 550, "5.7.1", "a new thread is a new blog article; reply to a "
		    "message of the list to comment");
	}
}

/* Outbound.
 *
 * A round (on a tick, a kick, or a send finished) does the store's part at once: new
 * articles queued, a digest made when due, rows left "sending" by a stopped confabd
 * dropped, and the next due mails read, rendered and claimed. With a pool of stores
 * (PostgreSQL) it runs on a worker, one round at a time; the SMTP transactions start
 * here, on the loop, and what became of each is recorded the same way. */

struct mailer {
	struct event_base	*base;
	struct store		*store;
	const unsigned char	*key;
	const struct conf	*conf;
	struct event		*tick;		/* every SCAN_EVERY seconds */
	struct event		*kickev;	/* now (a separate event: activating the
						 * persistent one would push its schedule) */
	int			 sending;
	struct workers		*workers;	/* mailer_set_async() */
	struct store_pool	*pool;
	int			 busy;		/* a round under way */
	int			 again;		/* 1 send, 2 scan too: after it */
};

/* What the store's part of outbound mail works with: a store (maybe a worker's), the
 * configuration of the round (held), the key. */
struct mctx {
	struct store		*st;
	const struct conf	*c;
	const unsigned char	*key;
};

/* A list mail made from a stored article for one subscriber; caller owns. */
static char *
list_mail(const struct mctx *mc, const struct store_sub *sub, const struct store_article *a)
{
	const struct conf	*c = mc->c;
	static const char	*keep[] = { "Subject", "Date", "Message-ID", "References",
	    "In-Reply-To", "Archived-At", "MIME-Version", "Content-Type",
	    "Content-Transfer-Encoding", NULL };
	struct store_group	 g;
	struct buf		 b;
	char			*from, *name = NULL, *addr = NULL, *v, *tok, *utok, *phrase, *tmp;
	char			*list, *raddr, *uaddr;
	const char		*blog;
	int			 i;

	if (store_group_get(mc->st, sub->group, &g) != 0)
		return NULL;
	blog = g.description && *g.description ? g.description : g.name;
	from = msg_header(a->data, a->head_len, "From");
	if (msg_mailbox(from, &name, &addr) == -1)
		name = xstrdup("Anonymous");
	xasprintf(&tmp, "%s via %s", *name ? name : "Anonymous", blog);
	phrase = rfc2047_encode(tmp, RFC2047_PHRASE, 6);
	free(tmp);
	tok = make_token(mc->key, TOK_REPLY, sub->id, a->id, sub->group_id, MAIL_TOKEN_DAYS);
	utok = make_token(mc->key, TOK_UNSUB, sub->id, 0, sub->group_id, 365);
	list = mailaddr_make(MAILADDR_POST, sub->group, c->mail_domain);
	raddr = mailaddr_make(MAILADDR_REPLY, tok, c->mail_domain);
	uaddr = mailaddr_make(MAILADDR_UNSUB, utok, c->mail_domain);

	buf_init(&b);
	buf_printf(&b, "From: %s <%s>\r\n", phrase, list);
	buf_printf(&b, "Reply-To: <%s>\r\n", raddr);
	buf_printf(&b, "To: <%s>\r\n", list);
	for (i = 0; keep[i] != NULL; i++) {
		if ((v = msg_header(a->data, a->head_len, keep[i])) == NULL)
			continue;
		buf_printf(&b, "%s: %s\r\n", keep[i], v);	/* unfolded: may be long */
		free(v);
	}
	tmp = rfc2047_encode(blog, RFC2047_PHRASE, 9);
	buf_printf(&b, "List-Id: %s <%s.%s>\r\n", tmp, sub->group, c->mail_domain);
	free(tmp);
	buf_printf(&b, "List-Post: <mailto:%s>\r\n", list);
	unsub_headers(&b, c, utok, uaddr);
	buf_adds(&b, "Precedence: list\r\nAuto-Submitted: auto-generated\r\n");
	buf_adds(&b, "\r\n");
	buf_add(&b, a->data + a->head_len, a->len - a->head_len);
	store_group_clear(&g);
	free(from);
	free(name);
	free(addr);
	free(phrase);
	free(tok);
	free(utok);
	free(list);
	free(raddr);
	free(uaddr);
	return buf_steal(&b);
}

static void	round_start(struct mailer *, int scan);

static time_t
mq_backoff(int attempts)
{
	return time(NULL) + backoff(RETRY_FIRST, attempts - 1, RETRY_MAX, -1, 0);
}

/* What became of one mail, recorded. */
enum { F_SENT, F_FAILED, F_DEFERRED, F_GONE };

struct fate {
	struct mailer	*mr;
	long long	 id;
	char		*rcpt;
	int		 code;		/* the relay's, 0 none */
	char		 why[512];
	int		 what;		/* F_* */
};

static void
fate_run(struct store *st, void *arg)
{
	struct fate	*f = arg;
	struct store_mq	 q;

	if (store_mq_get(st, f->id, &q) != 0) {
		f->what = F_GONE;
		return;
	}
	if (f->code == 250) {
		store_mq_del(st, f->id);
		f->what = F_SENT;
		log_debug("mail: sent %lld to %s", f->id, f->rcpt);
	} else if (f->code >= 500 || q.attempts + 1 >= GIVE_UP_AFTER) {
		store_mq_del(st, f->id);
		store_sub_bounce(st, q.sub_id, MAIL_BOUNCE_LIMIT);
		f->what = F_FAILED;
		log_warn("mail: %s refused: %s", f->rcpt, f->why);
	} else {
		store_mq_defer(st, f->id, mq_backoff(q.attempts + 1), f->why);
		f->what = F_DEFERRED;
		log_warn("mail: to %s deferred: %s", f->rcpt, f->why);
	}
	store_mq_clear(&q);
}

static void
fate_done(void *arg, int ok)
{
	struct fate	*f = arg;
	struct mailer	*mr = f->mr;

	if (ok && f->what == F_SENT)
		metrics.mail_sent++;
	else if (ok && f->what == F_FAILED)
		metrics.mail_failed++;
	else if (ok && f->what == F_DEFERRED)
		metrics.mail_deferred++;
	free(f->rcpt);
	free(f);
	if (!event_base_got_exit(mr->base))
		round_start(mr, 0);	/* room for the next */
}

static void
fate(struct mailer *mr, long long id, const char *rcpt, int code, const char *text)
{
	struct fate	*f = xcalloc(1, sizeof(*f));

	f->mr = mr;
	f->id = id;
	f->rcpt = xstrdup(rcpt);
	f->code = code;
	if (code)
		snprintf(f->why, sizeof(f->why), "%d %s", code, text ? text : "");
	else
		snprintf(f->why, sizeof(f->why), "%s", text ? text : "no answer from the relay");
	work_store(mr->workers, mr->pool, mr->store, fate_run, fate_done, f);
}

struct sendctx {
	struct mailer	*mr;
	long long	 id;
	char		*rcpt;
};

static void
sent(const struct smtp_result *res, void *arg)
{
	struct sendctx	*sc = arg;

	sc->mr->sending--;
	fate(sc->mr, sc->id, sc->rcpt, res->code, res->text);
	free(sc->rcpt);
	free(sc);
}

/* A mail claimed for sending, ready to go. */
struct prepared {
	long long	 id;
	char		*rcpt, *from, *data;
};

struct round {
	struct mailer	*mr;
	struct conf	*conf;		/* held */
	struct mctx	 mc;
	int		 scan;		/* new articles, digests, stale rows too */
	int		 slots;		/* mails it may make ready */
	struct prepared	*p;
	int		 np;
};

static int
prepare_one(long long id, void *arg)
{
	struct round		*r = arg;
	const struct mctx	*mc = &r->mc;
	struct store_mq		 q;
	struct store_sub	 sub;
	struct store_article	 a;
	struct prepared		*p;
	char			*data = NULL, *btok;

	memset(&sub, 0, sizeof(sub));
	if (r->np >= r->slots)
		return 1;
	if (store_mq_get(mc->st, id, &q) != 0)
		return 0;
	if (store_sub_get(mc->st, q.sub_id, &sub) != 0 ||
	    (q.kind == MQ_ARTICLE && sub.state != SUB_ACTIVE)) {
		store_mq_del(mc->st, id);	/* gone or suspended meanwhile */
		store_sub_clear(&sub);
		store_mq_clear(&q);
		return 0;
	}
	if (q.kind == MQ_PREPARED)
		data = xstrdup(q.data ? q.data : "");
	else if (store_article_by_id(mc->st, q.article_id, &a) == 0) {
		if (a.live)
			data = list_mail(mc, &sub, &a);
		store_article_clear(&a);
	}
	if (data == NULL) {
		store_mq_del(mc->st, id);
		goto done;
	}
	/* At most once: marked before it leaves; a crash now loses it rather than
	 * sending it twice. 1: another front end took it first. */
	if (store_mq_claim(mc->st, id, MQ_SENDING, time(NULL)) != 0) {
		free(data);
		goto done;
	}
	btok = make_token(mc->key, TOK_BOUNCE, sub.id, q.article_id > 0 ? q.article_id : 0,
	    sub.group_id, 30);
	r->p = xreallocarray(r->p, (size_t)r->np + 1, sizeof(*r->p));
	p = &r->p[r->np++];
	p->id = id;
	p->rcpt = xstrdup(sub.address);
	p->from = mailaddr_make(MAILADDR_BOUNCE, btok, mc->c->mail_domain);
	p->data = data;
	free(btok);
done:
	store_sub_clear(&sub);
	store_mq_clear(&q);
	return 0;
}

/* New articles: queue one mail per subscriber. Edits (version > 1) are not mailed. */
struct enq {
	const struct mctx	*mc;
	long long		 last;
	long			 queued;
};

static int
enqueue_sub(const struct store_sub *sub, void *arg)
{
	struct enq	*e = arg;

	if (sub->mode == SUB_DIGEST) {	/* collected for the daily digest */
		store_mq_add(e->mc->st, sub->id, e->last, MQ_DIGEST_ITEM, NOT_DUE, NULL, 0);
		return 0;
	}
	if (store_mq_add(e->mc->st, sub->id, e->last, MQ_ARTICLE, time(NULL), NULL, 0) == 0)
		e->queued++;
	return 0;
}

static int
enqueue_article(long long id, const char *msgid, int version, const char *over, void *arg)
{
	struct enq	*e = arg;
	long long	 gids[8];
	char		 root[256];
	const char	*refs, *p;
	int		 n, i, tab;

	e->last = id;
	if (version > 1)
		return 0;
	/* The thread root: the first id of References (overview field 5), else itself. */
	for (p = over, tab = 0; *p && tab < 4; p++)
		tab += *p == '\t';
	refs = p;
	if (*refs == '<') {
		size_t	l = strcspn(refs, " \t");

		snprintf(root, sizeof(root), "%.*s", (int)(l < sizeof(root) ? l : sizeof(root) - 1),
		    refs);
	} else
		snprintf(root, sizeof(root), "%s", msgid);
	if ((n = store_article_groups(e->mc->st, id, gids, 8)) <= 0)
		return 0;
	for (i = 0; i < n; i++)
		store_sub_for(e->mc->st, gids[i], root, enqueue_sub, e);
	return 0;
}

static void
mailer_scan(const struct mctx *mc)
{
	struct enq	 e;
	char		*v = NULL, num[32];

	memset(&e, 0, sizeof(e));
	e.mc = mc;
	/* The cursor read and moved in one write transaction: front ends sharing the
	 * store take turns, and no article is queued twice. */
	if (store_begin(mc->st) == -1)
		return;
	if (store_meta_get(mc->st, "mail.cursor", &v) != 0 || v == NULL) {
		store_rollback(mc->st);
		return;
	}
	e.last = atoll(v);
	free(v);
	store_articles_after(mc->st, e.last, 1000, enqueue_article, &e);
	snprintf(num, sizeof(num), "%lld", e.last);
	store_meta_put(mc->st, "mail.cursor", num);
	if (store_commit(mc->st) == -1)
		store_rollback(mc->st);
	else if (e.queued)
		log_info("mail: %ld mails queued", e.queued);
}

/* The blog refused a comment: its author told, if a subscriber. */
struct refusal {
	struct mailer	*mr;
	struct conf	*conf;		/* held */
	char		*group, *address, *msgid, *html, *why;
};

static void
refusal_run(struct store *st, void *arg)
{
	struct refusal		*rf = arg;
	const char		*domain = rf->conf->mail_domain;
	struct store_group	 g;
	struct store_sub	 sub;
	struct buf		 b;
	char			*list, *text;

	if (store_group_get(st, rf->group, &g) != 0)
		return;
	if (store_sub_find(st, g.id, "", rf->address, &sub) != 0) {
		store_group_clear(&g);
		return;		/* not a subscriber: not our business to mail them */
	}
	list = mailaddr_make(MAILADDR_POST, g.name, domain);
	text = html2text(rf->html, strlen(rf->html), 72);
	buf_init(&b);
	own_head(&b, g.name, list, sub.address, "Your reply could not be posted", "refused",
	    domain);
	buf_printf(&b, "In-Reply-To: %s\r\nAuto-Submitted: auto-replied\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
	    "The blog did not take your reply %s:\r\n\r\n    %s\r\n\r\n"
	    "This is what you wrote:\r\n\r\n", rf->msgid, rf->msgid, rf->why);
	buf_adds(&b, text);	/* smtp.c sends its bare LFs as CRLF */
	if (store_mq_add(st, sub.id, 0, MQ_PREPARED, time(NULL), b.data, b.len) == 0)
		log_info("mail: told %s that %s was refused", sub.address, rf->msgid);
	buf_free(&b);
	free(list);
	free(text);
	store_sub_clear(&sub);
	store_group_clear(&g);
}

static void
refusal_done(void *arg, int ok)
{
	struct refusal	*rf = arg;

	if (!event_base_got_exit(rf->mr->base))
		mailer_kick(rf->mr);
	conf_free(rf->conf);
	free(rf->group);
	free(rf->address);
	free(rf->msgid);
	free(rf->html);
	free(rf->why);
	free(rf);
}

void
mailer_refused(struct mailer *mr, const char *group, const char *address,
    const char *msgid, const char *html, const char *why)
{
	struct refusal	*rf;

	if (mr->conf == NULL || mr->conf->mail_domain == NULL || address == NULL)
		return;
	rf = xcalloc(1, sizeof(*rf));
	rf->mr = mr;
	rf->conf = conf_hold(mr->conf);
	rf->group = xstrdup(group);
	rf->address = xstrdup(address);
	rf->msgid = xstrdup(msgid);
	rf->html = xstrdup(html ? html : "");
	rf->why = xstrdup(why);
	work_store(mr->workers, mr->pool, mr->store, refusal_run, refusal_done, rf);
}

/* Daily digests: one MIME digest (RFC 2046 5.1.5) per subscriber of what was
 * collected, each article as the subscriber would have got it. */
struct digest {
	const struct mctx	*mc;
	long long		 sub_id;
	struct store_sub	 sub;
	struct buf		 b;
	int			 n;
	long long		*ids;
	size_t			 nids;
};

static void
digest_flush(struct digest *dg)
{
	const struct mctx	*mc = dg->mc;
	const char		*domain = mc->c->mail_domain;
	struct buf		 m;
	char			*list = NULL, *uaddr = NULL, *utok = NULL, *subject;
	size_t			 i;

	if (dg->sub_id != 0 && dg->n > 0 && dg->sub.address != NULL) {
		list = mailaddr_make(MAILADDR_POST, dg->sub.group, domain);
		utok = make_token(mc->key, TOK_UNSUB, dg->sub.id, 0, dg->sub.group_id, 365);
		uaddr = mailaddr_make(MAILADDR_UNSUB, utok, domain);
		buf_init(&m);
		xasprintf(&subject, "%s digest, %d article%s", dg->sub.group, dg->n,
		    dg->n == 1 ? "" : "s");
		own_head(&m, dg->sub.group, list, dg->sub.address, subject, "digest", domain);
		free(subject);
		buf_printf(&m, "List-Id: <%s.%s>\r\nList-Post: <mailto:%s>\r\n",
		    dg->sub.group, domain, list);
		unsub_headers(&m, mc->c, utok, uaddr);
		buf_printf(&m, "Precedence: list\r\n"
		    "Content-Type: multipart/digest; boundary=\"confab-digest-%lld\"\r\n\r\n",
		    dg->sub.id);
		buf_add(&m, dg->b.data, dg->b.len);
		buf_printf(&m, "--confab-digest-%lld--\r\n", dg->sub.id);
		if (store_begin(mc->st) == 0) {
			store_mq_add(mc->st, dg->sub.id, 0, MQ_PREPARED, time(NULL), m.data,
			    m.len);
			for (i = 0; i < dg->nids; i++)
				store_mq_del(mc->st, dg->ids[i]);
			if (store_commit(mc->st) == -1)
				store_rollback(mc->st);
		}
		buf_free(&m);
	}
	free(list);
	free(uaddr);
	free(utok);
	store_sub_clear(&dg->sub);
	buf_reset(&dg->b);
	dg->n = 0;
	dg->nids = 0;
}

static int
digest_item(long long id, long long sub_id, long long article_id, void *arg)
{
	struct digest		*dg = arg;
	struct store_article	 a;
	char			*mail;

	if (sub_id != dg->sub_id) {
		digest_flush(dg);
		dg->sub_id = sub_id;
		if (store_sub_get(dg->mc->st, sub_id, &dg->sub) != 0)
			memset(&dg->sub, 0, sizeof(dg->sub));
	}
	dg->ids = xreallocarray(dg->ids, dg->nids + 1, sizeof(*dg->ids));
	dg->ids[dg->nids++] = id;
	if (dg->sub.address == NULL || store_article_by_id(dg->mc->st, article_id, &a) != 0)
		return 0;
	if (a.live && (mail = list_mail(dg->mc, &dg->sub, &a)) != NULL) {
		buf_printf(&dg->b, "--confab-digest-%lld\r\n\r\n", sub_id);
		buf_adds(&dg->b, mail);
		buf_adds(&dg->b, "\r\n");
		free(mail);
		dg->n++;
	}
	store_article_clear(&a);
	return 0;
}

static void
mailer_digests(const struct mctx *mc)
{
	struct digest	 dg;
	char		*v = NULL, num[32];
	int		 due;

	/* Whether a digest is due, and its time taken, in one write transaction: of the
	 * front ends sharing the store, one sends it. */
	if (store_begin(mc->st) == -1)
		return;
	if (store_meta_get(mc->st, "mail.digest", &v) == -1) {
		store_rollback(mc->st);
		return;
	}
	due = v != NULL && time(NULL) - (time_t)atoll(v) >= mc->c->digest_interval;
	free(v);
	if (v == NULL || due) {
		snprintf(num, sizeof(num), "%lld", (long long)time(NULL));
		store_meta_put(mc->st, "mail.digest", num);
	}
	if (store_commit(mc->st) == -1) {
		store_rollback(mc->st);
		return;
	}
	if (!due)
		return;
	memset(&dg, 0, sizeof(dg));
	dg.mc = mc;
	buf_init(&dg.b);
	store_mq_kind(mc->st, MQ_DIGEST_ITEM, digest_item, &dg);
	digest_flush(&dg);
	buf_free(&dg.b);
	free(dg.ids);
}

/* A row is "sending" from the moment it leaves: one still so after SENDING_STALE was
 * being sent by a confabd that stopped (this one, or another sharing the store). */
static int
drop_sending(long long id, void *arg)
{
	const struct mctx	*mc = arg;

	log_warn("mail: queue entry %lld was being sent when a confabd stopped; not sent "
	    "again", id);
	store_mq_del(mc->st, id);
	return 0;
}

static void
round_run(struct store *st, void *arg)
{
	struct round	*r = arg;

	r->mc.st = st;
	if (r->scan) {
		mailer_scan(&r->mc);
		mailer_digests(&r->mc);
		store_mq_sending(st, time(NULL) - SENDING_STALE, drop_sending, &r->mc);
	}
	if (r->slots > 0)
		store_mq_due(st, time(NULL), SEND_PARALLEL * 4, prepare_one, r);
}

static void
send_prepared(struct mailer *mr, struct prepared *p)
{
	struct smtp_msg	 msg;
	struct sendctx	*sc;
	const char	*rcpts[1] = { p->rcpt };

	memset(&msg, 0, sizeof(msg));
	msg.relay = mr->conf->mail_relay;
	msg.helo = mr->conf->hostname;
	msg.from = p->from;
	msg.rcpts = rcpts;
	msg.nrcpts = 1;
	msg.data = p->data;
	msg.len = strlen(p->data);
	sc = xcalloc(1, sizeof(*sc));
	sc->mr = mr;
	sc->id = p->id;
	sc->rcpt = xstrdup(p->rcpt);
	mr->sending++;
	if (smtp_send(mr->base, &msg, sent, sc) == -1) {
		mr->sending--;
		fate(mr, p->id, p->rcpt, 0, "cannot start sending to the relay");
		free(sc->rcpt);
		free(sc);
	}
}

static void
round_done(void *arg, int ok)
{
	struct round	*r = arg;
	struct mailer	*mr = r->mr;
	int		 i, again;

	mr->busy = 0;
	for (i = 0; i < r->np; i++) {
		/* Claimed: sent now, or (stopping, no relay any more) left to be dropped
		 * as stale, never sent twice. */
		if (ok && !event_base_got_exit(mr->base) && mr->conf != NULL &&
		    mr->conf->mail_domain != NULL)
			send_prepared(mr, &r->p[i]);
		free(r->p[i].rcpt);
		free(r->p[i].from);
		free(r->p[i].data);
	}
	free(r->p);
	conf_free(r->conf);
	free(r);
	if ((again = mr->again) != 0 && !event_base_got_exit(mr->base)) {
		mr->again = 0;
		round_start(mr, again == 2);
	}
}

static void
round_start(struct mailer *mr, int scan)
{
	struct round	*r;

	if (mr->conf == NULL || mr->conf->mail_domain == NULL)
		return;		/* no list mail here */
	if (mr->busy) {
		if (mr->again < 1 + scan)
			mr->again = 1 + scan;
		return;
	}
	if (!scan && mr->sending >= SEND_PARALLEL)
		return;
	r = xcalloc(1, sizeof(*r));
	r->mr = mr;
	r->conf = conf_hold(mr->conf);
	r->mc.c = r->conf;
	r->mc.key = mr->key;
	r->scan = scan;
	r->slots = SEND_PARALLEL - mr->sending;
	mr->busy = 1;
	work_store(mr->workers, mr->pool, mr->store, round_run, round_done, r);
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	round_start(arg, 1);
}

struct mailer *
mailer_new(struct event_base *base, struct store *st, const unsigned char key[SECRET_LEN])
{
	struct mailer	*mr = xcalloc(1, sizeof(*mr));
	struct timeval	 tv = { SCAN_EVERY, 0 };
	struct mctx	 mc = { st, NULL, key };
	char		*v = NULL;

	mr->base = base;
	mr->store = st;
	mr->key = key;
	store_mq_sending(st, time(NULL) - SENDING_STALE, drop_sending, &mc);
	if (store_meta_get(st, "mail.cursor", &v) == 1)
		mail_skip_existing(st);	/* first run: what exists now is history, not news */
	free(v);
	mr->tick = event_new(base, -1, EV_PERSIST, tick_cb, mr);
	event_add(mr->tick, &tv);
	mr->kickev = evtimer_new(base, tick_cb, mr);
	return mr;
}

void
mailer_set_async(struct mailer *mr, struct workers *w, struct store_pool *pool)
{
	mr->workers = w;
	mr->pool = pool;
}

void
mailer_set_conf(struct mailer *mr, const struct conf *c)
{
	mr->conf = c;
	mailer_kick(mr);
}

void
mailer_kick(struct mailer *mr)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(mr->kickev, &tv);
}

void
mailer_free(struct mailer *mr)
{
	if (mr == NULL)
		return;
	event_free(mr->tick);
	event_free(mr->kickev);
	free(mr);
}
