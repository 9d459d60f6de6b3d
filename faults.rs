// SPDX-License-Identifier: GPL-2.0

//! Fault injection, the pure part: the text of the `zone_offline`,
//! `zone_readonly` and `badblocks` attributes, the list of bad sector ranges
//! and the zone-file record of a fault condition.
//!
//! Pure `core` code (no kernel types, no allocation), compiled unchanged by
//! the host crate (`tests/host`). The device glue (`device_inject.rs`) keeps a
//! [`BadRanges`] under a spinlock and asks it about every read and write
//! while it is not empty.
//!
//! The syntax follows null_blk's configfs attributes: a zone is named by any
//! sector in it (`kstrtoull` with base 0: decimal, `0x` hexadecimal, leading
//! `0` octal), and `badblocks` takes `+START-END` to add and `-START-END` to
//! remove a range of 512-byte sectors, both ends included. zloop_rs adds an
//! optional mode after the range: `r`, `w` or `rw` (the default) for the
//! operations that fail, and `once` for a range that heals after it failed
//! one request.

use crate::zone::Cond;

/// Most bad ranges a device holds: their list fits in one page (at most 50
/// bytes a line).
pub(crate) const MAX_BAD_RANGES: usize = 64;

/// The error a rejected attribute write returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Errno {
    /// `EINVAL`: malformed, or a sector beyond the device.
    Inval,
    /// `ERANGE`: a number that does not fit 64 bits (as `kstrtoull`).
    Range,
    /// `ENOSPC`: the list already holds [`MAX_BAD_RANGES`] ranges.
    NoSpc,
}

/// Why an attribute write was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FaultError {
    /// The error the write returns.
    pub(crate) errno: Errno,
    /// One short sentence for the kernel log, without a trailing newline.
    pub(crate) msg: &'static str,
}

const fn inval(msg: &'static str) -> FaultError {
    FaultError {
        errno: Errno::Inval,
        msg,
    }
}

const BAD_MODE: FaultError = inval("after the range: one of r, w, rw, and once");

const TOO_MANY: FaultError = FaultError {
    errno: Errno::NoSpc,
    msg: "too many bad block ranges",
};

/// A fault condition a zone can be put in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneFault {
    /// `zone_readonly`: reads only.
    ReadOnly,
    /// `zone_offline`: no I/O at all.
    Offline,
}

impl ZoneFault {
    /// The zone condition.
    pub(crate) const fn cond(self) -> Cond {
        match self {
            ZoneFault::ReadOnly => Cond::ReadOnly,
            ZoneFault::Offline => Cond::Offline,
        }
    }

    /// The name of the condition, also the value of the zone file's
    /// extended attribute that keeps it.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            ZoneFault::ReadOnly => "readonly",
            ZoneFault::Offline => "offline",
        }
    }

    /// The condition a zone file's attribute value names, if any.
    pub(crate) fn from_name(value: &[u8]) -> Option<ZoneFault> {
        match value {
            b"readonly" => Some(ZoneFault::ReadOnly),
            b"offline" => Some(ZoneFault::Offline),
            _ => None,
        }
    }
}

/// `kstrtoull(s, 0)`: an optional `+`, then hexadecimal after `0x` (followed
/// by a hex digit), octal after a leading `0`, else decimal; every character
/// must be a digit, except one final `\n`. ERANGE past 64 bits.
pub(crate) fn parse_u64(s: &[u8]) -> Result<u64, FaultError> {
    let bad = inval("invalid number");
    let s = s.strip_suffix(b"\n").unwrap_or(s);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let (base, digits) = if at(0) != b'0' {
        (10, s)
    } else if at(1) | 0x20 == b'x' && at(2).is_ascii_hexdigit() {
        (16, &s[2..])
    } else {
        (8, s)
    };
    if digits.is_empty() {
        return Err(bad);
    }
    let mut value = 0u64;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            _ if (b'a'..=b'f').contains(&(c | 0x20)) => (c | 0x20) - b'a' + 10,
            _ => return Err(bad),
        };
        if u32::from(d) >= base {
            return Err(bad);
        }
        value = value
            .checked_mul(u64::from(base))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or(FaultError {
                errno: Errno::Range,
                msg: "number too large",
            })?;
    }
    Ok(value)
}

