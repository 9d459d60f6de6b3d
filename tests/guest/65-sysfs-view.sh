# SPDX-License-Identifier: GPL-2.0
# /sys/block/zloopN/zloop/ (issue 12, item 3): one read-only file per option
# in effect, the `options` line that recreates the device, and the request
# counters. Checked against the add command that made the device, against
# the block layer's own request counts (/sys/block/zloopN/stat), and while
# the device is being removed.
# shellcheck shell=bash

ZS=131072 ZB=$((64 << 20)) MB=1048576 K64=65536
D=/dev/zloop0
V=/sys/block/zloop0/zloop
G="capacity_mb=512,zone_size_mb=64,conv_zones=2"

OPTION_FILES="id base_dir capacity_mb zone_size_mb zone_capacity_mb conv_zones nr_queues queue_depth buffered_io zone_append ordered_zone_append discard_write_cache max_open_zones max_active_zones"
COUNTERS="reads writes zone_appends flushes zone_resets zone_finishes zone_opens zone_closes io_errors wp_resyncs"
# every file of the directory (one more option or counter: one more word)
VIEW_FILES="$OPTION_FILES nr_zones options $COUNTERS"
# and the fault-injection files (66-fault-injection): two write-only, one read-write
FAULT_FILES="zone_offline zone_readonly badblocks"

# attr NAME [DIR]: the value of a file (without its newline); the file must
# hold exactly one line
attr() {
    local f=${2:-$V}/$1
    [[ -f $f ]] || fail "$f missing"
    [[ $(wc -l < "$f") == 1 ]] || fail "$f: not exactly one line: '$(cat "$f")'"
    cat "$f"
}
# expect_attrs NAME=VALUE...: each file of $V shows that value
expect_attrs() {
    local kv
    for kv in "$@"; do expect_eq "$(attr "${kv%%=*}")" "${kv#*=}" "${kv%%=*}"; done
}
# all_values [DIR]: "name=value" of every option file, nr_zones and options
all_values() {
    local n
    for n in $OPTION_FILES nr_zones options; do echo "$n=$(attr $n "$@")"; done
}

# snap: every counter, and the block layer's own counts of completed read,
# write and flush requests of zloop0 (stat fields 1, 5, 16), "name value"
snap() {
    local c
    for c in $COUNTERS; do echo "$c $(attr $c)"; done
    awk 'NF >= 16 { print "stat_reads", $1; print "stat_writes", $5; print "stat_flushes", $16 }' \
        /sys/block/zloop0/stat
}
# delta BEFORE AFTER NAME: how much NAME grew from one snap to the next
delta() {
    local a b
    a=$(awk -v n="$3" '$1 == n { print $2 }' <<< "$1")
    b=$(awk -v n="$3" '$1 == n { print $2 }' <<< "$2")
    [[ -n $a && -n $b ]] || fail "no $3 in a snapshot"
    echo $((b - a))
}
# expect_delta BEFORE AFTER NAME=WANT...: each NAME grew by exactly WANT
expect_delta() {
    local a=$1 b=$2 kv
    shift 2
    for kv in "$@"; do expect_eq "$(delta "$a" "$b" "${kv%%=*}")" "${kv#*=}" "growth of ${kv%%=*}"; done
}

# ---- the options in effect -----------------------------------------------
test_files_of_a_default_device() {
    load_rs
    mkdir -p "$BASE/0"
    ctl_ok "add id=0"
    # made with the disk: there when the add returns, before udev runs
    [[ -d $V ]] || fail "$V missing when the add returned"
    wait_for $D
    udevadm settle 2> /dev/null || true
    expect_eq "$(ls $V | sort | paste -sd ' ')" "$(tr ' ' '\n' <<< "$VIEW_FILES $FAULT_FILES" | sort | paste -sd ' ')" \
        "files of $V"
    expect_attrs id=0 base_dir=/var/local/zloop capacity_mb=16384 zone_size_mb=256 \
        zone_capacity_mb=256 conv_zones=8 nr_zones=64 nr_queues=1 queue_depth=128 buffered_io=0 \
        zone_append=1 ordered_zone_append=0 discard_write_cache=0 max_open_zones=0 max_active_zones=0
    expect_attrs "options=id=0,capacity_mb=16384,zone_size_mb=256,zone_capacity_mb=256,conv_zones=8,base_dir=/var/local/zloop,nr_queues=1,queue_depth=128,zone_append=1,max_open_zones=0"
    local c
    for c in $COUNTERS; do
        [[ $(attr $c) =~ ^[0-9]+$ ]] || fail "counter $c: '$(attr $c)'"
    done
    # what nothing but a write, a zone operation or an error moves
    for c in writes zone_appends zone_resets zone_finishes zone_opens zone_closes io_errors wp_resyncs; do
        expect_eq "$(attr $c)" 0 "$c of a new device"
    done
}

