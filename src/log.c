/* log.c: leveled logging to stderr and fatal allocation wrappers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_level = LOG_LVL_INFO;
static const char	*log_prog = "confab";
static int		 log_to_syslog;

void
log_init(int level, const char *progname)
{
	log_level = level;
	if (progname != NULL)
		log_prog = progname;
}

void
log_syslog(void)
{
	openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_NEWS);
	log_to_syslog = 1;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

static void
vlog(int level, const char *tag, const char *fmt, va_list ap)
{
	char	msg[2048];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to_syslog) {
		static const int pri[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
		syslog(pri[level], "%s%s", tag, msg);
	} else if (log_level >= LOG_LVL_DEBUG) {
		/* Debugging: timestamps, to see where the time goes. */
		struct timespec	ts;
		struct tm	tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld %s: %s%s\n", tm.tm_hour, tm.tm_min,
		    tm.tm_sec, ts.tv_nsec / 1000000, log_prog, tag, msg);
	} else
		fprintf(stderr, "%s: %s%s\n", log_prog, tag, msg);
}

void
log_vsession(int level, char kind, unsigned long long id, const char *addr,
    const char *fmt, va_list ap)
{
	static const char	*tags[] = { "error: ", "warning: ", "", "debug: " };
	char			 tag[128];

	if (level > log_level)
		return;
	snprintf(tag, sizeof(tag), "%s%c%llu %s: ", tags[level], kind, id, addr);
	vlog(level, tag, fmt, ap);
}

#define LOGFN(name, lvl, tag)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	ap;					\
	va_start(ap, fmt);				\
	vlog(lvl, tag, fmt, ap);			\
	va_end(ap);					\
}
LOGFN(log_err, LOG_LVL_ERR, "error: ")
LOGFN(log_warn, LOG_LVL_WARN, "warning: ")
LOGFN(log_info, LOG_LVL_INFO, "")
LOGFN(log_debug, LOG_LVL_DEBUG, "debug: ")

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void	*p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		fatal("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > (size_t)-1 / sz)
		fatal("allocation overflow");
	return xrealloc(p, n * sz);
}

char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		fatal("out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = strndup(s, n);

	if (p == NULL)
		fatal("out of memory");
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("out of memory");
	return n;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static void
buf_grow(struct buf *b, size_t more)
{
	size_t	need = b->len + more + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, int c)
{
	char	ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
buf_steal(struct buf *b)
{
	char	*p = b->data;

	if (p == NULL)
		p = xstrdup("");
	buf_init(b);
	return p;
}

long
backoff(long base, int doublings, long cap, long at_least, int jitter)
{
	long	secs = base;
	int	i;

	for (i = 0; i < doublings && secs < cap; i++)
		secs *= 2;
	if (secs > cap)
		secs = cap;
	if (at_least > secs)
		secs = at_least;
	secs += (long)(((double)random() / RAND_MAX - 0.5) * secs * jitter / 100);
	return secs < 1 ? 1 : secs;
}
