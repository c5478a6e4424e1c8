/* form.h: reading one field of an HTML form's POST body (RFC 8058 one-click
 * unsubscribe, and the buttons of confabd's own pages). */
#ifndef CONFAB_FORM_H
#define CONFAB_FORM_H

#include <stddef.h>

#define FORM_MAX_PARTS	64	/* fields looked at before giving up */

/* The value of field `name` in body (len octets, need not end in NUL), sent with
 * Content-Type ctype: application/x-www-form-urlencoded (the WHATWG encoding: '+'
 * and %XX) or multipart/form-data (RFC 7578; boundary parameter). 0: found, its value
 * decoded into out and NUL-terminated; 1: no such field; -1: a type that is neither,
 * a malformed body, or a value that does not fit in outlen - 1 octets. */
int	form_field(const char *ctype, const char *body, size_t len, const char *name,
	    char *out, size_t outlen);

#endif
