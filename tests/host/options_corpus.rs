// SPDX-License-Identifier: GPL-2.0

//! A large seeded random corpus of control commands through the parser
//! (`options.rs`): issue 10, item 1, on the host. No cargo-fuzz (that needs a
//! nightly toolchain): a plain loop over a small PRNG, so every run checks the
//! same inputs and a failure names its seed, its input index and its category.
//!
//! The inputs mix the categories of the guest corpus
//! (`tests/tools/gen-control-corpus.py`): random bytes, truncated, oversized
//! and repeated tokens, 2^31/2^32/2^63/2^64 boundaries, negative, hex and octal
//! numbers, conflicting options, empty, NUL-embedded and whitespace-padded
//! strings, odd `base_dir` values, writes around the page size.
//!
//! Each input must satisfy:
//! - the parser returns (no panic), and the same result twice;
//! - it agrees with [`c_model`], a line-by-line transliteration of the C code
//!   (`zloop_ctl_write`, `zloop_parse_options`, the checks of
//!   `zloop_ctl_remove`, lib/parser.c `match_one`/`match_int`/`match_uint`,
//!   lib/vsprintf.c `simple_strtoull`, lib/kstrtox.c `kstrtouint`), written
//!   with NUL-terminated strings, `strsep` and the upstream pattern strings
//!   rather than the Rust structure, plus the zloop_rs addition
//!   `max_active_zones=%u` after the upstream tokens (an upstream driver
//!   rejects it as an unknown option);
//! - errors are `EINVAL` or `ENOMEM`, `ENOMEM` exactly when the write is longer
//!   than the page (checked with two page sizes);
//! - the bytes after the first NUL do not matter;
//! - an accepted command, rendered back from what was parsed, parses to the
//!   same command, and still does with a separator appended; with a space in
//!   front it is rejected;
//! - an accepted `add` satisfies the parser's guarantees, and `geometry()`
//!   returns for it without panicking.

use crate::options::{
    geometry, parse_command, AddOptions, Command, Errno, ParseError, DEFAULT_BASE_DIR,
    MAX_ZONE_SIZE_MB,
};
use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

const PAGE: usize = 4096;
const SEED: u64 = 0x2026_0010_0001_0001;
/// Inputs per run (the issue asks for at least 200,000).
const INPUTS: usize = 200_000;

