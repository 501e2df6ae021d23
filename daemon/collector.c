#include "collector.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "intake/intake.h"
#include "net/server.h"
#include "ops/config.h"
#include "ops/metrics.h"
#include "ops/systemd.h"
#include "pipeline/batch.h"
#include "pipeline/pipeline.h"
#include "sink/file_sink.h"
#include "sink/forwarder.h"
#include "sink/output.h"

/* How often the STATUS= line is refreshed (seconds). */
#define COLLECTOR_STATUS_INTERVAL 2

struct collector {
	const struct config *cfg;
	struct event_base *base;
	struct server *server;
	struct pipeline *pipeline;
	struct file_sink *file_sink; /* the first sink: the output file */
	struct intake *intake;
	struct metrics *metrics; /* or NULL when metrics_listen is empty */
	struct server_params server_params;
	struct server_socket passed[LC_MAX_LISTENERS]; /* by socket activation */
	struct forwarder *forwarder; /* or NULL when nats_servers is empty */
	struct timespec stop_started;
	struct event *sig_term, *sig_int, *sig_hup;
	struct event *status_ev, *stop_timer, *grace_timer, *watchdog_ev;
	unsigned watchdog_seconds; /* the ping interval, rounded up */
	uint64_t reload_ticket; /* the reopen that READY=1 waits for */
	int reloading;
	const char *output_name;
	uint64_t status_lines;
	int stopping;
	int inputs_done; /* the stop closed every connection */
	int timed_out;
};

/* libevent's own messages, into our log. */
static void
collector_libevent_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

static void
collector_status(struct collector *c, const char *stage)
{
	struct stats_snapshot st;
	uint64_t lines, rate;
	char fwd[128] = "";
	struct forwarder_lag lag;

	stats_snapshot(&st);
	lines = st.lines_written;
	rate = (lines - c->status_lines) / COLLECTOR_STATUS_INTERVAL;
	c->status_lines = lines;
	if (c->forwarder != NULL) {
		forwarder_lag(c->forwarder, &lag);
		snprintf(fwd, sizeof(fwd), ", NATS %s, %llu lines not acked",
		    lag.connected ? "connected" : "disconnected", (unsigned long long)lag.records);
	}
	systemd_status("%s %s: %llu lines, %zu clients, %llu lines/s%s%s", stage, c->output_name,
	    (unsigned long long)lines, server_clients(c->server), (unsigned long long)rate, fwd,
	    file_sink_failing(c->file_sink) ? " (writes failing, retrying)" : "");
}

static void
collector_check_drained(struct collector *c)
{
	if (c->inputs_done && pipeline_idle(c->pipeline))
		event_base_loopbreak(c->base);
}

static void
collector_progress(void *arg)
{
	struct collector *c = arg;

	intake_progress(c->intake);
	if (c->reloading && pipeline_done(c->pipeline, c->reload_ticket)) {
		c->reloading = 0;
		systemd_ready();
	}
	collector_check_drained(c);
}

static void
collector_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;

	(void)fd;
	(void)what;
	log_warnx("stop timed out after %u s: %llu records could not be written to %s",
	    c->cfg->stop_timeout, (unsigned long long)pipeline_pending_records(c->pipeline),
	    c->output_name);
	pipeline_abandon(c->pipeline);
	c->timed_out = 1;
	event_base_loopbreak(c->base);
}

/* Every connection is closed: what they sent goes out, then the loop ends
 * once it is written. */
static void
collector_inputs_drained(void *arg)
{
	struct collector *c = arg;

	evtimer_del(c->grace_timer);
	c->inputs_done = 1;
	intake_flush(c->intake);
	collector_status(c, "stopping, writing into");
	collector_check_drained(c);
}

static void
collector_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;

	(void)fd;
	(void)what;
	server_close_clients(c->server);
}

static struct event *
collector_timer(struct collector *c, event_callback_fn fn, unsigned seconds)
{
	struct timeval tv = {(time_t)seconds, 0};
	struct event *ev = evtimer_new(c->base, fn, c);

	if (ev == NULL || evtimer_add(ev, &tv) == -1)
		fatalx("cannot create a stop timer");
	return ev;
}

