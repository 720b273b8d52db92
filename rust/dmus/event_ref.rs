// SPDX-License-Identifier: GPL-2.0

//! Read-only views of events: [`EventRef`] for one event (a `DmusKernelEvent`, or a member of
//! an `EventChain` or of a package) and [`Iter`] over linked events.
//!
//! The getters read the fields of `DMUS_KERNEL_EVENT` from the event's pool slot; the field
//! mapping is in the documentation of [`event`](super::event). A view borrows the handle that
//! owns the event, so nothing can change or free the event while the view lives.
//!
//! Source: WDK `DMUS_KERNEL_EVENT` structure (dmusicks.h): `SHORT_EVT()` for where the data
//! lives, `DMUS_KEF_PACKAGE_EVENT` for packages.

use core::{
    fmt,
    sync::atomic::Ordering, //
};

use super::{
    clock::ReferenceTime,
    layout::{
        EventFields,
        Payload,
        BYTE_POSITION_NONE,
        DMUS_KEF_EVENT_INCOMPLETE,
        DMUS_KEF_PACKAGE_EVENT,
        NIL, //
    },
    pool::Pool,
    storage::PoolStorage, //
};

/// A borrowed, read-only view of one event: of a
/// [`DmusKernelEvent`](super::kernel_event::DmusKernelEvent) or of a member of an
/// [`EventChain`](super::chain::EventChain) or package.
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
    /// A view of event slot `idx` of `pool`.
    ///
    /// # Safety
    ///
    /// For `'a`, slot `idx` (if it is a slot of `pool`) is owned by a handle that is borrowed
    /// shared: a `DmusKernelEvent`, an `EventChain` holding it, or the event whose package holds
    /// it. So no `&mut` to its fields or its buffer is live and it stays out of the pool.
    pub(super) unsafe fn new(pool: &'a Pool<S>, idx: u32) -> Self {
        Self { pool, idx }
    }

    fn fields(&self) -> Option<&'a EventFields> {
        // SAFETY: by the contract of `new`, the handle that owns slot `idx` is borrowed shared
        // for `'a`, so no `&mut` to the fields is live.
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
                // SAFETY: the buffer belongs to this event, whose owner is borrowed shared for
                // 'a (the contract of `new`).
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
        let (head, len) = match self.fields().map(|f| &f.payload) {
            Some(Payload::Package { head, len, .. }) => (*head, *len as usize),
            _ => (NIL, 0),
        };
        // SAFETY: the `len` members linked from `head` are owned by this event's payload, and
        // the event's owner is borrowed shared for 'a (the contract of `new`).
        unsafe { Iter::new(self.pool, head, len) }
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

/// Iterator over the events of a chain or package, read-only.
pub struct Iter<'a, S: PoolStorage> {
    pool: &'a Pool<S>,
    cur: u32,
    remaining: usize,
}

impl<'a, S: PoolStorage> Iter<'a, S> {
    /// An iterator over the `len` events of `pool` linked from `head` (`NIL` for none).
    ///
    /// # Safety
    ///
    /// For `'a`, those `len` events are owned by a handle that is borrowed shared: the
    /// `EventChain` they form, or the event whose package they are.
    pub(super) unsafe fn new(pool: &'a Pool<S>, head: u32, len: usize) -> Self {
        Self {
            pool,
            cur: head,
            remaining: len,
        }
    }
}

impl<'a, S: PoolStorage> Iterator for Iter<'a, S> {
    type Item = EventRef<'a, S>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cur == NIL || self.remaining == 0 {
            return None;
        }
        // SAFETY: `cur` is one of the `remaining` events linked from the head given to `new`,
        // whose owner is borrowed shared for 'a (the contract of `new`).
        let item = unsafe { EventRef::new(self.pool, self.cur) };
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
