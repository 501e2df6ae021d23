"""The NATS harness on its own, without the daemon: a 3-node JetStream
cluster comes up on free ports, lc_nats_tool creates a stream, publishes
(de-duplicated by Nats-Msg-Id), counts and reads it back byte for byte; the
stream leader and a follower are SIGKILLed and restarted, a node is paused
and resumed, the whole cluster restarts on its stores; token and TLS
(including client certificates) work; check_exactly_once catches a missing,
a repeated and a reordered line; and every server is gone afterwards."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsctl  # noqa: E402
from natsctl import Cluster  # noqa: E402


def assert_gone(pids):
    for pid in pids:
        # Reaped by Popen.wait: the PID no longer names our child.
        assert not os.path.exists("/proc/%d" % pid) or \
            open("/proc/%d/stat" % pid).read().split()[2] == "Z", "pid %d still runs" % pid


def test_roundtrip_and_dedup():
    with Cluster(3) as c:
        pids = [n.pid for n in c.nodes]
        assert len({n.client_port for n in c.nodes} | {n.cluster_port for n in c.nodes}
                   | {n.http_port for n in c.nodes}) == 9
        c.create_stream(replicas=3)
        assert c.count() == 0 and c.dump() == []
        first = c.publish("logs.a", "id-1", 'one "quoted" \\ line')
        assert first == {"stream": "LOGS", "seq": 1, "duplicate": False}, first
        again = c.publish("logs.a", "id-1", "a retry of id-1")
        assert again == {"stream": "LOGS", "seq": 1, "duplicate": True}, again
        c.publish("logs.b.c", "id-2", "caf\u00e9 \t tab\x01")
        c.publish("logs.b", "", "no id")
        assert c.count() == 3
        msgs = c.dump()
        assert [(m.seq, m.subject, m.id, m.data) for m in msgs] == [
            (1, "logs.a", "id-1", b'one "quoted" \\ line'),
            (2, "logs.b.c", "id-2", "caf\u00e9 \t tab\x01".encode()),
            (3, "logs.b", None, b"no id")], msgs
        info = c.info()
        assert info["messages"] == 3 and info["last_seq"] == 3, info
        assert info["leader"] in {n.name for n in c.nodes}, info
        assert sorted([r["name"] for r in info["replicas"]] + [info["leader"]]) == \
            ["n1", "n2", "n3"], info
        assert c.stream_leader().name == info["leader"]
        # Not in the stream's subjects: JetStream does not answer.
        assert c.tool("publish", "other.x", "id-3", "x", check=False) is None
    assert_gone(pids)


def test_kill_leader_then_follower():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        for i in range(5):
            c.publish("logs.x", "m%d" % i, "before %d" % i)
        leader = c.stream_leader()
        old_pid = leader.pid
        leader.kill()
        new = c.stream_leader(exclude=[leader])
        assert new is not leader
        c.publish("logs.x", "m5", "while %s is down" % leader.name)
        # A retry of an id stored before the kill is still a duplicate.
        assert c.publish("logs.x", "m0", "again")["duplicate"] is True
        leader.start()
        assert leader.pid != old_pid
        c.wait_ready()
        c.wait_stream_current()
        follower = next(n for n in c.stream_followers())
        follower.kill()
        c.publish("logs.x", "m6", "while %s is down" % follower.name)
        follower.start()
        c.wait_ready()
        info = c.wait_stream_current()
        assert info["messages"] == 7, info
        # Every node serves the whole stream.
        for n in c.nodes:
            msgs = c.dump(node=n)
            assert [m.id for m in msgs] == ["m%d" % i for i in range(7)], (n, msgs)
            assert c.count(node=n) == 7
            assert n.streams()["LOGS"]["state"]["messages"] == 7, n


def test_pause_and_resume():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        follower = c.stream_followers()[0]
        follower.pause()
        t0 = time.monotonic()
        c.publish("logs.p", "p1", "while paused")  # two of three still make a quorum
        assert time.monotonic() - t0 < 5
        follower.resume()
        c.wait_ready()
        c.wait_stream_current()
        assert c.count() == 1
        # A paused node is stopped too when the test ends.
        follower.pause()


def test_cluster_restart_keeps_the_stream():
    with Cluster(3) as c:
        c.create_stream(replicas=3)
        c.publish("logs.r", "r1", "kept")
        c.stop()
        assert c.running() == []
        c.start()
        c.stream_leader()
        assert [m.data for m in c.dump()] == [b"kept"]


def test_single_node_with_token():
    with Cluster(1, token="s3cret") as c:
        c.create_stream()  # R1 on a single server
        c.publish("logs.t", "t1", "with token")
        assert c.count() == 1
        wrong = natsctl.subprocess.run(
            [natsctl.LC_NATS_TOOL, "-s", c.nodes[0].url, "--token", "wrong", "count", "LOGS"],
            capture_output=True, timeout=natsctl.TIMEOUT)
        assert wrong.returncode == 1 and b"uthoriz" in wrong.stderr, wrong


def test_tls_and_client_certificates():
    tls = natsctl.make_tls()
    with Cluster(1, tls=tls) as c:
        c.create_stream()
        c.publish("logs.s", "s1", "over TLS")
        assert c.count() == 1
        plain = natsctl.subprocess.run([natsctl.LC_NATS_TOOL, "-s", c.nodes[0].url, "count",
                                        "LOGS"], capture_output=True, timeout=natsctl.TIMEOUT)
        assert plain.returncode == 1, plain
    with Cluster(1, tls=tls, tls_verify=True) as c:
        c.create_stream()
        assert c.count() == 0
        no_cert = natsctl.subprocess.run(
            [natsctl.LC_NATS_TOOL, "-s", c.nodes[0].url, "--tls-ca", tls.ca, "count", "LOGS"],
            capture_output=True, timeout=natsctl.TIMEOUT)
        assert no_cert.returncode == 1, no_cert


def test_check_exactly_once_catches_mistakes():
    with Cluster(1) as c:
        c.create_stream()
        path = os.path.join(c.dir, "out.jsonl")
        lines = [b'{"seq":%d}' % i for i in range(6)]
        with open(path, "wb") as f:
            f.write(b"".join(ln + b"\n" for ln in lines) + b'{"lines_collected": 6}\n')
        for i, ln in enumerate(lines[:5]):
            c.publish("logs.e", "e%d" % i, ln.decode() + "\n")
        expect_failure(c, [path], "1 missing")
        c.publish("logs.e", "e5", lines[5].decode() + "\n")
        assert natsctl.check_exactly_once(c.dump(), [path]) == 6
        # The same line under another id: a second copy.
        c.publish("logs.e", "e6", lines[2].decode() + "\n")
        expect_failure(c, [path], "carried twice")
    with Cluster(1) as c:
        c.create_stream()
        for i in (1, 0):
            c.publish("logs.e", "e%d" % i, lines[i].decode() + "\n")
        with open(path, "wb") as f:
            f.write(lines[0] + b"\n" + lines[1] + b"\n")
        assert natsctl.check_exactly_once(c.dump(), [path], ordered=False) == 2
        expect_failure(c, [path], "stream order differs")


def expect_failure(c, paths, text):
    try:
        natsctl.check_exactly_once(c.dump(), paths)
    except AssertionError as e:
        assert text in str(e), e
    else:
        raise AssertionError("check_exactly_once passed; want %r" % text)


if __name__ == "__main__":
    natsctl.run_tests(globals())
