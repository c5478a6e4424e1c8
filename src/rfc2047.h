/* rfc2047.h: RFC 2047 encoding of header text (UTF-8 in, 7-bit out). */
#ifndef CONFAB_RFC2047_H
#define CONFAB_RFC2047_H

#include <stddef.h>

enum rfc2047_ctx {
	RFC2047_TEXT,		/* unstructured (Subject): encoded words only where needed */
	RFC2047_PHRASE,		/* display name in From:: encoded words or a quoted-string */
};

/* Encode UTF-8 text for a header. `used` is how many octets already stand on the
 * header's first line (e.g. strlen("Subject: ")), for folding at 78. Control characters
 * (CR, LF, NUL, ...) become spaces; invalid UTF-8 is replaced by U+FFFD. Encoded words
 * are at most 75 chars, B or Q as shorter, split on character boundaries, separated by
 * CRLF SP folds. Returns a malloc'd string the caller owns. */
char	*rfc2047_encode(const char *utf8, enum rfc2047_ctx ctx, size_t used);

/* Replace control characters and invalid UTF-8 in place-copy; caller owns result. */
char	*header_sanitize(const char *utf8);

#endif
