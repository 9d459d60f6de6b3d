// SPDX-License-Identifier: GPL-2.0

//! Tests of the options a device shows in `/sys/block/zloopN/zloop/`
//! (`options.rs`: `AddOptions::in_effect`, `write_value`, `write_options`):
//! every value as `add` takes it, and the `options` line parses back to the
//! same device (`echo "add $(cat .../options)" > /dev/zloop-control`).

use crate::options::{
    geometry, parse_command, write_options, write_value, AddOptions, Command, OptionKey,
    OptionSink, OPTIONS,
};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::format;
use std::string::String;
use std::vec::Vec;

const PAGE: usize = 4096;

/// A sink over a byte vector (the sysfs page of the kernel side).
#[derive(Default)]
struct Bytes(Vec<u8>);

impl core::fmt::Write for Bytes {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

impl OptionSink for Bytes {
    fn write_bytes(&mut self, bytes: &[u8]) -> core::fmt::Result {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

#[track_caller]
fn add(s: &[u8]) -> AddOptions<'_> {
    match parse_command(s, PAGE) {
        Ok(Command::Add(o)) => o,
        r => panic!("{}: expected add, got {:?}", s.escape_ascii(), r),
    }
}

/// The options of the device that `add <s>` makes with id `id`.
#[track_caller]
fn effective(s: &[u8], id: u32) -> AddOptions<'_> {
    let o = add(s);
    o.in_effect(&geometry(&o).expect("geometry"), id)
}

fn line(o: &AddOptions<'_>) -> String {
    let mut b = Bytes::default();
    write_options(&mut b, o).unwrap();
    String::from_utf8(b.0).unwrap()
}

fn value_bytes(o: &AddOptions<'_>, key: OptionKey) -> Vec<u8> {
    let mut b = Bytes::default();
    write_value(&mut b, o, key).unwrap();
    b.0
}

fn value(o: &AddOptions<'_>, key: OptionKey) -> String {
    String::from_utf8(value_bytes(o, key)).unwrap()
}

#[test]
fn defaults_in_effect_and_their_line() {
    let o = effective(b"add", 0);
    assert_eq!(
        line(&o),
        "id=0,capacity_mb=16384,zone_size_mb=256,zone_capacity_mb=256,conv_zones=8,\
         base_dir=/var/local/zloop,nr_queues=1,queue_depth=128,zone_append=1,max_open_zones=0"
    );
}

#[test]
fn every_option_given_shows_in_the_line() {
    let o = effective(
        b"add id=3,capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=63,conv_zones=4,\
          base_dir=/tmp/z,nr_queues=2,queue_depth=64,buffered_io,zone_append=1,\
          ordered_zone_append,discard_write_cache,max_open_zones=12",
        3,
    );
    assert_eq!(
        line(&o),
        "id=3,capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=63,conv_zones=4,\
         base_dir=/tmp/z,nr_queues=2,queue_depth=64,buffered_io,zone_append=1,\
         ordered_zone_append,discard_write_cache,max_open_zones=12"
    );
}

#[test]
fn capacity_in_effect_is_whole_zones() {
    // 2050 MiB in 64 MiB zones: 32 zones, 2048 MiB.
    let o = effective(b"add capacity_mb=2050,zone_size_mb=64", 1);
    assert_eq!(o.capacity_mb, 2048);
    assert_eq!(value(&o, OptionKey::CapacityMb), "2048");
}

#[test]
fn automatic_id_shows_the_id_the_device_got() {
    let o = effective(b"add id=-5", 7);
    assert_eq!(value(&o, OptionKey::Id), "7");
    let raw = add(b"add");
    assert_eq!(value(&raw, OptionKey::Id), "-1");
}

#[test]
fn max_open_zones_at_the_number_of_sequential_zones_is_no_limit() {
    // 8 zones, 2 conventional: 6 sequential.
    let g = b"add capacity_mb=512,zone_size_mb=64,conv_zones=2,max_open_zones=";
    for (given, shown) in [(0, 0), (1, 1), (5, 5), (6, 0)] {
        let cmd = format!("{}{given}", String::from_utf8_lossy(g));
        let o = effective(cmd.as_bytes(), 0);
        assert_eq!(
            value(&o, OptionKey::MaxOpenZones),
            format!("{shown}"),
            "{cmd}"
        );
    }
}

/// `max_active_zones` (a zloop_rs addition) in effect: 0 without a limit
/// and for a limit of at least the number of sequential zones; the open
/// limit shown is the one left after it was lowered to the active one.
/// The line has the option only when there is a limit.
#[test]
fn max_active_zones_in_effect_and_in_the_line() {
    // 8 zones, 2 conventional: 6 sequential.
    let g = "add capacity_mb=512,zone_size_mb=64,conv_zones=2";
    for (given, open, active, open_shown) in [
        ("", 0, 0, 0),
        (",max_active_zones=0", 4, 0, 4),
        (",max_active_zones=3", 0, 3, 0),
        (",max_active_zones=3", 2, 3, 2),
        (",max_active_zones=3", 5, 3, 3),
        (",max_active_zones=3", 6, 3, 3),
        (",max_active_zones=5", 5, 5, 5),
        (",max_active_zones=6", 5, 0, 5),
        (",max_active_zones=1000", 6, 0, 0),
    ] {
        let cmd = format!("{g},max_open_zones={open}{given}");
        let o = effective(cmd.as_bytes(), 0);
        assert_eq!(
            value(&o, OptionKey::MaxActiveZones),
            format!("{active}"),
            "{cmd}"
        );
        assert_eq!(
            value(&o, OptionKey::MaxOpenZones),
            format!("{open_shown}"),
            "{cmd}"
        );
        let l = line(&o);
        if active == 0 {
            assert!(!l.contains("max_active_zones"), "{cmd}: {l}");
            assert!(
                l.ends_with(&format!(",max_open_zones={open_shown}")),
                "{cmd}: {l}"
            );
        } else {
            assert!(
                l.ends_with(&format!(
                    ",max_open_zones={open_shown},max_active_zones={active}"
                )),
                "{cmd}: {l}"
            );
        }
    }
}

#[test]
fn ordered_zone_append_without_zone_append_is_not_in_effect() {
    let o = effective(b"add zone_append=0,ordered_zone_append", 0);
    assert_eq!(value(&o, OptionKey::ZoneAppend), "0");
    assert_eq!(value(&o, OptionKey::OrderedZoneAppend), "0");
    assert!(!line(&o).contains("ordered"), "{}", line(&o));
}

#[test]
fn flags_show_as_0_or_1() {
    let on = effective(
        b"add buffered_io,discard_write_cache,ordered_zone_append",
        0,
    );
    let off = effective(b"add", 0);
    for key in [
        OptionKey::BufferedIo,
        OptionKey::DiscardWriteCache,
        OptionKey::OrderedZoneAppend,
        OptionKey::ZoneAppend,
    ] {
        assert_eq!(value(&on, key), "1", "{key:?}");
    }
    for key in [
        OptionKey::BufferedIo,
        OptionKey::DiscardWriteCache,
        OptionKey::OrderedZoneAppend,
    ] {
        assert_eq!(value(&off, key), "0", "{key:?}");
    }
}

#[test]
fn base_dir_is_written_byte_for_byte() {
    let cmd = b"add base_dir=/mnt/a b=\xff\xa0c";
    let o = effective(cmd, 0);
    assert_eq!(
        value_bytes(&o, OptionKey::BaseDir),
        b"/mnt/a b=\xff\xa0c".as_slice()
    );
    let mut again = Vec::from(&b"add "[..]);
    let mut b = Bytes::default();
    write_options(&mut b, &o).unwrap();
    again.extend_from_slice(&b.0);
    assert_eq!(add(&again).base_dir, b"/mnt/a b=\xff\xa0c".as_slice());
}

#[test]
fn every_option_has_a_value() {
    let o = effective(b"add", 0);
    for spec in &OPTIONS {
        assert!(!value_bytes(&o, spec.key).is_empty(), "{}", spec.name);
    }
}

fn config() -> Config {
    Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Valid `add` options: sizes that pass the geometry checks, any base
/// directory the parser takes.
fn any_device() -> impl Strategy<Value = (AddOptions<'static>, Vec<u8>)> {
    let dir_byte = any::<u8>().prop_filter("separator", |b| !matches!(b, 0 | b',' | b'\n'));
    (
        (
            0u32..15,
            1u32..200,
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
        (
            1u32..512,
            1u32..20000,
            any::<[bool; 4]>(),
            any::<Option<u32>>(),
            any::<u32>(),
        ),
        proptest::collection::vec(dir_byte, 1..64),
    )
        .prop_map(|((zs, nz, cap, conv, moz), (nq, qd, f, id, maz), dir)| {
            let zone_size_mb = 1u32 << zs;
            let nr_zones = nz.max(2);
            let conv_zones = conv % nr_zones;
            let nr_seq = nr_zones - conv_zones;
            let o = AddOptions {
                id: id.map(|i| i & i32::MAX as u32),
                // Up to a zone more than the whole zones (rounded down).
                capacity_mb: nr_zones * zone_size_mb + cap % zone_size_mb,
                zone_size_mb,
                zone_capacity_mb: cap % (zone_size_mb + 1),
                conv_zones,
                base_dir: b"",
                nr_queues: nq,
                queue_depth: qd,
                buffered_io: f[0],
                zone_append: f[1],
                ordered_zone_append: f[2],
                discard_write_cache: f[3],
                max_open_zones: moz % (nr_seq + 1),
                // 0 (none) half of the time, else up to one more than the
                // sequential zones (at least as many: no limit).
                max_active_zones: if maz % 2 == 0 {
                    0
                } else {
                    maz / 2 % (nr_seq + 2)
                },
                // Any: what the device shows does not depend on it.
                given: maz.rotate_left(7),
            };
            (o, dir)
        })
}

proptest! {
    #![proptest_config(config())]

    /// `add <options line>` makes the same device: same geometry, same
    /// options in effect; and the options in effect are a fixed point.
    #[test]
    fn options_line_recreates_the_device((o, dir) in any_device(), id in 0u32..1000) {
        let o = AddOptions { base_dir: &dir, ..o };
        let geo = geometry(&o).map_err(|e| TestCaseError::fail(e.msg))?;
        let shown = o.in_effect(&geo, id);
        let mut cmd = Bytes::default();
        cmd.0.extend_from_slice(b"add ");
        write_options(&mut cmd, &shown).unwrap();
        prop_assert!(cmd.0.len() <= PAGE);
        let again = match parse_command(&cmd.0, PAGE) {
            Ok(Command::Add(a)) => a,
            r => return Err(TestCaseError::fail(format!("{}: {:?}", cmd.0.escape_ascii(), r))),
        };
        prop_assert_eq!(again, shown, "{}", cmd.0.escape_ascii());
        // The same geometry, except that an open limit at the number of
        // sequential zones comes back as no limit (the same behaviour).
        let nr_seq = geo.nr_zones - geo.nr_conv_zones;
        let mut want_geo = geo;
        if want_geo.max_open_zones >= nr_seq {
            want_geo.max_open_zones = 0;
        }
        prop_assert_eq!(geometry(&again).ok(), Some(want_geo));
        prop_assert_eq!(again.in_effect(&geo, id), shown);
        // What a device enforces: zone append mode and the open and active
        // limits (an open limit above the active one is the active one).
        prop_assert_eq!(again.ordered_zone_append_effective(), o.ordered_zone_append_effective());
        let limit = |m: u32| if m == 0 || m >= nr_seq { None } else { Some(m) };
        let active = limit(o.max_active_zones);
        // (`geometry` lowers any open limit to the active one, also one of
        // at least the number of sequential zones)
        let open = match (o.max_open_zones, active) {
            (0, _) => None,
            (m, Some(a)) => Some(m.min(a)),
            (m, None) => limit(m),
        };
        prop_assert_eq!(limit(again.max_active_zones), active);
        prop_assert_eq!(limit(again.max_open_zones), open);
        // Only a device with an active limit has the option in its line.
        prop_assert_eq!(
            cmd.0.windows(17).any(|w| w == b"max_active_zones="),
            active.is_some()
        );
    }
}
