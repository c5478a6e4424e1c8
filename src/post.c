/* post.c: an article from a reader becomes a comment: parse with libetpan, check,
 * find the parent from References, and publish (local sources) through import.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>
#include <openssl/rand.h>

#include "import.h"
#include "ingest.h"
#include "log.h"
#include "msg.h"
#include "metrics.h"
#include "post.h"
#include "rfc2047.h"
#include "utf8.h"

/* Decode the body per Content-Transfer-Encoding and charset into UTF-8 text with LF
 * line ends. flowed and delsp come from Content-Type. Caller owns; NULL with why set. */
static char *
decode_body(const char *data, size_t head_len, size_t len, int *flowed, int *delsp,
    const char **why)
{
	char		*ct = msg_header(data, head_len, "Content-Type");
	char		*cte = msg_header(data, head_len, "Content-Transfer-Encoding");
	char		*charset = NULL, *out = NULL;
	size_t		 idx = 0;
	int		 enc = MAILMIME_MECHANISM_8BIT;
	struct mailmime_content *mc = NULL;
	const char	*body = data + head_len;
	size_t		 blen = len - head_len;

	*flowed = *delsp = 0;
	if (ct != NULL) {
		if (mailmime_content_parse(ct, strlen(ct), &idx, &mc) != MAILIMF_NO_ERROR) {
			*why = "malformed Content-Type";
			goto done;
		}
		if (mc->ct_type->tp_type != MAILMIME_TYPE_DISCRETE_TYPE ||
		    mc->ct_type->tp_data.tp_discrete_type->dt_type != MAILMIME_DISCRETE_TYPE_TEXT ||
		    strcasecmp(mc->ct_subtype, "plain") != 0) {
			*why = "only text/plain articles are accepted";
			goto done;
		}
		{
			const char *v = mailmime_content_param_get(mc, "charset");
			if (v != NULL)
				charset = xstrdup(v);
			v = mailmime_content_param_get(mc, "format");
			*flowed = v != NULL && !strcasecmp(v, "flowed");
			v = mailmime_content_param_get(mc, "delsp");
			*delsp = v != NULL && !strcasecmp(v, "yes");
		}
	}
	if (cte != NULL) {
		if (!strcasecmp(cte, "quoted-printable"))
			enc = MAILMIME_MECHANISM_QUOTED_PRINTABLE;
		else if (!strcasecmp(cte, "base64"))
			enc = MAILMIME_MECHANISM_BASE64;
		else if (strcasecmp(cte, "7bit") && strcasecmp(cte, "8bit") &&
		    strcasecmp(cte, "binary")) {
			*why = "unknown Content-Transfer-Encoding";
			goto done;
		}
	}
	out = msg_text(body, blen, enc, charset, why);
done:
	if (mc != NULL)
		mailmime_content_free(mc);
	free(ct);
	free(cte);
	free(charset);
	return out;
}

/* Does the text hold a line of the poster's own, before the signature? */
static int
own_text(const char *t)
{
	const char	*nl;
	size_t		 n, i;

	for (; *t != '\0'; t = nl ? nl + 1 : t + n) {
		nl = strchr(t, '\n');
		n = nl ? (size_t)(nl - t) : strlen(t);
		if (n == 3 && !strncmp(t, "-- ", 3))
			return 0;
		for (i = 0; i < n && (t[i] == ' ' || t[i] == '\t'); i++)
			;
		if (i < n && t[i] != '>')
			return 1;
		if (nl == NULL)
			break;
	}
	return 0;
}

