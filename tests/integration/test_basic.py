"""logcatcherd collects length-prefixed JSON records from many clients into
one JSON Lines file: exact counts, per-connection order, per-record rejects,
oversize frames closing only their own connection, IPv4 and IPv6."""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, frame, json_frame, split_trailer, wait_until  # noqa: E402


MAX_RECORD_1K = ("-m", "1024") if os.environ.get("LC_STUB_CONFIG") else ("--max-record-size", "1024")


def send_records(port, client, count, host="127.0.0.1", chunk=64):
    """Send `count` records tagged with client id and sequence number."""
    s = lctest.connect(port, host)
    batch = []
    for i in range(count):
        batch.append(json_frame({"client": client, "seq": i, "msg": "record %d of %d" % (i, client)}))
        if len(batch) == chunk:
            s.sendall(b"".join(batch))
            batch = []
    s.sendall(b"".join(batch))
    s.close()


def check_order(records, clients, count):
    by_client = {}
    for r in records:
        by_client.setdefault(r["client"], []).append(r["seq"])
    assert sorted(by_client) == list(range(clients)), sorted(by_client)
    for c, seqs in by_client.items():
        assert seqs == list(range(count)), "client %d out of order or incomplete" % c


class BasicTest(unittest.TestCase):
    def test_many_clients_interleaved(self):
        clients, count = 24, 800
        with Daemon() as d:
            threads = [threading.Thread(target=send_records, args=(d.port, c, count))
                       for c in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            d.wait_lines(clients * count)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(len(records), clients * count)
        self.assertEqual(trailer, clients * count)
        check_order(records, clients, count)

    def test_one_byte_dribbler_beside_a_fast_client(self):
        dribble = b"".join(json_frame({"client": 0, "seq": i}) for i in range(20))
        with Daemon() as d:
            slow = d.connect()
            fast = threading.Thread(target=send_records, args=(d.port, 1, 5000))
            fast.start()
            for byte in dribble:
                slow.sendall(bytes([byte]))
            fast.join()
            slow.close()
            d.wait_lines(5020)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(trailer, 5020)
        slow_seqs = [r["seq"] for r in records if r["client"] == 0]
        fast_seqs = [r["seq"] for r in records if r["client"] == 1]
        self.assertEqual(slow_seqs, list(range(20)))
        self.assertEqual(fast_seqs, list(range(5000)))

    def test_bad_records_are_rejected_one_by_one(self):
        bad = [b"not json", b"[1,2,3]", b'{"unterminated": ', b'{"a":1} trailing',
               b'{"bad utf8": "\xff"}', b'{"nan": NaN}', b'{"ctl": "a\x01b"}']
        with Daemon() as d:
            s = d.connect()
            payload = b""
            for i, b in enumerate(bad):
                payload += frame(b) + json_frame({"seq": i})
            payload += frame(b"") + json_frame({"seq": len(bad)})
            s.sendall(payload)
            s.close()
            d.wait_lines(len(bad) + 1)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            log = d.log()
        self.assertEqual([r["seq"] for r in records], list(range(len(bad) + 1)))
        self.assertEqual(trailer, len(bad) + 1)
        self.assertIn("rejected a record of 8 bytes from 127.0.0.1:", log)
        self.assertIn('starts "not json"', log)
        self.assertIn("invalid UTF-8", log)
        self.assertRegex(log, r"stopped: %d records received, %d lines written, %d rejected"
                         % (2 * len(bad) + 1, len(bad) + 1, len(bad)))
        self.assertIn("1 zero-length frames", log)

    def test_oversize_frame_sent_a_byte_at_a_time_is_skipped(self):
        """A length prefix never loses sync: the frame over the limit is
        skipped as it arrives, and the same connection goes on."""
        with Daemon(*MAX_RECORD_1K) as d:
            bad = d.connect()
            good = d.connect()
            bad.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            bad.sendall(json_frame({"who": "bad", "seq": 0}))
            oversize = struct.pack(">L", 1025) + b"x" * 1025
            for i in range(len(oversize)):
                bad.sendall(oversize[i:i + 1])
            bad.sendall(json_frame({"who": "bad", "seq": 1}))
            bad.close()
            good.sendall(b"".join(json_frame({"who": "good", "seq": i}) for i in range(100)))
            good.close()
            d.wait_lines(102)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            log = d.log()
        self.assertEqual(trailer, 102)
        self.assertEqual([r["seq"] for r in records if r["who"] == "good"], list(range(100)))
        self.assertEqual([r["seq"] for r in records if r["who"] == "bad"], [0, 1])
        self.assertIn("skipped a frame of 1025 bytes, over max_record_size (1024)", log)

    def test_ipv4_and_ipv6_listeners(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        with Daemon(listen=("127.0.0.1:0", "[::1]:0")) as d:
            self.assertEqual(len(d.ports["tcp"]), 2)
            send_records(d.ports["tcp"][0], 0, 50, "127.0.0.1")
            send_records(d.ports["tcp"][1], 1, 50, "::1")
            d.wait_lines(100)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(trailer, 100)
        check_order(records, 2, 50)

    def test_address_in_use_is_a_clear_error(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        try:
            d = Daemon(listen=("127.0.0.1:%d" % port,))
            d.start(wait_listening=False)
            rc = d.wait()
        finally:
            blocker.close()
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot listen on 127.0.0.1:%d: Address already in use" % port, d.log())

    def test_defaults_write_logcatcher_jsonl_in_cwd(self):
        with Daemon(default_output=True) as d:
            send_records(d.port, 0, 10)
            d.wait_lines(10)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
            path = d.output
        self.assertEqual(trailer, 10)
        self.assertEqual(oct(os.stat(path).st_mode & 0o777), oct(0o640 & ~current_umask()))

    def test_output_dash_writes_to_stdout(self):
        with Daemon(output="-", stdout=subprocess.PIPE) as d:
            send_records(d.port, 0, 5)
            d.send_signal(signal.SIGTERM)  # the stop takes what was sent, then the trailer
            out = d.proc.stdout.read()
            d.proc.stdout.close()
            self.assertEqual(d.wait(), 0)
        rows = lctest.parse_jsonl(out)
        self.assertEqual([r["seq"] for r in rows[:-1]], list(range(5)))
        self.assertEqual(rows[-1], {"lines_collected": 5})

    def test_journal_priority_prefixes(self):
        """Under systemd (JOURNAL_STREAM names stderr) lines carry <N>."""
        workdir = tempfile.mkdtemp(prefix="lctest-")
        errpath = os.path.join(workdir, "stderr")
        with open(errpath, "wb") as err:
            st = os.fstat(err.fileno())
            env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
            proc = subprocess.Popen([lctest.LOGCATCHERD, "-l", "127.0.0.1:0", "-o",
                                     os.path.join(workdir, "out.jsonl")],
                                    stderr=err, stdin=subprocess.DEVNULL, env=env)
            try:
                wait_until(lambda: b"collecting into" in open(errpath, "rb").read(),
                           what="daemon start")
                proc.terminate()
                self.assertEqual(proc.wait(lctest.DEFAULT_TIMEOUT), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        with open(errpath) as f:
            lines = f.read().splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[3-7]>")
        self.assertTrue(any(line.startswith("<6>listening on tcp 127.0.0.1:") for line in lines))


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


if __name__ == "__main__":
    unittest.main(verbosity=2)
