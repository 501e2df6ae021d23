"""Bounded memory and held records: when the output stalls, the daemon stops
reading sockets instead of buffering without limit, and when writes fail it
retries; either way every record arrives once the output recovers."""
import os
import resource
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, StalledFifo, json_frame, split_trailer  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def sender(port, records, pad, done):
    s = lctest.connect(port)
    s.settimeout(None)  # blocks for as long as the daemon does not read
    chunk = b"".join(json_frame({"seq": i, "pad": pad}) for i in range(1000))
    for _ in range(records // 1000):
        s.sendall(chunk)
    s.close()
    done.set()


class BackpressureTest(unittest.TestCase):
    def test_stalled_output_pauses_reading_with_bounded_memory(self):
        records, pad = 200000, "x" * 200  # about 47 MiB of frames
        with StalledFifo() as fifo, Daemon("--max-inflight", "1M", "--max-record-size", "1M", "-v",
                                           output=fifo.path) as d:
            done = threading.Event()
            t = threading.Thread(target=sender, args=(d.port, records, pad, done))
            t.start()
            d.wait_log(r"bytes in flight: pausing reads")
            # Paused: the sender cannot finish, and memory stays flat.
            self.assertFalse(done.wait(0.5))
            rss = rss_kib(d.proc.pid)
            print("stalled output: daemon RSS %.1f MiB with max_inflight 1M" % (rss / 1024))
            self.assertLess(rss, 64 * 1024)
            # Drain the FIFO: reading resumes and everything arrives.
            fifo.drain()
            t.join(lctest.DEFAULT_TIMEOUT)
            self.assertTrue(done.is_set())
            d.wait_log(r"client .* disconnected")
            self.assertEqual(d.stop(), 0)
            self.assertTrue(fifo.wait_eof())
            log = d.log()
            rows, trailer = split_trailer(fifo.records())
        self.assertEqual(trailer, records)
        self.assertEqual([r["seq"] for r in rows], list(range(1000)) * (records // 1000))
        self.assertIn("resuming reads", log)

    def test_write_errors_hold_records_until_writes_succeed(self):
        count = 3000
        with Daemon() as d:
            # Writes past 4 KiB now fail (EFBIG), as a full disk would.
            resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
            s = d.connect()
            s.sendall(b"".join(json_frame({"seq": i}) for i in range(count)))
            s.close()
            d.wait_log(r"cannot write to .*; holding records and retrying")
            resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            d.wait_log(r"writing to .* again")
            d.wait_lines(count)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(trailer, count)
        self.assertEqual([r["seq"] for r in records], list(range(count)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
