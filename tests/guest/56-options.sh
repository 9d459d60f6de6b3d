# SPDX-License-Identifier: GPL-2.0
# discard_write_cache (C46, C47), max_open_zones (C45, C16) and buffered_io.
# shellcheck shell=bash

ZS=131072 ZB=$((64 << 20))
D=/dev/zloop0

# ---- discard_write_cache ------------------------------------------------
# flush = fsync of the block device (REQ_OP_FLUSH: the device has a volatile
# write cache).
flush() { local r; r=$(zctl fsync $D); [[ $r == OK ]] || fail "flush: $r"; }

DWC_GEOM="capacity_mb=512,zone_size_mb=64,conv_zones=2,discard_write_cache"

test_c46_c47_discard_write_cache_rolls_back_to_flushed_wp() {
    load_rs
    dev_add 0 "$DWC_GEOM"
    pw_ok $D $((2 * ZB)) 1048576 1          # zone 2: 1 MiB, flushed ...
    pw_ok $D $((4 * ZB)) 65536 4            # zone 4: flushed, then finished
    flush
    expect_eq "$(wp_xattr "$BASE/0/seq-000002")" $((2 * ZS + 2048)) "recorded wp of zone 2"
    expect_eq "$(wp_xattr "$BASE/0/seq-000004")" $((4 * ZS + 128)) "recorded wp of zone 4"
    expect_eq "$(wp_xattr "$BASE/0/seq-000003")" none "recorded wp of empty zone 3"
    pw_ok $D $((2 * ZB + 1048576)) 1048576 2  # ... then 1 MiB more, not flushed
    pw_ok $D $((3 * ZB)) 524288 3             # zone 3: written, never flushed
    zop_ok finish $D 4
    pw_ok $D 0 65536 5                        # conventional zone: not rolled back
    dmesg_mark
    dev_remove 0
    klog_has 'zloop0: discarding volatile write cache' || fail "no 'discarding' line"
    expect_eq "$(file_size "$BASE/0/seq-000002")" 1048576 "zone 2 file after remove"
    expect_eq "$(file_size "$BASE/0/seq-000003")" 0 "zone 3 (never flushed) file after remove"
    expect_eq "$(file_size "$BASE/0/seq-000004")" $((64 << 20)) "zone 4 (full) file after remove"
    dev_add 0 "$DWC_GEOM"
    expect_zone $D 2 $CLOSED 2048
    pr_ok $D $((2 * ZB)) 1048576 1
    pr_ok $D $((2 * ZB + 1048576)) 1048576 zero
    expect_zone $D 3 $EMPTY 0
    expect_zone $D 4 $FULL -1
    pr_ok $D 0 65536 5
}

# Without discard_write_cache nothing is rolled back and no xattr is written.
test_without_discard_write_cache_unflushed_data_stays() {
    load_rs
    dev_add 0 "capacity_mb=512,zone_size_mb=64,conv_zones=2"
    pw_ok $D $((2 * ZB)) 1048576 1
    flush
    pw_ok $D $((2 * ZB + 1048576)) 1048576 2
    expect_eq "$(wp_xattr "$BASE/0/seq-000002")" none "xattr without discard_write_cache"
    dev_remove 0
    dev_add 0 "capacity_mb=512,zone_size_mb=64,conv_zones=2"
    expect_zone $D 2 $CLOSED 4096
    pr_ok $D $((2 * ZB + 1048576)) 1048576 2
}

