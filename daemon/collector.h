/*
 * The collector's lifecycle: build the loop, inputs, pipeline and output
 * from a configuration, run until SIGTERM/SIGINT, then stop in stages (close
 * listeners, take what clients already sent, drain the pipeline, fsync,
 * trailer, fsync). SIGHUP reopens the output. A second stop signal exits at
 * once.
 */
#ifndef LC_COLLECTOR_H
#define LC_COLLECTOR_H

struct config;

/* Exit status for the process (see logcatcherd(8), EXIT STATUS). */
enum collector_exit {
	COLLECTOR_EXIT_OK = 0,
	COLLECTOR_EXIT_FAILURE = 1, /* could not start, or could not write everything */
	COLLECTOR_EXIT_USAGE = 2,   /* bad configuration or command line */
};

enum collector_exit collector_run(const struct config *cfg);

#endif
