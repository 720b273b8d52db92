// SPDX-License-Identifier: GPL-2.0

//! The buffers of the DMus device (`rust/uapi/snd_dmus.h`): the checks a `write()` must pass
//! before anything is queued, and the encoding of the buffers `read()` returns.
//!
//! A write carries one or more whole buffers: a 16-byte header (`rt_start`, `cb_data`,
//! `flags`) and `cb_data` bytes of `DMUS_EVENTHEADER` records (see [`super::unpacker`]). On
//! top of the record framing the unpacker checks, the device requires:
//! - `cb_data` a multiple of 8 and within the write, buffer `flags` 0;
//! - every record's channel group 0 (all groups) or 1 (the port's one group);
//! - no event flag but `DMUS_EVENT_STRUCTURED`;
//! - a structured record to be exactly one complete MIDI message (a channel, system common
//!   or real-time message with its status byte; not SysEx).
//!
//! Source: `dmusbuff.h` (DMUS_EVENTHEADER, `DMUS_EVENT_STRUCTURED`), the MIDI 1.0
//! specification (message lengths), `IDirectMusicPort::PlayBuffer`.

use super::clock::ReferenceTime;
use super::error::Error;
use super::event::INLINE_CAPACITY;
use super::unpacker::{self, event_size, read_header, DMUS_EVENT_STRUCTURED, EVENT_HEADER_SIZE};

/// `sizeof(struct snd_dmus_buffer)`: 16 bytes.
pub const BUFFER_HEADER_SIZE: usize = 16;

/// `SND_DMUS_EVENT_INCOMPLETE` (read only): more bytes of the same SysEx follow.
pub const DMUS_EVENT_INCOMPLETE: u32 = 0x0000_0002;

/// `SND_DMUS_BUFFER_OVERRUN` (read only): input was lost before this buffer.
pub const BUFFER_OVERRUN: u32 = 0x0000_0001;

/// The length of the MIDI message that starts with status byte `status`, or `None` for a
/// byte that does not start a message of fixed length (a data byte, SysEx, EOX, undefined).
pub const fn message_len(status: u8) -> Option<usize> {
    match status {
        0x80..=0xBF | 0xE0..=0xEF => Some(3),
        0xC0..=0xDF => Some(2),
        0xF1 | 0xF3 => Some(2),
        0xF2 => Some(3),
        0xF6 | 0xF8 | 0xFA..=0xFC | 0xFE | 0xFF => Some(1),
        _ => None,
    }
}

/// Whether `data` is exactly one complete MIDI message with its status byte (what
/// `DMUS_EVENT_STRUCTURED` promises): the right length, data bytes below 0x80.
pub fn is_one_message(data: &[u8]) -> bool {
    match data.split_first() {
        Some((&status, rest)) => {
            message_len(status) == Some(data.len()) && rest.iter().all(|&b| b < 0x80)
        }
        None => false,
    }
}

/// One buffer of a write: its start time and its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferRef<'a> {
    /// `rt_start`, 100 ns master-clock time.
    pub rt_start: ReferenceTime,
    /// The `cb_data` bytes of records.
    pub records: &'a [u8],
}

/// What a checked write needs from the render allocator, and what it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WritePlan {
    /// Buffers in the write.
    pub buffers: usize,
    /// Records in the write.
    pub records: usize,
    /// Events the unpacker takes from the pool (a record longer than the pool's buffer size
    /// is split in pieces).
    pub events: usize,
    /// Pool buffers those events take (pieces longer than the inline bytes).
    pub pool_buffers: usize,
    /// Bit `n` set: a channel message on MIDI channel `n` (0-15), structured or among raw
    /// bytes.
    pub channels: u16,
}

