#include "sink/nats_link.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "sink/subject.h"

/* JetStream's "stream not found" (jsErrCode). */
#define NATS_LINK_NO_STREAM 10059

struct nats_link {
	struct nats_link_params p;
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	atomic_int connected;
	/* Set by libnats' closed callback, under lock to signal closed_cond. */
	atomic_int closed;
	pthread_mutex_t lock;
	pthread_cond_t closed_cond;
};

static int nats_link_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
nats_link_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = xstrdup("out of memory");
	va_end(ap);
	return -1;
}

/* libnats' error, with its last error text when there is one. */
static const char *
nats_link_error(natsStatus s)
{
	const char *text = nats_GetLastError(NULL);

	return text != NULL && *text != '\0' ? text : natsStatus_GetText(s);
}

/* libnats' thread: state changes, logged once each. */
static void
nats_link_disconnected(natsConnection *nc, void *arg)
{
	struct nats_link *l = arg;

	(void)nc;
	if (atomic_exchange(&l->connected, 0))
		log_warnx("forwarder: lost the NATS connection; records wait in the output file");
}

static void
nats_link_reconnected(natsConnection *nc, void *arg)
{
	struct nats_link *l = arg;
	char url[256] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	if (!atomic_exchange(&l->connected, 1))
		log_warnx("forwarder: connected to NATS again (%s)", url);
}

static void
nats_link_closed_cb(natsConnection *nc, void *arg)
{
	struct nats_link *l = arg;

	(void)nc;
	atomic_store(&l->connected, 0);
	pthread_mutex_lock(&l->lock);
	atomic_store(&l->closed, 1);
	pthread_cond_signal(&l->closed_cond);
	pthread_mutex_unlock(&l->lock);
}

static void
nats_link_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	struct nats_link *l = arg;
	const char *id = NULL, *why = NULL;

	(void)js;
	if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK) {
		if (pa == NULL)
			why = pae == NULL ? "no ack"
			      : pae->ErrText != NULL && *pae->ErrText != '\0' ? pae->ErrText
										: natsStatus_GetText(pae->Err);
		l->p.on_ack(l->p.arg, id,
		    pa == NULL ? NATS_LINK_FAILED : pa->Duplicate ? NATS_LINK_DUPLICATE : NATS_LINK_ACKED,
		    why);
	}
	natsMsg_Destroy(msg); /* ours with an AckHandler */
}

/* The comma-separated servers, into opts. */
static natsStatus
nats_link_servers(natsOptions *opts, const char *servers)
{
	char *copy = xstrdup(servers), *rest = copy, *url;
	const char *list[LC_FWD_MAX_SERVERS];
	int n = 0;
	natsStatus s;

	while ((url = strsep(&rest, ",")) != NULL && n < LC_FWD_MAX_SERVERS) {
		while (*url == ' ')
			url++;
		if (*url != '\0')
			list[n++] = url;
	}
	s = natsOptions_SetServers(opts, list, n);
	free(copy);
	return s;
}

static natsStatus
nats_link_options(struct nats_link *l)
{
	const struct nats_link_params *p = &l->p;
	natsOptions *o;
	natsStatus s = natsOptions_Create(&l->opts);

	if (s != NATS_OK)
		return s;
	o = l->opts;
	if ((s = nats_link_servers(o, p->servers)) != NATS_OK ||
	    (s = natsOptions_SetName(o, "logcatcherd")) != NATS_OK ||
	    (s = natsOptions_SetTimeout(o, LC_FWD_CONNECT_TIMEOUT_MS)) != NATS_OK ||
	    (s = natsOptions_SetMaxReconnect(o, -1)) != NATS_OK ||
	    (s = natsOptions_SetReconnectWait(o, LC_FWD_RECONNECT_WAIT_MS)) != NATS_OK ||
	    (s = natsOptions_SetDisconnectedCB(o, nats_link_disconnected, l)) != NATS_OK ||
	    (s = natsOptions_SetReconnectedCB(o, nats_link_reconnected, l)) != NATS_OK ||
	    (s = natsOptions_SetClosedCB(o, nats_link_closed_cb, l)) != NATS_OK)
		return s;
	if (*p->token != '\0' && (s = natsOptions_SetToken(o, p->token)) != NATS_OK)
		return s;
	if (*p->user != '\0' && (s = natsOptions_SetUserInfo(o, p->user, p->password)) != NATS_OK)
		return s;
	if (*p->creds != '\0' &&
	    (s = natsOptions_SetUserCredentialsFromFiles(o, p->creds, NULL)) != NATS_OK)
		return s;
	if (*p->tls_ca != '\0' || *p->tls_cert != '\0') {
		if ((s = natsOptions_SetSecure(o, true)) != NATS_OK)
			return s;
		if (*p->tls_ca != '\0' &&
		    (s = natsOptions_LoadCATrustedCertificates(o, p->tls_ca)) != NATS_OK)
			return s;
		if (*p->tls_cert != '\0' &&
		    (s = natsOptions_LoadCertificatesChain(o, p->tls_cert, p->tls_key)) != NATS_OK)
			return s;
	}
	return NATS_OK;
}

struct nats_link *
nats_link_new(const struct nats_link_params *params, char **cause)
{
	struct nats_link *l = xcalloc(1, sizeof(*l));
	natsStatus s;

	l->p = *params;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->closed_cond, NULL);
	if ((s = nats_link_options(l)) != NATS_OK) {
		nats_link_cause(cause, "NATS options: %s", nats_link_error(s));
		nats_link_free(l);
		return NULL;
	}
	return l;
}

