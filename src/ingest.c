/* ingest.c: format detection, file entry point and helpers shared by the parsers. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"

#define ID_MAX_DIGITS	15	/* ids stay below 2^53 */

static const char *
skip_past(const char *p, const char *e, const char *end)
{
	const char	*q;

	q = memmem(p, (size_t)(e - p), end, strlen(end));
	return q == NULL ? e : q + strlen(end);
}

/* Skip <!DOCTYPE ...>, which may hold an internal subset in brackets. */
static const char *
skip_decl(const char *p, const char *e)
{
	int	 br = 0;
	char	 q = 0;

	for (; p < e; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'')
			q = *p;
		else if (*p == '[')
			br++;
		else if (*p == ']')
			br--;
		else if (*p == '>' && br <= 0)
			return p + 1;
	}
	return e;
}

enum ingest_format
ingest_detect(const char *data, size_t len)
{
	const char	*p = data, *e = data + len, *n, *local, *gt;
	size_t		 nlen, win;

	if (data == NULL)
		return FMT_UNKNOWN;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (;;) {
		while (p < e && isspace((unsigned char)*p))
			p++;
		if (p >= e)
			return FMT_UNKNOWN;
		if (*p == '[' || *p == '{')
			return FMT_WPJSON;
		if (*p != '<' || e - p < 2)
			return FMT_UNKNOWN;
		if (p[1] == '?')
			p = skip_past(p + 2, e, "?>");
		else if (e - p >= 4 && memcmp(p, "<!--", 4) == 0)
			p = skip_past(p + 4, e, "-->");
		else if (p[1] == '!')
			p = skip_decl(p + 2, e);
		else
			break;
	}
	n = local = ++p;
	while (p < e && (isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
	    *p == '.' || *p == ':')) {
		if (*p == ':')
			local = p + 1;
		p++;
	}
	if (p == n)
		return FMT_UNKNOWN;
	nlen = (size_t)(p - local);
	if (nlen == 3 && memcmp(local, "rss", 3) == 0) {
		/* The root tag declares the wp namespace, or the channel says wxr_version. */
		gt = memchr(p, '>', (size_t)(e - p));
		if (gt == NULL)
			gt = e;
		if (memmem(p, (size_t)(gt - p), "wordpress.org/export/", 21) != NULL)
			return FMT_WXR;
		win = (size_t)(e - p) < 65536 ? (size_t)(e - p) : 65536;
		if (memmem(p, win, "wxr_version>", 12) != NULL)
			return FMT_WXR;
		return FMT_RSS;
	}
	if (nlen == 3 && memcmp(local, "RDF", 3) == 0)
		return FMT_RSS;
	if (nlen == 4 && memcmp(local, "feed", 4) == 0)
		return FMT_ATOM;
	if (nlen == 6 && memcmp(local, "disqus", 6) == 0)
		return FMT_DISQUS;
	return FMT_UNKNOWN;
}

const char *
ingest_format_name(enum ingest_format f)
{
	switch (f) {
	case FMT_WXR:
		return "WXR";
	case FMT_ATOM:
		return "Atom";
	case FMT_RSS:
		return "RSS";
	case FMT_WPJSON:
		return "WordPress JSON";
	case FMT_DISQUS:
		return "Disqus";
	case FMT_UNKNOWN:
		break;
	}
	return "unknown";
}

int
ingest_buffer(const char *data, size_t len, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	if (name == NULL)
		name = "(buffer)";
	switch (ingest_detect(data, len)) {
	case FMT_WXR:
		return ingest_wxr(data, len, name, cb, arg, res);
	case FMT_ATOM:
		return ingest_atom(data, len, name, cb, arg, res);
	case FMT_RSS:
		return ingest_rss(data, len, name, cb, arg, res);
	case FMT_WPJSON:
		return ingest_wpjson(data, len, name, cb, arg, res);
	case FMT_DISQUS:
		return ingest_disqus(data, len, name, cb, arg, res);
	case FMT_UNKNOWN:
		break;
	}
	ingest_result_init(res, FMT_UNKNOWN, 0);
	return ingest_error(res, name, 1, "unknown format (expected WXR, Atom, RSS 2.0, "
	    "WordPress REST JSON or a Disqus export)");
}