test_files_of_explicit_options() {
    load_rs
    local cpus q
    cpus=$(getconf _NPROCESSORS_ONLN)
    q=$((cpus < 2 ? cpus : 2))
    mkdir -p "$BASE/other/3"
    # 1030 MiB: 16 whole zones of 64 MiB
    ctl_ok "add id=3,capacity_mb=1030,zone_size_mb=64,zone_capacity_mb=48,conv_zones=3,base_dir=$BASE/other,nr_queues=2,queue_depth=64,buffered_io,zone_append=1,ordered_zone_append,discard_write_cache,max_open_zones=5"
    wait_for /dev/zloop3
    V=/sys/block/zloop3/zloop expect_attrs id=3 base_dir="$BASE/other" capacity_mb=1024 \
        zone_size_mb=64 zone_capacity_mb=48 conv_zones=3 nr_zones=16 nr_queues=$q queue_depth=64 \
        buffered_io=1 zone_append=1 ordered_zone_append=1 discard_write_cache=1 max_open_zones=5 max_active_zones=0 \
        "options=id=3,capacity_mb=1024,zone_size_mb=64,zone_capacity_mb=48,conv_zones=3,base_dir=$BASE/other,nr_queues=$q,queue_depth=64,buffered_io,zone_append=1,ordered_zone_append,discard_write_cache,max_open_zones=5"
    dev_remove 3
}

# ordered_zone_append is ignored without native zone append (as upstream),
# and the file says so.
test_ordered_zone_append_without_zone_append_is_off() {
    load_rs
    dev_add 0 "$G,zone_append=0,ordered_zone_append"
    expect_attrs zone_append=0 ordered_zone_append=0 \
        "options=id=0,capacity_mb=512,zone_size_mb=64,zone_capacity_mb=64,conv_zones=2,base_dir=/var/local/zloop,nr_queues=1,queue_depth=128,zone_append=0,max_open_zones=0"
}

# max_open_zones at the number of sequential zones never closes a zone: in
# effect it is no limit, as the block layer's queue limit says too.
test_max_open_zones_in_effect() {
    load_rs
    local m
    for m in 0 1 5 6; do
        rm -rf "${BASE:?}/0"
        dev_add 0 "$G,max_open_zones=$m"       # 8 zones, 6 sequential
        local want=$((m == 6 ? 0 : m))
        expect_attrs max_open_zones=$want
        expect_eq "$(cat /sys/block/zloop0/queue/max_open_zones)" $want "queue max_open_zones for $m"
        [[ $(attr options) == *",max_open_zones=$want" ]] || fail "options for $m: $(attr options)"
        dev_remove 0
    done
}

# max_active_zones (a zloop_rs addition, 64-active-zones) in effect: the
# queue limit the block layer got, 0 without a limit and for one of at least
# the sequential zones; max_open_zones shows the open limit after it was
# lowered to the active one. The options line has the option only with a
# limit, and recreates that limit.
test_max_active_zones_in_effect() {
    load_rs
    local spec open active q
    # 8 zones, 6 sequential: OPEN,ACTIVE given -> shown
    for spec in "0 0 0 0" "4 0 4 0" "0 3 0 3" "2 3 2 3" "5 3 3 3" "6 3 3 3" "5 6 5 0" "6 9 0 0"; do
        read -r open active _ <<< "$spec"
        rm -rf "${BASE:?}/0"
        dev_add 0 "$G,max_open_zones=$open,max_active_zones=$active"
        q=$(cat /sys/block/zloop0/queue/max_open_zones)/$(cat /sys/block/zloop0/queue/max_active_zones)
        expect_eq "$(attr max_open_zones)/$(attr max_active_zones)" "$q" "max_open_zones/max_active_zones against the queue limits for $spec"
        expect_eq "$q" "$(cut -d' ' -f3 <<< "$spec")/$(cut -d' ' -f4 <<< "$spec")" "queue limits for $spec"
        if [[ $(attr max_active_zones) == 0 ]]; then
            [[ $(attr options) == *",max_open_zones=$(attr max_open_zones)" ]] \
                || fail "options for $spec: $(attr options)"
        else
            [[ $(attr options) == *",max_open_zones=$(attr max_open_zones),max_active_zones=$(attr max_active_zones)" ]] \
                || fail "options for $spec: $(attr options)"
        fi
        dev_remove 0
    done
}

