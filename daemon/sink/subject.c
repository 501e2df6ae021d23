/*
 * Subject templates. A template is compiled once into parts (literal text
 * with {host} already substituted, and field names) and tokens (split at
 * '.'; a token holding a field is variable), so rendering a line is one
 * scan of its top-level keys per field and the stream check is a token
 * match. Record lines are compact JSON written by us, so the scan only has
 * to skip strings and nested values, never to validate.
 */
#include "sink/subject.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/xmalloc.h"

struct subject_part {
	char *text; /* literal text, or the field's name */
	size_t len;
	int field;
};

struct subject_token {
	char *text; /* NULL: variable (holds a field) */
};

struct subject {
	char *text;
	struct subject_part *parts;
	size_t nparts, nfields, literal_len;
	struct subject_token *tokens;
	size_t ntokens;
};

static int subject_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
subject_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = xstrdup("out of memory");
	va_end(ap);
	return -1;
}

/* What a byte becomes in a substituted value. */
static char
subject_safe(unsigned char c)
{
	if (c <= ' ' || c >= 0x7f || c == '.' || c == '*' || c == '>')
		return '_';
	return (char)c;
}

static void
subject_add_part(struct subject *s, const char *text, size_t len, int field)
{
	struct subject_part *last = s->nparts > 0 ? &s->parts[s->nparts - 1] : NULL;

	if (!field && last != NULL && !last->field) {
		last->text = xrealloc(last->text, last->len + len + 1);
		memcpy(last->text + last->len, text, len);
		last->len += len;
		last->text[last->len] = '\0';
	} else {
		s->parts = xreallocarray(s->parts, s->nparts + 1, sizeof(*s->parts));
		last = &s->parts[s->nparts++];
		last->text = xstrndup(text, len);
		last->len = len;
		last->field = field;
	}
	if (field)
		s->nfields++;
	else
		s->literal_len += len;
}

static void
subject_add_token(struct subject *s, const char *text, size_t len, int variable)
{
	s->tokens = xreallocarray(s->tokens, s->ntokens + 1, sizeof(*s->tokens));
	s->tokens[s->ntokens++].text = variable ? NULL : xstrndup(text, len);
}

/* Split the parts into tokens at each literal '.'. */
static int
subject_tokenize(struct subject *s, char **cause)
{
	char cur[LC_FWD_SUBJECT_MAX + 1];
	size_t len = 0;
	int variable = 0;

	for (size_t i = 0; i < s->nparts; i++) {
		const struct subject_part *p = &s->parts[i];

		if (p->field) {
			variable = 1;
			continue;
		}
		for (size_t j = 0; j < p->len; j++) {
			if (p->text[j] != '.') {
				cur[len++] = p->text[j];
				continue;
			}
			if (len == 0 && !variable)
				return subject_cause(cause, "nats_subject '%s' has an empty token",
				    s->text);
			subject_add_token(s, cur, len, variable);
			len = 0;
			variable = 0;
		}
	}
	if (len == 0 && !variable)
		return subject_cause(cause, "nats_subject '%s' has an empty token", s->text);
	subject_add_token(s, cur, len, variable);
	return 0;
}

/* The literal text of the template, checked; {host} is substituted. */
static int
subject_parse(struct subject *s, const char *tmpl, const char *host, char **cause)
{
	const char *p = tmpl;

	while (*p != '\0') {
		const char *close;

		if (*p == '}')
			return subject_cause(cause, "nats_subject '%s': '}' without '{'", tmpl);
		if (*p != '{') {
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '*' ||
			    *p == '>')
				return subject_cause(cause,
				    "nats_subject '%s': a subject cannot hold '%c' (wildcards, "
				    "spaces and non-ASCII are not allowed)",
				    tmpl, *p);
			subject_add_part(s, p++, 1, 0);
			continue;
		}
		close = strchr(p, '}');
		if (close == NULL || close == p + 1 || memchr(p + 1, '{', (size_t)(close - p - 1)) ||
		    memchr(p + 1, '"', (size_t)(close - p - 1)) ||
		    memchr(p + 1, '\\', (size_t)(close - p - 1)))
			return subject_cause(cause,
			    "nats_subject '%s': '{' must be followed by a field name and '}'", tmpl);
		if (close - p - 1 == 4 && strncmp(p + 1, "host", 4) == 0) {
			for (const char *h = host; *h != '\0'; h++) {
				char c = subject_safe((unsigned char)*h);

				subject_add_part(s, &c, 1, 0);
			}
		} else {
			subject_add_part(s, p + 1, (size_t)(close - p - 1), 1);
		}
		p = close + 1;
	}
	if (s->literal_len + s->nfields > LC_FWD_SUBJECT_MAX)
		return subject_cause(cause, "nats_subject '%s' is longer than %d characters", tmpl,
		    LC_FWD_SUBJECT_MAX);
	return 0;
}

