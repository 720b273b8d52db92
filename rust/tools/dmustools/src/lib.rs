// SPDX-License-Identifier: GPL-2.0
//! Userspace side of the snd-dmus-mpu401 "DMus device": timed MIDI
//! streams in DirectMusic's buffer framing over an ALSA hwdep node.
//!
//! - [`abi`]: the structures and ioctls of `rust/uapi/snd_dmus.h`;
//! - [`smf`]: a Standard MIDI File to events timed in 100 ns units;
//! - [`buffer`]: packing events into `write()` buffers, parsing `read()`
//!   buffers, SysEx reassembly;
//! - [`play`]: which events `dmusplay` writes when;
//! - [`record`]: captured messages to an SMF and a stamps listing;
//! - [`device`]: finding, opening and driving the device.
//!
//! Everything but [`device`] works without the device and is unit-tested.

#![warn(missing_docs)]

pub mod abi;
pub mod buffer;
pub mod device;
pub mod play;
pub mod record;
pub mod smf;
