# SPDX-License-Identifier: GPL-2.0
# Lifetime under load: remove while I/O is in flight, repeatedly; the module
# must unload afterwards and the kernel log stay clean (checked by run.sh).
# shellcheck shell=bash

D=/dev/zloop0

test_remove_during_fio_20_times() {
    need_cmd fio
    load_rs
    local i t n ios base fio_pid busy=0
    for i in $(seq 20); do
        dev_add 0 "capacity_mb=512,zone_size_mb=32,conv_zones=2,nr_queues=2,queue_depth=32"
        # (udev's probe reads count too: fio's I/O is what comes after)
        base=$(awk '{print $1 + $5}' /sys/block/zloop0/stat)
        fio --name=bg --filename=$D --direct=1 --zonemode=zbd --ioengine=libaio --iodepth=32 \
            --rw=randrw --bs=16k --offset=64M --size=448M --time_based --runtime=60 \
            > /dev/null 2>&1 &
        fio_pid=$!
        # wait until fio does I/O (slow to start on debug kernels), then
        # remove at a random moment shortly after
        for ((t = 0; t < 300; t++)); do
            ios=$(awk '{print $1 + $5}' /sys/block/zloop0/stat 2> /dev/null)
            [[ ${ios:-0} -gt $base ]] && break
            sleep 0.1
        done
        [[ ${ios:-0} -gt $base ]] || fail "round $i: fio did no I/O in 30 s"
        sleep "0.$((RANDOM % 5))"
        n=$(awk '{print $1 + $2}' /sys/block/zloop0/inflight)
        [[ $n -gt 0 ]] && busy=$((busy + 1))
        ctl_ok "remove id=0"
        wait $fio_pid
        [[ -e /sys/block/zloop0 ]] && fail "round $i: zloop0 still present after remove"
        kill -0 $fio_pid 2> /dev/null && fail "round $i: fio still running"
    done
    # evidence that the removes ran under I/O: requests in flight at most of them
    note "$busy of 20 removes found requests in flight"
    [[ $busy -ge 10 ]] || fail "only $busy of 20 removes found requests in flight"
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
# Each process uses its own id, so its first add must succeed and every
# remove after a successful add too; a later add may meet the previous disk
# still being released (EBUSY).
test_concurrent_add_remove() {
    load_rs
    local p i
    for p in 1 2 3 4; do
        mkdir -p "$BASE/$p"
        (
            for i in $(seq 10); do
                echo "add $(zctl write $CTL "add id=$p,capacity_mb=128,zone_size_mb=32,conv_zones=1")"
                echo "remove $(zctl write $CTL "remove id=$p")"
            done
        ) > /tmp/car-$p &
    done
    wait
    for p in 1 2 3 4; do
        expect_eq "$(wc -l < /tmp/car-$p)" 20 "process $p: commands"
        expect_eq "$(head -n 1 /tmp/car-$p)" "add OK" "process $p: first add"
        expect_eq "$(awk '/^remove/ && prev == "add OK" && $2 != "OK" { n++ } { prev = $0 } END { print n + 0 }' /tmp/car-$p)" 0 \
            "process $p: failed removes after a successful add"
    done
    remove_all_devices || fail "remove_all_devices"
    [[ -z $(dev_ids) ]] || fail "devices left: $(dev_ids)"
    rmmod zloop_rs || fail "rmmod"
}
