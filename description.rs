// SPDX-License-Identifier: GPL-2.0

//! The description file of a device, `<base_dir>/<id>/zloop_rs.device`: the
//! options of the `add` that made (or last restored) the device, so that
//! `add id=N` alone can restore it. Its text format, its parser, and how it
//! is merged with the options of an `add` command.
//!
//! Pure `core` code: no kernel types, so the host crate (`tests/host`) compiles
//! and tests this file as is. The kernel side (reading, writing, log lines) is
//! `descfile.rs`.
//!
//! The file is the format line, one `name=value` line per described option
//! (in the order of [`FIELDS`], values in decimal, a flag as 0 or 1), and an
//! `end` line; every line ends with a newline:
//!
//! ```text
//! zloop_rs_device_format=1
//! capacity_mb=2048
//! zone_size_mb=64
//! zone_capacity_mb=63
//! conv_zones=4
//! nr_queues=2
//! queue_depth=64
//! buffered_io=0
//! zone_append=1
//! ordered_zone_append=0
//! discard_write_cache=0
//! max_open_zones=12
//! max_active_zones=0
//! end
//! ```
//!
//! The parser is strict: a file that is truncated (no `end` line, no final
//! newline), garbled, of another format version, or names an option this
//! driver does not describe (written by a later version that has more) is
//! refused as a whole. An option that the file leaves out has its upstream
//! default, so a file written before an option was described still reads the
//! same. `id` and `base_dir` are not described: they locate the file.

use crate::options::{geometry, AddOptions, OptionKey};

/// The name of the description file in the device directory. (Not
/// `zloop_rs.conf`, the name of the modprobe.d file in the README.)
pub(crate) const FILE_NAME: &str = "zloop_rs.device";

/// The name it is written under first, then renamed to [`FILE_NAME`].
pub(crate) const TEMP_NAME: &str = "zloop_rs.device.tmp";

/// The name of the first line's key; its value is the format version.
const FORMAT_KEY: &[u8] = b"zloop_rs_device_format";

/// The format version this driver writes and reads. It changes only if the
/// syntax changes; a new option is a new line (see [`FIELDS`]).
const FORMAT_VERSION: &[u8] = b"1";

/// The last line.
const END_LINE: &[u8] = b"end";

/// Longest description file accepted, and the room [`render`] needs.
pub(crate) const MAX_LEN: usize = 1024;

/// What kind of option a described option is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Sets the zone layout, which the zone files on disk follow: a command
    /// that gives it must give the described value.
    Geometry,
    /// Only how the device runs (queues, I/O mode, the open and active zone
    /// limits): a command may change it. (A restore refuses a directory with
    /// more active zones than `max_active_zones`; a larger limit, or 0, on
    /// the command line is the way out, so the limit is not geometry.)
    Runtime,
}

/// One described option.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    /// The option.
    pub(crate) key: OptionKey,
    /// Its class.
    pub(crate) class: Class,
}

/// Builds one [`FIELDS`] entry.
const fn field(key: OptionKey, class: Class) -> Field {
    Field { key, class }
}

/// The described options, in file order. A new `add` option that has a
/// number (or flag) value is described by adding one line here (and the
/// `value`/`set_value` arms of `AddOptions`); a file without its line gives
/// it its default.
pub(crate) const FIELDS: &[Field] = {
    use Class::{Geometry as G, Runtime as R};
    use OptionKey as K;
    &[
        field(K::CapacityMb, G),
        field(K::ZoneSizeMb, G),
        field(K::ZoneCapacityMb, G),
        field(K::ConvZones, G),
        field(K::NrQueues, R),
        field(K::QueueDepth, R),
        field(K::BufferedIo, R),
        field(K::ZoneAppend, R),
        field(K::OrderedZoneAppend, R),
        field(K::DiscardWriteCache, R),
        field(K::MaxOpenZones, R),
        field(K::MaxActiveZones, R),
    ]
};