// ---------------------------------------------------------------------------
// PRNG (SplitMix64: tiny, and the same sequence on every platform)

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0; the modulo bias does not matter here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    fn pick<'a, T: ?Sized>(&mut self, v: &[&'a T]) -> &'a T {
        v[self.below(v.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

// ---------------------------------------------------------------------------
// The C code, transliterated

/// What the C driver makes of a command, up to the point where `add` starts
/// creating the device.
#[derive(Debug, PartialEq, Eq)]
enum CCmd {
    Add {
        id: i32,
        capacity: u64,
        zone_size: u64,
        zone_capacity: u64,
        nr_conv_zones: u32,
        base_dir: Option<Vec<u8>>,
        nr_queues: u32,
        queue_depth: u32,
        buffered_io: bool,
        zone_append: bool,
        ordered_zone_append: bool,
        discard_write_cache: bool,
        max_open_zones: u32,
        /// zloop_rs addition.
        max_active_zones: u32,
        /// The tokens seen (`1 << token`): what zloop_rs keeps as
        /// `AddOptions::given`.
        mask: u32,
    },
    Remove {
        id: i32,
    },
}

/// `-EINVAL` or `-ENOMEM` (`-ERANGE` of the number helpers becomes `-EINVAL`
/// in `zloop_parse_options`).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum CErr {
    Inval,
    NoMem,
}

/// A NUL-terminated C string: the byte at `i`, 0 past the end.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// The C string starting at `s` (up to its NUL).
fn cstr(s: &[u8]) -> &[u8] {
    &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
}

/// lib/ctype.c `isspace` (Latin-1 table: 0xa0 is a space, 0x85 is not).
fn c_isspace(c: u8) -> bool {
    matches!(c, 9..=13 | 32 | 160)
}

fn c_isxdigit(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn c_tolower(c: u8) -> u8 {
    c | 0x20
}

/// `_parse_integer_fixup_radix`: the offset of the digits and the base.
fn c_fixup_radix(s: &[u8], mut base: u32) -> (usize, u32) {
    if base == 0 {
        if at(s, 0) == b'0' {
            if c_tolower(at(s, 1)) == b'x' && c_isxdigit(at(s, 2)) {
                base = 16;
            } else {
                base = 8;
            }
        } else {
            base = 10;
        }
    }
    if base == 16 && at(s, 0) == b'0' && c_tolower(at(s, 1)) == b'x' {
        return (2, base);
    }
    (0, base)
}

const KSTRTOX_OVERFLOW: u32 = 1 << 31;

/// `_parse_integer_limit(s, base, &res, INT_MAX)`: rv (with the overflow bit)
/// and res.
fn c_parse_integer(s: &[u8], base: u32) -> (u32, u64) {
    let mut res: u64 = 0;
    let mut overflow = 0;
    let mut rv: u32 = 0;
    loop {
        let c = at(s, rv as usize);
        let lc = c_tolower(c);
        let val = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else if (b'a'..=b'f').contains(&lc) {
            u32::from(lc - b'a' + 10)
        } else {
            break;
        };
        if val >= base {
            break;
        }
        if res & (!0u64 << 60) != 0 {
            match res
                .checked_mul(u64::from(base))
                .and_then(|r| r.checked_add(u64::from(val)))
            {
                Some(r) => res = r,
                None => {
                    res = u64::MAX;
                    overflow = KSTRTOX_OVERFLOW;
                }
            }
        } else {
            res = res * u64::from(base) + u64::from(val);
        }
        rv += 1;
    }
    (rv | overflow, res)
}

/// `simple_strtoull(s, &endp, base)`: (value, endp offset).
fn c_simple_strtoull(s: &[u8], base: u32) -> (u64, usize) {
    let (pre, base) = c_fixup_radix(s, base);
    let (rv, res) = c_parse_integer(&s[pre..], base);
    (res, pre + (rv & !KSTRTOX_OVERFLOW) as usize)
}

/// `simple_strtol(s, &endp, base)` with a 64-bit `long`.
fn c_simple_strtol(s: &[u8], base: u32) -> (i64, usize) {
    if at(s, 0) == b'-' {
        let (v, end) = c_simple_strtoull(&s[1..], base);
        return ((v as i64).wrapping_neg(), end + 1);
    }
    let (v, end) = c_simple_strtoull(s, base);
    (v as i64, end)
}

/// `kstrtouint(s, 10, &res)`.
fn c_kstrtouint10(s: &[u8]) -> Result<u32, CErr> {
    let mut s = cstr(s);
    if at(s, 0) == b'+' {
        s = &s[1..];
    }
    let (pre, base) = c_fixup_radix(s, 10);
    let s = &s[pre..];
    let (rv, res) = c_parse_integer(s, base);
    if rv & KSTRTOX_OVERFLOW != 0 {
        return Err(CErr::Inval); // -ERANGE
    }
    if rv == 0 {
        return Err(CErr::Inval);
    }
    let mut i = rv as usize;
    if at(s, i) == b'\n' {
        i += 1;
    }
    if at(s, i) != 0 {
        return Err(CErr::Inval);
    }
    u32::try_from(res).map_err(|_| CErr::Inval) // -ERANGE
}

/// `match_strlcpy(buf, s, NUMBER_BUF_LEN)`: the copy, or `-ERANGE` when it
/// does not fit.
fn c_number_buf(arg: &[u8]) -> Result<&[u8], CErr> {
    if arg.len() >= 24 {
        return Err(CErr::Inval);
    }
    Ok(arg)
}

/// `match_int`.
fn c_match_int(arg: &[u8]) -> Result<i32, CErr> {
    let buf = c_number_buf(arg)?;
    let (val, end) = c_simple_strtol(buf, 0);
    if end == 0 {
        return Err(CErr::Inval);
    }
    i32::try_from(val).map_err(|_| CErr::Inval)
}

/// `match_uint`.
fn c_match_uint(arg: &[u8]) -> Result<u32, CErr> {
    c_kstrtouint10(c_number_buf(arg)?)
}

/// `match_one(s, p, args)`: whether token `s` matches pattern `p`, with the
/// text of its argument (one at most in these patterns).
fn c_match_one<'a>(s: &'a [u8], p: &[u8]) -> Option<&'a [u8]> {
    let Some(meta) = p.iter().position(|&b| b == b'%') else {
        return (p == s).then_some(&s[s.len()..]);
    };
    if s.len() < meta || s[..meta] != p[..meta] {
        return None;
    }
    let s = &s[meta..];
    let to = match p[meta + 1] {
        b's' => {
            if s.is_empty() {
                return None;
            }
            s.len()
        }
        b'd' => c_simple_strtol(s, 0).1,
        b'u' => c_simple_strtoull(s, 0).1,
        _ => return None,
    };
    if to == 0 {
        return None;
    }
    // the rest of the pattern ("") must equal the rest of the token
    let rest = &p[meta + 2..];
    (rest == &s[to..]).then_some(&s[..to])
}

/// The upstream token table (`zloop_opt_tokens`), in order.
const C_TOKENS: [&[u8]; 13] = [
    b"id=%d",
    b"capacity_mb=%u",
    b"zone_size_mb=%u",
    b"zone_capacity_mb=%u",
    b"conv_zones=%u",
    b"base_dir=%s",
    b"nr_queues=%u",
    b"queue_depth=%u",
    b"buffered_io",
    b"zone_append=%u",
    b"ordered_zone_append",
    b"discard_write_cache",
    b"max_open_zones=%u",
];

/// The zloop_rs additions, matched after the upstream tokens (token numbers
/// from 13 on).
const RS_TOKENS: [&[u8]; 1] = [b"max_active_zones=%u"];

