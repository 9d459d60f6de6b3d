// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `faults.rs`: the attribute syntax with its exact errors,
//! and the bad-range list (add, remove, split, once, the cap).

use crate::faults::{
    parse_badblocks, parse_u64, BadBlocksCmd, BadRange, BadRanges, Errno, ZoneFault, MAX_BAD_RANGES,
};
use crate::zone::Cond;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

const CAP: u64 = 1 << 20;

fn rw(start: u64, end: u64) -> BadRange {
    BadRange {
        start,
        end,
        read: true,
        write: true,
        once: false,
    }
}

fn errno(buf: &str) -> Errno {
    parse_badblocks(buf.as_bytes(), CAP).unwrap_err().errno
}

fn add(buf: &str) -> BadRange {
    match parse_badblocks(buf.as_bytes(), CAP) {
        Ok(BadBlocksCmd::Add(r)) => r,
        other => panic!("{buf:?}: {other:?}"),
    }
}

fn listed(b: &BadRanges) -> String {
    b.as_slice().iter().map(|r| format!("{r}\n")).collect()
}

// ---------------------------------------------------------------------------
// Numbers: kstrtoull(s, 0)

#[test]
fn numbers_follow_kstrtoull_base_0() {
    assert_eq!(parse_u64(b"0"), Ok(0));
    assert_eq!(parse_u64(b"1024"), Ok(1024));
    assert_eq!(parse_u64(b"1024\n"), Ok(1024));
    assert_eq!(parse_u64(b"+7"), Ok(7));
    assert_eq!(parse_u64(b"0x10"), Ok(16));
    assert_eq!(parse_u64(b"0X1f"), Ok(31));
    assert_eq!(parse_u64(b"010"), Ok(8));
    assert_eq!(parse_u64(b"18446744073709551615"), Ok(u64::MAX));
    assert_eq!(parse_u64(b"0xffffffffffffffff"), Ok(u64::MAX));
    for bad in [
        &b""[..],
        b"\n",
        b"+",
        b"-1",
        b" 1",
        b"1 ",
        b"1\n\n",
        b"08",
        b"0x",
        b"0xg",
        b"12a",
        b"1.0",
    ] {
        assert_eq!(
            parse_u64(bad).map_err(|e| e.errno),
            Err(Errno::Inval),
            "{bad:?}"
        );
    }
    assert_eq!(
        parse_u64(b"18446744073709551616").map_err(|e| e.errno),
        Err(Errno::Range)
    );
    assert_eq!(
        parse_u64(b"0x10000000000000000").map_err(|e| e.errno),
        Err(Errno::Range)
    );
}

// ---------------------------------------------------------------------------
// The badblocks syntax

#[test]
fn add_defaults_to_rw_and_takes_a_mode_and_once() {
    assert_eq!(add("+8-15"), rw(8, 15));
    assert_eq!(add("+8-15\n"), rw(8, 15));
    assert_eq!(add("  +8-15  \n"), rw(8, 15));
    assert_eq!(add("+0x10-0x1f"), rw(16, 31));
    assert_eq!(add("+5-5"), rw(5, 5));
    assert_eq!(
        add("+8-15 r"),
        BadRange {
            write: false,
            ..rw(8, 15)
        }
    );
    assert_eq!(
        add("+8-15 w once"),
        BadRange {
            read: false,
            once: true,
            ..rw(8, 15)
        }
    );
    assert_eq!(
        add("+8-15 once\tr\n"),
        BadRange {
            write: false,
            once: true,
            ..rw(8, 15)
        }
    );
    assert_eq!(
        add("+8-15 once"),
        BadRange {
            once: true,
            ..rw(8, 15)
        }
    );
    assert_eq!(add("+8-15 rw"), rw(8, 15), "explicit rw is the default");
}

