/*
 * Configuration sources and output, all driven by the options table
 * (config_table.c). The sources apply in order: defaults, the INI file named
 * by -c, the command line. Within one source the first line of a list option
 * replaces the earlier source's list and later lines append to it; any other
 * option may appear once per file (the command line's last value wins).
 *
 * libinih does the INI syntax; we read the lines for it so we know the line
 * number of every error. Every error is printed, then the load fails.
 */
#include "ops/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "base/limits.h"
#include "base/xmalloc.h"
#include "ops/config_table.h"

#define CONFIG_PROG "logcatcherd"
#define CONFIG_SECTION "logcatcherd"
#define CONFIG_WRAP 78 /* columns of generated comments and --help */

/* One file being read. */
struct config_file {
	struct config *cfg;
	const char *path;
	FILE *in;
	FILE *errf;
	int line;
	int errors;
	int first_line[CONFIG_MAX_OPTIONS]; /* where each option was first set */
	char bad_section[64];		    /* the unknown section last reported */
};

static void config_file_error(struct config_file *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
config_file_error(struct config_file *f, const char *fmt, ...)
{
	va_list ap;

	f->errors++;
	if (f->errf == NULL)
		return;
	fprintf(f->errf, "%s:%d: ", f->path, f->line);
	va_start(ap, fmt);
	vfprintf(f->errf, fmt, ap);
	va_end(ap);
	fputc('\n', f->errf);
}

/* inih's fgets: counts lines, and refuses a line longer than its buffer,
 * which inih would otherwise parse in pieces. */
static char *
config_file_read(char *str, int num, void *stream)
{
	struct config_file *f = stream;
	size_t len;
	int c;

	if (fgets(str, num, f->in) == NULL)
		return NULL;
	f->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && (c = getc(f->in)) != EOF && c != '\n') {
		config_file_error(f, "line longer than %d characters", num - 1);
		while ((c = getc(f->in)) != EOF && c != '\n')
			;
		str[0] = '\0';
	}
	return str;
}

static int
config_file_option(void *user, const char *section, const char *name, const char *value)
{
	struct config_file *f = user;
	const struct config_option *opt;
	char *cause;
	int *first;

	if (*section != '\0' && strcmp(section, CONFIG_SECTION) != 0) {
		if (strcmp(section, f->bad_section) != 0) {
			config_file_error(f, "unknown section [%s], expected [%s]", section,
					  CONFIG_SECTION);
			snprintf(f->bad_section, sizeof(f->bad_section), "%s", section);
		}
		return 1;
	}
	if ((opt = config_find(name)) == NULL) {
		config_file_error(f, "unknown option '%s'", name);
		return 1;
	}
	first = &f->first_line[opt - config_options];
	if (*first != 0 && !config_is_list(opt)) {
		config_file_error(f, "%s: already set on line %d", name, *first);
		return 1;
	}
	if (config_apply(f->cfg, opt, value, *first != 0, &cause) == -1) {
		config_file_error(f, "%s: %s", name, cause);
		free(cause);
	}
	if (*first == 0)
		*first = f->line;
	return 1; /* errors are ours to report; let inih go on */
}

static int
config_load_stream(struct config *cfg, const char *path, FILE *in, FILE *errf)
{
	struct config_file f = {.cfg = cfg, .path = path, .in = in, .errf = errf};
	int rc;

	/* Our handler never fails, so inih only reports its own syntax errors,
	 * and only the first. */
	rc = ini_parse_stream(config_file_read, &f, config_file_option, &f);
	if (rc > 0) {
		f.line = rc;
		config_file_error(&f, "syntax error: expected 'name = value' or '[%s]'",
				  CONFIG_SECTION);
	} else if (rc < 0) {
		config_file_error(&f, "cannot parse: out of memory");
	}
	return f.errors;
}

