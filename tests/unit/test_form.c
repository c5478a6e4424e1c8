/* test_form.c: form bodies (urlencoded and multipart/form-data), as RFC 8058 clients
 * and browsers send them, and what is refused. */
#include <stdio.h>
#include <string.h>

#include "form.h"
#include "tap.h"

#define URL	"application/x-www-form-urlencoded"
#define MP	"multipart/form-data; boundary=----x1"

static int
field(const char *ctype, const char *body, const char *name, char *out, size_t outlen)
{
	return form_field(ctype, body, strlen(body), name, out, outlen);
}

static void
test_urlencoded(void)
{
	char	v[64];

	is_int(field(URL, "List-Unsubscribe=One-Click", "List-Unsubscribe", v, sizeof(v)), 0,
	    "RFC 8058 body");
	is_str(v, "One-Click", "... its value");
	is_int(field("Application/X-WWW-Form-Urlencoded; charset=UTF-8",
	    "a=1&List-Unsubscribe=One-Click&b=2", "List-Unsubscribe", v, sizeof(v)), 0,
	    "type case-insensitive with a parameter, among other fields");
	is_str(v, "One-Click", "... its value");
	is_int(field(URL, "List%2DUnsubscribe=One%2dClick", "List-Unsubscribe", v, sizeof(v)),
	    0, "percent-encoded name and value");
	is_str(v, "One-Click", "... decoded");
	is_int(field(URL, "q=a+b%20c", "q", v, sizeof(v)), 0, "plus and %%20");
	is_str(v, "a b c", "... both spaces");
	is_int(field(URL, "&&x&q=", "q", v, sizeof(v)), 0, "empty fields skipped, empty value");
	is_str(v, "", "... empty");
	is_int(field(URL, "x", "x", v, sizeof(v)), 0, "a name without '='");
	is_int(field(URL, "List-Unsubscribe=One-Click", "confirm", v, sizeof(v)), 1,
	    "absent field: 1");
	is_int(field(URL, "", "q", v, sizeof(v)), 1, "empty body: 1");
	is_int(field(URL, "q=%4", "q", v, sizeof(v)), -1, "truncated %%X");
	is_int(field(URL, "q=%zz", "q", v, sizeof(v)), -1, "bad hex");
	is_int(field(URL, "q=%00", "q", v, sizeof(v)), -1, "NUL refused");
	is_int(field(URL, "q=0123456789", "q", v, 10), -1, "too long for out");
	is_int(field(URL, "q=012345678", "q", v, 10), 0, "exactly fits");
	is_int(form_field(URL, "q=ab&r=1", 4, "q", v, sizeof(v)), 0, "len bounds the body");
	is_str(v, "ab", "... not read past it");
	is_int(field("text/plain", "q=1", "q", v, sizeof(v)), -1, "another type: -1");
	is_int(form_field(NULL, "q=1", 3, "q", v, sizeof(v)), -1, "no type: -1");
	is_int(field("application/x-www-form-urlencodedX", "q=1", "q", v, sizeof(v)), -1,
	    "a type that only starts the same");
}

static void
test_multipart(void)
{
	char	v[64];

	is_int(field(MP, "------x1\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
	    "\r\n\r\nOne-Click\r\n------x1--\r\n", "List-Unsubscribe", v, sizeof(v)), 0,
	    "RFC 8058 multipart body");
	is_str(v, "One-Click", "... its value");
	is_int(field("multipart/form-data; boundary=\"b b\"", "preamble\r\n--b b\r\n"
	    "Content-Disposition: form-data; name=a\r\n\r\n1\r\n--b b\r\n"
	    "Content-Type: text/plain\r\ncontent-disposition: form-data; name=\"q\"\r\n\r\n"
	    "two\r\nlines\r\n--b b--", "q", v, sizeof(v)), 0,
	    "quoted boundary, preamble, second part, header case");
	is_str(v, "two\r\nlines", "... the value with its inner CRLF");
	is_int(field(MP, "------x1\r\n\r\nno headers\r\n------x1\r\n"
	    "Content-Disposition: form-data; name=\"q\"\r\n\r\n\r\n------x1--", "q", v,
	    sizeof(v)), 0, "a part without headers; an empty value");
	is_str(v, "", "... empty");
	is_int(field(MP, "------x1\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	    "------x1--\r\n", "q", v, sizeof(v)), 1, "absent: 1");
	is_int(field(MP, "------x1\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n1",
	    "q", v, sizeof(v)), -1, "no closing delimiter");
	is_int(field(MP, "junk", "q", v, sizeof(v)), -1, "no delimiter at all");
	is_int(field("multipart/form-data", "--\r\n", "q", v, sizeof(v)), -1, "no boundary");
	is_int(field("multipart/form-data; boundary=\"x", "--x\r\n", "q", v, sizeof(v)), -1,
	    "unterminated quoted boundary");
	is_int(field(MP, "------x1\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n"
	    "0123456789\r\n------x1--", "q", v, 10), -1, "value too long for out");
	is_int(field(MP, "------x1\r\nContent-Disposition: form-data; name=\"q\"", "q", v,
	    sizeof(v)), -1, "headers never end");
}

int
main(void)
{
	test_urlencoded();
	test_multipart();
	return tap_done();
}
