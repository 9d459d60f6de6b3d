// SPDX-License-Identifier: GPL-2.0

//! Unit tests of the zone state machine (`zone.rs`) against the C zloop of
//! Linux 7.2 (drivers/block/zloop.c: `zloop_do_open_zone()` and its helpers,
//! `zloop_mark_full/empty()`, `zloop_update_seq_zone()`, the zone management
//! commands, `zloop_seq_write_prep()`, `zloop_set_zone_append_sector()` and
//! `zloop_report_zones()`), conformance checklist items C31-C45 of the survey,
//! with the documented deviations of `zone.rs`:
//! 1. a regular write crossing the zone capacity is refused (`NoRoom`);
//! 2. a write or append to a full zone fails with `Full`;
//! 3. an (ordered) append opens the zone and advances the write pointer at
//!    once, so the append that fills a zone succeeds and makes it full;
//! 4. `reset_needed` / `finish_needed` are queries taking the C `SEQ_ERROR`
//!    bit as `suspect`; the caller then calls `mark_empty` / `mark_full`.

use crate::options::{geometry, AddOptions, Geometry};
use crate::zone::{
    seq_file_sectors, Cond, FaultChange, SizeError, ZoneError, ZoneInfo, ZoneMeta, Zones,
};
use core::ops::{Deref, DerefMut};
use std::boxed::Box;
use std::vec;
use std::vec::Vec;

/// A device: the zones and the geometry they were made with.
struct Dev {
    zones: Zones<Vec<ZoneMeta>>,
    geo: Geometry,
}

impl Dev {
    fn geometry(&self) -> &Geometry {
        &self.geo
    }
}

impl Deref for Dev {
    type Target = Zones<Vec<ZoneMeta>>;

    fn deref(&self) -> &Self::Target {
        &self.zones
    }
}

impl DerefMut for Dev {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.zones
    }
}

/// Zone size of the test geometries, in sectors.
const ZS: u64 = 16;
const SHIFT: u32 = 4;
/// Zones of the default test geometry: 2 conventional, 6 sequential.
const NR: u32 = 8;
const CONV: u32 = 2;

fn geo(nr_zones: u32, nr_conv_zones: u32, capacity: u64, max_open_zones: u32) -> Geometry {
    Geometry {
        nr_zones,
        nr_conv_zones,
        zone_shift: SHIFT,
        zone_sectors: ZS,
        zone_capacity_sectors: capacity,
        max_open_zones,
        max_active_zones: 0,
    }
}

#[track_caller]
fn make(g: Geometry) -> Dev {
    let zones = Zones::new(g, vec![ZoneMeta::INIT; g.nr_zones as usize]).expect("right length");
    let dev = Dev { zones, geo: g };
    check(&dev);
    dev
}

/// 8 zones of 16 sectors, 2 conventional, capacity = zone size, no open limit.
fn dev() -> Dev {
    make(geo(NR, CONV, ZS, 0))
}

/// Like [`dev`], with an open-zone limit.
fn dev_limit(max_open: u32) -> Dev {
    make(geo(NR, CONV, ZS, max_open))
}

/// Like [`dev`], with an active-zone limit and an open-zone limit (0: none).
fn dev_active(max_active: u32, max_open: u32) -> Dev {
    make(Geometry {
        max_active_zones: max_active,
        ..geo(NR, CONV, ZS, max_open)
    })
}

fn start(z: u32) -> u64 {
    u64::from(z) * ZS
}

fn lru(d: &Dev) -> Vec<u32> {
    d.open_zones_lru().collect()
}

/// Regular write of `nr` sectors at the write pointer of zone `z`.
fn write(d: &mut Dev, z: u32, nr: u64) -> Result<(), ZoneError> {
    let wp = d.wp(z);
    d.prep_write(z, wp, nr)
}

/// Condition and write pointer of zone `z`.
fn state(d: &Dev, z: u32) -> (Cond, u64) {
    (d.cond(z), d.wp(z))
}

/// All the zone records, to show that a refused operation changed nothing.
fn snapshot(d: &Dev) -> (Vec<(Cond, u64)>, Vec<u32>, u32) {
    let nr = d.geometry().nr_zones;
    ((0..nr).map(|z| state(d, z)).collect(), lru(d), d.nr_open())
}

/// Invariants that hold after every operation.
#[track_caller]
fn check(d: &Dev) {
    let g = *d.geometry();
    check_counts(d);
    if g.max_active_zones != 0 {
        assert!(d.nr_active() <= g.max_active_zones, "active limit exceeded");
    }
}

