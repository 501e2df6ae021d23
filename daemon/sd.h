/*
 * systemd integration through libsystemd: readiness, status, stopping and
 * watchdog notifications. Every call is a no-op outside systemd (no
 * NOTIFY_SOCKET).
 */
#ifndef LC_SD_H
#define LC_SD_H

void sd_ready(void);
void sd_reloading(void);
void sd_stopping(void);
void sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
