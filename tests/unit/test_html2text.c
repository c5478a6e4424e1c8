/* test_html2text.c: golden files in tests/data/html and flowed-text properties. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html2text.h"
#include "log.h"
#include "utf8.h"
#include "tap.h"

static size_t
quotes(const char *l, size_t len)
{
	size_t	n = 0;

	while (n < len && l[n] == '>')
		n++;
	return n;
}

/* Format=flowed properties; returns NULL or what is wrong. */
static const char *
flowed_ok(const char *t, int width, int verbatim)
{
	const char	*l, *e, *nl, *w, *we;
	size_t		 len, chars, i, longest;

	if (*t == '\0')
		return NULL;
	if (!utf8_valid((const unsigned char *)t, strlen(t)))
		return "invalid UTF-8";
	len = strlen(t);
	if (t[len - 1] != '\n' || (len > 1 && t[len - 2] == '\n'))
		return "does not end in exactly one newline";
	if (t[0] == '\n')
		return "leading blank line";
	if (!verbatim && strstr(t, "\n\n\n") != NULL)
		return "two blank lines in a row";
	for (l = t; *l != '\0'; l = e + 1) {
		e = strchr(l, '\n');
		len = (size_t)(e - l);
		if (len > 998)
			return "line over 998 octets";
		if (len == 3 && memcmp(l, "-- ", 3) == 0)
			return "soft line looks like a signature cut";
		if (len > 0 && l[len - 1] == '\t')
			return "trailing tab";
		if (len > 1 && l[len - 1] == ' ' && l[len - 2] == ' ')
			return "two trailing spaces";
		if (len > 0 && l[len - 1] == ' ') {
			nl = e + 1;
			if (*nl == '\0')
				return "last line is soft";
			if (*nl == '\n' || quotes(nl, strlen(nl)) !=
			    quotes(l, len))
				return "soft line before a paragraph end";
		}
		if (len >= 5 && memcmp(l, "From ", 5) == 0)
			return "unstuffed From";
		for (chars = i = 0; i < len; i++)
			if (((unsigned char)l[i] & 0xc0) != 0x80)
				chars++;
		if (chars <= (size_t)width + 1 || verbatim)
			continue;
		/* only an unbreakable word may make a line long */
		longest = 0;
		for (w = l; w < l + len; w = we + 1) {
			we = memchr(w, ' ', (size_t)(l + len - w));
			if (we == NULL)
				we = l + len;
			if ((size_t)(we - w) > longest)
				longest = (size_t)(we - w);
		}
		if (longest < (size_t)width / 2)
			return "line too long";
	}
	return NULL;
}

static void
golden(const char *dir, const char *name)
{
	char		*hp, *tp, *html, *want, *got;
	const char	*why;
	size_t		 hl = 0, tl;

	xasprintf(&hp, "%s/%s.html", dir, name);
	xasprintf(&tp, "%s/%s.txt", dir, name);
	html = tap_slurp(hp, &hl);
	want = tap_slurp(tp, &tl);
	ok(html != NULL && want != NULL, "%s: read pair", name);
	if (html != NULL && want != NULL) {
		got = html2text(html, hl, 72);
		ok(strlen(got) == tl && memcmp(got, want, tl) == 0,
		    "%s: matches golden", name);
		if (strlen(got) != tl || memcmp(got, want, tl) != 0)
			printf("# --- got:\n%s# ---\n", got);
		why = flowed_ok(got, 72, strncmp(name, "pre", 3) == 0);
		ok(why == NULL, "%s: flowed properties %s", name,
		    why ? why : "");
		free(got);
	}
	free(html);
	free(want);
	free(hp);
	free(tp);
}

static void
conv(const char *html, const char *want, const char *msg)
{
	char		*got = html2text(html, strlen(html), 72);
	const char	*why = flowed_ok(got, 72, 0);

	is_str(got, want, "%s", msg);
	ok(why == NULL, "%s: properties %s", msg, why ? why : "");
	free(got);
}

