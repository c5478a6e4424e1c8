/* import.h: staging blog items into the store and publishing what changed.
 * The one path from blog data to articles: confab import, the poller and local posts
 * all go through it. The caller wraps a run in store_begin/store_commit. */
#ifndef CONFAB_IMPORT_H
#define CONFAB_IMPORT_H

#include "conf.h"
#include "item.h"
#include "secret.h"
#include "store.h"

struct import_stats {
	long	posts, comments;	/* items seen */
	long	unchanged, published, superseded, withdrawn;
	long	skipped[ITEM_OTHER_TYPE + 1];	/* by item_state (not published) */
	long	duplicates;		/* same id twice in one run */
	long	unknown_post;		/* comment whose post is not known */
};

struct importer;

/* The importer borrows store, conf, source and key for its lifetime. */
struct importer	*importer_new(struct store *, const struct conf *, const struct conf_source *,
		    const unsigned char key[SECRET_LEN]);
/* The same, sharing import generation `gen` (from store_next_gen) across several
 * importers of one run, e.g. one per fetched page (0: a new generation). */
struct importer	*importer_new_gen(struct store *, const struct conf *,
		    const struct conf_source *, const unsigned char key[SECRET_LEN], long long gen);
void		 importer_free(struct importer *);
/* Stage one item (an ingest_cb): 0, or -1 on a store error. */
int		 importer_item(const struct item *, void *importer);
/* Stage an item that arrived through confab with its own Message-ID. */
int		 importer_item_msgid(struct importer *, const struct item *, const char *msgid);
/* After a full export: comments of the posts it listed that it did not list vanish. */
int		 importer_vanish(struct importer *);
/* The same for one post whose comments were all listed (a live source's full page set). */
int		 importer_vanish_post(struct importer *, long long post_id);
/* Render and publish every changed item, withdraw the hidden ones. */
int		 importer_publish(struct importer *);
const struct import_stats *importer_stats(const struct importer *);

#endif
