# SPDX-License-Identifier: GPL-2.0
# Self-describing devices (issue 12, item 4): an add stores the options of the
# device in <base_dir>/<id>/zloop_rs.device, and "add id=N" alone restores the
# device from it. Geometry that contradicts it is refused (EINVAL, one line
# naming the option, both values and the file); runtime options given
# override it and are stored; a command that gives geometry is complete (the
# runtime options it leaves out have their upstream defaults). A directory
# without the file (written by the C zloop) restores as it always did, and the
# C zloop restores a directory that has one. A file that is not a valid
# description is refused with EINVAL and a line naming it. (Format and rules:
# description.rs, Documentation/zloop_rs.rst section 6, deviations.md "Additions".)
# shellcheck shell=bash

ZB=$((64 << 20)) MB=1048576
D=/dev/zloop0
DESC=$BASE/0/zloop_rs.device
GEOM="capacity_mb=512,zone_size_mb=64,zone_capacity_mb=48,conv_zones=2"
RUNTIME="nr_queues=2,queue_depth=32,ordered_zone_append,max_open_zones=3"

# The description of "$GEOM,$RUNTIME", byte for byte.
GEOM_RUNTIME_TEXT="zloop_rs_device_format=1
capacity_mb=512
zone_size_mb=64
zone_capacity_mb=48
conv_zones=2
nr_queues=2
queue_depth=32
buffered_io=0
zone_append=1
ordered_zone_append=1
discard_write_cache=0
max_open_zones=3
max_active_zones=0
end"

# desc_value NAME: the value of NAME in the description of device 0
desc_value() {
    [[ -f $DESC ]] || fail "no $DESC"
    sed -n "s/^$1=//p" "$DESC"
}
sum_of() { md5sum < "$1" | cut -d' ' -f1; }
# klog_fixed TEXT: a kernel log line since the mark contains TEXT (no regexp)
klog_fixed() { klog; grep -qF -- "$1" <<< "$KLOG"; }
nr_tags() { cat /sys/block/zloop0/mq/0/nr_tags; }
nr_hw_queues() { ls /sys/block/zloop0/mq | wc -l; }
max_open() { cat /sys/block/zloop0/queue/max_open_zones; }
nr_zones() { cat /sys/block/zloop0/queue/nr_zones; }
# add_ok COMMAND: the add of device 0 succeeds and its disk is there
add_ok() {
    ctl_ok "$1"
    wait_for $D
    udevadm settle 2> /dev/null || true
}
# made DRV: device 0 with $GEOM (and $RUNTIME on zloop_rs) on driver DRV,
# zone 2 holding 1 MiB (pattern 2), zone 3 finished, then removed
made() {
    load "$1"
    if [[ $1 == rs ]]; then dev_add 0 "$GEOM,$RUNTIME"; else dev_add 0 "$GEOM"; fi
    pw_ok $D $((2 * ZB)) $MB 2
    zop_ok finish $D 3
    dev_remove 0
}

test_add_writes_the_description_file() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    [[ -f $DESC ]] || fail "no $DESC after add"
    expect_eq "$(cat "$DESC")" "$GEOM_RUNTIME_TEXT" "description file"
    expect_eq "$(tail -c 1 "$DESC" | od -An -c | tr -d ' ')" '\n' "last byte"
    expect_eq "$(stat -c %a "$DESC")" 644 "mode of the description"
    # besides the zone files, only the description: no temporary file left
    expect_eq "$(ls "$BASE/0" | grep -cE '^(cnv|seq)-[0-9]{6}$')" 8 "zone files"
    expect_eq "$(ls "$BASE/0" | grep -vE '^(cnv|seq)-[0-9]{6}$')" zloop_rs.device "other files"
    dev_remove 0
    expect_eq "$(cat "$DESC")" "$GEOM_RUNTIME_TEXT" "description file after remove"
}

