# SPDX-License-Identifier: GPL-2.0
# Remove under load (issue 10, item 3): remove while requests are in flight
# (with evidence that they were), with a mounted file system, with a
# descriptor kept open; concurrent add/remove from several processes; rmmod
# attempts while devices exist or I/O runs. Nothing may hang, leak or report,
# and the module unloads at the end. ZLOOP_LONG=1 (tools/test --long) runs
# the long versions (100 cycles instead of 20).
# shellcheck shell=bash

D=/dev/zloop0
G="capacity_mb=512,zone_size_mb=32,conv_zones=2,nr_queues=2,queue_depth=32"
CYCLES=$([[ ${ZLOOP_LONG:-0} == 1 ]] && echo 100 || echo 20)

# inflight DEV: requests in flight (reads + writes) on DEV
inflight() { awk '{print $1 + $2}' "/sys/block/$1/inflight" 2> /dev/null || echo 0; }

# fio_mixed OUT: a mixed zoned workload (writes, reads, zone resets when zones
# fill, flushes) on $D, in the background; its pid in FIO_PID
fio_mixed() {
    fio --name=mix --filename=$D --direct=1 --zonemode=zbd --ioengine=io_uring --iodepth=32 \
        --rw=randrw --rwmixread=30 --bs=16k --max_open_zones=4 --fsync=8 \
        --zone_reset_threshold=0.5 --zone_reset_frequency=0.1 \
        --time_based --runtime=60 --output="$1" > /dev/null 2>&1 &
    FIO_PID=$!
}

test_remove_with_requests_in_flight() {
    need_cmd fio
    load_rs
    local i n seen=0 failed=0 t rc
    for ((i = 1; i <= CYCLES; i++)); do
        dev_add 0 "$G"
        fio_mixed /tmp/fio-$i.out
        # wait (up to 30 s: fio starts slowly under TCG) for requests in
        # flight, then remove at once
        n=0
        for ((t = 0; t < 600; t++)); do
            n=$(inflight zloop0)
            [[ $n -gt 0 ]] && break
            kill -0 $FIO_PID 2> /dev/null || break
            sleep 0.05
        done
        [[ $n -gt 0 ]] && seen=$((seen + 1))
        ctl_ok "remove id=0"
        # fio sees errors and stops; it must not hang
        timeout 60 tail --pid=$FIO_PID -f /dev/null || fail "cycle $i: fio still runs 60 s after the remove"
        rc=0
        wait $FIO_PID 2> /dev/null || rc=$?
        # a remove under I/O shows in fio as I/O errors and a failed run
        [[ $rc != 0 ]] && grep -qE 'err= *[1-9]' /tmp/fio-$i.out && failed=$((failed + 1))
        [[ -e /sys/block/zloop0 ]] && fail "cycle $i: zloop0 still present"
    done
    note "$seen of $CYCLES removes found requests in flight; fio failed with I/O errors in $failed"
    # evidence: most removes ran with requests in flight, and fio saw it
    [[ $((seen * 10)) -ge $((CYCLES * 8)) ]] || fail "only $seen of $CYCLES removes found requests in flight"
    [[ $((failed * 10)) -ge $((CYCLES * 8)) ]] || fail "fio failed with I/O errors in only $failed of $CYCLES cycles"
    rmmod zloop_rs || fail "rmmod after $CYCLES removes under I/O"
}

# A mounted file system on the removed device: the remove succeeds, the file
# system sees I/O errors, unmounts, and the device comes back with its data.
test_remove_with_a_mounted_file_system() {
    need_cmd mkfs.btrfs
    load_rs
    dev_add 0 "capacity_mb=2048,zone_size_mb=64,conv_zones=4"
    mkfs.btrfs -q -f $D > /dev/null 2>&1 || fail "mkfs.btrfs"
    local mnt=/tmp/zl-mnt
    mkdir -p $mnt && mount -t btrfs $D $mnt || fail "mount btrfs"
    dd if=/dev/urandom of=$mnt/a bs=1M count=8 status=none && sync || fail "write a file"
    local sum
    sum=$(md5sum < $mnt/a)
    dd if=/dev/zero of=$mnt/b bs=1M count=64 conv=fsync status=none &
    local pid=$!
    sleep 0.5
    ctl_ok "remove id=0"
    timeout 60 tail --pid=$pid -f /dev/null || fail "a writer still runs 60 s after the remove"
    wait $pid 2> /dev/null
    timeout 60 umount $mnt || fail "umount after the remove"
    dev_add 0 "capacity_mb=2048,zone_size_mb=64,conv_zones=4"
    mount -t btrfs $D $mnt || fail "mount after re-add"
    expect_eq "$(md5sum < $mnt/a)" "$sum" "file written and synced before the remove"
    umount $mnt || fail "umount"
}

