/* html2text.c: blog HTML to text/plain; format=flowed (RFC 3676), via libxml2. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html2text.h"
#include "log.h"
#include "utf8.h"

#define LINE_OCTETS	996	/* 998 less a soft-break space and a stuffing space */
#define MAX_QUOTE	16	/* deeper quotes are shown at this depth */
#define MAX_LIST	12
#define MAX_DEPTH	200	/* element nesting we recurse into */

struct list {
	int	 ordered;
	int	 counter;
	int	 pending;	/* next line carries the marker */
	char	 marker[16];
	size_t	 width;
};

struct h2t {
	struct buf	 out;
	struct buf	 para;		/* inline text of the current block */
	unsigned long	 gen;		/* bumped on each flush */
	int		 width;
	int		 pre;		/* inside <pre> */
	int		 para_pre;	/* para holds preformatted text */
	int		 space;		/* a collapsed space is pending */
	int		 need_blank;	/* blank line before the next block */
	int		 qdepth;
	int		 last_q;	/* quote depth of the last line out */
	struct list	 lists[MAX_LIST];
	int		 nlist;
	int		 nlist_over;	/* levels not pushed (too deep) */
	char		**notes;
	size_t		 nnotes;
};

static void	walk(struct h2t *, xmlNode *, int);

/* Copy with invalid UTF-8 replaced by U+FFFD and NULs dropped. */
static char *
utf8_clean(const char *s, size_t len, size_t *outlen)
{
	struct buf	b;
	size_t		i, n, run;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = run = 0; i < len; i += n ? n : 1) {
		n = utf8_seq((const unsigned char *)s + i, len - i);
		if (n != 0 && s[i] != '\0')
			continue;	/* copied with its run, s[run..i) */
		buf_add(&b, s + run, i - run);
		if (n == 0)
			buf_adds(&b, "\xef\xbf\xbd");
		run = i + (n ? n : 1);
	}
	buf_add(&b, s + run, len - run);
	*outlen = b.len;
	return buf_steal(&b);
}

