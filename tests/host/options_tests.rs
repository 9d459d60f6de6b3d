// SPDX-License-Identifier: GPL-2.0

//! Unit tests of the control command parser (`options.rs`) against the rules of
//! the C driver: `zloop_ctl_write()`, `zloop_parse_options()`,
//! `zloop_ctl_remove()` and the first checks of `zloop_ctl_add()` in
//! drivers/block/zloop.c, with the number syntax of lib/parser.c. The `cN`
//! names refer to the conformance checklist (survey A.4).

use crate::options::{
    geometry, parse_command, AddOptions, Command, Errno, Geometry, ParseError, DEFAULT_BASE_DIR,
};
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

const PAGE: usize = 4096;

fn show(s: &[u8]) -> String {
    s.escape_ascii().to_string()
}

fn parse(s: &[u8]) -> Result<Command<'_>, ParseError> {
    parse_command(s, PAGE)
}

/// The options of an `add` that must parse.
#[track_caller]
fn add(s: &[u8]) -> AddOptions<'_> {
    match parse(s) {
        Ok(Command::Add(o)) => o,
        r => panic!("{}: expected add, got {:?}", show(s), r),
    }
}

/// The id of a `remove` that must parse.
#[track_caller]
fn remove(s: &[u8]) -> i32 {
    match parse(s) {
        Ok(Command::Remove { id }) => id,
        r => panic!("{}: expected remove, got {:?}", show(s), r),
    }
}

/// The command must fail with EINVAL.
#[track_caller]
fn einval(s: &[u8]) {
    match parse(s) {
        Err(ParseError {
            errno: Errno::Inval,
            msg,
        }) => assert!(!msg.is_empty() && !msg.ends_with('\n')),
        r => panic!("{}: expected EINVAL, got {:?}", show(s), r),
    }
}

/// The command must fail with EINVAL and the message `msg`.
#[track_caller]
fn einval_msg(s: &[u8], msg: &str) {
    match parse(s) {
        Err(e) => assert_eq!((e.errno, e.msg), (Errno::Inval, msg), "{}", show(s)),
        r => panic!("{}: expected EINVAL, got {:?}", show(s), r),
    }
}

/// A `%u` value, read through `conv_zones=` (which has no value check).
fn uint(v: &str) -> Result<u32, Errno> {
    let cmd = format!("add conv_zones={v}");
    match parse_command(cmd.as_bytes(), PAGE) {
        Ok(Command::Add(o)) => Ok(o.conv_zones),
        Ok(c) => panic!("{cmd}: {c:?}"),
        Err(e) => Err(e.errno),
    }
}

/// An `add` id value.
fn add_id(v: &str) -> Result<Option<u32>, Errno> {
    let cmd = format!("add id={v}");
    match parse_command(cmd.as_bytes(), PAGE) {
        Ok(Command::Add(o)) => Ok(o.id),
        Ok(c) => panic!("{cmd}: {c:?}"),
        Err(e) => Err(e.errno),
    }
}

/// A `remove` id value.
fn remove_id(v: &str) -> Result<i32, Errno> {
    let cmd = format!("remove id={v}");
    match parse_command(cmd.as_bytes(), PAGE) {
        Ok(Command::Remove { id }) => Ok(id),
        Ok(c) => panic!("{cmd}: {c:?}"),
        Err(e) => Err(e.errno),
    }
}

// ---------------------------------------------------------------------------
// Write length, NUL bytes and the operation name (C3, C5, C6)

#[test]
fn c3_write_longer_than_page_size_is_enomem() {
    let mut long = Vec::from(&b"add"[..]);
    long.resize(PAGE + 1, b' ');
    let e = parse(&long).unwrap_err();
    assert_eq!(e.errno, Errno::NoMem);
    // Exactly a page is fine.
    long.truncate(PAGE);
    assert_eq!(add(&long), AddOptions::DEFAULT);
    // The length check comes first, even before the NUL and operation checks.
    long.resize(PAGE + 1, 0);
    assert_eq!(parse(&long).unwrap_err().errno, Errno::NoMem);
    let junk = [0xffu8; PAGE + 100];
    assert_eq!(parse(&junk).unwrap_err().errno, Errno::NoMem);
}

#[test]
fn c3_page_size_argument_is_the_limit() {
    assert_eq!(parse_command(b"add", 2).unwrap_err().errno, Errno::NoMem);
    assert_eq!(
        parse_command(b"add", 3),
        Ok(Command::Add(AddOptions::DEFAULT))
    );
    assert_eq!(parse_command(b"", 0).unwrap_err().errno, Errno::Inval);
    assert_eq!(parse_command(b"x", 0).unwrap_err().errno, Errno::NoMem);
}

#[test]
fn c5_unknown_operation_is_einval() {
    for s in [
        &b"foo"[..],
        b"ad",
        b"a",
        b"Add",
        b"ADD",
        b"rem",
        b"remov",
        b"REMOVE id=1",
        b"delete id=1",
        b"list",
        b"\xa0add",
    ] {
        einval_msg(s, "invalid operation");
    }
}

#[test]
fn c5_whitespace_before_operation_is_einval() {
    for s in [
        &b" add"[..],
        b"\tadd",
        b"\nadd",
        b"\x0bremove id=0",
        b"  remove id=1",
    ] {
        einval_msg(s, "invalid operation");
    }
}

#[test]
fn c5_empty_write_is_einval() {
    einval_msg(b"", "invalid operation");
    einval_msg(b"\0", "invalid operation");
    einval_msg(b"\0add", "invalid operation");
    einval_msg(b"ad\0d", "invalid operation");
}

