# SPDX-License-Identifier: GPL-2.0
# Failing backing storage (issue 10, item 2): a file system that fills up,
# I/O errors from the backing device, zone files changed behind the driver's
# back, a backing file system that is shut down or made read-only. What must
# hold: clear errors (no hang, no kernel report), the zone state follows the
# zone files, recovery by reset, and a re-add that refuses a bad directory
# with a message naming the file.
# shellcheck shell=bash

ZB=$((64 << 20)) MB=1048576
G="capacity_mb=512,zone_size_mb=64,conv_zones=2"
D=/dev/zloop0

# ---- (a) the backing file system fills up ---------------------------------
# fill_until_error ZONE_BYTES ZONE: 1 MiB writes at the write pointer of
# ZONE until one fails; prints its result (the errno name).
fill_until_error() {
    local zb=$1 z=$2 off r
    for ((off = 0; off < zb; off += MB)); do
        r=$(pw $D $((z * zb + off)) $MB $z)
        [[ $r == OK ]] || { echo "$r"; return; }
    done
    echo "no error"
}

full_fs_round() { # DRV
    local mnt=/tmp/zl-full zb=$((16 * MB))
    mkdir -p $mnt && mount -t tmpfs -o size=40m zl-full $mnt && mkdir -p $mnt/0 || fail "mount tmpfs"
    load "$1"
    ctl_ok "add id=0,capacity_mb=256,zone_size_mb=16,conv_zones=0,base_dir=$mnt"
    wait_for $D
    local r z=0
    while [[ $z -lt 16 ]]; do
        r=$(fill_until_error $zb $z)
        [[ $r == "no error" ]] || break
        z=$((z + 1))
    done
    [[ $r == ENOSPC || $r == EIO ]] || fail "$1: the write that found the file system full: $r"
    # the zone is what its file says
    local size wp
    size=$(file_size "$(printf '%s/0/seq-%06d' $mnt $z)")
    wp=$(zstate $D $z | awk '{print $2}')
    expect_eq "$((wp * 512))" "$size" "$1: write pointer of zone $z against its file"
    # still full: a write at the write pointer fails again, no hang
    r=$(pw $D $((z * zb + wp * 512)) $MB 9)
    [[ $r == ENOSPC || $r == EIO ]] || fail "$1: write to the full file system: $r"
    # a reset frees room: the write at the write pointer now succeeds
    zop_ok reset $D 0
    wp=$(zstate $D $z | awk '{print $2}')
    pw_ok $D $((z * zb + wp * 512)) $MB 9
    pr_ok $D $((z * zb + wp * 512)) $MB 9
    dev_remove 0
    unload_all
    umount $mnt || fail "umount"
}

test_backing_fs_fills_up() {
    full_fs_round rs
    full_fs_round c
}

# loop_xfs NAME: a 512 MiB XFS on a loop device over /tmp/NAME.img (the
# test's private /tmp), mounted on /tmp/NAME with NAME/0 made. Sets LOOPDEV
# and MNT, and LOOP_CLEANUP: what the test's EXIT trap must run (remove the
# devices, unmount, detach the loop device).
loop_xfs() {
    local img=/tmp/$1.img
    MNT=/tmp/$1
    truncate -s 512M "$img" && mkfs.xfs -q -f "$img" || fail "mkfs.xfs"
    LOOPDEV=$(losetup -f --show "$img") || fail "losetup"
    LOOP_CLEANUP="remove_all_devices > /dev/null 2>&1; umount $MNT 2> /dev/null; losetup -d $LOOPDEV 2> /dev/null"
    trap "$LOOP_CLEANUP" EXIT
    mkdir -p "$MNT" && mount "$LOOPDEV" "$MNT" && mkdir -p "$MNT/0" || fail "mount"
}

# ---- (b) the backing device fails I/O (fail_make_request) -----------------
test_backing_device_io_errors() {
    local fi=/sys/kernel/debug/fail_make_request
    [[ -d $fi ]] || skip "no fail_make_request in this kernel"
    loop_xfs zl-xfs
    local mnt=$MNT loopdev=$LOOPDEV
    trap 'echo 0 > '"$fi"'/probability; echo 0 > /sys/block/'"${loopdev#/dev/}"'/make-it-fail 2> /dev/null; '"$LOOP_CLEANUP" EXIT
    load_rs
    ctl_ok "add id=0,$G,base_dir=$mnt"
    wait_for $D
    pw_ok $D $((2 * ZB)) $MB 1
    echo 0 > $fi/verbose
    echo 100 > $fi/probability
    echo -1 > $fi/times
    echo 1 > "/sys/block/${loopdev#/dev/}/make-it-fail"
    local r
    r=$(pw $D $((2 * ZB + MB)) $MB 2)
    [[ $r == EIO ]] || fail "write while the backing device fails: $r"
    r=$(pr $D $((2 * ZB)) $MB 1)
    [[ $r == EIO || $r == OK ]] || fail "read while the backing device fails: $r"
    echo 0 > "/sys/block/${loopdev#/dev/}/make-it-fail"
    echo 0 > $fi/probability
    # the device can always be removed
    dev_remove 0
    umount $mnt || fail "umount"
}

