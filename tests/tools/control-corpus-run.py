#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs the control corpus of gen-control-corpus.py in the test VM.

    control-corpus-run.py selfcheck CORPUS [--zctl PATH]
        Builds the fixture and checks, without any driver, that the corpus
        means what the generator thinks: every directory an add would open
        resolves (open(2) with O_DIRECTORY from the fixture's directory) as
        the generator's model says, and zctl decodes a sample of the escaped
        commands to the bytes this script writes.

    control-corpus-run.py run CORPUS OUT
        With one driver loaded (owner of /dev/zloop-control) and no zloop
        device: for every command, a fresh fixture (the base directories under
        /var/local/zloop-corpus and /var/local/zloop), the setup device if
        the command asks for one, then the command in one write(2). Then:
        which devices appeared or went away (only an accepted add may add one,
        only an accepted remove may take one), which files appeared (only zone
        files and zloop_rs's description file, only in the id directory of
        the add), and every device left is
        removed ("remove id=N" must succeed). Writes one line per command to
        OUT: INDEX <TAB> RESULT <TAB> PROBLEMS, where RESULT is "OK" or the
        errno name plus what changed (e.g. "OK +zloop1 zones=4 files=...")
        and PROBLEMS lists what broke the rules above (empty when none).
        Prints a summary.

    control-corpus-run.py run --fake CORPUS OUT
        The same against a fake driver made of the generator's model (no
        kernel, no /dev/zloop-control): checks this script on the host, in a
        mount namespace with a tmpfs on /var/local, e.g.
        unshare -m sh -c 'mount -t tmpfs none /var/local && ./control-corpus-run.py run --fake C OUT'

    control-corpus-run.py compare CORPUS RS_OUT C_OUT
        Fails (exit 1) on any command whose RESULT differs between the two
        drivers, unless the difference is a documented deviation, on any
        PROBLEMS, and when the corpus did not exercise what it must (accepted
        adds, each expected errno, each category). Prints a summary.
