#!/usr/bin/python3
"""Golden test of the pickle decoder against the real Python on this machine.

Makes LogRecords with the real logging module, pickles them exactly as
SocketHandler.makePickle does, with every protocol 0-5, feeds the frames to
pickle2json (argv[1]) and checks each output line byte for byte against what
Python expects:

  json.dumps(describe(load(payload)), ensure_ascii=False, separators=(",", ":"))

where load() is Python's own (pure-Python) unpickler with find_class replaced
so that nothing is imported or called: classes become markers, calls become
Call records, the few data-building calls (bytes, bytearray, set, frozenset,
_codecs.encode) stay real, and describe() applies the $-descriptions of
docs/protocol.md. Byte equality checks key order, int vs float, float repr,
escapes, and the \\udXXX form of lone surrogates at once.

Also checks random doubles against Python's repr(), that hostile pickles
are rejected with the expected reason, and the big shapes of issue 12:
nesting up to the limit (and one level beyond it, rejected), integers of
2**100000, 1 MiB messages, 100,000-item lists, 20,000-key dicts, and dicts
whose keys repeat or print the same (one entry each: the one set last, where
the key first appeared).
"""
import base64
import datetime
import decimal
import enum
import io
import json
import logging
import math
import pickle
import random
import struct
import subprocess
import sys
import uuid
from itertools import count

ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg", "exceptions": "builtins"}


class Call:
    """A call the unpickler would have made: func(*args, **kwargs)."""

    def __init__(self, func, args, kwargs=None):
        self.func, self.args, self.kwargs = func, tuple(args), kwargs
        self.state = self.listitems = self.dictitems = None

    def __setstate__(self, state):
        self.state = state

    def append(self, item):
        if self.listitems is None:
            self.listitems = []
        self.listitems.append(item)

    def __setitem__(self, key, value):
        if self.dictitems is None:
            self.dictitems = TimedDict()
        self.dictitems[key] = value


class Marker:
    """Base of the stand-in classes find_class returns."""

    lc_name = None

    def __new__(cls, *args, **kwargs):
        return Call(cls, args, kwargs or None)


def marker(name):
    return type("M", (Marker,), {"lc_name": name})


def ref_getattr(obj, name):
    if isinstance(obj, type) and issubclass(obj, Marker):
        return marker(obj.lc_name + "." + name)
    return Call(marker("builtins.getattr"), (obj, name))


def ref_reconstructor(cls, base, state):
    if (isinstance(base, type) and issubclass(base, Marker)
            and base.lc_name == "builtins.object" and state is None):
        return Call(cls, ())
    return Call(marker("copyreg._reconstructor"), (cls, base, state))


def ref_encode(text, encoding):
    return text.encode(encoding)


REAL = {
    ("_codecs", "encode"): ref_encode,
    ("builtins", "bytes"): bytes,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "getattr"): ref_getattr,
    ("copyreg", "_reconstructor"): ref_reconstructor,
}


SET_TIME = count()


class TimedDict(dict):
    """A dict that remembers when each key was last set: of keys that print
    the same text, the one set last is the one kept."""

    def __init__(self):
        super().__init__()
        self.times = {}

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.times[key] = next(SET_TIME)


def load_empty_dict(self):
    self.append(TimedDict())


def load_dict(self):
    items = self.pop_mark()
    d = TimedDict()
    for i in range(0, len(items), 2):
        d[items[i]] = items[i + 1]
    self.append(d)


class RefUnpickler(pickle._Unpickler):
    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.EMPTY_DICT[0]] = load_empty_dict
    dispatch[pickle.DICT[0]] = load_dict

    def find_class(self, module, name):
        module = ALIASES.get(module, module)
        return REAL.get((module, name)) or marker(module + "." + name)


def describe(v, active=()):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if id(v) in active:
        return {"$recursion": True}
    active = active + (id(v),)
    if isinstance(v, (list, tuple)):
        return [describe(x, active) for x in v]
    if isinstance(v, dict):
        return describe_dict(v, active)
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, bytearray):
        return {"$bytearray": base64.b64encode(v).decode()}
    if isinstance(v, (set, frozenset)):
        kind = "$set" if isinstance(v, set) else "$frozenset"
        return {kind: [describe(x, active) for x in v]}
    if isinstance(v, type) and issubclass(v, Marker):
        return {"$global": v.lc_name}
    if isinstance(v, Call):
        func = v.func
        d = {"$call": func.lc_name if isinstance(func, type) and issubclass(func, Marker)
             else describe(func, active),
             "$args": describe(v.args, active)}
        for name, part in (("$kwargs", v.kwargs), ("$state", v.state),
                           ("$listitems", v.listitems), ("$dictitems", v.dictitems)):
            if part is not None:
                d[name] = describe(part, active)
        return d
    raise TypeError("no description for %r" % (v,))


