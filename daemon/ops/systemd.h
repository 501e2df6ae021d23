/*
 * systemd integration through libsystemd: readiness, status, reload,
 * stopping and watchdog notifications, and socket activation. Every call is
 * a no-op outside systemd (no NOTIFY_SOCKET, no LISTEN_FDS). Named
 * systemd_*, as tmux names its wrappers: sd_* is libsystemd's namespace.
 */
#ifndef LC_SYSTEMD_H
#define LC_SYSTEMD_H

#include <stddef.h>
#include <stdint.h>

#include "net/server.h"

void systemd_ready(void);
void systemd_reloading(void);
void systemd_stopping(void);
void systemd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* How often to send WATCHDOG=1 (half the manager's timeout), in
 * microseconds; 0 when the watchdog is off. */
uint64_t systemd_watchdog_interval(void);
void systemd_watchdog_ping(void);

/* Sockets passed by the manager (LISTEN_FDS), made non-blocking and
 * close-on-exec; the environment variables are unset so children do not
 * inherit them. */
/* Returns how many were stored in out (at most max), or -1 after logging
 * why a passed descriptor is unusable. */
int systemd_activated_sockets(struct server_socket *out, size_t max);

#endif
