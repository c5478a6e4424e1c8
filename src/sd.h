/* sd.h: systemd integration (sd_notify, socket activation); no-ops without libsystemd. */
#ifndef CONFAB_SD_H
#define CONFAB_SD_H

#include <stdint.h>

#define SYSD_MAX_FDS	32

struct sysd_fd {
	int	 fd;
	char	 name[64];	/* FileDescriptorName: "nntp", "nntps", "lmtp" */
};

/* Sockets passed by the service manager; returns the count (0 when none). */
int	sysd_listen(struct sysd_fd *fds, int max);
/* sd_notify(0, state); ignored when NOTIFY_SOCKET is unset. */
void	sysd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Watchdog interval in microseconds, or 0 when the watchdog is off. */
uint64_t sysd_watchdog_usec(void);

#endif