/// [`check`] without the active-zone limit (which only a re-read after an
/// I/O error may overstep).
#[track_caller]
fn check_counts(d: &Dev) {
    let g = *d.geometry();
    let open: Vec<u32> = (0..g.nr_zones).filter(|&z| d.cond(z).is_open()).collect();
    assert_eq!(d.nr_open() as usize, open.len(), "nr_open vs open zones");
    if g.max_open_zones != 0 {
        assert!(d.nr_open() <= g.max_open_zones, "open limit exceeded");
    }
    let faults = (0..g.nr_zones).filter(|&z| d.cond(z).is_fault()).count();
    assert_eq!(d.nr_faults() as usize, faults, "nr_faults vs faulty zones");
    let active = (0..g.nr_zones).filter(|&z| d.cond(z).is_active()).count();
    assert_eq!(d.nr_active() as usize, active, "nr_active vs active zones");
    let l = lru(d);
    let mut sorted = l.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, open, "LRU list {l:?} vs open zones");
    for z in 0..g.nr_zones {
        let s = d.start(z);
        let (c, wp) = state(d, z);
        if z < g.nr_conv_zones {
            assert_eq!((c, wp), (Cond::NotWp, u64::MAX), "zone {z}");
            continue;
        }
        match c {
            Cond::NotWp => panic!("sequential zone {z} is NotWp"),
            Cond::Empty => assert_eq!(wp, s, "empty zone {z}"),
            Cond::Full | Cond::ReadOnly | Cond::Offline => {
                assert_eq!(wp, u64::MAX, "{c:?} zone {z}")
            }
            Cond::ImpOpen | Cond::ExpOpen | Cond::Closed => {
                assert!(
                    wp >= s && wp < s + g.zone_capacity_sectors,
                    "zone {z} {c:?} wp {wp}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Conditions and initial state (C31)

#[test]
fn cond_values_are_blk_zone_cond_values() {
    assert_eq!(Cond::NotWp as u8, 0x0);
    assert_eq!(Cond::Empty as u8, 0x1);
    assert_eq!(Cond::ImpOpen as u8, 0x2);
    assert_eq!(Cond::ExpOpen as u8, 0x3);
    assert_eq!(Cond::Closed as u8, 0x4);
    assert_eq!(Cond::ReadOnly as u8, 0xd);
    assert_eq!(Cond::Full as u8, 0xe);
    assert_eq!(Cond::Offline as u8, 0xf);
}

#[test]
fn cond_is_open_and_is_active() {
    let all = [
        Cond::NotWp,
        Cond::Empty,
        Cond::ImpOpen,
        Cond::ExpOpen,
        Cond::Closed,
        Cond::ReadOnly,
        Cond::Full,
        Cond::Offline,
    ];
    for c in all {
        assert_eq!(
            c.is_fault(),
            matches!(c, Cond::ReadOnly | Cond::Offline),
            "{c:?}"
        );
        assert_eq!(
            c.is_open(),
            matches!(c, Cond::ImpOpen | Cond::ExpOpen),
            "{c:?}"
        );
        assert_eq!(
            c.is_active(),
            matches!(c, Cond::ImpOpen | Cond::ExpOpen | Cond::Closed),
            "{c:?}"
        );
    }
}

#[test]
fn initial_conventional_zones_are_not_wp_with_zone_size_capacity() {
    let d = make(geo(NR, CONV, 12, 0));
    for z in 0..CONV {
        assert!(d.is_conventional(z));
        assert_eq!(state(&d, z), (Cond::NotWp, u64::MAX));
        assert_eq!(
            d.info(z),
            ZoneInfo {
                start: start(z),
                len: ZS,
                wp: u64::MAX,
                cond: Cond::NotWp,
                conventional: true,
                capacity: ZS,
            }
        );
    }
}

#[test]
fn initial_sequential_zones_are_empty_with_wp_at_start_and_zone_capacity() {
    let d = make(geo(NR, CONV, 12, 0));
    for z in CONV..NR {
        assert!(!d.is_conventional(z));
        assert_eq!(d.start(z), start(z));
        assert_eq!(state(&d, z), (Cond::Empty, start(z)));
        assert_eq!(
            d.info(z),
            ZoneInfo {
                start: start(z),
                len: ZS,
                wp: start(z),
                cond: Cond::Empty,
                conventional: false,
                capacity: 12,
            }
        );
    }
}

#[test]
fn initial_state_has_no_open_zones() {
    let d = dev_limit(3);
    assert_eq!(d.nr_open(), 0);
    assert!(lru(&d).is_empty());
}

#[test]
fn initial_state_without_conventional_zones() {
    let d = make(geo(4, 0, ZS, 0));
    for z in 0..4 {
        assert!(!d.is_conventional(z));
        assert_eq!(state(&d, z), (Cond::Empty, start(z)));
    }
    assert_eq!(state(&d, 0), (Cond::Empty, 0));
}

#[test]
fn zone_of_in_range_sectors() {
    let d = dev();
    assert_eq!(d.zone_of(0), Some(0));
    assert_eq!(d.zone_of(ZS - 1), Some(0));
    assert_eq!(d.zone_of(ZS), Some(1));
    assert_eq!(d.zone_of(start(5) + 7), Some(5));
    assert_eq!(d.zone_of(u64::from(NR) * ZS - 1), Some(NR - 1));
}

#[test]
fn zone_of_out_of_range_sectors() {
    let d = dev();
    assert_eq!(d.zone_of(u64::from(NR) * ZS), None);
    assert_eq!(d.zone_of(u64::from(NR) * ZS + 1), None);
    assert_eq!(d.zone_of(u64::from(u32::MAX) << SHIFT), None);
    assert_eq!(d.zone_of((u64::from(u32::MAX) + 1) << SHIFT), None);
    assert_eq!(d.zone_of(u64::MAX), None);
}

#[test]
fn zone_of_sector_between_capacity_and_zone_size_is_that_zone() {
    let d = make(geo(NR, CONV, 12, 0));
    assert_eq!(d.zone_of(start(3) + 12), Some(3));
    assert_eq!(d.zone_of(start(3) + 15), Some(3));
}

#[test]
fn new_rejects_storage_length_mismatch() {
    let g = geo(NR, CONV, ZS, 0);
    assert!(Zones::new(g, vec![ZoneMeta::INIT; NR as usize - 1]).is_none());
    assert!(Zones::new(g, vec![ZoneMeta::INIT; NR as usize + 1]).is_none());
    assert!(Zones::new(g, Vec::<ZoneMeta>::new()).is_none());
    assert!(Zones::new(g, &mut [ZoneMeta::INIT; 3][..]).is_none());
    assert!(Zones::new(g, vec![ZoneMeta::INIT; NR as usize]).is_some());
}

#[test]
fn new_accepts_boxed_and_borrowed_slice_storage() {
    let g = geo(4, 1, ZS, 0);
    let mut b = Zones::new(g, Box::from([ZoneMeta::INIT; 4])).expect("box");
    assert_eq!(b.cond(0), Cond::NotWp);
    assert_eq!(b.prep_append(3, 2), Ok(start(3)));
    assert_eq!(b.cond(3), Cond::ImpOpen);

    let mut buf = [ZoneMeta::INIT; 4];
    let mut s = Zones::new(g, &mut buf[..]).expect("slice");
    assert_eq!(s.prep_write(1, start(1), 1), Ok(()));
    assert_eq!(
        (s.cond(1), s.wp(1), s.nr_open()),
        (Cond::ImpOpen, start(1) + 1, 1)
    );
}

#[test]
fn new_reinitialises_reused_storage() {
    let g = geo(NR, CONV, ZS, 2);
    let mut buf = [ZoneMeta::INIT; NR as usize];
    {
        let mut d = Zones::new(g, &mut buf[..]).expect("slice");
        d.open(2).unwrap();
        d.prep_write(3, start(3), 5).unwrap();
        d.prep_write(4, start(4), ZS).unwrap();
        d.prep_write(5, start(5), 1).unwrap();
        assert_eq!(d.nr_open(), 2);
    }
    let d = Zones::new(g, &mut buf[..]).expect("slice");
    assert_eq!(d.nr_open(), 0);
    assert_eq!(d.open_zones_lru().count(), 0);
    for z in 0..CONV {
        assert_eq!((d.cond(z), d.wp(z)), (Cond::NotWp, u64::MAX));
    }
    for z in CONV..NR {
        assert_eq!((d.cond(z), d.wp(z)), (Cond::Empty, start(z)));
    }
}

#[test]
fn geometry_from_add_options_builds_zones() {
    let opts = AddOptions {
        capacity_mb: 64,
        zone_size_mb: 8,
        zone_capacity_mb: 6,
        conv_zones: 2,
        max_open_zones: 3,
        ..AddOptions::DEFAULT
    };
    let g = geometry(&opts).expect("valid options");
    let zs = 8 * 2048;
    let mut d = Zones::new(g, vec![ZoneMeta::INIT; g.nr_zones as usize]).expect("length");
    assert_eq!(g.nr_zones, 8);
    assert_eq!(d.info(1).capacity, zs);
    assert_eq!(d.info(1).len, zs);
    let i = d.info(2);
    assert_eq!(
        (i.start, i.len, i.wp, i.capacity),
        (2 * zs, zs, 2 * zs, 6 * 2048)
    );
    assert_eq!(d.zone_of(3 * zs - 1), Some(2));
    for z in 2..5 {
        assert_eq!(d.open(z), Ok(()));
    }
    assert_eq!(d.open(5), Err(ZoneError::OpenLimit));
    assert_eq!(d.prep_write(2, 2 * zs, 6 * 2048), Ok(()));
    assert_eq!(d.cond(2), Cond::Full);
    assert_eq!(d.open(5), Ok(()));
}

#[test]
fn info_reports_every_condition() {
    let mut d = dev();
    write(&mut d, 2, 3).unwrap();
    d.open(3).unwrap();
    write(&mut d, 4, 5).unwrap();
    d.close(4).unwrap();
    d.mark_full(5);
    let want = [
        (2, Cond::ImpOpen, start(2) + 3),
        (3, Cond::ExpOpen, start(3)),
        (4, Cond::Closed, start(4) + 5),
        (5, Cond::Full, u64::MAX),
        (6, Cond::Empty, start(6)),
    ];
    for (z, cond, wp) in want {
        let i = d.info(z);
        assert_eq!(
            (i.cond, i.wp, i.start, i.len, i.capacity),
            (cond, wp, start(z), ZS, ZS)
        );
        assert!(!i.conventional);
    }
    check(&d);
}

// ---------------------------------------------------------------------------
// Regular writes (C32, C33)

#[test]
fn write_at_wp_of_empty_zone_opens_it_implicitly_and_advances_wp() {
    let mut d = dev();
    assert_eq!(d.prep_write(2, start(2), 4), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2) + 4));
    assert_eq!(d.nr_open(), 1);
    assert_eq!(lru(&d), [2]);
    assert_eq!(d.prep_write(2, start(2) + 4, 1), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2) + 5));
    assert_eq!(d.nr_open(), 1);
    check(&d);
}

#[test]
fn write_at_wp_of_closed_zone_reopens_it_implicitly() {
    let mut d = dev();
    write(&mut d, 3, 6).unwrap();
    d.close(3).unwrap();
    assert_eq!(
        (state(&d, 3), d.nr_open()),
        ((Cond::Closed, start(3) + 6), 0)
    );
    assert_eq!(d.prep_write(3, start(3) + 6, 2), Ok(()));
    assert_eq!(state(&d, 3), (Cond::ImpOpen, start(3) + 8));
    assert_eq!(d.nr_open(), 1);
    check(&d);
}

#[test]
fn write_at_wp_of_explicitly_open_zone_keeps_it_explicitly_open() {
    let mut d = dev();
    d.open(4).unwrap();
    assert_eq!(write(&mut d, 4, 3), Ok(()));
    assert_eq!(state(&d, 4), (Cond::ExpOpen, start(4) + 3));
    assert_eq!(d.nr_open(), 1);
    check(&d);
}

#[test]
fn write_not_at_wp_is_unaligned_with_wp_and_changes_nothing() {
    let mut d = dev();
    // Empty zone: anything but the zone start.
    let before = snapshot(&d);
    assert_eq!(
        d.prep_write(2, start(2) + 1, 1),
        Err(ZoneError::Unaligned { wp: start(2) })
    );
    assert_eq!(snapshot(&d), before);

    // Open zone: before and after the write pointer.
    write(&mut d, 2, 5).unwrap();
    write(&mut d, 3, 1).unwrap();
    let before = snapshot(&d);
    let wp = start(2) + 5;
    for sector in [start(2), wp - 1, wp + 1, start(2) + ZS - 1] {
        assert_eq!(d.prep_write(2, sector, 1), Err(ZoneError::Unaligned { wp }));
    }
    // Not rotated in the LRU either.
    assert_eq!(snapshot(&d), before);
    assert_eq!(lru(&d), [2, 3]);

    // Closed zone.
    d.close(2).unwrap();
    let before = snapshot(&d);
    assert_eq!(
        d.prep_write(2, start(2), 1),
        Err(ZoneError::Unaligned { wp })
    );
    assert_eq!(snapshot(&d), before);
    check(&d);
}

#[test]
fn write_reaching_capacity_makes_zone_full_and_releases_open_resource() {
    let mut d = dev();
    write(&mut d, 2, 10).unwrap();
    write(&mut d, 3, 1).unwrap();
    assert_eq!(d.nr_open(), 2);
    assert_eq!(d.prep_write(2, start(2) + 10, 6), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Full, u64::MAX));
    assert_eq!(d.info(2).wp, u64::MAX);
    assert_eq!(d.nr_open(), 1);
    assert_eq!(lru(&d), [3]);
    check(&d);
}

#[test]
fn single_write_of_whole_capacity_makes_empty_zone_full() {
    let mut d = dev();
    assert_eq!(d.prep_write(5, start(5), ZS), Ok(()));
    assert_eq!(state(&d, 5), (Cond::Full, u64::MAX));
    assert_eq!(d.nr_open(), 0);
    assert!(lru(&d).is_empty());
    check(&d);
}

#[test]
fn write_filling_zone_in_many_steps() {
    let mut d = dev();
    for i in 0..ZS {
        assert_eq!(d.prep_write(6, start(6) + i, 1), Ok(()));
        check(&d);
    }
    assert_eq!(state(&d, 6), (Cond::Full, u64::MAX));
}

