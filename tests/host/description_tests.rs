// SPDX-License-Identifier: GPL-2.0

//! Tests of the description file (`description.rs`): its text, the parser's
//! refusals (truncated, garbled, other versions, unknown options), and how a
//! description and the options of an `add` command are merged.

use crate::description::{
    described_value, gives_geometry, merge, parse, render, Class, Contradiction, FileError, FIELDS,
    FILE_NAME, MAX_LEN, TEMP_NAME,
};
use crate::options::{
    geometry, parse_command, AddOptions, Command, OptionKey, FIRST_ADDITION, OPTIONS,
};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::format;
use std::string::String;
use std::vec::Vec;

const PAGE: usize = 4096;

/// The options of an `add` command that must parse.
#[track_caller]
fn cmd(s: &str) -> AddOptions<'_> {
    match parse_command(s.as_bytes(), PAGE) {
        Ok(Command::Add(o)) => o,
        r => panic!("{s}: {r:?}"),
    }
}

/// The description of `o`, as text.
fn text_of(o: &AddOptions<'_>) -> Vec<u8> {
    let mut buf = [0u8; MAX_LEN];
    let n = render(o, &mut buf).expect("fits");
    buf[..n].to_vec()
}

/// What a description of `s` parses to.
#[track_caller]
fn stored(s: &str) -> AddOptions<'static> {
    let t = text_of(&cmd(s));
    parse(&t).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

/// The error of parsing `t`, as (line, message, text).
#[track_caller]
fn refused(t: &[u8]) -> (usize, &'static str, String) {
    match parse(t) {
        Err(FileError { line, msg, text }) => (line, msg, String::from_utf8_lossy(text).into()),
        Ok(o) => panic!("{} parsed: {o:?}", t.escape_ascii()),
    }
}

/// A valid description with `line` in place of its `capacity_mb` line.
fn with_line(line: &str) -> Vec<u8> {
    let t = String::from_utf8(text_of(&AddOptions::DEFAULT)).unwrap();
    t.replace("capacity_mb=16384\n", &format!("{line}\n"))
        .into_bytes()
}

const GEOM: &str = "add id=3,capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=48,conv_zones=4";
const ALL: &str = "add id=3,capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=48,conv_zones=4,\
nr_queues=2,queue_depth=64,buffered_io,zone_append=0,ordered_zone_append,discard_write_cache,\
max_open_zones=12";

// ---------------------------------------------------------------------------
// The table and the text

#[test]
fn fields_are_the_add_options_but_id_and_base_dir_each_once() {
    let mut seen = 0u32;
    for f in FIELDS {
        assert!(!matches!(f.key, OptionKey::Id | OptionKey::BaseDir));
        assert_eq!(seen & f.key.mask(), 0, "{:?} twice", f.key);
        seen |= f.key.mask();
    }
    let all = (1u32 << OPTIONS.len()) - 1;
    assert_eq!(
        seen,
        all & !OptionKey::Id.mask() & !OptionKey::BaseDir.mask()
    );
}

#[test]
fn geometry_class_is_the_zone_layout_only() {
    let class = |c: Class| -> Vec<&str> {
        FIELDS
            .iter()
            .filter(|f| f.class == c)
            .map(|f| f.key.name())
            .collect()
    };
    assert_eq!(
        class(Class::Geometry),
        [
            "capacity_mb",
            "zone_size_mb",
            "zone_capacity_mb",
            "conv_zones"
        ]
    );
    // both zone limits are runtime: a command may change them
    assert_eq!(
        class(Class::Runtime),
        [
            "nr_queues",
            "queue_depth",
            "buffered_io",
            "zone_append",
            "ordered_zone_append",
            "discard_write_cache",
            "max_open_zones",
            "max_active_zones"
        ]
    );
    // every geometry option is an upstream one, so that a command for the
    // C zloop is complete exactly when it gives geometry (gives_geometry)
    for f in FIELDS.iter().filter(|f| f.class == Class::Geometry) {
        assert!((f.key as usize) < FIRST_ADDITION, "{:?}", f.key);
    }
}