# discard_write_cache after a crash. A crash is taken as a copy of the zone
# directory (cp -a: files, their extended attributes and the directory's)
# made while the device is live with unflushed writes: a later add of the
# copy with the option must roll it back as a clean remove would have (active
# zones cut to their recorded write pointer; full zones kept), and say so.
CRASH_GEOM="capacity_mb=256,zone_size_mb=8,conv_zones=2"
unclean_mark() { # DIR: "set" or "none"
    local out
    out=$(getfattr --absolute-names -d -m '^user\.zloop_rs\.unclean$' "$1") || fail "getfattr $1 failed"
    [[ -n $out ]] && echo set || echo none
}
crash_copy() { # write to device 0, copy it to id 1 while live
    local zb=$((8 << 20))
    dev_add 0 "$CRASH_GEOM,discard_write_cache"
    expect_eq "$(unclean_mark "$BASE/0")" set "unclean mark while the device is live"
    pw_ok $D $((2 * zb)) 1048576 1             # zone 2: 1 MiB flushed ...
    flush
    pw_ok $D $((2 * zb + 1048576)) 1048576 2   # ... 1 MiB not
    pw_ok $D $((3 * zb)) 524288 3              # zone 3: never flushed
    dd if=/dev/zero of=$D bs=1M count=8 seek=32 oflag=direct status=none || fail "fill zone 4"
    expect_zone $D 4 $FULL -1                  # zone 4: filled, not flushed
    rm -rf "$BASE/1"
    cp -a "$BASE/0" "$BASE/1" || fail "cp -a"
    expect_eq "$(unclean_mark "$BASE/1")" set "unclean mark of the copy"
}

test_discard_write_cache_rolls_back_after_a_crash() {
    load_rs
    crash_copy
    dmesg_mark
    ctl_ok "add id=1,$CRASH_GEOM,discard_write_cache"
    wait_for /dev/zloop1
    klog_has 'zloop1: not removed cleanly with discard_write_cache: the unflushed writes of 2 zones discarded' \
        || fail "no roll-back line"
    local zb=$((8 << 20)) d1=/dev/zloop1
    expect_zone $d1 2 $CLOSED 2048
    expect_eq "$(file_size "$BASE/1/seq-000002")" 1048576 "zone 2 file of the copy"
    pr_ok $d1 $((2 * zb)) 1048576 1
    expect_zone $d1 3 $EMPTY 0
    expect_eq "$(file_size "$BASE/1/seq-000003")" 0 "zone 3 file of the copy"
    expect_zone $d1 4 $FULL -1
    # a clean remove clears the mark: the next add rolls nothing back
    dev_remove 1
    expect_eq "$(unclean_mark "$BASE/1")" none "unclean mark after a clean remove"
    dmesg_mark
    dev_add 1 "$CRASH_GEOM,discard_write_cache"
    klog_has 'not removed cleanly' && fail "roll-back after a clean remove"
    expect_zone $d1 2 $CLOSED 2048
    dev_remove 1
    dev_remove 0
    expect_eq "$(unclean_mark "$BASE/0")" none "unclean mark of device 0 after its remove"
}

# Added without the option, the crashed directory keeps everything, and
# its mark goes: a later add with the option has nothing to roll back.
test_discard_write_cache_crash_then_add_without_the_option_keeps_all() {
    load_rs
    crash_copy
    dev_add 1 "$CRASH_GEOM"
    expect_eq "$(unclean_mark "$BASE/1")" none "unclean mark after an add without the option"
    expect_zone /dev/zloop1 2 $CLOSED 4096
    expect_zone /dev/zloop1 3 $CLOSED 1024
    dev_remove 1
    dmesg_mark
    dev_add 1 "$CRASH_GEOM,discard_write_cache"
    klog_has 'not removed cleanly' && fail "roll-back after an add without the option"
    expect_zone /dev/zloop1 2 $CLOSED 4096
    dev_remove 1
    dev_remove 0
}

# Flushed zones come back identically on both drivers (the never-flushed
# zone is the documented difference: the C zloop keeps its data).
dwc_diff() {
    dev_add 0 "$DWC_GEOM"
    pw_ok $D $((2 * ZB)) 1048576 1
    pw_ok $D $((5 * ZB)) 65536 1
    flush
    pw_ok $D $((2 * ZB + 1048576)) 1048576 2
    pw_ok $D $((5 * ZB + 65536)) 65536 2
    zop_ok close $D 5
    pw_ok $D $((3 * ZB)) 524288 3
    dev_remove 0
    dev_add 0 "$DWC_GEOM"
    zctl report $D 2 1 > /tmp/dwc-$DRV
    zctl report $D 5 1 >> /tmp/dwc-$DRV
    getfattr --absolute-names -d -e hex "$BASE/0/seq-000002" >> /tmp/dwc-$DRV || fail "getfattr failed"
    echo "zone 3 after remove: $(file_size "$BASE/0/seq-000003") B" > /tmp/dwc3-$DRV
    dev_remove 0
}
test_discard_write_cache_matches_c_zloop_for_flushed_zones() {
    for_both dwc_diff
    # (two failed reports would compare equal)
    expect_eq "$(awk 'NF == 7' /tmp/dwc-rs | wc -l)" 2 "zones reported"
    diff /tmp/dwc-c /tmp/dwc-rs > /tmp/dwc.diff || fail "differs from C: $(head -n 4 /tmp/dwc.diff)"
    note "never-flushed zone: C: $(cat /tmp/dwc3-c); zloop_rs: $(cat /tmp/dwc3-rs)"
    expect_eq "$(cat /tmp/dwc3-rs)" "zone 3 after remove: 0 B" "zloop_rs, never-flushed zone"
}

