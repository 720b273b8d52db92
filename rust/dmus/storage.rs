// SPDX-License-Identifier: GPL-2.0

//! The memory a pool is built over: event slots, buffer links and buffer bytes, allocated by
//! the caller on the heap and described by the [`PoolStorage`] contract.
//!
//! The pool (`pool.rs`) is created once, in process context, over this storage (the kernel
//! fills it from `KVec`s sized by module parameters, the host from `Vec`s) and never allocates
//! again. The slots are opaque: only the pool reads or writes them.
//!
//! Source: none in the WDK, whose allocator owns its memory; this contract is the driver's, so
//! that the pure `core` code never allocates.

use core::{
    cell::UnsafeCell,
    sync::atomic::AtomicU32, //
};

use super::layout::{
    EventFields,
    NIL, //
};

/// Storage for one event of a [`Pool`](super::pool::Pool): the free-list/chain link and the
/// event's fields.
///
/// Opaque: only the pool reads or writes it. The caller creates `n` of them with
/// [`EventSlot::new`] (or `Default`) in a heap container and hands them to
/// [`Pool::new`](super::pool::Pool::new) through a [`PoolStorage`]. About 48 bytes each on
/// 64-bit targets.
pub struct EventSlot {
    /// The free-list link while the slot is free, the chain link (`pNextEvt`) while an event
    /// chain or package owns it. Read and written only through the pool.
    pub(super) next: AtomicU32,
    /// The event. Accessed only through the pool's `fields`/`fields_mut`, by the slot's owner.
    pub(super) fields: UnsafeCell<EventFields>,
}

// SAFETY: the only access to `fields` is through the pool's `fields`/`fields_mut`
// (`pool.rs`), by the single owner of the slot: a slot is owned by exactly one handle
// (`DmusKernelEvent`, `EventChain`, or the event whose package holds it) between the free-list
// pop that hands it out and the push that takes it back, and the pop (Acquire) / push
// (Release) pair orders the accesses of successive owners. `next` is atomic.
unsafe impl Sync for EventSlot {}

impl EventSlot {
    /// A fresh, unused slot (its content is overwritten when the pool hands it out).
    pub const fn new() -> Self {
        Self {
            next: AtomicU32::new(NIL),
            fields: UnsafeCell::new(EventFields::EMPTY),
        }
    }
}

impl Default for EventSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// The free-list link of one allocator buffer; one per buffer in a [`PoolStorage`].
pub struct BufferSlot {
    /// The free-list link. Read and written only through the pool.
    pub(super) next: AtomicU32,
}

impl BufferSlot {
    /// A fresh link.
    pub const fn new() -> Self {
        Self {
            next: AtomicU32::new(NIL),
        }
    }
}

impl Default for BufferSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// One byte of buffer memory of a [`Pool`](super::pool::Pool): `buffer_count * buffer_size`
/// of them in a [`PoolStorage`], laid out buffer after buffer.
///
/// `repr(transparent)` over `UnsafeCell<u8>`, so a slice of them has the layout of a slice of
/// `u8`; the pool's `buffer`/`buffer_mut` rely on that.
#[repr(transparent)]
pub struct ByteCell(UnsafeCell<u8>);

// SAFETY: a buffer's bytes are accessed only through the pool's `buffer`/`buffer_mut`
// (`pool.rs`), by the single owner of the buffer (a `Buffer` handle or the event that carries
// it), ordered by the free-list pop/push as for `EventSlot`.
unsafe impl Sync for ByteCell {}

impl ByteCell {
    /// A zero byte.
    pub const fn new() -> Self {
        Self(UnsafeCell::new(0))
    }
}

impl Default for ByteCell {
    fn default() -> Self {
        Self::new()
    }
}

/// The memory a [`Pool`](super::pool::Pool) is built over, allocated by the caller on the
/// heap.
///
/// The kernel implements it for a struct of three `KVec`s, the host for three `Vec`s (see the
/// host crate's `HostStorage`). The pool never resizes it.
///
/// # Safety
///
/// An implementation must guarantee, for as long as the value lives (also after it is moved):
/// - every call of each method returns the same slice (same address and length);
/// - no other `PoolStorage` or `Pool` uses that memory, and nothing else accesses the slots
///   (the pool hands each slot to one owner at a time; a second pool over the same memory
///   would hand it to two);
/// - `buffer_bytes().len() >= buffer_slots().len() * buffer_size` for the `buffer_size`
///   given to [`Pool::new`](super::pool::Pool::new) (checked there too).
///
/// Heap containers such as `Vec<T>`, `KVec<T>` and `KBox<[T]>` owned by the implementing value
/// satisfy the first two; arrays stored inline do not (they move with the value).
pub unsafe trait PoolStorage {
    /// The event slots: the pool holds `event_slots().len()` events.
    fn event_slots(&self) -> &[EventSlot];
    /// One link per buffer: the pool holds `buffer_slots().len()` buffers.
    fn buffer_slots(&self) -> &[BufferSlot];
    /// The buffers' bytes, `buffer_size` bytes per buffer, buffer `i` at `i * buffer_size`.
    fn buffer_bytes(&self) -> &[ByteCell];
}
