/* render.c: blog item -> RFC 5536 article. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html2text.h"
#include "log.h"
#include "msg.h"
#include "render.h"
#include "rfc2047.h"

char *
render_msgid(long long post_id, long long comment_id, int version, const char *domain)
{
	struct buf	b;

	buf_init(&b);
	buf_printf(&b, "<p%lld", post_id);
	if (comment_id != 0)
		buf_printf(&b, ".c%lld", comment_id);
	if (version > 1)
		buf_printf(&b, ".v%d", version);
	buf_printf(&b, "@%s>", domain);
	return buf_steal(&b);
}

char *
render_references(const char **refs, int nrefs)
{
	struct buf	b;
	size_t		total = strlen("References:");
	int		i, keep_head = 1, keep_tail = 3, drop_from, drop_to;

	for (i = 0; i < nrefs; i++)
		total += 1 + strlen(refs[i]);
	drop_from = drop_to = nrefs;	/* nothing dropped */
	if (total > RENDER_MAX_REFS_LEN && nrefs > keep_head + keep_tail) {
		/* Drop from the middle, nearest the root first, until it fits. */
		drop_from = keep_head;
		for (drop_to = keep_head; drop_to < nrefs - keep_tail &&
		    total > RENDER_MAX_REFS_LEN; drop_to++)
			total -= 1 + strlen(refs[drop_to]);
	}
	buf_init(&b);
	for (i = 0; i < nrefs; i++) {
		if (i >= drop_from && i < drop_to)
			continue;
		if (b.len > 0)
			buf_addc(&b, ' ');
		buf_adds(&b, refs[i]);
	}
	return buf_steal(&b);
}

/* Append "Name: value" + CRLF; value may hold CRLF SP folds already. */
static void
header(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "%s: %s\r\n", name, value);
}

/* Fold a list of space-separated tokens (Message-IDs) at 78 columns. */
static void
header_folded(struct buf *b, const char *name, const char *value)
{
	size_t		 col = strlen(name) + 2, n;
	const char	*p = value, *sp;

	buf_printf(b, "%s:", name);
	while (*p) {
		sp = strchr(p, ' ');
		n = sp ? (size_t)(sp - p) : strlen(p);
		if (col + 1 + n > 78 && col > strlen(name) + 2) {
			buf_adds(b, "\r\n");
			col = 0;
		}
		buf_addc(b, ' ');
		buf_add(b, p, n);
		col += 1 + n;
		p += n;
		while (*p == ' ')
			p++;
	}
	buf_adds(b, "\r\n");
}

/* Header value as OVER wants it: unfolded, TAB/CR/LF as spaces. */
static void
over_field(struct buf *o, const char *v)
{
	size_t	n;

	for (;;) {
		n = strcspn(v, "\r\n\t");
		buf_add(o, v, n);
		v += n;
		if (*v == '\0')
			break;
		if (*v == '\t' || (*v == '\n' && v[1] != ' ' && v[1] != '\t'))
			buf_addc(o, ' ');	/* a LF before WSP unfolds: the WSP stays */
		v++;
	}
	buf_addc(o, '\t');
}

/* True if s contains octets >= 0x80. */
static int
has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* Subject: the post's title, entities decoded once; "Re: " for comments. */
char *
render_subject(const struct item *it, const char *post_title)
{
	char	*s, *title, *subj;

	s = html_entities_decode(post_title ? post_title : it->title ? it->title : "");
	title = header_sanitize(s);
	free(s);
	if (*title == '\0') {
		free(title);
		title = xstrdup("(no title)");
	}
	if (it->kind == ITEM_COMMENT) {
		xasprintf(&s, "Re: %s", title);
		free(title);
		title = s;
	}
	subj = rfc2047_encode(title, RFC2047_TEXT, strlen("Subject: "));
	free(title);
	return subj;
}