test_discard_write_cache_needs_user_xattrs() {
    load_rs
    mkdir -p /tmp/zlramfs
    mount -t ramfs ramfs /tmp/zlramfs || fail "cannot mount ramfs"
    mkdir -p /tmp/zlramfs/0
    dmesg_mark
    expect_eq "$(ctl "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1,base_dir=/tmp/zlramfs,buffered_io,discard_write_cache")" \
        EOPNOTSUPP "add on ramfs (no user xattrs)"
    klog_has 'discard_write_cache needs user extended attributes' || fail "no clear log line"
    ctl_ok "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1,base_dir=/tmp/zlramfs,buffered_io"
    wait_for $D
    dev_remove 0
    umount /tmp/zlramfs
}

# ---- max_open_zones -----------------------------------------------------
MOZ_GEOM="capacity_mb=512,zone_size_mb=64,conv_zones=2,max_open_zones=2"

test_c45_max_open_zones_limit_exported() {
    load_rs
    dev_add 0 "$MOZ_GEOM"
    expect_eq "$(cat /sys/block/zloop0/queue/max_open_zones)" 2 "queue max_open_zones"
    expect_eq "$(cat /sys/block/zloop0/queue/max_active_zones)" 0 "queue max_active_zones"
}

test_c45_explicit_open_beyond_limit_is_eio() {
    load_rs
    dev_add 0 "$MOZ_GEOM"
    zop_ok open $D 2
    zop_ok open $D 3
    zop_err EIO open $D 4
    expect_zone $D 4 $EMPTY 0
    # re-opening an open zone needs no new resource
    zop_ok open $D 3
    # an implicit open cannot evict explicitly open zones
    expect_eq "$(pw $D $((5 * ZB)) 4096 1)" EIO "write to a 3rd zone with 2 explicitly open"
    zop_ok close $D 2
    zop_ok open $D 4
    expect_zone $D 2 $EMPTY 0
    expect_zone $D 4 $EXP_OPEN 0
}

test_c45_implicit_open_closes_lru_implicit_zone() {
    load_rs
    dev_add 0 "$MOZ_GEOM"
    pw_ok $D $((2 * ZB)) 4096 1
    pw_ok $D $((3 * ZB)) 4096 1
    expect_zone $D 2 $IMP_OPEN 8
    expect_zone $D 3 $IMP_OPEN 8
    pw_ok $D $((4 * ZB)) 4096 1          # evicts zone 2 (least recently used)
    expect_zone $D 2 $CLOSED 8
    expect_zone $D 3 $IMP_OPEN 8
    expect_zone $D 4 $IMP_OPEN 8
    pw_ok $D $((3 * ZB + 4096)) 4096 1   # zone 3 becomes most recently used
    pw_ok $D $((5 * ZB)) 4096 1          # evicts zone 4
    expect_zone $D 3 $IMP_OPEN 16
    expect_zone $D 4 $CLOSED 8
    expect_zone $D 5 $IMP_OPEN 8
    zop_ok open $D 3                     # explicit zones are never evicted
    pw_ok $D $((2 * ZB + 4096)) 4096 1   # evicts zone 5, not zone 3
    expect_zone $D 3 $EXP_OPEN 16
    expect_zone $D 5 $CLOSED 8
    expect_zone $D 2 $IMP_OPEN 16
    expect_eq "$(zctl report $D | awk '$5 == 2 || $5 == 3' | wc -l)" 2 "open zones"
}

