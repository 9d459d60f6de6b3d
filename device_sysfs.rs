// SPDX-License-Identifier: GPL-2.0

//! `/sys/block/zloopN/zloop/`: what a device is and what it did. One
//! read-only file per option in effect (its value as `add` takes it), the
//! file `options` (the option list of an `add` that recreates the device),
//! and one file per counter. Every file prints one value and a newline.
//!
//! The counters count requests that the driver ended, by kind, since the
//! device was added: successful or not (a request ended with an error also
//! counts in `io_errors`). A reset of all zones counts once in
//! `zone_resets`. `wp_resyncs` counts the write pointers re-read from a
//! zone file's size after a write error. They are 64-bit, only ever
//! incremented (relaxed atomics: a read sees each counter's value at some
//! moment, not a snapshot of all of them).
//!
//! Fault injection adds three writable files (`device_inject.rs`):
//! `zone_offline` and `zone_readonly` (write-only, as null_blk's) and
//! `badblocks`.
//!
//! Adding a file is one line in [`VIEW`].

use kernel::{
    fmt::Write,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

use crate::{
    device::{inject, Device},
    kapi::{
        blk::Op,
        sysfs::{attribute_group, Attribute, Page},
    },
    options::{write_options, write_value, OptionKey as K, OptionSink},
};

attribute_group!(pub(crate) static VIEW: AttributeGroup<Device> = c"zloop", [
    Attribute::read_only(c"id", |d, p| option(d, p, K::Id)),
    Attribute::read_only(c"base_dir", |d, p| option(d, p, K::BaseDir)),
    Attribute::read_only(c"capacity_mb", |d, p| option(d, p, K::CapacityMb)),
    Attribute::read_only(c"zone_size_mb", |d, p| option(d, p, K::ZoneSizeMb)),
    Attribute::read_only(c"zone_capacity_mb", |d, p| option(d, p, K::ZoneCapacityMb)),
    Attribute::read_only(c"conv_zones", |d, p| option(d, p, K::ConvZones)),
    Attribute::read_only(c"nr_zones", |d, p| value(p, d.nr_zones())),
    Attribute::read_only(c"nr_queues", |d, p| option(d, p, K::NrQueues)),
    Attribute::read_only(c"queue_depth", |d, p| option(d, p, K::QueueDepth)),
    Attribute::read_only(c"buffered_io", |d, p| option(d, p, K::BufferedIo)),
    Attribute::read_only(c"zone_append", |d, p| option(d, p, K::ZoneAppend)),
    Attribute::read_only(c"ordered_zone_append", |d, p| option(d, p, K::OrderedZoneAppend)),
    Attribute::read_only(c"discard_write_cache", |d, p| option(d, p, K::DiscardWriteCache)),
    Attribute::read_only(c"max_open_zones", |d, p| option(d, p, K::MaxOpenZones)),
    Attribute::read_only(c"max_active_zones", |d, p| option(d, p, K::MaxActiveZones)),
    Attribute::read_only(c"options", options),
    Attribute::read_only(c"reads", |d, p| count(p, &d.counters().reads)),
    Attribute::read_only(c"writes", |d, p| count(p, &d.counters().writes)),
    Attribute::read_only(c"zone_appends", |d, p| count(p, &d.counters().zone_appends)),
    Attribute::read_only(c"flushes", |d, p| count(p, &d.counters().flushes)),
    Attribute::read_only(c"zone_resets", |d, p| count(p, &d.counters().zone_resets)),
    Attribute::read_only(c"zone_finishes", |d, p| count(p, &d.counters().zone_finishes)),
    Attribute::read_only(c"zone_opens", |d, p| count(p, &d.counters().zone_opens)),
    Attribute::read_only(c"zone_closes", |d, p| count(p, &d.counters().zone_closes)),
    Attribute::read_only(c"io_errors", |d, p| count(p, &d.counters().io_errors)),
    Attribute::read_only(c"wp_resyncs", |d, p| count(p, &d.counters().wp_resyncs)),
    // Fault injection (device_inject.rs).
    Attribute::new(c"zone_offline", 0o200, None, Some(inject::store_zone_offline)),
    Attribute::new(c"zone_readonly", 0o200, None, Some(inject::store_zone_readonly)),
    Attribute::new(
        c"badblocks",
        0o644,
        Some(inject::show_badblocks),
        Some(inject::store_badblocks),
    ),
]);

impl OptionSink for Page<'_> {
    fn write_bytes(&mut self, bytes: &[u8]) -> core::fmt::Result {
        Page::write_bytes(self, bytes)
    }
}

/// Shows option `key` of `d` as in effect.
fn option(d: &Device, p: &mut Page<'_>, key: K) -> Result {
    write_value(p, &d.options(), key)?;
    p.write_str("\n")?;
    Ok(())
}

/// Shows the option list of the `add` command that recreates `d`.
fn options(d: &Device, p: &mut Page<'_>) -> Result {
    write_options(p, &d.options())?;
    p.write_str("\n")?;
    Ok(())
}

fn value(p: &mut Page<'_>, v: impl core::fmt::Display) -> Result {
    writeln!(p, "{v}")?;
    Ok(())
}

fn count(p: &mut Page<'_>, c: &Atomic<u64>) -> Result {
    value(p, c.load(Relaxed))
}

/// The counters of a device (see the top of this file).
pub(crate) struct Counters {
    reads: Atomic<u64>,
    writes: Atomic<u64>,
    zone_appends: Atomic<u64>,
    flushes: Atomic<u64>,
    zone_resets: Atomic<u64>,
    zone_finishes: Atomic<u64>,
    zone_opens: Atomic<u64>,
    zone_closes: Atomic<u64>,
    io_errors: Atomic<u64>,
    wp_resyncs: Atomic<u64>,
}

impl Counters {
    /// All zero.
    pub(crate) const fn new() -> Self {
        Counters {
            reads: Atomic::new(0),
            writes: Atomic::new(0),
            zone_appends: Atomic::new(0),
            flushes: Atomic::new(0),
            zone_resets: Atomic::new(0),
            zone_finishes: Atomic::new(0),
            zone_opens: Atomic::new(0),
            zone_closes: Atomic::new(0),
            io_errors: Atomic::new(0),
            wp_resyncs: Atomic::new(0),
        }
    }

    /// The driver ended a request of kind `op`, successfully if `ok`. One
    /// atomic add when it succeeded.
    pub(crate) fn ended(&self, op: Op, ok: bool) {
        let kind = match op {
            Op::Read => Some(&self.reads),
            Op::Write => Some(&self.writes),
            Op::ZoneAppend => Some(&self.zone_appends),
            Op::Flush => Some(&self.flushes),
            Op::ZoneReset | Op::ZoneResetAll => Some(&self.zone_resets),
            Op::ZoneFinish => Some(&self.zone_finishes),
            Op::ZoneOpen => Some(&self.zone_opens),
            Op::ZoneClose => Some(&self.zone_closes),
            Op::Other(_) => None,
        };
        if let Some(c) = kind {
            c.add(1, Relaxed);
        }
        if !ok {
            self.io_errors.add(1, Relaxed);
        }
    }

    /// A zone's write pointer was re-read from its file after an error.
    pub(crate) fn resynced(&self) {
        self.wp_resyncs.add(1, Relaxed);
    }
}
