// SPDX-License-Identifier: GPL-2.0

//! Host build of the DMus core.
//!
//! The modules are the files of `rust/dmus/`, compiled unchanged (they use only `core`);
//! the kernel module compiles the same files. This crate adds only [`host`], a heap-backed
//! [`PoolStorage`] for tests, benchmarks and fuzzing — the counterpart of the kernel's
//! `KVec`-backed storage.

#![no_std]

extern crate alloc;

#[path = "../../dmus/mod.rs"]
mod dmus;

pub use dmus::*;

pub mod host {
    //! Heap-backed pool storage for the host (tests and fuzzing).

    use alloc::sync::Arc;
    use alloc::vec::Vec;

    use crate::allocator::{BufferSlot, ByteCell, EventSlot, Pool, PoolStorage};
    use crate::error::Error;

    /// Pool storage in three `Vec`s, as the kernel uses three `KVec`s.
    pub struct HostStorage {
        events: Vec<EventSlot>,
        buffers: Vec<BufferSlot>,
        bytes: Vec<ByteCell>,
    }

    impl HostStorage {
        /// Storage for `events` events and `buffers` buffers of `buffer_size` bytes.
        pub fn new(events: usize, buffers: usize, buffer_size: usize) -> Self {
            Self {
                events: (0..events).map(|_| EventSlot::new()).collect(),
                buffers: (0..buffers).map(|_| BufferSlot::new()).collect(),
                bytes: (0..buffers.saturating_mul(buffer_size))
                    .map(|_| ByteCell::new())
                    .collect(),
            }
        }
    }

    // SAFETY: the three `Vec`s are owned by the `HostStorage` and never resized or shared,
    // so every call returns the same heap slices (also after the struct moves), and nothing
    // else can reach them; `bytes` holds `buffers * buffer_size` cells.
    unsafe impl PoolStorage for HostStorage {
        fn event_slots(&self) -> &[EventSlot] {
            &self.events
        }

        fn buffer_slots(&self) -> &[BufferSlot] {
            &self.buffers
        }

        fn buffer_bytes(&self) -> &[ByteCell] {
            &self.bytes
        }
    }

    /// The host pool type.
    pub type HostPool = Pool<HostStorage>;

    /// The host pool reference type (what events carry).
    pub type HostPoolRef = Arc<HostPool>;

    /// A pool of `events` events and `buffers` buffers of `buffer_size` bytes, in an `Arc`.
    ///
    /// Errors: as [`Pool::new`].
    pub fn new_pool(
        events: usize,
        buffers: usize,
        buffer_size: usize,
    ) -> Result<HostPoolRef, Error> {
        Pool::new(HostStorage::new(events, buffers, buffer_size), buffer_size).map(Arc::new)
    }
}
