/* Command line of logcatcher-client. */
#ifndef LCC_OPTIONS_H
#define LCC_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct options {
	const char *host;
	const char *port;
	/* sort mode */
	unsigned workers;
	unsigned workload;
	unsigned min_items;
	unsigned max_items;
	/* flood mode */
	int flood;
	uint64_t records;
	unsigned connections;
	size_t size;
	double rate; /* records/s in total; 0: unlimited */
	/* both */
	enum record_format format;
	size_t buffer;
	double retry_max;
	int quiet;
	int json;
	int echo;
};

/* 0: run; 1: done (--help/--version printed); -1: usage error printed. */
int options_parse(struct options *o, int argc, char **argv);

#endif