#[test]
fn file_names_are_not_zone_file_names_nor_the_modprobe_file() {
    for n in [FILE_NAME, TEMP_NAME] {
        assert!(!n.starts_with("cnv-") && !n.starts_with("seq-"));
        assert_ne!(n, "zloop_rs.conf");
    }
    assert_eq!(FILE_NAME, "zloop_rs.device");
}

#[test]
fn text_of_a_device_is_exact() {
    assert_eq!(
        String::from_utf8(text_of(&cmd(ALL))).unwrap(),
        "zloop_rs_device_format=1\n\
capacity_mb=2048\n\
zone_size_mb=64\n\
zone_capacity_mb=48\n\
conv_zones=4\n\
nr_queues=2\n\
queue_depth=64\n\
buffered_io=1\n\
zone_append=0\n\
ordered_zone_append=1\n\
discard_write_cache=1\n\
max_open_zones=12\n\
max_active_zones=0\n\
end\n"
    );
}

#[test]
fn zone_capacity_not_given_is_described_as_the_zone_size() {
    let t = String::from_utf8(text_of(&cmd("add zone_size_mb=64"))).unwrap();
    assert!(t.contains("\nzone_capacity_mb=64\n"), "{t}");
    let o = cmd("add zone_size_mb=64");
    assert_eq!(o.zone_capacity_mb, 0);
    assert_eq!(described_value(&o, OptionKey::ZoneCapacityMb), 64);
}

#[test]
fn render_refuses_a_buffer_too_small_and_never_writes_past_it() {
    let o = cmd(ALL);
    let full = text_of(&o);
    for n in 0..full.len() {
        let mut buf = std::vec![0xeeu8; n + 8];
        assert_eq!(render(&o, &mut buf[..n]), None, "{n} bytes");
        assert!(buf[n..].iter().all(|&b| b == 0xee));
    }
    let mut buf = std::vec![0u8; full.len()];
    assert_eq!(render(&o, &mut buf), Some(full.len()));
}

#[test]
fn largest_values_fit() {
    let mut o = AddOptions::DEFAULT;
    for f in FIELDS {
        o.set_value(f.key, u32::MAX);
    }
    let mut buf = [0u8; MAX_LEN];
    let n = render(&o, &mut buf).expect("fits in MAX_LEN");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("capacity_mb=4294967295\n"));
}

// ---------------------------------------------------------------------------
// Round trip

#[test]
fn round_trip_keeps_every_described_option() {
    for s in [
        "add",
        GEOM,
        ALL,
        "add capacity_mb=65536,zone_size_mb=1024,conv_zones=0,max_open_zones=64",
        "add zone_size_mb=16384,capacity_mb=32768,conv_zones=1",
        "add zone_append=1,nr_queues=4294967295,queue_depth=1",
    ] {
        let o = cmd(s);
        let back = parse(&text_of(&o)).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        for f in FIELDS {
            assert_eq!(
                described_value(&back, f.key),
                described_value(&o, f.key),
                "{s}: {}",
                f.key.name()
            );
        }
        // every described option is named in the file
        let named = FIELDS.iter().fold(0, |m, f| m | f.key.mask());
        assert_eq!(back.given, named, "{s}");
        // not described: they locate the file
        assert_eq!(back.id, None);
        assert_eq!(back.base_dir, AddOptions::DEFAULT.base_dir);
        // and the text is stable
        assert_eq!(text_of(&back), text_of(&o), "{s}");
    }
}

fn config() -> Config {
    Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    }
}

