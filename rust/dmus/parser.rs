// SPDX-License-Identifier: GPL-2.0

//! The capture sink: raw MIDI 1.0 bytes with their arrival time to one event per message.
//!
//! On Windows the miniport's capture stream hands the port raw bytes, several per event and
//! flagged `DMUS_KEF_EVENT_INCOMPLETE`, and the port's capture sink "parses this raw data
//! stream and emits ... one per structure". That sink is closed source; this one is designed
//! from the MIDI 1.0 specification. The rules, in the order a byte meets them:
//!
//! 1. **Real-time** (0xF8, 0xFA-0xFC, 0xFE, 0xFF) is delivered at once as a one-byte event,
//!    even inside another message, and changes no state. Inside a SysEx, the SysEx bytes
//!    received so far are first emitted as an INCOMPLETE piece, so re-packing the events in
//!    order gives the bytes in their original order. Inside a channel or system common
//!    message the real-time event comes out before the message it interrupted (the message is
//!    not complete yet); re-packing then puts the real-time byte before that message.
//! 2. **Undefined** status bytes (0xF4, 0xF5, 0xF9, 0xFD) are dropped and counted
//!    ([`ParserStats::undefined_status`]). 0xF4/0xF5 also cancel running status and end a
//!    SysEx, as any non-real-time status byte does; 0xF9/0xFD, being real-time codes, do not.
//! 3. **SysEx** (0xF0 ... 0xF7) of any length, over any number of input chunks, is carried in
//!    events of up to the pool's buffer size: when a piece is full and another SysEx byte
//!    arrives, the full piece is emitted INCOMPLETE and a new piece starts. The piece holding
//!    0xF7 is emitted COMPLETE. Each piece is stamped with the time of its own first byte. A
//!    status byte other than real-time or 0xF7 ends an unterminated SysEx: its last piece is
//!    emitted COMPLETE and counted in [`ParserStats::truncated`].
//! 4. **0xF7 without 0xF0** is dropped and counted ([`ParserStats::stray_eox`]); it cancels
//!    running status.
//! 5. **System common** (0xF1, 0xF2, 0xF3, 0xF6) cancels running status; its data bytes follow
//!    it (0xF6 has none and is emitted at once).
//! 6. **Channel** status (0x80-0xEF) sets running status. A data byte with no message pending
//!    starts a new message with the running status: the event's data still begins with the
//!    status byte, and it is marked [`running_status`](super::event::EventRef::running_status).
//! 7. **Stray data** (a data byte with no running status) is dropped and counted
//!    ([`ParserStats::stray_data`]).
//! 8. A message cut short by a status byte (not real-time) is dropped and counted
//!    ([`ParserStats::truncated`]).
//!
//! A message's time is the time of its first byte (the status byte, or the first data byte
//! under running status), whatever chunk the rest arrives in. When the pool is exhausted the
//! message (or the rest of the SysEx) is dropped and counted ([`ParserStats::dropped`]); the
//! parser's state machine goes on, so the next message parses correctly.
//!
//! The parser holds at most one SysEx piece (one event) between calls and allocates nothing
//! else; events go to a caller closure.

use super::allocator::{AllocatorMxf, PoolRef};
use super::clock::ReferenceTime;
use super::event::{DmusKernelEvent, DMUS_KEF_EVENT_COMPLETE, DMUS_KEF_EVENT_INCOMPLETE};

/// Counters of a [`Parser`]; they only grow (wrapping at `u64::MAX`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParserStats {
    /// Events emitted.
    pub events: u64,
    /// Undefined status bytes (0xF4, 0xF5, 0xF9, 0xFD) dropped.
    pub undefined_status: u64,
    /// Data bytes dropped because no running status applied.
    pub stray_data: u64,
    /// 0xF7 bytes dropped because no SysEx was open.
    pub stray_eox: u64,
    /// Messages cut short by a status byte: incomplete channel or system common messages
    /// (dropped) and SysEx without 0xF7 (emitted up to the interruption).
    pub truncated: u64,
    /// Events lost because the pool had no free event or buffer (a SysEx whose piece could
    /// not be stored counts once; the rest of that SysEx is skipped).
    pub dropped: u64,
}

/// Number of data bytes after status `status` (channel and system common), or `None` if it
/// takes a variable number (SysEx) or is not such a status.
const fn data_len(status: u8) -> Option<u8> {
    match status {
        0x80..=0xBF | 0xE0..=0xEF => Some(2),
        0xC0..=0xDF => Some(1),
        0xF1 | 0xF3 => Some(1),
        0xF2 => Some(2),
        0xF6 => Some(0),
        _ => None,
    }
}

