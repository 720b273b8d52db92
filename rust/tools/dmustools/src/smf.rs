// SPDX-License-Identifier: GPL-2.0
//! Standard MIDI File to timed events: every track merged, ticks turned
//! into 100 ns units (the DMus master clock's unit) with the file's tempo
//! map.
//!
//! The file itself is read by `midly`.

use std::fmt;
use std::path::Path;

use midly::{Format, MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

/// 100 ns units per microsecond.
const UNITS_PER_US: u128 = 10;

/// One MIDI message (or SysEx, or raw escape bytes) to send, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedEvent {
    /// Time in 100 ns units from the file's tick 0.
    pub time: u64,
    /// The wire bytes: channel messages with their status byte (never
    /// running status), SysEx as `F0` + data, escapes as they are.
    pub bytes: Vec<u8>,
    /// True if `bytes` is one complete non-SysEx MIDI message
    /// (`SND_DMUS_EVENT_STRUCTURED`).
    pub structured: bool,
}

impl TimedEvent {
    /// True if this is a channel message (status 0x80..=0xEF).
    pub fn is_channel(&self) -> bool {
        self.structured && matches!(self.bytes.first(), Some(0x80..=0xef))
    }
}

/// A Standard MIDI File reduced to its timed events.
#[derive(Clone, Debug)]
pub struct Song {
    /// SMF format (0 or 1).
    pub format: u16,
    /// Number of tracks read.
    pub tracks: usize,
    /// The events of all tracks, ordered by time; equal times keep the
    /// order (tick, track, position in track).
    pub events: Vec<TimedEvent>,
    /// Time in 100 ns units of the last event of any kind (meta included).
    pub end: u64,
}

impl Song {
    /// Number of channel messages.
    pub fn channel_messages(&self) -> usize {
        self.events.iter().filter(|e| e.is_channel()).count()
    }
}

/// Why a file could not be loaded.
#[derive(Debug)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Reads and converts the file at `path`; errors name the file.
pub fn load(path: &Path) -> Result<Song, LoadError> {
    let data = std::fs::read(path)
        .map_err(|e| LoadError(format!("{}: cannot read: {e}", path.display())))?;
    parse(&data).map_err(|e| LoadError(format!("{}: {}", path.display(), e.0)))
}

/// Bytes of a channel message with its status byte.
pub fn channel_bytes(channel: u8, msg: &MidiMessage) -> Vec<u8> {
    let ch = channel & 0x0f;
    match *msg {
        MidiMessage::NoteOff { key, vel } => vec![0x80 | ch, key.as_int(), vel.as_int()],
        MidiMessage::NoteOn { key, vel } => vec![0x90 | ch, key.as_int(), vel.as_int()],
        MidiMessage::Aftertouch { key, vel } => vec![0xa0 | ch, key.as_int(), vel.as_int()],
        MidiMessage::Controller { controller, value } => {
            vec![0xb0 | ch, controller.as_int(), value.as_int()]
        }
        MidiMessage::ProgramChange { program } => vec![0xc0 | ch, program.as_int()],
        MidiMessage::ChannelAftertouch { vel } => vec![0xd0 | ch, vel.as_int()],
        MidiMessage::PitchBend { bend } => {
            let v = bend.0.as_int();
            vec![0xe0 | ch, (v & 0x7f) as u8, (v >> 7) as u8]
        }
    }
}

/// Length of the complete MIDI message that `status` starts; `None` for
/// data bytes and the SysEx bytes F0 and F7. The undefined F4, F5, F9 and
/// FD count as one-byte messages.
fn message_len(status: u8) -> Option<usize> {
    match status {
        0x80..=0xbf | 0xe0..=0xef => Some(3),
        0xc0..=0xdf => Some(2),
        0xf1 | 0xf3 => Some(2),
        0xf2 => Some(3),
        0xf4..=0xf6 | 0xf8..=0xff => Some(1),
        _ => None,
    }
}

