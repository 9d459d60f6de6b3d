#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (started by tools/vm): prepares the scratch disk and
# runs the given command. Not meant to be run on the host.
#   ZLOOP_DISK_FS=xfs|ext4|none  file system for the scratch disk (default xfs)
#   ZLOOP_DISK_KEEP=1            a kept disk image (tools/vm --disk-image): mount
#                                the file system it has, format only if none
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
echo "zloop-rs-guest-init: running $*" > /dev/kmsg

fs=${ZLOOP_DISK_FS:-xfs}
disk=
for d in /sys/block/vd*; do
    [[ -e $d/serial && $(cat "$d/serial") == zloopdisk ]] && disk=/dev/${d##*/}
done
export ZLOOP_SCRATCH_DISK=$disk
if [[ $fs != none ]]; then
    if [[ -z $disk ]]; then echo "guest-init: no scratch disk" >&2; exit 126; fi
    have=
    [[ ${ZLOOP_DISK_KEEP:-0} == 1 ]] && have=$(blkid -p -s TYPE -o value "$disk" 2>/dev/null)
    if [[ -n $have ]]; then fs=$have; fi
    case $fs in
    "$have") ;;
    xfs) mkfs.xfs -q -f "$disk" ;;
    ext4) mkfs.ext4 -q -F "$disk" ;;
    *) echo "guest-init: unknown fs $fs" >&2; exit 126 ;;
    esac || exit 126
    mount -t "$fs" "$disk" /var/local || exit 126
    mkdir -p /var/local/zloop
fi
"$@"
rc=$?
echo "zloop-rs-guest-init: exit $rc" > /dev/kmsg
exit $rc
