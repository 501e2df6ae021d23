"""Five rotations (rename the output, SIGHUP) while the forwarder publishes:
every line of every file reaches the stream exactly once, in file order."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsctl  # noqa: E402
from natsctl import Cluster, nats_daemon  # noqa: E402
from lctest import count_lines  # noqa: E402

RECORDS = 50000


def test_five_rotations_during_forwarding():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        with nats_daemon(c, "--metrics-listen", "127.0.0.1:0") as d:
            port = natsctl.metrics_port(d)
            flood = natsctl.spawn_flood(d.port, RECORDS, connections=4, size=100, rate=10000)
            rotated = []
            try:
                for n in range(5):
                    d.wait_lines(RECORDS // 10)
                    path = "%s.%d" % (d.output, n)
                    os.rename(d.output, path)
                    rotated.append(path)
                    d.send_signal(signal.SIGHUP)
                    d.wait_log(r"reopened ", count=n + 1)
                    assert flood.poll() is None, "the load ended before rotation %d" % n
                natsctl.finish_flood(flood, RECORDS)
            finally:
                natsctl.stop_process(flood)
            files = rotated + [d.output]
            natsctl.wait_until(lambda: sum(map(count_lines, files)) == RECORDS,
                               what="%d lines in the files" % RECORDS)
            c.wait_count(RECORDS, timeout=120)
            natsctl.wait_caught_up(port, RECORDS)
            assert d.stop() == 0, d.log()
        msgs = c.dump()
    assert natsctl.check_exactly_once(msgs, files, ordered=True) == RECORDS


if __name__ == "__main__":
    natsctl.run_tests(globals())
