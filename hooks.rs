// SPDX-License-Identifier: GPL-2.0

//! Test-only hooks: delays that widen race windows and injected failures, so
//! that the guest tests can hit on demand what otherwise happens by chance.
//!
//! Compiled in only by `make ZLOOP_TEST_HOOKS=1` (`--cfg zloop_test_hooks`),
//! which the test suite does for the tests that need it; a normal build has
//! none of this: every function below is an empty inline one. In a test
//! build, `/dev/zloop-control` also takes `test <hook>=<value>` commands
//! (see [`set`]).

#[cfg(zloop_test_hooks)]
mod imp {
    use kernel::{
        prelude::*,
        sync::atomic::{Atomic, Relaxed},
        time::{delay::fsleep, Delta},
    };

    /// Milliseconds each zone append's work item sleeps before it runs.
    static APPEND_DELAY_MS: Atomic<u32> = Atomic::new(0);
    /// Number of coming sequential writes or appends to fail as if their
    /// file write had failed.
    static FAIL_WRITES: Atomic<u32> = Atomic::new(0);
    /// Number of coming adds whose disk is not added, as if `add_disk`
    /// had failed (after every zone file was created).
    static FAIL_ADD_DISK: Atomic<u32> = Atomic::new(0);
    /// Milliseconds the release of a control file sleeps after the driver's
    /// part of it (module code still running).
    static RELEASE_DELAY_MS: Atomic<u32> = Atomic::new(0);
    /// Milliseconds a flush sleeps after taking a zone to sync, before the
    /// sync.
    static FLUSH_DELAY_MS: Atomic<u32> = Atomic::new(0);

    fn sleep_ms(ms: &Atomic<u32>) {
        let ms = ms.load(Relaxed);
        if ms != 0 {
            fsleep(Delta::from_millis(i64::from(ms)));
        }
    }

    pub(crate) fn append_delay() {
        sleep_ms(&APPEND_DELAY_MS);
    }

    pub(crate) fn release_delay() {
        sleep_ms(&RELEASE_DELAY_MS);
    }

    pub(crate) fn flush_delay() {
        sleep_ms(&FLUSH_DELAY_MS);
    }

    /// Takes one of the failures counted in `count`, if any is left.
    fn take(count: &Atomic<u32>) -> bool {
        let mut n = count.load(Relaxed);
        while n != 0 {
            match count.cmpxchg(n, n - 1, Relaxed) {
                Ok(_) => return true,
                Err(cur) => n = cur,
            }
        }
        false
    }

    pub(crate) fn take_write_failure() -> bool {
        take(&FAIL_WRITES)
    }

    pub(crate) fn take_add_disk_failure() -> bool {
        take(&FAIL_ADD_DISK)
    }

    /// Sets hook `name` to `value` (`test <name>=<value>`).
    pub(crate) fn set(name: &[u8], value: u32) -> Result {
        match name {
            b"append_delay_ms" => APPEND_DELAY_MS.store(value, Relaxed),
            b"fail_writes" => FAIL_WRITES.store(value, Relaxed),
            b"fail_add_disk" => FAIL_ADD_DISK.store(value, Relaxed),
            b"release_delay_ms" => RELEASE_DELAY_MS.store(value, Relaxed),
            b"flush_delay_ms" => FLUSH_DELAY_MS.store(value, Relaxed),
            _ => return Err(EINVAL),
        }
        pr_info!(
            "test hook {}={}\n",
            core::str::from_utf8(name).unwrap_or("?"),
            value
        );
        Ok(())
    }
}

#[cfg(not(zloop_test_hooks))]
mod imp {
    #[inline(always)]
    pub(crate) fn append_delay() {}

    #[inline(always)]
    pub(crate) fn release_delay() {}

    #[inline(always)]
    pub(crate) fn flush_delay() {}

    #[inline(always)]
    pub(crate) fn take_write_failure() -> bool {
        false
    }

    #[inline(always)]
    pub(crate) fn take_add_disk_failure() -> bool {
        false
    }
}

pub(crate) use imp::*;

/// Handles a `test <hook>=<value>` control command of a test build; `None`
/// when `cmd` is not one (or this is not a test build).
#[cfg(zloop_test_hooks)]
pub(crate) fn control_command(cmd: &[u8]) -> Option<kernel::error::Result> {
    let rest = cmd.strip_prefix(b"test ")?;
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let eq = rest.iter().position(|&c| c == b'=')?;
    let (name, value) = (&rest[..eq], &rest[eq + 1..]);
    let value = core::str::from_utf8(value).ok()?.parse::<u32>().ok()?;
    Some(set(name, value))
}

/// Handles a `test <hook>=<value>` control command of a test build; `None`
/// when `cmd` is not one (or this is not a test build).
#[cfg(not(zloop_test_hooks))]
#[inline(always)]
pub(crate) fn control_command(_cmd: &[u8]) -> Option<kernel::error::Result> {
    None
}
