"""One process of the logging fleet in test_manager.py: logs a record every
PACE seconds through Python's own SocketHandler until SIGTERM (or, as a
bound, a deadline), then prints as JSON which records' sendall succeeded.

usage: fleet.py INDEX PORT DEADLINE_SECONDS

Each record carries extra fields fleet=INDEX and seq=N, its unique id.
"""
import json
import logging
import logging.handlers
import signal
import sys
import time

PACE = 0.001  # seconds between records: ~700 records/s with the logging itself


class CountingHandler(logging.handlers.SocketHandler):
    """SocketHandler.send swallows OSError, so nothing outside can tell which
    records went out. This is CPython's send, with each outcome counted."""

    def __init__(self, host, port):
        super().__init__(host, port)
        self.seq = None  # of the record being emitted
        self.ok = []  # seqs whose sendall returned without an exception
        self.failed = 0  # sendall raised: SocketHandler drops the record
        self.unconnected = 0  # no connection (connect failed, or its retry backoff)

    def emit(self, record):
        self.seq = record.seq
        super().emit(record)

    def send(self, s):
        if self.sock is None:
            self.createSocket()
        if self.sock is None:
            self.unconnected += 1
            return
        try:
            self.sock.sendall(s)
        except OSError:
            self.sock.close()
            self.sock = None  # reconnect at the next record, as CPython does
            self.failed += 1
        else:
            self.ok.append(self.seq)


def main(argv):
    index, port, deadline = int(argv[1]), int(argv[2]), time.monotonic() + float(argv[3])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    handler = CountingHandler("127.0.0.1", port)
    log = logging.getLogger("fleet.%d" % index)
    log.propagate = False
    log.addHandler(handler)
    seq = 0
    while not stop and time.monotonic() < deadline:
        log.warning("fleet %d %d", index, seq, extra={"fleet": index, "seq": seq})
        seq += 1
        time.sleep(PACE)
    handler.close()
    json.dump({"fleet": index, "logged": seq, "ok": handler.ok, "failed": handler.failed,
               "unconnected": handler.unconnected, "stopped": bool(stop)}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
