// SPDX-License-Identifier: GPL-2.0

//! The zone state machine: condition, write pointer and open-zone accounting
//! of every zone of one device.
//!
//! Pure `core` code (no kernel types, no allocation): the storage of the
//! per-zone records is handed in by the caller, and the host crate tests this
//! file unchanged. The kernel side keeps a [`Zones`] under one spinlock and
//! does the file operations (truncate, stat) that some transitions need; the
//! methods here only change the in-memory state, and only once the file
//! operation they depend on succeeded.
//!
//! Conditions follow the zoned block device model of the upstream C zloop
//! (`drivers/block/zloop.c`, Linux 7.2): conventional zones are always
//! `NotWp`; sequential zones move between `Empty`, `ImpOpen`, `ExpOpen`,
//! `Closed` and `Full`. With a `max_open_zones` limit, an implicit open at the
//! limit closes the least recently used implicitly open zone; an explicit open
//! at the limit fails.
//!
//! Fault injection adds the two conditions a device sets on its own,
//! `ReadOnly` and `Offline` (as null_blk's `zone_readonly` and
//! `zone_offline`): such a zone has no write pointer, leaves the open and
//! the active zones, and refuses writes, appends and every zone operation until the fault is
//! cleared, which makes it empty.
//!
//! With a `max_active_zones` limit (a zloop_rs addition, the rule of ZNS and
//! ZBC), at most that many zones are active (open or closed): opening an
//! empty zone, explicitly or by a write or append, fails when the limit is
//! reached, whatever the open zones are (closing one keeps it active). A zone
//! stops being active when it becomes full (write to the capacity, finish)
//! or empty (reset, or close of a zone opened but never written). The one
//! transition that is never refused is a re-read of a zone file after an I/O
//! error ([`Zones::set_written`]): the state must say what the file holds, so
//! that can leave more zones active than the limit, and opening an empty zone
//! then fails until enough zones left the active state.

use core::ops::DerefMut;

use crate::options::Geometry;

/// "No zone" in the open-zone LRU links.
const NIL: u32 = u32::MAX;
/// "No recorded mark" in [`ZoneMeta::recorded`].
const NONE: u64 = u64::MAX;

/// A zone condition, with the `BLK_ZONE_COND_*` value it is reported as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Cond {
    /// Conventional zone: no write pointer.
    NotWp = 0x0,
    /// Sequential zone, nothing written.
    Empty = 0x1,
    /// Opened by a write.
    ImpOpen = 0x2,
    /// Opened by an explicit OPEN command.
    ExpOpen = 0x3,
    /// Partially written, not open.
    Closed = 0x4,
    /// Read-only (fault injection): reads only.
    ReadOnly = 0xd,
    /// Written up to its capacity, or finished.
    Full = 0xe,
    /// Offline (fault injection): no I/O at all.
    Offline = 0xf,
}

impl Cond {
    /// Whether the zone holds an open-zone resource.
    pub(crate) const fn is_open(self) -> bool {
        matches!(self, Cond::ImpOpen | Cond::ExpOpen)
    }

    /// Whether the zone is active (open or closed): the zones that count
    /// against `max_active_zones`, and whose write pointer a volatile write
    /// cache can lose.
    pub(crate) const fn is_active(self) -> bool {
        matches!(self, Cond::ImpOpen | Cond::ExpOpen | Cond::Closed)
    }

    /// Whether the condition is an injected fault (`ReadOnly`, `Offline`).
    pub(crate) const fn is_fault(self) -> bool {
        matches!(self, Cond::ReadOnly | Cond::Offline)
    }
}

/// What asking for a fault condition does to a zone (null_blk's rule):
/// asking for the condition the zone is in clears it, anything else sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultChange {
    /// The zone takes the condition ([`Zones::set_fault`]).
    Set,
    /// The zone was in that condition and becomes empty: its file must be
    /// truncated to 0 before [`Zones::clear_fault`].
    Clear,
}

