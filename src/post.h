/* post.h: the one path for an article posted by a reader (NNTP POST, later mail):
 * parse, check, find the parent, store durably, publish or queue for the blog. */
#ifndef CONFAB_POST_H
#define CONFAB_POST_H

#include <stddef.h>

#include "conf.h"
#include "secret.h"
#include "store.h"

struct post_req {
	struct store		*store;
	const struct conf	*conf;
	const unsigned char	*key;
	const char		*user;		/* authenticated user, or NULL */
	const char		*data;		/* the article, CRLF, dot-unstuffed */
	size_t			 len;
	long long		*outbox_id;	/* out: for a blog source, the outbox entry
						 * whose verdict the poster waits for */
};

/* Returns the NNTP code to answer: 240 (accepted), 441 (refused: why in msg).
 * msgid receives the article's Message-ID on success. For a local source the comment
 * is published at once; for a blog source it is queued durably in the outbox
 * (*outbox_id set) and the caller waits for the blog's verdict (outbox.h). */
int	post_article(const struct post_req *, char *msg, size_t msglen, char *msgid,
	    size_t msgidlen);

/* A comment from a reader (NNTP or mail) under a known parent: published at once on a
 * local source, queued durably in the outbox for a blog (*outbox_id set). Returns 240
 * (msgid_out filled) or 441 (*why set). */
struct comment_req {
	struct store			*store;
	const struct conf		*conf;
	const unsigned char		*key;
	const struct conf_source	*src;
	long long			 source_id, post_id, parent_id;	/* parent 0 = post */
	const char			*name, *addr;	/* the author */
	const char			*text;		/* UTF-8, LF */
	int				 flowed, delsp;
	const char			*msgid;		/* keep this Message-ID, or NULL */
	long long			*outbox_id;
};
int	post_comment(const struct comment_req *, char *msgid_out, size_t msgidlen,
	    const char **why);

/* Plain text (LF or CRLF) to HTML for a comment: paragraphs, <br>, "> " quote blocks
 * as <blockquote>, the signature after "-- " dropped. Caller owns the result. */
char	*post_text_to_html(const char *text, int flowed, int delsp);

#endif
