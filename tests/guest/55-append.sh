# SPDX-License-Identifier: GPL-2.0
# Zone append in its three modes (C35-C37): native (default), emulated by the
# block layer (zone_append=0) and ordered (ordered_zone_append). Appends are
# issued in the kernel by tests/kmod/zloop_rs_append_test.ko, which reports
# the sector each append landed on and checks the data there.
# shellcheck shell=bash

ZS=131072 # 64 MiB zones, in sectors
GEOM="capacity_mb=512,zone_size_mb=64,conv_zones=2"
D=/dev/zloop0

# expect_append_mode MODE: since the mark, zloop0 was added with MODE zone
# append ("native", "emulated" or "ordered native"), as zloop_rs logs it. A
# grep of the whole log would find the line of an earlier test's device.
expect_append_mode() {
    klog_has "zloop0: .*, $1 zone append\$" \
        || fail "zloop0 not added with $1 zone append: $(grep 'zloop0: .*zone append' <<< "$KLOG")"
}

# Sequential appends land one after the other from the write pointer.
sequential_appends() { # ZONE
    local z=$1 out i s st d
    pw_ok $D $((z * ZS * 512)) 8192 3          # wp = zone start + 16
    out=$(appends "$z" 65536 6 1)
    expect_eq "$(echo "$out" | wc -l)" 6 "appends reported"
    while read -r i s st d; do
        expect_eq "$st $d" "0 ok" "append $i status/data"
        expect_eq "$s" $((z * ZS + 16 + i * 128)) "sector of append $i"
    done <<< "$out"
    expect_zone $D "$z" $IMP_OPEN $((16 + 6 * 128))
    expect_eq "$(file_size "$BASE/0/seq-00000$z")" $(((16 + 6 * 128) * 512)) "zone file size"
}

# Concurrent appends all succeed, each at a distinct sector, covering the
# zone from its write pointer without gaps.
concurrent_appends() { # ZONE COUNT
    local z=$1 n=$2 out
    out=$(appends "$z" 65536 "$n" "$n" 5)
    expect_eq "$(echo "$out" | awk '$3 == 0 && $4 == "ok"' | wc -l)" "$n" "successful appends"
    expect_eq "$(echo "$out" | awk '{print $2}' | sort -n | uniq | tr '\n' ' ')" \
        "$(for ((k = 0; k < n; k++)); do echo $((z * ZS + k * 128)); done | tr '\n' ' ')" "sectors"
    expect_zone $D "$z" $IMP_OPEN $((n * 128))
}

# Append to a full zone, or one that does not fit, fails with EIO.
append_errors() {
    zop_ok finish $D 5
    local out
    out=$(appends 5 65536 1 1)
    expect_eq "$(echo "$out" | awk '{print $2, $3}')" "-1 -5" "append to a full zone"
    # zone 6: leave 32 KiB of room in the 64 MiB zone, then append 64 KiB
    local off
    for ((off = 0; off < (64 << 20) - 32768; off += 1048576)); do
        local len=$(((64 << 20) - 32768 - off < 1048576 ? (64 << 20) - 32768 - off : 1048576))
        pw_ok $D $((6 * ZS * 512 + off)) $len 9
    done
    out=$(appends 6 65536 1 1)
    expect_eq "$(echo "$out" | awk '{print $2, $3}')" "-1 -5" "append that does not fit"
    expect_zone $D 6 $IMP_OPEN $((ZS - 64))
}

append_mode() { # MODE EXTRA-OPTIONS
    load_rs
    dmesg_mark
    dev_add 0 "$GEOM${2:+,$2}"
    expect_append_mode "$1"
    sequential_appends 2
    concurrent_appends 3 32
    append_errors
    # (the appends run in subshells: their marks do not move this one)
    klog_has 'zone append with zone_append=0' && fail "the driver received a zone append"
    return 0
}

test_c35_native_zone_append() { append_mode native ""; }
test_c36_emulated_zone_append() { append_mode emulated "zone_append=0"; }
test_c37_ordered_zone_append() { append_mode "ordered native" "ordered_zone_append"; }

# ordered_zone_append: sectors are assigned at submission, so concurrent
# appends land in submission order.
test_c37_ordered_appends_land_in_submission_order() {
    load_rs
    dev_add 0 "$GEOM,ordered_zone_append"
    local out
    out=$(appends 4 16384 48 48 2)
    expect_eq "$(echo "$out" | awk '$3 == 0 && $4 == "ok"' | wc -l)" 48 "successful appends"
    expect_eq "$(echo "$out" | sort -n -k1 | awk '{print $2}' | tr '\n' ' ')" \
        "$(for ((k = 0; k < 48; k++)); do echo $((4 * ZS + k * 32)); done | tr '\n' ' ')" \
        "sectors in submission order"
}

