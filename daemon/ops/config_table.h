/*
 * The options table, private to config.c (sources and printing) and
 * config_table.c (the rows and the meaning of each value type).
 */
#ifndef LC_CONFIG_TABLE_H
#define LC_CONFIG_TABLE_H

#include <stddef.h>

#include "ops/config.h"

/* An upper bound on the rows, so per-option state can live on the stack. */
#define CONFIG_MAX_OPTIONS 64

enum config_type {
	CONFIG_STRING,	/* any text, may be empty */
	CONFIG_PATH,	/* a file name, not empty */
	CONFIG_ADDRS,	/* host:port list, comma-separated and repeatable */
	CONFIG_CIDRS,	/* address/prefix list, comma-separated and repeatable */
	CONFIG_UINT,	/* decimal number */
	CONFIG_MODE,	/* octal permission bits */
	CONFIG_SIZE,	/* bytes, with K/M/G (1024-based) suffixes */
	CONFIG_SECONDS, /* seconds, with s/m/h suffixes */
	CONFIG_ENUM,	/* one word of a list */
};

struct config_enum {
	const char *name;
	unsigned value;
};

struct config_option {
	const char *name;
	enum config_type type;
	char short_name; /* command-line letter, or 0 */
	size_t field;	 /* offsetof the value in struct config */
	size_t count;	 /* lists: offsetof the element count */
	unsigned long long min, max;
	unsigned long long def;		  /* numbers and enums */
	const char *def_text;		  /* text and lists; NULL is an empty list */
	const struct config_enum *values; /* CONFIG_ENUM, NULL-terminated */
	const char *help;
};

extern const struct config_option config_options[];
extern const size_t config_noptions;

const struct config_option *config_find(const char *name);

/* Whether the option holds a list (repeatable in a file). */
int config_is_list(const struct config_option *opt);

/* Set opt from text. A list is replaced, or appended to when append is set.
 * Returns 0, or -1 with an allocated *cause. */
int config_apply(struct config *cfg, const struct config_option *opt, const char *value, int append,
		 char **cause);

/* The value as the file would spell it: "1M", "0640", "auto". Lists are
 * printed by the caller, one element per line. */
void config_format(const struct config_option *opt, const struct config *cfg, char *dst,
		   size_t dstsz);

/* A list option's elements. */
char *const *config_list(const struct config *cfg, const struct config_option *opt, size_t *n);

/* "Default: 1M; range 64..256M." */
void config_describe_default(const struct config_option *opt, char *dst, size_t dstsz);

/* What --help shows after the option: "SIZE", "auto|pickle|json". */
void config_metavar(const struct config_option *opt, char *dst, size_t dstsz);

#endif
