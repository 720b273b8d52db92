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

use core::fmt;
use core::sync::atomic::Ordering;

use super::allocator::{same_pool, Buffer, Pool, PoolRef, PoolStorage, NIL};
use super::clock::ReferenceTime;
use super::error::Error;

/// `DMUS_KEF_EVENT_COMPLETE`: the event holds a whole MIDI message (or the last piece of one).
pub const DMUS_KEF_EVENT_COMPLETE: u16 = 0x0000;
/// `DMUS_KEF_EVENT_INCOMPLETE`: more bytes of this message follow in later events (a SysEx
/// split over several buffers).
pub const DMUS_KEF_EVENT_INCOMPLETE: u16 = 0x0001;
/// `DMUS_KEF_PACKAGE_EVENT`: the event carries a chain of events instead of data.
pub const DMUS_KEF_PACKAGE_EVENT: u16 = 0x0002;

/// `kBytePositionNone`: the event has no byte position in a wave stream (all ones).
pub const BYTE_POSITION_NONE: u64 = u64::MAX;

/// `DONT_HOLD_FOR_SEQUENCING` of `dmusicks.h` (`0x8000000000000000`), as a presentation time.
///
/// The WDK does not document its use. Reinterpreted as a signed [`ReferenceTime`] it is
/// `i64::MIN`, earlier than any clock time, so an event stamped with it is due at once; the
/// [`Sequencer`](super::sequencer::Sequencer) sends such events through its immediate path.
pub const DONT_HOLD_FOR_SEQUENCING: u64 = 0x8000_0000_0000_0000;

/// Event data of at most this many bytes is stored in the event itself (`abData`,
/// `sizeof(PBYTE)`: 8 on 64-bit targets, 4 on 32-bit ones); longer data lives in an allocator
/// buffer (`pbData`). This is `SHORT_EVT()` of `dmusicks.h`.
pub const INLINE_CAPACITY: usize = core::mem::size_of::<*const u8>();

/// The union `uData` of `DMUS_KERNEL_EVENT`, made safe.
#[derive(Clone, Copy)]
pub(super) enum Payload {
    /// `abData`: `cb_event <= INLINE_CAPACITY` bytes.
    Inline([u8; INLINE_CAPACITY]),
    /// `pbData`: an allocator buffer index holding `cb_event` bytes.
    Buffer(u32),
    /// `pPackageEvt`: a chain of `len` events from `head` to `tail`.
    Package { head: u32, tail: u32, len: u32 },
}

impl Payload {
    /// No data.
    pub(super) const EMPTY: Payload = Payload::Inline([0; INLINE_CAPACITY]);
}

/// The fields of one event, stored in an allocator slot.
pub(super) struct EventFields {
    pub(super) cb_event: u16,
    pub(super) channel_group: u16,
    /// `usFlags` without `DMUS_KEF_PACKAGE_EVENT`, which follows from `payload`.
    pub(super) flags: u16,
    pub(super) running_status: bool,
    pub(super) pres_time: ReferenceTime,
    pub(super) byte_position: u64,
    pub(super) payload: Payload,
}

impl EventFields {
    /// A fresh event, as `get_message` hands it out.
    pub(super) const EMPTY: EventFields = EventFields {
        cb_event: 0,
        channel_group: 1,
        flags: DMUS_KEF_EVENT_COMPLETE,
        running_status: false,
        pres_time: 0,
        byte_position: BYTE_POSITION_NONE,
        payload: Payload::EMPTY,
    };
}

/// A borrowed, read-only view of one event: of a [`DmusKernelEvent`] or of a member of an
/// [`EventChain`] or package.
pub struct EventRef<'a, S: PoolStorage> {
    pool: &'a Pool<S>,
    idx: u32,
}

impl<S: PoolStorage> Clone for EventRef<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: PoolStorage> Copy for EventRef<'_, S> {}

