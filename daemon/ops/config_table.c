/*
 * The options table and what each value type means. Every option is one row:
 * name, type, range, default and help; config.c generates the INI reader, the
 * command line, --check-config, --help and conf/logcatcherd.conf from it.
 * Adding an option is one row here plus one field in struct config (and its
 * entry in docs/logcatcherd.conf.5, which a unit test checks).
 */
#include "ops/config_table.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "base/limits.h"
#include "base/xmalloc.h"
#include "net/acl.h"
#include "net/addr.h"

#define FIELD(f) offsetof(struct config, f)

/* Numbers and enums are stored as unsigned, sizes as size_t. */
_Static_assert(sizeof(enum record_format) == sizeof(unsigned), "enum stored as unsigned");
_Static_assert(sizeof(enum log_level) == sizeof(unsigned), "enum stored as unsigned");

static const struct config_enum config_formats[] = {
    {"auto", FORMAT_AUTO},
    {"pickle", FORMAT_PICKLE},
    {"json", FORMAT_JSON},
    {NULL, 0},
};

/* The names log_parse_level() accepts; a unit test keeps them in step. */
static const struct config_enum config_log_levels[] = {
    {"error", LOG_LEVEL_ERR},
    {"warning", LOG_LEVEL_WARN},
    {"info", LOG_LEVEL_INFO},
    {"debug", LOG_LEVEL_DEBUG},
    {NULL, 0},
};