#[test]
fn remove_takes_a_range_only() {
    assert_eq!(
        parse_badblocks(b"-8-15\n", CAP),
        Ok(BadBlocksCmd::Remove { start: 8, end: 15 })
    );
    assert_eq!(errno("-8-15 r"), Errno::Inval);
    assert_eq!(errno("-8-15 once"), Errno::Inval);
}

#[test]
fn malformed_writes_are_einval() {
    for bad in [
        "",
        "\n",
        "8-15",
        "*8-15",
        "+8",
        "+8-",
        "+-15",
        "+8--15",
        "+ 8-15",
        "+8 -15",
        "+8-15 x",
        "+8-15 r w",
        "+8-15 r r",
        "+8-15 once once",
        "+8-15 R",
        "+8-15,r",
        "+15-8",
        "+a-b",
        "+08-9",
    ] {
        assert_eq!(errno(bad), Errno::Inval, "{bad:?}");
    }
}

#[test]
fn ranges_beyond_the_capacity_are_einval_and_huge_numbers_erange() {
    assert_eq!(add(&format!("+0-{}", CAP - 1)), rw(0, CAP - 1));
    assert_eq!(errno(&format!("+0-{CAP}")), Errno::Inval);
    assert_eq!(errno(&format!("+{CAP}-{CAP}")), Errno::Inval);
    assert_eq!(errno(&format!("-{CAP}-{}", CAP + 5)), Errno::Inval);
    assert_eq!(errno("+0-18446744073709551616"), Errno::Range);
    assert_eq!(errno("+18446744073709551616-1"), Errno::Range);
    let e = parse_badblocks(b"+0-99", 0).unwrap_err();
    assert_eq!(e.errno, Errno::Inval);
    assert!(!e.msg.is_empty() && !e.msg.ends_with('\n'));
}

// ---------------------------------------------------------------------------
// The list

#[test]
fn list_prints_in_order_in_the_input_syntax() {
    let mut b = BadRanges::EMPTY;
    assert!(b.is_empty());
    b.apply(BadBlocksCmd::Add(add("+100-199 w once"))).unwrap();
    b.apply(BadBlocksCmd::Add(add("+8-15"))).unwrap();
    b.apply(BadBlocksCmd::Add(add("+40-47 r"))).unwrap();
    assert_eq!(listed(&b), "8-15 rw\n40-47 r\n100-199 w once\n");
    // Each line, with a `+`, adds the same range again.
    for line in listed(&b).lines() {
        let r = add(&format!("+{line}"));
        assert!(b.as_slice().contains(&r), "{line}");
    }
}

#[test]
fn adding_over_ranges_replaces_what_they_said() {
    let mut b = BadRanges::EMPTY;
    b.add(rw(10, 29)).unwrap();
    b.add(add("+15-19 r once")).unwrap();
    assert_eq!(listed(&b), "10-14 rw\n15-19 r once\n20-29 rw\n");
    b.add(rw(0, 100)).unwrap();
    assert_eq!(listed(&b), "0-100 rw\n");
}

#[test]
fn removing_cuts_and_splits_and_missing_ranges_are_fine() {
    let mut b = BadRanges::EMPTY;
    b.add(rw(10, 29)).unwrap();
    b.add(rw(40, 49)).unwrap();
    b.remove(15, 19).unwrap();
    assert_eq!(listed(&b), "10-14 rw\n20-29 rw\n40-49 rw\n");
    b.remove(25, 44).unwrap();
    assert_eq!(listed(&b), "10-14 rw\n20-24 rw\n45-49 rw\n");
    b.remove(1000, 2000).unwrap();
    assert_eq!(listed(&b), "10-14 rw\n20-24 rw\n45-49 rw\n");
    b.remove(0, u64::MAX).unwrap();
    assert!(b.is_empty());
}

