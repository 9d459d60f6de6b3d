#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Power cut (issue 10 item 4), run on the host by tools/test: boots VMs one
# after the other on ONE kept disk image (tools/vm --disk-image) and kills
# QEMU (SIGKILL, no shutdown) while tests/powercut/guest.py writes to a
# zloop_rs device on it. Every boot first checks what the previous one left
# (flushed data intact, write pointer = file size, see guest.py), then
# writes until killed. The last boot checks, runs fio verify and removes.
#
#   tests/powercut/run.sh NAME KILLS [--discard] [tools/vm flags...]
#
# Kill 1 is the fixed scenario (write + flush, write more without a flush,
# kill); kills 2..KILLS come at random points 0-8 s into a running workload.
# Prints "PASS powercut/NAME" or "FAIL powercut/NAME: reason".
# What it does not emulate: QEMU runs the image with cache=none, so writes
# the guest's disk completed are in the host file when QEMU dies; what a kill
# loses is what was still in the guest (page cache, the backing file
# system's unwritten log, requests not yet submitted), not a disk cache.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tools/lib.sh"

name=$1 kills=$2
shift 2
mode=()
if [[ ${1:-} == --discard ]]; then mode=(--discard); shift; fi
vm_flags=("$@")

dir=$ZLOOP_TOP/tests/out/powercut/$name
rm -rf "$dir"
mkdir -p "$dir/state"
img=$dir/disk.img
logs=$dir/boots.log
: > "$logs"

fail() {
    echo "FAIL powercut/$name: $*"
    pkill -KILL -f "qemu-system.*file=$img," 2> /dev/null || true
    exit 1
}

# boot N ARGS...: one VM on the image, in the background; sets vm_pid
boot() {
    local n=$1
    shift
    rm -f "$dir/state/ready"
    "$ZLOOP_TOP/tools/vm" "${vm_flags[@]}" --disk-image "$img" --disk-size 2G --timeout 600 \
        --rwdir "$dir/state" --console "$dir/console-$n.log" -- \
        env ZLOOP_TOP="$ZLOOP_TOP" python3 tests/powercut/guest.py "$dir/state" "$@" \
        > "$dir/boot-$n.out" 2>&1 &
    vm_pid=$!
}

seen=0 # lines of state/guest.log from the boots already checked
for ((k = 1; k <= kills; k++)); do
    if [[ $k == 1 ]]; then boot "$k" "${mode[@]}" --fixed; else boot "$k" "${mode[@]}"; fi
    # wait for "ready": the first flushed round and one unflushed round are done
    for ((t = 0; t < 1200; t++)); do
        [[ -e $dir/state/ready ]] && break
        kill -0 "$vm_pid" 2> /dev/null || break
        sleep 0.5
    done
    if [[ ! -e $dir/state/ready ]]; then
        wait "$vm_pid" || true
        new=$(sed -n "$((seen + 1)),\$p" "$dir/state/guest.log" 2> /dev/null)
        grep -q '^FAIL' <<< "$new" &&
            fail "after kill $((k - 1)): $(grep -m3 '^FAIL' <<< "$new" | paste -sd ';' -)"
        fail "boot $k never became ready (see $dir/boot-$k.out, console-$k.log)"
    fi
    if [[ $k -gt 1 ]]; then sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", r % 80 / 10 }')"; fi
    pkill -KILL -f "qemu-system.*file=$img," || fail "no QEMU to kill at kill $k"
    wait "$vm_pid" || true
    seen=$(wc -l < "$dir/state/guest.log")
    if grep -Eq "$KERNEL_BAD_RE" "$dir/console-$k.log"; then
        fail "boot $k: the kernel log reports a problem: $(grep -Em1 "$KERNEL_BAD_RE" "$dir/console-$k.log")"
    fi
    echo "kill $k: $(wc -l < "$dir/state/log") log lines" >> "$logs"
done

boot final "${mode[@]}" --final
rc=0
wait "$vm_pid" || rc=$?
if [[ $rc != 0 ]]; then
    why=$(sed -n "$((seen + 1)),\$p" "$dir/state/guest.log" | grep -m3 '^FAIL' | paste -sd ';' -)
    fail "final boot exit $rc: ${why:-see $dir/boot-final.out}"
fi
grep -q 'final check and fio verify passed' "$dir/state/guest.log" ||
    fail "final boot did not report its check (see $dir/boot-final.out)"
checks=$(find "$dir/state" -name 'check-*' | wc -l)
[[ $checks == $((kills + 1)) ]] || fail "$checks checks ran, want $((kills + 1))"
rm -f "$img"
echo "PASS powercut/$name"
