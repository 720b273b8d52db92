// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the integration tests: rendering, MIDI messages, measurements of the
//! output, and small instruments.

#![allow(dead_code, unreachable_pub)]

use dmus_synth::writer::{
    ArticFormat,
    DownloadDef,
    InstrumentDef,
    WaveDef, //
};
use dmus_synth::{
    Articulation,
    Bank,
    Region,
    Synth,
    WaveFormat,
    WaveLink,
    WaveLoop, //
};

/// The output rate of most tests.
pub const RATE: u32 = 48_000;

/// A synth at [`RATE`].
pub fn synth() -> Synth {
    Synth::new(RATE).expect("valid rate")
}

/// Renders `frames` frames (interleaved stereo).
pub fn render(s: &mut Synth, bank: &Bank<'_>, frames: usize) -> Vec<i16> {
    let mut out = vec![0x5555; 2 * frames];
    s.render(bank, &mut out);
    out
}

/// Note on.
pub fn on(ch: u8, key: u8, vel: u8) -> [u8; 3] {
    [0x90 | ch, key, vel]
}

/// Note off.
pub fn off(ch: u8, key: u8) -> [u8; 3] {
    [0x80 | ch, key, 0]
}

/// Control change.
pub fn cc(ch: u8, cc: u8, value: u8) -> [u8; 3] {
    [0xB0 | ch, cc, value]
}

/// Program change.
pub fn program(ch: u8, p: u8) -> [u8; 2] {
    [0xC0 | ch, p]
}

/// Pitch bend, 14-bit value (8192 = centre).
pub fn bend(ch: u8, value: u16) -> [u8; 3] {
    [0xE0 | ch, (value & 0x7F) as u8, (value >> 7) as u8]
}

/// RPN 0 (bend range) set to `semitones`.
pub fn bend_range(s: &mut Synth, bank: &Bank<'_>, ch: u8, semitones: u8) {
    for m in [
        cc(ch, 101, 0),
        cc(ch, 100, 0),
        cc(ch, 6, semitones),
        cc(ch, 38, 0),
    ] {
        s.midi(bank, &m);
    }
}

/// The left samples.
pub fn left(v: &[i16]) -> Vec<i16> {
    v.iter().step_by(2).copied().collect()
}

/// The right samples.
pub fn right(v: &[i16]) -> Vec<i16> {
    v.iter().skip(1).step_by(2).copied().collect()
}

/// Sum of squares (energy).
pub fn energy(v: &[i16]) -> u64 {
    v.iter()
        .map(|&x| (i64::from(x) * i64::from(x)) as u64)
        .sum()
}

/// The largest magnitude.
pub fn peak(v: &[i16]) -> i32 {
    v.iter().map(|&x| i32::from(x).abs()).max().unwrap_or(0)
}

/// Sign changes from negative to non-negative (one per cycle of a tone).
pub fn rising_crossings(v: &[i16]) -> usize {
    v.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count()
}

/// The index of the first frame with a non-zero sample on either side.
pub fn first_sound(v: &[i16]) -> Option<usize> {
    v.chunks(2).position(|f| f.iter().any(|&x| x != 0))
}

/// A 16-bit sine wave download of `samples` samples per cycle at `rate` Hz.
pub fn sine_wave(id: u32, samples: usize, rate: u32) -> WaveDef {
    let data = (0..samples)
        .flat_map(|i| {
            let turn = ((i as u64) << 32) / samples as u64;
            let s = dmus_synth::fixed::sin_q30(turn as u32) >> 15;
            (s.clamp(-32767, 32767) as i16).to_le_bytes()
        })
        .collect();
    WaveDef {
        id,
        format: WaveFormat::pcm(rate, 16),
        data,
    }
}

/// A region over all keys playing wave `wave_id`, unity note `unity`, looped over
/// `loop_len` samples from 0 (0 = once).
pub fn region(wave_id: u32, unity: u8, loop_len: u32) -> Region {
    Region {
        key_low: 0,
        key_high: 127,
        vel_low: 0,
        vel_high: 127,
        options: 0,
        key_group: 0,
        link: WaveLink {
            options: 0,
            phase_group: 0,
            wave_id,
        },
        unity_note: unity,
        fine_tune: 0,
        attenuation: 0,
        wsmp_options: 0,
        wave_loop: (loop_len > 0).then_some(WaveLoop {
            loop_type: 0,
            start: 0,
            length: loop_len,
        }),
        articulation: None,
    }
}

/// An instrument with one region and a global articulation.
pub fn instrument(id: u32, patch: u32, region: Region, art: Articulation) -> InstrumentDef {
    InstrumentDef {
        id,
        patch,
        flags: 0,
        format: ArticFormat::Connections,
        global: Some(art),
        regions: vec![region],
    }
}

/// Timecents (16.16) of `ms` milliseconds, rounded to whole timecents.
pub fn tc_ms(ms: u32) -> i32 {
    // 1200 log2(ms / 1000), by integer search on the engine's own table.
    let mut best = (i64::MAX, 0);
    for tc in -12000..8000 {
        let frames = dmus_synth::fixed::timecents_to_frames(tc << 16, 1_000_000, u32::MAX);
        let err = (i64::from(frames) - i64::from(ms) * 1000).abs();
        if err < best.0 {
            best = (err, tc);
        }
    }
    best.1 << 16
}

/// A bank of one sine instrument (program 0) with articulation `art`: 100 samples per cycle
/// at 44 kHz, unity note 69.
pub fn sine_bank(art: Articulation) -> Vec<u8> {
    dmus_synth::writer::write_bank(&[
        DownloadDef::Wave(sine_wave(1, 100, 44_000)),
        DownloadDef::Instrument(instrument(2, 0, region(1, 69, 100), art)),
    ])
}

/// Positions of rising zero crossings of mono samples `v`.
pub fn crossing_positions(v: &[i16]) -> Vec<usize> {
    (1..v.len())
        .filter(|&i| v[i - 1] < 0 && v[i] >= 0)
        .collect()
}

/// The frequency of the tone in mono samples `v` at `rate`, in mHz, from its first and last
/// rising zero crossings.
pub fn frequency_mhz(v: &[i16], rate: u32) -> u64 {
    let x = crossing_positions(v);
    assert!(x.len() > 2, "no tone");
    (x.len() as u64 - 1) * u64::from(rate) * 1000 / (x[x.len() - 1] - x[0]) as u64
}

/// Sends each message in turn.
pub fn send(s: &mut Synth, bank: &Bank<'_>, msgs: &[&[u8]]) {
    for m in msgs {
        s.midi(bank, m);
    }
}
