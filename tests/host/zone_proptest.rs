// SPDX-License-Identifier: GPL-2.0

//! Property test of the zone state machine (`zone.rs`): random sequences of
//! zone operations on small geometries, with and without an open-zone limit,
//! run against a plain `Vec` model of the C zloop of Linux 7.2
//! (`zloop_do_open_zone()`, `zloop_close_imp_open_zone()`,
//! `zloop_mark_full/empty()`, `zloop_update_seq_zone()`, the OPEN / CLOSE /
//! RESET / FINISH commands and `zloop_seq_write_prep()`), with the documented
//! deviations of `zone.rs`: a write crossing the capacity is `NoRoom`, a write
//! or append to a full zone is `Full`, and an append opens the zone and
//! advances the write pointer at once (so the filling append succeeds).
//! Fault conditions (read-only, offline) follow null_blk's
//! `null_set_zone_cond()` and the checks of `null_zone_mgmt()` /
//! `null_zone_write()`: every write, append and zone operation of a faulty
//! zone fails, and asking for its condition again makes it empty.
//!
//! After every step, the condition and write pointer of every zone, the open
//! count and the open-zone LRU list must match the model.
//!
//! The model also has the zloop_rs addition `max_active_zones` (ZNS/ZBC, as
//! null_blk's `null_check_zone_resources()`): opening an empty zone, by a
//! write, an append or an OPEN, fails while the active (open or closed) zones
//! are at the limit, before the open limit is looked at. The active count
//! must equal the number of open or closed zones after every step and never
//! exceed the limit, except after a re-read (`SetWritten`, which follows the
//! file), and no other operation may raise it above the limit. A read-only
//! or offline zone is not active (null_blk finishes a zone before it takes a
//! fault condition), so a fault on an open or closed zone frees its slot; a
//! restored device (`add`) counts its active zones after the recorded faults
//! are applied.

use crate::options::Geometry;
use crate::zone::{Cond, FaultChange, ZoneError, ZoneMeta, Zones};
use core::fmt::Debug;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