"""

import errno
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gen_control_corpus", os.path.join(HERE, "gen-control-corpus.py"))
g = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(g)

CTL = "/dev/zloop-control"
ZONE_FILE = re.compile(rb"^(cnv|seq)-[0-9]{6}$")
# zloop_rs writes the options of an add it accepted into this file of the id
# directory (deviations.md, Additions: "Self-describing devices"); the C zloop
# does not: never part of a RESULT.
DESCRIPTION = b"zloop_rs.device"


def read_corpus(path):
    """[(index, category, setup, model, escaped, bytes)]"""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            i, cat, setup, model, esc = line.rstrip("\n").split("\t", 4)
            out.append((int(i), cat, setup, model, esc, g.unescape(esc)))
    return out


def errname(e):
    return errno.errorcode.get(e, "E%d" % e)


def ctl_write(data):
    """One write(2) of data to the control file: "OK" or the errno name."""
    fd = os.open(CTL, os.O_WRONLY)
    try:
        n = os.write(fd, data)
        return "OK" if n == len(data) else "SHORT-%d" % n
    except OSError as e:
        return errname(e.errno)
    finally:
        os.close(fd)


def build_fixture():
    os.chdir("/")
    for top in (g.ROOT, g.BASE):
        if os.path.lexists(top):
            shutil.rmtree(top)
    for rel, kind, target in g.FIXTURE:
        p = g.VARLOCAL + b"/" + rel
        if kind == "dir":
            os.mkdir(p, 0o755)
        elif kind == "file":
            os.close(os.open(p, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644))
        else:
            os.symlink(target, p)
    os.chdir(g.CWD)


def id_dirs():
    """real path of each id directory of the fixture -> its id"""
    out = {}
    for rel, kind, target in g.FIXTURE:
        p = g.VARLOCAL + b"/" + rel
        name = os.path.basename(p)
        if name.isdigit() and os.path.isdir(p):
            out[os.path.realpath(p)] = int(name)
    return out


def snapshot():
    """path -> (type, mode, size or link target) for the fixture trees and
    the top level of /var/local."""
    snap = {}

    def entry(p):
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            return ("l", 0, os.readlink(p))
        if stat.S_ISREG(st.st_mode):
            return ("f", st.st_mode, st.st_size)
        return ("d" if stat.S_ISDIR(st.st_mode) else "o", st.st_mode, 0)

    for n in os.listdir(g.VARLOCAL):
        p = g.VARLOCAL + b"/" + n
        snap[p] = entry(p)
    for top in (g.ROOT, g.BASE):
        for dirpath, dirnames, filenames in os.walk(top):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                snap[p] = entry(p)
    return snap


def dev_ids():
    return {int(n[5:]) for n in os.listdir("/sys/block") if n.startswith("zloop") and n[5:].isdigit()}


def nr_zones(n):
    with open("/sys/block/zloop%d/queue/nr_zones" % n) as f:
        return int(f.read())


def settle():
    """Waits for udev to finish with new disks: a disk udev still holds open
    when it is removed keeps its id busy on zloop_rs (deviations.md 10)."""
    if shutil.which("udevadm"):
        subprocess.run(["udevadm", "settle", "--timeout=60"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def rel(p):
    return p[len(g.VARLOCAL) + 1:].decode("ascii", "backslashreplace")


def run_one(cmd, setup, iddirs):
    """(result, [problems]) of one command on a fresh fixture."""
    problems = []
    build_fixture()
    if setup == "live0":
        # EBUSY: the device 0 of the previous command may still be going away
        # on zloop_rs (deviations.md 10); not what this command tests
        for _ in range(100):
            r = ctl_write(g.SETUP_ADD)
            if r != "EBUSY":
                break
            time.sleep(0.02)
        if r != "OK":
            problems.append("setup add gave %s" % r)
        settle()
    before_ids, before = dev_ids(), snapshot()
    res = ctl_write(cmd)
    after_ids = dev_ids()
    new, gone = sorted(after_ids - before_ids), sorted(before_ids - after_ids)
    op = "add" if cmd.startswith(b"add") else "remove" if cmd.startswith(b"remove") else None
    want_new, want_gone = (res == "OK" and op == "add"), (res == "OK" and op == "remove")
    if len(new) != int(want_new) or len(gone) != int(want_gone):
        problems.append("devices %s: new %s, gone %s" % (res, new, gone))
    zones = {}
    for n in new:
        try:
            zones[n] = nr_zones(n)
        except OSError as e:
            problems.append("zloop%d: no nr_zones (%s)" % (n, errname(e.errno)))
    if new:
        settle()
    after = snapshot()

    detail = ""
    if want_new and len(new) == 1:
        detail += " +zloop%d zones=%s" % (new[0], zones.get(new[0]))
    if want_gone and len(gone) == 1:
        detail += " -zloop%d" % gone[0]
    for p in sorted(set(before) - set(after)):
        problems.append("removed %s" % rel(p))
    for p in sorted(set(before) & set(after)):
        if before[p] != after[p]:
            problems.append("changed %s: %s -> %s" % (rel(p), before[p], after[p]))
    created = {}
    for p in sorted(set(after) - set(before)):
        parent, name = os.path.split(p)
        if after[p][0] == "f" and ZONE_FILE.match(name) and parent in iddirs:
            c = created.setdefault(parent, [0, 0])
            c[0] += 1
            c[1] += after[p][2]
        elif (after[p][0] == "f" and name == DESCRIPTION and want_new and len(new) == 1
              and iddirs.get(parent) == new[0]):
            pass
        else:
            problems.append("stray %s %s" % (after[p][0], rel(p)))
    for parent, (count, size) in sorted(created.items()):
        detail += " files=%s:%d:%dB" % (rel(parent), count, size)
        if want_new and len(new) == 1:
            if iddirs[parent] != new[0] or count != zones.get(new[0]):
                problems.append("zloop%d: %d zone files in %s" % (new[0], count, rel(parent)))
    if want_new and len(new) == 1 and not created:
        problems.append("zloop%d: no zone files" % new[0])

    for n in sorted(dev_ids()):
        r = ctl_write(b"remove id=%d" % n)
        if r != "OK":
            problems.append("remove id=%d gave %s" % (n, r))
    left = dev_ids()
    if left:
        problems.append("devices left after removal: %s" % sorted(left))
    return res + detail, problems


class FakeDriver:
    """The generator's model as a driver: accepted adds create their zone
    files and a device in a table, accepted removes drop it."""

    def __init__(self):
        self.devs = {}

    def ctl_write(self, data):
        try:
            op, o = g.parse(data)
            if op == "remove":
                return "OK" if self.devs.pop(o["id"], None) else "ENODEV"
        except g.Reject as e:
            return e.errno
        if set(self.devs) - {0}:
            return "EFAKE"          # the model knows device 0 only
        res, f = g.predict(data, "live0" if 0 in self.devs else "none")
        if res != "OK":
            return res
        nr = o["capacity_mb"] // o["zone_size_mb"]
        for z in range(nr):
            kind = b"cnv" if z < o["conv_zones"] else b"seq"
            fd = os.open(f["data_dir"] + b"/%s-%06d" % (kind, z), os.O_CREAT | os.O_RDWR, 0o600)
            if kind == b"cnv":
                os.ftruncate(fd, o["zone_size_mb"] << 20)
            os.close(fd)
        self.devs[int(f["data_dir"].rsplit(b"/", 1)[1])] = nr
        return "OK"


def use_fake():
    global ctl_write, dev_ids, nr_zones, settle, CTL
    fake = FakeDriver()
    ctl_write = fake.ctl_write
    dev_ids = lambda: set(fake.devs)
    nr_zones = lambda n: fake.devs[n]
    settle = lambda: None
    CTL = "/"


def cmd_run(corpus_path, out_path):
    corpus = read_corpus(corpus_path)
    if not os.path.exists(CTL):
        sys.exit("no %s" % CTL)
    if dev_ids():
        sys.exit("zloop devices exist before the run: %s" % sorted(dev_ids()))
    build_fixture()
    iddirs = id_dirs()
    t0 = time.monotonic()
    results = Counter()
    nprob = 0
    with open(out_path, "w") as out:
        for k, (i, cat, setup, model, esc, cmd) in enumerate(corpus):
            res, problems = run_one(cmd, setup, iddirs)
            results[res.split()[0]] += 1
            nprob += bool(problems)
            out.write("%d\t%s\t%s\n" % (i, res, "; ".join(problems)))
            out.flush()
            if (k + 1) % 200 == 0:
                print("# %d commands, %.0f s" % (k + 1, time.monotonic() - t0), file=sys.stderr, flush=True)
    os.chdir("/")
    for top in (g.ROOT,):
        shutil.rmtree(top, ignore_errors=True)
    dt = time.monotonic() - t0
    print("%d commands in %.0f s (%.0f ms each): accepted %d, rejected %s; %d with problems" % (
        len(corpus), dt, 1000 * dt / max(1, len(corpus)), results["OK"],
        ", ".join("%s %d" % kv for kv in sorted(results.items()) if kv[0] != "OK") or "none", nprob))
    return 0


def cmd_selfcheck(corpus_path, zctl=None):
    corpus = read_corpus(corpus_path)
    build_fixture()
    bad = []
    checked = nres = 0
    for i, cat, setup, model, esc, cmd in corpus:
        res, facts = g.predict(cmd, setup)
        d = facts["data_dir"]
        if d is None:
            continue
        try:
            g.resolve(d)
            want = "OK"
        except g.Reject as e:
            want = e.errno
        try:
            os.close(os.open(d, os.O_RDONLY | os.O_DIRECTORY))
            got = "OK"
        except OSError as e:
            got = errname(e.errno)
        checked += 1
        if got != want:
            nres += 1
            bad.append("#%d [%s] %r: model %s, open(2) %s" % (i, cat, d[:80], want, got))
    ndec = 0
    if zctl:
        tmp = "/tmp/zloop-corpus-decode"
        for i, cat, setup, model, esc, cmd in corpus:
            if i % 25 and cat != "page_size":
                continue
            open(tmp, "wb").close()
            r = subprocess.run([zctl, "write", tmp, esc], capture_output=True, text=True).stdout.strip()
            with open(tmp, "rb") as f:
                data = f.read()
            ndec += 1
            if r != "OK" or data != cmd:
                bad.append("#%d [%s]: zctl wrote %d bytes (%s), want %d" % (i, cat, len(data), r, len(cmd)))
        os.unlink(tmp)
    os.chdir("/")
    shutil.rmtree(g.ROOT, ignore_errors=True)
    print("selfcheck: %d of %d add directories resolve as the model says; %d of %d sampled commands decode "
          "as zctl does" % (checked - nres, checked, ndec - (len(bad) - nres), ndec))
    for b in bad[:20]:
        print("  " + b)
    return 1 if bad or not checked else 0


# Documented deviations (Documentation/deviations.md) that this corpus can
# meet: name -> predicate(command bytes, rs result, C result).
DEVIATIONS = {
    # 10: an id stays taken until its removed disk is closed (udev may
    # still hold the disk of the previous command): EBUSY on zloop_rs.
    "deviations.md 10 (id of a removed, still open disk is EBUSY)":
        lambda cmd, rs, c: cmd.startswith(b"add") and rs == "EBUSY" and (c == "EEXIST" or c.startswith("OK")),
}
MUST_SEE = ["EINVAL", "ENOMEM", "ENOTDIR", "ENODEV", "EEXIST", "ELOOP", "ENAMETOOLONG"]
MIN_ACCEPTED = 50


def read_results(path):
    out = {}
    with open(path) as f:
        for line in f:
            i, res, prob = line.rstrip("\n").split("\t", 2)
            out[int(i)] = (res, prob)
    return out


def cmd_compare(corpus_path, rs_path, c_path):
    corpus = read_corpus(corpus_path)
    rs, c = read_results(rs_path), read_results(c_path)
    fails, devs, model_miss = [], Counter(), []
    both = Counter()
    cats = Counter()
    for i, cat, setup, model, esc, cmd in corpus:
        cats[cat] += 1
        shown = esc if len(esc) <= 200 else esc[:200] + "...(%d bytes)" % len(cmd)
        what = "#%d [%s%s] '%s'" % (i, cat, "" if setup == "none" else ", setup " + setup, shown)
        if i not in rs or i not in c:
            fails.append("%s: no result (rs %s, c %s)" % (what, i in rs, i in c))
            continue
        (r, rp), (cr, cp) = rs[i], c[i]
        if rp:
            fails.append("%s: zloop_rs problems: %s" % (what, rp))
        if cp:
            fails.append("%s: C zloop problems: %s" % (what, cp))
        if r != cr:
            dev = next((n for n, f in DEVIATIONS.items() if f(cmd, r, cr)), None)
            if dev:
                devs[dev] += 1
            else:
                fails.append("%s: zloop_rs %s, C zloop %s" % (what, r, cr))
        both[cr.split()[0]] += 1
        if cr.split()[0] != model:
            model_miss.append("%s: C %s, model %s" % (what, cr.split()[0], model))
    accepted_adds = sum(1 for i, cat, setup, model, esc, cmd in corpus
                        if i in c and c[i][0].startswith("OK +zloop"))
    if accepted_adds < MIN_ACCEPTED:
        fails.append("only %d accepted adds on the C zloop (want at least %d): the corpus did not reach the driver"
                     % (accepted_adds, MIN_ACCEPTED))
    for e in MUST_SEE:
        if not both[e]:
            fails.append("no command gave %s on the C zloop" % e)
    for name, _, _ in g.CATEGORIES:
        if not cats[name]:
            fails.append("no command of category %s" % name)
    print("%d commands; C zloop: %s (%d accepted adds)" % (
        len(corpus), ", ".join("%s %d" % kv for kv in both.most_common()), accepted_adds))
    print("differences between the drivers: %d undocumented, %s" % (
        sum(1 for f in fails if "zloop_rs " in f and ", C zloop " in f),
        ", ".join("%d documented (%s)" % (n, d) for d, n in devs.items()) or "0 documented"))
    print("generator model: agrees with the C zloop on %d of %d commands" % (len(corpus) - len(model_miss), len(corpus)))
    for m in model_miss[:10]:
        print("  model: " + m)
    for f in fails[:40]:
        print("mismatch: " + f)
    if len(fails) > 40:
        print("... and %d more" % (len(fails) - 40))
    return 1 if fails else 0


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "selfcheck":
        zctl = a[a.index("--zctl") + 1] if "--zctl" in a else None
        return cmd_selfcheck(a[1], zctl)
    if len(a) == 3 and a[0] == "run":
        return cmd_run(a[1], a[2])
    if len(a) == 4 and a[:2] == ["run", "--fake"]:
        use_fake()
        return cmd_run(a[2], a[3])
    if len(a) == 4 and a[0] == "compare":
        return cmd_compare(a[1], a[2], a[3])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
