/* metrics.h: counters kept in memory by confabd for /metrics (http.c). Only the
 * loop's thread touches them (never a store job's run(), which may be on a worker);
 * the admin command links the same code and simply never reads them. */
#ifndef CONFAB_METRICS_H
#define CONFAB_METRICS_H

#include <stdint.h>
#include <time.h>

#include "log.h"

#define METRICS_MAX_CMDS	40	/* command names counted (the table has 25) */
#define METRICS_MAX_SOURCES	256	/* sources with poll counters; more are not counted */

enum metrics_poll { MP_OK, MP_FAILED, MP_NRESULTS };

struct metrics_source {
	char		 name[64];
	uint64_t	 polls[MP_NRESULTS];
	time_t		 last_ok;	/* 0: never */
};

struct metrics {
	time_t			 started;
	uint64_t		 nntp_open;	/* gauge */
	uint64_t		 nntp_accepted;
	uint64_t		 nntp_refused;	/* over max_connections(_per_ip) */
	const char		*cmd_names[METRICS_MAX_CMDS];	/* static strings */
	uint64_t		 cmds[METRICS_MAX_CMDS];
	uint64_t		 cmd_unknown;
	uint64_t		 replies_4xx, replies_5xx;
	uint64_t		 posts_accepted;	/* atomic: LMTP's workers count too */
	uint64_t		 mail_sent, mail_failed, mail_deferred;
	uint64_t		 http_requests;
	struct metrics_source	 sources[METRICS_MAX_SOURCES];
	int			 nsources;
};

extern struct metrics metrics;

/* name: a string that lives as long as the program (the command table's); NULL: a
 * command not in the table. */
void	metrics_cmd(const char *name);
/* The first three digits of a reply line. */
void	metrics_reply(const char *line);
void	metrics_poll(const char *source, int ok, time_t now);
/* The counters in Prometheus text format 0.0.4, onto b, with the queue depths read
 * from the store (-1: unknown, left out). */
void	metrics_format(struct buf *b, long long outbox_pending, long long mail_queued);

#endif
