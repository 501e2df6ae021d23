#include "tmpdir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

int
tmpdir_create(char *dir, size_t dirsz, const char *name)
{
	snprintf(dir, dirsz, "/tmp/lc-test-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
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
tmpdir_remove(const char *dir)
{
	return nftw(dir, tmpdir_unlink, 16, FTW_DEPTH | FTW_PHYS);
}
