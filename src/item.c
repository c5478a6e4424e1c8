/* item.c: life cycle of a blog item. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "item.h"

void
item_free(struct item *it)
{
	int	i;

	if (it == NULL)
		return;
	free(it->post_link);
	free(it->title);
	free(it->author);
	free(it->author_email);
	free(it->author_url);
	free(it->link);
	free(it->html);
	free(it->comments_url);
	for (i = 0; i < it->ncategories; i++)
		free(it->categories[i]);
	free(it->categories);
	it->post_link = it->title = it->author = it->author_email = NULL;
	it->author_url = it->link = it->html = it->comments_url = NULL;
	it->categories = NULL;
	it->ncategories = 0;
}

void
item_reset(struct item *it)
{
	item_free(it);
	memset(it, 0, sizeof(*it));
}

const char *
item_state_name(enum item_state st)
{
	switch (st) {
	case ITEM_OK:
		return "ok";
	case ITEM_DRAFT:
		return "draft";
	case ITEM_PRIVATE:
		return "private";
	case ITEM_PROTECTED:
		return "protected";
	case ITEM_UNAPPROVED:
		return "unapproved";
	case ITEM_SPAM:
		return "spam";
	case ITEM_TRASH:
		return "trash";
	case ITEM_PINGBACK:
		return "pingback";
	case ITEM_OTHER_TYPE:
		return "other-type";
	}
	return "unknown";
}