# Ordered appends that exactly fill a zone all succeed, the last one making
# the zone full (the C zloop fails the filling append: survey A.3 item 4).
test_c37_ordered_appends_filling_a_zone_succeed() {
    load_rs
    dev_add 0 "capacity_mb=512,zone_size_mb=64,zone_capacity_mb=1,conv_zones=2,ordered_zone_append"
    local out
    out=$(appends 3 65536 16 16 4)
    expect_eq "$(echo "$out" | awk '$3 == 0 && $4 == "ok"' | wc -l)" 16 "successful appends (16 x 64 KiB = the 1 MiB zone capacity)"
    expect_zone $D 3 $FULL -1
    expect_eq "$(file_size "$BASE/0/seq-000003")" $((1 << 20)) "zone file size"
    out=$(appends 3 65536 1 1)
    expect_eq "$(echo "$out" | awk '{print $2, $3}')" "-1 -5" "append to the now full zone"
    # one at a time, too
    out=$(appends 4 65536 16 1 4)
    expect_eq "$(echo "$out" | awk '$3 == 0' | wc -l)" 16 "sequential appends filling zone 4"
    expect_zone $D 4 $FULL -1
}

# What the C zloop does with the same appends (for the record: not asserted).
test_c37_ordered_fill_on_c_zloop_for_reference() {
    load_c
    dev_add 0 "capacity_mb=512,zone_size_mb=64,zone_capacity_mb=1,conv_zones=2,ordered_zone_append"
    local out
    out=$(appends 3 65536 16 16 4)
    note "C zloop, 16 ordered appends filling a zone: $(echo "$out" | awk '$3 == 0' | wc -l) succeeded, $(echo "$out" | awk '$3 != 0' | wc -l) failed"
    expect_eq "$(echo "$out" | wc -l)" 16 "appends reported by the C zloop"
}

# Native appends give the same sectors and zone states on both drivers.
append_diff() {
    dev_add 0 "$GEOM"
    {
        appends 2 65536 4 1
        appends 3 4096 3 1
        zctl report $D
    } > /tmp/append-$DRV
    dev_remove 0
}
test_append_matches_c_zloop() {
    for_both append_diff
    # (the appends ran: two empty outputs would compare equal)
    expect_eq "$(awk '$3 == 0 && $4 == "ok"' /tmp/append-rs | wc -l)" 7 "successful appends"
    expect_eq "$(awk 'NF == 7' /tmp/append-rs | wc -l)" 8 "zones reported"
    diff /tmp/append-c /tmp/append-rs > /tmp/append.diff || fail "differs from C: $(head -n 4 /tmp/append.diff)"
}

# A zone-append workload from a file system: btrfs in zoned mode writes its
# data with zone appends. fio verifies it, for each append mode.
btrfs_fio() { # MODE EXTRA-OPTIONS
    load_rs
    dmesg_mark
    dev_add 0 "capacity_mb=2048,zone_size_mb=64,conv_zones=4${2:+,$2}"
    expect_append_mode "$1"
    mkfs.btrfs -q -f -O zoned -d single -m single $D > /tmp/mkfs.log 2>&1 || fail "mkfs.btrfs: $(tail -n 2 /tmp/mkfs.log)"
    mkdir -p /tmp/zlmnt
    mount -t btrfs $D /tmp/zlmnt || fail "mount"
    local engine
    for engine in libaio io_uring; do
        fio --name=append-$engine --directory=/tmp/zlmnt --ioengine=$engine --direct=1 --iodepth=16 \
            --rw=write --bs=64k --size=48m --numjobs=2 --verify=crc32c --verify_fatal=1 \
            > /tmp/fio.log 2>&1 || fail "fio $engine on btrfs: $(grep -i -m2 err /tmp/fio.log)"
    done
    umount /tmp/zlmnt || fail "umount"
    btrfs check $D > /tmp/check.log 2>&1 || fail "btrfs check: $(tail -n 3 /tmp/check.log)"
    klog_has 'zone append with zone_append=0' && fail "the driver received a zone append"
    return 0
}
test_append_workload_btrfs_native() { btrfs_fio native ""; }
test_append_workload_btrfs_ordered() { btrfs_fio "ordered native" "ordered_zone_append"; }
test_append_workload_btrfs_emulated() { btrfs_fio emulated "zone_append=0"; }
