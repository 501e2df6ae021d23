/*
 * Log records shaped like Python's: the dict SocketHandler.makePickle sends
 * for a LogRecord, keys in CPython 3.11's order, built as a cJSON object.
 *
 * Numbers are stored as cJSON raw items holding Python's repr() text, so a
 * float stays a float ("640.0", not "640"), an int of any size stays exact,
 * and picklew can tell the two apart.
 */
#ifndef LCC_RECORD_H
#define LCC_RECORD_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "bytebuf.h"

enum record_format {
	RECORD_JSON,
	RECORD_PICKLE,
};

/* Python logging levels. */
#define RECORD_DEBUG 10
#define RECORD_INFO 20

/* Room for Python's repr() of any finite double (at most 24 characters),
 * with space to spare so the formatting provably cannot truncate. */
#define RECORD_FLOAT_MAX 48

/* What stays the same across one logger's records. */
struct record_source {
	char name[64];
	char pathname[128];
	const char *filename; /* points into pathname */
	char module[64];
	const char *thread_name;
	const char *process_name;
	uint64_t thread;
	long process;
	double start; /* wall-clock origin of relativeCreated */
};

/* One call of logger.log(level, msg) at a given source line. */
struct record_event {
	int levelno;
	int lineno;
	const char *func;
	const char *msg; /* already %-formatted, as makePickle sends it */
};

/* A logger named app_<pid>.<logger> in a Python file at pathname. */
void record_source_init(struct record_source *src, const char *logger, const char *pathname);
const char *record_level_name(int levelno);
/* The record for ev, created at wall-clock time `created`; NULL on OOM. */
cJSON *record_new(const struct record_source *src, const struct record_event *ev, double created);
/* Append the record's payload (compact JSON, or pickle protocol 1); -1 if
 * it cannot be encoded. */
int record_serialize(const cJSON *rec, enum record_format fmt, struct bytebuf *out);
/* Replace out's contents with the payload of the record for ev, created
 * now; dies if it cannot (out of memory: records are our own data). */
void record_encode(const struct record_source *src, const struct record_event *ev,
		   enum record_format fmt, struct bytebuf *out);
/* Python's repr() of a finite double: shortest round-trip digits, always
 * with a '.' or an exponent ("640.0", "1e-05", "1795426884.274849"). */
void record_float_repr(double v, char out[RECORD_FLOAT_MAX]);

#endif
