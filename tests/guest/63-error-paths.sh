# SPDX-License-Identifier: GPL-2.0
# Error paths and the hard settings (issue 10, item 5): a flush that cannot
# record the write pointer, a finish whose truncate fails, allocation
# failures while I/O runs (failslab and fail_page_alloc, debug kernels), and
# real workloads (fio verify, zoned btrfs) with zone_capacity_mb below
# zone_size_mb, two hardware queues, ordered zone appends and an open-zone
# limit, with the multi-bio request path shown to run (merge counters).
# A write error with ordered appends queued: guest/58-defects/d03_*; failed
# reset truncates and read errors: guest/62-failing-storage/*.
# shellcheck shell=bash

D=/dev/zloop0
ZB=$((64 << 20)) MB=1048576
G="capacity_mb=512,zone_size_mb=64,conv_zones=2"
# the hard settings: 16 MiB of each 32 MiB zone usable, 2 queues, ordered
# appends, at most 4 open zones
HARD="capacity_mb=2048,zone_size_mb=32,zone_capacity_mb=16,conv_zones=4,nr_queues=2,ordered_zone_append,max_open_zones=4"

flush() { zctl fsync $D; }

# merges DEV: read + write merges so far (/sys/block/DEV/stat fields 2 and 6):
# bios merged into a request that was already queued, so requests of several
# bios reached the driver
merges() { awk '{print $2 + $6}' "/sys/block/$1/stat"; }

# A flush with discard_write_cache whose write pointer cannot be recorded
# (the zone file is immutable: setxattr fails) fails with EIO and says which
# zone; once the file is writable again the flush works and the mark holds.
test_flush_that_cannot_record_the_write_pointer_fails() {
    immutable_zone "$G,discard_write_cache" 2
    local f=$IMM_FILE
    dmesg_mark
    expect_eq "$(flush)" EIO "flush with an immutable zone file"
    klog_has 'zloop0: cannot record the write pointer of zone 2' || fail "no line naming the zone"
    chattr -i "$f"
    expect_eq "$(flush)" OK "flush once the file is writable"
    # the failed flush did not move the mark: this one recorded it
    expect_eq "$(wp_xattr "$f")" $((2 * ZB / 512 + 2048)) "recorded write pointer of zone 2"
    pw_ok $D $((2 * ZB + MB)) $MB 2
    dev_remove 0
    # the flushed MiB stays, the unflushed one is rolled back
    expect_eq "$(file_size "$f")" $MB "zone 2 file after remove"
}

# A finish whose truncate fails (immutable zone file) fails with EIO and
# leaves the zone as it was; the next finish works.
test_finish_that_cannot_extend_the_file_fails() {
    immutable_zone "$G" 3
    local f=$IMM_FILE
    zop_err EIO finish $D 3
    expect_zone $D 3 $IMP_OPEN 2048
    expect_eq "$(file_size "$f")" $MB "zone 3 file after the failed finish"
    chattr -i "$f"
    zop_ok finish $D 3
    expect_zone $D 3 $FULL -1
    pr_ok $D $((3 * ZB)) $MB 1
    dev_remove 0
}

# fio verify on the hard settings: random zones written at their write
# pointers up to the zone capacity, QD 32 over two queues; the data
# verifies, and again after remove + re-add.
test_fio_verify_on_the_hard_settings() {
    need_cmd fio
    load_rs
    dev_add 0 "$HARD"
    local m0 before after
    m0=$(merges zloop0)
    fio --name=hard --filename=$D --direct=1 --zonemode=zbd --ioengine=io_uring --iodepth=32 \
        --iodepth_batch_submit=16 --rw=randwrite --bs=16k --offset=$((4 * 32 * MB)) \
        --size=$((16 * 32 * MB)) --io_size=$((160 * MB)) --max_open_zones=4 --verify=crc32c \
        --do_verify=1 --verify_fatal=1 --randseed=7 --output=/tmp/fio-hard.out > /dev/null 2>&1 \
        || fail "fio verify on the hard settings: $(grep -m1 -iE 'err|verify' /tmp/fio-hard.out)"
    note "merges during fio: $(($(merges zloop0) - m0))"
    # zone capacity: no zone was written past 16 MiB
    local over
    over=$(zctl report $D | awk 'NF == 7 && $6 == 2 && $4 != -1 && $4 - $2 > 32768' | wc -l)
    expect_eq "$over" 0 "zones with a write pointer past the zone capacity"
    [[ $(zctl report $D | awk 'NF == 7 && $6 == 2 && $5 != 1' | wc -l) -ge 4 ]] \
        || fail "fio wrote fewer than 4 sequential zones"
    # open zones come back closed after re-add (as upstream)
    zctl report $D | awk 'NF == 7 {print $1, $4, ($5 == 2 || $5 == 3) ? 4 : $5}' > /tmp/hard-before
    before=$(dev_md5 $D 128 512) || fail "read before re-add"
    dev_remove 0
    dev_add 0 "$HARD"
    zctl report $D | awk 'NF == 7 {print $1, $4, $5}' > /tmp/hard-after
    diff /tmp/hard-before /tmp/hard-after > /dev/null \
        || fail "zones changed across remove + re-add: $(diff /tmp/hard-before /tmp/hard-after | head -n 4)"
    after=$(dev_md5 $D 128 512) || fail "read after re-add"
    expect_eq "$after" "$before" "data of the written zones after remove + re-add"
    dev_remove 0
}

