#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (tools/setup boots it): loads zloop_rs, shows the
# control file, creates a small zoned device on the XFS scratch disk, writes a
# little, reports its zones, and removes it.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
echo "== uname -r: $(uname -r)"
insmod "$TOP/zloop_rs.ko"
echo "== cat /dev/zloop-control"
cat /dev/zloop-control
mkdir -p /var/local/zloop/0
echo "== echo 'add id=0,capacity_mb=512,zone_size_mb=64,conv_zones=2' > /dev/zloop-control"
echo "add id=0,capacity_mb=512,zone_size_mb=64,conv_zones=2" > /dev/zloop-control
udevadm settle
echo "== write 1 MiB at the start of zone 2 (the first sequential zone)"
dd if=/dev/urandom of=/dev/zloop0 bs=1M count=1 seek=128 oflag=direct status=none
echo "== blkzone report /dev/zloop0"
blkzone report /dev/zloop0
echo "== ls -l /var/local/zloop/0"
ls -l /var/local/zloop/0
echo "== echo 'remove id=0' > /dev/zloop-control"
echo "remove id=0" > /dev/zloop-control
rmmod zloop_rs
echo "== dmesg (zloop_rs lines)"
dmesg | grep zloop_rs
echo "demo OK"
