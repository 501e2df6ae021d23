/*
 * The NATS subject of a record line, from the nats_subject template:
 * literal text with {host} (the daemon's hostname) and {field} (that
 * top-level string or number field of the record; missing, empty or of
 * another type: "_"). Substituted values are sanitised: every byte a subject
 * token cannot hold (space and other control characters, '.', '*', '>',
 * DEL and every byte of a non-ASCII character) becomes '_', and values are
 * cut so that the subject fits in LC_FWD_SUBJECT_MAX. Pure: no I/O, no
 * threads.
 */
#ifndef LC_SUBJECT_H
#define LC_SUBJECT_H

#include <stddef.h>

struct subject;

/* NULL with an allocated *cause (free()) for a template that is not a
 * subject: empty tokens, wildcards, bad characters, an unclosed brace. */
struct subject *subject_compile(const char *tmpl, const char *host, char **cause);
void subject_free(struct subject *s);

/* Whether the template needs the record's fields (else every line has the
 * same subject). */
int subject_has_fields(const struct subject *s);

/* The subject of one line (compact JSON object, without its '\n') into dst
 * (LC_FWD_SUBJECT_MAX + 1 bytes), NUL-terminated; returns its length. */
size_t subject_render(const struct subject *s, const char *line, size_t len, char *dst);

/* Whether the stream subject filter (tokens, '*' and '>') takes every
 * subject the template can produce. */
int subject_covered_by(const struct subject *s, const char *filter);

/* The template with {host} substituted, for messages. */
const char *subject_text(const struct subject *s);

#endif
