#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Reboot test (issue 12: the new features persist across a VM reboot), the
# guest side, run in the test VM by tests/reboot/run.sh on a kept disk image
# (tools/vm --disk-image: /var/local is its file system in both boots).
#
#   guest.sh STATE_DIR 1|2
#
# STATE_DIR is shared read-write with the host (tools/vm --rwdir). Results go
# to STATE_DIR/guest.log (the guest's stdout may lose its first bytes): one
# line per step, every failure a line starting with "FAIL".
#
# Boot 1: add device 0 with max_active_zones=3,max_open_zones=2, write known
# data into sequential zones 2 and 3 and into zone 5, make zone 4 offline and
# zone 5 read-only (zone_offline / zone_readonly), record the data's sha256
# in STATE_DIR/expect, remove, rmmod, sync and unmount.
# Boot 2: "add id=0,base_dir=..." alone (no geometry) and check the limits
# (queue and zloop sysfs), the conditions (blkzone report), the data and the
# write pointers, that the read-only and offline zones refuse writes (EIO)
# and that the active-zone limit is enforced (EOVERFLOW); remove, rmmod.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

state=$1 boot=$2
TOP=$ZLOOP_TOP
ZCTL=$TOP/tests/out/bin/zctl
CTL=/dev/zloop-control
BASE=/var/local/zloop/reboot
D=/dev/zloop0
SYS=/sys/block/zloop0
MB=1048576 ZS=131072 # 64 MiB zones, in sectors
GEOM="capacity_mb=512,zone_size_mb=64,conv_zones=2,max_active_zones=3,max_open_zones=2"
# zone -> bytes of data written in boot 1 (zone 5 becomes read-only)
declare -A DATA=([2]=$((8 * MB)) [3]=$((3 * MB)) [5]=$MB)
OFFLINE_ZONE=4 RO_ZONE=5
LOG=$state/guest.log
nfail=0

log() { echo "$*"; echo "$*" >> "$LOG"; }
fail() { log "FAIL boot $boot: $*"; nfail=$((nfail + 1)); }
die() { fail "$@"; exit 1; }
expect_eq() { [[ $1 == "$2" ]] || fail "$3: got '$1', want '$2'"; }

# ctl COMMAND: one write to the control device; prints OK or the errno name
ctl() { "$ZCTL" write "$CTL" "$1"; }
load() {
    insmod "$TOP/zloop_rs.ko" || die "insmod $TOP/zloop_rs.ko"
    local i
    for ((i = 0; i < 50; i++)); do [[ -e $CTL ]] && return; sleep 0.1; done
    die "no $CTL after insmod"
}
add() { # COMMAND
    local r i
    r=$(ctl "$1")
    [[ $r == OK ]] || die "'$1': $r"
    for ((i = 0; i < 100; i++)); do [[ -b $D ]] && break; sleep 0.1; done
    [[ -b $D ]] || die "no $D after '$1'"
    udevadm settle 2> /dev/null || true
}
unload() {
    local r
    r=$(ctl "remove id=0")
    [[ $r == OK ]] || fail "remove id=0: $r"
    rmmod zloop_rs || fail "rmmod zloop_rs"
}
# pattern ZONE: the data written into ZONE (DATA[ZONE] bytes) on stdout
pattern() { head -c "${DATA[$1]}" < <(yes "zloop_rs reboot test, zone $1, data of boot 1"); }
# sum_dev ZONE: sha256 of the first DATA[ZONE] bytes of ZONE, read with O_DIRECT
sum_dev() {
    dd if=$D bs=1M skip=$(($1 * 64)) count=$((DATA[$1] / MB)) iflag=direct status=none |
        sha256sum | cut -d' ' -f1
}
# zone_line ZONE: "WP COND" of ZONE from blkzone report (WP in sectors from its start)
zone_line() {
    local l wp cond
    l=$(blkzone report -o $(($1 * ZS)) -c 1 $D 2>&1) || { echo "blkzone: $l"; return; }
    read -r wp cond < <(sed -nE 's/.*wptr 0x([0-9a-f]+) .*zcond: *([0-9]+)\(.*/\1 \2/p' <<< "$l")
    [[ -n $cond ]] || { echo "unparsed: $l"; return; }
    echo "$((16#$wp)) $cond"
}
cond_of() { local l; l=$(zone_line "$1"); echo "${l#* }"; }
# write_err ZONE OFFSET_BYTES: the result (OK or errno) of a 64 KiB O_DIRECT write
write_err() { "$ZCTL" pwrite $D $(($1 * ZS * 512 + $2)) 65536 7; }

