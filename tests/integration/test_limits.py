"""Limits and access control: allowlists, max_connections, idle timeout,
frame_timeout, the frame memory that big frames wait for, and the
dead-letter file that keeps every rejected record replayable."""
import base64
import errno
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, frame, json_frame, read_jsonl, split_trailer  # noqa: E402


def closed_by_peer(sock):
    """True once the daemon has closed this connection (EOF or reset)."""
    sock.settimeout(lctest.DEFAULT_TIMEOUT)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


class LimitsTest(unittest.TestCase):
    def test_allow_list_refuses_other_peers(self):
        with Daemon("--allow", "10.0.0.0/8,192.168.0.0/16") as d:
            s = d.connect()
            s.sendall(json_frame({"seq": 0}))
            self.assertTrue(closed_by_peer(s))
            d.wait_log(r"refusing client 127\.0\.0\.1:\d+: not in allow")
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(trailer, 0)

    def test_allow_list_admits_listed_peers(self):
        with Daemon("--allow", "10.0.0.0/8", "--allow", "127.0.0.0/8") as d:
            s = d.connect()
            s.sendall(json_frame({"seq": 0}))
            s.close()
            d.wait_lines(1)
            self.assertEqual(d.stop(), 0)

    def test_max_connections_closes_the_extra_client(self):
        with Daemon("--max-connections", "2") as d:
            first, second = d.connect(), d.connect()
            for i, s in enumerate((first, second)):
                s.sendall(json_frame({"seq": i}))
            d.wait_lines(2)  # both accepted and served
            third = d.connect()
            self.assertTrue(closed_by_peer(third))
            d.wait_log(r"refusing client .*: too many connections")
            # The two served clients go on.
            first.sendall(json_frame({"seq": 2}))
            first.close()
            second.close()
            d.wait_lines(3)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(sorted(r["seq"] for r in records), [0, 1, 2])

    def test_connection_burst_waits_in_the_accept_queue(self):
        # Clients reconnecting together (after a restart) while the loop is
        # busy must all be queued by the kernel; a dropped SYN costs its
        # client a 1 s retransmit. libevent's default relisten used 128.
        burst = 500
        with open("/proc/sys/net/core/somaxconn") as f:
            if int(f.read()) < burst:
                self.skipTest("net.core.somaxconn is below %d" % burst)
        with Daemon() as d:
            d.send_signal(signal.SIGSTOP)  # nothing is accepted meanwhile
            socks = []
            try:
                poller = select.poll()
                for _ in range(burst):
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    self.assertIn(s.connect_ex(("127.0.0.1", d.port)),
                                  (0, errno.EINPROGRESS))
                    poller.register(s, select.POLLOUT)
                    socks.append(s)
                connected = set()

                def all_connected():
                    for fd, _ in poller.poll(10):
                        poller.unregister(fd)
                        connected.add(fd)
                    return len(connected) == burst
                lctest.wait_until(all_connected, timeout=5,
                                  what="%d connects with the daemon stopped" % burst)
            finally:
                d.send_signal(signal.SIGCONT)
            for i, s in enumerate(socks):
                s.setblocking(True)
                s.sendall(json_frame({"seq": i}))
                s.close()
            d.wait_lines(burst)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(sorted(r["seq"] for r in records), list(range(burst)))

    def test_idle_timeout_closes_silent_clients(self):
        with Daemon("--idle-timeout", "1") as d:
            s = d.connect()
            s.sendall(json_frame({"seq": 0}))
            d.wait_lines(1)
            self.assertTrue(closed_by_peer(s))
            d.wait_log(r"disconnected \(idle timeout\): 1 records")
            self.assertEqual(d.stop(), 0)

    def test_dead_letter_keeps_every_rejected_record(self):
        rejected = [b"not json at all", b"[1, 2]", b'{"bad": "\xff"}']
        workdir = tempfile.mkdtemp(prefix="lctest-")
        dead_path = os.path.join(workdir, "dead.jsonl")
        with Daemon("--dead-letter", dead_path, "--max-record-size", "1K",
                    workdir=workdir) as d:
            s = d.connect()
            payload = b""
            for i, bad in enumerate(rejected):
                payload += frame(bad) + json_frame({"seq": i})
            payload += frame(b"")  # zero-length
            big = bytes(range(256)) * 20
            payload += frame(big[:5000])  # oversize: skipped, the connection goes on
            payload += json_frame({"seq": 3})
            s.sendall(payload)
            s.close()
            d.wait_lines(4)
            partial = d.connect()
            partial.sendall(json_frame({"seq": 99})[:-4])
            partial.close()
            d.wait_log(r"dropped an incomplete frame")
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            dead = read_jsonl(dead_path)
        self.assertEqual([r["seq"] for r in records], [0, 1, 2, 3])
        self.assertEqual(trailer, 4)
        reasons = [r["reason"] for r in dead]
        self.assertEqual(len(dead), 6, reasons)
        # Within a batch, framing rejects come before payload rejects.
        payloads = [base64.b64decode(r["payload_base64"]) for r in dead
                    if r["reason"] not in ("zero-length frame", "frame exceeds max_record_size",
                                           "incomplete frame at disconnect")]
        self.assertEqual(payloads, rejected)
        for row in dead:
            self.assertRegex(row["peer"], r"^127\.0\.0\.1:\d+$")
            self.assertRegex(row["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIn("zero-length frame", reasons)
        oversize = [r for r in dead if r["reason"] == "frame exceeds max_record_size"]
        # Its size, and its first bytes (bounded).
        self.assertEqual([(r["size"], base64.b64decode(r["payload_base64"])) for r in oversize],
                         [(5000, big[:1024])])
        incomplete = [r for r in dead if r["reason"] == "incomplete frame at disconnect"]
        self.assertEqual(len(incomplete), 1)
        self.assertEqual(base64.b64decode(incomplete[0]["payload_base64"]),
                         json_frame({"seq": 99})[:-4])

    def test_frame_timeout_closes_a_stalled_partial_frame_only(self):
        workdir = tempfile.mkdtemp(prefix="lctest-")
        dead_path = os.path.join(workdir, "dead.jsonl")
        with Daemon("--frame-timeout", "1", "--dead-letter", dead_path, workdir=workdir) as d:
            idle = d.connect()  # holds no partial frame: never timed out
            stalled = d.connect()
            partial = json_frame({"cut": "x" * 100})[:50]
            stalled.sendall(partial)
            self.assertTrue(closed_by_peer(stalled))
            d.wait_log(r"no byte for 1 s in the middle of a frame \(frame_timeout\)")
            idle.sendall(json_frame({"idle": "still open"}))
            idle.close()
            d.wait_lines(1)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            dead = read_jsonl(dead_path)
        self.assertEqual(records, [{"idle": "still open"}])
        self.assertEqual([(r["reason"], base64.b64decode(r["payload_base64"])) for r in dead],
                         [("incomplete frame at disconnect", partial)])

    def test_big_frames_wait_their_turn_for_frame_memory(self):
        """Room for one 1 MiB frame: the second connection's frame waits
        unread until the first is complete, then both arrive whole."""
        size = 1024 * 1024
        with Daemon("-v", "--max-record-size", "1M", "--max-frame-memory", str(size + 4)) as d:
            first, second = d.connect(), d.connect()
            # Payloads of exactly 1 MiB: {"n":1,"pad":"ppp..."}.
            frames = [json_frame({"n": n, "pad": "p" * (size - 16)}) for n in (1, 2)]
            self.assertEqual(len(frames[0]), size + 4)
            first.sendall(frames[0][:size // 2])
            d.wait_log(r"client 127\.0\.0\.1:%d connected" % first.getsockname()[1])
            second.sendall(frames[1][:size // 2])
            d.wait_log(r"waiting for memory for a frame of %d bytes" % (size + 4))
            first.sendall(frames[0][size // 2:])
            second.sendall(frames[1][size // 2:])
            first.close()
            second.close()
            d.wait_lines(2)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(sorted(r["n"] for r in records), [1, 2])
        self.assertTrue(all(len(r["pad"]) == size - 16 for r in records))


if __name__ == "__main__":
    unittest.main(verbosity=2)
