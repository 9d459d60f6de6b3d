# SPDX-License-Identifier: GPL-2.0
# One test per defect of the "Reliability I" review (d01 ... d11), each written
# to fail on the code the review read and to pass once the defect is fixed.
# Defects whose window cannot be hit on demand either widen it with a hook of
# the test build of the module (load_hooks, `make ZLOOP_TEST_HOOKS=1`, hooks
# set with `test <hook>=<value>` on the control file), or are argued in
# Documentation/design.md ("Defects argued, not tested").
# shellcheck shell=bash

ZS=131072 ZB=$((64 << 20)) MB=1048576
G="capacity_mb=512,zone_size_mb=64,conv_zones=2"
D=/dev/zloop0
GFP_KO=$TOP/tests/kmod/zloop_rs_gfp_probe.ko

flush() { local r; r=$(zctl fsync $D); [[ $r == OK ]] || fail "flush: $r"; }
allocated() { echo $(($(stat -c %b "$1") * $(stat -c %B "$1"))); }

# ---- d01: discard_write_cache must not cut data that add found -----------
# Two zones written and flushed without the option (by DRV), removed, then
# added and removed with discard_write_cache and no I/O: both keep 1 MiB.
d01_round() { # DRV
    load "$1"
    dev_add 0 "$G"
    pw_ok $D $((2 * ZB)) $MB 1
    pw_ok $D $((3 * ZB)) $MB 2
    flush
    dev_remove 0
    load_rs
    dev_add 0 "$G,discard_write_cache"
    expect_zone $D 2 $CLOSED 2048
    dev_remove 0
    expect_eq "$(file_size "$BASE/0/seq-000002")" $MB "zone 2 file (written by $1)"
    expect_eq "$(file_size "$BASE/0/seq-000003")" $MB "zone 3 file (written by $1)"
    dev_add 0 "$G"
    pr_ok $D $((2 * ZB)) $MB 1
    pr_ok $D $((3 * ZB)) $MB 2
    dev_remove 0
    rm -rf "${BASE:?}"/*
}

test_d01_discard_write_cache_keeps_zones_found_at_add() {
    d01_round rs
    d01_round c
}

# A write pointer recorded by an earlier run with the option must not cut
# data flushed later by a run without it.
test_d01_stale_wp_xattr_does_not_cut_later_data() {
    load_rs
    dev_add 0 "$G,discard_write_cache"
    pw_ok $D $((2 * ZB)) $MB 1
    flush
    dev_remove 0
    expect_eq "$(wp_xattr "$BASE/0/seq-000002")" $((2 * ZS + 2048)) "recorded wp, run 1"
    dev_add 0 "$G"
    pw_ok $D $((2 * ZB + MB)) $MB 2
    flush
    dev_remove 0
    dev_add 0 "$G,discard_write_cache"
    dev_remove 0
    expect_eq "$(file_size "$BASE/0/seq-000002")" $((2 * MB)) "zone 2 file after run 3"
    # what add found is the stable write pointer, also for the C zloop
    expect_eq "$(wp_xattr "$BASE/0/seq-000002")" $((2 * ZS + 4096)) "recorded wp after run 3"
    dev_add 0 "$G"
    pr_ok $D $((2 * ZB)) $MB 1
    pr_ok $D $((2 * ZB + MB)) $MB 2
}

# ---- d02: the id of a removed device stays taken until it is gone ---------
test_d02_add_of_an_id_still_being_removed_is_ebusy() {
    load_rs
    dev_add 0 "$G"
    mkdir -p "$BASE/1"
    exec 3< $D
    ctl_ok "remove id=0"
    ctl_err EBUSY "add id=0,$G"
    # an automatic id skips it
    ctl_ok "add $G"
    wait_for /dev/zloop1
    exec 3<&-
    local i r=
    for ((i = 0; i < 50; i++)); do
        r=$(ctl "add id=0,$G")
        [[ $r == EBUSY ]] || break
        sleep 0.1
    done
    expect_eq "$r" OK "add id=0 after the last close"
    wait_for $D
    dev_remove 0
    dev_remove 1
}

# The C zloop lets the id be reused at once (documented deviation).
test_d02_c_zloop_reuses_an_open_removed_id_for_reference() {
    load_c
    dev_add 0 "$G"
    exec 3< $D
    ctl_ok "remove id=0"
    ctl_ok "add id=0,$G"
    exec 3<&-
    dev_remove 0
}

# gfp_of FILE: the page-cache GFP mask of FILE (hex), read by a test module.
gfp_of() {
    dmesg_mark
    insmod "$GFP_KO" path="$1" || fail "insmod zloop_rs_gfp_probe"
    rmmod zloop_rs_gfp_probe || fail "rmmod zloop_rs_gfp_probe"
    klog
    local mask
    mask=$(sed -nE 's/.*zloop_gfp_probe: mask=(0x[0-9a-f]+) io=[01] fs=[01]$/\1/p' <<< "$KLOG")
    [[ -n $mask ]] || fail "no line from zloop_rs_gfp_probe for $1"
    echo "$mask"
}
# io_fs MASK: "<io> <fs>", the __GFP_IO (0x40) and __GFP_FS (0x80) bits
io_fs() { echo "$(((${1} >> 6) & 1)) $(((${1} >> 7) & 1))"; }

# While a device lives its zone files allocate with neither __GFP_IO nor
# __GFP_FS, and a re-added device keeps them so even when the old one is
# closed after the re-add (the old device used to restore the masks then).
test_d02_gfp_mask_of_zone_files_survives_close_of_old_device() {
    load_rs
    dev_add 0 "$G"
    local f=$BASE/0/seq-000002
    expect_eq "$(io_fs "$(gfp_of "$f")")" "0 0" "GFP io/fs bits of a live zone file"
    exec 3< $D
    ctl_ok "remove id=0"
    ctl "add id=0,$G" > /dev/null   # refused while open (d02 above)
    exec 3<&-
    [[ -e $D ]] || dev_add 0 "$G"
    expect_eq "$(io_fs "$(gfp_of "$f")")" "0 0" "GFP io/fs bits of a live zone file after the old device closed"
    dev_remove 0
}

# Deviation 2 (Documentation/deviations.md): zloop_rs gives the files the
# mask they had back; the C zloop leaves a mask of 0.
test_d02_gfp_mask_restored_on_remove_c_leaves_zero() {
    local drv m0 want z
    for drv in rs c; do
        load $drv
        rm -rf "${BASE:?}"/*
        # the zone files of $G, made here: no driver touched them yet
        mkdir -p "$BASE/0"
        for z in 0 1; do truncate -s $ZB "$BASE/0/cnv-00000$z"; done
        for z in 2 3 4 5 6 7; do touch "$BASE/0/seq-00000$z"; done
        m0=$(gfp_of "$BASE/0/seq-000002")
        [[ $(io_fs "$m0") == "1 "* ]] || fail "mask $m0 of a zone file no device uses has no __GFP_IO ($drv)"
        dev_add 0 "$G"
        if [[ $drv == rs ]]; then    # (the C zloop does not change it while live)
            expect_eq "$(io_fs "$(gfp_of "$BASE/0/seq-000002")")" "0 0" "GFP io/fs bits while live"
        fi
        dev_remove 0
        want=$m0; [[ $drv == c ]] && want=0x0
        expect_eq "$(gfp_of "$BASE/0/seq-000002")" "$want" "GFP mask after remove ($drv; $m0 before add)"
    done
}

# ---- d03: ordered zone appends queued before a reset or a re-read --------
# (appends: lib.sh)

test_d03_ordered_appends_queued_before_a_reset_fail() {
    load_hooks
    dev_add 0 "$G,ordered_zone_append"
    ctl_ok "test append_delay_ms=3000"
    appends 2 65536 4 4 > /tmp/d03.out &
    local pid=$!
    sleep 1.5
    expect_zone $D 2 $IMP_OPEN 512        # the four sectors are assigned
    zop_ok reset $D 2
    wait $pid || fail "appends failed to run"
    ctl_ok "test append_delay_ms=0"
    expect_eq "$(awk '{print $3}' /tmp/d03.out | sort -u)" -5 "status of the appends queued before the reset"
    expect_zone $D 2 $EMPTY 0
    expect_eq "$(file_size "$BASE/0/seq-000002")" 0 "zone file after the reset"
    local out
    out=$(appends 2 65536 2 1)
    expect_eq "$(echo "$out" | awk '{print $2, $3, $4}' | tr '\n' ' ')" \
        "$((2 * ZS)) 0 ok $((2 * ZS + 128)) 0 ok " "appends after the reset"
}

test_d03_ordered_appends_queued_before_a_write_error_fail() {
    load_hooks
    dev_add 0 "$G,ordered_zone_append"
    pw_ok $D $((2 * ZB)) 65536 7
    ctl_ok "test append_delay_ms=2000"
    ctl_ok "test fail_writes=1"
    local out
    out=$(appends 2 65536 4 4)
    ctl_ok "test append_delay_ms=0"
    ctl_ok "test fail_writes=0"
    expect_eq "$(echo "$out" | awk '{print $3}' | sort -u)" -5 "status of the appends queued before the error"
    # the zone is what its file says, and nothing overlaps acknowledged data
    expect_zone $D 2 $IMP_OPEN 128
    expect_eq "$(file_size "$BASE/0/seq-000002")" 65536 "zone file after the error"
    out=$(appends 2 65536 1 1)
    expect_eq "$(echo "$out" | awk '{print $2, $3, $4}')" "$((2 * ZS + 128)) 0 ok" "append after the error"
    pr_ok $D $((2 * ZB)) 65536 7
}

# ---- d04: blocks preallocated by a device never removed -------------------
test_d04_blocks_beyond_eof_are_reclaimed_at_add() {
    load_rs
    dev_add 0 "$G"
    pw_ok $D $((2 * ZB)) $MB 1
    dev_remove 0
    # what a crash leaves: blocks allocated past the write pointer
    fallocate -n -o $MB -l $((8 * MB)) "$BASE/0/seq-000002" || fail "fallocate"
    fallocate -n -l $((4 * MB)) "$BASE/0/seq-000003" || fail "fallocate"
    expect_eq "$(allocated "$BASE/0/seq-000002")" $((9 * MB)) "blocks before add"
    dev_add 0 "$G"
    expect_eq "$(allocated "$BASE/0/seq-000002")" $MB "blocks of zone 2 after add"
    expect_eq "$(allocated "$BASE/0/seq-000003")" 0 "blocks of zone 3 after add"
    expect_eq "$(file_size "$BASE/0/seq-000002")" $MB "zone 2 file size"
    expect_zone $D 2 $CLOSED 2048
    expect_zone $D 3 $EMPTY 0
    pr_ok $D $((2 * ZB)) $MB 1
}

# ---- d05: a flush reaches the backing device's volatile cache -------------
# backing_dev: the block device under /var/local (the zone files' file system).
backing_dev() {
    local src
    src=$(findmnt -no SOURCE /var/local) || fail "/var/local is not a mount"
    basename "$(readlink -f "$src")"
}

# Overwrites in place change no file-system metadata except timestamps, which
# change at most once per clock tick: writes and flushes in a tight loop (zctl
# flushloop) give flushes after which nothing is left for the file system to
# log, and a sync of the file system then writes nothing, while the data of
# the overwrite may still sit in the device's volatile cache. Every flush must
# still reach the device.
test_d05_every_flush_after_an_overwrite_flushes_backing_device() {
    local dev
    dev=$(backing_dev)
    expect_eq "$(cat "/sys/block/$dev/queue/write_cache")" "write back" "backing device cache"
    load_rs
    dev_add 0 "$G"
    pw_ok $D 0 65536 1          # conventional zone: allocates the blocks
    flush
    local missed
    missed=$(zctl flushloop $D 0 4096 300 "/sys/block/$dev/stat")
    expect_eq "$missed" 0 "flushes of zloop0 that did not flush $dev (of 300)"
    # the last of the 300 writes filled the block with byte 299 % 256
    expect_eq "$(dd if=$D bs=4096 count=1 iflag=direct status=none | od -An -tu1 -N1 | tr -d ' ')" 43 \
        "first byte of the block after the loop"
}

# Flushes from two CPUs reach the driver at once (a flush queue per hardware
# queue). The second must not complete while the first is still syncing the
# zone it took: a test hook makes that sync last 3 s.
test_d05_a_flush_waits_for_the_flush_that_took_its_zones() {
    need_cmd taskset
    [[ $(nproc) -ge 2 ]] || skip "needs 2 CPUs"
    load_hooks
    dev_add 0 "$G,nr_queues=2"
    pw_ok $D 0 4096 1
    ctl_ok "test flush_delay_ms=3000"
    taskset -c 0 zctl fsync $D > /tmp/f1 &
    local pid=$! t0 t1 r
    sleep 1
    t0=$(date +%s%N)
    r=$(taskset -c 1 zctl fsync $D)
    t1=$(date +%s%N)
    wait $pid
    ctl_ok "test flush_delay_ms=0"
    expect_eq "$r $(cat /tmp/f1)" "OK OK" "the two flushes"
    [[ $(((t1 - t0) / 1000000)) -ge 1500 ]] \
        || fail "the second flush completed after $(((t1 - t0) / 1000000)) ms, while the first was still syncing"
}

# ---- d06: module references taken and dropped by the kernel (.owner) -----
# A control file being closed (release sleeping in a test hook) still pins
# the module: rmmod must fail until the close is over.
test_d06_control_file_release_pins_module() {
    load_hooks
    ctl_ok "test release_delay_ms=2000"
    (exec 4> $CTL; exec 4>&-) &
    local pid=$!
    sleep 0.5
    rmmod zloop_rs 2> /dev/null && fail "rmmod succeeded while a control file was being closed"
    wait $pid
    ctl_ok "test release_delay_ms=0"
    rmmod zloop_rs || fail "rmmod after the close"
}

# A removed device still open pins the module through its opener.
test_d06_open_removed_disk_pins_module() {
    load_rs
    dev_add 0 "$G"
    exec 3< $D
    ctl_ok "remove id=0"
    rmmod zloop_rs 2> /dev/null && fail "rmmod succeeded with a removed disk still open"
    exec 3<&-
    local i
    for ((i = 0; i < 50; i++)); do
        rmmod zloop_rs 2> /dev/null && return 0
        sleep 0.1
    done
    fail "rmmod after the last close"
}

# ---- d08: nothing of the module leaks at rmmod (kmemleak) ----------------
test_d08_no_leak_after_rmmod() {
    local kml=/sys/kernel/debug/kmemleak
    [[ -e $kml ]] || skip "kmemleak is not in this kernel (debug flavours only)"
    load_rs
    local base size
    read -r base size < <(awk '$1 == "zloop_rs" {print $6, $2}' /proc/modules)
    [[ -n $base ]] || fail "zloop_rs not in /proc/modules"
    local i
    for i in 0 1 2; do dev_add "$i" "$G"; done
    for i in 0 1 2; do dev_remove "$i"; done
    rmmod zloop_rs || fail "rmmod"
    sleep 6                     # kmemleak reports objects older than 5 s
    echo scan > $kml; echo scan > $kml
    cat $kml > "$OUT/logs/d08.kmemleak"
    # ours: allocated by a test helper task, or from the module's address range
    local ours
    ours=$(awk -v lo=$((base)) -v hi=$((base + size)) '
        /^unreferenced object/ { rep++ }
        /comm "(zctl|insmod|rmmod)"/ { hit[rep] = 1 }
        match($0, /\[<[0-9a-f]+>\]/) {
            a = strtonum("0x" substr($0, RSTART + 2, RLENGTH - 4))
            if (a >= lo && a < hi) hit[rep] = 1
        }
        END { n = 0; for (r in hit) n++; print n }' "$OUT/logs/d08.kmemleak")
    expect_eq "$ours" 0 "kmemleak reports from zloop_rs (see tests/out/logs/d08.kmemleak)"
}

# ---- d09: writes wait while the backing file system is frozen ------------
# With lazytime, an overwrite updates timestamps in memory only: nothing in
# the file system itself then waits for the thaw.
test_d09_write_waits_for_frozen_backing_fs() {
    mount -o remount,lazytime /var/local || fail "remount lazytime"
    trap 'fsfreeze -u /var/local 2> /dev/null; mount -o remount,nolazytime /var/local' EXIT
    load_rs
    dev_add 0 "$G"
    pw_ok $D 0 65536 1
    fsfreeze -f /var/local || fail "fsfreeze"
    pw $D 0 65536 2 > /tmp/d09.out &
    local pid=$!
    sleep 2
    if ! kill -0 $pid 2> /dev/null; then
        fsfreeze -u /var/local
        fail "a write completed while the backing file system was frozen"
    fi
    fsfreeze -u /var/local || fail "thaw"
    wait $pid
    expect_eq "$(cat /tmp/d09.out)" OK "write after the thaw"
    pr_ok $D 0 65536 2
}

# A flush with discard_write_cache records write pointers in extended
# attributes: on a frozen file system that waits too (it used to modify the
# frozen file system, which ext4 reports with a warning). Zone files on an
# ext4 image of their own.
test_d09_flush_with_discard_write_cache_waits_for_frozen_fs() {
    need_cmd mkfs.ext4
    local img=/var/local/ext4.img mnt=/tmp/zl-ext4 loopdev
    truncate -s 1G $img && mkfs.ext4 -q -F $img || fail "mkfs.ext4"
    loopdev=$(losetup -f --show $img) || fail "losetup"
    udevadm settle 2> /dev/null || true   # (not a check: udev may be absent)
    mkdir -p $mnt && mount $loopdev $mnt && mkdir -p $mnt/0 || fail "mount ext4 image"
    trap "fsfreeze -u $mnt 2> /dev/null; umount $mnt 2> /dev/null; losetup -d $loopdev" EXIT
    load_rs
    ctl_ok "add id=0,$G,discard_write_cache,base_dir=$mnt"
    wait_for $D
    pw_ok $D $((2 * ZB)) 65536 1
    fsfreeze -f $mnt || fail "fsfreeze"
    zctl fsync $D > /tmp/d09-flush.out &
    local pid=$!
    sleep 2
    if ! kill -0 $pid 2> /dev/null; then
        fsfreeze -u $mnt
        fail "a flush recorded write pointers on the frozen file system"
    fi
    fsfreeze -u $mnt || fail "thaw"
    wait $pid
    expect_eq "$(cat /tmp/d09-flush.out)" OK "flush after the thaw"
    expect_eq "$(wp_xattr "$mnt/0/seq-000002")" $((2 * ZS + 128)) "recorded wp of zone 2"
    dev_remove 0
    umount $mnt || fail "umount ext4 image"
}

test_d09_fio_verify_across_a_freeze() {
    load_rs
    dev_add 0 "capacity_mb=1024,zone_size_mb=64,conv_zones=2,queue_depth=64"
    trap 'fsfreeze -u /var/local 2> /dev/null' EXIT
    fio --name=freeze --filename=$D --direct=1 --zonemode=zbd --ioengine=libaio --iodepth=16 \
        --rw=write --bs=64k --offset=$((2 * ZB)) --size=$((6 * ZB)) --io_size=$((96 * MB)) \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --max_open_zones=4 \
        --output=/tmp/d09-fio.out > /dev/null 2>&1 &
    local pid=$!
    sleep 2
    kill -0 $pid 2> /dev/null || fail "fio ended before the freeze: $(tail -n 3 /tmp/d09-fio.out)"
    fsfreeze -f /var/local || fail "fsfreeze"
    sleep 3
    fsfreeze -u /var/local || fail "thaw"
    local rc=0
    timeout 600 tail --pid=$pid -f /dev/null || fail "fio did not finish after the thaw"
    wait $pid || rc=$?
    expect_eq "$rc" 0 "fio exit status ($(grep -m1 -i err /tmp/d09-fio.out))"
}

# ---- d10: fail_io_timeout fault injection reaches zloop_rs requests --------
test_d10_fail_io_timeout_times_out_a_request() {
    local fi=/sys/kernel/debug/fail_io_timeout
    [[ -d $fi ]] || skip "no fail_io_timeout in this kernel (CONFIG_FAIL_IO_TIMEOUT)"
    load_rs
    dev_add 0 "$G"
    trap 'echo 0 > /sys/block/zloop0/io-timeout-fail 2> /dev/null; echo 0 > '"$fi"'/probability' EXIT
    echo 1000 > /sys/block/zloop0/queue/io_timeout
    echo 0 > $fi/verbose
    echo 100 > $fi/probability
    echo 1 > $fi/times
    echo 1 > /sys/block/zloop0/io-timeout-fail
    local t0 r
    t0=$(date +%s)
    r=$(pr $D 0 4096 zero)
    expect_eq "$r" ETIMEDOUT "read picked by fail_io_timeout"
    [[ $(($(date +%s) - t0)) -lt 20 ]] || fail "the timeout took $(($(date +%s) - t0)) s"
    echo 0 > /sys/block/zloop0/io-timeout-fail
    pr_ok $D 0 4096 zero
}

# The same for a request that does not complete in place: a short read (an
# empty sequential zone reads as zeroes) goes through blk_mq_complete_request.
test_d10_fail_io_timeout_times_out_a_short_read() {
    local fi=/sys/kernel/debug/fail_io_timeout
    [[ -d $fi ]] || skip "no fail_io_timeout in this kernel (CONFIG_FAIL_IO_TIMEOUT)"
    load_rs
    dev_add 0 "$G"
    trap 'echo 0 > /sys/block/zloop0/io-timeout-fail 2> /dev/null; echo 0 > '"$fi"'/probability' EXIT
    echo 1000 > /sys/block/zloop0/queue/io_timeout
    echo 0 > $fi/verbose
    echo 100 > $fi/probability
    echo 1 > $fi/times
    echo 1 > /sys/block/zloop0/io-timeout-fail
    expect_eq "$(pr $D $((2 * ZB)) 4096 zero)" ETIMEDOUT "short read picked by fail_io_timeout"
    echo 0 > /sys/block/zloop0/io-timeout-fail
    pr_ok $D $((2 * ZB)) 4096 zero
}
