# SPDX-License-Identifier: GPL-2.0
# Lifetime under load: remove while I/O is in flight, repeatedly; the module
# must unload afterwards and the kernel log stay clean (checked by run.sh).
# shellcheck shell=bash

D=/dev/zloop0

test_remove_during_fio_20_times() {
    load_rs
    local i fio_pid
    for i in $(seq 20); do
        dev_add 0 "capacity_mb=512,zone_size_mb=32,conv_zones=2,nr_queues=2,queue_depth=32"
        fio --name=bg --filename=$D --direct=1 --zonemode=zbd --ioengine=libaio --iodepth=32 \
            --rw=randrw --bs=16k --offset=64M --size=448M --time_based --runtime=60 \
            > /dev/null 2>&1 &
        fio_pid=$!
        sleep "0.$((RANDOM % 9 + 1))"
        ctl_ok "remove id=0"
        wait $fio_pid
        [[ -e /sys/block/zloop0 ]] && fail "round $i: zloop0 still present after remove"
        kill -0 $fio_pid 2> /dev/null && fail "round $i: fio still running"
    done
    rmmod zloop_rs || fail "rmmod after 20 removes under I/O"
}

# Removing a device that an open file still holds: the disk goes away at
# once, the device is freed when the last opener closes, then rmmod works.
test_remove_while_device_is_open() {
    load_rs
    dev_add 0 "capacity_mb=256,zone_size_mb=64,conv_zones=1"
    exec 4< $D
    ctl_ok "remove id=0"
    wait_gone $D
    if rmmod zloop_rs 2>/dev/null; then fail "rmmod succeeded while the removed disk is still open"; fi
    exec 4<&-
    local i
    for i in $(seq 50); do rmmod zloop_rs 2>/dev/null && break; sleep 0.1; done
    mod_loaded zloop_rs && fail "module still loaded after the last close"
    return 0
}

# Concurrent control commands: adds and removes from several processes.
test_concurrent_add_remove() {
    load_rs
    local p i
    for p in 1 2 3 4; do
        (
            for i in $(seq 10); do
                mkdir -p "$BASE/$p"
                zctl write $CTL "add id=$p,capacity_mb=128,zone_size_mb=32,conv_zones=1" > /dev/null
                zctl write $CTL "remove id=$p" > /dev/null
            done
        ) &
    done
    wait
    remove_all_devices
    ls /sys/block | grep -q zloop && fail "devices left: $(ls /sys/block | grep zloop)"
    rmmod zloop_rs || fail "rmmod"
}
