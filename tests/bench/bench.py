#!/usr/bin/python3
"""Comparative benchmark of logcatcherd (issue 7): run by `scripts/dev bench`.

Every target gets the same bytes from the same C load generator (loadgen.c)
over 127.0.0.1, and is timed from the loadgen's first connect until its output
file holds every line:

  sink        tests/bench/sink.c, a no-parse C sink: the machine's ceiling
  logcatcherd our daemon, default settings, JSON and pickle payloads
  rsyslog     Debian's rsyslogd: imtcp (octet-counted) -> omfile, msg only
  syslog-ng   Debian's syslog-ng-core: syslog() source -> file, $MSG only

Workloads: W1 1 conn x 1,000,000 records, W2 100 x 10,000, W3 1,000 x 1,000,
each run --runs times (median reported). Then a latency run: logcatcher-client
bogosort workers saturate every core while this script tails the output and
measures each record's creation-to-file latency.

Peers get RFC 5424 lines carrying the same JSON as their message, framed with
RFC 6587 octet counting; sink and logcatcherd get logcatcher frames. The
ceiling and the peers run JSON only (pickle payloads hold raw newlines, and the
peers cannot read them): pickle rows are compared with the JSON ceiling/peers.

Prints a table and PASS/FAIL per target, writes JSON results (--json-out).
Exits non-zero only when a run is invalid (lost records, a crashed target).
"""
import argparse
import ctypes
import datetime
import glob
import json
import logging
import logging.handlers
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKLOADS = {  # name: (connections, records per connection)
    "W1": (1, 1_000_000),
    "W2": (100, 10_000),
    "W3": (1_000, 1_000),
}
QUICK_DIVISOR = 10
DISTINCT_RECORDS = 1000
RUN_TIMEOUT = 300.0
STALL_TIMEOUT = 20.0  # no new line for this long: records were lost
POLL_INTERVAL = 0.002
# Facility user (8) + the severity of each Python level.
SYSLOG_SEVERITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}
TARGETS = ("sink", "logcatcherd", "rsyslog", "syslog-ng")

# The targets issue 7 sets (printed as PASS/FAIL, never failing the run).
MIN_CEILING_RATIO = 0.50
MIN_PEER_RATIO = 2.5
MIN_PICKLE_RATIO = 0.70
MAX_W3_RSS_MIB = 64
MAX_P99_LATENCY = 0.100

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def child_setup():
    """preexec_fn: die with the harness, at normal priority (the harness may
    have raised its own to tail the output during the latency run)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpriority(os.PRIO_PROCESS, 0, 0)


def say(*args):
    print(*args, flush=True)


def fail(msg):
    raise SystemExit("bench: FAILED: " + msg)


# ---------------------------------------------------------------- payloads

def make_payloads(workdir):
    """DISTINCT_RECORDS realistic Python log records, written in logcatcher
    framing (the loadgen's input) as pickle (exactly SocketHandler.makePickle,
    protocol 1), JSON (json.dumps of the same dict) and RFC 5424 syslog lines
    carrying that JSON. Returns {format: (path, mean payload bytes)}."""
    handler = logging.handlers.SocketHandler("localhost", 9)  # never connects
    levels = (logging.DEBUG, logging.INFO, logging.INFO, logging.WARNING, logging.ERROR)
    out = {"pickle": [], "json": [], "syslog": []}
    for i in range(DISTINCT_RECORDS):
        level = levels[i % len(levels)]
        rec = logging.LogRecord("shop.orders", level, "/srv/shop/orders.py", 100 + i % 50,
                                "order %d for %s: %s", (10000 + i, "user%d" % (i % 97),
                                                        "shipped"), None, func="ship")
        out["pickle"].append(handler.makePickle(rec)[4:])
        d = dict(rec.__dict__)  # the dict makePickle pickles
        d["msg"] = rec.getMessage()
        d["args"] = None
        d["exc_info"] = None
        d.pop("message", None)
        js = json.dumps(d, separators=(",", ":")).encode()
        out["json"].append(js)
        stamp = datetime.datetime.fromtimestamp(rec.created, datetime.timezone.utc)
        out["syslog"].append(b"<%d>1 %s benchhost shop %d - - %s" % (
            8 + SYSLOG_SEVERITY[level], stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode(),
            rec.process, js))
    handler.close()
    files = {}
    for fmt, payloads in out.items():
        path = os.path.join(workdir, "payloads-%s.bin" % fmt)
        with open(path, "wb") as f:
            for p in payloads:
                f.write(struct.pack(">L", len(p)) + p)
        files[fmt] = (path, sum(map(len, payloads)) / len(payloads))
    return files


# ---------------------------------------------------------------- processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail("target exited with %s before listening" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    fail("target not listening on port %d after %.0fs" % (port, timeout))


def proc_cpu_rss(pid):
    """(utime+stime seconds, VmHWM MiB) of a live process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    hwm = 0.0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024.0
    return cpu, hwm


