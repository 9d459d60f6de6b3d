# SPDX-License-Identifier: GPL-2.0
# max_active_zones (a zloop_rs addition, issue 12): at most that many
# sequential zones are active (implicitly open, explicitly open or closed).
# Opening an empty zone beyond the limit, explicitly or by a write or zone
# append, fails with BLK_STS_ZONE_ACTIVE_RESOURCE, which user space sees as
# EOVERFLOW (block/blk-core.c: blk_errors); a zone stops being active when it
# becomes full or empty. The limit is the queue limit max_active_zones, so
# fio and file systems honour it; restore refuses a directory with more
# active zones than the limit; the C zloop ignores the limit on re-add.
#
# After a write fails, the block layer's zone write plug needs the zone's
# write pointer again before it passes another write to that zone: every
# failed write below is followed by a zone report of the zone (expect_zone),
# as a user of a zoned disk must do.
# shellcheck shell=bash

MB=1048576
ZMB=32                      # zone size (MiB)
ZS=$((ZMB * 2048))          # zone size (sectors)
CAPMB=4                     # zone capacity (MiB): a zone fills with 4 MiB
# 16 zones: 0-1 conventional, 2-15 sequential (14)
GEOM="capacity_mb=512,zone_size_mb=$ZMB,zone_capacity_mb=$CAPMB,conv_zones=2"
NR_SEQ=14
D=/dev/zloop0
Q=/sys/block/zloop0/queue
MNT=/tmp/zlmnt

zoff() { echo $(($1 * ZMB * MB)); } # ZONE: byte offset of the zone
# wz ZONE [OFF_KIB [LEN_KIB [SEED]]]: O_DIRECT pattern write into a zone
# (default: 64 KiB at its start, seed = zone number); prints OK or the errno.
wz() { pw $D $(($(zoff "$1") + ${2:-0} * 1024)) $((${3:-64} * 1024)) "${4:-$1}"; }
wz_ok() { local r; r=$(wz "$@"); [[ $r == OK ]] || fail "write $* -> $r"; }
wz_err() { local e=$1 r; shift; r=$(wz "$@"); [[ $r == "$e" ]] || fail "write $*: got $r, want $e"; }
# rz_ok ZONE LEN_KIB [SEED]: the first LEN_KIB of the zone hold the pattern
rz_ok() { pr_ok $D "$(zoff "$1")" $(($2 * 1024)) "${3:-$1}"; }
# nr_active: zones reported implicitly open, explicitly open or closed
nr_active() { zctl report $D | awk 'NF == 7 && ($5 == 2 || $5 == 3 || $5 == 4)' | wc -l; }
seq_file() { printf '%s/0/seq-%06d' "$BASE" "$1"; }
flush() { local r; r=$(zctl fsync $D); [[ $r == OK ]] || fail "flush: $r"; }

# ---- queue limits -------------------------------------------------------

# limits OPTIONS OPEN ACTIVE: a new device added with OPTIONS exports these
# queue/max_open_zones and queue/max_active_zones. (A new directory each
# time, so that each case stands alone; a re-add of the same directory with
# GEOM would also take the command's limit, or none: 67-self-describing.)
limits() {
    rm -rf "${BASE:?}/0"
    dev_add 0 "$GEOM${1:+,$1}"
    expect_eq "$(cat $Q/max_open_zones) $(cat $Q/max_active_zones)" "$2 $3" \
        "queue max_open_zones max_active_zones with '$1'"
    dev_remove 0
}