/// Deviation 1: the C accepts a write crossing the zone capacity.
#[test]
fn write_crossing_capacity_is_no_room_and_changes_nothing() {
    let mut d = dev();
    // Empty zone: not even opened.
    let before = snapshot(&d);
    assert_eq!(d.prep_write(2, start(2), ZS + 1), Err(ZoneError::NoRoom));
    assert_eq!(snapshot(&d), before);

    // Open zone: wp and LRU position kept.
    write(&mut d, 2, 10).unwrap();
    write(&mut d, 3, 1).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.prep_write(2, start(2) + 10, 7), Err(ZoneError::NoRoom));
    assert_eq!(snapshot(&d), before);
    assert_eq!(lru(&d), [2, 3]);

    // Closed zone: stays closed.
    d.close(2).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.prep_write(2, start(2) + 10, 7), Err(ZoneError::NoRoom));
    assert_eq!(snapshot(&d), before);
    assert_eq!(d.cond(2), Cond::Closed);

    // The sectors that fit are still accepted.
    assert_eq!(d.prep_write(2, start(2) + 10, 6), Ok(()));
    assert_eq!(d.cond(2), Cond::Full);
    check(&d);
}

#[test]
fn write_with_overflowing_length_is_no_room() {
    let mut d = dev();
    write(&mut d, 7, 1).unwrap();
    let before = snapshot(&d);
    assert_eq!(write(&mut d, 7, u64::MAX), Err(ZoneError::NoRoom));
    assert_eq!(
        write(&mut d, 7, u64::MAX - start(7)),
        Err(ZoneError::NoRoom)
    );
    assert_eq!(write(&mut d, 2, u64::MAX), Err(ZoneError::NoRoom));
    assert_eq!(snapshot(&d), before);
}

#[test]
fn refused_write_at_open_limit_does_not_evict_an_open_zone() {
    let mut d = dev_limit(1);
    write(&mut d, 2, 1).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.prep_write(3, start(3), ZS + 1), Err(ZoneError::NoRoom));
    assert_eq!(
        d.prep_write(3, start(3) + 1, 1),
        Err(ZoneError::Unaligned { wp: start(3) })
    );
    assert_eq!(d.prep_append(3, ZS + 1), Err(ZoneError::NoRoom));
    assert_eq!(snapshot(&d), before);
    assert_eq!(d.cond(2), Cond::ImpOpen);
    check(&d);
}

/// Deviation 2: the C fails these as unaligned writes (EIO).
#[test]
fn write_to_full_zone_is_full() {
    let mut d = dev();
    write(&mut d, 2, ZS).unwrap();
    d.mark_full(3);
    let before = snapshot(&d);
    for z in [2, 3] {
        for sector in [start(z), start(z) + 5, start(z) + ZS, u64::MAX] {
            assert_eq!(
                d.prep_write(z, sector, 1),
                Err(ZoneError::Full),
                "{z} {sector}"
            );
        }
    }
    assert_eq!(snapshot(&d), before);
}

/// The kernel side never calls `prep_write` / `prep_append` for a
/// conventional zone; if it did, they must fail without touching any state.
#[test]
fn write_or_append_to_conventional_zone_fails_without_state_change() {
    let mut d = dev_limit(1);
    write(&mut d, 2, 1).unwrap();
    let before = snapshot(&d);
    for z in 0..CONV {
        for sector in [start(z), start(z) + 3, u64::MAX] {
            for nr in [0, 1, ZS] {
                assert!(d.prep_write(z, sector, nr).is_err(), "{z} {sector} {nr}");
            }
        }
        for nr in [0, 1, ZS] {
            assert!(d.prep_append(z, nr).is_err(), "{z} {nr}");
        }
    }
    assert_eq!(snapshot(&d), before);
    check(&d);
}

#[test]
fn writes_with_zone_capacity_smaller_than_zone_size() {
    let mut d = make(geo(NR, CONV, 12, 0));
    // A write past the capacity (but inside the zone) is refused.
    assert_eq!(d.prep_write(2, start(2), 13), Err(ZoneError::NoRoom));
    assert_eq!(d.prep_write(2, start(2), ZS), Err(ZoneError::NoRoom));
    assert_eq!(state(&d, 2), (Cond::Empty, start(2)));
    // Reaching the capacity makes the zone full.
    assert_eq!(d.prep_write(2, start(2), 8), Ok(()));
    assert_eq!(d.prep_write(2, start(2) + 8, 5), Err(ZoneError::NoRoom));
    assert_eq!(d.prep_write(2, start(2) + 8, 4), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Full, u64::MAX));
    assert_eq!(d.prep_write(2, start(2) + 12, 1), Err(ZoneError::Full));
    // In one write.
    assert_eq!(d.prep_write(3, start(3), 12), Ok(()));
    assert_eq!(state(&d, 3), (Cond::Full, u64::MAX));
    assert_eq!(d.nr_open(), 0);
    let i = d.info(3);
    assert_eq!((i.len, i.capacity, i.wp), (ZS, 12, u64::MAX));
    check(&d);
}

// ---------------------------------------------------------------------------
// Zone append (C35, C37)

#[test]
fn append_returns_old_wp_and_advances_it() {
    let mut d = dev();
    assert_eq!(d.prep_append(2, 3), Ok(start(2)));
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2) + 3));
    assert_eq!(d.prep_append(2, 2), Ok(start(2) + 3));
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2) + 5));
    // Mixed with regular writes.
    assert_eq!(d.prep_write(2, start(2) + 5, 1), Ok(()));
    assert_eq!(d.prep_append(2, 1), Ok(start(2) + 6));
    assert_eq!(d.nr_open(), 1);
    check(&d);
}

#[test]
fn append_opens_closed_zone_implicitly() {
    let mut d = dev();
    write(&mut d, 3, 4).unwrap();
    d.close(3).unwrap();
    assert_eq!(d.prep_append(3, 4), Ok(start(3) + 4));
    assert_eq!(state(&d, 3), (Cond::ImpOpen, start(3) + 8));
    check(&d);
}

#[test]
fn append_to_explicitly_open_zone_keeps_it_explicitly_open() {
    let mut d = dev();
    d.open(3).unwrap();
    assert_eq!(d.prep_append(3, 4), Ok(start(3)));
    assert_eq!(state(&d, 3), (Cond::ExpOpen, start(3) + 4));
    check(&d);
}

/// Deviation 3: the append that fills the zone succeeds (the C ordered
/// append fails it, survey A.3 item 4).
#[test]
fn appends_exactly_filling_zone_succeed_last_makes_it_full_next_fails_full() {
    let mut d = dev();
    for i in 0..4 {
        assert_eq!(d.prep_append(2, 4), Ok(start(2) + 4 * i), "append {i}");
        check(&d);
    }
    assert_eq!(state(&d, 2), (Cond::Full, u64::MAX));
    assert_eq!(d.nr_open(), 0);
    assert_eq!(d.prep_append(2, 1), Err(ZoneError::Full));
    assert_eq!(state(&d, 2), (Cond::Full, u64::MAX));

    // One append of the whole capacity.
    assert_eq!(d.prep_append(3, ZS), Ok(start(3)));
    assert_eq!(state(&d, 3), (Cond::Full, u64::MAX));
    assert_eq!(d.prep_append(3, 1), Err(ZoneError::Full));
    check(&d);
}

#[test]
fn appends_filling_zone_with_smaller_capacity() {
    let mut d = make(geo(NR, CONV, 12, 1));
    assert_eq!(d.prep_append(2, 8), Ok(start(2)));
    assert_eq!(d.prep_append(2, 5), Err(ZoneError::NoRoom));
    assert_eq!(d.prep_append(2, 4), Ok(start(2) + 8));
    assert_eq!(state(&d, 2), (Cond::Full, u64::MAX));
    assert_eq!(d.prep_append(2, 1), Err(ZoneError::Full));
    // The open resource was released: another zone opens at the limit of 1.
    assert_eq!(d.open(3), Ok(()));
    check(&d);
}

#[test]
fn append_without_room_is_no_room_and_changes_nothing() {
    let mut d = dev();
    let before = snapshot(&d);
    assert_eq!(d.prep_append(2, ZS + 1), Err(ZoneError::NoRoom));
    assert_eq!(d.prep_append(2, u64::MAX), Err(ZoneError::NoRoom));
    assert_eq!(snapshot(&d), before);

    d.prep_append(2, 10).unwrap();
    d.prep_append(3, 1).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.prep_append(2, 7), Err(ZoneError::NoRoom));
    assert_eq!(snapshot(&d), before);
    assert_eq!(d.prep_append(2, 6), Ok(start(2) + 10));
    assert_eq!(state(&d, 2), (Cond::Full, u64::MAX));
    check(&d);
}

#[test]
fn append_to_full_zone_is_full() {
    let mut d = dev();
    d.mark_full(4);
    write(&mut d, 5, ZS).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.prep_append(4, 1), Err(ZoneError::Full));
    assert_eq!(d.prep_append(5, 1), Err(ZoneError::Full));
    assert_eq!(d.prep_append(5, 0), Err(ZoneError::Full));
    assert_eq!(snapshot(&d), before);
}

#[test]
fn append_at_open_limit_evicts_implicit_zone_or_fails_open_limit() {
    let mut d = dev_limit(2);
    d.prep_append(2, 1).unwrap();
    d.open(3).unwrap();
    // Evicts zone 2, the only implicitly open one.
    assert_eq!(d.prep_append(4, 2), Ok(start(4)));
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 1));
    assert_eq!(lru(&d), [3, 4]);
    // Now evicts zone 4.
    assert_eq!(d.prep_append(5, 2), Ok(start(5)));
    assert_eq!(state(&d, 4), (Cond::Closed, start(4) + 2));
    d.open(5).unwrap();
    // Both open zones are explicit: no room for an implicit open.
    let before = snapshot(&d);
    assert_eq!(d.prep_append(6, 1), Err(ZoneError::OpenLimit));
    assert_eq!(d.prep_append(2, 1), Err(ZoneError::OpenLimit));
    assert_eq!(snapshot(&d), before);
    check(&d);
}

