// SPDX-License-Identifier: GPL-2.0

//! The unpacker: a DirectMusic user buffer (`DMUS_EVENTHEADER` framing) to events.
//!
//! A DirectMusic application fills a buffer with events, each a 20-byte header followed by its
//! MIDI bytes and padded to a multiple of 8 bytes (`dmusbuff.h`, `#pragma pack(4)`):
//!
//! | offset | field | type | meaning |
//! |---|---|---|---|
//! | 0 | `cbEvent` | u32 | bytes of MIDI data after the header |
//! | 4 | `dwChannelGroup` | u32 | channel group (1-based; 0 = all groups) |
//! | 8 | `rtDelta` | i64 | time after the buffer's base time, 100 ns units |
//! | 16 | `dwFlags` | u32 | `DMUS_EVENT_STRUCTURED` (0x1) for a short message |
//! | 20 | data | `cbEvent` bytes | |
//!
//! The next event starts `DMUS_EVENT_SIZE(cbEvent) = QWORD_ALIGN(20 + cbEvent)` bytes later.
//! Fields are in the machine's byte order (the buffer comes from a process on the same
//! machine; little-endian on x86).
//!
//! [`unpack`] validates the whole buffer before it takes a single event from the pool, and
//! builds the result in one chain that it drops (returning everything) if the pool runs out
//! half-way: the caller gets every event or none. Events longer than the pool's buffer size
//! (a long SysEx) are split into pieces of that size, flagged `DMUS_KEF_EVENT_INCOMPLETE`
//! except the last, all with the same time.
//!
//! Source: `dmusbuff.h` (Windows SDK; Wine's `include/dmusbuff.h`), "MIDI Transport" in the
//! WDK audio documentation (the port's unpacker turns IRPs into events).

use super::allocator::{AllocatorMxf, PoolRef};
use super::clock::ReferenceTime;
use super::error::Error;
use super::event::{EventChain, DMUS_KEF_EVENT_COMPLETE, DMUS_KEF_EVENT_INCOMPLETE};

/// `sizeof(DMUS_EVENTHEADER)`: 20 bytes.
pub const EVENT_HEADER_SIZE: usize = 20;

/// `DMUS_EVENT_STRUCTURED`: the event is a channel or system message (not SysEx). The
/// unpacker does not need it (the status byte says the same) and ignores it.
pub const DMUS_EVENT_STRUCTURED: u32 = 0x0000_0001;

/// `DMUS_EVENT_SIZE(cb)`: the bytes one event with `cb` data bytes takes in a buffer, header
/// and padding included (`QWORD_ALIGN(20 + cb)`); `None` on overflow.
pub const fn event_size(cb: usize) -> Option<usize> {
    match cb.checked_add(EVENT_HEADER_SIZE + 7) {
        Some(n) => Some(n & !7),
        None => None,
    }
}

/// One decoded header of a user buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventHeader {
    /// `cbEvent`: bytes of data.
    pub cb_event: u32,
    /// `dwChannelGroup`.
    pub channel_group: u32,
    /// `rtDelta`: 100 ns after the buffer's base time (may be negative).
    pub rt_delta: i64,
    /// `dwFlags`.
    pub flags: u32,
}

fn read_u32(buf: &[u8], at: usize) -> Option<u32> {
    let bytes = buf.get(at..at.checked_add(4)?)?;
    let mut raw = [0u8; 4];
    raw.copy_from_slice(bytes);
    Some(u32::from_ne_bytes(raw))
}

fn read_i64(buf: &[u8], at: usize) -> Option<i64> {
    let bytes = buf.get(at..at.checked_add(8)?)?;
    let mut raw = [0u8; 8];
    raw.copy_from_slice(bytes);
    Some(i64::from_ne_bytes(raw))
}

/// Reads the header at `offset` of `buf`.
///
/// Errors: [`Error::TruncatedHeader`] (`-EINVAL`) if fewer than 20 bytes remain.
pub fn read_header(buf: &[u8], offset: usize) -> Result<EventHeader, Error> {
    let truncated = Error::TruncatedHeader { offset };
    let header = buf
        .get(offset..offset.checked_add(EVENT_HEADER_SIZE).ok_or(truncated)?)
        .ok_or(truncated)?;
    Ok(EventHeader {
        cb_event: read_u32(header, 0).ok_or(truncated)?,
        channel_group: read_u32(header, 4).ok_or(truncated)?,
        rt_delta: read_i64(header, 8).ok_or(truncated)?,
        flags: read_u32(header, 16).ok_or(truncated)?,
    })
}

/// One validated event of a buffer: where its data is and what to stamp on it.
struct Checked {
    data_start: usize,
    data_end: usize,
    channel_group: u16,
    pres_time: ReferenceTime,
    next: usize,
}

/// Checks the event at `offset`.
fn check_one(buf: &[u8], offset: usize, base: ReferenceTime) -> Result<Checked, Error> {
    let h = read_header(buf, offset)?;
    if h.cb_event == 0 {
        return Err(Error::ZeroLengthEvent { offset });
    }
    let channel_group =
        u16::try_from(h.channel_group).map_err(|_| Error::ChannelGroupRange { offset })?;
    let pres_time = base
        .checked_add(h.rt_delta)
        .ok_or(Error::TimeOverflow { offset })?;
    let past_end = Error::EventPastEnd { offset };
    let cb = usize::try_from(h.cb_event).map_err(|_| past_end)?;
    let data_start = offset + EVENT_HEADER_SIZE; // read_header checked this is in bounds.
    let data_end = data_start.checked_add(cb).ok_or(past_end)?;
    if data_end > buf.len() {
        return Err(past_end);
    }
    // The last event's padding may be cut off by the end of the buffer.
    let next = offset
        .checked_add(event_size(cb).ok_or(past_end)?)
        .ok_or(past_end)?
        .min(buf.len());
    Ok(Checked {
        data_start,
        data_end,
        channel_group,
        pres_time,
        next,
    })
}

