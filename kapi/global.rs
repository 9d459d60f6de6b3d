// SPDX-License-Identifier: GPL-2.0

//! The module's table of devices, behind one global mutex (the C driver's
//! `zloop_ctl_mutex` + IDR).
//!
//! A global lock must be initialised at run time before its first use; this
//! file does that once, from module init, and hands the lock out only after.

use core::ops::DerefMut;
use kernel::{
    prelude::*,
    sync::atomic::{Acquire, AtomicFlag, Full, Release},
};

use crate::control::Devices;

kernel::sync::global_lock! {
    // SAFETY: `init` initialises it, once, before `devices` returns it.
    unsafe(uninit) static DEVICES: Mutex<Devices> = Devices::new();
}

static STARTED: AtomicFlag = AtomicFlag::new(false);
static READY: AtomicFlag = AtomicFlag::new(false);

/// Initialises the device table lock. Called from module init; later calls
/// do nothing.
pub(crate) fn init() {
    if STARTED.xchg(true, Full) {
        return;
    }
    // SAFETY: `STARTED` makes this the only call, and nobody can lock the
    // lock before `READY` is set below.
    unsafe { DEVICES.init() };
    READY.store(true, Release);
}

/// Locks the device table (ENODEV before `init`).
pub(crate) fn devices() -> Result<impl DerefMut<Target = Devices>> {
    if !READY.load(Acquire) {
        return Err(ENODEV);
    }
    Ok(DEVICES.lock())
}
