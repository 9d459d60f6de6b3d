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

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    [[ $1 == "$2" ]] || fail "$3: got '$1', want '$2'"
}

# ---- modules ------------------------------------------------------------
mod_loaded() { [[ -d /sys/module/$1 ]]; }

remove_all_devices() {
    local d id
    [[ -e $CTL ]] || return 0
    for d in /sys/block/zloop*; do
        [[ -e $d ]] || continue
        id=${d##*/zloop}
        zctl write "$CTL" "remove id=$id" > /dev/null
    done
    udevadm settle 2>/dev/null || true
}

unload_all() {
    remove_all_devices
    if mod_loaded zloop_rs; then rmmod zloop_rs || fail "rmmod zloop_rs"; fi
    if mod_loaded zloop; then rmmod zloop || fail "rmmod zloop"; fi
}

# load_rs / load_c: make exactly that driver the owner of /dev/zloop-control.
load_rs() {
    unload_all
    insmod "$RS_KO" || fail "insmod zloop_rs.ko"
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

# kernel log lines written since the mark
dmesg_mark() { dmesg | wc -l > "$OUT/.dmesg-mark"; }
dmesg_since_mark() { dmesg | tail -n +"$(( $(cat "$OUT/.dmesg-mark") + 1 ))"; }
