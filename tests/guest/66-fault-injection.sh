# SPDX-License-Identifier: GPL-2.0
# Fault injection (issue 12, item 2): zones set OFFLINE or READ_ONLY through
# /sys/block/zloop0/zloop/zone_offline and zone_readonly (null_blk's rules:
# what fails, what the report says, writing the condition again clears it),
# kept in the zone file's user.zloop_rs.cond across remove + re-add and what
# the C zloop makes of such a directory; bad sector ranges through
# .../badblocks (exact errors, r/w modes, once-ranges that heal, a failed
# write leaves the write pointer, appends), and fio surviving them.
# shellcheck shell=bash

ZS=131072 ZB=$((64 << 20)) MB=1048576 # 64 MiB zones, in sectors and bytes
G="capacity_mb=512,zone_size_mb=64,conv_zones=2"
D=/dev/zloop0
SYS=/sys/block/zloop0/zloop
APPEND_KO=$TOP/tests/kmod/zloop_rs_append_test.ko
RO=13 OFFLINE=15 # BLK_ZONE_COND_READONLY, BLK_ZONE_COND_OFFLINE

# attr_ok FILE VALUE / attr_err ERRNO FILE VALUE: one write(2) to a sysfs file.
attr_ok() { local r; r=$(zctl write "$SYS/$1" "$2"); [[ $r == OK ]] || fail "echo '$2' > $1: $r"; }
attr_err() { local r; r=$(zctl write "$SYS/$2" "$3"); [[ $r == "$1" ]] || fail "echo '$3' > $2: got $r, want $1"; }
# cond_xattr FILE: the zone condition recorded in FILE, or "none".
cond_xattr() {
    local out
    out=$(getfattr --absolute-names --only-values -n user.zloop_rs.cond "$1" 2>&1) && { echo "$out"; return; }
    [[ $out == *"No such attribute"* ]] || fail "getfattr $1: $out"
    echo none
}
seqfile() { printf '%s/0/seq-%06d' "$BASE" "$1"; }
# blkzone_line ZONE: the `blkzone report` line of ZONE.
blkzone_line() { blkzone report -o $(($1 * ZS)) -c 1 $D; }
# wp_of ZONE: the write pointer of ZONE relative to its start (a zone report,
# which also gives the block layer back the write pointer after a failed write).
wp_of() { zstate $D "$1" | awk '{print $2}'; }

# appends ZONE LEN COUNT: zone appends from the kernel (see 55-append.sh);
# prints "<i> <sector> <status> <data>" per append.
appends() {
    dmesg_mark
    insmod "$APPEND_KO" dev=$D zone="$1" len="$2" count="$3" batch=1 seed=1 \
        || fail "insmod zloop_rs_append_test"
    rmmod zloop_rs_append_test || fail "rmmod zloop_rs_append_test"
    klog
    grep -q "zloop_append_test: done count=$3 " <<< "$KLOG" || fail "no 'done' line from zloop_rs_append_test"
    sed -nE 's/.*zloop_append_test: i=([0-9]+) sector=(-?[0-9]+) status=(-?[0-9]+) data=(.*)$/\1 \2 \3 \4/p' <<< "$KLOG"
}

# ---- zone conditions ------------------------------------------------------

