// SPDX-License-Identifier: GPL-2.0

//! The DirectMusic kernel driver model ("DMus", `dmusicks.h`) as pure Rust.
//!
//! Contracts (traits) of the port driver and the miniport, the event model, and the logic of
//! the port driver that Windows keeps closed: allocator, capture-sink parser, wire packer,
//! user-buffer unpacker and sequencer. These files use only `core`: the kernel module and the
//! host test crate compile the very same files. See `Documentation/dmus-model.rst`.
//!
//! One concept per file:
//! - [`error`] - the error enum and its errno mapping.
//! - [`clock`] - reference time (100 ns) and `IMasterClock`.
//! - [`event`] - `DMUS_KERNEL_EVENT`, its flags, chains.
//! - [`allocator`] - `IAllocatorMXF`, the lock-free pool.
//! - [`mxf`] - `IMXF`, `KSSTATE`.
//! - [`service`] - `IServiceSink`, `IServiceGroup`.
//! - [`port`] - `IPortDMus`.
//! - [`miniport`] - `IMiniportDMus`, `DMUS_STREAM_TYPE`.
//! - [`synth`] - `ISynthSinkDMus` and sample/reference-time conversion.
//! - [`parser`] - the capture sink: raw MIDI bytes to events.
//! - [`packer`] - events to raw MIDI bytes for the wire.
//! - [`unpacker`] - `DMUS_EVENTHEADER` user buffers to events.
//! - [`sequencer`] - events ordered by presentation time.
//! - [`stream_buffer`] - the DMus device's write checks and read buffers.

pub mod allocator;
pub mod clock;
pub mod error;
pub mod event;
pub mod miniport;
pub mod mxf;
pub mod packer;
pub mod parser;
pub mod port;
pub mod sequencer;
pub mod service;
pub mod stream_buffer;
pub mod synth;
pub mod unpacker;

pub use allocator::{
    AllocatorMxf, Buffer, BufferSlot, ByteCell, EventSlot, Pool, PoolRef, PoolStats, PoolStorage,
};
pub use clock::{MasterClock, ReferenceTime};
pub use error::Error;
pub use event::{
    DmusKernelEvent, EventChain, EventRef, BYTE_POSITION_NONE, DMUS_KEF_EVENT_COMPLETE,
    DMUS_KEF_EVENT_INCOMPLETE, DMUS_KEF_PACKAGE_EVENT, INLINE_CAPACITY,
};
pub use miniport::{DmusStreamType, MiniportDMus, NewStream};
pub use mxf::{Disposition, KsState, Mxf};
pub use packer::{Packer, RunningStatus};
pub use parser::{Parser, ParserStats};
pub use port::PortDMus;
pub use sequencer::Sequencer;
pub use service::{ServiceGroup, ServiceSink};
pub use synth::{SampleClock, SynthSinkDMus};
