# SPDX-License-Identifier: GPL-2.0
# Huge and failing adds stay under control (issue 10, item 6): an add that
# creates millions of zone files stops promptly when its caller is killed,
# does not hold up commands for other ids, and an add that runs out of space
# or memory midway fails with a clear errno; in every case the zone files it
# created are removed again.
# shellcheck shell=bash

G="capacity_mb=512,zone_size_mb=64,conv_zones=2"

# nfiles DIR: entries in DIR
nfiles() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }

# wait_exit PID SECONDS: whether PID ended within SECONDS
wait_exit() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$1" 2> /dev/null || return 0
        sleep 0.1
    done
    return 1
}

test_huge_add_stops_on_sigkill_and_leaves_nothing() {
    load_rs
    mkdir -p "$BASE/0" "$BASE/1"
    dmesg_mark
    # 8,388,607 zones of 256 MiB: minutes of file creation
    zctl write $CTL "add id=0,capacity_mb=2147483647" > /tmp/huge.out &
    local pid=$! i
    for ((i = 0; i < 300; i++)); do
        [[ $(nfiles "$BASE/0") -gt 100 ]] && break
        sleep 0.1
    done
    [[ $(nfiles "$BASE/0") -gt 100 ]] || fail "the huge add created no files in 30 s"
    # commands for other ids are not held up meanwhile
    local t0=$SECONDS
    ctl_ok "add id=1,$G"
    wait_for /dev/zloop1
    dev_remove 1
    [[ $((SECONDS - t0)) -lt 20 ]] || fail "add/remove of id 1 took $((SECONDS - t0)) s during the huge add"
    # it stops at once; removing what it created takes as long as creating it
    kill -KILL $pid
    wait_exit $pid 60 || fail "the huge add still runs 60 s after SIGKILL ($(nfiles "$BASE/0") files)"
    wait $pid 2> /dev/null
    expect_eq "$(nfiles "$BASE/0")" 0 "zone files left by the killed add"
    [[ -e /sys/block/zloop0 ]] && fail "zloop0 exists after the killed add"
    klog_has 'zloop0: add interrupted by a fatal signal' || fail "no 'interrupted' line"
    dev_add 0 "$G"
    dev_remove 0
}

# Zone files on a tmpfs with room for 40 inodes: the add of 64 zones fails
# with ENOSPC at the 40th file or so, and removes the ones it created.
test_add_out_of_inodes_fails_with_enospc_and_leaves_nothing() {
    local mnt=/tmp/zl-small
    mkdir -p $mnt && mount -t tmpfs -o size=256m,nr_inodes=40 zl-small $mnt || fail "mount tmpfs"
    mkdir -p $mnt/0 || fail "mkdir"
    load_rs
    dmesg_mark
    ctl_err ENOSPC "add id=0,capacity_mb=256,zone_size_mb=4,conv_zones=0,base_dir=$mnt"
    expect_eq "$(nfiles $mnt/0)" 0 "zone files left by the failed add"
    klog_has 'zloop0: add failed; removed ([0-9]+) of the \1 zone files it created \(of 64\)' \
        || fail "no 'add failed' line"
    [[ -e /sys/block/zloop0 ]] && fail "zloop0 exists after the failed add"
    # with room again, the same add works
    umount $mnt && mount -t tmpfs -o size=256m zl-small $mnt && mkdir -p $mnt/0 || fail "remount tmpfs"
    ctl_ok "add id=0,capacity_mb=256,zone_size_mb=4,conv_zones=0,base_dir=$mnt"
    wait_for /dev/zloop0
    dev_remove 0
    umount $mnt || fail "umount"
}