int
ingest_file(const char *path, ingest_cb cb, void *arg, struct ingest_result *res)
{
	struct stat	 st;
	struct buf	 b;
	char		 chunk[65536];
	void		*map = MAP_FAILED;
	ssize_t		 n;
	int		 fd, rc = -1;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		ingest_result_init(res, FMT_UNKNOWN, 0);
		ingest_error(res, path, 0, "%s", strerror(errno));
		goto done;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			ingest_result_init(res, FMT_UNKNOWN, 0);
			ingest_error(res, path, 0, "mmap: %s", strerror(errno));
			goto done;
		}
		rc = ingest_buffer(map, (size_t)st.st_size, path, cb, arg, res);
		munmap(map, (size_t)st.st_size);
		goto done;
	}
	/* A pipe or an empty file: read what there is. */
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			ingest_result_init(res, FMT_UNKNOWN, 0);
			ingest_error(res, path, 0, "read: %s", strerror(errno));
			goto done;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	rc = ingest_buffer(b.data != NULL ? b.data : "", b.len, path, cb, arg, res);
done:
	if (fd != -1)
		close(fd);
	buf_free(&b);
	return rc;
}

/* Dates */

static int
num(const char **pp, int min, int max, int *v)
{
	const char	*p = *pp;
	int		 n = 0;

	*v = 0;
	while (n < max && isdigit((unsigned char)*p)) {
		*v = *v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min)
		return -1;
	*pp = p;
	return 0;
}

static int
zone(const char *p, int *off)
{
	static const struct { const char *name; int hours; } names[] = {
		{ "GMT", 0 }, { "UTC", 0 }, { "UT", 0 }, { "Z", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};
	size_t	 i;
	int	 sign, h, m = 0;

	*off = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (num(&p, 2, 2, &h) == -1)
			return -1;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && num(&p, 2, 2, &m) == -1)
			return -1;
		if (h > 23 || m > 59)
			return -1;
		*off = sign * (h * 3600 + m * 60);
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t	 l = strlen(names[i].name);

		if (strncasecmp(p, names[i].name, l) == 0 &&
		    !isalpha((unsigned char)p[l])) {
			*off = names[i].hours * 3600;
			return 0;
		}
	}
	/* Other names (military letters, "CEST"...): RFC 5322 says treat as -0000. */
	return isalpha((unsigned char)*p) ? 0 : -1;
}

static time_t
make_time(int y, int mo, int d, int h, int mi, int s, int off)
{
	struct tm	 tm;
	time_t		 t;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 24 || mi > 59 || s > 60)
		return 0;
	if (s == 60)
		s = 59;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return 0;
	t -= off;
	return t > 0 ? t : 0;
}

