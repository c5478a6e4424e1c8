/* ingest_xml.c: streaming XML reading shared by the XML importers. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>

#include "ingest_xml.h"
#include "log.h"

/* No NOENT (entities stay references), no DTDLOAD/DTDATTR/DTDVALID, no network. */
#define XR_OPTIONS	(XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_BIG_LINES | \
			 XML_PARSE_NOWARNING | XML_PARSE_NOXINCNODE)

static void
xr_onerror(void *arg, xmlErrorPtr e)
{
	struct xr	*x = arg;
	size_t		 n;

	if (e == NULL || e->level < XML_ERR_ERROR || x->err[0] != '\0')
		return;
	snprintf(x->err, sizeof(x->err), "%s",
	    e->message != NULL ? e->message : "XML error");
	n = strlen(x->err);
	while (n > 0 && (x->err[n - 1] == '\n' || x->err[n - 1] == ' '))
		x->err[--n] = '\0';
	x->errline = e->line;
}

static long
lineof(const char *data, const char *p)
{
	long	 n = 1;

	for (; data < p; data++)
		if (*data == '\n')
			n++;
	return n;
}

static int
encoding_ok(const char *e, size_t n)
{
	/* a trailing '*' matches any rest */
	static const char *ok[] = { "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-*",
	    "iso8859-*", "latin1", "latin-1", "windows-125*", "cp125*", "koi8-*" };
	size_t	 i, l;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		l = strlen(ok[i]);
		if (ok[i][l - 1] == '*') {
			if (n >= l && strncasecmp(e, ok[i], l - 1) == 0)
				return 1;
		} else if (n == l && strncasecmp(e, ok[i], l) == 0)
			return 1;
	}
	return 0;
}

/*
 * Look at the prolog before libxml2 does. With XML_PARSE_HUGE, libxml2 2.9 does not
 * limit entity amplification, and entity references in attribute values are always
 * expanded; so a DOCTYPE with an internal subset is refused here, before any of it is
 * parsed. That holds only if the bytes are ASCII-compatible, so UTF-16/32, EBCDIC,
 * UTF-7 and other exotic encodings are refused too (no feed uses them).
 */
static int
xr_prolog(struct xr *x, const char *data, size_t len)
{
	const char	*p = data, *e = data + len, *q, *enc;
	char		 quote;
	size_t		 n;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (memchr(data, '\0', len < 4 ? len : 4) != NULL ||
	    (len >= 2 && ((unsigned char)p[0] == 0xfe || (unsigned char)p[0] == 0xff)))
		return ingest_error(x->res, x->name, 1, "UTF-16/32 XML is not supported");
	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p >= e)
			return 0;
		if (*p != '<')
			return ingest_error(x->res, x->name, lineof(data, p),
			    "not XML, or not in an ASCII-compatible encoding");
		if (e - p >= 5 && memcmp(p, "<?xml", 5) == 0 &&
		    (q = memmem(p, (size_t)(e - p), "?>", 2)) != NULL &&
		    (enc = memmem(p, (size_t)(q - p), "encoding", 8)) != NULL) {
			for (enc += 8; enc < q && *enc != '"' && *enc != '\''; enc++)
				;
			if (enc < q) {
				quote = *enc++;
				for (n = 0; enc + n < q && enc[n] != quote; n++)
					;
				if (!encoding_ok(enc, n))
					return ingest_error(x->res, x->name, lineof(data, p),
					    "unsupported encoding \"%.*s\"",
					    (int)(n < 40 ? n : 40), enc);
			}
		}
		if (e - p >= 2 && p[1] == '?') {
			q = memmem(p, (size_t)(e - p), "?>", 2);
			p = q != NULL ? q + 2 : e;
		} else if (e - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			q = memmem(p + 4, (size_t)(e - p - 4), "-->", 3);
			p = q != NULL ? q + 3 : e;
		} else if (e - p >= 2 && p[1] == '!') {
			/* <!DOCTYPE name [SYSTEM|PUBLIC ...] [internal subset]> */
			for (q = p + 2, quote = 0; q < e; q++) {
				if (quote) {
					if (*q == quote)
						quote = 0;
				} else if (*q == '"' || *q == '\'')
					quote = *q;
				else if (*q == '[')
					return ingest_error(x->res, x->name,
					    lineof(data, p),
					    "DOCTYPE with an internal subset refused");
				else if (*q == '>')
					break;
			}
			p = q < e ? q + 1 : e;
		} else
			return 0;
	}
}