impl<'a, S: PoolStorage> EventRef<'a, S> {
    fn fields(&self) -> Option<&'a EventFields> {
        // SAFETY: an `EventRef<'a>` is created only from a handle (event or chain) that owns
        // slot `idx` and is borrowed shared for `'a`, so no `&mut` to the fields is live.
        unsafe { self.pool.fields(self.idx) }
    }

    /// `cbEvent`: bytes of MIDI data (0 for a package).
    pub fn cb_event(&self) -> u16 {
        self.fields().map_or(0, |f| f.cb_event)
    }

    /// `usChannelGroup`: the channel group, 1-based (group 1 is channels 1-16 of the first
    /// 16-channel block; 0 is passed through as the user buffer gave it).
    pub fn channel_group(&self) -> u16 {
        self.fields().map_or(0, |f| f.channel_group)
    }

    /// `usFlags`: `DMUS_KEF_EVENT_INCOMPLETE` and `DMUS_KEF_PACKAGE_EVENT` bits.
    pub fn flags(&self) -> u16 {
        self.fields().map_or(0, |f| {
            let package = if matches!(f.payload, Payload::Package { .. }) {
                DMUS_KEF_PACKAGE_EVENT
            } else {
                0
            };
            f.flags | package
        })
    }

    /// Whether `DMUS_KEF_EVENT_INCOMPLETE` is set: more bytes of the message follow.
    pub fn is_incomplete(&self) -> bool {
        self.flags() & DMUS_KEF_EVENT_INCOMPLETE != 0
    }

    /// Whether this is a package event (`DMUS_KEF_PACKAGE_EVENT`).
    pub fn is_package(&self) -> bool {
        self.flags() & DMUS_KEF_PACKAGE_EVENT != 0
    }

    /// `ullPresTime100ns`: presentation time in 100 ns units of the master clock.
    pub fn pres_time(&self) -> ReferenceTime {
        self.fields().map_or(0, |f| f.pres_time)
    }

    /// `ullBytePosition`: byte position in a wave stream, or [`BYTE_POSITION_NONE`].
    pub fn byte_position(&self) -> u64 {
        self.fields()
            .map_or(BYTE_POSITION_NONE, |f| f.byte_position)
    }

    /// Rust-only: the message arrived without its status byte (MIDI running status). The
    /// data still starts with the status byte; a packer in
    /// [`RunningStatus::Preserve`](super::packer::RunningStatus::Preserve) mode omits it
    /// again.
    pub fn running_status(&self) -> bool {
        self.fields().is_some_and(|f| f.running_status)
    }

    /// The `cb_event` bytes of MIDI data (inline or from the buffer); empty for a package.
    pub fn data(&self) -> &'a [u8] {
        let Some(f) = self.fields() else {
            return &[];
        };
        let len = usize::from(f.cb_event);
        match &f.payload {
            Payload::Inline(bytes) => bytes.get(..len).unwrap_or(&[]),
            Payload::Buffer(b) => {
                // SAFETY: the buffer belongs to this event, which is borrowed shared for 'a.
                let buf = unsafe { self.pool.buffer(*b) };
                buf.and_then(|buf| buf.get(..len)).unwrap_or(&[])
            }
            Payload::Package { .. } => &[],
        }
    }

    /// Number of events in the package (0 if this is not a package).
    pub fn package_len(&self) -> usize {
        match self.fields().map(|f| &f.payload) {
            Some(Payload::Package { len, .. }) => *len as usize,
            _ => 0,
        }
    }

    /// The members of the package, in order (empty if this is not a package).
    pub fn package_iter(&self) -> Iter<'a, S> {
        match self.fields().map(|f| &f.payload) {
            Some(Payload::Package { head, len, .. }) => Iter {
                pool: self.pool,
                cur: *head,
                remaining: *len as usize,
            },
            _ => Iter {
                pool: self.pool,
                cur: NIL,
                remaining: 0,
            },
        }
    }
}

