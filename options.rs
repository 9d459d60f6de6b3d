// SPDX-License-Identifier: GPL-2.0

//! The `/dev/zloop-control` text protocol: the option table, the text a read
//! of the control file returns, and the parser of the commands written to it.
//!
//! Pure `core` code: no kernel types, so the host crate (`tests/host`) compiles
//! and tests this file as is.
//!
//! The parser reproduces, byte for byte, what `zloop_ctl_write()` and
//! `zloop_parse_options()` of the C driver (`drivers/block/zloop.c`, Linux 7.2)
//! accept and reject, including the number syntax of `lib/parser.c`
//! (`match_token()`, `match_int()`, `match_uint()`). It borrows from the
//! written bytes and never allocates.
//!
//! zloop_rs adds options of its own after the upstream ones
//! ([`FIRST_ADDITION`] on): commands without them are read exactly as
//! upstream reads them, and the control file lists them after the upstream
//! text, so that a script can tell them apart.
//!
//! Linux's C `long` is as wide as a pointer on every architecture, so `usize` and
//! `isize` stand for `unsigned long` and `long` below.

/// How an option's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// `name=%d`: an optional `-`, then hex after `0x`, octal after `0`, else
    /// decimal; it must fit an `int` (lib/parser.c `match_int`).
    Int,
    /// `name=%u`: decimal digits only. The pattern scan is base 0 but the value
    /// is read in base 10, so `010` is 10 while `08` and `0x10` are rejected
    /// (lib/parser.c `match_uint`).
    Uint,
    /// `name=%s`: a non-empty string.
    Str,
    /// `name`: a flag without a value.
    Flag,
}

/// Names an option; the value is the option's index in [`OPTIONS`], which is
/// also the bit number of its `ZLOOP_OPT_*` mask bit upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OptionKey {
    /// `id=%d`.
    Id = 0,
    /// `capacity_mb=%u`.
    CapacityMb = 1,
    /// `zone_size_mb=%u`.
    ZoneSizeMb = 2,
    /// `zone_capacity_mb=%u`.
    ZoneCapacityMb = 3,
    /// `conv_zones=%u`.
    ConvZones = 4,
    /// `base_dir=%s`.
    BaseDir = 5,
    /// `nr_queues=%u`.
    NrQueues = 6,
    /// `queue_depth=%u`.
    QueueDepth = 7,
    /// `buffered_io`.
    BufferedIo = 8,
    /// `zone_append=%u`.
    ZoneAppend = 9,
    /// `ordered_zone_append`.
    OrderedZoneAppend = 10,
    /// `discard_write_cache`.
    DiscardWriteCache = 11,
    /// `max_open_zones=%u`.
    MaxOpenZones = 12,
    /// `max_active_zones=%u` (zloop_rs addition).
    MaxActiveZones = 13,
}

impl OptionKey {
    /// The option's bit in the mask of options seen (upstream `ZLOOP_OPT_*`)
    /// and in [`AddOptions::given`].
    pub(crate) const fn mask(self) -> u32 {
        1 << self as u32
    }

    /// The option's name, as written before `=`.
    pub(crate) const fn name(self) -> &'static str {
        OPTIONS[self as usize].name
    }
}

/// One entry of the option table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OptionSpec {
    /// Which option this is.
    pub(crate) key: OptionKey,
    /// The option name, as written before `=`.
    pub(crate) name: &'static str,
    /// Its value syntax.
    pub(crate) kind: ValueKind,
}

/// Builds one [`OPTIONS`] entry.
const fn opt(key: OptionKey, name: &'static str, kind: ValueKind) -> OptionSpec {
    OptionSpec { key, name, kind }
}

/// Every `add` option, in the order of the upstream token table (the order the
/// control file lists them in), then the zloop_rs additions.
pub(crate) const OPTIONS: [OptionSpec; 14] = {
    use OptionKey as K;
    use ValueKind as V;
    [
        opt(K::Id, "id", V::Int),
        opt(K::CapacityMb, "capacity_mb", V::Uint),
        opt(K::ZoneSizeMb, "zone_size_mb", V::Uint),
        opt(K::ZoneCapacityMb, "zone_capacity_mb", V::Uint),
        opt(K::ConvZones, "conv_zones", V::Uint),
        opt(K::BaseDir, "base_dir", V::Str),
        opt(K::NrQueues, "nr_queues", V::Uint),
        opt(K::QueueDepth, "queue_depth", V::Uint),
        opt(K::BufferedIo, "buffered_io", V::Flag),
        opt(K::ZoneAppend, "zone_append", V::Uint),
        opt(K::OrderedZoneAppend, "ordered_zone_append", V::Flag),
        opt(K::DiscardWriteCache, "discard_write_cache", V::Flag),
        opt(K::MaxOpenZones, "max_open_zones", V::Uint),
        opt(K::MaxActiveZones, "max_active_zones", V::Uint),
    ]
};

