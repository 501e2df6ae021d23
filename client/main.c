/*
 * logcatcher-client: wiring only. Parse options, check the daemon is there,
 * then either fork the sort workers and gather their reports from a pipe,
 * or run the flood; print the summary. Exit 1 if any record was dropped.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "defaults.h"
#include "flood.h"
#include "netaddr.h"
#include "options.h"
#include "progress.h"
#include "worker.h"

static volatile sig_atomic_t main_stop;

static void
main_on_signal(int sig)
{
	(void)sig;
	main_stop = 1;
}

static void
main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	/* A broken connection is reported by send(); see sender.c. */
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static pid_t
main_fork_worker(const struct options *o, const struct netaddr *na, unsigned index, int pipefd[2])
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	close(pipefd[0]);
	_exit(worker_run(o, na, index, pipefd[1], &main_stop));
}

/* Read worker reports until every worker closed its end of the pipe. A
 * signal to this process alone (not the process group) is passed on. */
static void
main_gather(struct progress *p, struct worker_report *last, int fd, const pid_t *pids)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct worker_report r;
	int forwarded = 0, ready;
	ssize_t n;

	for (;;) {
		int timeout = p->live ? (int)(LCC_PROGRESS_INTERVAL * 1000) : -1;

		ready = poll(&pfd, 1, timeout);
		if (main_stop && !forwarded) {
			forwarded = 1;
			for (unsigned i = 0; i < p->workers; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		}
		if (ready == 0)
			progress_tick(p, 1);
		if (ready <= 0)
			continue;
		n = read(fd, &r, sizeof(r));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (n != sizeof(r) || r.index >= p->workers)
			errx(1, "garbled worker report");
		last[r.index] = r;
		memset(&p->st, 0, sizeof(p->st));
		p->workers_done = 0;
		for (unsigned i = 0; i < p->workers; i++) {
			progress_add(&p->st, &last[i].st);
			p->workers_done += last[i].done;
		}
		progress_tick(p, 0);
	}
}

/* Fork the workers, gather their reports, reap them; 0 if all finished. */
static int
main_workers(const struct options *o, const struct netaddr *na, struct progress *p)
{
	struct worker_report *last = calloc(o->workers, sizeof(*last));
	pid_t *pids = calloc(o->workers, sizeof(*pids)), pid;
	int pipefd[2], failed = 0, status;

	if (last == NULL || pids == NULL || pipe(pipefd) == -1)
		err(1, "starting workers");
	p->workers = p->connections = o->workers;
	for (unsigned i = 0; i < o->workers; i++) {
		if ((pids[i] = main_fork_worker(o, na, i, pipefd)) == -1) {
			warn("fork worker %u", i);
			failed = 1;
			break;
		}
	}
	close(pipefd[1]);
	main_gather(p, last, pipefd[0], pids);
	close(pipefd[0]);
	while ((pid = wait(&status)) != -1 || errno == EINTR)
		if (pid != -1 && WIFSIGNALED(status)) {
			warnx("worker process %ld killed by signal %d", (long)pid,
			      WTERMSIG(status));
			failed = 1;
		}
	if (p->workers_done < o->workers)
		failed = 1;
	free(last);
	free(pids);
	return failed ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct netaddr na;
	struct progress p;
	char *cause;
	int rc;

	if ((rc = options_parse(&o, argc, argv)) != 0)
		return rc > 0 ? 0 : 2;
	main_signals();
	if (netaddr_probe(&na, o.host, o.port, &cause) != 0) {
		fprintf(stderr, "logcatcher-client: %s\n", cause ? cause : "cannot connect");
		free(cause);
		return 1;
	}
	/* Worker messages and the progress line share stderr: unbuffered. */
	setvbuf(stderr, NULL, _IONBF, 0);
	progress_init(&p, o.quiet);
	if (o.flood)
		rc = flood_run(&o, &na, &p, &main_stop);
	else
		rc = main_workers(&o, &na, &p);
	progress_summary(&p, o.quiet, o.json);
	if (rc != 0 || p.st.dropped > 0)
		return 1;
	return main_stop ? 130 : 0;
}