#[test]
fn c6_bare_add_gives_the_upstream_defaults() {
    let d = AddOptions::DEFAULT;
    assert_eq!(d.id, None);
    assert_eq!(d.capacity_mb, 16384);
    assert_eq!(d.zone_size_mb, 256);
    assert_eq!(d.zone_capacity_mb, 0);
    assert_eq!(d.conv_zones, 8);
    assert_eq!(d.base_dir, b"/var/local/zloop");
    assert_eq!(d.base_dir, DEFAULT_BASE_DIR);
    assert_eq!(d.nr_queues, 1);
    assert_eq!(d.queue_depth, 128);
    assert!(!d.buffered_io);
    assert!(d.zone_append);
    assert!(!d.ordered_zone_append);
    assert!(!d.discard_write_cache);
    assert_eq!(d.max_open_zones, 0);
    assert_eq!(d.max_active_zones, 0);
    assert_eq!(AddOptions::default(), d);
}

#[test]
fn c6_add_with_or_without_newline_or_spaces_gives_defaults() {
    for s in [
        &b"add"[..],
        b"add\n",
        b"add ",
        b"add \n",
        b"add\n\n",
        b"add \t\r\x0b\x0c\n",
        b"add,",
        b"add,\n,,\n",
        b"add\xa0",
        b"add\0",
        b"add\0garbage,foo=1",
        b"add\n\0 x",
    ] {
        assert_eq!(add(s), AddOptions::DEFAULT, "{}", show(s));
    }
}

#[test]
fn c6_default_capacity_is_64_zones_of_the_default_zone_size() {
    // A smaller zone size does not change the default capacity...
    let o = add(b"add zone_size_mb=64");
    assert_eq!((o.capacity_mb, o.zone_size_mb), (16384, 64));
    // ... so a zone size of 16 GiB leaves it not above the zone size.
    einval_msg(b"add zone_size_mb=16384", "invalid capacity");
    assert_eq!(add(b"add zone_size_mb=8192").capacity_mb, 16384);
}

#[test]
fn operation_is_a_prefix_and_options_follow_it_directly() {
    assert_eq!(add(b"addid=1").id, Some(1));
    assert_eq!(add(b"add,id=2").id, Some(2));
    assert_eq!(add(b"add\nid=3\n").id, Some(3));
    assert_eq!(remove(b"removeid=4"), 4);
    assert_eq!(remove(b"remove,id=5"), 5);
    assert!(add(b"addbuffered_io").buffered_io);
    // "addfoo", "adding", "removed id=1": the rest is an unknown option.
    einval_msg(b"addfoo", "unknown parameter or missing value");
    einval_msg(b"adding", "unknown parameter or missing value");
    einval_msg(b"removed id=1", "unknown parameter or missing value");
    // "add" is tried before "remove"; "addremove" is add with option "remove".
    einval_msg(b"addremove", "unknown parameter or missing value");
}

#[test]
fn leading_kernel_whitespace_before_options_is_skipped() {
    assert_eq!(add(b"add \t\n\x0b\x0c\r id=4").id, Some(4));
    // Kernel isspace() also counts the Latin-1 no-break space 0xa0.
    assert_eq!(add(b"add\xa0id=5").id, Some(5));
    assert_eq!(add(b"add\xa0\xa0 \xa0id=6").id, Some(6));
    assert_eq!(remove(b"remove\x0cid=7"), 7);
    // Other bytes are not whitespace (0x85 NEL, 0x1c..0x1f, 0x00 ends the text).
    einval(b"add\x85id=5");
    einval(b"add\x1cid=5");
    // Whitespace is only skipped at the start of the list.
    einval(b"add id=1, zone_size_mb=64");
    einval(b"add id=1,\tzone_size_mb=64");
}

#[test]
fn command_text_ends_at_the_first_nul_byte() {
    assert_eq!(add(b"add id=1\0,bogus").id, Some(1));
    assert_eq!(add(b"add id=1\0").id, Some(1));
    assert_eq!(add(b"add id=12\x003").id, Some(12));
    assert_eq!(remove(b"remove id=1\0,capacity_mb=3"), 1);
    assert_eq!(add(b"add base_dir=/a\0/b").base_dir, b"/a");
    einval(b"add id=\x001");
    // The write length, not the string length, decides "no options": a
    // lone "remove\0..." still has no id.
    einval_msg(b"remove\0 id=1", "no id specified for remove");
}

// ---------------------------------------------------------------------------
// Option tokens (C7)

#[test]
fn c7_unknown_option_is_einval() {
    for s in [
        &b"add foo"[..],
        b"add id=1,foo",
        b"add ID=1",
        b"add Id=1",
        b"add id =1",
        b"add id:1",
        b"add capacity=5",
        b"add zone_size=64",
        b"add nr_conv_zones=1",
        b"add =1",
        b"add =",
        b"add  =",
    ] {
        einval_msg(s, "unknown parameter or missing value");
    }
}

#[test]
fn c7_flag_options_take_no_value() {
    for s in [
        &b"add buffered_io=1"[..],
        b"add buffered_io=",
        b"add buffered_io=0",
        b"add ordered_zone_append=1",
        b"add discard_write_cache=true",
        b"add buffered_io ",
        b"add buffered_iox",
    ] {
        einval_msg(s, "unknown parameter or missing value");
    }
    let o = add(b"add buffered_io,ordered_zone_append,discard_write_cache");
    assert!(o.buffered_io && o.ordered_zone_append && o.discard_write_cache);
    assert!(add(b"add buffered_io,buffered_io").buffered_io);
}

#[test]
fn c7_missing_value_is_einval() {
    for s in [
        &b"add id="[..],
        b"add id",
        b"add capacity_mb=",
        b"add capacity_mb",
        b"add zone_size_mb=",
        b"add zone_capacity_mb=",
        b"add conv_zones=",
        b"add base_dir=",
        b"add base_dir",
        b"add base_dir=\n",
        b"add base_dir=,id=1",
        b"add nr_queues=",
        b"add queue_depth=",
        b"add zone_append=",
        b"add max_open_zones=",
        b"add max_active_zones=",
        b"add max_active_zones",
        b"remove id=",
        b"remove id",
    ] {
        einval_msg(s, "unknown parameter or missing value");
    }
}