# An offline zone: reported as such without a write pointer, reads, writes
# and every zone operation fail with EIO, a reset of all zones leaves it,
# its file is kept; the same write again makes it empty.
test_offline_zone_fails_everything_until_cleared() {
    need_cmd blkzone getfattr
    load_rs
    dev_add 0 "$G"
    pw_ok $D $((3 * ZB)) $MB 1
    pw_ok $D $((4 * ZB)) $MB 2
    dmesg_mark
    attr_ok zone_offline $((3 * ZS + 100))   # any sector of the zone
    klog_has "zloop0: zone 3 is offline now" || fail "no log line for the offline zone"
    expect_zone $D 3 $OFFLINE -1
    blkzone_line 3 | grep -q 'zcond:15(of)' || fail "blkzone: $(blkzone_line 3)"
    expect_eq "$(cond_xattr "$(seqfile 3)")" offline "user.zloop_rs.cond of zone 3"
    expect_eq "$(file_size "$(seqfile 3)")" $MB "zone 3 file kept"
    expect_eq "$(pr $D $((3 * ZB)) 4096 1)" EIO "read of the offline zone"
    expect_eq "$(pw $D $((3 * ZB + MB)) 4096 3)" EIO "write at its old write pointer"
    local op
    for op in open close finish reset; do zop_err EIO "$op" $D 3; done
    expect_zone $D 3 $OFFLINE -1
    expect_eq "$(file_size "$(seqfile 3)")" $MB "zone 3 file after the refused operations"
    # a reset of the whole device skips it (as null_blk), and resets the rest
    zop_ok reset $D all
    expect_zone $D 3 $OFFLINE -1
    expect_zone $D 4 "$EMPTY" 0
    # the other zones work
    pw_ok $D $((4 * ZB)) $MB 4
    pr_ok $D $((4 * ZB)) $MB 4
    # writing the condition again clears it: empty zone, empty file, no record
    attr_ok zone_offline $((3 * ZS))
    expect_zone $D 3 "$EMPTY" 0
    expect_eq "$(file_size "$(seqfile 3)")" 0 "zone 3 file once cleared"
    expect_eq "$(cond_xattr "$(seqfile 3)")" none "user.zloop_rs.cond once cleared"
    pw_ok $D $((3 * ZB)) $MB 5
    pr_ok $D $((3 * ZB)) $MB 5
    expect_zone $D 3 "$IMP_OPEN" 2048
}

# A read-only zone: its data reads back (zeroes past it), writes and zone
# operations fail with EIO; it can be made offline, and cleared.
test_readonly_zone_reads_but_refuses_writes() {
    need_cmd blkzone
    load_rs
    dev_add 0 "$G,max_open_zones=2"
    pw_ok $D $((4 * ZB)) $MB 7
    zop_ok open $D 5
    attr_ok zone_readonly $((4 * ZS))
    expect_zone $D 4 $RO -1
    blkzone_line 4 | grep -q 'zcond:13(ro)' || fail "blkzone: $(blkzone_line 4)"
    pr_ok $D $((4 * ZB)) $MB 7
    pr_ok $D $((4 * ZB + MB)) $MB zero
    expect_eq "$(pw $D $((4 * ZB + MB)) 4096 8)" EIO "write to the read-only zone"
    local op
    for op in open close finish reset; do zop_err EIO "$op" $D 4; done
    # it gave back its open-zone resource: two more zones open (limit 2)
    zop_ok open $D 6
    expect_zone $D 5 "$EXP_OPEN" 0
    expect_zone $D 6 "$EXP_OPEN" 0
    # read-only -> offline: reads fail now
    attr_ok zone_offline $((4 * ZS))
    expect_zone $D 4 $OFFLINE -1
    expect_eq "$(pr $D $((4 * ZB)) 4096 7)" EIO "read once offline"
    attr_ok zone_readonly $((4 * ZS))
    expect_zone $D 4 $RO -1
    pr_ok $D $((4 * ZB)) $MB 7
    # read-only again: cleared, the zone is empty
    attr_ok zone_readonly $((4 * ZS))
    expect_zone $D 4 "$EMPTY" 0
    pr_ok $D $((4 * ZB)) $MB zero
}

# Bad writes to the condition files: exact errno, one log line, no change.
test_zone_condition_files_refuse_bad_input() {
    load_rs
    dev_add 0 "$G"
    local cap=$((8 * ZS))
    attr_err EINVAL zone_offline "abc"
    attr_err EINVAL zone_offline "\n"
    attr_err EINVAL zone_offline "-1"
    attr_err EINVAL zone_offline "12 34"
    attr_err ERANGE zone_offline "99999999999999999999"
    attr_err EINVAL zone_offline "$cap"
    dmesg_mark
    attr_err EINVAL zone_readonly "$ZS"      # zone 1: conventional
    klog_has "zloop0: zone_readonly: zone 1 is conventional" || fail "no log line for the conventional zone"
    attr_err EINVAL zone_offline "0"
    # the files are write-only, as null_blk's
    expect_eq "$(zctl open $SYS/zone_offline ro)" EACCES "open zone_offline for reading"
    expect_eq "$(stat -c %a $SYS/zone_offline $SYS/zone_readonly $SYS/badblocks | tr '\n' ' ')" \
        "200 200 644 " "modes"
    local z
    for z in 0 1; do expect_zone $D $z "$NOT_WP" -1; done
    for z in 2 3 4 5 6 7; do expect_zone $D $z "$EMPTY" 0; done
    # octal and hexadecimal, as kstrtoull: 0x40000 is zone 2
    attr_ok zone_offline 0x40000
    expect_zone $D 2 $OFFLINE -1
    attr_ok zone_offline 01000000
    expect_zone $D 2 "$EMPTY" 0
}