// ---------------------------------------------------------------------------
// OPEN (C40)

#[test]
fn open_empty_zone_makes_it_explicitly_open() {
    let mut d = dev();
    assert_eq!(d.open(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ExpOpen, start(2)));
    assert_eq!(d.nr_open(), 1);
    assert_eq!(lru(&d), [2]);
    check(&d);
}

#[test]
fn open_closed_zone_makes_it_explicitly_open_and_keeps_wp() {
    let mut d = dev();
    write(&mut d, 2, 7).unwrap();
    d.close(2).unwrap();
    assert_eq!(d.open(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ExpOpen, start(2) + 7));
    assert_eq!(d.nr_open(), 1);
    check(&d);
}

#[test]
fn open_implicitly_open_zone_makes_it_explicitly_open_without_new_resource() {
    let mut d = dev();
    write(&mut d, 2, 7).unwrap();
    assert_eq!(d.open(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ExpOpen, start(2) + 7));
    assert_eq!(d.nr_open(), 1);
    assert_eq!(lru(&d), [2]);
    check(&d);
}

#[test]
fn open_explicitly_open_zone_is_a_no_op() {
    let mut d = dev();
    d.open(2).unwrap();
    write(&mut d, 2, 3).unwrap();
    assert_eq!(d.open(2), Ok(()));
    assert_eq!(d.open(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ExpOpen, start(2) + 3));
    assert_eq!(d.nr_open(), 1);
    check(&d);
}

#[test]
fn open_full_zone_is_bad_condition() {
    let mut d = dev();
    write(&mut d, 2, ZS).unwrap();
    d.mark_full(3);
    let before = snapshot(&d);
    assert_eq!(d.open(2), Err(ZoneError::BadCondition(Cond::Full)));
    assert_eq!(d.open(3), Err(ZoneError::BadCondition(Cond::Full)));
    assert_eq!(snapshot(&d), before);
}

#[test]
fn open_conventional_zone_is_conventional() {
    let mut d = dev_limit(1);
    let before = snapshot(&d);
    for z in 0..CONV {
        assert_eq!(d.open(z), Err(ZoneError::Conventional));
    }
    assert_eq!(snapshot(&d), before);
}

// ---------------------------------------------------------------------------
// CLOSE (C41)

#[test]
fn close_written_implicitly_open_zone_makes_it_closed() {
    let mut d = dev();
    write(&mut d, 2, 5).unwrap();
    write(&mut d, 3, 5).unwrap();
    assert_eq!(d.close(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 5));
    assert_eq!(d.nr_open(), 1);
    assert_eq!(lru(&d), [3]);
    check(&d);
}

#[test]
fn close_written_explicitly_open_zone_makes_it_closed() {
    let mut d = dev();
    d.open(2).unwrap();
    write(&mut d, 2, 5).unwrap();
    assert_eq!(d.close(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 5));
    assert_eq!(d.nr_open(), 0);
    check(&d);
}

#[test]
fn close_unwritten_explicitly_open_zone_makes_it_empty() {
    let mut d = dev();
    d.open(2).unwrap();
    assert_eq!(d.close(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Empty, start(2)));
    assert_eq!(d.nr_open(), 0);
    check(&d);
}

/// An implicitly open zone with nothing written only comes from a
/// zero-length write (which the block layer never sends).
#[test]
fn close_unwritten_implicitly_open_zone_makes_it_empty() {
    let mut d = dev();
    assert_eq!(d.prep_write(2, start(2), 0), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2)));
    assert_eq!(d.close(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Empty, start(2)));
    assert_eq!(d.nr_open(), 0);
    check(&d);
}

#[test]
fn close_closed_zone_is_a_no_op() {
    let mut d = dev();
    write(&mut d, 2, 5).unwrap();
    d.close(2).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.close(2), Ok(()));
    assert_eq!(snapshot(&d), before);
}

#[test]
fn close_empty_zone_is_bad_condition() {
    let mut d = dev();
    let before = snapshot(&d);
    assert_eq!(d.close(2), Err(ZoneError::BadCondition(Cond::Empty)));
    assert_eq!(snapshot(&d), before);
}

#[test]
fn close_full_zone_is_bad_condition() {
    let mut d = dev();
    write(&mut d, 2, ZS).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.close(2), Err(ZoneError::BadCondition(Cond::Full)));
    assert_eq!(snapshot(&d), before);
}

#[test]
fn close_conventional_zone_is_conventional() {
    let mut d = dev();
    for z in 0..CONV {
        assert_eq!(d.close(z), Err(ZoneError::Conventional));
        assert_eq!(state(&d, z), (Cond::NotWp, u64::MAX));
    }
}

// ---------------------------------------------------------------------------
// RESET / FINISH (C42, C44)

/// Zone 2 Empty, 3 ImpOpen, 4 ExpOpen, 5 Closed, 6 Full.
fn one_zone_per_condition() -> Dev {
    let mut d = dev();
    write(&mut d, 3, 2).unwrap();
    d.open(4).unwrap();
    write(&mut d, 5, 2).unwrap();
    d.close(5).unwrap();
    write(&mut d, 6, ZS).unwrap();
    let got: Vec<Cond> = (2..7).map(|z| d.cond(z)).collect();
    assert_eq!(
        got,
        [
            Cond::Empty,
            Cond::ImpOpen,
            Cond::ExpOpen,
            Cond::Closed,
            Cond::Full
        ]
    );
    d
}

#[test]
fn reset_needed_by_condition_and_suspect_flag() {
    let d = one_zone_per_condition();
    for z in 2..7 {
        let empty = d.cond(z) == Cond::Empty;
        assert_eq!(d.reset_needed(z, false), Ok(!empty), "{:?}", d.cond(z));
        assert_eq!(d.reset_needed(z, true), Ok(true), "{:?}", d.cond(z));
    }
}

#[test]
fn finish_needed_by_condition_and_suspect_flag() {
    let d = one_zone_per_condition();
    for z in 2..7 {
        let full = d.cond(z) == Cond::Full;
        assert_eq!(d.finish_needed(z, false), Ok(!full), "{:?}", d.cond(z));
        assert_eq!(d.finish_needed(z, true), Ok(true), "{:?}", d.cond(z));
    }
}

#[test]
fn reset_and_finish_needed_on_conventional_zone_are_conventional() {
    let d = dev();
    for z in 0..CONV {
        for suspect in [false, true] {
            assert_eq!(d.reset_needed(z, suspect), Err(ZoneError::Conventional));
            assert_eq!(d.finish_needed(z, suspect), Err(ZoneError::Conventional));
        }
    }
}

#[test]
fn mark_empty_from_every_condition_releases_open_zones() {
    let mut d = one_zone_per_condition();
    assert_eq!(d.nr_open(), 2);
    for z in 2..7 {
        d.mark_empty(z);
        assert_eq!(state(&d, z), (Cond::Empty, start(z)));
        check(&d);
    }
    assert_eq!(d.nr_open(), 0);
    assert!(lru(&d).is_empty());
}

#[test]
fn mark_full_from_every_condition_releases_open_zones() {
    let mut d = one_zone_per_condition();
    for z in 2..7 {
        d.mark_full(z);
        assert_eq!(state(&d, z), (Cond::Full, u64::MAX));
        check(&d);
    }
    assert_eq!(d.nr_open(), 0);
    assert!(lru(&d).is_empty());
}

#[test]
fn mark_empty_and_mark_full_of_open_zones_release_open_limit() {
    let mut d = dev_limit(2);
    d.open(2).unwrap();
    write(&mut d, 3, 4).unwrap();
    assert_eq!(d.open(4), Err(ZoneError::OpenLimit));
    d.mark_empty(2);
    assert_eq!(d.nr_open(), 1);
    assert_eq!(d.open(4), Ok(()));
    d.mark_full(3);
    assert_eq!(d.nr_open(), 1);
    assert_eq!(lru(&d), [4]);
    assert_eq!(d.open(5), Ok(()));
    check(&d);
}

#[test]
fn reset_then_write_from_zone_start() {
    let mut d = dev();
    write(&mut d, 2, ZS).unwrap();
    assert_eq!(d.reset_needed(2, false), Ok(true));
    d.mark_empty(2);
    assert_eq!(d.reset_needed(2, false), Ok(false));
    assert_eq!(d.prep_write(2, start(2), 3), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2) + 3));
    check(&d);
}

#[test]
fn finish_of_empty_zone_then_writes_fail_full() {
    let mut d = dev();
    assert_eq!(d.finish_needed(2, false), Ok(true));
    d.mark_full(2);
    assert_eq!(d.finish_needed(2, false), Ok(false));
    assert_eq!(d.prep_write(2, start(2), 1), Err(ZoneError::Full));
    assert_eq!(d.prep_append(2, 1), Err(ZoneError::Full));
    check(&d);
}

// ---------------------------------------------------------------------------
// set_written (zloop_update_seq_zone: restore and re-sync, C21, C39, C48)

#[test]
fn set_written_zero_makes_zone_empty() {
    let mut d = one_zone_per_condition();
    for z in 2..7 {
        d.set_written(z, 0);
        assert_eq!(state(&d, z), (Cond::Empty, start(z)));
        check(&d);
    }
    assert_eq!(d.nr_open(), 0);
}