#[test]
fn spaces_inside_the_option_list_are_not_trimmed() {
    einval(b"add id=1, capacity_mb=2048");
    einval(b"add id=1 ,capacity_mb=2048");
    einval(b"add id=1 ");
    einval(b"add id= 1");
    einval(b"add capacity_mb=2048 ");
    einval(b"add buffered_io ");
    einval(b"remove id=1 ");
    // A trailing newline is a separator, not a space; `\r` is neither.
    assert_eq!(add(b"add id=1\n").id, Some(1));
    einval(b"add id=1\r\n");
    einval(b"add buffered_io\r\n");
}

#[test]
fn comma_and_newline_separate_options_and_empty_tokens_are_skipped() {
    let o = add(b"add id=1\ncapacity_mb=1024,,\n,zone_size_mb=64\n\n,");
    assert_eq!((o.id, o.capacity_mb, o.zone_size_mb), (Some(1), 1024, 64));
}

#[test]
fn every_option_is_parsed_into_its_field() {
    let o = add(
        b"add id=7,capacity_mb=4096,zone_size_mb=128,zone_capacity_mb=100,\
conv_zones=3,base_dir=/tmp/zl,nr_queues=4,queue_depth=64,buffered_io,zone_append=0,\
ordered_zone_append,discard_write_cache,max_open_zones=12,max_active_zones=14\n",
    );
    assert_eq!(
        o,
        AddOptions {
            id: Some(7),
            capacity_mb: 4096,
            zone_size_mb: 128,
            zone_capacity_mb: 100,
            conv_zones: 3,
            base_dir: b"/tmp/zl",
            nr_queues: 4,
            queue_depth: 64,
            buffered_io: true,
            zone_append: false,
            ordered_zone_append: true,
            discard_write_cache: true,
            max_open_zones: 12,
            max_active_zones: 14,
            given: 0x3fff,
        }
    );
    assert!(!o.ordered_zone_append_effective());
    assert!(add(b"add ordered_zone_append").ordered_zone_append_effective());
    assert!(add(b"add ordered_zone_append,zone_append=1").ordered_zone_append_effective());
}

#[test]
fn repeated_options_last_one_wins() {
    assert_eq!(add(b"add id=1,id=2").id, Some(2));
    assert_eq!(add(b"add id=1,id=-1").id, None);
    assert_eq!(add(b"add id=-1,id=3").id, Some(3));
    assert_eq!(add(b"add base_dir=/a,base_dir=/b").base_dir, b"/b");
    assert!(add(b"add zone_append=0,zone_append=1").zone_append);
    assert!(!add(b"add zone_append=1,zone_append=0").zone_append);
    let o = add(b"add zone_size_mb=64,capacity_mb=100,zone_size_mb=32,capacity_mb=200");
    assert_eq!((o.zone_size_mb, o.capacity_mb), (32, 200));
    assert_eq!(add(b"add conv_zones=1,conv_zones=0").conv_zones, 0);
    assert_eq!(add(b"add nr_queues=3,nr_queues=2").nr_queues, 2);
}

#[test]
fn repeated_options_each_occurrence_is_checked() {
    einval_msg(b"add capacity_mb=0,capacity_mb=100", "invalid capacity");
    einval_msg(b"add zone_size_mb=3,zone_size_mb=64", "invalid zone size");
    einval_msg(
        b"add zone_capacity_mb=0,zone_capacity_mb=10",
        "invalid zone capacity",
    );
    einval_msg(
        b"add zone_append=2,zone_append=1",
        "invalid zone_append value",
    );
    einval_msg(b"add nr_queues=0,nr_queues=1", "invalid number of queues");
    einval_msg(b"add queue_depth=0,queue_depth=1", "invalid queue depth");
    einval(b"add id=x,id=1");
    einval(b"add conv_zones=08,conv_zones=1");
}

#[test]
fn base_dir_is_the_rest_of_the_token_verbatim() {
    assert_eq!(add(b"add base_dir=/tmp/x").base_dir, b"/tmp/x");
    assert_eq!(add(b"add base_dir= /tmp/x y=z ").base_dir, b" /tmp/x y=z ");
    assert_eq!(add(b"add base_dir=/a\n").base_dir, b"/a");
    assert_eq!(add(b"add base_dir=/a,id=2").base_dir, b"/a");
    assert_eq!(add(b"add base_dir==%s\xff\xa0").base_dir, b"=%s\xff\xa0");
    assert_eq!(add(b"add base_dir=.").base_dir, b".");
    assert_eq!(add(b"add base_dir=relative/dir").base_dir, b"relative/dir");
    // The value borrows from the input.
    let buf = b"add base_dir=/x".to_vec();
    let o = add(&buf);
    assert_eq!(o.base_dir.as_ptr(), buf[13..].as_ptr());
}

// ---------------------------------------------------------------------------
// %u numbers (C8): the pattern scan is simple_strtoul(base 0), the value is
// kstrtouint(base 10).

#[test]
fn c8_uint_plain_decimal() {
    assert_eq!(uint("0"), Ok(0));
    assert_eq!(uint("7"), Ok(7));
    assert_eq!(uint("123"), Ok(123));
    assert_eq!(uint("4294967295"), Ok(u32::MAX));
}

