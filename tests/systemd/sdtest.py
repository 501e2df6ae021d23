"""Helpers for the systemd tests: a private sd_notify socket and the paths of
the shipped files. Imports lctest from tests/integration."""
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import lctest  # noqa: E402

PACKAGING = os.path.join(TOP, "packaging")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class NotifySocket:
    """An AF_UNIX datagram socket in the abstract namespace that records every
    sd_notify message with its arrival time. env() gives NOTIFY_SOCKET."""

    def __init__(self):
        self.name = "lctest-notify-%d-%d" % (os.getpid(), id(self))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, "KEY=value")
        self._cond = threading.Condition()
        self._done = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def env(self, **extra):
        return dict({"NOTIFY_SOCKET": "@" + self.name}, **extra)

    def _read(self):
        while not self._done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            now = time.monotonic()
            with self._cond:
                for line in data.decode("utf-8", "replace").splitlines():
                    self.messages.append((now, line))
                self._cond.notify_all()

    def close(self):
        self._done = True
        self._thread.join()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def lines(self):
        with self._cond:
            return [m for _, m in self.messages]

    def times(self, message):
        with self._cond:
            return [t for t, m in self.messages if m == message]

    def wait(self, predicate, timeout=lctest.DEFAULT_TIMEOUT, what="a notification"):
        """Wait until predicate(list of messages) is true; return its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate([m for _, m in self.messages])
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %s; got %r"
                                         % (what, [m for _, m in self.messages]))
                self._cond.wait(min(left, 0.5))

    def wait_message(self, message, count=1, **kw):
        return self.wait(lambda ms: ms.count(message) >= count,
                         what="%d x %s" % (count, message), **kw)
