// SPDX-License-Identifier: GPL-2.0

//! The binding layer: the only place in zloop_rs that calls raw
//! `kernel::bindings` functions or touches raw pointers.
//!
//! The Rust-for-Linux abstractions of Linux 7.2 do not cover what zloop needs
//! (module references beyond `.owner`, zoned gendisks, VFS file I/O, kiocbs over
//! bvecs, owned workqueues), so this layer wraps exactly those kernel APIs in
//! small safe types. Everything above it (`control`, `zone`, the device code) is
//! safe Rust. Every `unsafe` block here states its invariant in a `// SAFETY:`
//! comment.

pub(crate) mod module;
