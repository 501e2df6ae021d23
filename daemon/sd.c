#include "sd.h"

#include <stdarg.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

void
sd_ready(void)
{
	sd_notify(0, "READY=1");
}

void
sd_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void
sd_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void
sd_status(const char *fmt, ...)
{
	char status[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", status);
}
