#include "tmpdir.h"

#include <errno.h> /* program_invocation_short_name (_GNU_SOURCE is set for the build) */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/thread.h>

char tmpdir[64];

int
tmpdir_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lc-test-%s-XXXXXX", program_invocation_short_name);
	return mkdtemp(tmpdir) ? 0 : -1;
}

int
tmpdir_setup_threaded(void **state)
{
	return tmpdir_setup(state) == -1 ? -1 : evthread_use_pthreads();
}

static int
tmpdir_unlink(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int
tmpdir_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, tmpdir_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tmpdir_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *data = NULL;
	long size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)size + 1)) != NULL) {
		if (fread(data, 1, (size_t)size, f) == (size_t)size) {
			data[size] = '\0';
			if (len != NULL)
				*len = (size_t)size;
		} else {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}