#[test]
fn set_written_capacity_makes_zone_full() {
    let mut d = one_zone_per_condition();
    for z in 2..7 {
        d.set_written(z, ZS);
        assert_eq!(state(&d, z), (Cond::Full, u64::MAX));
        check(&d);
    }
    assert_eq!(d.nr_open(), 0);
}

#[test]
fn set_written_capacity_smaller_than_zone_size_makes_zone_full() {
    let mut d = make(geo(NR, CONV, 12, 0));
    d.set_written(2, 12);
    assert_eq!(state(&d, 2), (Cond::Full, u64::MAX));
    d.set_written(3, 11);
    assert_eq!(state(&d, 3), (Cond::Closed, start(3) + 11));
    check(&d);
}

#[test]
fn set_written_partial_makes_zone_closed() {
    let mut d = dev();
    // Restore: empty zone with a partial file.
    d.set_written(2, 5);
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 5));
    // Full zone re-synced to a partial size.
    d.mark_full(3);
    d.set_written(3, 9);
    assert_eq!(state(&d, 3), (Cond::Closed, start(3) + 9));
    // Closed zone: wp follows the file.
    d.set_written(2, 3);
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 3));
    d.set_written(2, ZS - 1);
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + ZS - 1));
    assert_eq!(d.nr_open(), 0);
    // A restored closed zone can be written at its wp.
    assert_eq!(d.prep_write(2, start(2) + ZS - 1, 1), Ok(()));
    assert_eq!(d.cond(2), Cond::Full);
    check(&d);
}

#[test]
fn set_written_partial_keeps_open_zone_open_and_its_lru_position() {
    let mut d = dev_limit(3);
    write(&mut d, 2, 8).unwrap();
    d.open(3).unwrap();
    write(&mut d, 4, 1).unwrap();
    assert_eq!(lru(&d), [2, 3, 4]);
    // A failed write left less on disk than the wp says.
    d.set_written(2, 5);
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2) + 5));
    d.set_written(3, 4);
    assert_eq!(state(&d, 3), (Cond::ExpOpen, start(3) + 4));
    assert_eq!(d.nr_open(), 3);
    assert_eq!(lru(&d), [2, 3, 4]);
    check(&d);
    // Zone 2 is still the first implicit open zone to be closed.
    write(&mut d, 5, 1).unwrap();
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 5));
    check(&d);
}

// ---------------------------------------------------------------------------
// seq_file_sectors (C21)

const CAP: u64 = 16;

#[test]
fn seq_file_sectors_accepts_aligned_sizes_up_to_capacity() {
    assert_eq!(seq_file_sectors(0, CAP, 512), Ok(0));
    assert_eq!(seq_file_sectors(512, CAP, 512), Ok(1));
    assert_eq!(seq_file_sectors(5 * 512, CAP, 512), Ok(5));
    assert_eq!(seq_file_sectors(CAP * 512, CAP, 512), Ok(CAP));
    assert_eq!(seq_file_sectors(0, CAP, 4096), Ok(0));
    assert_eq!(seq_file_sectors(4096, CAP, 4096), Ok(8));
    assert_eq!(seq_file_sectors(CAP * 512, CAP, 4096), Ok(CAP));
    // Capacity 0: only an empty file.
    assert_eq!(seq_file_sectors(0, 0, 512), Ok(0));
}

#[test]
fn seq_file_sectors_too_large() {
    assert_eq!(
        seq_file_sectors((CAP + 1) * 512, CAP, 512),
        Err(SizeError::TooLarge)
    );
    assert_eq!(
        seq_file_sectors(CAP * 512 + 4096, CAP, 4096),
        Err(SizeError::TooLarge)
    );
    assert_eq!(
        seq_file_sectors(u64::MAX, CAP, 512),
        Err(SizeError::TooLarge)
    );
    assert_eq!(seq_file_sectors(512, 0, 512), Err(SizeError::TooLarge));
}

#[test]
fn seq_file_sectors_too_large_is_checked_before_alignment() {
    // zloop_update_seq_zone() checks the size before the alignment.
    assert_eq!(
        seq_file_sectors((CAP + 1) * 512 + 1, CAP, 512),
        Err(SizeError::TooLarge)
    );
    assert_eq!(
        seq_file_sectors((CAP + 1) * 512, CAP, 4096),
        Err(SizeError::TooLarge)
    );
    assert_eq!(
        seq_file_sectors((CAP + 1) * 512, CAP, 0),
        Err(SizeError::TooLarge)
    );
}

#[test]
fn seq_file_sectors_partial_last_sector_is_unaligned_not_too_large() {
    // size >> 9 == capacity: not too large, but not aligned.
    assert_eq!(
        seq_file_sectors(CAP * 512 + 1, CAP, 512),
        Err(SizeError::Unaligned)
    );
    assert_eq!(
        seq_file_sectors(CAP * 512 + 511, CAP, 512),
        Err(SizeError::Unaligned)
    );
}

#[test]
fn seq_file_sectors_unaligned_to_512() {
    for size in [1, 100, 511, 513, 1000, 5 * 512 + 7] {
        assert_eq!(
            seq_file_sectors(size, CAP, 512),
            Err(SizeError::Unaligned),
            "{size}"
        );
    }
}

#[test]
fn seq_file_sectors_unaligned_to_4096() {
    for size in [1, 512, 2048, 4095, 4096 + 512, 3 * 512] {
        assert_eq!(
            seq_file_sectors(size, CAP, 4096),
            Err(SizeError::Unaligned),
            "{size}"
        );
    }
}

#[test]
fn seq_file_sectors_block_size_zero_is_unaligned() {
    for size in [0, 512, 4096] {
        assert_eq!(
            seq_file_sectors(size, CAP, 0),
            Err(SizeError::Unaligned),
            "{size}"
        );
    }
}

// ---------------------------------------------------------------------------
// Open-zone limit (C40, C45)

#[test]
fn explicit_opens_up_to_limit_succeed_then_open_limit() {
    let mut d = dev_limit(3);
    for z in 2..5 {
        assert_eq!(d.open(z), Ok(()));
        check(&d);
    }
    let before = snapshot(&d);
    assert_eq!(d.open(5), Err(ZoneError::OpenLimit));
    assert_eq!(snapshot(&d), before);
    assert_eq!(state(&d, 5), (Cond::Empty, start(5)));
    // Re-opening an open zone needs no new resource.
    assert_eq!(d.open(3), Ok(()));
    assert_eq!(d.nr_open(), 3);
    check(&d);
}

#[test]
fn explicit_open_of_closed_zone_at_limit_fails_open_limit() {
    let mut d = dev_limit(2);
    write(&mut d, 6, 4).unwrap();
    d.close(6).unwrap();
    d.open(2).unwrap();
    d.open(3).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.open(6), Err(ZoneError::OpenLimit));
    assert_eq!(snapshot(&d), before);
    assert_eq!(state(&d, 6), (Cond::Closed, start(6) + 4));
}

/// The C closes an implicitly open zone only for an implicit open.
#[test]
fn explicit_open_at_limit_does_not_evict_implicitly_open_zones() {
    let mut d = dev_limit(2);
    write(&mut d, 2, 1).unwrap();
    write(&mut d, 3, 1).unwrap();
    let before = snapshot(&d);
    assert_eq!(d.open(4), Err(ZoneError::OpenLimit));
    assert_eq!(snapshot(&d), before);
    // Turning an implicitly open zone into an explicitly open one is fine.
    assert_eq!(d.open(3), Ok(()));
    assert_eq!(lru(&d), [2, 3]);
    check(&d);
}

#[test]
fn implicit_open_at_limit_closes_lru_implicitly_open_zone_keeping_its_wp() {
    let mut d = dev_limit(3);
    write(&mut d, 2, 1).unwrap();
    write(&mut d, 3, 2).unwrap();
    write(&mut d, 4, 3).unwrap();
    assert_eq!(lru(&d), [2, 3, 4]);
    assert_eq!(write(&mut d, 5, 4), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 1));
    assert_eq!(state(&d, 5), (Cond::ImpOpen, start(5) + 4));
    assert_eq!(d.nr_open(), 3);
    assert_eq!(lru(&d), [3, 4, 5]);
    check(&d);
    // Next victim is zone 3.
    assert_eq!(write(&mut d, 6, 1), Ok(()));
    assert_eq!(state(&d, 3), (Cond::Closed, start(3) + 2));
    assert_eq!(lru(&d), [4, 5, 6]);
    check(&d);
}

#[test]
fn implicit_open_at_limit_skips_explicitly_open_zones() {
    let mut d = dev_limit(3);
    d.open(2).unwrap();
    write(&mut d, 3, 1).unwrap();
    write(&mut d, 4, 1).unwrap();
    assert_eq!(lru(&d), [2, 3, 4]);
    assert_eq!(write(&mut d, 5, 1), Ok(()));
    assert_eq!(d.cond(2), Cond::ExpOpen);
    assert_eq!(state(&d, 3), (Cond::Closed, start(3) + 1));
    assert_eq!(lru(&d), [2, 4, 5]);
    assert_eq!(write(&mut d, 6, 1), Ok(()));
    assert_eq!(d.cond(2), Cond::ExpOpen);
    assert_eq!(d.cond(4), Cond::Closed);
    assert_eq!(lru(&d), [2, 5, 6]);
    check(&d);
}