# The multi-bio path: buffered writes and reads of a conventional zone are
# merged into requests of several bios (the merge counters move) and the
# data read back with O_DIRECT is what was written; then sequential 4 KiB
# writes submitted in batches (merges there are noted, not required: zone
# write plugging decides) and verified.
test_multi_bio_requests_run_and_keep_data() {
    need_cmd fio
    load_rs
    dev_add 0 "$HARD"
    local m0 m1 m2
    m0=$(merges zloop0)
    dd if=/dev/urandom of=/tmp/src bs=1M count=16 status=none
    dd if=/tmp/src of=$D bs=4k seek=$((32 * MB / 4096)) conv=fsync,notrunc status=none || fail "buffered write"
    echo 3 > /proc/sys/vm/drop_caches
    dd if=$D of=/dev/null bs=4k skip=$((32 * MB / 4096)) count=4096 status=none || fail "buffered read"
    m1=$(merges zloop0)
    [[ $((m1 - m0)) -gt 0 ]] || fail "no request of several bios reached the driver (merge counters did not move)"
    expect_eq "$(dev_md5 $D 32 16)" "$(md5sum < /tmp/src | cut -d' ' -f1)" "conventional zone 1 read back"
    fio --name=batch --filename=$D --direct=1 --zonemode=zbd --ioengine=io_uring --iodepth=32 \
        --iodepth_batch_submit=32 --rw=write --bs=4k --offset=$((4 * 32 * MB)) --size=$((32 * MB)) \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --output=/tmp/fio-batch.out > /tmp/fio-batch.err 2>&1 \
        || fail "fio batched 4k writes: $(tail -n 4 /tmp/fio-batch.out /tmp/fio-batch.err | tr '\n' ' ')"
    m2=$(merges zloop0)
    note "merges: conventional, buffered: $((m1 - m0)); sequential, batched direct: $((m2 - m1))"
    expect_zone $D 4 $FULL -1
    dev_remove 0
}

# Zoned btrfs on the hard settings (data written with zone appends, ordered
# by the driver; metadata and data in zones of 16 MiB usable capacity).
test_btrfs_on_the_hard_settings() {
    need_cmd mkfs.btrfs btrfs
    load_rs
    dev_add 0 "$HARD"
    mkfs.btrfs -q -f -O zoned -d single -m single $D > /tmp/mkfs.log 2>&1 \
        || fail "mkfs.btrfs: $(tail -n 3 /tmp/mkfs.log)"
    local mnt=/tmp/zl-btrfs f
    mkdir -p $mnt && mount -t btrfs $D $mnt || fail "mount"
    for f in 1 2 3; do
        dd if=/dev/urandom of=/tmp/src$f bs=1M count=$((f * 24)) status=none
        cp /tmp/src$f $mnt/f$f || fail "cp f$f"
    done
    sync
    btrfs scrub start -B $mnt > /tmp/scrub.log 2>&1 || fail "scrub: $(tail -n 3 /tmp/scrub.log)"
    umount $mnt || fail "umount"
    dev_remove 0
    dev_add 0 "$HARD"
    btrfs check $D > /tmp/check.log 2>&1 || fail "btrfs check after re-add: $(tail -n 5 /tmp/check.log)"
    mount -t btrfs $D $mnt || fail "mount after re-add"
    for f in 1 2 3; do cmp /tmp/src$f $mnt/f$f || fail "f$f differs after re-add"; done
    umount $mnt || fail "umount after re-add"
    dev_remove 0
}

