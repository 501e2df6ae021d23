"""The Debian package under a real systemd manager (systemd --user).

Builds the .deb with packaging/build-deb.sh, then re-runs itself inside
`unshare -m -n --propagation private` and, in that private mount and network
namespace:

- shows the package's files at their installed paths without touching the
  machine: read-only overlays put its /usr and /etc over the real ones, a
  tmpfs is /var/log, another is /run (with /run/systemd/system, which
  systemd --user needs, and the /run/systemd/inaccessible nodes sandboxing
  needs);
- moves itself into new cgroups in every mounted hierarchy BEFORE starting
  the manager (a manager started in the root cgroup would move every process
  of the machine into its init.scope), and removes them afterwards, checking
  that /proc/1/cgroup did not change;
- runs systemd --user with XDG_CONFIG_HOME=/var, so LogsDirectory=logcatcher
  is /var/log/logcatcher exactly as under the system manager; the units go
  to /run/systemd/user with one drop-in, DynamicUser=no, because a user
  manager cannot run services as another user (its notify socket is
  root-only); /run/systemd/private points at the user manager's, so the
  shipped logrotate postrotate's plain `systemctl reload` reaches it.

Scenario: start logcatcherd.socket (127.0.0.1:9020, in the private network
namespace); log from Python's SocketHandler and from logcatcher-client;
STATUS= is visible to systemctl; logrotate with the shipped configuration
rotates and reloads; a restart refuses no connection attempt; stop gives
Result=success, exit 0 and the trailer; every line is in the rotated or the
current file exactly once.

Fleet scenario: FLEET processes (fleet.py) log through SocketHandler, each a
record every millisecond, while the service restarts RESTARTS times. Every
record written is one whose sendall succeeded, written once; of those
sent, only the last few before a client saw a reset may be missing (what
it sent while the reset was on its way), fewer than one per reset. The
counts and the stop durations are printed.

Then a drop-in sends the output to a FIFO nobody
reads with WatchdogSec=2s: the manager kills the wedged daemon
(Result=watchdog) and restarts it.

Exit status 77 (skipped) when not root or without unshare or systemd.
"""
import collections
import json
import logging
import logging.handlers
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

from sdtest import HERE, PACKAGING, PYTHON, lctest
from lctest import json_frame, parse_jsonl, read_jsonl, wait_until

SKIP = 77
SYSTEMD = "/usr/lib/systemd/systemd"
PORT = 9020  # the shipped socket unit's, free in our own network namespace
LOG_DIR = "/var/log/logcatcher"
OUTPUT = LOG_DIR + "/logcatcher.jsonl"
RUNTIME = "/run/lctest-user"  # XDG_RUNTIME_DIR: outside /run/user (ProtectHome)
UNIT_DIR = "/run/systemd/user"
TIMEOUT = 60
FLEET = 8  # SocketHandler processes
RESTARTS = 20
WORK = os.path.abspath(os.environ.get("LC_MANAGER_WORK", "systemd-manager-test"))

USER_MANAGER_DROPIN = """\
[Service]
# systemd --user cannot start services as another user.
DynamicUser=no
# No journald in the test namespace: keep the daemon's log in a file.
StandardError=append:%s/daemon.log
""" % WORK

WEDGE_DROPIN = """\
[Service]
ExecStart=
ExecStart=/usr/sbin/logcatcherd -c /etc/logcatcher/logcatcherd.conf -o ${LOGS_DIRECTORY}/wedge.fifo
WatchdogSec=2s
LimitCORE=0
# Long enough for the test to see Result=watchdog before the restart.
RestartSec=3s
"""


def run(*args, check=True, timeout=TIMEOUT, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                     r.stderr))
    return r


def systemctl(*args, check=True):
    return run("systemctl", "--user", *args, check=check, env=manager_env())


def show(unit, prop):
    return systemctl("show", "-p", prop, "--value", unit).stdout.strip()


def manager_env():
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": WORK + "/home",
            "XDG_RUNTIME_DIR": RUNTIME, "XDG_CONFIG_HOME": "/var", "LANG": "C.UTF-8"}


# --- cgroups -------------------------------------------------------------