prop_compose! {
    /// Options that pass the checks of an `add`.
    fn valid_options()(
        shift in 0u32..15,
        zones in 2u32..300,
        cap_cut in 0u32..16384,
        conv_pick in any::<u32>(),
        moz_pick in any::<u32>(),
        nr_queues in 1u32..=u32::MAX,
        queue_depth in 1u32..=u32::MAX,
        flags in any::<u8>(),
    ) -> AddOptions<'static> {
        let zone_size_mb = 1u32 << shift;
        let capacity_mb = zone_size_mb.saturating_mul(zones).max(zone_size_mb + 1);
        let nr_zones = capacity_mb / zone_size_mb;
        let conv_zones = conv_pick % nr_zones;
        AddOptions {
            capacity_mb,
            zone_size_mb,
            zone_capacity_mb: if flags & 1 != 0 { 0 } else { 1 + cap_cut % zone_size_mb },
            conv_zones,
            nr_queues,
            queue_depth,
            buffered_io: flags & 2 != 0,
            zone_append: flags & 4 != 0,
            ordered_zone_append: flags & 8 != 0,
            discard_write_cache: flags & 16 != 0,
            max_open_zones: moz_pick % (nr_zones - conv_zones + 1),
            // none, a limit, or one of at least the sequential zones
            max_active_zones: (moz_pick >> 8) % (nr_zones - conv_zones + 2) * u32::from(flags & 32 != 0),
            ..AddOptions::DEFAULT
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any valid options are described and read back unchanged, and every
    /// proper prefix of their text (a file cut short anywhere) is refused.
    #[test]
    fn valid_options_round_trip_and_every_prefix_is_refused(o in valid_options()) {
        prop_assert!(geometry(&o).is_ok());
        let t = text_of(&o);
        let back = parse(&t).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for f in FIELDS {
            prop_assert_eq!(described_value(&back, f.key), described_value(&o, f.key));
        }
        for n in 0..t.len() {
            prop_assert!(parse(&t[..n]).is_err(), "prefix of {} bytes", n);
        }
        // restoring from it with `add id=N` alone gives the same options
        let merged = merge(&cmd("add id=1"), &back).map_err(|c| TestCaseError::fail(format!("{c:?}")))?;
        prop_assert_eq!(text_of(&merged), t);
    }

    /// Whatever the bytes, the parser returns (no panic), and what it
    /// accepts passes the checks of an `add` and renders to the same
    /// described values.
    #[test]
    fn any_bytes_parse_or_are_refused(
        v in proptest::collection::vec(any::<u8>(), 0..MAX_LEN + 2),
    ) {
        if let Ok(o) = parse(&v) {
            prop_assert!(geometry(&o).is_ok());
            prop_assert!(parse(&text_of(&o)).is_ok());
        }
    }

    /// One byte of a valid file changed to another: refused, or read as a
    /// valid description (a digit changed into another digit).
    #[test]
    fn one_changed_byte_is_refused_or_still_valid(
        o in valid_options(),
        at in any::<usize>(),
        to in any::<u8>(),
    ) {
        let mut t = text_of(&o);
        let i = at % t.len();
        let was = t[i];
        t[i] = to;
        match parse(&t) {
            Ok(back) => {
                prop_assert!(geometry(&back).is_ok());
                prop_assert!(was == to || (was.is_ascii_digit() && to.is_ascii_digit()),
                    "byte {} changed from {} to {} and still accepted", i, was, to);
            }
            Err(e) => prop_assert!(!e.msg.is_empty()),
        }
    }
}

// ---------------------------------------------------------------------------
// Refused files

#[test]
fn empty_or_too_large_is_refused() {
    assert_eq!(refused(b""), (0, "empty file", String::new()));
    let mut big = text_of(&AddOptions::DEFAULT);
    big.resize(MAX_LEN + 1, b'\n');
    assert_eq!(refused(&big).1, "too large to be a description");
}

#[test]
fn truncated_file_is_refused_clearly() {
    let t = text_of(&cmd(ALL));
    // cut after a whole line: no end line
    let mut at = 0;
    for (i, &b) in t.iter().enumerate() {
        if b == b'\n' && i + 1 < t.len() {
            at = i + 1;
            assert_eq!(refused(&t[..at]).1, "truncated: no end line", "{at} bytes");
        }
    }
    assert!(at > 0);
    // cut inside a line, even right before the final newline
    assert_eq!(
        refused(&t[..t.len() - 1]).1,
        "truncated: no newline at the end"
    );
    assert_eq!(refused(&t[..30]).1, "truncated: no newline at the end");
}

#[test]
fn other_format_versions_are_refused() {
    for v in ["2", "0", "01", "", "1.0", "1 ", "10"] {
        let t = format!("zloop_rs_device_format={v}\ncapacity_mb=2048\nend\n");
        assert_eq!(
            refused(t.as_bytes()),
            (1, "unknown format version", String::from(v)),
            "{v}"
        );
    }
}

#[test]
fn a_file_that_is_no_description_is_refused() {
    for t in [
        &b"\n"[..],
        b"capacity_mb=2048\nend\n",
        b"end\n",
        b"zloop_rs_device_format\nend\n",
        b"ZLOOP_RS_DEVICE_FORMAT=1\nend\n",
        b" zloop_rs_device_format=1\nend\n",
        b"\x7fELF\x02\x01\x01\n",
        b"add id=0,capacity_mb=2048\n",
    ] {
        assert_eq!(
            refused(t),
            (1, "not a zloop_rs device description", String::new()),
            "{}",
            t.escape_ascii()
        );
    }
}

#[test]
fn unknown_options_are_refused_naming_them() {
    for (line, name) in [
        ("future_option=8", "future_option"),
        ("id=3", "id"),
        ("base_dir=/tmp", "base_dir"),
        ("Capacity_mb=2048", "Capacity_mb"),
        (" capacity_mb=2048", " capacity_mb"),
        ("=1", ""),
    ] {
        assert_eq!(
            refused(&with_line(line)),
            (
                2,
                "unknown option (from a later zloop_rs?)",
                String::from(name)
            ),
            "{line}"
        );
    }
}

#[test]
fn lines_that_are_not_name_value_are_refused() {
    for line in ["capacity_mb", "", "# a comment", "buffered_io"] {
        assert_eq!(
            refused(&with_line(line)),
            (2, "not a name=value line", String::from(line)),
            "{line:?}"
        );
    }
}

#[test]
fn invalid_values_are_refused_naming_them() {
    for (line, value) in [
        ("capacity_mb=", ""),
        ("capacity_mb=abc", "abc"),
        ("capacity_mb=+2048", "+2048"),
        ("capacity_mb=-1", "-1"),
        ("capacity_mb=0x800", "0x800"),
        ("capacity_mb=2048 ", "2048 "),
        ("capacity_mb=2048\r", "2048\r"),
        ("capacity_mb=4294967296", "4294967296"),
        ("capacity_mb=00000000002048", "00000000002048"),
        ("buffered_io=2", "2"),
        ("zone_append=7", "7"),
        ("discard_write_cache=yes", "yes"),
    ] {
        // the line of the option is line 2
        let t = with_line(line);
        let (l, msg, text) = refused(&t);
        assert_eq!(
            (l, msg, text.as_str()),
            (2, "invalid value", value),
            "{line:?}"
        );
    }
}

#[test]
fn an_option_named_twice_is_refused() {
    let t = String::from_utf8(text_of(&AddOptions::DEFAULT)).unwrap();
    let t = t.replace("conv_zones=8\n", "conv_zones=8\nconv_zones=8\n");
    let (line, msg, text) = refused(t.as_bytes());
    assert_eq!(
        (line, msg, text.as_str()),
        (6, "option named twice", "conv_zones")
    );
}

#[test]
fn text_after_the_end_line_is_refused() {
    let mut t = text_of(&AddOptions::DEFAULT);
    let lines = t.iter().filter(|&&b| b == b'\n').count();
    t.extend_from_slice(b"capacity_mb=1\n");
    assert_eq!(
        refused(&t),
        (lines + 1, "text after the end line", String::new())
    );
    let mut t = text_of(&AddOptions::DEFAULT);
    t.push(b'\n');
    assert_eq!(refused(&t).1, "text after the end line");
}

#[test]
fn impossible_options_are_refused_as_an_add_would_be() {
    for (line, msg) in [
        ("capacity_mb=0", "invalid capacity"),
        ("capacity_mb=256", "invalid capacity"),
        ("zone_size_mb=3", "invalid zone size"),
        ("zone_size_mb=32768", "invalid zone size"),
        ("zone_capacity_mb=0", "invalid zone capacity"),
        ("zone_capacity_mb=257", "invalid zone capacity"),
        ("conv_zones=64", "invalid number of conventional zones"),
        ("nr_queues=0", "invalid number of queues"),
        ("queue_depth=0", "invalid queue depth"),
        ("max_open_zones=57", "invalid maximum number of open zones"),
    ] {
        // every other line has its default value: 64 zones of 256 MiB, 8 conventional
        let t = String::from_utf8(text_of(&AddOptions::DEFAULT)).unwrap();
        let name = line.split('=').next().unwrap();
        let t: String = t
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{name}=")) {
                    line
                } else {
                    l
                }
            })
            .flat_map(|l| [l, "\n"])
            .collect();
        assert_eq!(refused(t.as_bytes()), (0, msg, String::new()), "{line}");
    }
}