char *
post_text_to_html(const char *text, int flowed, int delsp)
{
	struct buf	 b, para;
	const char	*p = text, *nl;
	int		 depth = 0, d, i, soft = 0;

	buf_init(&b);
	buf_init(&para);
	for (;;) {
		size_t	 n;
		const char *l;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (nl == NULL && n == 0)
			break;
		l = p;
		if (n == 3 && !strncmp(l, "-- ", 3))
			break;				/* signature */
		{
			/* The quote depth: its '>'s, "> > x" (non-flowed quoting) too. */
			size_t k = 0;

			for (d = 0; k < n && (l[k] == '>' || (l[k] == ' ' && k + 1 < n &&
			    l[k + 1] == '>')); k++)
				d += l[k] == '>';
			l += k;
			n -= k;
		}
		if (n > 0 && l[0] == ' ')	/* space-stuffing / quote separator */
			l++, n--;
		if (!flowed)		/* trailing blanks mean nothing in fixed text */
			while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t'))
				n--;
		if (d != depth || (n == 0 && !soft)) {
			if (para.len > 0) {
				buf_adds(&b, "<p>");
				buf_add(&b, para.data, para.len);
				buf_adds(&b, "</p>\n");
				buf_reset(&para);
			}
			for (i = depth; i > d; i--)
				buf_adds(&b, "</blockquote>\n");
			for (i = depth; i < d; i++)
				buf_adds(&b, "<blockquote>");
			depth = d;
		}
		if (n > 0) {
			int trailing = flowed && l[n - 1] == ' ';

			if (para.len > 0 && !soft)
				buf_adds(&para, "<br>\n");
			ingest_html_add(&para, l, trailing && delsp ? n - 1 : n);
			soft = trailing;
		} else
			soft = 0;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (para.len > 0) {
		buf_adds(&b, "<p>");
		buf_add(&b, para.data, para.len);
		buf_adds(&b, "</p>\n");
	}
	for (i = depth; i > 0; i--)
		buf_adds(&b, "</blockquote>\n");
	buf_free(&para);
	return buf_steal(&b);
}

/* A follow-up to a blog: durably queued before anyone is told anything. */
static int
queue_for_blog(const struct comment_req *r, const struct conf_source *src, long long pid,
    long long cid, const char *name, const char *addr, const char *text, int flowed,
    int delsp, char **msgid, const char **why)
{
	struct store_outbox	e;
	int			i;

	if (*msgid == NULL)
		*msgid = msg_make_id("confab", r->conf->hostname);
	memset(&e, 0, sizeof(e));
	e.source = src->name;
	e.msgid = *msgid;
	e.post_id = pid;
	e.parent_id = cid;
	e.author = header_sanitize(name);
	e.email = (char *)addr;
	e.html = post_text_to_html(text, flowed, delsp);
	e.next_try = time(NULL);
	i = store_outbox_add(r->store, &e, r->outbox_id);
	free(e.author);
	free(e.html);
	if (i == -1) {
		*why = "that Message-ID is known already, or the store is busy";
		return 441;
	}
	return 240;
}

int
post_comment(const struct comment_req *r, char *msgid_out, size_t msgidlen,
    const char **why)
{
	const struct conf_source *src = r->src;
	struct importer		*im = NULL;
	struct item		 it;
	char			*msgid = r->msgid ? xstrdup(r->msgid) : NULL;
	long long		 sid = r->source_id, pid = r->post_id, cid = r->parent_id;
	int			 code = 441;

	memset(&it, 0, sizeof(it));
	if (src->type != SRC_LOCAL) {
		code = queue_for_blog(r, src, pid, cid, r->name, r->addr, r->text, r->flowed,
		    r->delsp, &msgid, why);
		if (code == 240)
			snprintf(msgid_out, msgidlen, "%s", msgid);
		goto done;
	}
	if ((im = importer_new(r->store, r->conf, src, r->key)) == NULL) {
		*why = "internal error";
		goto done;
	}
	it.kind = ITEM_COMMENT;
	it.state = ITEM_OK;
	it.post_id = pid;
	it.parent_id = cid;
	it.author = header_sanitize(r->name);
	it.author_email = xstrdup(r->addr);
	it.date = time(NULL);
	it.html = post_text_to_html(r->text, r->flowed, r->delsp);
	if (store_begin(r->store) == -1) {
		*why = "store busy, try again";
		goto done;
	}
	it.comment_id = store_local_comment_id(r->store, sid);
	{
		/* Archived-At: the post's permalink + "#comment-ID", as WordPress does. */
		struct store_item	post;

		if (store_item_get(r->store, sid, pid, 0, &post) == 0) {
			if (post.it.link != NULL && *post.it.link != '\0')
				xasprintf(&it.link, "%.*s#comment-%lld",
				    (int)strcspn(post.it.link, "#"), post.it.link, it.comment_id);
			store_item_clear(&post);
		}
	}
	if (msgid == NULL)
		xasprintf(&msgid, "<p%lld.c%lld@%s>", pid, it.comment_id, src->domain);
	if (importer_item_msgid(im, &it, msgid) == -1 || importer_publish(im) == -1 ||
	    store_commit(r->store) == -1) {
		store_rollback(r->store);
		*why = "could not store the article";
		goto done;
	}
	snprintf(msgid_out, msgidlen, "%s", msgid);
	code = 240;
done:
	if (code == 240)
		metrics.posts_accepted++;
	importer_free(im);
	item_free(&it);
	free(msgid);
	return code;
}

int
post_article(const struct post_req *r, char *msg, size_t msglen, char *msgid_out,
    size_t msgidlen)
{
	const struct conf_source *src = NULL;
	const char		*why = NULL, *p;
	char			*ng = NULL, *subj = NULL, *from = NULL, *refs = NULL;
	char			*msgid = NULL, *name = NULL, *addr = NULL, *text = NULL;
	char			*tok, *save = NULL, *tmp;
	size_t			 head_len;
	long long		 asid, apid, acid, pid = 0, cid = 0, src_sid;
	int			 flowed, delsp, code = 441, rc, found;

	/* Header and body split at the first empty line. */
	if ((p = strstr(r->data, "\r\n\r\n")) == NULL || (size_t)(p - r->data) > r->len) {
		why = "no empty line between header and body";
		goto done;
	}
	head_len = (size_t)(p - r->data) + 4;
	if ((ng = msg_header(r->data, head_len, "Newsgroups")) == NULL)
		why = "missing Newsgroups header";
	else if ((subj = msg_header(r->data, head_len, "Subject")) == NULL || *subj == '\0')
		why = "missing Subject header";
	else if ((from = msg_header(r->data, head_len, "From")) == NULL)
		why = "missing From header";
	if (why != NULL)
		goto done;
	if (msg_mailbox(from, &name, &addr) == -1) {
		why = "malformed From header";
		goto done;
	}
	for (tok = strtok_r(ng, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t",
	    &save)) {
		const struct conf_source *s = conf_source_by_group(r->conf, tok);

		if (s == NULL) {
			why = "no such newsgroup";
			goto done;
		}
		if (src != NULL && s != src) {
			why = "cross-posting to groups of different blogs is not possible";
			goto done;
		}
		src = s;
	}
	if (src == NULL) {
		why = "empty Newsgroups header";
		goto done;
	}
	if (src->posting == POST_NO || (src->posting == POST_AUTH && r->user == NULL)) {
		why = src->posting == POST_NO ? "posting to this group is not allowed" :
		    "authentication required to post to this group";
		code = 441;	/* RFC 3977 6.3.1: after the article only 240 or 441 */
		goto done;
	}
	if ((tmp = msg_header(r->data, head_len, "Control")) != NULL) {
		free(tmp);
		why = "control messages are not accepted (delete a comment on the blog)";
		goto done;
	}
	if ((tmp = msg_header(r->data, head_len, "Supersedes")) != NULL) {
		free(tmp);
		why = "superseding is not supported (edit the comment on the blog)";
		goto done;
	}
	if ((msgid = msg_header(r->data, head_len, "Message-ID")) != NULL) {
		if (!msg_valid_msgid(msgid)) {
			why = "malformed Message-ID";
			goto done;
		}
		if ((rc = store_msgid_exists(r->store, msgid)) == 0) {
			why = "duplicate: that Message-ID is known already";
			goto done;
		}
	}
	/* The parent: the last known Message-ID of References. */
	if ((refs = msg_header(r->data, head_len, "References")) == NULL) {
		why = "a new thread is a new blog article: only the blog's authors can start "
		    "one (use a follow-up)";
		goto done;
	}
	if (store_source_id(r->store, src->name, &src_sid) == -1) {
		why = "store busy, try again";
		goto done;
	}
	/* Only articles of the same blog can be parents: the last one named. */
	for (found = 0, tok = strtok_r(refs, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save))
		if (msg_valid_msgid(tok) && store_article_item(r->store, tok, &asid, &apid,
		    &acid) == 0 && asid == src_sid) {
			pid = apid;
			cid = acid;
			found = 1;
		}
	if (!found) {
		why = "References names no article of this group known here";
		goto done;
	}
	if ((text = decode_body(r->data, head_len, r->len, &flowed, &delsp, &why)) == NULL)
		goto done;
	if (!own_text(text)) {
		why = "empty article body (nothing but quotes or a signature)";
		goto done;
	}
	{
		struct comment_req	cr;

		memset(&cr, 0, sizeof(cr));
		cr.store = r->store;
		cr.conf = r->conf;
		cr.key = r->key;
		cr.src = src;
		cr.source_id = src_sid;
		cr.post_id = pid;
		cr.parent_id = cid;
		cr.name = name;
		cr.addr = addr;
		cr.text = text;
		cr.flowed = flowed;
		cr.delsp = delsp;
		cr.msgid = msgid;
		cr.outbox_id = r->outbox_id;
		code = post_comment(&cr, msgid_out, msgidlen, &why);
	}
done:
	if (why != NULL)
		snprintf(msg, msglen, "%s", why);
	free(ng);
	free(subj);
	free(from);
	free(refs);
	free(msgid);
	free(name);
	free(addr);
	free(text);
	(void)src;
	return code;
}