impl<S: PoolStorage> fmt::Debug for EventRef<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("DmusKernelEvent");
        d.field("pres_time", &self.pres_time())
            .field("channel_group", &self.channel_group())
            .field("flags", &self.flags())
            .field("running_status", &self.running_status())
            .field("data", &self.data());
        if self.is_package() {
            d.field("package_len", &self.package_len());
        }
        d.finish()
    }
}

/// One owned event: `DMUS_KERNEL_EVENT` of `dmusicks.h`.
///
/// Comes from [`AllocatorMxf::get_message`](super::allocator::AllocatorMxf::get_message) (or
/// from a chain's [`pop_front`](EventChain::pop_front)); dropping it returns the event, its
/// buffer and its package to the pool. Not linked to other events: put it in an
/// [`EventChain`] for that.
///
/// The representation rule of `SHORT_EVT()` holds at all times: data of at most
/// [`INLINE_CAPACITY`] bytes is inline, longer data (up to the pool's buffer size) is in one
/// allocator buffer that the event owns.
pub struct DmusKernelEvent<P: PoolRef> {
    pool: P,
    /// The slot; `NIL` once ownership moved elsewhere (then `Drop` does nothing).
    idx: u32,
}

impl<P: PoolRef> DmusKernelEvent<P> {
    pub(super) fn from_index(pool: P, idx: u32) -> Self {
        Self { pool, idx }
    }

    /// Gives up the slot index to a new owner (a chain or a package).
    fn into_index(mut self) -> u32 {
        core::mem::replace(&mut self.idx, NIL)
    }

    fn fields_mut(&mut self) -> Option<&mut EventFields> {
        // SAFETY: this handle owns the slot and is borrowed mutably for the result's lifetime.
        unsafe { self.pool.fields_mut(self.idx) }
    }

    /// The pool this event belongs to.
    pub fn pool(&self) -> &P {
        &self.pool
    }

