# SPDX-License-Identifier: GPL-2.0
# Real consumers of a zoned disk: btrfs (zoned mode) and f2fs on zloop_rs.
# shellcheck shell=bash

D=/dev/zloop0
MNT=/tmp/zlmnt

# many small files and symlinks, from the read-only host root
TREE=/usr/share/zoneinfo
[[ -d $TREE ]] || TREE=/etc

# fill_and_check: writes files of random data, checks them, remounts, checks again.
fill_and_check() { # FS MOUNT-OPTIONS
    local fs=$1 f
    mkdir -p $MNT
    mount -t "$fs" $D $MNT || fail "mount $fs"
    mkdir -p $MNT/data
    for f in 1 2 3 4; do
        dd if=/dev/urandom of=/tmp/src$f bs=1M count=$((f * 12)) status=none
        cp /tmp/src$f $MNT/data/f$f || fail "cp to $fs"
    done
    # a failed copy is a failed write to the file system, not something to ignore
    cp -r $TREE $MNT/tree || fail "$fs: cp -r $TREE"
    sync
    for f in 1 2 3 4; do cmp /tmp/src$f $MNT/data/f$f || fail "$fs: f$f differs before remount"; done
    umount $MNT || fail "umount $fs"
    echo 3 > /proc/sys/vm/drop_caches
    mount -t "$fs" $D $MNT || fail "remount $fs"
    for f in 1 2 3 4; do cmp /tmp/src$f $MNT/data/f$f || fail "$fs: f$f differs after remount"; done
    diff -r --no-dereference $TREE $MNT/tree > /tmp/tree.diff || fail "$fs: copy of $TREE differs after remount: $(head -n 3 /tmp/tree.diff)"
    rm $MNT/data/f2 || fail "$fs: rm"
    dd if=/dev/urandom of=$MNT/data/f5 bs=1M count=20 status=none conv=fsync || fail "$fs: write after rm"
    umount $MNT || fail "umount $fs"
}

test_btrfs_zoned_mkfs_mount_write_read_check() {
    load_rs
    dev_add 0 "capacity_mb=2048,zone_size_mb=64,conv_zones=4"
    mkfs.btrfs -q -f -O zoned -d single -m single $D > /tmp/mkfs.log 2>&1 || fail "mkfs.btrfs -O zoned: $(tail -n 3 /tmp/mkfs.log)"
    fill_and_check btrfs
    btrfs check $D > /tmp/check.log 2>&1 || fail "btrfs check: $(tail -n 5 /tmp/check.log)"
    # the file system wrote sequential zones through the driver
    [[ $(zctl report $D | awk '$6 == 2 && $5 != 1' | wc -l) -gt 0 ]] || fail "no sequential zone was written"
    # and it survives remove + re-add of the device
    dev_remove 0
    dev_add 0 "capacity_mb=2048,zone_size_mb=64,conv_zones=4"
    btrfs check $D > /tmp/check2.log 2>&1 || fail "btrfs check after re-add: $(tail -n 5 /tmp/check2.log)"
    mount -t btrfs $D $MNT || fail "mount after re-add"
    cmp /tmp/src4 $MNT/data/f4 || fail "f4 differs after re-add"
    umount $MNT || fail "umount after re-add"
}

test_f2fs_zoned_mkfs_mount_write_read() {
    load_rs
    # f2fs keeps several free sections (= zones) in reserve: many small zones
    dev_add 0 "capacity_mb=4096,zone_size_mb=16,conv_zones=16"
    mkfs.f2fs -q -f -m $D > /tmp/mkfs.log 2>&1 || fail "mkfs.f2fs -m: $(tail -n 3 /tmp/mkfs.log)"
    fill_and_check f2fs
    [[ $(zctl report $D | awk '$6 == 2 && $5 != 1' | wc -l) -gt 0 ]] || fail "no sequential zone was written"
    # f2fs-tools is required (tools/deps.sh): a missing fsck.f2fs is a failure, not a pass
    need_cmd fsck.f2fs
    fsck.f2fs -f $D > /tmp/fsck.log 2>&1 || fail "fsck.f2fs: $(tail -n 5 /tmp/fsck.log)"
}
