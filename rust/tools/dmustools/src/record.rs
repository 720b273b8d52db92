// SPDX-License-Identifier: GPL-2.0
//! Captured messages to a Standard MIDI File and to a stamps listing.

use std::fmt::Write as _;
use std::io;

use midly::live::LiveEvent;
use midly::num::{u15, u24, u28};
use midly::{Format, Header, MetaMessage, Smf, Timing, TrackEvent, TrackEventKind};

use crate::abi::SND_DMUS_BUFFER_OVERRUN;
use crate::buffer::{parse_buffer, Message, ParseError, Reassembler};

/// Ticks per quarter note of a recorded file.
pub const RECORD_PPQ: u16 = 5000;
/// Tempo of a recorded file, microseconds per quarter: with
/// [`RECORD_PPQ`], one tick is 100 us.
pub const RECORD_TEMPO: u32 = 500_000;
/// 100 ns master-clock units per tick of a recorded file.
pub const UNITS_PER_TICK: i64 = 1000;

/// What a capture gathers from the buffers `read()` returns.
#[derive(Debug, Default)]
pub struct Capture {
    /// The messages so far, SysEx reassembled, in completion order.
    pub messages: Vec<Message>,
    /// Buffers flagged `SND_DMUS_BUFFER_OVERRUN`.
    pub overruns: u64,
    /// Buffers read.
    pub buffers: u64,
    re: Reassembler,
}

impl Capture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the bytes one `read()` returned (one buffer).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        let (b, _) = parse_buffer(bytes)?;
        self.buffers += 1;
        if b.header.flags & SND_DMUS_BUFFER_OVERRUN != 0 {
            self.overruns += 1;
        }
        for r in &b.records {
            self.re.push(r, &mut self.messages);
        }
        Ok(())
    }

    /// Ends the capture: a SysEx still open is kept as far as it came.
    pub fn finish(&mut self) {
        self.re.flush(&mut self.messages);
    }

    /// SysEx pieces that arrived without their start.
    pub fn orphans(&self) -> u64 {
        self.re.orphans
    }
}

/// The messages in time order (stable: equal times keep their order).
pub fn sorted(messages: &[Message]) -> Vec<&Message> {
    let mut v: Vec<&Message> = messages.iter().collect();
    v.sort_by_key(|m| m.time);
    v
}

/// The SMF event kind for one captured message: a channel message as
/// itself, a SysEx as an `F0` event (data after the `F0`), anything else
/// (system common, real-time, a stray piece) as an `F7` escape.
fn event_kind(data: &[u8]) -> TrackEventKind<'_> {
    match data.first() {
        Some(0xf0) => TrackEventKind::SysEx(&data[1..]),
        Some(0x80..=0xef) => match LiveEvent::parse(data) {
            Ok(LiveEvent::Midi { channel, message }) => TrackEventKind::Midi { channel, message },
            _ => TrackEventKind::Escape(data),
        },
        _ => TrackEventKind::Escape(data),
    }
}

/// Builds a format 0 SMF (one track, [`RECORD_PPQ`] ticks per quarter,
/// tempo [`RECORD_TEMPO`]) whose event times are the messages' stamps
/// relative to the earliest one, rounded to 100 us ticks.
pub fn to_smf(messages: &[Message]) -> Vec<u8> {
    let msgs = sorted(messages);
    let first = msgs.first().map_or(0, |m| m.time);
    let mut track: Vec<TrackEvent> = Vec::with_capacity(msgs.len() + 2);
    track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(RECORD_TEMPO))),
    });
    let max_delta = u64::from(u28::max_value().as_int());
    let mut last_tick = 0u64;
    for m in &msgs {
        if m.data.is_empty() {
            continue;
        }
        let rel = (m.time - first).max(0);
        let tick = ((rel + UNITS_PER_TICK / 2) / UNITS_PER_TICK) as u64;
        let mut delta = tick - last_tick;
        last_tick = tick;
        while delta > max_delta {
            // Longer than a delta can say (7.4 hours): an empty text event.
            track.push(TrackEvent {
                delta: u28::max_value(),
                kind: TrackEventKind::Meta(MetaMessage::Text(b"")),
            });
            delta -= max_delta;
        }
        track.push(TrackEvent {
            delta: u28::new(delta as u32),
            kind: event_kind(&m.data),
        });
    }
    track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    let smf = Smf {
        header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(RECORD_PPQ))),
        tracks: vec![track],
    };
    let mut out = Vec::new();
    smf.write_std(&mut out)
        .expect("writing an SMF to memory cannot fail");
    out
}

/// One line per message, in time order: `<stamp> <bytes in hex>`, the
/// stamp in 100 ns master-clock units, the bytes lowercase and space
/// separated.
pub fn stamps(messages: &[Message]) -> String {
    let mut s = String::new();
    for m in sorted(messages) {
        let _ = write!(s, "{}", m.time);
        for b in &m.data {
            let _ = write!(s, " {b:02x}");
        }
        s.push('\n');
    }
    s
}