    /// A read-only view, for code that handles events and chain members alike.
    pub fn as_event_ref(&self) -> EventRef<'_, P::Storage> {
        EventRef {
            pool: &self.pool,
            idx: self.idx,
        }
    }

    /// See [`EventRef::cb_event`].
    pub fn cb_event(&self) -> u16 {
        self.as_event_ref().cb_event()
    }

    /// See [`EventRef::channel_group`].
    pub fn channel_group(&self) -> u16 {
        self.as_event_ref().channel_group()
    }

    /// See [`EventRef::flags`].
    pub fn flags(&self) -> u16 {
        self.as_event_ref().flags()
    }

    /// See [`EventRef::is_incomplete`].
    pub fn is_incomplete(&self) -> bool {
        self.as_event_ref().is_incomplete()
    }

    /// See [`EventRef::is_package`].
    pub fn is_package(&self) -> bool {
        self.as_event_ref().is_package()
    }

    /// See [`EventRef::pres_time`].
    pub fn pres_time(&self) -> ReferenceTime {
        self.as_event_ref().pres_time()
    }

    /// See [`EventRef::byte_position`].
    pub fn byte_position(&self) -> u64 {
        self.as_event_ref().byte_position()
    }

    /// See [`EventRef::running_status`].
    pub fn running_status(&self) -> bool {
        self.as_event_ref().running_status()
    }

    /// See [`EventRef::data`].
    pub fn data(&self) -> &[u8] {
        self.as_event_ref().data()
    }

    /// See [`EventRef::package_len`].
    pub fn package_len(&self) -> usize {
        self.as_event_ref().package_len()
    }

    /// See [`EventRef::package_iter`].
    pub fn package_iter(&self) -> Iter<'_, P::Storage> {
        self.as_event_ref().package_iter()
    }

    /// Sets `usChannelGroup` (1-based).
    pub fn set_channel_group(&mut self, group: u16) {
        if let Some(f) = self.fields_mut() {
            f.channel_group = group;
        }
    }

    /// Sets `usFlags`. `DMUS_KEF_PACKAGE_EVENT` is ignored: it follows from
    /// [`set_package`](Self::set_package) / [`take_package`](Self::take_package).
    pub fn set_flags(&mut self, flags: u16) {
        if let Some(f) = self.fields_mut() {
            f.flags = flags & !DMUS_KEF_PACKAGE_EVENT;
        }
    }

    /// Sets or clears `DMUS_KEF_EVENT_INCOMPLETE`.
    pub fn set_incomplete(&mut self, incomplete: bool) {
        if let Some(f) = self.fields_mut() {
            if incomplete {
                f.flags |= DMUS_KEF_EVENT_INCOMPLETE;
            } else {
                f.flags &= !DMUS_KEF_EVENT_INCOMPLETE;
            }
        }
    }

    /// Sets `ullPresTime100ns` (100 ns units).
    pub fn set_pres_time(&mut self, time: ReferenceTime) {
        if let Some(f) = self.fields_mut() {
            f.pres_time = time;
        }
    }

    /// Sets `ullBytePosition` ([`BYTE_POSITION_NONE`] for none).
    pub fn set_byte_position(&mut self, position: u64) {
        if let Some(f) = self.fields_mut() {
            f.byte_position = position;
        }
    }

    /// Sets the Rust-only running-status mark (see [`EventRef::running_status`]).
    pub fn set_running_status(&mut self, running_status: bool) {
        if let Some(f) = self.fields_mut() {
            f.running_status = running_status;
        }
    }

    /// Returns the payload `old` to the pool (its buffer or its package chain).
    fn release_payload(pool: &Pool<P::Storage>, old: Payload) {
        match old {
            Payload::Buffer(b) => pool.free_buffer(b),
            Payload::Package { head, .. } => pool.free_chain(head),
            Payload::Inline(_) => {}
        }
    }

    /// Replaces the data with `bytes` (`cbEvent = bytes.len()`), inline when it fits
    /// [`INLINE_CAPACITY`], else in an allocator buffer (the event's own buffer is reused; a
    /// new one is taken if it has none). A package event stops being one (its chain is
    /// returned to the pool).
    ///
    /// Errors (the event is unchanged): [`Error::InvalidArgument`] (`-EINVAL`) if `bytes` is
    /// longer than the pool's buffer size; [`Error::NoMemory`] (`-ENOMEM`) if a buffer is
    /// needed and none is free.
    ///
    /// Context: any.
    pub fn set_data(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let len = u16::try_from(bytes.len()).map_err(|_| Error::InvalidArgument)?;
        if bytes.len() > self.pool.buffer_size() {
            return Err(Error::InvalidArgument);
        }
        let pool: &Pool<P::Storage> = &self.pool;
        let idx = self.idx;
        // SAFETY: this handle owns the slot and is borrowed mutably for this function.
        let fields = unsafe { pool.fields_mut(idx) }.ok_or(Error::InvalidArgument)?;
        let new = if bytes.len() <= INLINE_CAPACITY {
            let mut inline = [0; INLINE_CAPACITY];
            inline
                .get_mut(..bytes.len())
                .ok_or(Error::InvalidArgument)?
                .copy_from_slice(bytes);
            Payload::Inline(inline)
        } else {
            let b = match fields.payload {
                Payload::Buffer(b) => b,
                _ => pool.alloc_buffer().ok_or(Error::NoMemory)?,
            };
            // SAFETY: buffer `b` is owned by this event (or was just allocated for it).
            if let Some(dst) = unsafe { pool.buffer_mut(b) }.and_then(|d| d.get_mut(..bytes.len()))
            {
                dst.copy_from_slice(bytes);
            }
            Payload::Buffer(b)
        };
        let old = core::mem::replace(&mut fields.payload, new);
        fields.cb_event = len;
        match (old, new) {
            (Payload::Buffer(a), Payload::Buffer(b)) if a == b => {}
            (old, _) => Self::release_payload(pool, old),
        }
        Ok(())
    }

    /// Appends `bytes` to the data, moving it from inline storage into an allocator buffer
    /// when it grows past [`INLINE_CAPACITY`].
    ///
    /// Errors (the event is unchanged): [`Error::InvalidArgument`] (`-EINVAL`) if the result
    /// would be longer than the pool's buffer size, or the event is a package;
    /// [`Error::NoMemory`] (`-ENOMEM`) if a buffer is needed and none is free.
    ///
    /// Context: any.
    pub fn extend_data(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let pool: &Pool<P::Storage> = &self.pool;
        let idx = self.idx;
        // SAFETY: this handle owns the slot and is borrowed mutably for this function.
        let fields = unsafe { pool.fields_mut(idx) }.ok_or(Error::InvalidArgument)?;
        let old_len = usize::from(fields.cb_event);
        let new_len = old_len
            .checked_add(bytes.len())
            .filter(|&n| n <= pool.buffer_size())
            .ok_or(Error::InvalidArgument)?;
        let new_cb = u16::try_from(new_len).map_err(|_| Error::InvalidArgument)?;
        match &mut fields.payload {
            Payload::Package { .. } => return Err(Error::InvalidArgument),
            Payload::Inline(inline) if new_len <= INLINE_CAPACITY => {
                inline
                    .get_mut(old_len..new_len)
                    .ok_or(Error::InvalidArgument)?
                    .copy_from_slice(bytes);
            }
            Payload::Inline(inline) => {
                let b = pool.alloc_buffer().ok_or(Error::NoMemory)?;
                // SAFETY: buffer `b` was just allocated for this event.
                if let Some(dst) = unsafe { pool.buffer_mut(b) } {
                    if let (Some(head), Some(old)) = (dst.get_mut(..old_len), inline.get(..old_len))
                    {
                        head.copy_from_slice(old);
                    }
                    if let Some(tail) = dst.get_mut(old_len..new_len) {
                        tail.copy_from_slice(bytes);
                    }
                }
                fields.payload = Payload::Buffer(b);
            }
            Payload::Buffer(b) => {
                // SAFETY: buffer `b` is owned by this event.
                let buffer = unsafe { pool.buffer_mut(*b) };
                if let Some(tail) = buffer.and_then(|d| d.get_mut(old_len..new_len)) {
                    tail.copy_from_slice(bytes);
                }
            }
        }
        fields.cb_event = new_cb;
        Ok(())
    }

    /// Makes `buffer` the event's data buffer with `len` valid bytes (the `GetBuffer` +
    /// `pbData` pattern of `dmusicks.h`). If `len <= INLINE_CAPACITY` the bytes are copied
    /// inline and the buffer is returned to the pool, keeping the `SHORT_EVT()` rule. The
    /// previous payload (buffer or package) is returned to the pool.
    ///
    /// Errors: [`Error::ForeignPool`] (`-EINVAL`) if the buffer is from another pool;
    /// [`Error::InvalidArgument`] (`-EINVAL`) if `len` exceeds the buffer size. On error the
    /// buffer goes back to its pool and the event is unchanged.
    pub fn attach_buffer(&mut self, buffer: Buffer<P>, len: usize) -> Result<(), Error> {
        if !same_pool(&self.pool, buffer.pool()) {
            return Err(Error::ForeignPool);
        }
        if len > self.pool.buffer_size() {
            return Err(Error::InvalidArgument);
        }
        if len <= INLINE_CAPACITY {
            let bytes = buffer.as_slice().get(..len).unwrap_or(&[]);
            let mut copy = [0u8; INLINE_CAPACITY];
            if let Some(dst) = copy.get_mut(..bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            drop(buffer);
            return self.set_data(copy.get(..len).unwrap_or(&[]));
        }
        let cb = u16::try_from(len).map_err(|_| Error::InvalidArgument)?;
        let b = buffer.into_index();
        let pool: &Pool<P::Storage> = &self.pool;
        let idx = self.idx;
        // SAFETY: this handle owns the slot and is borrowed mutably for this function.
        let Some(fields) = (unsafe { pool.fields_mut(idx) }) else {
            pool.free_buffer(b);
            return Err(Error::InvalidArgument);
        };
        let old = core::mem::replace(&mut fields.payload, Payload::Buffer(b));
        fields.cb_event = cb;
        Self::release_payload(pool, old);
        Ok(())
    }

    /// Makes this a package event (`DMUS_KEF_PACKAGE_EVENT`, `uData.pPackageEvt`) carrying
    /// `chain`; `cb_event` becomes 0 and the previous data is returned to the pool.
    ///
    /// Errors: gives `chain` back if it belongs to another pool.
    pub fn set_package(&mut self, mut chain: EventChain<P>) -> Result<(), EventChain<P>> {
        if !same_pool(&self.pool, &chain.pool) {
            return Err(chain);
        }
        let (head, tail, len) = chain.take_all();
        // A chain holds fewer than `u32::MAX` events (the pool's limit).
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        // An empty chain makes an empty package (head NIL), still flagged as a package.
        let new = Payload::Package { head, tail, len };
        let pool: &Pool<P::Storage> = &self.pool;
        let idx = self.idx;
        // SAFETY: this handle owns the slot and is borrowed mutably for this function.
        match unsafe { pool.fields_mut(idx) } {
            Some(fields) => {
                let old = core::mem::replace(&mut fields.payload, new);
                fields.cb_event = 0;
                Self::release_payload(pool, old);
            }
            None => pool.free_chain(head),
        }
        Ok(())
    }

    /// Takes the package chain out of a package event (which becomes an empty, non-package
    /// event); `None` if this is not a package.
    pub fn take_package(&mut self) -> Option<EventChain<P>> {
        let pool = self.pool.clone();
        let fields = self.fields_mut()?;
        let Payload::Package { head, tail, len } = fields.payload else {
            return None;
        };
        fields.payload = Payload::EMPTY;
        fields.cb_event = 0;
        Some(EventChain {
            pool,
            head,
            tail,
            len: len as usize,
        })
    }

    /// A chain holding just this event.
    pub fn into_chain(self) -> EventChain<P> {
        let pool = self.pool.clone();
        let idx = self.into_index();
        EventChain {
            pool,
            head: idx,
            tail: idx,
            len: 1,
        }
    }
}

