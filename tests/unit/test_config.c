/*
 * The options table and everything generated from it: values of every type,
 * the INI file with file:line errors, the command line, --check-config,
 * --help, and that conf/logcatcherd.conf and docs/logcatcherd.conf.5 are in
 * step with the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ops/config.h"

#define REPEAT_10_A "aaaaaaaaaa"
#define REPEAT_190_A                                                                              \
	REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A        \
	    REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A    \
		REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A REPEAT_10_A
#include "base/limits.h"
#include "base/log.h"

#ifndef LC_SOURCE_DIR
#error "LC_SOURCE_DIR must name the source tree"
#endif

/* A memory stream and its buffer, for captured output. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static void
capture_open(struct capture *c)
{
	c->buf = NULL;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static char *
capture_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static char *
printed(const struct config *cfg)
{
	struct capture c;

	capture_open(&c);
	config_print(cfg, c.f);
	return capture_close(&c);
}

static int
load(struct config *cfg, const char *text, char **errors)
{
	struct capture c;
	int n;

	capture_open(&c);
	n = config_load_string(cfg, "x.conf", text, c.f);
	*errors = capture_close(&c);
	return n;
}

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;

	assert_non_null(f);
	n = getdelim(&buf, &len, '\0', f);
	assert_true(n >= 0);
	fclose(f);
	return buf;
}

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/test_config.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Run the command line; argv is NULL-terminated after "logcatcherd". */
static enum config_result
run(struct config *cfg, char **out, char **err, ...)
{
	char *argv[32] = {"logcatcherd"};
	int argc = 1;
	struct capture o, e;
	enum config_result rc;
	va_list ap;

	va_start(ap, err);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	capture_open(&o);
	capture_open(&e);
	rc = config_parse_args(cfg, argc, argv, o.f, e.f);
	*out = capture_close(&o);
	*err = capture_close(&e);
	return rc;
}

static void
test_defaults(void **state)
{
	struct config cfg;

	(void)state;
	config_init(&cfg);
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0], LC_DEFAULT_LISTEN);
	assert_int_equal(cfg.nlisten_udp, 0);
	assert_string_equal(cfg.output, LC_DEFAULT_OUTPUT);
	assert_int_equal(cfg.output_mode, LC_DEFAULT_OUTPUT_MODE);
	assert_int_equal(cfg.workers, 0);
	assert_int_equal(cfg.max_record_size, LC_DEFAULT_MAX_RECORD);
	assert_int_equal(cfg.max_inflight, LC_DEFAULT_MAX_INFLIGHT);
	assert_int_equal(cfg.format, FORMAT_AUTO);
	assert_int_equal(cfg.stop_timeout, LC_DEFAULT_STOP_TIMEOUT);
	assert_int_equal(cfg.stop_grace, LC_DEFAULT_STOP_GRACE);
	assert_int_equal(cfg.max_frame_memory, LC_DEFAULT_FRAME_MEMORY);
	assert_int_equal(cfg.frame_timeout, LC_DEFAULT_FRAME_TIMEOUT);
	/* The defaults take a 1 MiB message (its pickle is a little more). */
	assert_true(cfg.max_record_size >= 16u * 1024 * 1024);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	config_free(&cfg);
	config_free(&cfg); /* idempotent */
}

/* One value through config_set: the line config_print then shows, or a
 * substring of the error. */