#[test]
fn options_left_out_of_the_file_have_their_defaults() {
    let o = parse(b"zloop_rs_device_format=1\nend\n").unwrap();
    assert_eq!(o, AddOptions::DEFAULT);
    let o = parse(b"zloop_rs_device_format=1\nzone_size_mb=64\ncapacity_mb=1024\nend\n").unwrap();
    assert_eq!((o.capacity_mb, o.zone_size_mb, o.conv_zones), (1024, 64, 8));
    assert_eq!(
        o.given,
        OptionKey::CapacityMb.mask() | OptionKey::ZoneSizeMb.mask()
    );
}

// ---------------------------------------------------------------------------
// Merging a description and a command

#[test]
fn add_with_only_an_id_restores_every_described_option() {
    let s = stored(ALL);
    for c in ["add id=3", "add id=3,base_dir=/srv/z", "add"] {
        let m = merge(&cmd(c), &s).unwrap();
        assert_eq!(text_of(&m), text_of(&cmd(ALL)), "{c}");
        assert_eq!(m.id, cmd(c).id);
        assert_eq!(m.base_dir, cmd(c).base_dir);
        assert_eq!(m.given, cmd(c).given);
    }
}

#[test]
fn every_geometry_contradiction_is_refused_with_both_values() {
    let s = stored(GEOM);
    for (c, key, given, was) in [
        (
            "add id=3,capacity_mb=4096",
            OptionKey::CapacityMb,
            4096,
            2048,
        ),
        (
            "add id=3,capacity_mb=2049",
            OptionKey::CapacityMb,
            2049,
            2048,
        ),
        ("add id=3,zone_size_mb=128", OptionKey::ZoneSizeMb, 128, 64),
        (
            "add id=3,zone_capacity_mb=64",
            OptionKey::ZoneCapacityMb,
            64,
            48,
        ),
        ("add id=3,conv_zones=5", OptionKey::ConvZones, 5, 4),
        ("add id=3,conv_zones=0", OptionKey::ConvZones, 0, 4),
        // the first contradiction in file order is the one reported
        (
            "add id=3,conv_zones=1,capacity_mb=4096",
            OptionKey::CapacityMb,
            4096,
            2048,
        ),
    ] {
        assert_eq!(
            merge(&cmd(c), &s),
            Err(Contradiction {
                key,
                given,
                stored: was
            }),
            "{c}"
        );
    }
}

