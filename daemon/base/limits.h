/*
 * Named limits and defaults of logcatcherd. Every tunable literal lives here;
 * the options table (ops/config_table.c) takes its defaults and ranges from these.
 */
#ifndef LC_LIMITS_H
#define LC_LIMITS_H

/* Network. 9020 is logging.handlers.DEFAULT_TCP_LOGGING_PORT. */
#define LC_DEFAULT_LISTEN "127.0.0.1:9020"
#define LC_DEFAULT_OUTPUT "./logcatcher.jsonl"
#define LC_DEFAULT_OUTPUT_MODE 0640
#define LC_MAX_OUTPUT_MODE 0777
/* Clients reconnecting together after a restart must not overflow the
 * accept queue: each dropped SYN costs its client a 1 s retransmit. The
 * kernel caps this at net.core.somaxconn. */
#define LC_LISTEN_BACKLOG 4096
#define LC_MAX_LISTENERS 16
/* A peer's name, "[v6 address]:port" with its NUL. */
#define LC_PEER_STRLEN 64
#define LC_MAX_ALLOW 256

/* Connections: beyond max_connections, or when fewer than LC_FD_RESERVE
 * descriptors would be left under RLIMIT_NOFILE (for the output, the
 * dead-letter file and reopening them), new clients are closed at once. */
#define LC_DEFAULT_MAX_CONNECTIONS 10000
#define LC_MAX_MAX_CONNECTIONS 1000000
#define LC_FD_RESERVE 16
#define LC_MAX_IDLE_TIMEOUT (7u * 24 * 3600)

/* Framing: a 4-byte big-endian length before every payload. */
#define LC_FRAME_HEADER 4
/* A 1 MiB log message pickles to a little over 1 MiB: the default takes
 * what applications send. A frame over max_record_size is skipped as it
 * arrives (a sample of its first bytes goes to the dead letters); only a
 * length above the hard bound cannot be a frame and closes the connection
 * (four bytes of text, HTTP or TLS read as a length are all above it). */
#define LC_DEFAULT_MAX_RECORD (16u * 1024u * 1024u)
#define LC_MIN_MAX_RECORD 64u
#define LC_MAX_MAX_RECORD (256u * 1024u * 1024u)
#define LC_FRAME_HARD_MAX LC_MAX_MAX_RECORD
#define LC_OVERSIZE_SAMPLE 1024u
/* Frames longer than a carry are assembled in their own buffer, sized for
 * the whole frame when its header arrives and counted against
 * max_frame_memory; a connection whose frame does not fit waits unread. */
#define LC_DEFAULT_FRAME_MEMORY (64u * 1024u * 1024u)
#define LC_MAX_FRAME_MEMORY (64ull * 1024u * 1024u * 1024u)
/* A connection holding part of a frame closes after this long without a
 * byte (seconds); 0 never. */
#define LC_DEFAULT_FRAME_TIMEOUT 60
#define LC_MAX_FRAME_TIMEOUT (24u * 3600)

/* Per-connection fairness: bytes read from one socket per loop callback.
 * Each read costs a callback and TCP's window bookkeeping: 256 KiB took a
 * quarter off the loop thread's CPU for one fast client (against 64 KiB). */
#define LC_READ_BUDGET (256u * 1024u)
/* Reads go straight into the open batch. A batch with less room than this
 * left is submitted before the next read. */
#define LC_READ_MIN (16u * 1024u)
/* The start of a frame left by one read is copied ahead of the next read, if
 * it is at most this long; a longer frame is assembled in its framer, so a
 * large frame sent in small pieces is not copied again for every piece. */
#define LC_READ_CARRY_MAX (16u * 1024u)

/* Batches: submitted when full, or this long after their first record. */
#define LC_FLUSH_DELAY_US 2000
#define LC_BATCH_BYTES (256u * 1024u)
#define LC_BATCH_RECORDS 4096u
/* Freed batches kept with their buffers for reuse, enough for what
 * max_inflight holds by default: a fresh batch costs a page fault per 4 KiB. */
#define LC_BATCH_POOL 64
/* A freed batch keeps buffers up to this size; larger ones (a big record
 * passed) are given back. */
#define LC_BATCH_TRIM (2u * LC_BATCH_BYTES)

/* Bytes in flight (payloads framed and their lines, not yet written):
 * reading pauses above the high mark and resumes below the low mark (half
 * of it). */
#define LC_DEFAULT_MAX_INFLIGHT (16u * 1024u * 1024u)
#define LC_MIN_MAX_INFLIGHT (64u * 1024u)
#define LC_MAX_MAX_INFLIGHT (4ull * 1024u * 1024u * 1024u)

/* Worker threads; 0 in the config means one per online CPU. */
#define LC_MAX_WORKERS 256

