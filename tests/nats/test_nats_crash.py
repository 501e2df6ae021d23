"""kill -9 of the daemon mid-forwarding, twice, each time restarted on the
same output and checkpoint, with new records after each restart: the
stream's de-duplication and the stable message ids leave every line in it
exactly once."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsctl  # noqa: E402
from natsctl import Cluster, nats_daemon  # noqa: E402

FIRST = 60000
LATER = 10000


def test_kill_9_mid_forwarding_and_restart():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        d = nats_daemon(c)
        state, output, workdir = d.state, d.output, d.workdir
        total = 0
        try:
            for n, records in enumerate((FIRST, LATER, LATER)):
                if n > 0:
                    d = nats_daemon(c, output=output, state=state, workdir=workdir)
                d.start()
                natsctl.run_flood(d.port, records, connections=4, size=100)
                total += records
                d.wait_lines(total)
                if n == 2:
                    break
                at = c.wait_at_least(c.count() + records // 4)
                d.proc.kill()
                d.wait()
                assert at < total, "forwarded everything before the kill"
            c.wait_count(total, timeout=120)
            assert d.stop() == 0, d.log()
        finally:
            d.kill()
        msgs = c.dump()
    assert natsctl.check_exactly_once(msgs, [output], ordered=False) == total


if __name__ == "__main__":
    natsctl.run_tests(globals())
