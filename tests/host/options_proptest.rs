// SPDX-License-Identifier: GPL-2.0

//! Property tests of the control command parser (`options.rs`):
//! - arbitrary bytes never panic and only give `EINVAL` or `ENOMEM`;
//! - random valid `add` options, rendered in random order and number syntax,
//!   with repeated options (the last one wins), parse back to themselves;
//! - `%u` and `%d` values agree with an independent model of lib/parser.c.

use crate::options::{
    geometry, parse_command, AddOptions, Command, Errno, MAX_ZONE_SIZE_MB, OPTIONS,
};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

const PAGE: usize = 4096;

fn config() -> Config {
    Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// (a) arbitrary input

/// Bytes that look a bit like commands, so that the fuzzing gets past the
/// operation name and into the option parser.
fn command_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(&b"add"[..]),
        Just(&b"remove"[..]),
        Just(&b" "[..]),
        Just(&b","[..]),
        Just(&b"\n"[..]),
        Just(&b"="[..]),
        Just(&b"-"[..]),
        Just(&b"0x"[..]),
        Just(&b"0"[..]),
        Just(&b"7"[..]),
        Just(&b"9"[..]),
        Just(&b"\0"[..]),
        Just(&b"\xa0"[..]),
        Just(&b"18446744073709551615"[..]),
        Just(&b"id="[..]),
        Just(&b"capacity_mb="[..]),
        Just(&b"zone_size_mb="[..]),
        Just(&b"zone_capacity_mb="[..]),
        Just(&b"conv_zones="[..]),
        Just(&b"base_dir="[..]),
        Just(&b"nr_queues="[..]),
        Just(&b"queue_depth="[..]),
        Just(&b"buffered_io"[..]),
        Just(&b"zone_append="[..]),
        Just(&b"ordered_zone_append"[..]),
        Just(&b"discard_write_cache"[..]),
        Just(&b"max_open_zones="[..]),
        Just(&b"max_active_zones="[..]),
    ];
    let op = prop_oneof![Just(&b"add"[..]), Just(&b"remove"[..]), Just(&b""[..])];
    (op, proptest::collection::vec(piece, 0..24)).prop_map(|(op, pieces)| {
        let mut v = Vec::from(op);
        for p in pieces {
            v.extend_from_slice(p);
        }
        v
    })
}

