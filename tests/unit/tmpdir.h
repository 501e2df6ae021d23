/* A private temporary directory for a group of unit tests, removed with its
 * files, and reading back what the code under test wrote there. */
#ifndef LC_TEST_TMPDIR_H
#define LC_TEST_TMPDIR_H

#include <stddef.h>

/* /tmp/lc-test-PROGRAM-XXXXXX while the group runs. */
extern char tmpdir[64];

/* cmocka group setup and teardown: create tmpdir; remove it and everything
 * in it. 0 or -1. */
int tmpdir_setup(void **state);
int tmpdir_teardown(void **state);
/* Setup for groups that run the pipeline: libevent's thread locking too. */
int tmpdir_setup_threaded(void **state);

/* A file's whole contents, NUL-terminated, and its size in *len (if not
 * NULL); NULL if it cannot be read. */
char *tmpdir_slurp(const char *path, size_t *len);

#endif
