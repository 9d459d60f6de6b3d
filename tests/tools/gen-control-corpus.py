#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Malformed-control-input corpus for /dev/zloop-control (issue 10, item 1).

    gen-control-corpus.py [--seed N] [--count N] [--out FILE] [--stats]

Writes COUNT commands (default 1200), the same ones for the same seed, one
per line:

    INDEX <TAB> CATEGORY <TAB> SETUP <TAB> MODEL <TAB> COMMAND

- COMMAND is the bytes of one write(2), in the escaped form of
  `zctl write FILE STRING` (tests/tools/zctl.c): printable ASCII as is,
  `\\\\`, `\\n`, `\\t`, and `\\xHH` for every other byte (and for a leading or
  trailing space), so `zctl write /dev/zloop-control 'COMMAND'` replays it.
- CATEGORY names what the command is made of (random_bytes, boundary,
  page_size, ...): a failure names it.
- SETUP is `none` (no device exists) or `live0` (device 0 exists, made by
  SETUP_ADD in SETUP_DIR, before the command).
- MODEL is what a model of the C driver (zloop_ctl_write, zloop_parse_options,
  zloop_ctl_add up to the opening of the device directory, and
  lib/parser.c), run against the fixture below, predicts: `OK` or an errno
  name. It only steers the generator and is printed for triage; the guest
  test compares zloop_rs with the C zloop, not with this model.

Every command runs on a fresh copy of the fixture (FIXTURE, built by
tests/tools/control-corpus-run.py) with the current directory CWD, so that
relative base_dir values resolve inside it.