// `render` always fits in `MAX_LEN`: every line is at most its name, `=`,
// ten digits and a newline.
const _: () = {
    let mut len = FORMAT_KEY.len() + 1 + FORMAT_VERSION.len() + 1 + END_LINE.len() + 1;
    let mut i = 0;
    while i < FIELDS.len() {
        len += FIELDS[i].key.name().len() + 12;
        i += 1;
    }
    assert!(len <= MAX_LEN);
};

/// The described value of option `key` of `o`: a zone capacity of 0 (not
/// given) is the zone size, and an active-zone limit of at least the number
/// of sequential zones of `o`'s layout is 0 (no limit, as `geometry` makes
/// it), so that every spelling of the same device compares equal.
pub(crate) fn described_value(o: &AddOptions<'_>, key: OptionKey) -> u32 {
    match key {
        OptionKey::ZoneCapacityMb if o.zone_capacity_mb == 0 => o.zone_size_mb,
        // (The open limit cannot make the layout invalid here.)
        OptionKey::MaxActiveZones => geometry(&AddOptions {
            max_open_zones: 0,
            ..*o
        })
        .map_or(o.max_active_zones, |g| g.max_active_zones),
        _ => o.value(key).unwrap_or(0),
    }
}

/// Writes the description of `o` into `out`; returns its length, or `None`
/// if `out` is too small (it never is with [`MAX_LEN`] bytes).
pub(crate) fn render(o: &AddOptions<'_>, out: &mut [u8]) -> Option<usize> {
    let mut w = SliceWriter { out, len: 0 };
    w.put(FORMAT_KEY)?;
    w.put(b"=")?;
    w.put(FORMAT_VERSION)?;
    w.put(b"\n")?;
    for f in FIELDS {
        w.put(f.key.name().as_bytes())?;
        w.put(b"=")?;
        w.put_number(described_value(o, f.key))?;
        w.put(b"\n")?;
    }
    w.put(END_LINE)?;
    w.put(b"\n")?;
    Some(w.len)
}

/// Appends to a byte slice, never past its end.
struct SliceWriter<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl SliceWriter<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.out.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    /// `v` in decimal.
    fn put_number(&mut self, mut v: u32) -> Option<()> {
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.put(&digits[i..])
    }
}

/// Why a description file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileError<'a> {
    /// The line (from 1) at fault; 0 for the file as a whole.
    pub(crate) line: usize,
    /// One short sentence for the kernel log, without a trailing newline.
    pub(crate) msg: &'static str,
    /// The text at fault (a name or a value), or empty.
    pub(crate) text: &'a [u8],
}

/// A [`FileError`] of `line` about `text`.
const fn bad<'a>(line: usize, msg: &'static str, text: &'a [u8]) -> FileError<'a> {
    FileError { line, msg, text }
}

/// Parses a description file: the described options (the upstream default
/// for each one the file leaves out), with the options the file names in
/// [`AddOptions::given`]. The options must pass the checks of an `add`
/// ([`geometry`]).
pub(crate) fn parse(text: &[u8]) -> Result<AddOptions<'static>, FileError<'_>> {
    if text.is_empty() {
        return Err(bad(0, "empty file", b""));
    }
    if text.len() > MAX_LEN {
        return Err(bad(0, "too large to be a description", b""));
    }
    let Some(body) = text.strip_suffix(b"\n") else {
        return Err(bad(0, "truncated: no newline at the end", b""));
    };
    let mut lines = body.split(|&b| b == b'\n').enumerate();
    let first = lines.next().map_or(&b""[..], |(_, l)| l);
    match split_line(first) {
        Some((FORMAT_KEY, FORMAT_VERSION)) => {}
        Some((FORMAT_KEY, v)) => return Err(bad(1, "unknown format version", v)),
        _ => return Err(bad(1, "not a zloop_rs device description", b"")),
    }

    let mut o = AddOptions::DEFAULT;
    while let Some((i, line)) = lines.next() {
        if line != END_LINE {
            parse_line(&mut o, line).map_err(|(msg, text)| bad(i + 1, msg, text))?;
            continue;
        }
        if let Some((i, _)) = lines.next() {
            return Err(bad(i + 1, "text after the end line", b""));
        }
        if o.is_given(OptionKey::ZoneCapacityMb) && o.zone_capacity_mb == 0 {
            return Err(bad(0, "invalid zone capacity", b""));
        }
        geometry(&o).map_err(|e| bad(0, e.msg, b""))?;
        return Ok(o);
    }
    Err(bad(0, "truncated: no end line", b""))
}

