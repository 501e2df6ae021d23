/*
 * lc_nats_tool: what the NATS integration tests need from JetStream, done
 * through libnats as any client would do it.
 *
 *   lc_nats_tool [-s URL] [--token T] [--user U --password P] [--tls-ca FILE]
 *                [--tls-cert FILE --tls-key FILE] [--timeout SECONDS] COMMAND ARGS...
 *
 *   create-stream NAME SUBJECTS REPLICAS DUPLICATES_SECONDS
 *                       a file stream; SUBJECTS separated by commas
 *   update-stream NAME SUBJECTS REPLICAS DUPLICATES_SECONDS
 *                       the same, changing a stream that exists
 *   delete-stream NAME
 *   count NAME          the messages in the stream, a plain number
 *   info NAME           {"messages", "first_seq", "last_seq", "leader",
 *                       "replicas": [{"name", "current", "offline", "lag"}]}
 *   dump NAME           every message, in stream order, one JSON line each:
 *                       {"seq": N, "subject": S, "id": Nats-Msg-Id or null,
 *                       "data": D}; read with a pull consumer that the tool
 *                       creates and deletes
 *   publish SUBJECT ID DATA
 *                       one JetStream publish with that Nats-Msg-Id ("" for
 *                       none); prints {"stream", "seq", "duplicate"}
 *
 * Strings in the output are JSON with the bytes of the message as they are:
 * control characters, '"' and '\' are escaped, every other byte is copied,
 * so a reader that decodes with surrogateescape gets the exact bytes back.
 * Errors go to stderr with exit status 1; a usage error exits 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#define TOOL_NAME "lc_nats_tool"
#define TOOL_DEFAULT_URL "nats://127.0.0.1:4222"
#define TOOL_DEFAULT_TIMEOUT_S 10.0
#define TOOL_FETCH_BATCH 512
#define TOOL_MAX_SUBJECTS 32
#define TOOL_MSGID_HEADER "Nats-Msg-Id"

struct tool_opts {
	const char *url;
	const char *token;
	const char *user, *password;
	const char *tls_ca, *tls_cert, *tls_key;
	int64_t timeout_ms;
};

struct tool {
	struct tool_opts o;
	natsConnection *nc;
	jsCtx *js;
	jsOptions jo;
};

static void tool_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
tool_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", TOOL_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* libnats' own words for a failed call, with the JetStream error code. */
static void tool_fail(const char *what, natsStatus s, jsErrCode jerr) __attribute__((noreturn));

static void
tool_fail(const char *what, natsStatus s, jsErrCode jerr)
{
	const char *text = nats_GetLastError(NULL);

	if (text == NULL || *text == '\0')
		text = natsStatus_GetText(s);
	if (jerr != 0)
		tool_die("%s: %s (JetStream error %d)", what, text, (int)jerr);
	tool_die("%s: %s", what, text);
}

static void
tool_usage(void)
{
	fprintf(stderr,
	    "usage: %s [-s URL] [--token T] [--user U --password P] [--tls-ca FILE]\n"
	    "           [--tls-cert FILE --tls-key FILE] [--timeout SECONDS] COMMAND ARGS...\n"
	    "commands:\n"
	    "  create-stream NAME SUBJECTS REPLICAS DUPLICATES_SECONDS\n"
	    "  update-stream NAME SUBJECTS REPLICAS DUPLICATES_SECONDS\n"
	    "  delete-stream NAME\n"
	    "  count NAME\n"
	    "  info NAME\n"
	    "  dump NAME\n"
	    "  publish SUBJECT ID DATA\n",
	    TOOL_NAME);
	exit(2);
}

static int64_t
tool_number(const char *what, const char *arg, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		tool_die("%s: '%s' is not a number from %" PRId64 " to %" PRId64, what, arg, min,
		    max);
	return v;
}

/* A JSON string of len bytes (see the top of the file). */
static void
tool_put_string(FILE *out, const char *s, size_t len)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
tool_put_cstring(FILE *out, const char *s)
{
	if (s == NULL)
		fputs("null", out);
	else
		tool_put_string(out, s, strlen(s));
}

