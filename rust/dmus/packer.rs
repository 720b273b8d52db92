// SPDX-License-Identifier: GPL-2.0

//! The wire packer: events to raw MIDI 1.0 bytes, resumable at any byte.
//!
//! The MPU-401 render path writes to the data port while `TX_FULL` is clear; when the chip's
//! FIFO fills in the middle of an event, the write stops and resumes later (the WDK sample
//! retries from a 1 ms timer and keeps the offset in `m_DMKEvtOffset`). The [`Packer`] keeps
//! that offset, and the MIDI running-status state of the wire, between calls: the caller
//! offers the same event again until [`Packed::done`] says it went out whole.
//!
//! Running status ([`RunningStatus`]): a channel message may leave out its status byte when
//! it equals the last status byte sent. The packer tracks the wire's running status exactly as
//! a receiver does: a channel status (0x80-0xEF) sets it, a system common or exclusive byte
//! (0xF0-0xF7) clears it, real-time bytes (0xF8-0xFF) leave it alone.
//!
//! Package events carry no bytes; unpack them first with
//! [`EventChain::pop_front_unpacked`](super::event::EventChain::pop_front_unpacked).

use super::allocator::PoolStorage;
use super::event::EventRef;

/// When the packer leaves out a channel message's status byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunningStatus {
    /// Never: every message is sent with its status byte.
    Off,
    /// Whenever the status equals the wire's running status (fewest bytes on the wire).
    Always,
    /// Only for events marked [`running_status`](super::event::EventRef::running_status)
    /// (they arrived without their status byte) and only when the status equals the wire's
    /// running status: a parsed stream goes out byte for byte as it came in.
    Preserve,
}

/// Progress of one [`Packer::pack`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packed {
    /// Bytes written to the output slice.
    pub written: usize,
    /// Whether the event is now completely written; if not, offer it again.
    pub done: bool,
}

/// Turns events into wire bytes; see the module documentation.
#[derive(Clone, Debug)]
pub struct Packer {
    mode: RunningStatus,
    /// Running status of the wire after the last byte written (0 = none).
    wire_status: u8,
    /// Bytes of the current event already written (0 = at an event boundary).
    offset: usize,
    /// Whether the current event's status byte is left out.
    skip_status: bool,
}

/// Updates a running status `state` by one wire byte, as a receiver does.
fn track(state: u8, byte: u8) -> u8 {
    match byte {
        0x80..=0xEF => byte,
        0xF0..=0xF7 => 0,
        _ => state,
    }
}

impl Packer {
    /// A packer at an event boundary, with no running status on the wire.
    pub const fn new(mode: RunningStatus) -> Self {
        Self {
            mode,
            wire_status: 0,
            offset: 0,
            skip_status: false,
        }
    }

    /// The running-status mode.
    pub fn mode(&self) -> RunningStatus {
        self.mode
    }

    /// Whether an event is partly written (the next call must offer the same event).
    pub fn is_mid_event(&self) -> bool {
        self.offset != 0
    }

    /// Forgets the wire state: the next message is sent with its status byte. Call after the
    /// device was reset or something else wrote to it.
    pub fn reset(&mut self) {
        self.wire_status = 0;
        self.offset = 0;
        self.skip_status = false;
    }

    /// Gives up the partly written event (its remaining bytes are never sent). The wire's
    /// running status becomes unknown, so the next message carries its status byte.
    pub fn abort_event(&mut self) {
        self.reset();
    }