#[test]
fn geometry_given_as_described_is_accepted() {
    let s = stored(GEOM);
    for c in [
        GEOM,
        "add id=3,capacity_mb=2048",
        "add id=3,zone_size_mb=64,zone_capacity_mb=48",
        "add id=3,conv_zones=4",
    ] {
        let m = merge(&cmd(c), &s).unwrap_or_else(|e| panic!("{c}: {e:?}"));
        assert_eq!(
            (
                m.capacity_mb,
                m.zone_size_mb,
                m.zone_capacity_mb,
                m.conv_zones
            ),
            (2048, 64, 48, 4),
            "{c}"
        );
    }
}

#[test]
fn zone_capacity_compares_as_the_layout_it_gives() {
    // made without zone_capacity_mb: the zone size, however spelt
    let s = stored("add capacity_mb=2048,zone_size_mb=64");
    assert!(merge(&cmd("add id=0,zone_capacity_mb=64"), &s).is_ok());
    assert!(merge(&cmd("add id=0,zone_size_mb=64"), &s).is_ok());
    assert_eq!(
        merge(&cmd("add id=0,zone_capacity_mb=32"), &s),
        Err(Contradiction {
            key: OptionKey::ZoneCapacityMb,
            given: 32,
            stored: 64
        })
    );
    // and a file written with zone_capacity_mb equal to the zone size
    let s = stored("add capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=64");
    let m = merge(&cmd("add id=0,zone_size_mb=64"), &s).unwrap();
    assert_eq!(
        geometry(&m),
        geometry(&cmd("add capacity_mb=2048,zone_size_mb=64"))
    );
}

