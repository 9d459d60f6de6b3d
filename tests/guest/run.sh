#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-VM test suite (run by tools/test through tools/vm). Runs every
# `test_*` function of tests/guest/[0-9]*.sh, in file and declaration order, each
# in its own shell, process group and private /tmp, with a timeout, and prints
# one line per test:
#   PASS guest/<file>/<test> (<seconds>s)
#   SKIP guest/<file>/<test> (<seconds>s): <reason>
#   FAIL guest/<file>/<test> (<seconds>s): <reason>
# then "guest: N passed, N failed, N skipped".
#
# A test skips by exiting 77 after printing "SKIP: <reason>" (lib.sh: skip).
# A test fails when it exits non-zero otherwise, when its log has a "FAIL: "
# line (a failure in a subshell that the test did not propagate), when the
# kernel log it caused shows a warning, BUG, oops or lockdep/kmemleak report
# or lost its marker, and when the cleanup after it fails (reason "cleanup:
# ..."): a leaked disk, module reference, mount or process.
#
# Usage: run.sh [PATTERN...]   only tests whose name matches one of the
#                              extended regexps; none matching is a failure
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

mount_list() { awk '{print $1, $2, $3}' /proc/self/mounts; }
# new_mounts BEFORE: mount points mounted since mount_list printed BEFORE, last first
new_mounts() {
    # through the environment: awk -v would unescape the \040 of a path
    mount_list | MOUNTS_BEFORE=$1 awk '
        BEGIN { n = split(ENVIRON["MOUNTS_BEFORE"], b, "\n"); for (i = 1; i <= n; i++) seen[b[i]]++ }
        seen[$0] > 0 { seen[$0]--; next }
        { print $2 }' | tac
}