test_add_with_only_the_id_restores_geometry_options_and_data() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    pw_ok $D 4096 8192 1                    # conventional zone 0
    pw_ok $D $((2 * ZB)) $MB 2              # zone 2: written
    zop_ok finish $D 3                      # zone 3: full
    dev_remove 0
    dmesg_mark
    add_ok "add id=0"
    klog_fixed "zloop0: described by $DESC" || fail "no 'described by' line"
    klog_has 'zloop0: 8 zones of 64 MiB, [0-9]+ B block size, ordered native zone append' \
        || fail "not announced with 8 zones of 64 MiB and ordered zone append"
    # geometry
    expect_eq "$(cat /sys/block/zloop0/size)" $((512 << 11)) "capacity"
    expect_eq "$(cat /sys/block/zloop0/queue/chunk_sectors)" $((64 << 11)) "zone size"
    expect_eq "$(nr_zones)" 8 "zones"
    zctl report $D > /tmp/report || fail "report failed"
    expect_eq "$(wc -l < /tmp/report)" 8 "zones reported"
    expect_eq "$(awk '$6 == 1' /tmp/report | wc -l)" 2 "conventional zones"
    expect_eq "$(awk '$6 == 2 && $7 == 98304' /tmp/report | wc -l)" 6 "sequential zones of 48 MiB capacity"
    expect_eq "$(blkzone report $D | grep -c 'cap 0x018000')" 6 "blkzone: zone capacity 48 MiB"
    # runtime options
    expect_eq "$(max_open)" 3 "max_open_zones"
    expect_eq "$(nr_tags)" 32 "queue depth"
    expect_eq "$(nr_hw_queues)" "$(( $(nproc) < 2 ? $(nproc) : 2 ))" "hardware queues"
    # zones and data
    expect_zone $D 2 $CLOSED 2048
    expect_zone $D 3 $FULL -1
    expect_zone $D 4 $EMPTY 0
    pr_ok $D 4096 8192 1
    pr_ok $D $((2 * ZB)) $MB 2
    # nothing changed: the file was not rewritten
    expect_eq "$(cat "$DESC")" "$GEOM_RUNTIME_TEXT" "description after the restore"
}

# Without an id, the description of the directory of the id chosen applies.
test_add_without_id_restores_the_chosen_directory() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    dev_remove 0
    add_ok "add"
    expect_eq "$(nr_zones)" 8 "zones"
    expect_eq "$(max_open)" 3 "max_open_zones"
}

# A re-add with identical options leaves the file alone (same inode: it was
# not replaced).
test_unchanged_description_is_not_rewritten() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    dev_remove 0
    local ino
    ino=$(stat -c %i "$DESC")
    add_ok "add id=0"
    dev_remove 0
    add_ok "add id=0,$GEOM,$RUNTIME"
    expect_eq "$(stat -c %i "$DESC")" "$ino" "inode of the description"
}

test_contradicting_geometry_is_einval_with_one_line() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    dev_remove 0
    local sum pair given stored
    sum=$(sum_of "$DESC")
    for pair in "capacity_mb=1024 capacity_mb=512" "capacity_mb=576 capacity_mb=512" \
        "zone_size_mb=32 zone_size_mb=64" "zone_capacity_mb=32 zone_capacity_mb=48" \
        "conv_zones=3 conv_zones=2" "conv_zones=0 conv_zones=2"; do
        given=${pair% *} stored=${pair#* }
        dmesg_mark
        ctl_err EINVAL "add id=0,$given"
        klog
        expect_eq "$(grep -cF "zloop0: $given contradicts $stored of $DESC: the geometry of a described device cannot change" <<< "$KLOG")" 1 "log lines for $given"
        expect_eq "$(grep -c 'zloop' <<< "$KLOG")" 1 "zloop lines for $given"
        [[ -e $D ]] && fail "$D exists after add id=0,$given"
        expect_eq "$(sum_of "$DESC")" "$sum" "description after add id=0,$given"
    done
    # a complete command with one option off is refused the same way
    ctl_err EINVAL "add id=0,capacity_mb=512,zone_size_mb=64,zone_capacity_mb=48,conv_zones=4"
    # geometry given as stored is fine
    add_ok "add id=0,zone_size_mb=64,zone_capacity_mb=48"
    expect_eq "$(nr_zones)" 8 "zones"
}

