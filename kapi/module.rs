// SPDX-License-Identifier: GPL-2.0

//! Module references held by the driver itself: a live device pins the
//! module from `add` to `remove`, as the C zloop's `__module_get` /
//! `module_put` do. (Open files and block devices are pinned by the kernel
//! through `.owner`, see `kapi::misc` and `kapi::blk`.)

use kernel::{bindings, prelude::*};

/// A counted reference on this module: while one exists, `rmmod` fails with
/// EBUSY. Drop it only where module code keeps running under another
/// reference (e.g. in a write to the control file, which `.owner` pins).
pub(crate) struct ModuleRef(());

impl ModuleRef {
    /// Takes a reference, or fails with ENODEV if the module is being unloaded.
    pub(crate) fn try_get() -> Result<Self> {
        // SAFETY: `THIS_MODULE` is this module's `struct module` (or NULL when
        // built in), which is valid for the module's whole lifetime;
        // `try_module_get` accepts both.
        if unsafe { bindings::try_module_get(crate::THIS_MODULE.as_ptr()) } {
            Ok(ModuleRef(()))
        } else {
            Err(ENODEV)
        }
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: `self` owns one reference taken by `try_get`, dropped exactly
        // once here.
        unsafe { bindings::module_put(crate::THIS_MODULE.as_ptr()) };
    }
}
