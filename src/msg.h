/* msg.h: RFC 5322 helpers: headers and mailboxes. */
#ifndef CONFAB_MSG_H
#define CONFAB_MSG_H

#include <stddef.h>
#include <time.h>

/* The first `name` header of a message (only its header part is searched), unfolded,
 * tabs as spaces, trimmed; caller owns; NULL if absent. RFC 2047 words stay encoded. */
char	*msg_header(const char *msg, size_t len, const char *name);
/* The same for the nth (from 0, topmost first) `name` header. */
char	*msg_header_nth(const char *msg, size_t len, const char *name, int nth);
/* RFC 2047 words decoded to UTF-8; caller owns. */
char	*msg_decode_words(const char *);
/* A plausible addr-spec: local@domain, no spaces, brackets or controls. */
int	 msg_valid_addr(const char *);
/* A From:-style mailbox: "Name <a@b>", "a@b", or the old news form "a@b (Name)".
 * 0 with *name (decoded, maybe "") and *addr set (caller owns both), or -1. */
int	 msg_mailbox(const char *v, char **name, char **addr);
/* A Message-ID as confab stores and passes on: "<left@right>", 5 to 250 octets of
 * printable ASCII without spaces. */
int	 msg_valid_msgid(const char *);
/* A date in UTC, independent of the locale: "Fri, 27 Jan 2012 09:12:00 ZONE" with zone
 * "+0000" (RFC 5322) or "GMT" (HTTP's IMF-fixdate, RFC 9110). */
void	 msg_date(time_t, const char *zone, char *out, size_t len);
/* A new unique Message-ID "<kind.TIME.RANDOM@domain>"; caller owns. */
char	*msg_make_id(const char *kind, const char *domain);
/* A text body as a reader or mailer sent it, made safe to post: undone per the
 * Content-Transfer-Encoding enc (libetpan's MAILMIME_MECHANISM_*), converted from
 * charset (NULL: UTF-8, which it must then be; Latin-1 is read as Windows-1252) to
 * UTF-8, with LF line ends and no control characters but TAB and LF, no C1.
 * Caller owns; NULL with *why. */
char	*msg_text(const char *body, size_t len, int enc, const char *charset,
	    const char **why);

#endif