test_runtime_options_given_override_and_are_stored() {
    need_cmd fincore
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    dev_remove 0
    dmesg_mark
    add_ok "add id=0,nr_queues=1,queue_depth=64,max_open_zones=5,buffered_io"
    expect_eq "$(nr_tags)" 64 "queue depth"
    expect_eq "$(nr_hw_queues)" 1 "hardware queues"
    expect_eq "$(max_open)" 5 "max_open_zones"
    # not given: from the file
    klog_has 'zloop0: 8 zones of 64 MiB, .*ordered native zone append' || fail "ordered zone append lost"
    # buffered_io: the data goes through the page cache of the zone file
    echo 3 > /proc/sys/vm/drop_caches
    pw_ok $D $((4 * ZB)) $MB 4
    pr_ok $D $((4 * ZB)) $MB 4
    [[ $(fincore --bytes --noheadings --output RES "$BASE/0/seq-000004" | tr -d ' ') -ge $MB ]] \
        || fail "buffered_io from the command not used"
    # stored
    expect_eq "$(desc_value nr_queues) $(desc_value queue_depth) $(desc_value max_open_zones)" "1 64 5" "runtime options in the file"
    expect_eq "$(desc_value buffered_io) $(desc_value ordered_zone_append)" "1 1" "flags in the file"
    expect_eq "$(desc_value capacity_mb) $(desc_value zone_capacity_mb) $(desc_value conv_zones)" "512 48 2" "geometry in the file"
    expect_eq "$(ls "$BASE/0" | grep -vE '^(cnv|seq)-[0-9]{6}$')" zloop_rs.device "other files"
    dev_remove 0
    # and used by the next add with only the id
    add_ok "add id=0"
    expect_eq "$(nr_tags)" 64 "queue depth after add id=0"
    expect_eq "$(max_open)" 5 "max_open_zones after add id=0"
}

# The file is text to edit: a changed value is used, a line taken out is
# the upstream default, and the next add writes the file out in full.
test_edited_description_is_used() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    dev_remove 0
    sed -i -e 's/^max_open_zones=3$/max_open_zones=2/' -e '/^queue_depth=/d' "$DESC"
    add_ok "add id=0"
    expect_eq "$(max_open)" 2 "max_open_zones (edited)"
    expect_eq "$(nr_tags)" 128 "queue depth (line taken out: the default)"
    expect_eq "$(desc_value queue_depth) $(desc_value max_open_zones)" "128 2" "file written out again"
    expect_eq "$(wc -l < "$DESC")" 14 "lines of the file"
}

# A command that gives geometry is complete, as a script written for the C
# zloop writes it: the runtime options it leaves out are the upstream
# defaults (a flag in the file is not turned on behind its back), and the
# geometry it leaves out comes from the file.
test_command_with_geometry_gets_upstream_runtime_defaults() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME,discard_write_cache,buffered_io"
    dev_remove 0
    dmesg_mark
    add_ok "add id=0,capacity_mb=512"
    expect_eq "$(nr_zones)" 8 "zones (zone size from the file)"
    expect_eq "$(max_open)" 0 "max_open_zones"
    expect_eq "$(nr_tags)" 128 "queue depth"
    expect_eq "$(nr_hw_queues)" 1 "hardware queues"
    klog_has 'zloop0: 8 zones of 64 MiB, [0-9]+ B block size, native zone append' \
        || fail "not announced with unordered zone append"
    # no discard_write_cache: the directory carries no unclean mark
    [[ -z $(getfattr --absolute-names -d -m '^user\.zloop_rs\.unclean$' "$BASE/0") ]] \
        || fail "discard_write_cache on"
    expect_eq "$(desc_value discard_write_cache) $(desc_value buffered_io) $(desc_value ordered_zone_append)" "0 0 0" "flags in the file"
    expect_eq "$(desc_value max_open_zones) $(desc_value queue_depth) $(desc_value nr_queues)" "0 128 1" "numbers in the file"
    expect_eq "$(desc_value zone_size_mb) $(desc_value zone_capacity_mb)" "64 48" "geometry in the file"
}

# A runtime limit is checked against the restored geometry, not against the
# defaults: 256 zones here, where the default geometry has 56 sequential.
test_runtime_limit_is_checked_against_the_restored_geometry() {
    load_rs
    dev_add 0 "capacity_mb=8192,zone_size_mb=32,conv_zones=0"
    dev_remove 0
    add_ok "add id=0,max_open_zones=100"
    expect_eq "$(max_open)" 100 "max_open_zones"
    dev_remove 0
    dmesg_mark
    ctl_err EINVAL "add id=0,max_open_zones=257"
    klog_has 'invalid maximum number of open zones' || fail "no line saying why"
    expect_eq "$(desc_value max_open_zones)" 100 "file after the refused add"
}