#[test]
fn write_to_open_zone_moves_it_to_most_recently_used() {
    let mut d = dev_limit(3);
    write(&mut d, 2, 1).unwrap();
    write(&mut d, 3, 1).unwrap();
    write(&mut d, 4, 1).unwrap();
    write(&mut d, 2, 1).unwrap();
    assert_eq!(lru(&d), [3, 4, 2]);
    d.prep_append(3, 1).unwrap();
    assert_eq!(lru(&d), [4, 2, 3]);
    // The least recently written zone is evicted.
    write(&mut d, 5, 1).unwrap();
    assert_eq!(d.cond(4), Cond::Closed);
    assert_eq!(lru(&d), [2, 3, 5]);
    write(&mut d, 6, 1).unwrap();
    assert_eq!(d.cond(2), Cond::Closed);
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 2));
    assert_eq!(lru(&d), [3, 5, 6]);
    check(&d);
}

#[test]
fn explicit_open_of_open_zone_moves_it_to_most_recently_used() {
    let mut d = dev_limit(3);
    write(&mut d, 2, 1).unwrap();
    write(&mut d, 3, 1).unwrap();
    write(&mut d, 4, 1).unwrap();
    d.open(2).unwrap();
    assert_eq!(d.cond(2), Cond::ExpOpen);
    assert_eq!(lru(&d), [3, 4, 2]);
    d.open(3).unwrap();
    d.open(2).unwrap();
    assert_eq!(lru(&d), [4, 3, 2]);
    // Only zone 4 is implicitly open.
    write(&mut d, 5, 1).unwrap();
    assert_eq!(d.cond(4), Cond::Closed);
    assert_eq!(lru(&d), [3, 2, 5]);
    check(&d);
}

#[test]
fn implicit_open_fails_open_limit_when_all_open_zones_are_explicit() {
    let mut d = dev_limit(3);
    write(&mut d, 6, 5).unwrap();
    d.close(6).unwrap();
    for z in 2..5 {
        d.open(z).unwrap();
    }
    let before = snapshot(&d);
    assert_eq!(write(&mut d, 5, 1), Err(ZoneError::OpenLimit));
    assert_eq!(d.prep_append(5, 1), Err(ZoneError::OpenLimit));
    assert_eq!(write(&mut d, 6, 1), Err(ZoneError::OpenLimit));
    // Even a write that would fill the zone needs it opened first.
    assert_eq!(write(&mut d, 6, ZS - 5), Err(ZoneError::OpenLimit));
    assert_eq!(snapshot(&d), before);
    assert_eq!(state(&d, 5), (Cond::Empty, start(5)));
    assert_eq!(state(&d, 6), (Cond::Closed, start(6) + 5));
    // Writes to the explicitly open zones go on.
    assert_eq!(write(&mut d, 2, 1), Ok(()));
    assert_eq!(lru(&d), [3, 4, 2]);
    check(&d);
}

#[test]
fn closing_an_open_zone_at_limit_frees_a_resource() {
    let mut d = dev_limit(2);
    d.open(2).unwrap();
    d.open(3).unwrap();
    assert_eq!(write(&mut d, 4, 1), Err(ZoneError::OpenLimit));
    d.close(2).unwrap();
    assert_eq!(d.nr_open(), 1);
    assert_eq!(write(&mut d, 4, 1), Ok(()));
    assert_eq!(lru(&d), [3, 4]);
    check(&d);
}

#[test]
fn write_filling_zone_at_limit_frees_a_resource() {
    let mut d = dev_limit(1);
    d.open(2).unwrap();
    assert_eq!(d.open(3), Err(ZoneError::OpenLimit));
    write(&mut d, 2, ZS).unwrap();
    assert_eq!(d.nr_open(), 0);
    assert_eq!(d.open(3), Ok(()));
    check(&d);
}

#[test]
fn evicted_zone_reopens_on_write_at_its_wp_evicting_the_other() {
    let mut d = dev_limit(1);
    write(&mut d, 2, 5).unwrap();
    write(&mut d, 3, 7).unwrap();
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 5));
    assert_eq!(d.prep_write(2, start(2) + 5, 1), Ok(()));
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2) + 6));
    assert_eq!(state(&d, 3), (Cond::Closed, start(3) + 7));
    assert_eq!(lru(&d), [2]);
    check(&d);
}

/// As in the C, the victim becomes Closed even if nothing was written to it
/// (only possible after a zero-length write).
#[test]
fn evicted_unwritten_implicitly_open_zone_becomes_closed() {
    let mut d = dev_limit(1);
    d.prep_write(2, start(2), 0).unwrap();
    assert_eq!(state(&d, 2), (Cond::ImpOpen, start(2)));
    write(&mut d, 3, 1).unwrap();
    assert_eq!(state(&d, 2), (Cond::Closed, start(2)));
    assert_eq!(d.close(2), Ok(()));
    assert_eq!(state(&d, 2), (Cond::Closed, start(2)));
    assert_eq!(d.reset_needed(2, false), Ok(true));
    check(&d);
}

#[test]
fn limit_of_one_alternating_writes_evict_each_other() {
    let mut d = dev_limit(1);
    for i in 0..6 {
        let z = 2 + i % 2;
        assert_eq!(write(&mut d, z, 1), Ok(()));
        assert_eq!(lru(&d), [z]);
        check(&d);
    }
    assert_eq!(state(&d, 2), (Cond::Closed, start(2) + 3));
    assert_eq!(state(&d, 3), (Cond::ImpOpen, start(3) + 3));
}

#[test]
fn limit_equal_to_sequential_zones_never_evicts() {
    let mut d = dev_limit(NR - CONV);
    for z in CONV..NR {
        write(&mut d, z, 1).unwrap();
    }
    assert_eq!(d.nr_open(), NR - CONV);
    assert!((CONV..NR).all(|z| d.cond(z) == Cond::ImpOpen));
    check(&d);
}

#[test]
fn max_open_zones_zero_means_unlimited() {
    let mut d = make(geo(16, 1, ZS, 0));
    for z in 1..9 {
        assert_eq!(write(&mut d, z, 1), Ok(()));
    }
    for z in 9..16 {
        assert_eq!(d.open(z), Ok(()));
    }
    assert_eq!(d.nr_open(), 15);
    assert!((1..9).all(|z| d.cond(z) == Cond::ImpOpen));
    assert!((9..16).all(|z| d.cond(z) == Cond::ExpOpen));
    assert_eq!(lru(&d).len(), 15);
    check(&d);
}

#[test]
fn conventional_zones_never_count_as_open() {
    let mut d = dev_limit(1);
    assert_eq!(d.open(0), Err(ZoneError::Conventional));
    assert_eq!(d.close(1), Err(ZoneError::Conventional));
    assert_eq!(d.nr_open(), 0);
    assert_eq!(d.open(2), Ok(()));
    check(&d);
}

#[test]
fn nr_open_matches_open_zones_through_a_scripted_scenario() {
    let mut d = dev_limit(3);
    let steps: &[&dyn Fn(&mut Dev) -> bool] = &[
        &|d| write(d, 2, 4).is_ok(),
        &|d| d.open(3).is_ok(),
        &|d| d.prep_append(4, 2).is_ok(),
        &|d| write(d, 5, 1).is_ok(),
        &|d| d.open(6).is_err(),
        &|d| d.close(3).is_ok(),
        &|d| d.open(6).is_ok(),
        &|d| write(d, 2, 12).is_ok(),
        &|d| {
            d.set_written(4, 0);
            true
        },
        &|d| write(d, 7, 3).is_ok(),
        &|d| {
            d.mark_full(6);
            true
        },
        &|d| d.open(3).is_ok(),
        &|d| d.close(3).is_ok(),
        &|d| {
            d.set_written(3, 0);
            d.set_written(5, 3);
            true
        },
        &|d| write(d, 5, 1).is_ok(),
        &|d| d.close(7).is_ok(),
        &|d| d.close(5).is_ok(),
    ];
    for (i, step) in steps.iter().enumerate() {
        assert!(step(&mut d), "step {i}");
        check(&d);
    }
    assert_eq!(d.nr_open(), 0);
    assert!(lru(&d).is_empty());
}

// ---- epochs (ordered zone append) and stable marks (discard_write_cache) ----

/// An appended sector stays valid while nothing but writes touched the zone:
/// writes, appends and the append that fills the zone keep the epoch.
#[test]
fn epoch_survives_writes_and_the_filling_append() {
    let mut d = dev();
    let e = d.epoch(3);
    write(&mut d, 3, 4).unwrap();
    d.prep_append(3, 4).unwrap();
    d.prep_append(3, 8).unwrap();
    assert_eq!(d.cond(3), Cond::Full);
    assert_eq!(d.epoch(3), e);
}

/// Reset, finish and a write pointer re-read from the file each start a new
/// epoch, so appends assigned before them are refused by the device.
#[test]
fn epoch_changes_on_reset_finish_and_reread() {
    let mut d = dev();
    d.prep_append(3, 4).unwrap();
    let e0 = d.epoch(3);
    d.reset_done(3);
    let e1 = d.epoch(3);
    assert_ne!(e1, e0);
    assert_eq!((d.cond(3), d.wp(3)), (Cond::Empty, 3 * ZS));
    d.finish_done(3);
    let e2 = d.epoch(3);
    assert_ne!(e2, e1);
    assert_eq!(d.cond(3), Cond::Full);
    d.set_written(3, 5);
    assert_ne!(d.epoch(3), e2);
    assert_eq!((d.cond(3), d.wp(3)), (Cond::Closed, 3 * ZS + 5));
    check(&d);
}

