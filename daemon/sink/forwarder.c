/*
 * Threads and ownership:
 *
 *   committer   -> forwarder_write, the sink: stores how far the file is written
 *                  (forward_file.end, atomic) and, after a reopen that put a
 *                  new file at the path, links a new forward_file to the
 *                  tail (fw->tail is the committers' alone); then a kick.
 *   libnats     -> forwarder_ack: marks the message in the window (lock).
 *   lc-forwarder -> everything else: the connection, reading the file,
 *                  publishing, retries, releasing the acked prefix and the
 *                  checkpoint. It frees a file only once another follows it,
 *                  so the committers' tail is never freed under them.
 *
 * `lock` guards the window, the kick and the stop request; it is never held
 * across a publish (which may wait for libnats' MaxPending) or any I/O.
 * A message is published only from the file, so a retry reads it again:
 * memory holds at most the window's slots and one read buffer.
 */
#include "sink/forwarder.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <nats/nats.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/xmalloc.h"
#include "sink/forward_file.h"
#include "sink/forward_state.h"
#include "sink/forward_window.h"
#include "sink/output.h"
#include "sink/subject.h"

/* The thread looks at timers this often when nothing kicks it. */
#define FORWARDER_TICK_MS 100

struct forwarder {
	struct forwarder_params p;
	char *state_path; /* p.state_path's copy */
	struct subject *subject;
	struct nats_link *link;
	pthread_t thread;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct forward_window *win; /* lock */
	int acks_failed, acks_ok;   /* lock: kinds of acks since last looked */
	int kick, stopping;	    /* lock */
	int64_t deadline_ms;	    /* lock */

	/* Committers. */
	struct forward_file *tail;
	const struct output *out; /* the file sink's */
	unsigned generation;      /* out's, when last seen */

	/* lc-forwarder only. */
	struct forward_state st;
	struct forward_file *head; /* the file being forwarded */
	uint64_t read_off;	   /* the next line to publish */
	int dirty;		   /* st.offset moved since it was saved */
	int save_failing;
	int64_t saved_ms, retry_ms, connect_ms;
	unsigned retry_delay, connect_delay;
	char *cause; /* the last connect error, logged once */
	size_t max_line;
	char *scratch; /* a message's bytes when not in the read buffer */
	size_t scratch_cap;

	_Atomic uint64_t lag_records, lag_bytes;
	_Atomic int64_t caught_up_ms;
	atomic_int connected;
};

static int64_t
forwarder_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
forwarder_kick(struct forwarder *fw)
{
	pthread_mutex_lock(&fw->lock);
	fw->kick = 1;
	pthread_cond_signal(&fw->cond);
	pthread_mutex_unlock(&fw->lock);
}

static unsigned
forwarder_backoff(unsigned delay)
{
	return delay == 0 ? LC_FWD_RETRY_MIN_MS
	       : delay * 2 > LC_FWD_RETRY_MAX_MS ? LC_FWD_RETRY_MAX_MS
						 : delay * 2;
}

/* libnats' thread. */
static void
forwarder_ack(void *arg, const char *msgid, enum nats_link_result result, const char *why)
{
	struct forwarder *fw = arg;
	struct forward_slot was = {0};
	uint64_t fileno, off;
	int found = 0;

	if (forward_msgid_parse(msgid, fw->st.instance, &fileno, &off) == -1)
		return;
	pthread_mutex_lock(&fw->lock);
	/* The window holds one file: an ack of another one's is stale. */
	if (fileno == fw->st.fileno)
		was = forward_window_mark(fw->win, off, result ? FORWARD_ACKED : FORWARD_FAILED,
		    &found);
	if (result)
		fw->acks_ok = 1;
	else
		fw->acks_failed = 1;
	fw->kick = 1;
	pthread_cond_signal(&fw->cond);
	pthread_mutex_unlock(&fw->lock);
	if (!found || was.state == FORWARD_ACKED)
		return;
	if (result) {
		STATS_ADD(forward_acked, was.lines);
		if (result == NATS_LINK_DUPLICATE)
			STATS_ADD(forward_duplicates, was.lines);
	} else {
		STATS_ADD(forward_failed, 1);
		log_ratelimited("forwarder: message %s not stored: %s; publishing it again", msgid,
		    why);
	}
}

/* The file was reopened before this batch (SIGHUP, or a new file for a
 * deleted one): follow the new one once the current one is forwarded. */
