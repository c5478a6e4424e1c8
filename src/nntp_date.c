/* nntp_date.c: the date and time of NEWGROUPS and NEWNEWS (RFC 3977 7.3.2). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "nntp_cmd.h"

static int
digits2(const char *p)
{
	return (p[0] - '0') * 10 + p[1] - '0';
}

int
nntp_parse_datetime_at(const char *d, const char *t, const char *zone, time_t now,
    time_t *out)
{
	struct tm	 tm, ntm;
	int		 gmt = zone != NULL;
	size_t		 dl = strlen(d);
	int		 y, cy;

	if (gmt && strcasecmp(zone, "GMT") != 0)
		return -1;
	if ((dl != 6 && dl != 8) || strlen(t) != 6 || strspn(d, "0123456789") != dl ||
	    strspn(t, "0123456789") != 6)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (dl == 8) {
		y = digits2(d) * 100 + digits2(d + 2);
		d += 4;
	} else {
		/* RFC 3977 7.3.2: yy up to the current year's is this century, a larger
		 * one the previous century. The current year is the date's own zone's. */
		if ((gmt ? gmtime_r(&now, &ntm) : localtime_r(&now, &ntm)) == NULL)
			return -1;
		cy = ntm.tm_year + 1900;
		y = cy - cy % 100 + digits2(d);
		if (digits2(d) > cy % 100)
			y -= 100;
		d += 2;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = digits2(d) - 1;
	tm.tm_mday = digits2(d + 2);
	tm.tm_hour = digits2(t);
	tm.tm_min = digits2(t + 2);
	tm.tm_sec = digits2(t + 4);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	if (gmt)
		*out = timegm(&tm);
	else {
		tm.tm_isdst = -1;
		*out = mktime(&tm);
	}
	return 0;
}

int
nntp_parse_datetime(const char *d, const char *t, const char *zone, time_t *out)
{
	return nntp_parse_datetime_at(d, t, zone, time(NULL), out);
}
