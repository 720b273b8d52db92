// SPDX-License-Identifier: GPL-2.0

//! The event pool: a fixed, lock-free pool of events and buffers, and the slot-level
//! primitives the handles build on.
//!
//! The pool is created once, in process context, over storage the caller allocated on the
//! heap (a [`PoolStorage`], `storage.rs`), and never allocates again. Getting and returning an
//! event or a buffer is O(1) and lock-free: each has a free list (`free_list.rs`, a tagged
//! Treiber stack). Nothing spins waiting for another context, so the pool is safe to use from
//! hard IRQ, softirq and process context at once, on any CPU.
//!
//! Events and buffers are handed out as owning handles (`DmusKernelEvent`, `Buffer`,
//! `EventChain`) that hold a clone of the pool reference `P` (a [`PoolRef`]: a
//! `kernel::sync::Arc<Pool<_>>` in the kernel, a `std::sync::Arc` or a plain `&Pool` on the
//! host) and give their slots back when dropped. Running out is a defined outcome: the
//! allocator's `get_message`/`get_buffer` return [`Error::NoMemory`] and the pool counts the
//! failure in [`PoolStats`].
//!
//! Source: "Allocator" in the WDK audio documentation ("The allocator gets created with empty
//! DMUS_KERNEL_EVENT structures in the pool so that it never starts out empty"); the interface
//! on top is `IAllocatorMXF` (dmusicks.h), in `allocator.rs`.

use core::{
    cell::UnsafeCell,
    fmt,
    ops::Deref,
    sync::atomic::{
        AtomicU32,
        AtomicUsize,
        Ordering, //
    },
};

use super::{
    error::Error,
    free_list::FreeList,
    layout::{
        EventFields,
        Payload,
        INLINE_CAPACITY,
        NIL, //
    },
    storage::{
        ByteCell,
        PoolStorage, //
    },
};

/// A shared reference to a [`Pool`] that events carry to find their way home.
///
/// Implemented for every `Clone + Deref<Target = Pool<S>>`: `kernel::sync::Arc<Pool<S>>`,
/// `std::sync::Arc<Pool<S>>`, and `&Pool<S>`. Every event, buffer and chain handle holds one
/// clone (an atomic reference-count increment for an `Arc`).
pub trait PoolRef: Clone + Deref<Target = Pool<Self::Storage>> {
    /// The storage type of the pool.
    type Storage: PoolStorage;
}

impl<S: PoolStorage, P: Clone + Deref<Target = Pool<S>>> PoolRef for P {
    type Storage = S;
}

/// Whether two pool references name the same pool.
pub(super) fn same_pool<P: PoolRef>(a: &P, b: &P) -> bool {
    core::ptr::eq::<Pool<P::Storage>>(&**a, &**b)
}

/// Counters of a [`Pool`], read with [`Pool::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Events in the pool.
    pub events: usize,
    /// Events now free.
    pub free_events: usize,
    /// Buffers in the pool.
    pub buffers: usize,
    /// Buffers now free.
    pub free_buffers: usize,
    /// Bytes per buffer (`GetBufferSize`).
    pub buffer_size: usize,
    /// `get_message` calls that found no free event.
    pub message_exhausted: usize,
    /// `get_buffer` calls (direct, or through an event growing past its inline bytes) that
    /// found no free buffer.
    pub buffer_exhausted: usize,
}

/// The fixed pool of events and buffers behind an
/// [`AllocatorMxf`](super::allocator::AllocatorMxf).
///
/// Created once with [`Pool::new`] and shared through a [`PoolRef`] (`Arc`). All methods
/// take `&self` and are lock-free; see the module documentation.
pub struct Pool<S: PoolStorage> {
    storage: S,
    event_count: u32,
    buffer_count: u32,
    buffer_size: u16,
    free_events: FreeList,
    free_buffers: FreeList,
    message_exhausted: AtomicUsize,
    buffer_exhausted: AtomicUsize,
}