#[test]
fn hits_follow_the_mode_and_the_overlap() {
    let mut b = BadRanges::EMPTY;
    b.add(add("+100-107 r")).unwrap();
    b.add(add("+200-207 w")).unwrap();
    // Reads fail only inside a read range, writes only inside a write one.
    assert_eq!(b.hit(92, 8, false), None, "ends just before");
    assert_eq!(b.hit(93, 8, false).map(|r| r.start), Some(100));
    assert_eq!(b.hit(107, 1, false).map(|r| r.start), Some(100));
    assert_eq!(b.hit(108, 100, false), None, "skips the write range");
    assert_eq!(b.hit(100, 8, true), None);
    assert_eq!(b.hit(207, 8, true).map(|r| r.start), Some(200));
    assert_eq!(b.hit(0, u64::MAX, true).map(|r| r.start), Some(200));
    assert_eq!(b.hit(u64::MAX, 8, true), None, "no overflow");
    assert_eq!(b.hit(100, 0, false).map(|r| r.start), Some(100));
    assert_eq!(b.as_slice().len(), 2, "permanent ranges stay");
}

#[test]
fn once_ranges_fail_one_request_then_heal() {
    let mut b = BadRanges::EMPTY;
    b.add(add("+100-107 once")).unwrap();
    b.add(add("+200-207 r once")).unwrap();
    assert_eq!(
        b.hit(200, 8, true),
        None,
        "a write does not use a read range"
    );
    assert!(b.hit(104, 8, true).is_some());
    assert_eq!(b.hit(104, 8, true), None, "healed");
    assert_eq!(b.hit(100, 8, false), None, "healed for reads too");
    assert_eq!(listed(&b), "200-207 r once\n");
    assert!(b.hit(200, 1, false).is_some());
    assert!(b.is_empty());
}

#[test]
fn the_list_holds_64_ranges_then_enospc_and_nothing_changes() {
    let mut b = BadRanges::EMPTY;
    for i in 0..MAX_BAD_RANGES as u64 {
        b.add(rw(i * 10, i * 10 + 4)).unwrap();
    }
    let before = listed(&b);
    let e = b.add(rw(1000, 1001)).unwrap_err();
    assert_eq!(e.errno, Errno::NoSpc);
    // A split needs room too.
    assert_eq!(b.remove(1, 2).unwrap_err().errno, Errno::NoSpc);
    assert_eq!(listed(&b), before);
    // Replacing ranges, cutting one or removing one needs none.
    b.add(rw(0, 14)).unwrap();
    assert_eq!(b.as_slice().len(), MAX_BAD_RANGES - 1);
    b.add(rw(1000, 1001)).unwrap();
    b.remove(3, 14).unwrap();
    assert_eq!(b.as_slice().len(), MAX_BAD_RANGES);
    // The list always fits a page: 64 lines of the longest kind.
    let mut full = BadRanges::EMPTY;
    for i in 0..MAX_BAD_RANGES as u64 {
        let s = u64::MAX - 1000 + i * 10;
        full.add(BadRange {
            read: false,
            once: true,
            ..rw(s, s + 1)
        })
        .unwrap();
    }
    let text = listed(&full);
    assert!(text.len() <= 4096, "{} bytes", text.len());
    let big = BadRange {
        once: true,
        ..rw(u64::MAX - 1, u64::MAX)
    };
    assert!(format!("{big}\n").len() <= 50);
}

#[test]
fn zone_fault_names() {
    for f in [ZoneFault::ReadOnly, ZoneFault::Offline] {
        assert_eq!(ZoneFault::from_name(f.name().as_bytes()), Some(f));
        assert!(f.cond().is_fault());
    }
    assert_eq!(ZoneFault::ReadOnly.cond(), Cond::ReadOnly);
    assert_eq!(ZoneFault::Offline.cond(), Cond::Offline);
    assert_eq!(ZoneFault::Offline.name(), "offline");
    assert_eq!(ZoneFault::ReadOnly.name(), "readonly");
    let others: Vec<&[u8]> = vec![b"", b"Offline", b"offline\n", b"offline\0", b"ro"];
    for v in others {
        assert_eq!(ZoneFault::from_name(v), None, "{v:?}");
    }
}