def cgroup_hierarchies():
    """(mount point, our path) for every mounted cgroup hierarchy."""
    mounts = []
    with open("/proc/self/mounts") as f:
        for line in f:
            _, mnt, fstype, opts = line.split()[:4]
            if fstype in ("cgroup", "cgroup2"):
                mounts.append((mnt, fstype, set(opts.split(","))))
    out = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for mnt, fstype, opts in mounts:
                if (ctrls == "" and fstype == "cgroup2") or \
                        (ctrls and fstype == "cgroup" and set(ctrls.split(",")) <= opts):
                    out.append((mnt, path))
                    break
    return out


class Cgroups:
    """Dedicated cgroups, one per hierarchy, holding this process."""

    def __init__(self):
        self.made = []  # (original dir, new dir)
        name = "lctest-%d" % os.getpid()
        for mnt, path in cgroup_hierarchies():
            parent = os.path.normpath(mnt + "/" + path)
            child = os.path.join(parent, name)
            os.mkdir(child)
            self.made.append((parent, child))
            for knob in ("cpuset.cpus", "cpuset.mems"):  # v1 cpuset needs them
                if os.path.exists(os.path.join(child, knob)):
                    with open(os.path.join(parent, knob)) as src:
                        value = src.read().strip()
                    with open(os.path.join(child, knob), "w") as dst:
                        dst.write(value)
            with open(os.path.join(child, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def remove(self):
        """Kill what is left inside (ours: the manager's children), move back,
        remove every cgroup below ours, deepest first."""
        me = os.getpid()
        for parent, child in self.made:
            with open(os.path.join(parent, "cgroup.procs"), "w") as f:
                f.write(str(me))
        for parent, child in self.made:
            def leftovers():
                pids = set()
                for d, _, _ in os.walk(child):
                    with open(os.path.join(d, "cgroup.procs")) as f:
                        pids |= {int(p) for p in f.read().split()}
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                return not pids
            wait_until(leftovers, TIMEOUT, "the test's cgroup %s to empty" % child, 0.1)
            for d, _, _ in sorted(os.walk(child, topdown=False), key=lambda w: -len(w[0])):
                os.rmdir(d)


# --- the private namespace -------------------------------------------------

def make_node(path, kind):
    if kind == "dir":
        os.mkdir(path, 0)
    elif kind == "reg":
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0))
    else:
        mode = {"fifo": stat.S_IFIFO, "sock": stat.S_IFSOCK, "chr": stat.S_IFCHR,
                "blk": stat.S_IFBLK}[kind]
        os.mknod(path, mode, os.makedev(0, 0))
    os.chmod(path, 0)


def setup_namespace(root):
    run("mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run")
    os.makedirs("/run/systemd/system")
    os.makedirs("/run/systemd/inaccessible")
    for kind in ("reg", "dir", "fifo", "sock", "chr", "blk"):
        make_node("/run/systemd/inaccessible/" + kind, kind)
    os.makedirs(RUNTIME, 0o700)
    os.makedirs(UNIT_DIR + "/logcatcherd.service.d")
    os.symlink(RUNTIME + "/systemd/private", "/run/systemd/private")
    run("mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/var/log")
    for top in ("usr", "etc"):
        run("mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=%s/%s:/%s" % (root, top, top), "/" + top)
    run("ip", "link", "set", "lo", "up")
    for unit in ("logcatcherd.service", "logcatcherd.socket"):
        shutil.copy(os.path.join(root, "lib/systemd/system", unit), UNIT_DIR)
    write(UNIT_DIR + "/logcatcherd.service.d/10-user-manager.conf", USER_MANAGER_DROPIN)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class Manager:
    def __init__(self):
        os.makedirs(WORK + "/home", exist_ok=True)
        self.log = open(WORK + "/manager.log", "w")
        self.proc = subprocess.Popen([SYSTEMD, "--user", "--log-target=console"],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=manager_env())
        wait_until(lambda: self.proc.poll() is not None or
                   systemctl("show", "-p", "Version", check=False).returncode == 0,
                   TIMEOUT, "systemd --user to answer", 0.05)
        assert self.proc.poll() is None, "systemd --user exited: %s" % self.text()

    def text(self):
        with open(WORK + "/manager.log") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- the scenario ------------------------------------------------------------