static size_t
u8chars(const char *s, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Largest cut <= max octets that does not split a UTF-8 sequence. */
static size_t
u8cut(const char *s, size_t len, size_t max)
{
	size_t	n;

	if (len <= max)
		return len;
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	return n > 0 ? n : max;
}

static int
quote_depth(struct h2t *h)
{
	return h->qdepth < MAX_QUOTE ? h->qdepth : MAX_QUOTE;
}

static size_t
prefix_width(struct h2t *h)
{
	size_t	w = 0;
	int	i, q = quote_depth(h);

	if (q > 0)
		w = (size_t)q + 1;
	for (i = 0; i < h->nlist; i++)
		w += h->lists[i].width;
	return w;
}

static void
emit_sep(struct h2t *h)
{
	int	q = quote_depth(h);

	if (h->need_blank && h->out.len > 0) {
		if (h->last_q < q)
			q = h->last_q;
		while (q-- > 0)
			buf_addc(&h->out, '>');
		buf_addc(&h->out, '\n');
	}
	h->need_blank = 0;
}

/* One output line: quote and list prefix, stuffing, content, soft or hard. */
static void
emit_line(struct h2t *h, const char *s, size_t len, int soft, int stuff)
{
	size_t	start;
	int	i, q = quote_depth(h);

	emit_sep(h);
	start = h->out.len;
	for (i = 0; i < q; i++)
		buf_addc(&h->out, '>');
	if (q > 0)
		buf_addc(&h->out, ' ');
	for (i = 0; i < h->nlist; i++) {
		if (h->lists[i].pending)
			buf_adds(&h->out, h->lists[i].marker);
		else
			buf_printf(&h->out, "%*s", (int)h->lists[i].width, "");
		h->lists[i].pending = 0;
	}
	/* RFC 3676 4.4 space-stuffing */
	if (h->out.len == start && (stuff || (len > 0 && (s[0] == ' ' ||
	    s[0] == '>')) || (len >= 5 && memcmp(s, "From ", 5) == 0)))
		buf_addc(&h->out, ' ');
	buf_add(&h->out, s, len);
	if (soft)
		buf_addc(&h->out, ' ');
	else
		while (h->out.len > start && (h->out.data[h->out.len - 1] ==
		    ' ' || h->out.data[h->out.len - 1] == '\t'))
			h->out.len--;
	buf_addc(&h->out, '\n');
	h->last_q = q;
}

/* Hard line that may still be too long for the 998-octet limit. */
static void
emit_long(struct h2t *h, const char *s, size_t len, int stuff)
{
	size_t	max = LINE_OCTETS - prefix_width(h), n;

	while (len > max) {
		n = u8cut(s, len, max);
		emit_line(h, s, n, 1, stuff);
		s += n;
		len -= n;
	}
	emit_line(h, s, len, 0, stuff);
}

/* Wrap one hard line of single-space separated words into flowed lines. */
static void
wrap(struct h2t *h, const char *s, size_t len)
{
	const char	*p = s, *end = s + len, *q, *we, *le;
	size_t		 avail, maxoct, chars, octs, wc;

	avail = prefix_width(h) + 20 < (size_t)h->width ?
	    (size_t)h->width - prefix_width(h) : 20;
	maxoct = LINE_OCTETS - prefix_width(h);
	while (p < end) {
		we = memchr(p, ' ', (size_t)(end - p));
		if (we == NULL)
			we = end;
		if ((size_t)(we - p) > maxoct) {
			/* an unbreakable token over the limit: cut it */
			octs = u8cut(p, (size_t)(we - p), maxoct);
			emit_line(h, p, octs, 1, 0);
			p += octs;
			continue;
		}
		le = we;
		chars = u8chars(p, (size_t)(we - p));
		octs = (size_t)(we - p);
		for (q = we; q < end; q = we) {
			we = memchr(q + 1, ' ', (size_t)(end - q - 1));
			if (we == NULL)
				we = end;
			wc = u8chars(q + 1, (size_t)(we - q - 1));
			/* never end a soft line as "-- ", a signature cut */
			if (octs + (size_t)(we - q) > maxoct ||
			    (chars + 1 + wc > avail &&
			    !(le - p == 2 && memcmp(p, "--", 2) == 0)))
				break;
			chars += 1 + wc;
			octs += (size_t)(we - q);
			le = we;
		}
		emit_line(h, p, (size_t)(le - p), le < end, 0);
		p = le < end ? le + 1 : end;
	}
}

static void
flush_pre(struct h2t *h)
{
	char	*s = h->para.data, *e, *end, *l;
	size_t	 len = h->para.len, n;
	int	 stuff = 0;

	if (len > 0 && s[0] == '\n') {	/* newline right after <pre> */
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t'))
		len--;
	end = s + len;
	/* stuff every line if one needs it, so the block stays aligned */
	for (l = s; l < end; l = e + 1) {
		e = memchr(l, '\n', (size_t)(end - l));
		if (e == NULL)
			e = end;
		if (l < e && (*l == ' ' || *l == '>' ||
		    (e - l >= 5 && memcmp(l, "From ", 5) == 0)))
			stuff = 1;
	}
	for (l = s; l < end; l = e + 1) {
		e = memchr(l, '\n', (size_t)(end - l));
		if (e == NULL)
			e = end;
		n = (size_t)(e - l);
		while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		emit_long(h, l, n, stuff && n > 0);
	}
}

static void
flush(struct h2t *h)
{
	char	*s = h->para.data, *e, *end;
	size_t	 len = h->para.len;
	int	 blank = 0;

	if (len > 0 && h->para_pre)
		flush_pre(h);
	else if (len > 0) {
		while (len > 0 && *s == '\n') {
			s++;
			len--;
		}
		while (len > 0 && s[len - 1] == '\n')
			len--;
		end = s + len;
		for (; s < end; s = e + 1) {
			e = memchr(s, '\n', (size_t)(end - s));
			if (e == NULL)
				e = end;
			if (e == s) {	/* <br><br>: one empty line at most */
				if (!blank)
					emit_line(h, "", 0, 0, 0);
				blank = 1;
				continue;
			}
			blank = 0;
			wrap(h, s, (size_t)(e - s));
		}
	}
	buf_reset(&h->para);
	h->para_pre = h->pre > 0;
	h->space = 0;
	h->gen++;
}

static void
block(struct h2t *h)
{
	flush(h);
	h->need_blank = 1;
}

/* Code points 128-159 (C1 controls) mean windows-1252, as in HTML5. */
static const uint16_t cp1252[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

static void
put_utf8(struct buf *b, uint32_t cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp >= 0x80 && cp <= 0x9f)
		cp = cp1252[cp - 0x80];
	if (cp < 0x80)
		buf_addc(b, (int)cp);
	else if (cp < 0x800) {
		buf_addc(b, (int)(0xc0 | (cp >> 6)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (int)(0xe0 | (cp >> 12)));
		buf_addc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (int)(0xf0 | (cp >> 18)));
		buf_addc(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/* Add inline text: whitespace collapsed, a blank line in the source is a
 * paragraph break (raw WordPress content has no <p>). */
static void
add_text(struct h2t *h, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s, *q;
	int			 nl = 0;

	if (h->pre) {
		for (; *p != '\0'; p++) {
			if (*p == '\r') {
				if (p[1] != '\n')
					buf_addc(&h->para, '\n');
			} else if (p[0] == 0xc2 && p[1] == 0xa0) {
				buf_addc(&h->para, ' ');
				p++;
			} else if (p[0] == 0xc2 && p[1] >= 0x80 &&
			    p[1] <= 0x9f) {
				put_utf8(&h->para, *++p);
			} else if (*p >= 0x20 || *p == '\n' || *p == '\t')
				buf_addc(&h->para, *p);
			else if (*p != 0x7f)
				buf_addc(&h->para, ' ');
		}
		return;
	}
	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || (p[0] == 0xc2 && p[1] == 0xa0)) {
			if (*p == 0xc2)
				p++;
			if (*p == '\n' && ++nl == 2 && h->para.len > 0) {
				block(h);
				continue;
			}
			h->space = 1;
			continue;
		}
		nl = 0;
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if (h->space && h->para.len > 0 &&
		    h->para.data[h->para.len - 1] != '\n')
			buf_addc(&h->para, ' ');
		h->space = 0;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			put_utf8(&h->para, *++p);
		else {		/* a run of plain octets at once */
			for (q = p + 1; *q > 0x20 && *q != 0x7f && *q != 0xc2; q++)
				;
			buf_add(&h->para, p, (size_t)(q - p));
			p = q - 1;
		}
	}
}

static char *
attr(xmlNode *n, const char *name)
{
	xmlChar	*v = xmlGetProp(n, (const xmlChar *)name);
	char	*s;

	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* A URL as written in href: trimmed, no controls, spaces escaped. */
static char *
clean_url(const char *u)
{
	struct buf	 b;
	const char	*e;

	while (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r' ||
	    *u == '\f')
		u++;
	e = u + strlen(u);
	while (e > u && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r' || e[-1] == '\f'))
		e--;
	buf_init(&b);
	for (; u < e; u++) {
		if (*u == ' ')
			buf_adds(&b, "%20");
		else if ((unsigned char)*u >= 0x20 && *u != 0x7f)
			buf_addc(&b, *u);
	}
	return buf_steal(&b);
}

static size_t
note_add(struct h2t *h, const char *url)
{
	size_t	i;

	for (i = 0; i < h->nnotes; i++)
		if (strcmp(h->notes[i], url) == 0)
			return i + 1;
	h->notes = xreallocarray(h->notes, h->nnotes + 1, sizeof(*h->notes));
	h->notes[h->nnotes++] = xstrdup(url);
	return h->nnotes;
}

/* Link text equal to the URL but for scheme or a trailing slash. */
static int
same_url(const char *text, size_t tlen, const char *url)
{
	static const char	*schemes[] = {
	    "https://", "http://", "mailto:" };
	size_t			 i, ulen;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0) {
			url += strlen(schemes[i]);
			break;
		}
	if (tlen >= 8 && strncasecmp(text, "https://", 8) == 0) {
		text += 8;
		tlen -= 8;
	} else if (tlen >= 7 && strncasecmp(text, "http://", 7) == 0) {
		text += 7;
		tlen -= 7;
	}
	ulen = strlen(url);
	if (ulen > 0 && url[ulen - 1] == '/')
		ulen--;
	if (tlen > 0 && text[tlen - 1] == '/')
		tlen--;
	return tlen == ulen && strncasecmp(text, url, ulen) == 0;
}

static void
do_link(struct h2t *h, xmlNode *n, int depth)
{
	char		*href, *url, note[32];
	const char	*text;
	size_t		 start = h->para.len, tlen;
	unsigned long	 gen = h->gen;

	walk(h, n->children, depth + 1);
	if ((href = attr(n, "href")) == NULL)
		return;
	url = clean_url(href);
	free(href);
	if (*url == '\0' || *url == '#' ||
	    strncasecmp(url, "javascript:", 11) == 0) {
		free(url);
		return;
	}
	if (gen == h->gen && !h->pre) {
		if (start < h->para.len && h->para.data[start] == ' ')
			start++;
		text = h->para.data != NULL ? h->para.data + start : "";
		tlen = h->para.len - start;
		if (tlen == strlen(url) && memcmp(text, url, tlen) == 0)
			goto done;
		if (tlen == 0 || same_url(text, tlen, url)) {
			/* no text, or the URL without its scheme: show it */
			if (h->para.data != NULL) {
				h->para.len = start;
				h->para.data[start] = '\0';
			}
			if (tlen == 0)
				h->space = 1;
			add_text(h, url);
			goto done;
		}
	}
	snprintf(note, sizeof(note), "%s[%zu]", h->pre ? " " : "",
	    note_add(h, url));
	if (!h->pre)
		h->space = 1;
	add_text(h, note);
 done:
	free(url);
}

static void
do_image(struct h2t *h, xmlNode *n)
{
	char	*alt, *cls, *s;

	alt = attr(n, "alt");
	cls = attr(n, "class");
	if (alt == NULL)
		add_text(h, "[image]");
	else if (cls != NULL && (strstr(cls, "wp-smiley") != NULL ||
	    strstr(cls, "emoji") != NULL))
		add_text(h, alt);	/* WordPress emoji: alt is the emoji */
	else if (alt[strspn(alt, " \t\r\n")] != '\0') {
		xasprintf(&s, "[image: %s]", alt);
		add_text(h, s);
		free(s);
	}
	free(alt);
	free(cls);
}

static void
do_list(struct h2t *h, xmlNode *n, int depth, int ordered)
{
	struct list	*l;
	char		*start;

	flush(h);
	if (h->nlist == 0)
		h->need_blank = 1;
	if (h->nlist == MAX_LIST) {
		h->nlist_over++;
		walk(h, n->children, depth + 1);
		h->nlist_over--;
		return;
	}
	l = &h->lists[h->nlist++];
	memset(l, 0, sizeof(*l));
	l->ordered = ordered;
	l->counter = 1;
	if (ordered && (start = attr(n, "start")) != NULL) {
		l->counter = atoi(start);
		free(start);
	}
	walk(h, n->children, depth + 1);
	flush(h);
	h->nlist--;
	if (h->nlist == 0)
		h->need_blank = 1;
}

static void
do_item(struct h2t *h, xmlNode *n, int depth, const char *marker)
{
	static const char	*bullets[] = { "* ", "- ", "+ " };
	struct list		*l;
	char			*v;

	flush(h);
	if (h->nlist > 0 && h->nlist_over == 0) {
		l = &h->lists[h->nlist - 1];
		if (marker == NULL && l->ordered) {
			if ((v = attr(n, "value")) != NULL) {
				l->counter = atoi(v);
				free(v);
			}
			snprintf(l->marker, sizeof(l->marker), "%d. ",
			    l->counter);
			if (l->counter < INT_MAX)
				l->counter++;
		} else
			snprintf(l->marker, sizeof(l->marker), "%s",
			    marker != NULL ? marker :
			    bullets[(h->nlist - 1) % 3]);
		l->width = strlen(l->marker);
		l->pending = 1;
	}
	walk(h, n->children, depth + 1);
	flush(h);
	if (h->nlist > 0)
		h->lists[h->nlist - 1].pending = 0;
}

/* A definition: indented under its term. */
static void
do_dd(struct h2t *h, xmlNode *n, int depth)
{
	struct list	*l;

	flush(h);
	if (h->nlist == MAX_LIST) {
		walk(h, n->children, depth + 1);
		flush(h);
		return;
	}
	l = &h->lists[h->nlist++];
	memset(l, 0, sizeof(*l));
	snprintf(l->marker, sizeof(l->marker), "    ");
	l->width = 4;
	walk(h, n->children, depth + 1);
	flush(h);
	h->nlist--;
}

static int
is_one_of(const char *name, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(name, *set) == 0)
			return 1;
	return 0;
}

static void
element(struct h2t *h, xmlNode *n, int depth)
{
	static const char *const dropped[] = { "script", "style", "iframe",
	    "noscript", "object", "embed", "head", "title", "template", "svg",
	    "math", "canvas", "audio", "video", "applet", "frameset", "frame",
	    "select", "textarea", "button", NULL };
	static const char *const blocks[] = { "p", "div", "h1", "h2", "h3",
	    "h4", "h5", "h6", "address", "article", "aside", "center",
	    "details", "dialog", "figure", "figcaption", "footer", "form",
	    "header", "hgroup", "main", "nav", "section", "summary", "table",
	    "caption", "fieldset", "legend", "dl", "body", "html", NULL };
	static const char *const lines[] = { "tr", "dt", "option", NULL };
	const char	*name = (const char *)n->name;

	if (name == NULL || is_one_of(name, dropped))
		return;
	if (depth > MAX_DEPTH) {
		xmlChar *c = xmlNodeGetContent(n);

		if (c != NULL)
			add_text(h, (const char *)c);
		xmlFree(c);
		return;
	}
	if (strcmp(name, "br") == 0) {
		buf_addc(&h->para, '\n');
		h->space = 0;
	} else if (strcmp(name, "img") == 0)
		do_image(h, n);
	else if (strcmp(name, "a") == 0)
		do_link(h, n, depth);
	else if (strcmp(name, "pre") == 0 || strcmp(name, "xmp") == 0 ||
	    strcmp(name, "listing") == 0 || strcmp(name, "plaintext") == 0) {
		if (h->pre == 0)
			block(h);
		h->pre++;
		h->para_pre = 1;
		walk(h, n->children, depth + 1);
		if (h->pre == 1)
			block(h);
		h->pre--;
		h->para_pre = h->pre > 0;
	} else if (h->pre > 0) {
		walk(h, n->children, depth + 1);	/* inline in <pre> */
	} else if (strcmp(name, "blockquote") == 0) {
		block(h);
		h->qdepth++;
		walk(h, n->children, depth + 1);
		block(h);
		h->qdepth--;
	} else if (strcmp(name, "ul") == 0 || strcmp(name, "menu") == 0 ||
	    strcmp(name, "dir") == 0)
		do_list(h, n, depth, 0);
	else if (strcmp(name, "ol") == 0)
		do_list(h, n, depth, 1);
	else if (strcmp(name, "li") == 0)
		do_item(h, n, depth, NULL);
	else if (strcmp(name, "dd") == 0)
		do_dd(h, n, depth); else if (strcmp(name, "hr") == 0) {
		block(h);
		add_text(h, "----");
		block(h);
	} else if (is_one_of(name, blocks)) {
		block(h);
		walk(h, n->children, depth + 1);
		block(h);
	} else if (is_one_of(name, lines)) {
		flush(h);
		walk(h, n->children, depth + 1);
		flush(h);
	} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		h->space = 1;
		walk(h, n->children, depth + 1);
		h->space = 1;
	} else
		walk(h, n->children, depth + 1);
}

static void
walk(struct h2t *h, xmlNode *n, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE)
			add_text(h, (const char *)n->content);
		else if (n->type == XML_ELEMENT_NODE)
			element(h, n, depth);
	}
}

