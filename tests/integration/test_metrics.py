"""The metrics endpoint (metrics_listen): Prometheus text that promtool and a
real Prometheus server accept, counters that agree with the output file,
/healthz following the writer, /clients, and the endpoint's own limits."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, StalledFifo, frame, json_frame, split_trailer, wait_until  # noqa: E402

METRICS_RE = r"metrics on http://(\S+):(\d+)"
MAX_CONNECTIONS = 32  # LC_METRICS_MAX_CONNECTIONS in daemon/base/limits.h


def metrics_daemon(*args, listen="127.0.0.1:0", **kw):
    return Daemon("--metrics-listen", listen, *args, **kw)


def metrics_port(d):
    return int(d.wait_log(METRICS_RE, what="the metrics address").group(2))


def request(port, path, method="GET", timeout=10):
    """(status, headers, body text) of one request to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        conn.close()


def parse_metrics(text):
    """{'name{labels}': value} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def scrape(port):
    status, headers, body = request(port, "/metrics")
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    return body


def listening_ports(pid):
    """TCP ports the process listens on (from /proc, no tools needed)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            m = re.match(r"socket:\[(\d+)\]", os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            continue
        if m:
            inodes.add(m.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in list(f)[1:]:
                cols = row.split()
                if cols[3] == "0A" and cols[9] in inodes:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MetricsTest(unittest.TestCase):
    def test_disabled_by_default(self):
        with Daemon() as d:
            self.assertEqual(listening_ports(d.proc.pid), {d.port})
            self.assertEqual(d.stop(), 0)
        self.assertNotIn("metrics on", d.log())

    def test_non_loopback_address_warns(self):
        with metrics_daemon(listen="0.0.0.0:0") as d:
            port = metrics_port(d)
            d.wait_log(r"metrics_listen 0\.0\.0\.0:0 is not a loopback address")
            self.assertEqual(listening_ports(d.proc.pid), {d.port, port})
            self.assertEqual(request(port, "/healthz")[:3:2], (200, "ok\n"))
            self.assertEqual(d.stop(), 0)

    def test_loopback_address_does_not_warn(self):
        with metrics_daemon() as d:
            metrics_port(d)
            self.assertEqual(d.stop(), 0)
        self.assertNotIn("not a loopback address", d.log())

    def test_counters_follow_records_and_pass_promtool(self):
        good, bad = 500, 3
        with metrics_daemon() as d:
            port = metrics_port(d)
            before = parse_metrics(scrape(port))
            self.assertEqual(before["logcatcher_records_received_total"], 0)
            self.assertEqual(before['logcatcher_build_info{version="0.1.0"}'], 1)
            data = b"".join(json_frame({"seq": i}) for i in range(good))
            data += b"".join(frame("{not json") for _ in range(bad)) + frame(b"")
            s = d.connect()
            s.sendall(data)
            d.wait_lines(good)
            text = wait_until(lambda: (lambda t: t if parse_metrics(t)[
                "logcatcher_records_received_total"] == good + bad else None)(scrape(port)),
                what="records_received to count every record")
            m = parse_metrics(text)
            self.assertEqual(m["logcatcher_records_written_total"], good)
            self.assertEqual(m['logcatcher_records_rejected_total{reason="json"}'], bad)
            self.assertEqual(m['logcatcher_frames_rejected_total{reason="empty"}'], 1)
            self.assertEqual(m["logcatcher_received_bytes_total"], len(data))
            self.assertEqual(m["logcatcher_connections_accepted_total"], 1)
            self.assertEqual(m["logcatcher_connections_active"], 1)
            self.assertGreaterEqual(m["logcatcher_write_seconds_count"], 1)
            self.assertEqual(m['logcatcher_write_seconds_bucket{le="+Inf"}'],
                             m["logcatcher_write_seconds_count"])
            self.promtool_check(text)
            self.check_clients(port, good + bad)
            s.close()
            wait_until(lambda: parse_metrics(scrape(port))["logcatcher_connections_active"] == 0,
                       what="the connection to close")
            written = parse_metrics(scrape(port))["logcatcher_records_written_total"]
            self.assertEqual(d.stop(), 0)
        records, trailer = split_trailer(d.records())
        self.assertEqual(len(records), written)
        self.assertEqual(trailer, written)

    def promtool_check(self, text):
        promtool = shutil.which("promtool")
        if promtool is None:
            print("SKIP promtool check: promtool not installed (Debian: prometheus)")
            return
        r = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())

    def check_clients(self, port, records):
        status, headers, body = request(port, "/clients")
        self.assertEqual((status, headers["Content-Type"]), (200, "application/json"))
        clients = json.loads(body)
        self.assertEqual((clients["total"], clients["shown"]), (1, 1))
        c = clients["clients"][0]
        self.assertTrue(c["peer"].startswith("127.0.0.1:"), c)
        self.assertEqual(c["records"], records)
        self.assertIsNotNone(c["last_record"])

    def test_routes_and_methods(self):
        with metrics_daemon() as d:
            port = metrics_port(d)
            self.assertEqual(request(port, "/nope")[0], 404)
            self.assertEqual(request(port, "/metrics/x")[0], 404)
            status, headers, _ = request(port, "/metrics", "POST")
            self.assertEqual((status, headers["Allow"]), (405, "GET, HEAD"))
            self.assertEqual(request(port, "/healthz", "DELETE")[0], 405)
            status, headers, body = request(port, "/metrics", "HEAD")
            self.assertEqual((status, body), (200, ""))
            self.assertGreater(int(headers["Content-Length"]), 1000)
            self.assertEqual(request(port, "/metrics?x=1")[0], 200)
            # The collector kept working throughout.
            s = d.connect()
            s.sendall(json_frame({"after": "http"}))
            d.wait_lines(1)
            s.close()
            self.assertEqual(d.stop(), 0)

    def test_connection_limit_pauses_accepting(self):
        with metrics_daemon() as d:
            port = metrics_port(d)
            idle = [lctest.connect(port) for _ in range(MAX_CONNECTIONS)]
            d.wait_log(r"metrics: %d connections open" % MAX_CONNECTIONS)
            with self.assertRaises(OSError):  # waits in the backlog
                request(port, "/healthz", timeout=1)
            # Records still flow while the endpoint is full.
            s = d.connect()
            s.sendall(json_frame({"while": "full"}))
            d.wait_lines(1)
            s.close()
            for c in idle:
                c.close()
            wait_until(lambda: self.healthy(port), what="/healthz after the idle ones closed")
            self.assertEqual(d.stop(), 0)

    @staticmethod
    def healthy(port):
        try:
            return request(port, "/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    def test_healthz_follows_a_stalled_writer(self):
        with StalledFifo() as fifo, metrics_daemon(output=fifo.path) as d:
            port = metrics_port(d)
            self.assertEqual(request(port, "/healthz")[:3:2], (200, "ok\n"))
            records = 2000  # ~400 KB: far more than the FIFO holds
            s = d.connect()
            s.sendall(b"".join(json_frame({"seq": i, "pad": "x" * 180})
                               for i in range(records)))
            status, body = wait_until(
                lambda: (lambda r: (r[0], r[2]) if r[0] == 503 else None)(
                    request(port, "/healthz")),
                what="/healthz to report the stalled writer")
            self.assertRegex(body, r"^writer stalled for \d+ s\n$")
            m = parse_metrics(scrape(port))
            self.assertGreater(m["logcatcher_writer_stalled_seconds"], 5)
            self.assertGreater(m["logcatcher_inflight_bytes"], 0)
            self.assertGreater(m["logcatcher_queue_batches"], 0)
            # Start reading: the writer drains and health comes back.
            fifo.drain()
            wait_until(lambda: request(port, "/healthz")[0] == 200,
                       what="/healthz to recover")
            s.close()
            self.assertEqual(d.stop(), 0)
            self.assertTrue(fifo.wait_eof())
            rows = fifo.records()
        self.assertEqual(len(rows), records + 1)
        self.assertEqual(rows[-1], {"lines_collected": records})

    def test_prometheus_server_scrapes(self):
        prometheus = shutil.which("prometheus")
        if prometheus is None:
            self.skipTest("prometheus is not installed (Debian package: prometheus)")
        records = 321
        with metrics_daemon() as d:
            port = metrics_port(d)
            s = d.connect()
            s.sendall(b"".join(json_frame({"seq": i}) for i in range(records)))
            d.wait_lines(records)
            s.close()
            with PrometheusServer(prometheus, port) as prom:
                wait_until(lambda: prom.query('up{job="logcatcher"}') == 1.0,
                           timeout=60, interval=0.2, what="Prometheus to scrape: up == 1")
                wait_until(lambda: prom.query("logcatcher_records_received_total") == records,
                           timeout=60, interval=0.2,
                           what="Prometheus to see %d records" % records)
                self.assertEqual(prom.query("logcatcher_records_written_total"), records)
            self.assertEqual(d.stop(), 0)


class PrometheusServer:
    """Debian's prometheus on 127.0.0.1 with a private config and data dir,
    scraping the daemon every second; always stopped on exit."""

    def __init__(self, binary, target_port):
        self.dir = tempfile.mkdtemp(prefix="lctest-prom-")
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: logcatcher\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % target_port)
        self.args = [binary, "--config.file=" + config,
                     "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                     "--web.listen-address=127.0.0.1:%d" % self.port]
        self.proc = None

    def __enter__(self):
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_until(self.ready, timeout=60, interval=0.2, what="Prometheus to be ready")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def ready(self):
        assert self.proc.poll() is None, "prometheus exited; log:\n" + open(
            os.path.join(self.dir, "prometheus.log")).read()
        try:
            return request(self.port, "/-/ready", timeout=2)[0] == 200
        except OSError:
            return False

    def query(self, expr):
        """The value of an instant query with one result, or None."""
        status, _, body = request(self.port, "/api/v1/query?query=" + urllib.parse.quote(expr))
        result = json.loads(body)["data"]["result"] if status == 200 else []
        return float(result[0]["value"][1]) if len(result) == 1 else None


if __name__ == "__main__":
    unittest.main(verbosity=2)