test_queue_limits() {
    load_rs
    dmesg_mark
    limits "" 0 0
    limits "max_active_zones=3" 0 3
    limits "max_active_zones=3,max_open_zones=2" 2 3
    limits "max_open_zones=3,max_active_zones=3" 3 3
    limits "max_active_zones=0,max_open_zones=4" 4 0
    limits "max_active_zones=13" 0 13
    klog_has 'max_open_zones lowered' && fail "max_open_zones lowered with no cause"
    # max_open_zones above max_active_zones is lowered to it, with one line
    dmesg_mark
    limits "max_open_zones=6,max_active_zones=3" 3 3
    klog
    expect_eq "$(grep -c 'zloop0: max_open_zones lowered from 6 to max_active_zones 3$' <<< "$KLOG")" 1 \
        "lines saying max_open_zones was lowered"
    # a limit of at least the number of sequential zones is no limit
    limits "max_active_zones=$NR_SEQ" 0 0
    limits "max_active_zones=1000" 0 0
    limits "max_active_zones=4294967295,max_open_zones=5" 5 0
    # (max_open_zones equal to the sequential zones: the block layer shows 0)
    limits "max_active_zones=$NR_SEQ,max_open_zones=$NR_SEQ" 0 0
    # the upstream check of max_open_zones comes first
    rm -rf "${BASE:?}/0"
    mkdir -p "$BASE/0"
    ctl_err EINVAL "add id=0,$GEOM,max_open_zones=$((NR_SEQ + 1)),max_active_zones=3"
}

# The exported limit is the enforced one: NR_SEQ - 1 zones can be active,
# not one more; with NR_SEQ (no limit) every sequential zone can.
test_limit_just_below_and_at_the_sequential_zones() {
    load_rs
    local z
    dev_add 0 "$GEOM,max_active_zones=$((NR_SEQ - 1))"
    for ((z = 2; z < 2 + NR_SEQ - 1; z++)); do wz_ok $z; done
    wz_err EOVERFLOW 15
    expect_zone $D 15 $EMPTY 0
    dev_remove 0
    rm -rf "${BASE:?}/0"
    dev_add 0 "$GEOM,max_active_zones=$NR_SEQ"
    for ((z = 2; z < 2 + NR_SEQ; z++)); do wz_ok $z; done
    expect_eq "$(nr_active)" $NR_SEQ "active zones"
}

# ---- the rules ------------------------------------------------------------

test_explicit_open_beyond_the_limit_is_eoverflow() {
    load_rs
    dev_add 0 "$GEOM,max_active_zones=3"
    zop_ok open $D 2
    zop_ok open $D 3
    zop_ok open $D 4
    zop_err EOVERFLOW open $D 5
    expect_zone $D 5 $EMPTY 0
    for z in 2 3 4; do expect_zone $D $z $EXP_OPEN 0; done
    # opening an open zone again takes nothing more
    zop_ok open $D 4
    # nor does writing into an explicitly opened zone
    wz_ok 2
    expect_zone $D 2 $EXP_OPEN 128
    # closing an explicitly opened zone that holds no data empties it: slot free
    zop_ok close $D 3
    expect_zone $D 3 $EMPTY 0
    zop_ok open $D 5
    expect_zone $D 5 $EXP_OPEN 0
    zop_err EOVERFLOW open $D 6
    expect_eq "$(nr_active)" 3 "active zones"
}

test_write_to_an_empty_zone_beyond_the_limit_is_eoverflow() {
    load_rs
    dev_add 0 "$GEOM,max_active_zones=3"
    wz_ok 2
    wz_ok 3
    wz_ok 4
    wz_err EOVERFLOW 5
    expect_zone $D 5 $EMPTY 0
    expect_eq "$(file_size "$(seq_file 5)")" 0 "size of the zone 5 file"
    # the active zones take more data; zone 5 keeps failing the same way
    for z in 2 3 4; do wz_ok $z 64; done
    wz_err EOVERFLOW 5
    expect_zone $D 5 $EMPTY 0
    for z in 2 3 4; do
        expect_zone $D $z $IMP_OPEN 256
        rz_ok $z 128
    done
    expect_eq "$(nr_active)" 3 "active zones"
}

test_close_keeps_a_zone_active() {
    load_rs
    dev_add 0 "$GEOM,max_active_zones=3"
    wz_ok 2
    wz_ok 3
    wz_ok 4
    zop_ok close $D 2
    zop_ok close $D 3
    expect_zone $D 2 $CLOSED 128
    expect_zone $D 3 $CLOSED 128
    wz_err EOVERFLOW 5
    expect_zone $D 5 $EMPTY 0
    zop_err EOVERFLOW open $D 5
    expect_zone $D 5 $EMPTY 0
    # closed zones are active already: they open and take data again
    zop_ok open $D 2
    expect_zone $D 2 $EXP_OPEN 128
    wz_ok 3 64
    expect_zone $D 3 $IMP_OPEN 256
    rz_ok 3 128
    expect_eq "$(nr_active)" 3 "active zones"
}

