/* tap.h: a tiny TAP producer for the unit tests. */
#ifndef CONFAB_TAP_H
#define CONFAB_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_fail;

#define ok(cond, ...) do {						\
	int ok_c_ = (cond) ? 1 : 0;					\
	printf("%s %d - ", ok_c_ ? "ok" : "not ok", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ok_c_) {							\
		tap_fail++;						\
		printf("#   at %s:%d\n", __FILE__, __LINE__);	\
	}								\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = (g_ != NULL && w_ != NULL) ? strcmp(g_, w_) == 0 : g_ == w_; \
	ok(c_, __VA_ARGS__);						\
	if (!c_)							\
		printf("#   got:  '%s'\n#   want: '%s'\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	ok(g_ == w_, __VA_ARGS__);					\
	if (g_ != w_)							\
		printf("#   got: %lld want: %lld\n", g_, w_);		\
} while (0)

/* A whole file (NUL-terminated; its length in *len if len), or NULL. Caller frees. */
static inline char *
tap_slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*p = NULL, *q;
	size_t	 n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = q;
		}
		r = fread(p + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}

#endif