int
main(void)
{
	const char	*top = getenv("top_srcdir");
	char		*dir, *s, *name;
	DIR		*d;
	struct dirent	*de;
	struct buf	 b;
	size_t		 n, pairs = 0, i;

	if (top == NULL)
		top = ".";
	xasprintf(&dir, "%s/tests/data/html", top);
	if ((d = opendir(dir)) == NULL) {
		ok(0, "open %s", dir);
		return tap_done();
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".html") != 0)
			continue;
		name = xstrndup(de->d_name, n - 5);
		golden(dir, name);
		free(name);
		pairs++;
	}
	closedir(d);
	free(dir);
	ok(pairs >= 12, "%zu golden pairs", pairs);

	conv("", "", "empty input");
	conv("   \n  ", "", "only whitespace");
	conv("<script>x</script>", "", "only a script");
	conv("plain text", "plain text\n", "text without tags");
	conv("<p>From here</p>", " From here\n", "From is stuffed");
	conv("<p> leading space</p>", "leading space\n", "leading space dropped");
	conv("<p>a&nbsp;b</p>", "a b\n", "nbsp becomes a space");
	conv("<p>-- <br>sig</p>", "--\nsig\n", "no signature cut");
	conv("<blockquote><blockquote><blockquote>deep</blockquote>"
	    "</blockquote></blockquote>", ">>> deep\n", "three deep");
	conv("<blockquote><p>a</p></blockquote><p>b</p>"
	    "<blockquote><p>c</p></blockquote>", "> a\n\nb\n\n> c\n",
	    "quote, text, quote");
	conv("<blockquote><pre>x\n\ny</pre></blockquote>", "> x\n>\n> y\n",
	    "empty quoted pre line has no trailing space");
	conv("<ul><li></li><li>b</li></ul>", "* b\n", "empty item dropped");
	conv("<a href=\"https://a.example/\">A</a> <a href=\"https://b.example/\">"
	    "B</a> <a href=\"https://a.example/\">A</a>",
	    "A [1] B [2] A [1]\n\n[1] https://a.example/\n[2] https://b.example/\n",
	    "footnotes are numbered once per URL");
	conv("<a href=\" https://a.example/x y\n\">t</a>",
	    "t [1]\n\n[1] https://a.example/x%20y\n", "href trimmed, space escaped");
	conv("<p>x\r\ny\r\n\r\nz</p>", "x y\n\nz\n",
	    "blank line in the source is a paragraph break");

	/* deep nesting: capped prefixes; past libxml2's limit, no crash */
	buf_init(&b);
	for (i = 0; i < 150; i++)
		buf_adds(&b, i % 4 ? "<blockquote>" : "<div><ul><li>");
	buf_adds(&b, "deep text that is long enough to be wrapped several times "
	    "over even at the deepest level of nesting that we support here");
	s = html2text(b.data, b.len, 72);
	ok(flowed_ok(s, 72, 0) == NULL && strstr(s, "deep text") != NULL,
	    "226 nested elements");
	free(s);
	for (i = 0; i < 3000; i++)
		buf_adds(&b, "<blockquote><ol><li>");
	s = html2text(b.data, b.len, 72);
	ok(flowed_ok(s, 72, 0) == NULL, "9000 nested elements");
	free(s);
	buf_free(&b);

	/* a long run of CJK (no spaces) is cut under 998 octets */
	buf_init(&b);
	for (i = 0; i < 2000; i++)
		buf_adds(&b, "\xe6\x97\xa5");
	s = html2text(b.data, b.len, 72);
	ok(flowed_ok(s, 72, 0) == NULL, "6000 octets of CJK split on "
	    "character boundaries");
	free(s);
	buf_free(&b);

	s = html2text("<p>a b c d e f</p>", 17, 0);
	is_str(s, "a b c d e f\n", "width 0 means the default");
	free(s);
	s = html2text(NULL, 0, 72);
	is_str(s, "", "NULL input");
	free(s);

	s = html_entities_decode("Rossi&#8217;s &amp;amp; &lt;b&gt; caf&eacute; "
	    "&#x1F642; &#150; &bogus; &amp &#0; &apos;");
	is_str(s, "Rossi\xe2\x80\x99s &amp; <b> caf\xc3\xa9 \xf0\x9f\x99\x82 "
	    "\xe2\x80\x93 &bogus; &amp \xef\xbf\xbd '", "entities decoded once");
	free(s);
	s = html_entities_decode("&#99999999999999; &#x; &");
	is_str(s, "\xef\xbf\xbd &#x; &", "bad numeric references");
	free(s);
	s = html_entities_decode(NULL);
	is_str(s, "", "NULL title");
	free(s);

	return tap_done();
}
