// SPDX-License-Identifier: GPL-2.0

//! The bank built into the module, so the synth plays without any firmware file: a test and
//! onset-measurement bank, built at compile time by `const fn`s (no committed bytes).
//!
//! Contents (all waves 16-bit mono at 44 kHz, 100 samples = one cycle at A4 = 440 Hz on key
//! 69, looped; instruments `DMUS_DOWNLOADINFO_INSTRUMENT2` with one region over all keys and a
//! global articulation: instant attack, full sustain, 200 ms release, 50 cents of vibrato on
//! the modulation wheel):
//! - program 0, bank 0: sine (wave id 1, instrument id 16);
//! - program 1, bank 0: square at half scale (wave 2, instrument 17);
//! - program 2, bank 0: sawtooth at half scale (wave 3, instrument 18);
//! - drum kit 0 (channel 10), every key: a click (wave 4, instrument 19), 32 samples played
//!   once at its recorded pitch on key 60: a full-scale first sample after silence, then an
//!   alternating decay (x -3/4 per sample), so an onset is the first non-zero output frame.
//!
//! The host crate's writer produces the same bytes from the parsed bank (a test compares them
//! byte for byte), so this builder and the writer agree on the layout.

use super::bank::{
    Bank,
    BANK_HEADER,
    BANK_MAGIC,
    BANK_VERSION, //
};
use super::fixed::sin_q30;
use super::layout::{
    dst,
    src,
    ARTICULATION2_SIZE,
    CONNECTIONLIST_SIZE,
    CONNECTION_SIZE,
    DMUS_DOWNLOADINFO_INSTRUMENT2,
    DMUS_DOWNLOADINFO_WAVE,
    DOWNLOADINFO_SIZE,
    F_INSTRUMENT_DRUMS,
    INSTRUMENT_SIZE,
    REGION_SIZE,
    WAVELINK_CHANNEL_LEFT,
    WAVE_FORMAT_PCM,
    WLOOP_SIZE,
    WSMPL_SIZE, //
};

/// Samples of one cycle of the melodic waves.
const CYCLE: usize = 100;
/// Samples of the click.
const CLICK: usize = 32;
/// Sample rate of every wave.
const WAVE_RATE: u32 = 44_000;
/// Room for building; the bank is cut to its length.
const SCRATCH: usize = 4096;
/// 200 ms in timecents, 16.16 (1200 log2 0.2 = -2786).
const RELEASE_200MS: i32 = -2786 << 16;
/// 100 ms in timecents, 16.16 (1200 log2 0.1 = -3986).
const RELEASE_100MS: i32 = -3986 << 16;

/// The waves of the bank.
#[derive(Clone, Copy)]
enum Shape {
    Sine,
    Square,
    Saw,
    Click,
}

const fn sample(shape: Shape, i: usize) -> i16 {
    match shape {
        Shape::Sine => {
            let turn = (((i as u64) << 32) + CYCLE as u64 / 2) / CYCLE as u64;
            let s = sin_q30(turn as u32) as i64;
            ((s * 32767 + (1 << 29)) >> 30) as i16
        }
        Shape::Square if i < CYCLE / 2 => 16384,
        Shape::Square => -16384,
        Shape::Saw => ((i * 32768 / CYCLE) as i32 - 16384) as i16,
        Shape::Click => {
            let mut v: i32 = 32767;
            let mut k = 0;
            while k < i {
                v = -v * 3 / 4;
                k += 1;
            }
            v as i16
        }
    }
}

const fn put16(b: &mut [u8; SCRATCH], at: usize, v: u16) {
    b[at] = v as u8;
    b[at + 1] = (v >> 8) as u8;
}

const fn put32(b: &mut [u8; SCRATCH], at: usize, v: u32) {
    put16(b, at, v as u16);
    put16(b, at + 2, (v >> 16) as u16);
}

/// Writes the `DMUS_DOWNLOADINFO` and the offset table of a download of `size` bytes at `at`.
const fn header(
    b: &mut [u8; SCRATCH],
    at: usize,
    kind: u32,
    id: u32,
    size: usize,
    offsets: &[usize],
) {
    put32(b, at, kind);
    put32(b, at + 4, id);
    put32(b, at + 8, offsets.len() as u32);
    put32(b, at + 12, size as u32);
    let mut i = 0;
    while i < offsets.len() {
        put32(b, at + DOWNLOADINFO_SIZE + 4 * i, offsets[i] as u32);
        i += 1;
    }
}

/// Writes the record of a wave download at `at`: `DMUS_WAVE` (32 bytes with its tail
/// padding), then `DMUS_WAVEDATA`; returns the end of the record.
const fn wave(b: &mut [u8; SCRATCH], at: usize, id: u32, shape: Shape) -> usize {
    let n = if matches!(shape, Shape::Click) {
        CLICK
    } else {
        CYCLE
    };
    let dl = at + 4;
    let w = DOWNLOADINFO_SIZE + 2 * 4;
    let data = w + 32;
    let size = data + 4 + 2 * n;
    put32(b, at, size as u32);
    header(b, dl, DMUS_DOWNLOADINFO_WAVE, id, size, &[w, data]);
    // ulWaveDataIdx 1, then WAVEFORMATEX: PCM, mono, rate, byte rate, block align, bits.
    put32(b, dl + w + 8, 1);
    put16(b, dl + w + 12, WAVE_FORMAT_PCM);
    put16(b, dl + w + 14, 1);
    put32(b, dl + w + 16, WAVE_RATE);
    put32(b, dl + w + 20, 2 * WAVE_RATE);
    put16(b, dl + w + 24, 2);
    put16(b, dl + w + 26, 16);
    put32(b, dl + data, 2 * n as u32);
    let mut i = 0;
    while i < n {
        put16(b, dl + data + 4 + 2 * i, sample(shape, i) as u16);
        i += 1;
    }
    dl + size.div_ceil(4) * 4
}

