# SPDX-License-Identifier: GPL-2.0
# Malformed control input, differential against the C zloop (issue 10, item 1).
#
# A seeded corpus of control commands (tests/tools/gen-control-corpus.py:
# random bytes; truncated, oversized and repeated tokens; 2^31, 2^32, 2^63 and
# 2^64 boundaries; negative, hex and octal numbers; conflicting options;
# empty, NUL-embedded and whitespace-padded strings; base_dir with "..",
# symlinks, loops, missing directories and files where directories go; writes
# of PAGE_SIZE - 1, PAGE_SIZE and PAGE_SIZE + 1 bytes) is written to
# /dev/zloop-control of zloop_rs and then of the C zloop, one write(2) per
# command, each on a fresh fixture (tests/tools/control-corpus-run.py). Per
# command: the result (OK or the errno), which device appeared or went away
# (only an accepted add/remove may change that), which files appeared (only
# the zone files of the add, in its id directory; nothing else may change);
# every device left is then removed, which must succeed. The two result lists
# must be identical except for documented deviations; no kernel report.
#
# Cost: about 1,200 commands per driver, of which about 200 create and remove
# a small device (most of the time, in an emulated VM). Measured: 204 s on the
# default kernel (about 90 s per driver). ZLOOP_CORPUS_SEED and ZLOOP_CORPUS_COUNT select
# another corpus; the corpus, both result lists and the generator's statistics
# stay in tests/out/logs/21-control-corpus/ for the host.
# shellcheck shell=bash

CORPUS_SEED=${ZLOOP_CORPUS_SEED:-10}
CORPUS_COUNT=${ZLOOP_CORPUS_COUNT:-1200}
# kernel reports (the list of tests/guest/run.sh)
CORPUS_KREPORT='(WARNING:|BUG:|Oops|kernel BUG|general protection fault|KASAN:|UBSAN:|KFENCE:|possible circular locking|possible recursive locking|inconsistent lock state|blocked for more than|rust_kernel: panicked|Call Trace:)'

test_malformed_control_input_matches_c_zloop() {
    need_cmd python3 zctl
    local gen=$TOP/tests/tools/gen-control-corpus.py run=$TOP/tests/tools/control-corpus-run.py
    local dir=$OUT/logs/21-control-corpus drv out rc bad
    rm -rf "$dir"
    mkdir -p "$dir" || fail "cannot create $dir"
    # the fixture (the runner rebuilds it per command, and removes it at the end)
    trap 'rm -rf /var/local/zloop-corpus' EXIT
    python3 "$gen" --seed "$CORPUS_SEED" --count "$CORPUS_COUNT" --stats --out "$dir/corpus.txt" \
        2> "$dir/stats.txt" || fail "corpus generator: $(tail -n 1 "$dir/stats.txt")"
    expect_eq "$(grep -vc '^#' "$dir/corpus.txt")" "$CORPUS_COUNT" "commands in the corpus"
    note "corpus: seed $CORPUS_SEED, $CORPUS_COUNT commands; $(grep '^model:' "$dir/stats.txt")"

    # without a driver: the fixture resolves as the generator's model says,
    # and zctl decodes the escaped commands to the bytes that are written
    out=$(python3 "$run" selfcheck "$dir/corpus.txt" --zctl "$(command -v zctl)") \
        || fail "corpus self-check: $(tr '\n' ' ' <<< "$out")"
    note "$out"

    for drv in rs c; do
        load "$drv"
        dmesg_mark
        out=$(python3 "$run" run "$dir/corpus.txt" "$dir/$drv.txt") \
            || fail "$drv: the corpus run stopped: $out"
        note "$drv: $out"
        klog
        bad=$(grep -E "$CORPUS_KREPORT" <<< "$KLOG" | head -n 3)
        [[ -z $bad ]] || fail "$drv: kernel report during the corpus: $bad"
        expect_eq "$(dev_ids)" "" "$drv: zloop disks after the corpus"
        unload_all
    done

    out=$(python3 "$run" compare "$dir/corpus.txt" "$dir/rs.txt" "$dir/c.txt")
    rc=$?
    printf '%s\n' "$out" | sed 's/^/# /' >&2
    if [[ $rc != 0 ]]; then
        bad=$(grep -m1 '^mismatch: ' <<< "$out" | cut -c11-)
        fail "${bad:-compare exited $rc: $(tail -n 1 <<< "$out")} ($(grep -c '^mismatch: ' <<< "$out") mismatches shown in the log; files in $dir)"
    fi
}
