#include "client_py.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *
client_py_tmpfile(const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t size = strlen(dir) + 32;
	char *path = malloc(size);
	int fd;

	if (path == NULL)
		return NULL;
	strcpy(path, dir);
	strcat(path, "/lcc-test-XXXXXX");
	if ((fd = mkstemp(path)) == -1 || write(fd, data, len) != (ssize_t)len) {
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

int
client_py_run(const char *const *argv)
{
	const char *python = getenv("PYTHON3") ? getenv("PYTHON3") : "/usr/bin/python3";
	const char *args[16] = {python};
	int status;
	size_t n = 1;
	pid_t pid;

	for (; argv[n - 1] != NULL && n < 15; n++)
		args[n] = argv[n - 1];
	args[n] = NULL;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* execv takes char *const[]: the strings are not modified. */
		execv(python, (char *const *)(uintptr_t)args);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}
