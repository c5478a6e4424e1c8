/* test_nntp_date.c: NEWGROUPS/NEWNEWS dates (RFC 3977 7.3.2), two-digit years around
 * the century boundary against an injected "now". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nntp_cmd.h"
#include "tap.h"

/* 00:00:00 GMT on 1 July of year y. */
static time_t
midyear(int y)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = 6;
	tm.tm_mday = 1;
	return timegm(&tm);
}

/* The GMT year of date d at 000000 GMT, parsed at now; -1 if refused. */
static int
year_of(const char *d, time_t now)
{
	struct tm	tm;
	time_t		t;

	if (nntp_parse_datetime_at(d, "000000", "GMT", now, &t) == -1)
		return -1;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

#define Y(d, nowy, want) is_int(year_of(d, midyear(nowy)), want, \
	"%s in %d is %d", d, nowy, want)

int
main(void)
{
	time_t	t, now = midyear(2025);

	/* yy <= the current year's: this century; larger: the previous one. */
	Y("250101", 2025, 2025);
	Y("240101", 2025, 2024);
	Y("000101", 2025, 2000);
	Y("260101", 2025, 1926);	/* not 2026: a +-50 window would say so */
	Y("750101", 2025, 1975);
	Y("760101", 2025, 1976);	/* a +-50 window would say 2076 */
	Y("990101", 2025, 1999);
	Y("000101", 2000, 2000);
	Y("010101", 2000, 1901);
	Y("990101", 2099, 2099);
	Y("000101", 2100, 2100);
	Y("990101", 2100, 2099);
	Y("700101", 1999, 1970);
	Y("000101", 1999, 1900);

	/* The current year is that of "now" on the day it changes, in the date's zone. */
	{
		struct tm	tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 2026 - 1900;
		tm.tm_mon = 0;
		tm.tm_mday = 1;
		is_int(year_of("260101", timegm(&tm)), 2026, "26 at 2026-01-01 00:00 GMT");
		is_int(year_of("260101", timegm(&tm) - 1), 1926, "26 a second earlier");
	}

	/* Four-digit years are taken as given. */
	Y("20260101", 2025, 2026);
	Y("19260101", 2025, 1926);
	ok(nntp_parse_datetime_at("20250301", "123456", "GMT", now, &t) == 0 &&
	    t == 1740832496, "20250301 123456 GMT exact");
	ok(nntp_parse_datetime_at("250301", "123456", "gmt", now, &t) == 0 &&
	    t == 1740832496, "250301 123456 gmt: the same");

	/* Local time: the same year rule. */
	{
		struct tm	tm;

		ok(nntp_parse_datetime_at("260615", "120000", NULL, now, &t) == 0,
		    "local time parses");
		localtime_r(&t, &tm);
		is_int(tm.tm_year + 1900, 1926, "local 26 in 2025 is 1926");
		is_int(tm.tm_hour, 12, "local 12:00 stays 12:00");
	}

	/* Malformed. */
	ok(nntp_parse_datetime_at("2501011", "000000", "GMT", now, &t) == -1, "7 digits");
	ok(nntp_parse_datetime_at("2501", "000000", "GMT", now, &t) == -1, "4 digits");
	ok(nntp_parse_datetime_at("25x101", "000000", "GMT", now, &t) == -1, "non-digit");
	ok(nntp_parse_datetime_at("251301", "000000", "GMT", now, &t) == -1, "month 13");
	ok(nntp_parse_datetime_at("250100", "000000", "GMT", now, &t) == -1, "day 0");
	ok(nntp_parse_datetime_at("250101", "240000", "GMT", now, &t) == -1, "hour 24");
	ok(nntp_parse_datetime_at("250101", "006000", "GMT", now, &t) == -1, "minute 60");
	ok(nntp_parse_datetime_at("250101", "00000", "GMT", now, &t) == -1, "short time");
	ok(nntp_parse_datetime_at("250101", "000000", "UTC", now, &t) == -1, "not GMT");

	/* The wrapper takes the clock's now. */
	ok(nntp_parse_datetime("19700101", "000000", "GMT", &t) == 0 && t == 0, "epoch");
	return tap_done();
}
