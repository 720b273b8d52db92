// SPDX-License-Identifier: GPL-2.0

//! `DMUS_KERNEL_EVENT` as plain data: the constants of its fields, and what one pool slot
//! stores of it.
//!
//! The public constants are those of `dmusicks.h`: the `DMUS_KEF_*` bits of `usFlags`,
//! `kBytePositionNone`, `DONT_HOLD_FOR_SEQUENCING` and the `SHORT_EVT()` limit. [`EventFields`]
//! and [`Payload`] are the fields of one event as an allocator slot holds them, with the raw
//! pointers of the C structure (`pNextEvt`, `pbData`, `pPackageEvt`) replaced by slot and
//! buffer indices, [`NIL`] standing for `NULL`.
//!
//! This is the bottom of the event model: it names nothing of the pool or of the handles. The
//! pool (`storage.rs`, `pool.rs`) stores this data; the handles (`event_ref.rs`,
//! `kernel_event.rs`, `chain.rs`, `package.rs`) read and write it through the pool.
//!
//! Source: WDK `DMUS_KERNEL_EVENT` structure (dmusicks.h).

use super::clock::ReferenceTime;

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

/// The "no slot" index that ends a free list or an event chain.
pub(super) const NIL: u32 = u32::MAX;

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