static const struct value_case {
	const char *name, *value, *shown, *error;
} value_cases[] = {
    {"listen", "[::1]:9021", "listen = [::1]:9021\nlisten_udp", NULL},
    {"listen", ":9020", "listen = :9020\n", NULL},
    {"listen", "0.0.0.0:9020,127.0.0.1:1", "listen = 0.0.0.0:9020\nlisten = 127.0.0.1:1\n", NULL},
    {"listen", "", "listen =\n", NULL},
    {"listen", "foo", NULL, "'foo' expected host:port"},
    {"listen", "1.2.3.4:65536", NULL, "port must be"},
    {"listen", "1.2.3.4:1,,1.2.3.4:2", NULL, "empty address"},
    {"listen", "::1", NULL, "[addr]:port"},
    {"listen_udp", "127.0.0.1:9021", "listen_udp = 127.0.0.1:9021\n", NULL},
    {"listen_udp", "x", NULL, "'x' expected host:port"},
    {"output", "-", "output = -\n", NULL},
    {"output", "/var/log/a b.jsonl", "output = /var/log/a b.jsonl\n", NULL},
    {"output", "", NULL, "empty path"},
    /* Found by fuzz_config: values libinih could not read back. */
    {"output", ";lg l_ea", NULL, "cannot start with ';'"},
    {"output", "a ;b", NULL, "whitespace before ';'"},
    {"output", "a;b", "output = a;b\n", NULL},
    {"dead_letter", " x", NULL, "begin or end with whitespace"},
    {"output", "/" REPEAT_190_A, NULL, "longer than 199 characters"},
    {"output_mode", "0640", "output_mode = 0640\n", NULL},
    {"output_mode", "600", "output_mode = 0600\n", NULL},
    {"output_mode", "0", "output_mode = 0\n", NULL},
    {"output_mode", "0777", "output_mode = 0777\n", NULL},
    {"output_mode", "01000", NULL, "01000 is out of range 0..0777"},
    {"output_mode", "0648", NULL, "'0648' is not an octal mode"},
    {"output_mode", "rw", NULL, "not an octal mode"},
    {"workers", "0", "workers = 0\n", NULL},
    {"workers", "256", "workers = 256\n", NULL},
    {"workers", "257", NULL, "257 is out of range 0..256"},
    {"workers", "999", NULL, "999 is out of range 0..256"},
    {"workers", "99999999999999999999999", NULL, "out of range"},
    {"workers", "-1", NULL, "'-1' is not a number"},
    {"workers", "+1", NULL, "not a number"},
    {"workers", " 1", NULL, "not a number"},
    {"workers", "0x10", NULL, "not a number"},
    {"workers", "4k", NULL, "not a number"},
    {"workers", "", NULL, "'' is not a number"},
    {"max_record_size", "64", "max_record_size = 64\n", NULL},
    {"max_record_size", "63", NULL, "63 is out of range 64..256M"},
    {"max_record_size", "256M", "max_record_size = 256M\n", NULL},
    {"max_record_size", "262145k", NULL, "out of range 64..256M"},
    {"max_record_size", "1k", "max_record_size = 1K\n", NULL},
    {"max_record_size", "2M", "max_record_size = 2M\n", NULL},
    {"max_record_size", "2m", "max_record_size = 2M\n", NULL},
    {"max_record_size", "1536", "max_record_size = 1536\n", NULL},
    {"max_record_size", "2048", "max_record_size = 2K\n", NULL},
    {"max_record_size", "1.5M", NULL, "'1.5M' is not a size"},
    {"max_record_size", "1MB", NULL, "not a size"},
    {"max_record_size", "1T", NULL, "not a size"},
    {"max_record_size", "M", NULL, "not a size"},
    {"max_inflight", "64K", "max_inflight = 64K\n", NULL},
    {"max_inflight", "65535", NULL, "65535 is out of range 64K..4G"},
    {"max_inflight", "4g", "max_inflight = 4G\n", NULL},
    {"max_inflight", "4097M", NULL, "out of range 64K..4G"},
    {"max_inflight", "18014398509481984G", NULL, "out of range"},
    {"format", "auto", "format = auto\n", NULL},
    {"format", "pickle", "format = pickle\n", NULL},
    {"format", "json", "format = json\n", NULL},
    {"format", "JSON", NULL, "'JSON' is not one of auto|pickle|json"},
    {"format", "xml", NULL, "not one of"},
    {"stop_timeout", "1", "stop_timeout = 1\n", NULL},
    {"stop_timeout", "0", NULL, "0 is out of range 1..3600"},
    {"stop_timeout", "3600", "stop_timeout = 3600\n", NULL},
    {"stop_timeout", "3601", NULL, "out of range 1..3600"},
    {"stop_timeout", "2m", "stop_timeout = 120\n", NULL},
    {"stop_timeout", "1h", "stop_timeout = 3600\n", NULL},
    {"stop_timeout", "90s", "stop_timeout = 90\n", NULL},
    {"stop_timeout", "2h", NULL, "2h is out of range"},
    {"stop_timeout", "1d", NULL, "'1d' is not a duration"},
    {"log_level", "error", "log_level = error\n", NULL},
    {"log_level", "warning", "log_level = warning\n", NULL},
    {"log_level", "info", "log_level = info\n", NULL},
    {"log_level", "debug", "log_level = debug\n", NULL},
    {"log_level", "verbose", NULL, "not one of error|warning|info|debug"},
    {"lsiten", "x", NULL, "unknown option 'lsiten'"},
};

