/* render.h: a blog item becomes an RFC 5536 article (DESIGN.md, "Mapping rules"). */
#ifndef CONFAB_RENDER_H
#define CONFAB_RENDER_H

#include <stddef.h>
#include "item.h"
#include "secret.h"

#define RENDER_MAX_REFS_LEN	998	/* "References: " + ids, RFC 5537 3.4.4 */

struct render_in {
	const struct item	*it;
	const char		*post_title;	/* the post's title (comments' Subject) */
	const char		**refs;		/* published ancestors' Message-IDs, root first */
	int			 nrefs;
	const char		*msgid;		/* this article's Message-ID */
	const char		*supersedes;	/* Message-ID it replaces, or NULL */
	const char		*source;	/* source name: pseudonym domain NAME.invalid */
	const char		*hostname;	/* Path: and Xref: */
	const char		*organization;	/* or NULL */
	const char		**groups;	/* newsgroups and the article's number in each */
	const long long		*nums;
	int			 ngroups;
	const unsigned char	*key;		/* SECRET_LEN bytes, for the pseudonym */
	const char		*body;		/* ready text body (LF ends) instead of it->html,
						 * or NULL */
	const char		*subject;	/* ready Subject (render_subject()), or NULL */
};

struct rendered {
	char	*data;		/* whole article, CRLF line ends, not dot-stuffed */
	size_t	 len;
	size_t	 head_len;	/* header octets including the empty line */
	char	*over;		/* OVER fields 2..8 (Subject..Xref), tab-joined */
};

/* The Subject value, RFC 2047-encoded and folded: the title (the post's for a comment,
 * post_title), entities decoded once, "Re: " for comments. Caller owns. */
char	*render_subject(const struct item *, const char *post_title);

/* Render; 0 on success, -1 if the item cannot be rendered. Caller frees out with
 * rendered_free(). */
int	render_article(const struct render_in *, struct rendered *out);
void	rendered_free(struct rendered *);

/* Stable Message-IDs: <pPOST@domain>, <pPOST.cCOMMENT@domain>, ".vN" for version N > 1.
 * Caller owns the result. */
char	*render_msgid(long long post_id, long long comment_id, int version, const char *domain);


/* References list per the 998-octet rule: keep the first and the last three, drop from
 * the middle. Returns the header value (space-separated), caller owns. */
char	*render_references(const char **refs, int nrefs);

#endif