#[test]
fn a_described_option_left_out_of_the_file_compares_as_its_default() {
    let s = parse(b"zloop_rs_device_format=1\nzone_size_mb=64\ncapacity_mb=1024\nend\n").unwrap();
    assert_eq!(
        merge(&cmd("add id=0,conv_zones=4"), &s),
        Err(Contradiction {
            key: OptionKey::ConvZones,
            given: 4,
            stored: 8
        })
    );
    assert!(merge(&cmd("add id=0,conv_zones=8"), &s).is_ok());
}

#[test]
fn runtime_options_given_override_the_description() {
    let s = stored(ALL);
    let m = merge(
        &cmd("add id=3,nr_queues=4,queue_depth=32,zone_append=1,max_open_zones=3"),
        &s,
    )
    .unwrap();
    assert_eq!((m.nr_queues, m.queue_depth, m.max_open_zones), (4, 32, 3));
    assert!(m.zone_append);
    // the others still come from the description
    assert!(m.buffered_io && m.ordered_zone_append && m.discard_write_cache);
    assert_eq!((m.capacity_mb, m.zone_size_mb, m.conv_zones), (2048, 64, 4));
    // a flag given turns it on
    let s = stored(GEOM);
    let m = merge(&cmd("add id=3,buffered_io,discard_write_cache"), &s).unwrap();
    assert!(m.buffered_io && m.discard_write_cache && !m.ordered_zone_append);
}

#[test]
fn a_command_with_geometry_is_complete_runtime_defaults_apply() {
    let s = stored(ALL);
    for c in [
        "add id=3,capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=48,conv_zones=4",
        "add id=3,zone_size_mb=64",
        "add id=3,conv_zones=4,nr_queues=2",
    ] {
        assert!(gives_geometry(&cmd(c)), "{c}");
        let m = merge(&cmd(c), &s).unwrap();
        let d = AddOptions::DEFAULT;
        // as the C zloop: what the command leaves out is the default ...
        assert!(
            !m.buffered_io && !m.ordered_zone_append && !m.discard_write_cache,
            "{c}"
        );
        assert!(m.zone_append, "{c}");
        assert_eq!((m.queue_depth, m.max_open_zones), (d.queue_depth, 0), "{c}");
        // ... but geometry left out comes from the description
        assert_eq!(
            (
                m.capacity_mb,
                m.zone_size_mb,
                m.zone_capacity_mb,
                m.conv_zones
            ),
            (2048, 64, 48, 4),
            "{c}"
        );
    }
    let m = merge(&cmd("add id=3,conv_zones=4,nr_queues=2"), &s).unwrap();
    assert_eq!(m.nr_queues, 2);
    assert!(!gives_geometry(&cmd(
        "add id=3,nr_queues=2,buffered_io,base_dir=/x"
    )));
}