test_finish_and_reset_free_a_slot() {
    load_rs
    dev_add 0 "$GEOM,max_active_zones=3"
    wz_ok 2
    wz_ok 3
    wz_ok 4
    wz_err EOVERFLOW 5
    expect_zone $D 5 $EMPTY 0
    zop_ok finish $D 2
    expect_zone $D 2 $FULL -1
    expect_eq "$(file_size "$(seq_file 2)")" $((CAPMB * MB)) "size of the finished zone 2 file"
    wz_ok 5
    expect_zone $D 5 $IMP_OPEN 128
    wz_err EOVERFLOW 6
    expect_zone $D 6 $EMPTY 0
    zop_ok reset $D 3
    expect_zone $D 3 $EMPTY 0
    expect_eq "$(file_size "$(seq_file 3)")" 0 "size of the reset zone 3 file"
    wz_ok 6
    expect_zone $D 6 $IMP_OPEN 128
    # finishing an empty zone takes no slot
    zop_ok finish $D 7
    expect_zone $D 7 $FULL -1
    # reset of the whole device frees every slot
    zop_ok reset $D all
    expect_eq "$(nr_active)" 0 "active zones after a reset of all zones"
    for z in 8 9 10; do wz_ok $z; done
    wz_err EOVERFLOW 11
    expect_zone $D 11 $EMPTY 0
    for z in 8 9 10; do rz_ok $z 64; done
}

test_zone_becoming_full_frees_a_slot() {
    load_rs
    dev_add 0 "$GEOM,max_active_zones=3"
    wz_ok 2
    wz_ok 3
    wz_ok 4
    wz_err EOVERFLOW 5
    expect_zone $D 5 $EMPTY 0
    # write zone 2 up to its capacity
    wz_ok 2 64 $((CAPMB * 1024 - 64))
    expect_zone $D 2 $FULL -1
    wz_ok 5
    expect_zone $D 5 $IMP_OPEN 128
    rz_ok 2 $((CAPMB * 1024))
    rz_ok 5 64
    expect_eq "$(nr_active)" 3 "active zones"
}

# Zone appends (native, emulated by the block layer, ordered) are writes too.
append_at_the_limit() { # EXTRA-OPTIONS
    local out
    load_rs
    dev_add 0 "$GEOM,max_active_zones=2${1:+,$1}"
    wz_ok 2
    wz_ok 3
    out=$(appends 4 65536 1 1)
    expect_eq "$(awk '{print $2, $3}' <<< "$out")" "-1 -75" "append to an empty zone at the limit (sector, errno)"
    expect_zone $D 4 $EMPTY 0
    out=$(appends 2 65536 2 1)
    expect_eq "$(awk '{print $2, $3, $4}' <<< "$out" | tr '\n' ' ')" \
        "$((2 * ZS + 128)) 0 ok $((2 * ZS + 256)) 0 ok " "appends to an active zone"
    zop_ok finish $D 3
    out=$(appends 4 65536 1 1)
    expect_eq "$(awk '{print $2, $3, $4}' <<< "$out")" "$((4 * ZS)) 0 ok" "append after a finish"
    expect_zone $D 4 $IMP_OPEN 128
}
test_zone_append_native_at_the_limit() { append_at_the_limit ""; }
test_zone_append_emulated_at_the_limit() { append_at_the_limit "zone_append=0"; }
test_zone_append_ordered_at_the_limit() { append_at_the_limit "ordered_zone_append"; }

