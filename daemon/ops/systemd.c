#include "ops/systemd.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"

void
systemd_ready(void)
{
	sd_notify(0, "READY=1");
}

void
systemd_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void
systemd_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void
systemd_status(const char *fmt, ...)
{
	char status[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", status);
}

uint64_t
systemd_watchdog_interval(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2;
}

void
systemd_watchdog_ping(void)
{
	sd_notify(0, "WATCHDOG=1");
}

int
systemd_activated_sockets(struct server_socket *out, size_t max)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), stored = 0;

	if (n < 0) {
		log_warnx("socket activation: %s", strerror(-n));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "unknown";

		if ((size_t)stored == max) {
			log_warnx("socket activation: more than %zu sockets passed", max);
			stored = -1;
			break;
		}
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
			out[stored].udp = 0;
		} else if (sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0) {
			out[stored].udp = 1;
		} else {
			log_warnx("socket activation: fd %d (%s) is neither a listening TCP "
				  "socket nor a UDP socket",
			    fd, name);
			stored = -1;
			break;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		out[stored++].fd = fd;
		log_debug("socket activation: fd %d (%s)", fd, name);
	}
	if (names != NULL) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return stored;
}
