/* Client unit tests: run $PYTHON3 (set by CTest) on files the test wrote. */
#ifndef LCC_TEST_CLIENT_PY_H
#define LCC_TEST_CLIENT_PY_H

#include <stddef.h>

/* Write data to a new temporary file; returns its malloc'd path. */
char *client_py_tmpfile(const void *data, size_t len);
/* Run $PYTHON3 with argv (NULL-terminated, after the interpreter); returns
 * its exit status, or -1 if it could not run. */
int client_py_run(const char *const *argv);

#endif