# Allocation failures while I/O runs (debug kernels): failslab fails 1 in
# 20 slab allocations of the fio processes (their system calls and
# submission path: io_uring, bios, requests). The guest's root file system
# is 9p, and an allocation failure inside the 9p client (an exec, a page
# fault on a library, an open of /etc/localtime) leaves it failing every
# later open with EINVAL: that breaks every later test and is not the
# driver's. So fio runs chrooted in a tmpfs holding a copy of fio and its
# libraries, with only /dev, /proc and /sys bound in (none of them 9p) and
# TZ=UTC, and its processes are marked (make-it-fail) only once it runs.
# Not fail_page_alloc: a failed page fault ends in the OOM killer, whose
# report is not the driver's. fio may see errors; nothing may hang or
# report, and afterwards the device works, is removed and the module
# unloads (kmemleak runs after the suite).
FIOROOT=/tmp/fioroot
fio_chroot_make() { # -> $FIOROOT: fio, its libraries at their paths, /dev /proc /sys
    local f l
    f=$(command -v fio)
    mkdir -p $FIOROOT/{dev,proc,sys,tmp} && cp "$f" $FIOROOT/fio || fail "cannot copy fio"
    for l in $(ldd "$f" | grep -oE '/[^ ]+'); do
        mkdir -p "$FIOROOT$(dirname "$l")" && cp -L "$l" "$FIOROOT$l" || fail "cannot copy $l"
    done
    mount --bind /dev $FIOROOT/dev && mount -t proc proc $FIOROOT/proc &&
        mount -t sysfs sysfs $FIOROOT/sys || fail "cannot mount /dev, /proc, /sys in $FIOROOT"
    mount | grep -qE " on $FIOROOT[^ ]* type 9p " && fail "a 9p mount inside $FIOROOT"
    true
}
fio_chroot_remove() {
    umount -l $FIOROOT/dev $FIOROOT/proc $FIOROOT/sys 2> /dev/null || true
}
failslab_off() {
    local fs=/sys/kernel/debug/failslab
    echo 0 > $fs/probability; echo Y > $fs/ignore-gfp-wait; echo N > $fs/task-filter; echo 2 > $fs/verbose
}
failslab_arm() { # failures only for marked tasks, once in $1 slab allocations
    local fs=/sys/kernel/debug/failslab
    echo N > $fs/ignore-gfp-wait
    echo Y > $fs/task-filter
    echo 1 > $fs/verbose # one line per failure, no stack
    echo 1 > $fs/interval
    echo -1 > $fs/times
    echo "$1" > $fs/probability
}
mark_fio_tasks() { # -> number of fio tasks marked make-it-fail
    local p t n=0
    for p in $(pgrep -f '^/fio --name=enomem'); do
        for t in /proc/$p/task/*; do echo 1 > "$t/make-it-fail" 2> /dev/null && n=$((n + 1)); done
    done
    echo $n
}
test_allocation_failures_during_io() {
    need_cmd fio ldd chroot
    [[ -d /sys/kernel/debug/failslab ]] || skip "no failslab in this kernel (debug flavours)"
    fio_chroot_make
    load_rs
    dev_add 0 "$HARD"
    trap 'failslab_off; fio_chroot_remove' EXIT
    failslab_off
    dmesg_mark
    TZ=UTC timeout 300 chroot $FIOROOT /fio --name=enomem --filename=$D \
        --direct=1 --zonemode=zbd --ioengine=io_uring --iodepth=16 --rw=randrw --bs=16k \
        --offset=$((4 * 32 * MB)) --size=$((16 * 32 * MB)) --io_size=$((64 * MB)) \
        --max_open_zones=4 --continue_on_error=all --output=/tmp/fio-enomem.out > /dev/null 2>&1 &
    local fpid=$! rc=0 marked
    sleep 3
    marked=$(mark_fio_tasks)
    [[ $marked -gt 0 ]] || fail "no fio task to mark (fio ended within 3 s?)"
    failslab_arm 5
    wait $fpid || rc=$?
    failslab_off
    [[ $rc != 124 ]] || fail "fio still ran 300 s into the allocation failures"
    klog
    local nf
    nf=$(grep -c 'FAULT_INJECTION: forcing a failure' <<< "$KLOG" || true)
    note "fio under allocation failures: exit $rc, $marked tasks marked, $nf failures logged (rate-limited); $(grep -m1 -E 'err=' $FIOROOT/tmp/fio-enomem.out)"
    [[ $nf -gt 0 ]] || fail "no allocation failure was injected"
    # the device still works
    zop_ok reset $D 4
    pw_ok $D $((4 * 32 * MB)) $MB 9
    pr_ok $D $((4 * 32 * MB)) $MB 9
    dev_remove 0
    rmmod zloop_rs || fail "rmmod after the allocation failures"
    fio_chroot_remove
}