static void
forwarder_follow_reopened(struct forwarder *fw)
{
	int fd = output_reader(fw->out);
	struct forward_file *f;

	if (fd == -1) {
		log_warn("forwarder: cannot read the reopened %s: its lines will not be forwarded",
		    output_path(fw->out));
	} else if (forward_file_is(fw->tail, fd)) {
		close(fd); /* reopened the same file */
	} else if ((f = forward_file_new(fd, fw->tail->fileno + 1, 0)) == NULL) {
		close(fd);
	} else {
		atomic_store(&fw->tail->next, f);
		fw->tail = f;
	}
}

/* The sink's write (committer thread): the file sink has written b, so the
 * file's end moved; tell the thread and return at once. */
static enum sink_result
forwarder_write(void *self, const struct sink_batch *b)
{
	struct forwarder *fw = self;
	unsigned generation = output_generation(fw->out);
	long long end;

	if (generation != fw->generation) {
		fw->generation = generation;
		forwarder_follow_reopened(fw);
	}
	if ((end = output_end(fw->out)) >= 0)
		atomic_store(&fw->tail->end, (uint64_t)end);
	atomic_fetch_add(&fw->lag_records, b->nlines);
	forwarder_kick(fw);
	return SINK_WRITTEN;
}

struct sink
forwarder_sink(struct forwarder *fw)
{
	return (struct sink){.write = forwarder_write, .self = fw};
}

static void
forwarder_save(struct forwarder *fw, int64_t now)
{
	fw->st.dev = fw->head->dev;
	fw->st.ino = fw->head->ino;
	/* The ack handler reads it under the lock. */
	pthread_mutex_lock(&fw->lock);
	fw->st.fileno = fw->head->fileno;
	pthread_mutex_unlock(&fw->lock);
	if (forward_state_save(fw->p.state_path, &fw->st) == -1) {
		if (!fw->save_failing)
			log_warn("forwarder: cannot save the checkpoint %s; retrying",
			    fw->p.state_path);
		fw->save_failing = 1;
		return;
	}
	if (fw->save_failing)
		log_info("forwarder: saving the checkpoint %s again", fw->p.state_path);
	fw->save_failing = 0;
	fw->dirty = 0;
	fw->saved_ms = now;
}

/* Drop the acked prefix; the checkpoint follows it, saved at most every
 * LC_FWD_CHECKPOINT_MS. */
static void
forwarder_release(struct forwarder *fw, int64_t now)
{
	uint64_t end = fw->st.offset, lines;

	pthread_mutex_lock(&fw->lock);
	lines = forward_window_release(fw->win, &end);
	pthread_mutex_unlock(&fw->lock);
	if (end != fw->st.offset) {
		fw->st.offset = end;
		fw->dirty = 1;
		atomic_fetch_sub(&fw->lag_records, lines);
	}
	if (fw->dirty && now - fw->saved_ms >= LC_FWD_CHECKPOINT_MS)
		forwarder_save(fw, now);
}

/* The bytes [off, off + len) of the head file: in its read buffer, or read
 * into the scratch buffer. */
static const char *
forwarder_bytes(struct forwarder *fw, uint64_t off, size_t len)
{
	struct forward_file *f = fw->head;

	if (off >= f->buf_off && off + len <= f->buf_off + f->buf_len)
		return f->buf + (off - f->buf_off);
	if (len > fw->scratch_cap) {
		free(fw->scratch);
		fw->scratch = xmalloc(len);
		fw->scratch_cap = len;
	}
	if (forward_file_pread(f, off, len, fw->scratch) == -1)
		return NULL;
	return fw->scratch;
}

/* Publish the message at [off, off + len): its lines without the last '\n'. */
static int
forwarder_publish(struct forwarder *fw, uint64_t off, size_t len)
{
	char subject[LC_FWD_SUBJECT_MAX + 1], id[FORWARD_MSGID_MAX];
	const char *data = forwarder_bytes(fw, off, len), *why = "cannot read the output";

	if (data != NULL) {
		subject_render(fw->subject, data, len - 1, subject);
		forward_msgid(id, fw->st.instance, fw->head->fileno, off);
		if (nats_link_publish(fw->link, subject, id, data, len - 1, &why) == 0)
			return 0;
	}
	log_ratelimited("forwarder: cannot publish: %s; retrying", why);
	STATS_ADD(forward_failed, 1);
	return -1;
}

