// SPDX-License-Identifier: GPL-2.0

//! A misc device whose file operations name their module (`.owner`).
//!
//! 7.2's `kernel::miscdevice` builds `file_operations` with no `.owner`, so
//! the VFS takes no module reference while such a file is open, and a
//! driver that takes one itself must drop it inside its own `release`, whose
//! last instructions then run after the reference is gone. This registration
//! is `MiscDeviceRegistration` with the same callbacks and one change: it
//! registers a copy of their table with `.owner` set, so `misc_open` takes
//! the reference (`fops_get`) before `open` and `__fput` drops it after
//! `release` has returned, as for every C misc driver.

use core::marker::PhantomData;
use kernel::{
    bindings,
    error::to_result,
    miscdevice::{MiscDevice, MiscDeviceOptions},
    prelude::*,
    types::Opaque,
};

/// A registered misc device `T` owned by this module.
#[pin_data(PinnedDrop)]
pub(crate) struct OwnedMiscRegistration<T: MiscDevice> {
    /// `T`'s file operations with `.owner`; `misc.fops` points here, so it
    /// lives (pinned) as long as the registration.
    fops: bindings::file_operations,
    /// Layout of `MiscDeviceRegistration<T>` (a transparent `Opaque`), which
    /// the callbacks find through the open file's `private_data`.
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    _t: PhantomData<T>,
}

// SAFETY: as for `MiscDeviceRegistration`: `misc_deregister` may run on any
// thread, and nothing else is reached through `&self`.
unsafe impl<T: MiscDevice> Send for OwnedMiscRegistration<T> {}
// SAFETY: as above; the fields are only read after registration.
unsafe impl<T: MiscDevice> Sync for OwnedMiscRegistration<T> {}

impl<T: MiscDevice> OwnedMiscRegistration<T> {
    /// Registers misc device `T` named `name` (dynamic minor, mode 0600),
    /// owned by `module`.
    pub(crate) fn register(
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> impl PinInit<Self, Error> {
        // Another driver (the C zloop) may hold the name: say so and fail,
        // instead of letting sysfs refuse the duplicate with a stack dump.
        // SAFETY: `name` is a NUL-terminated string.
        let taken = unsafe { super::zloop_rs_misc_name_taken(name.as_char_ptr()) };
        let raw = MiscDeviceOptions { name }.into_raw::<T>();
        // SAFETY: `into_raw` points `fops` at `T`'s static vtable.
        let mut fops = unsafe { *raw.fops };
        fops.owner = module.as_ptr();
        try_pin_init!(&this in Self {
            fops,
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                if taken {
                    pr_err!("misc device {} exists already (is the zloop module loaded?)\n", name);
                    return Err(EBUSY);
                }
                let mut raw = raw;
                // SAFETY: `this` is the registration being initialised, whose
                // `fops` field was written above and stays pinned with it.
                raw.fops = unsafe { &raw const (*this.as_ptr()).fops };
                // SAFETY: `slot` is pinned, writable memory for the device;
                // it is deregistered in `drop` before it goes away. Its
                // layout is that of `MiscDeviceRegistration<T>` (see `misc`),
                // which is what the callbacks of `fops` expect.
                unsafe {
                    slot.write(raw);
                    to_result(bindings::misc_register(slot))
                }
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: MiscDevice> PinnedDrop for OwnedMiscRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: the device was registered in `register` (a registration
        // exists only if `misc_register` succeeded) and is deregistered once.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}
