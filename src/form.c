/* form.c: one field of a form body, urlencoded or multipart/form-data. Nothing here
 * trusts the body to be NUL-terminated, well-formed or small. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "form.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode p..e (urlencoded) into out; -1 if malformed or too long. */
static int
urldecode(const char *p, const char *e, char *out, size_t outlen)
{
	size_t	n = 0;
	int	hi, lo, c;

	for (; p < e; p++) {
		c = (unsigned char)*p;
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (e - p < 3 || (hi = hexval(p[1])) < 0 || (lo = hexval(p[2])) < 0)
				return -1;
			c = hi * 16 + lo;
			p += 2;
		}
		if (c == '\0' || n + 1 >= outlen)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

static int
urlencoded(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	const char	*p = body, *end = body + len, *amp, *eq;
	char		 key[128];
	int		 n;

	for (n = 0; p < end && n < FORM_MAX_PARTS; n++, p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (amp == p)
			continue;	/* "a=1&&b=2" */
		if (urldecode(p, eq, key, sizeof(key)) == -1)
			return -1;
		if (strcmp(key, name) != 0)
			continue;
		if (eq == amp) {
			if (outlen == 0)
				return -1;
			out[0] = '\0';
			return 0;
		}
		return urldecode(eq + 1, amp, out, outlen);
	}
	return 1;
}

/* The value of parameter `param` of a header value (a token or a quoted string,
 * backslash escapes undone) into out; 0, 1 (absent) or -1. */
static int
header_param(const char *v, const char *e, const char *param, char *out, size_t outlen)
{
	size_t	pl = strlen(param), n;
	const char *p = v;

	while (p < e) {
		if ((p = memchr(p, ';', (size_t)(e - p))) == NULL)
			return 1;
		p++;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(e - p) <= pl || strncasecmp(p, param, pl) != 0 || p[pl] != '=')
			continue;
		p += pl + 1;
		n = 0;
		if (p < e && *p == '"') {
			for (p++; p < e && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < e)
					p++;
				if (n + 1 >= outlen)
					return -1;
				out[n++] = *p;
			}
			if (p == e)
				return -1;	/* unterminated */
		} else
			for (; p < e && *p != ';' && *p != ' ' && *p != '\t'; p++) {
				if (n + 1 >= outlen)
					return -1;
				out[n++] = *p;
			}
		out[n] = '\0';
		return 0;
	}
	return 1;
}

/* RFC 7578: parts between "--boundary" lines; each has headers, an empty line, and
 * its value up to the CRLF before the next delimiter. */
static int
multipart(const char *ctype, const char *body, size_t len, const char *name, char *out,
    size_t outlen)
{
	char		 bnd[80], delim[84], field[128];
	const char	*p, *end = body + len, *hend, *next, *h, *he;
	size_t		 dl, vl;
	int		 n, found;

	if (header_param(ctype, ctype + strlen(ctype), "boundary", bnd, sizeof(bnd)) != 0 ||
	    bnd[0] == '\0' || strlen(bnd) > 70)	/* RFC 2046 5.1.1 */
		return -1;
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", bnd);
	/* The first delimiter may open the body (no CRLF before it). */
	if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0)
		p = body + dl - 2;
	else if ((p = memmem(body, len, delim, dl)) != NULL)
		p += dl;
	else
		return -1;
	for (n = 0; n < FORM_MAX_PARTS; n++) {
		/* After a delimiter: "--" ends the body, else the rest of the line. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 1;
		if ((p = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			return -1;
		p += 2;
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			hend = p - 2;	/* no headers at all */
		else if ((hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) == NULL)
			return -1;
		if ((next = memmem(hend + 2, (size_t)(end - hend - 2), delim, dl)) == NULL)
			return -1;
		found = 0;
		for (h = p; h < hend + 2; h = he + 2) {
			he = memmem(h, (size_t)(hend + 2 - h), "\r\n", 2);
			if (he == NULL)
				break;
			if (he - h > 20 && strncasecmp(h, "Content-Disposition:", 20) == 0 &&
			    header_param(h + 20, he, "name", field, sizeof(field)) == 0 &&
			    strcmp(field, name) == 0)
				found = 1;
		}
		if (found) {
			const char *v = hend + 4 <= next ? hend + 4 : next;

			vl = (size_t)(next - v);
			if (vl + 1 > outlen || memchr(v, '\0', vl) != NULL)
				return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p = next + dl;
	}
	return -1;
}

int
form_field(const char *ctype, const char *body, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t	tl;

	if (ctype == NULL)
		return -1;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	tl = strcspn(ctype, "; \t");
	if (tl == 33 && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
		return urlencoded(body, len, name, out, outlen);
	if (tl == 19 && strncasecmp(ctype, "multipart/form-data", 19) == 0)
		return multipart(ctype, body, len, name, out, outlen);
	return -1;
}
