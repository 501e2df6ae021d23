/*
 * systemd integration through libsystemd: readiness, status, reload,
 * stopping and watchdog notifications, and socket activation. Every call is
 * a no-op outside systemd (no NOTIFY_SOCKET, no LISTEN_FDS).
 */
#ifndef LC_SD_H
#define LC_SD_H

#include <stddef.h>
#include <stdint.h>

void sd_ready(void);
void sd_reloading(void);
void sd_stopping(void);
void sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* How often to send WATCHDOG=1 (half the manager's timeout), in
 * microseconds; 0 when the watchdog is off. */
uint64_t sd_watchdog_interval(void);
void sd_watchdog_ping(void);

/* Sockets passed by the manager (LISTEN_FDS), made non-blocking and
 * close-on-exec; the environment variables are unset so children do not
 * inherit them. */
struct sd_socket {
	int fd;
	int udp; /* 0: a listening TCP socket */
};
/* Returns how many were stored in out (at most max), or -1 after logging
 * why a passed descriptor is unusable. */
int sd_activated_sockets(struct sd_socket *out, size_t max);

#endif
