/* test_rfc2047.c: header encoding round trips through libetpan's decoder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "log.h"
#include "rfc2047.h"
#include "tap.h"

/* Undo a quoted-string made by the PHRASE encoder. */
static char *
unquote(const char *s)
{
	struct buf	b;
	size_t		len = strlen(s), i;

	buf_init(&b);
	for (i = 1; i + 1 < len; i++) {
		if (s[i] == '\\')
			i++;
		buf_addc(&b, s[i]);
	}
	return buf_steal(&b);
}

/* Structural checks on an encoded header value; returns 1 if all hold. */
static int
well_formed(const char *out, size_t used, const char **why)
{
	const unsigned char	*p;
	const char		*line, *nl, *t, *te;
	size_t			 len, col0;

	for (p = (const unsigned char *)out; *p != '\0'; p++) {
		if (*p >= 0x80) {
			*why = "8-bit octet";
			return 0;
		}
		if (*p == '\r' && (p[1] != '\n' || p[2] != ' ')) {
			*why = "CR not in a CRLF SP fold";
			return 0;
		}
		if (*p == '\n' && (p == (const unsigned char *)out ||
		    p[-1] != '\r')) {
			*why = "bare LF";
			return 0;
		}
		if (*p < 0x20 && *p != '\r' && *p != '\n') {
			*why = "control character";
			return 0;
		}
	}
	col0 = used;
	for (line = out; line != NULL; line = nl != NULL ? nl + 2 : NULL) {
		nl = strstr(line, "\r\n");
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len > 0 && line[len - 1] == ' ') {
			*why = "line ends in a space";
			return 0;
		}
		if (col0 + len > 78 && (col0 + len > 998 ||
		    memchr(line + 1, ' ', len - 1) != NULL ||
		    strstr(line, "=?") != NULL)) {
			*why = "line too long";
			return 0;
		}
		/* each token that is an encoded word is at most 75 chars */
		for (t = line; t < line + len; t = te + 1) {
			while (t < line + len && *t == ' ')
				t++;
			te = memchr(t, ' ', (size_t)(line + len - t));
			if (te == NULL)
				te = line + len;
			if (te - t >= 2 && t[0] == '=' && t[1] == '?' &&
			    te - t > 75) {
				*why = "encoded word over 75";
				return 0;
			}
		}
		col0 = 0;
	}
	return 1;
}

static void
check(const char *in, enum rfc2047_ctx ctx, size_t used, const char *name)
{
	char		*out, *want, *unf, *dec = NULL, *q;
	const char	*why = "";
	size_t		 idx = 0, i, j;
	int		 r, fails = tap_fail;

	out = rfc2047_encode(in, ctx, used);
	want = header_sanitize(in);
	ok(well_formed(out, used, &why), "%s: well formed %s", name, why);
	unf = xstrdup(out);
	for (i = j = 0; unf[i] != '\0'; i++) {
		if (unf[i] == '\r' && unf[i + 1] == '\n') {
			i++;
			continue;
		}
		unf[j++] = unf[i];
	}
	unf[j] = '\0';
	if (ctx == RFC2047_PHRASE && unf[0] == '"') {
		q = unquote(unf);
		is_str(q, want, "%s: quoted round trip", name);
		free(q);
	} else {
		r = mailmime_encoded_phrase_parse("utf-8", unf, strlen(unf),
		    &idx, "utf-8", &dec);
		if (r != MAILIMF_NO_ERROR && *unf == '\0')
			dec = strdup("");
		is_str(dec, want, "%s: round trip", name);
	}
	if (tap_fail > fails)
		printf("#   encoded: %s\n", out);
	free(dec);
	free(unf);
	free(want);
	free(out);
}

