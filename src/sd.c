/* sd.c: systemd integration through libsystemd, when it was found at build time. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "sd.h"

int
sysd_listen(struct sysd_fd *fds, int max)
{
#ifdef HAVE_LIBSYSTEMD
	char	**names = NULL;
	int	 n, i;

	n = sd_listen_fds_with_names(1, &names);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (i < max) {
			fds[i].fd = SD_LISTEN_FDS_START + i;
			snprintf(fds[i].name, sizeof(fds[i].name), "%s",
			    names && names[i] ? names[i] : "nntp");
		}
		if (names)
			free(names[i]);
	}
	free(names);
	return n < max ? n : max;
#else
	return 0;
#endif
}

void
sysd_notify(const char *fmt, ...)
{
#ifdef HAVE_LIBSYSTEMD
	char	msg[512];
	va_list	ap;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sd_notify(0, msg);
#else
	(void)fmt;
#endif
}

uint64_t
sysd_watchdog_usec(void)
{
#ifdef HAVE_LIBSYSTEMD
	uint64_t	usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0)
		return usec;
#endif
	return 0;
}