# max_active_zones (64-active-zones) is a runtime option, as max_open_zones:
# "add id=0" alone restores the limit, another limit given is used and
# stored (also one the partially written zones do not fit: the restore
# refusal, which leaves the file as it was), a complete command that leaves
# it out has no limit (the upstream default), and a limit of at least the
# sequential zones is none, stored as 0.
test_active_limit_is_restored_from_the_description() {
    load_rs
    dev_add 0 "$GEOM,max_active_zones=3"         # 6 sequential zones
    expect_eq "$(desc_value max_active_zones)" 3 "max_active_zones in the file"
    pw_ok $D $((2 * ZB)) $MB 2
    dev_remove 0
    add_ok "add id=0"
    expect_eq "$(cat /sys/block/zloop0/queue/max_active_zones)" 3 "queue max_active_zones after add id=0"
    expect_eq "$(cat /sys/block/zloop0/zloop/max_active_zones)" 3 "sysfs max_active_zones after add id=0"
    pw_ok $D $((3 * ZB)) $MB 3
    pw_ok $D $((4 * ZB)) $MB 4
    expect_eq "$(pw $D $((5 * ZB)) 65536 5)" EOVERFLOW "a fourth active zone"
    expect_zone $D 5 "$EMPTY" 0
    pr_ok $D $((2 * ZB)) $MB 2
    dev_remove 0
    # another limit: used (the rest from the file) and stored
    add_ok "add id=0,max_active_zones=4"
    expect_eq "$(cat /sys/block/zloop0/queue/max_active_zones)" 4 "queue max_active_zones after add with another limit"
    expect_eq "$(cat /sys/block/zloop0/zloop/max_active_zones)" 4 "sysfs max_active_zones after add with another limit"
    expect_eq "$(desc_value max_active_zones)" 4 "max_active_zones in the file after add with another limit"
    expect_eq "$(desc_value capacity_mb) $(desc_value zone_capacity_mb)" "512 48" "geometry in the file"
    pw_ok $D $((5 * ZB)) $MB 5
    expect_eq "$(pw $D $((6 * ZB)) 65536 6)" EOVERFLOW "a fifth active zone"
    expect_zone $D 6 "$EMPTY" 0
    dev_remove 0
    add_ok "add id=0"
    expect_eq "$(cat /sys/block/zloop0/queue/max_active_zones)" 4 "queue max_active_zones after add id=0 (stored 4)"
    dev_remove 0
    # a lower limit than the 4 partially written zones: the restore refusal
    local sum
    sum=$(sum_of "$DESC")
    dmesg_mark
    ctl_err EINVAL "add id=0,max_active_zones=3"
    klog_fixed "zloop0: 4 zones are partially written, more than max_active_zones=3; use max_active_zones=4 or more, or 0 for no limit" \
        || fail "no refusal line"
    klog_has 'contradicts' && fail "a limit given was taken for a contradiction"
    expect_eq "$(sum_of "$DESC")" "$sum" "the file after the refused add"
    [[ -e $D ]] && fail "$D exists after a refused add"
    # a command with geometry but without the option: no limit, stored as 0
    add_ok "add id=0,$GEOM"
    expect_eq "$(cat /sys/block/zloop0/queue/max_active_zones)" 0 "queue max_active_zones after add with geometry"
    expect_eq "$(desc_value max_active_zones)" 0 "max_active_zones in the file after add with geometry"
    pr_ok $D $((5 * ZB)) $MB 5
    dev_remove 0
    # no limit: 6 (all sequential zones) and 0 are the same device
    rm -rf "${BASE:?}/0"
    dev_add 0 "$GEOM,max_active_zones=6"
    expect_eq "$(desc_value max_active_zones)" 0 "a limit of every sequential zone, in the file"
    dev_remove 0
    add_ok "add id=0,max_active_zones=1000"
    expect_eq "$(cat /sys/block/zloop0/queue/max_active_zones)" 0 "queue max_active_zones"
    expect_eq "$(desc_value max_active_zones)" 0 "a limit of 1000, in the file"
}

