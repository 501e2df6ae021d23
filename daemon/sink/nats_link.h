/*
 * The forwarder's connection to NATS JetStream (libnats): options from the
 * configuration (servers, token, user and password, creds file, TLS), the
 * connection (libnats reconnects by itself once connected; a first connect
 * that fails is retried by the forwarder), the check that the stream exists
 * and takes the template's subjects, and asynchronous publishes whose acks
 * arrive on libnats' thread through the given handler.
 */
#ifndef LC_NATS_LINK_H
#define LC_NATS_LINK_H

#include <stddef.h>
#include <stdint.h>

struct subject;
struct nats_link;

/* What became of a published message. */
enum nats_link_result { NATS_LINK_FAILED, NATS_LINK_ACKED, NATS_LINK_DUPLICATE };

struct nats_link_params {
	const char *servers; /* comma-separated nats:// or tls:// URLs */
	const char *token, *user, *password, *creds;
	const char *tls_ca, *tls_cert, *tls_key;
	const char *stream;
	unsigned max_pending;
	/* libnats' thread, for every message, by its Nats-Msg-Id (why: the
	 * reason of a failure). */
	void (*on_ack)(void *arg, const char *msgid, enum nats_link_result result, const char *why);
	void *arg;
};

/* NULL with an allocated *cause (free()) for options libnats refuses (a
 * missing creds or certificate file). */
struct nats_link *nats_link_new(const struct nats_link_params *params, char **cause);
void nats_link_free(struct nats_link *l);

/* Connect and check the stream against the subject template. 0, or -1 with
 * an allocated *cause: try again later. */
int nats_link_open(struct nats_link *l, const struct subject *subject, char **cause);

/* Whether a connection is open (reconnecting counts as not connected). */
int nats_link_connected(const struct nats_link *l);
/* Whether libnats gave the connection up (closed): open again. */
int nats_link_closed(const struct nats_link *l);
/* The largest message the server takes. */
size_t nats_link_max_payload(const struct nats_link *l);

/* Publish asynchronously. 0, or -1 (not sent: try again later). */
int nats_link_publish(struct nats_link *l, const char *subject, const char *msgid,
    const char *data, size_t len, const char **why);

/* Take every message still waiting for its ack back (their acks will not
 * come): the caller publishes them again. Returns how many there were. */
int nats_link_take_back(struct nats_link *l);

#endif
