"""The forwarder on a healthy 3-node cluster: 200,000 records from the load
generator reach the R3 stream exactly once, in file order, each message's
data its line; /metrics counts them and the lag drops to 0; nats_batch puts
up to K lines in a message; a subject template takes a record's field with
the characters a subject cannot hold replaced by '_'."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsctl  # noqa: E402
from natsctl import Cluster, nats_daemon  # noqa: E402
from lctest import json_frame  # noqa: E402

RECORDS = 200000


def test_200k_records_exactly_once_in_order():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        with nats_daemon(c, "--metrics-listen", "127.0.0.1:0") as d:
            port = natsctl.metrics_port(d)
            natsctl.run_flood(d.port, RECORDS, connections=4, size=100)
            d.wait_lines(RECORDS)
            c.wait_count(RECORDS, timeout=120)
            m = natsctl.wait_caught_up(port, RECORDS)
            for name in natsctl.FWD_COUNTERS + natsctl.FWD_GAUGES:
                assert name in m, (name, sorted(k for k in m if "forward" in k))
            assert m["logcatcher_forward_published_total"] == RECORDS, m
            assert m["logcatcher_forward_lag_bytes"] == 0, m
            assert m["logcatcher_forward_connected"] == 1, m
            for name in ("skipped", "files_lost"):
                assert m["logcatcher_forward_%s_total" % name] == 0, m
            assert d.stop() == 0, d.log()
        assert c.count() == RECORDS
        msgs = c.dump(timeout=120)
    assert len(msgs) == RECORDS
    assert natsctl.check_exactly_once(msgs, [d.output], ordered=True) == RECORDS
    # One line a message, without its '\n'; every record has the same name.
    assert not any(m.data.endswith(b"\n") for m in msgs)
    name = json.loads(msgs[0].data)["name"]
    assert {m.subject for m in msgs} == {"logs." + subject_token(name)}, msgs[0]


def subject_token(value):
    """A field's value as one subject token: '_' for what a token cannot
    hold (whitespace and control characters, '.', '*', '>')."""
    return "".join("_" if ch <= " " or ch in ".*>" or ch == "\x7f" else ch for ch in value)


def test_batches_of_up_to_k_lines():
    n, k = 5000, 50
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        with nats_daemon(c, "--nats-batch", str(k), "--metrics-listen", "127.0.0.1:0") as d:
            port = natsctl.metrics_port(d)
            natsctl.run_flood(d.port, n, connections=2, size=50)
            d.wait_lines(n)
            natsctl.wait_caught_up(port, n)
            assert d.stop() == 0, d.log()
        msgs = c.dump()
    assert natsctl.check_exactly_once(msgs, [d.output], ordered=True, max_lines=k) == n
    # Batched: far fewer messages than lines (a batch is cut short only
    # when the forwarder reaches the end of what is written).
    assert n / k <= len(msgs) < n / 2, len(msgs)


def test_subject_from_a_field():
    services = ["web-1", "a b*c>d\te", "dotted.name"]
    with Cluster(1) as c:
        c.create_stream(subjects="logs.>", replicas=1)
        with nats_daemon(c, subject="logs.{svc}.{app}") as d:
            s = d.connect()
            s.sendall(b"".join(json_frame({"svc": h, "app": "api", "seq": i})
                               for i, h in enumerate(services)))
            s.close()
            d.wait_lines(len(services))
            c.wait_count(len(services))
            assert d.stop() == 0, d.log()
        msgs = c.dump()
    natsctl.check_exactly_once(msgs, [d.output])
    assert [m.subject for m in msgs] == ["logs.web-1.api", "logs.a_b_c_d_e.api",
                                         "logs.dotted_name.api"], msgs


if __name__ == "__main__":
    natsctl.run_tests(globals())