#[test]
fn c8_uint_leading_zero_is_still_decimal() {
    assert_eq!(uint("010"), Ok(10));
    assert_eq!(uint("0077"), Ok(77));
    assert_eq!(uint("00"), Ok(0));
    assert_eq!(uint("0000000000"), Ok(0));
    assert_eq!(uint("0777"), Ok(777));
    assert_eq!(uint("04294967295"), Err(Errno::Inval)); // 9 is not octal
    assert_eq!(uint("0400000000"), Ok(400_000_000));
    assert_eq!(add(b"add capacity_mb=01024").capacity_mb, 1024);
}

#[test]
fn c8_uint_leading_zero_then_8_or_9_is_einval() {
    for v in ["08", "09", "0128", "00009", "0780"] {
        assert_eq!(uint(v), Err(Errno::Inval), "{v}");
    }
}

#[test]
fn c8_uint_hex_is_einval() {
    for v in [
        "0x10",
        "0X10",
        "0xa",
        "0x0",
        "0x",
        "0xg",
        "0x1g",
        "0xffffffff",
        "a",
        "f",
    ] {
        assert_eq!(uint(v), Err(Errno::Inval), "{v}");
    }
}

#[test]
fn c8_uint_signs_are_einval() {
    for v in ["+5", "-5", "-0", "+0", "--1", "+", "-"] {
        assert_eq!(uint(v), Err(Errno::Inval), "{v}");
    }
}

#[test]
fn c8_uint_overflow_is_einval() {
    for v in [
        "4294967296",
        "9999999999",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999",
    ] {
        assert_eq!(uint(v), Err(Errno::Inval), "{v}");
    }
}

#[test]
fn c8_uint_at_most_23_characters() {
    let ok = format!("{:0>23}", 1);
    assert_eq!(ok.len(), 23);
    assert_eq!(uint(&ok), Ok(1));
    assert_eq!(uint(&"0".repeat(23)), Ok(0));
    let long = format!("{:0>24}", 1);
    assert_eq!(uint(&long), Err(Errno::Inval));
    assert_eq!(uint(&"0".repeat(24)), Err(Errno::Inval));
    assert_eq!(uint(&format!("{:0>23}", u32::MAX)), Err(Errno::Inval)); // 9 not octal
    assert_eq!(uint(&format!("{:0>23}", 7_654_321)), Ok(7_654_321));
}

#[test]
fn c8_uint_trailing_garbage_is_einval() {
    for v in ["5a", "5 ", " 5", "1e3", "5.0", "5_0", "5x", "12abc", "1=1"] {
        assert_eq!(uint(v), Err(Errno::Inval), "{v}");
    }
}

// ---------------------------------------------------------------------------
// %d numbers (the id): simple_strtol(base 0) for both scan and value, then an
// int range check. `long` is 64-bit on the hosts this runs on.

#[test]
fn c8_id_decimal() {
    assert_eq!(add_id("0"), Ok(Some(0)));
    assert_eq!(add_id("1"), Ok(Some(1)));
    assert_eq!(add_id("2147483647"), Ok(Some(i32::MAX as u32)));
    assert_eq!(remove_id("42"), Ok(42));
    assert_eq!(add(b"add").id, None);
}

#[test]
fn c8_id_leading_zero_is_octal() {
    assert_eq!(add_id("010"), Ok(Some(8)));
    assert_eq!(add_id("0777"), Ok(Some(511)));
    assert_eq!(add_id("00"), Ok(Some(0)));
    assert_eq!(add_id("017777777777"), Ok(Some(i32::MAX as u32)));
    assert_eq!(add_id("020000000000"), Err(Errno::Inval));
    assert_eq!(remove_id("010"), Ok(8));
    for v in ["08", "09", "0128"] {
        assert_eq!(add_id(v), Err(Errno::Inval), "{v}");
    }
}

#[test]
fn c8_id_hex_prefix() {
    assert_eq!(add_id("0x10"), Ok(Some(16)));
    assert_eq!(add_id("0X1f"), Ok(Some(31)));
    assert_eq!(add_id("0xABCdef"), Ok(Some(0xabcdef)));
    assert_eq!(add_id("0x7fffffff"), Ok(Some(i32::MAX as u32)));
    assert_eq!(add_id("0x0"), Ok(Some(0)));
    assert_eq!(add_id("0x00000000000000000010"), Ok(Some(16)));
    // "0x" needs a hex digit after it, else it is octal "0" + garbage.
    for v in ["0x", "0X", "0xg", "0x1g", "0x 1", "x10", "1f", "a"] {
        assert_eq!(add_id(v), Err(Errno::Inval), "{v}");
    }
}

#[test]
fn c8_id_negative_means_automatic() {
    for v in ["-1", "-2", "-2147483648", "-0x10", "-010", "-0x80000000"] {
        assert_eq!(add_id(v), Ok(None), "{v}");
    }
    // remove keeps the negative id (the kernel side then says ENODEV).
    assert_eq!(remove_id("-1"), Ok(-1));
    assert_eq!(remove_id("-2147483648"), Ok(i32::MIN));
    assert_eq!(remove_id("-0x10"), Ok(-16));
}

#[test]
fn c8_id_minus_zero_and_lone_minus_are_zero() {
    assert_eq!(add_id("-0"), Ok(Some(0)));
    assert_eq!(add_id("-00"), Ok(Some(0)));
    // simple_strtol counts a lone "-" as consumed: the value is -0.
    assert_eq!(add_id("-"), Ok(Some(0)));
    assert_eq!(remove_id("-"), Ok(0));
}

#[test]
fn c8_id_plus_sign_and_double_minus_are_einval() {
    for v in ["+5", "+0", "+", "--5", "-+5", "- 5", "-x", "-0x", "-08"] {
        assert_eq!(add_id(v), Err(Errno::Inval), "{v}");
    }
}

