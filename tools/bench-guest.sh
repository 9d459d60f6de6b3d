#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark body, run inside ONE VM boot by tools/bench: the same fio points on
# the C zloop, on zloop_rs, and on plain O_DIRECT files ("raw") in the same XFS
# file system; then add/remove time and kernel memory at 4096 and 65536 zones.
# Writes one fio JSON file per point and a few text facts into $OUT.
#
# Environment: ZLOOP_TOP, ZLOOP_KDIR, BENCH_OUT, BENCH_RUNTIME (s, default 30),
# BENCH_REPS (runs per point and target, default 1),
# BENCH_RAMP (s, default 5), BENCH_QUEUES ("1 2"), BENCH_DRIVERS ("c rs raw"),
# BENCH_POINTS (subset of the point names below), BENCH_SCALE (1/0),
# BENCH_RS_OPTS (extra add options for zloop_rs), BENCH_RS_PARAMS (module
# parameters for zloop_rs), BENCH_ALT_PARAMS (module parameters for "alt").
# Targets: c (the C zloop), rs ($BENCH_OUT/zloop_rs.ko, a snapshot of the
# build), alt ($BENCH_OUT/zloop_rs_alt.ko: another zloop_rs build, for A/B
# comparisons of a change), raw (plain files).
set -u
TOP=${ZLOOP_TOP:?}
KDIR=${ZLOOP_KDIR:?}
OUT=${BENCH_OUT:?}
RUNTIME=${BENCH_RUNTIME:-30}
RAMP=${BENCH_RAMP:-5}
QUEUES=${BENCH_QUEUES:-1 2}
DRIVERS=${BENCH_DRIVERS:-c rs raw}
SCALE=${BENCH_SCALE:-1}
RS_OPTS=${BENCH_RS_OPTS:-}
RS_PARAMS=${BENCH_RS_PARAMS:-}
ALT_PARAMS=${BENCH_ALT_PARAMS:-}
ALL_POINTS="w-4k-rand-qd1 w-4k-rand-qd32x8 w-128k-rand-qd32 w-128k-seq-qd32 w-4k-seq-fdatasync r-4k-rand-qd1 r-4k-rand-qd32 r-128k-seq-qd32"
POINTS=${BENCH_POINTS:-$ALL_POINTS}
BASE=/var/local/zloop
RDATA=/var/local/rdata   # data of the read points, for the zloop drivers
REPS=${BENCH_REPS:-1}
CTL=/dev/zloop-control
D=/dev/zloop0
export PATH=$TOP/tests/out/bin:$PATH
mkdir -p "$OUT"

log() { echo "[bench $(date +%T)] $*" >&2; }

