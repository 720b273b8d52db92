// SPDX-License-Identifier: GPL-2.0

//! An allocator buffer as an owned handle: the `PBYTE` that `IAllocatorMXF::GetBuffer` hands
//! out and `PutBuffer` takes back.
//!
//! Source: WDK `IAllocatorMXF::GetBuffer`, `IAllocatorMXF::PutBuffer` (dmusicks.h).

use core::fmt;

use super::{
    layout::NIL,
    pool::PoolRef, //
};

/// An allocator buffer (`PBYTE` from `IAllocatorMXF::GetBuffer`), owned.
///
/// Holds `buffer_size` bytes. Dropping it (or
/// [`AllocatorMxf::put_buffer`](super::allocator::AllocatorMxf::put_buffer)) returns it to the
/// pool; attaching it to an event with
/// [`DmusKernelEvent::attach_buffer`](super::kernel_event::DmusKernelEvent::attach_buffer)
/// moves it into the event, which returns it when the event is returned.
pub struct Buffer<P: PoolRef> {
    pool: P,
    /// The buffer; `NIL` once ownership moved elsewhere (then `Drop` does nothing).
    idx: u32,
}

impl<P: PoolRef> Buffer<P> {
    /// A handle owning buffer `idx` of `pool`.
    ///
    /// # Safety
    ///
    /// The caller gives up ownership of buffer `idx` to the new handle: no free list, other
    /// handle or event holds it (it was just popped from the pool's free list).
    pub(super) unsafe fn from_index(pool: P, idx: u32) -> Self {
        // INVARIANT: by the caller's promise this handle is the buffer's only owner.
        Self { pool, idx }
    }

    /// The pool this buffer belongs to.
    pub fn pool(&self) -> &P {
        &self.pool
    }

    /// The buffer's bytes (`buffer_size` of them).
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: this handle owns the buffer (see `from_index`) and is borrowed shared for
        // the result's lifetime.
        unsafe { self.pool.buffer(self.idx) }.unwrap_or(&[])
    }

    /// The buffer's bytes, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: this handle owns the buffer (see `from_index`) and is borrowed mutably for
        // the result's lifetime.
        unsafe { self.pool.buffer_mut(self.idx) }.unwrap_or(&mut [])
    }

    /// Gives up the buffer index to a new owner (an event's payload).
    pub(super) fn into_index(mut self) -> u32 {
        core::mem::replace(&mut self.idx, NIL)
    }
}

impl<P: PoolRef> Drop for Buffer<P> {
    fn drop(&mut self) {
        if self.idx != NIL {
            self.pool.free_buffer(self.idx);
        }
    }
}

impl<P: PoolRef> fmt::Debug for Buffer<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer").field("index", &self.idx).finish()
    }
}
