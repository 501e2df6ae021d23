#include "framing.h"

#include <event2/buffer.h>

#include "limits.h"

uint32_t
framing_length(const uint8_t hdr[4])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

struct framing_result
framing_drain(struct evbuffer *in, uint32_t max_record, framing_sink sink, void *arg)
{
	struct framing_result r = {FRAME_NEED_MORE, 0, 0, 0};
	uint8_t hdr[LC_FRAME_HEADER];

	for (;;) {
		size_t avail = evbuffer_get_length(in);
		uint32_t len;

		if (avail < LC_FRAME_HEADER)
			return r;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		len = framing_length(hdr);
		if (len > max_record) {
			r.status = FRAME_TOO_BIG;
			r.bad_len = len;
			return r;
		}
		if (len == 0) {
			evbuffer_drain(in, LC_FRAME_HEADER);
			r.empty++;
			continue;
		}
		if (avail - LC_FRAME_HEADER < len)
			return r;
		evbuffer_drain(in, LC_FRAME_HEADER);
		sink(arg, in, len);
		r.frames++;
	}
}
