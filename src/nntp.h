/* nntp.h: the NNTP server: shared server state and one session per connection. */
#ifndef CONFAB_NNTP_H
#define CONFAB_NNTP_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <openssl/ssl.h>
#include <zlib.h>

#include "conf.h"
#include "log.h"
#include "secret.h"
#include "store.h"

struct outbox;
struct outbox_wait;
struct fetcher;
struct auth_wp;
struct workers;
struct session;

/* A local login being checked on a worker thread. */
struct authjob {
	struct session	*s;		/* NULL once the session is gone */
	char		*user;
	char		*hash;		/* the account's, or NULL: no such user */
	char		*pass;
	int		 rc;		/* reading the hash: 0 found, 1 none, -1 error */
	int		 ok;
};

/* A command's lookup in the store, on a worker thread when the server has a pool of
 * stores (PostgreSQL: the loop never waits on its network), else on the loop: run()
 * with a store of its own, then reply() on the loop unless the session went away,
 * then done() (nntp_store_lookup() in nntp_cmd.c). */
struct storejob {
	struct session		*s;		/* NULL once the session is gone */
	void			(*run)(struct store *, void *);
	void			(*reply)(struct session *, void *);
	void			(*done)(void *);
	void			*arg;
};

#define NNTP_MAX_LINE		512	/* RFC 3977 3.1, including CRLF */
#define NNTP_HIGH_WATER		(256 * 1024)	/* stop reading commands above this */
#define NNTP_LOW_WATER		(64 * 1024)	/* produce the next slice below this */
#define NNTP_SLICE_ROWS		256	/* overview rows per slice */
#define NNTP_SLICE_BYTES	(48 * 1024)	/* the same, copied from the overview cache */
#define NNTP_MAX_BAD_LINES	10	/* over-long lines before the client is dropped */
#define NNTP_UNDER_HIGH		(32 * 1024)	/* output held below a TLS/COMPRESS layer */

struct session;

/* Connections per client address (max_connections_per_ip), hashed: an accept must not
 * walk every session. */
#define NNTP_PEER_BUCKETS	1024
struct peer {
	struct peer	*next;
	char		 addr[64];
	int		 n;
};

/* Failed-login bookkeeping per client address. */
struct authfail {
	char		addr[64];
	time_t		window;
	int		count;
};

struct server {
	struct event_base	*base;
	struct conf		*conf;		/* current config (replaced on reload) */
	struct store		*store;
	unsigned char		 key[SECRET_LEN];
	SSL_CTX			*tls;		/* NULL without tls_cert/tls_key */
	LIST_HEAD(, session)	 sessions;	/* the live sessions */
	int			 nsessions;
	uint64_t		 next_id;
	int			 draining;	/* SIGTERM: finish and close */
	struct authfail		 fails[256];
	struct peer		*peers[NNTP_PEER_BUCKETS];
	void			(*on_empty)(struct server *);	/* drained: stop the loop */
	struct outbox		*outbox;	/* comments to blogs (NULL: none) */
	struct fetcher		*fetch;		/* HTTP to blogs (WordPress logins) */
	struct workers		*workers;	/* blocking work (password hashes): required */
	struct ovcache		*ov;		/* overview lines kept ready */
	struct store_pool	*pool;		/* PostgreSQL: stores for ARTICLE off the loop */
};

enum sess_state {
	SS_CMD,		/* reading command lines */
	SS_POST,	/* reading an article after 340 */
	SS_CLOSING,	/* flushing the last response, then close */
	SS_WAIT,	/* a POST waits for the blog's verdict; input waits too */
};

/* A long response produced in slices (OVER, LISTGROUP, HDR, LIST, NEWNEWS). */
struct stream {
	int		(*next)(struct session *);	/* 1 more to come, 0 done, -1 error */
	long long	 gid, lo, hi;
	char		*arg;		/* header name, wildmat, pattern */
	char		*arg2;
	int		 field;		/* HDR: overview field of arg, or -1 */
	int		 kind;
	time_t		 since;
	long long	 pos;		/* index into a list */
	/* Owed first line, when the store has to tell whether lo..hi holds any live
	 * article: ok if it does, else none (and the stream ends there). */
	const char	*ok, *none;
};

struct session {
	LIST_ENTRY(session)	 entry;
	struct server		*srv;
	uint64_t		 id;
	struct bufferevent	*bev;		/* top of the stack: socket, TLS, compress */
	struct event		*idle;
	struct event		*flush;		/* closing: wait for the layers below */
	char			 addr[64];	/* client address as text */
	struct peer		*peer;		/* its connection count */
	int			 loopback;
	int			 tls;		/* TLS active */
	int			 compress;	/* COMPRESS DEFLATE active */
	int			 wr_off;	/* write event off: output went out directly */
	z_stream		 zin, zout;
	int			 authed;
	char			*user;		/* AUTHINFO USER given / authenticated */
	enum sess_state		 state;
	int			 bad_lines;
	int			 skip_line;	/* discarding the rest of a long line */
	/* Selected group and current article. */
	long long		 gid;
	char			*group;
	long long		 cur;		/* 0 = no current article */
	struct stream		 stream;
	int			 streaming;
	struct buf		 post;		/* article being received */
	int			 post_too_big;
	struct outbox_wait	*wait;		/* SS_WAIT */
	char			*posted;	/* Message-ID of the article waiting */
	struct auth_wp		*authwp;	/* SS_WAIT: a WordPress login being checked */
	struct authjob		*authjob;	/* SS_WAIT: a local login being checked */
	struct storejob		*storejob;	/* SS_WAIT: a lookup on a worker thread */
	int			 producing;	/* in writecb's slice loop */
	char			*wp_source;	/* logged in as a WordPress user of this source */
	char			*wp_pass;	/* ... with this application password */
	char			*pending_user;
	const char		*close_reason;
};

/* Set up a session on an accepted socket (tls: implicit TLS). Takes the fd. */
void	nntp_accept(struct server *, int fd, struct sockaddr *, socklen_t, int tls);
/* Graceful stop: close idle sessions, let the others finish their response. */
void	nntp_drain(struct server *);
/* Close every session now. */
void	nntp_close_all(struct server *);

/* For the command handlers (nntp_cmd.c). */
void	nntp_reply(struct session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	nntp_write(struct session *, const void *, size_t);
/* Write a block of text lines (CRLF), dot-stuffing lines that start with ".". */
void	nntp_write_stuffed(struct session *, const char *, size_t);
/* Send reply (NULL: it is queued already), read no more, close once it has gone. */
void	nntp_end(struct session *, const char *reply, const char *reason);
void	nntp_stream_start(struct session *);	/* run s->stream.next in slices */
void	nntp_stream_stop(struct session *);	/* the stream is over (or abandoned) */
int	nntp_starttls(struct session *);	/* after "382" was queued */
int	nntp_compress(struct session *);	/* after "206" was queued */
void	nntp_close(struct session *, const char *why);
void	nntp_post_begin(struct session *);
/* SS_WAIT is over: read commands again (pipelined ones included). */
void	nntp_resume(struct session *);
void	slog(struct session *, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
