# SPDX-License-Identifier: GPL-2.0
# Helpers for the in-VM tests. Sourced by tests/guest/run.sh and by every test.
# shellcheck shell=bash

TOP=${ZLOOP_TOP:?}
KDIR=${ZLOOP_KDIR:?}
OUT=${ZLOOP_OUT:-$TOP/tests/out}
BIN=$OUT/bin
RS_KO=$TOP/zloop_rs.ko
C_KO=$KDIR/drivers/block/zloop.ko
CTL=/dev/zloop-control
BASE=/var/local/zloop
export PATH=$BIN:$PATH

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }
# skip REASON: the test cannot run here (a tool or kernel feature it needs is
# missing). Exit status 77 plus this line make run.sh report SKIP, never PASS.
skip() { echo "SKIP: $*" >&2; exit 77; }
# need_cmd CMD...: tools the suite requires (tools/deps.sh installs them on
# the host): a missing one fails the test instead of letting a check pass
# vacuously. want_cmd: the same for genuinely optional tools, which skip.
need_cmd() { local c; for c in "$@"; do command -v "$c" > /dev/null || fail "$c missing (tools/deps.sh installs it)"; done; }
want_cmd() { local c; for c in "$@"; do command -v "$c" > /dev/null || skip "$c missing"; done; }

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    [[ $1 == "$2" ]] || fail "$3: got '$1', want '$2'"
}

# ---- modules ------------------------------------------------------------
# kernel_at_least MAJOR MINOR: the running kernel is that version or newer
kernel_at_least() {
    local v maj min
    v=$(uname -r); maj=${v%%.*}; v=${v#*.}; min=${v%%[!0-9]*}
    (( maj > $1 || (maj == $1 && min >= $2) ))
}
mod_loaded() { [[ -d /sys/module/$1 ]]; }

# ids of the zloop disks, ascending, space-separated ("0 2")
dev_ids() {
    local d
    for d in /sys/block/zloop*; do [[ -e $d ]] && echo "${d##*/zloop}"; done | sort -n | paste -sd ' ' -
}

# remove_all_devices: removes every zloop disk; says which could not be
# removed (on stderr) and returns 1 if any.
remove_all_devices() {
    local id r bad=0
    if [[ ! -e $CTL ]]; then
        [[ -z $(dev_ids) ]] && return 0
        echo "zloop disks $(dev_ids) but no $CTL" >&2
        return 1
    fi
    for id in $(dev_ids); do
        r=$(zctl write "$CTL" "remove id=$id")
        [[ $r == OK ]] || { echo "remove id=$id: $r" >&2; bad=1; }
    done
    # settle only waits for udev's probes of the removed disks: not a check
    udevadm settle 2>/dev/null || true
    return $bad
}

unload_all() {
    remove_all_devices || fail "could not remove every zloop disk"
    if mod_loaded zloop_rs; then rmmod zloop_rs || fail "rmmod zloop_rs"; fi
    if mod_loaded zloop; then rmmod zloop || fail "rmmod zloop"; fi
}

# load_rs / load_c: make exactly that driver the owner of /dev/zloop-control.
load_rs() {
    unload_all
    insmod "$RS_KO" || fail "insmod zloop_rs.ko"
    wait_for "$CTL"
}
# load_hooks: zloop_rs built with its test hooks (`make ZLOOP_TEST_HOOKS=1`,
# set with `test <hook>=<value>` on the control file), as the only driver.
load_hooks() {
    local ko=$OUT/hooks/zloop_rs.ko
    unload_all
    [[ -f $ko ]] || fail "$ko missing (tools/test builds it)"
    insmod "$ko" || fail "insmod $ko"
    wait_for "$CTL"
}
load_c() {
    unload_all
    insmod "$C_KO" || fail "insmod zloop.ko"
    wait_for "$CTL"
}
# load DRIVER (rs|c)
load() { case $1 in rs) load_rs ;; c) load_c ;; *) fail "unknown driver $1" ;; esac; }

wait_for() { # path [tenths of a second]
    local i
    for ((i = 0; i < ${2:-50}; i++)); do
        [[ -e $1 ]] && return 0
        sleep 0.1
    done
    fail "$1 did not appear"
}
wait_gone() { # path
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -e $1 ]] || return 0
        sleep 0.1
    done
    fail "$1 did not go away"
}