#[test]
fn merged_options_pass_the_add_checks_unless_a_runtime_limit_does_not_fit() {
    // 32 zones of 64 MiB, 4 conventional: 28 sequential
    let s = stored(GEOM);
    assert!(geometry(&merge(&cmd("add id=3,max_open_zones=28"), &s).unwrap()).is_ok());
    // the command alone (64 zones of 256 MiB, 8 conventional) allows 56
    assert!(geometry(&cmd("add id=3,max_open_zones=40")).is_ok());
    let m = merge(&cmd("add id=3,max_open_zones=40"), &s).unwrap();
    assert_eq!(
        geometry(&m).unwrap_err().msg,
        "invalid maximum number of open zones"
    );
    // and the other way round: more zones than the defaults
    let s = stored("add capacity_mb=65536,zone_size_mb=64,conv_zones=100");
    assert!(geometry(&cmd("add id=3,max_open_zones=500")).is_err());
    assert!(geometry(&merge(&cmd("add id=3,max_open_zones=500"), &s).unwrap()).is_ok());
}

// ---------------------------------------------------------------------------
// max_active_zones (a zloop_rs addition): a runtime option, as max_open_zones

/// GEOM (32 zones of 64 MiB, 4 conventional: 28 sequential) with an active
/// limit and runtime options.
const ACTIVE: &str = "add id=3,capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=48,conv_zones=4,\
nr_queues=2,queue_depth=64,buffered_io,max_open_zones=3,max_active_zones=5";

#[test]
fn active_limit_is_described_and_restored_by_an_add_with_only_an_id() {
    let t = String::from_utf8(text_of(&cmd(ACTIVE))).unwrap();
    assert!(
        t.ends_with("\nmax_open_zones=3\nmax_active_zones=5\nend\n"),
        "{t}"
    );
    let s = stored(ACTIVE);
    assert_eq!(s.max_active_zones, 5);
    let m = merge(&cmd("add id=3"), &s).unwrap();
    assert_eq!((m.max_active_zones, m.max_open_zones), (5, 3));
    assert_eq!(text_of(&m), text_of(&cmd(ACTIVE)));
    let g = geometry(&m).unwrap();
    assert_eq!((g.max_active_zones, g.max_open_zones), (5, 3));
}

/// Another limit on the command line is used and described (no
/// contradiction): that is the way out of a restore refused for more
/// active zones than the described limit.
#[test]
fn active_limit_given_overrides_the_description_and_is_stored() {
    let s = stored(ACTIVE);
    for (c, given) in [
        ("add id=3,max_active_zones=6", 6),
        ("add id=3,max_active_zones=0", 0),
        ("add id=3,max_active_zones=4,nr_queues=1", 4),
        (
            "add id=3,capacity_mb=2048,zone_size_mb=64,zone_capacity_mb=48,conv_zones=4,max_active_zones=1",
            1,
        ),
    ] {
        let m = merge(&cmd(c), &s).unwrap_or_else(|e| panic!("{c}: {e:?}"));
        assert_eq!(m.max_active_zones, given, "{c}");
        assert_eq!(geometry(&m).unwrap().max_active_zones, given, "{c}");
        let t = String::from_utf8(text_of(&m)).unwrap();
        assert!(
            t.contains(&format!("\nmax_active_zones={given}\n")),
            "{c}: {t}"
        );
        // the layout is still the described one
        assert_eq!((m.capacity_mb, m.zone_size_mb, m.conv_zones), (2048, 64, 4));
    }
    // a device described without a limit gets one
    let m = merge(&cmd("add id=3,max_active_zones=2"), &stored(GEOM)).unwrap();
    assert_eq!(geometry(&m).unwrap().max_active_zones, 2);
    // the open limit above a lower active limit is lowered to it, as for
    // any add (the described open limit stays 3 in the file)
    let m = merge(&cmd("add id=3,max_active_zones=2"), &s).unwrap();
    let g = geometry(&m).unwrap();
    assert_eq!((g.max_active_zones, g.max_open_zones), (2, 2));
    assert_eq!(described_value(&m, OptionKey::MaxOpenZones), 3);
}

