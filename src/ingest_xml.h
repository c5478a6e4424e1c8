/* ingest_xml.h: a thin streaming layer over libxml2's xmlTextReader, shared by the
 * WXR, Atom, RSS and Disqus parsers.
 *
 * The reader never loads a DTD, never touches the network and never expands entities
 * (XML_PARSE_NONET, no XML_PARSE_NOENT/DTDLOAD); a document whose internal subset
 * declares anything is refused. XML_PARSE_HUGE lets big CDATA sections through.
 * Nodes are freed as the reader moves on, so memory stays bounded by the largest
 * element a parser chooses to read whole (one item's text).
 *
 * Usage: xr_open(), then loop on xr_read() and look at the current node with xr_is()
 * and friends; xr_text() and xr_skip() consume the current element up to its end tag. */
#ifndef CONFAB_INGEST_XML_H
#define CONFAB_INGEST_XML_H

#include <string.h>

#include <stddef.h>
#include <libxml/xmlreader.h>

#include "ingest.h"

#define NS_ATOM		"http://www.w3.org/2005/Atom"
#define NS_THR		"http://purl.org/syndication/thread/1.0"
#define NS_CONTENT	"http://purl.org/rss/1.0/modules/content/"
#define NS_DC		"http://purl.org/dc/elements/1.1/"
#define NS_RSS1		"http://purl.org/rss/1.0/"
#define NS_XHTML	"http://www.w3.org/1999/xhtml"
#define NS_DISQUS	"http://disqus.com"
#define NS_WFW		"http://wellformedweb.org/CommentAPI/"
#define NS_DSQ		"http://disqus.com/disqus-internals"

struct xr {
	xmlTextReaderPtr	 r;
	const char		*name;		/* for messages */
	struct ingest_result	*res;
	char			 err[256];	/* first parser error, from the handler */
	long			 errline;
	const char		*data;
	size_t			 len;
	int			 depth;		/* of the last node read */
};

/* Open a reader over data (not copied: it must outlive the reader). 0 or -1. */
int	 xr_open(struct xr *, const char *data, size_t len, const char *name,
	    struct ingest_result *);
void	 xr_close(struct xr *);

/* Move to the next node: 1 = a node, 0 = end of document, -1 = error (res->error set). */
int	 xr_read(struct xr *);

/* The current node is a start tag (xr_is: with this namespace URI, NULL = none, and
 * local name) / an end tag. */
int	 xr_is(struct xr *, const char *ns, const char *local);
/* a is b (a may be NULL: an attribute or text not there). */
static inline int
xr_streq(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}
int	 xr_is_start(struct xr *);
int	 xr_is_end(struct xr *, const char *ns, const char *local);
int	 xr_is_empty(struct xr *);		/* <x/>: no end tag will follow */
int	 xr_depth(struct xr *);
const char *xr_ns(struct xr *);		/* namespace URI of the current node or NULL */
const char *xr_local(struct xr *);	/* local name of the current node or "" */
long	 xr_line(struct xr *);		/* line of the current node */

/* Attributes of the current start tag; caller owns the result, NULL if absent. */
char	*xr_attr(struct xr *, const char *name);
char	*xr_attr_ns(struct xr *, const char *local, const char *ns);

/* Consume the current element up to its end tag. xr_text stores the concatenated
 * text and CDATA of it and its descendants in *out (freeing what *out held);
 * xr_xhtml stores the serialized children of its first child element (the Atom
 * xhtml <div>). 0 or -1 (res->error set). */
int	 xr_text(struct xr *, char **out);
int	 xr_xhtml(struct xr *, char **out);
int	 xr_skip(struct xr *);

/* Set res->error to "name:line: message" (line of the current node, or of the
 * parser) and return -1. */
int	 xr_fail(struct xr *, const char *, ...) __attribute__((format(printf, 2, 3)));

#endif