static void
tool_connect(struct tool *t)
{
	natsOptions *opts;
	natsStatus s;

	if ((s = natsOptions_Create(&opts)) != NATS_OK)
		tool_fail("options", s, 0);
	s = natsOptions_SetServers(opts, &t->o.url, 1);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, t->o.timeout_ms);
	if (s == NATS_OK && t->o.token != NULL)
		s = natsOptions_SetToken(opts, t->o.token);
	if (s == NATS_OK && t->o.user != NULL)
		s = natsOptions_SetUserInfo(opts, t->o.user, t->o.password);
	if (s == NATS_OK && t->o.tls_ca != NULL) {
		s = natsOptions_SetSecure(opts, true);
		if (s == NATS_OK)
			s = natsOptions_LoadCATrustedCertificates(opts, t->o.tls_ca);
	}
	if (s == NATS_OK && t->o.tls_cert != NULL)
		s = natsOptions_LoadCertificatesChain(opts, t->o.tls_cert, t->o.tls_key);
	if (s != NATS_OK)
		tool_fail("options", s, 0);
	if ((s = natsConnection_Connect(&t->nc, opts)) != NATS_OK)
		tool_fail(t->o.url, s, 0);
	natsOptions_Destroy(opts);
	if ((s = jsOptions_Init(&t->jo)) != NATS_OK)
		tool_fail("JetStream options", s, 0);
	t->jo.Wait = t->o.timeout_ms;
	if ((s = natsConnection_JetStream(&t->js, t->nc, &t->jo)) != NATS_OK)
		tool_fail("JetStream", s, 0);
}

static void
tool_close(struct tool *t)
{
	jsCtx_Destroy(t->js);
	natsConnection_Destroy(t->nc);
}

static jsStreamInfo *
tool_stream_info(struct tool *t, const char *name)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char what[256];

	if ((s = js_GetStreamInfo(&si, t->js, name, &t->jo, &jerr)) != NATS_OK) {
		snprintf(what, sizeof(what), "stream %s", name);
		tool_fail(what, s, jerr);
	}
	return si;
}

/* create-stream and update-stream: the same configuration, added or changed
 * (update-stream changes the subjects of a stream that exists). */
static int
tool_put_stream(struct tool *t, char **argv, int update)
{
	const char *subjects[TOOL_MAX_SUBJECTS];
	char *list = argv[1], *subj;
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	int n = 0;

	jsStreamConfig_Init(&cfg);
	cfg.Name = argv[0];
	while ((subj = strsep(&list, ",")) != NULL) {
		if (*subj == '\0')
			continue;
		if (n == TOOL_MAX_SUBJECTS)
			tool_die("more than %d subjects", TOOL_MAX_SUBJECTS);
		subjects[n++] = subj;
	}
	if (n == 0)
		tool_die("no subject");
	cfg.Subjects = subjects;
	cfg.SubjectsLen = n;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = tool_number("REPLICAS", argv[2], 1, 5);
	cfg.Duplicates =
	    tool_number("DUPLICATES_SECONDS", argv[3], 1, 7 * 24 * 3600) * 1000000000LL;
	s = update ? js_UpdateStream(&si, t->js, &cfg, &t->jo, &jerr)
		   : js_AddStream(&si, t->js, &cfg, &t->jo, &jerr);
	if (s != NATS_OK)
		tool_fail(update ? "update-stream" : "create-stream", s, jerr);
	printf("{\"stream\":");
	tool_put_cstring(stdout, si->Config->Name);
	printf(",\"replicas\":%" PRId64 "}\n", si->Config->Replicas);
	jsStreamInfo_Destroy(si);
	return 0;
}

static int
tool_create_stream(struct tool *t, char **argv)
{
	return tool_put_stream(t, argv, 0);
}

static int
tool_update_stream(struct tool *t, char **argv)
{
	return tool_put_stream(t, argv, 1);
}

