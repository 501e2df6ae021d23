"""JetStream refuses the forwarder's messages for a while (the stream's
subjects no longer take them: every publish comes back "no responders", as
when a stream has no leader). The forwarder backs off instead of
republishing in a loop, keeps the lines in the file, and once the stream
takes them again forwards every one exactly once. (Before, a refusal that
came back during a retry scan was forgotten and the window stalled for
good.)"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsctl  # noqa: E402
from natsctl import Cluster, nats_daemon, wait_until  # noqa: E402

RECORDS = 20000
WINDOW = 256
ROUNDS = 6  # refusals of the whole window to wait through
# forwarder_backoff: 100 ms doubling up to 5 s (LC_FWD_RETRY_MIN_MS, _MAX_MS).
BACKOFF_MS = [100, 200, 400, 800, 1600, 3200, 5000]


def test_refused_then_taken():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        with nats_daemon(c, "--metrics-listen", "127.0.0.1:0",
                         "--nats-max-pending", str(WINDOW)) as d:
            port = natsctl.metrics_port(d)
            # Connected (it checks the stream's subjects then), then refused.
            d.wait_log(r"forwarder: connected to NATS")
            c.create_stream(subjects="elsewhere.>", update=True)
            started = time.monotonic()
            natsctl.run_flood(d.port, RECORDS, connections=4, size=100)
            d.wait_lines(RECORDS)
            m = wait_until(lambda: (lambda m: m["logcatcher_forward_failed_total"]
                                    >= ROUNDS * WINDOW and m)(natsctl.metrics(port)),
                           what="the forwarder to be refused %d times" % (ROUNDS * WINDOW))
            elapsed_ms = (time.monotonic() - started) * 1000
            # A round only after its delay: at least the first ROUNDS - 1
            # delays passed, and no hot loop of retries.
            assert elapsed_ms >= sum(BACKOFF_MS[:ROUNDS - 1]), elapsed_ms
            assert m["logcatcher_forward_retried_total"] <= (ROUNDS + 2) * WINDOW, m
            assert m["logcatcher_forward_acked_total"] == 0, m
            assert m["logcatcher_forward_lag_records"] == RECORDS, m
            assert "no responders" in d.log().lower(), d.log()[-2000:]
            c.create_stream(update=True)
            c.wait_count(RECORDS)
            natsctl.wait_caught_up_lag(port)
            assert d.stop() == 0, d.log()
        msgs = c.dump()
    assert natsctl.check_exactly_once(msgs, [d.output], ordered=False) == RECORDS


if __name__ == "__main__":
    natsctl.run_tests(globals())