/// Why a zone operation was refused. Every variant is reported to the block
/// layer as an I/O error (EIO), as upstream does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneError {
    /// A zone operation on a conventional zone.
    Conventional,
    /// A regular write that does not start at the write pointer.
    Unaligned {
        /// The zone's write pointer (absolute sector).
        wp: u64,
    },
    /// A write or append to a full zone.
    Full,
    /// A write or append that would go past the zone capacity.
    NoRoom,
    /// The open-zone limit is reached and no implicitly open zone can be
    /// closed to make room.
    OpenLimit,
    /// The active-zone limit is reached and the operation would make an
    /// empty zone active (the block layer's `BLK_STS_ZONE_ACTIVE_RESOURCE`).
    ActiveLimit,
    /// The operation is not valid in the zone's condition (close of an empty
    /// or full zone, open of a full zone, anything but a read of a read-only
    /// or offline zone).
    BadCondition(Cond),
}

/// The state of one zone. Opaque outside this file: read it through
/// [`Zones`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ZoneMeta {
    cond: Cond,
    /// Absolute sector of the write pointer; `u64::MAX` when there is none
    /// (conventional or full zone).
    wp: u64,
    /// Absolute sector up to which the zone's data is stable: the write
    /// pointer found at `add` or recorded by the last flush
    /// (`discard_write_cache` rolls active zones back to it).
    flushed: u64,
    /// The mark the zone file's `user.zloop.wp` attribute holds
    /// (`discard_write_cache`), `NONE` without one: a flush or re-read
    /// records the mark again when it differs.
    recorded: u64,
    /// Open-zone LRU links (zone numbers, `NIL` at the ends).
    prev: u32,
    next: u32,
    /// Changes whenever the write pointer is set from outside the write
    /// path (reset, finish, re-read from the file): a zone append whose
    /// sector was assigned under another epoch must not be written.
    epoch: u32,
}

impl ZoneMeta {
    /// A placeholder record; [`Zones::new`] initialises every record.
    pub(crate) const INIT: ZoneMeta = ZoneMeta {
        cond: Cond::Empty,
        wp: 0,
        flushed: 0,
        recorded: NONE,
        prev: NIL,
        next: NIL,
        epoch: 0,
    };
}

/// What a zone report returns for one zone (the fields of `struct blk_zone`).
/// A read-only or offline zone is reported with no write pointer, as null_blk
/// and the block layer's cached report do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ZoneInfo {
    /// First sector of the zone.
    pub(crate) start: u64,
    /// Zone size in sectors.
    pub(crate) len: u64,
    /// Write pointer (absolute sector); `u64::MAX` for conventional and full zones.
    pub(crate) wp: u64,
    /// Condition.
    pub(crate) cond: Cond,
    /// Conventional (`true`) or sequential-write-required zone.
    pub(crate) conventional: bool,
    /// Usable sectors of the zone.
    pub(crate) capacity: u64,
}

/// Checks a sequential zone file found on restore (or re-read after an I/O
/// error) and returns its length in sectors: it must not exceed the zone
/// capacity and must be a multiple of the device block size.
pub(crate) fn seq_file_sectors(
    size_bytes: u64,
    capacity_sectors: u64,
    block_size: u32,
) -> Result<u64, SizeError> {
    let sectors = size_bytes >> 9;
    if sectors > capacity_sectors {
        return Err(SizeError::TooLarge);
    }
    if block_size == 0 || !size_bytes.is_multiple_of(u64::from(block_size)) {
        return Err(SizeError::Unaligned);
    }
    Ok(sectors)
}

/// Why a zone file's size is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SizeError {
    /// Larger than the zone capacity.
    TooLarge,
    /// Not a multiple of the block size.
    Unaligned,
}

/// The zones of one device. `S` is the storage of the per-zone records (a
/// kernel vector, or an array in host tests), one record per zone.
pub(crate) struct Zones<S> {
    geo: Geometry,
    meta: S,
    /// Open zones, least recently used first.
    lru_head: u32,
    lru_tail: u32,
    nr_open: u32,
    /// Zones in a fault condition (`ReadOnly` or `Offline`).
    nr_faults: u32,
    /// Zones that are `ImpOpen`, `ExpOpen` or `Closed`.
    nr_active: u32,
}

impl<S: DerefMut<Target = [ZoneMeta]>> Zones<S> {
    /// Takes `meta` (exactly `geo.nr_zones` records) and puts every zone in
    /// its initial state: conventional zones `NotWp`, sequential zones `Empty`.
    ///
    /// Returns `None` if `meta` has the wrong length.
    pub(crate) fn new(geo: Geometry, mut meta: S) -> Option<Self> {
        if meta.len() != geo.nr_zones as usize {
            return None;
        }
        for (i, m) in meta.iter_mut().enumerate() {
            let z = i as u32;
            *m = ZoneMeta::INIT;
            if z < geo.nr_conv_zones {
                m.cond = Cond::NotWp;
                m.wp = u64::MAX;
            } else {
                m.wp = u64::from(z) << geo.zone_shift;
                m.flushed = m.wp;
            }
        }
        Some(Zones {
            geo,
            meta,
            lru_head: NIL,
            lru_tail: NIL,
            nr_open: 0,
            nr_faults: 0,
            nr_active: 0,
        })
    }