impl<S: PoolStorage> Pool<S> {
    /// Builds a pool over `storage`, with buffers of `buffer_size` bytes.
    ///
    /// The pool holds `storage.event_slots().len()` events and
    /// `storage.buffer_slots().len()` buffers, all free. Runs in O(events + buffers), in
    /// process context; never allocates.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) if `buffer_size` is not in
    /// `INLINE_CAPACITY + 1 ..= 65535` (a buffer must hold more than the inline bytes, and
    /// `GetBufferSize` returns a `USHORT`), if there are `u32::MAX` or more events or buffers,
    /// or if `buffer_bytes()` is shorter than `buffers * buffer_size`.
    pub fn new(storage: S, buffer_size: usize) -> Result<Self, Error> {
        if buffer_size <= INLINE_CAPACITY {
            return Err(Error::InvalidArgument);
        }
        let size = u16::try_from(buffer_size).map_err(|_| Error::InvalidArgument)?;
        let events = storage.event_slots();
        let buffers = storage.buffer_slots();
        let event_count = u32::try_from(events.len())
            .ok()
            .filter(|&n| n < NIL)
            .ok_or(Error::InvalidArgument)?;
        let buffer_count = u32::try_from(buffers.len())
            .ok()
            .filter(|&n| n < NIL)
            .ok_or(Error::InvalidArgument)?;
        let needed = buffers
            .len()
            .checked_mul(buffer_size)
            .ok_or(Error::InvalidArgument)?;
        if storage.buffer_bytes().len() < needed {
            return Err(Error::InvalidArgument);
        }

        let pool = Self {
            event_count,
            buffer_count,
            buffer_size: size,
            free_events: FreeList::new(),
            free_buffers: FreeList::new(),
            message_exhausted: AtomicUsize::new(0),
            buffer_exhausted: AtomicUsize::new(0),
            storage,
        };
        // Chain every slot into its free list: 0 -> 1 -> ... -> n-1.
        // INVARIANT: every event and every buffer starts on its free list, owned by nobody
        // else; from here on a slot has one owner at a time (the list or one handle).
        let events = pool.storage.event_slots();
        for (i, slot) in (0u32..).zip(events.iter()) {
            let next = if i + 1 < event_count { i + 1 } else { NIL };
            slot.next.store(next, Ordering::Relaxed);
        }
        if let Some(last) = events.last() {
            pool.free_events.push_list(0, &last.next, events.len());
        }
        let buffers = pool.storage.buffer_slots();
        for (i, slot) in (0u32..).zip(buffers.iter()) {
            let next = if i + 1 < buffer_count { i + 1 } else { NIL };
            slot.next.store(next, Ordering::Relaxed);
        }
        if let Some(last) = buffers.last() {
            pool.free_buffers.push_list(0, &last.next, buffers.len());
        }
        Ok(pool)
    }

    /// Bytes per buffer (`IAllocatorMXF::GetBufferSize`); also the longest event data one
    /// event can carry.
    pub fn buffer_size(&self) -> usize {
        usize::from(self.buffer_size)
    }

    /// Number of events the pool was created with.
    pub fn event_count(&self) -> usize {
        self.event_count as usize
    }

    /// Number of buffers the pool was created with.
    pub fn buffer_count(&self) -> usize {
        self.buffer_count as usize
    }

    /// Events now free (exact when no other context is using the pool at the same time).
    pub fn free_events(&self) -> usize {
        self.free_events.free().min(self.event_count())
    }

    /// Buffers now free (exact when no other context is using the pool at the same time).
    pub fn free_buffers(&self) -> usize {
        self.free_buffers.free().min(self.buffer_count())
    }

    /// Whether every event and every buffer is back in the pool.
    pub fn is_full(&self) -> bool {
        self.free_events() == self.event_count() && self.free_buffers() == self.buffer_count()
    }

