#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defaults.h"

enum {
	OPT_MIN_ITEMS = 256,
	OPT_MAX_ITEMS,
	OPT_FLOOD,
	OPT_RECORDS,
	OPT_CONNECTIONS,
	OPT_SIZE,
	OPT_RATE,
	OPT_FORMAT,
	OPT_BUFFER,
	OPT_RETRY_MAX,
	OPT_JSON,
	OPT_ECHO,
};

static const struct option options_long[] = {
    {"host", required_argument, NULL, 'H'},
    {"port", required_argument, NULL, 'p'},
    {"workers", required_argument, NULL, 'w'},
    {"workload", required_argument, NULL, 'n'},
    {"min-items", required_argument, NULL, OPT_MIN_ITEMS},
    {"max-items", required_argument, NULL, OPT_MAX_ITEMS},
    {"flood", no_argument, NULL, OPT_FLOOD},
    {"records", required_argument, NULL, OPT_RECORDS},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"size", required_argument, NULL, OPT_SIZE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"buffer", required_argument, NULL, OPT_BUFFER},
    {"retry-max", required_argument, NULL, OPT_RETRY_MAX},
    {"quiet", no_argument, NULL, 'q'},
    {"json", no_argument, NULL, OPT_JSON},
    {"echo", no_argument, NULL, OPT_ECHO},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void
options_usage(FILE *f)
{
	fprintf(f,
		"usage: logcatcher-client [-q] [-H host] [-p port] [--format json|pickle]\n"
		"           [--workers N] [--workload N] [--min-items N] [--max-items N]\n"
		"           [--buffer N] [--retry-max SECONDS] [--echo] [--json]\n"
		"       logcatcher-client --flood [--records N] [--connections N]\n"
		"           [--size BYTES] [--rate RECORDS_PER_S] [options above]\n"
		"\n"
		"Load generator for logcatcherd. By default forks --workers processes\n"
		"(default: one per CPU) that each bogosort --workload collections of\n"
		"%d-%d random floats, logging 2 x workload + 2 records like a Python\n"
		"app's SocketHandler. --flood sends --records records over\n"
		"--connections connections as fast as possible (or at --rate).\n"
		"\n"
		"  -H, --host HOST        daemon host (default %s)\n"
		"  -p, --port PORT        daemon port (default %s)\n"
		"  -w, --workers N        worker processes\n"
		"  -n, --workload N       collections sorted per worker (default %d)\n"
		"      --min-items N      smallest collection (default %d)\n"
		"      --max-items N      largest collection (default %d, at most %d)\n"
		"      --flood            send records without sorting\n"
		"      --records N        records to flood (default %d)\n"
		"      --connections N    flood connections (default %d)\n"
		"      --size BYTES       approximate record size (default %d)\n"
		"      --rate R           records/s in total (default unlimited)\n"
		"      --format FORMAT    json (default) or pickle (protocol 1)\n"
		"      --buffer N         unsent records kept per connection (default %d)\n"
		"      --retry-max SECS   give up after this long disconnected (default %.0f)\n"
		"  -q, --quiet            no progress line, messages or summary\n"
		"      --json             print a one-line JSON summary on stdout\n"
		"      --echo             also print each record to stderr\n"
		"  -h, --help             show this help\n"
		"  -V, --version          show the version\n",
		LCC_DEFAULT_MIN_ITEMS, LCC_DEFAULT_MAX_ITEMS, LCC_DEFAULT_HOST, LCC_DEFAULT_PORT,
		LCC_DEFAULT_WORKLOAD, LCC_DEFAULT_MIN_ITEMS, LCC_DEFAULT_MAX_ITEMS, LCC_MAX_ITEMS,
		LCC_DEFAULT_RECORDS, LCC_DEFAULT_CONNECTIONS, LCC_DEFAULT_SIZE, LCC_DEFAULT_BUFFER,
		LCC_DEFAULT_RETRY_MAX);
}