# A line with max_active_zones recreates the limit on zloop_rs; it is for
# zloop_rs only: the C zloop refuses it (EINVAL), and takes the line of the
# same device without the limit.
test_options_line_with_max_active_zones_is_zloop_rs_only() {
    load_rs
    dev_add 0 "$G,max_active_zones=2"
    local opts before
    opts=$(attr options)
    before=$(all_values)
    [[ $opts == *",max_active_zones=2" ]] || fail "options: $opts"
    pw_ok $D $((2 * ZB)) $K64 1
    pw_ok $D $((3 * ZB)) $K64 2
    dev_remove 0
    ctl_ok "add $opts"
    wait_for $D
    expect_eq "$(all_values)" "$before" "files after the re-add from the options line"
    expect_eq "$(cat /sys/block/zloop0/queue/max_active_zones)" 2 "queue max_active_zones after the re-add"
    expect_eq "$(pw $D $((4 * ZB)) $K64 3)" EOVERFLOW "a third active zone after the re-add"
    dev_remove 0
    load_c
    ctl_err EINVAL "add $opts"
    ctl_ok "add ${opts%,max_active_zones=2}"
    wait_for $D
    pr_ok $D $((2 * ZB)) $K64 1
    pr_ok $D $((3 * ZB)) $K64 2
    dev_remove 0
}

# What the tag set got: blk-mq caps the depth at 10240, the driver the
# queues at the number of online CPUs (as the C zloop).
test_queue_depth_and_nr_queues_in_effect() {
    load_rs
    dev_add 0 "$G,nr_queues=64,queue_depth=20000"
    expect_attrs nr_queues="$(getconf _NPROCESSORS_ONLN)" queue_depth=10240
    expect_eq "$(ls /sys/block/zloop0/mq | wc -l)" "$(attr nr_queues)" "hardware queues"
}

# ---- the options line ---------------------------------------------------
# remove, then "add $(cat options)": the same device, with its data; the
# C zloop takes the same line and makes the same zones.
test_options_line_recreates_the_device() {
    load_rs
    dev_add 0 "capacity_mb=768,zone_size_mb=32,zone_capacity_mb=24,conv_zones=5,queue_depth=32,buffered_io,discard_write_cache,max_open_zones=3"
    pw_ok $D $((5 * 32 * MB)) $MB 1
    zctl fsync $D | grep -qx OK || fail "flush"
    zop_ok close $D 5                                # as a re-add finds it
    local before opts report
    before=$(all_values)
    opts=$(attr options)
    cat $V/options > /tmp/options
    report=$(zctl report $D)
    dev_remove 0
    [[ ! -e $V ]] || fail "$V still there after the remove"
    # the shell line of the documentation, from the saved file
    echo "add $(cat /tmp/options)" > $CTL || fail "add from the options line"
    wait_for $D
    expect_eq "$(all_values)" "$before" "files after the re-add from the options line"
    expect_eq "$(zctl report $D)" "$report" "zones after the re-add"
    pr_ok $D $((5 * 32 * MB)) $MB 1
    dev_remove 0
    load_c
    ctl_ok "add $opts"
    wait_for $D
    expect_eq "$(zctl report $D)" "$report" "zones of the C zloop from the options line"
    pr_ok $D $((5 * 32 * MB)) $MB 1
    dev_remove 0
}

test_options_line_of_a_default_device_recreates_it() {
    # the default base_dir: its <id> directory must exist, as upstream
    mkdir -p /var/local/zloop/0 || fail "mkdir /var/local/zloop/0"
    trap 'remove_all_devices; rm -rf /var/local/zloop/0' EXIT
    load_rs
    ctl_ok "add"
    wait_for $D
    local before opts
    before=$(all_values)
    opts=$(attr options)
    dev_remove 0
    ctl_ok "add $opts"
    wait_for $D
    expect_eq "$(all_values)" "$before" "files after the re-add"
}

