// SPDX-License-Identifier: GPL-2.0

//! Fault injection on a device, the glue of `faults.rs` (safe code): the
//! sysfs files `zone_offline`, `zone_readonly` and `badblocks` of
//! `/sys/block/zloopN/zloop/`, and the checks of the I/O path.
//!
//! - `zone_offline` / `zone_readonly` (write-only, as null_blk's): a sector
//!   names its zone, which takes the condition; writing the condition the
//!   zone is in again clears it, and the zone is then empty (its file is
//!   truncated). Conventional zones: EINVAL. The condition is kept in the
//!   zone file's extended attribute `user.zloop_rs.cond` (synced), so a
//!   re-add finds it; the file's data stays as it was while the fault lasts.
//! - `badblocks`: `+START-END [r|w|rw] [once]` adds a range of sectors whose
//!   reads and/or writes fail with EIO (`once`: for one request), `-START-END`
//!   removes one; reading it lists the ranges. A request that overlaps a
//!   range fails as a whole, before anything is read or written (so a failed
//!   write leaves the write pointer where it was). Not kept across re-adds.
//!
//! Cost when nothing is injected: one relaxed load per read (the number of
//! faulty zones) and one per read or write (whether any bad range exists).
//!
//! Locking: a zone's condition changes under its zone mutex and the zone
//! state spinlock, like every other transition. `faults.ranges` is a
//! spinlock taken last: alone from the sysfs files and the work items, under
//! the zone state spinlock in `queue_rq` (ordered zone appends).

use kernel::{
    fmt::Write,
    new_spinlock,
    prelude::*,
    sync::{
        atomic::{Atomic, AtomicFlag, Relaxed, Release},
        SpinLock,
    },
};

use super::{Device, ShowPath, ZoneFile, ZoneFileRef};
use crate::{
    faults::{parse_badblocks, parse_u64, BadRanges, Errno, FaultError, ZoneFault},
    kapi::{sysfs::Page, vfs},
    zone::{Cond, FaultChange},
};

/// The extended attribute of a sequential zone file that keeps the zone's
/// fault condition (`offline` or `readonly`) across remove and re-add. The
/// C zloop only reads `user.zloop.wp` and ignores it.
const COND_XATTR: &CStr = c"user.zloop_rs.cond";

/// The fault-injection state of a device.
#[pin_data]
pub(super) struct Faults {
    /// The bad ranges (see `faults::BadRanges`).
    #[pin]
    ranges: SpinLock<BadRanges>,
    /// Whether `ranges` holds any range: while it is false, the I/O path
    /// looks at nothing else.
    armed: AtomicFlag,
    /// Zones in a fault condition (as `Zones::nr_faults`), for the read
    /// path, which takes no lock while it is 0.
    faulty_zones: Atomic<u32>,
}

impl Faults {
    /// No bad range; `nr_faults` zones restored in a fault condition.
    pub(super) fn new(nr_faults: u32) -> impl PinInit<Self> {
        pin_init!(Faults {
            ranges <- new_spinlock!(BadRanges::EMPTY, "zloop_rs:bad_ranges"),
            armed: AtomicFlag::new(false),
            faulty_zones: Atomic::new(nr_faults),
        })
    }
}

/// `zone_offline`: puts the zone of the sector written in the offline
/// condition, or clears it.
pub(crate) fn store_zone_offline(dev: &Device, buf: &[u8]) -> Result {
    dev.store_zone_fault(buf, ZoneFault::Offline)
}

/// `zone_readonly`: as `zone_offline`, for the read-only condition.
pub(crate) fn store_zone_readonly(dev: &Device, buf: &[u8]) -> Result {
    dev.store_zone_fault(buf, ZoneFault::ReadOnly)
}

/// `badblocks`, write: adds or removes a bad range.
pub(crate) fn store_badblocks(dev: &Device, buf: &[u8]) -> Result {
    let capacity = dev.geo.capacity_sectors();
    let cmd = parse_badblocks(buf, capacity).map_err(|e| dev.fault_error("badblocks", e))?;
    let mut ranges = dev.faults.ranges.lock();
    ranges
        .apply(cmd)
        .map_err(|e| dev.fault_error("badblocks", e))?;
    dev.faults.armed.store(!ranges.is_empty(), Release);
    Ok(())
}

/// `badblocks`, read: one line per range, `START-END MODE[ once]`, in
/// ascending order (at most a page: see `faults::MAX_BAD_RANGES`).
pub(crate) fn show_badblocks(dev: &Device, page: &mut Page<'_>) -> Result {
    let ranges = dev.faults.ranges.lock();
    for r in ranges.as_slice() {
        writeln!(page, "{r}")?;
    }
    Ok(())
}

impl Device {
    /// The error of a rejected write of attribute `attr`, with its log line.
    fn fault_error(&self, attr: &str, e: FaultError) -> Error {
        pr_err!("zloop{}: {}: {}\n", self.id, attr, e.msg);
        match e.errno {
            Errno::Inval => EINVAL,
            Errno::Range => ERANGE,
            Errno::NoSpc => ENOSPC,
        }
    }