# cleanup PGID LOG MOUNTS-BEFORE: leaves a clean slate for the next test and
# adds to `problems` what could not be cleaned up, which would otherwise
# surface later as someone else's failure, or nowhere.
cleanup() {
    local pg=$1 log=$2 before=$3 left m out rc i
    # a file system left frozen (a test killed before its thaw) would hang
    # everything below; thawing one that is not frozen fails
    if fsfreeze -u /var/local 2> /dev/null; then problems+=("cleanup: /var/local was left frozen"); fi
    # processes the test left running (background jobs)
    left=$(pgrep -g "$pg" -l | awk '{print $2}' | sort -u | paste -sd ' ' -)
    if [[ -n $left ]]; then
        problems+=("cleanup: processes left running: $left")
        kill -KILL -- "-$pg" 2> /dev/null
        for ((i = 0; i < 100; i++)); do pgrep -g "$pg" > /dev/null || break; sleep 0.1; done
    fi
    # mounts (file systems under test, base directories on ramfs/tmpfs, ...)
    for m in $(new_mounts "$before"); do
        umount "$m" >> "$log" 2>&1 && continue
        umount -l "$m" >> "$log" 2>&1
        problems+=("cleanup: $m was busy (lazily unmounted)")
    done
    out=$(bash -c 'source "$1"; unload_all' _ "$G/lib.sh" 2>&1)
    rc=$?
    if [[ $rc != 0 ]]; then
        m=$(grep -m1 '^FAIL: ' <<< "$out" | cut -c7-)
        problems+=("cleanup: ${m:-unload_all exited $rc}")
    fi
    printf '# cleanup\n%s\n' "$out" >> "$log"
    [[ -z $(dev_ids) ]] || problems+=("cleanup: zloop disks left: $(dev_ids)")
    # the drivers, and the test modules (tests/kmod) that tests load
    for m in /sys/module/zloop*; do
        [[ -e $m ]] || continue
        problems+=("cleanup: module ${m##*/} still loaded")
        rmmod "${m##*/}" >> "$log" 2>&1
    done
    rm -rf "${BASE:?}"/* >> "$log" 2>&1 || problems+=("cleanup: cannot empty $BASE")
}

passed=0 failed=0 skipped=0 selected=0
for file in "$G"/[0-9]*.sh; do
    short=$(basename "$file" .sh)
    for fn in $(grep -oE '^test_[A-Za-z0-9_]+' "$file"); do
        name=guest/$short/${fn#test_}
        matches "$name" "$@" || continue
        selected=$((selected + 1))
        log=$OUT/logs/${short}.${fn#test_}.log
        problems=()
        dmesg_mark
        echo "zloop-rs-test: start $name" > /dev/kmsg
        # a private /tmp: no file of an earlier test can satisfy a check
        private_tmp=1
        mount -t tmpfs -o mode=1777 zloop-rs-tmp /tmp || { private_tmp=0; problems+=("harness: cannot mount a private /tmp"); }
        mounts_before=$(mount_list)
        t0=$(date +%s.%N)
        # in the background so that its pid, the process group timeout makes,
        # is known: what the test leaves running is found and killed by it
        timeout -k 10 "$per_test_timeout" bash -c 'source "$1"; source "$2"; cd /tmp; "$3"' _ \
            "$G/lib.sh" "$file" "$fn" > "$log" 2>&1 < /dev/null &
        tpid=$!
        wait "$tpid"
        rc=$?
        t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
        # the test's own verdict (before cleanup adds to its log)
        first_fail=$(grep -m1 '^FAIL: ' "$log" | cut -c7-)
        skip_reason=$(grep -m1 '^SKIP: ' "$log" | cut -c7-)
        outcome=PASS reasons=()
        if [[ $rc == 124 || $rc == 137 ]]; then
            outcome=FAIL reasons+=("timed out after ${per_test_timeout}s")
        elif [[ -n $first_fail ]]; then
            outcome=FAIL
            if [[ $rc == 0 ]]; then reasons+=("failure ignored by the test (in a subshell?): $first_fail")
            else reasons+=("$first_fail"); fi
        elif [[ $rc == 77 && -n $skip_reason ]]; then
            outcome=SKIP reasons+=("$skip_reason")
        elif [[ -n $skip_reason ]]; then
            # what could not run must not pass
            outcome=FAIL reasons+=("skip ignored by the test (in a subshell?), exit $rc: $skip_reason")
        elif [[ $rc != 0 ]]; then
            outcome=FAIL reasons+=("exit $rc: $(tail -n 1 "$log")")
        fi
        cleanup "$tpid" "$log" "$mounts_before"
        if [[ $private_tmp == 1 ]] && ! umount /tmp >> "$log" 2>&1; then
            umount -l /tmp >> "$log" 2>&1
            problems+=("cleanup: the private /tmp was busy (lazily unmounted)")
        fi
        echo "zloop-rs-test: end $name" > /dev/kmsg
        if klog=$(dmesg_since_mark); then
            kerr=$(grep -E "$bad_re" <<< "$klog" | head -n 3)
            [[ -z $kerr ]] || problems+=("kernel log: $kerr")
        else
            problems+=("kernel log marker lost (log buffer wrapped?)")
        fi
        # a harness problem fails a test that passed or skipped; a failed
        # test keeps its own reason first
        if [[ ${#problems[@]} -gt 0 ]]; then
            [[ $outcome == FAIL ]] || reasons=()
            outcome=FAIL reasons+=("${problems[@]}")
        fi
        reason=$(printf '%s; ' "${reasons[@]}")
        reason=${reason%; }
        case $outcome in
        PASS)
            echo "PASS $name (${t}s)"
            passed=$((passed + 1)) ;;
        SKIP)
            echo "SKIP $name (${t}s): $reason"
            skipped=$((skipped + 1)) ;;
        FAIL)
            echo "$klog" > "$log.dmesg"
            echo "FAIL $name (${t}s): ${reason//$'\n'/ | }"
            sed 's/^/    | /' "$log" | tail -n 15
            failed=$((failed + 1)) ;;
        esac
    done
done
# Debug kernels: a kmemleak scan after every test ran. A leak is ours, and
# fails the suite, when its report mentions zloop, was allocated by a task of
# the test helpers (zctl), or has a stack frame kmemleak cannot name: code of
# a module that is unloaded by now (only the tests load and unload modules
# here, and zloop_rs itself is unloaded after every test, so its frames are
# bare addresses). Other reports are only counted (kernel-wide noise).
kml=/sys/kernel/debug/kmemleak
if [[ -e $kml ]] && matches "guest/zz/kmemleak" "$@"; then
    selected=$((selected + 1))
    sleep 6          # kmemleak only reports objects older than 5 s
    echo scan > $kml
    echo scan > $kml
    cat $kml > "$OUT/logs/kmemleak.txt"
    nleaks=$(grep -c '^unreferenced object' "$OUT/logs/kmemleak.txt")
    zleaks=$(awk '/^unreferenced object/ { rep++ }
        /zloop|comm "zctl"|\] 0x[0-9a-f]+$/ { ours[rep] = 1 }
        END { n = 0; for (r in ours) n++; print n }' "$OUT/logs/kmemleak.txt")
    if [[ $zleaks -gt 0 ]]; then
        echo "FAIL guest/zz/kmemleak: $zleaks leak reports from zloop, zctl or unloaded modules (see tests/out/logs/kmemleak.txt)"
        failed=$((failed + 1))
    else
        echo "PASS guest/zz/kmemleak ($nleaks kernel-wide reports, none from zloop)"
        passed=$((passed + 1))
    fi
fi
# a pattern that selects nothing must not end in a clean "0 failed"
if [[ $# -gt 0 && $selected == 0 ]]; then
    echo "FAIL guest/no-test-matched: no guest test matches: $*"
    failed=$((failed + 1))
fi
echo "guest: $passed passed, $failed failed, $skipped skipped"
[[ $failed == 0 ]]