static int
tool_delete_stream(struct tool *t, char **argv)
{
	jsErrCode jerr = 0;
	natsStatus s;

	if ((s = js_DeleteStream(t->js, argv[0], &t->jo, &jerr)) != NATS_OK)
		tool_fail("delete-stream", s, jerr);
	return 0;
}

static int
tool_count(struct tool *t, char **argv)
{
	jsStreamInfo *si = tool_stream_info(t, argv[0]);

	printf("%" PRIu64 "\n", si->State.Msgs);
	jsStreamInfo_Destroy(si);
	return 0;
}

static int
tool_info(struct tool *t, char **argv)
{
	jsStreamInfo *si = tool_stream_info(t, argv[0]);
	jsClusterInfo *ci = si->Cluster;
	int i;

	printf("{\"messages\":%" PRIu64 ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64
	       ",\"leader\":",
	    si->State.Msgs, si->State.FirstSeq, si->State.LastSeq);
	tool_put_cstring(stdout, ci != NULL ? ci->Leader : NULL);
	printf(",\"replicas\":[");
	for (i = 0; ci != NULL && i < ci->ReplicasLen; i++) {
		jsPeerInfo *p = ci->Replicas[i];

		printf("%s{\"name\":", i > 0 ? "," : "");
		tool_put_cstring(stdout, p->Name);
		printf(",\"current\":%s,\"offline\":%s,\"lag\":%" PRIu64 "}",
		    p->Current ? "true" : "false", p->Offline ? "true" : "false", p->Lag);
	}
	printf("]}\n");
	jsStreamInfo_Destroy(si);
	return 0;
}

