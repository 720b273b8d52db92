// SPDX-License-Identifier: GPL-2.0

//! A DLS Level 1 software synthesizer in integer Rust: the engine of the DMus synth miniport
//! (`ISynthSinkDMus`), at the feature level of the WDK's `ddksynth` sample.
//!
//! Instruments arrive as DirectMusic kernel downloads (`DMUS_DOWNLOADINFO` + offset table +
//! chunks, `dmdls.h`), validated here without copying; a [`Bank`] carries many downloads in one
//! firmware file. [`Synth`] plays MIDI channel messages on them and renders interleaved stereo
//! S16 at a chosen rate.
//!
//! These files use only `core`: no allocation, no floating point (the kernel's Rust target has
//! none), no `unsafe`. The kernel module and the host crate (`rust/synth/host/`, `cargo test -p
//! dmus-synth`) compile the very same files. One concept per file; imports go one way, each
//! file importing only files listed before it:
//! - [`error`] - the error enum of parsing and of the engine.
//! - `le` - little-endian reads that never panic.
//! - [`layout`] - the download format's codes, sizes and field offsets (`dmdls.h`, `dls1.h`).
//! - [`fixed`] - integer math: cents, timecents, centibels, sine; tables built by `const fn`.
//! - [`articulation`] - DLS Level 1 articulation: `DMUS_ARTICPARAMS` and connection lists.
//! - [`region`] - `DMUS_REGION`: key range, wave link, sample and loop.
//! - [`wave`] - `DMUS_WAVE` + `DMUS_WAVEDATA`: mono 8/16-bit PCM.
//! - [`download`] - one download: validation, and views of its instrument or wave.
//! - [`bank`] - the `DMBK` container of many downloads, and lookups by patch and by id.
//! - [`builtin`] - a bank built into the module: sine, square, saw, click drum.
//! - `lookup` - a cache of a bank's instrument and wave records, so a note-on does not scan.
//! - `params` - articulation converted to the engine's units at the output rate, clamped.
//! - `envelope` - the volume and pitch envelopes and the LFO, as functions of time.
//! - `channel` - the state of one MIDI channel: program, controllers, RPN.
//! - `voice` - one playing note: control update and the mixer.
//! - `resolve` - a note-on against the bank: instrument fallbacks, region, wave.
//! - [`engine`] - [`Synth`]: MIDI, voice allocation and stealing, rendering.

pub mod articulation;
pub mod bank;
pub mod builtin;
mod channel;
pub mod download;
pub mod engine;
mod envelope;
pub mod error;
pub mod fixed;
pub mod layout;
mod le;
mod lookup;
mod params;
pub mod region;
mod resolve;
mod voice;
pub mod wave;

pub use articulation::{
    Articulation,
    LfoParams,
    PegParams,
    VegParams, //
};
pub use bank::{
    Bank,
    OwnedBank, //
};
pub use download::{
    Download,
    Instrument,
    Regions, //
};
pub use engine::{
    Synth,
    SynthStats,
    VoiceInfo,
    VoiceState, //
};
pub use error::Error;
pub use region::{
    Region,
    WaveLink,
    WaveLoop, //
};
pub use wave::{
    Wave,
    WaveFormat, //
};