char *
html2text(const char *html, size_t len, int width)
{
	struct h2t	 h;
	htmlDocPtr	 doc;
	char		*clean, line[40];
	size_t		 clen, i;

	memset(&h, 0, sizeof(h));
	buf_init(&h.out);
	buf_init(&h.para);
	h.width = width <= 0 ? 72 : width < 20 ? 20 : width > 900 ? 900 : width;
	if (html == NULL || len == 0)
		return buf_steal(&h.out);
	clean = utf8_clean(html, len, &clen);
	if (clen > INT_MAX)
		clen = INT_MAX;
	doc = htmlReadMemory(clean, (int)clen, NULL, "UTF-8",
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
	    HTML_PARSE_IGNORE_ENC);
	free(clean);
	if (doc != NULL) {
		walk(&h, doc->children, 0);
		xmlFreeDoc(doc);
	}
	flush(&h);
	h.qdepth = 0;
	h.nlist = 0;
	h.need_blank = 1;
	for (i = 0; i < h.nnotes; i++) {
		snprintf(line, sizeof(line), "[%zu] ", i + 1);
		buf_reset(&h.para);
		buf_adds(&h.para, line);
		buf_adds(&h.para, h.notes[i]);
		emit_long(&h, h.para.data, h.para.len, 0);
		free(h.notes[i]);
	}
	free(h.notes);
	buf_free(&h.para);
	return buf_steal(&h.out);
}

