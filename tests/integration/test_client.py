"""logcatcher-client against the real daemon: both payload formats, flood
over 100 connections, a daemon restarted mid-run, the daemon given up on,
and no daemon at all.

The client's --json summary is the ground truth for what it claims: records
it counted as sent must all be in the daemon's output, and sent + dropped
must equal produced. The protocol is one-way, so a record written between
the stopping daemon's last read and its close() is counted as sent and lost;
the stop tests use slow producers (9-item sorts, a record every few ms per
worker) so that this microsecond window is practically never hit.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402

TIMEOUT = lctest.DEFAULT_TIMEOUT
RECORD_KEYS = ["name", "msg", "args", "levelname", "levelno", "pathname", "filename",
               "module", "exc_info", "exc_text", "stack_info", "lineno", "funcName",
               "created", "msecs", "relativeCreated", "thread", "threadName",
               "processName", "process"]


def client_args(port, *args):
    return [lctest.LOGCATCHER_CLIENT, "-p", str(port), "--json", *args]


def run_client(port, *args, timeout=TIMEOUT):
    """Run the client to completion; (exit status, summary dict, stderr)."""
    proc = subprocess.run(client_args(port, *args), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)
    return proc.returncode, summary(proc.stdout), proc.stderr.decode()


def summary(stdout):
    lines = stdout.decode().splitlines()
    assert len(lines) == 1, "want one JSON summary line, got %r" % lines
    s = json.loads(lines[0])
    assert s["records_sent"] + s["records_dropped"] == s["records_produced"], s
    return s


def stopped_records(daemon):
    """Stop the daemon cleanly; its records, checked against its trailer."""
    assert daemon.stop() == 0, daemon.log()
    records, trailer = lctest.split_trailer(daemon.records())
    assert trailer == len(records), (trailer, len(records))
    return records


def spawn_client(port, *args):
    """A client in its own process group, so that its workers can be frozen
    together (see stop_daemon_under)."""
    return subprocess.Popen(client_args(port, *args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def stop_daemon_under(proc, daemon):
    """Stop the daemon while the client's processes are frozen. A record a
    client writes between the daemon's last read and its close is counted
    as sent yet lost (docs: logcatcher-client(1)); frozen, they cannot, so
    sent and written must agree exactly. Returns the daemon's records."""
    os.killpg(proc.pid, signal.SIGSTOP)
    try:
        return stopped_records(daemon)
    finally:
        os.killpg(proc.pid, signal.SIGCONT)


def check_sort_run(fmt):
    workers, workload = 3, 4
    with lctest.Daemon() as d:
        rc, s, err = run_client(d.port, "--workers", str(workers), "--workload",
                                str(workload), "--format", fmt)
        want = workers * (2 * workload + 2)
        assert rc == 0, err
        assert (s["records_sent"], s["records_dropped"]) == (want, 0), s
        assert s["workers"] == workers, s
        d.wait_lines(want)
        records = stopped_records(d)
    assert len(records) == want
    pids = {r["process"] for r in records}
    assert len(pids) == workers, pids
    for r in records:
        assert list(r) == RECORD_KEYS, list(r)
        assert r["name"] == "app_%d.BogoSort" % r["process"], r
        assert isinstance(r["msecs"], float) and r["msecs"].is_integer(), r
        assert r["thread"] > 2 ** 31, r
    msgs = [r["msg"] for r in records]
    assert sum(m.startswith("sorting %d collections" % workload) for m in msgs) == workers
    assert sum(re.match(r"Sorted \d+ items in \d+ steps, \d+\.\d{3} ms$", m) is not None
               for m in msgs) == workers * workload
    assert sum(m.startswith("produced ") for m in msgs) == workers


def test_sort_json():
    check_sort_run("json")


def test_sort_pickle():
    check_sort_run("pickle")


def test_flood_100_connections():
    n = 5000
    with lctest.Daemon() as d:
        rc, s, err = run_client(d.port, "--flood", "--records", str(n), "--connections",
                                "100", "--size", "400")
        assert rc == 0, err
        assert (s["records_sent"], s["connections"]) == (n, 100), s
        d.wait_lines(n)
        records = stopped_records(d)
    assert len(records) == n


def writers(path):
    """The client processes whose records the file holds so far (its
    complete lines)."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    return {json.loads(line).get("process") for line in lines}


def test_daemon_restart():
    """Stop the daemon under a running client, start another on the same
    port: the client reconnects; nothing it counted as sent is missing."""
    first = lctest.Daemon()
    second = None
    proc = None
    try:
        first.start()
        port = first.port
        proc = spawn_client(port, "--workers", "2", "--workload", "1000000", "--min-items", "9",
                            "--max-items", "9", "--buffer", "200")
        # Both workers connected (each one's records in the file), so that
        # each has a connection to lose.
        lctest.wait_until(lambda: len(writers(first.output)) == 2, interval=0.05,
                          what="records from both workers")
        lines_first = len(stop_daemon_under(proc, first))
        second = lctest.Daemon(listen=("127.0.0.1:%d" % port,), workdir=first.workdir,
                               output=os.path.join(first.workdir, "second.jsonl"))
        second.start()
        second.wait_lines(100)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
        s = summary(out)
        assert proc.returncode in (1, 130), (proc.returncode, err)
        assert s["reconnects"] >= 2, (s, err)  # each worker reconnected
        assert b"reconnected to 127.0.0.1:%d" % port in err, err
        second.wait_lines(s["records_sent"] - lines_first)
        lines_second = len(stopped_records(second))
        assert lines_first + lines_second == s["records_sent"], \
            (lines_first, lines_second, s)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        first.kill()
        if second is not None:
            second.kill()


def test_daemon_gone_for_good():
    """With the daemon gone, --retry-max bounds the wait; drops are reported
    and make the exit status 1."""
    with lctest.Daemon() as d:
        proc = spawn_client(d.port, "--workers", "1", "--workload", "1000000", "--min-items",
                            "9", "--max-items", "9", "--retry-max", "1", "--buffer", "50")
        try:
            d.wait_lines(50)
            lines = len(stop_daemon_under(proc, d))
            start = time.monotonic()
            out, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    s = summary(out)
    assert proc.returncode == 1, err
    assert time.monotonic() - start < 15
    assert s["records_dropped"] > 0 and s["records_sent"] == lines, (s, lines)
    assert b"giving up on 127.0.0.1:%d" % d.port in err, err


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_daemon():
    port = free_port()
    start = time.monotonic()
    proc = subprocess.run([lctest.LOGCATCHER_CLIENT, "-p", str(port), "--workers", "2"],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    assert proc.returncode == 1, proc
    assert time.monotonic() - start < 10
    want = "logcatcher-client: cannot connect to 127.0.0.1:%d: Connection refused" % port
    assert want in proc.stderr.decode(), proc.stderr


def main():
    tests = [(name, fn) for name, fn in sorted(globals().items())
             if name.startswith("test_") and callable(fn)]
    for name, fn in tests:
        t0 = time.monotonic()
        fn()
        print("ok %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    main()