    /// `zone_offline` / `zone_readonly`: the zone of the sector in `buf`
    /// takes `fault`, or leaves it if it is in it.
    fn store_zone_fault(&self, buf: &[u8], fault: ZoneFault) -> Result {
        let attr = match fault {
            ZoneFault::Offline => "zone_offline",
            ZoneFault::ReadOnly => "zone_readonly",
        };
        let sector = parse_u64(buf).map_err(|e| self.fault_error(attr, e))?;
        let Some(z) = self.zone_of(sector, 0) else {
            pr_err!(
                "zloop{}: {}: sector {} is beyond the device\n",
                self.id,
                attr,
                sector
            );
            return Err(EINVAL);
        };
        let mut zfile = self.locks[z as usize].lock.lock();
        let change = self.zones.lock().fault_change(z, fault.cond());
        match change {
            Ok(FaultChange::Set) => self.set_zone_fault(z, fault),
            Ok(FaultChange::Clear) => self.clear_zone_fault(z, &mut zfile, fault),
            Err(_) => {
                pr_err!(
                    "zloop{}: {}: zone {} is conventional: its condition cannot change\n",
                    self.id,
                    attr,
                    z
                );
                Err(EINVAL)
            }
        }
    }

    /// Puts sequential zone `z` in `fault` (under its zone mutex): recorded
    /// in its file first, so that a failure changes nothing.
    fn set_zone_fault(&self, z: u32, fault: ZoneFault) -> Result {
        self.record_fault(z, Some(fault))?;
        let mut zones = self.zones.lock();
        zones.set_fault(z, fault.cond());
        self.faults.faulty_zones.store(zones.nr_faults(), Release);
        drop(zones);
        pr_info!("zloop{}: zone {} is {} now\n", self.id, z, fault.name());
        Ok(())
    }

    /// Clears the fault of sequential zone `z` (under its zone mutex): its
    /// file is emptied, as a reset would, then its record removed; the zone
    /// is then empty.
    fn clear_zone_fault(&self, z: u32, zfile: &mut ZoneFile, fault: ZoneFault) -> Result {
        // Writes accepted before the fault was set may still be in flight.
        vfs::wait_for_direct_io(self.file(z));
        zfile.prealloc_end = 0;
        let truncated = vfs::truncate(self.file(z), 0);
        self.unsynced[z as usize].store(true, Release);
        truncated.inspect_err(|e| {
            pr_err!(
                "zloop{}: cannot empty zone {} to clear its fault (error {})\n",
                self.id,
                z,
                e.to_errno()
            );
        })?;
        self.record_fault(z, None)?;
        let mut zones = self.zones.lock();
        zones.clear_fault(z);
        self.faults.faulty_zones.store(zones.nr_faults(), Release);
        drop(zones);
        self.suspect[z as usize].store(false, Release);
        if self.discard_write_cache {
            self.forget_stable_wp(z);
        }
        pr_info!(
            "zloop{}: zone {} is no longer {}: it is empty\n",
            self.id,
            z,
            fault.name()
        );
        Ok(())
    }

    /// Records the fault condition of zone `z` in its file (`None`: removes
    /// the record) and syncs the file, so that the record survives a crash.
    fn record_fault(&self, z: u32, fault: Option<ZoneFault>) -> Result {
        let file = self.file(z);
        let r = match fault {
            Some(f) => vfs::set_xattr(file, COND_XATTR, f.name().as_bytes()),
            None => match vfs::remove_xattr(file, COND_XATTR) {
                Err(e) if vfs::is_no_xattr(e) => Ok(()),
                r => r,
            },
        };
        r.and_then(|()| vfs::fsync(file, false)).inspect_err(|e| {
            pr_err!(
                "zloop{}: cannot record the condition of zone {} in its file (error {})\n",
                self.id,
                z,
                e.to_errno()
            );
        })
    }

    /// Whether a read of `nr` sectors at `sector` of zone `z` fails: an
    /// offline zone, or a bad range.
    pub(super) fn read_fault(&self, z: u32, sector: u64, nr: u64) -> Result {
        let any = self.faults.faulty_zones.load(Relaxed) != 0;
        if any && self.zones.lock().cond(z) == Cond::Offline {
            return Err(EIO);
        }
        self.bad_range(sector, nr, false)
    }

    /// Whether a read (`write == false`) or write of `nr` sectors at
    /// `sector` overlaps a bad range, and so fails (a `once` range heals).
    pub(super) fn bad_range(&self, sector: u64, nr: u64, write: bool) -> Result {
        if !self.faults.armed.load(Relaxed) {
            return Ok(());
        }
        let mut ranges = self.faults.ranges.lock();
        if ranges.hit(sector, nr, write).is_none() {
            return Ok(());
        }
        if ranges.is_empty() {
            self.faults.armed.store(false, Relaxed);
        }
        Err(EIO)
    }
}

impl ZoneFileRef<'_> {
    /// The fault condition recorded in a sequential zone file found at
    /// `add`, if any; an unknown value is refused (EINVAL).
    pub(super) fn recorded_fault(&self) -> Result<Option<ZoneFault>> {
        let mut buf = [0u8; 16];
        let n = match vfs::get_xattr(self.file, COND_XATTR, &mut buf) {
            Ok(n) => n,
            Err(e) if vfs::is_no_xattr(e) || vfs::is_no_xattr_support(e) => return Ok(None),
            Err(e) if e == ERANGE => buf.len() + 1,
            Err(e) => {
                pr_err!(
                    "cannot read the condition of zone {} in {} (error {})\n",
                    self.z,
                    ShowPath(self.path),
                    e.to_errno()
                );
                return Err(e);
            }
        };
        let fault = buf.get(..n).and_then(ZoneFault::from_name);
        if fault.is_none() {
            pr_err!(
                "zone {} file {}: unknown condition in user.zloop_rs.cond\n",
                self.z,
                ShowPath(self.path)
            );
            return Err(EINVAL);
        }
        Ok(fault)
    }
}