const struct config_option config_options[] = {
    {.name = "listen",
     .type = CONFIG_ADDRS,
     .short_name = 'l',
     .field = FIELD(listen),
     .count = FIELD(nlisten),
     .def_text = LC_DEFAULT_LISTEN,
     .help = "TCP addresses to accept log records on: host:port, [IPv6]:port, or :port "
	     "for every address. Separate several with commas or repeat the line. On the "
	     "command line the -l addresses replace the file's list."},
    {.name = "listen_udp",
     .type = CONFIG_ADDRS,
     .field = FIELD(listen_udp),
     .count = FIELD(nlisten_udp),
     .help = "UDP addresses to receive log records on, one record per datagram (Python's "
	     "DatagramHandler), written as for listen. Empty: no UDP."},
    {.name = "output",
     .type = CONFIG_PATH,
     .short_name = 'o',
     .field = FIELD(output),
     .def_text = LC_DEFAULT_OUTPUT,
     .help = "File the JSON lines are appended to. It is created if missing and never "
	     "truncated. \"-\" writes to standard output."},
    {.name = "output_mode",
     .type = CONFIG_MODE,
     .field = FIELD(output_mode),
     .max = LC_MAX_OUTPUT_MODE,
     .def = LC_DEFAULT_OUTPUT_MODE,
     .help = "Permission bits, in octal, given to the output file when logcatcherd "
	     "creates it."},
    {.name = "workers",
     .type = CONFIG_UINT,
     .short_name = 'w',
     .field = FIELD(workers),
     .max = LC_MAX_WORKERS,
     .help = "Threads that decode records into JSON lines; 0 starts one per online CPU."},
    {.name = "max_record_size",
     .type = CONFIG_SIZE,
     .field = FIELD(max_record_size),
     .min = LC_MIN_MAX_RECORD,
     .max = LC_MAX_MAX_RECORD,
     .def = LC_DEFAULT_MAX_RECORD,
     .help = "Largest record payload accepted, in bytes; the K, M and G suffixes are "
	     "powers of 1024. A bigger frame is skipped as it arrives (counted, logged, "
	     "and its first bytes written to the dead letters) and the connection goes on "
	     "with the next frame. A pickle's JSON line may be up to 8 times this size."},
    {.name = "max_inflight",
     .type = CONFIG_SIZE,
     .field = FIELD(max_inflight),
     .min = LC_MIN_MAX_INFLIGHT,
     .max = LC_MAX_MAX_INFLIGHT,
     .def = LC_DEFAULT_MAX_INFLIGHT,
     .help = "Bytes received but not yet written that may be held in memory. Above it "
	     "logcatcherd stops reading from clients until the output catches up, and "
	     "resumes below half of it. Counted are the batches' buffers, lines and dead "
	     "letters and the pool of free batches. It must be at least max_record_size."},
    {.name = "max_frame_memory",
     .type = CONFIG_SIZE,
     .field = FIELD(max_frame_memory),
     .min = LC_MIN_MAX_RECORD + LC_FRAME_HEADER,
     .max = LC_MAX_FRAME_MEMORY,
     .def = LC_DEFAULT_FRAME_MEMORY,
     .help = "Bytes that frames still arriving may hold. A frame over 16 KiB is given "
	     "its whole size when its header arrives; if that does not fit, its connection "
	     "waits unread until memory is released. It must be at least max_record_size "
	     "+ 4. Together with max_inflight it bounds the memory held for records."},
    {.name = "frame_timeout",
     .type = CONFIG_SECONDS,
     .field = FIELD(frame_timeout),
     .max = LC_MAX_FRAME_TIMEOUT,
     .def = LC_DEFAULT_FRAME_TIMEOUT,
     .help = "Close a connection that has sent part of a frame and then nothing for this "
	     "long (the partial frame is counted and dead-lettered); 0 never does."},
    {.name = "format",
     .type = CONFIG_ENUM,
     .field = FIELD(format),
     .def = FORMAT_AUTO,
     .values = config_formats,
     .help = "Payload format: auto detects pickle or JSON for each record; pickle or json "
	     "accept only that format."},
    {.name = "stop_timeout",
     .type = CONFIG_SECONDS,
     .field = FIELD(stop_timeout),
     .min = LC_MIN_STOP_TIMEOUT,
     .max = LC_MAX_STOP_TIMEOUT,
     .def = LC_DEFAULT_STOP_TIMEOUT,
     .help = "Seconds a stop (SIGTERM) may spend draining clients and writing before "
	     "logcatcherd gives up; the s, m and h suffixes are accepted."},
    {.name = "stop_grace",
     .type = CONFIG_SECONDS,
     .field = FIELD(stop_grace),
     .max = LC_MAX_STOP_TIMEOUT,
     .def = LC_DEFAULT_STOP_GRACE,
     .help = "At a stop, after the listeners close, how long connections are still read, "
	     "each until it has been quiet for 100 ms or closes, so that records on their "
	     "way (or from a client that connected just before) are not lost. At most "
	     "stop_timeout."},
    {.name = "max_connections",
     .type = CONFIG_UINT,
     .field = FIELD(max_connections),
     .min = 1,
     .max = LC_MAX_MAX_CONNECTIONS,
     .def = LC_DEFAULT_MAX_CONNECTIONS,
     .help = "Most TCP clients connected at once. A connection beyond it (or beyond what "
	     "the descriptor limit allows, keeping a reserve so the output can always be "
	     "reopened) is accepted and closed at once, with one rate-limited log line."},
    {.name = "idle_timeout",
     .type = CONFIG_SECONDS,
     .field = FIELD(idle_timeout),
     .max = LC_MAX_IDLE_TIMEOUT,
     .help = "Close a TCP connection that has sent nothing for this long; 0 never does. "
	     "Off by default because Python's SocketHandler keeps its connection open "
	     "between records."},
    {.name = "allow",
     .type = CONFIG_CIDRS,
     .field = FIELD(allow),
     .count = FIELD(nallow),
     .help = "Clients allowed to send, as address/prefix blocks (10.0.0.0/8, ::1/128, "
	     "192.168.1.7); separate several with commas or repeat the line. Others are "
	     "closed at once (TCP) or ignored (UDP), and counted. Empty: everyone."},
    {.name = "dead_letter",
     .type = CONFIG_STRING,
     .field = FIELD(dead_letter),
     .def_text = "",
     .help = "File that receives every rejected record as a JSON line with the time, "
	     "the peer, the reason and the payload in base64, so that it can be "
	     "inspected or replayed. Empty: rejected records are only counted and logged."},
    {.name = "metrics_listen",
     .type = CONFIG_ADDRS,
     .field = FIELD(metrics_listen),
     .count = FIELD(nmetrics_listen),
     .help = "HTTP addresses serving Prometheus metrics (/metrics), a health check "
	     "(/healthz) and the connected clients (/clients). Keep it on loopback: "
	     "a non-loopback address is logged as a warning. Empty: off."},
    {.name = "log_level",
     .type = CONFIG_ENUM,
     .field = FIELD(log_level),
     .def = LOG_LEVEL_INFO,
     .values = config_log_levels,
     .help = "Least important messages logged. -v on the command line sets debug."},
    {.name = "nats_servers",
     .type = CONFIG_STRING,
     .field = FIELD(nats_servers),
     .def_text = "",
     .help = "NATS servers to forward every record to, as comma-separated URLs "
	     "(nats://host:port, tls://host:port). Each line is published to JetStream after "
	     "it is written to the output, which stays the record of truth and the buffer "
	     "while the servers are away. Empty: no forwarding."},
    {.name = "nats_stream",
     .type = CONFIG_STRING,
     .field = FIELD(nats_stream),
     .def_text = LC_FWD_DEFAULT_STREAM,
     .help = "JetStream stream that must exist and take the subjects of nats_subject; "
	     "checked at every connect. Give it a Duplicates window longer than the longest "
	     "restart you want published exactly once (the default 2 minutes covers a crash "
	     "and a systemd restart)."},
    {.name = "nats_subject",
     .type = CONFIG_STRING,
     .field = FIELD(nats_subject),
     .def_text = LC_FWD_DEFAULT_SUBJECT,
     .help = "Subject template: {host} is the daemon's hostname and {field} the record's "
	     "top-level string or number field of that name (missing: _). In substituted "
	     "values every byte a subject cannot hold (space, control characters, '.', '*', "
	     "'>', non-ASCII) becomes _."},
    {.name = "nats_max_pending",
     .type = CONFIG_UINT,
     .field = FIELD(nats_max_pending),
     .min = 1,
     .max = LC_FWD_MAX_MAX_PENDING,
     .def = LC_FWD_DEFAULT_MAX_PENDING,
     .help = "Messages published and not yet acked at most; it bounds the memory the "
	     "forwarder holds whatever the servers do."},
    {.name = "nats_batch",
     .type = CONFIG_UINT,
     .field = FIELD(nats_batch),
     .min = 1,
     .max = LC_FWD_MAX_BATCH,
     .def = 1,
     .help = "Record lines packed into one message, separated by newlines (consecutive "
	     "lines with the same subject, within the server's max_payload)."},
    {.name = "nats_token",
     .type = CONFIG_STRING,
     .field = FIELD(nats_token),
     .def_text = "",
     .help = "Token to authenticate to the NATS servers with. Empty: none."},
    {.name = "nats_user",
     .type = CONFIG_STRING,
     .field = FIELD(nats_user),
     .def_text = "",
     .help = "User name to authenticate to the NATS servers with, with nats_password. "
	     "Empty: none."},
    {.name = "nats_password",
     .type = CONFIG_STRING,
     .field = FIELD(nats_password),
     .def_text = "",
     .help = "Password of nats_user."},
    {.name = "nats_creds",
     .type = CONFIG_STRING,
     .field = FIELD(nats_creds),
     .def_text = "",
     .help = "NATS credentials file (user JWT and NKey seed) to authenticate with. Empty: "
	     "none."},
    {.name = "nats_tls_ca",
     .type = CONFIG_STRING,
     .field = FIELD(nats_tls_ca),
     .def_text = "",
     .help = "CA certificates (PEM) the NATS servers' certificates are checked against; "
	     "set, the connection uses TLS. Empty: the servers' URLs decide."},
    {.name = "nats_tls_cert",
     .type = CONFIG_STRING,
     .field = FIELD(nats_tls_cert),
     .def_text = "",
     .help = "Client certificate (PEM) presented to the NATS servers, with nats_tls_key. "
	     "Empty: none."},
    {.name = "nats_tls_key",
     .type = CONFIG_STRING,
     .field = FIELD(nats_tls_key),
     .def_text = "",
     .help = "Private key (PEM) of nats_tls_cert."},
    {.name = "forward_state",
     .type = CONFIG_STRING,
     .field = FIELD(forward_state),
     .def_text = "",
     .help = "The forwarder's checkpoint: how far JetStream has acked the output, fsynced "
	     "as it moves. Keep it with the output (under systemd, in StateDirectory). "
	     "Empty: the output's path with .forward appended."},
};
const size_t config_noptions = sizeof(config_options) / sizeof(config_options[0]);
_Static_assert(sizeof(config_options) / sizeof(config_options[0]) <= CONFIG_MAX_OPTIONS,
	       "raise CONFIG_MAX_OPTIONS");

