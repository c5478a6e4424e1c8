/* msg.c: small RFC 5322 helpers shared by NNTP, posting and mail: header lookup,
 * From:-style mailboxes and text bodies (libetpan does the parsing). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <time.h>

#include <libetpan/libetpan.h>
#include <openssl/rand.h>

#include "log.h"
#include "msg.h"
#include "utf8.h"

char *
msg_header(const char *msg, size_t len, const char *name)
{
	return msg_header_nth(msg, len, name, 0);
}

char *
msg_header_nth(const char *msg, size_t len, const char *name, int nth)
{
	size_t		 nl = strlen(name);
	const char	*p = msg, *end, *e;
	struct buf	 b;

	/* Only the header: up to the empty line. */
	if ((end = memmem(msg, len, "\r\n\r\n", 4)) == NULL)
		end = msg + len;
	else
		end += 2;
	while (p < end) {
		if ((size_t)(end - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':' &&
		    nth-- == 0) {
			p += nl + 1;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			buf_init(&b);
			for (e = p; e < end; e++) {
				if (*e == '\r')
					continue;
				if (*e == '\n') {
					if (e + 1 < end && (e[1] == ' ' || e[1] == '\t'))
						continue;	/* unfold: the WSP stays */
					break;
				}
				buf_addc(&b, *e == '\t' ? ' ' : *e);
			}
			while (b.len > 0 && b.data[b.len - 1] == ' ')
				b.data[--b.len] = '\0';
			return buf_steal(&b);
		}
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p++;
	}
	return NULL;
}

char *
msg_decode_words(const char *s)
{
	size_t	 idx = 0;
	char	*out = NULL, *ret;

	if (mailmime_encoded_phrase_parse("utf-8", s, strlen(s), &idx, "utf-8", &out) !=
	    MAILIMF_NO_ERROR || out == NULL)
		return xstrdup(s);
	ret = xstrdup(out);
	free(out);
	return ret;
}

/* A plausible addr-spec: local@domain, no spaces, brackets or controls (libetpan
 * accepts obsolete forms such as "a b c <" as an address). */
int
msg_valid_addr(const char *a)
{
	const char	*at = strrchr(a, '@'), *p;

	if (at == NULL || at == a || at[1] == '\0' || at[1] == '.')
		return 0;
	for (p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[],;\\", *p) != NULL)
			return 0;
	return 1;
}

/* Parse From: into a display name and an address: "Name <a@b>", or the old news
 * form "a@b (Name)". */
int
msg_mailbox(const char *v, char **name, char **addr)
{
	struct mailimf_mailbox_list	*ml = NULL;
	struct mailimf_mailbox		*mb;
	size_t				 idx = 0, n;
	const char			*comment = NULL;

	if (mailimf_mailbox_list_parse(v, strlen(v), &idx, &ml) != MAILIMF_NO_ERROR)
		return -1;
	while (v[idx] == ' ' || v[idx] == '\t')
		idx++;
	if (v[idx] == '(' && (n = strlen(v + idx)) >= 2 && v[idx + n - 1] == ')')
		comment = v + idx;
	else if (v[idx] != '\0')
		goto fail;		/* trailing garbage */
	if (clist_count(ml->mb_list) != 1)
		goto fail;
	mb = clist_content(clist_begin(ml->mb_list));
	if (mb->mb_addr_spec == NULL || !msg_valid_addr(mb->mb_addr_spec))
		goto fail;
	*addr = xstrdup(mb->mb_addr_spec);
	if (mb->mb_display_name != NULL)
		*name = msg_decode_words(mb->mb_display_name);
	else if (comment != NULL) {
		char *c = xstrdup(comment + 1);

		c[strlen(c) - 1] = '\0';
		*name = msg_decode_words(c);
		free(c);
	} else
		*name = xstrdup("");
	mailimf_mailbox_list_free(ml);
	return 0;
fail:
	mailimf_mailbox_list_free(ml);
	return -1;
}


int
msg_valid_msgid(const char *m)
{
	size_t	n = strlen(m);
	const char *at = strchr(m, '@');

	if (n < 5 || n > 250 || m[0] != '<' || m[n - 1] != '>' || at == NULL ||
	    at == m + 1 || at[1] == '>')
		return 0;
	for (; *m; m++)
		if ((unsigned char)*m <= ' ' || (unsigned char)*m >= 0x7f)
			return 0;
	return 1;
}

void
msg_date(time_t t, const char *zone, char *out, size_t len)
{
	static const char	*days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char	*mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	    "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm		 tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d %s", days[tm.tm_wday],
	    tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    zone);
}

char *
msg_make_id(const char *kind, const char *domain)
{
	unsigned char	 rnd[8];
	char		 hex[17], *id;
	int		 i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		fatal("no randomness for a Message-ID");
	for (i = 0; i < 8; i++)
		snprintf(hex + i * 2, 3, "%02x", rnd[i]);
	xasprintf(&id, "<%s.%lld.%s@%s>", kind, (long long)time(NULL), hex, domain);
	return id;
}

char *
msg_text(const char *body, size_t len, int enc, const char *charset, const char **why)
{
	char		*dec = NULL, *conv = NULL;
	size_t		 declen = 0, convlen = 0, idx = 0, i, n;
	const unsigned char *p;
	struct buf	 b;

	if (mailmime_part_parse(body, len, &idx, enc, &dec, &declen) != MAILIMF_NO_ERROR) {
		*why = "cannot decode the body";
		return NULL;
	}
	if (charset != NULL && strcasecmp(charset, "utf-8") && strcasecmp(charset, "us-ascii")) {
		/* What is labelled Latin-1 is nearly always Windows-1252 (as in WHATWG). */
		if (!strcasecmp(charset, "iso-8859-1") || !strcasecmp(charset, "latin1"))
			charset = "windows-1252";
		if (charconv_buffer("utf-8", charset, dec, declen, &conv, &convlen) !=
		    MAIL_CHARCONV_NO_ERROR) {
			mailmime_decoded_part_free(dec);
			*why = "unknown charset, or the body does not match it";
			return NULL;
		}
	} else if (!utf8_valid((unsigned char *)dec, declen)) {
		mailmime_decoded_part_free(dec);
		*why = "body is not valid UTF-8 (declare its charset)";
		return NULL;
	}
	p = (const unsigned char *)(conv ? conv : dec);
	n = conv ? convlen : declen;
	buf_init(&b);
	/* No control characters (terminal escapes) but TAB and LF; no C1. */
	for (i = 0; i < n; i++) {
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') || p[i] == 0x7f)
			continue;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			i++;
			continue;
		}
		buf_addc(&b, (char)p[i]);
	}
	mailmime_decoded_part_free(dec);
	if (conv != NULL)
		charconv_buffer_free(conv);
	return buf_steal(&b);
}