    /// The zone that contains `sector`, if it is inside the device.
    #[allow(dead_code)] // The device has its own (it also checks the length).
    pub(crate) fn zone_of(&self, sector: u64) -> Option<u32> {
        let z = sector >> self.geo.zone_shift;
        if z < u64::from(self.geo.nr_zones) {
            Some(z as u32)
        } else {
            None
        }
    }

    /// First sector of zone `z`.
    pub(crate) fn start(&self, z: u32) -> u64 {
        u64::from(z) << self.geo.zone_shift
    }

    /// Whether zone `z` is conventional.
    pub(crate) fn is_conventional(&self, z: u32) -> bool {
        z < self.geo.nr_conv_zones
    }

    /// Condition of zone `z`.
    pub(crate) fn cond(&self, z: u32) -> Cond {
        self.meta[z as usize].cond
    }

    /// Write pointer of zone `z` (absolute sector, `u64::MAX` if none).
    pub(crate) fn wp(&self, z: u32) -> u64 {
        self.meta[z as usize].wp
    }

    /// Number of open (implicitly or explicitly) zones.
    #[allow(dead_code)] // For tests.
    pub(crate) fn nr_open(&self) -> u32 {
        self.nr_open
    }

    /// Number of zones in a fault condition.
    pub(crate) fn nr_faults(&self) -> u32 {
        self.nr_faults
    }

    /// Number of active (open or closed) zones.
    pub(crate) fn nr_active(&self) -> u32 {
        self.nr_active
    }

    /// The report of zone `z`.
    pub(crate) fn info(&self, z: u32) -> ZoneInfo {
        let m = &self.meta[z as usize];
        let conventional = self.is_conventional(z);
        ZoneInfo {
            start: self.start(z),
            len: self.geo.zone_sectors,
            wp: m.wp,
            cond: m.cond,
            conventional,
            capacity: if conventional {
                self.geo.zone_sectors
            } else {
                self.geo.zone_capacity_sectors
            },
        }
    }

    /// The epoch of zone `z` (see [`Self::prep_append`]).
    pub(crate) fn epoch(&self, z: u32) -> u32 {
        self.meta[z as usize].epoch
    }

    /// Where the stable data of zone `z` ends (absolute sector): its write
    /// pointer at `add` or at the last [`Self::set_flushed`].
    pub(crate) fn flushed(&self, z: u32) -> u64 {
        self.meta[z as usize].flushed
    }

    /// Where a flush puts the stable mark of sequential zone `z`: its write
    /// pointer (its capacity when full).
    pub(crate) fn flush_mark(&self, z: u32) -> u64 {
        if self.cond(z) == Cond::Full {
            self.start(z) + self.geo.zone_capacity_sectors
        } else {
            self.wp(z)
        }
    }

    /// Records that the data of sequential zone `z` up to `end` (from
    /// [`Self::flush_mark`]) is stable: a flush covered it.
    pub(crate) fn set_flushed(&mut self, z: u32, end: u64) {
        self.meta[z as usize].flushed = end;
    }

    /// The mark in zone `z`'s file attribute, if it has one.
    pub(crate) fn recorded(&self, z: u32) -> Option<u64> {
        let r = self.meta[z as usize].recorded;
        (r != NONE).then_some(r)
    }

    /// Zone `z`'s file attribute now holds `mark` (`None`: it has none).
    pub(crate) fn set_recorded(&mut self, z: u32, mark: Option<u64>) {
        self.meta[z as usize].recorded = mark.unwrap_or(NONE);
    }

    /// Sets sequential zone `z` from its file found at `add` (`sectors` as
    /// checked by [`seq_file_sectors`]): see [`Self::set_written`]; all of
    /// it is stable data.
    pub(crate) fn restore(&mut self, z: u32, sectors: u64) {
        self.set_written(z, sectors);
        self.meta[z as usize].flushed = self.start(z) + sectors;
    }