struct config_unit {
	char suffix;
	unsigned long long scale;
};

static const struct config_unit config_size_units[] = {
    {'k', 1ull << 10},
    {'m', 1ull << 20},
    {'g', 1ull << 30},
    {0, 0},
};

static const struct config_unit config_time_units[] = {
    {'s', 1},
    {'m', 60},
    {'h', 60 * 60},
    {0, 0},
};

/* How each type is written: its --help placeholder, what a bad value "is
 * not", and for numbers the base and unit suffixes. */
static const struct config_type_info {
	const char *metavar;
	const char *what;
	int base;
	const struct config_unit *units;
} config_types[] = {
    [CONFIG_STRING] = {"TEXT", NULL, 0, NULL},
    [CONFIG_PATH] = {"PATH", NULL, 0, NULL},
    [CONFIG_ADDRS] = {"ADDR", NULL, 0, NULL},
    [CONFIG_CIDRS] = {"CIDR", NULL, 0, NULL},
    [CONFIG_UINT] = {"N", "a number", 10, NULL},
    [CONFIG_MODE] = {"MODE", "an octal mode", 8, NULL},
    [CONFIG_SIZE] = {"SIZE", "a size (a number with an optional K, M or G suffix)", 10,
		     config_size_units},
    [CONFIG_SECONDS] = {"SECONDS", "a duration (seconds, or a number with an s, m or h suffix)", 10,
			config_time_units},
    [CONFIG_ENUM] = {NULL, NULL, 0, NULL},
};

