/* nntp_cmd.h: the NNTP command table and its dispatcher. */
#ifndef CONFAB_NNTP_CMD_H
#define CONFAB_NNTP_CMD_H

#include <stddef.h>
#include <time.h>

struct session;

#define NNTP_MAX_ARGS	8

/* Parse one command line (without CRLF) and run it; the dispatcher checks arity and
 * state before any handler runs. */
void	nntp_dispatch(struct session *, char *line);
/* Split a command line into at most max words; returns the count, or -1 if too many. */
int	nntp_split(char *line, char **argv, int max);
/* A range "n", "n-" or "n-m" (RFC 3977 3.2.1.1); 0, or -1 if malformed. A reversed
 * range is valid (and empty). */
int	nntp_parse_range(const char *, long long *lo, long long *hi);
/* NEWGROUPS/NEWNEWS date and time: [yy]yymmdd hhmmss, zone NULL (local) or "GMT".
 * 0 with *out set, or -1. A two-digit year up to the current one is this century's,
 * a later one the previous century's (RFC 3977 7.3.2). In nntp_date.c. */
int	nntp_parse_datetime(const char *date, const char *time, const char *zone,
	    time_t *out);
/* The same with "now" given (for the current year). */
int	nntp_parse_datetime_at(const char *date, const char *time, const char *zone,
	    time_t now, time_t *out);
/* An article received after POST's 340 (dot-unstuffed, CRLF). */
void	nntp_post_done(struct session *, const char *article, size_t len, int too_big);
/* The greeting: 200 or 201. */
void	nntp_greet(struct session *);

/* The overview's fields after the number, as LIST OVERVIEW.FMT gives them. */
extern const char *const nntp_overview_fmt[];

/* For the handlers in other files (nntp_over.c). */
struct store;
struct stream;
struct buf;
void	nntp_store_lookup(struct session *, void (*run)(struct store *, void *),
	    void (*reply)(struct session *, void *), void (*done)(void *), void *arg);
/* A slice of a stream made from the store into out, touching nothing but its
 * arguments (it may run on a worker thread): 1 more to come, 0 done, -1 error. */
typedef int (*nntp_fill_fn)(struct stream *, struct store *, struct buf *out);
/* Run fill for the session's stream (s->stream.next calls it): its result, or 2 when
 * it runs on a worker and the stream waits for it. */
int	nntp_stream_fill(struct session *, nntp_fill_fn fill);
int	nntp_is_msgid(const char *);
/* The words from argv[from] on as one string (in place). */
char	*nntp_rest_of_line(int argc, char **argv, int from);
void	nntp_cmd_over(struct session *, int argc, char **argv);	/* OVER, XOVER */
void	nntp_cmd_hdr(struct session *, int argc, char **argv);	/* HDR, XHDR, XPAT */

#endif
