// SPDX-License-Identifier: GPL-2.0

//! The event allocator (`IAllocatorMXF`): a fixed, lock-free pool of events and buffers.
//!
//! The pool is created once, in process context, over storage the caller allocated on the
//! heap (the kernel from `KVec`s sized by module parameters, the host from `Vec`s), and never
//! allocates again. Getting and returning an event or a buffer is O(1) and lock-free: each
//! free list is a Treiber stack of slot indices whose head carries a 32-bit tag in the upper
//! half of an `AtomicU64`, so a pop that raced with a pop and a push of the same slot (ABA)
//! fails its compare-exchange and retries. Nothing spins waiting for another context, so the
//! pool is safe to use from hard IRQ, softirq and process context at once, on any CPU.
//!
//! Events and buffers are handed out as owning handles ([`DmusKernelEvent`], [`Buffer`],
//! [`EventChain`]) that hold a clone of the pool reference `P` (a `kernel::sync::Arc<Pool<_>>`
//! in the kernel, a `std::sync::Arc` or a plain `&Pool` on the host) and give their slots back
//! when dropped. Running out is a defined outcome: `get_message`/`get_buffer` return
//! [`Error::NoMemory`] and the pool counts the failure in [`PoolStats`].
//!
//! Source: WDK `IAllocatorMXF` (dmusicks.h) and "Allocator" in the WDK audio documentation
//! ("The allocator gets created with empty DMUS_KERNEL_EVENT structures in the pool so that it
//! never starts out empty").

use core::cell::UnsafeCell;
use core::fmt;
use core::ops::Deref;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use super::error::Error;
use super::event::{DmusKernelEvent, EventChain, EventFields, Payload, INLINE_CAPACITY};

/// The "no slot" index that ends a free list or an event chain.
pub(super) const NIL: u32 = u32::MAX;

/// Storage for one event of a [`Pool`]: the free-list/chain link and the event's fields.
///
/// Opaque: only the pool reads or writes it. The caller creates `n` of them with
/// [`EventSlot::new`] (or `Default`) in a heap container and hands them to
/// [`Pool::new`] through a [`PoolStorage`]. About 48 bytes each on 64-bit targets.
pub struct EventSlot {
    next: AtomicU32,
    fields: UnsafeCell<EventFields>,
}

// SAFETY: the only access to `fields` is through the pool, by the single owner of the slot:
// a slot is owned by exactly one handle (`DmusKernelEvent` or `EventChain`) between the
// free-list pop that hands it out and the push that takes it back, and the pop (Acquire) /
// push (Release) pair orders the accesses of successive owners. `next` is atomic.
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
    next: AtomicU32,
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

/// One byte of buffer memory of a [`Pool`]: `buffer_count * buffer_size` of them in a
/// [`PoolStorage`], laid out buffer after buffer.
#[repr(transparent)]
pub struct ByteCell(UnsafeCell<u8>);

// SAFETY: a buffer's bytes are accessed only by the single owner of the buffer (a `Buffer`
// handle or the event that carries it), ordered by the free-list pop/push as for `EventSlot`.
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

/// The memory a [`Pool`] is built over, allocated by the caller on the heap.
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
///   given to [`Pool::new`] (checked there too).
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

/// A lock-free stack of slot indices with an ABA tag.
struct FreeList {
    /// Low 32 bits: index of the top slot (`NIL` when empty). High 32 bits: tag, incremented
    /// by every successful push and pop.
    head: AtomicU64,
    /// Number of free slots. Incremented before a push publishes a slot and decremented after
    /// a pop took one, so it never underflows; it may briefly exceed the real count.
    free: AtomicUsize,
}

const fn pack(tag: u64, idx: u32) -> u64 {
    (tag << 32) | idx as u64
}

impl FreeList {
    const fn new() -> Self {
        Self {
            head: AtomicU64::new(pack(0, NIL)),
            free: AtomicUsize::new(0),
        }
    }

    /// Pops a slot; `link` gives the link of a slot index.
    fn pop<'a>(&self, link: impl Fn(u32) -> Option<&'a AtomicU32>) -> Option<u32> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let idx = head as u32;
            if idx == NIL {
                return None;
            }
            // A stale `head` may make this read a link that is being rewritten by the slot's
            // new owner; the value is then wrong but the tag makes the exchange below fail.
            let next = link(idx)?.load(Ordering::Relaxed);
            let new = pack((head >> 32).wrapping_add(1), next);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    self.free.fetch_sub(1, Ordering::Relaxed);
                    return Some(idx);
                }
                Err(current) => head = current,
            }
        }
    }

    /// Pushes the list `first ..= last` (already linked through `link`) of `count` slots.
    fn push_list(&self, first: u32, last_link: &AtomicU32, count: usize) {
        self.free.fetch_add(count, Ordering::Relaxed);
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            last_link.store(head as u32, Ordering::Relaxed);
            let new = pack((head >> 32).wrapping_add(1), first);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(current) => head = current,
            }
        }
    }
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

/// The fixed pool of events and buffers behind an [`AllocatorMxf`].
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
        self.free_events
            .free
            .load(Ordering::Relaxed)
            .min(self.event_count())
    }

    /// Buffers now free (exact when no other context is using the pool at the same time).
    pub fn free_buffers(&self) -> usize {
        self.free_buffers
            .free
            .load(Ordering::Relaxed)
            .min(self.buffer_count())
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

    // ---- Slot-level primitives for the handles in `event.rs`. ----

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
        // SAFETY: the caller guarantees ownership and that no `&mut` alias is live.
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
        // SAFETY: the caller guarantees exclusive ownership of the slot.
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
        // SAFETY: `ByteCell` is `repr(transparent)` over `UnsafeCell<u8>`, which has the
        // layout of `u8`; the caller guarantees no `&mut` alias of these bytes is live.
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

/// An allocator buffer (`PBYTE` from `IAllocatorMXF::GetBuffer`), owned.
///
/// Holds `buffer_size` bytes. Dropping it (or [`AllocatorMxf::put_buffer`]) returns it to the
/// pool; attaching it to an event with [`DmusKernelEvent::attach_buffer`] moves it into the
/// event, which returns it when the event is returned.
pub struct Buffer<P: PoolRef> {
    pool: P,
    idx: u32,
}

impl<P: PoolRef> Buffer<P> {
    /// The pool this buffer belongs to.
    pub fn pool(&self) -> &P {
        &self.pool
    }

    /// The buffer's bytes (`buffer_size` of them).
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: this handle owns the buffer and is borrowed shared for the result's lifetime.
        unsafe { self.pool.buffer(self.idx) }.unwrap_or(&[])
    }

    /// The buffer's bytes, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: this handle owns the buffer and is borrowed mutably for the result's
        // lifetime.
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
        Ok(DmusKernelEvent::from_index(self.clone(), idx))
    }

    fn get_buffer(&self) -> Result<Buffer<P>, Error> {
        let idx = self.alloc_buffer().ok_or(Error::NoMemory)?;
        Ok(Buffer {
            pool: self.clone(),
            idx,
        })
    }

    fn get_buffer_size(&self) -> u16 {
        self.buffer_size
    }

    fn put_buffer(&self, buffer: Buffer<P>) {
        drop(buffer);
    }

    fn put_message(&self, chain: EventChain<P>) {
        drop(chain);
    }
}