#[test]
fn c8_id_outside_int_range_is_einval() {
    for v in [
        "2147483648",
        "-2147483649",
        "0x80000000",
        "020000000000",
        "4294967295",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "0x8000000000000000",
    ] {
        assert_eq!(add_id(v), Err(Errno::Inval), "{v}");
        assert_eq!(remove_id(v), Err(Errno::Inval), "{v}");
    }
}

#[cfg(target_pointer_width = "64")]
#[test]
fn c8_id_wraps_through_unsigned_long() {
    // simple_strtol casts the unsigned long to long: 2^64 - 1 is -1.
    assert_eq!(add_id("18446744073709551615"), Ok(None));
    assert_eq!(remove_id("18446744073709551615"), Ok(-1));
    assert_eq!(remove_id("0xffffffffffffffff"), Ok(-1));
    assert_eq!(remove_id("01777777777777777777777"), Ok(-1));
    assert_eq!(remove_id("18446744073709551614"), Ok(-2));
    assert_eq!(remove_id("18446744071562067968"), Ok(i32::MIN));
    // and "-" negates the unsigned value: -(2^64 - 1) is 1.
    assert_eq!(add_id("-18446744073709551615"), Ok(Some(1)));
    assert_eq!(add_id("-18446744073709551614"), Ok(Some(2)));
    assert_eq!(add_id("-0xffffffff80000001"), Ok(Some(i32::MAX as u32)));
}

#[cfg(target_pointer_width = "64")]
#[test]
fn c8_id_overflow_saturates_to_all_ones() {
    // _parse_integer_limit saturates at ULLONG_MAX, which then reads as -1.
    assert_eq!(remove_id("18446744073709551616"), Ok(-1));
    assert_eq!(remove_id("99999999999999999999999"), Ok(-1));
    assert_eq!(remove_id("0x10000000000000000000"), Ok(-1));
    assert_eq!(add_id("99999999999999999999"), Ok(None));
    assert_eq!(add_id("-99999999999999999999"), Ok(Some(1)));
    assert_eq!(add_id("-0x10000000000000000000"), Ok(Some(1)));
}

#[test]
fn c8_id_at_most_23_characters() {
    assert_eq!(add_id(&format!("{:0>23}", 1)), Ok(Some(1)));
    assert_eq!(add_id(&format!("{:0>24}", 1)), Err(Errno::Inval));
    assert_eq!(remove_id(&format!("-{:0>22}", 1)), Ok(-1));
    assert_eq!(remove_id(&format!("-{:0>23}", 1)), Err(Errno::Inval));
    assert_eq!(add_id(&format!("0x{:0>21}", 1)), Ok(Some(1)));
    assert_eq!(add_id(&format!("0x{:0>22}", 1)), Err(Errno::Inval));
}

#[test]
fn c8_id_trailing_garbage_is_einval() {
    for v in ["1a", "1 ", " 1", "1.0", "0x10z", "1-", "1=1"] {
        assert_eq!(add_id(v), Err(Errno::Inval), "{v}");
        assert_eq!(remove_id(v), Err(Errno::Inval), "{v}");
    }
}

// ---------------------------------------------------------------------------
// Value checks (C9-C12, C14)

#[test]
fn c9_capacity_zero_is_einval() {
    einval_msg(b"add capacity_mb=0", "invalid capacity");
    einval_msg(b"add capacity_mb=00", "invalid capacity");
}

#[test]
fn c9_zone_size_must_be_a_power_of_two_up_to_16384() {
    for v in [
        "0",
        "3",
        "6",
        "100",
        "255",
        "32768",
        "16383",
        "4294967295",
        "2147483648",
    ] {
        einval_msg(
            format!("add capacity_mb=4294967295,zone_size_mb={v}").as_bytes(),
            "invalid zone size",
        );
    }
    for e in 0..=14 {
        let z = 1u32 << e;
        let cmd = format!("add capacity_mb={},zone_size_mb={z}", z + 1);
        assert_eq!(add(cmd.as_bytes()).zone_size_mb, z);
    }
}

#[test]
fn c10_zone_capacity_explicit_zero_is_einval() {
    einval_msg(b"add zone_capacity_mb=0", "invalid zone capacity");
    // Not given, it is 0 and means the zone size.
    assert_eq!(add(b"add").zone_capacity_mb, 0);
}

#[test]
fn c10_zone_capacity_above_zone_size_is_einval() {
    einval_msg(b"add zone_capacity_mb=257", "invalid zone capacity");
    einval_msg(
        b"add zone_size_mb=64,zone_capacity_mb=65",
        "invalid zone capacity",
    );
    assert_eq!(add(b"add zone_capacity_mb=256").zone_capacity_mb, 256);
    assert_eq!(add(b"add zone_capacity_mb=1").zone_capacity_mb, 1);
    // Checked against the final zone size, whatever the order.
    assert_eq!(
        add(b"add zone_capacity_mb=512,zone_size_mb=512").zone_capacity_mb,
        512
    );
    einval_msg(
        b"add zone_size_mb=512,zone_capacity_mb=512,zone_size_mb=256",
        "invalid zone capacity",
    );
}

#[test]
fn c11_capacity_not_above_zone_size_is_einval() {
    einval_msg(b"add capacity_mb=256", "invalid capacity");
    einval_msg(b"add capacity_mb=1", "invalid capacity");
    einval_msg(b"add capacity_mb=64,zone_size_mb=64", "invalid capacity");
    assert_eq!(add(b"add capacity_mb=257").capacity_mb, 257);
    assert_eq!(add(b"add capacity_mb=65,zone_size_mb=64").capacity_mb, 65);
    // Checked after all options: order does not matter.
    assert_eq!(add(b"add capacity_mb=65,zone_size_mb=64").zone_size_mb, 64);
    assert_eq!(add(b"add capacity_mb=2,zone_size_mb=1").zone_size_mb, 1);
    // Capacity is checked before zone capacity.
    einval_msg(
        b"add capacity_mb=10,zone_size_mb=16,zone_capacity_mb=32",
        "invalid capacity",
    );
}

