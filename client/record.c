#include "record.h"

#include <err.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mono.h"
#include "picklew.h"

void
record_source_init(struct record_source *src, const char *logger, const char *pathname)
{
	const char *slash, *dot;
	size_t len;

	memset(src, 0, sizeof(*src));
	src->process = (long)getpid();
	snprintf(src->name, sizeof(src->name), "app_%ld.%s", src->process, logger);
	snprintf(src->pathname, sizeof(src->pathname), "%s", pathname);
	slash = strrchr(src->pathname, '/');
	src->filename = slash ? slash + 1 : src->pathname;
	dot = strrchr(src->filename, '.');
	len = dot ? (size_t)(dot - src->filename) : strlen(src->filename);
	snprintf(src->module, sizeof(src->module), "%.*s", (int)len, src->filename);
	src->thread_name = "MainThread";
	src->process_name = "MainProcess";
	/* threading.get_ident() is pthread_self(): an address, well above 2^31. */
	src->thread = (uint64_t)(uintptr_t)pthread_self();
}

const char *
record_level_name(int levelno)
{
	switch (levelno) {
	case 10:
		return "DEBUG";
	case 20:
		return "INFO";
	case 30:
		return "WARNING";
	case 40:
		return "ERROR";
	case 50:
		return "CRITICAL";
	default:
		return "NOTSET";
	}
}

/* Shortest digits that read back as v: "%.*e" with the least precision. */
static int
record_shortest(double v, char *digits, size_t size)
{
	char tmp[RECORD_FLOAT_MAX];
	size_t n = 0;
	char *e;

	for (int prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	for (const char *p = tmp; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && n + 1 < size)
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	e = strchr(tmp, 'e');
	return atoi(e + 1) + 1;
}

void
record_float_repr(double v, char out[RECORD_FLOAT_MAX])
{
	char digits[24];
	const char *sign = signbit(v) ? "-" : "";
	int decpt, nd;

	if (v == 0) {
		snprintf(out, RECORD_FLOAT_MAX, "%s0.0", sign);
		return;
	}
	decpt = record_shortest(fabs(v), digits, sizeof(digits));
	nd = (int)strlen(digits);
	/* float_repr_style 'short': exponent outside -4 < decpt <= 16. */
	if (decpt <= -4 || decpt > 16) {
		int x = decpt - 1;

		snprintf(out, RECORD_FLOAT_MAX, "%s%c%s%se%c%02d", sign, digits[0],
			 nd > 1 ? "." : "", digits + 1, x < 0 ? '-' : '+', abs(x));
	} else if (decpt <= 0) {
		snprintf(out, RECORD_FLOAT_MAX, "%s0.%.*s%s", sign, -decpt, "0000", digits);
	} else if (decpt >= nd) {
		snprintf(out, RECORD_FLOAT_MAX, "%s%s%.*s.0", sign, digits, decpt - nd,
			 "0000000000000000");
	} else {
		snprintf(out, RECORD_FLOAT_MAX, "%s%.*s.%s", sign, decpt, digits, digits + decpt);
	}
}

static int
record_add_float(cJSON *rec, const char *key, double v)
{
	char text[RECORD_FLOAT_MAX];

	record_float_repr(v, text);
	return cJSON_AddRawToObject(rec, key, text) ? 0 : -1;
}

static int
record_add_int(cJSON *rec, const char *key, long long v)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", v);
	return cJSON_AddRawToObject(rec, key, text) ? 0 : -1;
}

static int
record_add_uint(cJSON *rec, const char *key, uint64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
	return cJSON_AddRawToObject(rec, key, text) ? 0 : -1;
}

static int
record_add_str(cJSON *rec, const char *key, const char *v)
{
	return cJSON_AddStringToObject(rec, key, v) ? 0 : -1;
}

static int
record_add_none(cJSON *rec, const char *key)
{
	return cJSON_AddNullToObject(rec, key) ? 0 : -1;
}

cJSON *
record_new(const struct record_source *src, const struct record_event *ev, double created)
{
	cJSON *rec = cJSON_CreateObject();
	/* As LogRecord.__init__ in 3.11.2+: msecs is an integral float. */
	double msecs = floor((created - floor(created)) * 1000.0);
	int rc = 0;

	if (rec == NULL)
		return NULL;
	rc |= record_add_str(rec, "name", src->name);
	rc |= record_add_str(rec, "msg", ev->msg);
	rc |= record_add_none(rec, "args");
	rc |= record_add_str(rec, "levelname", record_level_name(ev->levelno));
	rc |= record_add_int(rec, "levelno", ev->levelno);
	rc |= record_add_str(rec, "pathname", src->pathname);
	rc |= record_add_str(rec, "filename", src->filename);
	rc |= record_add_str(rec, "module", src->module);
	rc |= record_add_none(rec, "exc_info");
	rc |= record_add_none(rec, "exc_text");
	rc |= record_add_none(rec, "stack_info");
	rc |= record_add_int(rec, "lineno", ev->lineno);
	rc |= record_add_str(rec, "funcName", ev->func);
	rc |= record_add_float(rec, "created", created);
	rc |= record_add_float(rec, "msecs", msecs);
	rc |= record_add_float(rec, "relativeCreated", (created - src->start) * 1000.0);
	rc |= record_add_uint(rec, "thread", src->thread);
	rc |= record_add_str(rec, "threadName", src->thread_name);
	rc |= record_add_str(rec, "processName", src->process_name);
	rc |= record_add_int(rec, "process", src->process);
	if (rc != 0) {
		cJSON_Delete(rec);
		return NULL;
	}
	return rec;
}

int
record_serialize(const cJSON *rec, enum record_format fmt, struct bytebuf *out)
{
	char *text;

	if (fmt == RECORD_PICKLE)
		return picklew_dump(rec, out);
	/* cJSON_PrintUnformatted does not modify the item; its API is not const. */
	if ((text = cJSON_PrintUnformatted((cJSON *)(uintptr_t)rec)) == NULL)
		return -1;
	bytebuf_append(out, text, strlen(text));
	cJSON_free(text);
	return 0;
}

void
record_encode(const struct record_source *src, const struct record_event *ev,
	      enum record_format fmt, struct bytebuf *out)
{
	cJSON *rec = record_new(src, ev, mono_wall());

	out->len = 0;
	if (rec == NULL || record_serialize(rec, fmt, out) != 0)
		errx(1, "cannot encode a record");
	cJSON_Delete(rec);
}