    /// A snapshot of the pool's sizes and counters. Any context.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            events: self.event_count(),
            free_events: self.free_events(),
            buffers: self.buffer_count(),
            free_buffers: self.free_buffers(),
            buffer_size: self.buffer_size(),
            message_exhausted: self.message_exhausted.load(Ordering::Relaxed),
            buffer_exhausted: self.buffer_exhausted.load(Ordering::Relaxed),
        }
    }

    /// `GetBufferSize` as Windows returns it, a `USHORT` (`Pool::new` checked it fits).
    pub(super) fn buffer_size_ushort(&self) -> u16 {
        self.buffer_size
    }

    // ---- Slot-level primitives for the handles: `buffer.rs`, `event_ref.rs`,
    // `kernel_event.rs`, `chain.rs`, `package.rs`. ----

    /// The link of event slot `idx`.
    pub(super) fn link(&self, idx: u32) -> Option<&AtomicU32> {
        self.storage
            .event_slots()
            .get(idx as usize)
            .map(|slot| &slot.next)
    }

    fn buffer_link(&self, idx: u32) -> Option<&AtomicU32> {
        self.storage
            .buffer_slots()
            .get(idx as usize)
            .map(|slot| &slot.next)
    }

    /// The fields of event slot `idx`, shared.
    ///
    /// # Safety
    ///
    /// The caller owns slot `idx` (through a handle it borrows for the returned lifetime) and
    /// no mutable reference to the same fields is live for that lifetime.
    pub(super) unsafe fn fields(&self, idx: u32) -> Option<&EventFields> {
        let slot = self.storage.event_slots().get(idx as usize)?;
        // SAFETY: the caller guarantees ownership and that no `&mut` alias is live; `fields`
        // is reached only through this method and `fields_mut` (see `EventSlot`).
        Some(unsafe { &*slot.fields.get() })
    }

    /// The fields of event slot `idx`, exclusive.
    ///
    /// # Safety
    ///
    /// The caller owns slot `idx` (through a handle it borrows mutably for the returned
    /// lifetime) and no other reference to the same fields is live for that lifetime.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn fields_mut(&self, idx: u32) -> Option<&mut EventFields> {
        let slot = self.storage.event_slots().get(idx as usize)?;
        // SAFETY: the caller guarantees exclusive ownership of the slot; `fields` is reached
        // only through this method and `fields` (see `EventSlot`).
        Some(unsafe { &mut *slot.fields.get() })
    }

    fn buffer_cells(&self, idx: u32) -> Option<&[ByteCell]> {
        if idx >= self.buffer_count {
            return None;
        }
        let size = self.buffer_size();
        let start = (idx as usize).checked_mul(size)?;
        self.storage
            .buffer_bytes()
            .get(start..start.checked_add(size)?)
    }

    /// The bytes of buffer `idx` (all `buffer_size` of them), shared.
    ///
    /// # Safety
    ///
    /// The caller owns buffer `idx` and no mutable reference to its bytes is live for the
    /// returned lifetime.
    pub(super) unsafe fn buffer(&self, idx: u32) -> Option<&[u8]> {
        let cells = self.buffer_cells(idx)?;
        // SAFETY: `ByteCell` is `repr(transparent)` over `UnsafeCell<u8>` (`storage.rs`), which
        // has the layout of `u8`; the caller guarantees no `&mut` alias of these bytes is live.
        Some(unsafe { core::slice::from_raw_parts(cells.as_ptr().cast::<u8>(), cells.len()) })
    }

    /// The bytes of buffer `idx`, exclusive.
    ///
    /// # Safety
    ///
    /// The caller owns buffer `idx` and no other reference to its bytes is live for the
    /// returned lifetime.
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn buffer_mut(&self, idx: u32) -> Option<&mut [u8]> {
        let cells = self.buffer_cells(idx)?;
        let ptr = UnsafeCell::raw_get(cells.as_ptr().cast::<UnsafeCell<u8>>());
        // SAFETY: as in `buffer`; the bytes sit in `UnsafeCell`s, so writing through a
        // pointer derived from a shared reference is allowed, and the caller guarantees
        // exclusivity.
        Some(unsafe { core::slice::from_raw_parts_mut(ptr, cells.len()) })
    }

    /// Takes a free event slot, reset to [`EventFields::EMPTY`] and unlinked; counts and
    /// returns `None` when the pool is exhausted.
    pub(super) fn alloc_event(&self) -> Option<u32> {
        let Some(idx) = self.free_events.pop(|i| self.link(i)) else {
            self.message_exhausted.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        if let Some(link) = self.link(idx) {
            link.store(NIL, Ordering::Relaxed);
        }
        // SAFETY: the pop made this context the only owner of the slot.
        if let Some(fields) = unsafe { self.fields_mut(idx) } {
            *fields = EventFields::EMPTY;
        }
        Some(idx)
    }

    /// Takes a free buffer; counts and returns `None` when the pool has none.
    pub(super) fn alloc_buffer(&self) -> Option<u32> {
        let idx = self.free_buffers.pop(|i| self.buffer_link(i));
        if idx.is_none() {
            self.buffer_exhausted.fetch_add(1, Ordering::Relaxed);
        }
        idx
    }

    /// Gives buffer `idx` back. The caller gives up ownership.
    pub(super) fn free_buffer(&self, idx: u32) {
        if let Some(link) = self.buffer_link(idx) {
            self.free_buffers.push_list(idx, link, 1);
        }
    }

    /// Gives back an event's payload `old`: its buffer, or its package chain with everything
    /// that chain owns. The caller gives up ownership of them.
    pub(super) fn free_payload(&self, old: Payload) {
        match old {
            Payload::Buffer(b) => self.free_buffer(b),
            Payload::Package { head, .. } => self.free_chain(head),
            Payload::Inline(_) => {}
        }
    }

    /// Gives back the chain starting at `head` (linked through the slot links, ending in
    /// `NIL`), with every buffer and every package member it owns. The caller gives up
    /// ownership of all of them. O(events); one compare-exchange for all the events.
    pub(super) fn free_chain(&self, head: u32) {
        if head == NIL {
            return;
        }
        let mut cur = head;
        let mut last = head;
        let mut count = 0usize;
        // A chain built through the safe API has no cycle; the bound only keeps a corrupted
        // one from looping forever.
        while cur != NIL && count < self.event_count() {
            let Some(link) = self.link(cur) else { break };
            // SAFETY: the caller handed over ownership of every slot of the chain.
            if let Some(fields) = unsafe { self.fields_mut(cur) } {
                match core::mem::replace(&mut fields.payload, Payload::EMPTY) {
                    Payload::Buffer(b) => self.free_buffer(b),
                    Payload::Package {
                        head: p_head,
                        tail: p_tail,
                        ..
                    } => {
                        // Splice the package's members in after this event so the same walk
                        // frees them (and their buffers and packages) too.
                        if let Some(p_tail_link) = self.link(p_tail) {
                            p_tail_link.store(link.load(Ordering::Relaxed), Ordering::Relaxed);
                            link.store(p_head, Ordering::Relaxed);
                        }
                    }
                    Payload::Inline(_) => {}
                }
            }
            last = cur;
            count += 1;
            cur = link.load(Ordering::Relaxed);
        }
        if let Some(last_link) = self.link(last) {
            self.free_events.push_list(head, last_link, count);
        }
    }
}

impl<S: PoolStorage> fmt::Debug for Pool<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("stats", &self.stats())
            .finish()
    }
}