def python_logging(start, count):
    """Send records from the standard library's SocketHandler."""
    log = logging.getLogger("lctest.%d" % start)
    log.propagate = False
    handler = logging.handlers.SocketHandler("127.0.0.1", PORT)
    log.addHandler(handler)
    for i in range(start, start + count):
        log.warning("py %d", i)
    handler.close()
    log.removeHandler(handler)


def file_messages(paths):
    rows = []
    for p in paths:
        rows += read_jsonl(p)
    return rows


def is_trailer(row):
    return set(row) == {"lines_collected"}


def records_and_trailers(rows):
    """The records of output rows, and the count of each run's trailer."""
    return ([r for r in rows if not is_trailer(r)],
            [r["lines_collected"] for r in rows if is_trailer(r)])


class OutputTail:
    """The rows appended to a file since the last call, whole lines only."""

    def __init__(self, path):
        self.path, self.offset = path, 0

    def rows(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        data = data[:data.rfind(b"\n") + 1]
        self.offset += len(data)
        return parse_jsonl(data)


def count_msgs(prefix):
    try:
        rows = read_jsonl(OUTPUT)
    except FileNotFoundError:
        return 0
    return sum(1 for r in rows if str(r.get("msg", "")).startswith(prefix))


class Connector(threading.Thread):
    """Opens a new connection per record, as fast as it can, until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sent, self.errors, self.done = 0, [], threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=10) as s:
                    s.sendall(json_frame({"msg": "restart %d" % self.sent}))
                self.sent += 1
            except OSError as e:
                self.errors.append(repr(e))
                return


def scenario(manager):
    started = time.monotonic()
    systemctl("daemon-reload")
    systemctl("start", "logcatcherd.socket")
    assert show("logcatcherd.socket", "ActiveState") == "active"

    python_logging(0, 100)
    wait_until(lambda: count_msgs("py ") == 100, TIMEOUT, "100 SocketHandler records")
    assert show("logcatcherd.service", "ActiveState") == "active"

    client = run(os.environ["LOGCATCHER_CLIENT"], "--workers", "2", "--workload", "3",
                 "-p", str(PORT), "-q", "--json")
    client_records = 2 * (2 * 3 + 2)
    wait_until(lambda: lctest.count_lines(OUTPUT) >= 100 + client_records, TIMEOUT,
               "the client's records")

    status = wait_until(lambda: re.match(
        r"collecting into %s: %d lines, \d+ clients, \d+ lines/s$"
        % (OUTPUT, 100 + client_records), show("logcatcherd.service", "StatusText")),
        TIMEOUT, "the STATUS= line in systemctl show")
    assert status.group(0) in systemctl("status", "logcatcherd.service").stdout

    # logrotate with the shipped file: rename, create, postrotate reload.
    run("logrotate", "--state", WORK + "/logrotate.state", "--force",
        "/etc/logrotate.d/logcatcher")
    assert os.path.exists(OUTPUT + ".1") and os.path.exists(OUTPUT)
    python_logging(100, 50)
    wait_until(lambda: count_msgs("py ") == 50, TIMEOUT, "records in the new file")

    # Restart: the .socket unit keeps listening, no connection is refused.
    conn = Connector()
    conn.start()
    wait_until(lambda: conn.sent >= 20 or conn.errors, TIMEOUT, "connections")
    pid = show("logcatcherd.service", "MainPID")
    systemctl("restart", "logcatcherd.service")
    assert show("logcatcherd.service", "MainPID") != pid
    after = conn.sent
    wait_until(lambda: conn.sent >= after + 20 or conn.errors, TIMEOUT, "connections")
    conn.done.set()
    conn.join(TIMEOUT)
    assert not conn.errors, conn.errors

    systemctl("stop", "logcatcherd.service")
    for prop, want in (("Result", "success"), ("ExecMainStatus", "0"),
                       ("ActiveState", "inactive")):
        assert show("logcatcherd.service", prop) == want, (prop, show("logcatcherd.service",
                                                                      prop))

    rows = file_messages([OUTPUT + ".1", OUTPUT])
    records, trailers = records_and_trailers(rows)
    assert is_trailer(rows[-1]), rows[-1]
    assert len(trailers) == 2, trailers  # one per run: before and after the restart
    assert sum(trailers) == len(records), (trailers, len(records))
    msgs = [str(r.get("msg", "")) for r in records]
    assert sorted(m for m in msgs if m.startswith("py ")) == sorted(
        "py %d" % i for i in range(150))
    got = [m for m in msgs if m.startswith("restart ")]
    missing = {"restart %d" % i for i in range(conn.sent)} - set(got)
    assert len(got) == len(set(got)) and len(got) + len(missing) == conn.sent, got
    # A connection the old daemon accepted just before SIGTERM and on which
    # the client had not sent yet is closed empty (nothing was received, so
    # nothing is lost by the daemon's contract); the client's record is lost
    # with it. Anything more would be a lost record.
    with open(WORK + "/daemon.log") as f:
        closed_empty = f.read().count("(daemon stopping): 0 records, 0 bytes")
    assert len(missing) <= closed_empty, (missing, closed_empty)
    assert len(records) == 150 + len(got) + client_records, (len(records), client.stdout)
    print("scenario: %d records (%d via restart), rotation, stop: %.1fs"
          % (len(records), conn.sent, time.monotonic() - started))


def last_stop_seconds(unit):
    """How long the unit's last stop took, from leaving active to inactive."""
    return (int(show(unit, "InactiveEnterTimestampMonotonic")) -
            int(show(unit, "ActiveExitTimestampMonotonic"))) / 1e6


def fleet_scenario(manager):
    started = time.monotonic()
    for path in (OUTPUT, OUTPUT + ".1"):  # scenario()'s, checked: keep only the fleet's
        os.remove(path)
    tail = OutputTail(OUTPUT)
    live = set()  # fleet processes with a record written by the current run

    def all_live():
        for row in tail.rows():
            if is_trailer(row):
                live.clear()
            else:
                live.add(row["fleet"])
        return len(live) == FLEET

    # The deadline only bounds a fleet the test failed to stop.
    fleet = [subprocess.Popen([PYTHON, os.path.join(HERE, "fleet.py"), str(i), str(PORT),
                               str(4 * TIMEOUT)], stdout=subprocess.PIPE,
                              preexec_fn=lctest.die_with_parent) for i in range(FLEET)]
    unit = "logcatcherd.service"
    restarts, stops = [], []
    try:
        wait_until(all_live, TIMEOUT, "records from every fleet process")
        for _ in range(RESTARTS):
            pid = show(unit, "MainPID")
            # Else the start rate limit (5 starts in 10 s) refuses the 6th.
            systemctl("reset-failed", unit)
            t = time.monotonic()
            systemctl("restart", unit)  # returns once the new daemon is ready
            restarts.append(time.monotonic() - t)
            assert show(unit, "MainPID") != pid
            stops.append(last_stop_seconds(unit))
            # Every process has reconnected before the next stop.
            wait_until(all_live, TIMEOUT, "records from every fleet process after a restart")
    finally:
        for p in fleet:
            p.terminate()
        results = [json.loads(p.communicate(timeout=TIMEOUT)[0]) for p in fleet]
    systemctl("stop", unit)
    assert show(unit, "Result") == "success"

    rows = read_jsonl(OUTPUT)
    records, trailers = records_and_trailers(rows)
    assert is_trailer(rows[-1]), rows[-1]
    assert len(trailers) == RESTARTS + 1 and sum(trailers) == len(records), trailers
    written = collections.Counter((r["fleet"], r["seq"]) for r in records)
    sent = {(r["fleet"], seq) for r in results for seq in r["ok"]}
    lost = sent - set(written)
    duplicated = sum(n - 1 for n in written.values())
    unsent = set(written) - sent  # written although sendall failed
    resets = sum(r["failed"] for r in results)  # a client's send failed: it saw the reset
    print("fleet: %d processes, %d records logged, %d sent OK, %d written, %d lost, "
          "%d duplicated, %d written unsent; SocketHandler dropped %d (sendall failed) "
          "and %d (not connected)"
          % (FLEET, sum(r["logged"] for r in results), len(sent), len(records), len(lost),
             duplicated, len(unsent), resets, sum(r["unconnected"] for r in results)))
    print("restarts (s): " + " ".join("%.2f" % t for t in restarts))
    print("stops (s): " + " ".join("%.2f" % t for t in stops))
    assert not duplicated and not unsent
    # What the reset cannot save is what a client sends while the reset is on
    # its way: the send in progress, and what our last ACK releases from its
    # Nagle buffer. So a lost record is one of the last a client sent before
    # it saw the reset, never a gap, and rare (before the drain flushed its
    # ACK, ~10 per reset were lost behind a delayed ACK).
    for r in results:
        ok = set(r["ok"])
        path = "".join("f" if seq not in ok else "l" if (r["fleet"], seq) in lost else "w"
                       for seq in range(r["logged"]))
        gap = re.search(r"l+(?![lf])", path)
        assert not gap, "process %d lost %d records from seq %d, not before a reset" % (
            r["fleet"], len(gap.group(0)), gap.start())
    assert len(lost) <= resets, (len(lost), resets)
    print("fleet scenario: %.1fs" % (time.monotonic() - started))


def watchdog_scenario(manager):
    started = time.monotonic()
    fifo = LOG_DIR + "/wedge.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # never reads
    try:
        write(UNIT_DIR + "/logcatcherd.service.d/20-wedge.conf", WEDGE_DROPIN)
        systemctl("daemon-reload")
        with socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT) as s:
            s.sendall(b"".join(json_frame({"msg": "wedge %d" % i, "pad": "x" * 1000})
                               for i in range(600)))  # ~600 KB > the pipe
        wait_until(lambda: show("logcatcherd.service", "Result") == "watchdog", TIMEOUT,
                   "Result=watchdog", 0.05)
        wait_until(lambda: show("logcatcherd.service", "NRestarts") == "1", TIMEOUT,
                   "the service to be restarted", 0.1)
        wait_until(lambda: show("logcatcherd.service", "ActiveState") == "active", TIMEOUT,
                   "the restarted service")
        # Unwedge (drain the FIFO) so the restarted daemon can stop cleanly.
        while True:
            try:
                if not os.read(reader, 1 << 16):
                    break
            except BlockingIOError:
                break
        systemctl("stop", "logcatcherd.service")
        assert show("logcatcherd.service", "Result") == "success"
    finally:
        os.close(reader)
    print("watchdog scenario: %.1fs" % (time.monotonic() - started))


