/* log.h: logging to stderr with levels, the x*alloc family, struct buf, retry delays. */
#ifndef CONFAB_LOG_H
#define CONFAB_LOG_H

#include <stddef.h>
#include <stdarg.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_init(int level, const char *progname);
void	log_set_level(int level);
void	log_syslog(void);		/* from now on, log to syslog (LOG_NEWS) */
int	log_get_level(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
/* A line about one connection: "s12 127.0.0.1: ..." (kind 's' NNTP, 'l' LMTP). */
void	log_vsession(int level, char kind, unsigned long long id, const char *addr,
	    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Allocation never fails: these abort through fatal(). Caller owns results. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));

/* Seconds before a retry: base doubled `doublings` times but at most cap, at least
 * at_least (a server's Retry-After; -1 none), give or take jitter / 2 percent at random
 * so that retries do not come in step; never under 1. */
long	backoff(long base, int doublings, long cap, long at_least, int jitter);

/* A growable byte buffer (NUL-terminated for convenience). */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void	buf_init(struct buf *);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);
void	buf_add(struct buf *, const void *, size_t);
void	buf_adds(struct buf *, const char *);
void	buf_addc(struct buf *, int);
void	buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
char	*buf_steal(struct buf *);	/* caller owns; buffer is reset */

#endif