static void
forwarder_delay_retries(struct forwarder *fw, int64_t now)
{
	fw->retry_delay = forwarder_backoff(fw->retry_delay);
	fw->retry_ms = now + fw->retry_delay;
}

/* After a failed publish: mark it to retry and wait a little. */
static void
forwarder_failed(struct forwarder *fw, uint64_t off, int64_t now)
{
	int found;

	pthread_mutex_lock(&fw->lock);
	forward_window_mark(fw->win, off, FORWARD_FAILED, &found);
	pthread_mutex_unlock(&fw->lock);
	forwarder_delay_retries(fw, now);
}

/* JetStream refusing messages (no stream leader: "no responders") backs
 * the retries off like a failed publish; a stored one resets the delay. */
static void
forwarder_pace(struct forwarder *fw, int64_t now)
{
	int failed, ok;

	pthread_mutex_lock(&fw->lock);
	failed = fw->acks_failed;
	ok = fw->acks_ok;
	fw->acks_failed = fw->acks_ok = 0;
	pthread_mutex_unlock(&fw->lock);
	if (failed)
		forwarder_delay_retries(fw, now);
	else if (ok)
		fw->retry_delay = 0;
}

/* Publish again what failed, in file order. 0, or -1 after a failure. */
static int
forwarder_retry(struct forwarder *fw, int64_t now)
{
	for (size_t i = 0;; i++) {
		struct forward_slot *s, copy;

		pthread_mutex_lock(&fw->lock);
		/* A nack of an earlier slot during the scan waits for the next
		 * call: the window counts it. */
		if (forward_window_failed(fw->win) == 0 ||
		    (s = forward_window_at(fw->win, i)) == NULL) {
			pthread_mutex_unlock(&fw->lock);
			return 0;
		}
		copy = *s;
		if (s->state == FORWARD_FAILED) {
			forward_window_set(fw->win, s, FORWARD_SENT);
			s->sent_ms = now;
		}
		pthread_mutex_unlock(&fw->lock);
		if (copy.state != FORWARD_FAILED)
			continue;
		STATS_ADD(forward_retried, 1);
		if (forwarder_publish(fw, copy.off, copy.len) == -1) {
			forwarder_failed(fw, copy.off, now);
			return -1;
		}
	}
}

/* Messages not acked within LC_FWD_ACK_TIMEOUT_MS (lost with a connection,
 * or a server that went away) are taken back from libnats and retried. */
static void
forwarder_timeouts(struct forwarder *fw, int64_t now)
{
	struct forward_slot *s;
	size_t n = 0;
	int old;

	pthread_mutex_lock(&fw->lock);
	for (size_t i = 0; (s = forward_window_at(fw->win, i)) != NULL; i++)
		if (s->state == FORWARD_SENT)
			break;
	old = s != NULL && now - s->sent_ms >= LC_FWD_ACK_TIMEOUT_MS;
	pthread_mutex_unlock(&fw->lock);
	if (!old)
		return;
	nats_link_take_back(fw->link);
	pthread_mutex_lock(&fw->lock);
	for (size_t i = 0; (s = forward_window_at(fw->win, i)) != NULL; i++) {
		if (s->state == FORWARD_SENT) {
			forward_window_set(fw->win, s, FORWARD_FAILED);
			n++;
		}
	}
	pthread_mutex_unlock(&fw->lock);
	log_ratelimited("forwarder: %zu messages not acked within %d ms; publishing them again",
	    n, LC_FWD_ACK_TIMEOUT_MS);
}

/* A slot for a line that is not sent (the trailer, or one too long). */
static void
forwarder_skip(struct forwarder *fw, uint64_t off, size_t len, int64_t now)
{
	pthread_mutex_lock(&fw->lock);
	forward_window_push(fw->win, off, (uint32_t)len, 1, FORWARD_ACKED, now);
	pthread_mutex_unlock(&fw->lock);
	fw->read_off = off + len;
}

/* The next message: up to `batch` lines from read_off with the same subject.
 * Returns 1 with *len set, 0 when nothing is ready, -1 on a read error. */