# The conditions are kept in the zone files: a remove + re-add finds them,
# data included; a cleared one is gone for good.
test_conditions_survive_remove_and_readd() {
    need_cmd getfattr setfattr
    load_rs
    dev_add 0 "$G"
    pw_ok $D $((4 * ZB)) $MB 3
    attr_ok zone_offline $((3 * ZS))
    attr_ok zone_readonly $((4 * ZS))
    expect_eq "$(cond_xattr "$(seqfile 4)")" readonly "user.zloop_rs.cond of zone 4"
    dev_remove 0
    dmesg_mark
    dev_add 0 "$G"
    klog_has "zloop0: 2 zones are read-only or offline" || fail "no log line for the restored conditions"
    expect_zone $D 3 $OFFLINE -1
    expect_zone $D 4 $RO -1
    pr_ok $D $((4 * ZB)) $MB 3
    expect_eq "$(pw $D $((4 * ZB + MB)) 4096 8)" EIO "write to the restored read-only zone"
    attr_ok zone_readonly $((4 * ZS))
    dev_remove 0
    dev_add 0 "$G"
    expect_zone $D 3 $OFFLINE -1
    expect_zone $D 4 "$EMPTY" 0
    expect_eq "$(cond_xattr "$(seqfile 4)")" none "user.zloop_rs.cond of the cleared zone"
    # an unknown value in the record is refused, naming the file
    dev_remove 0
    setfattr -n user.zloop_rs.cond -v bogus "$(seqfile 5)" || fail "setfattr"
    dmesg_mark
    ctl_err EINVAL "add id=0,$G"
    klog_has "seq-000005: unknown condition in user.zloop_rs.cond" || fail "the refused add does not name the file"
    setfattr -x user.zloop_rs.cond "$(seqfile 5)" || fail "setfattr -x"
    dev_add 0 "$G"
    expect_zone $D 3 $OFFLINE -1
}

# The C zloop ignores the record: it sees each zone by its file size, can
# use it, and zloop_rs finds the condition again afterwards.
test_c_zloop_readds_a_directory_with_conditions() {
    need_cmd getfattr
    load_rs
    dev_add 0 "$G"
    pw_ok $D $((4 * ZB)) $MB 3
    attr_ok zone_readonly $((4 * ZS))
    attr_ok zone_offline $((5 * ZS))
    dev_remove 0
    load_c
    dmesg_mark
    dev_add 0 "$G"
    expect_zone $D 4 "$CLOSED" 2048      # 1 MiB of data: closed, as any such file
    expect_zone $D 5 "$EMPTY" 0
    pr_ok $D $((4 * ZB)) $MB 3
    pw_ok $D $((4 * ZB + MB)) $MB 4      # the C zloop writes to it
    dev_remove 0
    expect_eq "$(cond_xattr "$(seqfile 4)")" readonly "the C zloop keeps the record"
    load_rs
    dev_add 0 "$G"
    expect_zone $D 4 $RO -1
    expect_zone $D 5 $OFFLINE -1
    pr_ok $D $((4 * ZB + MB)) $MB 4      # what the C zloop wrote is there
    expect_eq "$(file_size "$(seqfile 4)")" $((2 * MB)) "zone 4 file"
}

# ---- bad sector ranges ----------------------------------------------------

# Reads fail exactly inside a read range, writes there still work; the
# list shows the range; removing it makes the sectors good again.
test_badblocks_read_range_fails_reads_inside_only() {
    load_rs
    dev_add 0 "$G"
    local z1=$ZS                     # conventional zone 1
    pw_ok $D $((z1 * 512)) $MB 1
    attr_ok badblocks "+$((z1 + 8))-$((z1 + 15)) r"   # bytes 4096..8191 of zone 1
    expect_eq "$(cat $SYS/badblocks)" "$((z1 + 8))-$((z1 + 15)) r" "badblocks list"
    pr_ok $D $((z1 * 512)) 4096 1                         # ends just before
    expect_eq "$(pr $D $((z1 * 512 + 4096)) 4096 1)" EIO "read of the range"
    expect_eq "$(pr $D $((z1 * 512)) 8192 1)" EIO "read ending in the range"
    expect_eq "$(pr $D $((z1 * 512 + 4096)) 8192 1)" EIO "read starting in the range"
    expect_eq "$(pr $D $((z1 * 512)) $MB 1)" EIO "read overlapping the range"
    pr_ok $D $((z1 * 512 + 8192)) 4096 1                  # starts just after
    pw_ok $D $((z1 * 512 + 4096)) 4096 2                  # r only: writes work
    attr_ok badblocks "-$((z1 + 8))-$((z1 + 15))"
    expect_eq "$(cat $SYS/badblocks)" "" "badblocks list after the removal"
    pr_ok $D $((z1 * 512 + 4096)) 4096 2
}