#[test]
fn c12_nr_queues_and_queue_depth_zero_are_einval() {
    einval_msg(b"add nr_queues=0", "invalid number of queues");
    einval_msg(b"add queue_depth=0", "invalid queue depth");
    // Large values are kept: the kernel side caps nr_queues to the CPUs.
    assert_eq!(add(b"add nr_queues=4294967295").nr_queues, u32::MAX);
    assert_eq!(add(b"add queue_depth=100000").queue_depth, 100_000);
}

#[test]
fn c14_zone_append_is_0_or_1_only() {
    assert!(!add(b"add zone_append=0").zone_append);
    assert!(add(b"add zone_append=1").zone_append);
    assert!(add(b"add zone_append=01").zone_append);
    assert!(!add(b"add zone_append=00").zone_append);
    for v in ["2", "10", "4294967295"] {
        einval_msg(
            format!("add zone_append={v}").as_bytes(),
            "invalid zone_append value",
        );
    }
    for v in ["0x1", "true", "-1", "+1", "4294967296", "yes"] {
        einval(format!("add zone_append={v}").as_bytes());
    }
}

#[test]
fn conv_zones_and_max_open_zones_are_not_checked_by_the_parser() {
    let o = add(b"add conv_zones=4294967295,max_open_zones=4294967295");
    assert_eq!((o.conv_zones, o.max_open_zones), (u32::MAX, u32::MAX));
}

#[test]
fn checks_fire_in_option_order() {
    einval_msg(b"add capacity_mb=0,zone_size_mb=3", "invalid capacity");
    einval_msg(b"add zone_size_mb=3,capacity_mb=0", "invalid zone size");
    einval_msg(
        b"add foo,capacity_mb=0",
        "unknown parameter or missing value",
    );
    einval_msg(b"add capacity_mb=0,foo", "invalid capacity");
}

// ---------------------------------------------------------------------------
// remove (C25)

#[test]
fn c25_remove_without_id_is_einval() {
    for s in [
        &b"remove"[..],
        b"remove\n",
        b"remove ",
        b"remove,\n",
        b"remove\0id=1",
        b"remove buffered_io",
        b"remove capacity_mb=300",
    ] {
        einval_msg(s, "no id specified for remove");
    }
    einval_msg(b"remove foo", "unknown parameter or missing value");
    // The option checks run before the remove checks.
    einval_msg(b"remove capacity_mb=5", "invalid capacity");
}

#[test]
fn c25_remove_with_other_options_is_einval() {
    for s in [
        &b"remove id=1,buffered_io"[..],
        b"remove id=1,base_dir=/x",
        b"remove zone_append=1,id=1",
        b"remove id=1,max_open_zones=0",
        b"remove id=1,max_active_zones=0",
        b"remove id=1,conv_zones=8",
        b"remove id=1,capacity_mb=16384",
    ] {
        einval_msg(s, "invalid option specified for remove");
    }
}

#[test]
fn c25_remove_values_are_still_checked_by_the_option_parser() {
    einval_msg(b"remove id=1,capacity_mb=0", "invalid capacity");
    einval_msg(b"remove id=1,zone_size_mb=16384", "invalid capacity");
    einval(b"remove id=1,conv_zones=x");
}

#[test]
fn remove_takes_the_last_id_and_keeps_it_signed() {
    assert_eq!(remove(b"remove id=3"), 3);
    assert_eq!(remove(b"remove id=3\n"), 3);
    assert_eq!(remove(b"remove\tid=3"), 3);
    assert_eq!(remove(b"remove id=1,id=2"), 2);
    assert_eq!(remove(b"remove id=-5"), -5);
    assert_eq!(remove(b"remove id=2147483647"), i32::MAX);
    assert_eq!(remove(b"remove id=0x10"), 16);
}

// ---------------------------------------------------------------------------
// Geometry (zloop_ctl_add's first checks, C15, C16)

#[track_caller]
fn geo(s: &[u8]) -> Result<Geometry, ParseError> {
    geometry(&add(s))
}

#[test]
fn geometry_of_the_defaults() {
    let g = geo(b"add").unwrap();
    assert_eq!(
        g,
        Geometry {
            nr_zones: 64,
            nr_conv_zones: 8,
            zone_shift: 19,
            zone_sectors: 524_288,
            zone_capacity_sectors: 524_288,
            max_open_zones: 0,
            max_active_zones: 0,
        }
    );
    assert_eq!(g.capacity_sectors(), 16384 * 2048);
}

#[test]
fn geometry_rounds_capacity_down_to_whole_zones() {
    let g = geo(b"add capacity_mb=1000,conv_zones=0").unwrap();
    assert_eq!(g.nr_zones, 3);
    assert_eq!(g.capacity_sectors(), 3 * 256 * 2048);
    let g = geo(b"add capacity_mb=1023,zone_size_mb=512,conv_zones=0").unwrap();
    assert_eq!(g.nr_zones, 1);
    let g = geo(b"add capacity_mb=1024,zone_size_mb=512,conv_zones=1").unwrap();
    assert_eq!(g.nr_zones, 2);
    let g = geo(b"add capacity_mb=4294967295,zone_size_mb=1,conv_zones=0").unwrap();
    assert_eq!(g.nr_zones, u32::MAX);
    assert_eq!(g.capacity_sectors(), u64::from(u32::MAX) * 2048);
    let g = geo(b"add capacity_mb=4294967295,zone_size_mb=16384").unwrap();
    assert_eq!(g.nr_zones, 262_143);
}

