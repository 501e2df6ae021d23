"""NATS down when the daemon starts: records pile up in the output file,
/healthz stays 200 and its body says how far behind, /metrics shows the lag
and the forwarder disconnected; the cluster comes up and the stream catches
up, exactly once and in file order; then the lag is 0."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsctl  # noqa: E402
from natsctl import Cluster, nats_daemon, wait_until  # noqa: E402

RECORDS = 20000


def test_nats_down_at_start_then_up():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        c.stop()
        with nats_daemon(c, "--metrics-listen", "127.0.0.1:0") as d:
            port = natsctl.metrics_port(d)
            natsctl.run_flood(d.port, RECORDS, connections=4, size=100)
            d.wait_lines(RECORDS)
            m = wait_until(lambda: (lambda m: m["logcatcher_forward_lag_records"] == RECORDS
                                    and m)(natsctl.metrics(port)),
                           what="the lag gauge to count every line")
            assert m["logcatcher_forward_connected"] == 0, m
            assert m["logcatcher_forward_acked_total"] == 0, m
            assert m["logcatcher_forward_lag_bytes"] == os.path.getsize(d.output), m
            status, body = natsctl.http_get(port, "/healthz")
            assert status == 200, (status, body)
            assert re.search(r"\b%d lines\b" % RECORDS, body), body
            assert "disconnected" in body, body
            assert d.proc.poll() is None
            c.start()
            c.wait_count(RECORDS, timeout=120)
            m = natsctl.wait_caught_up(port, RECORDS)
            assert m["logcatcher_forward_lag_seconds"] == 0, m
            status, body = natsctl.http_get(port, "/healthz")
            assert status == 200 and re.search(r"\b0 lines\b", body), (status, body)
            assert d.stop() == 0, d.log()
        msgs = c.dump()
    assert natsctl.check_exactly_once(msgs, [d.output], ordered=True) == RECORDS


if __name__ == "__main__":
    natsctl.run_tests(globals())
