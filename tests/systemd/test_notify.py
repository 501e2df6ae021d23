"""The sd_notify protocol as a systemd manager sees it, read from a private
NOTIFY_SOCKET: READY=1 once the port accepts, STATUS= lines, WATCHDOG=1 at
half of WATCHDOG_USEC and only while the writer makes progress, RELOADING=1
then READY=1 around SIGHUP, STOPPING=1 on SIGTERM."""
import os
import re
import signal
import statistics
import unittest

from sdtest import NotifySocket  # also puts lctest on the path
from lctest import Daemon, StalledFifo, json_frame, split_trailer

WATCHDOG_USEC = 400000  # the daemon pings every 200 ms


class NotifyTest(unittest.TestCase):
    def send(self, d, start, count, size=0):
        s = d.connect()
        s.sendall(b"".join(json_frame({"seq": i, "pad": "x" * size})
                           for i in range(start, start + count)))
        s.close()

    def test_lifecycle(self):
        with NotifySocket() as ns, Daemon(env=ns.env(WATCHDOG_USEC=str(WATCHDOG_USEC))) as d:
            ns.wait_message("READY=1")
            # READY=1 means the port accepts and the output is open.
            self.send(d, 0, 10)
            d.wait_lines(10)
            status = ns.wait(lambda ms: [m for m in ms if re.match(
                r"STATUS=collecting into %s: 10 lines, \d+ clients, \d+ lines/s$"
                % re.escape(d.output), m)], what="a STATUS line with 10 lines")
            self.assertTrue(status)

            ns.wait_message("WATCHDOG=1", count=6)
            pings = ns.times("WATCHDOG=1")
            gaps = [b - a for a, b in zip(pings, pings[1:])]
            self.assertTrue(0.1 < statistics.median(gaps) < 0.4, gaps)

            rotated = d.output + ".1"
            os.rename(d.output, rotated)
            ready_before = ns.lines().count("READY=1")
            d.send_signal(signal.SIGHUP)
            ns.wait_message("READY=1", count=ready_before + 1)
            msgs = ns.lines()
            self.assertIn("RELOADING=1", msgs)
            self.assertLess(msgs.index("RELOADING=1"),
                            len(msgs) - 1 - msgs[::-1].index("READY=1"))
            # READY=1 after the reopen: the new file already exists.
            self.assertTrue(os.path.exists(d.output))
            self.send(d, 10, 5)
            d.wait_lines(5)

            self.assertEqual(d.stop(), 0)
            msgs = ns.wait(lambda ms: "STOPPING=1" in ms and ms, what="STOPPING=1")
            self.assertTrue(any(m.startswith("STATUS=stopping") for m in msgs), msgs)
            records, trailer = split_trailer(d.records())
            self.assertEqual(trailer, 15)
            self.assertEqual([r["seq"] for r in records], list(range(10, 15)))

    def test_no_ready_when_the_output_cannot_be_opened(self):
        with NotifySocket() as ns:
            d = Daemon(env=ns.env(), output="/nonexistent-dir/out.jsonl")
            try:
                d.start(wait_listening=False)
                self.assertEqual(d.wait(), 1)
            finally:
                d.kill()
            self.assertNotIn("READY=1", ns.lines())
            # A log line (journald keeps its priority), not bare stderr.
            self.assertRegex(d.log(), r"logcatcherd\[warning\]: cannot open output "
                             r"/nonexistent-dir/out.jsonl: No such file or directory")

    def test_watchdog_stops_while_the_writer_is_stalled(self):
        with StalledFifo() as fifo, NotifySocket() as ns, Daemon(
                "-w", "1", output=fifo.path,
                env=ns.env(WATCHDOG_USEC=str(WATCHDOG_USEC))) as d:
            ns.wait_message("WATCHDOG=1", count=2)
            count = 500
            self.send(d, 0, count, size=1000)  # ~500 KB
            d.wait_log(r"watchdog: the writer has made no progress")
            stalled = len(ns.times("WATCHDOG=1"))
            d.wait_log(r"watchdog: the writer has made no progress", count=4)
            self.assertEqual(len(ns.times("WATCHDOG=1")), stalled)

            # Drain the FIFO: the writer moves again and so do the pings.
            fifo.drain()
            ns.wait_message("WATCHDOG=1", count=stalled + 2)
            self.assertEqual(d.stop(), 0)
            self.assertTrue(fifo.wait_eof())
            rows = fifo.records()
        self.assertEqual(rows[-1], {"lines_collected": count})
        self.assertEqual(len(rows), count + 1)

if __name__ == "__main__":
    unittest.main(verbosity=2)
