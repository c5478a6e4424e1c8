/* http.h: the HTTP listener ([http]): one-click unsubscribe and confirmation links
 * (RFC 8058), /healthz and /metrics, on libevent's evhttp. */
#ifndef CONFAB_HTTP_H
#define CONFAB_HTTP_H

#include "conf.h"

struct server;
struct httpd;

/* The listener of srv (its loop, store, pool, workers and key); listens once
 * httpd_set_conf() or httpd_inherit() says where. Caller owns (httpd_free). */
struct httpd	*httpd_new(struct server *);
/* Take limits, TLS and the address from c: a new address is bound (and the old one
 * closed), none closes it; an inherited socket stays. -1 if it cannot be bound. */
int		 httpd_set_conf(struct httpd *, const struct conf *);
/* Serve on a listening socket passed by systemd (FileDescriptorName=http). */
int		 httpd_inherit(struct httpd *, int fd);
/* After the workers have finished (their replies go out on live requests). */
void		 httpd_free(struct httpd *);

#endif