static int
forwarder_next(struct forwarder *fw, int64_t now, size_t *len, uint32_t *lines)
{
	char first[LC_FWD_SUBJECT_MAX + 1], subject[LC_FWD_SUBJECT_MAX + 1];
	uint64_t end = atomic_load(&fw->head->end);
	const char *line;
	size_t n;

	*len = 0;
	*lines = 0;
	while (*lines < fw->p.batch) {
		enum forward_line r = forward_file_line(fw->head, fw->read_off + *len, end,
		    fw->max_line - *len, &line, &n);

		if (r == FORWARD_LINE_ERROR && *lines == 0) {
			log_ratelimited("forwarder: cannot read %s: %s", fw->p.output_path,
			    strerror(errno));
			return -1;
		}
		if (r == FORWARD_LINE_BIG && *lines == 0) {
			log_ratelimited("forwarder: a line of %zu bytes at offset %llu is longer "
					"than the server's max_payload (%zu): not forwarded",
			    n, (unsigned long long)fw->read_off, fw->max_line);
			STATS_ADD(forward_skipped, 1);
			forwarder_skip(fw, fw->read_off, n, now);
			return 0;
		}
		if (r != FORWARD_LINE)
			break;
		if (forward_file_is_trailer(line, n)) {
			if (*lines == 0)
				forwarder_skip(fw, fw->read_off, n, now);
			break;
		}
		if (subject_has_fields(fw->subject) || *lines == 0) {
			subject_render(fw->subject, line, n - 1, *lines == 0 ? first : subject);
			if (*lines > 0 && strcmp(first, subject) != 0)
				break;
		}
		*len += n;
		(*lines)++;
	}
	return *lines > 0;
}

/* Publish new lines while the window has room. */
static void
forwarder_read_new(struct forwarder *fw, int64_t now)
{
	for (;;) {
		uint64_t off = fw->read_off;
		uint32_t lines;
		size_t len;
		int full;

		pthread_mutex_lock(&fw->lock);
		full = forward_window_full(fw->win);
		pthread_mutex_unlock(&fw->lock);
		if (full || forwarder_next(fw, now, &len, &lines) <= 0)
			return;
		pthread_mutex_lock(&fw->lock);
		forward_window_push(fw->win, off, (uint32_t)len, lines, FORWARD_SENT, now);
		pthread_mutex_unlock(&fw->lock);
		fw->read_off = off + len;
		if (forwarder_publish(fw, off, len) == -1) {
			forwarder_failed(fw, off, now);
			return;
		}
		STATS_ADD(forward_published, lines);
	}
}

/* The head file is forwarded to its end and another follows: move on. */
static void
forwarder_next_file(struct forwarder *fw, int64_t now)
{
	struct forward_file *next = atomic_load(&fw->head->next);
	size_t pending;

	if (next == NULL || fw->read_off < atomic_load(&fw->head->end))
		return;
	pthread_mutex_lock(&fw->lock);
	pending = forward_window_count(fw->win);
	if (pending == 0)
		fw->st.fileno = next->fileno; /* acks of the old file are stale now */
	pthread_mutex_unlock(&fw->lock);
	if (pending > 0)
		return;
	log_info("forwarder: the rotated file is forwarded; following the new %s",
	    fw->p.output_path);
	forward_file_free(fw->head);
	fw->head = next;
	fw->read_off = fw->st.offset = 0;
	forwarder_save(fw, now);
}

static void
forwarder_connect(struct forwarder *fw, int64_t now)
{
	char *cause = NULL;

	if (now < fw->connect_ms)
		return;
	if (nats_link_open(fw->link, fw->subject, &cause) == 0) {
		fw->max_line = nats_link_max_payload(fw->link);
		log_info("forwarder: connected to NATS; publishing to stream %s as %s",
		    fw->p.link.stream, subject_text(fw->subject));
		free(fw->cause);
		fw->cause = NULL;
		fw->connect_delay = 0;
		/* What was in flight on a closed connection is retried. */
		fw->connect_ms = now;
		forwarder_timeouts(fw, now + LC_FWD_ACK_TIMEOUT_MS);
		return;
	}
	if (fw->cause == NULL || strcmp(cause, fw->cause) != 0)
		log_warnx("forwarder: %s; records wait in the output file, retrying", cause);
	free(fw->cause);
	fw->cause = cause;
	fw->connect_delay = forwarder_backoff(fw->connect_delay);
	fw->connect_ms = now + fw->connect_delay;
}

static void
forwarder_update_lag(struct forwarder *fw, int64_t now)
{
	uint64_t bytes = atomic_load(&fw->head->end) - fw->st.offset;

	for (struct forward_file *f = atomic_load(&fw->head->next); f != NULL;
	     f = atomic_load(&f->next))
		bytes += atomic_load(&f->end);
	atomic_store(&fw->lag_bytes, bytes);
	if (bytes == 0)
		atomic_store(&fw->caught_up_ms, now);
	atomic_store(&fw->connected, nats_link_connected(fw->link));
}

