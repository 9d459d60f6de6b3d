# SPDX-License-Identifier: GPL-2.0
# Persistence: remove + add restores every zone from its file (C48), and bad
# zone files are refused with EINVAL and a log line naming the zone (C21, C22).
# shellcheck shell=bash

ZB=$((64 << 20)) CAPB=$((48 << 20))
GEOM="capacity_mb=512,zone_size_mb=64,zone_capacity_mb=48,conv_zones=2"
D=/dev/zloop0

restore_scenario() {
    dev_add 0 "$GEOM"
    pw_ok $D 4096 8192 1                    # conventional zone 0
    pw_ok $D $((2 * ZB)) 1048576 2          # zone 2: partial -> closed
    zop_ok finish $D 3                      # zone 3: full (finished)
    local off                               # zone 4: written up to capacity
    for ((off = 0; off < CAPB; off += 4194304)); do pw_ok $D $((4 * ZB + off)) 4194304 4; done
    zop_ok open $D 5                        # zone 5: explicitly open, empty
    pw_ok $D $((6 * ZB)) 65536 6            # zone 6: written, then closed
    zop_ok close $D 6
    dev_remove 0
    dev_add 0 "$GEOM"
    expect_zone $D 0 $NOT_WP -1
    expect_zone $D 2 $CLOSED 2048
    expect_zone $D 3 $FULL -1
    expect_zone $D 4 $FULL -1
    expect_zone $D 5 $EMPTY 0
    expect_zone $D 6 $CLOSED 128
    expect_zone $D 7 $EMPTY 0
    pr_ok $D 4096 8192 1
    pr_ok $D $((2 * ZB)) 1048576 2
    for ((off = 0; off < CAPB; off += 4194304)); do pr_ok $D $((4 * ZB + off)) 4194304 4; done
    pr_ok $D $((6 * ZB)) 65536 6
    # a restored partial zone takes writes at its write pointer
    pw_ok $D $((2 * ZB + 1048576)) 4096 7
    expect_zone $D 2 $IMP_OPEN 2056
    dev_remove 0
}

test_c48_readd_restores_zone_state_and_data() {
    load_rs
    restore_scenario
}

# The C driver restores the very same state from the same kind of history.
test_c48_restore_matches_c_zloop() {
    local drv
    for drv in rs c; do
        load $drv
        rm -rf "${BASE:?}"/*
        restore_scenario
        dev_add 0 "$GEOM"
        zctl report $D > /tmp/restored-$drv
        dev_remove 0
    done
    # (two failed reports would compare equal)
    expect_eq "$(awk 'NF == 7' /tmp/restored-rs | wc -l)" 8 "zones reported after restore"
    diff /tmp/restored-c /tmp/restored-rs > /tmp/restored.diff || fail "differs: $(head -n 4 /tmp/restored.diff)"
}

# Files left by the C zloop are restored by zloop_rs (same on-disk format).
test_c48_restores_a_device_made_by_c_zloop() {
    load_c
    dev_add 0 "$GEOM"
    pw_ok $D $((2 * ZB)) 1048576 2
    zop_ok finish $D 3
    dev_remove 0
    load_rs
    dev_add 0 "$GEOM"
    expect_zone $D 2 $CLOSED 2048
    expect_zone $D 3 $FULL -1
    pr_ok $D $((2 * ZB)) 1048576 2
}

readd_err() { # ERRNO WHAT: re-adding the device fails with ERRNO and logs WHAT
    dmesg_mark
    local got
    got=$(ctl "add id=0,$GEOM")
    expect_eq "$got" "$1" "re-add"
    klog
    grep -q -- "$2" <<< "$KLOG" || fail "no log line matching '$2': $(tail -n 3 <<< "$KLOG")"
    [[ -e $D ]] && fail "$D exists after a failed add"
    return 0
}

test_c21_restore_refuses_seq_file_larger_than_capacity() {
    load_rs
    dev_add 0 "$GEOM"
    dev_remove 0
    truncate -s $((CAPB + 4096)) "$BASE/0/seq-000004"
    readd_err EINVAL "zone 4 file .*seq-000004 is larger than the zone capacity"
}

test_c21_restore_refuses_unaligned_seq_file() {
    load_rs
    dev_add 0 "$GEOM"
    dev_remove 0
    truncate -s 1000 "$BASE/0/seq-000005"
    readd_err EINVAL "zone 5 file .*seq-000005 is not a multiple of the block size"
}

test_c22_restore_refuses_missing_zone_file() {
    load_rs
    dev_add 0 "$GEOM"
    dev_remove 0
    rm "$BASE/0/seq-000006"
    readd_err EINVAL "cannot open zone 6 file .*seq-000006"
}

# Deviation from the C driver (which logs the error but accepts the file).
test_restore_refuses_conventional_file_of_wrong_size() {
    load_rs
    dev_add 0 "$GEOM"
    dev_remove 0
    truncate -s $((32 << 20)) "$BASE/0/cnv-000001"
    readd_err EINVAL "conventional zone 1 file .*cnv-000001 has 33554432 B, not the zone size"
    expect_eq "$(file_size "$BASE/0/cnv-000001")" $((32 << 20)) "the refused file is left alone"
}

test_restore_refuses_other_geometry() {
    load_rs
    dev_add 0 "$GEOM"
    pw_ok $D $((2 * ZB)) 2097152 2
    dev_remove 0
    # without its description (which refuses other geometry at once:
    # 67-self-describing), as for a directory written by the C zloop: the
    # zone files refuse it
    rm "$BASE/0/zloop_rs.device" || fail "no description file"
    # more conventional zones: cnv-000002 does not exist
    dmesg_mark
    expect_eq "$(ctl "add id=0,capacity_mb=512,zone_size_mb=64,zone_capacity_mb=48,conv_zones=3")" EINVAL "re-add with 3 conventional zones"
    # smaller zones: the conventional files are 64 MiB, not 32 MiB
    expect_eq "$(ctl "add id=0,capacity_mb=512,zone_size_mb=32,conv_zones=2")" EINVAL "re-add with 32 MiB zones"
    # a smaller zone capacity than the data written
    expect_eq "$(ctl "add id=0,capacity_mb=512,zone_size_mb=64,zone_capacity_mb=1,conv_zones=2")" EINVAL "re-add with 1 MiB zone capacity"
    # the original geometry still works and the data is intact
    dev_add 0 "$GEOM"
    expect_zone $D 2 $CLOSED 4096
    pr_ok $D $((2 * ZB)) 2097152 2
}

test_large_device_1tib_4096_zones_add_remove() {
    load_rs
    local t0 t1
    t0=$(date +%s.%N)
    dev_add 0 "capacity_mb=1048576,zone_size_mb=256,conv_zones=8"
    t1=$(date +%s.%N)
    note "add of a 1 TiB device with 4096 zones: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
    expect_eq "$(cat /sys/block/zloop0/size)" $((1 << 31)) "capacity (1 TiB in sectors)"
    expect_eq "$(cat /sys/block/zloop0/queue/nr_zones)" 4096 "zones"
    expect_eq "$(ls "$BASE/0" | grep -cE '^(cnv|seq)-[0-9]{6}$')" 4096 "zone files"
    expect_eq "$(zctl report $D | wc -l)" 4096 "zones reported"
    pw_ok $D $(( (4095 << 28) )) 65536 3
    expect_zone $D 4095 $IMP_OPEN 128
    dev_remove 0
    dev_add 0 "capacity_mb=1048576,zone_size_mb=256,conv_zones=8"
    expect_zone $D 4095 $CLOSED 128
    dev_remove 0
}
