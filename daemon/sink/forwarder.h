/*
 * The NATS forwarder: its own thread (lc-forwarder) publishes every record
 * line to JetStream after it is written to the output file, in file order,
 * reading the lines back from the file, and keeps an fsynced checkpoint of
 * how far JetStream has acked. The file is the buffer: a broker outage of
 * any length only makes it fall behind. It is the second sink
 * (sink/sink.h): for each batch the file sink has written, the committer
 * tells it how far the file now goes; nothing else is shared with the
 * pipeline.
 */
#ifndef LC_FORWARDER_H
#define LC_FORWARDER_H

#include <stdint.h>

#include "sink/nats_link.h"
#include "sink/sink.h"

struct forwarder;
struct output;

struct forwarder_params {
	struct nats_link_params link; /* on_ack and arg are the forwarder's */
	const char *subject;	      /* the nats_subject template */
	unsigned batch;		      /* lines per message */
	const char *state_path;	      /* the checkpoint */
	const char *output_path;      /* to find a file rotated while stopped */
};

/* Load the checkpoint, open the output for reading and start the thread
 * (it connects by itself, retrying). NULL with an allocated *cause (free())
 * for a configuration that cannot work. */
struct forwarder *forwarder_start(const struct forwarder_params *p, const struct output *out,
    char **cause);

/* The sink to hand the pipeline after the file sink (it never waits for
 * the forwarder's thread). out, given to forwarder_start, must be the file
 * sink's. */
struct sink forwarder_sink(struct forwarder *fw);

struct forwarder_lag {
	uint64_t records; /* lines written and not yet acked */
	uint64_t bytes;
	uint64_t seconds; /* since everything was last acked; 0 when caught up */
	int connected;
};

/* Any thread. */
void forwarder_lag(const struct forwarder *fw, struct forwarder_lag *lag);

/* At the stop, after the pipeline finished: forward what the file holds for
 * at most `seconds`, persist the checkpoint, stop the thread and free it;
 * what is left goes at the next start. NULL is fine. */
void forwarder_finish(struct forwarder *fw, unsigned seconds);

#endif
