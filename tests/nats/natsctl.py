"""NATS test harness: real nats-server processes on free loopback ports.

Cluster(size=3) writes one config file per node (client, cluster and
monitoring ports each chosen free on 127.0.0.1, a JetStream store dir in a
temporary directory, routes to every node), starts the servers, and waits
until every running node reports healthy and agrees on a JetStream meta
leader. Nodes can be SIGKILLed and restarted on the same ports and store,
paused with SIGSTOP and resumed with SIGCONT. Leaving the context stops
every server by PID; die_with_parent kills them if the test itself dies.

The stream is read back with lc_nats_tool (tests/nats/lc_nats_tool.c, built
with the tests): create-stream, count, info, dump, publish.

Also here: a test CA made with openssl (make_tls), the daemon started with
the forwarder's options (nats_daemon), and the exactly-once check of a stream
against the output files (check_exactly_once). Every wait polls with a
deadline; nothing sleeps a fixed time to synchronise.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import lctest  # noqa: E402
from lctest import die_with_parent, wait_until  # noqa: E402

NATS_SERVER = os.environ.get("NATS_SERVER") or shutil.which("nats-server") or \
    "/usr/sbin/nats-server"
LC_NATS_TOOL = os.environ.get("LC_NATS_TOOL", "lc_nats_tool")
TIMEOUT = lctest.DEFAULT_TIMEOUT
STREAM = "LOGS"
SUBJECTS = "logs.>"
SUBJECT_TEMPLATE = "logs.{name}"
TRAILER_PREFIX = b'{"lines_collected": '


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (held open together while
    choosing, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def require_tools():
    """Fail clearly (not skip) when what these tests need is missing:
    scripts/dev deps installs it."""
    for path in (NATS_SERVER, LC_NATS_TOOL):
        if shutil.which(path) is None:
            raise AssertionError("%s not found: run scripts/dev deps (packaging/build-deps.txt)"
                                 % path)


class TLSFiles:
    """A CA, a server certificate for 127.0.0.1 and localhost, and a client
    certificate, all made by openssl in directory (nothing is committed)."""

    def __init__(self, directory):
        self.dir = directory
        p = lambda name: os.path.join(directory, name)  # noqa: E731
        self.ca, self.ca_key = p("ca.pem"), p("ca.key")
        self.server_cert, self.server_key = p("server.pem"), p("server.key")
        self.client_cert, self.client_key = p("client.pem"), p("client.key")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        self._openssl("req", "-x509", *ec, "-keyout", self.ca_key, "-out", self.ca,
                      "-days", "2", "-subj", "/CN=logcatcher test CA",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._leaf("server", self.server_cert, self.server_key,
                   "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        self._leaf("client", self.client_cert, self.client_key,
                   "extendedKeyUsage=clientAuth\n")

    def _openssl(self, *args):
        proc = subprocess.run(["openssl", *args], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT, cwd=self.dir)
        assert proc.returncode == 0, "openssl %s: %s" % (args[0], proc.stderr.decode())

    def _leaf(self, name, cert, key, extensions):
        csr = os.path.join(self.dir, name + ".csr")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write(extensions)
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + name)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                      "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)


def make_tls(directory=None):
    return TLSFiles(directory or tempfile.mkdtemp(prefix="lcnats-tls-"))


class Node:
    """One nats-server process: its config file, log file and store dir."""

    def __init__(self, cluster, name, ports):
        self.cluster = cluster
        self.name = name
        self.client_port, self.cluster_port, self.http_port = ports
        self.store = os.path.join(cluster.dir, name)
        self.conf = os.path.join(cluster.dir, name + ".conf")
        self.logfile = os.path.join(cluster.dir, name + ".log")
        self.proc = None
        self.paused = False
        self.wanted = False  # started and not since stopped by the test

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.client_port

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def write_config(self):
        c = self.cluster
        lines = ["server_name: %s" % self.name,
                 "listen: 127.0.0.1:%d" % self.client_port,
                 "http: 127.0.0.1:%d" % self.http_port,
                 # Small fixed limits: the default takes 75% of the disk and
                 # memory of the machine for every node.
                 "jetstream { store_dir: %s, max_memory_store: 256MB, max_file_store: 4GB }"
                 % json.dumps(self.store)]
        if len(c.nodes) > 1:
            routes = ", ".join("nats-route://127.0.0.1:%d" % n.cluster_port for n in c.nodes)
            lines.append("cluster { name: %s, listen: 127.0.0.1:%d, routes: [%s] }"
                         % (c.name, self.cluster_port, routes))
        if c.token is not None:
            lines.append("authorization { token: %s }" % json.dumps(c.token))
        if c.user is not None:
            lines.append("authorization { user: %s, password: %s }"
                         % (json.dumps(c.user), json.dumps(c.password)))
        if c.tls is not None:
            lines.append("tls { cert_file: %s, key_file: %s, ca_file: %s, verify: %s }"
                         % (json.dumps(c.tls.server_cert), json.dumps(c.tls.server_key),
                            json.dumps(c.tls.ca), "true" if c.tls_verify else "false"))
        lines += c.extra_config
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        assert not self.running(), "%s is already running" % self.name
        log = open(self.logfile, "ab")
        try:
            self.proc = subprocess.Popen([NATS_SERVER, "-c", self.conf],
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        finally:
            log.close()
        self.paused = False
        self.wanted = True
        return self

    def kill(self, sig=signal.SIGKILL):
        """Send sig (SIGKILL by default) and wait for the process to end."""
        self.wanted = False
        if not self.running():
            return
        self.proc.send_signal(sig)
        if self.paused:
            self.proc.send_signal(signal.SIGCONT)
        try:
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("%s did not stop on signal %d" % (self.name, sig))
        finally:
            self.paused = False

    def stop(self):
        """A clean shutdown (SIGTERM)."""
        self.kill(signal.SIGTERM)

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def monitor(self, path, timeout=2):
        """The monitoring endpoint's JSON answer, or None if it does not answer."""
        url = "http://127.0.0.1:%d/%s" % (self.http_port, path)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            try:
                return json.loads(e.read())
            except ValueError:
                return None
        except (OSError, ValueError):
            return None

    def healthy(self):
        h = self.monitor("healthz")
        return h is not None and h.get("status") == "ok"

    def meta_leader(self):
        jsz = self.monitor("jsz")
        if jsz is None:
            return None
        if len(self.cluster.nodes) == 1:
            return self.name if "config" in jsz else None
        return (jsz.get("meta_cluster") or {}).get("leader") or None

    def streams(self):
        """{name: stream detail} as this node sees them."""
        jsz = self.monitor("jsz?accounts=true&streams=true")
        out = {}
        for acc in (jsz or {}).get("account_details") or []:
            for s in acc.get("stream_detail") or []:
                out[s["name"]] = s
        return out

    def log(self):
        with open(self.logfile, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def __repr__(self):
        return "<Node %s pid=%s client=%d>" % (self.name, self.proc and self.proc.pid,
                                                 self.client_port)


class Msg:
    """A message read back from the stream: seq, subject, id (its
    Nats-Msg-Id header or None) and data (bytes)."""
    __slots__ = ("seq", "subject", "id", "data")

    def __init__(self, seq, subject, id, data):
        self.seq, self.subject, self.id, self.data = seq, subject, id, data

    def __repr__(self):
        return "<Msg %d %s id=%r %r>" % (self.seq, self.subject, self.id, self.data[:80])


class Cluster:
    """size nats-server nodes with JetStream (size 1: a single server, no
    cluster block). token: authorization { token }; tls: a TLSFiles, every
    client connection must use TLS (tls_verify: and show a client
    certificate)."""

    def __init__(self, size=3, token=None, user=None, password=None, tls=None,
                 tls_verify=False, extra_config=(), name="lctest", directory=None):
        require_tools()
        self.dir = directory or tempfile.mkdtemp(prefix="lcnats-")
        self.name = name
        self.token = token
        self.user, self.password = user, password
        self.tls = tls
        self.tls_verify = tls_verify
        self.extra_config = list(extra_config)
        ports = free_ports(3 * size)
        self.nodes = []
        for i in range(size):
            self.nodes.append(Node(self, "n%d" % (i + 1), ports[3 * i:3 * i + 3]))
        for n in self.nodes:
            n.write_config()

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- processes

    def start(self, timeout=TIMEOUT):
        for n in self.nodes:
            if not n.running():
                n.start()
        self.wait_ready(timeout)
        return self

    def stop(self):
        """Stop every node by PID (SIGTERM, then SIGKILL if it lingers)."""
        errors = []
        for n in self.nodes:
            try:
                n.stop()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, errors

    def kill_all(self):
        for n in self.nodes:
            n.kill()

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def running(self):
        return [n for n in self.nodes if n.running() and not n.paused]

    @property
    def servers(self):
        """The nats_servers value: every node's client URL, comma-separated."""
        return ",".join(n.url for n in self.nodes)

    def wait_ready(self, timeout=TIMEOUT):
        """Every running node is healthy (JetStream current) and they all
        name the same meta leader, itself a running node."""
        def ready():
            up = self.running()
            if not up or not all(n.healthy() for n in up):
                return None
            leaders = {n.meta_leader() for n in up}
            if len(leaders) != 1 or None in leaders:
                return None
            leader = leaders.pop()
            return leader if leader in {n.name for n in up} else None
        def ready_or_dead():
            for n in self.nodes:
                if n.wanted and not n.running():
                    raise AssertionError("%s exited with %d:\n%s"
                                         % (n.name, n.proc.returncode, n.log()[-3000:]))
            return ready()
        return wait_until(ready_or_dead, timeout, "a JetStream meta leader in %s (%s)"
                          % (self.name, self.nodes), interval=0.05)

    # -- streams

    def stream_leader(self, stream=STREAM, timeout=TIMEOUT, exclude=()):
        """The node that leads the stream, as the running nodes agree (and
        not one of exclude: for waiting on a new leader)."""
        def leader():
            names = set()
            for n in self.running():
                s = n.streams().get(stream)
                if s is None or len(self.nodes) == 1:
                    names.add(n.name if s is not None else None)
                else:
                    names.add((s.get("cluster") or {}).get("leader"))
            if len(names) != 1:
                return None
            name = names.pop()
            if name is None or name in [e.name for e in exclude]:
                return None
            node = self.node(name)
            return node if node.running() else None
        return wait_until(leader, timeout, "a leader of stream %s" % stream, interval=0.05)

    def stream_followers(self, stream=STREAM):
        leader = self.stream_leader(stream)
        return [n for n in self.nodes if n is not leader]

    @contextlib.contextmanager
    def without_quorum(self, stream=STREAM):
        """The stream's followers paused while inside: its leader takes
        publishes but cannot ack them (no majority), so nothing is stored
        until they resume."""
        followers = self.stream_followers(stream)
        for n in followers:
            n.pause()
        try:
            yield followers
        finally:
            for n in followers:
                n.resume()

    def wait_stream_current(self, stream=STREAM, timeout=TIMEOUT):
        """Every replica of the stream has every message (after a node came
        back): the leader says each replica is current with no lag, and each
        running node's own /jsz holds the leader's messages and last
        sequence (a restarted follower can be called current a while before
        it has caught up; a consumer placed on it would miss messages)."""
        def current():
            info = self.info(stream, check=False)
            if info is None or not info["leader"]:
                return None
            if not all(r["current"] and not r["offline"] and r["lag"] == 0
                       for r in info["replicas"]):
                return None
            for n in self.running():
                s = n.streams().get(stream)
                if s is None or (s["state"]["messages"], s["state"]["last_seq"]) != \
                        (info["messages"], info["last_seq"]):
                    return None
            return info
        return wait_until(current, timeout, "every replica of %s current" % stream,
                          interval=0.1)

    # -- lc_nats_tool

    def tool_args(self, node=None):
        n = node or self.running()[0]
        args = [LC_NATS_TOOL, "-s", n.url]
        if self.token is not None:
            args += ["--token", self.token]
        if self.user is not None:
            args += ["--user", self.user, "--password", self.password]
        if self.tls is not None:
            args += ["--tls-ca", self.tls.ca]
            if self.tls_verify:
                args += ["--tls-cert", self.tls.client_cert, "--tls-key", self.tls.client_key]
        return args

    def tool(self, *args, check=True, timeout=TIMEOUT, node=None):
        """Run lc_nats_tool; its stdout (bytes), or None if it failed and
        check is False."""
        proc = subprocess.run(self.tool_args(node) + [str(a) for a in args],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        if proc.returncode != 0:
            if check:
                raise AssertionError("lc_nats_tool %s: exit %d: %s"
                                     % (" ".join(map(str, args)), proc.returncode,
                                        proc.stderr.decode()))
            return None
        return proc.stdout

    def create_stream(self, stream=STREAM, subjects=SUBJECTS, replicas=None, duplicates=120,
                      update=False):
        """Create the stream (or, with update, change the one there)."""
        replicas = len(self.nodes) if replicas is None else replicas
        command = "update-stream" if update else "create-stream"
        out = json.loads(self.tool(command, stream, subjects, replicas, duplicates))
        assert out == {"stream": stream, "replicas": replicas}, out
        return out

    def delete_stream(self, stream=STREAM):
        self.tool("delete-stream", stream)

    def count(self, stream=STREAM, check=True, node=None):
        out = self.tool("count", stream, check=check, node=node)
        return None if out is None else int(out)

    def info(self, stream=STREAM, check=True):
        out = self.tool("info", stream, check=check)
        return None if out is None else json.loads(out)

    def publish(self, subject, msgid, data):
        return json.loads(self.tool("publish", subject, msgid, data))

    def dump(self, stream=STREAM, timeout=TIMEOUT, node=None):
        """Every message in the stream, in stream order, as Msg. In a
        cluster, once every replica has every message (see
        wait_stream_current)."""
        if len(self.nodes) > 1:
            self.wait_stream_current(stream, timeout)
        out = self.tool("dump", stream, timeout=timeout, node=node)
        msgs = []
        for raw in out.split(b"\n")[:-1]:
            row = lctest.strict_loads(raw.decode("utf-8", "surrogateescape"))
            data = row["data"].encode("utf-8", "surrogateescape")
            msgs.append(Msg(row["seq"], row["subject"], row["id"], data))
        return msgs

    def wait_count(self, n, stream=STREAM, timeout=TIMEOUT, what=None):
        """Wait until the stream holds at least n messages; fail at once if
        it holds more than n. Returns the count."""
        last = [None]

        def reached():
            c = self.count(stream, check=False)
            if c is not None:
                last[0] = c
                assert c <= n, "stream %s holds %d messages, more than the %d expected" \
                    % (stream, c, n)
            return c is not None and c >= n
        try:
            wait_until(reached, timeout, what or "%d messages in %s" % (n, stream),
                       interval=0.2)
        except AssertionError as e:
            raise AssertionError("%s (last count %s)" % (e, last[0])) from None
        return last[0]

    def wait_at_least(self, n, stream=STREAM, timeout=TIMEOUT):
        """Wait until the stream holds at least n messages (progress);
        returns the count."""
        last = [0]

        def reached():
            last[0] = self.count(stream, check=False) or last[0]
            return last[0] >= n
        wait_until(reached, timeout, "at least %d messages in %s" % (n, stream), interval=0.1)
        return last[0]


# -- the daemon and its output


def nats_daemon(cluster, *args, state=None, subject=SUBJECT_TEMPLATE, stream=STREAM,
                servers=None, token=None, **kw):
    """A lctest.Daemon forwarding to the cluster (its servers, token or user
    and CA; token= overrides the cluster's) with the checkpoint in state
    (default: beside the output)."""
    fwd = ["--nats-servers", servers or cluster.servers, "--nats-subject", subject,
           "--nats-stream", stream]
    token = token if token is not None else cluster.token
    if token is not None:
        fwd += ["--nats-token", token]
    if cluster.user is not None:
        fwd += ["--nats-user", cluster.user, "--nats-password", cluster.password]
    if cluster.tls is not None:
        fwd += ["--nats-tls-ca", cluster.tls.ca]
        if cluster.tls_verify:
            fwd += ["--nats-tls-cert", cluster.tls.client_cert,
                    "--nats-tls-key", cluster.tls.client_key]
    d = lctest.Daemon(*fwd, *args, **kw)
    d.state = state or os.path.join(d.workdir, "forward.state")
    d.args += ["--forward-state", d.state]
    return d


def is_trailer(line):
    return line.startswith(TRAILER_PREFIX) and line.endswith(b"}")


def file_lines(paths):
    """The record lines of output files, in order, without their '\\n' and
    without trailers (each file may end with one, nowhere else)."""
    lines = []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        assert not data or data.endswith(b"\n"), "%s ends inside a line" % path
        rows = data.split(b"\n")[:-1]
        for i, line in enumerate(rows):
            if is_trailer(line):
                # A restarted daemon appends after the trailer of the one before.
                assert i == len(rows) - 1 or not is_trailer(rows[i + 1]), \
                    "two trailers in a row in %s" % path
                continue
            lines.append(line)
    return lines


def message_lines(msgs):
    """[(msg, [lines])]: the lines each message carries. A message is its
    lines each ended by '\\n' or, for one line, the line alone; every
    message must be written the same way."""
    with_newline = {m.data.endswith(b"\n") for m in msgs}
    assert len(with_newline) <= 1, "some messages end with a newline, some do not"
    out = []
    for m in msgs:
        data = m.data[:-1] if m.data.endswith(b"\n") else m.data
        out.append((m, data.split(b"\n")))
    return out


def check_exactly_once(msgs, paths, ordered=True, subject_prefix="logs.", max_lines=1):
    """The stream holds every record line of the files exactly once: each
    message has a Nats-Msg-Id, no id repeats, the lines the messages carry
    are the files' lines (each at most max_lines to a message), none
    missing, none twice, and with ordered in file order. The test's records
    are all different, so a line's content identifies it."""
    lines = file_lines(paths)
    assert len(set(lines)) == len(lines), "the test wrote the same record twice"
    assert lines, "no record lines in %s" % paths
    ids = [m.id for m in msgs]
    assert None not in ids, "a message without Nats-Msg-Id: %r" % msgs[ids.index(None)]
    if len(set(ids)) != len(ids):
        seen, dups = set(), []
        for i in ids:
            if i in seen:
                dups.append(i)
            seen.add(i)
        raise AssertionError("%d message ids repeat, e.g. %r" % (len(dups), dups[:5]))
    carried = []
    for m, ls in message_lines(msgs):
        assert 1 <= len(ls) <= max_lines, "message %d carries %d lines" % (m.seq, len(ls))
        assert m.subject.startswith(subject_prefix), m
        carried += ls
    if len(carried) != len(set(carried)) or set(carried) != set(lines):
        have, want = set(carried), set(lines)
        missing = [ln for ln in lines if ln not in have]
        extra = [ln for ln in have if ln not in want]
        raise AssertionError(
            "stream vs files: %d lines in the files, %d carried by %d messages; "
            "%d missing (first %r), %d not in the files (first %r), %d carried twice"
            % (len(lines), len(carried), len(msgs), len(missing), missing[:1], len(extra),
               extra[:1], len(carried) - len(have)))
    if ordered:
        first = next((i for i, (a, b) in enumerate(zip(carried, lines)) if a != b), None)
        assert first is None, "stream order differs from file order at line %d" % first
    return len(lines)


# -- the load generator


def flood_args(port, records, connections=4, size=100, rate=None):
    args = [lctest.LOGCATCHER_CLIENT, "-p", str(port), "--json", "--flood", "--records",
            str(records), "--connections", str(connections), "--size", str(size)]
    if rate is not None:
        args += ["--rate", str(rate)]
    return args


def spawn_flood(port, records, **kw):
    """The bundled load generator in the background (stop it with
    finish_flood, or kill it in a finally)."""
    return subprocess.Popen(flood_args(port, records, **kw), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=die_with_parent)


def finish_flood(proc, records, timeout=TIMEOUT):
    """Wait for a flood to end; check it sent every record; its summary."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the load generator did not finish within %.0fs" % timeout)
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 1, lines
    s = json.loads(lines[0])
    assert (s["records_sent"], s["records_dropped"]) == (records, 0), s
    return s


def run_flood(port, records, timeout=TIMEOUT, **kw):
    return finish_flood(spawn_flood(port, records, **kw), records, timeout)


def stop_process(proc):
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.communicate()


# -- the daemon's metrics endpoint

METRICS_RE = r"metrics on http://(\S+):(\d+)"


def metrics_port(d):
    return int(d.wait_log(METRICS_RE, what="the metrics address").group(2))


def http_get(port, path, timeout=10):
    """(status, body text) of GET 127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                    timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metrics(port):
    """{'name{labels}': value} of every sample of /metrics."""
    status, body = http_get(port, "/metrics")
    assert status == 200, (status, body)
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


# The forwarder's counters and gauges (daemon/base/stats.h, ops/metrics_text.h).
FWD_COUNTERS = ["logcatcher_forward_%s_total" % n for n in
                ("published", "acked", "duplicates", "retried", "failed", "skipped",
                 "files_lost")]
FWD_GAUGES = ["logcatcher_forward_lag_records", "logcatcher_forward_lag_bytes",
              "logcatcher_forward_lag_seconds", "logcatcher_forward_connected"]


def wait_caught_up(port, lines, timeout=TIMEOUT):
    """Wait until the daemon says JetStream acked every line: lag 0 and
    lines acked. Returns the samples."""
    def caught_up():
        m = metrics(port)
        return m.get("logcatcher_forward_lag_records") == 0 and \
            m.get("logcatcher_forward_acked_total") == lines and m
    return wait_until(caught_up, timeout, "the forwarder to have %d lines acked, lag 0"
                      % lines, interval=0.2)


def run_tests(namespace):
    """Run a test file's test_* functions in name order (or those named on
    the command line), printing one line each."""
    tests = sorted((name, fn) for name, fn in namespace.items()
                   if name.startswith("test_") and callable(fn))
    only = sys.argv[1:]
    unknown = set(only) - {name for name, _ in tests}
    assert not unknown, "no such test: %s" % sorted(unknown)
    for name, fn in tests:
        if only and name not in only:
            continue
        t0 = time.monotonic()
        fn()
        print("ok %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)


def wait_caught_up_lag(port, timeout=TIMEOUT):
    """Wait until the forwarder is connected with nothing left to ack
    (after retries the acked counter may count a line more than once)."""
    def caught_up():
        m = metrics(port)
        return m.get("logcatcher_forward_lag_records") == 0 and \
            m.get("logcatcher_forward_lag_bytes") == 0 and \
            m.get("logcatcher_forward_connected") == 1 and m
    return wait_until(caught_up, timeout, "the forwarder to be caught up", interval=0.2)