/* Stop: how long the drain may take before the daemon gives up (seconds). */
#define LC_DEFAULT_STOP_TIMEOUT 30
#define LC_MIN_STOP_TIMEOUT 1
#define LC_MAX_STOP_TIMEOUT 3600
/* After the listeners close, connections keep being read for up to
 * stop_grace seconds, each until it has been quiet for LC_STOP_QUIET_MS:
 * a client that connected just before the stop, or whose bytes are on
 * their way, loses nothing. */
#define LC_DEFAULT_STOP_GRACE 1
#define LC_STOP_QUIET_MS 100
/* The last read of a connection at the stop takes at most this much, so a
 * client that never stops sending cannot hold the stop. */
#define LC_STOP_DRAIN_MAX (4u * LC_READ_BUDGET)
/* Before the reset, ACK at once and read what that releases (a client's
 * Nagle holds its newest records until our ACK), at most this many times. */
#define LC_STOP_ACK_ROUNDS 8

/* Write retry backoff after a disk error (milliseconds). */
#define LC_WRITE_RETRY_MIN_MS 100
#define LC_WRITE_RETRY_MAX_MS 5000

/* A torn last line (left by a crash) moved to the dead letters at open keeps
 * at most this many of its bytes (the entry's "size" says how many it had). */
#define LC_TORN_KEEP (1024u * 1024u)

/* Logging of bad input: a sample of at most this many bytes, escaped, and at
 * most this many such lines per second (the rest are counted). */
#define LC_LOG_SAMPLE 64
#define LC_LOG_RATE_PER_SEC 10

/* The metrics endpoint: slow or many scrapers must never hold the collector
 * up. Unhealthy (/healthz 503) after this many seconds without writer
 * progress while there is work. */
#define LC_METRICS_MAX_CONNECTIONS 32
#define LC_METRICS_TIMEOUT 10 /* seconds for a request to arrive or a reply to leave */
#define LC_METRICS_MAX_HEADERS 8192
#define LC_METRICS_MAX_BODY 1024
#define LC_METRICS_MAX_CLIENTS 100 /* entries listed by /clients */
#define LC_METRICS_STALL_UNHEALTHY 5
#define LC_METRICS_SWEEP_SECONDS 1 /* how often closed scrapers are released */

/* Deepest nesting of arrays and objects (dicts, lists, tuples) in a record,
 * JSON or pickle: as deep as Python's json and pickle print under their
 * default recursion limit (1000), and cJSON's own limit. */
#define LC_MAX_NESTING 1000

/* A pickle record's line may be this many times max_record_size long:
 * escapes and descriptions make JSON longer than the pickle (6x for control
 * characters, 4/3 for bytes as base64, more for memo references). */
#define LC_OUTPUT_PER_RECORD_FACTOR 8

/* Pickle decoder caps, per record. The payload bounds them too: a value
 * takes at least one byte, and picklers number memo keys from 0 with one
 * PUT each, so a key beyond the payload's length (plus some slack for
 * hand-made pickles) only costs memory. */
#define LC_PICKLE_MAX_STACK (4u * 1024u * 1024u)
#define LC_PICKLE_MAX_MEMO (4u * 1024u * 1024u)
#define LC_PICKLE_MEMO_SLACK 65536u
/* Integers beyond 64 bits (LONG1/LONG4): bytes per number, and in total per
 * record, since converting them to decimal costs time quadratic in size
 * (2**100000 takes 12.5 KiB). */
#define LC_PICKLE_MAX_LONG_BYTES (32u * 1024u)
#define LC_PICKLE_MAX_LONG_TOTAL (64u * 1024u)

/* The NATS forwarder (sink/forwarder.c). Acks awaited at once: the window
 * bounds the lines held in memory (nats_max_pending * nats_batch lines). */
#define LC_FWD_DEFAULT_MAX_PENDING 4096
#define LC_FWD_MAX_MAX_PENDING 65536
#define LC_FWD_MAX_BATCH 1000
#define LC_FWD_DEFAULT_STREAM "LOGS"
#define LC_FWD_DEFAULT_SUBJECT "logs.{host}"
#define LC_FWD_STATE_SUFFIX ".forward"
/* The file is read back this much at a time (a longer line grows the buffer
 * up to the server's max_payload). */
#define LC_FWD_READ_CHUNK (1u << 20)
/* A message not acked for this long is taken back and published again
 * (same id); cheaper than libnats' per-message MaxWait. */
#define LC_FWD_ACK_TIMEOUT_MS 10000
/* The acked checkpoint is persisted (fsynced) at most this often. */
#define LC_FWD_CHECKPOINT_MS 1000
/* Backoff after a failed publish or connect. */
#define LC_FWD_RETRY_MIN_MS 100
#define LC_FWD_RETRY_MAX_MS 5000
#define LC_FWD_CONNECT_TIMEOUT_MS 2000
#define LC_FWD_RECONNECT_WAIT_MS 1000
/* How long a close waits for libnats' own threads to finish with us. */
#define LC_FWD_CLOSE_WAIT_MS 5000
/* Longest subject; field values are cut to fit. */
#define LC_FWD_SUBJECT_MAX 256
#define LC_FWD_MAX_SERVERS 16

#endif