/// The rule of the other runtime options: a stored limit is used when the
/// command leaves it out (and gives no geometry), a limit given replaces it
/// from then on, and a complete command that leaves it out has none.
#[test]
fn stored_active_limit_is_used_when_left_out_and_overridden_when_given() {
    let s = stored(ACTIVE);
    for c in [
        "add id=3",
        "add id=3,nr_queues=4",
        "add id=3,max_open_zones=2",
    ] {
        let m = merge(&cmd(c), &s).unwrap_or_else(|e| panic!("{c}: {e:?}"));
        assert_eq!(m.max_active_zones, 5, "{c}");
    }
    // given: used, and what the next add id=3 alone restores
    let m = merge(&cmd("add id=3,max_active_zones=9"), &s).unwrap();
    assert_eq!(m.max_active_zones, 9);
    let s2 = parse(&text_of(&m)).unwrap();
    assert_eq!(merge(&cmd("add id=3"), &s2).unwrap().max_active_zones, 9);
    // the other runtime options still come from the first description
    assert_eq!(
        (s2.nr_queues, s2.queue_depth, s2.max_open_zones),
        (2, 64, 3)
    );
    assert!(s2.buffered_io);
    // a complete command (upstream geometry) without it: the upstream
    // default, no limit, described as 0
    let m = merge(&cmd(GEOM), &s).unwrap();
    assert_eq!(m.max_active_zones, 0);
    assert_eq!(geometry(&m).unwrap().max_active_zones, 0);
    assert!(String::from_utf8(text_of(&m))
        .unwrap()
        .contains("\nmax_active_zones=0\n"));
}

/// A limit of at least the number of sequential zones is no limit: it is
/// described as 0, under the layout of the device (the command's own
/// defaults, 56 sequential zones, do not count).
#[test]
fn active_limit_is_stored_as_the_limit_it_gives_under_the_described_layout() {
    let s = stored(&format!("{GEOM},max_active_zones=28"));
    assert_eq!(
        s.max_active_zones, 0,
        "28 of 28 sequential zones: described as none"
    );
    for c in [
        "add id=3,max_active_zones=0",
        "add id=3,max_active_zones=28",
        "add id=3,max_active_zones=40",
        "add id=3,max_active_zones=4294967295",
    ] {
        let m = merge(&cmd(c), &s).unwrap_or_else(|e| panic!("{c}: {e:?}"));
        assert_eq!(geometry(&m).unwrap().max_active_zones, 0, "{c}");
        assert_eq!(text_of(&m), text_of(&s), "{c}");
    }
    // one below: a limit
    let m = merge(&cmd("add id=3,max_active_zones=27"), &s).unwrap();
    assert_eq!(geometry(&m).unwrap().max_active_zones, 27);
    assert_eq!(described_value(&m, OptionKey::MaxActiveZones), 27);
}

/// `max_active_zones` is not an upstream option: a command that gives it
/// (and no upstream geometry) is not a complete command, so the runtime
/// options it leaves out still come from the description.
#[test]
fn active_limit_alone_does_not_make_a_command_complete() {
    let c = cmd("add id=3,max_active_zones=5");
    assert!(!gives_geometry(&c));
    let m = merge(&c, &stored(ACTIVE)).unwrap();
    assert_eq!((m.nr_queues, m.queue_depth, m.max_open_zones), (2, 64, 3));
    assert!(m.buffered_io);
    // with upstream geometry it is complete: runtime defaults apply, to
    // the active limit too
    let m = merge(&cmd("add id=3,conv_zones=4"), &stored(ACTIVE)).unwrap();
    assert_eq!(
        (m.nr_queues, m.max_open_zones, m.max_active_zones),
        (1, 0, 0)
    );
}

/// A file without the line (written before the option was described) gives
/// no limit, and an add may give one.
#[test]
fn a_file_without_the_active_limit_line_describes_no_limit() {
    let t = String::from_utf8(text_of(&cmd(GEOM))).unwrap();
    let old = t.replace("max_active_zones=0\n", "");
    assert_ne!(old, t);
    let s = parse(old.as_bytes()).unwrap();
    assert_eq!(s.max_active_zones, 0);
    assert!(!s.is_given(OptionKey::MaxActiveZones));
    assert_eq!(merge(&cmd("add id=3"), &s).unwrap().max_active_zones, 0);
    let m = merge(&cmd("add id=3,max_active_zones=3"), &s).unwrap();
    assert_eq!(m.max_active_zones, 3);
}
