// SPDX-License-Identifier: GPL-2.0
//! A MIDI 1.0 byte-stream receiver: turns the timed wire chunks of a file
//! back into whole messages, the way a device (or the kernel's
//! `snd_midi_event_encode_byte()`) sees them.
//!
//! Working on the wire bytes rather than on SMF events is what makes a
//! played and a recorded file comparable: an SMF may cut one SysEx into an
//! `F0` packet and `F7` continuation packets, or hide channel messages and
//! real-time bytes inside `F7` escapes, and the recorder writes whatever
//! packets the sequencer handed it.
//!
//! [`receive_bytes`] is the receiver itself, for any byte stream whose
//! bytes carry a stamp (a time, a log index); `sched` and `stamps` use it
//! on the debugfs wire log and on capture stamps.

use crate::smf::Chunk;

/// Which comparison stream a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    /// A MIDI channel, 0..=15 (shown as 1..=16).
    Channel(u8),
    /// SysEx, system common and real-time messages.
    System,
}

impl Stream {
    /// Short label: `ch 1`..`ch 16`, or `system`.
    pub fn label(self) -> String {
        match self {
            Stream::Channel(c) => format!("ch {}", c + 1),
            Stream::System => "system".to_string(),
        }
    }
}

/// The kind of a received message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgKind {
    /// Channel voice/mode message.
    Channel,
    /// System exclusive, `F0 .. F7`. `terminated` is false when another
    /// status byte or the end of the file cut it before its `F7`.
    SysEx {
        /// Whether the message ended with `F7`.
        terminated: bool,
    },
    /// System common message `F1`..`F6`.
    Common,
    /// System real-time byte `F8`..`FF`.
    RealTime,
}

/// One whole MIDI message as seen on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    /// Time of the chunk that carried the message's first byte (µs).
    pub time_us: u64,
    /// Tick of that chunk (in the file's own division).
    pub tick: u64,
    /// Comparison stream.
    pub stream: Stream,
    /// Message kind.
    pub kind: MsgKind,
    /// Complete message bytes with explicit status byte.
    pub bytes: Vec<u8>,
}

/// Result of receiving a whole file.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// Messages in wire order.
    pub msgs: Vec<Msg>,
    /// Data bytes that had no status to belong to (dropped, as a receiver
    /// does).
    pub stray_bytes: usize,
    /// Channel or common messages cut short by a new status byte or by the
    /// end of the file (dropped).
    pub incomplete: usize,
}

/// Number of data bytes following a status byte (SysEx excluded).
fn data_len(status: u8) -> usize {
    match status {
        0x80..=0xbf | 0xe0..=0xef => 2,
        0xc0..=0xdf => 1,
        0xf1 | 0xf3 => 1,
        0xf2 => 2,
        _ => 0,
    }
}

/// One whole message out of [`receive_bytes`], with the stamp that came
/// with its first byte (a time, an index, whatever the caller attached).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamped<T> {
    /// Stamp of the message's first byte on the wire: its status byte, or
    /// its first data byte under running status.
    pub stamp: T,
    /// Message kind.
    pub kind: MsgKind,
    /// Complete message bytes with explicit status byte.
    pub bytes: Vec<u8>,
}

impl<T> Stamped<T> {
    /// The comparison stream of the message.
    pub fn stream(&self) -> Stream {
        match self.kind {
            MsgKind::Channel => Stream::Channel(self.bytes[0] & 0x0f),
            _ => Stream::System,
        }
    }
}

/// Result of [`receive_bytes`].
#[derive(Clone, Debug)]
pub struct ReceivedBytes<T> {
    /// Messages in wire order.
    pub msgs: Vec<Stamped<T>>,
    /// Data bytes that had no status to belong to (dropped).
    pub stray_bytes: usize,
    /// Channel or common messages cut short by a new status byte or by the
    /// end of the input (dropped).
    pub incomplete: usize,
}

struct Pending<T> {
    stamp: T,
    bytes: Vec<u8>,
    need: usize,
}

