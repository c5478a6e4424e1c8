/* mail.h: mailing-list mode. Subscriptions, list mail out (each article to each
 * subscriber, through the relay, from a durable queue), and mail in (replies become
 * comments; subscribe, confirm, unsubscribe and bounce addresses). */
#ifndef CONFAB_MAIL_H
#define CONFAB_MAIL_H

#include <stddef.h>

#include <event2/event.h>

#include "conf.h"
#include "lmtp.h"
#include "secret.h"
#include "store.h"
#include "token.h"

#define MAIL_BOUNCE_LIMIT	5	/* bounces before a subscriber is suspended */
#define MAIL_TOKEN_DAYS		90	/* reply tokens stay valid this long */

/* What inbound mail needs: no event loop (confab deliver uses it too). */
struct mail_ctx {
	struct store		*store;
	const struct conf	*conf;
	const unsigned char	*key;
};

/* At RCPT: may rcpt receive mail? r gets 250, or 550 5.1.1 / 5.7.1 with why. */
void	mail_check_rcpt(const struct mail_ctx *, const char *rcpt, struct lmtp_reply *r);
/* After DATA, for one accepted recipient: act on the message, durably, and say how it
 * went in r (250, 4xx to retry, 5xx to bounce with the reason). */
void	mail_receive(const struct mail_ctx *, const char *mail_from, const char *rcpt,
	    const char *msg, size_t len, struct lmtp_reply *r);

/* Subscribe address to group (thread: a root Message-ID or NULL). confirm: send a
 * confirmation and wait for it (double opt-in), else active at once. 0, or -1 with
 * why set. */
int	mail_subscribe(const struct mail_ctx *, const char *group, const char *address,
	    const char *thread, int digest, int confirm, const char **why);
int	mail_unsubscribe(const struct mail_ctx *, const char *group, const char *address,
	    const char *thread);
/* A confirm or unsubscribe token from an address or a link, s: 0 genuine and of kind,
 * -1 forged, malformed or of another kind, -2 expired (*t filled). */
int	mail_token_parse(const unsigned char *key, const char *s, enum token_kind kind,
	    struct token *t);
/* Act on a genuine TOK_CONFIRM (the subscription becomes active) or TOK_UNSUB (it
 * ends) token: 0 done, 1 nothing to do (the subscription has ended already), -1 store
 * error. addr and group, unless NULL, get the subscription's. Touches only the store:
 * a worker thread may call it with a store of its own. */
int	mail_token_act(struct store *, const struct token *, char *addr, size_t addrlen,
	    char *group, size_t grouplen);
/* Articles published so far are not mailed (after a bulk import). */
int	mail_skip_existing(struct store *);

/* The sender, on the loop (its store work maybe on workers: mailer_set_async). */
struct mailer;
struct mailer	*mailer_new(struct event_base *, struct store *,
		    const unsigned char key[SECRET_LEN]);
void		 mailer_set_conf(struct mailer *, const struct conf *);
/* Do the store's part of sending (queueing, digests, rendering, recording) on w's
 * threads with stores of pool, never on the loop. */
struct workers;
struct store_pool;
void		 mailer_set_async(struct mailer *, struct workers *, struct store_pool *);
void		 mailer_kick(struct mailer *);	/* new articles or queued mail: look now */
void		 mailer_free(struct mailer *);
/* The blog refused a comment after its author was told 240: if the author's address is
 * a subscriber of that blog's group, mail them why, with their text. */
void		 mailer_refused(struct mailer *, const char *group, const char *address,
		    const char *msgid, const char *html, const char *why);

#endif
