/* A private temporary directory for a unit test, removed with its files. */
#ifndef LC_TEST_TMPDIR_H
#define LC_TEST_TMPDIR_H

#include <stddef.h>

/* Create /tmp/lc-test-NAME-XXXXXX into dir; 0 or -1. */
int tmpdir_create(char *dir, size_t dirsz, const char *name);
/* Remove it and everything in it; 0 or -1. */
int tmpdir_remove(const char *dir);

#endif
