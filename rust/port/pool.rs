// SPDX-License-Identifier: GPL-2.0

//! The allocator's memory in the kernel: three `KVec`s, allocated in process
//! context when a stream is created, never resized.

use crate::dmus::{BufferSlot, ByteCell, EventSlot, Pool, PoolStorage};
use kernel::{prelude::*, sync::Arc};

/// Heap storage for one [`Pool`].
pub(crate) struct KernelStorage {
    events: KVec<EventSlot>,
    buffers: KVec<BufferSlot>,
    bytes: KVec<ByteCell>,
}

// SAFETY: The three `KVec`s are owned, never resized or shared, so each method
// returns the same slices for the value's whole life (a move moves only the
// `KVec` headers); `bytes` holds `buffers * buffer_size` cells (see `new_pool`).
unsafe impl PoolStorage for KernelStorage {
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

/// The pool type the port and the miniport share events through.
pub(crate) type KPool = Arc<Pool<KernelStorage>>;

/// Creates a pool of `events` events and `buffers` buffers of `buffer_size`
/// bytes. Process context. `-ENOMEM` when memory runs out, `-EINVAL` for a
/// `buffer_size` the pool refuses (at most 8 or above 65535).
pub(crate) fn new_pool(events: usize, buffers: usize, buffer_size: usize) -> Result<KPool> {
    let mut storage = KernelStorage {
        events: KVec::with_capacity(events, GFP_KERNEL)?,
        buffers: KVec::with_capacity(buffers, GFP_KERNEL)?,
        bytes: KVec::with_capacity(buffers * buffer_size, GFP_KERNEL)?,
    };
    for _ in 0..events {
        storage.events.push(EventSlot::new(), GFP_KERNEL)?;
    }
    for _ in 0..buffers {
        storage.buffers.push(BufferSlot::new(), GFP_KERNEL)?;
    }
    for _ in 0..buffers * buffer_size {
        storage.bytes.push(ByteCell::new(), GFP_KERNEL)?;
    }
    let pool = Pool::new(storage, buffer_size).map_err(|e| Error::from_errno(e.to_errno()))?;
    Ok(Arc::new(pool, GFP_KERNEL)?)
}
