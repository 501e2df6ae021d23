"""A disk that fills up: the output lives on a tiny tmpfs that runs out of
space (ENOSPC) mid-run; the daemon holds the records, pauses reading, retries,
and once space is freed writes every record exactly once.

Needs root: the test re-runs itself in a private mount namespace
(`unshare -m --propagation private`) so the tmpfs is seen by nothing else."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, json_frame, split_trailer  # noqa: E402

INSIDE = "LC_TEST_PRIVATE_MOUNTS"


class DiskFullTest(unittest.TestCase):
    def setUp(self):
        if os.environ.get(INSIDE) != "1":
            self.skipTest("runs inside its own mount namespace (see __main__)")
        self.dir = tempfile.mkdtemp(prefix="lctest-tmpfs-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "lctest", self.dir], check=True)

    def tearDown(self):
        subprocess.run(["umount", "-l", self.dir], check=False)

    def test_enospc_then_space_freed_loses_nothing(self):
        filler = os.path.join(self.dir, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (900 * 1024))
        count = 4000  # about 330 KiB of lines: more than the 124 KiB left
        with Daemon(output=os.path.join(self.dir, "out.jsonl")) as d:
            s = d.connect()
            s.sendall(b"".join(json_frame({"seq": i, "pad": "x" * 50}) for i in range(count)))
            s.close()
            d.wait_log(r"cannot write to .*: No space left on device")
            os.unlink(filler)
            d.wait_log(r"writing to .* again")
            d.wait_lines(count)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual([r["seq"] for r in records], list(range(count)))
        self.assertEqual(trailer, count)


if __name__ == "__main__":
    if os.environ.get(INSIDE) != "1" and os.geteuid() == 0:
        env = dict(os.environ, **{INSIDE: "1"})
        sys.exit(subprocess.call(["unshare", "-m", "--propagation", "private",
                                  sys.executable] + sys.argv, env=env))
    unittest.main(verbosity=2)
