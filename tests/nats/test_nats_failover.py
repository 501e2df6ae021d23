"""Broker failures under load: the stream leader, then a follower, are
SIGKILLed while the forwarder publishes, and restarted; the whole cluster
is killed mid-forwarding and restarted on its stores. The forwarder falls
behind and catches up; the stream holds every line exactly once."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsctl  # noqa: E402
from natsctl import Cluster, nats_daemon  # noqa: E402

RECORDS = 100000
RATE = 10000  # records/s: the load lasts about 10 s


def test_kill_stream_leader_then_follower_under_load():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        with nats_daemon(c, "--metrics-listen", "127.0.0.1:0") as d:
            port = natsctl.metrics_port(d)
            flood = natsctl.spawn_flood(d.port, RECORDS, connections=4, size=100, rate=RATE)
            try:
                at = c.wait_at_least(RECORDS // 10)
                leader = c.stream_leader()
                leader.kill()
                assert flood.poll() is None and at < RECORDS, "the load ended before the kill"
                c.stream_leader(exclude=[leader])
                # The forwarder goes on with the new leader.
                at = c.wait_at_least(at + RECORDS // 10)
                leader.start()
                c.wait_ready()
                follower = c.stream_followers()[0]
                follower.kill()
                assert flood.poll() is None and at < RECORDS, "the load ended before the kill"
                c.wait_at_least(at + RECORDS // 10)
                follower.start()
                c.wait_ready()
                natsctl.finish_flood(flood, RECORDS)
            finally:
                natsctl.stop_process(flood)
            d.wait_lines(RECORDS)
            c.wait_count(RECORDS, timeout=120)
            m = natsctl.wait_caught_up_lag(port)
            assert m["logcatcher_forward_published_total"] == RECORDS, m
            assert d.stop() == 0, d.log()
        msgs = c.dump(timeout=120)
    assert natsctl.check_exactly_once(msgs, [d.output], ordered=False) == RECORDS


def test_whole_cluster_killed_mid_forwarding():
    n = 40000
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        with nats_daemon(c, "--metrics-listen", "127.0.0.1:0") as d:
            port = natsctl.metrics_port(d)
            natsctl.run_flood(d.port, n, connections=4, size=100)
            d.wait_lines(n)
            at = c.wait_at_least(n // 10)
            c.kill_all()
            assert at < n, "forwarded everything before the kill"
            m = natsctl.wait_until(
                lambda: (lambda m: m["logcatcher_forward_connected"] == 0 and m)(
                    natsctl.metrics(port)), what="the forwarder to see the cluster gone")
            assert m["logcatcher_forward_lag_records"] > 0, m
            c.start()
            c.wait_count(n, timeout=120)
            natsctl.wait_caught_up_lag(port)
            assert d.stop() == 0, d.log()
        msgs = c.dump()
    assert natsctl.check_exactly_once(msgs, [d.output], ordered=False) == n


if __name__ == "__main__":
    natsctl.run_tests(globals())
