/* item.h: one blog item (post or comment) as every importer and poller sees it.
 * All strings are UTF-8, NUL-terminated, owned by the item (item_free frees them);
 * NULL means absent. Nothing here is rendered yet: HTML stays HTML. */
#ifndef CONFAB_ITEM_H
#define CONFAB_ITEM_H

#include <time.h>

enum item_kind { ITEM_POST = 1, ITEM_COMMENT = 2 };

/* Why an item is not published (ITEM_OK = it is). */
enum item_state {
	ITEM_OK = 0,		/* published post / approved comment */
	ITEM_DRAFT,		/* draft, pending, future, auto-draft */
	ITEM_PRIVATE,		/* private post */
	ITEM_PROTECTED,		/* password-protected post */
	ITEM_UNAPPROVED,	/* comment held for moderation */
	ITEM_SPAM,
	ITEM_TRASH,
	ITEM_PINGBACK,		/* pingback/trackback (skipped unless configured) */
	ITEM_OTHER_TYPE,	/* attachment, page, nav_menu_item, ... */
};

struct item {
	enum item_kind	 kind;
	enum item_state	 state;
	long long	 post_id;	/* blog's post id; 0 = unknown (see post_link) */
	long long	 comment_id;	/* blog's comment id; 0 for a post */
	long long	 parent_id;	/* parent comment id; 0 = reply to the post */
	char		*post_link;	/* permalink of the post, to find post_id when unknown */
	char		*title;		/* post title, HTML entities NOT yet decoded */
	char		*author;	/* display name, may be empty */
	char		*author_email;
	char		*author_url;
	char		*link;		/* permalink of this item */
	char		*html;		/* content, HTML */
	char		*comments_url;	/* feeds: the post's comment feed (wfw:commentRss,
					 * Atom link rel="replies"), or NULL */
	time_t		 date;		/* GMT, seconds since epoch; 0 = unknown */
	char		**categories;	/* category names (display form) */
	int		 ncategories;
	long		 line;		/* line in the input file, for messages */
};

void	item_free(struct item *);	/* frees members, not the struct itself */
void	item_reset(struct item *);	/* item_free + zero */
const char *item_state_name(enum item_state);

#endif