#[test]
fn c15_conv_zones_must_be_fewer_than_zones() {
    let msg = "invalid number of conventional zones";
    assert_eq!(
        geo(b"add capacity_mb=1024,conv_zones=3")
            .unwrap()
            .nr_conv_zones,
        3
    );
    assert_eq!(
        geo(b"add capacity_mb=1024,conv_zones=4").unwrap_err().msg,
        msg
    );
    assert_eq!(geo(b"add capacity_mb=1024").unwrap_err().msg, msg); // default 8
    assert_eq!(geo(b"add capacity_mb=300").unwrap_err().msg, msg);
    assert_eq!(
        geo(b"add capacity_mb=300,conv_zones=0").unwrap().nr_zones,
        1
    );
    // The default 16 GiB with 8 GiB zones is two zones: fewer than 8.
    assert_eq!(geo(b"add zone_size_mb=8192").unwrap_err().msg, msg);
    let e = geo(b"add conv_zones=4294967295").unwrap_err();
    assert_eq!(e.errno, Errno::Inval);
}

#[test]
fn c16_max_open_zones_at_most_the_sequential_zones() {
    let msg = "invalid maximum number of open zones";
    let g = geo(b"add capacity_mb=1024,conv_zones=1,max_open_zones=3").unwrap();
    assert_eq!((g.nr_zones, g.max_open_zones), (4, 3));
    let e = geo(b"add capacity_mb=1024,conv_zones=1,max_open_zones=4").unwrap_err();
    assert_eq!((e.errno, e.msg), (Errno::Inval, msg));
    assert_eq!(geo(b"add max_open_zones=56").unwrap().max_open_zones, 56);
    assert_eq!(geo(b"add max_open_zones=57").unwrap_err().msg, msg);
    assert_eq!(geo(b"add max_open_zones=4294967295").unwrap_err().msg, msg);
    assert_eq!(geo(b"add max_open_zones=0").unwrap().max_open_zones, 0);
    // The conv check comes first.
    let e = geo(b"add capacity_mb=1024,conv_zones=9,max_open_zones=99").unwrap_err();
    assert_eq!(e.msg, "invalid number of conventional zones");
}

// ---------------------------------------------------------------------------
// max_active_zones (zloop_rs addition; the rules of null_blk)

#[test]
fn max_active_zones_is_a_decimal_uint_like_the_others() {
    assert_eq!(add(b"add max_active_zones=12").max_active_zones, 12);
    assert_eq!(add(b"add max_active_zones=012").max_active_zones, 12);
    assert_eq!(add(b"add max_active_zones=0").max_active_zones, 0);
    assert_eq!(
        add(b"add max_active_zones=4294967295").max_active_zones,
        u32::MAX
    );
    assert_eq!(
        add(b"add max_active_zones=3,max_active_zones=5").max_active_zones,
        5
    );
    for v in [
        "0x10",
        "08",
        "-1",
        "4294967296",
        "1x",
        "000000000000000000000012",
    ] {
        einval(format!("add max_active_zones={v}").as_bytes());
    }
    // the other options are read as before around it
    let o = add(b"add max_open_zones=4,max_active_zones=6,conv_zones=0");
    assert_eq!(
        (o.max_open_zones, o.max_active_zones, o.conv_zones),
        (4, 6, 0)
    );
}

#[test]
fn max_active_zones_below_the_sequential_zones_is_the_limit() {
    // 64 zones, 8 conventional: 56 sequential
    let g = geo(b"add max_active_zones=55").unwrap();
    assert_eq!((g.max_active_zones, g.max_open_zones), (55, 0));
    let g = geo(b"add max_active_zones=1,max_open_zones=0").unwrap();
    assert_eq!((g.max_active_zones, g.max_open_zones), (1, 0));
    let g = geo(b"add capacity_mb=1024,conv_zones=1,max_active_zones=2").unwrap();
    assert_eq!((g.nr_zones, g.max_active_zones), (4, 2));
}

#[test]
fn max_active_zones_of_at_least_the_sequential_zones_is_no_limit() {
    for v in ["56", "57", "1000", "4294967295"] {
        let g = geo(format!("add max_active_zones={v}").as_bytes()).unwrap();
        assert_eq!(g.max_active_zones, 0, "max_active_zones={v}");
    }
    // and then it does not lower max_open_zones either
    let g = geo(b"add max_active_zones=100,max_open_zones=56").unwrap();
    assert_eq!((g.max_active_zones, g.max_open_zones), (0, 56));
    let g = geo(b"add capacity_mb=1024,conv_zones=1,max_active_zones=3").unwrap();
    assert_eq!(g.max_active_zones, 0);
}

#[test]
fn max_open_zones_above_max_active_zones_is_lowered_to_it() {
    let g = geo(b"add max_open_zones=12,max_active_zones=8").unwrap();
    assert_eq!((g.max_open_zones, g.max_active_zones), (8, 8));
    let g = geo(b"add max_open_zones=8,max_active_zones=8").unwrap();
    assert_eq!((g.max_open_zones, g.max_active_zones), (8, 8));
    let g = geo(b"add max_open_zones=4,max_active_zones=8").unwrap();
    assert_eq!((g.max_open_zones, g.max_active_zones), (4, 8));
    // the upstream check of max_open_zones still comes first
    let e = geo(b"add max_open_zones=57,max_active_zones=8").unwrap_err();
    assert_eq!(e.msg, "invalid maximum number of open zones");
    // every accepted pair satisfies the block layer's rule
    for open in 0..=56 {
        for active in [0, 1, 2, 7, 55, 56, 57] {
            let cmd = format!("add max_open_zones={open},max_active_zones={active}");
            let g = geo(cmd.as_bytes()).unwrap();
            assert!(g.max_active_zones < 56, "{cmd}");
            assert!(
                g.max_active_zones == 0 || g.max_open_zones <= g.max_active_zones,
                "{cmd}"
            );
            if g.max_active_zones == 0 {
                assert_eq!(g.max_open_zones, open, "{cmd}");
            }
        }
    }
}