# Errors keep the upstream order: an id in use is EEXIST whatever its file says.
test_id_in_use_is_eexist_before_the_description() {
    load_rs
    dev_add 0 "$GEOM"
    dmesg_mark
    # valid on its own (64 zones of 64 MiB), contradicting the file
    ctl_err EEXIST "add id=0,capacity_mb=4096,zone_size_mb=64,conv_zones=2"
    klog_has 'contradicts' && fail "the description of a live device was used"
    printf 'garbage\n' > "$DESC"
    ctl_err EEXIST "add id=0"
    klog_has 'zloop_rs.device' && fail "the description of a live device was read"
    # the geometry of the command is checked first, as upstream (64 zones
    # of the default 256 MiB)
    dmesg_mark
    ctl_err EINVAL "add id=0,conv_zones=64"
    klog_has 'invalid number of conventional zones' || fail "no line saying why"
    return 0
}

# A directory the C zloop wrote has no description: zloop_rs restores it
# exactly as before (the command's options, upstream defaults for the rest),
# then describes it.
test_c_written_directory_restores_as_before() {
    made c
    [[ -e $DESC ]] && fail "the C zloop wrote $DESC"
    load_rs
    dmesg_mark
    # as always: the defaults (256 MiB zones) do not fit these zone files
    ctl_err EINVAL "add id=0"
    klog_has 'conventional zone 0 file .*cnv-000000 has 67108864 B, not the zone size 268435456 B' \
        || fail "no zone file line"
    klog_has 'described by' && fail "a description was used"
    [[ -e $DESC ]] && fail "a failed add wrote $DESC"
    dev_add 0 "$GEOM"
    expect_zone $D 2 $CLOSED 2048
    expect_zone $D 3 $FULL -1
    pr_ok $D $((2 * ZB)) $MB 2
    expect_eq "$(max_open)" 0 "max_open_zones (upstream default)"
    expect_eq "$(desc_value capacity_mb) $(desc_value zone_capacity_mb) $(desc_value max_open_zones)" "512 48 0" "description written"
    dev_remove 0
    add_ok "add id=0"
    expect_zone $D 2 $CLOSED 2048
}

# The C zloop opens only cnv-NNNNNN and seq-NNNNNN: it restores a directory
# that has a description as any other, and leaves the file alone.
test_c_zloop_restores_a_described_directory() {
    made rs
    local sum
    sum=$(sum_of "$DESC")
    load_c
    dev_add 0 "$GEOM"
    expect_zone $D 2 $CLOSED 2048
    expect_zone $D 3 $FULL -1
    pr_ok $D $((2 * ZB)) $MB 2
    pw_ok $D $((2 * ZB + MB)) $MB 3
    dev_remove 0
    expect_eq "$(sum_of "$DESC")" "$sum" "description after the C zloop"
    load_rs
    add_ok "add id=0"
    expect_zone $D 2 $CLOSED 4096
    pr_ok $D $((2 * ZB)) $MB 2
    pr_ok $D $((2 * ZB + MB)) $MB 3
    expect_eq "$(max_open)" 3 "max_open_zones from the file"
}

# corrupt_case MESSAGE: the description (made broken by the caller) refuses
# "add id=0" and "add id=0,$GEOM" with EINVAL and one line naming the file
# and saying MESSAGE; the file is left as it is.
corrupt_case() {
    local sum
    sum=$(sum_of "$DESC")
    dmesg_mark
    ctl_err EINVAL "add id=0"
    ctl_err EINVAL "add id=0,$GEOM"
    klog
    expect_eq "$(grep -cF "zloop0: $DESC: $1" <<< "$KLOG")" 2 "lines saying '$1'"
    grep -qF 'delete the file to add the device from the command alone' <<< "$KLOG" \
        || fail "the line does not say what to do"
    [[ -e $D ]] && fail "$D exists after a refused add"
    expect_eq "$(sum_of "$DESC")" "$sum" "the refused file"
    expect_eq "$(ls "$BASE/0" | grep -vE '^(cnv|seq)-[0-9]{6}$')" zloop_rs.device "other files"
}

