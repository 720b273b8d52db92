// SPDX-License-Identifier: GPL-2.0
//! Standard MIDI File loading: every track merged into one list of timed
//! wire-byte chunks, each stamped in absolute microseconds.
//!
//! The SMF itself is read by `midly`; this module only orders the events
//! and converts ticks to time with the file's own tempo map.

use std::fmt;
use std::path::Path;

use midly::{Format, MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

/// What kind of SMF event a [`Chunk`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// A channel message (0x80..=0xEF), written with its status byte.
    Channel,
    /// An `F0` SysEx event: `F0` followed by the event's data bytes (which
    /// end in `F7` unless the message continues in later `F7` packets).
    SysEx,
    /// An `F7` escape event: its data bytes, sent as they are.
    Escape,
}

/// The bytes one SMF event puts on the MIDI wire, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Absolute time in microseconds from the file's tick 0.
    pub time_us: u64,
    /// The same time in nanoseconds (rounded from the exact tempo map, not
    /// from `time_us`), for comparisons with the debugfs wire log.
    pub time_ns: u64,
    /// Absolute time in ticks.
    pub tick: u64,
    /// Index of the track the event came from.
    pub track: usize,
    /// Kind of SMF event.
    pub kind: ChunkKind,
    /// The wire bytes, status always explicit (never running status).
    pub bytes: Vec<u8>,
}

/// A Standard MIDI File reduced to what goes on the wire.
#[derive(Clone, Debug)]
pub struct Song {
    /// SMF format (0 or 1).
    pub format: u16,
    /// Number of tracks read.
    pub tracks: usize,
    /// Human-readable time division, e.g. `384 ppq` or `25 fps x 40`.
    pub division: String,
    /// Number of tempo meta events seen (metrical timing only).
    pub tempo_changes: usize,
    /// Wire chunks of all tracks merged, ordered by (tick, track, position
    /// in track) — the order in which `aplaymidi` queues them.
    pub chunks: Vec<Chunk>,
    /// Time in microseconds of the last event of any kind (meta included).
    pub end_us: u64,
    /// Non-fatal oddities found while reading (e.g. a track that stops
    /// without End of Track, which is how `midly` reports a malformed event).
    pub warnings: Vec<String>,
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

/// Bytes a channel message puts on the wire, with explicit status.
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

/// Tick to microsecond conversion for one file.
enum Clock {
    /// Ticks per quarter note; tempo comes from Set Tempo meta events.
    Metrical { ppq: u64 },
    /// SMPTE: `num / den` microseconds per tick (exact rational).
    Timecode { num: u64, den: u64 },
}

/// Reads an SMF from memory. Format 2 (sequential songs) is refused, as
/// `aplaymidi` does.
pub fn parse(data: &[u8]) -> Result<Song, LoadError> {
    let smf = Smf::parse(data).map_err(|e| LoadError(format!("not a valid MIDI file: {e}")))?;
    let format = match smf.header.format {
        Format::SingleTrack => 0,
        Format::Parallel => 1,
        Format::Sequential => {
            return Err(LoadError(
                "SMF format 2 (sequential tracks) is not supported (aplaymidi refuses it too)"
                    .into(),
            ))
        }
    };
    let (clock, division) = match smf.header.timing {
        Timing::Metrical(ppq) => {
            let ppq = u64::from(ppq.as_int());
            if ppq == 0 {
                return Err(LoadError("time division is 0 ticks per quarter".into()));
            }
            (Clock::Metrical { ppq }, format!("{ppq} ppq"))
        }
        Timing::Timecode(fps, sub) => {
            if sub == 0 {
                return Err(LoadError("SMPTE division with 0 ticks per frame".into()));
            }
            let sub64 = u64::from(sub);
            // Same frame rates aplaymidi programs into the queue; 29 means
            // 29.97 drop-frame (aplaymidi: tempo 1e8 us, ppq 2997 * sub).
            let (num, den, name) = match fps {
                midly::Fps::Fps24 => (1_000_000, 24 * sub64, "24"),
                midly::Fps::Fps25 => (1_000_000, 25 * sub64, "25"),
                midly::Fps::Fps29 => (100_000_000, 2997 * sub64, "29.97"),
                midly::Fps::Fps30 => (1_000_000, 30 * sub64, "30"),
            };
            (Clock::Timecode { num, den }, format!("{name} fps x {sub}"))
        }
    };

    // Flatten: (tick, track, index) for every event, then sort stably.
    struct Ev<'a> {
        tick: u64,
        track: usize,
        kind: TrackEventKind<'a>,
    }
    let mut evs: Vec<Ev> = Vec::new();
    let mut warnings = Vec::new();
    for (ti, track) in smf.tracks.iter().enumerate() {
        let mut tick = 0u64;
        let mut ended = false;
        for e in track {
            tick += u64::from(e.delta.as_int());
            if ended {
                // midly keeps reading past End of Track; the wire does not.
                continue;
            }
            if let TrackEventKind::Meta(MetaMessage::EndOfTrack) = e.kind {
                ended = true;
            }
            evs.push(Ev {
                tick,
                track: ti,
                kind: e.kind,
            });
        }
        if !ended {
            warnings.push(format!(
                "track {ti}: no End of Track event (truncated or malformed track; \
                 aplaymidi may refuse this file)"
            ));
        }
    }
    // midly (non-strict) skips chunks it cannot read; say so if tracks the
    // header promises went missing (peek at MThd's ntrks field only).
    if data.len() >= 14 && &data[..4] == b"MThd" {
        let declared = usize::from(u16::from_be_bytes([data[10], data[11]]));
        if declared != smf.tracks.len() {
            warnings.push(format!(
                "header declares {declared} tracks, {} could be read",
                smf.tracks.len()
            ));
        }
    }
    // Stable sort: equal ticks keep track order, then order within track —
    // aplaymidi's merge picks the lowest track index among equal ticks.
    evs.sort_by_key(|e| (e.tick, e.track));

