/* outbox.h: the durable queue of comments going to the blog. An entry is written (and
 * committed) by post.c before the poster gets any answer; the outbox then delivers it
 * (WordPress REST POST /wp/v2/comments), with retries and backoff until the blog has it
 * or refuses it. */
#ifndef CONFAB_OUTBOX_H
#define CONFAB_OUTBOX_H

#include <event2/event.h>

#include "conf.h"
#include "fetch.h"
#include "secret.h"
#include "store.h"

struct outbox;
struct outbox_wait;
struct poller;

/* The verdict for a waiting poster: 240 (accepted, held, or queued for retry) or 441
 * (refused by the blog; msg is its reason). */
typedef void (*outbox_cb)(int code, const char *msg, void *arg);

struct outbox	*outbox_new(struct event_base *, struct fetcher *, struct store *,
		    const unsigned char key[SECRET_LEN]);
void		 outbox_free(struct outbox *);
/* The config (borrowed until the next call) and the poller to nudge after delivery. */
/* Look for due entries on w's threads with stores of pool, not on the loop. */
struct workers;
struct store_pool;
void		 outbox_set_async(struct outbox *, struct workers *, struct store_pool *);
void		 outbox_set_conf(struct outbox *, const struct conf *, struct poller *);
/* Try entry id now; cb gets the verdict, or 240 after `timeout` seconds. The handle is
 * valid until the callback runs or outbox_cancel(). With source, user and pass (else
 * NULL), an entry for that source goes as that WordPress user with that application
 * password (this attempt only: retries go as the gateway user). */
struct outbox_wait *outbox_deliver(struct outbox *, long long id, int timeout,
		    const char *source, const char *user, const char *pass, outbox_cb, void *arg);
/* The waiter went away (connection closed): no callback. Delivery goes on. */
void		 outbox_cancel(struct outbox_wait *);
/* Called when the blog refuses an entry nobody is waiting for any more (the poster got
 * 240 already, e.g. a reply by mail), so that they can be told why. */
typedef void (*outbox_refused_cb)(const struct store_outbox *, const char *why, void *arg);
void		 outbox_on_refused(struct outbox *, outbox_refused_cb, void *arg);
/* Look for due entries now (a new one was queued without a waiter). */
void		 outbox_kick(struct outbox *);

#endif