/// Index in [`OPTIONS`] of the first zloop_rs addition: the entries before it
/// are the upstream token table.
pub(crate) const FIRST_ADDITION: usize = OptionKey::MaxActiveZones as usize;

// The additions follow the last upstream option (`max_open_zones`).
const _: () = assert!(matches!(
    OPTIONS[FIRST_ADDITION - 1].key,
    OptionKey::MaxOpenZones
));

/// What a read of `/dev/zloop-control` returns: `OPTIONS` joined with `,`
/// after `add `, then `remove`. Up to `max_open_zones=%u` this is byte for
/// byte the text of the upstream C driver; the zloop_rs additions follow at
/// the end of the `add` line (`grep max_active_zones /dev/zloop-control`
/// tells zloop_rs with them from the C zloop).
pub(crate) const CONTROL_TEXT: &str = "add id=%d,capacity_mb=%u,zone_size_mb=%u,\
zone_capacity_mb=%u,conv_zones=%u,base_dir=%s,nr_queues=%u,queue_depth=%u,\
buffered_io,zone_append=%u,ordered_zone_append,discard_write_cache,\
max_open_zones=%u,max_active_zones=%u\nremove id=%d\n";

// Every entry of `OPTIONS` sits at the index its key names.
const _: () = {
    let mut i = 0;
    while i < OPTIONS.len() {
        assert!(OPTIONS[i].key as usize == i);
        i += 1;
    }
};

/// 512-byte sectors per MiB (`SZ_1M >> SECTOR_SHIFT`).
pub(crate) const SECTORS_PER_MB: u64 = 2048;

/// Zone size, in MiB, when `zone_size_mb` is not given (`ZLOOP_DEF_ZONE_SIZE`).
pub(crate) const DEFAULT_ZONE_SIZE_MB: u32 = 256;

/// Number of zones the default capacity holds (`ZLOOP_DEF_NR_ZONES`).
pub(crate) const DEFAULT_NR_ZONES: u32 = 64;

/// Capacity, in MiB, when `capacity_mb` is not given: 64 zones of the *default*
/// zone size, whatever `zone_size_mb` says.
pub(crate) const DEFAULT_CAPACITY_MB: u32 = DEFAULT_NR_ZONES * DEFAULT_ZONE_SIZE_MB;

/// Conventional zones when `conv_zones` is not given (`ZLOOP_DEF_NR_CONV_ZONES`).
pub(crate) const DEFAULT_CONV_ZONES: u32 = 8;

/// Backing directory when `base_dir` is not given (`ZLOOP_DEF_BASE_DIR`).
pub(crate) const DEFAULT_BASE_DIR: &[u8] = b"/var/local/zloop";

/// Hardware queues when `nr_queues` is not given (`ZLOOP_DEF_NR_QUEUES`).
pub(crate) const DEFAULT_NR_QUEUES: u32 = 1;

/// Queue depth when `queue_depth` is not given (`ZLOOP_DEF_QUEUE_DEPTH`).
pub(crate) const DEFAULT_QUEUE_DEPTH: u32 = 128;

/// Largest zone size, in MiB (`ZLOOP_MAX_ZONE_SIZE_MB`).
pub(crate) const MAX_ZONE_SIZE_MB: u32 = 16384;

/// `NUMBER_BUF_LEN` of lib/parser.c: a number of this many characters or more
/// is rejected (`-ERANGE`) before it is even converted.
const NUMBER_BUF_LEN: usize = 24;

/// The errno class of a rejected command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Errno {
    /// `EINVAL`: the command is malformed or its values are out of range.
    Inval,
    /// `ENOMEM`: the write is longer than a page.
    NoMem,
}

