# SPDX-License-Identifier: GPL-2.0
# Module life cycle and the control file (checklist C1, C2, C28).
# shellcheck shell=bash

# The upstream text, byte for byte (two lines, each ending in \n).
UPSTREAM_CONTROL_TEXT='add id=%d,capacity_mb=%u,zone_size_mb=%u,zone_capacity_mb=%u,conv_zones=%u,base_dir=%s,nr_queues=%u,queue_depth=%u,buffered_io,zone_append=%u,ordered_zone_append,discard_write_cache,max_open_zones=%u
remove id=%d'
# What zloop_rs prints: the upstream add line, its additions at the end of
# it (RS_CTL_ADDITIONS, lib.sh), then the upstream remove line.
RS_CONTROL_TEXT="${UPSTREAM_CONTROL_TEXT/$'\n'/$RS_CTL_ADDITIONS$'\n'}"

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

test_control_read_is_upstream_text_then_additions() {
    load_rs
    printf '%s\n' "$RS_CONTROL_TEXT" > /tmp/want
    cat "$CTL" > /tmp/got
    cmp /tmp/want /tmp/got || fail "control text differs: $(diff /tmp/want /tmp/got | head -n 5)"
    # small reads must see the same bytes (file position handling)
    dd if="$CTL" bs=7 status=none > /tmp/got7
    cmp /tmp/want /tmp/got7 || fail "7-byte reads give different text"
    # without the additions it is the upstream text, byte for byte
    printf '%s\n' "$UPSTREAM_CONTROL_TEXT" > /tmp/upstream
    ctl_text_upstream_part /tmp/got > /tmp/got-upstream
    cmp /tmp/upstream /tmp/got-upstream || fail "upstream part differs: $(diff /tmp/upstream /tmp/got-upstream | head -n 5)"
    # what scripts use to detect the additions
    grep -q max_active_zones "$CTL" || fail "grep max_active_zones $CTL finds nothing"
}

