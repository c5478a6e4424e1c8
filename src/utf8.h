/* utf8.h: UTF-8 (RFC 3629) sequences: well-formed means no overlong forms, no
 * surrogates, nothing past U+10FFFF. */
#ifndef CONFAB_UTF8_H
#define CONFAB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Octets of the well-formed sequence at s (len > 0 octets available), 0 if none. */
size_t	utf8_seq(const unsigned char *s, size_t len);
/* Is all of s well-formed UTF-8? */
int	utf8_valid(const unsigned char *s, size_t len);
/* The code point at s and its length in *adv; -1 (and *adv = 1) if malformed. */
int32_t	utf8_next(const unsigned char *s, size_t len, size_t *adv);

#endif
