# SPDX-License-Identifier: GPL-2.0
# The add/remove text protocol (checklist C3-C29). Every errno check runs on
# zloop_rs and on the C zloop of the same kernel: both must give the upstream
# errno.
# shellcheck shell=bash

# errno_both WANT COMMAND [SETUP-FUNCTION]: the command fails with WANT on both drivers.
errno_both() {
    local want=$1 cmd=$2 setup=${3:-} got drv
    for drv in rs c; do
        load "$drv"
        rm -rf "${BASE:?}"/*
        mkdir -p "$BASE/0"
        if [[ -n $setup ]]; then "$setup" || fail "$drv: setup $setup failed"; fi
        got=$(ctl "$cmd")
        [[ $got == "$want" ]] || fail "$drv: '$cmd' gave $got, want $want"
    done
}

test_c3_write_longer_than_a_page_is_enomem() {
    local drv got
    for drv in rs c; do
        load "$drv"
        got=$(zctl writelen "$CTL" 4097)
        expect_eq "$got" ENOMEM "$drv: 4097-byte write"
    done
}

test_c4_bad_user_pointer_is_efault() {
    local drv got
    for drv in rs c; do
        load "$drv"
        got=$(zctl badptr "$CTL")
        expect_eq "$got" EFAULT "$drv: write from an unmapped address"
    done
}

test_c5_unknown_operation_is_einval() {
    errno_both EINVAL "list"
    errno_both EINVAL " add"
    errno_both EINVAL "\nadd"
    errno_both EINVAL "delete id=0"
}

test_c5_empty_write_matches_c() {
    local drv c rs
    load_c
    c=$(ctl "")
    load_rs
    rs=$(ctl "")
    # two empty outputs would compare equal
    [[ -n $c ]] || fail "zctl printed no result for the C zloop"
    expect_eq "$rs" "$c" "empty write (C gives $c)"
}

test_c6_add_defaults() {
    load_rs
    mkdir -p "$BASE/0"
    # echo -n add: no options at all
    ctl_ok "add"
    wait_for /dev/zloop0
    local q=/sys/block/zloop0/queue
    expect_eq "$(cat /sys/block/zloop0/size)" $((16 << 21)) "capacity (16 GiB in sectors)"
    expect_eq "$(cat $q/chunk_sectors)" $((256 << 11)) "zone size (256 MiB)"
    expect_eq "$(cat $q/nr_zones)" 64 "number of zones"
    expect_eq "$(zctl report /dev/zloop0 | awk '$6 == 1' | wc -l)" 8 "conventional zones"
    expect_eq "$(cat /sys/block/zloop0/mq/0/nr_tags)" 128 "queue depth (tags)"
    expect_eq "$(ls /sys/block/zloop0/mq | wc -l)" 1 "hardware queues"
    expect_eq "$(ls "$BASE/0" | grep -cE '^(cnv|seq)-[0-9]{6}$')" 64 "zone files in $BASE/0"
    expect_eq "$(ls "$BASE/0" | wc -l)" 65 "files in $BASE/0 (the zone files and zloop_rs.device)"
    dev_remove 0
    # "add\n" and "add " are the same command
    ctl_ok $'add\n'
    wait_for /dev/zloop0
    dev_remove 0
}

# The exact id chosen, on both drivers: the disk exists in sysfs once the
# add command returns.
test_c6_automatic_id_is_lowest_free() {
    local drv g="capacity_mb=256,zone_size_mb=64,conv_zones=0"
    for drv in rs c; do
        load "$drv"
        rm -rf "${BASE:?}"/*
        mkdir -p "$BASE/0" "$BASE/1" "$BASE/2"
        ctl_ok "add $g"
        expect_eq "$(dev_ids)" "0" "$drv: ids after an add without id (none taken)"
        ctl_ok "add id=2,$g"
        expect_eq "$(dev_ids)" "0 2" "$drv: ids after add id=2"
        ctl_ok "add id=-1,$g"
        expect_eq "$(dev_ids)" "0 1 2" "$drv: ids after add id=-1 (0 and 2 taken)"
        wait_for /dev/zloop1
        unload_all
    done
}

test_c7_malformed_options_are_einval() {
    errno_both EINVAL "addfoo"
    errno_both EINVAL "add foo"
    errno_both EINVAL "add buffered_io=1"
    errno_both EINVAL "add id="
    errno_both EINVAL "add base_dir="
    errno_both EINVAL "add id=0, capacity_mb=512"
    errno_both EINVAL "add zone_append"
}

test_c8_bad_numbers_are_einval() {
    errno_both EINVAL "add capacity_mb=0x400"
    errno_both EINVAL "add capacity_mb=08"
    errno_both EINVAL "add capacity_mb=-1"
    errno_both EINVAL "add capacity_mb=4294967296"
    errno_both EINVAL "add capacity_mb=100000000000000000000000"
    errno_both EINVAL "add id=2147483648"
    errno_both EINVAL "add queue_depth=12x"
}

test_c8_number_syntax_accepted_like_c() {
    local drv
    for drv in rs c; do
        load "$drv"
        # %u is decimal even with a leading zero; %d takes 0x and octal
        mkdir -p "$BASE/16" "$BASE/8"
        ctl_ok "add id=0x10,capacity_mb=0512,zone_size_mb=064,conv_zones=0"
        wait_for /dev/zloop16
        expect_eq "$(cat /sys/block/zloop16/size)" $((512 << 11)) "$drv: capacity 0512 is decimal"
        ctl_ok "add id=010,capacity_mb=256,zone_size_mb=64,conv_zones=0"
        wait_for /dev/zloop8
        unload_all
    done
}

test_c9_bad_capacity_or_zone_size_is_einval() {
    errno_both EINVAL "add capacity_mb=0"
    errno_both EINVAL "add zone_size_mb=0"
    errno_both EINVAL "add zone_size_mb=96"
    errno_both EINVAL "add zone_size_mb=32768,capacity_mb=65536"
}

test_c10_bad_zone_capacity_is_einval() {
    errno_both EINVAL "add zone_capacity_mb=0"
    errno_both EINVAL "add zone_size_mb=64,zone_capacity_mb=65,capacity_mb=256"
}

test_c11_capacity_not_above_zone_size_is_einval() {
    errno_both EINVAL "add capacity_mb=64,zone_size_mb=64"
    errno_both EINVAL "add capacity_mb=32,zone_size_mb=64"
}

test_c12_zero_queues_or_depth_is_einval() {
    errno_both EINVAL "add nr_queues=0"
    errno_both EINVAL "add queue_depth=0"
}

test_c13_nr_queues_capped_to_online_cpus() {
    load_rs
    dev_add 0 "capacity_mb=256,zone_size_mb=64,conv_zones=0,nr_queues=64,queue_depth=4"
    expect_eq "$(ls /sys/block/zloop0/mq | wc -l)" "$(nproc)" "hardware queues"
    expect_eq "$(cat /sys/block/zloop0/mq/0/nr_tags)" 4 "queue depth (tags)"
}

test_c14_zone_append_other_than_0_or_1_is_einval() {
    errno_both EINVAL "add zone_append=2"
}

test_c15_conv_zones_not_below_nr_zones_is_einval() {
    errno_both EINVAL "add capacity_mb=256,zone_size_mb=64,conv_zones=4"
    errno_both EINVAL "add capacity_mb=256,zone_size_mb=64,conv_zones=5"
}

test_c15_capacity_rounded_down_to_whole_zones() {
    load_rs
    dev_add 0 "capacity_mb=300,zone_size_mb=64,conv_zones=0"
    expect_eq "$(cat /sys/block/zloop0/queue/nr_zones)" 4 "zones of a 300 MiB device"
    expect_eq "$(cat /sys/block/zloop0/size)" $((256 << 11)) "capacity"
}

test_c16_max_open_zones_above_seq_zones_is_einval() {
    errno_both EINVAL "add capacity_mb=256,zone_size_mb=64,conv_zones=1,max_open_zones=4"
}

dir_zero() { mkdir -p "$BASE/0"; }
add_zero() { ctl_ok "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1"; }

test_c17_taken_id_is_eexist() {
    errno_both EEXIST "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1" add_zero
}

test_c18_missing_directory_is_einval() {
    errno_both EINVAL "add id=5,capacity_mb=256,zone_size_mb=64,conv_zones=1"
    errno_both EINVAL "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1,base_dir=/nonexistent"
}

not_a_dir() { rm -rf "$BASE/0"; touch "$BASE/0"; }
test_c18_directory_that_is_a_file_is_enotdir() {
    errno_both ENOTDIR "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1" not_a_dir
}

ramfs_base() {
    mkdir -p /tmp/zlramfs
    mountpoint -q /tmp/zlramfs || mount -t ramfs ramfs /tmp/zlramfs || fail "cannot mount ramfs"
    mkdir -p /tmp/zlramfs/0
    rm -f /tmp/zlramfs/0/*
}
test_c19_fs_without_direct_io_fails_unless_buffered() {
    errno_both EINVAL "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1,base_dir=/tmp/zlramfs" ramfs_base
    load_rs
    ramfs_base
    ctl_ok "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=1,base_dir=/tmp/zlramfs,buffered_io"
    wait_for /dev/zloop0
    dev_remove 0
    umount /tmp/zlramfs
}

test_c23_device_limits_and_attributes() {
    local drv q
    for drv in rs c; do
        load "$drv"
        rm -rf "${BASE:?}"/*
        dev_add 0 "capacity_mb=512,zone_size_mb=64,conv_zones=2"
        q=/sys/block/zloop0/queue
        expect_eq "$(cat $q/zoned)" host-managed "$drv: zoned"
        expect_eq "$(cat /sys/block/zloop0/size)" $((512 << 11)) "$drv: capacity"
        expect_eq "$(cat $q/logical_block_size)" 4096 "$drv: logical block size (XFS 4K)"
        expect_eq "$(cat $q/physical_block_size)" 4096 "$drv: physical block size"
        expect_eq "$(cat $q/max_hw_sectors_kb)" 1024 "$drv: max request"
        expect_eq "$(cat $q/zone_append_max_bytes)" 1048576 "$drv: zone append limit"
        expect_eq "$(cat $q/write_cache)" "write back" "$drv: write cache"
        expect_eq "$(cat $q/fua)" 0 "$drv: fua"
        expect_eq "$(cat $q/discard_max_bytes)" 0 "$drv: discard"
        expect_eq "$(cat $q/max_open_zones)" 0 "$drv: max open zones"
        expect_eq "$(cat $q/max_active_zones)" 0 "$drv: max active zones"
        expect_eq "$(cat /sys/block/zloop0/ext_range)" 1 "$drv: ext_range (no partitions)"
        [[ -e /sys/block/zloop0/zloop0p1 ]] && fail "$drv: has a partition"
        grep -q 'zloop0p' /proc/partitions && fail "$drv: partitions in /proc/partitions"
        dev_remove 0
        dmesg_mark
        dev_add 0 "capacity_mb=512,zone_size_mb=64,conv_zones=2,zone_append=0"
        # this very add announced emulation (both drivers log "zloop0: ...
        # emulated zone append"); the sysfs limit cannot tell, see below
        klog_has 'zloop0: .*emulated zone append' || fail "$drv: zloop0 not announced with emulated zone append"
        klog_has 'zloop0: .*native zone append' && fail "$drv: zloop0 announced with native zone append"
        cat $q/zone_append_max_bytes > "/tmp/append-$drv" || fail "$drv: no zone_append_max_bytes"
        dev_remove 0
        unload_all
    done
    # zone_append=0: the block layer emulates appends, with the limit
    # min(zone size, max request) = 1 MiB: the same for both drivers, and the
    # same value as native appends (so it does not prove emulation)
    expect_eq "$(cat /tmp/append-rs)" 1048576 "rs: emulated zone append limit"
    expect_eq "$(cat /tmp/append-c)" 1048576 "c: emulated zone append limit"
}

test_c24_new_device_files() {
    load_rs
    dev_add 3 "capacity_mb=512,zone_size_mb=64,conv_zones=3"
    local f
    # the zone files, and the description of the device (67-self-describing)
    expect_eq "$(ls "$BASE/3" | tr '\n' ' ')" \
        "cnv-000000 cnv-000001 cnv-000002 seq-000003 seq-000004 seq-000005 seq-000006 seq-000007 zloop_rs.device " "zone files"
    for f in "$BASE"/3/cnv-*; do
        expect_eq "$(file_size "$f")" $((64 << 20)) "size of $f"
        expect_eq "$(stat -c %a "$f")" 600 "mode of $f"
    done
    for f in "$BASE"/3/seq-*; do
        expect_eq "$(file_size "$f")" 0 "size of $f"
        expect_eq "$(stat -c %a "$f")" 600 "mode of $f"
    done
}

test_c25_remove_without_id_or_with_options_is_einval() {
    errno_both EINVAL "remove"
    errno_both EINVAL "remove capacity_mb=64"
    errno_both EINVAL "remove id=0,capacity_mb=64" add_zero
    errno_both EINVAL "remove id=0,base_dir=/var/local/zloop" add_zero
}

test_c26_remove_unknown_id_is_enodev() {
    errno_both ENODEV "remove id=7"
    errno_both ENODEV "remove id=-1"
    errno_both ENODEV "remove id=1" add_zero
}

test_c27_remove_drops_disk_keeps_files() {
    load_rs
    dev_add 0 "capacity_mb=256,zone_size_mb=64,conv_zones=1"
    pw_ok /dev/zloop0 $((64 << 20)) 65536 1
    dmesg_mark
    dev_remove 0
    [[ -e /sys/block/zloop0 ]] && fail "/sys/block/zloop0 still exists"
    klog_has 'zloop_rs: removed device 0' || fail "no 'removed device 0' line"
    expect_eq "$(ls "$BASE/0" | grep -cE '^(cnv|seq)-[0-9]{6}$')" 4 "zone files after remove"
    [[ -f $BASE/0/zloop_rs.device ]] || fail "the description went with the remove"
    expect_eq "$(file_size "$BASE/0/seq-000001")" 65536 "written zone file"
    # the module reference of the device is gone
    rmmod zloop_rs || fail "rmmod after remove"
}

test_c28_rmmod_refused_while_a_device_exists() {
    load_rs
    dev_add 0 "capacity_mb=256,zone_size_mb=64,conv_zones=1"
    if rmmod zloop_rs 2>/tmp/err; then fail "rmmod succeeded with a device present"; fi
    grep -q 'in use' /tmp/err || fail "rmmod: $(cat /tmp/err)"
    dev_remove 0
    rmmod zloop_rs || fail "rmmod after remove"
}

test_c29_open_after_remove_started_fails_cleanly() {
    # Opens racing with a remove under I/O get ENXIO (device not live) or
    # ENOENT (node gone), never anything else, and never an oops.
    need_cmd fio
    load_rs
    dev_add 0 "capacity_mb=512,zone_size_mb=64,conv_zones=2"
    fio --name=bg --filename=/dev/zloop0 --direct=1 --zonemode=zbd --rw=randwrite --bs=4k \
        --ioengine=libaio --iodepth=16 --offset=128M --size=384M --time_based --runtime=30 \
        > /dev/null 2>&1 &
    local fio=$! i r
    sleep 2
    ( for i in $(seq 400); do zctl open /dev/zloop0; done > /tmp/opens ) &
    local opener=$!
    sleep 0.2
    ctl_ok "remove id=0"
    wait $opener
    wait $fio
    r=$(sort -u /tmp/opens | tr '\n' ' ')
    note "open results during remove: $r"
    expect_eq "$(wc -l < /tmp/opens)" 400 "open results"
    [[ -z $(grep -v -E '^(OK|ENXIO|ENOENT)$' /tmp/opens) ]] || fail "unexpected open results: $r"
}