# ---- (c) zone files changed behind the driver's back ----------------------
test_zone_file_deleted_then_readd_names_it() {
    load_rs
    dev_add 0 "$G"
    pw_ok $D $((2 * ZB)) $MB 1
    rm "$BASE/0/seq-000003"
    pw_ok $D $((3 * ZB)) $MB 2          # the open file still takes it
    dev_remove 0
    dmesg_mark
    ctl_err EINVAL "add id=0,$G"
    klog_has "seq-000003" || fail "the refused add does not name the missing file"
    [[ ! -e $D ]] || fail "$D exists"
}

test_zone_file_grown_or_unaligned_then_readd_names_it() {
    load_rs
    dev_add 0 "$G"
    dev_remove 0
    truncate -s $((65 * MB)) "$BASE/0/seq-000004"
    dmesg_mark
    ctl_err EINVAL "add id=0,$G"
    klog_has "seq-000004 is larger than the zone capacity" || fail "no line naming the grown file"
    truncate -s 1000 "$BASE/0/seq-000004"
    dmesg_mark
    ctl_err EINVAL "add id=0,$G"
    klog_has "seq-000004 is not a multiple of the block size" || fail "no line naming the unaligned file"
    truncate -s 0 "$BASE/0/seq-000004"
    dev_add 0 "$G"
}

# Truncated while live: the data past the new end reads as zeroes, writes
# still follow the driver's write pointer, and a reset brings the zone and
# its file back in line.
test_zone_file_truncated_while_live_recovers_on_reset() {
    load_rs
    dev_add 0 "$G"
    pw_ok $D $((2 * ZB)) $((2 * MB)) 1
    truncate -s $MB "$BASE/0/seq-000002"
    pr_ok $D $((2 * ZB)) $MB 1
    pr_ok $D $((2 * ZB + MB)) $MB zero
    zop_ok reset $D 2
    expect_zone $D 2 $EMPTY 0
    expect_eq "$(file_size "$BASE/0/seq-000002")" 0 "file after the reset"
    pw_ok $D $((2 * ZB)) $MB 3
    pr_ok $D $((2 * ZB)) $MB 3
    dev_remove 0
    dev_add 0 "$G"
    expect_zone $D 2 $CLOSED 2048
}

# Immutable (chattr +i) while live: a reset cannot truncate it: EIO, and
# after chattr -i the reset works. An add refuses the immutable file.
test_zone_file_made_immutable() {
    immutable_zone "$G" 2
    local f=$IMM_FILE
    zop_err EIO reset $D 2
    chattr -i "$f"
    zop_ok reset $D 2
    expect_zone $D 2 $EMPTY 0
    dev_remove 0
    chattr +i "$f"
    dmesg_mark
    local r
    r=$(ctl "add id=0,$G")
    [[ $r == EPERM || $r == EINVAL ]] || fail "add with an immutable zone file: $r"
    klog_has "seq-000002" || fail "the refused add does not name the immutable file"
    chattr -i "$f"
}

# ---- (d) the backing file system goes away under the device ---------------
# While zone files are open for writing, the kernel refuses to remount their
# file system read-only; a file system shut down (XFS) fails every I/O with
# EIO, and the device can still be removed.
test_backing_fs_read_only_or_shut_down() {
    need_cmd xfs_io
    loop_xfs zl-xfs2
    local mnt=$MNT loopdev=$LOOPDEV r
    load_rs
    ctl_ok "add id=0,$G,base_dir=$mnt"
    wait_for $D
    pw_ok $D $((2 * ZB)) $MB 1
    mount -o remount,ro $mnt 2> /dev/null && fail "remount read-only succeeded under a live device"
    # -f: the log is flushed first, so what was written before survives
    xfs_io -x -c 'shutdown -f' $mnt || fail "xfs shutdown"
    r=$(pw $D $((2 * ZB + MB)) $MB 2)
    expect_eq "$r" EIO "write after the shutdown"
    r=$(zctl fsync $D)
    expect_eq "$r" EIO "flush after the shutdown"
    dev_remove 0
    umount $mnt || fail "umount"
    mount $loopdev $mnt || fail "mount after the shutdown (log recovery)"
    ctl_ok "add id=0,$G,base_dir=$mnt"
    wait_for $D
    pr_ok $D $((2 * ZB)) $MB 1
    dev_remove 0
    umount $mnt || fail "umount at the end"
}