/* An unsigned integer in [min, max], or -1 with a message. */
static int
options_uint(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, "logcatcher-client: --%s: '%s' is not a number from %llu to %llu\n",
			name, arg, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
options_seconds(const char *name, const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end != '\0' || !isfinite(v) || v < 0) {
		fprintf(stderr, "logcatcher-client: --%s: '%s' is not a number >= 0\n", name, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int
options_format(const char *arg, enum record_format *out)
{
	if (strcmp(arg, "json") == 0)
		*out = RECORD_JSON;
	else if (strcmp(arg, "pickle") == 0)
		*out = RECORD_PICKLE;
	else {
		fprintf(stderr, "logcatcher-client: --format: '%s' is not json or pickle\n", arg);
		return -1;
	}
	return 0;
}

static void
options_defaults(struct options *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->host = LCC_DEFAULT_HOST;
	o->port = LCC_DEFAULT_PORT;
	o->workers = cpus > 0 ? (unsigned)cpus : 1;
	o->workload = LCC_DEFAULT_WORKLOAD;
	o->min_items = LCC_DEFAULT_MIN_ITEMS;
	o->max_items = LCC_DEFAULT_MAX_ITEMS;
	o->records = LCC_DEFAULT_RECORDS;
	o->connections = LCC_DEFAULT_CONNECTIONS;
	o->size = LCC_DEFAULT_SIZE;
	o->format = RECORD_JSON;
	o->buffer = LCC_DEFAULT_BUFFER;
	o->retry_max = LCC_DEFAULT_RETRY_MAX;
}

/* Apply one option; 0, 1 (exit done) or -1. */
static int
options_one(struct options *o, int ch, const char *arg)
{
	const char *name = NULL;
	uint64_t v = 0;
	int rc = 0;

	for (const struct option *lo = options_long; lo->name != NULL; lo++)
		if (lo->val == ch)
			name = lo->name;
	switch (ch) {
	case 'H':
		o->host = arg;
		break;
	case 'p':
		o->port = arg;
		break;
	case 'w':
		rc = options_uint(name, arg, 1, LCC_MAX_WORKERS, &v);
		o->workers = (unsigned)v;
		break;
	case 'n':
		rc = options_uint(name, arg, 0, UINT32_MAX / 2, &v);
		o->workload = (unsigned)v;
		break;
	case OPT_MIN_ITEMS:
		rc = options_uint(name, arg, 0, LCC_MAX_ITEMS, &v);
		o->min_items = (unsigned)v;
		break;
	case OPT_MAX_ITEMS:
		rc = options_uint(name, arg, 0, LCC_MAX_ITEMS, &v);
		o->max_items = (unsigned)v;
		break;
	case OPT_FLOOD:
		o->flood = 1;
		break;
	case OPT_RECORDS:
		rc = options_uint(name, arg, 0, UINT64_MAX, &o->records);
		break;
	case OPT_CONNECTIONS:
		rc = options_uint(name, arg, 1, LCC_MAX_CONNECTIONS, &v);
		o->connections = (unsigned)v;
		break;
	case OPT_SIZE:
		rc = options_uint(name, arg, 0, LCC_MAX_SIZE, &v);
		o->size = (size_t)v;
		break;
	case OPT_RATE:
		rc = options_seconds(name, arg, &o->rate);
		break;
	case OPT_FORMAT:
		rc = options_format(arg, &o->format);
		break;
	case OPT_BUFFER:
		rc = options_uint(name, arg, 1, SIZE_MAX / 2, &v);
		o->buffer = (size_t)v;
		break;
	case OPT_RETRY_MAX:
		rc = options_seconds(name, arg, &o->retry_max);
		break;
	case 'q':
		o->quiet = 1;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_ECHO:
		o->echo = 1;
		break;
	case 'h':
		options_usage(stdout);
		return 1;
	case 'V':
		printf("logcatcher-client %s\n", LC_VERSION);
		return 1;
	default:
		options_usage(stderr);
		return -1;
	}
	return rc;
}

int
options_parse(struct options *o, int argc, char **argv)
{
	int ch, rc;

	options_defaults(o);
	while ((ch = getopt_long(argc, argv, "H:p:w:n:qhV", options_long, NULL)) != -1)
		if ((rc = options_one(o, ch, optarg)) != 0)
			return rc;
	if (optind < argc) {
		fprintf(stderr, "logcatcher-client: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->min_items > o->max_items) {
		fprintf(stderr, "logcatcher-client: --min-items %u is above --max-items %u\n",
			o->min_items, o->max_items);
		return -1;
	}
	return 0;
}
