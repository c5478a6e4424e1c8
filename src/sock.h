/* sock.h: accepted sockets, for the NNTP and LMTP listeners. */
#ifndef CONFAB_SOCK_H
#define CONFAB_SOCK_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>

/* Make an accepted socket non-blocking (and TCP_NODELAY where it is TCP) and write the
 * peer's address as text ("unix" for a unix socket). Returns 1 if the peer is on a
 * loopback address (127/8, ::1, ::ffff:127/104), 0 if not. */
int	sock_accepted(int fd, const struct sockaddr *, char *host, size_t hostlen);

#endif
