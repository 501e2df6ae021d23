/*
 * Configuration: one options table (config.c) drives the INI file (libinih),
 * the command line, validation, --check-config output, --help and the
 * documented example conf/logcatcherd.conf.
 */
#ifndef LC_CONFIG_H
#define LC_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "log.h"

enum record_format { FORMAT_AUTO, FORMAT_JSON, FORMAT_PICKLE };

struct config {
	char **listen; /* TCP addresses: "127.0.0.1:9020", "[::1]:9020" */
	size_t nlisten;
	char **listen_udp; /* UDP addresses (DatagramHandler); none by default */
	size_t nlisten_udp;
	char *output;            /* path, or "-" for stdout */
	unsigned output_mode;    /* creation mode of the output file */
	unsigned workers;        /* worker threads; 0 = online CPUs */
	size_t max_record_size;  /* largest payload accepted, bytes */
	size_t max_inflight;     /* bytes framed but not yet written */
	enum record_format format;
	unsigned stop_timeout;   /* seconds the stop may take to drain */
	enum log_level log_level;
};

/* Defaults from limits.h. */
void config_init(struct config *cfg);
void config_free(struct config *cfg);

/*
 * Parse argv (options from the table plus -c/--config, -n/--check-config,
 * -h/--help, -V/--version). A config file named by -c is read first, then
 * the command line overrides it. Repeatable list options (listen) given on
 * the command line replace the file's list. Returns CONFIG_OK, CONFIG_EXIT
 * (help/version/check-config printed; exit 0) or CONFIG_ERROR (every error
 * already printed to stderr as "file:line: what" or "option --x: what").
 */
enum config_result { CONFIG_OK, CONFIG_EXIT, CONFIG_ERROR };
enum config_result config_from_args(struct config *cfg, int argc, char **argv);

/* Read an INI file into cfg (used by config_from_args; exposed for tests).
 * Returns the number of errors, each printed to errf as "path:line: what". */
int config_load_file(struct config *cfg, const char *path, FILE *errf);

/* Set one option by its table name from a string, as the file and command
 * line do. Returns 0, or -1 with *cause set to a static or allocated message
 * (free with config_free_cause). */
int config_set(struct config *cfg, const char *name, const char *value, char **cause);
void config_free_cause(char *cause);

/* Print the effective configuration in INI syntax (--check-config). */
void config_print(const struct config *cfg, FILE *out);

/* Print every option with its help and default, in the format of the
 * documented example file conf/logcatcherd.conf. */
void config_print_example(FILE *out);

#endif