/*
 * The staged stop: the stop timer first, so that nothing after it can hold
 * the stop; then the listeners close and every connection is read on for
 * the grace (each until it goes quiet or closes), so that a client whose
 * bytes are on their way, or that connected just before, loses nothing;
 * then the rest is drained and written.
 */
static void
collector_stop(struct collector *c, int sig)
{
	const struct config *cfg = c->cfg;

	if (c->stopping) {
		log_warnx("%s again: exiting at once; %llu records not written", strsignal(sig),
		    (unsigned long long)pipeline_pending_records(c->pipeline));
		_exit(COLLECTOR_EXIT_FAILURE);
	}
	c->stopping = 1;
	clock_gettime(CLOCK_MONOTONIC, &c->stop_started);
	c->stop_timer = collector_timer(c, collector_stop_timeout, cfg->stop_timeout);
	systemd_stopping();
	log_info("%s: stopping; taking what clients already sent", strsignal(sig));
	collector_status(c, "stopping, draining into");
	c->grace_timer = collector_timer(c, collector_grace_over,
	    cfg->stop_grace < cfg->stop_timeout ? cfg->stop_grace : cfg->stop_timeout);
	server_stop_inputs(c->server, collector_inputs_drained, c);
}

static void
collector_signal(evutil_socket_t sig, short what, void *arg)
{
	struct collector *c = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (c->stopping)
			return;
		systemd_reloading();
		log_info("SIGHUP: reopening %s", c->output_name);
		intake_flush(c->intake);
		c->reload_ticket = pipeline_request_reopen(c->pipeline);
		c->reloading = 1; /* READY=1 once the file is reopened */
		return;
	}
	collector_stop(c, (int)sig);
}

static void
collector_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;

	(void)fd;
	(void)what;
	collector_status(c, "collecting into");
	/* The pool holds as much as the last burst had in flight; an idle
	 * daemon gives it back. */
	if (pipeline_idle(c->pipeline))
		batch_pool_drain();
}

/*
 * WATCHDOG=1 proves two things: the loop runs (this timer fired) and the
 * pipeline moves (idle, or a write attempted within the last interval; a
 * writer retrying a failed write still attempts, one blocked in write()
 * does not). A wedged daemon stops pinging and systemd restarts it.
 */
static void
collector_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;
	unsigned stalled = pipeline_stalled_for(c->pipeline);

	(void)fd;
	(void)what;
	if (stalled <= c->watchdog_seconds)
		systemd_watchdog_ping();
	else
		log_warnx("watchdog: the writer has made no progress for %u s; "
			  "not notifying systemd",
		    stalled);
}

static void
collector_add_watchdog(struct collector *c)
{
	uint64_t usec = systemd_watchdog_interval();
	struct timeval every = {(time_t)(usec / 1000000), (suseconds_t)(usec % 1000000)};

	if (usec == 0)
		return;
	c->watchdog_seconds = (unsigned)((usec + 999999) / 1000000);
	c->watchdog_ev = event_new(c->base, -1, EV_PERSIST, collector_watchdog_cb, c);
	if (c->watchdog_ev == NULL)
		fatalx("cannot create the watchdog event");
	event_add(c->watchdog_ev, &every);
	log_info("systemd watchdog: notifying every %llu ms", (unsigned long long)usec / 1000);
}

static void
collector_add_signals(struct collector *c)
{
	struct timeval every = {COLLECTOR_STATUS_INTERVAL, 0};

	signal(SIGPIPE, SIG_IGN);
	/* A file size limit makes write() fail with EFBIG, retried like any
	 * write error, instead of killing the daemon. */
	signal(SIGXFSZ, SIG_IGN);
	c->sig_term = evsignal_new(c->base, SIGTERM, collector_signal, c);
	c->sig_int = evsignal_new(c->base, SIGINT, collector_signal, c);
	c->sig_hup = evsignal_new(c->base, SIGHUP, collector_signal, c);
	c->status_ev = event_new(c->base, -1, EV_PERSIST, collector_status_cb, c);
	if (!c->sig_term || !c->sig_int || !c->sig_hup || !c->status_ev)
		fatalx("cannot create signal events");
	evsignal_add(c->sig_term, NULL);
	evsignal_add(c->sig_int, NULL);
	evsignal_add(c->sig_hup, NULL);
	event_add(c->status_ev, &every);
}

