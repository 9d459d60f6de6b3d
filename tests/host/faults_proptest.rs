// SPDX-License-Identifier: GPL-2.0

//! Property test of the bad-range list (`faults.rs`): random adds, removals
//! and I/O on a device of 64 sectors, against a model that keeps one entry
//! per sector (newest add wins). After every step the list must be sorted,
//! disjoint, within the cap, and say exactly what the model says of every
//! sector.

use crate::faults::{BadRange, BadRanges, Errno, MAX_BAD_RANGES};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

const SECTORS: u64 = 64;

/// What the model knows of a sector: `(read, write, once, id)`; `id` names
/// the add that made it bad (a once range heals as a whole).
type Sector = Option<(bool, bool, bool, u32)>;

#[derive(Clone, Copy, Debug)]
enum Op {
    Add {
        a: u64,
        b: u64,
        mode: u8,
        once: bool,
    },
    Remove {
        a: u64,
        b: u64,
    },
    Io {
        a: u64,
        nr: u64,
        write: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..SECTORS;
    prop_oneof![
        4 => (s.clone(), s.clone(), 0u8..3, any::<bool>())
            .prop_map(|(a, b, mode, once)| Op::Add { a, b, mode, once }),
        2 => (s.clone(), s.clone()).prop_map(|(a, b)| Op::Remove { a, b }),
        4 => (s, 1u64..16, any::<bool>()).prop_map(|(a, nr, write)| Op::Io { a, nr, write }),
    ]
}

fn check(b: &BadRanges, m: &[Sector]) -> Result<(), String> {
    let r = b.as_slice();
    if r.len() > MAX_BAD_RANGES {
        return Err(format!("{} ranges", r.len()));
    }
    for w in r.windows(2) {
        if w[0].end >= w[1].start {
            return Err(format!("not sorted and disjoint: {w:?}"));
        }
    }
    for (s, want) in m.iter().enumerate() {
        let s = s as u64;
        let got = r.iter().find(|x| x.start <= s && s <= x.end);
        let got = got.map(|x| (x.read, x.write, x.once));
        let want = want.map(|(rd, wr, once, _)| (rd, wr, once));
        if got != want {
            return Err(format!("sector {s}: {got:?} != model {want:?}"));
        }
    }
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut b = BadRanges::EMPTY;
    let mut m: Vec<Sector> = vec![None; SECTORS as usize];
    for (i, &op) in ops.iter().enumerate() {
        match op {
            Op::Add {
                a,
                b: c,
                mode,
                once,
            } => {
                let (start, end) = (a.min(c), a.max(c));
                let (read, write) = [(true, false), (false, true), (true, true)][mode as usize];
                let r = BadRange {
                    start,
                    end,
                    read,
                    write,
                    once,
                };
                let before = b;
                match b.add(r) {
                    Ok(()) => {
                        for s in start..=end {
                            m[s as usize] = Some((read, write, once, i as u32));
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(e.errno, Errno::NoSpc);
                        prop_assert_eq!(before.as_slice(), b.as_slice());
                    }
                }
            }
            Op::Remove { a, b: c } => {
                let (start, end) = (a.min(c), a.max(c));
                let before = b;
                match b.remove(start, end) {
                    Ok(()) => {
                        for s in start..=end {
                            m[s as usize] = None;
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(e.errno, Errno::NoSpc);
                        prop_assert_eq!(before.as_slice(), b.as_slice());
                    }
                }
            }
            Op::Io { a, nr, write } => {
                let end = (a + nr).min(SECTORS);
                // The model: the first bad sector of the kind in the request.
                let first = (a..end).find(|&s| {
                    m[s as usize].is_some_and(|(rd, wr, _, _)| if write { wr } else { rd })
                });
                let got = b.hit(a, nr, write);
                prop_assert_eq!(
                    got.is_some(),
                    first.is_some(),
                    "io {} +{} w={}",
                    a,
                    nr,
                    write
                );
                if let (Some(r), Some(s)) = (got, first) {
                    prop_assert!(r.start <= s && s <= r.end, "{:?} does not hold {}", r, s);
                    if r.once {
                        // The whole range heals.
                        for x in r.start..=r.end {
                            m[x as usize] = None;
                        }
                    }
                }
            }
        }
        check(&b, &m).map_err(|e| TestCaseError::fail(format!("after step {i} {op:?}: {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 1000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn random_bad_range_ops_match_per_sector_model(
        ops in proptest::collection::vec(op(), 1..200),
    ) {
        run(&ops)?;
    }
}