/// A range of sectors whose I/O fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadRange {
    /// First sector.
    pub(crate) start: u64,
    /// Last sector (included).
    pub(crate) end: u64,
    /// Reads of the range fail.
    pub(crate) read: bool,
    /// Writes and zone appends to the range fail.
    pub(crate) write: bool,
    /// The range goes away after it failed one request.
    pub(crate) once: bool,
}

impl BadRange {
    const NONE: BadRange = BadRange {
        start: 0,
        end: 0,
        read: false,
        write: false,
        once: false,
    };

    /// Whether the range overlaps `first..=last`.
    fn overlaps(&self, first: u64, last: u64) -> bool {
        self.start <= last && first <= self.end
    }

    /// The mode as written: `r`, `w` or `rw`.
    pub(crate) const fn mode(&self) -> &'static str {
        match (self.read, self.write) {
            (true, false) => "r",
            (false, true) => "w",
            _ => "rw",
        }
    }
}

impl core::fmt::Display for BadRange {
    /// `START-END MODE[ once]`: the line the attribute lists the range with.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}-{} {}", self.start, self.end, self.mode())?;
        if self.once {
            f.write_str(" once")?;
        }
        Ok(())
    }
}

/// A write to the `badblocks` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadBlocksCmd {
    /// `+START-END [MODE] [once]`.
    Add(BadRange),
    /// `-START-END`: sectors `start..=end` are good again.
    Remove {
        /// First sector.
        start: u64,
        /// Last sector (included).
        end: u64,
    },
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Parses a write to `badblocks` on a device of `capacity` sectors. Spaces
/// around the text (the newline of `echo`) are ignored; words are separated
/// by spaces.
pub(crate) fn parse_badblocks(buf: &[u8], capacity: u64) -> Result<BadBlocksCmd, FaultError> {
    let mut words = buf.split(|&c| is_space(c)).filter(|w| !w.is_empty());
    let first = words
        .next()
        .ok_or(inval("expected +START-END or -START-END"))?;
    let (add, range) = match first.split_first() {
        Some((b'+', r)) => (true, r),
        Some((b'-', r)) => (false, r),
        _ => return Err(inval("expected +START-END or -START-END")),
    };
    let dash = range
        .iter()
        .position(|&c| c == b'-')
        .ok_or(inval("expected START-END"))?;
    let start = parse_u64(&range[..dash])?;
    let end = parse_u64(&range[dash + 1..])?;
    if start > end {
        return Err(inval("range ends before it starts"));
    }
    if end >= capacity {
        return Err(inval("range beyond the device capacity"));
    }
    if !add {
        return match words.next() {
            None => Ok(BadBlocksCmd::Remove { start, end }),
            Some(_) => Err(inval("a removal takes no mode")),
        };
    }
    let mut r = BadRange {
        start,
        end,
        read: true,
        write: true,
        once: false,
    };
    let (mut mode_seen, mut once_seen) = (false, false);
    for w in words {
        let (read, write) = match w {
            b"once" if !once_seen => {
                once_seen = true;
                r.once = true;
                continue;
            }
            b"r" => (true, false),
            b"w" => (false, true),
            b"rw" => (true, true),
            _ => return Err(BAD_MODE),
        };
        if mode_seen {
            return Err(BAD_MODE);
        }
        mode_seen = true;
        (r.read, r.write) = (read, write);
    }
    Ok(BadBlocksCmd::Add(r))
}

/// The bad ranges of a device: at most [`MAX_BAD_RANGES`], disjoint, in
/// ascending order. Adding a range replaces whatever the list said about
/// its sectors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BadRanges {
    ranges: [BadRange; MAX_BAD_RANGES],
    len: usize,
}

