// SPDX-License-Identifier: GPL-2.0

//! The event model: `DMUS_KERNEL_EVENT` as owned handles, and chains of them.
//!
//! `dmusicks.h` links events through `pNextEvt` and points at long data (`pbData`) or at a
//! package (`pPackageEvt`) with raw pointers; whoever holds the pointer must remember to give
//! every piece back with `IAllocatorMXF::PutMessage`. Here ownership does that bookkeeping:
//!
//! - a [`DmusKernelEvent`] owns one pool slot, its buffer (if the data is longer than
//!   [`INLINE_CAPACITY`]) and its package chain (if it is a package);
//! - an [`EventChain`] owns a list of events linked through the slots' next links (the
//!   intrusive `pNextEvt`), so queueing or splitting a chain never allocates;
//! - dropping either returns everything it owns to the pool.
//!
//! Leaking is possible only with `core::mem::forget`; the tests count the pool after every
//! scenario to catch it.
//!
//! The code lives in one file per concept, and this module re-exports its public names. Each
//! file imports only files listed before it here (and `clock.rs`, `error.rs`), so the imports
//! go one way:
//!
//! - `layout.rs` - the `DMUS_KEF_*` flags and other constants ([`INLINE_CAPACITY`],
//!   [`BYTE_POSITION_NONE`], [`DONT_HOLD_FOR_SEQUENCING`]), and the plain fields a pool slot
//!   stores;
//! - the pool and its buffers: `storage.rs`, `free_list.rs`, `pool.rs`, `buffer.rs` (their
//!   public names are re-exported by [`allocator`](super::allocator));
//! - `event_ref.rs` - read-only views: [`EventRef`] and [`Iter`];
//! - `kernel_event.rs` - the owned [`DmusKernelEvent`], its accessors and its data;
//! - `chain.rs` - [`EventChain`];
//! - `package.rs` - package events: [`DmusKernelEvent::set_package`],
//!   [`DmusKernelEvent::take_package`], [`EventChain::pop_front_unpacked`].
//!
//! The allocator interface (`IAllocatorMXF`, [`allocator`](super::allocator)) sits above them
//! all.
//!
//! Field mapping (`DMUS_KERNEL_EVENT` in `dmusicks.h`):
//!
//! | C field | Rust |
//! |---|---|
//! | `bReserved` | none (reserved, always 0) |
//! | `cbStruct` | none (the Rust type is not a wire structure) |
//! | `cbEvent` | [`DmusKernelEvent::cb_event`] (bytes) |
//! | `usChannelGroup` | [`DmusKernelEvent::channel_group`] (1-based) |
//! | `usFlags` | [`DmusKernelEvent::flags`] (`DMUS_KEF_*`) |
//! | `ullPresTime100ns` | [`DmusKernelEvent::pres_time`] (100 ns) |
//! | `ullBytePosition` | [`DmusKernelEvent::byte_position`] ([`BYTE_POSITION_NONE`]) |
//! | `pNextEvt` | the link inside [`EventChain`] |
//! | `uData.abData` / `pbData` | [`DmusKernelEvent::data`] (inline or an allocator buffer) |
//! | `uData.pPackageEvt` | [`DmusKernelEvent::set_package`] / [`DmusKernelEvent::take_package`] |
//! | (Rust only) | [`DmusKernelEvent::running_status`] |
//!
//! Source: WDK `DMUS_KERNEL_EVENT` structure (dmusicks.h).

pub use super::{
    chain::EventChain,
    event_ref::{
        EventRef,
        Iter, //
    },
    kernel_event::DmusKernelEvent,
    layout::{
        BYTE_POSITION_NONE,
        DMUS_KEF_EVENT_COMPLETE,
        DMUS_KEF_EVENT_INCOMPLETE,
        DMUS_KEF_PACKAGE_EVENT,
        DONT_HOLD_FOR_SEQUENCING,
        INLINE_CAPACITY, //
    },
};