LIVE = []  # processes to kill if the harness stops early


def spawn(args, log, env=None):
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            env=env, preexec_fn=child_setup)
    LIVE.append(proc)
    return proc


def stop(proc, timeout=30.0):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in LIVE:
        LIVE.remove(proc)
    return proc.returncode


def kill_all():
    for proc in list(LIVE):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    LIVE.clear()


class LineCounter:
    """Counts newlines in a growing file, reading only what was appended."""

    def __init__(self, path):
        self.path, self.fd, self.offset, self.lines = path, None, 0, 0

    def poll(self):
        if self.fd is None:
            try:
                self.fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                return 0
        while True:
            chunk = os.pread(self.fd, 1 << 22, self.offset)
            if not chunk:
                return self.lines
            self.offset += len(chunk)
            self.lines += chunk.count(b"\n")

    def close(self):
        if self.fd is not None:
            os.close(self.fd)


# ---------------------------------------------------------------- targets

class Target:
    name = framing = None
    peer = False  # a peer's crash on stop is reported, not fatal

    def __init__(self, opts, workdir):
        self.opts, self.workdir = opts, workdir

    def args(self, port, output):
        raise NotImplementedError

    def env(self):
        return None

    def trailer_ok(self, output, records):
        return True


class Sink(Target):
    name, framing = "sink", "lc"

    def args(self, port, output):
        return [self.opts.sink, "-p", str(port), "-o", output]


class Logcatcherd(Target):
    name, framing = "logcatcherd", "lc"

    def args(self, port, output):
        return [self.opts.logcatcherd, "-l", "127.0.0.1:%d" % port, "-o", output]

    def trailer_ok(self, output, records):
        # The clean stop appends {"lines_collected": N}: N must be every record.
        with open(output, "rb") as f:
            f.seek(max(0, os.path.getsize(output) - 200))
            last = f.read().splitlines()[-1]
        return json.loads(last) == {"lines_collected": records}


RSYSLOG_CONF = """\
global(workDirectory="{wd}" maxMessageSize="64k")
# Batches of 1024 from a 100k-message in-memory queue (rsyslog's tuning guide).
main_queue(queue.type="FixedArray" queue.size="100000" queue.dequeueBatchSize="1024")
# imtcp, not imptcp: Debian 12's imptcp (8.2302) loses records from
# concurrent octet-counted sessions (about 30,000 of 100,000 written with 100).
module(load="imtcp" maxSessions="2000")
template(name="msgonly" type="string" string="%msg%\\n")
input(type="imtcp" address="127.0.0.1" port="{port}" supportOctetCountedFraming="on")
action(type="omfile" file="{out}" template="msgonly" asyncWriting="on"
       ioBufferSize="256k" flushOnTXEnd="off" flushInterval="1")
"""