fn config() -> Config {
    Config {
        cases: 1200,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One operation. Zone numbers and sizes are raw values, reduced against the
/// geometry when the operation runs (so that shrinking keeps them valid).
#[derive(Clone, Copy, Debug)]
enum Op {
    /// Regular write of `1 + nr % (capacity + 1)` sectors at the wp of a
    /// sequential zone.
    WriteAtWp { z: u32, nr: u64 },
    /// Regular write at `start + off % zone_sectors` (usually off the wp).
    Write { z: u32, off: u64, nr: u64 },
    /// Zone append to a sequential zone.
    Append { z: u32, nr: u64 },
    /// OPEN of any zone.
    Open { z: u32 },
    /// CLOSE of any zone.
    Close { z: u32 },
    /// RESET of any zone: `mark_empty` if `reset_needed`.
    Reset { z: u32, suspect: bool },
    /// FINISH of any zone: `mark_full` if `finish_needed`.
    Finish { z: u32, suspect: bool },
    /// Re-sync of a sequential zone from a file of `sectors % (capacity + 1)`.
    SetWritten { z: u32, sectors: u64 },
    /// `zone_offline` (or `zone_readonly`) of any zone.
    Fault { z: u32, offline: bool },
}

/// Operations; `SetWritten` only with `reread`.
fn op(reread: bool) -> impl Strategy<Value = Op> {
    let z = 0u32..64;
    let n = 0u64..64;
    prop_oneof![
        6 => (z.clone(), n.clone()).prop_map(|(z, nr)| Op::WriteAtWp { z, nr }),
        2 => (z.clone(), n.clone(), n.clone()).prop_map(|(z, off, nr)| Op::Write { z, off, nr }),
        4 => (z.clone(), n.clone()).prop_map(|(z, nr)| Op::Append { z, nr }),
        3 => z.clone().prop_map(|z| Op::Open { z }),
        3 => z.clone().prop_map(|z| Op::Close { z }),
        1 => (z.clone(), any::<bool>()).prop_map(|(z, suspect)| Op::Reset { z, suspect }),
        1 => (z.clone(), any::<bool>()).prop_map(|(z, suspect)| Op::Finish { z, suspect }),
        1 => (z.clone(), n).prop_map(move |(z, sectors)| {
            if reread {
                Op::SetWritten { z, sectors }
            } else {
                Op::Close { z }
            }
        }),
        1 => (z, any::<bool>()).prop_map(|(z, offline)| Op::Fault { z, offline }),
    ]
}

/// Which limits a geometry has.
#[derive(Clone, Copy, Debug)]
enum Limits {
    None,
    Open,
    /// An active limit, and an open limit of 0 (none) up to it.
    Active,
}

/// A small geometry: 1 to 7 zones of 4 to 16 sectors, at least one
/// sequential, capacity 1 to the zone size, and limits of 1 to the number of
/// sequential zones as `limits` says (an open limit at most the active one,
/// as `geometry()` makes it).
fn small_geometry(limits: Limits) -> impl Strategy<Value = Geometry> {
    (2u32..=4, 1u32..=7)
        .prop_flat_map(move |(shift, nr_zones)| {
            let zs = 1u64 << shift;
            (
                Just(shift),
                Just(nr_zones),
                0..nr_zones,
                1..=zs,
                1u32..=7,
                0u32..=7,
            )
        })
        .prop_map(move |(shift, nr_zones, conv, cap, a, b)| {
            let nr_seq = nr_zones - conv;
            let pick = |max: u32, v: u32| 1 + (v - 1) % max;
            let (max_open_zones, max_active_zones) = match limits {
                Limits::None => (0, 0),
                Limits::Open => (pick(nr_seq, a), 0),
                Limits::Active => {
                    let active = pick(nr_seq, a);
                    (if b == 0 { 0 } else { pick(active, b) }, active)
                }
            };
            Geometry {
                nr_zones,
                nr_conv_zones: conv,
                zone_shift: shift,
                zone_sectors: 1 << shift,
                zone_capacity_sectors: cap,
                max_open_zones,
                max_active_zones,
            }
        })
}

/// The C semantics, in the plainest form.
struct Model {
    geo: Geometry,
    cond: Vec<Cond>,
    wp: Vec<u64>,
    /// `open_zones_lru_list`: open zones, least recently used first.
    lru: Vec<u32>,
}

impl Model {
    fn new(geo: Geometry) -> Self {
        let n = geo.nr_zones as usize;
        let mut m = Model {
            geo,
            cond: vec![Cond::Empty; n],
            wp: vec![0; n],
            lru: Vec::new(),
        };
        for z in 0..geo.nr_zones {
            if z < geo.nr_conv_zones {
                m.cond[z as usize] = Cond::NotWp;
                m.wp[z as usize] = u64::MAX;
            } else {
                m.wp[z as usize] = m.start(z);
            }
        }
        m
    }

    fn start(&self, z: u32) -> u64 {
        u64::from(z) << self.geo.zone_shift
    }

    fn end(&self, z: u32) -> u64 {
        self.start(z) + self.geo.zone_capacity_sectors
    }

    fn conv(&self, z: u32) -> bool {
        z < self.geo.nr_conv_zones
    }

    fn cond(&self, z: u32) -> Cond {
        self.cond[z as usize]
    }

    fn set(&mut self, z: u32, cond: Cond, wp: u64) {
        self.cond[z as usize] = cond;
        self.wp[z as usize] = wp;
    }

    /// Open and closed zones, counted.
    fn nr_active(&self) -> usize {
        self.cond.iter().filter(|c| c.is_active()).count()
    }

    /// null_check_active(): room for one more active zone.
    fn can_activate(&self) -> bool {
        self.geo.max_active_zones == 0 || self.nr_active() < self.geo.max_active_zones as usize
    }

    /// zloop_can_open_zone()
    fn can_open(&self) -> bool {
        self.geo.max_open_zones == 0 || (self.lru.len() as u32) < self.geo.max_open_zones
    }

    /// zloop_lru_remove_open_zone()
    fn lru_remove(&mut self, z: u32) {
        if self.cond(z).is_open() {
            self.lru.retain(|&x| x != z);
        }
    }

    /// zloop_lru_rotate_open_zone(): only with a limit, as in the C.
    fn lru_rotate(&mut self, z: u32) {
        if self.geo.max_open_zones != 0 {
            self.lru.retain(|&x| x != z);
            self.lru.push(z);
        }
    }

    /// zloop_close_imp_open_zone()
    fn close_imp_open_zone(&mut self) -> bool {
        if self.can_open() {
            return true;
        }
        let victim = self
            .lru
            .iter()
            .copied()
            .find(|&x| self.cond(x) == Cond::ImpOpen);
        match victim {
            Some(v) => {
                self.cond[v as usize] = Cond::Closed;
                self.lru.retain(|&x| x != v);
                true
            }
            None => false,
        }
    }

    /// zloop_do_open_zone(), with the reason of a failure.
    fn do_open(&mut self, z: u32, explicit: bool) -> Result<(), ZoneError> {
        match self.cond(z) {
            Cond::ImpOpen | Cond::ExpOpen => {
                if explicit {
                    self.cond[z as usize] = Cond::ExpOpen;
                }
                self.lru_rotate(z);
                Ok(())
            }
            Cond::Empty | Cond::Closed => {
                // null_check_zone_resources(): an empty zone needs an active
                // slot, checked before anything is closed for the open
                if self.cond(z) == Cond::Empty && !self.can_activate() {
                    return Err(ZoneError::ActiveLimit);
                }
                // zloop_open_closed_or_empty_zone()
                let ok = if explicit {
                    self.can_open()
                } else {
                    self.close_imp_open_zone()
                };
                if !ok {
                    return Err(ZoneError::OpenLimit);
                }
                self.cond[z as usize] = if explicit {
                    Cond::ExpOpen
                } else {
                    Cond::ImpOpen
                };
                self.lru.push(z);
                Ok(())
            }
            c => Err(ZoneError::BadCondition(c)),
        }
    }

    fn mark_full(&mut self, z: u32) {
        self.lru_remove(z);
        self.set(z, Cond::Full, u64::MAX);
    }

    fn mark_empty(&mut self, z: u32) {
        self.lru_remove(z);
        let s = self.start(z);
        self.set(z, Cond::Empty, s);
    }

    /// zloop_update_seq_zone() after its size checks; a faulty zone keeps
    /// its condition.
    fn update_seq_zone(&mut self, z: u32, sectors: u64) {
        if self.cond(z).is_fault() {
            return;
        }
        if sectors == 0 {
            self.mark_empty(z);
        } else if sectors == self.geo.zone_capacity_sectors {
            self.mark_full(z);
        } else {
            if !self.cond(z).is_open() {
                self.cond[z as usize] = Cond::Closed;
            }
            self.wp[z as usize] = self.start(z) + sectors;
        }
    }

    /// zloop_seq_write_prep() for a regular write, with deviations 1 and 2.
    fn write(&mut self, z: u32, sector: u64, nr: u64) -> Result<(), ZoneError> {
        self.usable(z)?;
        if self.cond(z) == Cond::Full {
            return Err(ZoneError::Full);
        }
        let wp = self.wp[z as usize];
        if sector != wp {
            return Err(ZoneError::Unaligned { wp });
        }
        if wp + nr > self.end(z) {
            return Err(ZoneError::NoRoom);
        }
        self.do_open(z, false)?;
        self.wp[z as usize] += nr;
        if self.wp[z as usize] == self.end(z) {
            self.mark_full(z);
        }
        Ok(())
    }

    /// zloop_seq_write_prep() for a (non-ordered) append, which is also what
    /// zone.rs does for an ordered one (deviation 3).
    fn append(&mut self, z: u32, nr: u64) -> Result<u64, ZoneError> {
        self.usable(z)?;
        if self.cond(z) == Cond::Full {
            return Err(ZoneError::Full);
        }
        let wp = self.wp[z as usize];
        if wp + nr > self.end(z) {
            return Err(ZoneError::NoRoom);
        }
        self.do_open(z, false)?;
        self.wp[z as usize] += nr;
        if self.wp[z as usize] == self.end(z) {
            self.mark_full(z);
        }
        Ok(wp)
    }

    /// zloop_open_zone()
    fn open(&mut self, z: u32) -> Result<(), ZoneError> {
        if self.conv(z) {
            return Err(ZoneError::Conventional);
        }
        self.do_open(z, true)
    }

    /// zloop_close_zone()
    fn close(&mut self, z: u32) -> Result<(), ZoneError> {
        if self.conv(z) {
            return Err(ZoneError::Conventional);
        }
        match self.cond(z) {
            Cond::Closed => Ok(()),
            Cond::ImpOpen | Cond::ExpOpen => {
                self.lru_remove(z);
                let empty = self.wp[z as usize] == self.start(z);
                self.cond[z as usize] = if empty { Cond::Empty } else { Cond::Closed };
                Ok(())
            }
            c => Err(ZoneError::BadCondition(c)),
        }
    }

    /// zloop_reset_zone() with a successful truncate; `Ok(did_something)`.
    fn reset(&mut self, z: u32, suspect: bool) -> Result<bool, ZoneError> {
        if self.conv(z) {
            return Err(ZoneError::Conventional);
        }
        self.usable(z)?;
        if !suspect && self.cond(z) == Cond::Empty {
            return Ok(false);
        }
        self.mark_empty(z);
        Ok(true)
    }

    /// zloop_finish_zone() with a successful truncate; `Ok(did_something)`.
    fn finish(&mut self, z: u32, suspect: bool) -> Result<bool, ZoneError> {
        if self.conv(z) {
            return Err(ZoneError::Conventional);
        }
        self.usable(z)?;
        if !suspect && self.cond(z) == Cond::Full {
            return Ok(false);
        }
        self.mark_full(z);
        Ok(true)
    }
}

impl Model {
    /// null_blk: read-only and offline zones fail every write and zone
    /// operation.
    fn usable(&self, z: u32) -> Result<(), ZoneError> {
        match self.cond(z) {
            c @ (Cond::ReadOnly | Cond::Offline) => Err(ZoneError::BadCondition(c)),
            _ => Ok(()),
        }
    }

    /// null_set_zone_cond(): the same condition again makes the zone
    /// empty; otherwise the zone leaves the open zones (null_blk finishes
    /// it first) and takes the condition, with no write pointer.
    fn fault(&mut self, z: u32, c: Cond) -> Result<FaultChange, ZoneError> {
        if self.conv(z) {
            return Err(ZoneError::Conventional);
        }
        self.lru_remove(z);
        if self.cond(z) == c {
            let s = self.start(z);
            self.set(z, Cond::Empty, s);
            Ok(FaultChange::Clear)
        } else {
            self.set(z, c, u64::MAX);
            Ok(FaultChange::Set)
        }
    }
}

type Dev = Zones<Vec<ZoneMeta>>;

/// Runs `op` on both, and returns a description of any difference in the
/// results.
fn step(d: &mut Dev, m: &mut Model, op: Op) -> Result<(), String> {
    let g = m.geo;
    let nr_seq = g.nr_zones - g.nr_conv_zones;
    let any_zone = |z: u32| z % g.nr_zones;
    let seq_zone = |z: u32| g.nr_conv_zones + z % nr_seq;
    let len = |nr: u64| 1 + nr % (g.zone_capacity_sectors + 1);
    fn check<T: PartialEq + Debug>(
        what: impl FnOnce() -> String,
        got: T,
        want: T,
    ) -> Result<(), String> {
        if got == want {
            Ok(())
        } else {
            Err(format!("{}: {got:?} != model {want:?}", what()))
        }
    }
    match op {
        Op::WriteAtWp { z, nr } => {
            let (z, nr) = (seq_zone(z), len(nr));
            let sector = m.wp[z as usize];
            let (got, want) = (d.prep_write(z, sector, nr), m.write(z, sector, nr));
            check(|| format!("write z{z} @{sector}+{nr}"), got, want)
        }
        Op::Write { z, off, nr } => {
            let (z, nr) = (seq_zone(z), len(nr));
            let sector = m.start(z) + off % g.zone_sectors;
            let (got, want) = (d.prep_write(z, sector, nr), m.write(z, sector, nr));
            check(|| format!("write z{z} @{sector}+{nr}"), got, want)
        }
        Op::Append { z, nr } => {
            let (z, nr) = (seq_zone(z), len(nr));
            let (got, want) = (d.prep_append(z, nr), m.append(z, nr));
            check(|| format!("append z{z} +{nr}"), got, want)
        }
        Op::Open { z } => {
            let z = any_zone(z);
            let (got, want) = (d.open(z), m.open(z));
            check(|| format!("open z{z}"), got, want)
        }
        Op::Close { z } => {
            let z = any_zone(z);
            let (got, want) = (d.close(z), m.close(z));
            check(|| format!("close z{z}"), got, want)
        }
        Op::Reset { z, suspect } => {
            let z = any_zone(z);
            let got = d.reset_needed(z, suspect);
            if got == Ok(true) {
                d.mark_empty(z);
            }
            let want = m.reset(z, suspect);
            check(|| format!("reset z{z} {suspect}"), got, want)
        }
        Op::Finish { z, suspect } => {
            let z = any_zone(z);
            let got = d.finish_needed(z, suspect);
            if got == Ok(true) {
                d.mark_full(z);
            }
            let want = m.finish(z, suspect);
            check(|| format!("finish z{z} {suspect}"), got, want)
        }
        Op::SetWritten { z, sectors } => {
            let z = seq_zone(z);
            let sectors = sectors % (g.zone_capacity_sectors + 1);
            d.set_written(z, sectors);
            m.update_seq_zone(z, sectors);
            Ok(())
        }
        Op::Fault { z, offline } => {
            let z = any_zone(z);
            let c = if offline {
                Cond::Offline
            } else {
                Cond::ReadOnly
            };
            let got = d.fault_change(z, c);
            match got {
                Ok(FaultChange::Set) => d.set_fault(z, c),
                Ok(FaultChange::Clear) => d.clear_fault(z),
                Err(_) => {}
            }
            let want = m.fault(z, c);
            check(|| format!("fault z{z} {c:?}"), got, want)
        }
    }
}

/// Compares every zone, the open count and the LRU list.
fn compare(d: &Dev, m: &Model) -> Result<(), String> {
    let g = m.geo;
    for z in 0..g.nr_zones {
        let got = (d.cond(z), d.wp(z));
        let want = (m.cond(z), m.wp[z as usize]);
        if got != want {
            return Err(format!("zone {z}: {got:?} != model {want:?}"));
        }
        let i = d.info(z);
        let cap = if m.conv(z) {
            g.zone_sectors
        } else {
            g.zone_capacity_sectors
        };
        let want = (m.start(z), g.zone_sectors, want.1, want.0, m.conv(z), cap);
        let got = (i.start, i.len, i.wp, i.cond, i.conventional, i.capacity);
        if got != want {
            return Err(format!("info {z}: {got:?} != {want:?}"));
        }
    }
    let faults = (0..g.nr_zones).filter(|&z| m.cond(z).is_fault()).count();
    if d.nr_faults() as usize != faults {
        return Err(format!("nr_faults {} != model {faults}", d.nr_faults()));
    }
    let open = (0..g.nr_zones).filter(|&z| d.cond(z).is_open()).count();
    if d.nr_open() as usize != open || open != m.lru.len() {
        return Err(format!(
            "nr_open {} / open zones {open} / model {}",
            d.nr_open(),
            m.lru.len()
        ));
    }
    if g.max_open_zones != 0 && d.nr_open() > g.max_open_zones {
        return Err(format!("nr_open {} > limit", d.nr_open()));
    }
    if d.nr_active() as usize != m.nr_active() {
        return Err(format!(
            "nr_active {} != open or closed zones {}",
            d.nr_active(),
            m.nr_active()
        ));
    }
    // The iterator must end: stop after more entries than zones.
    let lru: Vec<u32> = d.open_zones_lru().take(g.nr_zones as usize + 1).collect();
    let mut sorted = lru.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != lru.len() || lru.iter().any(|&z| !d.cond(z).is_open()) {
        return Err(format!("LRU {lru:?} has duplicates or non-open zones"));
    }
    if lru.len() != open {
        return Err(format!("LRU {lru:?} does not list the {open} open zones"));
    }
    // Without a limit, the C does not keep the list in LRU order (it is then
    // never used to pick a zone): compare the order only with a limit.
    if g.max_open_zones != 0 && lru != m.lru {
        return Err(format!("LRU {lru:?} != model {:?}", m.lru));
    }
    Ok(())
}

/// The active limit: only a re-read may raise the count above it.
fn check_active_limit(g: &Geometry, before: u32, after: u32, op: Op) -> Result<(), String> {
    let limit = g.max_active_zones;
    let reread = matches!(op, Op::SetWritten { .. });
    if limit != 0 && !reread && after > before && after > limit {
        return Err(format!("nr_active {before} -> {after} > limit {limit}"));
    }
    Ok(())
}

fn run(geo: Geometry, ops: &[Op]) -> Result<(), TestCaseError> {
    let d: Dev = Zones::new(geo, vec![ZoneMeta::INIT; geo.nr_zones as usize]).unwrap();
    run_on(d, Model::new(geo), ops)
}

/// What `add` finds in a zone file when it restores a device: the file size
/// (`sectors % (capacity + 1)`) and the fault its attribute records
/// (0 or 1: none, 2: read-only, 3: offline).
type Found = (u64, u8);

/// Restores both as `add` does (each sequential zone from its file, then
/// the recorded fault), checks the active count the restore refusal looks
/// at (faulty zones are not active), then runs `ops` on the device if the
/// add would accept it.
fn run_restored(geo: Geometry, found: &[Found], ops: &[Op]) -> Result<(), TestCaseError> {
    let mut d: Dev = Zones::new(geo, vec![ZoneMeta::INIT; geo.nr_zones as usize]).unwrap();
    let mut m = Model::new(geo);
    for (z, &(sectors, fault)) in (geo.nr_conv_zones..geo.nr_zones).zip(found.iter().cycle()) {
        let sectors = sectors % (geo.zone_capacity_sectors + 1);
        d.restore(z, sectors);
        m.update_seq_zone(z, sectors);
        let c = match fault {
            2 => Cond::ReadOnly,
            3 => Cond::Offline,
            _ => continue,
        };
        d.set_fault(z, c);
        prop_assert_eq!(m.fault(z, c), Ok(FaultChange::Set));
    }
    compare(&d, &m).map_err(|e| TestCaseError::fail(format!("after restore: {e}")))?;
    let partial = (geo.nr_conv_zones..geo.nr_zones)
        .filter(|&z| m.cond(z) == Cond::Closed)
        .count();
    prop_assert_eq!(d.nr_active() as usize, partial);
    if geo.max_active_zones != 0 && d.nr_active() > geo.max_active_zones {
        // `add` refuses this directory (EINVAL): nothing runs on it.
        return Ok(());
    }
    run_on(d, m, ops)
}

fn run_on(mut d: Dev, mut m: Model, ops: &[Op]) -> Result<(), TestCaseError> {
    let geo = m.geo;
    compare(&d, &m).map_err(TestCaseError::fail)?;
    let mut reread = false;
    for (i, &op) in ops.iter().enumerate() {
        let before = d.nr_active();
        step(&mut d, &mut m, op).map_err(|e| TestCaseError::fail(format!("step {i}: {e}")))?;
        compare(&d, &m).map_err(|e| TestCaseError::fail(format!("after step {i} {op:?}: {e}")))?;
        check_active_limit(&geo, before, d.nr_active(), op)
            .map_err(|e| TestCaseError::fail(format!("after step {i} {op:?}: {e}")))?;
        reread |= matches!(op, Op::SetWritten { .. });
        if !reread && geo.max_active_zones != 0 && d.nr_active() > geo.max_active_zones {
            return Err(TestCaseError::fail(format!(
                "after step {i} {op:?}: nr_active {} > limit without a re-read",
                d.nr_active()
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_zone_ops_match_c_model_without_open_limit(
        geo in small_geometry(Limits::None),
        ops in proptest::collection::vec(op(true), 1..64),
    ) {
        run(geo, &ops)?;
    }

    #[test]
    fn random_zone_ops_match_c_model_with_open_limit(
        geo in small_geometry(Limits::Open),
        ops in proptest::collection::vec(op(true), 1..64),
    ) {
        run(geo, &ops)?;
    }

    #[test]
    fn random_zone_ops_match_model_with_active_limit(
        geo in small_geometry(Limits::Active),
        ops in proptest::collection::vec(op(true), 1..64),
    ) {
        run(geo, &ops)?;
    }

    /// A restored device (zones partially written, full or empty, some
    /// with a recorded fault) counts only its non-faulty partially written
    /// zones as active, and then follows both models.
    #[test]
    fn restored_zones_with_faults_match_model_with_active_limit(
        geo in small_geometry(Limits::Active),
        found in proptest::collection::vec((0u64..64, 0u8..4), 1..8),
        ops in proptest::collection::vec(op(false), 1..64),
    ) {
        run_restored(geo, &found, &ops)?;
    }

    /// Without re-reads the active count never exceeds the limit.
    #[test]
    fn active_limit_holds_without_rereads(
        geo in small_geometry(Limits::Active),
        ops in proptest::collection::vec(op(false), 1..64),
    ) {
        run(geo, &ops)?;
        let reread = ops.iter().any(|o| matches!(o, Op::SetWritten { .. }));
        prop_assert!(!reread, "a re-read was generated");
    }
}
