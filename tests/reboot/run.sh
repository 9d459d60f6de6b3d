#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Reboot test (issue 12: the active-zone limit, the zone conditions and the
# data persist across a VM reboot, not only across remove + re-add), run on
# the host by tools/test: two VM boots one after the other on ONE kept disk
# image (tools/vm --disk-image), each running tests/reboot/guest.sh.
# Boot 1 adds a device with max_active_zones=3,max_open_zones=2, writes data,
# makes one zone offline and one read-only, removes it and shuts down; boot 2
# adds it with "add id=0,base_dir=..." alone and checks limits, conditions,
# data and write pointers (see guest.sh).
#
#   tests/reboot/run.sh NAME [tools/vm flags...]
#
# Prints, as its last line, "PASS reboot/NAME" or "FAIL reboot/NAME: reason".
# Logs: tests/out/reboot/NAME/ (boot-N.out, console-N.log, state/guest.log).
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tools/lib.sh"

name=$1
shift
vm_flags=("$@")

dir=$ZLOOP_TOP/tests/out/reboot/$name
rm -rf "$dir"
mkdir -p "$dir/state"
img=$dir/disk.img

fail() {
    echo "FAIL reboot/$name: $*"
    exit 1
}

# boot N: one VM on the image running guest.sh for boot N; fails the test
# unless it exits 0 with a clean kernel log
boot() {
    local n=$1 rc=0 why
    "$ZLOOP_TOP/tools/vm" ${vm_flags[@]+"${vm_flags[@]}"} --disk-image "$img" --disk-size 2G --timeout 600 \
        --rwdir "$dir/state" --console "$dir/console-$n.log" -- \
        env ZLOOP_TOP="$ZLOOP_TOP" bash tests/reboot/guest.sh "$dir/state" "$n" \
        > "$dir/boot-$n.out" 2>&1 || rc=$?
    why=$(grep "^FAIL boot $n:" "$dir/state/guest.log" 2> /dev/null | head -n 3 | paste -sd ';' -) || true
    [[ -z $why ]] || fail "$why"
    if grep -Eq "$KERNEL_BAD_RE" "$dir/console-$n.log"; then
        fail "boot $n: the kernel log reports a problem: $(grep -Em1 "$KERNEL_BAD_RE" "$dir/console-$n.log")"
    fi
    [[ $rc == 0 ]] || fail "boot $n: tools/vm exit $rc (see $dir/boot-$n.out, console-$n.log)"
}

boot 1
[[ -e $dir/state/boot1-done ]] || fail "boot 1 did not finish (see $dir/state/guest.log, boot-1.out)"
boot 2
grep -q '^boot 2 checks passed' "$dir/state/guest.log" ||
    fail "boot 2 did not report its checks (see $dir/state/guest.log, boot-2.out)"
rm -f "$img"
echo "PASS reboot/$name"
