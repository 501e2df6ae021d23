"""Shared helpers for integration tests: start the real logcatcherd on a free
loopback port, feed it frames, wait on observable conditions, stop it.

Every wait polls a condition with a deadline; nothing sleeps a fixed time to
synchronise. Every process started here is stopped by the test (Daemon is a
context manager and kills on exit).
"""
import ctypes
import json
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

LOGCATCHERD = os.environ.get("LOGCATCHERD", "logcatcherd")
LOGCATCHER_CLIENT = os.environ.get("LOGCATCHER_CLIENT", "logcatcher-client")
DEFAULT_TIMEOUT = float(os.environ.get("LC_TEST_TIMEOUT", "60"))


PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """preexec_fn: the child is killed if the test process dies, so even a
    test killed by ctest's timeout leaves no daemon behind."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def frame(payload):
    """One wire frame: 4-byte big-endian length, then the payload."""
    if isinstance(payload, str):
        payload = payload.encode()
    return struct.pack(">L", len(payload)) + payload


def json_frame(obj):
    return frame(json.dumps(obj, separators=(",", ":")).encode())


def wait_until(predicate, timeout=DEFAULT_TIMEOUT, what="condition", interval=0.01):
    """Poll predicate() until it is true; fail with `what` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def connect(port, host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(DEFAULT_TIMEOUT)
    s.connect((host, port))
    return s


class Daemon:
    """A logcatcherd process with its own temporary output file.

    extra_args are appended after the defaults (-l 127.0.0.1:0 -o OUTPUT), so
    a test can override them. The bound port is read from the daemon's
    "listening on tcp ADDR" log line.
    """

    LISTEN_RE = re.compile(r"listening on (tcp|udp) (\S+):(\d+)")

    def __init__(self, *extra_args, output=None, listen=("127.0.0.1:0",), env=None,
                 config=None, workdir=None, default_output=False, stdout=None):
        """default_output: pass no -o, so the daemon writes its default
        ./logcatcher.jsonl (it runs in workdir). stdout: for output="-"."""
        self.workdir = workdir or tempfile.mkdtemp(prefix="lctest-")
        self.args = [LOGCATCHERD]
        if config is not None:
            path = os.path.join(self.workdir, "logcatcherd.conf")
            with open(path, "w") as f:
                f.write(config)
            self.args += ["-c", path]
        for addr in listen:
            self.args += ["-l", addr]
        if default_output:
            self.output = os.path.join(self.workdir, "logcatcher.jsonl")
        else:
            self.output = output or os.path.join(self.workdir, "out.jsonl")
            self.args += ["-o", self.output]
        self.args += list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.stdout = stdout
        self.proc = None
        self.log_lines = []
        self._cond = threading.Condition()
        self.ports = {}

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()

    def start(self, wait_listening=True):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self.stdout,
                                     stderr=subprocess.PIPE, env=self.env, cwd=self.workdir,
                                     preexec_fn=die_with_parent)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if wait_listening:
            # Logged once every listener is bound and the output is open.
            self.wait_log(r"collecting into ", what="daemon to start collecting")
        return self

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if os.environ.get("LC_TEST_VERBOSE"):
                print("daemon:", line, flush=True)
            m = self.LISTEN_RE.search(line)
            with self._cond:
                if m:
                    self.ports.setdefault(m.group(1), []).append(int(m.group(3)))
                self.log_lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def port(self):
        return self.ports["tcp"][0]

    def log(self):
        with self._cond:
            return "\n".join(self.log_lines)

    def wait_log(self, pattern, timeout=DEFAULT_TIMEOUT, what=None, count=1):
        """Wait until `count` daemon log lines match pattern; return the last match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matches = [m for m in map(rx.search, self.log_lines) if m]
                if len(matches) >= count:
                    return matches[count - 1]
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError("no daemon log line matching %r (%s); log:\n%s"
                                         % (pattern, what or "", "\n".join(self.log_lines)))
                self._cond.wait(min(left, 0.5))

    def connect(self, host="127.0.0.1"):
        return connect(self.port, host)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=DEFAULT_TIMEOUT):
        """Signal the daemon and wait for it to exit; return its exit status."""
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout=DEFAULT_TIMEOUT):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("daemon did not exit within %.0fs; log:\n%s"
                                 % (timeout, self.log()))
        self._reader.join(timeout)
        self.proc.stderr.close()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self._reader.join(DEFAULT_TIMEOUT)
            self.proc.stderr.close()

    def count_lines(self):
        return count_lines(self.output)

    def wait_lines(self, n, timeout=DEFAULT_TIMEOUT):
        """Wait until the output file holds at least n lines."""
        return wait_until(lambda: self.count_lines() >= n, timeout,
                          "%d lines in %s (have %d)" % (n, self.output, self.count_lines()))

    def records(self, path=None):
        """Parsed output lines (records and trailer), strictly parsed."""
        return read_jsonl(path or self.output)


def count_lines(path):
    """Lines in a file (0 if it does not exist yet)."""
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


class StalledFifo:
    """An output FIFO with a reader that does not read: the daemon's writes
    block once the pipe (64 KiB) is full, like a stalled disk. drain() starts
    reading everything into .data; leaving the context closes the reader."""

    def __init__(self, directory=None):
        directory = directory or tempfile.mkdtemp(prefix="lctest-")
        self.path = os.path.join(directory, "out.fifo")
        os.mkfifo(self.path)
        self._reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._pump = None
        self.data = bytearray()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._pump is not None:
            self._pump.join(DEFAULT_TIMEOUT)
        os.close(self._reader)

    def drain(self):
        os.set_blocking(self._reader, True)

        def pump():
            while True:
                chunk = os.read(self._reader, 1 << 16)
                if not chunk:
                    return
                self.data.extend(chunk)
        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()

    def wait_eof(self, timeout=DEFAULT_TIMEOUT):
        """Wait until the writer has closed the FIFO; True if it has."""
        self._pump.join(timeout)
        return not self._pump.is_alive()

    def records(self):
        return parse_jsonl(bytes(self.data))


def strict_loads(text):
    """json.loads that rejects NaN/Infinity, as strict RFC 8259 does."""
    def bad_constant(name):
        raise ValueError("non-strict JSON constant %s" % name)
    return json.loads(text, parse_constant=bad_constant)


def parse_jsonl(data):
    """Strictly parsed lines of JSON Lines bytes (split on \\n only: U+2028
    inside a string is not a line end)."""
    assert not data or data.endswith(b"\n"), "last line without newline: %r" % data[-80:]
    return [strict_loads(raw.decode("utf-8")) for raw in data.split(b"\n")[:-1]]


def read_jsonl(path):
    with open(path, "rb") as f:
        return parse_jsonl(f.read())


def split_trailer(rows):
    """(records, trailer count); asserts the last line is the trailer."""
    assert rows, "output is empty"
    assert set(rows[-1]) == {"lines_collected"}, "last line is not the trailer: %r" % rows[-1]
    return rows[:-1], rows[-1]["lines_collected"]
