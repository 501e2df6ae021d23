/*
 * Fuzz the INI reader and the options table: any file must load without a
 * crash or leak, and a file that loads cleanly must print (--check-config)
 * as INI that reads back to the same configuration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/config.h"

static char *
fuzz_print(const struct config *cfg)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	config_print(cfg, f);
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, again;
	char *text = malloc(size + 1), *printed, *reprinted;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_init(&cfg);
	if (config_load_string(&cfg, "fuzz.conf", text, NULL) == 0) {
		printed = fuzz_print(&cfg);
		config_init(&again);
		if (config_load_string(&again, "printed.conf", printed, NULL) != 0)
			abort();
		reprinted = fuzz_print(&again);
		if (strcmp(printed, reprinted) != 0)
			abort();
		free(reprinted);
		free(printed);
		config_free(&again);
	}
	config_free(&cfg);
	free(text);
	return 0;
}