static void
test_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		const struct value_case *vc = &value_cases[i];
		struct config cfg;
		char *cause = NULL, *text;
		int rc;

		config_init(&cfg);
		rc = config_set(&cfg, vc->name, vc->value, &cause);
		text = printed(&cfg);
		if (vc->error == NULL && rc != 0)
			fail_msg("%s = '%s': %s", vc->name, vc->value, cause);
		if (vc->error != NULL && rc == 0)
			fail_msg("%s = '%s' was accepted", vc->name, vc->value);
		if (vc->shown != NULL && strstr(text, vc->shown) == NULL)
			fail_msg("%s = '%s' prints as\n%s", vc->name, vc->value, text);
		if (vc->error != NULL && strstr(cause, vc->error) == NULL)
			fail_msg("%s = '%s': '%s' lacks '%s'", vc->name, vc->value, cause,
				 vc->error);
		/* A rejected value leaves the default. */
		if (vc->error != NULL) {
			struct config def;
			char *deftext;

			config_init(&def);
			deftext = printed(&def);
			assert_string_equal(text, deftext);
			free(deftext);
			config_free(&def);
		}
		config_free_cause(cause);
		free(text);
		config_free(&cfg);
	}
}

static void
test_typed_fields(void **state)
{
	struct config cfg;
	char *cause = NULL;

	(void)state;
	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "max_inflight", "4G", &cause), 0);
	assert_true(cfg.max_inflight == 4ull << 30);
	assert_int_equal(config_set(&cfg, "max_record_size", "3k", &cause), 0);
	assert_int_equal(cfg.max_record_size, 3072);
	assert_int_equal(config_set(&cfg, "output_mode", "0600", &cause), 0);
	assert_int_equal(cfg.output_mode, 0600);
	assert_int_equal(config_set(&cfg, "format", "pickle", &cause), 0);
	assert_int_equal(cfg.format, FORMAT_PICKLE);
	assert_int_equal(config_set(&cfg, "format", "json", &cause), 0);
	assert_int_equal(cfg.format, FORMAT_JSON);
	assert_int_equal(config_set(&cfg, "workers", "7", &cause), 0);
	assert_int_equal(cfg.workers, 7);
	assert_int_equal(config_set(&cfg, "stop_timeout", "5m", &cause), 0);
	assert_int_equal(cfg.stop_timeout, 300);
	config_free(&cfg);
}

/* The table's level names are the ones log.c knows. */
static void
test_log_levels_match_log(void **state)
{
	static const char *names[] = {"error", "warning", "info", "debug"};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct config cfg;
		enum log_level level;
		char *cause = NULL;

		config_init(&cfg);
		assert_int_equal(config_set(&cfg, "log_level", names[i], &cause), 0);
		assert_int_equal(log_parse_level(names[i], &level), 0);
		assert_int_equal(cfg.log_level, level);
		assert_string_equal(log_level_name(cfg.log_level), names[i]);
		config_free(&cfg);
	}
}

static void
test_file_lists(void **state)
{
	struct config cfg;
	char *errors;

	(void)state;
	config_init(&cfg);
	assert_int_equal(load(&cfg,
			      "# comment\n"
			      "; comment\n"
			      "listen = 127.0.0.1:1, [::1]:2\n"
			      "listen = :3\n"
			      "listen_udp = 127.0.0.1:4\n"
			      "[logcatcherd]\n"
			      "listen = 127.0.0.1:5\n"
			      "listen_udp = 127.0.0.1:6 ; inline comment\n"
			      "workers = 3\n",
			      &errors),
			 0);
	assert_string_equal(errors, "");
	/* The file's first listen line replaced the default. */
	assert_int_equal(cfg.nlisten, 4);
	assert_string_equal(cfg.listen[0], "127.0.0.1:1");
	assert_string_equal(cfg.listen[1], "[::1]:2");
	assert_string_equal(cfg.listen[2], ":3");
	assert_string_equal(cfg.listen[3], "127.0.0.1:5");
	assert_int_equal(cfg.nlisten_udp, 2);
	assert_string_equal(cfg.listen_udp[1], "127.0.0.1:6");
	assert_int_equal(cfg.workers, 3);
	free(errors);
	config_free(&cfg);
}

