// SPDX-License-Identifier: GPL-2.0

//! An owned workqueue (`alloc_workqueue` / `destroy_workqueue`), which 7.2's
//! `kernel::workqueue` does not offer (it only has the system queues).

use core::ptr::NonNull;
use kernel::{bindings, ffi::c_int, prelude::*};

/// A workqueue of this module's own; destroying it waits for its work items.
pub(crate) struct Workqueue {
    raw: NonNull<bindings::workqueue_struct>,
}

// SAFETY: workqueues are designed to be used from any thread.
unsafe impl Send for Workqueue {}
// SAFETY: as above; every operation on a workqueue is internally locked.
unsafe impl Sync for Workqueue {}

impl Workqueue {
    /// An unbound, freezable workqueue named `name` that runs at most
    /// `max_active` items at once (clamped by the kernel).
    pub(crate) fn new_unbound(name: &CStr, max_active: u32) -> Result<Self> {
        let flags = bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags_WQ_FREEZABLE;
        let max_active = c_int::try_from(max_active).unwrap_or(c_int::MAX);
        // SAFETY: the format is "%s" with one valid NUL-terminated string
        // argument; the name is copied by the callee.
        let raw = unsafe {
            bindings::alloc_workqueue_noprof(
                c"%s".as_char_ptr(),
                flags,
                max_active,
                name.as_char_ptr(),
            )
        };
        Ok(Workqueue {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// The raw pointer, for queueing work items (`kapi::blk`).
    pub(super) fn as_raw(&self) -> *mut bindings::workqueue_struct {
        self.raw.as_ptr()
    }
}

impl Drop for Workqueue {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `alloc_workqueue` and is destroyed once;
        // `destroy_workqueue` drains the remaining work first.
        unsafe { bindings::destroy_workqueue(self.raw.as_ptr()) };
    }
}