/// `zloop_parse_options(opts, buf)` (`buf` None for a NULL pointer): the
/// options and the mask of the tokens seen.
fn c_parse_options(buf: Option<&[u8]>) -> Result<(CCmd, u32), CErr> {
    const SZ_1M_SECTORS: u64 = 2048;
    let mut id: i32 = -1;
    let mut capacity: u64 = 256 * SZ_1M_SECTORS * 64;
    let mut zone_size: u64 = 256 * SZ_1M_SECTORS;
    let mut zone_capacity: u64 = 0;
    let mut nr_conv_zones: u32 = 8;
    let mut max_open_zones: u32 = 0;
    let mut max_active_zones: u32 = 0;
    let mut nr_queues: u32 = 1;
    let mut queue_depth: u32 = 128;
    let mut buffered_io = false;
    let mut zone_append = true;
    let mut ordered_zone_append = false;
    let mut discard_write_cache = false;
    let mut base_dir: Option<Vec<u8>> = None;
    let mut mask = 0u32;

    if let Some(buf) = buf {
        let mut b = cstr(buf);
        while !b.is_empty() && c_isspace(b[0]) {
            b = &b[1..];
        }
        // strsep(&o, ",\n") over a copy
        for p in b.split(|&c| c == b',' || c == b'\n') {
            if p.is_empty() {
                continue;
            }
            let (token, arg) = match C_TOKENS
                .iter()
                .chain(RS_TOKENS.iter())
                .enumerate()
                .find_map(|(i, pat)| c_match_one(p, pat).map(|a| (i, a)))
            {
                Some(t) => t,
                None => return Err(CErr::Inval), // ZLOOP_OPT_ERR
            };
            mask |= 1 << token;
            match token {
                0 => id = c_match_int(arg)?,
                1 => {
                    let t = c_match_uint(arg)?;
                    if t == 0 {
                        return Err(CErr::Inval);
                    }
                    capacity = u64::from(t) * SZ_1M_SECTORS;
                }
                2 => {
                    let t = c_match_uint(arg)?;
                    if t == 0 || t > 16384 || !t.is_power_of_two() {
                        return Err(CErr::Inval);
                    }
                    zone_size = u64::from(t) * SZ_1M_SECTORS;
                }
                3 => {
                    let t = c_match_uint(arg)?;
                    if t == 0 {
                        return Err(CErr::Inval);
                    }
                    zone_capacity = u64::from(t) * SZ_1M_SECTORS;
                }
                4 => nr_conv_zones = c_match_uint(arg)?,
                12 => max_open_zones = c_match_uint(arg)?,
                5 => base_dir = Some(arg.to_vec()), // match_strdup
                6 => {
                    let t = c_match_uint(arg)?;
                    if t == 0 {
                        return Err(CErr::Inval);
                    }
                    nr_queues = t; // min(token, num_online_cpus()): capped later here
                }
                7 => {
                    let t = c_match_uint(arg)?;
                    if t == 0 {
                        return Err(CErr::Inval);
                    }
                    queue_depth = t;
                }
                8 => buffered_io = true,
                9 => {
                    let t = c_match_uint(arg)?;
                    if t != 0 && t != 1 {
                        return Err(CErr::Inval);
                    }
                    zone_append = t == 1;
                }
                10 => ordered_zone_append = true,
                11 => discard_write_cache = true,
                13 => max_active_zones = c_match_uint(arg)?,
                _ => unreachable!(),
            }
        }
        if capacity <= zone_size {
            return Err(CErr::Inval);
        }
        if zone_capacity > zone_size {
            return Err(CErr::Inval);
        }
    }
    Ok((
        CCmd::Add {
            id,
            capacity,
            zone_size,
            zone_capacity,
            nr_conv_zones,
            base_dir,
            nr_queues,
            queue_depth,
            buffered_io,
            zone_append,
            ordered_zone_append,
            discard_write_cache,
            max_open_zones,
            max_active_zones,
            mask,
        },
        mask,
    ))
}

/// `zloop_ctl_write(file, buf, count)` up to `zloop_ctl_add` /
/// `zloop_ctl_remove`, and the option checks of the latter.
fn c_model(ubuf: &[u8], page_size: usize) -> Result<CCmd, CErr> {
    let count = ubuf.len();
    if count > page_size {
        return Err(CErr::NoMem);
    }
    // memdup_user_nul: a C string of the bytes up to the first NUL
    let buf = ubuf;
    let ops: [&[u8]; 2] = [b"add", b"remove"];
    let strncmp_eq = |a: &[u8], b: &[u8]| -> bool {
        // strncmp(a, b, strlen(b)) == 0 on C strings
        (0..b.len()).all(|i| at(cstr(a), i) == b[i])
    };
    let Some(op) = ops.iter().position(|name| strncmp_eq(buf, name)) else {
        return Err(CErr::Inval);
    };
    let name_len = ops[op].len();
    let opts_buf = if count <= name_len {
        None
    } else {
        Some(&buf[name_len..])
    };
    let (cmd, mask) = c_parse_options(opts_buf)?;
    if op == 0 {
        return Ok(cmd);
    }
    // zloop_ctl_remove
    if mask & 1 == 0 {
        return Err(CErr::Inval);
    }
    if mask & !1 != 0 {
        return Err(CErr::Inval);
    }
    let CCmd::Add { id, .. } = cmd else {
        unreachable!()
    };
    Ok(CCmd::Remove { id })
}