static void
test_file_errors(void **state)
{
	struct config cfg;
	char *errors;

	(void)state;
	config_init(&cfg);
	assert_int_equal(load(&cfg,
			      "lsiten = 127.0.0.1:1\n"
			      "workers = 999\n"
			      "listen = foo\n"
			      "max_record_size = 1.5M\n"
			      "output_mode = 0640\n"
			      "output_mode = 0600\n"
			      "[other]\n"
			      "workers = 1\n"
			      "format = 1\n"
			      "[logcatcherd]\n"
			      "format = xml\n",
			      &errors),
			 7);
	assert_string_equal(
	    errors,
	    "x.conf:1: unknown option 'lsiten'\n"
	    "x.conf:2: workers: 999 is out of range 0..256\n"
	    "x.conf:3: listen: 'foo' expected host:port\n"
	    "x.conf:4: max_record_size: '1.5M' is not a size (a number with an optional K, M "
	    "or G suffix)\n"
	    "x.conf:6: output_mode: already set on line 5\n"
	    "x.conf:8: unknown section [other], expected [logcatcherd]\n"
	    "x.conf:11: format: 'xml' is not one of auto|pickle|json\n");
	free(errors);
	config_free(&cfg);
}

static void
test_file_syntax(void **state)
{
	struct config cfg;
	char line[400], *errors;

	(void)state;
	config_init(&cfg);
	assert_int_equal(load(&cfg, "workers = 2\nno equals sign\nworkers2 = 1\n", &errors), 2);
	assert_string_equal(errors,
			    "x.conf:3: unknown option 'workers2'\n"
			    "x.conf:2: syntax error: expected 'name = value' or '[logcatcherd]'\n");
	free(errors);
	config_free(&cfg);

	/* A line longer than inih's buffer is refused, not parsed in pieces. */
	config_init(&cfg);
	memset(line, 'a', sizeof(line));
	memcpy(line, "output = ", 9);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(load(&cfg, line, &errors), 1);
	assert_non_null(strstr(errors, "x.conf:1: line longer than"));
	assert_string_equal(cfg.output, LC_DEFAULT_OUTPUT);
	free(errors);
	config_free(&cfg);

	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, "/nonexistent/x.conf", NULL), 1);
	assert_int_equal(load(&cfg, "", &errors), 0);
	free(errors);
	config_free(&cfg);
}

static void
test_cli_overrides_file(void **state)
{
	struct config cfg;
	char *path = write_temp("listen = 127.0.0.1:1\nlisten = 127.0.0.1:2\n"
				"workers = 2\noutput = file.jsonl\nmax_record_size = 2M\n");
	char *out, *err;

	(void)state;
	config_init(&cfg);
	/* Command-line values win even when they come before -c. */
	assert_int_equal(run(&cfg, &out, &err, "-w", "5", "--listen", "127.0.0.1:3", "-l",
			     "127.0.0.1:4,127.0.0.1:5", "-c", path, "--max-record-size", "4k", "-v",
			     "--listen-udp", "127.0.0.1:6", NULL),
			 CONFIG_OK);
	assert_string_equal(err, "");
	assert_string_equal(out, "");
	assert_int_equal(cfg.workers, 5);
	assert_string_equal(cfg.output, "file.jsonl");
	assert_int_equal(cfg.max_record_size, 4096);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(cfg.nlisten, 3); /* -l replaced the file's two */
	assert_string_equal(cfg.listen[0], "127.0.0.1:3");
	assert_string_equal(cfg.listen[2], "127.0.0.1:5");
	assert_int_equal(cfg.nlisten_udp, 1);
	free(out);
	free(err);
	config_free(&cfg);

	/* Without -l the file's list stands; the last scalar wins. */
	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "--config", path, "-w", "1", "--workers=7",
			     "--log-level", "error", "--format", "json", "--output-mode", "600",
			     "--stop-timeout", "9", "--max-inflight", "1G", "-o", "-", NULL),
			 CONFIG_OK);
	assert_int_equal(cfg.nlisten, 2);
	assert_int_equal(cfg.workers, 7);
	assert_int_equal(cfg.log_level, LOG_LEVEL_ERR);
	assert_int_equal(cfg.format, FORMAT_JSON);
	assert_int_equal(cfg.output_mode, 0600);
	assert_int_equal(cfg.stop_timeout, 9);
	assert_true(cfg.max_inflight == 1ull << 30);
	assert_string_equal(cfg.output, "-");
	free(out);
	free(err);
	config_free(&cfg);
	unlink(path);
	free(path);
}

