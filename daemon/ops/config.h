/*
 * Configuration: one options table (config_table.c) drives the INI file (libinih),
 * the command line, validation, --check-config output, --help and the
 * documented example conf/logcatcherd.conf.
 */
#ifndef LC_CONFIG_H
#define LC_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "base/log.h"
#include "decode/record.h"


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
	size_t max_frame_memory; /* bytes of frames still arriving */
	unsigned frame_timeout;  /* seconds without a byte mid-frame; 0 = never */
	enum record_format format;
	unsigned stop_timeout;   /* seconds the stop may take to drain */
	unsigned stop_grace;     /* seconds connections are read on at the stop */
	unsigned max_connections;
	unsigned idle_timeout;   /* seconds; 0 = never */
	char **allow;            /* CIDR blocks; none = everyone */
	size_t nallow;
	char *dead_letter;       /* path, or "" for none */
	char **metrics_listen;   /* HTTP addresses for /metrics; none = off */
	size_t nmetrics_listen;
	enum log_level log_level;
	char *nats_servers;      /* "" = no forwarding */
	char *nats_stream;
	char *nats_subject;      /* template (sink/subject.h) */
	unsigned nats_max_pending;
	unsigned nats_batch;
	char *nats_token;
	char *nats_user;
	char *nats_password;
	char *nats_creds;
	char *nats_tls_ca;
	char *nats_tls_cert;
	char *nats_tls_key;
	char *forward_state;     /* "" = OUTPUT.forward */
};

/* Defaults from base/limits.h. */
void config_init(struct config *cfg);
void config_free(struct config *cfg);

/*
 * Parse argv (options from the table plus -c/--config, -n/--check-config,
 * -v/--verbose, -h/--help, -V/--version). A config file named by -c is read first, then
 * the command line overrides it. Repeatable list options (listen) given on
 * the command line replace the file's list. Returns CONFIG_OK, CONFIG_EXIT
 * (help/version/check-config printed; exit 0) or CONFIG_ERROR (every error
 * already printed to stderr as "file:line: what" or "option --x: what").
 */
enum config_result { CONFIG_OK, CONFIG_EXIT, CONFIG_ERROR };
enum config_result config_from_args(struct config *cfg, int argc, char **argv);

/* config_from_args with its output (help, version, --check-config) going to
 * out and its errors to err, for tests. */
enum config_result config_parse_args(struct config *cfg, int argc, char **argv, FILE *out,
    FILE *err);

/* Read an INI file into cfg (used by config_from_args; exposed for tests).
 * Returns the number of errors, each printed to errf as "path:line: what". */
int config_load_file(struct config *cfg, const char *path, FILE *errf);

/* The same for INI text in memory; name stands for the path in messages.
 * errf may be NULL to only count the errors. */
int config_load_string(struct config *cfg, const char *name, const char *text, FILE *errf);

/* Set one option by its table name from a string, as the file and command
 * line do; a list option gets exactly the given comma-separated elements.
 * Returns 0, or -1 with *cause set to an allocated message (free with
 * config_free_cause). */
int config_set(struct config *cfg, const char *name, const char *value, char **cause);
void config_free_cause(char *cause);

/* Print the effective configuration in INI syntax (--check-config). */
void config_print(const struct config *cfg, FILE *out);

/* Print every option with its help and default, in the format of the
 * documented example file conf/logcatcherd.conf. */
void config_print_example(FILE *out);

/* The name of the i-th option of the table, NULL past the end. */
const char *config_option_name(size_t i);

#endif