/// Writes the record of an instrument download at `at`: one region over all keys playing wave
/// `wave_id` (looped over its whole cycle unless `once`), a global articulation of
/// `connections` (source, control, destination, scale); returns the end of the record.
const fn instrument(
    b: &mut [u8; SCRATCH],
    at: usize,
    id: u32,
    patch: u32,
    wave_id: u32,
    once: bool,
    connections: &[(u16, u16, u16, i32)],
) -> usize {
    let dl = at + 4;
    let inst = DOWNLOADINFO_SIZE + 4 * 4;
    let art = inst + INSTRUMENT_SIZE;
    let list = art + ARTICULATION2_SIZE;
    let region = list + CONNECTIONLIST_SIZE + CONNECTION_SIZE * connections.len();
    let size = region + REGION_SIZE;
    put32(b, at, size as u32);
    header(
        b,
        dl,
        DMUS_DOWNLOADINFO_INSTRUMENT2,
        id,
        size,
        &[inst, art, list, region],
    );
    // DMUS_INSTRUMENT: patch, first region 3, global articulation 1.
    put32(b, dl + inst, patch);
    put32(b, dl + inst + 4, 3);
    put32(b, dl + inst + 8, 1);
    // DMUS_ARTICULATION2 -> CONNECTIONLIST 2.
    put32(b, dl + art, 2);
    put32(b, dl + list, CONNECTIONLIST_SIZE as u32);
    put32(b, dl + list + 4, connections.len() as u32);
    let mut i = 0;
    while i < connections.len() {
        let c = dl + list + CONNECTIONLIST_SIZE + CONNECTION_SIZE * i;
        let (s, ctl, d, scale) = connections[i];
        put16(b, c, s);
        put16(b, c + 2, ctl);
        put16(b, c + 4, d);
        put32(b, c + 8, scale as u32);
        i += 1;
    }
    // DMUS_REGION: keys 0..=127, velocities 0..=0 (all), WAVELINK, WSMPL, WLOOP.
    let r = dl + region;
    put16(b, r + 2, 127);
    put32(b, r + 28, WAVELINK_CHANNEL_LEFT);
    put32(b, r + 32, wave_id);
    put32(b, r + 36, WSMPL_SIZE);
    put16(b, r + 40, if once { 60 } else { 69 });
    if !once {
        put32(b, r + 52, 1);
        put32(b, r + 56, WLOOP_SIZE);
        put32(b, r + 68, CYCLE as u32);
    }
    dl + size
}

const MELODIC: [(u16, u16, u16, i32); 2] = [
    (src::LFO, src::CC1, dst::PITCH, 50 << 16),
    (src::NONE, src::NONE, dst::EG1_RELEASETIME, RELEASE_200MS),
];
const DRUM: [(u16, u16, u16, i32); 1] =
    [(src::NONE, src::NONE, dst::EG1_RELEASETIME, RELEASE_100MS)];

const fn build() -> ([u8; SCRATCH], usize) {
    let mut b = [0; SCRATCH];
    b[0] = BANK_MAGIC[0];
    b[1] = BANK_MAGIC[1];
    b[2] = BANK_MAGIC[2];
    b[3] = BANK_MAGIC[3];
    put32(&mut b, 4, BANK_VERSION);
    put32(&mut b, 8, 8);
    let mut at = BANK_HEADER;
    at = wave(&mut b, at, 1, Shape::Sine);
    at = wave(&mut b, at, 2, Shape::Square);
    at = wave(&mut b, at, 3, Shape::Saw);
    at = wave(&mut b, at, 4, Shape::Click);
    at = instrument(&mut b, at, 16, 0, 1, false, &MELODIC);
    at = instrument(&mut b, at, 17, 1, 2, false, &MELODIC);
    at = instrument(&mut b, at, 18, 2, 3, false, &MELODIC);
    at = instrument(&mut b, at, 19, F_INSTRUMENT_DRUMS, 4, true, &DRUM);
    (b, at)
}

const BUILT: ([u8; SCRATCH], usize) = build();

/// The length of the built-in bank, bytes.
pub const BUILTIN_LEN: usize = BUILT.1;

const fn cut() -> [u8; BUILTIN_LEN] {
    let mut out = [0; BUILTIN_LEN];
    let mut i = 0;
    while i < BUILTIN_LEN {
        out[i] = BUILT.0[i];
        i += 1;
    }
    out
}

static BYTES: [u8; BUILTIN_LEN] = cut();

/// The built-in bank's bytes (a `DMBK` container).
pub static BANK: &[u8] = &BYTES;

/// The built-in bank, validated. (It always validates, a host test checks it; were it not
/// to, this would return the empty bank rather than panic.)
pub fn bank() -> Bank<'static> {
    Bank::parse(BANK).unwrap_or(Bank::empty())
}