static int config_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
config_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = xstrdup("out of memory");
	va_end(ap);
	return -1;
}

const struct config_option *
config_find(const char *name)
{
	for (size_t i = 0; i < config_noptions; i++)
		if (strcmp(config_options[i].name, name) == 0)
			return &config_options[i];
	return NULL;
}

const char *
config_option_name(size_t i)
{
	return i < config_noptions ? config_options[i].name : NULL;
}

static void *
config_field(struct config *cfg, const struct config_option *opt)
{
	return (char *)cfg + opt->field;
}

static const void *
config_cfield(const struct config *cfg, const struct config_option *opt)
{
	return (const char *)cfg + opt->field;
}

static size_t *
config_count(struct config *cfg, const struct config_option *opt)
{
	return (size_t *)(void *)((char *)cfg + opt->count);
}

static void
config_list_push(char ***list, size_t *n, const char *elem)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = xstrdup(elem);
}

static unsigned long long
config_number(const struct config *cfg, const struct config_option *opt)
{
	unsigned u;

	if (opt->type == CONFIG_SIZE)
		return *(const size_t *)config_cfield(cfg, opt);
	memcpy(&u, config_cfield(cfg, opt), sizeof(u));
	return u;
}

static void
config_store(struct config *cfg, const struct config_option *opt, unsigned long long v)
{
	unsigned u = (unsigned)v;

	if (opt->type == CONFIG_SIZE)
		*(size_t *)config_field(cfg, opt) = (size_t)v;
	else
		memcpy(config_field(cfg, opt), &u, sizeof(u));
}

/* Digits in base, then an optional unit suffix (any case). Stricter than
 * strtoull: no sign, no spaces, no "0x". Returns 0, -1 when this is not a
 * number, -2 when it does not fit. */
static int
config_parse_number(const char *text, const struct config_type_info *t, unsigned long long *v)
{
	const char *p = text;
	unsigned long long n = 0, scale = 1;
	int overflow = 0;

	for (; *p >= '0' && *p < '0' + t->base; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (~0ull - d) / (unsigned)t->base)
			overflow = 1;
		n = n * (unsigned)t->base + d;
	}
	if (p == text)
		return -1;
	if (*p != '\0') {
		const struct config_unit *u = t->units;

		while (u != NULL && u->suffix != 0 && u->suffix != tolower((unsigned char)*p))
			u++;
		if (u == NULL || u->suffix == 0 || p[1] != '\0')
			return -1;
		scale = u->scale;
	}
	if (overflow || n > ~0ull / scale)
		return -2;
	*v = n * scale;
	return 0;
}

/* Sizes print with the largest suffix that is exact: 1048576 is "1M". */
static void
config_format_number(const struct config_option *opt, unsigned long long v, char *dst, size_t dstsz)
{
	const struct config_unit *u;

	switch (opt->type) {
	case CONFIG_MODE:
		snprintf(dst, dstsz, "%#llo", v);
		return;
	case CONFIG_SIZE:
		for (u = config_size_units; u[1].suffix != 0; u++)
			;
		for (; u >= config_size_units; u--) {
			if (v != 0 && v % u->scale == 0) {
				snprintf(dst, dstsz, "%llu%c", v / u->scale,
					 toupper((unsigned char)u->suffix));
				return;
			}
		}
		break;
	case CONFIG_ENUM:
		for (const struct config_enum *e = opt->values; e->name != NULL; e++) {
			if (e->value == v) {
				snprintf(dst, dstsz, "%s", e->name);
				return;
			}
		}
		break;
	default:
		break;
	}
	snprintf(dst, dstsz, "%llu", v);
}