int
render_article(const struct render_in *in, struct rendered *out)
{
	const struct item	*it = in->it;
	struct buf		 h, o;
	char			*subj = NULL, *from = NULL, *name = NULL;
	char			*refs = NULL, *text = NULL, *s;
	char			 date[64], pseudo[16];
	const char		*p, *who;
	size_t			 lines = 0, n;
	int			 i;

	memset(out, 0, sizeof(*out));
	/* Message-IDs come from render_msgid or a checked posted article: refuse others. */
	if (!msg_valid_msgid(in->msgid) ||
	    (in->supersedes != NULL && !msg_valid_msgid(in->supersedes)))
		return -1;
	for (i = 0; i < in->nrefs; i++)
		if (!msg_valid_msgid(in->refs[i]))
			return -1;
	buf_init(&h);
	buf_init(&o);

	subj = in->subject != NULL ? xstrdup(in->subject) :
	    render_subject(it, in->post_title);

	/* From: display name, pseudonymous address that never shows the real email. */
	name = header_sanitize(it->author ? it->author : "");
	if (*name == '\0') {
		free(name);
		name = xstrdup("Anonymous");
	}
	who = it->author_email && *it->author_email ? it->author_email : name;
	secret_pseudonym(in->key, "from", who, pseudo, 10);
	s = rfc2047_encode(name, RFC2047_PHRASE, strlen("From: "));
	xasprintf(&from, "%s <%s@%s.invalid>", s, pseudo, in->source);
	free(s);

	msg_date(it->date, "+0000", date, sizeof(date));
	if (in->nrefs > 0)
		refs = render_references(in->refs, in->nrefs);

	buf_printf(&h, "Path: %s!not-for-mail\r\n", in->hostname);
	header(&h, "From", from);
	buf_adds(&h, "Newsgroups: ");
	for (i = 0; i < in->ngroups; i++)
		buf_printf(&h, "%s%s", i ? "," : "", in->groups[i]);
	buf_adds(&h, "\r\n");
	header(&h, "Subject", subj);
	header(&h, "Date", date);
	header(&h, "Message-ID", in->msgid);
	if (refs != NULL) {
		header_folded(&h, "References", refs);
		header(&h, "In-Reply-To", in->refs[in->nrefs - 1]);
	}
	if (in->supersedes != NULL)
		header(&h, "Supersedes", in->supersedes);
	if (it->link != NULL && *it->link != '\0') {
		s = header_sanitize(it->link);
		if (strlen(s) < 900 && !strpbrk(s, " <>\""))
			buf_printf(&h, "Archived-At: <%s>\r\n", s);
		free(s);
	}
	if (in->organization != NULL) {
		s = rfc2047_encode(in->organization, RFC2047_TEXT, strlen("Organization: "));
		header(&h, "Organization", s);
		free(s);
	}
	buf_printf(&h, "Xref: %s", in->hostname);
	for (i = 0; i < in->ngroups; i++)
		buf_printf(&h, " %s:%lld", in->groups[i], in->nums[i]);
	buf_adds(&h, "\r\n");
	buf_adds(&h, "MIME-Version: 1.0\r\n");

	/* Body. */
	if (in->body != NULL)
		text = xstrdup(in->body);
	else
		text = html2text(it->html ? it->html : "", it->html ? strlen(it->html) : 0, 72);
	buf_printf(&h, "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", has_8bit(text) ? "8bit" : "7bit");
	out->head_len = h.len;
	for (p = text; *p; p++) {	/* LF line ends become CRLF, CRs go */
		n = strcspn(p, "\r\n");
		buf_add(&h, p, n);
		p += n;
		if (*p == '\0')
			break;
		if (*p == '\n') {
			buf_add(&h, "\r\n", 2);
			lines++;
		}
	}
	if (h.len > out->head_len && h.data[h.len - 1] != '\n') {
		buf_adds(&h, "\r\n");
		lines++;
	}

	/* Overview: Subject From Date Message-ID References :bytes :lines Xref:full. */
	over_field(&o, subj);
	over_field(&o, from);
	over_field(&o, date);
	over_field(&o, in->msgid);
	over_field(&o, refs ? refs : "");
	buf_printf(&o, "%zu\t%zu\tXref: %s", h.len, lines, in->hostname);
	for (i = 0; i < in->ngroups; i++)
		buf_printf(&o, " %s:%lld", in->groups[i], in->nums[i]);

	out->len = h.len;
	out->data = buf_steal(&h);
	out->over = buf_steal(&o);
	free(subj);
	free(from);
	free(name);
	free(refs);
	free(text);
	return 0;
}

void
rendered_free(struct rendered *r)
{
	free(r->data);
	free(r->over);
	memset(r, 0, sizeof(*r));
}