struct subject *
subject_compile(const char *tmpl, const char *host, char **cause)
{
	struct subject *s = xcalloc(1, sizeof(*s));
	struct subject_part *p;

	if (subject_parse(s, tmpl, host, cause) == -1)
		goto fail;
	/* Messages show the template with {host} substituted. */
	s->text = xstrdup("");
	for (size_t i = 0; i < s->nparts; i++) {
		char *t;

		p = &s->parts[i];
		if (asprintf(&t, p->field ? "%s{%s}" : "%s%s", s->text, p->text) == -1)
			fatalx("out of memory");
		free(s->text);
		s->text = t;
	}
	if (s->nparts == 0) {
		subject_cause(cause, "nats_subject is empty");
		goto fail;
	}
	if (subject_tokenize(s, cause) == -1)
		goto fail;
	return s;
fail:
	subject_free(s);
	return NULL;
}

void
subject_free(struct subject *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nparts; i++)
		free(s->parts[i].text);
	for (size_t i = 0; i < s->ntokens; i++)
		free(s->tokens[i].text);
	free(s->parts);
	free(s->tokens);
	free(s->text);
	free(s);
}

int
subject_has_fields(const struct subject *s)
{
	return s->nfields > 0;
}

const char *
subject_text(const struct subject *s)
{
	return s->text;
}

/* Past the string starting at line[i] == '"'. */
static size_t
subject_skip_string(const char *line, size_t len, size_t i)
{
	for (i++; i < len && line[i] != '"'; i++)
		if (line[i] == '\\')
			i++;
	return i + 1;
}

/* Past the value at line[i] (nested containers skipped whole). */
static size_t
subject_skip_value(const char *line, size_t len, size_t i)
{
	int depth = 0;

	while (i < len) {
		char c = line[i];

		if (c == '"') {
			i = subject_skip_string(line, len, i);
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		if (depth < 0 || (depth == 0 && c == ','))
			return i;
		i++;
		if (depth == 0 && (c == '}' || c == ']'))
			return i;
	}
	return i;
}

/* The value of a top-level key: its start and end in line, or 0. */
static int
subject_find(const char *line, size_t len, const char *name, size_t nlen, size_t *vs, size_t *ve)
{
	size_t i = 1;

	if (len == 0 || line[0] != '{')
		return 0;
	while (i < len && line[i] == '"') {
		size_t ks = i + 1, ke = subject_skip_string(line, len, i) - 1;

		i = ke + 2; /* past '"' and ':' (compact JSON) */
		*vs = i;
		i = *ve = subject_skip_value(line, len, i);
		if (ke - ks == nlen && memcmp(line + ks, name, nlen) == 0 && *ve <= len)
			return 1;
		if (i >= len || line[i] != ',')
			return 0;
		i++;
	}
	return 0;
}

/* The field's value, sanitised, into dst (at most room bytes); its length. */
static size_t
subject_field(const char *line, size_t len, const struct subject_part *p, char *dst, size_t room)
{
	size_t vs, ve, n = 0;
	char c;

	if (!subject_find(line, len, p->text, p->len, &vs, &ve) || vs >= ve)
		goto missing;
	c = line[vs];
	if (c == '"') {
		for (size_t i = vs + 1; i + 1 < ve && n < room; i++) {
			if (line[i] == '\\') {
				/* An escape is one character: \uXXXX is six bytes. */
				i += line[i + 1] == 'u' ? 5 : 1;
				dst[n++] = '_';
			} else {
				dst[n++] = subject_safe((unsigned char)line[i]);
			}
		}
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		for (size_t i = vs; i < ve && n < room; i++)
			dst[n++] = subject_safe((unsigned char)line[i]);
	}
	if (n > 0)
		return n;
missing:
	dst[0] = '_';
	return 1;
}

size_t
subject_render(const struct subject *s, const char *line, size_t len, char *dst)
{
	size_t n = 0, fields_left = s->nfields, literal_left = s->literal_len;

	for (size_t i = 0; i < s->nparts; i++) {
		const struct subject_part *p = &s->parts[i];

		if (!p->field) {
			memcpy(dst + n, p->text, p->len);
			n += p->len;
			literal_left -= p->len;
			continue;
		}
		fields_left--;
		/* Leave a byte for each later field and room for the literals. */
		n += subject_field(line, len, p, dst + n,
		    LC_FWD_SUBJECT_MAX - n - literal_left - fields_left);
	}
	dst[n] = '\0';
	return n;
}

int
subject_covered_by(const struct subject *s, const char *filter)
{
	char *copy = xstrdup(filter), *rest = copy, *tok;
	size_t i = 0;
	int ok = 1;

	while ((tok = strsep(&rest, ".")) != NULL) {
		if (strcmp(tok, ">") == 0) {
			ok = i < s->ntokens;
			i = s->ntokens;
			break;
		}
		if (i == s->ntokens || (strcmp(tok, "*") != 0 && (s->tokens[i].text == NULL ||
							     strcmp(tok, s->tokens[i].text) != 0))) {
			ok = 0;
			break;
		}
		i++;
	}
	free(copy);
	return ok && i == s->ntokens;
}