# A write range on a sequential zone: the write fails with EIO and the write
# pointer stays; reads there work; a once range heals after one failure.
test_badblocks_write_leaves_the_write_pointer() {
    load_rs
    dev_add 0 "$G"
    local z3=$((3 * ZS))
    pw_ok $D $((3 * ZB)) $MB 1                            # wp 2048
    attr_ok badblocks "+$((z3 + 2048))-$((z3 + 2055)) w"
    expect_eq "$(pw $D $((3 * ZB + MB)) 4096 2)" EIO "write into the range"
    expect_eq "$(wp_of 3)" 2048 "write pointer after the failed write"
    expect_eq "$(file_size "$(seqfile 3)")" $MB "zone 3 file after the failed write"
    pr_ok $D $((3 * ZB + MB)) 4096 zero                   # w only: reads work
    expect_eq "$(pw $D $((3 * ZB + MB)) 8192 2)" EIO "a larger write over it"
    expect_eq "$(wp_of 3)" 2048 "write pointer"
    # once: fails one write, then heals
    attr_ok badblocks "+$((z3 + 2048))-$((z3 + 2055)) w once"
    expect_eq "$(cat $SYS/badblocks)" "$((z3 + 2048))-$((z3 + 2055)) w once" "badblocks list"
    expect_eq "$(pw $D $((3 * ZB + MB)) 4096 2)" EIO "write into the once range"
    expect_eq "$(wp_of 3)" 2048 "write pointer after the failed write"
    expect_eq "$(cat $SYS/badblocks)" "" "the once range healed"
    pw_ok $D $((3 * ZB + MB)) 4096 2
    expect_eq "$(wp_of 3)" 2056 "write pointer after the write that worked"
    pr_ok $D $((3 * ZB + MB)) 4096 2
}

# Read once-ranges heal after one failed read; rw (the default) fails both.
test_badblocks_once_read_and_default_rw() {
    load_rs
    dev_add 0 "$G"
    pw_ok $D 0 $MB 1
    attr_ok badblocks "+16-23 once"
    attr_ok badblocks "+64-71"
    expect_eq "$(cat $SYS/badblocks | tr '\n' ';')" "16-23 rw once;64-71 rw;" "badblocks list"
    expect_eq "$(pr $D 8192 4096 1)" EIO "first read of the once range"
    pr_ok $D 8192 4096 1
    expect_eq "$(cat $SYS/badblocks)" "64-71 rw" "after the once range healed"
    expect_eq "$(pr $D 32768 4096 1)" EIO "read of the rw range"
    expect_eq "$(pw $D 32768 4096 2)" EIO "write of the rw range"
    expect_eq "$(pr $D 32768 4096 1)" EIO "read of the rw range again"
    pr_ok $D 0 8192 1
}

# Bad input: exact errno, nothing changes; at most 64 ranges (ENOSPC).
test_badblocks_refuses_bad_input_and_caps_the_list() {
    load_rs
    dev_add 0 "$G"
    local cap=$((8 * ZS)) bad
    for bad in "8-15" "+8" "+8-" "+15-8" "+8-15 x" "+8-15 r w" "-8-15 r" "+a-b" "+0-$cap"; do
        attr_err EINVAL badblocks "$bad"
    done
    attr_err ERANGE badblocks "+0-99999999999999999999"
    expect_eq "$(cat $SYS/badblocks)" "" "badblocks list after refused writes"
    local i
    for ((i = 0; i < 64; i++)); do attr_ok badblocks "+$((i * 16))-$((i * 16 + 7)) w"; done
    dmesg_mark
    attr_err ENOSPC badblocks "+5000-5007"
    klog_has "zloop0: badblocks: too many bad block ranges" || fail "no log line for the full list"
    attr_err ENOSPC badblocks "-2-3"                     # a split needs room too
    expect_eq "$(wc -l < $SYS/badblocks)" 64 "ranges listed"
    attr_ok badblocks "-0-$((cap - 1))"
    expect_eq "$(cat $SYS/badblocks)" "" "badblocks list after removing all"
}