    /// Sets sequential zone `z` from the length of its file re-read after an
    /// I/O error (in sectors, as checked by [`seq_file_sectors`]): 0 is
    /// `Empty`, the capacity is `Full`, anything else keeps an open zone
    /// open and makes any other one `Closed`, even beyond the active-zone
    /// limit (the file says so). Starts a new epoch; the stable data cannot
    /// end past the new write pointer.
    /// A zone in a fault condition keeps it (its file no longer says where
    /// its write pointer is: it has none).
    pub(crate) fn set_written(&mut self, z: u32, sectors: u64) {
        let start = self.start(z);
        let m = &mut self.meta[z as usize];
        m.epoch = m.epoch.wrapping_add(1);
        if m.cond.is_fault() {
            return;
        }
        m.flushed = m.flushed.min(start + sectors);
        if sectors == 0 {
            self.mark_empty(z);
        } else if sectors >= self.geo.zone_capacity_sectors {
            self.mark_full(z);
        } else {
            if !self.cond(z).is_open() {
                self.set_cond(z, Cond::Closed);
            }
            self.meta[z as usize].wp = start + sectors;
        }
    }

    /// RESET of sequential zone `z`, after its file was truncated to 0:
    /// `Empty`, nothing to keep, a new epoch.
    pub(crate) fn reset_done(&mut self, z: u32) {
        self.mark_empty(z);
        let m = &mut self.meta[z as usize];
        m.flushed = m.wp;
        m.epoch = m.epoch.wrapping_add(1);
    }

    /// FINISH of sequential zone `z`, after its file was extended to the
    /// zone capacity: `Full`, a new epoch.
    pub(crate) fn finish_done(&mut self, z: u32) {
        self.mark_full(z);
        let m = &mut self.meta[z as usize];
        m.epoch = m.epoch.wrapping_add(1);
    }

    /// Makes sequential zone `z` empty (after its file was truncated to 0).
    pub(crate) fn mark_empty(&mut self, z: u32) {
        self.lru_remove(z);
        self.set_cond(z, Cond::Empty);
        self.meta[z as usize].wp = self.start(z);
    }

    /// Makes sequential zone `z` full (after its file reached the capacity).
    pub(crate) fn mark_full(&mut self, z: u32) {
        self.lru_remove(z);
        self.set_cond(z, Cond::Full);
        self.meta[z as usize].wp = u64::MAX;
    }

    /// Accepts a regular write of `nr` sectors at `sector` into sequential
    /// zone `z`: it must start at the write pointer and fit in the capacity.
    /// Opens the zone implicitly, advances the write pointer and makes the
    /// zone full when it reaches the capacity.
    pub(crate) fn prep_write(&mut self, z: u32, sector: u64, nr: u64) -> Result<(), ZoneError> {
        let m = self.meta[z as usize];
        if m.cond.is_fault() {
            return Err(ZoneError::BadCondition(m.cond));
        }
        if m.cond == Cond::Full {
            return Err(ZoneError::Full);
        }
        if sector != m.wp {
            return Err(ZoneError::Unaligned { wp: m.wp });
        }
        self.advance(z, nr)
    }

    /// Accepts a zone append of `nr` sectors to sequential zone `z` and
    /// returns the sector where its data goes (the write pointer). Same
    /// checks and transitions as [`Self::prep_write`]. When the data is
    /// written later (ordered zone append), the sector is only valid while
    /// [`Self::epoch`] is what it was here.
    pub(crate) fn prep_append(&mut self, z: u32, nr: u64) -> Result<u64, ZoneError> {
        let m = self.meta[z as usize];
        if m.cond.is_fault() {
            return Err(ZoneError::BadCondition(m.cond));
        }
        if m.cond == Cond::Full {
            return Err(ZoneError::Full);
        }
        self.advance(z, nr)?;
        Ok(m.wp)
    }

    fn advance(&mut self, z: u32, nr: u64) -> Result<(), ZoneError> {
        let end = self.start(z) + self.geo.zone_capacity_sectors;
        let wp = self.meta[z as usize].wp;
        if wp.checked_add(nr).is_none_or(|e| e > end) {
            return Err(ZoneError::NoRoom);
        }
        self.open_zone(z, false)?;
        let m = &mut self.meta[z as usize];
        m.wp += nr;
        if m.wp == end {
            self.mark_full(z);
        }
        Ok(())
    }

