// SPDX-License-Identifier: GPL-2.0

//! Host crate over the module's pure files. Each file is included unchanged with
//! `#[path]`; they use `core` only, so they compile here exactly as in the kernel.

#![no_std]
#![allow(dead_code)]

#[cfg(test)]
extern crate std;

#[path = "../../options.rs"]
pub mod options;

#[path = "../../zone.rs"]
pub mod zone;

#[path = "../../faults.rs"]
pub mod faults;

#[path = "../../description.rs"]
pub mod description;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod options_tests;

#[cfg(test)]
mod options_proptest;

#[cfg(test)]
mod options_corpus;

#[cfg(test)]
mod options_view_tests;

#[cfg(test)]
mod zone_tests;

#[cfg(test)]
mod zone_proptest;

#[cfg(test)]
mod faults_tests;

#[cfg(test)]
mod faults_proptest;

#[cfg(test)]
mod description_tests;