time_t
ingest_parse_date(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	const char	*p = s, *m;
	int		 y, mo, d, h, mi, sec = 0, off = 0;
	char		 mon[4];

	if (s == NULL)
		return 0;
	while (isspace((unsigned char)*p))
		p++;
	if (isdigit((unsigned char)p[0]) && num(&p, 4, 4, &y) == 0 && *p == '-') {
		/* RFC 3339 / ISO 8601 / MySQL "YYYY-MM-DD HH:MM:SS" */
		p++;
		if (num(&p, 2, 2, &mo) == -1 || *p++ != '-' || num(&p, 2, 2, &d) == -1)
			return 0;
		if (*p != 'T' && *p != 't' && *p != ' ')
			return 0;
		p++;
		if (num(&p, 2, 2, &h) == -1 || *p++ != ':' || num(&p, 2, 2, &mi) == -1)
			return 0;
		if (*p == ':') {
			p++;
			if (num(&p, 2, 2, &sec) == -1)
				return 0;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return 0;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (zone(p, &off) == -1)
			return 0;
		return make_time(y, mo, d, h, mi, sec, off);
	}
	/* RFC 822 / 5322: [Day,] DD Mon YYYY HH:MM[:SS] zone */
	p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		if (*p == ',')
			p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (num(&p, 1, 2, &d) == -1)
		return 0;
	while (*p == ' ' || *p == '-')
		p++;
	if (!isalpha((unsigned char)p[0]) || !isalpha((unsigned char)p[1]) ||
	    !isalpha((unsigned char)p[2]))
		return 0;
	mon[0] = (char)tolower((unsigned char)p[0]);
	mon[1] = (char)tolower((unsigned char)p[1]);
	mon[2] = (char)tolower((unsigned char)p[2]);
	mon[3] = '\0';
	if ((m = strstr(months, mon)) == NULL || (m - months) % 3 != 0)
		return 0;
	mo = (int)(m - months) / 3 + 1;
	while (isalpha((unsigned char)*p))
		p++;
	while (*p == ' ' || *p == '-')
		p++;
	if (num(&p, 2, 4, &y) == -1)
		return 0;
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	while (isspace((unsigned char)*p))
		p++;
	if (num(&p, 1, 2, &h) == -1 || *p++ != ':' || num(&p, 2, 2, &mi) == -1)
		return 0;
	if (*p == ':') {
		p++;
		if (num(&p, 2, 2, &sec) == -1)
			return 0;
	}
	if (zone(p, &off) == -1)
		return 0;
	return make_time(y, mo, d, h, mi, sec, off);
}

/* Ids */

static long long
digits_at(const char *p)
{
	long long	 v = 0;
	int		 n = 0;

	while (isdigit((unsigned char)*p)) {
		if (++n > ID_MAX_DIGITS)
			return 0;
		v = v * 10 + (*p++ - '0');
	}
	return v;
}

long long
ingest_id_from_url(const char *url, const char *key)
{
	const char	*p;
	char		 alt[64];
	size_t		 klen;
	long long	 v;

	if (url == NULL || key == NULL || (klen = strlen(key)) == 0)
		return 0;
	for (p = url; (p = strstr(p, key)) != NULL; p++)
		if ((v = digits_at(p + klen)) > 0)
			return v;
	/* "?p=" also as a later query parameter: "&p=". */
	if (key[0] == '?' && klen < sizeof(alt)) {
		alt[0] = '&';
		memcpy(alt + 1, key + 1, klen);
		for (p = url; (p = strstr(p, alt)) != NULL; p++)
			if ((v = digits_at(p + klen)) > 0)
				return v;
	}
	return 0;
}

long long
ingest_comment_id(const char *url)
{
	long long	 v;

	if ((v = ingest_id_from_url(url, "#comment-")) > 0 ||
	    (v = ingest_id_from_url(url, "replytocom=")) > 0 ||
	    (v = ingest_id_from_url(url, "comment-")) > 0)
		return v;
	return 0;
}

long long
ingest_leading_id(const char *s)
{
	const char	*p;
	long long	 v;

	if (s == NULL)
		return 0;
	while (isspace((unsigned char)*s))
		s++;
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (p == s || (*p != '\0' && !isspace((unsigned char)*p)))
		return 0;
	v = digits_at(s);
	return v;
}

long long
ingest_hash_id(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;	/* FNV-1a */
	long long	 v;

	if (s == NULL)
		s = "";
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	v = (long long)(h & ((1ULL << 53) - 1));
	return v == 0 ? 1 : v;
}

char *
ingest_strip_fragment(const char *url)
{
	char	*s, *p, *q;

	if (url == NULL)
		return NULL;
	s = xstrdup(url);
	if ((p = strchr(s, '#')) != NULL)
		*p = '\0';
	/* "?p=42&replytocom=77", "?replytocom=77" */
	if ((p = strstr(s, "replytocom=")) != NULL && p > s && (p[-1] == '?' || p[-1] == '&')) {
		for (q = p + 11; isdigit((unsigned char)*q); q++)
			;
		if (*q == '&')
			memmove(p, q + 1, strlen(q + 1) + 1);
		else if (*q == '\0')
			p[-1] = '\0';
	}
	/* WordPress paged comments: ".../post/comment-page-2/" */
	if ((p = strstr(s, "comment-page-")) != NULL && p > s && p[-1] == '/') {
		for (q = p + 13; isdigit((unsigned char)*q); q++)
			;
		if (q > p + 13 && (*q == '\0' || (*q == '/' && q[1] == '\0')))
			*p = '\0';
	}
	return s;
}

char *
ingest_html_escape(const char *s)
{
	struct buf	 b;

	buf_init(&b);
	if (s != NULL)
		ingest_html_add(&b, s, strlen(s));
	return buf_steal(&b);
}

void
ingest_html_add(struct buf *b, const char *p, size_t n)
{
	size_t		 i, start = 0;
	const char	*e;

	for (i = 0; i < n; i++) {
		e = p[i] == '&' ? "&amp;" : p[i] == '<' ? "&lt;" : p[i] == '>' ? "&gt;" :
		    p[i] == '"' ? "&quot;" : NULL;
		if (e != NULL) {
			buf_add(b, p + start, i - start);
			buf_adds(b, e);
			start = i + 1;
		}
	}
	buf_add(b, p + start, n - start);
}

/* One-line fields: control characters (C0, DEL, C1, U+2028/9) and white space runs
 * become one space; no leading or trailing space. */
static void
clean_line(char *s)
{
	unsigned char	*r = (unsigned char *)s, *w = (unsigned char *)s;
	int		 sp = 0;

	if (s == NULL)
		return;
	while (*r != '\0') {
		if (*r <= 0x20 || *r == 0x7f) {
			sp = 1;
			r++;
			continue;
		}
		if (r[0] == 0xc2 && r[1] >= 0x80 && r[1] <= 0x9f) {
			sp = 1;
			r += 2;
			continue;
		}
		if (r[0] == 0xe2 && r[1] == 0x80 && (r[2] == 0xa8 || r[2] == 0xa9)) {
			sp = 1;
			r += 3;
			continue;
		}
		if (sp && w != (unsigned char *)s)
			*w++ = ' ';
		sp = 0;
		*w++ = *r++;
	}
	*w = '\0';
}

/* HTML keeps tabs and newlines; CR and CRLF become LF, other controls go. */
static void
clean_html(char *s)
{
	unsigned char	*r = (unsigned char *)s, *w = (unsigned char *)s;

	if (s == NULL)
		return;
	for (; *r != '\0'; r++) {
		if (*r == '\r') {
			if (r[1] != '\n')
				*w++ = '\n';
		} else if ((*r < 0x20 && *r != '\t' && *r != '\n') || *r == 0x7f)
			continue;
		else
			*w++ = *r;
	}
	*w = '\0';
}

void
ingest_add_category(struct item *it, const char *name)
{
	char	*c;
	int	 i;

	if (name == NULL)
		return;
	c = xstrdup(name);
	clean_line(c);
	for (i = 0; i < it->ncategories; i++)
		if (strcmp(it->categories[i], c) == 0)
			break;
	if (*c == '\0' || i < it->ncategories) {
		free(c);
		return;
	}
	it->categories = xreallocarray(it->categories, (size_t)it->ncategories + 1,
	    sizeof(*it->categories));
	it->categories[it->ncategories++] = c;
}

void
ingest_result_init(struct ingest_result *res, enum ingest_format f, int full)
{
	res->format = f;
	res->full = full;
	res->items = 0;
	res->error[0] = '\0';
}

int
ingest_error(struct ingest_result *res, const char *name, long line, const char *fmt, ...)
{
	char	 msg[400];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clean_line(msg);
	if (line > 0)
		snprintf(res->error, sizeof(res->error), "%s:%ld: %s", name, line, msg);
	else
		snprintf(res->error, sizeof(res->error), "%s: %s", name, msg);
	return -1;
}

int
ingest_emit(struct item *it, const char *name, ingest_cb cb, void *arg,
    struct ingest_result *res)
{
	clean_line(it->post_link);
	clean_line(it->title);
	clean_line(it->author);
	clean_line(it->author_email);
	clean_line(it->author_url);
	clean_line(it->link);
	clean_html(it->html);
	if (it->author == NULL)
		it->author = xstrdup("");
	res->items++;
	if (cb != NULL && cb(it, arg) == -1) {
		if (res->error[0] == '\0')
			ingest_error(res, name, it->line, "stopped by the caller");
		return -1;
	}
	return 0;
}
