// SPDX-License-Identifier: GPL-2.0

//! The binding layer: the only place in zloop_rs that calls raw
//! `kernel::bindings` functions or touches raw pointers.
//!
//! The Rust-for-Linux abstractions of Linux 7.2 do not cover what zloop needs
//! (`.owner` on misc devices and gendisks, zoned gendisks, requests with driver
//! data, sysfs attributes of a gendisk, VFS file I/O, kiocbs over bvecs, owned
//! workqueues, a run-time initialised global lock), so this layer wraps exactly those kernel APIs in
//! small safe types. Kernel inline functions without a Rust binding are
//! reached through the C wrappers of `helpers.c`, declared here. Everything above it (`control`, `device`, `zone`,
//! `options`) is safe Rust. Every `unsafe` block here states its invariant in
//! a `// SAFETY:` comment.

pub(crate) mod blk;
pub(crate) mod global;
pub(crate) mod misc;
pub(crate) mod module;
pub(crate) mod sysfs;
pub(crate) mod vfs;
pub(crate) mod wq;

/// Number of online CPUs (`num_online_cpus()`).
pub(crate) fn online_cpus() -> u32 {
    // SAFETY: `__num_online_cpus` is the kernel's atomic counter of online
    // CPUs; reading it with `atomic_read` is what `num_online_cpus()` does.
    let n =
        unsafe { kernel::bindings::atomic_read(&raw const kernel::bindings::__num_online_cpus) };
    n.max(1) as u32
}

/// Memory available for new allocations without swapping, in bytes (the
/// `MemAvailable` estimate of `/proc/meminfo`, `si_mem_available()`).
pub(crate) fn mem_available() -> u64 {
    // SAFETY: reads the kernel's memory counters; no precondition.
    let pages = unsafe { kernel::bindings::si_mem_available() };
    (pages.max(0) as u64) << kernel::page::PAGE_SHIFT
}

// The C wrappers of `helpers.c` (same module). Each is a plain call of the
// kernel inline function of the same name, with that function's contract.
// (The pointers are to bindgen structs with opaque members, which the
// `improper_ctypes` lint flags; the kernel's own bindings allow it too.)
#[allow(improper_ctypes)]
extern "C" {
    fn zloop_rs_kiocb_start_write(iocb: *mut kernel::bindings::kiocb);
    fn zloop_rs_kiocb_end_write(iocb: *mut kernel::bindings::kiocb);
    fn zloop_rs_should_fake_timeout(rq: *mut kernel::bindings::request) -> bool;
    fn zloop_rs_unlink(
        dir: *mut kernel::bindings::file,
        file: *mut kernel::bindings::file,
    ) -> kernel::ffi::c_int;
    fn zloop_rs_sync_fs(file: *mut kernel::bindings::file) -> kernel::ffi::c_int;
    fn zloop_rs_rename(
        dir: *mut kernel::bindings::file,
        from: *const kernel::ffi::c_char,
        to: *const kernel::ffi::c_char,
    ) -> kernel::ffi::c_int;
    fn zloop_rs_fatal_signal_pending() -> bool;
    fn zloop_rs_misc_name_taken(name: *const kernel::ffi::c_char) -> bool;
}

/// Whether the current task was killed (a fatal signal is pending): a long
/// operation it asked for should stop.
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: reads the current task's pending signals; no precondition.
    unsafe { zloop_rs_fatal_signal_pending() }
}
