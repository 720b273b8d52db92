// SPDX-License-Identifier: GPL-2.0

//! Host build of the DLS software-synthesizer engine.
//!
//! The modules are the files of `rust/synth/`, compiled unchanged (they use only `core`); the
//! kernel module compiles the same files. This crate adds only [`writer`], which builds
//! downloads and banks from plain structs (it allocates), for the tests, the fuzzer and a
//! converter from SoundFont banks.

#![no_std]

extern crate alloc;

#[path = "../../mod.rs"]
mod synth;

pub use synth::*;

pub mod writer;
