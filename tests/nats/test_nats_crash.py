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
LATER = 20000


def test_kill_9_mid_forwarding_and_restart():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        d = nats_daemon(c)
        state, output, workdir = d.state, d.output, d.workdir
        total = at = 0
        try:
            for n, records in enumerate((FIRST, LATER, LATER)):
                if n > 0:
                    d = nats_daemon(c, output=output, state=state, workdir=workdir)
                d.start()
                if n == 2:
                    natsctl.run_flood(d.port, records, connections=4, size=100)
                    total += records
                    break
                # No acks while the records arrive: they wait in the file,
                # however fast the forwarder is.
                with c.without_quorum():
                    natsctl.run_flood(d.port, records, connections=4, size=100)
                    total += records
                    d.wait_lines(total)
                c.wait_at_least(at + (total - at) // 8)
                # Killed with acks outstanding and most of the file to go.
                with c.without_quorum():
                    d.proc.kill()
                    d.wait()
                c.wait_stream_current()
                at = c.count()
                assert at < total, "forwarded everything before the kill"
            c.wait_count(total, timeout=120)
            assert d.stop() == 0, d.log()
        finally:
            d.kill()
        msgs = c.dump()
    assert natsctl.check_exactly_once(msgs, [output], ordered=False) == total


if __name__ == "__main__":
    natsctl.run_tests(globals())