/// Why a command was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// The error the write returns.
    pub(crate) errno: Errno,
    /// One short sentence for the kernel log, without a trailing newline.
    pub(crate) msg: &'static str,
}

/// An `EINVAL` [`ParseError`] with the message `msg`.
const fn inval(msg: &'static str) -> ParseError {
    ParseError {
        errno: Errno::Inval,
        msg,
    }
}

/// The options of an `add` command, after the checks `zloop_parse_options()`
/// makes. Sizes are in MiB, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AddOptions<'a> {
    /// The requested device id; `None` asks for the lowest free one (no `id`
    /// option, or a negative one).
    pub(crate) id: Option<u32>,
    /// Device capacity in MiB; the device holds the whole zones that fit in it.
    pub(crate) capacity_mb: u32,
    /// Zone size in MiB: a power of two, at most [`MAX_ZONE_SIZE_MB`].
    pub(crate) zone_size_mb: u32,
    /// Zone capacity in MiB, at most the zone size; 0 means the zone size.
    pub(crate) zone_capacity_mb: u32,
    /// Number of conventional zones (the first ones).
    pub(crate) conv_zones: u32,
    /// Directory holding the `<id>` directory of the zone files. Any bytes but
    /// NUL, `,` and `\n`; never empty.
    pub(crate) base_dir: &'a [u8],
    /// Hardware queues, at least 1. Not capped here: the kernel side caps it to
    /// the number of online CPUs.
    pub(crate) nr_queues: u32,
    /// Depth of each hardware queue, at least 1.
    pub(crate) queue_depth: u32,
    /// Use the page cache for the zone files (no `O_DIRECT`).
    pub(crate) buffered_io: bool,
    /// Native zone append (`zone_append=1`, the default); otherwise the block
    /// layer emulates it.
    pub(crate) zone_append: bool,
    /// Assign zone append sectors at queue time. As written: only honoured
    /// with `zone_append`, see [`AddOptions::ordered_zone_append_effective`].
    pub(crate) ordered_zone_append: bool,
    /// Keep flushed write pointers in an xattr and drop unflushed data on remove.
    pub(crate) discard_write_cache: bool,
    /// Limit on open sequential zones; 0 means no limit.
    pub(crate) max_open_zones: u32,
    /// Limit on active (open or closed) sequential zones; 0 means no limit.
    /// A zloop_rs addition.
    pub(crate) max_active_zones: u32,
    /// The [`OptionKey::mask`] bits of the options the command gave; the
    /// others have their default value.
    pub(crate) given: u32,
}

impl AddOptions<'static> {
    /// The options of a bare `add`.
    pub(crate) const DEFAULT: AddOptions<'static> = AddOptions {
        id: None,
        capacity_mb: DEFAULT_CAPACITY_MB,
        zone_size_mb: DEFAULT_ZONE_SIZE_MB,
        zone_capacity_mb: 0,
        conv_zones: DEFAULT_CONV_ZONES,
        base_dir: DEFAULT_BASE_DIR,
        nr_queues: DEFAULT_NR_QUEUES,
        queue_depth: DEFAULT_QUEUE_DEPTH,
        buffered_io: false,
        zone_append: true,
        ordered_zone_append: false,
        discard_write_cache: false,
        max_open_zones: 0,
        max_active_zones: 0,
        given: 0,
    };
}

impl Default for AddOptions<'_> {
    fn default() -> Self {
        AddOptions::DEFAULT
    }
}