# Both limits: an implicit open at the open limit still closes the least
# recently used implicitly open zone, but closing cannot free an active slot,
# so at the active limit nothing is closed and the write fails.
test_open_limit_within_the_active_limit() {
    load_rs
    dev_add 0 "$GEOM,max_open_zones=2,max_active_zones=3"
    wz_ok 2
    wz_ok 3
    wz_ok 4
    expect_zone $D 2 $CLOSED 128
    expect_zone $D 3 $IMP_OPEN 128
    expect_zone $D 4 $IMP_OPEN 128
    wz_err EOVERFLOW 5
    expect_zone $D 5 $EMPTY 0
    expect_zone $D 3 $IMP_OPEN 128
    expect_zone $D 4 $IMP_OPEN 128
    # a closed zone takes data: zone 3 is closed for it
    wz_ok 2 64
    expect_zone $D 2 $IMP_OPEN 256
    expect_zone $D 3 $CLOSED 128
    # an explicit open at the open limit fails as it always did (EIO)
    zop_err EIO open $D 3
    zop_ok finish $D 4
    wz_ok 5
    expect_zone $D 5 $IMP_OPEN 128
    expect_eq "$(nr_active)" 3 "active zones"
}

# Without max_active_zones nothing changes: the same sequence with only an
# open limit gives the same results and zones on zloop_rs and the C zloop,
# with every sequential zone but the last active.
no_active_limit_sequence() {
    local z out=""
    dev_add 0 "$GEOM,max_open_zones=2"
    expect_eq "$(cat $Q/max_active_zones)" 0 "$DRV: queue max_active_zones"
    for ((z = 2; z < 15; z++)); do out+="w$z=$(wz $z) "; done
    out+="open15=$(zop open $D 15) close14=$(zop close $D 14) open15=$(zop open $D 15) w2=$(wz 2 64)"
    echo "$out" > "/tmp/seq-$DRV"
    zctl report $D > "/tmp/report-$DRV"
    dev_remove 0
}
test_without_max_active_zones_behaviour_is_unchanged() {
    for_both no_active_limit_sequence
    diff /tmp/seq-rs /tmp/seq-c > /dev/null || fail "results differ: rs '$(cat /tmp/seq-rs)', C '$(cat /tmp/seq-c)'"
    diff /tmp/report-rs /tmp/report-c > /dev/null || fail "zone reports differ: $(diff /tmp/report-rs /tmp/report-c | head -n 4)"
    grep -q "w14=OK" /tmp/seq-rs || fail "not every zone could be written: $(cat /tmp/seq-rs)"
    expect_eq "$(awk 'NF == 7 && ($5 == 2 || $5 == 3 || $5 == 4)' /tmp/report-rs | wc -l)" 14 "active zones"
}

# ---- the control file -------------------------------------------------------

test_control_text_and_option_syntax() {
    load_rs
    grep -q max_active_zones $CTL || fail "grep max_active_zones $CTL finds nothing"
    expect_eq "$(head -n 1 $CTL)" "$(head -n 1 $CTL | sed 's/,max_active_zones=%u$//'),max_active_zones=%u" \
        "the add line ends with the addition"
    mkdir -p "$BASE/0"
    ctl_err EINVAL "add id=0,$GEOM,max_active_zones="
    ctl_err EINVAL "add id=0,$GEOM,max_active_zones=0x3"
    ctl_err EINVAL "add id=0,$GEOM,max_active_zones=-1"
    ctl_err EINVAL "add id=0,$GEOM,max_active_zones=4294967296"
    ctl_err EINVAL "remove id=0,max_active_zones=1"
    expect_eq "$(dev_ids)" "" "devices after the refused commands"
    dev_add 0 "$GEOM,max_active_zones=03"
    expect_eq "$(cat $Q/max_active_zones)" 3 "max_active_zones=03 (decimal, as every %u)"
    dev_remove 0
    # the C zloop does not know it: scripts can tell the drivers apart
    load_c
    grep -q max_active_zones $CTL && fail "the C zloop lists max_active_zones"
    ctl_err EINVAL "add id=0,$GEOM,max_active_zones=3"
    return 0
}

# ---- restore ----------------------------------------------------------------

# Four partially written zones, one full, one opened and never written; made
# by DRV (zloop_rs with max_active_zones=5, which its description file
# keeps). Prints nothing.
four_active_zones() {
    load "$1"
    dev_add 0 "$GEOM$([[ $1 == rs ]] && echo ,max_active_zones=5)"
    for z in 2 3 4 5; do wz_ok $z; done
    wz_ok 6 0 $((CAPMB * 1024))
    zop_ok open $D 7
    dev_remove 0
}