    /// Explicit OPEN of zone `z`.
    pub(crate) fn open(&mut self, z: u32) -> Result<(), ZoneError> {
        if self.is_conventional(z) {
            return Err(ZoneError::Conventional);
        }
        self.open_zone(z, true)
    }

    /// CLOSE of zone `z`: an open zone becomes `Closed`, or `Empty` if
    /// nothing was written; closing a closed zone does nothing.
    pub(crate) fn close(&mut self, z: u32) -> Result<(), ZoneError> {
        if self.is_conventional(z) {
            return Err(ZoneError::Conventional);
        }
        let cond = self.cond(z);
        match cond {
            Cond::Closed => Ok(()),
            Cond::ImpOpen | Cond::ExpOpen => {
                self.lru_remove(z);
                let cond = if self.wp(z) == self.start(z) {
                    Cond::Empty
                } else {
                    Cond::Closed
                };
                self.set_cond(z, cond);
                Ok(())
            }
            _ => Err(ZoneError::BadCondition(cond)),
        }
    }

    /// Whether a RESET of zone `z` has anything to do (its file must then be
    /// truncated to 0 before [`Self::mark_empty`]): not for an empty zone,
    /// unless the zone's state is in doubt (`suspect`, after an I/O error).
    /// A zone in a fault condition cannot be reset.
    pub(crate) fn reset_needed(&self, z: u32, suspect: bool) -> Result<bool, ZoneError> {
        let cond = self.usable_cond(z)?;
        Ok(suspect || cond != Cond::Empty)
    }

    /// Whether a FINISH of zone `z` has anything to do (its file must then be
    /// truncated to the zone capacity before [`Self::mark_full`]). A zone in
    /// a fault condition cannot be finished.
    pub(crate) fn finish_needed(&self, z: u32, suspect: bool) -> Result<bool, ZoneError> {
        let cond = self.usable_cond(z)?;
        Ok(suspect || cond != Cond::Full)
    }

    /// The condition of sequential zone `z`, if zone operations may change it.
    fn usable_cond(&self, z: u32) -> Result<Cond, ZoneError> {
        let cond = self.cond(z);
        if self.is_conventional(z) {
            Err(ZoneError::Conventional)
        } else if cond.is_fault() {
            Err(ZoneError::BadCondition(cond))
        } else {
            Ok(cond)
        }
    }

    /// What asking for fault condition `fault` (`ReadOnly` or `Offline`)
    /// does to zone `z`. Conventional zones have no condition to change
    /// (`Conventional`), and other conditions cannot be asked for
    /// (`BadCondition`).
    pub(crate) fn fault_change(&self, z: u32, fault: Cond) -> Result<FaultChange, ZoneError> {
        if self.is_conventional(z) {
            return Err(ZoneError::Conventional);
        }
        if !fault.is_fault() {
            return Err(ZoneError::BadCondition(fault));
        }
        Ok(if self.cond(z) == fault {
            FaultChange::Clear
        } else {
            FaultChange::Set
        })
    }

    /// Puts sequential zone `z` in fault condition `fault` (as checked by
    /// [`Self::fault_change`]): it gives back its open-zone and active-zone
    /// resources (a faulty zone is neither open nor active), has no write
    /// pointer, and starts a new epoch (appends assigned before it fail). Its
    /// stable mark stays.
    pub(crate) fn set_fault(&mut self, z: u32, fault: Cond) {
        if !fault.is_fault() || self.is_conventional(z) {
            return;
        }
        self.lru_remove(z);
        self.set_cond(z, fault);
        let m = &mut self.meta[z as usize];
        m.wp = u64::MAX;
        m.epoch = m.epoch.wrapping_add(1);
    }

    /// Clears the fault condition of zone `z`, after its file was truncated
    /// to 0: the zone is empty, as after a reset.
    pub(crate) fn clear_fault(&mut self, z: u32) {
        if !self.cond(z).is_fault() {
            return;
        }
        self.set_cond(z, Cond::Empty);
        self.reset_done(z);
    }