# The options zloop_rs lists after the upstream ones, at the end of the add
# line of its control text (options.rs: FIRST_ADDITION on).
RS_CTL_ADDITIONS=',max_active_zones=%u'
# ctl_text_upstream_part FILE: control text read into FILE, without the
# zloop_rs additions at the end of its add line: the C zloop's text. The
# additions are matched as a literal string, not a pattern.
ctl_text_upstream_part() {
    awk -v add="$RS_CTL_ADDITIONS" '
        NR == 1 && length($0) >= length(add) && substr($0, length($0) - length(add) + 1) == add {
            $0 = substr($0, 1, length($0) - length(add))
        }
        { print }' "$1"
}

# ctl COMMAND: write one command to the control file, print OK or the errno name.
ctl() { zctl write "$CTL" "$1"; }
# ctl_ok COMMAND: the command must succeed.
ctl_ok() {
    local r
    r=$(ctl "$1")
    [[ $r == OK ]] || fail "'$1' failed with $r"
}
# ctl_err ERRNO COMMAND: the command must fail with ERRNO.
ctl_err() {
    local r
    r=$(ctl "$2")
    [[ $r == "$1" ]] || fail "'$2': got $r, want $1"
}

# ---- kernel log -------------------------------------------------------------
# dmesg_mark writes a unique marker line to the kernel log and remembers it in
# DMESG_MARK (this shell and its subshells; a mark set in a subshell does not
# move its parent's). A line count would silently give an empty window once
# the log buffer wraps; a marker is either found or reported lost.
DMESG_MARK_N=0
dmesg_mark() {
    DMESG_MARK_N=$((DMESG_MARK_N + 1))
    DMESG_MARK="zloop-rs-mark: $BASHPID.$DMESG_MARK_N.$(date +%s%N)"
    echo "$DMESG_MARK" > /dev/kmsg
}
# dmesg_since_mark: the kernel log lines after the (last) marker line. If the
# marker is not in the log, prints one line saying so and returns 1: callers
# must fail then (klog does; run.sh fails the test).
dmesg_since_mark() {
    dmesg | awk -v m="${DMESG_MARK:-}" '
        m != "" && length($0) >= length(m) && substr($0, length($0) - length(m) + 1) == m { found = 1; n = 0; next }
        found { line[++n] = $0 }
        END {
            if (!found) { print "zloop-rs-mark LOST: kernel log marker lost (log buffer wrapped?)"; exit 1 }
            for (i = 1; i <= n; i++) print line[i]
        }'
}
# klog: the kernel log since the mark, into KLOG; fails the test when the
# marker is lost (so a check can never look at an empty window).
klog() { KLOG=$(dmesg_since_mark) || fail "kernel log marker lost (log buffer wrapped?)"; }
# klog_has ERE: whether a kernel log line since the mark matches (extended regexp)
klog_has() { klog; grep -qE -- "$1" <<< "$KLOG"; }

# ---- devices ------------------------------------------------------------
# dev_add ID [OPTIONS]: mkdir BASE/ID, "add id=ID,OPTIONS", wait for /dev/zloopID.
dev_add() {
    local id=$1 opts=${2:-}
    mkdir -p "$BASE/$id"
    ctl_ok "add id=$id${opts:+,$opts}"
    wait_for "/dev/zloop$id"
    udevadm settle 2>/dev/null || true
}
# dev_remove ID
dev_remove() {
    ctl_ok "remove id=$1"
    wait_gone "/dev/zloop$1"
}

# zstate DEV ZONE: "<cond> <wp relative to the zone start, or -1>" from BLKREPORTZONE.
zstate() {
    zctl report "$1" "$2" 1 | awk '{ print $5, ($4 == -1 ? -1 : $4 - $2) }'
}
# expect_zone DEV ZONE COND WP: zone condition (number) and relative wp (sectors).
expect_zone() {
    local got
    got=$(zstate "$1" "$2")
    [[ $got == "$3 $4" ]] || fail "zone $2 of $1: got cond/wp '$got', want '$3 $4'"
}
# Zone conditions (BLK_ZONE_COND_*).
NOT_WP=0 EMPTY=1 IMP_OPEN=2 EXP_OPEN=3 CLOSED=4 FULL=14