int
config_load_file(struct config *cfg, const char *path, FILE *errf)
{
	FILE *in = fopen(path, "r");
	int errors;

	if (in == NULL) {
		if (errf != NULL)
			fprintf(errf, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	errors = config_load_stream(cfg, path, in, errf);
	fclose(in);
	return errors;
}

int
config_load_string(struct config *cfg, const char *name, const char *text, FILE *errf)
{
	char *copy = xstrdup(text); /* fmemopen wants a writable buffer */
	FILE *in = fmemopen(copy, strlen(copy), "r");
	int errors;

	if (in == NULL) {
		if (errf != NULL)
			fprintf(errf, "%s: %s\n", name, strerror(errno));
		free(copy);
		return 1;
	}
	errors = config_load_stream(cfg, name, in, errf);
	fclose(in);
	free(copy);
	return errors;
}

/* Options that are not settings, for getopt_long and --help. */
static const struct config_flag {
	const char *name;
	char short_name;
	const char *metavar;
	const char *help;
} config_flags[] = {
    {"config", 'c', "FILE",
     "Read options from this INI file first; the command line "
     "overrides it."},
    {"check-config", 'n', NULL, "Check the configuration, print it in INI syntax and exit."},
    {"verbose", 'v', NULL, "Log debug messages: log_level = debug."},
    {"help", 'h', NULL, "Print this help and exit."},
    {"version", 'V', NULL, "Print the version and exit."},
};
#define CONFIG_NFLAGS (sizeof(config_flags) / sizeof(config_flags[0]))

/* getopt_long tables generated from the options table: "--max-record-size"
 * for max_record_size; rows without a letter get CONFIG_LONG_ONLY + row. */
#define CONFIG_LONG_ONLY 256
struct config_cli {
	struct option longopts[CONFIG_NFLAGS + CONFIG_MAX_OPTIONS + 1];
	char names[CONFIG_MAX_OPTIONS][64];
	char shortopts[2 * (CONFIG_NFLAGS + CONFIG_MAX_OPTIONS) + 2];
};

/* max_record_size is --max-record-size on the command line. */
static void
config_dashed(char *dst, size_t dstsz, const char *name)
{
	snprintf(dst, dstsz, "%s", name);
	for (char *p = dst; (p = strchr(p, '_')) != NULL;)
		*p = '-';
}

static void
config_cli_init(struct config_cli *cli)
{
	size_t o = 0, s = 0;

	memset(cli, 0, sizeof(*cli));
	cli->shortopts[s++] = ':'; /* report a missing value as ':' */
	for (size_t i = 0; i < CONFIG_NFLAGS; i++, o++) {
		const struct config_flag *fl = &config_flags[i];

		cli->longopts[o] = (struct option){
		    fl->name, fl->metavar ? required_argument : no_argument, NULL, fl->short_name};
		cli->shortopts[s++] = fl->short_name;
		if (fl->metavar != NULL)
			cli->shortopts[s++] = ':';
	}
	for (size_t i = 0; i < config_noptions; i++, o++) {
		const struct config_option *opt = &config_options[i];

		config_dashed(cli->names[i], sizeof(cli->names[i]), opt->name);
		cli->longopts[o] =
		    (struct option){cli->names[i], required_argument, NULL,
				    opt->short_name ? opt->short_name : CONFIG_LONG_ONLY + (int)i};
		if (opt->short_name) {
			cli->shortopts[s++] = opt->short_name;
			cli->shortopts[s++] = ':';
		}
	}
}

/* The table row a getopt_long result stands for, or -1. */
static int
config_cli_row(int ch)
{
	if (ch >= CONFIG_LONG_ONLY)
		return ch - CONFIG_LONG_ONLY;
	for (size_t i = 0; i < config_noptions; i++)
		if (config_options[i].short_name == ch)
			return (int)i;
	return -1;
}

static void
config_wrap(FILE *out, const char *prefix, const char *text)
{
	size_t width = CONFIG_WRAP - strlen(prefix);

	while (*text != '\0') {
		size_t len = strlen(text);

		if (len > width) {
			for (len = width; len > 0 && text[len] != ' '; len--)
				;
			if (len == 0)
				len = strcspn(text, " ");
		}
		fprintf(out, "%s%.*s\n", prefix, (int)len, text);
		for (text += len; *text == ' '; text++)
			;
	}
}

static void
config_print_help(FILE *out)
{
	char buf[256];

	fprintf(out, "usage: %s [-hnvV] [-c file] [--option value ...]\n\n", CONFIG_PROG);
	config_wrap(out, "",
		    "Every option of logcatcherd.conf(5) can be given as --name-with-dashes VALUE; "
		    "the command line overrides the file named by -c.");
	fputc('\n', out);
	for (size_t i = 0; i < CONFIG_NFLAGS; i++) {
		const struct config_flag *fl = &config_flags[i];

		fprintf(out, "  -%c, --%s%s%s\n", fl->short_name, fl->name, fl->metavar ? " " : "",
			fl->metavar ? fl->metavar : "");
		config_wrap(out, "        ", fl->help);
	}
	for (size_t i = 0; i < config_noptions; i++) {
		const struct config_option *opt = &config_options[i];

		if (opt->short_name)
			fprintf(out, "  -%c, ", opt->short_name);
		else
			fputs("      ", out);
		config_dashed(buf, sizeof(buf), opt->name);
		fprintf(out, "--%s ", buf);
		config_metavar(opt, buf, sizeof(buf));
		fprintf(out, "%s\n", buf);
		config_wrap(out, "        ", opt->help);
		config_describe_default(opt, buf, sizeof(buf));
		config_wrap(out, "        ", buf);
	}
}

static int config_cli_error(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
config_cli_error(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "%s: ", CONFIG_PROG);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	return 1;
}

/* Cross-option rules the table cannot express. */
static int
config_check(const struct config *cfg, FILE *err)
{
	/* A record must fit in flight, or reading would pause forever. */
	if (cfg->max_inflight < cfg->max_record_size)
		return config_cli_error(err,
					"max_inflight (%zu) is smaller than max_record_size (%zu)",
					cfg->max_inflight, cfg->max_record_size);
	/* A frame must fit in the frame memory, or its connection would wait
	 * forever. */
	if (cfg->max_frame_memory < cfg->max_record_size + LC_FRAME_HEADER)
		return config_cli_error(err,
		    "max_frame_memory (%zu) is smaller than max_record_size (%zu) + %d",
		    cfg->max_frame_memory, cfg->max_record_size, LC_FRAME_HEADER);
	/* The forwarder reads its lines back from the file. */
	if (cfg->nats_servers[0] != '\0' && strcmp(cfg->output, "-") == 0)
		return config_cli_error(err, "nats_servers needs an output file, not \"-\"");
	return 0;
}

enum config_result
config_parse_args(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	struct config_cli cli;
	unsigned char listed[CONFIG_MAX_OPTIONS] = {0};
	const char *path = NULL;
	int ch, row, errors = 0, check = 0, help = 0, version = 0;
	char *cause;

	config_cli_init(&cli);
	/* First pass: the file and the flags, and syntax errors. optind = 0
	 * makes glibc start afresh. */
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == 'n')
			check = 1;
		else if (ch == 'h')
			help = 1;
		else if (ch == 'V')
			version = 1;
		else if (ch == ':')
			errors +=
			    config_cli_error(err, "option %s needs a value", argv[optind - 1]);
		else if (ch == '?' && optopt != 0)
			errors += config_cli_error(err, "unknown option '-%c'", optopt);
		else if (ch == '?')
			errors += config_cli_error(err, "unknown option '%s'", argv[optind - 1]);
	}
	for (int i = optind; i < argc; i++)
		errors += config_cli_error(err, "unexpected argument '%s'", argv[i]);
	if (errors == 0 && help) {
		config_print_help(out);
		return CONFIG_EXIT;
	}
	if (errors == 0 && version) {
		fprintf(out, "%s %s\n", CONFIG_PROG, LC_VERSION);
		return CONFIG_EXIT;
	}

	if (path != NULL)
		errors += config_load_file(cfg, path, err);

	/* Second pass: the settings, over the file's. */
	optind = 0;
	while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
		if (ch == 'v')
			cfg->log_level = LOG_LEVEL_DEBUG;
		if ((row = config_cli_row(ch)) == -1)
			continue;
		if (config_apply(cfg, &config_options[row], optarg, listed[row], &cause) == -1) {
			errors += config_cli_error(err, "option --%s: %s", cli.names[row], cause);
			free(cause);
		}
		listed[row] = 1;
	}
	errors += config_check(cfg, err);
	if (errors != 0)
		return CONFIG_ERROR;
	if (check) {
		config_print(cfg, out);
		return CONFIG_EXIT;
	}
	return CONFIG_OK;
}