# Differential: the C zloop of the same kernel prints the very same text, up
# to the zloop_rs additions at the end of the add line.
test_control_read_matches_c_zloop() {
    load_c
    cat "$CTL" > /tmp/c.txt
    grep -q max_active_zones /tmp/c.txt && fail "the C zloop lists max_active_zones"
    load_rs
    cat "$CTL" > /tmp/rs.txt
    [[ -s /tmp/c.txt ]] || fail "C zloop printed nothing"
    ctl_text_upstream_part /tmp/rs.txt > /tmp/rs-upstream.txt
    cmp /tmp/c.txt /tmp/rs-upstream.txt || fail "texts differ: $(diff /tmp/c.txt /tmp/rs-upstream.txt | head -n 5)"
    cmp -s /tmp/c.txt /tmp/rs.txt && fail "zloop_rs lists no addition"
    return 0
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

# install_rs: a writable copy of /lib/modules/<release> (the VM's is the
# host root over 9p, read-only) mounted in its place, and zloop_rs installed
# into it with "make install" from a copy of the tree (build outputs are
# read-only too). Sets MODDIR; the caller unmounts it (umount -l: udevd keeps
# the module indexes mapped).
install_rs() {
    unload_all
    MODDIR=/lib/modules/$(uname -r)
    mkdir -p /tmp/modcopy
    cp -a "$(readlink -f "$MODDIR")/." /tmp/modcopy/ || fail "cannot copy $MODDIR"
    mount -t tmpfs tmpfs "$MODDIR" || fail "cannot mount tmpfs on $MODDIR"
    cp -a /tmp/modcopy/. "$MODDIR/" || fail "cannot copy back into $MODDIR"
    [[ -e $MODDIR/modules.dep ]] || fail "no modules.dep in the copy of $MODDIR"
    mkdir -p /tmp/tree
    tar -C "$TOP" --exclude=./tests --exclude=./.git -cf - . | tar -C /tmp/tree -xf - || fail "cannot copy the tree"
    make -C /tmp/tree KDIR="$KDIR" install > /tmp/install.log 2>&1 || { cat /tmp/install.log; fail "make install failed"; }
    [[ -f $MODDIR/updates/zloop_rs.ko ]] || fail "zloop_rs.ko not installed in $MODDIR/updates"
}

# The way CI VMs load it: make install, then modprobe by name.
test_make_install_then_modprobe() {
    install_rs
    modprobe zloop_rs || fail "modprobe zloop_rs failed"
    mod_loaded zloop_rs || fail "module not loaded by modprobe"
    expect_eq "$(modinfo -F filename zloop_rs)" "$MODDIR/updates/zloop_rs.ko" "modinfo filename"
    wait_for "$CTL"
    modprobe -r zloop_rs || fail "modprobe -r failed"
    mod_loaded zloop_rs && fail "still loaded after modprobe -r"
    umount -l "$MODDIR" || fail "cannot unmount $MODDIR"
}

# "modprobe zloop", as scripts written for the C driver do: with the C
# module installed it loads the C driver, unless the modprobe configuration
# says "alias zloop zloop_rs"; without it (Debian's kernels) it loads
# zloop_rs through the module alias.
test_modprobe_zloop() {
    install_rs
    modprobe zloop || fail "modprobe zloop (C module installed)"
    mod_loaded zloop || fail "modprobe zloop did not load the C module"
    modprobe -r zloop || fail "modprobe -r zloop"
    mkdir -p /tmp/mp.d && echo "alias zloop zloop_rs" > /tmp/mp.d/zloop_rs.conf
    modprobe -C /tmp/mp.d zloop || fail "modprobe zloop with the alias configuration"
    mod_loaded zloop_rs || fail "the alias configuration did not make zloop mean zloop_rs"
    # with the alias, a second "modprobe zloop" sees zloop_rs loaded and does
    # not load the C driver on top of it (that would log a sysfs trace)
    modprobe -C /tmp/mp.d zloop || fail "second modprobe zloop with the alias configuration"
    mod_loaded zloop && fail "modprobe zloop loaded the C zloop on top of zloop_rs"
    modprobe -r zloop_rs || fail "modprobe -r zloop_rs"
    rm -f "$MODDIR/kernel/drivers/block/zloop.ko" && depmod -a "$(uname -r)" || fail "depmod without zloop.ko"
    modprobe zloop || fail "modprobe zloop without the C module"
    mod_loaded zloop_rs || fail "modprobe zloop did not load zloop_rs (module alias)"
    wait_for "$CTL"
    modprobe -r zloop_rs || fail "modprobe -r zloop_rs"
    umount -l "$MODDIR" || fail "cannot unmount $MODDIR"
}

# With the C zloop loaded, zloop_rs refuses to load (EBUSY, one line), and
# the kernel log has no stack dump (the harness fails a test with one).
test_rs_load_refused_while_c_zloop_is_loaded() {
    load_c
    dmesg_mark
    local out
    out=$(insmod "$RS_KO" 2>&1) && fail "insmod zloop_rs succeeded with the C zloop loaded"
    grep -q "busy" <<< "$out" || fail "insmod failed for another reason: $out"
    klog_has 'misc device zloop-control exists already' || fail "no line saying why"
    mod_loaded zloop_rs && fail "zloop_rs is loaded"
    unload_all
}

# DKMS, the way distributions build out-of-tree modules: dkms add, build
# against /lib/modules/<release>/build (the test kernel's prepared Rust-enabled
# tree), install into updates/dkms, then modprobe. The dkms state tree and
# the source copy live in /tmp (the guest's /var/lib/dkms and /usr/src are the
# host's, read-only); the module is compiled inside the VM.
test_dkms_add_build_install_then_modprobe() {
    need_cmd dkms
    local rel ver dtree=/tmp/dkms-tree stree=/tmp/dkms-src out
    rel=$(uname -r)
    ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")
    [[ -n $ver ]] || fail "no PACKAGE_VERSION in dkms.conf"
    [[ -e /lib/modules/$rel/build/zloop-rs-toolchain.mk ]] ||
        fail "/lib/modules/$rel/build is not the prepared test kernel tree"
    install_rs # a writable module directory (the zloop_rs it installs is replaced below)
    rm -f "$MODDIR/updates/zloop_rs.ko" && depmod -a "$rel" || fail "depmod after removing updates/zloop_rs.ko"
    mkdir -p "$dtree" "$stree/zloop_rs-$ver"
    tar -C "$TOP" --exclude=./tests --exclude=./.git --exclude='*.ko' --exclude='*.o' -cf - . |
        tar -C "$stree/zloop_rs-$ver" -xf - || fail "cannot copy the tree"
    local d=(--dkmstree "$dtree" --sourcetree "$stree")
    dkms add -m zloop_rs -v "$ver" "${d[@]}" > /tmp/dkms.log 2>&1 || { cat /tmp/dkms.log; fail "dkms add"; }
    dkms build -m zloop_rs -v "$ver" -k "$rel" "${d[@]}" >> /tmp/dkms.log 2>&1 ||
        { cat /tmp/dkms.log "$dtree/zloop_rs/$ver/build/make.log" 2>/dev/null | tail -n 40; fail "dkms build"; }
    dkms install -m zloop_rs -v "$ver" -k "$rel" "${d[@]}" >> /tmp/dkms.log 2>&1 ||
        { tail -n 40 /tmp/dkms.log; fail "dkms install"; }
    out=$(dkms status -m zloop_rs "${d[@]}" 2>&1)
    grep -q "zloop_rs/$ver, $rel, x86_64: installed" <<< "$out" || fail "dkms status: $out"
    modprobe zloop_rs || fail "modprobe zloop_rs after dkms install"
    expect_eq "$(modinfo -F filename zloop_rs)" "$MODDIR/updates/dkms/zloop_rs.ko" "modinfo filename"
    wait_for "$CTL"
    mkdir -p "$BASE/0"
    ctl_ok "add id=0,capacity_mb=64,zone_size_mb=16,conv_zones=1"
    wait_for /dev/zloop0
    expect_eq "$(blkzone report /dev/zloop0 | wc -l)" 4 "zones reported by the DKMS-built module"
    ctl_ok "remove id=0"
    modprobe -r zloop_rs || fail "modprobe -r zloop_rs"
    dkms remove -m zloop_rs -v "$ver" -k "$rel" "${d[@]}" >> /tmp/dkms.log 2>&1 ||
        { tail -n 40 /tmp/dkms.log; fail "dkms remove"; }
    [[ -e $MODDIR/updates/dkms/zloop_rs.ko ]] && fail "dkms remove left the module installed"
    umount -l "$MODDIR" || fail "cannot unmount $MODDIR"
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