int
main(void)
{
	static const char *cases[] = {
		"Rossi Says Production in the US Has Begun",
		"Caf\xc3\xa9 au lait, cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e",
		"\xc3\x80\xc3\x81\xc3\x82\xc3\x83\xc3\x84\xc3\x85\xc3\x86 \xc3\xbf",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x82\xbf"
		    "\xe3\x82\xa4\xe3\x83\x88\xe3\x83\xab\xe3\x81\xa7\xe3\x81\x99"
		    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x82\xbf"
		    "\xe3\x82\xa4\xe3\x83\x88\xe3\x83\xab\xe3\x81\xa7\xe3\x81\x99",
		"Rossi\xe2\x80\x99s style is scam-style \xf0\x9f\x99\x82",
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82\xf0\x9f\xa4\xa3"
		    "\xf0\x9f\x98\x83\xf0\x9f\x98\x84\xf0\x9f\x98\x85\xf0\x9f\x98\x86"
		    "\xf0\x9f\x98\x89\xf0\x9f\x98\x8a\xf0\x9f\x98\x8b\xf0\x9f\x98\x8e"
		    "\xf0\x9f\x98\x8d\xf0\x9f\x98\x98\xf0\x9f\xa5\xb0\xf0\x9f\x98\x97",
		"line one\r\nSubject: injected\r\n\r\nbody",
		"nul\x01" "bytes\x7f" "and\ttabs\x1b[0m",
		"  leading and   trailing   ",
		"He said \"hi\" (to me) <x@y> [a]; b: c, d. \\e",
		"=?UTF-8?Q?not_an_encoded_word?=",
		"bad \xff\xfe utf8 \xc3 \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 end",
		"\xc2\x85next line \xe2\x80\xa8 separators",
		"a_b=c?d",
		"Dr. M\xc3\xbcller, \"the\" expert",
		"",
		"   ",
		NULL
	};
	char	 big[1200], word[1500], name[32], *s;
	size_t	 i, k;

	for (i = 0; cases[i] != NULL; i++) {
		snprintf(name, sizeof(name), "case %zu", i);
		check(cases[i], RFC2047_TEXT, strlen("Subject: "), name);
		check(cases[i], RFC2047_PHRASE, strlen("From: "), name);
		check(cases[i], RFC2047_TEXT, 0, name);
		check(cases[i], RFC2047_TEXT, 60, name);
		check(cases[i], RFC2047_PHRASE, 60, name);
	}

	/* 300-char titles: ASCII, mixed, all non-ASCII */
	big[0] = '\0';
	for (k = 0; strlen(big) < 300; k++)
		strcat(big, k % 7 == 3 ? "quantenmechanik " : "word ");
	check(big, RFC2047_TEXT, 9, "300 ascii");
	check(big, RFC2047_PHRASE, 6, "300 ascii phrase");
	big[0] = '\0';
	for (k = 0; strlen(big) < 300; k++)
		strcat(big, k % 3 ? "gr\xc3\xbc\xc3\x9f" "e " : "hello ");
	check(big, RFC2047_TEXT, 9, "300 mixed");
	check(big, RFC2047_PHRASE, 6, "300 mixed phrase");
	check(big, RFC2047_TEXT, 70, "300 mixed used 70");
	big[0] = '\0';
	for (k = 0; strlen(big) < 300; k++)
		strcat(big, k % 5 == 4 ? "\xe4\xb8\xad " : "\xe4\xb8\xad");
	check(big, RFC2047_TEXT, 9, "300 cjk");
	big[0] = '\0';
	for (k = 0; strlen(big) < 300; k++)
		strcat(big, "\xf0\x9f\x8e\x89");
	check(big, RFC2047_TEXT, 9, "300 emoji");

	/* a long ASCII word stays whole; past 998 it gets encoded */
	memset(word, 'x', 200);
	strcpy(word + 200, " tail");
	check(word, RFC2047_TEXT, 9, "200-char word");
	s = rfc2047_encode(word, RFC2047_TEXT, 9);
	ok(strncmp(s, word, 200) == 0 && strstr(s, "=?") == NULL,
	    "200-char word unbroken");
	free(s);
	memset(word, 'y', 1400);
	word[1400] = '\0';
	check(word, RFC2047_TEXT, 9, "1400-char word");

	/* exact outputs */
	s = rfc2047_encode("Hello world", RFC2047_TEXT, 9);
	is_str(s, "Hello world", "plain ascii as is");
	free(s);
	s = rfc2047_encode("Luca Salvarani", RFC2047_PHRASE, 6);
	is_str(s, "Luca Salvarani", "plain phrase as is");
	free(s);
	s = rfc2047_encode("Salvarani, Luca", RFC2047_PHRASE, 6);
	is_str(s, "\"Salvarani, Luca\"", "phrase with specials quoted");
	free(s);
	s = rfc2047_encode("a \"b\" \\c", RFC2047_PHRASE, 6);
	is_str(s, "\"a \\\"b\\\" \\\\c\"", "quotes and backslash escaped");
	free(s);
	s = rfc2047_encode("Schr\xc3\xb6" "dinger's cat", RFC2047_TEXT, 9);
	is_str(s, "=?UTF-8?Q?Schr=C3=B6dinger's?= cat",
	    "only the non-ASCII word encoded, Q when shorter");
	free(s);
	s = rfc2047_encode("Caf\xc3\xa9 au lait", RFC2047_TEXT, 9);
	is_str(s, "=?UTF-8?B?Q2Fmw6k=?= au lait", "B when shorter");
	free(s);
	s = rfc2047_encode("J\xc3\xbcrgen Habermas", RFC2047_PHRASE, 6);
	is_str(s, "=?UTF-8?Q?J=C3=BCrgen_Habermas?=", "phrase Q");
	free(s);
	s = rfc2047_encode("J\xc3\xbcrgen (Jay) Habermas", RFC2047_PHRASE, 6);
	is_str(s, "=?UTF-8?Q?J=C3=BCrgen_=28Jay=29_Habermas?=",
	    "phrase Q escapes specials");
	free(s);
	s = rfc2047_encode("a\r\nb", RFC2047_TEXT, 9);
	is_str(s, "a b", "CRLF becomes a space");
	free(s);
	s = rfc2047_encode("", RFC2047_TEXT, 9);
	is_str(s, "", "empty");
	free(s);
	s = header_sanitize("  a\r\n\tb\x00");
	is_str(s, "a b", "sanitize collapses and trims");
	free(s);
	s = header_sanitize("x\xff" "y");
	is_str(s, "x\xef\xbf\xbdy", "sanitize replaces invalid UTF-8");
	free(s);
	s = rfc2047_encode(NULL, RFC2047_TEXT, 9);
	is_str(s, "", "NULL is empty");
	free(s);

	return tap_done();
}