impl AddOptions<'_> {
    /// Whether the device orders zone appends: upstream ignores
    /// `ordered_zone_append` when `zone_append` is off.
    pub(crate) const fn ordered_zone_append_effective(&self) -> bool {
        self.zone_append && self.ordered_zone_append
    }

    /// Whether the command gave option `key` (even with its default value).
    pub(crate) const fn is_given(&self, key: OptionKey) -> bool {
        self.given & key.mask() != 0
    }

    /// The value of option `key` as a number: a flag (and `zone_append`) is
    /// 0 or 1. `None` for `id` and `base_dir`.
    pub(crate) fn value(&self, key: OptionKey) -> Option<u32> {
        use OptionKey as K;
        Some(match key {
            K::Id | K::BaseDir => return None,
            K::CapacityMb => self.capacity_mb,
            K::ZoneSizeMb => self.zone_size_mb,
            K::ZoneCapacityMb => self.zone_capacity_mb,
            K::ConvZones => self.conv_zones,
            K::NrQueues => self.nr_queues,
            K::QueueDepth => self.queue_depth,
            K::BufferedIo => u32::from(self.buffered_io),
            K::ZoneAppend => u32::from(self.zone_append),
            K::OrderedZoneAppend => u32::from(self.ordered_zone_append),
            K::DiscardWriteCache => u32::from(self.discard_write_cache),
            K::MaxOpenZones => self.max_open_zones,
            K::MaxActiveZones => self.max_active_zones,
        })
    }

    /// Sets option `key` to `v`, a number as [`AddOptions::value`] gives
    /// it (a flag is on unless `v` is 0); does nothing for `id` and
    /// `base_dir`. No check: [`geometry`] makes them.
    pub(crate) fn set_value(&mut self, key: OptionKey, v: u32) {
        use OptionKey as K;
        match key {
            K::Id | K::BaseDir => {}
            K::CapacityMb => self.capacity_mb = v,
            K::ZoneSizeMb => self.zone_size_mb = v,
            K::ZoneCapacityMb => self.zone_capacity_mb = v,
            K::ConvZones => self.conv_zones = v,
            K::NrQueues => self.nr_queues = v,
            K::QueueDepth => self.queue_depth = v,
            K::BufferedIo => self.buffered_io = v != 0,
            K::ZoneAppend => self.zone_append = v != 0,
            K::OrderedZoneAppend => self.ordered_zone_append = v != 0,
            K::DiscardWriteCache => self.discard_write_cache = v != 0,
            K::MaxOpenZones => self.max_open_zones = v,
            K::MaxActiveZones => self.max_active_zones = v,
        }
    }
}

/// A parsed control command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command<'a> {
    /// `add [options]`: create a device.
    Add(AddOptions<'a>),
    /// `remove id=N`: delete device `id`. Negative ids are kept; no device has
    /// them, so the lookup fails with `ENODEV` as upstream.
    Remove {
        /// The id given.
        id: i32,
    },
}

/// Parses the bytes of one `write(2)` to `/dev/zloop-control`.
///
/// `page_size` is `PAGE_SIZE`: longer writes fail with [`Errno::NoMem`]. The
/// command ends at the first NUL byte. The operation is `add` or `remove` as a
/// prefix of the buffer; the options follow it directly, after optional
/// whitespace. Every other error is [`Errno::Inval`].
pub(crate) fn parse_command(buf: &[u8], page_size: usize) -> Result<Command<'_>, ParseError> {
    if buf.len() > page_size {
        return Err(ParseError {
            errno: Errno::NoMem,
            msg: "command longer than a page",
        });
    }
    // The C driver copies the write into a NUL-terminated string.
    let text = match buf.iter().position(|&b| b == 0) {
        Some(nul) => &buf[..nul],
        None => buf,
    };

    let (is_add, name) = if text.starts_with(b"add") {
        (true, b"add".as_slice())
    } else if text.starts_with(b"remove") {
        (false, b"remove".as_slice())
    } else {
        return Err(inval("invalid operation"));
    };

    // Upstream passes no option string at all when the write is no longer than
    // the operation name; that gives the defaults, as an empty string does.
    let parsed = if buf.len() <= name.len() {
        Parsed::DEFAULT
    } else {
        parse_options(&text[name.len()..])?
    };

    if is_add {
        return Ok(Command::Add(parsed.into_add()));
    }
    if parsed.mask & OptionKey::Id.mask() == 0 {
        return Err(inval("no id specified for remove"));
    }
    if parsed.mask & !OptionKey::Id.mask() != 0 {
        return Err(inval("invalid option specified for remove"));
    }
    Ok(Command::Remove { id: parsed.id })
}

/// The outcome of `zloop_parse_options()`.
struct Parsed<'a> {
    /// The [`OptionKey::mask`] bits of the options seen.
    mask: u32,
    /// The `id` value as parsed; negative means automatic.
    id: i32,
    /// Every other value (`opts.id` is unused).
    opts: AddOptions<'a>,
}

impl Parsed<'static> {
    /// Nothing given.
    const DEFAULT: Parsed<'static> = Parsed {
        mask: 0,
        id: -1,
        opts: AddOptions::DEFAULT,
    };
}

