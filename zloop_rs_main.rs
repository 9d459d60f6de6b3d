// SPDX-License-Identifier: GPL-2.0

//! zloop_rs: the zoned loop block device, in Rust.
//!
//! `/dev/zloop-control` takes the same text commands as the C zloop driver
//! (`drivers/block/zloop.c`): reading it lists the options of `add`, writing
//! `add <options>` creates a host-managed zoned disk `/dev/zloopN` whose zones
//! are regular files under `<base_dir>/<id>/`, and `remove id=N` deletes it.
//!
//! Only one of `zloop` (C) and `zloop_rs` can be loaded at a time: both register
//! the misc device `zloop-control`.

use kernel::prelude::*;

use kapi::misc::OwnedMiscRegistration;

mod control;
mod descfile;
mod description;
mod device;
mod device_sysfs;
mod faults;
mod hooks;
mod kapi;
mod options;
mod zone;

module! {
    type: ZloopModule,
    name: "zloop_rs",
    authors: ["zloop_rs developers"],
    description: "Zoned loopback device (Rust)",
    license: "GPL",
    // `modprobe zloop` loads zloop_rs where the kernel has no C zloop
    // module (a module of that name is found first where it has).
    alias: ["zloop"],
    params: {
        prealloc_mb: u32 {
            default: 4,
            description: "MiB of sequential zone file allocated ahead of writes (fallocate, file size unchanged); 0: off",
        },
    },
}

/// The `prealloc_mb` module parameter (read when a device is added).
pub(crate) fn prealloc_mb() -> u32 {
    // `value()` returns `&u32` up to Linux 7.2 and `u32` from 7.3.
    *core::borrow::Borrow::<u32>::borrow(&module_parameters::prealloc_mb.value())
}

// Up to Linux 7.2 `module!` defines the static `THIS_MODULE` that `kapi`
// uses; from 7.3 it is a constant of the module's `ModuleMetadata`.
#[cfg(zloop_kernel_7_3)]
static THIS_MODULE: ThisModule = <ZloopModule as kernel::ModuleMetadata>::THIS_MODULE;

#[pin_data(PinnedDrop)]
struct ZloopModule {
    #[pin]
    _control: OwnedMiscRegistration<control::ControlFile>,
}

impl kernel::InPlaceModule for ZloopModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _control <- control::register(module),
        })
        .pin_chain(|_| {
            pr_info!("module loaded\n");
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for ZloopModule {
    fn drop(self: Pin<&mut Self>) {
        // No device is live (each pins the module), but a removed one may
        // still be on its way out; then the control device goes.
        control::wait_until_all_gone();
    }
}