/// `name=value` as its two parts.
fn split_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = line.iter().position(|&b| b == b'=')?;
    Some((&line[..eq], &line[eq + 1..]))
}

/// Sets the option of one `name=value` line in `o`; the message and the
/// text at fault if the line is not one.
fn parse_line<'a>(
    o: &mut AddOptions<'static>,
    line: &'a [u8],
) -> Result<(), (&'static str, &'a [u8])> {
    let (name, value) = split_line(line).ok_or(("not a name=value line", line))?;
    let f = FIELDS
        .iter()
        .find(|f| f.key.name().as_bytes() == name)
        .ok_or(("unknown option (from a later zloop_rs?)", name))?;
    if o.is_given(f.key) {
        return Err(("option named twice", name));
    }
    let v = decimal(value).ok_or(("invalid value", value))?;
    o.set_value(f.key, v);
    // A flag must read back as written: 0 or 1.
    if o.value(f.key) != Some(v) {
        return Err(("invalid value", value));
    }
    o.given |= f.key.mask();
    Ok(())
}

/// `s` as a decimal number of 1 to 10 digits that fits 32 bits.
fn decimal(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 10 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |v, &d| {
        v.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// A geometry option of the command that differs from the description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Contradiction {
    /// The option.
    pub(crate) key: OptionKey,
    /// Its value in the command.
    pub(crate) given: u32,
    /// Its value in the description.
    pub(crate) stored: u32,
}

/// Whether `cmd` gives a geometry option: then it is a complete command, as
/// one written for the C zloop (which has no description to restore from)
/// is, and every runtime option it leaves out has its upstream default.
/// (Every geometry option is an upstream one; a zloop_rs addition such as
/// `max_active_zones` is runtime and does not make a command complete.)
pub(crate) fn gives_geometry(cmd: &AddOptions<'_>) -> bool {
    FIELDS
        .iter()
        .any(|f| f.class == Class::Geometry && cmd.is_given(f.key))
}

/// The options of an `add` with the options `cmd` of a device whose
/// description is `stored`:
/// - a geometry option `cmd` gives must have the described value (else the
///   [`Contradiction`]); one it leaves out comes from the description;
/// - a runtime option `cmd` gives is taken (`max_active_zones` too: a
///   restore checks the limit the add ends up with); one it leaves out
///   comes from the description, unless `cmd` gives a geometry option
///   ([`gives_geometry`]), in which case it has its upstream default, as
///   for the C zloop.
///
/// `id` and `base_dir` are the command's; so is [`AddOptions::given`].
pub(crate) fn merge<'a>(
    cmd: &AddOptions<'a>,
    stored: &AddOptions<'_>,
) -> Result<AddOptions<'a>, Contradiction> {
    let complete = gives_geometry(cmd);
    let mut out = *cmd;
    for f in FIELDS {
        let stored_value = described_value(stored, f.key);
        if cmd.is_given(f.key) {
            let given = described_value(cmd, f.key);
            if f.class == Class::Geometry && given != stored_value {
                return Err(Contradiction {
                    key: f.key,
                    given,
                    stored: stored_value,
                });
            }
        } else if f.class == Class::Geometry || !complete {
            out.set_value(f.key, stored_value);
        }
    }
    Ok(out)
}