impl<'a> Parsed<'a> {
    /// The `add` options.
    fn into_add(self) -> AddOptions<'a> {
        AddOptions {
            id: u32::try_from(self.id).ok(),
            given: self.mask,
            ..self.opts
        }
    }
}

/// Kernel `isspace()` (lib/ctype.c): `\t`, `\n`, `\v`, `\f`, `\r`, space and
/// the Latin-1 no-break space 0xa0.
const fn is_kernel_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0xa0)
}

/// Parses the option list that follows the operation name.
fn parse_options(text: &[u8]) -> Result<Parsed<'_>, ParseError> {
    let start = text
        .iter()
        .position(|&b| !is_kernel_space(b))
        .unwrap_or(text.len());
    let mut p = Parsed::DEFAULT;

    for token in text[start..].split(|&b| b == b',' || b == b'\n') {
        if token.is_empty() {
            continue;
        }
        let Some((key, value)) = match_token(token) else {
            return Err(inval("unknown parameter or missing value"));
        };
        p.mask |= key.mask();
        let o = &mut p.opts;
        match key {
            OptionKey::Id => p.id = match_int(value)?,
            OptionKey::CapacityMb => {
                o.capacity_mb = match_uint(value)?;
                if o.capacity_mb == 0 {
                    return Err(inval("invalid capacity"));
                }
            }
            OptionKey::ZoneSizeMb => {
                o.zone_size_mb = match_uint(value)?;
                if !zone_size_valid(o.zone_size_mb) {
                    return Err(inval("invalid zone size"));
                }
            }
            OptionKey::ZoneCapacityMb => {
                o.zone_capacity_mb = match_uint(value)?;
                if o.zone_capacity_mb == 0 {
                    return Err(inval("invalid zone capacity"));
                }
            }
            OptionKey::ConvZones => o.conv_zones = match_uint(value)?,
            OptionKey::MaxOpenZones => o.max_open_zones = match_uint(value)?,
            OptionKey::MaxActiveZones => o.max_active_zones = match_uint(value)?,
            OptionKey::BaseDir => o.base_dir = value,
            OptionKey::NrQueues => {
                o.nr_queues = match_uint(value)?;
                if o.nr_queues == 0 {
                    return Err(inval("invalid number of queues"));
                }
            }
            OptionKey::QueueDepth => {
                o.queue_depth = match_uint(value)?;
                if o.queue_depth == 0 {
                    return Err(inval("invalid queue depth"));
                }
            }
            OptionKey::BufferedIo => o.buffered_io = true,
            OptionKey::ZoneAppend => {
                o.zone_append = match match_uint(value)? {
                    0 => false,
                    1 => true,
                    _ => return Err(inval("invalid zone_append value")),
                }
            }
            OptionKey::OrderedZoneAppend => o.ordered_zone_append = true,
            OptionKey::DiscardWriteCache => o.discard_write_cache = true,
        }
    }

    check_sizes(&p.opts)?;
    Ok(p)
}

/// Whether `mb` is a valid zone size: a power of two of at most
/// [`MAX_ZONE_SIZE_MB`].
const fn zone_size_valid(mb: u32) -> bool {
    mb.is_power_of_two() && mb <= MAX_ZONE_SIZE_MB
}

/// The checks upstream makes once all options are parsed.
fn check_sizes(o: &AddOptions<'_>) -> Result<(), ParseError> {
    if o.capacity_mb <= o.zone_size_mb {
        return Err(inval("invalid capacity"));
    }
    if o.zone_capacity_mb > o.zone_size_mb {
        return Err(inval("invalid zone capacity"));
    }
    Ok(())
}

/// `match_token()` over [`OPTIONS`]: the first entry whose pattern `token`
/// matches, with the text of its value (empty for a flag).
fn match_token(token: &[u8]) -> Option<(OptionKey, &[u8])> {
    OPTIONS
        .iter()
        .find_map(|spec| match_one(token, spec).map(|value| (spec.key, value)))
}

