/* wildmat.h: RFC 3977 section 4 wildmats (LIST ACTIVE, NEWNEWS, LIST NEWSGROUPS, ...).
 *
 * A wildmat is a comma-separated list of patterns, each optionally prefixed by "!".
 * In a pattern "*" matches any sequence of characters (possibly empty), "?" exactly
 * one UTF-8 character, anything else itself (case-sensitive, octet for octet).
 * Patterns are anchored at both ends.  The rightmost pattern that matches decides:
 * a plain one means "match", a negated one "no match"; when none matches the
 * wildmat does not match.
 *
 * Neither function allocates, keeps or modifies its arguments; the caller owns all
 * strings.  Both are O(len(text) * len(wildmat)) at worst, never exponential.
 */
#ifndef CONFAB_WILDMAT_H
#define CONFAB_WILDMAT_H

/* Return 1 if text matches the wildmat, else 0.  Neither may be NULL.
 * Robust against any input: characters the RFC grammar forbids ("[", "]", "\",
 * a "!" inside a pattern, controls, malformed UTF-8) are taken literally, an
 * empty pattern matches only the empty text, and a malformed UTF-8 octet in the
 * text counts as one character for "?". */
int	wildmat_match(const char *text, const char *wildmat);

/* Return 1 if the wildmat is syntactically valid per RFC 3977 section 4.1, else 0
 * (so that the server can answer 501).  Valid means: well-formed UTF-8 (RFC 3629),
 * no empty pattern (so no leading, trailing or doubled ","), only printable
 * US-ASCII other than "!", ",", "[", "\", "]" (space and controls are not allowed)
 * plus "*", "?" and non-ASCII characters, and "!" only as a pattern's first
 * character.  As an extension permitted by section 4.3 (and like INN), the first
 * pattern may be negated too ("!*b,a*"); the RFC grammar allows "!" only after a
 * comma.  NULL is invalid. */
int	wildmat_valid(const char *wildmat);

#endif