void
config_metavar(const struct config_option *opt, char *dst, size_t dstsz)
{
	size_t o = 0;

	if (opt->type != CONFIG_ENUM) {
		snprintf(dst, dstsz, "%s", config_types[opt->type].metavar);
		return;
	}
	dst[0] = '\0';
	for (const struct config_enum *e = opt->values; e->name != NULL && o < dstsz; e++)
		o += (size_t)snprintf(dst + o, dstsz - o, "%s%s", e == opt->values ? "" : "|",
				      e->name);
}

static int
config_apply_number(struct config *cfg, const struct config_option *opt, const char *value,
		    char **cause)
{
	const struct config_type_info *t = &config_types[opt->type];
	unsigned long long v;
	char lo[32], hi[32];
	int rc;

	if (opt->type == CONFIG_ENUM) {
		for (const struct config_enum *e = opt->values; e->name != NULL; e++) {
			if (strcmp(e->name, value) == 0) {
				config_store(cfg, opt, e->value);
				return 0;
			}
		}
		config_metavar(opt, lo, sizeof(lo));
		return config_cause(cause, "'%s' is not one of %s", value, lo);
	}
	rc = config_parse_number(value, t, &v);
	if (rc == -1)
		return config_cause(cause, "'%s' is not %s", value, t->what);
	if (rc == -2 || v < opt->min || v > opt->max) {
		config_format_number(opt, opt->min, lo, sizeof(lo));
		config_format_number(opt, opt->max, hi, sizeof(hi));
		return config_cause(cause, "%s is out of range %s..%s", value, lo, hi);
	}
	config_store(cfg, opt, v);
	return 0;
}