/// `match_one()`: whether `token` is `name` (a flag) or `name=<value>` with a
/// value of the entry's kind that spans the rest of the token. For numbers, this
/// is the base-0 scan of `simple_strto{u,}l`, whatever the later conversion.
fn match_one<'a>(token: &'a [u8], spec: &OptionSpec) -> Option<&'a [u8]> {
    let name = spec.name.as_bytes();
    if spec.kind == ValueKind::Flag {
        return (token == name).then_some(&token[token.len()..]);
    }
    let value = token.strip_prefix(name)?.strip_prefix(b"=")?;
    let scanned = match spec.kind {
        ValueKind::Int => simple_strtol(value).0,
        ValueKind::Uint => simple_strtoul(value).0,
        ValueKind::Str | ValueKind::Flag => value.len(),
    };
    (scanned != 0 && scanned == value.len()).then_some(value)
}

/// `match_uint()`: at most 23 characters, then `kstrtouint(s, 10)`.
fn match_uint(value: &[u8]) -> Result<u32, ParseError> {
    if value.len() >= NUMBER_BUF_LEN {
        return Err(inval("number too long"));
    }
    kstrtouint_base10(value).ok_or(inval("invalid or out of range number"))
}

/// `match_int()`: at most 23 characters, then `simple_strtol(s, 0)`, which must
/// fit an `int`.
fn match_int(value: &[u8]) -> Result<i32, ParseError> {
    if value.len() >= NUMBER_BUF_LEN {
        return Err(inval("number too long"));
    }
    let (end, v) = simple_strtol(value);
    if end == 0 {
        return Err(inval("invalid number"));
    }
    i32::try_from(v).map_err(|_| inval("number out of range"))
}

/// `kstrtouint(s, 10)` on a whole string: an optional `+`, decimal digits, an
/// optional `\n`, and a value that fits 32 bits.
fn kstrtouint_base10(s: &[u8]) -> Option<u32> {
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let (n, v, overflow) = parse_digits(s, 10);
    if overflow || n == 0 {
        return None;
    }
    let rest = &s[n..];
    if !rest.is_empty() && rest != b"\n" {
        return None;
    }
    u32::try_from(v).ok()
}

/// `simple_strtol(s, &end, 0)`: a `-` negates (with wrap-around) whatever
/// `simple_strtoul` reads after it; no `+`. Returns the characters consumed,
/// which count the `-` even when no digit follows it, and the value.
fn simple_strtol(s: &[u8]) -> (usize, isize) {
    match s.split_first() {
        Some((b'-', rest)) => {
            let (end, v) = simple_strtoul(rest);
            (end + 1, v.wrapping_neg() as isize)
        }
        _ => {
            let (end, v) = simple_strtoul(s);
            (end, v as isize)
        }
    }
}

/// `simple_strtoul(s, &end, 0)`: `0x` + a hex digit means hex, a leading `0`
/// octal, else decimal; no sign. Overflow saturates (at `u64::MAX`, then
/// truncated to `unsigned long`). Returns the characters consumed (0 if none)
/// and the value.
fn simple_strtoul(s: &[u8]) -> (usize, usize) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let (base, prefix) = if at(0) != b'0' {
        (10, 0)
    } else if at(1) | 0x20 == b'x' && at(2).is_ascii_hexdigit() {
        (16, 2)
    } else {
        (8, 0)
    };
    let (n, v, _) = parse_digits(&s[prefix..], base);
    (prefix + n, v as usize)
}

/// `_parse_integer()`: the leading digits of `s` in `base` (at most 16).
/// Returns how many there are, their value saturated at `u64::MAX`, and
/// whether it saturated.
fn parse_digits(s: &[u8], base: u32) -> (usize, u64, bool) {
    let mut value = 0u64;
    let mut overflow = false;
    let mut n = 0;
    for &c in s {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            _ if (b'a'..=b'f').contains(&(c | 0x20)) => (c | 0x20) - b'a' + 10,
            _ => break,
        };
        if u32::from(digit) >= base {
            break;
        }
        value = match value
            .checked_mul(u64::from(base))
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(v) => v,
            None => {
                overflow = true;
                u64::MAX
            }
        };
        n += 1;
    }
    (n, value, overflow)
}

/// Device geometry derived from [`AddOptions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    /// Number of zones: the capacity rounded down to whole zones.
    pub(crate) nr_zones: u32,
    /// Number of conventional zones (zones `0..nr_conv_zones`), less than
    /// `nr_zones`.
    pub(crate) nr_conv_zones: u32,
    /// log2 of the zone size in 512-byte sectors.
    pub(crate) zone_shift: u32,
    /// Zone size in 512-byte sectors.
    pub(crate) zone_sectors: u64,
    /// Usable sectors of a sequential zone (the zone size when not given).
    pub(crate) zone_capacity_sectors: u64,
    /// Limit on open sequential zones, 0 for none; at most the number of
    /// sequential zones, and at most `max_active_zones` when that is set.
    pub(crate) max_open_zones: u32,
    /// Limit on active (open or closed) sequential zones, 0 for none; less
    /// than the number of sequential zones.
    pub(crate) max_active_zones: u32,
}