moz_diff() {
    dev_add 0 "$MOZ_GEOM"
    {
        pw $D $((2 * ZB)) 4096 1; pw $D $((3 * ZB)) 4096 1; pw $D $((4 * ZB)) 4096 1
        zop open $D 5; zop open $D 6; zop open $D 7; pw $D $((2 * ZB + 4096)) 4096 1
        zop close $D 4; zop open $D 2; zop finish $D 3
        pw $D $((7 * ZB)) 4096 1
        zctl report $D
    } > /tmp/moz-$DRV
    dev_remove 0
}
test_c45_max_open_zones_matches_c_zloop() {
    for_both moz_diff
    diff /tmp/moz-c /tmp/moz-rs > /tmp/moz.diff || fail "differs from C: $(head -n 6 /tmp/moz.diff)"
}

test_c45_fio_with_max_open_zones() {
    load_rs
    dev_add 0 "capacity_mb=1024,zone_size_mb=32,conv_zones=0,max_open_zones=4"
    fio --name=moz --filename=$D --direct=1 --zonemode=zbd --max_open_zones=4 --ioengine=libaio \
        --iodepth=16 --rw=randwrite --bs=32k --io_size=128m --verify=crc32c --verify_fatal=1 \
        > /tmp/fio.log 2>&1 || fail "fio: $(grep -i -m2 err /tmp/fio.log)"
    [[ $(zctl report $D | awk '$5 == 2 || $5 == 3' | wc -l) -le 4 ]] || fail "more than 4 open zones"
}

# ---- buffered_io ----------------------------------------------------------
test_buffered_io_verify_workload() {
    load_rs
    dev_add 0 "capacity_mb=1024,zone_size_mb=64,conv_zones=4,buffered_io"
    fio --name=buffered --filename=$D --direct=1 --zonemode=zbd --ioengine=io_uring --iodepth=16 \
        --rw=randwrite --bs=64k --offset=256m --io_size=96m --max_open_zones=4 --verify=crc32c \
        --verify_fatal=1 > /tmp/fio.log 2>&1 || fail "fio: $(grep -i -m2 err /tmp/fio.log)"
    fio --name=buffered-conv --filename=$D --direct=1 --zonemode=zbd --ioengine=libaio --iodepth=8 \
        --rw=randwrite --bs=16k --size=256m --io_size=32m --verify=crc32c --verify_fatal=1 \
        > /tmp/fio.log 2>&1 || fail "fio conv: $(grep -i -m2 err /tmp/fio.log)"
    local before after
    before=$(dev_md5 $D 256 256) || exit 1
    dev_remove 0
    dev_add 0 "capacity_mb=1024,zone_size_mb=64,conv_zones=4,buffered_io"
    after=$(dev_md5 $D 256 256) || exit 1
    expect_eq "$after" "$before" "data after remove + re-add"
}

# buffered_io goes through the page cache of the zone files; the default
# (O_DIRECT) does not.
cached_pages() { fincore --bytes --noheadings --output RES "$1" | tr -d ' '; }
test_buffered_io_uses_page_cache_direct_does_not() {
    load_rs
    dev_add 0 "capacity_mb=512,zone_size_mb=64,conv_zones=2"
    echo 3 > /proc/sys/vm/drop_caches
    pw_ok $D $((2 * ZB)) 4194304 1
    pr_ok $D $((2 * ZB)) 4194304 1
    expect_eq "$(cached_pages "$BASE/0/seq-000002")" 0 "cached bytes of a zone file (O_DIRECT)"
    dev_remove 0
    rm -rf "${BASE:?}/0"
    dev_add 0 "capacity_mb=512,zone_size_mb=64,conv_zones=2,buffered_io"
    pw_ok $D $((2 * ZB)) 4194304 1
    pr_ok $D $((2 * ZB)) 4194304 1
    [[ $(cached_pages "$BASE/0/seq-000002") -ge 4194304 ]] || fail "buffered_io: only $(cached_pages "$BASE/0/seq-000002") bytes cached"
}
