/* poll.h: live sources (wordpress, atom, rss) polled over HTTP and imported. */
#ifndef CONFAB_POLL_H
#define CONFAB_POLL_H

#include <event2/event.h>

#include "conf.h"
#include "fetch.h"
#include "secret.h"
#include "store.h"

struct poller;

/* Borrowed: base, fetcher, store, key. */
struct poller	*poller_new(struct event_base *, struct fetcher *, struct store *,
		    const unsigned char key[SECRET_LEN]);
void		 poller_free(struct poller *);
/* Do the store's part (imports, leases, bookkeeping) on w's threads with stores of
 * pool, never on the loop. */
struct workers;
struct store_pool;
void		 poller_set_async(struct poller *, struct workers *, struct store_pool *);
/* (Re)schedule every live source of conf (borrowed until the next call). schedule = 0:
 * only remember the config (confab poll). */
void		 poller_set_conf(struct poller *, const struct conf *, int schedule);
/* Poll one source now (full: every post and comment, not only recent ones); done(ok,
 * arg) when it has finished. -1 if unknown or already running. */
typedef void (*poll_done_cb)(int ok, void *arg);
int		 poller_run(struct poller *, const char *source, int full, poll_done_cb,
		    void *arg);
/* Poll every source of a post again soon (after a delivery, to see the comment). */
void		 poller_kick(struct poller *, const char *source);

/* REST URL for a WordPress route: BASE?rest_route=ROUTE&QUERY (works with and without
 * pretty permalinks). Caller owns. */
char		*wp_rest_url(const char *base, const char *route, const char *query);

#endif