/// What `add` finds is stable; writes are not, until a flush records them.
#[test]
fn restore_marks_found_data_stable_and_flush_moves_the_mark() {
    let mut d = dev();
    d.restore(4, 6);
    assert_eq!(
        (d.cond(4), d.wp(4), d.flushed(4)),
        (Cond::Closed, 4 * ZS + 6, 4 * ZS + 6)
    );
    write(&mut d, 4, 3).unwrap();
    assert_eq!(d.flushed(4), 4 * ZS + 6);
    assert_eq!(d.flush_mark(4), 4 * ZS + 9);
    assert_eq!(
        d.flushed(4),
        4 * ZS + 6,
        "the mark moves only once recorded"
    );
    d.set_flushed(4, 4 * ZS + 9);
    assert_eq!(d.flushed(4), 4 * ZS + 9);
    assert_eq!(d.recorded(4), None, "nothing recorded yet");
    d.set_recorded(4, Some(4 * ZS + 9));
    assert_eq!(d.recorded(4), Some(4 * ZS + 9));
    check(&d);
}

/// A reset leaves nothing stable; an empty zone at `add` has its start as
/// mark; a re-read shorter file pulls the mark back, a longer one does not
/// push it.
#[test]
fn stable_mark_follows_reset_and_reread() {
    let mut d = dev();
    assert_eq!(d.flushed(5), 5 * ZS);
    d.restore(5, 8);
    d.reset_done(5);
    assert_eq!(d.flushed(5), 5 * ZS);
    d.restore(6, 8);
    d.set_written(6, 4);
    assert_eq!(d.flushed(6), 6 * ZS + 4);
    d.set_written(6, 10);
    assert_eq!(d.flushed(6), 6 * ZS + 4);
    check(&d);
}

/// A zone that filled up since the last flush is stable up to its capacity
/// at the next one, so a later re-read that finds it shorter (a failed last
/// write) pulls the mark back to what the file has, not to an older flush.
#[test]
fn flush_of_a_full_zone_marks_its_capacity() {
    let mut d = make(geo(NR, CONV, 12, 0));
    d.restore(4, 2);
    write(&mut d, 4, 10).unwrap();
    assert_eq!(d.cond(4), Cond::Full);
    assert_eq!(d.flush_mark(4), 4 * ZS + 12);
    d.set_flushed(4, 4 * ZS + 12);
    assert_eq!(d.flushed(4), 4 * ZS + 12);
    d.set_written(4, 8);
    assert_eq!((d.cond(4), d.flushed(4)), (Cond::Closed, 4 * ZS + 8));
    check(&d);
}

// ---------------------------------------------------------------------------
// Fault conditions (fault injection: null_blk's zone_readonly / zone_offline)

/// Setting a fault on an open zone gives its open-zone resource back; the
/// zone has no write pointer and refuses writes, appends and every zone
/// operation, each with `BadCondition` and no change.
#[test]
fn fault_leaves_the_open_zones_and_refuses_everything() {
    for fault in [Cond::ReadOnly, Cond::Offline] {
        let mut d = dev_limit(2);
        write(&mut d, 2, 4).unwrap();
        d.open(3).unwrap();
        assert_eq!(d.nr_open(), 2);
        let epoch = d.epoch(2);
        assert_eq!(d.fault_change(2, fault), Ok(FaultChange::Set));
        d.set_fault(2, fault);
        check(&d);
        assert_eq!(state(&d, 2), (fault, u64::MAX));
        assert_ne!(d.epoch(2), epoch, "appends assigned before must fail");
        assert_eq!((d.nr_open(), lru(&d)), (1, vec![3]));
        assert_eq!(d.nr_faults(), 1);
        let before = snapshot(&d);
        let bad = Err(ZoneError::BadCondition(fault));
        assert_eq!(d.prep_write(2, start(2) + 4, 1), bad);
        assert_eq!(d.prep_append(2, 1), bad.map(|()| 0));
        assert_eq!(d.open(2), bad);
        assert_eq!(d.close(2), bad);
        assert_eq!(d.reset_needed(2, false), bad.map(|()| false));
        assert_eq!(d.reset_needed(2, true), bad.map(|()| false));
        assert_eq!(d.finish_needed(2, false), bad.map(|()| false));
        assert_eq!(before, snapshot(&d));
        // The freed resource is usable: another zone opens.
        d.open(4).unwrap();
        check(&d);
    }
}

/// As null_blk: asking for the condition a zone is in clears it (the zone
/// is then empty), asking for the other fault changes it.
#[test]
fn asking_again_clears_the_fault_and_the_zone_is_empty() {
    let mut d = dev();
    write(&mut d, 5, 6).unwrap();
    d.set_fault(5, Cond::ReadOnly);
    assert_eq!(d.fault_change(5, Cond::Offline), Ok(FaultChange::Set));
    d.set_fault(5, Cond::Offline);
    assert_eq!((d.cond(5), d.nr_faults()), (Cond::Offline, 1));
    assert_eq!(d.fault_change(5, Cond::Offline), Ok(FaultChange::Clear));
    let epoch = d.epoch(5);
    d.clear_fault(5);
    check(&d);
    assert_eq!(state(&d, 5), (Cond::Empty, start(5)));
    assert_eq!((d.nr_faults(), d.flushed(5)), (0, start(5)));
    assert_ne!(d.epoch(5), epoch);
    write(&mut d, 5, 3).unwrap();
    assert_eq!(state(&d, 5), (Cond::ImpOpen, start(5) + 3));
    // Clearing a zone that has no fault does nothing.
    d.clear_fault(5);
    assert_eq!(state(&d, 5), (Cond::ImpOpen, start(5) + 3));
    check(&d);
}

/// Conventional zones have no condition to change; other conditions cannot
/// be asked for.
#[test]
fn fault_change_refuses_conventional_zones_and_other_conditions() {
    let mut d = dev();
    assert_eq!(
        d.fault_change(0, Cond::Offline),
        Err(ZoneError::Conventional)
    );
    assert_eq!(
        d.fault_change(3, Cond::Full),
        Err(ZoneError::BadCondition(Cond::Full))
    );
    let before = snapshot(&d);
    d.set_fault(0, Cond::Offline);
    d.set_fault(3, Cond::Full);
    assert_eq!(before, snapshot(&d));
    check(&d);
}

/// A faulty zone is reported without a write pointer; a re-read of its file
/// (after a write error) keeps the fault.
#[test]
fn faulty_zone_report_and_reread() {
    let mut d = dev();
    d.restore(6, 8);
    d.set_fault(6, Cond::ReadOnly);
    let i = d.info(6);
    assert_eq!((i.cond, i.wp, i.capacity), (Cond::ReadOnly, u64::MAX, ZS));
    d.set_written(6, 10);
    assert_eq!(state(&d, 6), (Cond::ReadOnly, u64::MAX));
    d.set_written(6, 0);
    assert_eq!(state(&d, 6), (Cond::ReadOnly, u64::MAX));
    assert!(!d.cond(6).is_active());
    check(&d);
}

/// A full zone can be set offline and cleared; its file is then empty.
#[test]
fn full_zone_fault_round_trip() {
    let mut d = dev();
    write(&mut d, 7, ZS).unwrap();
    assert_eq!(d.cond(7), Cond::Full);
    assert_eq!(d.fault_change(7, Cond::Offline), Ok(FaultChange::Set));
    d.set_fault(7, Cond::Offline);
    d.clear_fault(7);
    assert_eq!(state(&d, 7), (Cond::Empty, start(7)));
    check(&d);
}

// ---- max_active_zones (zloop_rs addition; ZNS/ZBC rules, as null_blk) ----

/// Writes of `nr` sectors to each of `zones` (implicit opens).
#[track_caller]
fn write_each(d: &mut Dev, zones: &[u32], nr: u64) {
    for &z in zones {
        assert_eq!(write(d, z, nr), Ok(()), "write to zone {z}");
        check(d);
    }
}

#[test]
fn active_count_follows_every_transition_without_a_limit() {
    let mut d = dev();
    write_each(&mut d, &[2, 3, 4], 1);
    assert_eq!(d.nr_active(), 3);
    d.close(2).unwrap();
    assert_eq!(d.nr_active(), 3, "closed zones stay active");
    d.open(5).unwrap();
    assert_eq!(
        d.nr_active(),
        4,
        "an explicit open of an empty zone activates it"
    );
    d.close(5).unwrap();
    assert_eq!((d.cond(5), d.nr_active()), (Cond::Empty, 3));
    write(&mut d, 3, ZS - 1).unwrap();
    assert_eq!((d.cond(3), d.nr_active()), (Cond::Full, 2));
    d.finish_done(4);
    d.reset_done(2);
    assert_eq!(d.nr_active(), 0);
    check(&d);
}

#[test]
fn write_or_append_to_an_empty_zone_at_the_active_limit_is_refused() {
    let mut d = dev_active(2, 0);
    write_each(&mut d, &[2, 3], 1);
    let before = snapshot(&d);
    assert_eq!(write(&mut d, 4, 1), Err(ZoneError::ActiveLimit));
    assert_eq!(d.prep_append(4, 1), Err(ZoneError::ActiveLimit));
    assert_eq!(d.open(4), Err(ZoneError::ActiveLimit));
    assert_eq!(snapshot(&d), before, "a refused operation changes nothing");
    // zones already active take more data
    write_each(&mut d, &[2, 3], 2);
    assert_eq!(d.prep_append(2, 1), Ok(start(2) + 3));
    check(&d);
}

