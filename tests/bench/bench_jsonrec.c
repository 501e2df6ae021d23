/*
 * JSON record throughput, single-threaded, over a frames file (4-byte
 * big-endian length + JSON payload, such as bench.py's payloads-json.bin),
 * the records taken in turn:
 *
 *   bench_jsonrec seconds frames   prints records/s and MB/s of input
 *
 * Each line is written to a buffer of its own, as a worker does for a line it
 * cannot write in place. For comparing commits, count instructions instead:
 *   valgrind --tool=callgrind --toggle-collect=jsonrec_line_at \
 *       bench_jsonrec 0 payloads-json.bin
 * and divide by the records it reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "benchutil.h"
#include "decode/jsonrec.h"

struct bench_frame {
	const uint8_t *data;
	size_t len;
};

int
main(int argc, char **argv)
{
	double seconds, start, elapsed;
	struct bench_frame *frames;
	size_t size, nframes = 0, bytes = 0, longest = 0, n;
	unsigned long records = 0;
	const char *reason;
	uint8_t *file, *line;

	if (argc != 3)
		bench_die(0, "usage: bench_jsonrec seconds frames");
	seconds = atof(argv[1]);
	file = bench_read_file(argv[2], &size);
	if ((frames = malloc((size / 4 + 1) * sizeof(*frames))) == NULL)
		bench_die(1, "malloc");
	for (size_t off = 0; off < size; off += 4 + frames[nframes++].len) {
		const uint8_t *h = file + off;

		if (size - off < 4 ||
		    (n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3]) >
			size - off - 4)
			bench_die(0, "%s: not a frames file", argv[2]);
		frames[nframes] = (struct bench_frame){h + 4, n};
		longest = n > longest ? n : longest;
	}
	if (nframes == 0 || (line = malloc(longest + 1)) == NULL)
		bench_die(0, "%s: no frames", argv[2]);
	for (size_t i = 0; i < nframes; i++)
		if (jsonrec_line_at(frames[i].data, frames[i].len, line, &n, &reason) != 0)
			bench_die(0, "record %zu rejected: %s", i, reason);
	start = bench_now();
	do {
		for (int i = 0; i < 1000; i++, records++) {
			const struct bench_frame *fr = &frames[records % nframes];

			jsonrec_line_at(fr->data, fr->len, line, &n, &reason);
			bytes += fr->len;
		}
		elapsed = bench_now() - start;
	} while (elapsed < seconds);
	printf("jsonrec_line_at: %.0f records/s, %.1f MB/s of JSON (%lu records timed after %zu "
	       "checked, %.0f bytes each)\n",
	    (double)records / elapsed, (double)bytes / elapsed / 1e6, records, nframes,
	    (double)bytes / (double)records);
	free(line);
	free(frames);
	free(file);
	return 0;
}