test_corrupt_description_is_einval_naming_the_file() {
    load_rs
    dev_add 0 "$GEOM,$RUNTIME"
    pw_ok $D $((2 * ZB)) $MB 2
    dev_remove 0
    cp "$DESC" /tmp/good
    head -c 100 /tmp/good > "$DESC"
    corrupt_case "truncated: no newline at the end"
    head -n 6 /tmp/good > "$DESC"
    corrupt_case "truncated: no end line"
    : > "$DESC"
    corrupt_case "empty file"
    sed 's/^conv_zones=2$/conv_zones=two/' /tmp/good > "$DESC"
    corrupt_case "line 5: invalid value 'two'"
    sed '1s/=1$/=2/' /tmp/good > "$DESC"
    corrupt_case "line 1: unknown format version '2'"
    sed 's/^end$/future_option=1\nend/' /tmp/good > "$DESC"
    corrupt_case "line 14: unknown option (from a later zloop_rs?) 'future_option'"
    sed 's/^capacity_mb=512$/capacity_mb=64/' /tmp/good > "$DESC"
    corrupt_case "invalid capacity"
    { cat /tmp/good; echo extra; } > "$DESC"
    corrupt_case "line 15: text after the end line"
    printf '\x7fELF\x02\x01\x01\x00\x00\x00\n' > "$DESC"
    corrupt_case "line 1: not a zloop_rs device description"
    # deleted: the command alone, as for a directory of the C zloop
    rm "$DESC"
    dev_add 0 "$GEOM,$RUNTIME"
    expect_eq "$(cat "$DESC")" "$(cat /tmp/good)" "description written again"
    pr_ok $D $((2 * ZB)) $MB 2
}

# The file cannot be written (a directory in the way of its temporary
# name): the add fails with that error and one line, the old description
# stays as it was; for a new device the zone files go again.
test_failed_description_write_leaves_everything_as_it_was() {
    load_rs
    dev_add 0 "$GEOM"
    dev_remove 0
    local sum
    sum=$(sum_of "$DESC")
    mkdir "$BASE/0/zloop_rs.device.tmp"
    dmesg_mark
    ctl_err EISDIR "add id=0,queue_depth=64"
    klog_fixed "zloop0: cannot write the description file $BASE/0/zloop_rs.device.tmp (error -21)" \
        || fail "no line saying why"
    [[ -e $D ]] && fail "$D exists after the failed add"
    expect_eq "$(sum_of "$DESC")" "$sum" "old description"
    rmdir "$BASE/0/zloop_rs.device.tmp"
    add_ok "add id=0,queue_depth=64"
    expect_eq "$(desc_value queue_depth)" 64 "queue_depth stored"
    expect_eq "$(ls "$BASE/0" | grep -vE '^(cnv|seq)-[0-9]{6}$')" zloop_rs.device "other files"
    # a new device
    mkdir -p "$BASE/1/zloop_rs.device.tmp"
    dmesg_mark
    ctl_err EISDIR "add id=1,$GEOM"
    klog_has 'zloop1: add failed; removed 8 of the 8 zone files it created \(of 8\)' \
        || fail "no 'add failed' line"
    expect_eq "$(ls "$BASE/1")" zloop_rs.device.tmp "files left in $BASE/1"
}

# Adding the disk fails after the description was rewritten (test hook):
# the old text is written back; for a new device the file is removed.
test_add_failing_at_add_disk_restores_the_description() {
    load_hooks
    dev_add 0 "$GEOM"
    dev_remove 0
    local sum
    sum=$(sum_of "$DESC")
    mkdir -p "$BASE/1"
    ctl_ok "test fail_add_disk=2"
    ctl_err EIO "add id=0,queue_depth=64"
    ctl_err EIO "add id=1,$GEOM"
    ctl_ok "test fail_add_disk=0"
    expect_eq "$(sum_of "$DESC")" "$sum" "description after the failed add"
    expect_eq "$(desc_value queue_depth)" 128 "queue_depth"
    expect_eq "$(ls "$BASE/0" | grep -vE '^(cnv|seq)-[0-9]{6}$')" zloop_rs.device "other files of device 0"
    expect_eq "$(ls -A "$BASE/1" | wc -l)" 0 "files left by the failed add of device 1"
    # and the same adds work
    add_ok "add id=0,queue_depth=64"
    expect_eq "$(desc_value queue_depth)" 64 "queue_depth stored"
}