# Allocation failures (failslab, debug kernels) at several points of an add:
# ENOMEM, nothing created left behind, no device, and the module still
# unloads (no leaked reference). Zone files on tmpfs: an allocation failing
# inside an XFS transaction would shut the scratch file system down.
test_add_with_failing_allocations_fails_with_enomem_and_leaves_nothing() {
    local fs=/sys/kernel/debug/failslab mnt=/tmp/zl-fs
    [[ -d $fs ]] || skip "no failslab in this kernel (CONFIG_FAILSLAB, debug flavours)"
    mkdir -p $mnt && mount -t tmpfs -o size=1g zl-fs $mnt && mkdir -p $mnt/0 || fail "mount tmpfs"
    load_rs
    # GFP_KERNEL allocations sleep: with ignore-gfp-wait (default Y)
    # failslab would never fail one of them
    trap 'echo 0 > '"$fs"'/probability; echo Y > '"$fs"'/ignore-gfp-wait; umount '"$mnt"' 2> /dev/null' EXIT
    echo N > $fs/ignore-gfp-wait
    echo Y > $fs/task-filter
    echo 0 > $fs/verbose
    echo 100 > $fs/probability
    local n r failed=0
    for n in 5 50 200 800 2000; do
        echo "$n" > $fs/interval
        echo 1 > $fs/times
        r=$(bash -c 'echo 1 > /proc/self/make-it-fail; exec zctl write "$1" "$2"' _ $CTL \
            "add id=0,capacity_mb=4096,zone_size_mb=4,conv_zones=8,base_dir=$mnt")
        if [[ $r == OK ]]; then
            # the failure hit nothing (or a retried allocation): a device
            dev_remove 0
            rm -f $mnt/0/*
            continue
        fi
        failed=$((failed + 1))
        expect_eq "$r" ENOMEM "add with allocation $n failing"
        expect_eq "$(nfiles $mnt/0)" 0 "zone files left by the add with allocation $n failing"
        [[ -e /sys/block/zloop0 ]] && fail "zloop0 exists after a failed add"
    done
    echo 0 > $fs/probability
    [[ $failed -gt 0 ]] || fail "no add failed: failslab did not reach the add"
    rmmod zloop_rs || fail "rmmod after the failed adds"
}

# A geometry too large to hold in memory (4,294,967,295 zones) fails at once
# with ENOMEM and one line saying so: no allocator warning (the harness
# fails a test whose kernel log has one), no file created.
test_add_of_an_impossibly_large_device_is_enomem_without_warning() {
    load_rs
    mkdir -p "$BASE/0"
    dmesg_mark
    ctl_err ENOMEM "add id=0,capacity_mb=4294967295,zone_size_mb=1"
    klog_has 'zloop0: not enough memory for the tables of 4294967295 zones' || fail "no line saying why"
    expect_eq "$(nfiles "$BASE/0")" 0 "zone files left"
    [[ -e /sys/block/zloop0 ]] && fail "zloop0 exists"
    dev_add 0 "$G"
}

# A failure after every zone file exists (adding the disk, here by a test
# hook): the add fails with that errno and removes the files it created,
# and the same add then works.
test_add_failing_at_add_disk_leaves_nothing() {
    load_hooks
    mkdir -p "$BASE/0"
    dmesg_mark
    ctl_ok "test fail_add_disk=1"
    ctl_err EIO "add id=0,$G"
    ctl_ok "test fail_add_disk=0"
    expect_eq "$(nfiles "$BASE/0")" 0 "zone files left by the add that failed at add_disk"
    klog_has 'zloop0: add failed; removed 8 of the 8 zone files it created \(of 8\)' \
        || fail "no 'add failed' line"
    [[ -e /sys/block/zloop0 ]] && fail "zloop0 exists after the failed add"
    dev_add 0 "$G"
    expect_eq "$(nfiles "$BASE/0")" 8 "zone files of the add that worked"
    dev_remove 0
}

# A file system that refuses direct I/O (ramfs): the first zone file can be
# created but not opened with O_DIRECT. The add fails with EINVAL and leaves
# no file; with buffered_io the same add works.
test_add_on_a_file_system_without_direct_io_leaves_nothing() {
    local mnt=/tmp/zl-ramfs
    mkdir -p $mnt && mount -t ramfs zl-ramfs $mnt && mkdir -p $mnt/0 || fail "mount ramfs"
    trap 'umount '"$mnt"' 2> /dev/null' EXIT
    load_rs
    ctl_err EINVAL "add id=0,$G,base_dir=$mnt"
    expect_eq "$(nfiles $mnt/0)" 0 "zone files left by the add refused for O_DIRECT"
    [[ -e /sys/block/zloop0 ]] && fail "zloop0 exists after the failed add"
    ctl_ok "add id=0,$G,base_dir=$mnt,buffered_io"
    wait_for /dev/zloop0
    expect_eq "$(nfiles $mnt/0)" 8 "zone files with buffered_io"
    dev_remove 0
    umount $mnt || fail "umount"
}
