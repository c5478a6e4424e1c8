/* test_trim.c: reply trimming against sample mails (tests/data/trim/NAME.in/.out). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "trim.h"
#include "tap.h"

static const char *
srcdir(void)
{
	const char	*d = getenv("top_srcdir");

	return d != NULL && *d != '\0' ? d : ".";
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static void
test_samples(void)
{
	DIR		 *d;
	struct dirent	 *de;
	char		**names = NULL, *dir, *path, *in, *want, *got, *again;
	size_t		  n = 0, i, len;

	xasprintf(&dir, "%s/tests/data/trim", srcdir());
	if ((d = opendir(dir)) == NULL) {
		ok(0, "open %s", dir);
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".in") != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrndup(de->d_name, len - 3);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	ok(n >= 20, "%zu sample mails", n);

	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s.in", dir, names[i]);
		in = tap_slurp(path, NULL);
		free(path);
		xasprintf(&path, "%s/%s.out", dir, names[i]);
		want = tap_slurp(path, NULL);
		free(path);
		if (in == NULL || want == NULL) {
			ok(0, "%s: .in and .out readable", names[i]);
		} else {
			got = trim_reply(in);
			is_str(got, want, "%s", names[i]);
			again = trim_reply(got);
			is_str(again, got, "%s: trimming twice changes nothing", names[i]);
			free(again);
			free(got);
		}
		free(in);
		free(want);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static void
trims(const char *in, const char *want, const char *what)
{
	char	*got = trim_reply(in);

	is_str(got, want, "%s", what);
	free(got);
}

static void
test_inline(void)
{
	trims("", "", "empty");
	trims("\n\n \t\n", "", "only blank lines");
	trims("no newline at the end", "no newline at the end\n", "last line without LF");
	trims("> quote only", "", "a lone quote line");
	trims("-- \nsig only\n", "", "a lone signature");
	trims("Sent from my iPhone\n", "", "only a mobile footer");
	trims("text\n>\n", "text\n", "an empty quote line is still a quote");
	trims(" > indented\n", " > indented\n", "an indented '>' is own text");
	trims("From: the lab in Bologna\nTo: anyone who asks\nSubject: heat\n",
	    "From: the lab in Bologna\nTo: anyone who asks\nSubject: heat\n",
	    "From:/To:/Subject: without a date is own text");
	trims("Bob wrote:\n> a\nanswer\n", "Bob wrote:\n> a\nanswer\n",
	    "weak attribution mid-text is kept");
	trims("answer\n\nBob wrote:\n> a\n", "answer\n",
	    "weak attribution above the trailing quote goes");
	trims("On the whole I agree.\nwrote:\n> a\n", "On the whole I agree.\n",
	    "a non-dated line is not the first half of a wrapped attribution");
	trims("A\n\n-----Original Message-----\nB\n", "A\n", "original marker");
	trims("A\n\n---------- Original Message ----------\nB\n", "A\n",
	    "original marker with more dashes");
	trims("A\n--\nB\n--\nC\n", "A\n--\nB\n", "only one loose separator is cut");
	trims("A\n--\n1\n2\n3\n4\n", "A\n", "loose separator with four lines under it");
	trims("A\n--\n1\n2\n3\n4\n5\n", "A\n--\n1\n2\n3\n4\n5\n",
	    "loose separator with five lines under it is kept");
	trims("A\n-- \n1\n2\n3\n4\n5\n6\n", "A\n", "a strict separator cuts any length");
	trims("> a\nA\n-- \n> b\nc\n", "> a\nA\n",
	    "the separator cuts even before more own text");
	trims("> q\nA\n> q2\nB\n> q3\n", "> q\nA\n> q2\nB\n", "interleaved, tail dropped");
	trims("text\r\n-- \r\nsig\r\n", "text\n", "CRLF signature separator");
	trims("x\n________________\nnot outlook\n",
	    "x\n________________\nnot outlook\n", "an underscore rule alone is own text");
}

int
main(void)
{
	test_samples();
	test_inline();
	return tap_done();
}