/// Receives a stream of bytes, each with a stamp, as a MIDI 1.0 device
/// does: running status, SysEx `F0 .. F7` (cut by any other status byte),
/// system common messages (which cancel running status) and real-time
/// bytes, which may appear anywhere and change no state.
pub fn receive_bytes<T: Copy>(input: impl IntoIterator<Item = (T, u8)>) -> ReceivedBytes<T> {
    let mut out = ReceivedBytes {
        msgs: Vec::new(),
        stray_bytes: 0,
        incomplete: 0,
    };
    let mut running: Option<u8> = None;
    let mut pending: Option<Pending<T>> = None;
    let mut sysex: Option<Pending<T>> = None;

    fn close_sysex<T>(
        out: &mut ReceivedBytes<T>,
        sysex: &mut Option<Pending<T>>,
        terminated: bool,
    ) {
        if let Some(p) = sysex.take() {
            out.msgs.push(Stamped {
                stamp: p.stamp,
                kind: MsgKind::SysEx { terminated },
                bytes: p.bytes,
            });
        }
    }

    fn emit<T>(out: &mut ReceivedBytes<T>, p: Pending<T>) {
        let kind = if p.bytes[0] < 0xf0 {
            MsgKind::Channel
        } else {
            MsgKind::Common
        };
        out.msgs.push(Stamped {
            stamp: p.stamp,
            kind,
            bytes: p.bytes,
        });
    }

    for (stamp, b) in input {
        match b {
            0xf8..=0xff => {
                // Real-time: may appear anywhere, even inside SysEx or
                // between a status and its data; changes no state.
                out.msgs.push(Stamped {
                    stamp,
                    kind: MsgKind::RealTime,
                    bytes: vec![b],
                });
            }
            0xf7 => {
                if let Some(s) = sysex.as_mut() {
                    s.bytes.push(b);
                    close_sysex(&mut out, &mut sysex, true);
                } else {
                    out.stray_bytes += 1;
                }
                running = None;
            }
            0x80..=0xf6 => {
                close_sysex(&mut out, &mut sysex, false);
                if pending.take().is_some() {
                    out.incomplete += 1;
                }
                let p = Pending {
                    stamp,
                    bytes: vec![b],
                    need: data_len(b),
                };
                if b == 0xf0 {
                    running = None;
                    sysex = Some(p);
                } else {
                    // Channel messages set running status; system
                    // common messages cancel it (MIDI 1.0).
                    running = if b < 0xf0 { Some(b) } else { None };
                    if p.need == 0 {
                        emit(&mut out, p);
                    } else {
                        pending = Some(p);
                    }
                }
            }
            0x00..=0x7f => {
                if let Some(s) = sysex.as_mut() {
                    s.bytes.push(b);
                } else if let Some(mut p) = pending.take() {
                    p.bytes.push(b);
                    p.need -= 1;
                    if p.need == 0 {
                        emit(&mut out, p);
                    } else {
                        pending = Some(p);
                    }
                } else if let Some(st) = running {
                    let p = Pending {
                        stamp,
                        bytes: vec![st, b],
                        need: data_len(st) - 1,
                    };
                    if p.need == 0 {
                        emit(&mut out, p);
                    } else {
                        pending = Some(p);
                    }
                } else {
                    out.stray_bytes += 1;
                }
            }
        }
    }
    close_sysex(&mut out, &mut sysex, false);
    if pending.is_some() {
        out.incomplete += 1;
    }
    out
}

/// Receives all chunks as one continuous byte stream; each message is
/// timed at the chunk that carried its first byte.
pub fn receive(chunks: &[Chunk]) -> Received {
    let bytes = chunks
        .iter()
        .flat_map(|c| c.bytes.iter().map(move |&b| ((c.time_us, c.tick), b)));
    let rx = receive_bytes(bytes);
    Received {
        msgs: rx
            .msgs
            .into_iter()
            .map(|m| Msg {
                time_us: m.stamp.0,
                tick: m.stamp.1,
                stream: m.stream(),
                kind: m.kind,
                bytes: m.bytes,
            })
            .collect(),
        stray_bytes: rx.stray_bytes,
        incomplete: rx.incomplete,
    }
}