unload() {
    local id
    for id in $(ls /sys/block | sed -n 's/^zloop//p'); do echo "remove id=$id" > $CTL; done
    rmmod zloop_rs 2>/dev/null
    rmmod zloop 2>/dev/null
    true
}
load() { # c|rs|alt
    unload
    case $1 in
    c) insmod "$KDIR/drivers/block/zloop.ko" ;;
    # shellcheck disable=SC2086
    rs) insmod "$OUT/zloop_rs.ko" $RS_PARAMS ;;
    # shellcheck disable=SC2086
    alt) insmod "$OUT/zloop_rs_alt.ko" $ALT_PARAMS ;;
    esac
    for _ in $(seq 50); do [[ -e $CTL ]] && break; sleep 0.1; done
}
fresh_fs() {
    rm -rf "${BASE:?}"/* /var/local/raw/w.*
    sync
    fstrim /var/local 2>/dev/null
    echo 3 > /proc/sys/vm/drop_caches
}

# 64 zones of 256 MiB (16 GiB), all sequential.
DEV_OPTS="capacity_mb=16384,zone_size_mb=256,conv_zones=0,queue_depth=128"
PREWRITE_MB=4096   # reads run on the first 16 zones, written beforehand

# fio arguments of a point: "<rw> <bs> <iodepth> <numjobs> [fio options]"
point_args() {
    case $1 in
    # a flush after every write (fdatasync of the device, or of the file)
    w-4k-seq-fdatasync) echo "write 4k 1 1 --fdatasync=1" ;;
    w-4k-rand-qd1) echo "randwrite 4k 1 1" ;;
    w-4k-rand-qd32x8) echo "randwrite 4k 32 8" ;;
    w-128k-rand-qd32) echo "randwrite 128k 32 1" ;;
    w-128k-seq-qd32) echo "write 128k 32 1" ;;
    r-4k-rand-qd1) echo "randread 4k 1 1" ;;
    r-4k-rand-qd32) echo "randread 4k 32 1" ;;
    r-128k-seq-qd32) echo "read 128k 32 1" ;;
    esac
}

cpu_sample() { awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; }

# run_point TARGET POINT QUEUES REP: one fio run; JSON + system CPU use to $OUT
run_point() {
    local target=$1 point=$2 nq=$3 rep=$4 rw bs qd jobs extra
    read -r rw bs qd jobs extra <<< "$(point_args "$point")"
    local out=$OUT/$target-q$nq-$point-r$rep
    local common=(--name="$point" --direct=1 --ioengine=libaio --rw="$rw" --bs="$bs"
        --iodepth="$qd" --numjobs="$jobs" --group_reporting --time_based --runtime="$RUNTIME"
        --ramp_time="$RAMP" --output-format=json --output="$out.json" --randseed=1 $extra)
    local c0 c1
    c0=$(cpu_sample)
    if [[ $target == raw ]]; then
        # the same pattern on plain files: writes append to files as zone files
        # grow (random zones -> random files), reads read written files
        mkdir -p /var/local/raw
        if [[ $rw == *write ]]; then
            rm -f /var/local/raw/w.*
            local nf=1
            [[ $rw == randwrite ]] && nf=8
            fio "${common[@]}" --directory=/var/local/raw --filename_format='w.$jobnum.$filenum' \
                --nrfiles=$nf --file_service_type=random --file_append=1 --fallocate=none \
                --size=64g > "$out.log" 2>&1
        else
            fio "${common[@]}" --directory=/var/local/raw --filename_format='r.$filenum' \
                --nrfiles=16 --file_service_type=random --size=${PREWRITE_MB}m > "$out.log" 2>&1
        fi
    else
        local range=()
        [[ $rw == *read ]] && range=(--size=${PREWRITE_MB}m)
        fio "${common[@]}" --filename=$D --zonemode=zbd "${range[@]}" > "$out.log" 2>&1
    fi
    local rc=$?
    c1=$(cpu_sample)
    echo "$c0 $c1" | awk '{t=$3-$1; i=$4-$2; printf "%.1f\n", t ? 100*(t-i)/t : 0}' > "$out.cpu"
    [[ $rc == 0 ]] || log "fio $target $point failed (rc=$rc): $(tail -n 2 "$out.log")"
}

prewrite_dev() { # with the first zloop target: the files are the same for both drivers
    load "$1"
    mkdir -p $RDATA/0
    echo "add id=0,$DEV_OPTS,base_dir=$RDATA" > $CTL || log "prewrite add failed"
    udevadm settle
    fio --name=prewrite --filename=$D --direct=1 --zonemode=zbd --ioengine=libaio --iodepth=32 \
        --rw=write --bs=1m --size=${PREWRITE_MB}m > /dev/null 2>&1 || log "prewrite failed"
    echo "remove id=0" > $CTL
    unload
}
prewrite_raw() {
    mkdir -p /var/local/raw
    fio --name=prewrite --directory=/var/local/raw --filename_format='r.$filenum' --nrfiles=16 \
        --direct=1 --ioengine=libaio --iodepth=32 --rw=write --bs=1m --size=${PREWRITE_MB}m \
        > /dev/null 2>&1 || log "raw prewrite failed"
}

# One measurement of POINT on TARGET. Write points start from an empty
# directory; read points use data written once for all targets (the zloop
# drivers share one directory: same on-disk layout for both).
run_one() { # TARGET POINT QUEUES REP
    local target=$1 p=$2 nq=$3 rep=$4
    log "$target q$nq $p #$rep"
    if [[ $target == raw ]]; then
        [[ $p == w-* ]] && fresh_fs
        echo 3 > /proc/sys/vm/drop_caches
        run_point raw "$p" "$nq" "$rep"
        return
    fi
    load "$target"
    local opts="$DEV_OPTS,nr_queues=$nq"
    [[ $target != c && -n $RS_OPTS ]] && opts+=",$RS_OPTS"
    if [[ $p == w-* ]]; then
        fresh_fs
        mkdir -p $BASE/0
        echo "add id=0,$opts" > $CTL || { log "add failed"; return; }
    else
        echo "add id=0,$opts,base_dir=$RDATA" > $CTL || { log "add failed"; return; }
    fi
    udevadm settle
    echo 3 > /proc/sys/vm/drop_caches
    run_point "$target" "$p" "$nq" "$rep"
    echo "remove id=0" > $CTL
}

# add/remove time and memory (Slab + VmallocUsed deltas, kB)
meminfo_kb() { awk '/^(Slab|VmallocUsed):/ {s += $2} END {print s}' /proc/meminfo; }
scale() { # DRIVER NR_ZONES ZONE_SIZE_MB
    local drv=$1 nz=$2 zmb=$3 m0 m1 m2 t0 t1 t2
    load "$drv"
    fresh_fs
    mkdir -p $BASE/0
    sync; echo 3 > /proc/sys/vm/drop_caches
    m0=$(meminfo_kb)
    t0=$(date +%s.%N)
    echo "add id=0,capacity_mb=$((nz * zmb)),zone_size_mb=$zmb,conv_zones=0" > $CTL || log "scale add failed"
    t1=$(date +%s.%N)
    m1=$(meminfo_kb)
    echo "remove id=0" > $CTL
    t2=$(date +%s.%N)
    sleep 1
    sync; echo 3 > /proc/sys/vm/drop_caches
    m2=$(meminfo_kb)
    # second add of the same directory: restore from existing files
    local t3 t4
    t3=$(date +%s.%N)
    echo "add id=0,capacity_mb=$((nz * zmb)),zone_size_mb=$zmb,conv_zones=0" > $CTL || log "scale re-add failed"
    t4=$(date +%s.%N)
    echo "remove id=0" > $CTL
    echo "$drv $nz $(awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v m0="$m0" -v m1="$m1" -v m2="$m2" \
        'BEGIN{printf "%.3f %.3f %.3f %d %d", b-a, c-b, e-d, m1-m0, m2-m0}')" >> "$OUT/scale.txt"
    unload
}

# ---- facts ----
{
    echo "kernel: $(uname -r)"
    echo "fio: $(fio --version)"
    echo "cpus: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "memory: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
    echo "backing fs: $(findmnt -no FSTYPE,OPTIONS /var/local)"
    echo "runtime: ${RUNTIME}s per point, ramp ${RAMP}s, $REPS run(s) per point and target (median shown), targets interleaved per point"
    echo "rs add options: ${RS_OPTS:-none}; rs module parameters: ${RS_PARAMS:-none}; alt module parameters: ${ALT_PARAMS:-none}"
} > "$OUT/facts.txt"

targets() { # QUEUES: the targets measured with that many queues
    local t
    for t in $DRIVERS; do
        [[ $t == raw && $1 != "${QUEUES%% *}" ]] && continue  # raw has no queues
        echo "$t"
    done
}
need_reads=0
for p in $POINTS; do [[ $p == r-* ]] && need_reads=1; done
if [[ $need_reads == 1 ]]; then
    for t in $DRIVERS; do
        case $t in
        raw) prewrite_raw ;;
        *) [[ -d $RDATA/0 ]] || prewrite_dev "$t" ;;
        esac
    done
fi
# Interleaved: for every point, each target runs back to back (and again for
# each repetition), so slow drifts of the emulated machine hit all alike.
for nq in $QUEUES; do
    for p in $POINTS; do
        for ((rep = 1; rep <= REPS; rep++)); do
            for t in $(targets "$nq"); do
                run_one "$t" "$p" "$nq" "$rep"
            done
        done
    done
done
unload

if [[ $SCALE == 1 ]]; then
    : > "$OUT/scale.txt"
    for drv in $(echo "$DRIVERS" | tr ' ' '\n' | grep -v raw); do
        log "scale $drv 4096 zones"; scale "$drv" 4096 4
        log "scale $drv 65536 zones"; scale "$drv" 65536 1
    done
fi
log "done"
