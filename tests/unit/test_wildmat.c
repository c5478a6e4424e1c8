/* test_wildmat.c: RFC 3977 section 4 wildmats. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "wildmat.h"

#define M(text, pat)	is_int(wildmat_match(text, pat), 1, "'%s' matches '%s'", text, pat)
#define N(text, pat)	is_int(wildmat_match(text, pat), 0, "'%s' does not match '%s'", text, pat)
#define V(pat)		is_int(wildmat_valid(pat), 1, "'%s' is valid", pat)
#define I(pat)		is_int(wildmat_valid(pat), 0, "'%s' is invalid", pat)

static void
test_basic(void)
{
	M("comp.lang.c", "comp.lang.c");
	N("comp.lang.c", "comp.lang.cc");
	N("comp.lang.cc", "comp.lang.c");
	N("Comp.lang.c", "comp.lang.c");		/* case-sensitive */
	M("comp.lang.c", "comp.*");
	M("comp.", "comp.*");
	N("comp", "comp.*");
	M("comp.lang.c", "*.c");
	M("comp.lang.c", "*lang*");
	M("comp.lang.c", "c*l*c");
	N("comp.lang.c", "c*l*x");
	M("anything", "*");
	M("", "*");
	M("", "**");
	N("", "?");
	N("", "a");
	M("abc", "a?c");
	N("ac", "a?c");
	N("abbc", "a?c");
	M("abc", "???");
	N("abcd", "???");
	M("abcd", "???*");
	M("a.b", "*?*");
	M("blogs.ecatworld", "blogs.*,!blogs.x*");
	M("aXbXc", "*X*X*");
	M("mississippi", "*sip*");
	M("mississippi", "m*iss*ppi");
	N("mississippi", "m*iss*ppx");
}

static void
test_lists(void)
{
	/* The rightmost matching pattern decides (RFC 3977 section 4.4). */
	M("abc", "a*,!*b");
	N("ab", "a*,!*b");
	N("xb", "a*,!*b");
	M("ab", "!*b,a*");
	M("abc", "!*b,a*");
	N("xb", "!*b,a*");
	N("xyz", "!*b,a*");
	M("xbc", "a*,!*b,*c*");
	N("ab", "a*,!*b,*c*");
	M("abc", "a*,!*b,*c*");
	N("a", "!a");
	N("b", "!a");				/* nothing matched: no match */
	N("a", "a,!*");
	M("a", "!*,a");
	M("b", "x,y,b");
	M("x", "x,y,b");
	N("z", "x,y,b");
	N("comp.lang.c", "comp.*,!comp.lang.*");
	M("comp.lang.c", "comp.*,!comp.lang.*,comp.lang.c");
	/* Robustness: empty patterns match only the empty text. */
	M("", "a,");
	N("b", "a,");
	M("a", ",a");
	M("", "");
	N("a", "");
}

static void
test_literal(void)
{
	/* Not part of the RFC grammar: taken literally, never as sets or escapes. */
	M("[a]", "[a]");
	N("a", "[a]");
	M("a\\b", "a\\b");
	N("a*", "a\\*");
	M("a!b", "a!b");
	M("a b", "a b");
	M("a.b", "a.b");
	N("aXb", "a.b");
}

static void
test_utf8(void)
{
	M("caf\xc3\xa9", "caf?");			/* é is one character */
	N("caf\xc3\xa9", "caf??");
	M("caf\xc3\xa9", "caf\xc3\xa9");
	N("cafe", "caf\xc3\xa9");
	M("\xe2\x82\xac", "?");				/* euro sign, 3 octets */
	M("\xf0\x9f\x98\x80", "?");			/* emoji, 4 octets */
	N("\xf0\x9f\x98\x80", "??");
	M("x\xf0\x9f\x98\x80y", "x?y");
	M("\xe6\x97\xa5\xe6\x9c\xac", "??");		/* two CJK characters */
	N("\xe6\x97\xa5\xe6\x9c\xac", "?");
	M("\xe6\x97\xa5\xe6\x9c\xac.x", "*?.x");
	M("\xe6\x97\xa5\xe6\x9c\xac", "*\xe6\x9c\xac");
	M("a\xc3\xa9\xc3\xa9" "b", "a*\xc3\xa9" "b");
	/* Malformed octets in the text count as one character each. */
	M("a\xff" "b", "a?b");
	M("a\xc3" "b", "a?b");
	N("a\xe2\x82" "b", "a?b");
	M("a\xe2\x82" "b", "a??b");
	/* A literal never matches half a character. */
	N("x\xf4\x85\xa8\xb1", "*\xa8\xb1");
	N("\xc3\xa9", "\xc3*");
	M("\xc3\xc3\xa9", "\xc3*");
	M("6**\xb8\xf4\x85**\xb8\xf4\x85\xa8\xb1", "*\xb8\xf4*?");
}

static void
test_pathological(void)
{
	char	*text;
	size_t	 n = 100000;
	clock_t	 c0;
	double	 secs;

	text = malloc(n + 1);
	if (text == NULL)
		abort();
	memset(text, 'a', n);
	text[n] = '\0';
	c0 = clock();
	N(text + n - 40, "*a*a*a*a*a*b");
	is_int(wildmat_match(text, "*a*a*a*a*a*b"), 0, "100k 'a' vs '*a*a*a*a*a*b'");
	is_int(wildmat_match(text, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*?*b,!x"), 0,
	    "100k 'a' vs 16 stars");
	is_int(wildmat_match(text, "*a*a*a*a*a"), 1, "100k 'a' vs '*a*a*a*a*a'");
	is_int(wildmat_match(text, "*?????????????????????????????b"), 0,
	    "100k 'a' vs '*??...?b'");
	secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	ok(secs < 2.0, "pathological cases are fast (%.3f s)", secs);
	free(text);
}

static void
test_valid(void)
{
	V("*");
	V("comp.lang.c");
	V("comp.*,!comp.lang.*");
	V("a*,!*b,*c*");
	V("!*b,a*");				/* extension: first pattern negated */
	V("caf\xc3\xa9.*");
	V("\xf0\x9f\x98\x80");
	V("a?b");
	V("\"#$%&'()+-./:;<=>@^_`{|}~");
	I("");
	I(",");
	I("a,");
	I(",a");
	I("a,,b");
	I("a,!");
	I("!");
	I("a,!!b");
	I("a!b");
	I("[abc]");
	I("a]");
	I("a\\*");
	I("a b");
	I("a\tb");
	I("a\x7f");
	I("caf\xc3");				/* truncated */
	I("\xc0\xaf");				/* overlong */
	I("\xed\xa0\x80");			/* surrogate */
	I("\xf4\x90\x80\x80");			/* above U+10FFFF */
	I("\xff");
	is_int(wildmat_valid(NULL), 0, "NULL is invalid");
}

int
main(void)
{
	test_basic();
	test_lists();
	test_literal();
	test_utf8();
	test_pathological();
	test_valid();
	return tap_done();
}
