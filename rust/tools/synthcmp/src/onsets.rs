// SPDX-License-Identifier: GPL-2.0

//! The onset measurement of the software synthesizer: a Standard MIDI File
//! of isolated drum clicks at random times (`synthcmp clicks`) for dmusplay
//! to play, and the check of a capture of it (`synthcmp onsets`): where each
//! click starts in the audio against `RefTimeToSample` of its presentation
//! time.
//!
//! The built-in bank's click (every key of drum kit 0) is a full-scale
//! sample after silence that lasts 32 samples, so a click's onset is the
//! first frame that is not zero after the silence before it.

use midly::num::{u15, u28, u4, u7};
use midly::{Format, Header, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// The drum channel (10, zero-based).
const DRUM_CHANNEL: u8 = 9;
/// The key every click plays (any key of the built-in kit clicks).
const CLICK_KEY: u8 = 37;
/// Ticks a quarter note; at the default 120 bpm a tick is 1/960 s.
const TICKS_PER_QUARTER: u16 = 480;
/// Ticks a second at the default tempo.
const TICKS_PER_SECOND: u32 = 960;
/// Gaps between clicks: 100 to 200 ms, in ticks.
const GAP_TICKS: core::ops::Range<u32> = 96..192;
/// Ticks from a click's note-on to its note-off (30 ms).
const NOTE_TICKS: u32 = 29;
/// Ticks of silence before the first click (0.5 s).
const LEAD_TICKS: u32 = 480;

/// The bytes of a format-0 SMF of `count` clicks on channel 10 at random gaps
/// of 100 to 200 ms (seeded by `seed`), each a note-on and a note-off 30 ms
/// later, after half a second of silence.
pub fn clicks_smf(count: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let channel = u4::new(DRUM_CHANNEL);
    let key = u7::new(CLICK_KEY);
    let mut track = Vec::new();
    let mut wait = LEAD_TICKS;
    for _ in 0..count {
        track.push(TrackEvent {
            delta: u28::new(wait),
            kind: TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOn {
                    key,
                    vel: u7::new(127),
                },
            },
        });
        track.push(TrackEvent {
            delta: u28::new(NOTE_TICKS),
            kind: TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOff {
                    key,
                    vel: u7::new(0),
                },
            },
        });
        wait = rng.u32(GAP_TICKS) - NOTE_TICKS;
    }
    track.push(TrackEvent {
        delta: u28::new(TICKS_PER_SECOND / 2),
        kind: TrackEventKind::Meta(midly::MetaMessage::EndOfTrack),
    });
    let smf = Smf {
        header: Header::new(
            Format::SingleTrack,
            Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
        ),
        tracks: vec![track],
    };
    let mut out = Vec::new();
    smf.write_std(&mut out)
        .expect("writing to a Vec does not fail");
    out
}

/// What `onsets` found.
#[derive(Debug, Default, PartialEq)]
pub struct OnsetReport {
    /// Note-ons on channel 10 in the log.
    pub notes: usize,
    /// Of those, delivered late (the log says `late`).
    pub late: usize,
    /// On-time notes whose onset was found in the capture.
    pub measured: usize,
    /// Errors (onset frame - `RefTimeToSample(pres)`) of the measured notes,
    /// sorted.
    pub errors: Vec<i64>,
    /// How late the late ones started, frames, sorted.
    pub lateness: Vec<i64>,
}

impl OnsetReport {
    /// The `q`-quantile (0..=1) of sorted `v`, or 0 if empty.
    pub fn quantile(v: &[i64], q: f64) -> i64 {
        if v.is_empty() {
            return 0;
        }
        let at = ((v.len() - 1) as f64 * q).round() as usize;
        v[at.min(v.len() - 1)]
    }
}

/// Measures each on-time click of the event log `events` (the debugfs
/// `events` file) in the capture `audio` (interleaved stereo): the first
/// frame that is not zero from 25 ms before `RefTimeToSample(pres)` on,
/// where frame `RefTimeToSample(pres) = (pres - origin) * rate / 10^7`
/// (`origin`: the clock file's `origin_time`, 100 ns).
pub fn onsets(events: &str, audio: &[i16], origin: i64, rate: u32) -> OnsetReport {
    let frames = audio.len() / 2;
    let window = rate as usize / 40;
    let mut r = OnsetReport::default();
    for line in events.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with('#') || f.len() < 6 {
            continue;
        }
        let (Ok(sample), Ok(pres)) = (f[0].parse::<i64>(), f[1].parse::<i64>()) else {
            continue;
        };
        let hex = |s: &str| u8::from_str_radix(s, 16).ok();
        let (Some(status), Some(velocity)) = (hex(f[3]), hex(f[5])) else {
            continue;
        };
        if status != 0x90 | DRUM_CHANNEL || velocity == 0 {
            continue;
        }
        r.notes += 1;
        let want = (pres - origin) * i64::from(rate) / 10_000_000;
        if f[2] == "late" {
            r.late += 1;
            r.lateness.push(sample - want);
            continue;
        }
        let Ok(from) = usize::try_from(want) else {
            continue;
        };
        let from = from.saturating_sub(window);
        let onset = (from..frames).find(|&i| audio[2 * i] != 0 || audio[2 * i + 1] != 0);
        if let Some(onset) = onset {
            r.measured += 1;
            r.errors.push(onset as i64 - want);
        }
    }
    r.errors.sort_unstable();
    r.lateness.sort_unstable();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_click_file_has_count_isolated_clicks() {
        let bytes = clicks_smf(300, 7);
        let smf = Smf::parse(&bytes).unwrap();
        let track = &smf.tracks[0];
        let mut t = 0u32;
        let mut ons = Vec::new();
        for e in track {
            t += e.delta.as_int();
            if let TrackEventKind::Midi {
                message: MidiMessage::NoteOn { vel, .. },
                channel,
            } = e.kind
            {
                assert_eq!(channel.as_int(), DRUM_CHANNEL);
                assert_eq!(vel.as_int(), 127);
                ons.push(t);
            }
        }
        assert_eq!(ons.len(), 300);
        assert!(ons.windows(2).all(|w| GAP_TICKS.contains(&(w[1] - w[0]))));
        assert_ne!(clicks_smf(300, 8), bytes, "the seed matters");
    }

    #[test]
    fn onsets_are_measured_against_the_presentation_time() {
        // origin 1000; 48 kHz: pres 1000 + 10^7 is frame 48000.
        let mut audio = vec![0i16; 2 * 96_000];
        audio[2 * 48_000] = 100;
        audio[2 * 72_001 + 1] = -5;
        let events = "# sample pres_time when bytes\n\
                      48000 10001000 ontime 99 25 7f\n\
                      48000 10001000 ontime 89 25 00\n\
                      72001 15001000 ontime 99 25 7f\n\
                      90000 17001000 late 99 25 7f\n";
        let r = onsets(events, &audio, 1000, 48_000);
        assert_eq!((r.notes, r.late, r.measured), (3, 1, 2));
        assert_eq!(r.errors, vec![0, 1]);
        assert_eq!(r.lateness, vec![90_000 - 81_600]);
        assert_eq!(OnsetReport::quantile(&r.errors, 0.5), 1);
        assert_eq!(OnsetReport::quantile(&[], 0.99), 0);
    }
}
