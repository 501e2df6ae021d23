"""The clean stop: SIGTERM takes every complete frame the kernel already
holds, drops (and counts) only incomplete trailing frames, writes the trailer
and exits 0; during the grace it still reads clients that are sending, or
that connected just before; a client that never stops sending cannot hold
the stop; a stalled output makes the stop give up within its timeout, and a
second signal exits at once, both non-zero."""
import os
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lctest import Daemon, StalledFifo, json_frame, split_trailer  # noqa: E402


class CountingSender(threading.Thread):
    """Sends a record every `pause` seconds (or as fast as it can) until a
    send fails, counting the records whose sendall returned: like a
    SocketHandler, it never reads, and a record it sent is one it believes
    delivered."""

    def __init__(self, port, who, pause):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.who, self.pause, self.sent = who, pause, 0

    def run(self):
        try:
            while self.sent < 1000000:
                self.sock.sendall(json_frame({"who": self.who, "seq": self.sent}))
                self.sent += 1
                if self.pause:
                    time.sleep(self.pause)  # pacing, not synchronisation
        except OSError:
            pass
        self.sock.close()


# A sender still sending when the grace ends is reset: what it wrote after
# the daemon's last read (on its way, or in its own kernel's send queue,
# where sendall has already returned) is lost, and nothing TCP offers can
# tell it. That tail is all it may lose; at a pace of one record a
# millisecond it is a few records, and the bound is generous for slow
# (sanitizer) builds.
MAX_TAIL_IN_FLIGHT = 64


class StopTest(unittest.TestCase):
    def assert_prefix_of_sent(self, seqs, sender, max_tail):
        """Written: the records it sent, in order, none doubled, none
        missing but the tail in flight at the reset."""
        self.assertEqual(seqs, list(range(len(seqs))), "sender %d" % sender.who)
        lost = sender.sent - len(seqs)
        print("sender %d: %d records sent, %d written, %d in flight at the reset"
              % (sender.who, sender.sent, len(seqs), lost), file=sys.stderr)
        self.assertGreaterEqual(lost, 0)
        if max_tail is not None:
            self.assertLessEqual(lost, max_tail, "sender %d" % sender.who)

    def test_sigterm_takes_what_the_kernel_holds(self):
        clients, count = 10, 300
        with Daemon() as d:
            socks = [d.connect() for _ in range(clients)]
            # Freeze the daemon so the frames wait in its sockets' kernel
            # buffers; the signal is then handled before they are read.
            d.send_signal(signal.SIGSTOP)
            try:
                for c, s in enumerate(socks):
                    frames = b"".join(json_frame({"client": c, "seq": i}) for i in range(count))
                    partial = json_frame({"client": c, "seq": count})[:-3]
                    s.sendall(frames + partial)
                d.send_signal(signal.SIGTERM)
            finally:
                d.send_signal(signal.SIGCONT)
            started = time.monotonic()
            rc = d.wait()
            elapsed = time.monotonic() - started
            for s in socks:
                s.close()
            records, trailer = split_trailer(d.records())
            log = d.log()
        self.assertEqual(rc, 0, log)
        self.assertLess(elapsed, 10)
        self.assertEqual(len(records), clients * count)
        self.assertEqual(trailer, clients * count)
        for c in range(clients):
            self.assertEqual([r["seq"] for r in records if r["client"] == c], list(range(count)))
        self.assertEqual(log.count("dropped an incomplete frame"), clients)
        self.assertIn("stopped: %d records received, %d lines written, 0 rejected, %d incomplete"
                      % (clients * count, clients * count, clients), log)

    def test_sigint_stops_cleanly_too(self):
        with Daemon() as d:
            s = d.connect()
            s.sendall(b"".join(json_frame({"seq": i}) for i in range(10)))
            d.wait_lines(10)
            self.assertEqual(d.stop(signal.SIGINT), 0)
            s.close()
            records, trailer = split_trailer(d.records())
        self.assertEqual(trailer, 10)

    def test_clients_sending_through_the_stop_lose_nothing(self):
        """Senders that keep sending through the stop: the daemon reads on
        during the grace, then resets each connection, so the client's next
        send fails instead of going into a closed socket; all they lose is
        the tail in flight at the reset."""
        with Daemon() as d:
            senders = [CountingSender(d.port, i, 0.001) for i in range(4)]
            for t in senders:
                t.start()
            d.wait_lines(200)
            rc = d.stop()
            for t in senders:
                t.join(30)
                self.assertFalse(t.is_alive())
            records, trailer = split_trailer(d.records())
        self.assertEqual(rc, 0)
        for t in senders:
            self.assert_prefix_of_sent([r["seq"] for r in records if r["who"] == t.who], t,
                                       MAX_TAIL_IN_FLIGHT)
        self.assertEqual(trailer, len(records))

    def test_connection_accepted_just_before_the_stop_loses_nothing(self):
        with Daemon("-v") as d:
            s = d.connect()
            d.wait_log(r"client 127\.0\.0\.1:%d connected" % s.getsockname()[1])
            d.send_signal(signal.SIGTERM)
            d.wait_log(r"stopping; taking what clients already sent")
            s.sendall(json_frame({"late": True}))
            rc = d.wait()
            s.close()
            records, trailer = split_trailer(d.records())
        self.assertEqual(rc, 0)
        self.assertEqual(records, [{"late": True}])

    def test_a_client_that_never_stops_cannot_hold_the_stop(self):
        with Daemon("--stop-grace", "1") as d:
            flood = CountingSender(d.port, 0, 0)
            flood.start()
            d.wait_lines(1000)
            started = time.monotonic()
            rc = d.stop()
            elapsed = time.monotonic() - started
            flood.join(30)
            records, trailer = split_trailer(d.records())
        self.assertEqual(rc, 0)
        self.assertLess(elapsed, 10)
        self.assertEqual(trailer, len(records))
        # Its tail in flight is as long as its send queue was full: no bound.
        self.assert_prefix_of_sent([r["seq"] for r in records], flood, None)

    def fill_stalled_output(self, d):
        """Send far more than the FIFO holds; wait until writes block."""
        s = d.connect()
        record = json_frame({"pad": "x" * 200})
        s.sendall(record * 2000)
        s.close()
        d.wait_log(r"client .* disconnected")
        return 2000

    def stop_with_stalled_output(self, stop_timeout, first_signal):
        """Fill a stalled FIFO output, then SIGTERM (after a first one if
        first_signal) and time the exit. Returns (status, seconds, log)."""
        with StalledFifo() as fifo, \
                Daemon("--stop-timeout", str(stop_timeout), output=fifo.path) as d:
            self.fill_stalled_output(d)
            if first_signal:
                d.send_signal(signal.SIGTERM)
                d.wait_log(r"stopping")
            started = time.monotonic()
            rc = d.stop()
            return rc, time.monotonic() - started, d.log()

    def test_stalled_output_stop_gives_up_within_timeout(self):
        rc, elapsed, log = self.stop_with_stalled_output(1, first_signal=False)
        self.assertNotEqual(rc, 0)
        self.assertLess(elapsed, 10)
        self.assertRegex(log, r"stop timed out after 1 s: \d+ records could not be written")

    def test_second_signal_exits_at_once(self):
        rc, elapsed, log = self.stop_with_stalled_output(600, first_signal=True)
        self.assertNotEqual(rc, 0)
        self.assertLess(elapsed, 10)
        self.assertRegex(log, r"again: exiting at once; \d+ records not written")

if __name__ == "__main__":
    unittest.main(verbosity=2)