/* One message as a JSON line; its stream sequence. */
static uint64_t
tool_dump_msg(natsMsg *msg)
{
	jsMsgMetaData *meta = NULL;
	const char *id = NULL;
	natsStatus s;
	uint64_t seq;

	if ((s = natsMsg_GetMetaData(&meta, msg)) != NATS_OK)
		tool_fail("message metadata", s, 0);
	s = natsMsgHeader_Get(msg, TOOL_MSGID_HEADER, &id);
	if (s != NATS_OK && s != NATS_NOT_FOUND)
		tool_fail("message header", s, 0);
	printf("{\"seq\":%" PRIu64 ",\"subject\":", meta->Sequence.Stream);
	tool_put_cstring(stdout, natsMsg_GetSubject(msg));
	printf(",\"id\":");
	tool_put_cstring(stdout, s == NATS_OK ? id : NULL);
	printf(",\"data\":");
	tool_put_string(stdout, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
	printf("}\n");
	seq = meta->Sequence.Stream;
	jsMsgMetaData_Destroy(meta);
	return seq;
}

static int
tool_dump(struct tool *t, char **argv)
{
	const char *stream = argv[0];
	jsStreamInfo *si = tool_stream_info(t, stream);
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	natsSubscription *sub = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	char durable[64];
	uint64_t last = si->State.LastSeq, seq = 0;
	int i;

	/* Up to the last sequence the stream leader has now: the consumer's
	 * peer may lag behind it, and a fetch that times out before then is
	 * an error, not the end. */
	jsStreamInfo_Destroy(si);
	if (last == 0)
		return 0;
	/* A durable of our own, without a filter, so every subject is read;
	 * deleted at the end. */
	snprintf(durable, sizeof(durable), "lc_nats_tool_%ld", (long)getpid());
	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.AckPolicy = js_AckNone;
	cc.DeliverPolicy = js_DeliverAll;
	cc.Replicas = 1;
	if ((s = js_AddConsumer(&ci, t->js, stream, &cc, &t->jo, &jerr)) != NATS_OK)
		tool_fail("dump: consumer", s, jerr);
	jsConsumerInfo_Destroy(ci);
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Consumer = durable;
	if ((s = js_PullSubscribe(&sub, t->js, NULL, durable, &t->jo, &so, &jerr)) != NATS_OK)
		tool_fail("dump: subscribe", s, jerr);
	while (seq < last) {
		natsMsgList list = {0};

		s = natsSubscription_Fetch(&list, sub, TOOL_FETCH_BATCH, t->o.timeout_ms, &jerr);
		if (s == NATS_TIMEOUT)
			tool_die("dump: stream %s: read up to sequence %" PRIu64 " of %" PRIu64
				 ", then nothing for %" PRId64 " ms",
			    stream, seq, last, t->o.timeout_ms);
		if (s != NATS_OK)
			tool_fail("dump: fetch", s, jerr);
		for (i = 0; i < list.Count; i++)
			seq = tool_dump_msg(list.Msgs[i]);
		natsMsgList_Destroy(&list);
	}
	if (fflush(stdout) != 0)
		tool_die("stdout: %s", strerror(errno));
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	if ((s = js_DeleteConsumer(t->js, stream, durable, &t->jo, &jerr)) != NATS_OK)
		tool_fail("dump: delete consumer", s, jerr);
	return 0;
}

static int
tool_publish(struct tool *t, char **argv)
{
	jsPubOptions po;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	jsPubOptions_Init(&po);
	po.MaxWait = t->o.timeout_ms;
	if (*argv[1] != '\0')
		po.MsgId = argv[1];
	s = js_Publish(&ack, t->js, argv[0], argv[2], (int)strlen(argv[2]), &po, &jerr);
	if (s != NATS_OK)
		tool_fail("publish", s, jerr);
	printf("{\"stream\":");
	tool_put_cstring(stdout, ack->Stream);
	printf(",\"seq\":%" PRIu64 ",\"duplicate\":%s}\n", ack->Sequence,
	    ack->Duplicate ? "true" : "false");
	jsPubAck_Destroy(ack);
	return 0;
}

static const struct tool_command {
	const char *name;
	int argc;
	int (*run)(struct tool *, char **);
} tool_commands[] = {
    {"create-stream", 4, tool_create_stream},
    {"update-stream", 4, tool_update_stream},
    {"delete-stream", 1, tool_delete_stream},
    {"count", 1, tool_count},
    {"info", 1, tool_info},
    {"dump", 1, tool_dump},
    {"publish", 3, tool_publish},
};

int
main(int argc, char **argv)
{
	enum {
		OPT_TOKEN = 256,
		OPT_USER,
		OPT_PASSWORD,
		OPT_TLS_CA,
		OPT_TLS_CERT,
		OPT_TLS_KEY,
		OPT_TIMEOUT,
	};
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"token", required_argument, NULL, OPT_TOKEN},
	    {"user", required_argument, NULL, OPT_USER},
	    {"password", required_argument, NULL, OPT_PASSWORD},
	    {"tls-ca", required_argument, NULL, OPT_TLS_CA},
	    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct tool t = {.o = {.url = TOOL_DEFAULT_URL,
			       .timeout_ms = (int64_t)(TOOL_DEFAULT_TIMEOUT_S * 1000)}};
	const struct tool_command *cmd = NULL;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			t.o.url = optarg;
			break;
		case OPT_TOKEN:
			t.o.token = optarg;
			break;
		case OPT_USER:
			t.o.user = optarg;
			break;
		case OPT_PASSWORD:
			t.o.password = optarg;
			break;
		case OPT_TLS_CA:
			t.o.tls_ca = optarg;
			break;
		case OPT_TLS_CERT:
			t.o.tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			t.o.tls_key = optarg;
			break;
		case OPT_TIMEOUT:
			t.o.timeout_ms = tool_number("--timeout", optarg, 1, 3600) * 1000;
			break;
		default:
			tool_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		tool_usage();
	for (i = 0; i < sizeof(tool_commands) / sizeof(tool_commands[0]); i++)
		if (strcmp(argv[0], tool_commands[i].name) == 0)
			cmd = &tool_commands[i];
	if (cmd == NULL || argc - 1 != cmd->argc)
		tool_usage();
	if (t.o.user != NULL && t.o.password == NULL)
		tool_die("--user needs --password");
	if ((t.o.tls_cert == NULL) != (t.o.tls_key == NULL))
		tool_die("--tls-cert and --tls-key go together");
	tool_connect(&t);
	rc = cmd->run(&t, argv + 1);
	tool_close(&t);
	nats_Close();
	return rc;
}
