// SPDX-License-Identifier: GPL-2.0

//! The DirectMusic kernel driver model ("DMus", `dmusicks.h`) as pure Rust.
//!
//! Contracts (traits) of the port driver and the miniport, the event model, and the logic of
//! the port driver that Windows keeps closed: allocator, capture-sink parser, wire packer,
//! user-buffer unpacker and sequencer. These files use only `core`: the kernel module and the
//! host test crate compile the very same files. See `Documentation/dmus-model.rst`.
//!
//! One concept per file. Imports go one way: each file imports only files listed before it.
//! - [`error`] - the error enum and its errno mapping.
//! - [`clock`] - reference time (100 ns) and `IMasterClock`.
//! - `layout` - `DMUS_KERNEL_EVENT` as plain data: the `DMUS_KEF_*` flags and other
//!   constants, the fields a pool slot stores.
//! - `storage` - the memory a pool is built over: `PoolStorage` and its slots.
//! - `free_list` - the pool's lock-free free lists (tagged Treiber stacks).
//! - `pool` - the fixed pool of events and buffers, and its slot primitives.
//! - `buffer` - an allocator buffer as an owned handle.
//! - `event_ref` - read-only views of events: `EventRef`, `Iter`.
//! - `kernel_event` - one owned event, `DmusKernelEvent`: accessors and data.
//! - `chain` - `EventChain`: events linked through `pNextEvt`.
//! - `package` - package events (`DMUS_KEF_PACKAGE_EVENT`).
//! - [`event`] - the event model's public names and field mapping (re-exports only).
//! - [`allocator`] - `IAllocatorMXF`, and the pool's public names.
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
//!
//! The files without a link are private; their public names are re-exported by [`event`],
//! [`allocator`] and this module.

pub mod allocator;
mod buffer;
mod chain;
pub mod clock;
pub mod error;
pub mod event;
mod event_ref;
mod free_list;
mod kernel_event;
mod layout;
pub mod miniport;
pub mod mxf;
mod package;
pub mod packer;
pub mod parser;
mod pool;
pub mod port;
pub mod sequencer;
pub mod service;
mod storage;
pub mod stream_buffer;
pub mod synth;
pub mod unpacker;

pub use allocator::{
    AllocatorMxf,
    Buffer,
    BufferSlot,
    ByteCell,
    EventSlot,
    Pool,
    PoolRef,
    PoolStats,
    PoolStorage, //
};
pub use clock::{
    MasterClock,
    ReferenceTime, //
};
pub use error::Error;
pub use event::{
    DmusKernelEvent,
    EventChain,
    EventRef,
    BYTE_POSITION_NONE,
    DMUS_KEF_EVENT_COMPLETE,
    DMUS_KEF_EVENT_INCOMPLETE,
    DMUS_KEF_PACKAGE_EVENT,
    INLINE_CAPACITY, //
};
pub use miniport::{
    DmusStreamType,
    MiniportDMus,
    NewStream, //
};
pub use mxf::{
    Disposition,
    KsState,
    Mxf, //
};
pub use packer::{
    Packer,
    RunningStatus, //
};
pub use parser::{
    Parser,
    ParserStats, //
};
pub use port::PortDMus;
pub use sequencer::{
    Sequencer,
    SortedChain, //
};
pub use service::{
    ServiceGroup,
    ServiceSink, //
};
pub use synth::{
    SampleClock,
    SampleCounter,
    SynthSinkDMus, //
};
