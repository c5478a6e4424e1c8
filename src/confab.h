/* confab.h: what the admin command's files share. */
#ifndef CONFAB_CONFAB_H
#define CONFAB_CONFAB_H

#include "conf.h"
#include "store.h"

extern struct conf	*conf;

void		 load_conf(void);	/* exits 1 with the reason */
struct store	*open_store(void);	/* exits 1 with the reason */

/* confab_status.c: status, outbox, mailq. 0 ok, 1 no such entry or error, 2 usage. */
int	cmd_status(int argc, char **argv);
int	cmd_outbox(int argc, char **argv);
int	cmd_mailq(int argc, char **argv);

#endif
