"""Rejects name the right peer: datagrams from several senders read into one
batch are each logged and dead-lettered with their own sender (issue 12; they
all used to get the first sender's name)."""
import base64
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lctest import Daemon, count_lines, frame, read_jsonl, wait_until  # noqa: E402

ROUNDS = 3


def process_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


class UdpPeersTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="lctest-udp-")
        self.dead = os.path.join(self.workdir, "dead.jsonl")

    def tearDown(self):
        shutil.rmtree(self.workdir)

    def test_two_senders_in_one_batch(self):
        senders = []
        with Daemon("--listen-udp", "127.0.0.1:0", "--dead-letter", self.dead,
                    workdir=self.workdir) as d:
            port = d.ports["udp"][0]
            try:
                for _ in range(2):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    senders.append(s)
                    s.bind(("127.0.0.1", 0))
                names = ["127.0.0.1:%d" % s.getsockname()[1] for s in senders]
                # Stopped, the daemon finds every datagram queued when it goes
                # on, and reads them all in one go: into one batch.
                d.send_signal(signal.SIGSTOP)
                wait_until(lambda: process_state(d.proc.pid) == "T", what="daemon stopped")
                for k in range(ROUNDS):
                    for who, s in enumerate(senders):
                        s.sendto(frame("not json from %d #%d" % (who, k)), ("127.0.0.1", port))
                d.send_signal(signal.SIGCONT)
                wait_until(lambda: count_lines(self.dead) >= 2 * ROUNDS, what="dead letters")
                self.assertEqual(d.stop(), 0)
            finally:
                for s in senders:
                    s.close()
            log = d.log()
        letters = read_jsonl(self.dead)
        self.assertEqual(len(letters), 2 * ROUNDS)
        for letter in letters:
            payload = base64.b64decode(letter["payload_base64"]).decode()
            who = int(payload.split()[3])
            self.assertEqual(letter["peer"], names[who], payload)
            self.assertRegex(log, r'rejected a record of \d+ bytes from %s: .*\(starts "%s"\)'
                             % (re.escape(names[who]), re.escape(payload)))


if __name__ == "__main__":
    unittest.main()