/// Splits `buf` into its buffers, checking each buffer header. Errors:
/// [`Error::InvalidArgument`] (`-EINVAL`) when `buf` is shorter than a header, a `cb_data` is
/// not a multiple of 8 or runs past the end, or a buffer's `flags` are not 0.
pub fn split_buffers(
    buf: &[u8],
    mut each: impl FnMut(BufferRef<'_>) -> Result<(), Error>,
) -> Result<usize, Error> {
    if buf.len() < BUFFER_HEADER_SIZE {
        return Err(Error::InvalidArgument);
    }
    let mut offset = 0;
    let mut count = 0;
    while offset < buf.len() {
        let header = buf
            .get(offset..offset + BUFFER_HEADER_SIZE)
            .ok_or(Error::InvalidArgument)?;
        let mut raw8 = [0u8; 8];
        let mut raw4 = [0u8; 4];
        raw8.copy_from_slice(header.get(0..8).ok_or(Error::InvalidArgument)?);
        let rt_start = i64::from_ne_bytes(raw8);
        raw4.copy_from_slice(header.get(8..12).ok_or(Error::InvalidArgument)?);
        let cb_data =
            usize::try_from(u32::from_ne_bytes(raw4)).map_err(|_| Error::InvalidArgument)?;
        raw4.copy_from_slice(header.get(12..16).ok_or(Error::InvalidArgument)?);
        let flags = u32::from_ne_bytes(raw4);
        if flags != 0 || cb_data % 8 != 0 {
            return Err(Error::InvalidArgument);
        }
        let start = offset + BUFFER_HEADER_SIZE;
        let end = start.checked_add(cb_data).ok_or(Error::InvalidArgument)?;
        let records = buf.get(start..end).ok_or(Error::InvalidArgument)?;
        each(BufferRef { rt_start, records })?;
        count += 1;
        offset = end;
    }
    Ok(count)
}

/// Checks a whole write (every rule of the module documentation) without touching any pool,
/// and says what it needs: pool events and buffers for a pool whose buffers hold
/// `buffer_size` bytes. Errors: [`Error::InvalidArgument`] (`-EINVAL`, or the unpacker's
/// framing errors, also `-EINVAL`) for any rule broken.
pub fn check_write(buf: &[u8], buffer_size: usize) -> Result<WritePlan, Error> {
    let piece = buffer_size.max(1);
    let mut plan = WritePlan::default();
    plan.buffers = split_buffers(buf, |b| {
        unpacker::validate(b.records, b.rt_start)?;
        let mut offset = 0;
        while offset < b.records.len() {
            let h = read_header(b.records, offset)?;
            if h.channel_group > 1 || h.flags & !DMUS_EVENT_STRUCTURED != 0 {
                return Err(Error::InvalidArgument);
            }
            let cb = h.cb_event as usize;
            let start = offset + EVENT_HEADER_SIZE;
            let data = b
                .records
                .get(start..start + cb)
                .ok_or(Error::InvalidArgument)?;
            if h.flags & DMUS_EVENT_STRUCTURED != 0 && !is_one_message(data) {
                return Err(Error::InvalidArgument);
            }
            // Every channel status byte, of a structured message or among
            // raw bytes (in a SysEx every data byte is below 0x80).
            for &s in data.iter().filter(|b| (0x80..=0xEF).contains(*b)) {
                plan.channels |= 1 << (s & 0x0f);
            }
            let pieces = cb.div_ceil(piece);
            plan.records += 1;
            plan.events += pieces;
            // Every piece but the last is full; the last holds the rest.
            let last = cb - (pieces - 1) * piece;
            plan.pool_buffers += if piece > INLINE_CAPACITY {
                pieces - 1
            } else {
                0
            };
            if last > INLINE_CAPACITY {
                plan.pool_buffers += 1;
            }
            offset = offset
                .checked_add(event_size(cb).ok_or(Error::InvalidArgument)?)
                .ok_or(Error::InvalidArgument)?;
        }
        Ok(())
    })?;
    Ok(plan)
}

/// Writes a buffer header (`rt_start`, `cb_data`, `flags`) at the start of `out`; `None` if
/// `out` is shorter than [`BUFFER_HEADER_SIZE`].
pub fn encode_buffer_header(
    out: &mut [u8],
    rt_start: ReferenceTime,
    cb_data: u32,
    flags: u32,
) -> Option<()> {
    out.get_mut(0..8)?.copy_from_slice(&rt_start.to_ne_bytes());
    out.get_mut(8..12)?.copy_from_slice(&cb_data.to_ne_bytes());
    out.get_mut(12..16)?.copy_from_slice(&flags.to_ne_bytes());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert!(is_one_message(&[0x90, 0x40, 0x7f]));
        assert!(is_one_message(&[0xc0, 0x05]));
        assert!(is_one_message(&[0xf8]));
        assert!(!is_one_message(&[0x90, 0x40]));
        assert!(!is_one_message(&[0x90, 0x40, 0x40, 0x40]));
        assert!(!is_one_message(&[0x40, 0x40, 0x40]));
        assert!(!is_one_message(&[0xf0, 0x7e, 0xf7]));
        assert!(!is_one_message(&[0x90, 0x80, 0x00]));
        assert!(!is_one_message(&[]));
    }
}
