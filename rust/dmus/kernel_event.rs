// SPDX-License-Identifier: GPL-2.0

//! One owned event, `DMUS_KERNEL_EVENT`: the handle, its accessors and its data.
//!
//! A [`DmusKernelEvent`] owns one pool slot, its buffer when the data is longer than
//! [`INLINE_CAPACITY`], and its package chain if it is a package; dropping it returns all of
//! them to the pool. The methods that link events live with the concept they serve: [`into_chain`](DmusKernelEvent::into_chain) in
//! `chain.rs`, [`set_package`](DmusKernelEvent::set_package) and
//! [`take_package`](DmusKernelEvent::take_package) in `package.rs`.
//!
//! Source: WDK `DMUS_KERNEL_EVENT` structure (dmusicks.h): `cbEvent`, `usChannelGroup`,
//! `usFlags`, `ullPresTime100ns`, `ullBytePosition`, and `uData.abData`/`uData.pbData` chosen
//! by `SHORT_EVT()`.

use core::fmt;

use super::{
    buffer::Buffer,
    clock::ReferenceTime,
    error::Error,
    event_ref::{
        EventRef,
        Iter, //
    },
    layout::{
        EventFields,
        Payload,
        DMUS_KEF_EVENT_INCOMPLETE,
        DMUS_KEF_PACKAGE_EVENT,
        INLINE_CAPACITY,
        NIL, //
    },
    pool::{
        same_pool,
        Pool,
        PoolRef, //
    },
};

/// One owned event: `DMUS_KERNEL_EVENT` of `dmusicks.h`.
///
/// Comes from [`AllocatorMxf::get_message`](super::allocator::AllocatorMxf::get_message) (or
/// from a chain's [`pop_front`](super::chain::EventChain::pop_front)); dropping it returns the
/// event, its buffer and its package to the pool. Not linked to other events: put it in an
/// [`EventChain`](super::chain::EventChain) for that.
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
    /// A handle owning event slot `idx` of `pool`, with whatever its payload owns.
    ///
    /// # Safety
    ///
    /// The caller gives up ownership of slot `idx` to the new handle: no free list, chain,
    /// package or other handle holds it (it was just popped from the pool's free list, or
    /// unlinked from a chain the caller owns).
    pub(super) unsafe fn from_index(pool: P, idx: u32) -> Self {
        // INVARIANT: by the caller's promise this handle is the slot's only owner.
        Self { pool, idx }
    }

    /// Gives up the slot index to a new owner (a chain or a package).
    pub(super) fn into_index(mut self) -> u32 {
        core::mem::replace(&mut self.idx, NIL)
    }

    /// The event's fields, through the handle that owns them.
    pub(super) fn fields_mut(&mut self) -> Option<&mut EventFields> {
        // SAFETY: this handle owns the slot (see `from_index`) and is borrowed mutably for the
        // result's lifetime.
        unsafe { self.pool.fields_mut(self.idx) }
    }

    /// The pool this event belongs to.
    pub fn pool(&self) -> &P {
        &self.pool
    }

    /// A read-only view, for code that handles events and chain members alike.
    pub fn as_event_ref(&self) -> EventRef<'_, P::Storage> {
        // SAFETY: this handle owns the slot and is borrowed shared for the view's lifetime.
        unsafe { EventRef::new(&self.pool, self.idx) }
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

    /// Sets `ullBytePosition` ([`BYTE_POSITION_NONE`](super::layout::BYTE_POSITION_NONE) for
    /// none).
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
            (old, _) => pool.free_payload(old),
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
        pool.free_payload(old);
        Ok(())
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
