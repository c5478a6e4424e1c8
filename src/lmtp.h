/* lmtp.h: the LMTP listener (RFC 2033): mail from the MTA, checked per recipient at
 * RCPT, one reply per recipient after DATA. What the addresses mean is mail.c's
 * business: this file only speaks the protocol. */
#ifndef CONFAB_LMTP_H
#define CONFAB_LMTP_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>

#include <event2/event.h>

#define LMTP_MAX_LINE		1000	/* RFC 5321 4.5.3.1.6 text line, with CRLF */
#define LMTP_MAX_RCPTS		100
#define LMTP_MAX_BAD		10	/* bad commands before the connection is dropped */
#define LMTP_IDLE_TIMEOUT	300	/* seconds (RFC 5321 4.5.3.2.7) */
#define LMTP_DEFAULT_MAX_SIZE	(10 * 1024 * 1024)	/* max_size 0 */

/* A reply: code (250, 450, 452, 550, 552, 554, ...), enhanced status ("2.1.5") and
 * text (one line, no CR/LF). */
struct lmtp_reply {
	int	code;
	char	enh[16];
	char	text[256];
};

struct lmtp_handler {
	/* At RCPT: may this recipient receive mail? Fill r (250 to accept). */
	void	(*rcpt)(const char *rcpt, const char *mail_from, struct lmtp_reply *r,
		    void *arg);
	/* After DATA: the message (CRLF, dot-unstuffed, with a Return-Path-less header as
	 * received) for the accepted recipients; fill one reply per recipient. Every
	 * accepted message must be durable before a 250 is given. Synchronous. */
	void	(*data)(const char *mail_from, const char **rcpts, int nrcpts,
		    const char *msg, size_t len, struct lmtp_reply *replies, void *arg);
	void	*arg;
	/* Optional: on the loop after data delivered to at least one recipient (what it
	 * stored may be followed up now). */
	void	(*delivered)(void *arg);
	/* Optional: run(job, ctx) where the loop does not wait for it (a worker thread),
	 * then done(job) on the loop. rcpt and data are then called in run, with ctx as
	 * their arg: they must touch nothing else shared. NULL: all at once, here. */
	void	(*offload)(void (*run)(void *job, void *ctx), void (*done)(void *job),
		    void *job, void *arg);
	size_t	 max_size;	/* message size limit (SIZE); larger gets 552;
				 * 0: LMTP_DEFAULT_MAX_SIZE */
	const char *hostname;	/* greeting and LHLO (NULL: "localhost") */
	int	 idle_timeout;	/* seconds; 0: LMTP_IDLE_TIMEOUT */
};

struct lmtp_server;

/* A server on base; h is borrowed (it may change: lmtp_set_handler). */
struct lmtp_server *lmtp_new(struct event_base *, const struct lmtp_handler *);
void	lmtp_set_handler(struct lmtp_server *, const struct lmtp_handler *);
/* Take an accepted connection (TCP or unix socket). */
void	lmtp_accept(struct lmtp_server *, int fd, struct sockaddr *, socklen_t);
/* Close every session; free the server. */
void	lmtp_free(struct lmtp_server *);
int	lmtp_sessions(struct lmtp_server *);

#endif
