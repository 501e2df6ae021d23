"""The shipped units, checked without a manager: systemd-analyze verify
prints nothing (it reports parse errors on stdout/stderr but exits 0), and
the service's exposure score stays at most 1.5."""
import os
import shutil
import subprocess
import tempfile
import unittest

from sdtest import PACKAGING, lctest

UNITS = ("logcatcherd.service", "logcatcherd.socket")
MAX_EXPOSURE = 15  # systemd-analyze's 0-100 scale: 1.5


def analyze(*args):
    return subprocess.run(["systemd-analyze"] + list(args), capture_output=True, text=True,
                          timeout=lctest.DEFAULT_TIMEOUT)


@unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze not installed")
class UnitsTest(unittest.TestCase):
    def setUp(self):
        # verify needs an executable ExecStart: point it at the built daemon.
        self.dir = tempfile.mkdtemp(prefix="lctest-units-")
        for unit in UNITS:
            with open(os.path.join(PACKAGING, unit)) as f:
                text = f.read()
            with open(os.path.join(self.dir, unit), "w") as f:
                f.write(text.replace("/usr/sbin/logcatcherd", lctest.LOGCATCHERD))
        self.paths = [os.path.join(self.dir, u) for u in UNITS]

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_verify_prints_nothing(self):
        r = analyze("verify", "--man=no", *self.paths)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))

    def test_verify_catches_a_typo(self):
        # Proves the check above can fail: a misspelt key only prints.
        with open(self.paths[0], "a") as f:
            f.write("ProtectSytem=strict\n")
        r = analyze("verify", "--man=no", *self.paths)
        self.assertIn("ProtectSytem", r.stdout + r.stderr)

    def test_security_exposure(self):
        r = analyze("security", "--offline=true", "--threshold=%d" % MAX_EXPOSURE,
                    self.paths[0])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"Overall exposure level for logcatcherd.service: 1\.[0-5]")


if __name__ == "__main__":
    unittest.main(verbosity=2)
