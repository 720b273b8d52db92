// SPDX-License-Identifier: GPL-2.0

//! The event allocator (`IAllocatorMXF`): where events and buffers come from and go back to.
//!
//! The allocator is the interface; the fixed, lock-free pool of events and buffers behind it
//! is in `pool.rs` (over the caller's `storage.rs`, with the free lists of `free_list.rs`),
//! the handles it hands out in `kernel_event.rs`, `buffer.rs` and `chain.rs`. Every
//! [`PoolRef`] (an `Arc<Pool<_>>` in the kernel, an `Arc` or a plain `&Pool` on the host) is an
//! [`AllocatorMxf`]. Running out is a defined outcome: `get_message`/`get_buffer` return
//! [`Error::NoMemory`] and the pool counts the failure in [`PoolStats`].
//!
//! This module also re-exports the public names of the pool ([`Pool`], [`PoolStats`],
//! [`PoolRef`], [`PoolStorage`] and its slots, [`Buffer`]): the rest of the driver names them
//! by these paths.
//!
//! Source: WDK `IAllocatorMXF` (dmusicks.h) and "Allocator" in the WDK audio documentation
//! ("The allocator gets created with empty DMUS_KERNEL_EVENT structures in the pool so that it
//! never starts out empty").

pub(super) use super::pool::same_pool;
pub use super::{
    buffer::Buffer,
    pool::{
        Pool,
        PoolRef,
        PoolStats, //
    },
    storage::{
        BufferSlot,
        ByteCell,
        EventSlot,
        PoolStorage, //
    },
};
use super::{
    chain::EventChain,
    error::Error,
    kernel_event::DmusKernelEvent, //
};

/// `IAllocatorMXF` of `dmusicks.h`: where events and buffers come from and go back to.
///
/// Implemented for every [`PoolRef`] (so an `Arc<Pool<S>>` is an allocator). All methods are
/// lock-free and never sleep.
///
/// Context: any — hard IRQ, softirq, process.
///
/// Source: WDK `IAllocatorMXF::GetMessage`, `GetBuffer`, `GetBufferSize`, `PutBuffer`, and
/// `IMXF::PutMessage` as implemented by the allocator (dmusicks.h).
pub trait AllocatorMxf {
    /// The pool reference events of this allocator carry.
    type Pool: PoolRef;

    /// `GetMessage`: a fresh event: `cb_event` 0, channel group 1, flags
    /// `DMUS_KEF_EVENT_COMPLETE`, `pres_time` 0, `byte_position` `BYTE_POSITION_NONE`, not
    /// running status, no next event.
    ///
    /// Errors: [`Error::NoMemory`] (`-ENOMEM`) when no event is free; the failure is counted
    /// in [`PoolStats::message_exhausted`].
    fn get_message(&self) -> Result<DmusKernelEvent<Self::Pool>, Error>;

    /// `GetBuffer`: a buffer of [`get_buffer_size`](Self::get_buffer_size) bytes.
    ///
    /// Errors: [`Error::NoMemory`] (`-ENOMEM`) when no buffer is free; counted in
    /// [`PoolStats::buffer_exhausted`].
    fn get_buffer(&self) -> Result<Buffer<Self::Pool>, Error>;

    /// `GetBufferSize`: bytes per buffer (a `USHORT` on Windows too).
    fn get_buffer_size(&self) -> u16;

    /// `PutBuffer`: gives a buffer back (the same as dropping it).
    fn put_buffer(&self, buffer: Buffer<Self::Pool>);

    /// `IMXF::PutMessage` on the allocator: takes back a whole chain, with every event's
    /// buffer and every package member (the same as dropping the chain). Unlike ReactOS's
    /// `PutMessage`, which freed only the head event, nothing leaks.
    fn put_message(&self, chain: EventChain<Self::Pool>);
}

impl<P: PoolRef> AllocatorMxf for P {
    type Pool = P;

    fn get_message(&self) -> Result<DmusKernelEvent<P>, Error> {
        let idx = self.alloc_event().ok_or(Error::NoMemory)?;
        // SAFETY: `alloc_event` popped slot `idx` from the free list, so this context is its
        // only owner; it hands that ownership to the new handle.
        Ok(unsafe { DmusKernelEvent::from_index(self.clone(), idx) })
    }

    fn get_buffer(&self) -> Result<Buffer<P>, Error> {
        let idx = self.alloc_buffer().ok_or(Error::NoMemory)?;
        // SAFETY: `alloc_buffer` popped buffer `idx` from the free list, so this context is
        // its only owner; it hands that ownership to the new handle.
        Ok(unsafe { Buffer::from_index(self.clone(), idx) })
    }

    fn get_buffer_size(&self) -> u16 {
        self.buffer_size_ushort()
    }

    fn put_buffer(&self, buffer: Buffer<P>) {
        drop(buffer);
    }

    fn put_message(&self, chain: EventChain<P>) {
        drop(chain);
    }
}