static void
test_cli_errors(void **state)
{
	struct config cfg;
	char *path = write_temp("workers = 999\n");
	char *out, *err;

	(void)state;
	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "-c", path, "--workers", "x", "--bogus", "-q",
			     "extra", "--max-record-size", "1G", "-l", "foo", "-o", NULL),
			 CONFIG_ERROR);
	assert_non_null(strstr(err, "logcatcherd: unknown option '--bogus'\n"));
	assert_non_null(strstr(err, "logcatcherd: unknown option '-q'\n"));
	assert_non_null(strstr(err, "logcatcherd: option -o needs a value\n"));
	assert_non_null(strstr(err, "logcatcherd: unexpected argument 'extra'\n"));
	assert_non_null(strstr(err, ":1: workers: 999 is out of range 0..256\n"));
	assert_non_null(strstr(err, "logcatcherd: option --workers: 'x' is not a number\n"));
	assert_non_null(strstr(err, "logcatcherd: option --max-record-size: 1G is out of range"));
	assert_non_null(strstr(err, "logcatcherd: option --listen: 'foo' expected host:port\n"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	config_free(&cfg);
	unlink(path);
	free(path);

	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "-c", "/nonexistent.conf", NULL), CONFIG_ERROR);
	assert_non_null(strstr(err, "/nonexistent.conf: No such file"));
	free(out);
	free(err);
	config_free(&cfg);

	/* A record must fit in flight. */
	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "--max-inflight", "64k", NULL), CONFIG_ERROR);
	assert_non_null(strstr(err, "max_inflight (65536) is smaller than max_record_size"));
	free(out);
	free(err);
	config_free(&cfg);

	/* And in the frame memory, with its header. */
	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "--max-record-size", "1M", "--max-frame-memory",
			     "1M", NULL),
	    CONFIG_ERROR);
	assert_non_null(strstr(err, "max_frame_memory (1048576) is smaller than max_record_size "
				    "(1048576) + 4"));
	free(out);
	free(err);
	config_free(&cfg);
}

/* text, loaded into a fresh config, prints as text again. */
static void
assert_reads_back(struct config *cfg, const char *text)
{
	char *errors, *again;

	config_init(cfg);
	assert_int_equal(load(cfg, text, &errors), 0);
	again = printed(cfg);
	assert_string_equal(again, text);
	free(again);
	free(errors);
}

static void
test_check_config_round_trip(void **state)
{
	struct config cfg, again;
	char *out, *err;

	(void)state;
	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "-n", "-l", "127.0.0.1:1,[::1]:2", "--listen-udp",
			     ":3", "-o", "/tmp/a b", "--output-mode", "0600", "-w", "3",
			     "--max-record-size", "1536", "--max-inflight", "3G", "--format",
			     "pickle", "--stop-timeout", "1h", "--log-level", "warning", NULL),
			 CONFIG_EXIT);
	assert_string_equal(err, "");
	assert_string_equal(out, "listen = 127.0.0.1:1\n"
				 "listen = [::1]:2\n"
				 "listen_udp = :3\n"
				 "output = /tmp/a b\n"
				 "output_mode = 0600\n"
				 "workers = 3\n"
				 "max_record_size = 1536\n"
				 "max_inflight = 3G\n"
				 "max_frame_memory = 64M\n"
				 "frame_timeout = 60\n"
				 "format = pickle\n"
				 "stop_timeout = 3600\n"
				 "stop_grace = 1\n"
				 "max_connections = 10000\n"
				 "idle_timeout = 0\n"
				 "allow =\n"
				 "dead_letter =\n"
				 "metrics_listen =\n"
				 "log_level = warning\n"
				 "nats_servers =\n"
				 "nats_stream = LOGS\n"
				 "nats_subject = logs.{host}\n"
				 "nats_max_pending = 4096\n"
				 "nats_batch = 1\n"
				 "nats_token =\n"
				 "nats_user =\n"
				 "nats_password =\n"
				 "nats_creds =\n"
				 "nats_tls_ca =\n"
				 "nats_tls_cert =\n"
				 "nats_tls_key =\n"
				 "forward_state =\n");
	assert_reads_back(&again, out);
	assert_int_equal(again.nlisten, 2);
	assert_int_equal(again.max_inflight, cfg.max_inflight);
	assert_int_equal(again.log_level, LOG_LEVEL_WARN);
	free(out);
	free(err);
	config_free(&again);
	config_free(&cfg);

	/* Every option appears, empty lists included, and defaults read back. */
	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "--check-config", "--listen-udp", "", NULL),
			 CONFIG_EXIT);
	for (size_t i = 0; config_option_name(i) != NULL; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s =", config_option_name(i));
		assert_non_null(strstr(out, key));
	}
	assert_non_null(strstr(out, "workers = 0\n"));
	assert_non_null(strstr(out, "listen_udp =\n"));
	assert_reads_back(&again, out);
	free(out);
	free(err);
	config_free(&again);
	config_free(&cfg);
}

