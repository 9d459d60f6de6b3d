# SPDX-License-Identifier: GPL-2.0
# Data integrity under fio: zbd-mode writes with crc32c verification, libaio
# and io_uring, QD 1 and 32, on conventional and sequential zones; then the
# data is re-verified after remove + re-add.
# shellcheck shell=bash

# 16 zones of 64 MiB: zones 0-3 conventional, 4-15 sequential.
GEOM="capacity_mb=1024,zone_size_mb=64,conv_zones=4,queue_depth=64"
D=/dev/zloop0
SEQ_OFF=$((256 << 20))

# run_fio NAME ARGS...: fio must finish with no error; its output is logged.
run_fio() {
    local name=$1
    shift
    fio --name="$name" --filename=$D --direct=1 --zonemode=zbd --output-format=terse \
        --terse-version=3 "$@" > "/tmp/fio-$name.terse" 2> "/tmp/fio-$name.err" \
        || fail "fio $name failed: $(tail -n 3 "/tmp/fio-$name.err")"
    local err
    err=$(awk -F';' '{print $5}' "/tmp/fio-$name.terse" | sort -u)
    expect_eq "$err" 0 "fio $name error field"
}

# zone_sums ZONE...: checksum of each whole zone; fails (exit 1) unless all
# could be read, so that two failed reads cannot compare equal
zone_sums() {
    local z
    for z in "$@"; do dev_md5 $D $((z * 64)) 64 || exit 1; done
}

fio_verify() { # ENGINE QD RW OFFSET SIZE [IO_SIZE]
    local engine=$1 qd=$2 rw=$3 off=$4 size=$5 io_size=${6:-$5}
    load_rs
    dev_add 0 "$GEOM"
    run_fio "$engine-qd$qd-$rw" --ioengine="$engine" --iodepth="$qd" --rw="$rw" --bs=64k \
        --offset="$off" --size="$size" --io_size="$io_size" --verify=crc32c --do_verify=1 \
        --verify_fatal=1 --randseed=42 --max_open_zones=4
    local zones before after
    zones=$(seq $((off >> 26)) $(((off + size - 1) >> 26)))
    # shellcheck disable=SC2086
    before=$(zone_sums $zones) || exit 1
    # write pointers survive (open zones come back closed, as upstream)
    zctl report $D | awk 'NF == 7 {print $1, $4}' > /tmp/report-before
    expect_eq "$(wc -l < /tmp/report-before)" 16 "zones reported"
    dev_remove 0
    dev_add 0 "$GEOM"
    # shellcheck disable=SC2086
    after=$(zone_sums $zones) || exit 1
    expect_eq "$after" "$before" "zone data after remove + re-add"
    zctl report $D | awk 'NF == 7 {print $1, $4}' > /tmp/report-after
    diff /tmp/report-before /tmp/report-after > /dev/null \
        || fail "write pointers changed across remove + re-add: $(diff /tmp/report-before /tmp/report-after | head -n 4)"
}

# sequential: two whole zones; random: 96 MiB of writes over 8 zones (zbd mode
# writes each chosen zone at its write pointer); conventional: 64 MiB over 4 zones
test_fio_seq_write_libaio_qd1() { fio_verify libaio 1 write $SEQ_OFF $((128 << 20)); }
test_fio_seq_write_libaio_qd32() { fio_verify libaio 32 write $SEQ_OFF $((128 << 20)); }
test_fio_seq_write_io_uring_qd1() { fio_verify io_uring 1 write $SEQ_OFF $((128 << 20)); }
test_fio_seq_write_io_uring_qd32() { fio_verify io_uring 32 write $SEQ_OFF $((128 << 20)); }
test_fio_random_zone_write_libaio_qd32() { fio_verify libaio 32 randwrite $SEQ_OFF $((512 << 20)) 96m; }
test_fio_random_zone_write_io_uring_qd1() { fio_verify io_uring 1 randwrite $SEQ_OFF $((512 << 20)) 96m; }
test_fio_conventional_randwrite_libaio_qd32() { fio_verify libaio 32 randwrite 0 $((256 << 20)) 64m; }
test_fio_conventional_randwrite_io_uring_qd1() { fio_verify io_uring 1 randwrite 0 $((256 << 20)) 64m; }

# Reads of written data under load, then a verify-only pass after re-add.
test_fio_verify_only_after_readd() {
    load_rs
    dev_add 0 "$GEOM"
    local common=(--ioengine=libaio --iodepth=16 --rw=write --bs=128k --offset=$SEQ_OFF
        --size=$((384 << 20)) --verify=crc32c --randseed=7)
    run_fio write "${common[@]}" --do_verify=0
    dev_remove 0
    dev_add 0 "$GEOM"
    # plain reads (fio's zbd mode would reset the zones before "writing")
    run_fio verify "${common[@]}" --verify_only=1 --verify_fatal=1 --zonemode=none
    local verified
    verified=$(awk -F';' '{print $6}' /tmp/fio-verify.terse)
    [[ $verified -ge $((384 << 10)) ]] || fail "verify-only pass read $verified KiB, want 384 MiB"
}
