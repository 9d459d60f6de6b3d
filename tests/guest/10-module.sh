# SPDX-License-Identifier: GPL-2.0
# Module life cycle and the control file (checklist C1, C2, C28).
# shellcheck shell=bash

# The upstream text, byte for byte (two lines, each ending in \n).
UPSTREAM_CONTROL_TEXT='add id=%d,capacity_mb=%u,zone_size_mb=%u,zone_capacity_mb=%u,conv_zones=%u,base_dir=%s,nr_queues=%u,queue_depth=%u,buffered_io,zone_append=%u,ordered_zone_append,discard_write_cache,max_open_zones=%u
remove id=%d'

test_module_loads() {
    unload_all
    dmesg_mark
    insmod "$RS_KO" || fail "insmod failed"
    mod_loaded zloop_rs || fail "/sys/module/zloop_rs missing"
    grep -q '^zloop_rs ' /proc/modules || fail "zloop_rs not in /proc/modules"
    klog_has 'zloop_rs: module loaded' || fail "no 'module loaded' line"
}

test_control_node_mode_0600() {
    load_rs
    [[ -c $CTL ]] || fail "$CTL is not a character device"
    expect_eq "$(stat -c %a "$CTL")" 600 "mode of $CTL"
    expect_eq "$(stat -c %t "$CTL")" a "major of $CTL (misc = 10)"
    grep -qw zloop-control /proc/misc || fail "zloop-control not in /proc/misc"
}

test_control_read_is_upstream_text() {
    load_rs
    printf '%s\n' "$UPSTREAM_CONTROL_TEXT" > /tmp/want
    cat "$CTL" > /tmp/got
    cmp /tmp/want /tmp/got || fail "control text differs: $(diff /tmp/want /tmp/got | head -n 5)"
    # small reads must see the same bytes (file position handling)
    dd if="$CTL" bs=7 status=none > /tmp/got7
    cmp /tmp/want /tmp/got7 || fail "7-byte reads give different text"
}

# Differential: the C zloop of the same kernel prints the very same text.
test_control_read_matches_c_zloop() {
    load_c
    cat "$CTL" > /tmp/c.txt
    load_rs
    cat "$CTL" > /tmp/rs.txt
    [[ -s /tmp/c.txt ]] || fail "C zloop printed nothing"
    cmp /tmp/c.txt /tmp/rs.txt || fail "texts differ: $(diff /tmp/c.txt /tmp/rs.txt | head -n 5)"
}

# Loading, reading and unloading print nothing but the module's own lines.
test_load_read_unload_leave_no_foreign_dmesg() {
    unload_all
    dmesg_mark
    insmod "$RS_KO" || fail "insmod"
    cat "$CTL" > /dev/null
    rmmod zloop_rs || fail "rmmod"
    local foreign
    klog
    # (the window is not empty: the load itself says so)
    grep -q 'zloop_rs: module loaded' <<< "$KLOG" || fail "no 'module loaded' line since the mark"
    # grep -v finds no line when all is well, hence no status check
    foreign=$(sed -E 's/^\[[ 0-9.]+\] //' <<< "$KLOG" | grep -v -E '^zloop_rs: ')
    [[ -z $foreign ]] || fail "unexpected kernel log lines: $foreign"
}

# The way CI VMs load it: make install, then modprobe by name.
test_make_install_then_modprobe() {
    unload_all
    local rel moddir
    rel=$(uname -r)
    moddir=/lib/modules/$rel
    # /lib/modules of the VM is read-only (host root over 9p): put a writable
    # copy of it (symlinks to the kernel build tree) in its place
    mkdir -p /tmp/modcopy
    cp -a "$(readlink -f "$moddir")/." /tmp/modcopy/ || fail "cannot copy $moddir"
    mount -t tmpfs tmpfs "$moddir" || fail "cannot mount tmpfs on $moddir"
    cp -a /tmp/modcopy/. "$moddir/" || fail "cannot copy back into $moddir"
    [[ -e $moddir/modules.dep ]] || fail "no modules.dep in the copy of $moddir"
    # build outputs are read-only too: install from a copy of the module tree
    mkdir -p /tmp/tree
    tar -C "$TOP" --exclude=./tests --exclude=./.git -cf - . | tar -C /tmp/tree -xf - || fail "cannot copy the tree"
    make -C /tmp/tree KDIR="$KDIR" install > /tmp/install.log 2>&1 || { cat /tmp/install.log; fail "make install failed"; }
    [[ -f $moddir/updates/zloop_rs.ko ]] || fail "zloop_rs.ko not installed in $moddir/updates"
    modprobe zloop_rs || fail "modprobe zloop_rs failed"
    mod_loaded zloop_rs || fail "module not loaded by modprobe"
    expect_eq "$(modinfo -F filename zloop_rs)" "$moddir/updates/zloop_rs.ko" "modinfo filename"
    wait_for "$CTL"
    modprobe -r zloop_rs || fail "modprobe -r failed"
    mod_loaded zloop_rs && fail "still loaded after modprobe -r"
    umount -l "$moddir" || fail "cannot unmount $moddir"   # lazily: udevd keeps the module indexes mapped
}

test_module_unloads() {
    load_rs
    rmmod zloop_rs || fail "rmmod failed"
    mod_loaded zloop_rs && fail "still loaded"
    wait_gone "$CTL"
}

# An open control file pins the module (the Rust misc device has no .owner).
test_rmmod_refused_while_control_open() {
    load_rs
    exec 3< "$CTL"
    if rmmod zloop_rs 2>/tmp/err; then fail "rmmod succeeded with the control file open"; fi
    grep -q 'in use' /tmp/err || fail "unexpected rmmod error: $(cat /tmp/err)"
    # the open file still works
    expect_eq "$(head -c 4 <&3)" "add " "read from the open file"
    exec 3<&-
    rmmod zloop_rs || fail "rmmod failed after close"
}