/// Writes [`to_smf`] of `messages` to `path`.
pub fn save_smf(path: &std::path::Path, messages: &[Message]) -> io::Result<()> {
    std::fs::write(path, to_smf(messages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smf;

    fn msg(time: i64, data: &[u8]) -> Message {
        Message {
            time,
            data: data.to_vec(),
        }
    }

    #[test]
    fn smf_round_trip() {
        let mut sysex = vec![0xf0];
        sysex.extend((0..400).map(|i| (i % 128) as u8));
        sysex.push(0xf7);
        let t0 = 987_654_321_000i64;
        let msgs = vec![
            msg(t0 + 1000, &[0x80, 60, 0]),
            msg(t0, &[0x90, 60, 100]),
            msg(t0 + 20_000_000, &sysex),
            msg(t0 + 20_000_499, &[0xf8]),
            msg(t0 + 30_000_000, &[0xc1, 7]),
            msg(t0 + 30_000_000, &[0xe1, 0, 0x40]),
        ];
        let bytes = to_smf(&msgs);
        let parsed = smf::parse(&bytes).unwrap();
        assert_eq!(parsed.format, 0);
        assert_eq!(parsed.tracks, 1);
        let got: Vec<(u64, Vec<u8>)> = parsed
            .events
            .iter()
            .map(|e| (e.time, e.bytes.clone()))
            .collect();
        // 5000 ppq at 500000 us/quarter: one tick = 100 us = 1000 units;
        // times relative to the first message, rounded to a tick.
        assert_eq!(
            got,
            vec![
                (0, vec![0x90, 60, 100]),
                (1000, vec![0x80, 60, 0]),
                (20_000_000, sysex),
                (20_000_000, vec![0xf8]),
                (30_000_000, vec![0xc1, 7]),
                (30_000_000, vec![0xe1, 0, 0x40]),
            ]
        );
        let raw = midly::Smf::parse(&bytes).unwrap();
        assert_eq!(raw.header.timing, Timing::Metrical(u15::new(RECORD_PPQ)));
    }

    #[test]
    fn capture_from_read_buffers() {
        use crate::abi::{SndDmusBuffer, SND_DMUS_EVENT_INCOMPLETE, SND_DMUS_EVENT_STRUCTURED};
        use crate::buffer::encode_record;

        fn buffer(rt_start: i64, flags: u32, recs: &[(i64, u32, &[u8])]) -> Vec<u8> {
            let mut b = vec![0u8; 16];
            for (d, f, data) in recs {
                encode_record(&mut b, *d, *f, data);
            }
            let cb_data = (b.len() - 16) as u32;
            b[..16].copy_from_slice(
                &SndDmusBuffer {
                    rt_start,
                    cb_data,
                    flags,
                }
                .to_bytes(),
            );
            b
        }
        let s = SND_DMUS_EVENT_STRUCTURED;
        let inc = SND_DMUS_EVENT_INCOMPLETE;
        let mut cap = Capture::new();
        cap.feed(&buffer(
            1000,
            0,
            &[(0, s, &[0x90, 60, 100]), (5, inc, &[0xf0, 1, 2])],
        ))
        .unwrap();
        cap.feed(&buffer(
            2000,
            SND_DMUS_BUFFER_OVERRUN,
            &[(0, 0, &[3, 0xf7]), (7, s, &[0x80, 60, 0])],
        ))
        .unwrap();
        cap.feed(&buffer(3000, 0, &[(0, inc, &[0xf0, 9])])).unwrap();
        assert!(cap.feed(&[0u8; 8]).is_err());
        cap.finish();
        assert_eq!(cap.buffers, 3);
        assert_eq!(cap.overruns, 1);
        assert_eq!(cap.orphans(), 0);
        assert_eq!(
            cap.messages,
            vec![
                msg(1000, &[0x90, 60, 100]),
                msg(1005, &[0xf0, 1, 2, 3, 0xf7]),
                msg(2007, &[0x80, 60, 0]),
                msg(3000, &[0xf0, 9]),
            ]
        );
        assert_eq!(
            stamps(&cap.messages),
            "1000 90 3c 64\n1005 f0 01 02 03 f7\n2007 80 3c 00\n3000 f0 09\n"
        );
    }

    #[test]
    fn empty_capture_is_a_valid_file() {
        let parsed = smf::parse(&to_smf(&[])).unwrap();
        assert!(parsed.events.is_empty());
    }

    #[test]
    fn stamps_listing() {
        let msgs = vec![msg(20, &[0xf0, 0x7e, 0xf7]), msg(10, &[0x90, 0x3c, 0x64])];
        assert_eq!(stamps(&msgs), "10 90 3c 64\n20 f0 7e f7\n");
    }
}