def describe_dict(v, active):
    """Keys as json.dumps makes them; of keys that print the same, one
    entry, where the first appeared, with the value set last."""
    out, when = {}, {}
    times = getattr(v, "times", {})
    for i, (k, x) in enumerate(v.items()):
        text, t = key_text(k, active), times.get(k, i)
        if text not in out or t > when[text]:
            out[text], when[text] = describe(x, active), t
    return out


def key_text(k, active):
    if isinstance(k, str):
        return k
    if isinstance(k, (bool, type(None), int, float)):
        return json.dumps(k) if not isinstance(k, float) or math.isfinite(k) \
            else {math.inf: "Infinity", -math.inf: "-Infinity"}.get(k, "NaN")
    return dumps(describe(k, active))


def dumps(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def sort_sets(v):
    """Sets print in an order Python does not promise; compare them sorted."""
    if isinstance(v, list):
        return [sort_sets(x) for x in v]
    if isinstance(v, dict):
        out = {k: sort_sets(x) for k, x in v.items()}
        for kind in ("$set", "$frozenset"):
            if kind in out and len(out) == 1:
                out[kind] = sorted(out[kind], key=dumps)
        return out
    return v


def same_line(got, want):
    """Byte-exact, except that sets may differ in order (compared sorted):
    Python's rebuilt set does not keep the pickled order."""
    return got == want or ("$set" in want or "$frozenset" in want) and text(
        sort_sets(json.loads(got))) == text(sort_sets(json.loads(want)))


def text(v):
    """JSON text as the decoder writes it: lone surrogates as \\udXXX."""
    return dumps(v).encode("utf-8", "backslashreplace").decode("utf-8")


def expected_line(payload):
    return text(describe(RefUnpickler(io.BytesIO(payload)).load()))


class Color(enum.Enum):
    RED = 1


class Thing:
    def __init__(self):
        self.a = 1
        self.b = [2, "x"]


def make_pickle(record, proto):
    """SocketHandler.makePickle, with the protocol as a parameter."""
    d = dict(record.__dict__)
    d["msg"] = record.getMessage()
    d["args"] = None
    d["exc_info"] = None
    d.pop("message", None)
    return pickle.dumps(d, proto)


def records():
    captured = []

    class Capture(logging.Handler):
        def emit(self, record):
            self.format(record)  # fills exc_text, as SocketHandler's formatter would
            captured.append(record)

    log = logging.getLogger("golden")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(Capture())
    cyclic = [1]
    cyclic.append(cyclic)
    extras = {
        "ints": {"small": 7, "huge": 2 ** 200, "neg": -2 ** 90, "neg_small": -5, "zero": 0,
                 "i64max": 2 ** 63 - 1, "i64min": -2 ** 63, "u64": 2 ** 64},
        "floats": {"f": [1.5, 640.0, float("nan"), float("inf"), float("-inf"), -0.0, 1e16,
                         1e-05, 0.1, 1e15, 123456789.123, 5e-324, 1.7976931348623157e308,
                         0.0001, 1700000000.123456]},
        "misc": {"t": True, "f": False, "n": None},
        "nested": {"n": [1, (2, 3), {"a": [None, {"b": ()}]}, [], {}]},
        "keys": {"k": {1: "int", 2.5: "float", True: "bool", None: "none", 2 ** 70: "big",
                       (1, "x"): "tuple", b"k": "bytes", float("nan"): "nan"}},
        "bytes": {"b": b"\x00\xffab", "e": b"", "ba": bytearray(b"xy\x80"), "eba": bytearray()},
        "sets": {"s": {1, 2, 3}, "fs": frozenset(["a", "b"]), "es": set(), "efs": frozenset()},
        "objects": {"dt": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
                    "date": datetime.date(2020, 2, 29), "dec": decimal.Decimal("1.10"),
                    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
                    "enum": Color.RED, "obj": Thing()},
        "cycle": {"c": cyclic},
        "surrogates": {"fs": "caf\udce9", "pair": "\ud83d\ude00", "lone_hi": "\ud800x"},
    }
    log.info("plain message")
    log.warning("args %s %d %r", "анна", 42, [1])
    log.error("unicode анна ✓ 😀 \x00\x01\x1f\x7f\\ \" \n\r\t \x1a \u2028")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("with exc_info")
    log.exception("outside except")
    log.info("with stack", stack_info=True)
    for name, extra in extras.items():
        log.info("extra %s", name, extra=extra)
    return captured


HOSTILE = [
    (b"", "truncated"),
    (b"}", "truncated"),
    (b"}q\x00", "truncated"),
    (b"]\x2e", "not_dict"),
    (b"}.x", "trailing"),
    (b"(}.", "stack"),
    (b"}}.", "stack"),
    (b"\xff.", "opcode"),
    (b"\x80\x06}.", "opcode"),
    (b"X\xff\xff\xff\x7f.", "truncated"),
    (b"\x8d\xff\xff\xff\xff\xff\xff\xff\xff.", "truncated"),
    (b"}h\x05.", "memo"),
    (b"}r\xff\xff\xff\x7f.", "memo"),
    (b"}X\x02\x00\x00\x00\xc3(Ns.", "utf8"),
    (b"}X\x01\x00\x00\x00aI12x\ns.", "value"),
    (b"}]Ns.", "key"),
    (b"}X\x01\x00\x00\x00k" + b"]" * 1000 + b"a" * 999 + b"s.", "depth"),
    (b"}X\x01\x00\x00\x00k\x8b\x01\x80\x00\x00" + b"\x01" * 0x8001 + b"s.", "too_big"),
]


def float_cases(count=30000):
    """Random doubles, 50 to a record: every bit pattern, and values shaped
    like created, msecs and relativeCreated at every scale, across the
    switches between fixed and exponent form (1e-4, 1e16); then the edges:
    those switches, powers of two (a narrower interval below), a tie."""
    rng = random.Random(1)
    values = []
    edges = [2.0 ** e for e in range(-20, 60)] + [1005369574750092.25, 0.3, 2.0 ** 51 + 0.5]
    for x in (1e-4, 1e-3, 0.1, 1.0, 1e15, 1e16):
        edges += [math.nextafter(x, 0.0), x, math.nextafter(x, math.inf)]
    for i in range(count):
        if i % 3 == 0:
            values.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
        elif i % 3 == 1:
            values.append(round(rng.uniform(1e9, 2e9), rng.randint(0, 7)))
        else:
            values.append(rng.random() * 10.0 ** rng.randint(-9, 18))
    values += edges + [-x for x in edges]
    for i in range(0, len(values), 50):
        payload = pickle.dumps({"f%d" % k: v for k, v in enumerate(values[i:i + 50])},
                               1 + i // 50 % 4)
        yield "floats %d-%d" % (i, i + 49), payload, expected_line(payload)


def nested(kind, levels):
    """levels containers, one inside the other, around a 0."""
    wrap = {"list": lambda x: [x], "dict": lambda x: {"a": x}, "tuple": lambda x: (x,)}
    kinds = ["list", "dict", "tuple"] if kind == "mixed" else [kind]
    v = 0
    for i in range(levels):
        v = wrap[kinds[i % len(kinds)]](v)
    return v


def big_records():
    """LogRecords with the big shapes as extra= values: (name, record)."""
    log = logging.getLogger("golden.big")
    make = lambda extra: log.makeRecord(log.name, logging.INFO, __file__, 1, "big", None,
                                        None, "f", extra)
    mib = 1 << 20
    yield "ascii 1 MiB", make({"m": "x" * mib})
    yield "cyrillic 1 MiB", make({"m": "\u0430" * (mib // 2)})
    yield "emoji 1 MiB", make({"m": "\U0001f600" * (mib // 4)})
    yield "list 100000", make({"l": [i if i % 2 else "s%d" % i for i in range(100000)]})
    yield "dict 20000", make({"d": {"k%05d" % i: i for i in range(20000)}})
    for kind in ("list", "dict", "tuple", "mixed"):
        # The record is the first level: 999 more make the limit, 1000.
        yield "nested %s 999" % kind, make({"n": nested(kind, 999)})
    for v in (2 ** 100000, -2 ** 100000, 2 ** 100000 - 1, -(2 ** (8 * 32768 - 1)) + 1,
              10 ** 5999, -(10 ** 5999) + 1):
        yield "int of %d bits" % v.bit_length(), make({"i": v, "j": [-v]})
    yield "colliding keys", make({"k": {1: "int", "1": "str", None: "none", "null": "s",
                                        "true": "s", True: "bool", 2 ** 70: "big",
                                        str(2 ** 70): "s", 1.5: "f", "1.5": "s",
                                        (1, 2): "t", "[1,2]": "s", b"b": "b",
                                        '{"$bytes":"Yg=="}': "s", float("nan"): "nan",
                                        "NaN": "s", 2.0 ** 70: "float"}})


def repeated_keys():
    """Hand-made pickles that set a key twice: (name, payload)."""
    s = lambda t: b"X" + struct.pack("<I", len(t)) + t
    yield "SETITEMS twice", b"}(" + s(b"a") + b"K\x01" + s(b"b") + b"K\x02" + s(b"a") + b"K\x03u."
    yield "SETITEM twice", b"}" + s(b"a") + b"K\x01s" + s(b"b") + b"K\x02s" + s(b"a") + b"K\x03s."
    yield "DICT with repeats", b"(Va\nI1\nVb\nI2\nVa\nI3\nd."
    yield "memo key again", b"}(" + s(b"a") + b"q\x01K\x01" + s(b"b") + b"K\x02h\x01K\x03u."
    yield "int, str, bool", b"}(K\x01K\x01" + s(b"1") + b"K\x02\x88K\x03u."
    yield "str, then int", b"}(" + s(b"1") + b"K\x01K\x01K\x02u."
    yield "None and null", b"}(N" + b"K\x01" + s(b"null") + b"K\x02NK\x03u."
    yield "1.0 and 1", b"}(G?\xf0\x00\x00\x00\x00\x00\x00K\x01K\x01K\x02u."
    yield "nested dict repeats", (b"}(" + s(b"d") + b"}(" + s(b"x") + b"K\x01" + s(b"x")
                                  + b"K\x02u" + s(b"d") + b"NK\x01" + s(b"e") + b"u.")
    yield "object state repeats", (b"\x80\x02}(" + s(b"o") + b"c__main__\nT\n)\x81}(" + s(b"a")
                                   + b"K\x01K\x01K\x02" + s(b"a") + b"K\x03ubu.")


def big_cases():
    for name, record in big_records():
        for proto in range(6):
            payload = make_pickle(record, proto)
            yield "%s proto %d" % (name, proto), payload, expected_line(payload)
    for name, payload in repeated_keys():
        yield name, payload, expected_line(payload)
    too_deep = logging.makeLogRecord({"n": nested("list", 1000)})
    for proto in range(6):
        yield "nested 1000 proto %d" % proto, make_pickle(too_deep, proto), "ERROR depth"


def nesting_seeds():
    """Small seeds of issue 12's shapes: (name, payload)."""
    for name, payload in repeated_keys():
        yield "repeated_" + name.replace(" ", "_").replace(",", ""), payload
    for kind in ("list", "dict", "tuple", "mixed"):
        yield "nested_%s_999" % kind, pickle.dumps({"n": nested(kind, 999)}, 4)
    yield "nested_list_1000", pickle.dumps({"n": nested("list", 1000)}, 2)
    yield "long4_big", pickle.dumps({"i": 2 ** 30000 - 1, "j": -2 ** 20000}, 2)
    yield "long4_over", pickle.dumps({"i": 2 ** (8 * 32768 - 1)}, 2)
    yield "colliding_keys", pickle.dumps({1: 1, "1": 2, True: 3, "true": 4, None: 5,
                                          "null": 6, (1, 2): 7, "[1,2]": 8}, 2)


def write_corpus(directory, only_new=False):
    """Seed corpus for fuzz_pickle: real records of every protocol, plus the
    hostile cases and issue 12's shapes (run: pickle_golden.py --corpus
    tests/fuzz/corpus/pickle)."""
    import os
    for name, payload in nesting_seeds():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(payload)
    if only_new:
        return
    names = ["plain", "args", "unicode", "exc_info", "exception_outside", "stack_info"]
    for i, record in enumerate(records()):
        name = names[i] if i < len(names) else "extra_" + record.getMessage().split()[-1]
        for proto in range(6):
            with open(os.path.join(directory, "%s_p%d" % (name, proto)), "wb") as f:
                f.write(make_pickle(record, proto))
    for i, (payload, reason) in enumerate(HOSTILE):
        with open(os.path.join(directory, "hostile_%02d_%s" % (i, reason)), "wb") as f:
            f.write(payload)


def main():
    sys.setrecursionlimit(20000)  # Python's own side of 1000 levels
    sys.set_int_max_str_digits(0)  # protocols 0-1 write integers as text
    if sys.argv[1] in ("--corpus", "--corpus-new"):
        write_corpus(sys.argv[2], sys.argv[1] == "--corpus-new")
        return 0
    tool = sys.argv[1]
    cases = []
    for record in records():
        for proto in range(6):
            payload = make_pickle(record, proto)
            cases.append(("%s/%s proto %d" % (record.msg, record.getMessage()[:30], proto),
                          payload, expected_line(payload)))
    cases.extend(float_cases())
    cases.extend(big_cases())
    for payload, reason in HOSTILE:
        cases.append(("hostile %r" % payload[:40], payload, "ERROR " + reason))
    frames = b"".join(struct.pack(">L", len(p)) + p for _, p, _ in cases)
    out = subprocess.run([tool], input=frames, stdout=subprocess.PIPE, check=True).stdout
    lines = out.decode("utf-8").split("\n")[:-1]
    if len(lines) != len(cases):
        print("expected %d lines, got %d" % (len(cases), len(lines)))
        return 1
    failures = 0
    for (name, _, want), got in zip(cases, lines):
        if want.startswith("ERROR "):
            ok = got.split(":")[0] == want
        else:
            ok = same_line(got, want)
        if not ok:
            failures += 1
            print("FAIL %s\n  want %s\n  got  %s" % (name, want[:300], got[:300]))
    print("%d cases, %d failures" % (len(cases), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