    /// Opens zone `z`: already open zones stay open (an explicit open makes
    /// them explicitly open) and move to the most recently used end; empty and
    /// closed zones take an open-zone resource, and empty zones an
    /// active-zone resource too (checked first: closing an implicitly open
    /// zone to make room for the open would not free one).
    fn open_zone(&mut self, z: u32, explicit: bool) -> Result<(), ZoneError> {
        let cond = self.cond(z);
        match cond {
            Cond::ImpOpen | Cond::ExpOpen => {
                if explicit {
                    self.set_cond(z, Cond::ExpOpen);
                }
                self.lru_remove_link(z);
                self.lru_push_tail(z);
                Ok(())
            }
            Cond::Empty | Cond::Closed => {
                if cond == Cond::Empty && !self.can_activate() {
                    return Err(ZoneError::ActiveLimit);
                }
                if !self.can_open() && (explicit || !self.close_lru_implicit()) {
                    return Err(ZoneError::OpenLimit);
                }
                let open = if explicit {
                    Cond::ExpOpen
                } else {
                    Cond::ImpOpen
                };
                self.set_cond(z, open);
                self.nr_open += 1;
                self.lru_push_tail(z);
                Ok(())
            }
            _ => Err(ZoneError::BadCondition(cond)),
        }
    }

    fn can_open(&self) -> bool {
        self.geo.max_open_zones == 0 || self.nr_open < self.geo.max_open_zones
    }

    /// Whether one more zone may become active.
    fn can_activate(&self) -> bool {
        self.geo.max_active_zones == 0 || self.nr_active < self.geo.max_active_zones
    }

    /// Sets the condition of zone `z` and keeps the counts of active zones
    /// and of zones in a fault condition. Every change of condition after
    /// [`Self::new`] goes through here, so that a zone leaving a condition
    /// always leaves its count (an open or closed zone made read-only or
    /// offline is no longer active). The open-zone count goes with the LRU
    /// (`lru_remove`, `open_zone`).
    fn set_cond(&mut self, z: u32, cond: Cond) {
        let old = self.meta[z as usize].cond;
        self.nr_active = step(self.nr_active, old.is_active(), cond.is_active());
        self.nr_faults = step(self.nr_faults, old.is_fault(), cond.is_fault());
        self.meta[z as usize].cond = cond;
    }

    /// Closes the least recently used implicitly open zone, if there is one.
    fn close_lru_implicit(&mut self) -> bool {
        let mut z = self.lru_head;
        while z != NIL {
            if self.cond(z) == Cond::ImpOpen {
                self.lru_remove(z);
                self.set_cond(z, Cond::Closed);
                return true;
            }
            z = self.meta[z as usize].next;
        }
        false
    }

    /// Drops zone `z` from the open zones if it is open (its condition is
    /// then up to the caller).
    fn lru_remove(&mut self, z: u32) {
        if self.cond(z).is_open() {
            self.lru_remove_link(z);
            self.nr_open -= 1;
        }
    }

    fn lru_remove_link(&mut self, z: u32) {
        let ZoneMeta { prev, next, .. } = self.meta[z as usize];
        if prev == NIL {
            self.lru_head = next;
        } else {
            self.meta[prev as usize].next = next;
        }
        if next == NIL {
            self.lru_tail = prev;
        } else {
            self.meta[next as usize].prev = prev;
        }
        let m = &mut self.meta[z as usize];
        m.prev = NIL;
        m.next = NIL;
    }

    fn lru_push_tail(&mut self, z: u32) {
        let tail = self.lru_tail;
        {
            let m = &mut self.meta[z as usize];
            m.prev = tail;
            m.next = NIL;
        }
        if tail == NIL {
            self.lru_head = z;
        } else {
            self.meta[tail as usize].next = z;
        }
        self.lru_tail = z;
    }

    /// The open zones, least recently used first.
    #[allow(dead_code)] // For tests.
    pub(crate) fn open_zones_lru(&self) -> OpenZonesIter<'_> {
        OpenZonesIter {
            meta: &self.meta,
            next: self.lru_head,
        }
    }
}

/// A count of zones in some class after one zone went from a condition in
/// the class (`was`) or not to one in it (`is`) or not.
const fn step(count: u32, was: bool, is: bool) -> u32 {
    match (was, is) {
        (false, true) => count + 1,
        (true, false) => count - 1,
        _ => count,
    }
}

/// Iterator over the open zones in LRU order.
#[allow(dead_code)] // For tests.
pub(crate) struct OpenZonesIter<'a> {
    meta: &'a [ZoneMeta],
    next: u32,
}

impl Iterator for OpenZonesIter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.next == NIL {
            return None;
        }
        let z = self.next;
        self.next = self.meta[z as usize].next;
        Some(z)
    }
}