    /// Writes as much as fits into `out` of the event whose MIDI bytes are `data`
    /// (`running_status` is the event's mark, used in [`RunningStatus::Preserve`] mode).
    ///
    /// Returns the bytes written and whether the event is done; an event with no data is done
    /// at once. Until it is done, the caller must offer the same `data` again (with the rest of
    /// the FIFO space) and nothing else. Never fails, never panics; O(bytes written).
    ///
    /// Context: any (the MPU-401 render path calls it under its hardware lock, in softirq or
    /// hrtimer context).
    pub fn pack(&mut self, data: &[u8], running_status: bool, out: &mut [u8]) -> Packed {
        if self.offset == 0 {
            self.skip_status = match (self.mode, data.first()) {
                (RunningStatus::Off, _) | (_, None) => false,
                (RunningStatus::Always, Some(&s)) => {
                    (0x80..=0xEF).contains(&s) && s == self.wire_status && data.len() > 1
                }
                (RunningStatus::Preserve, Some(&s)) => {
                    running_status
                        && (0x80..=0xEF).contains(&s)
                        && s == self.wire_status
                        && data.len() > 1
                }
            };
            if self.skip_status {
                self.offset = 1;
            }
        }
        let rest = data.get(self.offset..).unwrap_or(&[]);
        let n = rest.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
            for &b in src {
                self.wire_status = track(self.wire_status, b);
            }
        }
        self.offset += n;
        let done = self.offset >= data.len();
        if done {
            self.offset = 0;
            self.skip_status = false;
        }
        Packed { written: n, done }
    }

    /// [`pack`](Self::pack) for an event (its data and running-status mark).
    pub fn pack_event<S: PoolStorage>(
        &mut self,
        event: &EventRef<'_, S>,
        out: &mut [u8],
    ) -> Packed {
        self.pack(event.data(), event.running_status(), out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack_all(p: &mut Packer, msgs: &[(&[u8], bool)]) -> [u8; 64] {
        let mut out = [0u8; 64];
        let mut pos = 0;
        for (data, rs) in msgs {
            let r = p.pack(data, *rs, &mut out[pos..]);
            assert!(r.done);
            pos += r.written;
        }
        out
    }

    #[test]
    fn modes() {
        let msgs: [(&[u8], bool); 3] = [
            (&[0x90, 60, 100], false),
            (&[0x90, 62, 100], true),
            (&[0x90, 64, 100], false),
        ];
        let mut off = Packer::new(RunningStatus::Off);
        assert_eq!(
            &pack_all(&mut off, &msgs)[..9],
            &[0x90, 60, 100, 0x90, 62, 100, 0x90, 64, 100]
        );
        let mut always = Packer::new(RunningStatus::Always);
        assert_eq!(
            &pack_all(&mut always, &msgs)[..7],
            &[0x90, 60, 100, 62, 100, 64, 100]
        );
        let mut keep = Packer::new(RunningStatus::Preserve);
        assert_eq!(
            &pack_all(&mut keep, &msgs)[..8],
            &[0x90, 60, 100, 62, 100, 0x90, 64, 100]
        );
    }

    #[test]
    fn resumes_mid_event() {
        let mut p = Packer::new(RunningStatus::Always);
        let sysex = [0xF0, 1, 2, 3, 4, 0xF7];
        let mut out = [0u8; 4];
        let r = p.pack(&sysex, false, &mut out);
        assert_eq!(
            r,
            Packed {
                written: 4,
                done: false
            }
        );
        assert!(p.is_mid_event());
        let r = p.pack(&sysex, false, &mut out[..1]);
        assert_eq!(
            r,
            Packed {
                written: 1,
                done: false
            }
        );
        assert_eq!(out[0], 4);
        let r = p.pack(&sysex, false, &mut out);
        assert_eq!(
            r,
            Packed {
                written: 1,
                done: true
            }
        );
        assert_eq!(out[0], 0xF7);
        // A zero-space call makes no progress and is not done.
        let r = p.pack(&[0x80, 1, 2], false, &mut []);
        assert_eq!(
            r,
            Packed {
                written: 0,
                done: false
            }
        );
    }

    #[test]
    fn system_messages_cancel_running_status_but_realtime_does_not() {
        let mut p = Packer::new(RunningStatus::Always);
        let out = pack_all(
            &mut p,
            &[
                (&[0x90, 1, 1], false),
                (&[0xF8], false),
                (&[0x90, 2, 2], false),
                (&[0xF3, 5], false),
                (&[0x90, 3, 3], false),
            ],
        );
        assert_eq!(&out[..11], &[0x90, 1, 1, 0xF8, 2, 2, 0xF3, 5, 0x90, 3, 3]);
    }
}