/* Whether the stop may end the thread: everything acked, or out of time. */
static int
forwarder_done(struct forwarder *fw, int64_t now)
{
	int stopping, late;

	pthread_mutex_lock(&fw->lock);
	stopping = fw->stopping;
	late = now >= fw->deadline_ms;
	pthread_mutex_unlock(&fw->lock);
	return stopping && (late || atomic_load(&fw->lag_bytes) == 0);
}

static void
forwarder_wait(struct forwarder *fw)
{
	int64_t ms = forwarder_now_ms() + FORWARDER_TICK_MS;
	struct timespec until = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	pthread_mutex_lock(&fw->lock);
	/* The cond uses CLOCK_MONOTONIC (forwarder_start). */
	while (!fw->kick && pthread_cond_timedwait(&fw->cond, &fw->lock, &until) != ETIMEDOUT)
		;
	fw->kick = 0;
	pthread_mutex_unlock(&fw->lock);
}

/* The backlog at start, so that the lag gauges count it. */
static void
forwarder_count_backlog(struct forwarder *fw)
{
	uint64_t from = fw->st.offset;

	for (struct forward_file *f = fw->head; f != NULL; f = atomic_load(&f->next), from = 0) {
		int64_t n = forward_file_count_lines(f, from, atomic_load(&f->end));

		if (n > 0)
			atomic_fetch_add(&fw->lag_records, (uint64_t)n);
	}
}

static void *
forwarder_main(void *arg)
{
	struct forwarder *fw = arg;
	int64_t now;

	forwarder_count_backlog(fw);
	for (;;) {
		now = forwarder_now_ms();
		if (nats_link_closed(fw->link))
			forwarder_connect(fw, now);
		forwarder_release(fw, now);
		forwarder_pace(fw, now);
		if (!nats_link_closed(fw->link) && nats_link_connected(fw->link)) {
			forwarder_timeouts(fw, now);
			if (now >= fw->retry_ms && forwarder_retry(fw, now) == 0)
				forwarder_read_new(fw, now);
		}
		forwarder_next_file(fw, now);
		forwarder_update_lag(fw, now);
		if (forwarder_done(fw, now))
			break;
		forwarder_wait(fw);
	}
	forwarder_release(fw, now);
	if (fw->dirty)
		forwarder_save(fw, now);
	if (atomic_load(&fw->lag_bytes) > 0)
		log_warnx("forwarder: stopping %llu records (%llu bytes) behind; they are "
			  "forwarded at the next start",
		    (unsigned long long)atomic_load(&fw->lag_records),
		    (unsigned long long)atomic_load(&fw->lag_bytes));
	else
		log_info("forwarder: every record is acked by JetStream");
	return NULL;
}

/* A file logrotate renamed while the daemon was stopped, or NULL. */
static struct forward_file *
forwarder_find_rotated(const struct forwarder *fw)
{
	struct forward_file *f;
	char *path;
	int fd;

	if (asprintf(&path, "%s.1", fw->p.output_path) == -1)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return NULL;
	f = forward_file_new(fd, fw->st.fileno, 0);
	if (f == NULL) {
		close(fd);
		return NULL;
	}
	if (f->dev != fw->st.dev || f->ino != fw->st.ino) {
		forward_file_free(f);
		return NULL;
	}
	return f;
}

/* Where forwarding resumes: the checkpointed file if it is still the
 * output, or still at OUTPUT.1 (then the output follows it). */
static void
forwarder_resume(struct forwarder *fw, struct forward_file *cur, int have_state)
{
	struct forward_file *rotated;
	struct stat st;

	fw->head = cur;
	if (!have_state) {
		log_info("forwarder: no checkpoint %s yet: forwarding %s from its start",
		    fw->p.state_path, fw->p.output_path);
		return;
	}
	if (cur->dev == fw->st.dev && cur->ino == fw->st.ino &&
	    atomic_load(&cur->end) >= fw->st.offset) {
		cur->fileno = fw->st.fileno;
		return;
	}
	cur->fileno = fw->st.fileno + 1;
	if ((rotated = forwarder_find_rotated(fw)) != NULL && fstat(rotated->fd, &st) == 0 &&
	    (uint64_t)st.st_size >= fw->st.offset) {
		atomic_store(&rotated->end, (uint64_t)st.st_size);
		atomic_store(&rotated->next, cur);
		fw->head = rotated;
		log_info("forwarder: %s was rotated; forwarding the rest of %s.1 first",
		    fw->p.output_path, fw->p.output_path);
		return;
	}
	forward_file_free(rotated);
	log_warnx("forwarder: the file forwarded up to offset %llu (device %llu, inode %llu) is "
		  "gone: what it held after that offset was NOT forwarded; starting %s from its "
		  "start",
	    (unsigned long long)fw->st.offset, (unsigned long long)fw->st.dev,
	    (unsigned long long)fw->st.ino, fw->p.output_path);
	STATS_ADD(forward_files_lost, 1);
	fw->st.offset = 0;
}