/// True if `bytes` is exactly one complete non-SysEx MIDI message with its
/// status byte and data bytes below 0x80.
pub fn is_one_message(bytes: &[u8]) -> bool {
    match bytes.split_first() {
        Some((&s, data)) => message_len(s) == Some(bytes.len()) && data.iter().all(|&b| b < 0x80),
        None => false,
    }
}

/// Tick to time conversion for one file.
enum Clock {
    /// Ticks per quarter note; tempo from Set Tempo meta events.
    Metrical { ppq: u128 },
    /// SMPTE: `num / den` microseconds per tick (exact rational).
    Timecode { num: u128, den: u128 },
}

/// Reads an SMF from memory. Format 2 (sequential songs) is refused.
pub fn parse(data: &[u8]) -> Result<Song, LoadError> {
    let smf = Smf::parse(data).map_err(|e| LoadError(format!("not a valid MIDI file: {e}")))?;
    let format = match smf.header.format {
        Format::SingleTrack => 0,
        Format::Parallel => 1,
        Format::Sequential => {
            return Err(LoadError(
                "SMF format 2 (sequential tracks) is not supported".into(),
            ))
        }
    };
    let clock = match smf.header.timing {
        Timing::Metrical(ppq) => {
            let ppq = u128::from(ppq.as_int());
            if ppq == 0 {
                return Err(LoadError("time division is 0 ticks per quarter".into()));
            }
            Clock::Metrical { ppq }
        }
        Timing::Timecode(fps, sub) => {
            if sub == 0 {
                return Err(LoadError("SMPTE division with 0 ticks per frame".into()));
            }
            let sub = u128::from(sub);
            // 29 means 29.97 drop-frame: 1e8 / 2997 us per frame.
            let (num, den) = match fps {
                midly::Fps::Fps24 => (1_000_000, 24 * sub),
                midly::Fps::Fps25 => (1_000_000, 25 * sub),
                midly::Fps::Fps29 => (100_000_000, 2997 * sub),
                midly::Fps::Fps30 => (1_000_000, 30 * sub),
            };
            Clock::Timecode { num, den }
        }
    };

    // Flatten to (tick, track, event), then sort stably by (tick, track):
    // equal ticks keep track order, then the order within the track.
    let mut evs: Vec<(u64, usize, TrackEventKind)> = Vec::new();
    for (ti, track) in smf.tracks.iter().enumerate() {
        let mut tick = 0u64;
        for e in track {
            tick += u64::from(e.delta.as_int());
            evs.push((tick, ti, e.kind));
            if let TrackEventKind::Meta(MetaMessage::EndOfTrack) = e.kind {
                break; // nothing after End of Track is part of the track
            }
        }
    }
    evs.sort_by_key(|&(tick, track, _)| (tick, track));

    let mut events = Vec::new();
    let mut tempo: u128 = 500_000; // SMF default: 120 bpm
    let mut acc: u128 = 0; // sum of dticks * tempo (us * ppq)
    let mut last_tick = 0u64;
    let mut end = 0u64;
    for &(tick, _, kind) in &evs {
        let time = match clock {
            Clock::Metrical { ppq } => {
                acc += u128::from(tick - last_tick) * tempo;
                last_tick = tick;
                // acc / ppq microseconds, in 100 ns, rounded.
                ((acc * UNITS_PER_US + ppq / 2) / ppq) as u64
            }
            Clock::Timecode { num, den } => {
                ((u128::from(tick) * num * UNITS_PER_US + den / 2) / den) as u64
            }
        };
        end = end.max(time);
        let (bytes, structured) = match kind {
            TrackEventKind::Midi { channel, message } => {
                (channel_bytes(channel.as_int(), &message), true)
            }
            TrackEventKind::SysEx(data) => {
                let mut b = Vec::with_capacity(data.len() + 1);
                b.push(0xf0);
                b.extend_from_slice(data);
                (b, false)
            }
            TrackEventKind::Escape(data) => {
                let structured = is_one_message(data);
                (data.to_vec(), structured)
            }
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                // Ignored under SMPTE timing.
                if let Clock::Metrical { .. } = clock {
                    tempo = u128::from(t.as_int());
                }
                continue;
            }
            TrackEventKind::Meta(_) => continue,
        };
        if bytes.is_empty() {
            continue; // an empty escape puts nothing on the wire
        }
        events.push(TimedEvent {
            time,
            bytes,
            structured,
        });
    }

    Ok(Song {
        format,
        tracks: smf.tracks.len(),
        events,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A variable-length quantity.
    fn vlq(mut v: u32) -> Vec<u8> {
        let mut out = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            out.insert(0, 0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        out
    }

    /// A track chunk from (delta, event bytes) pairs; End of Track added.
    fn track(events: &[(u32, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (d, e) in events {
            body.extend(vlq(*d));
            body.extend_from_slice(e);
        }
        body.extend([0x00, 0xff, 0x2f, 0x00]);
        let mut t = b"MTrk".to_vec();
        t.extend((body.len() as u32).to_be_bytes());
        t.extend(body);
        t
    }

    fn file(format: u16, division: u16, tracks: &[Vec<u8>]) -> Vec<u8> {
        let mut f = b"MThd".to_vec();
        f.extend(6u32.to_be_bytes());
        f.extend(format.to_be_bytes());
        f.extend((tracks.len() as u16).to_be_bytes());
        f.extend(division.to_be_bytes());
        for t in tracks {
            f.extend_from_slice(t);
        }
        f
    }

    fn tempo(us: u32) -> Vec<u8> {
        let b = us.to_be_bytes();
        vec![0xff, 0x51, 0x03, b[1], b[2], b[3]]
    }

    fn times(song: &Song) -> Vec<(u64, Vec<u8>)> {
        song.events
            .iter()
            .map(|e| (e.time, e.bytes.clone()))
            .collect()
    }

    #[test]
    fn default_tempo_120_bpm() {
        let t = track(&[(0, &[0x90, 60, 100]), (480, &[0x80, 60, 0])]);
        let song = parse(&file(0, 480, &[t])).unwrap();
        assert_eq!(song.format, 0);
        assert_eq!(
            times(&song),
            vec![(0, vec![0x90, 60, 100]), (5_000_000, vec![0x80, 60, 0])]
        );
        assert!(song.events.iter().all(|e| e.structured));
        assert_eq!(song.end, 5_000_000);
    }

    #[test]
    fn running_status_is_expanded() {
        // 90 3C 64, (running) 3E 64, 80 3C 00
        let body: &[u8] = &[0x90, 60, 100, 0x00, 62, 100];
        let t = track(&[(0, body), (10, &[0x80, 60, 0])]);
        let song = parse(&file(0, 480, &[t])).unwrap();
        let bytes: Vec<_> = song.events.iter().map(|e| e.bytes.clone()).collect();
        assert_eq!(
            bytes,
            vec![vec![0x90, 60, 100], vec![0x90, 62, 100], vec![0x80, 60, 0]]
        );
    }

    #[test]
    fn tempo_change_mid_file() {
        // 480 ppq: one quarter at 120 bpm (0.5 s), then tempo 60 bpm
        // (1 s per quarter): tick 960 = 1.5 s, tick 1200 = 2 s.
        let t = track(&[
            (0, &[0x90, 60, 100]),
            (480, &tempo(1_000_000)),
            (0, &[0x80, 60, 0]),
            (480, &[0x90, 61, 100]),
            (240, &[0x80, 61, 0]),
        ]);
        let song = parse(&file(0, 480, &[t])).unwrap();
        let ts: Vec<u64> = song.events.iter().map(|e| e.time).collect();
        assert_eq!(ts, vec![0, 5_000_000, 15_000_000, 20_000_000]);
    }

    #[test]
    fn tempo_in_another_track_applies_to_all() {
        // Format 1: conductor track with a tempo change at tick 96 to
        // 250000 us/quarter, notes in track 1. 96 ppq.
        let conductor = track(&[(0, &tempo(500_000)), (96, &tempo(250_000))]);
        let notes = track(&[
            (0, &[0x90, 60, 100]),
            (96, &[0x80, 60, 0]),
            (96, &[0x90, 62, 100]),
        ]);
        let song = parse(&file(1, 96, &[conductor, notes])).unwrap();
        assert_eq!(song.tracks, 2);
        assert_eq!(
            times(&song),
            vec![
                (0, vec![0x90, 60, 100]),
                (5_000_000, vec![0x80, 60, 0]),
                (7_500_000, vec![0x90, 62, 100]),
            ]
        );
    }

    #[test]
    fn two_tracks_merge_stably() {
        let t0 = track(&[(0, &[0x90, 1, 1]), (10, &[0x90, 3, 1])]);
        let t1 = track(&[(0, &[0x91, 2, 1]), (5, &[0x91, 4, 1]), (5, &[0x91, 5, 1])]);
        let song = parse(&file(1, 100, &[t0, t1])).unwrap();
        let keys: Vec<u8> = song.events.iter().map(|e| e.bytes[1]).collect();
        // Tick 0: track 0 then track 1; tick 10: track 0 (key 3) first.
        assert_eq!(keys, vec![1, 2, 4, 3, 5]);
        let ts: Vec<u64> = song.events.iter().map(|e| e.time).collect();
        // 100 ppq at 120 bpm: one tick = 5000 us = 50000 units.
        assert_eq!(ts, vec![0, 0, 250_000, 500_000, 500_000]);
    }

    #[test]
    fn smpte_division() {
        // 25 fps, 40 ticks per frame: one tick = 1 ms; tempo is ignored.
        let division = (((-25i8) as u8 as u16) << 8) | 40;
        let t = track(&[
            (0, &tempo(1_000_000)),
            (0, &[0x90, 60, 100]),
            (1000, &[0x80, 60, 0]),
        ]);
        let song = parse(&file(0, division, &[t])).unwrap();
        let ts: Vec<u64> = song.events.iter().map(|e| e.time).collect();
        assert_eq!(ts, vec![0, 10_000_000]);
    }

    #[test]
    fn sysex_escape_and_meta() {
        let sysex: &[u8] = &[0xf0, 0x05, 0x7e, 0x7f, 0x09, 0x01, 0xf7];
        let escape: &[u8] = &[0xf7, 0x01, 0xf8];
        let escape_raw: &[u8] = &[0xf7, 0x02, 0xf3, 0x01];
        let text: &[u8] = &[0xff, 0x01, 0x02, b'h', b'i'];
        let t = track(&[(0, sysex), (0, text), (1, escape), (1, escape_raw)]);
        let song = parse(&file(0, 480, &[t])).unwrap();
        assert_eq!(song.events.len(), 3);
        assert_eq!(
            song.events[0].bytes,
            vec![0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7]
        );
        assert!(!song.events[0].structured);
        assert_eq!(song.events[1].bytes, vec![0xf8]);
        assert!(song.events[1].structured);
        assert_eq!(song.events[2].bytes, vec![0xf3, 0x01]);
        assert!(song.events[2].structured);
        assert_eq!(song.channel_messages(), 0);
    }

    #[test]
    fn pitch_bend_bytes() {
        let t = track(&[(0, &[0xe3, 0x01, 0x40])]);
        let song = parse(&file(0, 480, &[t])).unwrap();
        assert_eq!(song.events[0].bytes, vec![0xe3, 0x01, 0x40]);
    }

    #[test]
    fn one_message() {
        assert!(is_one_message(&[0x90, 1, 2]));
        assert!(is_one_message(&[0xfe]));
        assert!(!is_one_message(&[0x90, 1]));
        assert!(!is_one_message(&[0xf0, 1, 0xf7]));
        assert!(!is_one_message(&[0xf8, 0xf8]));
        assert!(!is_one_message(&[]));
    }

    #[test]
    fn format_2_is_refused() {
        let t = track(&[(0, &[0x90, 60, 100])]);
        assert!(parse(&file(2, 480, &[t])).is_err());
        assert!(parse(b"not a midi file").is_err());
    }
}