boot1() {
    rm -f "$state/expect" "$state/boot1-done"
    load
    # a disk image used before: start from an empty directory
    rm -rf "$BASE"
    mkdir -p "$BASE/0" || die "mkdir $BASE/0"
    add "add id=0,base_dir=$BASE,$GEOM"
    local z want got
    for z in 5 2 3; do
        dd if=<(pattern $z) of=$D bs=1M seek=$((z * 64)) oflag=direct iflag=fullblock status=none ||
            die "dd into zone $z"
        want=$(pattern $z | sha256sum | cut -d' ' -f1)
        got=$(sum_dev $z)
        [[ $got == "$want" ]] || die "zone $z reads back $got, wrote $want"
        echo "$z ${DATA[$z]} $want" >> "$state/expect"
        # zone 5 first: once read-only it is no longer active or open
        if [[ $z == "$RO_ZONE" ]]; then
            expect_eq "$("$ZCTL" write $SYS/zloop/zone_readonly $((RO_ZONE * ZS)))" OK "zone_readonly"
        fi
    done
    expect_eq "$("$ZCTL" write $SYS/zloop/zone_offline $((OFFLINE_ZONE * ZS)))" OK "zone_offline"
    # what boot 2 must find, seen here first
    expect_eq "$(cond_of $OFFLINE_ZONE)" 15 "condition of zone $OFFLINE_ZONE before the reboot"
    expect_eq "$(cond_of $RO_ZONE)" 13 "condition of zone $RO_ZONE before the reboot"
    expect_eq "$(sed -n 's/^max_active_zones=//p' "$BASE/0/zloop_rs.device")" 3 "max_active_zones in zloop_rs.device"
    ((nfail == 0)) || exit 1
    sync
    unload
    sync
    umount /var/local || fail "umount /var/local"
    ((nfail == 0)) || exit 1
    touch "$state/boot1-done"
    log "boot 1 done: data written, zone $OFFLINE_ZONE offline, zone $RO_ZONE read-only, removed"
}

boot2() {
    [[ -s $state/expect ]] || die "no $state/expect from boot 1"
    [[ -f $BASE/0/zloop_rs.device ]] || die "no $BASE/0/zloop_rs.device after the reboot"
    load
    add "add id=0,base_dir=$BASE"
    expect_eq "$(cat $SYS/queue/max_active_zones)" 3 "queue/max_active_zones"
    expect_eq "$(cat $SYS/queue/max_open_zones)" 2 "queue/max_open_zones"
    expect_eq "$(cat $SYS/zloop/max_active_zones)" 3 "zloop/max_active_zones"
    expect_eq "$(cond_of $OFFLINE_ZONE)" 15 "blkzone condition of zone $OFFLINE_ZONE (offline)"
    expect_eq "$(cond_of $RO_ZONE)" 13 "blkzone condition of zone $RO_ZONE (read-only)"
    local z size sum n=0
    while read -r z size sum; do
        n=$((n + 1))
        [[ ${DATA[$z]:-} == "$size" ]] || fail "expect line '$z $size': not what this script writes"
        expect_eq "$(sum_dev "$z")" "$sum" "sha256 of the $size bytes of zone $z"
        # a partly written zone comes back closed, write pointer at its data
        [[ $z == "$RO_ZONE" ]] || expect_eq "$(zone_line "$z")" "$((size / 512)) 4" "write pointer and condition of zone $z"
    done < "$state/expect"
    expect_eq "$n" 3 "zones recorded by boot 1"
    expect_eq "$(write_err $RO_ZONE "${DATA[$RO_ZONE]}")" EIO "write to the read-only zone"
    expect_eq "$(write_err $OFFLINE_ZONE 0)" EIO "write to the offline zone"
    expect_eq "$(cond_of $RO_ZONE)" 13 "condition of zone $RO_ZONE after the refused write"
    expect_eq "$(sum_dev $RO_ZONE)" "$(pattern $RO_ZONE | sha256sum | cut -d' ' -f1)" "data of the read-only zone after the refused write"
    # the limit is enforced, not only shown: zones 2 and 3 are closed (active),
    # zone 6 makes 3 active zones, zone 7 would be a fourth
    expect_eq "$(write_err 6 0)" OK "write to zone 6 (third active zone)"
    expect_eq "$(write_err 7 0)" EOVERFLOW "write to zone 7 (fourth active zone)"
    expect_eq "$(cond_of 7)" 1 "condition of zone 7 after the refused write"
    unload
    ((nfail == 0)) || exit 1
    log "boot 2 checks passed"
}

log "boot $boot: $(uname -r)"
[[ -x $ZCTL ]] || die "no $ZCTL (tools/test builds it)"
case $boot in
1) boot1 ;;
2) boot2 ;;
*) die "usage: guest.sh STATE_DIR 1|2" ;;
esac
