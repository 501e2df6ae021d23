"""Socket activation: sockets passed as descriptors 3, 4, ... (LISTEN_FDS)
replace the configured listen addresses."""
import os
import socket
import unittest

from sdtest import HERE, PYTHON, NotifySocket, lctest
from lctest import Daemon, json_frame, split_trailer

ACTIVATE = os.path.join(HERE, "activate.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ActivatedDaemon(Daemon):
    """A Daemon exec'd through activate.py with the given socket specs."""

    def __init__(self, specs, *args, **kw):
        super().__init__(*args, **kw)
        self.args = [PYTHON, ACTIVATE] + list(specs) + ["--"] + self.args


class ActivationTest(unittest.TestCase):
    def test_passed_tcp_socket_replaces_listen(self):
        own = free_port()
        with NotifySocket() as ns, ActivatedDaemon(
                ["tcp:logcatcher-tcp"], listen=("127.0.0.1:%d" % own,),
                env=ns.env()) as d:
            d.wait_log(r"using 1 sockets passed by systemd")
            ns.wait_message("READY=1")
            self.assertEqual(len(d.ports["tcp"]), 1)
            self.assertNotEqual(d.port, own)
            with self.assertRaises(ConnectionRefusedError):
                lctest.connect(own).close()
            for c in range(3):
                s = d.connect()
                s.sendall(b"".join(json_frame({"c": c, "seq": i}) for i in range(100)))
                s.close()
            d.wait_lines(300)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(trailer, 300)
        self.assertEqual(len(records), 300)

    def test_passed_udp_socket(self):
        with ActivatedDaemon(["tcp:logcatcher-tcp", "udp:logcatcher-udp"]) as d:
            d.wait_log(r"using 2 sockets passed by systemd")
            udp_port = d.wait_log(r"listening on udp \S+:(\d+)").group(1)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.sendto(json_frame({"via": "udp"}), ("127.0.0.1", int(udp_port)))
            s = d.connect()
            s.sendall(json_frame({"via": "tcp"}))
            s.close()
            d.wait_lines(2)
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        self.assertEqual(sorted(r["via"] for r in records), ["tcp", "udp"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
