/*
 * Test tool for the golden test (pickle_golden.py): reads frames (4-byte
 * big-endian length + pickle) from stdin and prints one line per frame:
 * the decoded JSON, or "ERROR <reason>: <detail>".
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/limits.h"
#include "decode/pickle.h"

static int
pickle2json_read(uint8_t *dst, size_t n)
{
	return fread(dst, 1, n, stdin) == n ? 0 : -1;
}

int
main(void)
{
	struct buf out;
	uint8_t hdr[4];

	buf_init(&out);
	while (pickle2json_read(hdr, sizeof(hdr)) == 0) {
		size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		uint8_t *payload = malloc(len ? len : 1);
		const char *detail;
		enum pickle_error err;

		if (payload == NULL || pickle2json_read(payload, len) == -1) {
			fprintf(stderr, "pickle2json: short frame\n");
			return 1;
		}
		buf_truncate(&out, 0);
		err = pickle_to_json(payload, len, &out, LC_OUTPUT_PER_RECORD_FACTOR * (size_t)LC_DEFAULT_MAX_RECORD, &detail);
		if (err == PICKLE_OK)
			printf("%.*s\n", (int)out.len, out.data);
		else
			printf("ERROR %s: %s\n", pickle_error_name(err), detail);
		free(payload);
	}
	buf_free(&out);
	return 0;
}
