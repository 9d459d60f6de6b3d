#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Power-cut workload and check, run in the test VM by tests/powercut/run.sh.

    guest.py STATE_DIR [--discard] [--fixed] [--final]

STATE_DIR is shared read-write with the host (tools/vm --rwdir): the host
reads "ready" there and then kills QEMU; the flush log ("log") survives the
kill because the host wrote it, not the guest.

Each boot: load zloop_rs, add device 0 (restored from the zone files of the
previous boot, if any), check it against the flush log, then write until
killed. Sequential zones get blocks whose content is a function of (zone,
block) only; conventional zone 0 gets overwrites with a generation number.
After each completed flush (fsync of /dev/zloop0 = REQ_PREFLUSH) the write
pointers and generations it covered are appended to the log.

Checks after a kill (every line of failure starts with "FAIL"):
- a zone's write pointer from BLKREPORTZONE equals its file's size
  (capacity for a FULL zone);
- it is at least the last flushed mark (exactly the mark with
  discard_write_cache, unless the zone was reset after that mark or is
  full: the option rolls back active zones only, as a clean remove does);
- every block below the write pointer has the expected content;
- each conventional block holds a generation at least the flushed one.
--final also runs fio verify on the restored device.
"""

import fcntl
import mmap
import os
import random
import re
import struct
import subprocess
import sys
import time
import zlib

TOP = os.environ["ZLOOP_TOP"]
CTL = "/dev/zloop-control"
BASE = "/var/local/zloop"
DEV = "/dev/zloop0"
BS = 4096
ZONE_MB = 4
NR_CONV = 2
CAP_MB = 64
ZONE = ZONE_MB << 20
CHUNK = 16  # blocks per write (64 KiB)
BLKRESETZONE = 0x40101283  # _IOW(0x12, 131, struct blk_zone_range)
BLKREPORTZONE = 0xC0101282  # _IOWR(0x12, 130, struct blk_zone_report)
CONV_BLOCKS = 64  # blocks of conventional zone 0 that get overwrites


LOG = None  # STATE_DIR/guest.log: the guest's stdout may lose its first bytes


def log(msg):
    print(msg, flush=True)
    with open(LOG, "a") as f:
        f.write(msg + "\n")


def control(cmd):
    fd = os.open(CTL, os.O_WRONLY)
    try:
        os.write(fd, cmd.encode())
    finally:
        os.close(fd)


def block(zone, blk, gen=0):
    """The 4 KiB a block must hold: a 16-byte header repeated."""
    head = struct.pack("<4sIII", b"ZLPC", zone, blk, gen)
    return head * (BS // len(head))


def parse_block(data):
    head = data[:16]
    if head * (BS // 16) != data or head[:4] != b"ZLPC":
        return None
    return struct.unpack("<4sIII", head)[1:]


def report(fd, nr):
    """(cond, wp bytes relative to the zone, capacity bytes) per zone."""
    size = 16 + nr * 64
    buf = bytearray(size)
    struct.pack_into("<QII", buf, 0, 0, nr, 0)
    fcntl.ioctl(fd, BLKREPORTZONE, buf)
    out = []
    for i in range(struct.unpack_from("<QII", buf, 0)[1]):
        start, length, wp, typ, cond = struct.unpack_from("<QQQBB", buf, 16 + i * 64)
        cap = struct.unpack_from("<Q", buf, 16 + i * 64 + 32)[0] or length
        out.append((typ, cond, (wp - start) << 9, cap << 9))
    return out


def read_log(path):
    """Last flushed mark per sequential zone (None after an unflushed reset),
    the mark of a flush that had started but not completed when the VM was
    killed (its writes may or may not be stable), and last flushed
    generation per conventional block."""
    marks, pending, gens = {}, {}, {}
    if not os.path.exists(path):
        return marks, pending, gens
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[0] == "P":
                pending[int(w[1])] = int(w[2])
            elif len(w) == 3 and w[0] == "S":
                marks[int(w[1])] = int(w[2])
                pending.pop(int(w[1]), None)
            elif len(w) == 2 and w[0] == "R":
                marks[int(w[1])] = None
                pending.pop(int(w[1]), None)
            elif len(w) == 3 and w[0] == "C":
                gens[int(w[1])] = int(w[2])
    return marks, pending, gens


def check(fd, state, discard):
    marks, pending, gens = read_log(os.path.join(state, "log"))
    nr = CAP_MB // ZONE_MB
    zones = report(fd, nr)
    bad = 0
    buf = mmap.mmap(-1, CHUNK * BS)
    for z in range(NR_CONV, nr):
        typ, cond, wp, cap = zones[z]
        if cond == 0xE:  # FULL: the report's wp is meaningless
            wp = cap
        fsize = os.stat(f"{BASE}/0/seq-{z:06d}").st_size
        if fsize != wp:
            log(f"FAIL zone {z}: write pointer {wp} but file size {fsize}")
            bad += 1
        # a zone never flushed was empty when the device was made
        mark = marks.get(z, 0)
        if mark is not None and wp < mark:
            log(f"FAIL zone {z}: write pointer {wp} below the flushed mark {mark}")
            bad += 1
        # discard_write_cache rolls active zones back, as a clean remove
        # does; a zone the unflushed writes filled is full and kept
        if discard and mark is not None and wp not in (mark, pending.get(z), cap):
            log(f"FAIL zone {z}: discard_write_cache but write pointer {wp} != flushed mark {mark}")
            bad += 1
        for off in range(0, wp, CHUNK * BS):
            n = min(CHUNK * BS, wp - off)
            got = os.preadv(fd, [memoryview(buf)[:n]], z * ZONE + off)
            for b in range(0, got, BS):
                blk = (off + b) // BS
                if buf[b : b + BS] != block(z, blk):
                    log(f"FAIL zone {z} block {blk} (below wp {wp}): wrong content")
                    bad += 1
                    break
            else:
                continue
            break
    for blk, gen in sorted(gens.items()):
        os.preadv(fd, [memoryview(buf)[:BS]], blk * BS)
        got = parse_block(bytes(buf[:BS]))
        if got is None or got[0] != 0 or got[1] != blk or got[2] < gen:
            log(f"FAIL conventional block {blk}: {got}, flushed generation {gen}")
            bad += 1
    log(f"checked {nr - NR_CONV} sequential zones, {len(gens)} conventional blocks: {bad} bad")
    return bad


def workload(fd, state, seconds, fixed, discard):
    """Round 0 writes and flushes, round 1 writes without a flush and then
    says "ready"; later rounds flush half of the time (--fixed: none, the
    guest waits for the kill)."""
    nr = CAP_MB // ZONE_MB
    rng = random.Random(os.getpid() ^ int(time.time()))
    zones = report(fd, nr)
    wps = {z: (zones[z][3] if zones[z][1] == 0xE else zones[z][2]) for z in range(NR_CONV, nr)}
    cap = zones[NR_CONV][3]
    _, _, gens = read_log(os.path.join(state, "log"))
    gen = max(gens.values(), default=0) + 1
    buf = mmap.mmap(-1, CHUNK * BS)
    logf = open(os.path.join(state, "log"), "a")
    end = time.time() + seconds
    rnd = 0
    # what was written since the last flush (a flush covers all of it, also
    # what earlier rounds without a flush wrote)
    written, conv = set(), {}
    while time.time() < end:
        for _ in range(rng.randint(1, 8)):
            z = rng.randrange(NR_CONV, nr)
            if wps[z] >= cap:
                logf.write(f"R {z}\n")
                logf.flush()
                fcntl.ioctl(fd, BLKRESETZONE, struct.pack("<QQ", (z * ZONE) >> 9, ZONE >> 9))
                wps[z] = 0
            n = min(CHUNK, (cap - wps[z]) // BS)
            for i in range(n):
                buf[i * BS : (i + 1) * BS] = block(z, wps[z] // BS + i)
            os.pwritev(fd, [memoryview(buf)[: n * BS]], z * ZONE + wps[z])
            wps[z] += n * BS
            written.add(z)
            b = rng.randrange(CONV_BLOCKS)
            buf[:BS] = block(0, b, gen)
            os.pwritev(fd, [memoryview(buf)[:BS]], b * BS)
            conv[b] = gen
        if rnd == 0 or (rnd > 1 and rng.random() < 0.5):
            for z in sorted(written):
                logf.write(f"P {z} {wps[z]}\n")
            logf.flush()
            os.fsync(logf.fileno())
            os.fsync(fd)  # REQ_PREFLUSH: every write above is covered
            for z in sorted(written):
                logf.write(f"S {z} {wps[z]}\n")
            for b, g in sorted(conv.items()):
                logf.write(f"C {b} {g}\n")
            logf.flush()
            os.fsync(logf.fileno())
            written, conv = set(), {}
        if rnd == 1:
            if discard:
                # the backing file system makes the unflushed writes durable
                # (its own sync, not a flush of the device): the next add
                # must discard them
                os.sync()
            open(os.path.join(state, "ready"), "w").close()
            if fixed:
                time.sleep(seconds)
        gen += 1
        rnd += 1
    log("workload time is up without a kill")


def main():
    global LOG
    state = sys.argv[1]
    LOG = os.path.join(state, "guest.log")
    log(f"boot: {' '.join(sys.argv[2:])}")
    discard = "--discard" in sys.argv
    subprocess.run(["insmod", f"{TOP}/zloop_rs.ko"], check=True)
    for _ in range(50):
        if os.path.exists(CTL):
            break
        time.sleep(0.1)
    os.makedirs(f"{BASE}/0", exist_ok=True)
    opts = f"add id=0,capacity_mb={CAP_MB},zone_size_mb={ZONE_MB},conv_zones={NR_CONV}"
    if discard:
        opts += ",discard_write_cache"
    control(opts)
    subprocess.run(["udevadm", "settle"], check=False)
    fd = os.open(DEV, os.O_RDWR | os.O_DIRECT)
    bad = check(fd, state, discard)
    with open(os.path.join(state, f"check-{int(time.time() * 1000)}"), "w") as f:
        f.write(f"{bad}\n")
    if bad:
        sys.exit(1)
    # what this boot found is stable now (add recorded it): the next check
    # starts from it
    zones = report(fd, CAP_MB // ZONE_MB)
    with open(os.path.join(state, "log"), "a") as f:
        for z in range(NR_CONV, CAP_MB // ZONE_MB):
            f.write(f"S {z} {zones[z][3] if zones[z][1] == 0xE else zones[z][2]}\n")
        f.flush()
        os.fsync(f.fileno())
    if "--final" in sys.argv:
        os.close(fd)
        first = NR_CONV * ZONE
        r = subprocess.run(["fio", "--name=verify", f"--filename={DEV}", "--zonemode=zbd",
                            "--direct=1", "--ioengine=psync", "--rw=write", "--bs=64k",
                            f"--offset={first}", f"--size={4 * ZONE}", "--verify=crc32c",
                            "--do_verify=1"], capture_output=True, text=True)
        log(r.stdout[-2000:] + r.stderr[-2000:])
        if r.returncode != 0:
            log(f"FAIL fio verify on the restored device: exit {r.returncode}")
            sys.exit(1)
        control("remove id=0")
        subprocess.run(["rmmod", "zloop_rs"], check=True)
        log("final check and fio verify passed")
        return
    workload(fd, state, 120, "--fixed" in sys.argv, discard)


if __name__ == "__main__":
    main()
