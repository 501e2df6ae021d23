"""Memory is bounded by what the daemon counts: 200 connections each send
8 MiB of a 9 MiB frame and stall, beside one normal client. Frames are
reserved whole from max_frame_memory when their header arrives; those that
do not fit wait unread (in the kernel's socket buffers, not the daemon's
memory), so the daemon's peak RSS stays under max_inflight +
max_frame_memory + a stated overhead, and the normal client's records keep
flowing meanwhile."""
import os
import selectors
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lctest  # noqa: E402
from lctest import Daemon, json_frame, split_trailer, wait_until  # noqa: E402

MIB = 1024 * 1024
STALLED = 200
FRAME = 9 * MIB
SENT = 8 * MIB
MAX_INFLIGHT = 16 * MIB
FRAME_MEMORY = 32 * MIB
# What the budgets do not cover: the binary, libraries and thread stacks
# (~10 MiB idle), the open batch and one read, one frame copied into a
# batch, and a 16 KiB carry for each connection waiting for frame memory.
OVERHEAD = 24 * MIB + STALLED * 16 * 1024


def peak_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def stall_big_frames(port, deadline):
    """Open the stalled connections and send each SENT bytes of a FRAME-byte
    frame, as far as the daemon takes them before the deadline."""
    sel = selectors.DefaultSelector()
    chunk = b"s" * (256 * 1024)
    socks = []
    for _ in range(STALLED):
        s = lctest.connect(port)
        s.setblocking(False)
        s.send(struct.pack(">L", FRAME))
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, [0])
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            sent = key.data
            try:
                sent[0] += key.fileobj.send(chunk[:SENT - sent[0]])
            except BlockingIOError:
                continue
            if sent[0] >= SENT:
                sel.unregister(key.fileobj)
    sel.close()
    return socks


class MemoryTest(unittest.TestCase):
    def test_stalled_big_frames_stay_within_the_budget(self):
        normal_records = 20000
        with Daemon("--max-record-size", "10M", "--max-inflight", str(MAX_INFLIGHT),
                    "--max-frame-memory", str(FRAME_MEMORY)) as d:
            baseline = peak_rss(d.proc.pid)
            socks = stall_big_frames(d.port, time.monotonic() + 20)
            # Beside them, a normal client's records flow.
            normal = d.connect()
            for start in range(0, normal_records, 1000):
                normal.sendall(b"".join(json_frame({"seq": i})
                                        for i in range(start, start + 1000)))
            normal.close()
            d.wait_lines(normal_records)
            peak = peak_rss(d.proc.pid)
            for s in socks:
                s.close()
            self.assertEqual(d.stop(), 0)
            records, trailer = split_trailer(d.records())
        print("peak RSS %.1f MiB (idle %.1f MiB) with %d stalled 9 MiB frames; bound %.1f MiB"
              % (peak / MIB, baseline / MIB, STALLED, (MAX_INFLIGHT + FRAME_MEMORY + OVERHEAD) / MIB))
        self.assertLessEqual(peak, MAX_INFLIGHT + FRAME_MEMORY + OVERHEAD)
        self.assertEqual([r["seq"] for r in records], list(range(normal_records)))
        self.assertEqual(trailer, normal_records)


if __name__ == "__main__":
    unittest.main(verbosity=2)
