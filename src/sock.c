/* sock.c: accepted sockets: options, the peer's address, loopback or not. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sock.h"

int
sock_accepted(int fd, const struct sockaddr *sa, char *host, size_t hostlen)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;
	int				 one = 1, loop = 0;

	/* evconnlistener accepts with SOCK_NONBLOCK already. */
	snprintf(host, hostlen, "%s", sa != NULL && sa->sa_family == AF_UNIX ? "unix" : "?");
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, (socklen_t)hostlen);
		loop = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, (socklen_t)hostlen);
		loop = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127);
	} else
		return 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return loop;
}
