/* ingest.h: importers of blog exports and feeds.
 * Each parser streams its input and calls the callback once per item, in file order
 * (a comment may come before its parent; the store resolves the tree afterwards). */
#ifndef CONFAB_INGEST_H
#define CONFAB_INGEST_H

#include <stddef.h>
#include "item.h"

enum ingest_format {
	FMT_UNKNOWN = 0,
	FMT_WXR,		/* WordPress eXtended RSS 1.0-1.2 */
	FMT_ATOM,		/* Atom 1.0 with RFC 4685 threading */
	FMT_RSS,		/* RSS 2.0 (+content:encoded, dc:creator, wfw:commentRss, slash:comments) */
	FMT_WPJSON,		/* WordPress REST /wp/v2/posts or /wp/v2/comments array */
	FMT_DISQUS,		/* Disqus XML export */
};

/* Called for each item; the item and its strings belong to the parser and are freed
 * after the call returns (copy what you keep). Return 0 to go on, -1 to abort. */
typedef int (*ingest_cb)(const struct item *, void *arg);

struct ingest_result {
	enum ingest_format format;
	int	 full;		/* 1 if the file is a full export (WXR, Disqus, REST arrays):
				 * comments of a post it lists that it does not list are gone */
	long	 items;		/* items passed to the callback */
	char	 error[512];	/* on failure: "file:line: what" */
};

enum ingest_format ingest_detect(const char *data, size_t len);
const char *ingest_format_name(enum ingest_format);

/* Parse a file (format detected from its first bytes). 0 on success, -1 on error with
 * res->error set; items already passed to cb stay passed (the caller rolls back). */
int	ingest_file(const char *path, ingest_cb cb, void *arg, struct ingest_result *res);
/* The same over a memory buffer (used by the poller and the fuzzers); name is for messages. */
int	ingest_buffer(const char *data, size_t len, const char *name, ingest_cb cb, void *arg,
	    struct ingest_result *res);

/* Per-format entry points (ingest_*.c), same contract as ingest_buffer. */
int	ingest_wxr(const char *, size_t, const char *, ingest_cb, void *, struct ingest_result *);
int	ingest_atom(const char *, size_t, const char *, ingest_cb, void *, struct ingest_result *);
int	ingest_rss(const char *, size_t, const char *, ingest_cb, void *, struct ingest_result *);
int	ingest_wpjson(const char *, size_t, const char *, ingest_cb, void *, struct ingest_result *);
int	ingest_disqus(const char *, size_t, const char *, ingest_cb, void *, struct ingest_result *);

/* Helpers shared by the parsers. */
time_t	ingest_parse_date(const char *);	/* RFC 3339, "YYYY-MM-DD HH:MM:SS" (GMT), RFC 822 */
long long ingest_id_from_url(const char *url, const char *key);	/* "?p=" / "#comment-" ... */

/* More helpers for the parsers (ingest.c). Strings returned are owned by the caller. */
void	ingest_result_init(struct ingest_result *, enum ingest_format, int full);
/* Set res->error to "name:line: message" (line 0: "name: message"); returns -1. */
int	ingest_error(struct ingest_result *, const char *name, long line, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
/* Clean the item's strings (single-line fields lose control characters and runs of
 * white space; html loses NUL-like controls), pass it to cb and count it. 0 or -1. */
int	ingest_emit(struct item *, const char *name, ingest_cb, void *, struct ingest_result *);
long long ingest_hash_id(const char *);		/* stable id in [1, 2^53) for non-numeric ids */
long long ingest_comment_id(const char *url);	/* "#comment-N", "replytocom=N", "comment-N"; 0 */
long long ingest_leading_id(const char *);	/* "2481 https://..." -> 2481; 0 if not numeric */
char	*ingest_strip_fragment(const char *url);	/* without "#..." (and "comment-page-N/") */
struct buf;
char	*ingest_html_escape(const char *);	/* & < > " escaped */
void	 ingest_html_add(struct buf *, const char *, size_t);	/* the same, appended */
void	ingest_add_category(struct item *, const char *);	/* copies; skips empty and repeats */

#endif