static void
forwarder_free(struct forwarder *fw)
{
	struct forward_file *f = fw->head;

	nats_link_free(fw->link);
	while (f != NULL) {
		struct forward_file *next = atomic_load(&f->next);

		forward_file_free(f);
		f = next;
	}
	forward_window_free(fw->win);
	subject_free(fw->subject);
	free(fw->scratch);
	free(fw->cause);
	free(fw->state_path);
	free(fw);
}

static int
forwarder_setup(struct forwarder *fw, const struct output *out, char **cause)
{
	struct nats_link_params lp = fw->p.link;
	struct forward_file *cur;
	char host[256] = "";
	long long end = output_end(out);
	int have, fd;

	gethostname(host, sizeof(host) - 1);
	if ((fw->subject = subject_compile(fw->p.subject, host, cause)) == NULL)
		return -1;
	if ((have = forward_state_load(fw->p.state_path, &fw->st, cause)) == -1)
		return -1;
	if (end < 0 || (fd = output_reader(out)) == -1) {
		if (asprintf(cause, "forwarder: cannot read the output %s back: %s",
			fw->p.output_path, strerror(errno)) == -1)
			*cause = xstrdup("forwarder: cannot read the output");
		return -1;
	}
	if ((cur = forward_file_new(fd, 0, (uint64_t)end)) == NULL) {
		close(fd);
		return -1;
	}
	forwarder_resume(fw, cur, have);
	fw->tail = cur;
	fw->out = out;
	fw->generation = output_generation(out);
	fw->read_off = fw->st.offset;
	lp.on_ack = forwarder_ack;
	lp.arg = fw;
	return (fw->link = nats_link_new(&lp, cause)) == NULL ? -1 : 0;
}

struct forwarder *
forwarder_start(const struct forwarder_params *p, const struct output *out, char **cause)
{
	struct forwarder *fw = xcalloc(1, sizeof(*fw));
	pthread_condattr_t attr;
	sigset_t all, old;
	int err;

	fw->p = *p;
	fw->p.state_path = fw->state_path = xstrdup(p->state_path);
	fw->win = forward_window_new(p->link.max_pending);
	if (forwarder_setup(fw, out, cause) == -1) {
		forwarder_free(fw);
		return NULL;
	}
	pthread_mutex_init(&fw->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&fw->cond, &attr);
	pthread_condattr_destroy(&attr);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&fw->thread, NULL, forwarder_main, fw);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		fatal("forwarder: cannot start its thread");
	}
	pthread_setname_np(fw->thread, "lc-forwarder");
	return fw;
}

void
forwarder_lag(const struct forwarder *fw, struct forwarder_lag *lag)
{
	uint64_t bytes = atomic_load(&fw->lag_bytes);

	lag->records = atomic_load(&fw->lag_records);
	lag->bytes = bytes;
	lag->seconds = bytes == 0 ? 0
				  : (uint64_t)(forwarder_now_ms() - atomic_load(&fw->caught_up_ms)) / 1000;
	lag->connected = atomic_load(&fw->connected);
}

void
forwarder_finish(struct forwarder *fw, unsigned seconds)
{
	if (fw == NULL)
		return;
	pthread_mutex_lock(&fw->lock);
	fw->stopping = 1;
	fw->deadline_ms = forwarder_now_ms() + (int64_t)seconds * 1000;
	fw->kick = 1;
	pthread_cond_signal(&fw->cond);
	pthread_mutex_unlock(&fw->lock);
	pthread_join(fw->thread, NULL);
	pthread_mutex_destroy(&fw->lock);
	pthread_cond_destroy(&fw->cond);
	forwarder_free(fw);
}
