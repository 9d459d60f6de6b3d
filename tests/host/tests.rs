// SPDX-License-Identifier: GPL-2.0

//! Unit tests of the pure files.

use crate::options::{ValueKind, CONTROL_TEXT, FIRST_ADDITION, OPTIONS};
use std::format;
use std::string::String;

/// The control text is the option table rendered the way the C driver does.
#[test]
fn control_text_matches_option_table() {
    let mut want = String::from("add ");
    for (i, o) in OPTIONS.iter().enumerate() {
        if i > 0 {
            want.push(',');
        }
        want.push_str(o.name);
        want.push_str(match o.kind {
            ValueKind::Int => "=%d",
            ValueKind::Uint => "=%u",
            ValueKind::Str => "=%s",
            ValueKind::Flag => "",
        });
    }
    want.push_str("\nremove id=%d\n");
    assert_eq!(CONTROL_TEXT, want);
}

/// The text the C zloop of Linux 7.2 and 7.3 prints for `add`, without its
/// newline.
const UPSTREAM_ADD: &str = "add id=%d,capacity_mb=%u,zone_size_mb=%u,zone_capacity_mb=%u,conv_zones=%u,base_dir=%s,nr_queues=%u,queue_depth=%u,buffered_io,zone_append=%u,ordered_zone_append,discard_write_cache,max_open_zones=%u";

/// Byte for byte the upstream text, then the zloop_rs additions at the end
/// of the `add` line, then the upstream `remove` line.
#[test]
fn control_text_is_upstream_text_then_the_additions() {
    assert_eq!(
        CONTROL_TEXT,
        format!("{UPSTREAM_ADD},max_active_zones=%u\nremove id=%d\n")
    );
    assert!(CONTROL_TEXT.starts_with(UPSTREAM_ADD));
    // the additions are exactly the entries from FIRST_ADDITION on
    let upstream = UPSTREAM_ADD.matches(',').count() + 1;
    assert_eq!(FIRST_ADDITION, upstream);
    assert_eq!(OPTIONS[FIRST_ADDITION].name, "max_active_zones");
}
