// SPDX-License-Identifier: GPL-2.0
//! `midicmp`: compares a Standard MIDI File played through the
//! snd-dmus-mpu401 loopback cable (`aplaymidi`) with what was recorded from
//! it (`arecordmidi`), and dumps a file's MIDI wire bytes.
//!
//! The pipeline is: [`smf`] reads the file with `midly` and merges its
//! tracks into timed wire-byte chunks; [`wire`] receives those bytes as a
//! MIDI device would; [`compare`] normalises (see its rules N1..N5),
//! diffs per channel with [`diff`] and measures timing.
//!
//! The timing checks `sched` and `stamps` ([`sched`]) work on the virtual
//! MPU-401's debugfs wire log and on capture stamps ([`wirelog`]).

pub mod compare;
pub mod diff;
pub mod report;
pub mod sched;
pub mod smf;
pub mod wire;
pub mod wirelog;