impl BadRanges {
    /// No bad range.
    pub(crate) const EMPTY: BadRanges = BadRanges {
        ranges: [BadRange::NONE; MAX_BAD_RANGES],
        len: 0,
    };

    /// The ranges, in ascending order.
    pub(crate) fn as_slice(&self) -> &[BadRange] {
        &self.ranges[..self.len]
    }

    /// Whether there is no bad range.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Runs a write of the attribute.
    pub(crate) fn apply(&mut self, cmd: BadBlocksCmd) -> Result<(), FaultError> {
        match cmd {
            BadBlocksCmd::Add(r) => self.add(r),
            BadBlocksCmd::Remove { start, end } => self.remove(start, end),
        }
    }

    /// Adds `r`; the sectors it covers leave the ranges they were in.
    /// ENOSPC (and nothing changes) when the list would be too long.
    pub(crate) fn add(&mut self, r: BadRange) -> Result<(), FaultError> {
        if self.len_after_remove(r.start, r.end) + 1 > MAX_BAD_RANGES {
            return Err(TOO_MANY);
        }
        self.remove(r.start, r.end)?;
        let at = self.as_slice().partition_point(|x| x.end < r.start);
        self.insert(at, r);
        Ok(())
    }

    /// Makes sectors `start..=end` good: ranges inside go, ranges that
    /// overlap are cut (one that covers both sides is split in two). ENOSPC
    /// (and nothing changes) if that split does not fit.
    pub(crate) fn remove(&mut self, start: u64, end: u64) -> Result<(), FaultError> {
        if self.len_after_remove(start, end) > MAX_BAD_RANGES {
            return Err(TOO_MANY);
        }
        let mut i = 0;
        while i < self.len {
            let r = self.ranges[i];
            if !r.overlaps(start, end) {
                i += 1;
                continue;
            }
            let left = (r.start < start).then(|| BadRange {
                end: start - 1,
                ..r
            });
            let right = (r.end > end).then(|| BadRange {
                start: end + 1,
                ..r
            });
            match (left, right) {
                (Some(a), Some(b)) => {
                    self.ranges[i] = a;
                    self.insert(i + 1, b);
                    i += 2;
                }
                (Some(x), None) | (None, Some(x)) => {
                    self.ranges[i] = x;
                    i += 1;
                }
                (None, None) => self.delete(i),
            }
        }
        Ok(())
    }

    /// The length of the list once `start..=end` was removed.
    fn len_after_remove(&self, start: u64, end: u64) -> usize {
        let mut n = self.len;
        for r in self.as_slice().iter().filter(|r| r.overlaps(start, end)) {
            match (r.start < start, r.end > end) {
                (true, true) => n += 1,
                (false, false) => n -= 1,
                _ => {}
            }
        }
        n
    }

    /// Inserts `r` at `at` (the callers made room: a full list is left as
    /// it is).
    fn insert(&mut self, at: usize, r: BadRange) {
        if self.len >= MAX_BAD_RANGES || at > self.len {
            return;
        }
        self.ranges.copy_within(at..self.len, at + 1);
        self.ranges[at] = r;
        self.len += 1;
    }

    fn delete(&mut self, at: usize) {
        self.ranges.copy_within(at + 1..self.len, at);
        self.len -= 1;
    }

    /// Whether a read (`write == false`) or write of `nr` sectors at
    /// `sector` fails: returns the first bad range of that kind it overlaps.
    /// A `once` range is removed as it fails the request.
    pub(crate) fn hit(&mut self, sector: u64, nr: u64, write: bool) -> Option<BadRange> {
        let last = sector.saturating_add(nr.max(1) - 1);
        let i = self
            .as_slice()
            .iter()
            .position(|r| r.overlaps(sector, last) && if write { r.write } else { r.read })?;
        let r = self.ranges[i];
        if r.once {
            self.delete(i);
        }
        Some(r)
    }
}