def inside(root):
    pid1_cgroup = open("/proc/1/cgroup").read()
    setup_namespace(root)
    cgroups = Cgroups()
    manager = None
    try:
        manager = Manager()
        scenario(manager)
        fleet_scenario(manager)
        watchdog_scenario(manager)
        systemctl("stop", "logcatcherd.socket")
    except BaseException:
        for name in ("manager.log", "daemon.log"):
            if os.path.exists(os.path.join(WORK, name)):
                print("--- %s" % name)
                print(open(os.path.join(WORK, name)).read()[-6000:])
        raise
    finally:
        if manager:
            manager.stop()
        cgroups.remove()
        assert open("/proc/1/cgroup").read() == pid1_cgroup, "/proc/1/cgroup changed"
    return 0


def outside():
    if os.geteuid() != 0:
        print("skipped: needs root (mount and cgroup namespaces)")
        return SKIP
    for tool in ("unshare", "dpkg-buildpackage", "logrotate", "ip", SYSTEMD):
        if not shutil.which(tool):
            print("skipped: %s not installed" % tool)
            return SKIP
    started = time.monotonic()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    debs = run("sh", os.path.join(PACKAGING, "build-deb.sh"), WORK + "/deb",
               timeout=600).stdout.split()
    deb = [d for d in debs if re.search(r"/logcatcher_[^/]*\.deb$", d)][0]
    root = WORK + "/root"
    run("dpkg-deb", "-x", deb, root)
    print("built %s: %.1fs" % (os.path.basename(deb), time.monotonic() - started))
    env = dict(os.environ, LC_MANAGER_INSIDE=root, LC_MANAGER_WORK=WORK)
    r = subprocess.run(["unshare", "-m", "-n", "--propagation", "private", PYTHON,
                        os.path.abspath(__file__)], env=env, timeout=240)
    print("total: %.1fs" % (time.monotonic() - started))
    return r.returncode


if __name__ == "__main__":
    if os.environ.get("LC_MANAGER_INSIDE"):
        sys.exit(inside(os.environ["LC_MANAGER_INSIDE"]))
    sys.exit(outside())