# The README's listing: every device with its options, one line each.
test_listing_one_liner() {
    load_rs
    dev_add 0 "$G"
    dev_add 1 "$G,zone_append=0"
    local out
    out=$(grep -H . /sys/block/zloop*/zloop/options)
    expect_eq "$(wc -l <<< "$out")" 2 "lines of the listing"
    grep -qx "/sys/block/zloop0/zloop/options:id=0,capacity_mb=512,.*,zone_append=1,max_open_zones=0" <<< "$out" \
        || fail "no line for zloop0: $out"
    grep -qx "/sys/block/zloop1/zloop/options:id=1,capacity_mb=512,.*,zone_append=0,max_open_zones=0" <<< "$out" \
        || fail "no line for zloop1: $out"
}

# A base directory so long that the options line does not fit in a page:
# reading `options` fails with EFBIG (never a cut line); the rest works.
test_options_line_longer_than_a_page_is_efbig() {
    load_rs
    local base=$BASE/long comp r
    comp=$(printf '%0200d' 0)
    while ((${#base} + 201 <= 4000)); do base+=/$comp; done
    base+=/$(printf '%0*d' $((4000 - ${#base} - 1)) 0)
    expect_eq "${#base}" 4000 "length of the base directory"
    mkdir -p "$base/0" || fail "mkdir of the long base directory"
    ctl_ok "add id=0,capacity_mb=256,zone_size_mb=64,conv_zones=0,base_dir=$base"
    wait_for $D
    expect_eq "$(attr base_dir)" "$base" "base_dir"
    r=$(cat $V/options 2>&1)
    [[ $r == *"File too large"* ]] || fail "options of the long base directory: '${r:0:200}'"
    expect_attrs nr_zones=4
    dev_remove 0
}

# ---- read-only, and gone with the device ---------------------------------
test_files_are_read_only() {
    load_rs
    dev_add 0 "$G"
    local n r before
    before=$(all_values)
    for n in $VIEW_FILES; do
        r=$(zctl write "$V/$n" "1")
        [[ $r == EACCES || $r == EPERM ]] || fail "write to $n: $r"
    done
    expect_eq "$(all_values)" "$before" "files after the writes"
    expect_attrs writes=0
}

test_files_vanish_with_the_device_and_counters_restart() {
    load_rs
    dev_add 0 "$G"
    pw_ok $D $((2 * ZB)) $K64 1
    expect_attrs writes=1
    exec 3< $V/writes
    dev_remove 0
    [[ ! -e $V && ! -e /sys/block/zloop0 ]] || fail "$V still there after the remove"
    local r
    r=$(cat <&3 2>&1) && fail "read of a file open across the remove: '$r'"
    [[ $r == *"No such device"* ]] || fail "read of a file open across the remove: '$r'"
    exec 3<&-
    # counted since add: a new device of the same id starts from zero
    dev_add 0 "$G"
    expect_attrs writes=0 zone_resets=0 io_errors=0
}

# Every file read in a loop by two readers while the device is removed,
# 10 times, with writes going on: no oops, no warning (run.sh checks the
# kernel log), no reader stuck; reads fail with ENODEV/ENOENT at the end.
test_reading_files_while_the_device_is_removed() {
    load_rs
    local i p ok=0 pids
    for ((i = 1; i <= 10; i++)); do
        rm -rf "${BASE:?}/0"
        dev_add 0 "$G"
        pids=()
        for p in 1 2; do
            (
                n=0
                while :; do
                    # every readable file (zone_offline and zone_readonly are write-only)
                    (cd /sys/block/zloop0/zloop && cat $VIEW_FILES badblocks) > /dev/null 2>&1 \
                        && n=$((n + 1)) && echo $n > /tmp/reads.$p
                    [[ -e /sys/block/zloop0 ]] || break
                done
            ) &
            pids+=($!)
        done
        ( for ((o = 0; o < 64; o++)); do zctl pwrite $D $((2 * ZB + o * K64)) $K64 1 > /dev/null; done ) &
        pids+=($!)
        sleep 0.3
        ctl_ok "remove id=0"
        for p in "${pids[@]}"; do
            timeout 30 tail --pid="$p" -f /dev/null || fail "cycle $i: process $p still runs 30 s after the remove"
            wait "$p" 2> /dev/null
        done
        [[ -e /sys/block/zloop0 ]] && fail "cycle $i: zloop0 still there"
        ok=$((ok + $(cat /tmp/reads.1 2> /dev/null || echo 0)))
        rm -f /tmp/reads.1 /tmp/reads.2
    done
    note "$ok complete reads of every file by one reader over 10 cycles"
    [[ $ok -gt 0 ]] || fail "the readers never read every file"
}

# ---- counters --------------------------------------------------------------
# A known sequence of requests; each window is checked against the block
# layer's own counts, so that a read by udev or blkid cannot pass as ours.
test_counters_after_known_requests() {
    load_rs
    dev_add 0 "$G"
    local s0 s1 s2 s3 s4 o
    s0=$(snap)
    for ((o = 0; o < 5; o++)); do pw_ok $D $((2 * ZB + o * K64)) $K64 1; done
    pw_ok $D 0 $K64 2                                # conventional zone 0
    pw_ok $D $((ZB + K64)) $K64 3                    # conventional zone 1
    s1=$(snap)
    expect_delta "$s0" "$s1" writes=7 stat_writes=7 zone_appends=0 io_errors=0
    expect_eq "$(delta "$s0" "$s1" reads)" "$(delta "$s0" "$s1" stat_reads)" "reads against the block layer's (writes)"
    expect_eq "$(delta "$s0" "$s1" flushes)" "$(delta "$s0" "$s1" stat_flushes)" "flushes against the block layer's (writes)"
    pr_ok $D $((2 * ZB)) $K64 1
    pr_ok $D $((2 * ZB + 4 * K64)) $K64 1
    pr_ok $D 0 $K64 2
    s2=$(snap)
    expect_delta "$s1" "$s2" writes=0 stat_writes=0 io_errors=0
    expect_eq "$(delta "$s1" "$s2" reads)" "$(delta "$s1" "$s2" stat_reads)" "reads against the block layer's"
    [[ $(delta "$s1" "$s2" reads) -ge 3 ]] || fail "reads grew by $(delta "$s1" "$s2" reads), want at least 3"
    zop_ok open $D 3
    zop_ok close $D 3
    zop_ok finish $D 4
    zop_ok reset $D 2
    zop_ok reset $D all                              # one reset-all command
    s3=$(snap)
    expect_delta "$s2" "$s3" zone_opens=1 zone_closes=1 zone_finishes=1 zone_resets=2 writes=0 \
        zone_appends=0 io_errors=0 wp_resyncs=0
    expect_zone $D 2 $EMPTY 0
    expect_zone $D 4 $EMPTY 0
    zctl fsync $D | grep -qx OK || fail "flush"
    s4=$(snap)
    [[ $(delta "$s3" "$s4" flushes) -ge 1 ]] || fail "flushes did not grow with an fsync"
    expect_eq "$(delta "$s3" "$s4" flushes)" "$(delta "$s3" "$s4" stat_flushes)" "flushes against the block layer's"
    expect_delta "$s0" "$s4" io_errors=0 wp_resyncs=0 zone_appends=0
}

# Zone appends (issued in the kernel by tests/kmod/zloop_rs_append_test.ko,
# which reads each one back): native ones count as zone_appends; emulated
# ones (zone_append=0) reach the driver as writes.
APPEND_KO=$TOP/tests/kmod/zloop_rs_append_test.ko
# appends ZONE COUNT: COUNT appends of 64 KiB, one at a time; all must succeed
appends() {
    dmesg_mark
    insmod "$APPEND_KO" dev=$D zone="$1" len=$K64 count="$2" batch=1 seed=1 \
        || fail "insmod zloop_rs_append_test"
    rmmod zloop_rs_append_test || fail "rmmod zloop_rs_append_test"
    klog
    grep -q "zloop_append_test: done count=$2 ok=$2" <<< "$KLOG" \
        || fail "appends did not all succeed: $(grep -m1 'zloop_append_test: done' <<< "$KLOG")"
}

test_counters_of_zone_appends() {
    load_rs
    dev_add 0 "$G"
    local s0 s1
    s0=$(snap)
    appends 3 4
    s1=$(snap)
    expect_delta "$s0" "$s1" zone_appends=4 writes=0 stat_writes=4 io_errors=0
    expect_eq "$(delta "$s0" "$s1" reads)" "$(delta "$s0" "$s1" stat_reads)" "reads against the block layer's"
    [[ $(delta "$s0" "$s1" reads) -ge 4 ]] || fail "the appends were not read back"
    dev_remove 0
    rm -rf "${BASE:?}/0"
    dev_add 0 "$G,zone_append=0"
    s0=$(snap)
    appends 3 4
    s1=$(snap)
    expect_delta "$s0" "$s1" zone_appends=0 writes=4 stat_writes=4 io_errors=0
}

# A zone reset that cannot truncate its file (immutable): the request ends
# with an error (io_errors), and the next access to the zone re-reads its
# write pointer from the file size (wp_resyncs), once.
test_io_errors_and_wp_resyncs_after_a_failed_reset() {
    immutable_zone "$G" 2
    local s0 s1 s2 s3
    s0=$(snap)
    zop_err EIO reset $D 2
    s1=$(snap)
    expect_delta "$s0" "$s1" zone_resets=1 io_errors=1 wp_resyncs=0
    expect_zone $D 2 $IMP_OPEN 2048                  # the report re-reads the zone
    expect_zone $D 2 $IMP_OPEN 2048                  # ... once
    s2=$(snap)
    expect_delta "$s1" "$s2" wp_resyncs=1 io_errors=0
    chattr -i "$IMM_FILE"
    zop_ok reset $D 2
    s3=$(snap)
    expect_delta "$s2" "$s3" zone_resets=1 io_errors=0 wp_resyncs=0
    expect_zone $D 2 $EMPTY 0
}

# A write that fails (test hook: as if its file write failed) counts as a
# write and an I/O error; the zone's next access re-reads it from its file.
test_io_errors_and_wp_resyncs_after_a_failed_write() {
    load_hooks
    dev_add 0 "$G"
    pw_ok $D $((2 * ZB)) $K64 1
    local s0 s1 s2 s3 r
    s0=$(snap)
    ctl_ok "test fail_writes=1"
    r=$(pw $D $((2 * ZB + K64)) $K64 2)
    ctl_ok "test fail_writes=0"
    expect_eq "$r" EIO "the write the hook fails"
    s1=$(snap)
    expect_delta "$s0" "$s1" writes=1 io_errors=1 wp_resyncs=0
    expect_zone $D 2 $IMP_OPEN 128                   # re-read: what the file holds
    s2=$(snap)
    expect_delta "$s1" "$s2" wp_resyncs=1 io_errors=0
    pw_ok $D $((2 * ZB + K64)) $K64 2
    pr_ok $D $((2 * ZB)) $K64 1
    pr_ok $D $((2 * ZB + K64)) $K64 2
    s3=$(snap)
    expect_delta "$s2" "$s3" writes=1 io_errors=0 wp_resyncs=0
}

# The backing file system fills up (tmpfs): the write that finds it full
# fails in its file I/O (ENOSPC), which counts once in io_errors; the
# zone's next access re-reads its write pointer from the file.
test_io_errors_and_wp_resyncs_when_the_backing_fs_fills_up() {
    local mnt=/tmp/zl-full s0 s1 s2 n=0 r="no error" off size z wp
    mkdir -p $mnt && mount -t tmpfs -o size=4m zl-full $mnt && mkdir -p $mnt/0 || fail "mount tmpfs"
    load_rs
    ctl_ok "add id=0,capacity_mb=16,zone_size_mb=1,conv_zones=0,base_dir=$mnt"
    wait_for $D
    udevadm settle 2> /dev/null || true
    s0=$(snap)
    # 64 KiB writes from zone 0 on (16 MiB of zones, 4 MiB of room)
    for ((off = 0; off < 16 * MB; off += K64)); do
        r=$(pw $D $off $K64 1)
        n=$((n + 1))
        [[ $r == OK ]] || break
    done
    [[ $r == ENOSPC || $r == EIO ]] || fail "the write that found the file system full: $r"
    s1=$(snap)
    expect_delta "$s0" "$s1" writes=$n stat_writes=$n io_errors=1 wp_resyncs=0
    z=$((off / MB))
    size=$(file_size "$(printf '%s/0/seq-%06d' $mnt $z)")
    wp=$(zstate $D $z | awk '{print $2}')           # the report re-reads the zone
    expect_eq "$((wp * 512))" "$size" "write pointer of zone $z against its file"
    s2=$(snap)
    expect_delta "$s1" "$s2" wp_resyncs=1 io_errors=0
    dev_remove 0
    umount $mnt || fail "umount"
}