impl<P: PoolRef> Drop for DmusKernelEvent<P> {
    fn drop(&mut self) {
        if self.idx != NIL {
            // A lone event is a chain of one (its link is NIL).
            self.pool.free_chain(self.idx);
        }
    }
}

impl<P: PoolRef> fmt::Debug for DmusKernelEvent<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_event_ref().fmt(f)
    }
}

/// An owned chain of events linked through `pNextEvt`, as `IMXF::PutMessage` passes them.
///
/// Holds a pool reference even when empty, so events can be pushed later. Dropping the chain
/// (or giving it to [`AllocatorMxf::put_message`](super::allocator::AllocatorMxf::put_message))
/// returns every event, buffer and package member to the pool in one pass. Pushing and
/// popping at either end is O(1) and never allocates.
pub struct EventChain<P: PoolRef> {
    pool: P,
    head: u32,
    tail: u32,
    len: usize,
}

impl<P: PoolRef> EventChain<P> {
    /// An empty chain for events of `pool`.
    pub fn new(pool: P) -> Self {
        Self {
            pool,
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// The pool this chain's events belong to.
    pub fn pool(&self) -> &P {
        &self.pool
    }

    /// Number of events in the chain (package members not counted).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the chain has no event.
    pub fn is_empty(&self) -> bool {
        self.head == NIL
    }

    fn link(&self, idx: u32) -> Option<&core::sync::atomic::AtomicU32> {
        self.pool.link(idx)
    }

    fn next_of(&self, idx: u32) -> u32 {
        self.link(idx).map_or(NIL, |l| l.load(Ordering::Relaxed))
    }

    fn set_next(&self, idx: u32, next: u32) {
        if let Some(link) = self.link(idx) {
            link.store(next, Ordering::Relaxed);
        }
    }

    fn time_of(&self, idx: u32) -> ReferenceTime {
        EventRef {
            pool: &self.pool,
            idx,
        }
        .pres_time()
    }

    /// Empties the chain, returning its list for a new owner.
    fn take_all(&mut self) -> (u32, u32, usize) {
        let all = (self.head, self.tail, self.len);
        self.head = NIL;
        self.tail = NIL;
        self.len = 0;
        all
    }

    /// Appends `event` at the end.
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub fn push_back(&mut self, event: DmusKernelEvent<P>) -> Result<(), DmusKernelEvent<P>> {
        if !same_pool(&self.pool, &event.pool) {
            return Err(event);
        }
        let idx = event.into_index();
        self.set_next(idx, NIL);
        if self.head == NIL {
            self.head = idx;
        } else {
            self.set_next(self.tail, idx);
        }
        self.tail = idx;
        self.len += 1;
        Ok(())
    }

    /// Inserts `event` at the front.
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub fn push_front(&mut self, event: DmusKernelEvent<P>) -> Result<(), DmusKernelEvent<P>> {
        if !same_pool(&self.pool, &event.pool) {
            return Err(event);
        }
        let idx = event.into_index();
        self.set_next(idx, self.head);
        if self.head == NIL {
            self.tail = idx;
        }
        self.head = idx;
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the first event.
    pub fn pop_front(&mut self) -> Option<DmusKernelEvent<P>> {
        if self.head == NIL {
            return None;
        }
        let idx = self.head;
        self.head = self.next_of(idx);
        if self.head == NIL {
            self.tail = NIL;
        }
        self.set_next(idx, NIL);
        self.len = self.len.saturating_sub(1);
        Some(DmusKernelEvent::from_index(self.pool.clone(), idx))
    }

    /// Removes and returns the first event that is not a package, replacing each package met
    /// at the front by its members (recursively), and returning the emptied package events
    /// to the pool. This is how a render stream plays packages in place — the case the WDK
    /// sample left as "TODO: support packages right".
    pub fn pop_front_unpacked(&mut self) -> Option<DmusKernelEvent<P>> {
        loop {
            let mut event = self.pop_front()?;
            let Some(members) = event.take_package() else {
                return Some(event);
            };
            drop(event);
            if let Err(foreign) = self.prepend(members) {
                // Cannot happen (a package is checked against its event's pool); the members
                // go back to their own pool.
                drop(foreign);
            }
        }
    }

    /// Moves every event of `other` to the end of this chain.
    ///
    /// Errors: gives `other` back if it belongs to another pool.
    pub fn append(&mut self, mut other: EventChain<P>) -> Result<(), EventChain<P>> {
        if !same_pool(&self.pool, &other.pool) {
            return Err(other);
        }
        let (head, tail, len) = other.take_all();
        if head == NIL {
            return Ok(());
        }
        if self.head == NIL {
            self.head = head;
        } else {
            self.set_next(self.tail, head);
        }
        self.tail = tail;
        self.len += len;
        Ok(())
    }

    /// Moves every event of `other` to the front of this chain, keeping their order.
    ///
    /// Errors: gives `other` back if it belongs to another pool.
    pub fn prepend(&mut self, mut other: EventChain<P>) -> Result<(), EventChain<P>> {
        if !same_pool(&self.pool, &other.pool) {
            return Err(other);
        }
        let (head, tail, len) = other.take_all();
        if head == NIL {
            return Ok(());
        }
        self.set_next(tail, self.head);
        if self.head == NIL {
            self.tail = tail;
        }
        self.head = head;
        self.len += len;
        Ok(())
    }

    /// Returns every event to the pool, leaving the chain empty.
    pub fn clear(&mut self) {
        let (head, _, _) = self.take_all();
        self.pool.free_chain(head);
    }

    /// The first event.
    pub fn front(&self) -> Option<EventRef<'_, P::Storage>> {
        (self.head != NIL).then_some(EventRef {
            pool: &self.pool,
            idx: self.head,
        })
    }

    /// The last event.
    pub fn back(&self) -> Option<EventRef<'_, P::Storage>> {
        (self.tail != NIL).then_some(EventRef {
            pool: &self.pool,
            idx: self.tail,
        })
    }

    /// The events in order, read-only.
    pub fn iter(&self) -> Iter<'_, P::Storage> {
        Iter {
            pool: &self.pool,
            cur: self.head,
            remaining: self.len,
        }
    }

