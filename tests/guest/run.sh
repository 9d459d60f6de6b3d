#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-VM test suite (run by tools/test through tools/vm). Runs every
# `test_*` function of tests/guest/[0-9]*.sh, in file and declaration order, each
# in its own shell with a timeout, and prints one line per test:
#   PASS guest/<file>/<test> (<seconds>s)
#   FAIL guest/<file>/<test> (<seconds>s): <reason>
# then "guest: N passed, N failed". A test also fails when the kernel log it
# caused shows a warning, BUG, oops or lockdep/kmemleak report.
#
# Usage: run.sh [PATTERN...]   only tests whose name matches one of the
#                              extended regexps
set -u
G=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ZLOOP_TOP=${ZLOOP_TOP:-$(cd "$G/../.." && pwd)}
export ZLOOP_OUT=${ZLOOP_OUT:-$ZLOOP_TOP/tests/out}
# shellcheck source=tests/guest/lib.sh
source "$G/lib.sh"
mkdir -p "$OUT/logs"

bad_re='(WARNING:|BUG:|Oops|kernel BUG|general protection fault|KASAN:|UBSAN:|KFENCE:|possible circular locking|possible recursive locking|inconsistent lock state|blocked for more than|rust_kernel: panicked|Call Trace:)'
per_test_timeout=${ZLOOP_TEST_TIMEOUT:-900}

matches() { # name patterns...
    local n=$1 p; shift
    [[ $# -eq 0 ]] && return 0
    for p in "$@"; do [[ $n =~ $p ]] && return 0; done
    return 1
}

passed=0 failed=0
for file in "$G"/[0-9]*.sh; do
    short=$(basename "$file" .sh)
    for fn in $(grep -oE '^test_[A-Za-z0-9_]+' "$file"); do
        name=guest/$short/${fn#test_}
        matches "$name" "$@" || continue
        log=$OUT/logs/${short}.${fn#test_}.log
        dmesg_mark
        echo "zloop-rs-test: start $name" > /dev/kmsg
        t0=$(date +%s.%N)
        timeout -k 10 "$per_test_timeout" bash -c 'source "$1"; source "$2"; cd /tmp; "$3"' _ \
            "$G/lib.sh" "$file" "$fn" > "$log" 2>&1
        rc=$?
        t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
        # leave a clean slate for the next test
        for m in $(mount | awk '$3 ~ /^\/tmp\/zl/ {print $3}' | sort -r); do umount "$m" || umount -l "$m"; done
        bash -c 'source "$1"; unload_all' _ "$G/lib.sh" >> "$log" 2>&1
        rm -rf "${BASE:?}"/*
        echo "zloop-rs-test: end $name" > /dev/kmsg
        kerr=$(dmesg_since_mark | grep -E "$bad_re" | head -n 3)
        reason=
        if [[ $rc == 124 || $rc == 137 ]]; then
            reason="timed out after ${per_test_timeout}s"
        elif [[ $rc != 0 ]]; then
            reason=$(grep -E '^FAIL: ' "$log" | tail -n 1 | cut -c7-)
            [[ -n $reason ]] || reason="exit $rc: $(tail -n 1 "$log")"
        elif [[ -n $kerr ]]; then
            reason="kernel log: $kerr"
        fi
        if [[ -n $kerr ]]; then dmesg_since_mark > "$log.dmesg"; fi
        if [[ -z $reason ]]; then
            echo "PASS $name (${t}s)"
            passed=$((passed + 1))
        else
            echo "FAIL $name (${t}s): ${reason//$'\n'/ | }"
            sed 's/^/    | /' "$log" | tail -n 15
            failed=$((failed + 1))
        fi
    done
done
# Debug kernels: a kmemleak scan after every test ran. A leak whose stack
# mentions zloop fails the suite; others are only noted (kernel-wide noise).
kml=/sys/kernel/debug/kmemleak
if [[ -e $kml ]] && { matches "guest/zz/kmemleak" "$@" || [[ $# -eq 0 ]]; }; then
    sleep 6          # kmemleak only reports objects older than 5 s
    echo scan > $kml
    echo scan > $kml
    cat $kml > "$OUT/logs/kmemleak.txt"
    nleaks=$(grep -c '^unreferenced object' "$OUT/logs/kmemleak.txt")
    zleaks=$(awk '/^unreferenced object/{keep=0} /zloop/{keep=1} keep' "$OUT/logs/kmemleak.txt" | grep -c zloop)
    if [[ $zleaks -gt 0 ]]; then
        echo "FAIL guest/zz/kmemleak: leak reports with zloop in their stack (see tests/out/logs/kmemleak.txt)"
        failed=$((failed + 1))
    else
        echo "PASS guest/zz/kmemleak ($nleaks kernel-wide reports, none from zloop)"
        passed=$((passed + 1))
    fi
fi
echo "guest: $passed passed, $failed failed"
[[ $failed == 0 ]]
