// SPDX-License-Identifier: GPL-2.0

//! Fuzzes the control command parser (`options.rs`).
//!
//! Run from the repository root with
//! `cargo +nightly fuzz run --fuzz-dir tests/fuzz parse_command`.
//!
//! Checks that the parser never panics, that it fails only with `ENOMEM` (for
//! writes longer than a page) or `EINVAL`, that accepted `add` options pass
//! the parser's checks, and that rendering them back into a canonical command
//! parses to the same options.

#![no_main]

#[path = "../../../options.rs"]
#[allow(dead_code)]
mod options;

use libfuzzer_sys::fuzz_target;
use options::{geometry, parse_command, AddOptions, Command, Errno, MAX_ZONE_SIZE_MB};

const PAGE: usize = 4096;

/// A canonical `add` command for `o`.
fn render(o: &AddOptions<'_>) -> Vec<u8> {
    let id = o.id.map_or(-1, i64::from);
    let mut s = format!(
        "add id={id},capacity_mb={},zone_size_mb={},conv_zones={},nr_queues={},\
         queue_depth={},zone_append={},max_open_zones={},max_active_zones={}",
        o.capacity_mb,
        o.zone_size_mb,
        o.conv_zones,
        o.nr_queues,
        o.queue_depth,
        u8::from(o.zone_append),
        o.max_open_zones,
        o.max_active_zones,
    )
    .into_bytes();
    if o.zone_capacity_mb != 0 {
        s.extend_from_slice(format!(",zone_capacity_mb={}", o.zone_capacity_mb).as_bytes());
    }
    for (set, name) in [
        (o.buffered_io, ",buffered_io"),
        (o.ordered_zone_append, ",ordered_zone_append"),
        (o.discard_write_cache, ",discard_write_cache"),
    ] {
        if set {
            s.extend_from_slice(name.as_bytes());
        }
    }
    s.extend_from_slice(b",base_dir=");
    s.extend_from_slice(o.base_dir);
    s.push(b'\n');
    s
}

fuzz_target!(|data: &[u8]| {
    match parse_command(data, PAGE) {
        Err(e) => {
            assert!(!e.msg.is_empty());
            let want = if data.len() > PAGE {
                Errno::NoMem
            } else {
                Errno::Inval
            };
            assert_eq!(e.errno, want);
        }
        Ok(Command::Remove { .. }) => assert!(data.starts_with(b"remove")),
        Ok(Command::Add(o)) => {
            assert!(data.starts_with(b"add"));
            assert!(o.capacity_mb > o.zone_size_mb);
            assert!(o.zone_size_mb.is_power_of_two() && o.zone_size_mb <= MAX_ZONE_SIZE_MB);
            assert!(o.zone_capacity_mb <= o.zone_size_mb);
            assert!(o.nr_queues > 0 && o.queue_depth > 0);
            assert!(!o.base_dir.is_empty());
            let _ = geometry(&o);
            let again = render(&o);
            if again.len() <= PAGE {
                // `render` gives every option but `zone_capacity_mb` and the
                // flags that are off
                let got = match parse_command(&again, PAGE) {
                    Ok(Command::Add(g)) => g,
                    r => panic!("rendered back: {r:?}"),
                };
                assert_eq!(
                    AddOptions {
                        given: o.given,
                        ..got
                    },
                    o
                );
            }
        }
    }
});