/* libnats runs the closed callback on its own thread after Close returns:
 * wait for it, or a late one would mark the next connection closed. */
static void
nats_link_wait_closed(struct nats_link *l)
{
	struct timespec until;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LC_FWD_CLOSE_WAIT_MS / 1000;
	pthread_mutex_lock(&l->lock);
	while (!atomic_load(&l->closed) && err == 0)
		err = pthread_cond_timedwait(&l->closed_cond, &l->lock, &until);
	pthread_mutex_unlock(&l->lock);
	if (err != 0)
		log_warnx("forwarder: NATS did not report the connection closed in %d ms",
		    LC_FWD_CLOSE_WAIT_MS);
}

static void
nats_link_close(struct nats_link *l)
{
	/* Not connected first: a close of ours is not an outage to log. */
	atomic_store(&l->connected, 0);
	jsCtx_Destroy(l->js);
	l->js = NULL;
	if (l->nc != NULL) {
		natsConnection_Close(l->nc);
		nats_link_wait_closed(l);
		natsConnection_Destroy(l->nc);
		l->nc = NULL;
	}
}

void
nats_link_free(struct nats_link *l)
{
	if (l == NULL)
		return;
	nats_link_close(l);
	natsOptions_Destroy(l->opts);
	/* No libnats thread may call back into l once it is freed: the
	 * forwarder is the process's only user of the library. */
	if (nats_CloseAndWait(LC_FWD_CLOSE_WAIT_MS) != NATS_OK)
		log_warnx("forwarder: the NATS library did not stop in %d ms",
		    LC_FWD_CLOSE_WAIT_MS);
	pthread_cond_destroy(&l->closed_cond);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* The stream exists and one of its subject filters takes the template's
 * subjects. */
static int
nats_link_check_stream(struct nats_link *l, const struct subject *subject, char **cause)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, l->js, l->p.stream, NULL, &jerr);
	int ok = 0;

	if (s == NATS_NOT_FOUND || jerr == NATS_LINK_NO_STREAM)
		return nats_link_cause(cause, "JetStream stream '%s' does not exist (create it, "
					      "with subjects that take '%s')",
		    l->p.stream, subject_text(subject));
	if (s != NATS_OK)
		return nats_link_cause(cause, "cannot read JetStream stream '%s': %s",
		    l->p.stream, nats_link_error(s));
	for (int i = 0; i < si->Config->SubjectsLen && !ok; i++)
		ok = subject_covered_by(subject, si->Config->Subjects[i]);
	if (!ok)
		nats_link_cause(cause,
		    "JetStream stream '%s' does not take the subjects of nats_subject '%s' "
		    "(its subjects: %s%s)",
		    l->p.stream, subject_text(subject),
		    si->Config->SubjectsLen > 0 ? si->Config->Subjects[0] : "none",
		    si->Config->SubjectsLen > 1 ? ", ..." : "");
	jsStreamInfo_Destroy(si);
	return ok ? 0 : -1;
}

int
nats_link_open(struct nats_link *l, const struct subject *subject, char **cause)
{
	jsOptions jo;
	natsStatus s;

	nats_link_close(l);
	atomic_store(&l->closed, 0); /* none pending: nats_link_close waited */
	if ((s = natsConnection_Connect(&l->nc, l->opts)) != NATS_OK) {
		l->nc = NULL;
		return nats_link_cause(cause, "cannot connect to NATS %s: %s", l->p.servers,
		    nats_link_error(s));
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = l->p.max_pending;
	jo.PublishAsync.AckHandler = nats_link_ack;
	jo.PublishAsync.AckHandlerClosure = l;
	if ((s = natsConnection_JetStream(&l->js, l->nc, &jo)) != NATS_OK) {
		nats_link_close(l);
		return nats_link_cause(cause, "NATS JetStream: %s", nats_link_error(s));
	}
	if (nats_link_check_stream(l, subject, cause) == -1) {
		nats_link_close(l);
		return -1;
	}
	atomic_store(&l->connected, 1);
	return 0;
}

int
nats_link_connected(const struct nats_link *l)
{
	return atomic_load(&l->connected);
}

int
nats_link_closed(const struct nats_link *l)
{
	return l->nc == NULL || atomic_load(&l->closed);
}

size_t
nats_link_max_payload(const struct nats_link *l)
{
	int64_t max = l->nc != NULL ? natsConnection_GetMaxPayload(l->nc) : 0;

	return max > 0 ? (size_t)max : 0;
}

int
nats_link_publish(struct nats_link *l, const char *subject, const char *msgid, const char *data,
    size_t len, const char **why)
{
	natsMsg *m = NULL;
	natsStatus s;

	if ((s = natsMsg_Create(&m, subject, NULL, data, (int)len)) == NATS_OK &&
	    (s = natsMsgHeader_Set(m, "Nats-Msg-Id", msgid)) == NATS_OK)
		s = js_PublishMsgAsync(l->js, &m, NULL);
	natsMsg_Destroy(m); /* a no-op if libnats took it */
	if (s != NATS_OK) {
		*why = natsStatus_GetText(s);
		return -1;
	}
	return 0;
}

int
nats_link_take_back(struct nats_link *l)
{
	natsMsgList pending;
	int n;

	if (l->js == NULL || js_PublishAsyncGetPendingList(&pending, l->js) != NATS_OK)
		return 0;
	n = pending.Count;
	natsMsgList_Destroy(&pending);
	return n;
}
