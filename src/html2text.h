/* html2text.h: blog HTML to text/plain; format=flowed (RFC 3676), via libxml2. */
#ifndef CONFAB_HTML2TEXT_H
#define CONFAB_HTML2TEXT_H

#include <stddef.h>

/* Convert an HTML fragment (UTF-8) to a format=flowed body with LF line ends
 * (the caller turns them into CRLF). Paragraphs become blank-line separated, <br> a hard
 * break, nested <blockquote> "> " / "> > " prefixes, lists "* " / "1. ", <pre> kept
 * verbatim, links "[n]" with a footnote list at the end, images "[image: alt]",
 * script/style/iframe dropped, entities decoded exactly once, wrapped at `width` (72)
 * with trailing-space soft breaks, URLs never broken, no line over 998 octets.
 * Returns malloc'd text, caller owns. Never fails (bad HTML gives best-effort text). */
char	*html2text(const char *html, size_t len, int width);

/* Decode HTML entities once in a short text (titles); caller owns result. */
char	*html_entities_decode(const char *s);

#endif
