#include "decode/deadletter.h"

#include <string.h>
#include <time.h>

#include "decode/jsonw.h"

static void
deadletter_text(struct buf *dst, const char *s)
{
	/* Peers and reasons are ASCII that we wrote ourselves. */
	jsonw_string(dst, (const uint8_t *)s, strlen(s));
}

void
deadletter_append(struct buf *dst, const char *peer, const char *reason, uint64_t size,
    const void *payload, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(dst, "{\"time\":\"%s.%03ldZ\",\"peer\":", when, ts.tv_nsec / 1000000);
	deadletter_text(dst, peer);
	buf_puts(dst, ",\"reason\":");
	deadletter_text(dst, reason);
	buf_printf(dst, ",\"size\":%llu,\"payload_base64\":\"", (unsigned long long)size);
	jsonw_base64(dst, payload, len);
	buf_puts(dst, "\"}\n");
}