char *
html_entities_decode(const char *s)
{
	struct buf		 b;
	const htmlEntityDesc	*ent;
	const char		*p, *e;
	char			 name[33];
	uint32_t		 cp;
	int			 hex, digits;

	buf_init(&b);
	if (s == NULL)
		return buf_steal(&b);
	for (p = s; *p != '\0'; p++) {
		if (*p != '&') {
			buf_addc(&b, *p);
			continue;
		}
		if (p[1] == '#') {
			hex = p[2] == 'x' || p[2] == 'X';
			e = p + (hex ? 3 : 2);
			for (cp = 0, digits = 0; hex ? strchr("0123456789abcdef"
			    "ABCDEF", *e) != NULL && *e != '\0' :
			    (*e >= '0' && *e <= '9'); e++, digits++) {
				if (cp <= 0x10ffff)
					cp = cp * (hex ? 16 : 10) + (uint32_t)
					    (*e <= '9' ? *e - '0' :
					    (*e | 0x20) - 'a' + 10);
			}
			if (digits == 0) {
				buf_addc(&b, *p);
				continue;
			}
			put_utf8(&b, cp);
			p = *e == ';' ? e : e - 1;
			continue;
		}
		for (e = p + 1; e - p <= 32 && ((*e >= 'a' && *e <= 'z') ||
		    (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9')); e++)
			;
		if (*e == ';' && e - p > 1 && e - p <= 32) {
			memcpy(name, p + 1, (size_t)(e - p - 1));
			name[e - p - 1] = '\0';
			if (strcmp(name, "apos") == 0) {
				buf_addc(&b, '\'');
				p = e;
				continue;
			}
			if ((ent = htmlEntityLookup((const xmlChar *)name))
			    != NULL) {
				put_utf8(&b, ent->value);
				p = e;
				continue;
			}
		}
		buf_addc(&b, *p);
	}
	return buf_steal(&b);
}