# A descriptor kept open across the remove: the disk has no sectors left, so
# a write on it fails and a read finds nothing; no hang. The device comes
# back with its data once the descriptor is closed.
test_io_on_a_descriptor_kept_open_across_remove() {
    load_rs
    dev_add 0 "$G"
    pw_ok $D 0 4096 5
    exec 3<> $D
    ctl_ok "remove id=0"
    timeout 30 dd if=/dev/zero bs=4k count=1 seek=0 oflag=direct status=none >&3 2> /dev/null \
        && fail "a write on the kept descriptor succeeded after the remove"
    local n
    n=$(timeout 30 dd bs=4k count=1 iflag=direct status=none <&3 2> /dev/null | wc -c)
    expect_eq "$n" 0 "bytes read on the kept descriptor after the remove"
    exec 3>&-
    dev_add 0 "$G"
    pr_ok $D 0 4096 5
    dev_remove 0
}

# Adds and removes of the same and of different ids from several processes,
# and rmmod attempts meanwhile. rmmod may only succeed when no device exists
# (each pins the module): a success with a device left would leave a disk
# whose driver is gone. No command hangs; everything is gone at the end.
test_concurrent_add_remove_and_rmmod() {
    load_rs
    local p i pids=()
    for p in 0 1 2 3; do mkdir -p "$BASE/$p"; done
    for p in 1 2 3 4 5 6; do
        (
            for i in $(seq 10); do
                zctl write $CTL "add id=$((RANDOM % 4)),capacity_mb=128,zone_size_mb=32,conv_zones=1"
                zctl write $CTL "remove id=$((RANDOM % 4))"
            done
        ) > /tmp/ctl-$p.out 2>&1 &
        pids+=($!)
    done
    local unloaded=0
    for i in $(seq 40); do
        if rmmod zloop_rs 2> /dev/null; then unloaded=1; break; fi
        sleep 0.1
    done
    if [[ $unloaded == 1 ]]; then
        [[ -z $(dev_ids) ]] || fail "rmmod succeeded with devices left: $(dev_ids)"
    fi
    for p in "${pids[@]}"; do
        timeout 300 tail --pid="$p" -f /dev/null || fail "a control process still runs after 300 s"
        wait "$p"
    done
    # every command either worked or was refused for a reason of the race
    # (id taken or being removed, no such device, driver unloaded)
    local bad
    bad=$(cat /tmp/ctl-*.out | grep -vxE 'OK|EEXIST|EBUSY|ENODEV|ENOENT' | sort | uniq -c)
    [[ -z $bad ]] || fail "unexpected results: $bad"
    expect_eq "$(cat /tmp/ctl-*.out | wc -l)" 120 "control commands run"
    if [[ $unloaded == 0 ]]; then
        remove_all_devices || fail "remove_all_devices"
        [[ -z $(dev_ids) ]] || fail "devices left: $(dev_ids)"
        rmmod zloop_rs || fail "rmmod at the end"
    fi
    note "rmmod succeeded during the run: $unloaded; $(grep -c OK /tmp/ctl-*.out | awk -F: '{s += $2} END {print s}') commands worked"
}

# rmmod while I/O runs: refused (EBUSY), the I/O goes on.
test_rmmod_refused_while_io_runs() {
    need_cmd fio
    load_rs
    dev_add 0 "$G"
    fio_mixed /tmp/fio-rmmod.out
    local t
    for ((t = 0; t < 600; t++)); do
        [[ $(inflight zloop0) -gt 0 ]] && break
        sleep 0.05
    done
    local out
    out=$(rmmod zloop_rs 2>&1) && fail "rmmod succeeded during I/O"
    grep -q 'in use' <<< "$out" || fail "rmmod failed for another reason: $out"
    kill -0 $FIO_PID 2> /dev/null || fail "fio stopped"
    kill $FIO_PID; wait $FIO_PID 2> /dev/null
    dev_remove 0
    rmmod zloop_rs || fail "rmmod at the end"
}
