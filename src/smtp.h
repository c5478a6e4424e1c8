/* smtp.h: an SMTP client on the event loop (never blocks it), for list mail to the
 * configured relay (a local MTA on loopback). One message, one or more recipients,
 * one connection. */
#ifndef CONFAB_SMTP_H
#define CONFAB_SMTP_H

#include <stddef.h>

#include <event2/event.h>

struct smtp_result {
	int		 code;		/* final reply code: 250 sent; 4xx temporary, 5xx
					 * permanent; 0 transport error (connect, timeout) */
	const char	*text;		/* the server's reply or the error, one line */
	int		 nrcpts;
	const int	*rcpt_codes;	/* per recipient: the RCPT reply code */
};
typedef void (*smtp_cb)(const struct smtp_result *, void *arg);

struct smtp_msg {
	const char	*relay;		/* "127.0.0.1:25", "[::1]:25" */
	const char	*helo;		/* our name for EHLO */
	const char	*from;		/* envelope sender (may be "" for <>) */
	const char	**rcpts;
	int		 nrcpts;
	const char	*data;		/* the message, CRLF line ends, not dot-stuffed */
	size_t		 len;
	int		 timeout;	/* seconds for the whole exchange (default 60) */
};

/* Start sending; strings are copied. cb is called once, on the loop (never from
 * inside smtp_send), as soon as the message's fate is known; QUIT follows quietly.
 * -1 if it cannot start (bad relay address; no recipients; an address or helo with
 * space, control characters or angle brackets): cb is not called. A relay without a
 * port means port 25. */
int	smtp_send(struct event_base *, const struct smtp_msg *, smtp_cb, void *arg);

#endif