static void
test_help_and_version(void **state)
{
	struct config cfg;
	char *out, *err;

	(void)state;
	config_init(&cfg);
	assert_int_equal(run(&cfg, &out, &err, "--help", NULL), CONFIG_EXIT);
	assert_string_equal(err, "");
	for (size_t i = 0; config_option_name(i) != NULL; i++) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s ", config_option_name(i));
		for (char *p = flag; (p = strchr(p, '_')) != NULL;)
			*p = '-';
		if (strstr(out, flag) == NULL)
			fail_msg("--help lacks %s", flag);
	}
	assert_non_null(strstr(out, "-l, --listen ADDR"));
	assert_non_null(strstr(out, "--format auto|pickle|json"));
	assert_non_null(strstr(out, "Default: 16M; range 64..256M."));
	free(out);
	free(err);

	assert_int_equal(run(&cfg, &out, &err, "-V", NULL), CONFIG_EXIT);
	assert_string_equal(out, "logcatcherd " LC_VERSION "\n");
	free(out);
	free(err);
	config_free(&cfg);
}

/* conf/logcatcherd.conf is exactly what the table generates. On a mismatch
 * the generated text is left in logcatcherd.conf.generated to copy over. */
static void
test_example_file_matches_table(void **state)
{
	struct capture c;
	char *file = read_all(LC_SOURCE_DIR "/conf/logcatcherd.conf");
	char *gen, *errors;
	struct config cfg, def;

	(void)state;
	capture_open(&c);
	config_print_example(c.f);
	gen = capture_close(&c);
	if (strcmp(file, gen) != 0) {
		FILE *f = fopen("logcatcherd.conf.generated", "w");

		if (f != NULL) {
			fputs(gen, f);
			fclose(f);
		}
		fail_msg("conf/logcatcherd.conf differs from config_print_example(); "
			 "see logcatcherd.conf.generated");
	}

	/* Uncommented, every line reads back as the defaults. */
	config_init(&cfg);
	config_init(&def);
	for (char *p = gen; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] >= 'a' && p[2] <= 'z')
			memmove(p + 1, p + 2, strlen(p + 2) + 1);
	assert_int_equal(load(&cfg, gen, &errors), 0);
	free(file);
	file = printed(&cfg);
	free(gen);
	gen = printed(&def);
	assert_string_equal(file, gen);
	free(errors);
	free(file);
	free(gen);
	config_free(&cfg);
	config_free(&def);
}

/* docs/logcatcherd.conf.5 has one ".It Cm name" per table row, no more. */
static void
test_man_page_matches_table(void **state)
{
	char *page = read_all(LC_SOURCE_DIR "/docs/logcatcherd.conf.5");
	size_t documented = 0, rows = 0;

	(void)state;
	for (char *p = page; (p = strstr(p, "\n.It Cm ")) != NULL; p++) {
		char name[64];
		size_t i;

		assert_int_equal(sscanf(p + 8, "%63s", name), 1);
		for (i = 0; config_option_name(i) != NULL; i++)
			if (strcmp(config_option_name(i), name) == 0)
				break;
		if (config_option_name(i) == NULL)
			fail_msg("man page documents '%s', not in the table", name);
		documented++;
	}
	for (; config_option_name(rows) != NULL; rows++) {
		char entry[80];

		snprintf(entry, sizeof(entry), "\n.It Cm %s ", config_option_name(rows));
		if (strstr(page, entry) == NULL)
			fail_msg("man page lacks '.It Cm %s'", config_option_name(rows));
	}
	assert_int_equal(documented, rows);
	free(page);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_typed_fields),
	    cmocka_unit_test(test_log_levels_match_log),
	    cmocka_unit_test(test_file_lists),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_file_syntax),
	    cmocka_unit_test(test_cli_overrides_file),
	    cmocka_unit_test(test_cli_errors),
	    cmocka_unit_test(test_check_config_round_trip),
	    cmocka_unit_test(test_help_and_version),
	    cmocka_unit_test(test_example_file_matches_table),
	    cmocka_unit_test(test_man_page_matches_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