int
xr_open(struct xr *x, const char *data, size_t len, const char *name,
    struct ingest_result *res)
{
	memset(x, 0, sizeof(*x));
	x->name = name;
	x->res = res;
	x->data = data;
	x->len = len;
	if (len > INT_MAX)
		return ingest_error(res, name, 0, "too large for the XML reader");
	if (xr_prolog(x, data, len) == -1)
		return -1;
	xmlInitParser();
	x->r = xmlReaderForMemory(data, (int)len, NULL, NULL, XR_OPTIONS);
	if (x->r == NULL)
		return ingest_error(res, name, 0, "cannot create an XML reader");
	xmlTextReaderSetStructuredErrorHandler(x->r, xr_onerror, x);
	return 0;
}

void
xr_close(struct xr *x)
{
	if (x->r != NULL)
		xmlFreeTextReader(x->r);
	x->r = NULL;
}

int
xr_fail(struct xr *x, const char *fmt, ...)
{
	char	 msg[300];
	va_list	 ap;
	long	 line;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line = xr_line(x);
	if (line <= 0 && x->r != NULL)
		line = xmlTextReaderGetParserLineNumber(x->r);
	return ingest_error(x->res, x->name, line, "%s", msg);
}

/* Refuse documents whose internal subset declares entities (billion laughs and
 * friends) or anything else; a bare <!DOCTYPE rss> is harmless. */
static int
xr_check_dtd(struct xr *x)
{
	xmlNodePtr	 n;
	xmlDtdPtr	 dtd;

	/* Not xmlTextReaderCurrentDoc(): it makes the reader keep the whole tree. */
	if ((n = xmlTextReaderCurrentNode(x->r)) == NULL || n->type != XML_DTD_NODE)
		return 0;
	dtd = (xmlDtdPtr)n;
	if (dtd->entities != NULL || dtd->pentities != NULL || dtd->children != NULL ||
	    dtd->elements != NULL || dtd->attributes != NULL)
		return xr_fail(x, "DOCTYPE with declarations refused");
	return 0;
}

int
xr_read(struct xr *x)
{
	const char *end;
	int	 rc;
	long	 line;

	rc = xmlTextReaderRead(x->r);
	if (rc == 1 && xmlTextReaderNodeType(x->r) == XML_READER_TYPE_DOCUMENT_TYPE)
		return xr_check_dtd(x) == -1 ? -1 : 1;
	if (rc == 1 && x->err[0] == '\0') {
		x->depth = xmlTextReaderDepth(x->r);
		return 1;
	}
	if (rc == 0 && x->err[0] == '\0')
		return 0;
	line = x->errline > 0 ? x->errline : xmlTextReaderGetParserLineNumber(x->r);
	/* libxml2 words a cut file oddly ("Extra content at the end...") */
	for (end = x->data + x->len; end > x->data && isspace((unsigned char)end[-1]); end--)
		;
	if (x->depth > 0 && line >= lineof(x->data, end))
		return ingest_error(x->res, x->name, line, "unexpected end of file (%s)",
		    x->err[0] != '\0' ? x->err : "malformed XML");
	return ingest_error(x->res, x->name, line, "%s",
	    x->err[0] != '\0' ? x->err : "malformed XML");
}

int
xr_is_start(struct xr *x)
{
	return xmlTextReaderNodeType(x->r) == XML_READER_TYPE_ELEMENT;
}

int
xr_is_empty(struct xr *x)
{
	return xmlTextReaderIsEmptyElement(x->r) == 1;
}

int
xr_depth(struct xr *x)
{
	return xmlTextReaderDepth(x->r);
}