#[test]
fn geometry_zone_shift_and_sectors_for_every_zone_size() {
    for e in 0..=14u32 {
        let z = 1u32 << e;
        let cmd = format!("add capacity_mb={},zone_size_mb={z},conv_zones=1", 2 * z);
        let g = geo(cmd.as_bytes()).unwrap();
        assert_eq!(g.zone_shift, e + 11);
        assert_eq!(g.zone_sectors, u64::from(z) * 2048);
        assert_eq!(g.zone_sectors, 1 << g.zone_shift);
        assert_eq!(g.zone_capacity_sectors, g.zone_sectors);
        assert_eq!(g.nr_zones, 2);
    }
}

#[test]
fn geometry_zone_capacity_in_sectors() {
    let g = geo(b"add zone_capacity_mb=100").unwrap();
    assert_eq!(g.zone_capacity_sectors, 100 * 2048);
    let g = geo(b"add zone_capacity_mb=256").unwrap();
    assert_eq!(g.zone_capacity_sectors, g.zone_sectors);
}

#[test]
fn geometry_rejects_invalid_options_without_panicking() {
    let d = AddOptions::DEFAULT;
    let bad = [
        AddOptions {
            zone_size_mb: 0,
            ..d
        },
        AddOptions {
            zone_size_mb: 3,
            ..d
        },
        AddOptions {
            zone_size_mb: 32768,
            ..d
        },
        AddOptions {
            capacity_mb: 0,
            ..d
        },
        AddOptions {
            capacity_mb: 256,
            ..d
        },
        AddOptions {
            zone_capacity_mb: 512,
            ..d
        },
        AddOptions { nr_queues: 0, ..d },
        AddOptions {
            queue_depth: 0,
            ..d
        },
        AddOptions {
            conv_zones: 64,
            ..d
        },
        AddOptions {
            max_open_zones: 57,
            ..d
        },
    ];
    for o in bad {
        assert_eq!(geometry(&o).unwrap_err().errno, Errno::Inval, "{o:?}");
    }
}

// ---------------------------------------------------------------------------
// Which options a command gave (`AddOptions::given`), and their values as
// numbers (`value`, `set_value`): what the description file builds on.

#[test]
fn given_marks_exactly_the_options_the_command_names() {
    use crate::options::{OptionKey, OPTIONS};
    for s in [&b"add"[..], b"add ", b"add\n", b"add,,\n", b"add\0id=1"] {
        assert_eq!(add(s).given, 0, "{}", show(s));
    }
    let one = [
        ("add id=1", OptionKey::Id),
        ("add id=-1", OptionKey::Id),
        ("add capacity_mb=16384", OptionKey::CapacityMb),
        ("add zone_size_mb=256", OptionKey::ZoneSizeMb),
        ("add zone_capacity_mb=256", OptionKey::ZoneCapacityMb),
        ("add conv_zones=8", OptionKey::ConvZones),
        ("add base_dir=/var/local/zloop", OptionKey::BaseDir),
        ("add nr_queues=1", OptionKey::NrQueues),
        ("add queue_depth=128", OptionKey::QueueDepth),
        ("add buffered_io", OptionKey::BufferedIo),
        ("add zone_append=1", OptionKey::ZoneAppend),
        ("add ordered_zone_append", OptionKey::OrderedZoneAppend),
        ("add discard_write_cache", OptionKey::DiscardWriteCache),
        ("add max_open_zones=0", OptionKey::MaxOpenZones),
        ("add max_active_zones=0", OptionKey::MaxActiveZones),
    ];
    assert_eq!(one.len(), OPTIONS.len() + 1);
    for (s, key) in one {
        let o = add(s.as_bytes());
        // given even with the default value
        assert_eq!(o.given, key.mask(), "{s}");
        assert!(o.is_given(key), "{s}");
        assert_eq!(key.name(), OPTIONS[key as usize].name);
    }
    let o = add(b"add conv_zones=1,conv_zones=2,nr_queues=2\n");
    assert_eq!(
        o.given,
        OptionKey::ConvZones.mask() | OptionKey::NrQueues.mask()
    );
    assert!(!o.is_given(OptionKey::CapacityMb));
}

#[test]
fn option_values_as_numbers_round_trip() {
    use crate::options::{OptionKey, OPTIONS};
    let o = add(
        b"add id=7,capacity_mb=4096,zone_size_mb=128,zone_capacity_mb=100,\
conv_zones=3,base_dir=/tmp/zl,nr_queues=4,queue_depth=64,buffered_io,zone_append=0,\
ordered_zone_append,discard_write_cache,max_open_zones=12",
    );
    let want = [
        None,
        Some(4096),
        Some(128),
        Some(100),
        Some(3),
        None,
        Some(4),
        Some(64),
        Some(1),
        Some(0),
        Some(1),
        Some(1),
        Some(12),
    ];
    let mut d = AddOptions::DEFAULT;
    for (spec, want) in OPTIONS.iter().zip(want) {
        assert_eq!(o.value(spec.key), want, "{}", spec.name);
        if let Some(v) = want {
            d.set_value(spec.key, v);
        }
    }
    // id and base_dir are not numbers: set_value leaves them alone
    d.set_value(OptionKey::Id, 5);
    d.set_value(OptionKey::BaseDir, 5);
    assert_eq!(
        d,
        AddOptions {
            id: None,
            base_dir: DEFAULT_BASE_DIR,
            given: 0,
            ..o
        }
    );
    // a flag is on for any number but 0
    d.set_value(OptionKey::BufferedIo, 7);
    assert_eq!(d.value(OptionKey::BufferedIo), Some(1));
    d.set_value(OptionKey::BufferedIo, 0);
    assert!(!d.buffered_io);
}