#[test]
fn closed_zones_count_and_can_be_reopened_at_the_active_limit() {
    let mut d = dev_active(2, 0);
    write_each(&mut d, &[2, 3], 1);
    d.close(2).unwrap();
    d.close(3).unwrap();
    assert_eq!(d.nr_open(), 0);
    assert_eq!(d.nr_active(), 2);
    assert_eq!(write(&mut d, 4, 1), Err(ZoneError::ActiveLimit));
    assert_eq!(d.open(4), Err(ZoneError::ActiveLimit));
    // a closed zone is active already: opening it needs no new resource
    assert_eq!(d.open(2), Ok(()));
    assert_eq!(write(&mut d, 3, 1), Ok(()));
    assert_eq!(
        (d.cond(2), d.cond(3), d.nr_active()),
        (Cond::ExpOpen, Cond::ImpOpen, 2)
    );
    check(&d);
}

#[test]
fn finish_reset_and_filling_write_free_an_active_slot() {
    let mut d = dev_active(1, 0);
    write_each(&mut d, &[2], 1);
    assert_eq!(write(&mut d, 3, 1), Err(ZoneError::ActiveLimit));
    // finish
    d.finish_done(2);
    assert_eq!(d.nr_active(), 0);
    write_each(&mut d, &[3], 1);
    // reset
    assert_eq!(write(&mut d, 4, 1), Err(ZoneError::ActiveLimit));
    d.reset_done(3);
    write_each(&mut d, &[4], 1);
    // a write to the capacity
    assert_eq!(d.prep_append(5, 1), Err(ZoneError::ActiveLimit));
    write_each(&mut d, &[4], ZS - 1);
    assert_eq!(d.cond(4), Cond::Full);
    assert_eq!(d.prep_append(5, 1), Ok(start(5)));
    check(&d);
}

#[test]
fn closing_an_explicitly_opened_empty_zone_frees_its_slot() {
    let mut d = dev_active(1, 0);
    d.open(2).unwrap();
    assert_eq!(d.nr_active(), 1);
    assert_eq!(d.open(3), Err(ZoneError::ActiveLimit));
    d.close(2).unwrap();
    assert_eq!((d.cond(2), d.nr_active()), (Cond::Empty, 0));
    assert_eq!(d.open(3), Ok(()));
    check(&d);
}

#[test]
fn finish_of_an_empty_zone_needs_no_active_slot() {
    let mut d = dev_active(1, 0);
    write_each(&mut d, &[2], 1);
    assert_eq!(d.finish_needed(3, false), Ok(true));
    d.finish_done(3);
    assert_eq!((d.cond(3), d.nr_active()), (Cond::Full, 1));
    check(&d);
}

/// With both limits, an implicit open at the open limit still closes the
/// least recently used implicitly open zone, but only when the zone to open
/// needs no new active slot or one is free: closing a zone keeps it active.
#[test]
fn open_limit_and_active_limit_together() {
    let mut d = dev_active(3, 2);
    write_each(&mut d, &[2, 3], 1);
    // open limit reached, active slot free: zone 2 is closed to make room
    write_each(&mut d, &[4], 1);
    assert_eq!(
        (d.cond(2), d.nr_open(), d.nr_active()),
        (Cond::Closed, 2, 3)
    );
    assert_eq!(lru(&d), [3, 4]);
    // active limit reached: nothing is closed, the write is refused
    let before = snapshot(&d);
    assert_eq!(write(&mut d, 5, 1), Err(ZoneError::ActiveLimit));
    assert_eq!(
        d.open(5),
        Err(ZoneError::ActiveLimit),
        "active is checked first"
    );
    assert_eq!(snapshot(&d), before);
    // a closed zone may still be written: zone 3 is closed for it
    write_each(&mut d, &[2], 1);
    assert_eq!((d.cond(3), d.cond(2)), (Cond::Closed, Cond::ImpOpen));
    assert_eq!(lru(&d), [4, 2]);
    // an explicit open at the open limit fails as before (open resource)
    assert_eq!(d.open(3), Err(ZoneError::OpenLimit));
    check(&d);
}

/// Without `max_active_zones` (0) nothing changes: the open-limit tests
/// above run with it, and an active count beyond any number is fine.
#[test]
fn no_active_limit_allows_every_sequential_zone_to_be_active() {
    let mut d = make(geo(16, 1, ZS, 2));
    for z in 1..16 {
        assert_eq!(write(&mut d, z, 1), Ok(()));
    }
    assert_eq!((d.nr_open(), d.nr_active()), (2, 15));
    check(&d);
}

/// A re-read after an I/O error says what the file holds, even beyond the
/// limit; opening an empty zone then waits until enough zones left.
#[test]
fn reread_may_overstep_the_active_limit_and_opens_wait() {
    let mut d = dev_active(1, 0);
    write_each(&mut d, &[2], ZS); // full: not active
    write_each(&mut d, &[3], 1);
    d.set_written(2, 5); // the last write to zone 2 failed after all
    assert_eq!((d.cond(2), d.nr_active()), (Cond::Closed, 2));
    check_counts(&d);
    assert_eq!(write(&mut d, 4, 1), Err(ZoneError::ActiveLimit));
    assert_eq!(write(&mut d, 2, 1), Ok(()), "active zones still take data");
    d.reset_done(3);
    assert_eq!(d.nr_active(), 1);
    assert_eq!(
        write(&mut d, 4, 1),
        Err(ZoneError::ActiveLimit),
        "still at the limit"
    );
    d.finish_done(2);
    write_each(&mut d, &[4], 1);
    check(&d);
}

/// What `add` finds: every zone neither empty nor full is active (closed),
/// which the device compares with the limit before it accepts a restore.
#[test]
fn restored_zones_count_as_active() {
    let mut d = dev_active(2, 0);
    d.restore(2, 3);
    d.restore(3, 0);
    d.restore(4, ZS);
    d.restore(5, 1);
    assert_eq!(d.nr_active(), 2);
    d.restore(6, 2);
    assert_eq!(d.nr_active(), 3, "restore does not enforce the limit");
    check_counts(&d);
}

#[test]
fn geometry_with_max_active_zones_builds_limited_zones() {
    let opts = AddOptions {
        capacity_mb: 64,
        zone_size_mb: 8,
        conv_zones: 2,
        max_open_zones: 5,
        max_active_zones: 2,
        ..AddOptions::DEFAULT
    };
    let g = geometry(&opts).expect("valid options");
    assert_eq!((g.max_open_zones, g.max_active_zones), (2, 2));
    let zs = 8 * 2048;
    let mut d = Zones::new(g, vec![ZoneMeta::INIT; g.nr_zones as usize]).expect("length");
    assert_eq!(d.prep_write(2, 2 * zs, 8), Ok(()));
    assert_eq!(d.open(3), Ok(()));
    assert_eq!(d.open(4), Err(ZoneError::ActiveLimit));
    assert_eq!(d.prep_append(5, 8), Err(ZoneError::ActiveLimit));
}

// ---- faults and the active-zone limit together ----

/// A fault set on an open or closed zone takes it out of the active zones
/// (one count, kept by one `set_cond`): at the limit, the slot it gave back
/// lets an empty zone open. The faulty zone itself cannot be opened
/// (`BadCondition`, not `ActiveLimit`).
#[test]
fn fault_on_an_active_zone_frees_its_active_slot() {
    for fault in [Cond::ReadOnly, Cond::Offline] {
        for close in [false, true] {
            let mut d = dev_active(2, 0);
            write_each(&mut d, &[2, 3], 1);
            if close {
                d.close(2).unwrap();
            }
            assert_eq!(d.open(4), Err(ZoneError::ActiveLimit));
            d.set_fault(2, fault);
            check(&d);
            assert_eq!((d.nr_active(), d.nr_faults()), (1, 1));
            assert_eq!(d.open(2), Err(ZoneError::BadCondition(fault)));
            assert_eq!(d.open(4), Ok(()));
            assert_eq!(d.nr_active(), 2);
            // at the limit again: clearing the fault makes the zone empty,
            // not active, and opening it is refused for want of a slot
            d.clear_fault(2);
            assert_eq!(
                (d.cond(2), d.nr_active(), d.nr_faults()),
                (Cond::Empty, 2, 0)
            );
            assert_eq!(write(&mut d, 2, 1), Err(ZoneError::ActiveLimit));
            check(&d);
        }
    }
}

/// Changing a fault to the other one, or setting one on an empty or full
/// zone, leaves the active count alone.
#[test]
fn faults_on_inactive_zones_keep_the_active_count() {
    let mut d = dev_active(2, 0);
    write_each(&mut d, &[2], 1);
    write_each(&mut d, &[3], ZS);
    d.set_fault(3, Cond::Offline);
    d.set_fault(4, Cond::ReadOnly);
    assert_eq!((d.nr_active(), d.nr_faults()), (1, 2));
    d.set_fault(4, Cond::Offline);
    assert_eq!((d.nr_active(), d.nr_faults()), (1, 2));
    d.clear_fault(3);
    assert_eq!((d.nr_active(), d.nr_faults()), (1, 1));
    check(&d);
}

/// What `add` does with a zone file that records a fault: the zone is first
/// restored from the file size (closed when partially written) and then
/// marked faulty. Counted after that, faulty zones are not active: a
/// directory with more partially written zones than the limit is accepted
/// when the extra ones are read-only or offline.
#[test]
fn restored_then_faulted_zones_are_not_active() {
    let mut d = dev_active(1, 0);
    d.restore(2, 3);
    d.restore(3, 5);
    d.restore(4, 7);
    assert_eq!(d.nr_active(), 3);
    d.set_fault(3, Cond::ReadOnly);
    d.set_fault(4, Cond::Offline);
    assert_eq!((d.nr_active(), d.nr_faults()), (1, 2));
    check(&d);
    assert_eq!(write(&mut d, 2, 1), Ok(()));
    assert_eq!(write(&mut d, 5, 1), Err(ZoneError::ActiveLimit));
    check(&d);
}