const char *
xr_ns(struct xr *x)
{
	return (const char *)xmlTextReaderConstNamespaceUri(x->r);
}

const char *
xr_local(struct xr *x)
{
	const xmlChar	*l = xmlTextReaderConstLocalName(x->r);

	return l != NULL ? (const char *)l : "";
}

static int
xr_match(struct xr *x, const char *ns, const char *local)
{
	const char	*n = xr_ns(x);

	if (strcmp(xr_local(x), local) != 0)
		return 0;
	if (ns == NULL)
		return n == NULL || *n == '\0';
	return n != NULL && strcmp(n, ns) == 0;
}

int
xr_is(struct xr *x, const char *ns, const char *local)
{
	return xr_is_start(x) && xr_match(x, ns, local);
}

int
xr_is_end(struct xr *x, const char *ns, const char *local)
{
	return xmlTextReaderNodeType(x->r) == XML_READER_TYPE_END_ELEMENT &&
	    xr_match(x, ns, local);
}

long
xr_line(struct xr *x)
{
	xmlNodePtr	 n;

	if (x->r == NULL || (n = xmlTextReaderCurrentNode(x->r)) == NULL)
		return 0;
	return xmlGetLineNo(n);
}

char *
xr_attr(struct xr *x, const char *name)
{
	xmlChar	*v;
	char	*s;

	if ((v = xmlTextReaderGetAttribute(x->r, (const xmlChar *)name)) == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

char *
xr_attr_ns(struct xr *x, const char *local, const char *ns)
{
	xmlChar	*v;
	char	*s;

	v = xmlTextReaderGetAttributeNs(x->r, (const xmlChar *)local, (const xmlChar *)ns);
	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Read up to the end tag of the element whose start tag is current, collecting text
 * in b when b is not NULL. */
static int
xr_consume(struct xr *x, struct buf *b)
{
	const xmlChar	*v;
	int		 depth, rc, t;

	if (!xr_is_start(x) || xr_is_empty(x))
		return 0;
	depth = xr_depth(x);
	while ((rc = xr_read(x)) == 1) {
		t = xmlTextReaderNodeType(x->r);
		if (t == XML_READER_TYPE_END_ELEMENT && xr_depth(x) == depth)
			return 0;
		if (b != NULL && (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
		    t == XML_READER_TYPE_WHITESPACE ||
		    t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) &&
		    (v = xmlTextReaderConstValue(x->r)) != NULL)
			buf_adds(b, (const char *)v);
	}
	if (rc == 0)
		return xr_fail(x, "unexpected end of document");
	return -1;
}

int
xr_skip(struct xr *x)
{
	return xr_consume(x, NULL);
}

int
xr_text(struct xr *x, char **out)
{
	struct buf	 b;

	buf_init(&b);
	if (xr_consume(x, &b) == -1) {
		buf_free(&b);
		return -1;
	}
	free(*out);
	*out = buf_steal(&b);
	return 0;
}

int
xr_xhtml(struct xr *x, char **out)
{
	xmlNodePtr	 n, c;
	xmlBufferPtr	 xb;
	xmlDocPtr	 doc;

	if (!xr_is_start(x) || xr_is_empty(x)) {
		free(*out);
		*out = xstrdup("");
		return 0;
	}
	if ((n = xmlTextReaderExpand(x->r)) == NULL)
		return xr_read(x) == -1 ? -1 : xr_fail(x, "cannot read xhtml content");
	doc = n->doc;
	for (c = n->children; c != NULL && c->type != XML_ELEMENT_NODE; c = c->next)
		;
	if ((xb = xmlBufferCreate()) == NULL)
		fatal("out of memory");
	/* The wrapper <div> is not part of the content (RFC 4287 §4.1.3.3). */
	for (c = c != NULL ? c->children : n->children; c != NULL; c = c->next)
		xmlNodeDump(xb, doc, c, 0, 0);
	free(*out);
	*out = xstrdup((const char *)xmlBufferContent(xb));
	xmlBufferFree(xb);
	return xr_skip(x);
}