/* Seconds of stop_timeout not yet spent (at least one). */
static unsigned
collector_stop_left(const struct collector *c)
{
	struct timespec now;
	long spent;

	clock_gettime(CLOCK_MONOTONIC, &now);
	spent = (long)(now.tv_sec - c->stop_started.tv_sec);
	return spent + 1 >= (long)c->cfg->stop_timeout ? 1 : c->cfg->stop_timeout - (unsigned)spent;
}

/* The forwarder, when nats_servers is set: it follows the output from the
 * committer's hook. 0, or -1 after printing why. */
static int
collector_start_forwarder(struct collector *c, const struct output *out)
{
	const struct config *cfg = c->cfg;
	char *state = NULL, *cause = NULL;
	struct forwarder_params p = {
	    .link = {
		.servers = cfg->nats_servers,
		.token = cfg->nats_token,
		.user = cfg->nats_user,
		.password = cfg->nats_password,
		.creds = cfg->nats_creds,
		.tls_ca = cfg->nats_tls_ca,
		.tls_cert = cfg->nats_tls_cert,
		.tls_key = cfg->nats_tls_key,
		.stream = cfg->nats_stream,
		.max_pending = cfg->nats_max_pending,
	    },
	    .subject = cfg->nats_subject,
	    .batch = cfg->nats_batch,
	    .state_path = cfg->forward_state,
	    .output_path = cfg->output,
	};

	if (cfg->nats_servers[0] == '\0')
		return 0;
	if (cfg->forward_state[0] == '\0') {
		if (asprintf(&state, "%s%s", cfg->output, LC_FWD_STATE_SUFFIX) == -1)
			fatalx("out of memory");
		p.state_path = state;
	}
	c->forwarder = forwarder_start(&p, out, &cause);
	free(state); /* copied by the forwarder */
	if (c->forwarder == NULL) {
		log_warnx("%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* The clean end: every batch is written; fsync, trailer, fsync. */
static enum collector_exit
collector_finish(struct collector *c)
{
	struct stats_snapshot st;
	enum collector_exit rc = COLLECTOR_EXIT_OK;

	pipeline_finish(c->pipeline);
	c->pipeline = NULL;
	stats_snapshot(&st);
	if (file_sink_finish(c->file_sink, st.lines_written) == -1)
		rc = COLLECTOR_EXIT_FAILURE;
	c->file_sink = NULL;
	c->output_name = NULL; /* freed with the output */
	forwarder_finish(c->forwarder, collector_stop_left(c));
	c->forwarder = NULL;
	log_info("stopped: %llu records received, %llu lines written, %llu rejected, "
		 "%llu incomplete frames dropped, %llu zero-length frames",
	    (unsigned long long)st.records_received, (unsigned long long)st.lines_written,
	    (unsigned long long)st.records_rejected, (unsigned long long)st.frames_incomplete,
	    (unsigned long long)st.frames_empty);
	return rc;
}

static int
collector_start_metrics(struct collector *c)
{
	struct metrics_sources src = {c->server, c->pipeline, c->intake, c->forwarder, time(NULL)};

	if (c->cfg->nmetrics_listen == 0)
		return 0;
	c->metrics = metrics_start(c->base, c->cfg->metrics_listen, c->cfg->nmetrics_listen, &src);
	return c->metrics == NULL ? -1 : 0;
}

/* The server's part of the configuration, and the sockets systemd passed
 * (which replace the listen addresses). Returns -1 if one is unusable. */
static int
collector_server_params(struct collector *c)
{
	const struct config *cfg = c->cfg;
	int passed = systemd_activated_sockets(c->passed, LC_MAX_LISTENERS);

	if (passed < 0)
		return -1;
	c->server_params = (struct server_params){
	    .listen = cfg->listen,
	    .nlisten = cfg->nlisten,
	    .listen_udp = cfg->listen_udp,
	    .nlisten_udp = cfg->nlisten_udp,
	    .passed = c->passed,
	    .npassed = (size_t)passed,
	    .allow = cfg->allow,
	    .nallow = cfg->nallow,
	    .max_connections = cfg->max_connections,
	    .max_record = (uint32_t)cfg->max_record_size,
	    .idle_timeout = cfg->idle_timeout,
	    .frame_timeout = cfg->frame_timeout,
	};
	return 0;
}

static unsigned
collector_workers(const struct config *cfg)
{
	long n;

	if (cfg->workers > 0)
		return cfg->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static void
collector_free_events(struct collector *c)
{
	event_free(c->sig_term);
	event_free(c->sig_int);
	event_free(c->sig_hup);
	event_free(c->status_ev);
	if (c->stop_timer)
		event_free(c->stop_timer);
	if (c->grace_timer)
		event_free(c->grace_timer);
	if (c->watchdog_ev)
		event_free(c->watchdog_ev);
}

enum collector_exit
collector_run(const struct config *cfg)
{
	struct collector c = {.cfg = cfg};
	struct output *out, *dead = NULL;
	struct sink sinks[2];
	size_t nsinks = 0;
	enum collector_exit rc;

	event_set_log_callback(collector_libevent_log);
	if (collector_server_params(&c) == -1)
		return COLLECTOR_EXIT_FAILURE;
	if (evthread_use_pthreads() == -1 || (c.base = event_base_new()) == NULL)
		fatalx("cannot initialise libevent");
	/* The dead-letter file first: a torn last line of the output goes there. */
	if (cfg->dead_letter[0] != '\0' &&
	    (dead = output_open_dead_letter(cfg->dead_letter, cfg->output_mode)) == NULL) {
		log_warn("cannot open dead_letter %s", cfg->dead_letter);
		event_base_free(c.base);
		return COLLECTOR_EXIT_FAILURE;
	}
	out = output_open_keeping(cfg->output, cfg->output_mode, dead);
	if (out == NULL) {
		log_warn("cannot open output %s", cfg->output);
		output_close(dead);
		event_base_free(c.base);
		return COLLECTOR_EXIT_FAILURE;
	}
	c.output_name = output_path(out);
	if (collector_start_forwarder(&c, out) == -1) {
		output_close(out);
		output_close(dead);
		event_base_free(c.base);
		return COLLECTOR_EXIT_FAILURE;
	}
	c.server = server_new(c.base, &c.server_params);
	c.file_sink = file_sink_new(out, dead, NULL);
	sinks[nsinks++] = file_sink_sink(c.file_sink);
	if (c.forwarder != NULL)
		sinks[nsinks++] = forwarder_sink(c.forwarder);
	c.pipeline = pipeline_new(c.base,
	    &(struct pipeline_params){
		.workers = collector_workers(cfg),
		.serialize =
		    {
			.format = cfg->format,
			.max_output = LC_OUTPUT_PER_RECORD_FACTOR * (size_t)cfg->max_record_size,
			.dead_letters = dead != NULL,
		    },
		.sinks = sinks,
		.nsinks = nsinks,
		.on_progress = collector_progress,
		.arg = &c,
	    });
	c.intake = intake_new(c.base, c.pipeline,
	    &(struct intake_params){
		.max_inflight = cfg->max_inflight,
		.max_frame_memory = cfg->max_frame_memory,
		.dead_letter = dead != NULL,
		.pause = server_pause,
		.arg = c.server,
	    });
	collector_add_signals(&c);

	if (server_listen(c.server, c.intake) == -1 || collector_start_metrics(&c) == -1) {
		pipeline_finish(c.pipeline);
		file_sink_free(c.file_sink);
		forwarder_finish(c.forwarder, 1);
		rc = COLLECTOR_EXIT_FAILURE;
	} else {
		log_info("collecting into %s with %u workers", c.output_name,
		    collector_workers(cfg));
		collector_add_watchdog(&c);
		systemd_ready();
		collector_status(&c, "collecting into");
		event_base_dispatch(c.base);
		if (c.timed_out)
			return COLLECTOR_EXIT_FAILURE; /* workers may be stuck in write() */
		rc = collector_finish(&c);
	}
	metrics_free(c.metrics);
	server_free(c.server);
	/* With the collector's own events gone (they use the pipeline), run the
	 * deferred frees of connections closed during the stop. */
	collector_free_events(&c);
	event_base_loop(c.base, EVLOOP_NONBLOCK);
	intake_free(c.intake);
	batch_pool_drain();
	event_base_free(c.base);
	return rc;
}
