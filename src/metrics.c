/* metrics.c: confabd's counters and their Prometheus text exposition (format 0.0.4). */
#include <stdio.h>
#include <string.h>

#include "metrics.h"

struct metrics metrics;

void
metrics_cmd(const char *name)
{
	int	i;

	if (name == NULL) {
		metrics.cmd_unknown++;
		return;
	}
	for (i = 0; i < METRICS_MAX_CMDS && metrics.cmd_names[i] != NULL; i++)
		if (metrics.cmd_names[i] == name) {
			metrics.cmds[i]++;
			return;
		}
	if (i == METRICS_MAX_CMDS)
		return;
	metrics.cmd_names[i] = name;
	metrics.cmds[i] = 1;
}

void
metrics_reply(const char *line)
{
	if (line[0] == '4')
		metrics.replies_4xx++;
	else if (line[0] == '5')
		metrics.replies_5xx++;
}

void
metrics_poll(const char *source, int ok, time_t now)
{
	struct metrics_source	*s = NULL;
	int			 i;

	for (i = 0; i < metrics.nsources; i++)
		if (!strcmp(metrics.sources[i].name, source)) {
			s = &metrics.sources[i];
			break;
		}
	if (s == NULL) {
		if (metrics.nsources == METRICS_MAX_SOURCES)
			return;
		s = &metrics.sources[metrics.nsources++];
		snprintf(s->name, sizeof(s->name), "%s", source);
	}
	s->polls[ok ? MP_OK : MP_FAILED]++;
	if (ok)
		s->last_ok = now;
}

/* A label value: backslash, quote and newline escaped (the format's rules). */
static void
label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addc(b, '\\');
		if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *v);
	}
}

static void
head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
one(struct buf *b, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	head(b, name, type, help);
	buf_printf(b, "%s %llu\n", name, v);
}

void
metrics_format(struct buf *b, long long outbox, long long mailq)
{
	const struct metrics	*m = &metrics;
	int			 i;

	one(b, "confab_start_time_seconds", "gauge", "When confabd started (Unix time).",
	    (unsigned long long)m->started);
	one(b, "confab_nntp_connections", "gauge", "NNTP connections open now.",
	    m->nntp_open);
	one(b, "confab_nntp_connections_accepted_total", "counter",
	    "NNTP connections accepted.", m->nntp_accepted);
	one(b, "confab_nntp_connections_refused_total", "counter",
	    "NNTP connections refused (too many, or shutting down).", m->nntp_refused);
	head(b, "confab_nntp_commands_total", "counter", "NNTP commands received, by command.");
	for (i = 0; i < METRICS_MAX_CMDS && m->cmd_names[i] != NULL; i++)
		buf_printf(b, "confab_nntp_commands_total{command=\"%s\"} %llu\n",
		    m->cmd_names[i], (unsigned long long)m->cmds[i]);
	buf_printf(b, "confab_nntp_commands_total{command=\"unknown\"} %llu\n",
	    (unsigned long long)m->cmd_unknown);
	head(b, "confab_nntp_error_responses_total", "counter",
	    "NNTP responses with a 4xx or 5xx code, by class.");
	buf_printf(b, "confab_nntp_error_responses_total{class=\"4xx\"} %llu\n"
	    "confab_nntp_error_responses_total{class=\"5xx\"} %llu\n",
	    (unsigned long long)m->replies_4xx, (unsigned long long)m->replies_5xx);
	one(b, "confab_posts_accepted_total", "counter",
	    "Follow-ups (NNTP POST and mail replies) stored for the blog.", m->posts_accepted);
	head(b, "confab_mail_total", "counter", "List mail handed to the relay, by result.");
	buf_printf(b, "confab_mail_total{result=\"sent\"} %llu\n"
	    "confab_mail_total{result=\"failed\"} %llu\n"
	    "confab_mail_total{result=\"deferred\"} %llu\n",
	    (unsigned long long)m->mail_sent, (unsigned long long)m->mail_failed,
	    (unsigned long long)m->mail_deferred);
	one(b, "confab_http_requests_total", "counter", "HTTP requests received.",
	    m->http_requests);
	if (outbox >= 0)
		one(b, "confab_outbox_pending", "gauge",
		    "Comments waiting to be delivered to their blog.", (unsigned long long)outbox);
	if (mailq >= 0)
		one(b, "confab_mail_queue", "gauge", "List mails queued (digest items included).",
		    (unsigned long long)mailq);
	head(b, "confab_polls_total", "counter", "Polls of a live source, by result.");
	for (i = 0; i < m->nsources; i++) {
		buf_adds(b, "confab_polls_total{source=\"");
		label(b, m->sources[i].name);
		buf_printf(b, "\",result=\"ok\"} %llu\n", (unsigned long long)m->sources[i].polls[MP_OK]);
		buf_adds(b, "confab_polls_total{source=\"");
		label(b, m->sources[i].name);
		buf_printf(b, "\",result=\"failed\"} %llu\n",
		    (unsigned long long)m->sources[i].polls[MP_FAILED]);
	}
	head(b, "confab_poll_last_success_time_seconds", "gauge",
	    "When a source was last polled without error (Unix time).");
	for (i = 0; i < m->nsources; i++) {
		if (m->sources[i].last_ok == 0)
			continue;
		buf_adds(b, "confab_poll_last_success_time_seconds{source=\"");
		label(b, m->sources[i].name);
		buf_printf(b, "\"} %lld\n", (long long)m->sources[i].last_ok);
	}
}