Cost rules (the drivers really create what an accepted add asks for): an add
that reaches its directory (which exists) has at most MAX_ACCEPTED_ZONES zones
and a queue depth of at most MAX_ACCEPTED_QUEUE_DEPTH; an add that passes the
geometry checks at all has at most MAX_ALLOC_ZONES zones (the C driver
allocates its zone array before it looks at the directory, and warns above
INT_MAX bytes). Commands whose text could look like a kernel report in the
log (the C driver prints unknown tokens) are not emitted.
"""

import argparse
import random
import re
import sys

PAGE = 4096
U32 = (1 << 32) - 1
U64 = (1 << 64) - 1
INT_MAX = (1 << 31) - 1
NUMBER_BUF_LEN = 24
MAX_ZONE_SIZE_MB = 16384
MAX_ACCEPTED_ZONES = 64
MAX_ACCEPTED_QUEUE_DEPTH = 1024
MAX_ALLOC_ZONES = 1 << 18

# ---------------------------------------------------------------------------
# The fixture every command runs against.

VARLOCAL = b"/var/local"
ROOT = b"/var/local/zloop-corpus"          # the corpus's base directories
BASE = b"/var/local/zloop"                 # the drivers' default base_dir
CWD = ROOT                                 # current directory of the writer
SETUP_DIR = ROOT + b"/setup"
SETUP_ADD = b"add id=0,capacity_mb=2,zone_size_mb=1,conv_zones=0,base_dir=" + SETUP_DIR

D_IDS = [0, 1, 2, 3, 8, 16, 255, INT_MAX]  # id directories in ROOT/d
BASE_IDS = [0, 1, 2, 3, 8, 16]             # id directories in BASE
DEEP_IDS = [0, 1]                          # id directories in ROOT/deep/a/b/c


def _fixture():
    """(path relative to VARLOCAL, kind, symlink target) in creation order."""
    f = [(b"zloop-corpus", "dir", None), (b"zloop-corpus/d", "dir", None)]
    f += [(b"zloop-corpus/d/%d" % i, "dir", None) for i in D_IDS]
    f += [
        (b"zloop-corpus/d/4", "file", None),             # a file where the id directory goes
        (b"zloop-corpus/d/real5", "dir", None),
        (b"zloop-corpus/d/5", "link", b"real5"),         # id directory through a symlink
        (b"zloop-corpus/d/6", "link", b"nowhere"),       # dangling id symlink
        (b"zloop-corpus/d/7", "link", b"7"),             # id symlink to itself
        (b"zloop-corpus/link", "link", b"d"),            # base_dir through a relative symlink
        (b"zloop-corpus/abslink", "link", ROOT + b"/d"),  # ... an absolute one
        (b"zloop-corpus/file", "file", None),            # a file where base_dir goes
        (b"zloop-corpus/filelink", "link", b"file"),
        (b"zloop-corpus/dangling", "link", b"missing"),
        (b"zloop-corpus/loop", "link", b"loop"),
        (b"zloop-corpus/loop1", "link", b"loop2"),
        (b"zloop-corpus/loop2", "link", b"loop1"),
        (b"zloop-corpus/empty", "dir", None),            # a base_dir without id directories
        (b"zloop-corpus/deep", "dir", None),
        (b"zloop-corpus/deep/a", "dir", None),
        (b"zloop-corpus/deep/a/b", "dir", None),
        (b"zloop-corpus/deep/a/b/c", "dir", None),
    ]
    f += [(b"zloop-corpus/deep/a/b/c/%d" % i, "dir", None) for i in DEEP_IDS]
    f += [(b"zloop-corpus/setup", "dir", None), (b"zloop-corpus/setup/0", "dir", None)]
    f += [(b"zloop", "dir", None)]
    f += [(b"zloop/%d" % i, "dir", None) for i in BASE_IDS]
    return f


FIXTURE = _fixture()

# base_dir values that lead to id directories: value -> ids that exist there
GOOD_BASES = {
    None: BASE_IDS,                     # no base_dir: /var/local/zloop
    b"d": D_IDS, b"./d": D_IDS, b"d/": D_IDS, b"d//": D_IDS, b"d/.": D_IDS,
    b"link": D_IDS, b"abslink": D_IDS, b"link/": D_IDS,
    ROOT + b"/d": D_IDS, ROOT + b"/link": D_IDS, ROOT + b"/abslink": D_IDS,
    ROOT + b"/d/../d": D_IDS, b"d/../d": D_IDS, b"empty/../d": D_IDS,
    b"../zloop-corpus/d": D_IDS, b"/var//local/./zloop-corpus/d": D_IDS,
    b"deep/a/b/c": DEEP_IDS, b"deep/a/b/../b/c": DEEP_IDS, b"deep/a/../../deep/a/b/c/": DEEP_IDS,
    b"../zloop": BASE_IDS, BASE: BASE_IDS, BASE + b"/": BASE_IDS, b"/var/local/zloop-corpus/../zloop": BASE_IDS,
}
# base_dir values that must fail (missing, a file, a loop, too long, ...)
BAD_BASES = [
    b"missing", ROOT + b"/missing", b"/nonexistent", b"file", ROOT + b"/file", b"filelink",
    b"file/..", b"dangling", b"loop", b"loop1", b"empty", ROOT + b"/empty", b"d/4", b"d/9",
    b"d/0", b"d/../..", b"..", b".", b"/", b"./", b"//", b"d/real5/..", b"deep/a", b"deep/a/b/c/0/..",
    b" d", b"d ", b"\td", b"D", b"d\x7f", b"d\xa0", b"\xa0d", ROOT + b"/d/./file",
    b"setup/0", b"%s", b"%n%n%n", b"d;rm", b"d\\", b"d\\x00", b"$HOME", b"~",
    b"a" * 255, b"a" * 256, b"d/" + b"b" * 256, b"d/" + b"b" * 255,
]
BAD_LOG = [b"warning:", b"bug:", b"oops", b"general protection", b"kasan:", b"ubsan:",
           b"kfence:", b"possible circular", b"possible recursive", b"inconsistent lock",
           b"blocked for more than", b"panicked", b"call trace:", b"kernel panic", b"zloop-rs-"]

# ---------------------------------------------------------------------------
# A model of the C driver's parser (lib/parser.c, lib/kstrtox.c,
# zloop_parse_options, zloop_ctl_write), for the generator's cost rules.

OPTIONS = [("id", "d"), ("capacity_mb", "u"), ("zone_size_mb", "u"), ("zone_capacity_mb", "u"),
           ("conv_zones", "u"), ("base_dir", "s"), ("nr_queues", "u"), ("queue_depth", "u"),
           ("buffered_io", None), ("zone_append", "u"), ("ordered_zone_append", None),
           ("discard_write_cache", None), ("max_open_zones", "u")]
NUMERIC = [n for n, k in OPTIONS if k in ("u", "d")]
FLAGS = [n for n, k in OPTIONS if k is None]
KSPACE = b"\t\n\x0b\x0c\r \xa0"


class Reject(Exception):
    def __init__(self, errno):
        super().__init__(errno)
        self.errno = errno


def _digits(s, base):
    """_parse_integer_limit: (count, value saturated at U64)."""
    v, n = 0, 0
    for c in s:
        if 48 <= c <= 57:
            d = c - 48
        elif 97 <= (c | 0x20) <= 102:
            d = (c | 0x20) - 87
        else:
            break
        if d >= base:
            break
        v = min(v * base + d, U64)
        n += 1
    return n, v


def _strtoul0(s):
    """simple_strtoul(s, &end, 0): (consumed, value)."""
    at = lambda i: s[i] if i < len(s) else 0
    if at(0) != 0x30:
        base, pre = 10, 0
    elif at(1) | 0x20 == 0x78 and chr(at(2)) in "0123456789abcdefABCDEF":
        base, pre = 16, 2
    else:
        base, pre = 8, 0
    n, v = _digits(s[pre:], base)
    return pre + n, v


def _strtol0(s):
    """simple_strtol(s, &end, 0): (consumed, value as a signed 64-bit long)."""
    if s[:1] == b"-":
        n, v = _strtoul0(s[1:])
        n, v = n + 1, (-v) & U64
    else:
        n, v = _strtoul0(s)
    return n, v - (1 << 64) if v >> 63 else v


def _match_token(tok):
    for name, kind in OPTIONS:
        if kind is None:
            if tok == name.encode():
                return name, b""
            continue
        pre = name.encode() + b"="
        if not tok.startswith(pre):
            continue
        val = tok[len(pre):]
        n = {"d": lambda v: _strtol0(v)[0], "u": lambda v: _strtoul0(v)[0], "s": len}[kind](val)
        if n and n == len(val):
            return name, val
    return None


def _match_uint(val):
    if len(val) >= NUMBER_BUF_LEN:
        raise Reject("EINVAL")
    s = val[1:] if val[:1] == b"+" else val
    n, v = _digits(s, 10)   # an overflow saturates, above U32 too
    if n == 0 or s[n:] not in (b"", b"\n") or v > U32:
        raise Reject("EINVAL")
    return v


def _match_int(val):
    if len(val) >= NUMBER_BUF_LEN:
        raise Reject("EINVAL")
    n, v = _strtol0(val)
    if n == 0 or not -(1 << 31) <= v <= INT_MAX:
        raise Reject("EINVAL")
    return v


def default_opts():
    return dict(id=-1, capacity_mb=16384, zone_size_mb=256, zone_capacity_mb=0, conv_zones=8,
                base_dir=None, nr_queues=1, queue_depth=128, buffered_io=False, zone_append=1,
                ordered_zone_append=False, discard_write_cache=False, max_open_zones=0, mask=set())


def parse(buf):
    """('add'|'remove', options) for an accepted command; raises Reject."""
    if len(buf) > PAGE:
        raise Reject("ENOMEM")
    text = buf.split(b"\0", 1)[0]
    if text.startswith(b"add"):
        op = "add"
    elif text.startswith(b"remove"):
        op = "remove"
    else:
        raise Reject("EINVAL")
    o = default_opts()
    if len(buf) > len(op):
        rest = text[len(op):].lstrip(KSPACE)
        for tok in re.split(rb"[,\n]", rest):
            if not tok:
                continue
            m = _match_token(tok)
            if m is None:
                raise Reject("EINVAL")
            name, val = m
            o["mask"].add(name)
            if name == "id":
                o["id"] = _match_int(val)
            elif name == "base_dir":
                o["base_dir"] = val
            elif name in FLAGS:
                o[name] = True
            else:
                v = _match_uint(val)
                if v == 0 and name in ("capacity_mb", "zone_capacity_mb", "nr_queues", "queue_depth"):
                    raise Reject("EINVAL")
                if name == "zone_size_mb" and (v == 0 or v > MAX_ZONE_SIZE_MB or v & (v - 1)):
                    raise Reject("EINVAL")
                if name == "zone_append" and v > 1:
                    raise Reject("EINVAL")
                o[name] = v
        if o["capacity_mb"] <= o["zone_size_mb"] or o["zone_capacity_mb"] > o["zone_size_mb"]:
            raise Reject("EINVAL")
    if op == "remove":
        if "id" not in o["mask"] or o["mask"] - {"id"}:
            raise Reject("EINVAL")
    return op, o


# ---------------------------------------------------------------------------
# A model of path resolution in the fixture.

class Unknown(Exception):
    """The path leaves the modelled part of the file system."""


def _tree():
    t = {b"/": "opaque", b"/var": "opaque", VARLOCAL: "dir"}
    for rel, kind, target in FIXTURE:
        t[VARLOCAL + b"/" + rel] = (kind, target) if kind == "link" else kind
    return t


TREE = _tree()
# names known to be absent from / (the guest's root is the host's)
ROOT_MISSING = {b"nonexistent", b"0", b"1", b"2", b"3", b"5"}
SAFE_NAME = re.compile(rb"^[A-Za-z0-9._+-]{1,64}$")


def _join(d, name):
    return d + name if d == b"/" else d + b"/" + name


def _parent(d):
    return d.rsplit(b"/", 1)[0] or b"/"


def resolve(path, cwd=CWD):
    """Resolve like filp_open(path, O_RDONLY | O_DIRECTORY): the real path, or
    raise Reject(errno). Raises Unknown outside the modelled tree."""
    if len(path) + 1 > PAGE:
        raise Reject("ENAMETOOLONG")
    links = [0]

    def walk(start, p, depth):
        cur = b"/" if p.startswith(b"/") else start
        comps = [c for c in p.split(b"/") if c]
        for i, c in enumerate(comps):
            last = i == len(comps) - 1
            if TREE.get(cur) not in ("dir", "opaque"):
                raise Reject("ENOTDIR")
            if c == b".":
                continue
            if c == b"..":
                cur = _parent(cur)
                continue
            nxt = _join(cur, c)
            node = TREE.get(nxt)
            if node is None:
                if TREE[cur] == "opaque" and SAFE_NAME.match(c) and not (cur == b"/" and c in ROOT_MISSING):
                    raise Unknown(nxt)
                raise Reject("ENAMETOOLONG" if len(c) > 255 else "ENOENT")
            if isinstance(node, tuple):
                links[0] += 1
                if links[0] > 40:
                    raise Reject("ELOOP")
                nxt = walk(cur, node[1], depth + 1)
            cur = nxt
        return cur

    real = walk(cwd, path, 0)
    if TREE.get(real) not in ("dir", "opaque"):
        raise Reject("ENOTDIR")      # O_DIRECTORY
    return real


def predict(buf, setup):
    """(MODEL result, facts): the facts are for the cost rules, and
    data_dir is the "<base_dir>/<id>" directory an add opens (None if the
    add stops before). Raises Unknown."""
    facts = {"reaches_dir": False, "alloc_zones": 0, "nr_zones": 0, "queue_depth": 0, "data_dir": None}
    try:
        op, o = parse(buf)
        live = {0} if setup == "live0" else set()
        if op == "remove":
            return ("OK" if o["id"] in live else "ENODEV"), facts
        nr = o["capacity_mb"] // o["zone_size_mb"]
        facts["nr_zones"] = nr
        if o["conv_zones"] >= nr or o["max_open_zones"] > nr - o["conv_zones"]:
            return "EINVAL", facts
        facts["alloc_zones"] = nr     # the C driver's kvzalloc of the zone array
        if o["id"] >= 0:
            if o["id"] in live:
                return "EEXIST", facts
            nid = o["id"]
        else:
            nid = min(set(range(len(live) + 1)) - live)
        facts["data_dir"] = (BASE if o["base_dir"] is None else o["base_dir"]) + b"/%d" % nid
        try:
            resolve(facts["data_dir"])
        except Reject as e:
            return ("EINVAL" if e.errno == "ENOENT" else e.errno), facts
        facts["reaches_dir"] = True
        facts["queue_depth"] = o["queue_depth"]
        return "OK", facts
    except Reject as e:
        return e.errno, facts


def acceptable(buf, setup):
    """The MODEL result, or None when the command breaks a cost or log rule."""
    low = buf.lower()
    if any(w in low for w in BAD_LOG) or buf.startswith(b"test "):
        return None
    try:
        res, f = predict(buf, setup)
    except Unknown:
        return None
    if f["alloc_zones"] > MAX_ALLOC_ZONES:
        return None
    if f["reaches_dir"] and (f["nr_zones"] > MAX_ACCEPTED_ZONES or f["queue_depth"] > MAX_ACCEPTED_QUEUE_DEPTH):
        return None
    return res


# ---------------------------------------------------------------------------
# zctl's escaped form.

def escape(b):
    out = []
    for i, c in enumerate(b):
        if c == 0x5C:
            out.append("\\\\")
        elif c == 0x0A:
            out.append("\\n")
        elif c == 0x09:
            out.append("\\t")
        elif c == 0x20 and 0 < i < len(b) - 1:
            out.append(" ")
        elif 0x21 <= c <= 0x7E:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


def unescape(s):
    """zctl's unescape() for the strings escape() makes (and raises on any
    other escape, which zctl would read differently)."""
    b = s.encode("ascii")
    out, i = bytearray(), 0
    while i < len(b):
        c = b[i]
        if c != 0x5C or i + 1 >= len(b):
            out.append(c)
            i += 1
            continue
        e = b[i + 1:i + 2]
        if e in (b"n", b"t", b"v", b"0", b"\\"):
            out.append({b"n": 10, b"t": 9, b"v": 11, b"0": 0, b"\\": 92}[e])
            i += 2
        elif e == b"x" and re.fullmatch(rb"[0-9a-fA-F]{2}", b[i + 2:i + 4]):
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("escape zctl would read differently at %d: %r" % (i, s[i:i + 6]))
    return bytes(out)


# ---------------------------------------------------------------------------
# Generators, one per category: gen(r, k) -> (bytes, setup), k counts the
# commands of that category so far (fixed cases first, random ones after).

BOUNDARY_U = [0, 1, (1 << 31) - 1, 1 << 31, (1 << 31) + 1, U32, 1 << 32, (1 << 32) + 1,
              (1 << 63) - 1, 1 << 63, U64, 1 << 64, (1 << 64) + 1, 10 ** 23 - 1, 10 ** 23]
BOUNDARY_D = BOUNDARY_U + [-(1 << 31), -(1 << 31) - 1, -((1 << 31) - 1), -(1 << 32), -(1 << 63),
                           -(1 << 64), -((1 << 64) - 1), -((1 << 64) + 1), -1]
SEPARATORS = [b",", b",", b",", b"\n", b",,", b",\n", b"\n\n", b",,,,"]


def num_text(r, v, style=None):
    """A spelling of the integer v (maybe negative) in decimal, hex or octal."""
    style = r.randrange(8) if style is None else style
    neg, m = v < 0, abs(v)
    sign = b"-" if neg else b""
    if style == 1:
        return sign + b"0x%x" % m
    if style == 2:
        return sign + b"0X%X" % m
    if style == 3:
        return sign + b"0%o" % m
    if style == 4:
        return sign + b"0" * r.randrange(1, 6) + b"%d" % m
    return sign + b"%d" % m


def uint_text(r, v):
    """A spelling of v that the %u pattern and kstrtouint accept."""
    d = b"%d" % v
    if r.randrange(4) == 0 and all(c <= 0x37 for c in d):
        return b"0" * r.randrange(1, max(2, NUMBER_BUF_LEN - len(d))) + d
    return d


def id_text(r, want):
    """A spelling of id=want (want None: automatic) that match_int accepts."""
    if want is None:
        return r.choice([b"-1", b"-0x1", b"-01", b"18446744073709551615", b"99999999999999999999",
                         b"-2147483648", b"-%d" % r.randrange(1, 1 << 31)])
    return r.choice([b"%d" % want, b"0x%x" % want, b"0X%X" % want, b"0%o" % want,
                     b"-%d" % ((1 << 64) - want) if want else b"-",
                     b"-0" if want == 0 else b"%d" % want])


def cheap_add(r, setup="none", base=Ellipsis, want_id=Ellipsis):
    """Tokens [(name, value or None)] of an add that the drivers accept cheaply."""
    zs = r.choice([1, 1, 2, 4, 8, 8, 16, 32, 64, 256])
    nz = r.choice([2, 2, 3, 4, 4, 5, 8, 16]) if r.randrange(20) else r.choice([32, 64])
    if base is Ellipsis:
        base = r.choice(list(GOOD_BASES))
    ids = [i for i in GOOD_BASES.get(base, [0]) if not (setup == "live0" and i == 0)]
    if want_id is Ellipsis:
        want_id = None if r.randrange(4) == 0 else r.choice(ids)
    toks = [("capacity_mb", uint_text(r, zs * nz + r.randrange(zs))),
            ("zone_size_mb", uint_text(r, zs)),
            ("conv_zones", uint_text(r, r.randrange(nz)))]
    if want_id is not None or r.randrange(2):
        toks.append(("id", id_text(r, want_id)))
    if base is not None:
        toks.append(("base_dir", base))
    if r.randrange(3) == 0:
        toks.append(("zone_capacity_mb", uint_text(r, r.randint(1, zs))))
    if r.randrange(4) == 0:
        toks.append(("nr_queues", uint_text(r, r.choice([1, 2, 3, 64, U32]))))
    if r.randrange(4) == 0:
        toks.append(("queue_depth", uint_text(r, r.choice([1, 2, 16, 64, 128, 1024]))))
    if r.randrange(4) == 0:
        toks.append(("zone_append", uint_text(r, r.randrange(2))))
    for f in FLAGS:
        if r.randrange(6) == 0:
            toks.append((f, None))
    r.shuffle(toks)
    if r.randrange(4) == 0:
        toks.append(("max_open_zones", b"0"))
    return toks


def render(r, toks, op=b"add", lead=b" ", seps=None):
    parts = [n.encode() if v is None else n.encode() + b"=" + v for n, v in toks]
    out = op + (lead if parts else b"")
    for i, p in enumerate(parts):
        if i:
            out += seps[i % len(seps)] if seps else r.choice(SEPARATORS)
        out += p
    return out


def rand_bytes(r, n, alphabet=None):
    if alphabet is None:
        return bytes(r.getrandbits(8) for _ in range(n))
    return bytes(r.choice(alphabet) for _ in range(n))


VOCAB = [b"add", b"remove", b" ", b",", b"\n", b"=", b"-", b"0x", b"0", b"7", b"9", b"\0", b"\xa0",
         b"18446744073709551615", b"4294967296", b"2147483648", b"\t"] + \
        [n.encode() + (b"" if k is None else b"=") for n, k in OPTIONS]


def g_random_bytes(r, k):
    n = [0, 1, 3, 6, 7][k] if k < 5 else r.choice([1, 2, 4, 8, 16, 32, 64, 128, 512])
    return rand_bytes(r, n), "none"


def g_random_after_op(r, k):
    op = r.choice([b"add", b"add ", b"remove", b"remove ", b"add id=0,", b"remove id="])
    alpha = None if r.randrange(2) else b"abcdefghijklmnopqrstuvwxyz_=,\n 0123456789-x"
    return op + rand_bytes(r, r.choice([1, 2, 5, 10, 30, 100]), alpha), "none"


def g_token_soup(r, k):
    out = r.choice([b"add", b"remove", b"add ", b"remove ", b""])
    for _ in range(r.randrange(1, 24)):
        out += r.choice(VOCAB)
    return out, "none"


def g_truncated(r, k):
    if r.randrange(3):
        full = render(r, cheap_add(r))
    else:
        full = render(r, [("id", b"%d" % r.choice(D_IDS))], op=b"remove")
    return full[:r.randrange(len(full) + 1)], "none"


def g_oversized(r, k):
    kind = k % 7 if k < 14 else r.randrange(7)
    toks = cheap_add(r)
    if kind == 0:      # a number of 24+ characters (NUMBER_BUF_LEN)
        name = r.choice(NUMERIC)
        digits = b"0" * r.randrange(0, 30) + b"%d" % r.randrange(1, 1000)
        digits = digits.rjust(r.randrange(24, 40), b"0")
        toks = [(n, v) for n, v in toks if n != name] + [(name, digits)]
    elif kind == 1:    # exactly 23 characters: still a number
        name = r.choice(["capacity_mb", "conv_zones", "id", "queue_depth"])
        v = dict(toks).get(name, b"1")
        v = v if v[:1] != b"-" and name != "id" else b"0"
        toks = [(n, x) for n, x in toks if n != name] + [(name, v.rjust(23, b"0") if all(c <= 0x37 for c in v) else v)]
    elif kind == 2:    # a very long unknown token
        toks.insert(r.randrange(len(toks) + 1), (rand_bytes(r, r.randrange(100, 2000), b"abcdefgh_").decode(), None))
    elif kind == 3:    # a long option name prefix
        toks.append(("capacity_mb" * r.randrange(2, 50), b"512"))
    elif kind == 4:    # long base_dir components
        toks = [(n, v) for n, v in toks if n != "base_dir"]
        toks.append(("base_dir", r.choice([b"a" * 255, b"a" * 256, b"d/" + b"x" * r.randrange(200, 400),
                                           b"d/" + b"./" * r.randrange(100, 1500) + b"."])))
    elif kind == 5:    # a long value of a number option
        name = r.choice(NUMERIC)
        toks = [(n, v) for n, v in toks if n != name] + [(name, b"9" * r.randrange(24, 3000))]
    else:              # huge digit strings for id
        toks = [(n, v) for n, v in toks if n != "id"] + [("id", b"-" * r.randrange(2) + b"1" * r.randrange(20, 100))]
    return render(r, toks), "none"


def g_repeated(r, k):
    toks = cheap_add(r)
    extra = []
    for _ in range(r.randrange(1, 40)):
        n, v = r.choice(toks)
        if n in ("capacity_mb", "zone_size_mb", "conv_zones", "zone_capacity_mb") and r.randrange(2):
            v = uint_text(r, r.choice([0, 1, 2, 3, 4, 512, 16384, U32]))
        extra.append((n, v))
    if r.randrange(2):
        toks = extra + toks      # the last one wins: still the cheap values
    else:
        toks = toks + extra
    if r.randrange(6) == 0:
        return render(r, [("id", b"%d" % r.choice(D_IDS))] * r.randrange(2, 30), op=b"remove"), "none"
    if r.randrange(8) == 0:
        return b"add " + b"add " * r.randrange(1, 10), "none"
    return render(r, toks), "none"


def g_boundary(r, k):
    name = r.choice(NUMERIC)
    vals = BOUNDARY_D if name == "id" else BOUNDARY_U + [-1, -(1 << 31), -(1 << 63)]
    v = vals[k % len(vals)] if k < len(vals) else r.choice(vals)
    text = num_text(r, v, style=0 if r.randrange(2) else None)
    if r.randrange(5) == 0:
        return b"remove id=" + num_text(r, v), "none"
    toks = [(n, x) for n, x in cheap_add(r) if n != name]
    if r.randrange(3) == 0:   # a directory that does not exist: big values stay cheap
        toks = [(n, x) for n, x in toks if n != "base_dir"] + [("base_dir", r.choice(BAD_BASES[:5]))]
    # big capacities must not make big devices: pair them with a geometry that fails
    # or with the largest zone size and a base_dir that does not exist
    if name == "capacity_mb" and r.randrange(3):
        toks = [(n, x) for n, x in toks if n not in ("zone_size_mb", "base_dir", "conv_zones")]
        toks += r.choice([[("conv_zones", b"4294967295")],
                          [("zone_size_mb", b"16384"), ("base_dir", r.choice(BAD_BASES[:5]))],
                          [("zone_size_mb", b"16384"), ("conv_zones", b"%d" % r.randrange(1 << 18, 1 << 19))]])
    toks.insert(r.randrange(len(toks) + 1), (name, text))
    return render(r, toks), "none"


SYNTAX_U = [b"-1", b"-0", b"+1", b"+512", b"0x10", b"0X10", b"0x", b"0x0", b"010", b"08", b"0128",
            b"00", b"0", b"1e3", b"1.0", b"1,", b" 1", b"1 ", b"1\t", b"--1", b"0b1", b"\xd9\xa1",
            b"\xef\xbc\x91", b"1_000", b"0o7", b"0000000000000000000000010", b"-", b"+", b"x1", b"1x",
            b"0xg", b"0x-1", b"1-", b"%d", b"%u", b"\x0b1"]
SYNTAX_D = [b"-1", b"-0", b"-", b"--1", b"+1", b"0x10", b"0X1f", b"-0x10", b"0x", b"0xg", b"010",
            b"08", b"-08", b"0777", b"-0777", b"0x7fffffff", b"0x80000000", b"-0x80000000",
            b"-0x80000001", b"0xffffffff", b"0xffffffffffffffff", b"0x10000000000000000",
            b"017777777777", b"020000000000", b"0x0x1", b"1 ", b" 1", b"0B1", b"-\xa01", b"0x1g"]


def g_number_syntax(r, k):
    name = r.choice(NUMERIC)
    table = SYNTAX_D if name == "id" else SYNTAX_U
    text = table[k % len(table)] if k < len(table) else r.choice(table)
    if name == "id" and r.randrange(4) == 0:
        return b"remove id=" + text, "none"
    toks = [(n, x) for n, x in cheap_add(r) if n != name]
    toks.insert(r.randrange(len(toks) + 1), (name, text))
    return render(r, toks), "none"


CONFLICTS = [
    b"add capacity_mb=64,zone_size_mb=64", b"add capacity_mb=32,zone_size_mb=64",
    b"add zone_size_mb=16384", b"add zone_size_mb=16384,capacity_mb=16384",
    b"add zone_size_mb=32768,capacity_mb=65536", b"add zone_size_mb=96,capacity_mb=512",
    b"add capacity_mb=256,zone_size_mb=64,zone_capacity_mb=65",
    b"add capacity_mb=256,zone_size_mb=64,conv_zones=4", b"add capacity_mb=256,zone_size_mb=64,conv_zones=5",
    b"add capacity_mb=256,zone_size_mb=64,conv_zones=1,max_open_zones=4",
    b"add capacity_mb=256,zone_size_mb=64,conv_zones=1,max_open_zones=3,base_dir=d,id=1",
    b"add capacity_mb=256,zone_size_mb=64,conv_zones=0,zone_append=0,ordered_zone_append,base_dir=d,id=2",
    b"add zone_append=2", b"add zone_append=1,zone_append=0,capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=d",
    b"remove id=0,capacity_mb=64", b"remove capacity_mb=64", b"remove id=0,base_dir=d",
    b"remove id=0,buffered_io", b"remove id=0,id=1", b"remove id=1,id=0,id=3",
    b"add remove", b"remove add", b"addremove", b"removeadd", b"add id=0,remove",
    b"add buffered_io=1", b"add zone_append", b"add discard_write_cache=0", b"add ordered_zone_append=1",
    b"add capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=d,base_dir=missing",
    b"add capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=missing,base_dir=d,id=3",
    b"add id=1,id=9,capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=d",
    b"add id=9,id=1,capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=d",
    b"add zone_size_mb=8,capacity_mb=16,zone_size_mb=16,conv_zones=0,base_dir=d",
    b"add capacity_mb=16,zone_size_mb=8,zone_capacity_mb=8,zone_capacity_mb=9,conv_zones=0,base_dir=d",
    b"add capacity_mb=16,zone_size_mb=8,conv_zones=1,max_open_zones=1,max_open_zones=2,base_dir=d",
    b"add capacity_mb=16,zone_size_mb=8,conv_zones=0,nr_queues=0", b"add queue_depth=0",
    b"add capacity_mb=16,zone_size_mb=8,conv_zones=0,zone_capacity_mb=0",
    b"add capacity_mb=0", b"add zone_size_mb=0", b"add capacity_mb=4294967295,zone_size_mb=1,conv_zones=4294967295",
    b"add capacity_mb=4294967295,zone_size_mb=16384,conv_zones=262143",
    b"add capacity_mb=4294967295,zone_size_mb=16384,conv_zones=0,max_open_zones=262144",
]


def g_conflicting(r, k):
    if k < len(CONFLICTS):
        return CONFLICTS[k], "none"
    toks = cheap_add(r)
    d = dict(toks)
    zs = int(d["zone_size_mb"])
    cap = int(d["capacity_mb"])
    nz = cap // zs
    bad = r.choice([("capacity_mb", zs), ("capacity_mb", r.randint(1, zs)),
                    ("zone_capacity_mb", zs + r.randint(1, 100)), ("conv_zones", nz + r.randrange(3)),
                    ("max_open_zones", nz + 1), ("zone_size_mb", r.choice([3, 5, 6, 7, 12, 100, 32768, 65536])),
                    ("zone_append", r.choice([2, 3, 10, U32]))])
    toks.append((bad[0], b"%d" % bad[1]))
    if r.randrange(3) == 0:
        toks.append((r.choice(FLAGS), None))
    return render(r, toks), "none"


EMPTY = [b"", b"add", b"remove", b"add\n", b"remove\n", b"add ", b"remove ", b"add,", b"add,,,\n\n",
         b",,,", b"\n", b" ", b"\0", b"add=", b"remove=", b"ad", b"remov", b"a", b"r", b"\n\n\n",
         b"add\n\n", b"remove,,", b"remove id", b"remove id=", b"add id", b"add base_dir",
         b"add base_dir=", b"add base_dir=,", b"add ,base_dir=\n", b"add id=,", b"add =", b"add =1"]


def g_empty(r, k):
    return EMPTY[k % len(EMPTY)], "none"


def g_nul_embedded(r, k):
    fixed = [b"\0add", b"add\0", b"add\0id=junk", b"remove\0", b"remove\0id=0", b"remove id=0\0junk",
             b"ad\0d", b"add id=0\0,capacity_mb=0", b"add capacity_mb=5\x0012,zone_size_mb=1",
             b"add \0\0\0\0", b"\0\0\0\0\0\0\0\0"]
    if k < len(fixed):
        return fixed[k], "none"
    cmd = render(r, cheap_add(r)) if r.randrange(3) else render(r, [("id", b"%d" % r.randrange(4))], op=b"remove")
    for _ in range(r.randrange(1, 4)):
        i = r.randrange(len(cmd) + 1)
        cmd = cmd[:i] + b"\0" + (rand_bytes(r, r.randrange(8)) if r.randrange(2) else b"") + cmd[i:]
    return cmd, "none"


def g_whitespace(r, k):
    toks = cheap_add(r)
    spaces = [b" ", b"\t", b"\n", b"\x0b", b"\x0c", b"\r", b"\xa0", b"  ", b" \t\n", b"\r\n"]
    where = k % 8 if k < 16 else r.randrange(8)
    if where == 0:     # after the operation: skipped
        return render(r, toks, lead=b"".join(r.choice(spaces) for _ in range(r.randrange(1, 6)))), "none"
    if where == 1:     # before the operation
        return r.choice(spaces) + render(r, toks), "none"
    if where == 2:     # trailing
        return render(r, toks) + r.choice(spaces), "none"
    if where == 3:     # around '='
        n, v = r.choice([t for t in toks if t[1] is not None] or [("id", b"0")])
        toks.remove((n, v)) if (n, v) in toks else None
        toks.append((n + r.choice([" ", "\t", ""]), r.choice([b" ", b"\t", b""]) + v))
        return render(r, toks), "none"
    if where == 4:     # around separators
        return render(r, toks, seps=[r.choice([b", ", b" ,", b",\t", b"\n ", b", \n"])]), "none"
    if where == 5:     # whitespace-padded base_dir
        toks = [(n, v) for n, v in toks if n != "base_dir"]
        toks.append(("base_dir", r.choice([b" d", b"d ", b"\td", b"d\t", b" " + ROOT + b"/d", b"d\r"])))
        return render(r, toks), "none"
    if where == 6:     # op without space, or with no-break space
        return render(r, toks, lead=r.choice([b"", b"\xa0", b"\xa0\xa0", b"\r"])), "none"
    return b"remove" + r.choice(spaces) + b"id=" + r.choice([b"0", b" 0", b"0 ", b"0\n", b"\t0"]), "none"


def g_base_dir(r, k):
    bases = list(GOOD_BASES) + BAD_BASES
    base = bases[k % len(bases)] if k < len(bases) else r.choice(bases)
    if base in GOOD_BASES and r.randrange(3) == 0:
        ids = list(GOOD_BASES[base])
        want = r.choice([i for i in range(20) if i not in ids] + [4, 5, 6, 7, 9])  # missing or odd id dirs
        return render(r, cheap_add(r, base=base, want_id=want)), "none"
    if base in GOOD_BASES:
        return render(r, cheap_add(r, base=base)), "none"
    want = r.choice([0, 1, None, 5])
    return render(r, cheap_add(r, base=base, want_id=want)), "none"


def _pad_to(cmd, n, filler):
    assert len(cmd) <= n
    pad = filler * ((n - len(cmd)) // len(filler) + 1)
    return cmd + pad[:n - len(cmd)]


def _long_base(head, tail):
    """head + "/./././..." + tail, exactly a page long."""
    n = PAGE - len(head) - len(tail)
    return head + b"/." * (n // 2) + b"/" * (n % 2) + tail


def g_page_size(r, k):
    base = render(r, cheap_add(r, base=b"d"), seps=[b","])
    cases = [
        lambda: _pad_to(base + b",", PAGE, b","),                 # exactly a page: accepted
        lambda: _pad_to(base + b",", PAGE + 1, b","),             # a page + 1: ENOMEM
        lambda: _pad_to(base + b",", PAGE - 1, b","),
        lambda: _pad_to(base + b"\n", PAGE, b"\n"),
        lambda: _pad_to(base + b"\n", PAGE + 1, b"\n"),
        lambda: _pad_to(b"add ", PAGE, b"a"),
        lambda: _pad_to(b"add ", PAGE + 1, b"a"),
        lambda: _pad_to(b"remove id=1,", PAGE, b","),
        lambda: _pad_to(b"remove id=1,", PAGE + 1, b","),
        lambda: _pad_to(b"add\0", PAGE, b"\0"),
        lambda: _pad_to(b"add\0", PAGE + 1, b"\0"),
        lambda: rand_bytes(r, PAGE), lambda: rand_bytes(r, PAGE + 1),
        lambda: _pad_to(b"add", PAGE, b" "),
        # a base_dir that fills the page and still leads to d/<id>
        lambda: _long_base(b"add capacity_mb=16,zone_size_mb=8,conv_zones=1,base_dir=d", b",id=1"),
        lambda: _pad_to(b"add capacity_mb=16,zone_size_mb=8,conv_zones=1,id=1,base_dir=d", PAGE, b"/"),
        lambda: _pad_to(b"add capacity_mb=16,zone_size_mb=8,conv_zones=1,id=1,base_dir=d", PAGE + 1, b"/"),
        lambda: _pad_to(b"add capacity_mb=16,zone_size_mb=8,conv_zones=1,id=1,base_dir=", PAGE, b"x"),
        lambda: _pad_to(b"add id=", PAGE, b"0"),
        lambda: _pad_to(base + b",\0", PAGE, b"z"),
    ]
    return cases[k % len(cases)](), "none"


def g_valid(r, k):
    if k == 0:
        return b"add", "none"    # the defaults: 64 zones in /var/local/zloop/0
    if r.randrange(6) == 0:
        return render(r, [("id", id_text(r, r.choice([0, 1, 5, 255])))], op=b"remove"), "none"
    return render(r, cheap_add(r)), "none"


def g_remove(r, k):
    fixed = [b"remove id=0", b"remove id=-1", b"remove id=2147483647", b"remove id=2147483648",
             b"remove id=-2147483648", b"remove id=-2147483649", b"remove id=0x7fffffff",
             b"remove  id=1", b"removeid=0", b"remove\tid=0", b"remove\nid=0", b"remove id=0\n",
             b"remove id=1,,", b"remove ,id=1", b"remove id=3,capacity_mb=16384",
             b"remove id=1,zone_size_mb=16384"]
    if k < len(fixed):
        return fixed[k], "none"
    return render(r, [("id", num_text(r, r.choice(BOUNDARY_D + [0, 1, 2, 3])))], op=b"remove"), "none"


def g_live_device(r, k):
    fixed = [b"remove id=0", b"remove id=00", b"remove id=0x0", b"remove id=-0", b"remove id=-",
             b"remove id=000000000000000000000", b"remove id=18446744073709551616",
             b"remove id=-18446744073709551616", b"remove id=4294967296", b"remove id=1",
             b"remove id=0,capacity_mb=2", b"add id=0,capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=d",
             b"add id=-,capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=d",
             b"add capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=d",
             b"add id=0,capacity_mb=0", b"add id=0,capacity_mb=16,zone_size_mb=8,conv_zones=0,base_dir=missing"]
    if k < len(fixed):
        return fixed[k], "live0"
    if r.randrange(2):
        return render(r, cheap_add(r, setup="live0")), "live0"
    if r.randrange(2):
        return render(r, cheap_add(r, setup="none", want_id=0)), "live0"   # EEXIST
    return b"remove id=" + id_text(r, r.choice([0, 0, 1])), "live0"


CATEGORIES = [  # name, generator, weight
    ("random_bytes", g_random_bytes, 70),
    ("random_after_op", g_random_after_op, 70),
    ("token_soup", g_token_soup, 90),
    ("truncated", g_truncated, 80),
    ("oversized", g_oversized, 80),
    ("repeated", g_repeated, 70),
    ("boundary", g_boundary, 130),
    ("number_syntax", g_number_syntax, 110),
    ("conflicting", g_conflicting, 80),
    ("empty", g_empty, 35),
    ("nul_embedded", g_nul_embedded, 60),
    ("whitespace", g_whitespace, 80),
    ("base_dir", g_base_dir, 110),
    ("page_size", g_page_size, 40),
    ("valid", g_valid, 40),
    ("remove", g_remove, 40),
    ("live_device", g_live_device, 50),
]


KEEP_ACCEPTED = {"valid", "page_size", "live_device"}


def generate(seed, count):
    """[(index, category, setup, model, bytes)]"""
    r = random.Random(seed)
    total = sum(w for _, _, w in CATEGORIES)
    quota = [(name, gen, max(1, round(count * w / total))) for name, gen, w in CATEGORIES]
    # make the quotas add up to count exactly (trim or pad the biggest)
    diff = count - sum(q for _, _, q in quota)
    i = max(range(len(quota)), key=lambda j: quota[j][2])
    quota[i] = (quota[i][0], quota[i][1], quota[i][2] + diff)
    items = []
    for name, gen, q in quota:
        made = 0
        for attempt in range(q * 50):
            if made == q:
                break
            cmd, setup = gen(r, made)
            model = acceptable(cmd, setup)
            if model is None:
                continue
            # every accepted add costs a device (a few hundred ms in an
            # emulated VM): keep about half of those other categories make
            if model == "OK" and cmd.startswith(b"add") and name not in KEEP_ACCEPTED and r.randrange(2):
                continue
            items.append((name, setup, model, cmd))
            made += 1
        if made < q:
            raise SystemExit("gen-control-corpus: category %s: only %d of %d commands" % (name, made, q))
    r.shuffle(items)
    return [(i + 1, c, s, m, b) for i, (c, s, m, b) in enumerate(items)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--out", default="-")
    ap.add_argument("--stats", action="store_true", help="counts per category and model result, on stderr")
    a = ap.parse_args()
    if a.count < len(CATEGORIES):
        ap.error("--count must be at least %d" % len(CATEGORIES))
    items = generate(a.seed, a.count)
    lines = ["# zloop control corpus: gen-control-corpus.py --seed %d --count %d" % (a.seed, a.count),
             "# index\tcategory\tsetup\tmodel\tcommand (zctl escapes)"]
    for i, c, s, m, b in items:
        e = escape(b)
        assert unescape(e) == b
        lines.append("%d\t%s\t%s\t%s\t%s" % (i, c, s, m, e))
    text = "\n".join(lines) + "\n"
    if a.out == "-":
        sys.stdout.write(text)
    else:
        with open(a.out, "w") as f:
            f.write(text)
    if a.stats:
        from collections import Counter
        cats = Counter(c for _, c, _, _, _ in items)
        res = Counter(m for _, _, _, m, _ in items)
        for c, n in sorted(cats.items()):
            ok = sum(1 for _, cc, _, m, _ in items if cc == c and m == "OK")
            print("%-16s %5d  (model OK %d)" % (c, n, ok), file=sys.stderr)
        print("model: " + ", ".join("%s %d" % kv for kv in res.most_common()), file=sys.stderr)
        print("longest write %d bytes; %d writes > %d" % (max(len(b) for *_, b in items), sum(
            1 for *_, b in items if len(b) > PAGE), PAGE), file=sys.stderr)


if __name__ == "__main__":
    main()
