"""Python's own logging.handlers against the real daemon: the golden records
of every protocol sent through TCP come out exactly as Python computes them;
SocketHandler from several threads and DatagramHandler over UDP deliver
everything; SocketHandler reconnects after the daemon restarts."""
import json
import logging
import logging.handlers
import os
import pickle
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "unit"))
import lctest  # noqa: E402
import pickle_golden  # noqa: E402
from lctest import Daemon, frame, read_jsonl, split_trailer, wait_until  # noqa: E402


def make_logger(name, handler):
    log = logging.getLogger(name)
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log


class PythonLoggingTest(unittest.TestCase):
    def test_golden_records_through_the_daemon(self):
        payloads = [pickle_golden.make_pickle(record, proto)
                    for record in pickle_golden.records() for proto in range(6)]
        with Daemon() as d:
            s = d.connect()
            s.sendall(b"".join(frame(p) for p in payloads))
            s.close()
            d.wait_lines(len(payloads))
            self.assertEqual(d.stop(), 0)
            with open(d.output, "rb") as f:
                # Not splitlines(): U+2028 inside a string is not a line end.
                lines = f.read().decode("utf-8").split("\n")[:-1]
        self.assertEqual(lines[-1], '{"lines_collected": %d}' % len(payloads))
        for payload, line in zip(payloads, lines):
            want = pickle_golden.expected_line(payload)
            self.assertTrue(pickle_golden.same_line(line, want), "got  %s\nwant %s" % (line, want))

    def test_big_records_then_small_ones_on_the_same_connection(self):
        """What applications send arrives whole with the defaults: a 1 MiB
        message in ASCII, Cyrillic and emoji, a 100,000-item list and a
        20,000-key dict, through a real SocketHandler (protocol 1) and as
        pickles of every protocol, then small records on the same
        connection; each line is what json.dumps(pickle.loads(p)) prints."""
        mib = 1024 * 1024
        big = [("ascii", "a" * mib, {}), ("cyrillic", "ж" * (mib // 2), {}),
               ("emoji", "\U0001F600" * (mib // 4), {}),
               ("list", "a list", {"items": list(range(100000))}),
               ("dict", "a dict", {"table": {"k%d" % i: i for i in range(20000)}})]
        with Daemon() as d:
            handler = logging.handlers.SocketHandler("127.0.0.1", d.port)
            log = make_logger("big", handler)
            sent = []
            capture = []

            class Keep(logging.Handler):
                def emit(self, record):
                    capture.append(handler.makePickle(record)[4:])
            log.addHandler(Keep())
            for name, msg, extra in big:
                log.warning("%s", msg, extra=dict(extra, kind=name))
            for i in range(5):
                log.info("small %d", i)
            sent.extend(capture)
            # The same records in every other protocol, on another connection.
            s = d.connect()
            for payload in capture[:len(big)]:
                obj = pickle.loads(payload)
                for proto in (0, 2, 3, 4, 5):
                    p = pickle.dumps(obj, proto)
                    s.sendall(frame(p))
                    sent.append(p)
            s.close()
            handler.close()
            d.wait_lines(len(sent), timeout=120)
            self.assertEqual(d.stop(), 0)
            with open(d.output, "rb") as f:
                lines = f.read().decode("utf-8").split("\n")[:-1]
        self.assertEqual(lines[-1], '{"lines_collected": %d}' % len(sent))
        want = sorted(pickle_golden.expected_line(p) for p in sent)
        self.assertEqual(len(want), len(lines) - 1)
        # Two connections interleave: compare as sorted sets of exact lines.
        got = sorted(lines[:-1])
        for g, w in zip(got, want):
            self.assertTrue(g == w, "got  %s...\nwant %s..." % (g[:200], w[:200]))
        small = [json.loads(line)["msg"] for line in lines[:-1]
                 if json.loads(line)["msg"].startswith("small")]
        self.assertEqual(small, ["small %d" % i for i in range(5)])

    def test_hostile_pickles_each_followed_by_a_good_record(self):
        """Every hostile pickle is rejected on its own; the record after it on
        the same connection is written."""
        good = pickle_golden.make_pickle(next(iter(pickle_golden.records())), 1)
        with Daemon() as d:
            s = d.connect()
            for payload, _reason in pickle_golden.HOSTILE:
                s.sendall(frame(payload) + frame(good))
            s.close()
            n = len(pickle_golden.HOSTILE)
            d.wait_lines(n)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            log = d.log()
        empty = sum(1 for payload, _ in pickle_golden.HOSTILE if not payload)
        self.assertEqual(trailer, n)
        self.assertEqual(len(records), n)
        # An empty payload is a zero-length frame, counted on its own.
        self.assertRegex(log, r"stopped: %d records received, %d lines written, %d rejected"
                         % (2 * n - empty, n, n - empty))

    def test_socket_handlers_from_threads(self):
        threads, per_thread = 6, 1500
        with Daemon() as d:
            def worker(t):
                handler = logging.handlers.SocketHandler("127.0.0.1", d.port)
                log = make_logger("app.thread%d" % t, handler)
                for i in range(per_thread):
                    if i % 500 == 499:
                        try:
                            raise ValueError("boom %d" % i)
                        except ValueError:
                            log.exception("failed %d", i, extra={"seq": i, "t": t})
                    else:
                        log.info("record %d from thread %d", i, t,
                                 extra={"seq": i, "t": t, "user": "анна", "cart": [1, 2.5, None]})
                handler.close()
            ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            d.wait_lines(threads * per_thread)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(trailer, threads * per_thread)
        for t in range(threads):
            mine = [r for r in records if r["t"] == t]
            self.assertEqual([r["seq"] for r in mine], list(range(per_thread)))
            self.assertEqual(mine[0]["name"], "app.thread%d" % t)
            self.assertEqual(mine[0]["msg"], "record 0 from thread %d" % t)
            self.assertEqual(mine[0]["cart"], [1, 2.5, None])
            self.assertIsInstance(mine[0]["msecs"], float)
            failed = [r for r in mine if r["levelname"] == "ERROR"]
            self.assertEqual(len(failed), 3)
            self.assertIn("ValueError: boom 499", failed[0]["exc_text"])
            self.assertIsNone(failed[0]["exc_info"])

    def test_datagram_handler(self):
        count = 500
        with Daemon("--listen-udp", "127.0.0.1:0") as d:
            handler = logging.handlers.DatagramHandler("127.0.0.1", d.ports["udp"][0])
            log = make_logger("app.udp", handler)
            # UDP may drop under pressure: pace by waiting for each 50.
            for i in range(count):
                log.warning("datagram %d", i, extra={"seq": i})
                if i % 50 == 49:
                    d.wait_lines(i + 1)
            handler.close()
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual([r["seq"] for r in records], list(range(count)))
        self.assertEqual(records[0]["msg"], "datagram 0")

    def test_socket_handler_reconnects_after_a_restart(self):
        with Daemon() as first:
            port = first.port
            handler = logging.handlers.SocketHandler("127.0.0.1", port)
            handler.retryStart = 0.05  # SocketHandler's own backoff, shortened
            log = make_logger("app.restart", handler)
            for i in range(100):
                log.info("before %d", i, extra={"seq": i})
            first.wait_lines(100)
            self.assertEqual(first.stop(), 0)
            before, trailer = split_trailer(first.records())
        self.assertEqual([r["seq"] for r in before], list(range(100)))
        self.assertEqual(trailer, 100)

        with Daemon(listen=("127.0.0.1:%d" % port,)) as second:
            # Records sent while SocketHandler notices the old connection is
            # gone are lost (it has no buffer); it reconnects on its own.
            sent = [0]

            def log_until_received():
                log.info("after %d", sent[0], extra={"seq": sent[0]})
                sent[0] += 1
                return second.count_lines() > 0
            wait_until(log_until_received, interval=0.05, what="a record after the restart")
            for i in range(sent[0], sent[0] + 100):
                log.info("after %d", i, extra={"seq": i})
            handler.close()
            second.wait_lines(100)
            self.assertEqual(second.stop(), 0)
            after, trailer = split_trailer(second.records())
        seqs = [r["seq"] for r in after]
        self.assertEqual(seqs, list(range(seqs[0], sent[0] + 100)))
        self.assertEqual(trailer, len(after))


if __name__ == "__main__":
    unittest.main(verbosity=2)
