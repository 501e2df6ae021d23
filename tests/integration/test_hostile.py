"""Hostile clients beside a well-behaved one: garbage, HTTP, a TLS
ClientHello, lengths up to 4 GiB, zero-length and truncated frames, a
slowloris dribbling a frame, clients that connect and never send. Every good
record is written in order, memory stays bounded, the CPU does not spin."""
import os
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, frame, json_frame, split_trailer, wait_until  # noqa: E402

RSS_BOUND_KIB = 64 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")

TLS_CLIENT_HELLO = bytes.fromhex(
    "16030100a5010000a10303" + "00" * 32 + "00" + "0020" + "c02b" * 16 + "0100" + "0058"
    + "0000001800160000136578616d706c652e756c666865696d2e6e6574" + "00" * 64)
HTTP_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88\r\n\r\n"

HOSTILE_PAYLOADS = {
    "garbage": os.urandom(4096),
    "http": HTTP_REQUEST,
    "tls": TLS_CLIENT_HELLO,
    "text": b"hello, is this the log server?\n",
    "json_unframed": b'{"msg": "no length prefix"}\n',
    "syslog": b"<13>Dec  4 04:00:00 host app: a syslog line\n",
    "four_gib": b"\xff\xff\xff\xff" + b"x" * 100,
    # Skipped as it arrives, then the connection goes on.
    "just_over_limit": struct.pack(">L", 1024 * 1024 + 1) + b"y" * (1024 * 1024 + 1)
    + json_frame({"hostile": "after oversize"}),
    "zero_lengths": b"\x00\x00\x00\x00" * 1000 + json_frame({"hostile": "after zeros"}),
    "truncated": json_frame({"hostile": "cut"})[:-5],
    "bad_payloads": frame(b"\x80\x05garbage pickle") + frame(b"{not json") + frame(b"\x00" * 64),
}


def proc_stat(pid):
    """(CPU seconds, RSS KiB) of a process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    with open("/proc/%d/status" % pid) as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return cpu, rss


class HostileTest(unittest.TestCase):
    def test_hostile_clients_beside_a_good_one(self):
        good_count = 20000
        with Daemon("--max-record-size", "1M") as d:
            silent = [d.connect() for _ in range(50)]  # connect, never send
            slow = d.connect()
            good_done = threading.Event()

            def good_client():
                s = d.connect()
                for start in range(0, good_count, 500):
                    s.sendall(b"".join(json_frame({"good": True, "seq": i})
                                       for i in range(start, start + 500)))
                s.close()
                good_done.set()
            good = threading.Thread(target=good_client)
            good.start()

            hostile = []
            for name, payload in HOSTILE_PAYLOADS.items():
                s = d.connect()
                try:
                    s.sendall(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the daemon may already have closed it
                hostile.append(s)

            # The slowloris: one byte every 50 ms, a whole record over ~2 s.
            slow_frame = json_frame({"slow": True, "pad": "x" * 20})
            for byte in slow_frame:
                slow.sendall(bytes([byte]))
                time.sleep(0.05)

            good.join(lctest.DEFAULT_TIMEOUT)
            self.assertTrue(good_done.is_set())
            slow.close()
            # good records + slowloris + "after zeros" + "after oversize"
            d.wait_lines(good_count + 3)

            # Idle with 50 silent clients connected: no spinning.
            cpu0, _ = proc_stat(d.proc.pid)
            t0 = time.monotonic()
            time.sleep(1.0)  # a measurement window, not synchronisation
            cpu1, rss = proc_stat(d.proc.pid)
            self.assertLess((cpu1 - cpu0) / (time.monotonic() - t0), 0.10)
            self.assertLess(rss, RSS_BOUND_KIB)

            for s in silent + hostile:
                s.close()
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            log = d.log()
        good_seqs = [r["seq"] for r in records if r.get("good")]
        self.assertEqual(good_seqs, list(range(good_count)))
        self.assertEqual(sum(1 for r in records if r.get("slow")), 1)
        self.assertEqual(sum(1 for r in records if r.get("hostile") == "after zeros"), 1)
        self.assertEqual(sum(1 for r in records if r.get("hostile") == "after oversize"), 1)
        self.assertEqual(trailer, len(records))
        # What is not a frame header closes with a diagnosis; an oversize
        # frame is only skipped.
        self.assertIn('"\\xff\\xff\\xff\\xff" is no frame header (a length of 4294967295 bytes)', log)
        self.assertIn('"GET " is no frame header (a length of 1195725856 bytes): looks like an '
                      "HTTP request; this port expects 4-byte length-prefixed frames", log)
        self.assertIn("looks like a TLS handshake; this port expects", log)
        self.assertIn('"hell" is no frame header (a length of 1751477356 bytes): looks like '
                      "text; this port expects", log)
        self.assertIn("looks like JSON text without a length prefix; this port expects", log)
        self.assertIn("looks like a syslog message; this port expects", log)
        self.assertIn("skipped a frame of 1048577 bytes, over max_record_size (1048576)", log)

    def test_garbage_on_udp_is_rejected_per_datagram(self):
        with Daemon("--listen-udp", "127.0.0.1:0") as d:
            port = d.ports["udp"][0]
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for payload in (b"", b"\x00\x01", HTTP_REQUEST, struct.pack(">L", 99) + b"short",
                            json_frame({"seq": 0}), frame(b"not json"), json_frame({"seq": 1})):
                u.sendto(payload, ("127.0.0.1", port))
            u.close()
            d.wait_lines(2)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            log = d.log()
        self.assertEqual(sorted(r["seq"] for r in records), [0, 1])
        self.assertIn("does not hold one frame", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
