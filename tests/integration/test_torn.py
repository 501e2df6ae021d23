"""Every line of the output is valid, even after a crash: a torn last line
(kill -9, power loss) is cut off at the next start and kept in the dead
letters, so the next record never merges with it (issue 12)."""
import base64
import os
import shutil
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lctest import (DEFAULT_TIMEOUT, Daemon, json_frame, read_jsonl, split_trailer,  # noqa: E402
                    wait_until)

ROUNDS = 3
RECORDS_PER_ROUND = 10000  # about 10 MB: bounded, and more than is written before the kill
KILL_AFTER_BYTES = 1 << 20


class Sender(threading.Thread):
    """Sends RECORDS_PER_ROUND records over one connection, unless the daemon
    dies first."""

    def __init__(self, daemon, rnd):
        super().__init__(daemon=True)
        self.sock = daemon.connect()
        self.rnd = rnd

    def run(self):
        pad = "x" * 1000  # long lines: a kill is more likely to cut one
        try:
            for start in range(0, RECORDS_PER_ROUND, 100):
                self.sock.sendall(b"".join(
                    json_frame({"round": self.rnd, "i": i, "pad": pad})
                    for i in range(start, start + 100)))
        except OSError:
            pass  # the daemon was killed
        finally:
            self.sock.close()


def tear(path):
    """Cut the file inside its last line, as power loss can leave it (the
    kill itself may have left it whole). Returns the torn tail's bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.endswith(b"\n"):
        return data[data.rfind(b"\n") + 1:]
    start = data.rfind(b"\n", 0, len(data) - 1) + 1
    cut = start + (len(data) - start) // 2
    os.truncate(path, cut)
    return data[start:cut]


class TornTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="lctest-torn-")
        self.output = os.path.join(self.workdir, "out.jsonl")
        self.dead = os.path.join(self.workdir, "dead.jsonl")

    def tearDown(self):
        shutil.rmtree(self.workdir)

    def daemon(self, *args):
        return Daemon("--dead-letter", self.dead, *args, output=self.output,
                      workdir=self.workdir)

    def test_premade_torn_output_is_repaired(self):
        with open(self.output, "wb") as f:
            f.write(b'{"a":1}\n{"b":2}\n{"c":')
        with self.daemon() as d:
            d.wait_log(r"out\.jsonl ended in a torn line of 5 bytes .*moved to the dead letters")
            s = d.connect()
            s.sendall(b"".join(json_frame({"n": i}) for i in range(3)))
            s.close()
            d.wait_lines(5)
            self.assertEqual(d.stop(), 0)
        records, trailer = split_trailer(read_jsonl(self.output))
        self.assertEqual(records, [{"a": 1}, {"b": 2}, {"n": 0}, {"n": 1}, {"n": 2}])
        self.assertEqual(trailer, 3)
        (letter,) = read_jsonl(self.dead)
        self.assertEqual(letter["reason"],
                         "torn last line of the output (5 bytes) repaired at open")
        self.assertEqual(letter["size"], 5)
        self.assertEqual(base64.b64decode(letter["payload_base64"]), b'{"c":')

    def test_without_dead_letters_the_torn_line_is_dropped(self):
        with open(self.output, "wb") as f:
            f.write(b'{"a":1}\n{"b":')
        with Daemon(output=self.output, workdir=self.workdir) as d:
            d.wait_log(r"torn line of 5 bytes .*dropped")
            self.assertEqual(d.stop(), 0)
        records, trailer = split_trailer(read_jsonl(self.output))
        self.assertEqual((records, trailer), ([{"a": 1}], 0))

    def test_kill_9_under_load_and_restart(self):
        torn_tails = []
        for rnd in range(ROUNDS):
            with self.daemon() as d:
                if torn_tails:
                    d.wait_log(r"ended in a torn line of %d bytes" % len(torn_tails[-1]))
                base = os.path.getsize(self.output)
                sender = Sender(d, rnd)
                sender.start()
                wait_until(lambda: os.path.getsize(self.output) >= base + KILL_AFTER_BYTES,
                           what="records written")
                d.kill()  # SIGKILL while records keep coming
                sender.join(DEFAULT_TIMEOUT)
            torn_tails.append(tear(self.output))
        with self.daemon() as d:
            d.wait_log(r"ended in a torn line of %d bytes" % len(torn_tails[-1]))
            self.assertEqual(d.stop(), 0)
        # Strictly parsed, every line: no two records merged into one.
        rows = read_jsonl(self.output)
        records, trailer = split_trailer(rows)
        self.assertEqual(trailer, 0)
        self.assertGreaterEqual(len(records), ROUNDS * KILL_AFTER_BYTES // 1100)
        for rnd in range(ROUNDS):
            seqs = [r["i"] for r in records if r["round"] == rnd]
            self.assertEqual(seqs, list(range(len(seqs))), "round %d lost order" % rnd)
        letters = read_jsonl(self.dead)
        self.assertEqual([base64.b64decode(r["payload_base64"]) for r in letters], torn_tails)


if __name__ == "__main__":
    unittest.main()