/// Whether the parser's result is what the C model says.
fn agrees(rs: &Result<Command<'_>, ParseError>, c: &Result<CCmd, CErr>) -> bool {
    match (rs, c) {
        (Err(e), Err(ce)) => {
            matches!(
                (e.errno, ce),
                (Errno::Inval, CErr::Inval) | (Errno::NoMem, CErr::NoMem)
            )
        }
        (Ok(Command::Remove { id }), Ok(CCmd::Remove { id: cid })) => id == cid,
        (
            Ok(Command::Add(o)),
            Ok(CCmd::Add {
                id,
                capacity,
                zone_size,
                zone_capacity,
                nr_conv_zones,
                base_dir,
                nr_queues,
                queue_depth,
                buffered_io,
                zone_append,
                ordered_zone_append,
                discard_write_cache,
                max_open_zones,
                max_active_zones,
                mask,
            }),
        ) => {
            o.id == u32::try_from(*id).ok()
                && u64::from(o.capacity_mb) * 2048 == *capacity
                && u64::from(o.zone_size_mb) * 2048 == *zone_size
                && u64::from(o.zone_capacity_mb) * 2048 == *zone_capacity
                && o.conv_zones == *nr_conv_zones
                && o.base_dir == base_dir.as_deref().unwrap_or(DEFAULT_BASE_DIR)
                && o.nr_queues == *nr_queues
                && o.queue_depth == *queue_depth
                && o.buffered_io == *buffered_io
                && o.zone_append == *zone_append
                && o.ordered_zone_append == *ordered_zone_append
                && o.discard_write_cache == *discard_write_cache
                && o.max_open_zones == *max_open_zones
                && o.max_active_zones == *max_active_zones
                && o.given == *mask
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Rendering a parsed command back

fn render(cmd: &Command<'_>) -> Vec<u8> {
    let o = match cmd {
        Command::Remove { id } => return format!("remove id={id}").into_bytes(),
        Command::Add(o) => o,
    };
    let mut v = Vec::from(&b"add "[..]);
    if let Some(id) = o.id {
        v.extend_from_slice(format!("id={id},").as_bytes());
    }
    v.extend_from_slice(
        format!(
            "capacity_mb={},zone_size_mb={},conv_zones={},nr_queues={},queue_depth={},zone_append={},max_open_zones={},max_active_zones={}",
            o.capacity_mb,
            o.zone_size_mb,
            o.conv_zones,
            o.nr_queues,
            o.queue_depth,
            u8::from(o.zone_append),
            o.max_open_zones,
            o.max_active_zones
        )
        .as_bytes(),
    );
    if o.zone_capacity_mb != 0 {
        v.extend_from_slice(format!(",zone_capacity_mb={}", o.zone_capacity_mb).as_bytes());
    }
    for (on, name) in [
        (o.buffered_io, "buffered_io"),
        (o.ordered_zone_append, "ordered_zone_append"),
        (o.discard_write_cache, "discard_write_cache"),
    ] {
        if on {
            v.push(b',');
            v.extend_from_slice(name.as_bytes());
        }
    }
    v.extend_from_slice(b",base_dir=");
    v.extend_from_slice(o.base_dir);
    v
}

/// `cmd` with no option marked as given: [`render`] spells out options the
/// command left at their defaults.
fn forget_given(cmd: Command<'_>) -> Command<'_> {
    match cmd {
        Command::Add(o) => Command::Add(AddOptions { given: 0, ..o }),
        c => c,
    }
}

// ---------------------------------------------------------------------------
// Inputs

const NUMERIC: [&str; 10] = [
    "id",
    "capacity_mb",
    "zone_size_mb",
    "zone_capacity_mb",
    "conv_zones",
    "nr_queues",
    "queue_depth",
    "zone_append",
    "max_open_zones",
    "max_active_zones",
];
const FLAGS: [&str; 3] = ["buffered_io", "ordered_zone_append", "discard_write_cache"];

/// Values around the integer boundaries, as text (decimal, hex, octal, signed).
fn boundary_text(r: &mut Rng) -> String {
    const V: [u128; 16] = [
        0,
        1,
        (1 << 31) - 1,
        1 << 31,
        (1 << 31) + 1,
        (1 << 32) - 1,
        1 << 32,
        (1 << 32) + 1,
        (1 << 63) - 1,
        1 << 63,
        (1 << 63) + 1,
        (1 << 64) - 1,
        1 << 64,
        (1 << 64) + 1,
        10_u128.pow(23) - 1,
        10_u128.pow(23),
    ];
    let v = V[r.below(V.len())];
    let sign = if r.one_in(3) { "-" } else { "" };
    match r.below(5) {
        0 => format!("{sign}0x{v:x}"),
        1 => format!("{sign}0X{v:X}"),
        2 => format!("{sign}0{v:o}"),
        3 => format!("{sign}{:0>w$}", v, w = r.below(24)),
        _ => format!("{sign}{v}"),
    }
}

/// Odd spellings of numbers.
fn syntax_text(r: &mut Rng) -> String {
    const S: [&str; 40] = [
        "-1",
        "-0",
        "-",
        "--1",
        "+1",
        "+",
        "0x10",
        "0X1f",
        "-0x10",
        "0x",
        "0xg",
        "0x0x1",
        "010",
        "08",
        "-08",
        "0777",
        "0128",
        "00",
        "0",
        "1e3",
        "1.0",
        " 1",
        "1 ",
        "1\t",
        "0b1",
        "1_0",
        "0o7",
        "x1",
        "1x",
        "1-",
        "%d",
        "%u",
        "\u{661}",
        "\u{ff11}",
        "0x7fffffff",
        "0x80000000",
        "-0x80000000",
        "-0x80000001",
        "017777777777",
        "020000000000",
    ];
    String::from(S[r.below(S.len())])
}

fn base_dir_text(r: &mut Rng) -> Vec<u8> {
    const B: [&[u8]; 23] = [
        b"",
        b"d",
        b"./d",
        b"d/",
        b"../zloop",
        b"/var/local/zloop",
        b"/var/local/zloop-corpus/d/../d",
        b"link",
        b"file",
        b"missing",
        b"loop",
        b"/nonexistent",
        b"..",
        b".",
        b"/",
        b" d",
        b"d ",
        b"\td",
        b"d\xa0",
        b"\xa0d",
        b"%s",
        b"d\\",
        b"d;rm",
    ];
    match r.below(6) {
        0 => vec![b'a'; 250 + r.below(12)],
        1 => {
            let mut v = Vec::from(&b"d"[..]);
            for _ in 0..r.below(200) {
                v.extend_from_slice(b"/.");
            }
            v
        }
        2 => {
            let n = 1 + r.below(40);
            r.bytes(n)
                .into_iter()
                .filter(|&b| !matches!(b, 0 | b',' | b'\n'))
                .collect()
        }
        _ => Vec::from(B[r.below(B.len())]),
    }
}

/// A value that the parser accepts for `name`, in a random spelling.
fn good_value(r: &mut Rng, name: &str, zone_size: u32) -> Vec<u8> {
    let dec = |v: u64, r: &mut Rng| -> String {
        let d = format!("{v}");
        if r.one_in(4) && d.bytes().all(|c| c <= b'7') {
            format!("{:0>w$}", d, w = d.len() + 1 + r.below(23 - d.len()))
        } else {
            d
        }
    };
    let s = match name {
        "id" => match r.below(6) {
            0 => format!("0x{:x}", r.below(1 << 31)),
            1 => format!("0{:o}", r.below(300)),
            2 => format!("-{}", r.next() % (1 << 31)),
            3 => String::from("-"),
            _ => format!("{}", r.below(20)),
        },
        "capacity_mb" => dec(
            u64::from(zone_size) * (2 + r.below(64) as u64) + r.below(zone_size as usize) as u64,
            r,
        ),
        "zone_size_mb" => dec(u64::from(zone_size), r),
        "zone_capacity_mb" => dec(1 + r.below(zone_size as usize) as u64, r),
        "conv_zones" | "max_open_zones" | "max_active_zones" => dec(r.below(4) as u64, r),
        "nr_queues" | "queue_depth" => {
            let top = if r.one_in(8) { u32::MAX as usize } else { 256 };
            let v = 1 + r.below(top) as u64;
            dec(v, r)
        }
        "zone_append" => dec(r.below(2) as u64, r),
        _ => unreachable!(),
    };
    s.into_bytes()
}

/// Tokens of an add that the parser accepts.
fn good_add(r: &mut Rng) -> Vec<(String, Option<Vec<u8>>)> {
    let zone_size = 1u32 << r.below(15);
    let mut toks: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    for name in NUMERIC {
        if r.one_in(2) || name == "capacity_mb" && zone_size >= 256 || name == "zone_size_mb" {
            let v = good_value(r, name, zone_size);
            toks.push((name.to_string(), Some(v)));
        }
    }
    if r.one_in(2) {
        toks.push(("base_dir".to_string(), Some(base_dir_text(r))));
    }
    for f in FLAGS {
        if r.one_in(4) {
            toks.push((f.to_string(), None));
        }
    }
    // shuffle
    for i in (1..toks.len()).rev() {
        let j = r.below(i + 1);
        toks.swap(i, j);
    }
    toks
}

fn join(r: &mut Rng, op: &[u8], toks: &[(String, Option<Vec<u8>>)]) -> Vec<u8> {
    const SEPS: [&[u8]; 6] = [b",", b",", b"\n", b",,", b",\n", b"\n\n,"];
    let mut v = Vec::from(op);
    if !toks.is_empty() {
        v.extend_from_slice(r.pick(&[&b" "[..], b"", b"\t", b"\xa0", b"  \n"]));
    }
    for (i, (n, val)) in toks.iter().enumerate() {
        if i > 0 {
            v.extend_from_slice(SEPS[r.below(SEPS.len())]);
        }
        v.extend_from_slice(n.as_bytes());
        if let Some(val) = val {
            v.push(b'=');
            v.extend_from_slice(val);
        }
    }
    v
}

const CATEGORIES: [&str; 15] = [
    "random_bytes",
    "random_after_op",
    "token_soup",
    "truncated",
    "oversized",
    "repeated",
    "boundary",
    "number_syntax",
    "conflicting",
    "empty",
    "nul_embedded",
    "whitespace",
    "base_dir",
    "page_size",
    "valid",
];

fn input(r: &mut Rng, cat: &str) -> Vec<u8> {
    match cat {
        "random_bytes" => {
            let top = if r.one_in(10) { 600 } else { 40 };
            let n = r.below(top);
            r.bytes(n)
        }
        "random_after_op" => {
            let mut v =
                Vec::from(r.pick(&[&b"add"[..], b"add ", b"remove", b"remove ", b"add id=0,"]));
            let n = r.below(60);
            if r.one_in(2) {
                v.extend(r.bytes(n));
            } else {
                const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz_=,\n 0123456789-x";
                v.extend((0..n).map(|_| A[r.below(A.len())]));
            }
            v
        }
        "token_soup" => {
            const P: [&[u8]; 31] = [
                b"add",
                b"remove",
                b" ",
                b",",
                b"\n",
                b"=",
                b"-",
                b"0x",
                b"0",
                b"7",
                b"9",
                b"\0",
                b"\xa0",
                b"\t",
                b"18446744073709551615",
                b"4294967296",
                b"2147483648",
                b"id=",
                b"capacity_mb=",
                b"zone_size_mb=",
                b"zone_capacity_mb=",
                b"conv_zones=",
                b"base_dir=",
                b"nr_queues=",
                b"queue_depth=",
                b"buffered_io",
                b"zone_append=",
                b"ordered_zone_append",
                b"discard_write_cache",
                b"max_open_zones=",
                b"max_active_zones=",
            ];
            let mut v = Vec::from(r.pick(&[&b"add"[..], b"remove", b""]));
            for _ in 0..r.below(24) {
                v.extend_from_slice(P[r.below(P.len())]);
            }
            v
        }
        "truncated" => {
            let t = good_add(r);
            let full = join(r, b"add", &t);
            let n = r.below(full.len() + 1);
            full[..n].to_vec()
        }
        "oversized" => {
            let mut t = good_add(r);
            let name = NUMERIC[r.below(NUMERIC.len())];
            t.retain(|(n, _)| n != name);
            let v = match r.below(4) {
                0 => {
                    let w = 20 + r.below(12); // around NUMBER_BUF_LEN
                    format!("{:0>w$}", r.below(1000)).into_bytes()
                }
                1 => vec![b'9'; 24 + r.below(600)],
                2 => {
                    let mut v = vec![b'-'];
                    v.extend(vec![b'1'; 18 + r.below(10)]);
                    v
                }
                _ => {
                    t.push((
                        String::from_utf8(vec![b'x'; 1 + r.below(600)]).unwrap(),
                        None,
                    ));
                    b"1".to_vec()
                }
            };
            t.push((name.to_string(), Some(v)));
            join(r, b"add", &t)
        }
        "repeated" => {
            let mut t = good_add(r);
            if t.is_empty() {
                t.push(("buffered_io".to_string(), None));
            }
            for _ in 0..1 + r.below(20) {
                let e = t[r.below(t.len())].clone();
                t.push(e);
            }
            let op = r.pick(&[&b"add"[..], b"remove"]);
            join(r, op, &t)
        }
        "boundary" | "number_syntax" => {
            let mut t = good_add(r);
            let name = NUMERIC[r.below(NUMERIC.len())];
            t.retain(|(n, _)| n != name);
            let v = if cat == "boundary" {
                boundary_text(r)
            } else {
                syntax_text(r)
            };
            if r.one_in(4) {
                return format!("remove id={v}").into_bytes();
            }
            let at = r.below(t.len() + 1);
            t.insert(at, (name.to_string(), Some(v.into_bytes())));
            join(r, b"add", &t)
        }
        "conflicting" => {
            let mut t = good_add(r);
            let (n, v): (&str, String) = match r.below(7) {
                0 => ("capacity_mb", format!("{}", 1 << r.below(15))),
                1 => ("zone_capacity_mb", format!("{}", (1 << r.below(15)) + 1)),
                2 => (
                    "zone_size_mb",
                    r.pick(&["3", "96", "32768", "65536", "0"]).to_string(),
                ),
                3 => ("zone_append", format!("{}", 2 + r.below(10))),
                4 => ("nr_queues", String::from("0")),
                5 => ("queue_depth", String::from("0")),
                _ => ("capacity_mb", String::from("0")),
            };
            t.push((n.to_string(), Some(v.into_bytes())));
            let op = if r.one_in(4) { &b"remove"[..] } else { b"add" };
            join(r, op, &t)
        }
        "empty" => Vec::from(r.pick(&[
            &b""[..],
            b"add",
            b"remove",
            b"add\n",
            b"remove\n",
            b"add ",
            b",,,",
            b"\n",
            b" ",
            b"\0",
            b"add=",
            b"ad",
            b"remov",
            b"remove id",
            b"remove id=",
            b"add base_dir=",
            b"add ,base_dir=\n",
            b"add =",
            b"addremove",
            b"removeadd",
        ])),
        "nul_embedded" => {
            let t = good_add(r);
            let mut v = join(r, b"add", &t);
            for _ in 0..1 + r.below(3) {
                let at = r.below(v.len() + 1);
                let n = r.below(8);
                let junk = r.bytes(n);
                v.splice(at..at, core::iter::once(0).chain(junk))
                    .for_each(drop);
            }
            v
        }
        "whitespace" => {
            const W: [&[u8]; 9] = [
                b" ", b"\t", b"\n", b"\x0b", b"\x0c", b"\r", b"\xa0", b"\x85", b" \t\n",
            ];
            let t = good_add(r);
            let mut v = join(r, b"add", &t);
            let w = W[r.below(W.len())];
            match r.below(4) {
                0 => v.splice(0..0, w.iter().copied()).for_each(drop),
                1 => v.extend_from_slice(w),
                2 => {
                    let at = r.below(v.len() + 1);
                    v.splice(at..at, w.iter().copied()).for_each(drop);
                }
                _ => v.splice(3..3, w.iter().copied()).for_each(drop),
            }
            v
        }
        "base_dir" => {
            let mut t = good_add(r);
            t.retain(|(n, _)| n != "base_dir");
            t.push(("base_dir".to_string(), Some(base_dir_text(r))));
            join(r, b"add", &t)
        }
        "page_size" => {
            let t = good_add(r);
            let op = r.pick(&[&b"add"[..], b"remove"]);
            let mut v = join(r, op, &t);
            // 4094..=4097 bytes; one in four from 4088 to 4104
            let len = if r.one_in(4) {
                PAGE - 8 + r.below(17)
            } else {
                PAGE - 2 + r.below(4)
            };
            let fill = r.pick(&[&b","[..], b"\n", b"a", b"\0", b"/", b" "]);
            v.truncate(len);
            while v.len() < len {
                v.push(fill[0]);
            }
            v
        }
        _ => {
            let t = good_add(r);
            join(r, b"add", &t)
        }
    }
}

fn show(b: &[u8]) -> String {
    let s = b.escape_ascii().to_string();
    if s.len() > 300 {
        format!("{}...({} bytes)", &s[..300], b.len())
    } else {
        s
    }
}

/// Checks one input; returns whether the parser accepted it.
fn check(i: usize, cat: &str, buf: &[u8]) -> bool {
    let ctx = || format!("seed {SEED:#x} input {i} [{cat}] '{}'", show(buf));
    let rs = parse_command(buf, PAGE);
    assert_eq!(rs, parse_command(buf, PAGE), "not deterministic: {}", ctx());
    let c = c_model(buf, PAGE);
    assert!(
        agrees(&rs, &c),
        "{}: parser {:?}, C model {:?}",
        ctx(),
        rs,
        c
    );

    // the page limit alone decides ENOMEM
    if !buf.is_empty() {
        let small = parse_command(buf, buf.len() - 1);
        assert!(
            matches!(
                small,
                Err(ParseError {
                    errno: Errno::NoMem,
                    ..
                })
            ),
            "{}",
            ctx()
        );
    }
    match &rs {
        Err(e) if buf.len() > PAGE => {
            assert_eq!(e.errno, Errno::NoMem, "{}", ctx());
            // with a bigger page, the C model decides again
            let big = parse_command(buf, buf.len());
            assert!(
                agrees(&big, &c_model(buf, buf.len())),
                "{}: page {}",
                ctx(),
                buf.len()
            );
            return false;
        }
        Err(e) => {
            assert_eq!(e.errno, Errno::Inval, "{}", ctx());
            assert!(!e.msg.is_empty() && !e.msg.ends_with('\n'), "{}", ctx());
        }
        Ok(_) => {}
    }
    if i.is_multiple_of(8) {
        assert_eq!(parse_command(buf, usize::MAX), rs, "{}: page size", ctx());
    }
    // nothing after the first NUL matters
    if let Some(nul) = buf.iter().position(|&b| b == 0) {
        assert_eq!(
            parse_command(&buf[..nul], PAGE),
            rs,
            "{}: bytes after NUL",
            ctx()
        );
    }
    let Ok(cmd) = rs else { return false };

    if let Command::Add(o) = &cmd {
        assert!(o.capacity_mb > o.zone_size_mb, "{}", ctx());
        assert!(
            o.zone_size_mb.is_power_of_two() && o.zone_size_mb <= MAX_ZONE_SIZE_MB,
            "{}",
            ctx()
        );
        assert!(o.zone_capacity_mb <= o.zone_size_mb, "{}", ctx());
        assert!(o.nr_queues > 0 && o.queue_depth > 0, "{}", ctx());
        assert!(o.id.is_none_or(|id| id <= i32::MAX as u32), "{}", ctx());
        assert!(!o.base_dir.is_empty(), "{}", ctx());
        assert!(
            !o.base_dir.iter().any(|b| matches!(b, 0 | b',' | b'\n')),
            "{}",
            ctx()
        );
        if let Ok(g) = geometry(o) {
            assert!(g.nr_conv_zones < g.nr_zones, "{}", ctx());
            assert_eq!(
                u64::from(g.nr_zones),
                u64::from(o.capacity_mb) / u64::from(o.zone_size_mb),
                "{}",
                ctx()
            );
        }
    }
    // rendered back, it parses to the same command
    let again = render(&cmd);
    let back = parse_command(&again, usize::MAX);
    assert_eq!(
        back.map(forget_given),
        Ok(forget_given(cmd)),
        "{}: rendered back as '{}'",
        ctx(),
        show(&again)
    );
    // a trailing separator changes nothing; a leading space breaks the
    // operation (one input in four: they cost as much as the rest)
    if buf.len() < PAGE && i.is_multiple_of(4) {
        for sep in [b',', b'\n'] {
            let mut v = buf.to_vec();
            if !v.contains(&0) && v.len() > 3 {
                v.push(sep);
                assert_eq!(
                    parse_command(&v, PAGE),
                    Ok(cmd),
                    "{}: with {:?} appended",
                    ctx(),
                    sep as char
                );
            }
        }
        let mut v = vec![b' '];
        v.extend_from_slice(buf);
        assert!(
            matches!(
                parse_command(&v, PAGE),
                Err(ParseError {
                    errno: Errno::Inval,
                    ..
                })
            ),
            "{}",
            ctx()
        );
    }
    true
}

#[test]
fn seeded_random_corpus_matches_the_c_model_and_keeps_its_properties() {
    let mut r = Rng(SEED);
    let mut tried = [0usize; CATEGORIES.len()];
    let mut accepted = [0usize; CATEGORIES.len()];
    let mut lens = [0usize; 3]; // PAGE, PAGE + 1, longer
                                // a round of categories: the costly ones (page-sized writes, long
                                // repeated commands) less often
    let round: Vec<usize> = (0..CATEGORIES.len())
        .flat_map(|k| {
            let w = match CATEGORIES[k] {
                "page_size" | "repeated" => 1,
                "base_dir" | "oversized" => 2,
                _ => 3,
            };
            core::iter::repeat_n(k, w)
        })
        .collect();
    for i in 0..INPUTS {
        let k = round[i % round.len()];
        let cat = CATEGORIES[k];
        let buf = input(&mut r, cat);
        match buf.len() {
            PAGE => lens[0] += 1,
            n if n == PAGE + 1 => lens[1] += 1,
            n if n > PAGE + 1 => lens[2] += 1,
            _ => {}
        }
        tried[k] += 1;
        accepted[k] += usize::from(check(i, cat, &buf));
    }
    // every category ran, and the generators reach both outcomes where they should
    for (k, cat) in CATEGORIES.iter().enumerate() {
        assert!(tried[k] > 4_000, "{cat}: {} inputs", tried[k]);
        if !matches!(*cat, "random_bytes" | "empty") {
            assert!(accepted[k] > 0, "{cat}: no input accepted in {}", tried[k]);
        }
        if *cat != "valid" {
            assert!(accepted[k] < tried[k], "{cat}: every input accepted");
        }
    }
    assert!(
        accepted[14] * 10 > tried[14] * 9,
        "valid: only {} of {} accepted",
        accepted[14],
        tried[14]
    );
    assert!(
        lens[0] > 100 && lens[1] > 100 && lens[2] > 100,
        "page-size writes: {lens:?}"
    );
}

/// The C model itself, on the cases the C code is known to give (so a broken
/// model cannot make the corpus test vacuous).
#[test]
fn c_model_knows_the_upstream_answers() {
    let ok = |s: &[u8]| c_model(s, PAGE).unwrap_or_else(|e| panic!("{}: {:?}", show(s), e));
    let err = |s: &[u8]| {
        c_model(s, PAGE)
            .err()
            .unwrap_or_else(|| panic!("{} accepted", show(s)))
    };
    assert!(matches!(
        ok(b"add"),
        CCmd::Add {
            id: -1,
            capacity: 33554432,
            ..
        }
    ));
    assert!(matches!(
        ok(b"add id=0x10,capacity_mb=0512,zone_size_mb=064"),
        CCmd::Add {
            id: 16,
            capacity: 1048576,
            zone_size: 131072,
            ..
        }
    ));
    assert!(matches!(ok(b"add id=-"), CCmd::Add { id: 0, .. }));
    assert!(matches!(
        ok(b"add id=18446744073709551615"),
        CCmd::Add { id: -1, .. }
    ));
    assert!(matches!(
        ok(b"add id=99999999999999999999"),
        CCmd::Add { id: -1, .. }
    ));
    assert!(matches!(ok(b"add\0junk"), CCmd::Add { id: -1, .. }));
    assert!(matches!(ok(b"addid=3"), CCmd::Add { id: 3, .. }));
    assert!(matches!(ok(b"add \xa0\tid=3\n"), CCmd::Add { id: 3, .. }));
    assert_eq!(ok(b"remove id=-1"), CCmd::Remove { id: -1 });
    assert_eq!(ok(b"remove id=0x7fffffff"), CCmd::Remove { id: i32::MAX });
    for bad in [
        &b""[..],
        b" add",
        b"ad",
        b"remove",
        b"remove id",
        b"remove id=0,buffered_io",
        b"add id=2147483648",
        b"add capacity_mb=0x400",
        b"add capacity_mb=08",
        b"add capacity_mb=-1",
        b"add capacity_mb=4294967296",
        b"add capacity_mb=000000000000000000000512",
        b"add zone_size_mb=96",
        b"add zone_append=2",
        b"add buffered_io=1",
        b"add base_dir=",
        b"add id=0, capacity_mb=512",
        b"add capacity_mb=64,zone_size_mb=64",
        b"add zone_size_mb=64,zone_capacity_mb=65,capacity_mb=256",
        b"add id=08",
        b"add id=0x",
    ] {
        assert_eq!(err(bad), CErr::Inval, "{}", show(bad));
    }
    assert_eq!(err(&[b'a'; PAGE + 1]), CErr::NoMem);
    // the zloop_rs addition, read like the upstream %u options
    assert!(matches!(
        ok(b"add max_active_zones=012,max_open_zones=3"),
        CCmd::Add {
            max_active_zones: 12,
            max_open_zones: 3,
            ..
        }
    ));
    for bad in [
        &b"add max_active_zones=0x4"[..],
        b"add max_active_zones",
        b"remove id=0,max_active_zones=1",
    ] {
        assert_eq!(err(bad), CErr::Inval, "{}", show(bad));
    }
    assert!(matches!(
        ok(b"add capacity_mb=00000000000000000000512"),
        CCmd::Add {
            capacity: 1048576,
            ..
        }
    ));
}