/// The capture-sink parser; see the module documentation.
pub struct Parser<P: PoolRef> {
    pool: P,
    channel_group: u16,
    /// Running status (0 = none).
    running: u8,
    /// The channel or system common message being assembled.
    msg: [u8; 3],
    /// Bytes of `msg` received so far (0 = no message pending).
    have: usize,
    /// Total length of `msg`.
    need: usize,
    msg_time: ReferenceTime,
    msg_running: bool,
    /// Inside a SysEx.
    in_sysex: bool,
    /// Skipping the rest of a SysEx after running out of pool.
    sysex_dropping: bool,
    /// The SysEx piece being filled.
    piece: Option<DmusKernelEvent<P>>,
    stats: ParserStats,
}

impl<P: PoolRef> Parser<P> {
    /// A parser taking events from `pool`, stamping them with `channel_group` (1-based).
    pub fn new(pool: P, channel_group: u16) -> Self {
        Self {
            pool,
            channel_group,
            running: 0,
            msg: [0; 3],
            have: 0,
            need: 0,
            msg_time: 0,
            msg_running: false,
            in_sysex: false,
            sysex_dropping: false,
            piece: None,
            stats: ParserStats::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> ParserStats {
        self.stats
    }

    /// The channel group stamped on new events.
    pub fn channel_group(&self) -> u16 {
        self.channel_group
    }

    /// Changes the channel group stamped on new events.
    pub fn set_channel_group(&mut self, group: u16) {
        self.channel_group = group;
    }

    /// Whether the parser is in the middle of a message or a SysEx.
    pub fn is_mid_message(&self) -> bool {
        self.have != 0 || self.in_sysex
    }

    /// Forgets any partial message and the running status (the held SysEx piece goes back to
    /// the pool); the counters stay. For a capture stream going to STOP.
    pub fn reset(&mut self) {
        self.running = 0;
        self.have = 0;
        self.need = 0;
        self.in_sysex = false;
        self.sysex_dropping = false;
        self.piece = None;
    }

    /// Parses `bytes`, all received at `time` (100 ns; the time the chip's ISR stamped on the
    /// burst), and passes each finished event to `sink` in stream order. Never fails, never
    /// panics; O(bytes).
    ///
    /// Context: any in which the pool may be used (the capture path runs it in softirq
    /// context, from the service group's tasklet).
    pub fn feed(
        &mut self,
        bytes: &[u8],
        time: ReferenceTime,
        mut sink: impl FnMut(DmusKernelEvent<P>),
    ) {
        for &b in bytes {
            self.feed_byte(b, time, &mut sink);
        }
    }

    /// Emits the SysEx piece held so far as an INCOMPLETE event, if there is one (for a
    /// caller that wants a slow SysEx delivered before its buffer fills). Re-packing stays
    /// byte-exact. Outside a SysEx it does nothing: a channel or system common message
    /// still waiting for its data bytes stays whole.
    pub fn flush(&mut self, mut sink: impl FnMut(DmusKernelEvent<P>)) {
        if !self.in_sysex {
            return;
        }
        self.emit_piece(DMUS_KEF_EVENT_INCOMPLETE, &mut sink);
    }

    /// Parses one byte received at `time`; see [`feed`](Self::feed).
    pub fn feed_byte(
        &mut self,
        b: u8,
        time: ReferenceTime,
        sink: &mut impl FnMut(DmusKernelEvent<P>),
    ) {
        if b >= 0xF8 {
            if b == 0xF9 || b == 0xFD {
                self.stats.undefined_status = self.stats.undefined_status.wrapping_add(1);
                return;
            }
            if self.in_sysex {
                self.emit_piece(DMUS_KEF_EVENT_INCOMPLETE, sink);
            }
            self.emit_short(&[b], time, false, sink);
            return;
        }

        if b >= 0x80 {
            if self.in_sysex && b != 0xF7 {
                // Any status byte but EOX ends an open SysEx.
                self.stats.truncated = self.stats.truncated.wrapping_add(1);
                self.emit_piece(DMUS_KEF_EVENT_COMPLETE, sink);
                self.in_sysex = false;
                self.sysex_dropping = false;
            }
            if self.have != 0 {
                self.stats.truncated = self.stats.truncated.wrapping_add(1);
                self.have = 0;
            }
            match b {
                0xF0 => {
                    self.running = 0;
                    self.in_sysex = true;
                    self.sysex_dropping = false;
                    self.sysex_byte(b, time, sink);
                }
                0xF7 => {
                    self.running = 0;
                    if self.in_sysex {
                        self.sysex_byte(b, time, sink);
                        self.emit_piece(DMUS_KEF_EVENT_COMPLETE, sink);
                        self.in_sysex = false;
                        self.sysex_dropping = false;
                    } else {
                        self.stats.stray_eox = self.stats.stray_eox.wrapping_add(1);
                    }
                }
                0xF4 | 0xF5 => {
                    self.running = 0;
                    self.stats.undefined_status = self.stats.undefined_status.wrapping_add(1);
                }
                _ => {
                    if b >= 0xF0 {
                        self.running = 0;
                    } else {
                        self.running = b;
                    }
                    self.start_message(b, time, false, sink);
                }
            }
            return;
        }

        // A data byte.
        if self.in_sysex {
            self.sysex_byte(b, time, sink);
        } else if self.have != 0 {
            self.push_data(b, sink);
        } else if self.running != 0 {
            self.start_message(self.running, time, true, sink);
            self.push_data(b, sink);
        } else {
            self.stats.stray_data = self.stats.stray_data.wrapping_add(1);
        }
    }

    fn start_message(
        &mut self,
        status: u8,
        time: ReferenceTime,
        running: bool,
        sink: &mut impl FnMut(DmusKernelEvent<P>),
    ) {
        let Some(n) = data_len(status) else {
            return;
        };
        self.msg = [status, 0, 0];
        self.have = 1;
        self.need = 1 + usize::from(n);
        self.msg_time = time;
        self.msg_running = running;
        if n == 0 {
            self.finish_message(sink);
        }
    }

    fn push_data(&mut self, b: u8, sink: &mut impl FnMut(DmusKernelEvent<P>)) {
        if let Some(slot) = self.msg.get_mut(self.have) {
            *slot = b;
            self.have += 1;
        }
        if self.have >= self.need {
            self.finish_message(sink);
        }
    }

    fn finish_message(&mut self, sink: &mut impl FnMut(DmusKernelEvent<P>)) {
        let msg = self.msg;
        let len = self.have.min(self.need);
        self.have = 0;
        self.emit_short(
            msg.get(..len).unwrap_or(&[]),
            self.msg_time,
            self.msg_running,
            sink,
        );
    }

    fn new_event(&mut self, time: ReferenceTime) -> Option<DmusKernelEvent<P>> {
        match self.pool.get_message() {
            Ok(mut event) => {
                event.set_pres_time(time);
                event.set_channel_group(self.channel_group);
                Some(event)
            }
            Err(_) => {
                self.stats.dropped = self.stats.dropped.wrapping_add(1);
                None
            }
        }
    }

    fn emit_short(
        &mut self,
        data: &[u8],
        time: ReferenceTime,
        running: bool,
        sink: &mut impl FnMut(DmusKernelEvent<P>),
    ) {
        let Some(mut event) = self.new_event(time) else {
            return;
        };
        // At most 3 bytes: always inline, cannot fail.
        if event.set_data(data).is_err() {
            self.stats.dropped = self.stats.dropped.wrapping_add(1);
            return;
        }
        event.set_running_status(running);
        self.stats.events = self.stats.events.wrapping_add(1);
        sink(event);
    }

    fn emit_piece(&mut self, flags: u16, sink: &mut impl FnMut(DmusKernelEvent<P>)) {
        if let Some(mut piece) = self.piece.take() {
            if piece.cb_event() == 0 {
                return;
            }
            piece.set_flags(flags);
            self.stats.events = self.stats.events.wrapping_add(1);
            sink(piece);
        }
    }

    fn sysex_byte(
        &mut self,
        b: u8,
        time: ReferenceTime,
        sink: &mut impl FnMut(DmusKernelEvent<P>),
    ) {
        if self.sysex_dropping {
            return;
        }
        let full = self
            .piece
            .as_ref()
            .is_some_and(|p| usize::from(p.cb_event()) >= self.pool.buffer_size());
        if full {
            self.emit_piece(DMUS_KEF_EVENT_INCOMPLETE, sink);
        }
        if self.piece.is_none() {
            self.piece = self.new_event(time);
            if self.piece.is_none() {
                self.sysex_dropping = true;
                return;
            }
        }
        let stored = self.piece.as_mut().map(|p| p.extend_data(&[b]));
        if !matches!(stored, Some(Ok(()))) {
            // No buffer for a piece growing past the inline bytes: drop the piece and the
            // rest of this SysEx.
            self.piece = None;
            self.sysex_dropping = true;
            self.stats.dropped = self.stats.dropped.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_lengths() {
        assert_eq!(data_len(0x80), Some(2));
        assert_eq!(data_len(0xAF), Some(2));
        assert_eq!(data_len(0xB0), Some(2));
        assert_eq!(data_len(0xC5), Some(1));
        assert_eq!(data_len(0xD0), Some(1));
        assert_eq!(data_len(0xEF), Some(2));
        assert_eq!(data_len(0xF1), Some(1));
        assert_eq!(data_len(0xF2), Some(2));
        assert_eq!(data_len(0xF3), Some(1));
        assert_eq!(data_len(0xF6), Some(0));
        assert_eq!(data_len(0xF0), None);
        assert_eq!(data_len(0x40), None);
    }
}