    let mut chunks = Vec::new();
    let mut tempo: u64 = 500_000; // SMF default: 120 bpm
    let mut acc: u128 = 0; // sum of dt * tempo (us * ppq)
    let mut last_tick = 0u64;
    let mut tempo_changes = 0usize;
    let mut end_us = 0u64;
    // `num / den` rounded to the nearest integer.
    let round = |num: u128, den: u128| ((num + den / 2) / den) as u64;
    for e in &evs {
        let (time_us, time_ns) = match clock {
            Clock::Metrical { ppq } => {
                acc += u128::from(e.tick - last_tick) * u128::from(tempo);
                last_tick = e.tick;
                let ppq = u128::from(ppq);
                (round(acc, ppq), round(acc * 1000, ppq))
            }
            Clock::Timecode { num, den } => {
                let (num, den) = (u128::from(e.tick) * u128::from(num), u128::from(den));
                (round(num, den), round(num * 1000, den))
            }
        };
        end_us = end_us.max(time_us);
        let (kind, bytes) = match e.kind {
            TrackEventKind::Midi { channel, message } => (
                ChunkKind::Channel,
                channel_bytes(channel.as_int(), &message),
            ),
            TrackEventKind::SysEx(data) => {
                let mut b = Vec::with_capacity(data.len() + 1);
                b.push(0xf0);
                b.extend_from_slice(data);
                (ChunkKind::SysEx, b)
            }
            TrackEventKind::Escape(data) => (ChunkKind::Escape, data.to_vec()),
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                // Ignored under SMPTE timing, as aplaymidi does.
                if let Clock::Metrical { .. } = clock {
                    tempo = u64::from(t.as_int());
                    tempo_changes += 1;
                }
                continue;
            }
            TrackEventKind::Meta(_) => continue,
        };
        if bytes.is_empty() {
            continue; // empty escape packet: nothing on the wire
        }
        chunks.push(Chunk {
            time_us,
            time_ns,
            tick: e.tick,
            track: e.track,
            kind,
            bytes,
        });
    }

    Ok(Song {
        format,
        tracks: smf.tracks.len(),
        division,
        tempo_changes,
        chunks,
        end_us,
        warnings,
    })
}

impl Song {
    /// The file's whole wire byte stream, tracks merged in time order.
    pub fn wire_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for c in &self.chunks {
            out.extend_from_slice(&c.bytes);
        }
        out
    }
}