class Rsyslog(Target):
    name, framing, peer = "rsyslog", "octet", True

    def args(self, port, output):
        conf = os.path.join(self.workdir, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(RSYSLOG_CONF.format(wd=self.workdir, port=port, out=output))
        return [self.opts.rsyslogd, "-n", "-f", conf,
                "-i", os.path.join(self.workdir, "rsyslog.pid")]


SYSLOG_NG_CONF = """\
@version: {version}
options {{
    threaded(yes); use_dns(no); use_fqdn(no); keep_hostname(yes); chain_hostnames(no);
    stats_freq(0); mark_freq(0); log_fifo_size(2000000);
}};
# A 1,000-message window per connection; flow-control below makes it lossless.
source s_bench {{
    syslog(ip("127.0.0.1") port({port}) transport("tcp")
           max-connections(1100) log-iw-size(1100000) log-fetch-limit(1000));
}};
destination d_file {{ file("{out}" template("$MSG\\n") flush-lines(1000)); }};
log {{ source(s_bench); destination(d_file); flags(flow-control); }};
"""


class SyslogNg(Target):
    name, framing, peer = "syslog-ng", "octet", True

    def args(self, port, output):
        root, wd = self.opts.syslog_ng_root, self.workdir
        moddir = self.opts.syslog_ng_modules
        conf = os.path.join(wd, "syslog-ng.conf")
        with open(conf, "w") as f:
            f.write(SYSLOG_NG_CONF.format(version=os.path.basename(moddir), port=port,
                                          out=output))
        return [os.path.join(root, "usr/sbin/syslog-ng"), "-F", "--no-caps", "-f", conf,
                "--module-path", moddir, "--pidfile", os.path.join(wd, "syslog-ng.pid"),
                "--persist-file", os.path.join(wd, "syslog-ng.persist"),
                "--control", os.path.join(wd, "syslog-ng.ctl")]

    def env(self):
        root = self.opts.syslog_ng_root
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = ":".join(os.path.join(root, d) for d in (
            "usr/lib/syslog-ng", "usr/lib/%s-linux-gnu" % platform.machine()))
        return env


# ---------------------------------------------------------------- peers

def apt(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(["apt-get", "-qq"] + list(args), env=env, stdout=subprocess.DEVNULL)


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "ok installed" in r.stdout


def pids_of(name):
    r = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
    return set(map(int, r.stdout.split()))


def ensure_rsyslog():
    """rsyslogd from Debian's package; an instance the install starts as a
    service is stopped at once (we run our own in the foreground)."""
    path = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if os.access(path, os.X_OK):
        return path
    say("installing rsyslog (apt-get install --no-install-recommends rsyslog)")
    before = pids_of("rsyslogd")
    if apt("install", "-y", "--no-install-recommends", "rsyslog").returncode != 0:
        apt("update")
        if apt("install", "-y", "--no-install-recommends", "rsyslog").returncode != 0:
            return None
    for pid in pids_of("rsyslogd") - before:
        os.kill(pid, signal.SIGTERM)
    return path if os.access(path, os.X_OK) else None


def ensure_syslog_ng(peers_dir):
    """syslog-ng-core unpacked (apt-get download + dpkg -x) under peers_dir,
    with the libraries it needs that are not installed: it conflicts with
    rsyslog, so it is never installed. Returns (root, module dir)."""
    root = os.path.join(peers_dir, "syslog-ng")
    binary = os.path.join(root, "usr/sbin/syslog-ng")
    if not os.access(binary, os.X_OK):
        say("fetching syslog-ng-core (apt-get download + dpkg -x into %s)" % root)
        debs = os.path.join(peers_dir, "debs")
        os.makedirs(debs, exist_ok=True)
        deps = subprocess.run(["apt-cache", "depends", "syslog-ng-core"], capture_output=True,
                              text=True).stdout
        pkgs = ["syslog-ng-core"] + [
            m.group(1) for m in re.finditer(r"^\s+Depends: ([\w.+-]+)$", deps, re.M)
            if not installed(m.group(1))]
        if subprocess.run(["apt-get", "-qq", "download"] + pkgs, cwd=debs,
                          stdout=subprocess.DEVNULL).returncode != 0:
            apt("update")
            if subprocess.run(["apt-get", "-qq", "download"] + pkgs, cwd=debs,
                              stdout=subprocess.DEVNULL).returncode != 0:
                return None, None
        for deb in glob.glob(os.path.join(debs, "*.deb")):
            subprocess.run(["dpkg", "-x", deb, root], check=True)
    mods = [os.path.dirname(p) for p in glob.glob(os.path.join(root, "usr/lib/syslog-ng/*/"
                                                               "libafsocket.so"))]
    return (root, mods[0]) if mods else (None, None)


# ---------------------------------------------------------------- one run

def run_once(target, opts, payload_file, payload_bytes, conns, per_conn, workdir):
    records = conns * per_conn
    output = os.path.join(workdir, "out-%s.log" % target.name)
    if os.path.exists(output):
        os.unlink(output)
    port = free_port()
    logpath = os.path.join(workdir, "%s.stderr" % target.name)
    with open(logpath, "wb") as log:
        proc = spawn(target.args(port, output), log, target.env())
    counter = LineCounter(output)
    try:
        wait_port(port, proc)
        gen = subprocess.Popen([opts.loadgen, "-p", str(port), "-c", str(conns),
                                "-n", str(per_conn), "-f", target.framing, payload_file],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               preexec_fn=child_setup)
        last, stalled_since = -1, time.monotonic()
        while counter.poll() < records:
            if counter.lines != last:
                last, stalled_since = counter.lines, time.monotonic()
            if proc.poll() is not None:
                fail("%s exited (status %s) with %d of %d lines"
                     % (target.name, proc.returncode, counter.lines, records))
            if gen.poll() not in (None, 0):
                fail("loadgen failed against %s (status %s)" % (target.name, gen.returncode))
            if time.monotonic() - stalled_since > STALL_TIMEOUT:
                fail("%s stalled at %d of %d lines for %.0fs"
                     % (target.name, counter.lines, records, STALL_TIMEOUT))
            time.sleep(POLL_INTERVAL)
        end = time.monotonic()
        cpu, rss = proc_cpu_rss(proc.pid)
        gen_out, _ = gen.communicate(timeout=60)
        if gen.returncode != 0:
            fail("loadgen failed against %s (status %s)" % (target.name, gen.returncode))
        sent = json.loads(gen_out)
        status = stop(proc)
        if status != 0 and not target.peer:
            fail("%s exited with status %s on SIGTERM" % (target.name, status))
        if status != 0:  # a peer's own bug; every line was already written
            say("warning: %s exited with status %s on SIGTERM" % (target.name, status))
        lines = counter.poll() - (1 if target.name == "logcatcherd" else 0)
        if lines != records or sent["records"] != records:
            fail("%s: %d lines for %d records sent" % (target.name, lines, sent["records"]))
        if not target.trailer_ok(output, records):
            fail("%s: wrong trailer line" % target.name)
        with open(output, "rb") as f:
            if "msg" not in json.loads(f.readline()):
                fail("%s: first line is not the record's JSON" % target.name)
    except SystemExit:
        with open(logpath, "rb") as log:
            say("%s's output:\n%s" % (target.name, log.read()[-2000:].decode(errors="replace")))
        raise
    finally:
        counter.close()
        kill_all()
        if os.path.exists(output):
            os.unlink(output)
    elapsed = end - sent["first_connect"]
    return {"seconds": elapsed, "records_per_s": records / elapsed, "stop_status": status,
            "mb_per_s": records * payload_bytes / elapsed / 1e6,
            "cpu_s": cpu, "peak_rss_mib": rss}


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


# ---------------------------------------------------------------- latency

CREATED_RE = re.compile(rb'"created":([0-9.eE+-]+)')


def latency_run(opts, workdir):
    """logcatcher-client bogosort workers on every core (2 per CPU) log to a
    default logcatcherd; the harness tails the file at raised priority (so the
    busy machine does not delay the measuring itself) and takes, for every
    line as it appears, now - its "created" field."""
    output = os.path.join(workdir, "out-latency.jsonl")
    port = free_port()
    workers = 2 * os.cpu_count()
    workload = opts.latency_workload
    with open(os.path.join(workdir, "latency.stderr"), "ab") as log:
        proc = spawn([opts.logcatcherd, "-l", "127.0.0.1:%d" % port, "-o", output], log)
    lat, buf, fd = [], b"", None
    old_prio = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        wait_port(port, proc)
        os.setpriority(os.PRIO_PROCESS, 0, -10)
        cpu0 = proc_cpu_rss(proc.pid)[0]
        start = time.monotonic()
        client = subprocess.Popen([opts.client, "-p", str(port), "--workers", str(workers),
                                   "--workload", str(workload), "-q", "--json"],
                                  stdout=subprocess.PIPE, preexec_fn=child_setup)
        fd = os.open(output, os.O_RDONLY)
        offset, done_at = 0, None
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            chunk = os.pread(fd, 1 << 20, offset)
            now = time.time()
            if chunk:
                offset += len(chunk)
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    m = CREATED_RE.search(line)
                    if m:
                        lat.append(now - float(m.group(1)))
            elif done_at is not None and time.monotonic() > done_at:
                break
            else:
                if done_at is None and client.poll() is not None:
                    done_at = time.monotonic() + 1.0  # let the last lines land
                if time.monotonic() > deadline:
                    fail("latency run did not finish in %.0fs" % RUN_TIMEOUT)
                time.sleep(0.001)
        wall = time.monotonic() - start
        cpu = proc_cpu_rss(proc.pid)[0] - cpu0
        summary = json.loads(client.communicate()[0])
        if client.returncode != 0 or stop(proc) != 0:
            fail("latency run: client or daemon failed")
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, old_prio)
        if fd is not None:
            os.close(fd)
        kill_all()
    written = len(lat)
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
    os.unlink(output)
    return {"workers": workers, "workload": workload, "records_sent": summary["records_sent"],
            "records_written": written, "wall_s": wall, "daemon_cpu_s": cpu,
            "daemon_cpu_share_of_machine": cpu / (wall * os.cpu_count()),
            "p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3, "max_ms": lat[-1] * 1e3}


# ---------------------------------------------------------------- report

def ratio(a, b):
    return a / b if a and b else None


def fmt_ratio(r):
    return "%.2f" % r if r is not None else "-"


def report(medians, workloads, latency):
    """The table, then the PASS/FAIL checks; returns the checks."""
    rows = []
    hdr = "%-12s %-3s %-6s %11s %8s %7s %8s %8s %8s" % (
        "target", "wl", "format", "records/s", "MB/s", "CPU s", "RSS MiB", "x ceil",
        "x peer")
    say("\n" + hdr + "\n" + "-" * len(hdr))
    for wl in workloads:
        ceil = medians.get(("sink", wl, "json"), {}).get("records_per_s")
        peers = [medians[(p, wl, "json")]["records_per_s"] for p in ("rsyslog", "syslog-ng")
                 if (p, wl, "json") in medians]
        best_peer = max(peers) if peers else None
        for (tgt, w, fmt), m in medians.items():
            if w != wl:
                continue
            m["x_ceiling"] = ratio(m["records_per_s"], ceil)
            m["x_best_peer"] = ratio(m["records_per_s"], best_peer)
            rows.append((tgt, w, fmt, m))
            say("%-12s %-3s %-6s %11.0f %8.1f %7.2f %8.1f %8s %8s" % (
                tgt, w, fmt, m["records_per_s"], m["mb_per_s"], m["cpu_s"], m["peak_rss_mib"],
                fmt_ratio(m["x_ceiling"]), fmt_ratio(m["x_best_peer"])))
    checks = []

    def check(what, ok, value):
        if ok is None:
            return
        checks.append({"check": what, "pass": bool(ok), "value": value})

    for wl in workloads:
        js = medians.get(("logcatcherd", wl, "json"))
        pk = medians.get(("logcatcherd", wl, "pickle"))
        if js and wl in ("W1", "W2") and js["x_ceiling"] is not None:
            check("%s JSON >= %.0f%% of the no-parse ceiling" % (wl, MIN_CEILING_RATIO * 100),
                  js["x_ceiling"] >= MIN_CEILING_RATIO, "%.3f" % js["x_ceiling"])
        if js and js["x_best_peer"] is not None:
            check("%s JSON >= %.1fx the best of rsyslog/syslog-ng" % (wl, MIN_PEER_RATIO),
                  js["x_best_peer"] >= MIN_PEER_RATIO, "%.3fx" % js["x_best_peer"])
        if js and pk:
            r = pk["records_per_s"] / js["records_per_s"]
            check("%s pickle >= %.0f%% of JSON" % (wl, MIN_PICKLE_RATIO * 100),
                  r >= MIN_PICKLE_RATIO, "%.3f" % r)
        if wl == "W3":
            for fmt, m in (("JSON", js), ("pickle", pk)):
                if m:
                    check("W3 %s peak RSS <= %d MiB" % (fmt, MAX_W3_RSS_MIB),
                          m["peak_rss_mib"] <= MAX_W3_RSS_MIB, "%.1f MiB" % m["peak_rss_mib"])
    if latency:
        say("\nlatency under load: %d bogosort workers, %d records sent, %d written; "
            "creation-to-file p50 %.1f ms, p99 %.1f ms, max %.1f ms; daemon CPU %.2f s "
            "in %.1f s = %.1f%% of the machine" % (
                latency["workers"], latency["records_sent"], latency["records_written"],
                latency["p50_ms"], latency["p99_ms"], latency["max_ms"],
                latency["daemon_cpu_s"], latency["wall_s"],
                100 * latency["daemon_cpu_share_of_machine"]))
        check("saturated cores: every record written",
              latency["records_written"] == latency["records_sent"],
              "%d/%d" % (latency["records_written"], latency["records_sent"]))
        check("saturated cores: p99 latency < %.0f ms" % (MAX_P99_LATENCY * 1e3),
              latency["p99_ms"] < MAX_P99_LATENCY * 1e3, "%.1f ms" % latency["p99_ms"])
    say("")
    for c in checks:
        say("%s  %-50s %s" % ("PASS" if c["pass"] else "FAIL", c["check"], c["value"]))
    return checks


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
            "cpu": cpu, "mem_gib": round(os.sysconf("SC_PHYS_PAGES") *
                                         os.sysconf("SC_PAGE_SIZE") / 2**30, 1)}


def git_commit():
    r = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True)
    dirty = subprocess.run(["git", "-C", TOP, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return r.stdout.strip() + ("-dirty" if dirty else "")


# ---------------------------------------------------------------- main

def smoke(opts):
    """ctest: 10 connections x 1,000 records through loadgen and sink."""
    with tempfile.TemporaryDirectory(prefix="lcbench-") as wd:
        path, size = make_payloads(wd)["json"]
        m = run_once(Sink(opts, wd), opts, path, size, 10, 1000, wd)
        say("bench smoke: 10,000 records through the sink at %.0f records/s"
            % m["records_per_s"])


def parse_args():
    build = os.path.join(TOP, "build-bench")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per case; the median is reported")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 run, records / %d, short latency run" % QUICK_DIVISOR)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--formats", default="json,pickle", help="logcatcherd payload formats")
    ap.add_argument("--no-latency", action="store_true", help="skip the bogosort latency run")
    ap.add_argument("--latency-workload", type=int, default=4000,
                    help="collections each bogosort worker sorts")
    ap.add_argument("--build", default=build, help="build directory with the binaries")
    ap.add_argument("--json-out", help="results file (default BUILD/bench-results.json)")
    ap.add_argument("--loadgen")
    ap.add_argument("--sink")
    ap.add_argument("--logcatcherd")
    ap.add_argument("--client")
    ap.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args()
    b = opts.build
    opts.loadgen = opts.loadgen or os.path.join(b, "tests/bench/loadgen")
    opts.sink = opts.sink or os.path.join(b, "tests/bench/sink")
    opts.logcatcherd = opts.logcatcherd or os.path.join(b, "daemon/logcatcherd")
    opts.client = opts.client or os.path.join(b, "client/logcatcher-client")
    opts.json_out = opts.json_out or os.path.join(b, "bench-results.json")
    if opts.quick:
        opts.runs = 1
        opts.latency_workload = min(opts.latency_workload, 500)
    return opts


def main():
    opts = parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by every target
    if opts.smoke:
        smoke(opts)
        return
    began = time.monotonic()
    targets = [t for t in opts.targets.split(",") if t]
    workloads = [w for w in opts.workloads.split(",") if w]
    formats = [f for f in opts.formats.split(",") if f]
    peers_dir = os.path.join(opts.build, "bench-peers")
    os.makedirs(peers_dir, exist_ok=True)
    if "rsyslog" in targets:
        opts.rsyslogd = ensure_rsyslog()
        if not opts.rsyslogd:
            say("rsyslog unavailable: skipped")
            targets.remove("rsyslog")
    if "syslog-ng" in targets:
        opts.syslog_ng_root, opts.syslog_ng_modules = ensure_syslog_ng(peers_dir)
        if not opts.syslog_ng_root:
            say("syslog-ng unavailable: skipped")
            targets.remove("syslog-ng")
    classes = {"sink": Sink, "logcatcherd": Logcatcherd, "rsyslog": Rsyslog,
               "syslog-ng": SyslogNg}
    runs, medians, latency = [], {}, None
    with tempfile.TemporaryDirectory(prefix="lcbench-", dir=opts.build) as wd:
        payloads = make_payloads(wd)
        say("payloads: %s" % ", ".join("%s %.0f B" % (f, s) for f, (_, s) in payloads.items()))
        cases = []
        for wl in workloads:
            conns, per_conn = WORKLOADS[wl]
            if opts.quick:
                per_conn //= QUICK_DIVISOR
            for name in targets:
                fmts = formats if name == "logcatcherd" else ["json"]
                for fmt in fmts:
                    cases.append((wl, conns, per_conn, name, fmt))
        for run in range(opts.runs):  # interleaved, so drift hits every target alike
            for wl, conns, per_conn, name, fmt in cases:
                target = classes[name](opts, wd)
                wire = "syslog" if target.framing == "octet" else fmt
                path, size = payloads[wire]
                m = run_once(target, opts, path, size, conns, per_conn, wd)
                say("run %d %-4s %-12s %-6s %9.0f records/s %7.1f MB/s  CPU %6.2f s  "
                    "RSS %6.1f MiB" % (run + 1, wl, name, fmt, m["records_per_s"],
                                       m["mb_per_s"], m["cpu_s"], m["peak_rss_mib"]))
                runs.append(dict(m, run=run + 1, target=name, workload=wl, format=fmt,
                                 connections=conns, records=conns * per_conn,
                                 payload_bytes=size))
        for wl, conns, per_conn, name, fmt in cases:
            medians[(name, wl, fmt)] = median_of(
                [{k: r[k] for k in ("seconds", "records_per_s", "mb_per_s", "cpu_s",
                                    "peak_rss_mib")}
                 for r in runs if (r["target"], r["workload"], r["format"]) == (name, wl, fmt)])
        if not opts.no_latency and "logcatcherd" in targets:
            say("latency run: bogosort workers on every core ...")
            latency = latency_run(opts, wd)
    commit = git_commit()
    say("\ncommit %s, %s, %d CPUs, %d run(s) per case%s" % (
        commit, datetime.datetime.now().isoformat(timespec="seconds"), os.cpu_count(),
        opts.runs, " (--quick)" if opts.quick else ""))
    checks = report(medians, workloads, latency)
    took = time.monotonic() - began
    say("\nbench took %.0f s; results in %s" % (took, opts.json_out))
    with open(opts.json_out, "w") as f:
        json.dump({"commit": commit, "date": datetime.datetime.now().isoformat(),
                   "machine": machine(), "runs_per_case": opts.runs, "quick": opts.quick,
                   "workloads": {w: {"connections": WORKLOADS[w][0],
                                     "records": WORKLOADS[w][0] * WORKLOADS[w][1] //
                                     (QUICK_DIVISOR if opts.quick else 1)} for w in workloads},
                   "runs": runs,
                   "medians": [dict(m, target=t, workload=w, format=fmt)
                               for (t, w, fmt), m in medians.items()],
                   "latency": latency, "checks": checks, "seconds": took}, f, indent=1)


if __name__ == "__main__":
    try:
        main()
    finally:
        kill_all()
