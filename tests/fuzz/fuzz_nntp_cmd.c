/* fuzz_nntp_cmd.c: libFuzzer harness for the NNTP command-line parsers: nntp_split,
 * nntp_parse_range (nntp_cmd.c) and nntp_parse_datetime (nntp_date.c).
 * Input: one command line as the server would see it (at most 512 octets, no CRLF,
 * no NUL); every word is also tried as a range, and the words as a date and time. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nntp.h"
#include "nntp_cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_range(const char *w)
{
	long long	 lo = -1, hi = -1;
	const char	*dash;

	if (nntp_parse_range(w, &lo, &hi) == -1)
		return;
	if (lo < 0 || hi < 0)
		abort();
	dash = strchr(w, '-');
	if (dash == NULL && lo != hi)
		abort();
	if (strspn(w, "0123456789-") != strlen(w))
		abort();	/* only digits and one dash are a range */
	if (dash != NULL && strchr(dash + 1, '-') != NULL)
		abort();
}

static void
check_datetime(const char *d, const char *t, const char *zone)
{
	time_t		 when;
	struct tm	 tm;
	char		 buf[32];

	if (nntp_parse_datetime(d, t, zone, &when) == -1)
		return;
	if (strlen(t) != 6 || (strlen(d) != 6 && strlen(d) != 8))
		abort();
	/* A real GMT date with a four-digit year and no leap second comes back. */
	if (zone != NULL && strlen(d) == 8 && strncmp(d, "1970", 4) >= 0 &&
	    strncmp(d + 6, "29", 2) < 0 && strncmp(t + 4, "60", 2) < 0) {
		if (gmtime_r(&when, &tm) == NULL)
			abort();
		snprintf(buf, sizeof(buf), "%04d%02d%02d %02d%02d%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (strncmp(buf, d, 8) != 0 || strncmp(buf + 9, t, 6) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 line[NNTP_MAX_LINE], copy[NNTP_MAX_LINE];
	char	*argv[NNTP_MAX_ARGS];
	int	 argc, i;

	if (size + 2 > NNTP_MAX_LINE || memchr(data, '\0', size) != NULL)
		return 0;	/* the server answers 501 before parsing */
	memcpy(line, data, size);
	line[size] = '\0';
	memcpy(copy, line, size + 1);

	argc = nntp_split(line, argv, NNTP_MAX_ARGS);
	if (argc < -1 || argc > NNTP_MAX_ARGS)
		abort();
	if (argc == -1)
		argc = NNTP_MAX_ARGS;	/* the words found so far are still set */
	for (i = 0; i < argc; i++) {
		if (argv[i] < line || argv[i] >= line + size + 1)
			abort();
		if (argv[i][0] == '\0' || strpbrk(argv[i], " \t") != NULL)
			abort();
		/* the word is where it was in the line */
		if (strncmp(copy + (argv[i] - line), argv[i], strlen(argv[i])) != 0)
			abort();
		check_range(argv[i]);
	}
	for (i = 0; i + 1 < argc; i++) {
		check_datetime(argv[i], argv[i + 1], NULL);
		check_datetime(argv[i], argv[i + 1], i + 2 < argc ? argv[i + 2] : "GMT");
	}
	return 0;
}
