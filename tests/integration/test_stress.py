"""Heavy load: 10,000 concurrent connections, 100,000 connect/send/close
cycles, and SIGTERM at random moments under full load, repeated. Bounds are
stated here and checked; the figures are printed for the notes."""
import os
import random
import re
import resource
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, json_frame, split_trailer, wait_until  # noqa: E402

CONNECTIONS = int(os.environ.get("LC_STRESS_CONNECTIONS", "10000"))
CHURN = int(os.environ.get("LC_STRESS_CHURN", "100000"))
SIGTERM_RUNS = int(os.environ.get("LC_STRESS_SIGTERM_RUNS", "10"))
RSS_BOUND_10K_KIB = 160 * 1024   # daemon RSS with 10k clients connected
CHURN_GROWTH_KIB = 16 * 1024     # RSS growth allowed over the churn


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n:
        raise unittest.SkipTest("RLIMIT_NOFILE hard limit %d < %d" % (hard, n))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n), hard))


class StressTest(unittest.TestCase):
    def test_ten_thousand_concurrent_connections(self):
        raise_nofile(CONNECTIONS + 200)
        per_conn = 3
        with Daemon("--max-connections", str(CONNECTIONS + 10)) as d:
            socks = []
            for c in range(CONNECTIONS):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=lctest.DEFAULT_TIMEOUT)
                s.sendall(b"".join(json_frame({"c": c, "seq": i}) for i in range(per_conn)))
                socks.append(s)
            d.wait_lines(CONNECTIONS * per_conn, timeout=120)
            rss = status_kib(d.proc.pid, "VmRSS")
            fds = open_fds(d.proc.pid)
            for s in socks:
                s.close()
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        print("10k connections: daemon RSS %.1f MiB, %d fds" % (rss / 1024, fds))
        self.assertGreaterEqual(fds, CONNECTIONS)
        self.assertLess(rss, RSS_BOUND_10K_KIB)
        self.assertEqual(trailer, CONNECTIONS * per_conn)
        seen = {}
        for r in records:
            seen.setdefault(r["c"], []).append(r["seq"])
        self.assertEqual(len(seen), CONNECTIONS)
        self.assertTrue(all(v == list(range(per_conn)) for v in seen.values()))

    def test_connection_churn_leaks_nothing(self):
        record = json_frame({"churn": True})
        with Daemon() as d:
            pid = d.proc.pid
            warmup = 2000
            for _ in range(warmup):
                s = socket.create_connection(("127.0.0.1", d.port))
                s.sendall(record)
                s.close()
            d.wait_lines(warmup)
            fds0, rss0 = open_fds(pid), status_kib(pid, "VmRSS")

            def churn(n):
                for _ in range(n):
                    s = socket.create_connection(("127.0.0.1", d.port))
                    s.sendall(record)
                    s.close()
            threads = [threading.Thread(target=churn, args=(CHURN // 4,)) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            total = warmup + CHURN // 4 * 4
            d.wait_lines(total, timeout=120)
            # Every connection closed on the daemon's side too.
            wait_until(lambda: open_fds(pid) <= fds0, what="descriptors back to %d" % fds0)
            fds1, rss1 = open_fds(pid), status_kib(pid, "VmRSS")
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        print("churn: %d cycles, fds %d -> %d, RSS %.1f -> %.1f MiB"
              % (total, fds0, fds1, rss0 / 1024, rss1 / 1024))
        self.assertEqual(trailer, total)
        self.assertLess(rss1 - rss0, CHURN_GROWTH_KIB)

    def test_sigterm_at_random_moments_under_load(self):
        rng = random.Random(int(os.environ.get("LC_STRESS_SEED", "20261123")))
        for run in range(SIGTERM_RUNS):
            with self.subTest(run=run):
                self.one_sigterm_run(rng.uniform(0.05, 0.6), clients=8)

    def one_sigterm_run(self, delay, clients):
        sent = [0] * clients
        with Daemon() as d:
            stop = threading.Event()

            def client(c):
                s = d.connect()
                seq = 0
                try:
                    while not stop.is_set():
                        s.sendall(b"".join(json_frame({"c": c, "seq": i})
                                           for i in range(seq, seq + 50)))
                        seq += 50
                        sent[c] = seq
                except OSError:
                    pass  # the daemon closed us: stopping
                finally:
                    s.close()
            threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
            for t in threads:
                t.start()
            time.sleep(delay)  # the random moment (not synchronisation)
            started = time.monotonic()
            rc = d.stop()
            elapsed = time.monotonic() - started
            stop.set()
            for t in threads:
                t.join()
            records, trailer = split_trailer(d.records())
            log = d.log()
        self.assertEqual(rc, 0, log[-2000:])
        self.assertLess(elapsed, 30)
        m = re.search(r"stopped: (\d+) records received, (\d+) lines written, 0 rejected", log)
        self.assertIsNotNone(m, log[-2000:])
        self.assertEqual(int(m.group(1)), len(records))
        self.assertEqual(int(m.group(2)), len(records))
        self.assertEqual(trailer, len(records))
        per_client = {}
        for r in records:
            per_client.setdefault(r["c"], []).append(r["seq"])
        for c, seqs in per_client.items():
            # A prefix of what the client sent: nothing lost in between.
            self.assertEqual(seqs, list(range(len(seqs))))
        in_flight = sum(sent) - len(records)
        print("SIGTERM after %.2fs: %d lines, %d sent, %d in flight at the close, stop %.2fs"
              % (delay, len(records), sum(sent), in_flight, elapsed))


if __name__ == "__main__":
    unittest.main(verbosity=2)
