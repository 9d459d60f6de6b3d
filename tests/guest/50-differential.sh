# SPDX-License-Identifier: GPL-2.0
# Differential test: one scripted scenario run on the C zloop and on zloop_rs,
# each on a fresh base directory. The blkzone reports, the zone file sizes and
# the data read back must be identical.
# shellcheck shell=bash

ZB=$((64 << 20))
GEOM="capacity_mb=768,zone_size_mb=64,zone_capacity_mb=40,conv_zones=3"
D=/dev/zloop0

# scenario OUT: runs the scenario on the loaded driver, writes what it saw to OUT.
scenario() {
    local out=$1 z
    dev_add 0 "$GEOM"
    {
        echo "== after add"; blkzone report $D
        # conventional zones: scattered writes
        pw $D 0 65536 11; pw $D $((ZB - 4096)) 4096 12; pw $D $((2 * ZB + 1048576)) 1048576 13
        # zone 3: three writes; zone 4: filled to capacity with dd
        pw $D $((3 * ZB)) 4096 14; pw $D $((3 * ZB + 4096)) 131072 15; pw $D $((3 * ZB + 135168)) 1048576 16
        dd if=/tmp/fill of=$D bs=1M seek=256 oflag=direct status=none && echo "dd ok"
        # zone 5: write, close, reopen, write; zone 6: explicit open then close
        pw $D $((5 * ZB)) 8192 17; zop close $D 5; zop open $D 5; pw $D $((5 * ZB + 8192)) 8192 18
        zop open $D 6; zop close $D 6
        # zone 7: write then finish; zone 8: write, reset, write; zone 9: finish empty
        pw $D $((7 * ZB)) 65536 19; zop finish $D 7
        pw $D $((8 * ZB)) 65536 20; zop reset $D 8; pw $D $((8 * ZB)) 4096 21
        zop finish $D 9
        # errors: unaligned write, write to full, close empty, open full
        pw $D $((3 * ZB)) 4096 22; pw $D $((7 * ZB)) 4096 23; zop close $D 10; zop open $D 9
        echo "== after writes"; blkzone report $D
        zctl fsync $D
    } >> "$out" 2>&1
    dev_remove 0
    {
        # zone files only: zloop_rs also keeps zloop_rs.device there
        echo "== files"; (cd "$BASE/0" && stat -c '%n %s %a' cnv-* seq-*)
    } >> "$out"
    dev_add 0 "$GEOM"
    {
        echo "== after re-add"; blkzone report $D
        for z in $(seq 0 11); do
            echo "zone $z data: $(dd if=$D bs=1M skip=$((z * 64)) count=64 iflag=direct status=none | md5sum)"
        done
        zop reset $D all
        echo "== after reset all"; blkzone report $D
    } >> "$out" 2>&1
    dev_remove 0
    echo "== files after reset all" >> "$out"
    (cd "$BASE/0" && stat -c '%n %s' cnv-* seq-*) >> "$out"
}

# scenario_ran OUT: the scenario really ran (the same tool failure on both
# drivers would compare equal)
scenario_ran() {
    local out=$1
    grep -q '^dd ok$' "$out" || fail "$out: the dd fill of zone 4 failed"
    expect_eq "$(grep -c '^zone [0-9]* data: ' "$out")" 12 "$out: zones read back"
    # no tool failure and no empty read (the md5 of nothing)
    ! grep -E 'command not found|^dd: |^md5sum: |^blkzone: |^stat: |d41d8cd98f00b204e9800998ecf8427e' "$out" \
        || fail "$out: a tool of the scenario failed"
}

test_differential_scenario_rs_vs_c() {
    local drv
    need_cmd blkzone md5sum
    dd if=/dev/urandom of=/tmp/fill bs=1M count=40 status=none || fail "cannot make /tmp/fill"
    for drv in c rs; do
        load $drv
        rm -rf "${BASE:?}"/*
        : > /tmp/diff-$drv
        scenario /tmp/diff-$drv
    done
    grep -q "zcond:14(fu)" /tmp/diff-rs || fail "scenario produced no full zone (not run?)"
    scenario_ran /tmp/diff-c
    scenario_ran /tmp/diff-rs
    diff -u /tmp/diff-c /tmp/diff-rs > /tmp/diff.out || fail "zloop_rs differs from C zloop: $(grep '^[-+][^-+]' /tmp/diff.out | head -n 6 | tr '\n' '|')"
    cp /tmp/diff-rs "$OUT/logs/differential-scenario.txt"
}
