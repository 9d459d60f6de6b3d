# SPDX-License-Identifier: GPL-2.0
# prealloc_mb (module parameter, default 4 MiB): sequential zone files are
# allocated ahead of the write pointer with fallocate(KEEP_SIZE). The file size
# stays the write pointer, so the restore rules and the on-disk format do not
# change. (Every other test runs with the default.)
# shellcheck shell=bash

ZB=$((64 << 20))
GEOM="capacity_mb=512,zone_size_mb=64,conv_zones=2"
D=/dev/zloop0

load_prealloc() { unload_all; insmod "$RS_KO" prealloc_mb="$1" || fail "insmod prealloc_mb=$1"; wait_for "$CTL"; }
allocated() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }

test_prealloc_allocates_ahead_and_keeps_size_as_wp() {
    load_prealloc 16
    dev_add 0 "$GEOM"
    local f=$BASE/0/seq-000002
    pw_ok $D $((2 * ZB)) 1048576 1
    expect_eq "$(file_size "$f")" 1048576 "file size (= write pointer)"
    # the 1 MiB write may arrive split (max_sectors): the first piece
    # allocates 16 MiB beyond its end, the next ones fit in what is there
    [[ $(allocated "$f") -ge $((16 << 20)) ]] || fail "only $(allocated "$f") B allocated, want >= 16 MiB"
    expect_zone $D 2 $IMP_OPEN 2048
    # reading beyond the write pointer still gives zeroes
    pr_ok $D $((2 * ZB + 1048576)) 1048576 zero
    pw_ok $D $((2 * ZB + 1048576)) 1048576 2
    pr_ok $D $((2 * ZB)) 1048576 1
    pr_ok $D $((2 * ZB + 1048576)) 1048576 2
    # reset frees everything
    zop_ok reset $D 2
    expect_eq "$(allocated "$f")" 0 "blocks after reset"
    # remove gives back what lies beyond the write pointer
    pw_ok $D $((3 * ZB)) 4096 3
    dev_remove 0
    expect_eq "$(allocated "$BASE/0/seq-000003")" 4096 "blocks of zone 3 after remove"
    expect_eq "$(file_size "$BASE/0/seq-000003")" 4096 "size of zone 3 after remove"
}

test_prealloc_files_restore_on_both_drivers() {
    load_prealloc 64
    dev_add 0 "$GEOM"
    pw_ok $D $((2 * ZB)) 2097152 4
    zop_ok finish $D 3
    dev_remove 0
    local drv
    for drv in rs c; do
        load $drv
        dev_add 0 "$GEOM"
        expect_zone $D 2 $CLOSED 4096
        expect_zone $D 3 $FULL -1
        pr_ok $D $((2 * ZB)) 2097152 4
        dev_remove 0
    done
}

test_prealloc_off_allocates_nothing_ahead() {
    load_prealloc 0
    dev_add 0 "$GEOM"
    pw_ok $D $((2 * ZB)) 1048576 1
    expect_eq "$(allocated "$BASE/0/seq-000002")" 1048576 "blocks with prealloc_mb=0"
}

test_prealloc_fio_verify() {
    load_prealloc 32
    dev_add 0 "capacity_mb=1024,zone_size_mb=64,conv_zones=0"
    fio --name=prealloc --filename=$D --direct=1 --zonemode=zbd --ioengine=libaio --iodepth=32 \
        --rw=randwrite --bs=64k --io_size=96m --max_open_zones=4 --verify=crc32c --verify_fatal=1 \
        > /tmp/fio.log 2>&1 || fail "fio: $(grep -i -m2 err /tmp/fio.log)"
    # every zone file is exactly as long as its zone's write pointer
    local z start wp n=0
    while read -r z start _ wp _; do
        [[ $wp == -1 ]] && wp=$((start + 131072))
        expect_eq "$(file_size "$(printf '%s/0/seq-%06d' "$BASE" "$z")")" $(((wp - start) * 512)) "size of zone $z file"
        n=$((n + 1))
    done < <(zctl report $D)
    expect_eq "$n" 16 "zones checked"
}

# A file system that cannot preallocate (ramfs) just works without it.
test_prealloc_ignored_where_unsupported() {
    load_prealloc 16
    mkdir -p /tmp/zlramfs
    mount -t ramfs ramfs /tmp/zlramfs || fail "cannot mount ramfs"
    mkdir -p /tmp/zlramfs/0
    ctl_ok "add id=0,$GEOM,base_dir=/tmp/zlramfs,buffered_io"
    wait_for $D
    dmesg_mark
    pw_ok $D $((2 * ZB)) 65536 5
    pr_ok $D $((2 * ZB)) 65536 5
    pw_ok $D $((3 * ZB)) 65536 6
    pr_ok $D $((3 * ZB)) 65536 6
    # said once per device, not once per zone or write
    klog
    expect_eq "$(grep -c 'cannot preallocate' <<< "$KLOG")" 1 "'cannot preallocate' lines"
    dev_remove 0
    umount /tmp/zlramfs
}
