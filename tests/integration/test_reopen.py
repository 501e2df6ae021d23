"""SIGHUP reopens the output by path, as logrotate's `create` needs: lines
before the signal stay in the renamed file, lines after it go to a new file,
none lost or duplicated."""
import os
import signal
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, json_frame, read_jsonl, split_trailer, wait_until  # noqa: E402


class ReopenTest(unittest.TestCase):
    def send(self, d, start, count):
        s = d.connect()
        s.sendall(b"".join(json_frame({"seq": i}) for i in range(start, start + count)))
        s.close()

    def test_sighup_after_mv_writes_a_new_file(self):
        with Daemon() as d:
            self.send(d, 0, 200)
            d.wait_lines(200)
            rotated = d.output + ".1"
            os.rename(d.output, rotated)
            d.send_signal(signal.SIGHUP)
            d.wait_log(r"reopened ")
            self.assertTrue(os.path.exists(d.output))
            self.send(d, 200, 200)
            d.wait_lines(200)
            self.assertEqual(d.stop(), 0)
            new_records, trailer = split_trailer(d.records())
        old_records = read_jsonl(rotated)
        self.assertEqual([r["seq"] for r in old_records], list(range(200)))
        self.assertEqual([r["seq"] for r in new_records], list(range(200, 400)))
        self.assertEqual(trailer, 400)

    def test_deleted_output_is_recreated_without_a_signal(self):
        with Daemon() as d:
            self.send(d, 0, 50)
            d.wait_lines(50)
            os.unlink(d.output)
            # The committer checks at most once a second, when it writes:
            # keep records coming until it has noticed.
            sent = [50]

            def nudge():
                self.send(d, sent[0], 10)
                sent[0] += 10
                return "output file was deleted or replaced" in d.log()
            wait_until(nudge, interval=0.1, what="the daemon to notice the deletion")
            start = sent[0]
            self.send(d, start, 50)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        seqs = [r["seq"] for r in records]
        # Lines written before the check went to the deleted file; everything
        # after it, in order, is in the new one.
        self.assertEqual(seqs, list(range(seqs[0], start + 50)))
        self.assertEqual(trailer, start + 50)

    def test_sighup_storm_under_load_loses_nothing(self):
        clients, count = 8, 3000
        with Daemon() as d:
            def client(c):
                s = d.connect()
                for start in range(0, count, 100):
                    s.sendall(b"".join(json_frame({"client": c, "seq": i})
                                       for i in range(start, start + 100)))
                s.close()
            threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
            for t in threads:
                t.start()
            rotations = []
            for n in range(20):
                rotated = "%s.%d" % (d.output, n)
                if os.path.exists(d.output):
                    os.rename(d.output, rotated)
                    rotations.append(rotated)
                d.send_signal(signal.SIGHUP)
                d.wait_log(r"reopened ", count=n + 1)
            for t in threads:
                t.join()
            self.assertEqual(d.stop(), 0)
            rows = []
            for path in rotations + [d.output]:
                rows += read_jsonl(path)
        records, trailer = split_trailer(rows)
        self.assertEqual(trailer, clients * count)
        self.assertEqual(len(records), clients * count)
        for c in range(clients):
            self.assertEqual([r["seq"] for r in records if r["client"] == c], list(range(count)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