# expect_described_limit N: the description file of zloop0 says max_active_zones=N
expect_described_limit() {
    local f=$BASE/0/zloop_rs.device
    grep -qx "max_active_zones=$1" "$f" || fail "want max_active_zones=$1 in $f: $(cat "$f")"
}

# The limit is a runtime option (zloop_rs.rst section 6): the one on the
# command line is used, over the described one of a zloop_rs directory (5),
# and the rest of the options come from the file; a C zloop directory has no
# description, so its commands give the geometry. A refused add leaves the
# zone files and the description as they were; the add with a large enough
# limit stores it, and add id=0 alone restores it from then on.
restore_refused() { # DRV-THAT-WROTE
    local before geo
    four_active_zones "$1"
    load_rs
    if [[ $1 == rs ]]; then
        expect_described_limit 5
        geo=
    else
        [[ -e $BASE/0/zloop_rs.device ]] && fail "the C zloop wrote a description"
        geo="$GEOM,"
    fi
    before=$(stat -c '%n %s' "$BASE"/0/*)
    dmesg_mark
    ctl_err EINVAL "add id=0,${geo}max_active_zones=3"
    klog
    expect_eq "$(grep -c 'zloop0: 4 zones are partially written, more than max_active_zones=3; use max_active_zones=4 or more, or 0 for no limit$' <<< "$KLOG")" 1 \
        "refusal lines ($1 directory)"
    expect_eq "$(dev_ids)" "" "devices after the refused add"
    expect_eq "$(stat -c '%n %s' "$BASE"/0/*)" "$before" "files after the refused add"
    if [[ $1 == rs ]]; then
        expect_described_limit 5
    else
        [[ -e $BASE/0/zloop_rs.device ]] && fail "a refused add wrote a description"
    fi
    # within the limit: restored as found, and the limit holds from the start
    dev_add 0 "${geo}max_active_zones=4"
    expect_eq "$(cat $Q/max_active_zones)" 4 "queue max_active_zones of the restored device"
    expect_described_limit 4
    for z in 2 3 4 5; do expect_zone $D $z $CLOSED 128; done
    expect_zone $D 6 $FULL -1
    expect_zone $D 7 $EMPTY 0
    wz_err EOVERFLOW 8
    expect_zone $D 8 $EMPTY 0
    wz_ok 2 64
    rz_ok 2 128
    rz_ok 6 $((CAPMB * 1024))
    dev_remove 0
    # the stored limit: add id=0 alone
    dev_add 0
    expect_eq "$(cat $Q/max_active_zones)" 4 "queue max_active_zones after add id=0"
    wz_err EOVERFLOW 8
    expect_zone $D 8 $EMPTY 0
    dev_remove 0
    # a limit of the number of sequential zones is none: nothing to check
    dev_add 0 "max_active_zones=$NR_SEQ"
    expect_eq "$(cat $Q/max_active_zones)" 0 "queue max_active_zones with max_active_zones=$NR_SEQ"
    expect_described_limit 0
    wz_ok 8
    dev_remove 0
}
test_restore_with_more_active_zones_than_the_limit_is_refused() { restore_refused rs; }
test_restore_of_a_c_zloop_directory_is_refused_the_same_way() { restore_refused c; }

# The roll-back of discard_write_cache after a crash comes first: what is
# counted is what restore makes of the files. The crash is a copy of the live
# directory (as in 56-options): zone 2 flushed, zones 3-5 never.
test_restore_counts_after_the_discard_write_cache_roll_back() {
    load_rs
    dev_add 0 "$GEOM,discard_write_cache"
    wz_ok 2
    flush
    for z in 3 4 5; do wz_ok $z; done
    rm -rf "$BASE/1"
    cp -a "$BASE/0" "$BASE/1" || fail "cp -a"
    # the copy has the description (no limit, discard_write_cache): the
    # commands below give the geometry, so their limits and flags are used
    [[ -f $BASE/1/zloop_rs.device ]] || fail "no description file in the copy"
    dmesg_mark
    ctl_err EINVAL "add id=1,$GEOM,max_active_zones=1"
    klog_has 'zloop1: 4 zones are partially written, more than max_active_zones=1; use max_active_zones=4 or more, or 0 for no limit$' \
        || fail "no refusal line without the roll-back"
    dmesg_mark
    ctl_ok "add id=1,$GEOM,discard_write_cache,max_active_zones=1"
    wait_for /dev/zloop1
    klog_has 'zloop1: not removed cleanly with discard_write_cache: the unflushed writes of 3 zones discarded' \
        || fail "no roll-back line"
    expect_zone /dev/zloop1 2 $CLOSED 128
    for z in 3 4 5; do expect_zone /dev/zloop1 $z $EMPTY 0; done
    local r
    r=$(pw /dev/zloop1 "$(zoff 3)" 65536 3)
    expect_eq "$r" EOVERFLOW "write to an empty zone of the restored copy"
}

# A directory made with max_active_zones is an ordinary zloop directory: the
# C zloop re-adds it (it has no such option) and lets more zones be active;
# zloop_rs then checks the new count against the limit of the description
# file, and its refusal line says the way out: a larger limit on the command
# line, which is used and stored (a runtime option, zloop_rs.rst section 6).
test_c_zloop_readds_a_directory_made_with_max_active_zones() {
    load_rs
    dev_add 0 "$GEOM,max_active_zones=3"
    wz_ok 2
    wz_ok 3
    wz_ok 4 0 $((CAPMB * 1024))
    wz_ok 5
    zop_ok close $D 3
    wz_err EOVERFLOW 6
    expect_zone $D 6 $EMPTY 0
    dev_remove 0
    load_c
    dev_add 0 "$GEOM"
    expect_eq "$(cat $Q/max_active_zones)" 0 "C zloop: queue max_active_zones"
    for z in 2 3 5; do expect_zone $D $z $CLOSED 128; done
    expect_zone $D 4 $FULL -1
    rz_ok 2 64
    rz_ok 4 $((CAPMB * 1024))
    for z in 6 7 8; do wz_ok $z; done
    expect_eq "$(nr_active)" 6 "active zones on the C zloop"
    dev_remove 0
    load_rs
    # the description file (which the C zloop left alone) still says 3:
    # add id=0 is refused by it
    expect_described_limit 3
    dmesg_mark
    ctl_err EINVAL "add id=0"
    klog_has 'zloop0: 6 zones are partially written, more than max_active_zones=3; use max_active_zones=6 or more, or 0 for no limit$' \
        || fail "no refusal line for the described limit"
    # a limit given replaces the described one; 5 is still too low
    dmesg_mark
    ctl_err EINVAL "add id=0,max_active_zones=5"
    klog_has 'zloop0: 6 zones are partially written, more than max_active_zones=5; use max_active_zones=6 or more, or 0 for no limit$' \
        || fail "no refusal line for the limit of the command"
    expect_described_limit 3
    # 6 restores the device (the rest from the file) and is stored
    dev_add 0 "max_active_zones=6"
    expect_eq "$(cat $Q/max_active_zones)" 6 "queue max_active_zones after the add with a larger limit"
    expect_described_limit 6
    for z in 2 3 5 6 7 8; do expect_zone $D $z $CLOSED 128; done
    for z in 2 5 6 7 8; do rz_ok $z 64; done
    wz_err EOVERFLOW 9
    expect_zone $D 9 $EMPTY 0
    dev_remove 0
    # from now on add id=0 alone restores the device with that limit
    dev_add 0
    expect_eq "$(cat $Q/max_active_zones)" 6 "queue max_active_zones after add id=0"
    wz_err EOVERFLOW 9
    expect_zone $D 9 $EMPTY 0
}

# ---- fault injection (66-fault-injection) ------------------------------------

FI=/sys/block/zloop0/zloop
RO=13 OFFLINE=15 # BLK_ZONE_COND_READONLY, BLK_ZONE_COND_OFFLINE
# fault FILE ZONE: write the first sector of ZONE to zone_offline or zone_readonly
fault() { local r; r=$(zctl write "$FI/$1" $(($2 * ZS))); [[ $r == OK ]] || fail "echo zone $2 > $1: $r"; }

# A zone set offline or read-only is no longer active: at the limit, the
# slot it held takes another zone. Clearing the fault makes it empty, and
# opening it again needs a slot like any empty zone.
test_offline_or_readonly_zone_frees_its_active_slot() {
    load_rs
    local file cond
    for file in zone_offline zone_readonly; do
        cond=$([[ $file == zone_offline ]] && echo $OFFLINE || echo $RO)
        rm -rf "${BASE:?}/0"
        dev_add 0 "$GEOM,max_active_zones=2"
        wz_ok 2
        wz_ok 3
        zop_ok close $D 3                            # closed: active too
        wz_err EOVERFLOW 4
        expect_zone $D 4 $EMPTY 0
        fault $file 3
        expect_zone $D 3 $cond -1
        expect_eq "$(nr_active)" 1 "active zones after $file of a closed zone"
        wz_ok 4
        zop_err EOVERFLOW open $D 5
        fault $file 2                                # the open one
        expect_zone $D 2 $cond -1
        zop_ok open $D 5
        expect_eq "$(nr_active)" 2 "active zones ($file)"
        fault $file 2                                # cleared: empty, not active
        expect_zone $D 2 $EMPTY 0
        # the block layer's write plug still has the old write pointer of
        # the zone (zloop_rs.rst section 10): a reset (no slot needed) sets it
        zop_ok reset $D 2
        wz_err EOVERFLOW 2
        expect_zone $D 2 $EMPTY 0
        zop_ok finish $D 4                           # a slot again
        wz_ok 2
        rz_ok 2 64
        dev_remove 0
    done
}

# add restores a zone with a recorded fault from its file first and then
# gives it its condition: the restore check counts active zones after that,
# so a partially written zone that is offline or read-only is not counted.
test_restore_counts_after_the_recorded_faults() {
    load_rs
    dev_add 0 "$GEOM"
    for z in 2 3 4 5; do wz_ok $z; done
    fault zone_readonly 4
    fault zone_offline 5
    dev_remove 0
    # the limits below come from the commands (the description says none)
    dmesg_mark
    ctl_err EINVAL "add id=0,$GEOM,max_active_zones=1"
    klog_has 'zloop0: 2 zones are partially written, more than max_active_zones=1; use max_active_zones=2 or more, or 0 for no limit$' \
        || fail "no refusal line counting the 2 zones without a fault"
    dev_add 0 "$GEOM,max_active_zones=2"
    expect_zone $D 2 $CLOSED 128
    expect_zone $D 3 $CLOSED 128
    expect_zone $D 4 $RO -1
    expect_zone $D 5 $OFFLINE -1
    rz_ok 4 64                                   # read-only: its data reads back
    wz_err EOVERFLOW 6
    expect_zone $D 6 $EMPTY 0
    zop_ok reset $D 3
    wz_ok 6
    dev_remove 0
}

# ---- consumers ----------------------------------------------------------------

# fio_zbd NAME ARGS...: a zbd-mode fio job with crc32c verification must pass.
fio_zbd() {
    local name=$1 err
    shift
    fio --name="$name" --filename=$D --direct=1 --zonemode=zbd --rw=randwrite --bs=64k \
        --verify=crc32c --do_verify=1 --verify_fatal=1 --randseed=12 --output-format=terse \
        --terse-version=3 "$@" > "/tmp/fio-$name.terse" 2> "/tmp/fio-$name.err" \
        || fail "fio $name failed: $(tail -n 3 "/tmp/fio-$name.err")"
    err=$(awk -F';' '{print $5}' "/tmp/fio-$name.terse" | sort -u)
    expect_eq "$err" 0 "fio $name error field"
}

# 64 zones of 16 MiB, 8 active at most. fio keeps its writes within
# --max_open_zones zones and moves on when a zone is full, so it never opens
# a ninth: 12 zones' worth of random writes, 1.5 times the active capacity.
# QD 32 with 4 zones (several writes per zone in flight); QD 1 with 8, the
# very limit (a zone is full on the device before fio picks the next).
test_fio_zbd_with_max_open_zones_on_an_active_limit() {
    need_cmd fio
    local g="capacity_mb=1024,zone_size_mb=16,conv_zones=0,queue_depth=64,max_active_zones=8"
    load_rs
    dmesg_mark
    dev_add 0 "$g"
    expect_eq "$(cat $Q/max_active_zones)" 8 "queue max_active_zones"
    fio_zbd qd32 --ioengine=libaio --iodepth=32 --max_open_zones=4 --io_size=192m
    [[ $(nr_active) -le 8 ]] || fail "$(nr_active) active zones after fio"
    dev_remove 0
    rm -rf "${BASE:?}/0"
    dev_add 0 "$g"
    fio_zbd qd1 --ioengine=psync --iodepth=1 --max_open_zones=8 --io_size=192m
    [[ $(nr_active) -le 8 ]] || fail "$(nr_active) active zones after fio"
    klog_has 'active zones exceeded' && fail "a write hit the active limit: $(grep -m1 'active zones exceeded' <<< "$KLOG")"
    return 0
}

# Zoned btrfs takes the device's active-zone limit as its own (fs/btrfs/zoned.c:
# btrfs_get_max_active_zones; it needs at least BTRFS_MIN_ACTIVE_ZONES = 8 and
# assumes 8 when the device says fewer, so the limit here is 12) and finishes
# block groups to stay within it. 20 files of 16 MiB (320 MiB) are more than
# the 12 active zones of 16 MiB hold; they must all read back, btrfs check
# must pass, and no write may hit the limit.
btrfs_file() { # I: file I is a header naming it, then source I % 4
    printf '%-4096s' "file $1"
    cat "/tmp/src$(($1 % 4))"
}
btrfs_compare() { # WHEN
    local i
    for ((i = 0; i < 20; i++)); do
        cmp <(btrfs_file $i) "$MNT/f$i" || fail "f$i differs $1"
    done
}
test_btrfs_zoned_filled_past_the_active_limit() {
    want_cmd mkfs.btrfs btrfs
    local g="capacity_mb=2048,zone_size_mb=16,conv_zones=4,max_active_zones=12" i
    load_rs
    dmesg_mark
    dev_add 0 "$g"
    mkfs.btrfs -q -f -O zoned -d single -m single $D > /tmp/mkfs.log 2>&1 || fail "mkfs.btrfs -O zoned: $(tail -n 3 /tmp/mkfs.log)"
    mkdir -p $MNT
    mount -t btrfs $D $MNT || fail "mount"
    for i in 0 1 2 3; do dd if=/dev/urandom of=/tmp/src$i bs=1M count=16 status=none; done
    for ((i = 0; i < 20; i++)); do
        btrfs_file $i > "$MNT/f$i" || fail "write f$i"
        [[ $(nr_active) -le 12 ]] || fail "$(nr_active) active zones while writing f$i"
    done
    sync
    btrfs_compare "before the remount"
    umount $MNT || fail "umount"
    echo 3 > /proc/sys/vm/drop_caches
    mount -t btrfs $D $MNT || fail "remount"
    btrfs_compare "after the remount"
    umount $MNT || fail "umount after the remount"
    btrfs check $D > /tmp/check.log 2>&1 || fail "btrfs check: $(tail -n 5 /tmp/check.log)"
    [[ $(nr_active) -le 12 ]] || fail "$(nr_active) active zones"
    # the directory restores within the limit
    dev_remove 0
    dev_add 0 "$g"
    mount -t btrfs $D $MNT || fail "mount after re-add"
    cmp <(btrfs_file 19) $MNT/f19 || fail "f19 differs after re-add"
    umount $MNT || fail "umount after re-add"
    klog
    if grep -qE 'active zones exceeded|BTRFS (error|critical)' <<< "$KLOG"; then
        fail "$(grep -m1 -E 'active zones exceeded|BTRFS (error|critical)' <<< "$KLOG")"
    fi
}