enum config_result
config_from_args(struct config *cfg, int argc, char **argv)
{
	return config_parse_args(cfg, argc, argv, stdout, stderr);
}

/* One option as INI lines, each starting with prefix. A list is one line per
 * element (repeated lines accumulate, so it reads back the same), or an
 * empty value when it has none. */
static void
config_print_option(FILE *out, const char *prefix, const struct config_option *opt,
		    const struct config *cfg)
{
	char buf[256];
	char *const *list;
	size_t n;

	if (!config_is_list(opt)) {
		config_format(opt, cfg, buf, sizeof(buf));
		fprintf(out, "%s%s =%s%s\n", prefix, opt->name, buf[0] ? " " : "", buf);
		return;
	}
	list = config_list(cfg, opt, &n);
	for (size_t j = 0; j < n; j++)
		fprintf(out, "%s%s = %s\n", prefix, opt->name, list[j]);
	if (n == 0)
		fprintf(out, "%s%s =\n", prefix, opt->name);
}

void
config_print(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < config_noptions; i++)
		config_print_option(out, "", &config_options[i], cfg);
}

void
config_print_example(FILE *out)
{
	struct config defaults;
	char buf[256];

	config_init(&defaults);
	config_wrap(out, "# ",
		    "logcatcherd.conf: configuration of logcatcherd(8), see logcatcherd.conf(5).");
	fputs("#\n", out);
	config_wrap(out, "# ",
		    "Every option is shown with its default value, commented out. Options are "
		    "written as name = value, either before any section header or after a "
		    "[" CONFIG_SECTION "] header; other sections are errors. Lines starting with # "
		    "or ; are comments.");
	fputs("#\n", out);
	config_wrap(
	    out, "# ",
	    "This file is generated from the options table in daemon/ops/config_table.c; a unit "
	    "test keeps the two identical.");
	for (size_t i = 0; i < config_noptions; i++) {
		const struct config_option *opt = &config_options[i];

		fputc('\n', out);
		config_wrap(out, "# ", opt->help);
		config_describe_default(opt, buf, sizeof(buf));
		config_wrap(out, "# ", buf);
		config_print_option(out, "#", opt, &defaults);
	}
	config_free(&defaults);
}