    /// Inserts `event` after every event whose `pres_time` is not later, so a chain kept in
    /// order stays ordered by presentation time and stable for equal times. O(1) when the
    /// event is not earlier than the last one (the usual in-order case) or earlier than the
    /// first; O(n) otherwise.
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub(super) fn insert_by_time(
        &mut self,
        event: DmusKernelEvent<P>,
    ) -> Result<(), DmusKernelEvent<P>> {
        let time = event.pres_time();
        if self.head == NIL || self.time_of(self.tail) <= time {
            return self.push_back(event);
        }
        if time < self.time_of(self.head) {
            return self.push_front(event);
        }
        if !same_pool(&self.pool, &event.pool) {
            return Err(event);
        }
        // head <= time < tail: find the last event with pres_time <= time.
        let mut prev = self.head;
        let mut cur = self.next_of(prev);
        let mut steps = 0usize;
        while cur != NIL && self.time_of(cur) <= time && steps < self.len {
            prev = cur;
            cur = self.next_of(cur);
            steps += 1;
        }
        let idx = event.into_index();
        self.set_next(idx, cur);
        self.set_next(prev, idx);
        if cur == NIL {
            self.tail = idx;
        }
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the leading events whose `pres_time <= now` (all of them when the
    /// chain is ordered by time). O(number removed).
    pub(super) fn split_due(&mut self, now: ReferenceTime) -> EventChain<P> {
        let mut due = EventChain::new(self.pool.clone());
        if self.head == NIL || self.time_of(self.head) > now {
            return due;
        }
        let mut last = self.head;
        let mut count = 1usize;
        let mut cur = self.next_of(last);
        while cur != NIL && self.time_of(cur) <= now && count < self.len {
            last = cur;
            cur = self.next_of(cur);
            count += 1;
        }
        due.head = self.head;
        due.tail = last;
        due.len = count;
        self.set_next(last, NIL);
        self.head = cur;
        if cur == NIL {
            self.tail = NIL;
        }
        self.len = self.len.saturating_sub(count);
        due
    }
}

impl<P: PoolRef> Drop for EventChain<P> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<P: PoolRef> fmt::Debug for EventChain<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, P: PoolRef> IntoIterator for &'a EventChain<P> {
    type Item = EventRef<'a, P::Storage>;
    type IntoIter = Iter<'a, P::Storage>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the events of a chain or package, read-only.
pub struct Iter<'a, S: PoolStorage> {
    pool: &'a Pool<S>,
    cur: u32,
    remaining: usize,
}

impl<'a, S: PoolStorage> Iterator for Iter<'a, S> {
    type Item = EventRef<'a, S>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cur == NIL || self.remaining == 0 {
            return None;
        }
        let item = EventRef {
            pool: self.pool,
            idx: self.cur,
        };
        self.cur = self
            .pool
            .link(self.cur)
            .map_or(NIL, |l| l.load(Ordering::Relaxed));
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}