/// A short human-readable description of a message.
pub fn describe(bytes: &[u8]) -> String {
    let Some(&st) = bytes.first() else {
        return String::new();
    };
    let d = |i: usize| bytes.get(i).copied().unwrap_or(0);
    match st & 0xf0 {
        0x80 => format!("NoteOff key {} vel {}", d(1), d(2)),
        0x90 => format!("NoteOn key {} vel {}", d(1), d(2)),
        0xa0 => format!("PolyPressure key {} value {}", d(1), d(2)),
        0xb0 => format!("Control {} value {}", d(1), d(2)),
        0xc0 => format!("Program {}", d(1)),
        0xd0 => format!("ChanPressure {}", d(1)),
        0xe0 => format!(
            "PitchBend {}",
            (i32::from(d(2)) << 7 | i32::from(d(1))) - 8192
        ),
        _ => match st {
            0xf0 => {
                if bytes.last() == Some(&0xf7) {
                    format!("SysEx {} bytes", bytes.len())
                } else {
                    format!("SysEx {} bytes, unterminated", bytes.len())
                }
            }
            0xf1 => format!("MTC quarter frame {}", d(1)),
            0xf2 => format!("SongPosition {}", i32::from(d(2)) << 7 | i32::from(d(1))),
            0xf3 => format!("SongSelect {}", d(1)),
            0xf6 => "TuneRequest".into(),
            0xf8 => "Clock".into(),
            0xfa => "Start".into(),
            0xfb => "Continue".into(),
            0xfc => "Stop".into(),
            0xfe => "ActiveSensing".into(),
            0xff => "Reset".into(),
            _ => format!("undefined status {st:02X}"),
        },
    }
}

/// Hex dump of a message, shortened for long SysEx.
pub fn hex(bytes: &[u8]) -> String {
    const MAX: usize = 12;
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i == MAX && bytes.len() > MAX + 1 {
            s.push_str(&format!(" .. {:02X}", bytes[bytes.len() - 1]));
            break;
        }
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02X}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smf::ChunkKind;

    fn chunk(t: u64, kind: ChunkKind, bytes: &[u8]) -> Chunk {
        Chunk {
            time_us: t,
            time_ns: t * 1000,
            tick: t,
            track: 0,
            kind,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn split_sysex_is_joined_and_timed_at_f0() {
        let r = receive(&[
            chunk(10, ChunkKind::SysEx, &[0xf0, 0x41, 0x10]),
            chunk(20, ChunkKind::Escape, &[0x42, 0x12]),
            chunk(30, ChunkKind::Escape, &[0x00, 0xf7]),
            chunk(40, ChunkKind::Channel, &[0x91, 60, 0]),
        ]);
        assert_eq!(r.msgs.len(), 2);
        assert_eq!(
            r.msgs[0].bytes,
            vec![0xf0, 0x41, 0x10, 0x42, 0x12, 0x00, 0xf7]
        );
        assert_eq!(r.msgs[0].time_us, 10);
        assert_eq!(r.msgs[0].kind, MsgKind::SysEx { terminated: true });
        assert_eq!(r.msgs[1].stream, Stream::Channel(1));
    }

    #[test]
    fn escape_carries_running_status_and_realtime() {
        let r = receive(&[
            chunk(0, ChunkKind::Escape, &[0x90, 60, 100, 62]),
            chunk(5, ChunkKind::Escape, &[0xf8, 100]),
        ]);
        let b: Vec<_> = r
            .msgs
            .iter()
            .map(|m| (m.time_us, m.bytes.clone()))
            .collect();
        assert_eq!(
            b,
            vec![
                (0, vec![0x90, 60, 100]),
                (5, vec![0xf8]),
                (0, vec![0x90, 62, 100]),
            ]
        );
        assert_eq!(r.incomplete, 0);
    }

    #[test]
    fn status_cuts_sysex_and_strays_are_counted() {
        let r = receive(&[
            chunk(0, ChunkKind::Escape, &[0x05, 0xf7]),
            chunk(1, ChunkKind::SysEx, &[0xf0, 0x01]),
            chunk(2, ChunkKind::Channel, &[0xc0, 5]),
            chunk(3, ChunkKind::Escape, &[0xb0, 7]),
        ]);
        assert_eq!(r.stray_bytes, 2);
        assert_eq!(r.incomplete, 1);
        assert_eq!(r.msgs[0].kind, MsgKind::SysEx { terminated: false });
        assert_eq!(r.msgs[1].bytes, vec![0xc0, 5]);
    }

    #[test]
    fn descriptions() {
        assert_eq!(describe(&[0x93, 60, 0]), "NoteOn key 60 vel 0");
        assert_eq!(describe(&[0xe0, 0, 0x40]), "PitchBend 0");
        assert_eq!(hex(&[0xf0, 1, 0xf7]), "F0 01 F7");
    }
}