impl Geometry {
    /// The disk capacity in 512-byte sectors: `nr_zones` whole zones.
    pub(crate) const fn capacity_sectors(&self) -> u64 {
        self.nr_zones as u64 * self.zone_sectors
    }
}

/// The geometry `zloop_ctl_add()` derives before it touches any file, with its
/// checks: there must be fewer conventional zones than zones, and
/// `max_open_zones` must not exceed the number of sequential zones.
///
/// `max_active_zones` (a zloop_rs addition) follows null_blk: a limit of at
/// least the number of sequential zones is no limit (0), as the block layer
/// takes it; with a limit, `max_open_zones` above it is lowered to it (the
/// caller can tell by comparing with `opts`), because active zones include
/// the open ones.
///
/// `opts` normally comes from [`parse_command`]; the checks of the parser are
/// made again, so that any `AddOptions` gives a result and never a panic. The
/// alignment of the zone capacity to the block size is left to the caller.
pub(crate) fn geometry(opts: &AddOptions<'_>) -> Result<Geometry, ParseError> {
    if opts.capacity_mb == 0 {
        return Err(inval("invalid capacity"));
    }
    if !zone_size_valid(opts.zone_size_mb) {
        return Err(inval("invalid zone size"));
    }
    if opts.nr_queues == 0 {
        return Err(inval("invalid number of queues"));
    }
    if opts.queue_depth == 0 {
        return Err(inval("invalid queue depth"));
    }
    check_sizes(opts)?;

    let zone_sectors = u64::from(opts.zone_size_mb) * SECTORS_PER_MB;
    let zone_shift = zone_sectors.ilog2();
    // At most (2^32 - 1) MiB in zones of at least 1 MiB: fits 32 bits.
    let nr_zones = ((u64::from(opts.capacity_mb) * SECTORS_PER_MB) >> zone_shift) as u32;
    if opts.conv_zones >= nr_zones {
        return Err(inval("invalid number of conventional zones"));
    }
    let nr_seq_zones = nr_zones - opts.conv_zones;
    if opts.max_open_zones > nr_seq_zones {
        return Err(inval("invalid maximum number of open zones"));
    }
    let max_active_zones = if opts.max_active_zones >= nr_seq_zones {
        0
    } else {
        opts.max_active_zones
    };
    let max_open_zones = if max_active_zones != 0 {
        opts.max_open_zones.min(max_active_zones)
    } else {
        opts.max_open_zones
    };
    let zone_capacity_sectors = match opts.zone_capacity_mb {
        0 => zone_sectors,
        mb => u64::from(mb) * SECTORS_PER_MB,
    };
    Ok(Geometry {
        nr_zones,
        nr_conv_zones: opts.conv_zones,
        zone_shift,
        zone_sectors,
        zone_capacity_sectors,
        max_open_zones,
        max_active_zones,
    })
}

/// Where [`write_value`] and [`write_options`] put their text: numbers go
/// through [`core::fmt::Write`], `base_dir` as its raw bytes (it need not be
/// UTF-8, and must come back byte for byte).
pub(crate) trait OptionSink: core::fmt::Write {
    /// Appends `bytes` as they are.
    fn write_bytes(&mut self, bytes: &[u8]) -> core::fmt::Result;
}