# Zone appends (from the kernel): one into a bad range fails and leaves the
# write pointer; one to an offline zone fails; native and ordered.
appends_with_faults() { # EXTRA-OPTIONS
    load_rs
    dev_add 0 "$G${1:+,$1}"
    local z5=$((5 * ZS)) out
    pw_ok $D $((5 * ZB)) 8192 1                          # wp 16
    attr_ok badblocks "+$((z5 + 16))-$((z5 + 23)) w once"
    out=$(appends 5 4096 1)
    expect_eq "$(awk '{print $2, $3}' <<< "$out")" "-1 -5" "append into the bad range"
    expect_eq "$(wp_of 5)" 16 "write pointer after the failed append"
    out=$(appends 5 4096 1)
    expect_eq "$(awk '{print $2, $3, $4}' <<< "$out")" "$((z5 + 16)) 0 ok" "append once the range healed"
    attr_ok zone_offline $((6 * ZS))
    out=$(appends 6 4096 1)
    expect_eq "$(awk '{print $2, $3}' <<< "$out")" "-1 -5" "append to an offline zone"
    expect_zone $D 6 $OFFLINE -1
}
test_badblocks_native_zone_append() { appends_with_faults ""; }
test_badblocks_ordered_zone_append() { appends_with_faults ordered_zone_append; }

# fio with --continue_on_error=all: reads over a device with a bad range see
# exactly its blocks fail; zoned random writes over write ranges finish.
test_fio_survives_bad_ranges() {
    need_cmd fio
    load_rs
    dev_add 0 "$G"
    # 3 blocks of 4 KiB of conventional zone 0 (bytes 8192..20479)
    attr_ok badblocks "+16-39 r"
    fio --name=reads --filename=$D --direct=1 --zonemode=none --ioengine=psync --rw=read \
        --bs=4k --size=1m --continue_on_error=all > /tmp/fio-reads.log 2>&1 \
        || fail "fio reads failed: $(tail -n 3 /tmp/fio-reads.log)"
    grep -q 'errors    : total=3, first_error=5/' /tmp/fio-reads.log \
        || fail "fio reads: $(grep -m1 'errors' /tmp/fio-reads.log || tail -n 3 /tmp/fio-reads.log)"
    # writes: a permanent range in every sequential zone, 96 MiB of random
    # zoned writes over them
    local z
    for ((z = 2; z < 8; z++)); do attr_ok badblocks "+$((z * ZS + 4096))-$((z * ZS + 4351)) w"; done
    fio --name=writes --filename=$D --direct=1 --zonemode=zbd --ioengine=libaio --iodepth=8 \
        --rw=randwrite --bs=64k --offset=$((2 * ZB)) --size=$((6 * ZB)) --io_size=96m \
        --max_open_zones=4 --continue_on_error=all > /tmp/fio-writes.log 2>&1 \
        || fail "fio writes failed: $(tail -n 3 /tmp/fio-writes.log)"
    local total
    total=$(sed -nE 's/.*errors    : total=([0-9]+), first_error=([0-9]+).*/\1 \2/p' /tmp/fio-writes.log)
    [[ -n $total ]] || fail "fio writes printed no error count: $(tail -n 3 /tmp/fio-writes.log)"
    note "fio zoned random writes over bad ranges: errors total, first errno: $total"
    [[ ${total% *} -ge 1 && ${total#* } == 5 ]] || fail "fio writes: errors '$total', want at least 1, EIO"
    # the device is sound: zones report, data of a good zone reads back
    expect_eq "$(zctl report $D | wc -l)" 8 "zones reported"
    attr_ok badblocks "-0-$((8 * ZS - 1))"
    zop_ok reset $D all
    pw_ok $D $((7 * ZB)) $MB 9
    pr_ok $D $((7 * ZB)) $MB 9
}

# Bad ranges are not kept: a re-add has none.
test_badblocks_not_kept_across_readd() {
    load_rs
    dev_add 0 "$G"
    attr_ok badblocks "+0-7"
    dev_remove 0
    dev_add 0 "$G"
    expect_eq "$(cat $SYS/badblocks)" "" "badblocks list after re-add"
    pr_ok $D 0 4096 zero
}