static void
config_list_clear(char ***list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

/* Comma-separated list elements, each checked with the type's own parser.
 * The list changes only if every element is good. */
static int
config_check_element(const struct config_option *opt, const char *elem, const char **why)
{
	struct acl_block block;

	if (opt->type == CONFIG_CIDRS)
		return acl_parse(elem, &block, why);
	return addr_check(elem, why);
}

static size_t
config_list_max(const struct config_option *opt)
{
	return opt->type == CONFIG_CIDRS ? LC_MAX_ALLOW : LC_MAX_LISTENERS;
}

static int
config_apply_list(struct config *cfg, const struct config_option *opt, const char *value,
		   int append, char **cause)
{
	char ***list = config_field(cfg, opt);
	size_t *n = config_count(cfg, opt);
	char *copy = xstrdup(value), *rest = copy, *elem;
	char **add = NULL;
	size_t nadd = 0;
	int rc = 0;

	while (rc == 0 && (elem = strsep(&rest, ",")) != NULL) {
		const char *why;
		char *end;

		while (isspace((unsigned char)*elem))
			elem++;
		end = elem + strlen(elem);
		while (end > elem && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*elem == '\0' && rest == NULL && nadd == 0)
			break; /* an empty value: no addresses */
		if (*elem == '\0')
			rc = config_cause(cause, "empty address in '%s'", value);
		else if (config_check_element(opt, elem, &why) == -1)
			rc = config_cause(cause, "'%s' %s", elem, why);
		else if ((append ? *n : 0) + nadd >= config_list_max(opt))
			rc = config_cause(cause, "more than %zu entries", config_list_max(opt));
		else
			config_list_push(&add, &nadd, elem);
	}
	free(copy);
	if (rc == -1) {
		config_list_clear(&add, &nadd);
		return -1;
	}
	if (!append)
		config_list_clear(list, n);
	for (size_t i = 0; i < nadd; i++)
		config_list_push(list, n, add[i]);
	config_list_clear(&add, &nadd);
	return 0;
}

/* Whether "name = value" reads back as value: libinih strips whitespace
 * around values, takes ';' after whitespace as a comment, and reads lines of
 * at most INI_MAX_LINE - 1 characters. */
static int
config_text_round_trips(const struct config_option *opt, const char *value)
{
	size_t len = strlen(value);

	if (strlen(opt->name) + strlen(" = ") + len > INI_MAX_LINE - 1)
		return 0;
	if (value[0] == ';' || (len > 0 && (isspace((unsigned char)value[0]) ||
					       isspace((unsigned char)value[len - 1]))))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (value[i] == ';' && isspace((unsigned char)value[i - 1]))
			return 0;
	return 1;
}

int
config_apply(struct config *cfg, const struct config_option *opt, const char *value, int append,
	     char **cause)
{
	char **text = config_field(cfg, opt);

	switch (opt->type) {
	case CONFIG_PATH:
		if (*value == '\0')
			return config_cause(cause, "empty path");
		/* FALLTHROUGH */
	case CONFIG_STRING:
		if (!config_text_round_trips(opt, value))
			return config_cause(cause, "'%s': a value cannot start with ';', contain "
						   "whitespace before ';', begin or end with "
						   "whitespace, or make its line longer than %d "
						   "characters (the INI file could not hold it)",
			    value, INI_MAX_LINE - 1);
		free(*text);
		*text = xstrdup(value);
		return 0;
	case CONFIG_ADDRS:
	case CONFIG_CIDRS:
		return config_apply_list(cfg, opt, value, append, cause);
	default:
		return config_apply_number(cfg, opt, value, cause);
	}
}

int
config_set(struct config *cfg, const char *name, const char *value, char **cause)
{
	const struct config_option *opt = config_find(name);

	if (opt == NULL)
		return config_cause(cause, "unknown option '%s'", name);
	return config_apply(cfg, opt, value, 0, cause);
}

void
config_free_cause(char *cause)
{
	free(cause);
}

void
config_format(const struct config_option *opt, const struct config *cfg, char *dst, size_t dstsz)
{
	if (opt->type == CONFIG_STRING || opt->type == CONFIG_PATH)
		snprintf(dst, dstsz, "%s", *(char *const *)config_cfield(cfg, opt));
	else
		config_format_number(opt, config_number(cfg, opt), dst, dstsz);
}

char *const *
config_list(const struct config *cfg, const struct config_option *opt, size_t *n)
{
	*n = *(const size_t *)(const void *)((const char *)cfg + opt->count);
	return *(char **const *)config_cfield(cfg, opt);
}

void
config_describe_default(const struct config_option *opt, char *dst, size_t dstsz)
{
	char def[64], lo[32], hi[32];

	switch (opt->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_ADDRS:
	case CONFIG_CIDRS:
		snprintf(dst, dstsz, "Default: %s.", opt->def_text ? opt->def_text : "none");
		return;
	case CONFIG_ENUM:
		config_format_number(opt, opt->def, def, sizeof(def));
		config_metavar(opt, lo, sizeof(lo));
		snprintf(dst, dstsz, "Default: %s; one of %s.", def, lo);
		return;
	default:
		config_format_number(opt, opt->def, def, sizeof(def));
		config_format_number(opt, opt->min, lo, sizeof(lo));
		config_format_number(opt, opt->max, hi, sizeof(hi));
		snprintf(dst, dstsz, "Default: %s; range %s..%s.", def, lo, hi);
	}
}

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < config_noptions; i++) {
		const struct config_option *opt = &config_options[i];
		char **text = config_field(cfg, opt);

		switch (opt->type) {
		case CONFIG_STRING:
		case CONFIG_PATH:
			*text = xstrdup(opt->def_text);
			break;
		case CONFIG_ADDRS:
		case CONFIG_CIDRS:
			if (opt->def_text != NULL)
				config_list_push(config_field(cfg, opt), config_count(cfg, opt),
						 opt->def_text);
			break;
		default:
			config_store(cfg, opt, opt->def);
		}
	}
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < config_noptions; i++) {
		const struct config_option *opt = &config_options[i];

		if (opt->type == CONFIG_STRING || opt->type == CONFIG_PATH) {
			free(*(char **)config_field(cfg, opt));
			*(char **)config_field(cfg, opt) = NULL;
		} else if (config_is_list(opt)) {
			config_list_clear(config_field(cfg, opt), config_count(cfg, opt));
		}
	}
}

int
config_is_list(const struct config_option *opt)
{
	return opt->type == CONFIG_ADDRS || opt->type == CONFIG_CIDRS;
}
