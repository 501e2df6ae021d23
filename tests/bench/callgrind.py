#!/usr/bin/env python3
"""Instructions per record of logcatcherd, by workload, under callgrind.

Wall-clock rates on a shared 2-core VM move by 10-20% from run to run;
instruction counts do not. This runs each workload of bench.py, scaled down
(callgrind is about 50x slower), against one or two daemon binaries, and
prints the instructions the daemon executed per record (all its threads),
and the ratio of the second binary to the first:

    tests/bench/callgrind.py --build build-bench [--baseline OTHER/logcatcherd]

The same bytes from the same load generator as bench.py. What a daemon
spends to start and stop with no client (dynamic linking, the config, the
trailer) is measured once and taken off, so that the figure is the cost of
a record and does not depend on --records.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

WORKLOADS = {"W1": 1, "W2": 100, "W3": 1000}  # connections; records split among them


def totals(outfile):
    """Instructions in a callgrind output file (the sum over its threads)."""
    total = 0
    for path in glob.glob(outfile + "*"):
        with open(path) as f:
            for line in f:
                m = re.match(r"(?:summary|totals): (\d+)", line)
                if m:
                    total += int(m.group(1))
                    break
    return total


def measure(daemon, opts, payload, conns, records, wd):
    """Instructions the daemon ran to take records over conns connections
    (none: only start and stop)."""
    per_conn = records // conns if conns else 0
    records = per_conn * conns
    output = os.path.join(wd, "out.log")
    cgout = os.path.join(wd, "cg.out")
    for path in glob.glob(cgout + "*") + glob.glob(output):
        os.unlink(path)
    port = bench.free_port()
    with open(os.path.join(wd, "daemon.stderr"), "wb") as log:
        proc = bench.spawn(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                            "--callgrind-out-file=" + cgout,
                            daemon, "-l", "127.0.0.1:%d" % port, "-o", output], log)
    counter = bench.LineCounter(output)
    try:
        bench.wait_port(port, proc, timeout=120.0)
        if conns == 0:
            return stop_counted(proc, daemon, cgout)
        gen = subprocess.Popen([opts.loadgen, "-p", str(port), "-c", str(conns),
                                "-n", str(per_conn), "-f", "lc", payload],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               preexec_fn=bench.child_setup)
        deadline = time.monotonic() + opts.timeout
        while counter.poll() < records:
            if proc.poll() is not None or time.monotonic() > deadline:
                bench.fail("%s: %d of %d lines" % (daemon, counter.lines, records))
            time.sleep(bench.POLL_INTERVAL)
        gen.communicate(timeout=60)
        return stop_counted(proc, daemon, cgout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_counted(proc, daemon, cgout):
    if bench.stop(proc, timeout=120.0) != 0:
        bench.fail("%s exited with status %s" % (daemon, proc.returncode))
    return totals(cgout)


def main():
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(top, "build-bench"))
    ap.add_argument("--logcatcherd", help="the daemon measured (default BUILD/daemon/logcatcherd)")
    ap.add_argument("--baseline", help="a second daemon, measured first, for the ratio")
    ap.add_argument("--records", type=int, default=100_000, help="records per workload")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--formats", default="json,pickle")
    ap.add_argument("--timeout", type=float, default=600.0)
    opts = ap.parse_args()
    opts.loadgen = os.path.join(opts.build, "tests/bench/loadgen")
    daemon = opts.logcatcherd or os.path.join(opts.build, "daemon/logcatcherd")
    daemons = ([opts.baseline] if opts.baseline else []) + [daemon]
    with tempfile.TemporaryDirectory(prefix="lccg-") as wd:
        payloads = bench.make_payloads(wd)
        print("%-4s %-7s %s%s" % ("wl", "format",
                                  "".join("%14s" % ("baseline" if opts.baseline and i == 0
                                                    else "instr/record")
                                          for i in range(len(daemons))),
                                  "     ratio" if opts.baseline else ""))
        fixed = [measure(d, opts, None, 0, 0, wd) for d in daemons]
        for wl in opts.workloads.split(","):
            conns = WORKLOADS[wl]
            records = opts.records // conns * conns
            for fmt in opts.formats.split(","):
                ir = [(measure(d, opts, payloads[fmt][0], conns, records, wd) - f) / records
                      for d, f in zip(daemons, fixed)]
                print("%-4s %-7s %s%s" % (wl, fmt, "".join("%14.0f" % x for x in ir),
                                          "  %8.3f" % (ir[-1] / ir[0]) if opts.baseline
                                          else ""), flush=True)


if __name__ == "__main__":
    main()