/// Checks a whole user buffer without touching any pool; returns the number of events it
/// holds.
///
/// Errors (`-EINVAL`, with the offset of the bad header): [`Error::TruncatedHeader`] when the
/// buffer ends inside a header, [`Error::ZeroLengthEvent`] for `cbEvent == 0`,
/// [`Error::EventPastEnd`] when the data runs past the end, [`Error::ChannelGroupRange`] for a
/// group above 65535, [`Error::TimeOverflow`] when `base + rtDelta` overflows. An empty
/// buffer holds 0 events.
pub fn validate(buf: &[u8], base: ReferenceTime) -> Result<usize, Error> {
    let mut offset = 0;
    let mut count = 0usize;
    while offset < buf.len() {
        offset = check_one(buf, offset, base)?.next;
        count += 1;
    }
    Ok(count)
}

/// Unpacks the user buffer `buf` into a chain of events from `pool`, in buffer order, each
/// stamped `pres_time = base + rtDelta`, with its channel group, `DMUS_KEF_EVENT_COMPLETE`
/// (or INCOMPLETE pieces of a long event, see the module documentation), and not marked
/// running status.
///
/// All or nothing: the buffer is validated first (errors as [`validate`]), and if the pool
/// runs out while building, every event taken so far goes back and the call returns
/// [`Error::NoMemory`] (`-ENOMEM`). Never panics; O(buffer length).
///
/// Context: any in which the pool may be used (process context for a `write()`).
pub fn unpack<P: PoolRef>(
    pool: &P,
    buf: &[u8],
    base: ReferenceTime,
) -> Result<EventChain<P>, Error> {
    validate(buf, base)?;
    let mut chain = EventChain::new(pool.clone());
    let piece_size = pool.buffer_size().max(1);
    let mut offset = 0;
    while offset < buf.len() {
        let ev = check_one(buf, offset, base)?;
        let data = buf.get(ev.data_start..ev.data_end).unwrap_or(&[]);
        let mut pieces = data.chunks(piece_size).peekable();
        while let Some(piece) = pieces.next() {
            // On exhaustion, dropping `chain` returns everything taken so far.
            let mut event = pool.get_message()?;
            event.set_data(piece)?;
            event.set_channel_group(ev.channel_group);
            event.set_pres_time(ev.pres_time);
            event.set_flags(if pieces.peek().is_some() {
                DMUS_KEF_EVENT_INCOMPLETE
            } else {
                DMUS_KEF_EVENT_COMPLETE
            });
            chain.push_back(event).map_err(|_| Error::ForeignPool)?;
        }
        offset = ev.next;
    }
    Ok(chain)
}

/// Writes one event in `DMUS_EVENTHEADER` framing at the start of `out` (header, `data`, zero
/// padding to 8 bytes) and returns the bytes used (`DMUS_EVENT_SIZE(data.len())`). The
/// reverse of [`unpack`], for filling capture buffers and for tests.
///
/// Returns `None`, writing nothing, if `data` is empty or longer than `u32::MAX`, or if `out`
/// is too small.
pub fn encode_event(
    out: &mut [u8],
    channel_group: u32,
    rt_delta: i64,
    flags: u32,
    data: &[u8],
) -> Option<usize> {
    if data.is_empty() {
        return None;
    }
    let cb = u32::try_from(data.len()).ok()?;
    let size = event_size(data.len())?;
    let dst = out.get_mut(..size)?;
    dst.fill(0);
    dst.get_mut(0..4)?.copy_from_slice(&cb.to_ne_bytes());
    dst.get_mut(4..8)?
        .copy_from_slice(&channel_group.to_ne_bytes());
    dst.get_mut(8..16)?.copy_from_slice(&rt_delta.to_ne_bytes());
    dst.get_mut(16..20)?.copy_from_slice(&flags.to_ne_bytes());
    dst.get_mut(EVENT_HEADER_SIZE..EVENT_HEADER_SIZE + data.len())?
        .copy_from_slice(data);
    Some(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(event_size(0), Some(24));
        assert_eq!(event_size(3), Some(24));
        assert_eq!(event_size(4), Some(24));
        assert_eq!(event_size(5), Some(32));
        assert_eq!(event_size(12), Some(32));
        assert_eq!(event_size(usize::MAX), None);
    }

    #[test]
    fn header_round_trip() {
        let mut buf = [0u8; 32];
        assert_eq!(
            encode_event(&mut buf, 2, -7, DMUS_EVENT_STRUCTURED, &[0x90, 1, 2]),
            Some(24)
        );
        let h = read_header(&buf, 0).unwrap();
        assert_eq!(
            h,
            EventHeader {
                cb_event: 3,
                channel_group: 2,
                rt_delta: -7,
                flags: 1
            }
        );
        assert_eq!(&buf[20..23], &[0x90, 1, 2]);
        assert_eq!(encode_event(&mut buf[..23], 1, 0, 0, &[1, 2, 3]), None);
        assert_eq!(encode_event(&mut buf, 1, 0, 0, &[]), None);
        assert_eq!(
            read_header(&buf, 13),
            Err(Error::TruncatedHeader { offset: 13 })
        );
        assert_eq!(
            read_header(&buf, usize::MAX),
            Err(Error::TruncatedHeader { offset: usize::MAX })
        );
    }
}
