/* ingest_xml.c: streaming XML reading shared by the XML importers. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
xr_quiet(void *ctx, const char *fmt, ...)
{
}

int
xr_open(struct xr *x, const char *data, size_t len, const char *name,
    struct ingest_result *res)
{
	memset(x, 0, sizeof(*x));
	x->name = name;
	x->res = res;
	if (len > INT_MAX)
		return ingest_error(res, name, 0, "too large for the XML reader");
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, xr_quiet);
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
	int	 rc;
	long	 line;

	rc = xmlTextReaderRead(x->r);
	if (rc == 1 && xmlTextReaderNodeType(x->r) == XML_READER_TYPE_DOCUMENT_TYPE)
		return xr_check_dtd(x) == -1 ? -1 : 1;
	if (rc == 1 && x->err[0] == '\0')
		return 1;
	if (rc == 0 && x->err[0] == '\0')
		return 0;
	line = x->errline > 0 ? x->errline : xmlTextReaderGetParserLineNumber(x->r);
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