impl AddOptions<'_> {
    /// The options a device made from `self` has in effect, as an `add`
    /// would give them to recreate that device: its `id`, the capacity of
    /// its whole zones, the zone capacity even when it is the zone size,
    /// `ordered_zone_append` only where it is honoured, and no
    /// `max_open_zones` limit when it is at least the number of sequential
    /// zones (such a limit never closes a zone, and the block layer drops
    /// it too). `max_active_zones` is the limit the device enforces (0 for
    /// none, also when the one given was at least the number of sequential
    /// zones), and `max_open_zones` the one left after [`geometry`] lowered
    /// it to `max_active_zones`. `nr_queues` and `queue_depth` stay as they
    /// are: the caller knows the ones the tag set got. `given` is the
    /// options [`write_options`] writes, as the command it writes gives them.
    pub(crate) fn in_effect(&self, geo: &Geometry, id: u32) -> Self {
        let nr_seq_zones = geo.nr_zones - geo.nr_conv_zones;
        let mut o = AddOptions {
            id: Some(id),
            // `nr_zones` whole zones of `zone_size_mb`: at most `capacity_mb`.
            capacity_mb: geo.nr_zones * self.zone_size_mb,
            zone_capacity_mb: (geo.zone_capacity_sectors / SECTORS_PER_MB) as u32,
            conv_zones: geo.nr_conv_zones,
            ordered_zone_append: self.ordered_zone_append_effective(),
            max_open_zones: if geo.max_open_zones >= nr_seq_zones {
                0
            } else {
                geo.max_open_zones
            },
            max_active_zones: geo.max_active_zones,
            ..*self
        };
        o.given = OPTIONS
            .iter()
            .filter(|spec| o.is_written(spec.key))
            .fold(0, |given, spec| given | spec.key.mask());
        o
    }

    /// Whether [`write_options`] writes option `key`: a flag only when it is
    /// set, a zloop_rs addition only when it is not 0, any other option
    /// always.
    const fn is_written(&self, key: OptionKey) -> bool {
        match key {
            OptionKey::BufferedIo => self.buffered_io,
            OptionKey::OrderedZoneAppend => self.ordered_zone_append,
            OptionKey::DiscardWriteCache => self.discard_write_cache,
            OptionKey::MaxActiveZones => self.max_active_zones != 0,
            _ => true,
        }
    }
}

/// Writes the value of option `key` of `opts` as `add` takes it (`id` -1
/// when it is automatic; a flag as `0` or `1`).
pub(crate) fn write_value<W: OptionSink>(
    w: &mut W,
    opts: &AddOptions<'_>,
    key: OptionKey,
) -> core::fmt::Result {
    let flag = |on: bool| u32::from(on);
    match key {
        OptionKey::Id => write!(w, "{}", opts.id.map_or(-1, i64::from)),
        OptionKey::CapacityMb => write!(w, "{}", opts.capacity_mb),
        OptionKey::ZoneSizeMb => write!(w, "{}", opts.zone_size_mb),
        OptionKey::ZoneCapacityMb => write!(w, "{}", opts.zone_capacity_mb),
        OptionKey::ConvZones => write!(w, "{}", opts.conv_zones),
        OptionKey::BaseDir => w.write_bytes(opts.base_dir),
        OptionKey::NrQueues => write!(w, "{}", opts.nr_queues),
        OptionKey::QueueDepth => write!(w, "{}", opts.queue_depth),
        OptionKey::BufferedIo => write!(w, "{}", flag(opts.buffered_io)),
        OptionKey::ZoneAppend => write!(w, "{}", flag(opts.zone_append)),
        OptionKey::OrderedZoneAppend => write!(w, "{}", flag(opts.ordered_zone_append)),
        OptionKey::DiscardWriteCache => write!(w, "{}", flag(opts.discard_write_cache)),
        OptionKey::MaxOpenZones => write!(w, "{}", opts.max_open_zones),
        OptionKey::MaxActiveZones => write!(w, "{}", opts.max_active_zones),
    }
}

/// Writes `opts` as the option list of an `add` command (without `add `
/// and without a newline), every option in [`OPTIONS`] order, a flag only
/// when it is set: `parse_command` of `add ` and this text gives `opts`
/// back, as long as the whole command fits in a page. A zloop_rs addition
/// is written only when it is not 0 (its default), so that the list of a
/// device that uses none of them is one the C zloop takes too.
pub(crate) fn write_options<W: OptionSink>(w: &mut W, opts: &AddOptions<'_>) -> core::fmt::Result {
    let mut first = true;
    for spec in &OPTIONS {
        if !opts.is_written(spec.key) {
            continue;
        }
        if !first {
            w.write_str(",")?;
        }
        first = false;
        w.write_str(spec.name)?;
        if spec.kind != ValueKind::Flag {
            w.write_str("=")?;
            write_value(w, opts, spec.key)?;
        }
    }
    Ok(())
}