fn any_input() -> impl Strategy<Value = (Vec<u8>, usize)> {
    let bytes = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        command_like(),
        // Around the page size (cheap to generate: one byte repeated).
        (any::<u8>(), 4090usize..4100).prop_map(|(b, n)| {
            let mut v = Vec::from(&b"add "[..]);
            v.resize(n, b);
            v
        }),
    ];
    let page = prop_oneof![4 => Just(PAGE), 1 => 0usize..80];
    (bytes, page)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_and_fail_only_with_einval_or_enomem(
        (buf, page) in any_input()
    ) {
        match parse_command(&buf, page) {
            Err(e) => {
                prop_assert!(!e.msg.is_empty());
                if buf.len() > page {
                    prop_assert_eq!(e.errno, Errno::NoMem);
                } else {
                    prop_assert_eq!(e.errno, Errno::Inval);
                }
            }
            Ok(cmd) => {
                prop_assert!(buf.len() <= page);
                prop_assert!(buf.starts_with(b"add") || buf.starts_with(b"remove"));
                if let Command::Add(o) = cmd {
                    prop_assert!(buf.starts_with(b"add"));
                    prop_assert!(o.capacity_mb > o.zone_size_mb);
                    prop_assert!(o.zone_size_mb.is_power_of_two());
                    prop_assert!(o.zone_size_mb <= MAX_ZONE_SIZE_MB);
                    prop_assert!(o.zone_capacity_mb <= o.zone_size_mb);
                    prop_assert!(o.nr_queues > 0 && o.queue_depth > 0);
                    prop_assert!(o.id.is_none_or(|id| id <= i32::MAX as u32));
                    prop_assert!(!o.base_dir.is_empty());
                    prop_assert!(!o.base_dir.iter().any(|b| matches!(b, 0 | b',' | b'\n')));
                    // geometry() must not panic either.
                    let _ = geometry(&o);
                } else {
                    prop_assert!(buf.starts_with(b"remove"));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// (b) round trip of valid options

/// One occurrence of an option in a rendered command, before the values are
/// made to fit together.
#[derive(Clone, Debug)]
struct Entry {
    /// Index into `OPTIONS`.
    opt: usize,
    /// Raw material for the value.
    raw: u64,
    /// Which of the equivalent spellings of the value to use.
    style: u8,
    /// The value of `base_dir`.
    dir: Vec<u8>,
}

fn entry() -> impl Strategy<Value = Entry> {
    let dir_byte = any::<u8>().prop_filter("separator", |b| !matches!(b, 0 | b',' | b'\n'));
    (
        0..OPTIONS.len(),
        any::<u64>(),
        any::<u8>(),
        proptest::collection::vec(dir_byte, 1..24),
    )
        .prop_map(|(opt, raw, style, dir)| Entry {
            opt,
            raw,
            style,
            dir,
        })
}

/// A `%u` value in one of its spellings: decimal, or with leading zeros when
/// every digit is an octal digit (the base-0 scan then accepts it, and the
/// value is still read as decimal).
fn render_uint(v: u32, style: u8) -> String {
    let dec = format!("{v}");
    if style.is_multiple_of(3) && dec.bytes().all(|b| b <= b'7') {
        let width = dec.len() + 1 + usize::from(style / 3) % (23 - dec.len());
        format!("{dec:0>width$}")
    } else {
        dec
    }
}

/// An `id=%d` value for the id `want`, in one of its spellings.
fn render_id(want: Option<u32>, raw: u64, style: u8) -> String {
    match want {
        Some(n) => match style % 6 {
            0 => format!("0x{n:x}"),
            1 => format!("0X{n:X}"),
            2 => format!("0{n:o}"),
            3 => format!("000{n:o}"),
            4 if n == 0 => String::from("-"),
            4 => format!("-{}", u64::MAX - u64::from(n) + 1), // wraps back to n
            _ => format!("{n}"),
        },
        None => {
            // A negative int, spelt in various ways.
            let neg = 1 + raw % (1 << 31);
            match style % 5 {
                0 => format!("-0x{neg:x}"),
                1 => format!("-0{neg:o}"),
                2 => format!("{}", u64::MAX - neg + 1), // wraps to -neg
                3 => String::from("99999999999999999999"), // saturates to -1
                _ => format!("-{neg}"),
            }
        }
    }
}

/// A separator: one or more commas and newlines.
fn separator(style: u8) -> &'static [u8] {
    [&b","[..], b"\n", b",,", b",\n", b"\n\n,"][usize::from(style) % 5]
}

/// Renders `entries` as an `add` command and computes the options it must
/// parse to. Values are chosen so that every combination of the repeated
/// options passes the checks: every capacity exceeds every zone size and every
/// zone capacity is at most every zone size.
///
/// Returns the command, the options (with `base_dir` left empty: it must borrow
/// from the command) and the `base_dir` the command must give, if any.
fn build(
    mut entries: Vec<Entry>,
    lead: u8,
    trail: u8,
) -> (Vec<u8>, AddOptions<'static>, Option<Vec<u8>>) {
    let of = |entries: &[Entry], name: &str| -> Vec<u64> {
        entries
            .iter()
            .filter(|e| OPTIONS[e.opt].name == name)
            .map(|e| e.raw)
            .collect()
    };
    let zone_sizes: Vec<u32> = of(&entries, "zone_size_mb")
        .iter()
        .map(|r| 1u32 << (r % 15))
        .collect();
    let (min_z, max_z) = if zone_sizes.is_empty() {
        (256, 256)
    } else {
        (
            *zone_sizes.iter().min().unwrap(),
            *zone_sizes.iter().max().unwrap(),
        )
    };
    if of(&entries, "capacity_mb").is_empty() && max_z >= 16384 {
        entries.push(Entry {
            opt: 1,
            raw: u64::from(lead),
            style: trail,
            dir: Vec::new(),
        });
    }

    let mut want = AddOptions::DEFAULT;
    let mut dir = None;
    let mut cmd = Vec::from(&b"add"[..]);
    cmd.extend_from_slice(
        [&b""[..], b" ", b"\t", b"\x0b\x0c\r ", b"\xa0", b"\n"][usize::from(lead) % 6],
    );
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            cmd.extend_from_slice(separator(e.style >> 4));
        }
        let name = OPTIONS[e.opt].name;
        want.given |= 1 << e.opt;
        let raw32 = e.raw as u32;
        let value: Option<String> = match name {
            "id" => {
                let id = if e.raw & 1 == 0 {
                    Some((e.raw >> 1) as u32 & i32::MAX as u32)
                } else {
                    None
                };
                want.id = id;
                Some(render_id(id, e.raw >> 1, e.style))
            }
            "capacity_mb" => {
                let span = u64::from(u32::MAX - max_z);
                let v = max_z + 1 + (e.raw % span) as u32;
                want.capacity_mb = v;
                Some(render_uint(v, e.style))
            }
            "zone_size_mb" => {
                let v = 1u32 << (e.raw % 15);
                want.zone_size_mb = v;
                Some(render_uint(v, e.style))
            }
            "zone_capacity_mb" => {
                let v = 1 + (e.raw % u64::from(min_z)) as u32;
                want.zone_capacity_mb = v;
                Some(render_uint(v, e.style))
            }
            "conv_zones" => {
                want.conv_zones = raw32;
                Some(render_uint(raw32, e.style))
            }
            "max_open_zones" => {
                want.max_open_zones = raw32;
                Some(render_uint(raw32, e.style))
            }
            "max_active_zones" => {
                want.max_active_zones = raw32;
                Some(render_uint(raw32, e.style))
            }
            "nr_queues" => {
                let v = raw32.max(1);
                want.nr_queues = v;
                Some(render_uint(v, e.style))
            }
            "queue_depth" => {
                let v = raw32.max(1);
                want.queue_depth = v;
                Some(render_uint(v, e.style))
            }
            "zone_append" => {
                let v = raw32 & 1;
                want.zone_append = v == 1;
                Some(render_uint(v, e.style))
            }
            "base_dir" => {
                dir = Some(e.dir.clone());
                None
            }
            "buffered_io" => {
                want.buffered_io = true;
                None
            }
            "ordered_zone_append" => {
                want.ordered_zone_append = true;
                None
            }
            "discard_write_cache" => {
                want.discard_write_cache = true;
                None
            }
            other => panic!("option {other} not covered"),
        };
        cmd.extend_from_slice(name.as_bytes());
        if name == "base_dir" {
            cmd.push(b'=');
            cmd.extend_from_slice(&e.dir);
        } else if let Some(v) = value {
            cmd.push(b'=');
            cmd.extend_from_slice(v.as_bytes());
        }
    }
    cmd.extend_from_slice([&b""[..], b"\n", b",", b"\0,junk=1", b"\n\0x"][usize::from(trail) % 5]);
    want.base_dir = b"";
    (cmd, want, dir)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_add_options_in_random_order_and_syntax_parse_back(
        entries in proptest::collection::vec(entry(), 0..30),
        lead in any::<u8>(),
        trail in any::<u8>(),
    ) {
        let (cmd, want, want_dir) = build(entries, lead, trail);
        prop_assert!(cmd.len() <= PAGE);
        let got = match parse_command(&cmd, PAGE) {
            Ok(Command::Add(o)) => o,
            r => {
                return Err(TestCaseError::fail(format!(
                    "{}: {:?}",
                    cmd.escape_ascii(),
                    r
                )))
            }
        };
        match want_dir {
            Some(dir) => prop_assert_eq!(got.base_dir, &dir[..]),
            None => prop_assert_eq!(got.base_dir, b"/var/local/zloop"),
        }
        prop_assert_eq!(AddOptions { base_dir: b"", ..got }, want, "{}", cmd.escape_ascii());
    }
}

// ---------------------------------------------------------------------------
// (c) numbers against a model of lib/parser.c written from its description

/// `%u` through `match_one` (base-0 `simple_strtoul` must consume it all) and
/// `match_uint` (< 24 characters, `kstrtouint` base 10).
fn model_uint(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() >= 24 {
        return None;
    }
    let scan_ok = if b[0] == b'0' {
        // Octal (hex would contain an `x`, which base 10 then rejects).
        b.iter().all(|c| (b'0'..=b'7').contains(c))
    } else {
        b.iter().all(u8::is_ascii_digit)
    };
    if !scan_ok {
        return None;
    }
    s.parse::<u32>().ok()
}

/// `id=%d` through `match_one` and `match_int` (< 24 characters,
/// `simple_strtol` base 0 with a 64-bit long, int range).
fn model_int(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() >= 24 {
        return None;
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let d = digits.as_bytes();
    let magnitude: u128 = if d.is_empty() {
        0 // a lone "-" is consumed and worth -0
    } else if d.len() > 2 && (digits.starts_with("0x") || digits.starts_with("0X")) {
        u128::from_str_radix(&digits[2..], 16).ok()?
    } else if d[0] == b'0' {
        if !d.iter().all(|c| (b'0'..=b'7').contains(c)) {
            return None;
        }
        u128::from_str_radix(digits, 8).ok()?
    } else {
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits.parse::<u128>().ok()?
    };
    let unsigned = u64::try_from(magnitude).unwrap_or(u64::MAX);
    let long = if neg {
        unsigned.wrapping_neg()
    } else {
        unsigned
    } as i64;
    i32::try_from(long).ok()
}

fn number_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        8 => proptest::char::range('0', '9'),
        1 => Just('x'),
        1 => Just('X'),
        1 => Just('a'),
        1 => Just('F'),
        1 => Just('g'),
        1 => Just('-'),
        1 => Just('+'),
        1 => Just(' '),
    ];
    let mixed = proptest::collection::vec(c, 0..26).prop_map(|v| v.into_iter().collect());
    // Long numbers, around the 64-bit overflow and the 23-character limit.
    let prefix = prop_oneof![
        Just(""),
        Just("-"),
        Just("0"),
        Just("0x"),
        Just("-0x"),
        Just("0X"),
        Just("-0"),
    ];
    let long = (
        prefix,
        "[0-9]{15,24}|[0-7]{19,24}|[0-9a-fA-F]{14,22}|1844674407370955[0-9]{4}",
    )
        .prop_map(|(p, d)| format!("{p}{d}"));
    prop_oneof![mixed, long]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn uint_values_match_the_model(s in number_text()) {
        let cmd = format!("add conv_zones={s}");
        let got = match parse_command(cmd.as_bytes(), PAGE) {
            Ok(Command::Add(o)) => Some(o.conv_zones),
            Ok(c) => return Err(TestCaseError::fail(format!("{c:?}"))),
            Err(e) => {
                prop_assert_eq!(e.errno, Errno::Inval);
                None
            }
        };
        prop_assert_eq!(got, model_uint(&s), "{}", s);
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn id_values_match_the_model(s in number_text()) {
        let cmd = format!("remove id={s}");
        let got = match parse_command(cmd.as_bytes(), PAGE) {
            Ok(Command::Remove { id }) => Some(id),
            Ok(c) => return Err(TestCaseError::fail(format!("{c:?}"))),
            Err(e) => {
                prop_assert_eq!(e.errno, Errno::Inval);
                None
            }
        };
        prop_assert_eq!(got, model_int(&s), "{}", s);
        // add reads the same value, negative meaning automatic.
        let cmd = format!("add id={s}");
        let add_id = parse_command(cmd.as_bytes(), PAGE).ok().map(|c| match c {
            Command::Add(o) => o.id,
            Command::Remove { .. } => unreachable!(),
        });
        prop_assert_eq!(add_id, got.map(|id| u32::try_from(id).ok()));
    }
}