# zop OP DEV ZONE: zone management ioctl, prints OK or the errno name.
zop() { zctl zone "$1" "$2" "$3"; }
zop_ok() { local r; r=$(zop "$@"); [[ $r == OK ]] || fail "zone $1 of zone $3: $r"; }
zop_err() { local e=$1 r; shift; r=$(zop "$@"); [[ $r == "$e" ]] || fail "zone $1 of zone $3: got $r, want $e"; }

# wp_xattr FILE: the write pointer recorded in FILE's user.zloop.wp
# (discard_write_cache; absolute sector, a native-endian u64), or "none".
# getfattr -d lists nothing (status 0) when there is no such attribute; a
# failure to read the file must not pass as "none".
wp_xattr() {
    local out hex le="" i
    out=$(getfattr --absolute-names -d -m '^user\.zloop\.wp$' -e hex "$1") || fail "getfattr $1 failed"
    hex=$(sed -n 's/^user\.zloop\.wp=0x//p' <<< "$out")
    [[ -n $hex ]] || { echo none; return; }
    [[ ${#hex} == 16 ]] || fail "user.zloop.wp of $1 is not a u64: 0x$hex"
    for ((i = 14; i >= 0; i -= 2)); do le+=${hex:$i:2}; done
    echo $((16#$le))
}

# immutable_zone OPTIONS ZONE: zloop_rs device 0 made with OPTIONS (zones of
# 64 MiB), 1 MiB of pattern 1 written to sequential zone ZONE, then its file
# made immutable (chattr +i; the EXIT trap undoes it). The file in IMM_FILE.
immutable_zone() {
    need_cmd chattr
    load_rs
    dev_add 0 "$1"
    IMM_FILE=$(printf '%s/0/seq-%06d' "$BASE" "$2")
    zctl pwrite /dev/zloop0 $(($2 << 26)) 1048576 1 | grep -qx OK || fail "write to zone $2"
    trap 'chattr -i '"$IMM_FILE"' 2> /dev/null' EXIT
    chattr +i "$IMM_FILE" || fail "chattr +i"
}

# pw / pr FILE OFF LEN SEED: O_DIRECT pattern write / checked read (bytes).
pw() { zctl pwrite "$@"; }
pr() { zctl pread "$@"; }
pw_ok() { local r; r=$(pw "$@"); [[ $r == OK ]] || fail "write $* -> $r"; }
pr_ok() { local r; r=$(pr "$@"); [[ $r == OK ]] || fail "read $* -> $r"; }

# appends ZONE LEN COUNT BATCH [SEED]: COUNT zone appends of LEN bytes to zone
# ZONE of $D, BATCH at a time, issued in the kernel by
# tests/kmod/zloop_rs_append_test.ko; prints "<i> <sector> <status> <data>"
# per append (sector -1 and a negative errno as status when it failed).
# (Runs in command substitutions: a failure here also fails the test through
# its FAIL line, see run.sh.)
APPEND_KO=$TOP/tests/kmod/zloop_rs_append_test.ko
appends() {
    dmesg_mark
    insmod "$APPEND_KO" dev="${D:?}" zone="$1" len="$2" count="$3" batch="$4" seed="${5:-1}" \
        || fail "insmod zloop_rs_append_test"
    rmmod zloop_rs_append_test || fail "rmmod zloop_rs_append_test"
    klog
    grep -q "zloop_append_test: done count=$3 " <<< "$KLOG" || fail "no 'done' line from zloop_rs_append_test"
    sed -nE 's/.*zloop_append_test: i=([0-9]+) sector=(-?[0-9]+) status=(-?[0-9]+) data=(.*)$/\1 \2 \3 \4/p' <<< "$KLOG"
}

# file_size PATH
file_size() { stat -c %s "$1"; }

# dev_md5 DEV SKIP COUNT: md5 of COUNT MiB of DEV from SKIP MiB (O_DIRECT). Fails
# (exit 1, also out of a command substitution) unless the range could be read:
# two failed reads must not compare equal.
dev_md5() {
    local sum
    sum=$(set -o pipefail; dd if="$1" bs=1M skip="$2" count="$3" iflag=direct status=none | md5sum) \
        || fail "cannot read $3 MiB at $2 MiB of $1"
    echo "${sum%% *}"
}

# both DRIVER-FUNCTION: run a function once per driver (rs then c), with DRV set.
for_both() {
    local fn=$1
    for DRV in rs c; do
        load "$DRV"
        rm -rf "${BASE:?}"/*
        "$fn" || fail "$fn failed with driver $DRV"
    done
}
