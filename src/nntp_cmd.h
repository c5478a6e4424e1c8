/* nntp_cmd.h: the NNTP command table and its dispatcher. */
#ifndef CONFAB_NNTP_CMD_H
#define CONFAB_NNTP_CMD_H

#include <stddef.h>

struct session;

#define NNTP_MAX_ARGS	8

/* Parse one command line (without CRLF) and run it; the dispatcher checks arity and
 * state before any handler runs. */
void	nntp_dispatch(struct session *, char *line);
/* Split a command line into at most max words; returns the count, or -1 if too many. */
int	nntp_split(char *line, char **argv, int max);
/* An article received after POST's 340 (dot-unstuffed, CRLF). */
void	nntp_post_done(struct session *, const char *article, size_t len, int too_big);
/* The greeting: 200 or 201. */
void	nntp_greet(struct session *);

#endif
