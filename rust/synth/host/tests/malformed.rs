// SPDX-License-Identifier: GPL-2.0

//! Malformed downloads and banks are errors, never panics: a fixed set of mutations, each
//! with the error it must give, and random mutations of valid bytes.

mod common;

use common::*;
use dmus_synth::builtin;
use dmus_synth::writer::{
    bank_from_downloads,
    write_bank,
    ArticFormat,
    DownloadDef,
    InstrumentDef, //
};
use dmus_synth::{
    Articulation,
    Bank,
    Download,
    Error,
    Region, //
};
use proptest::prelude::*;

/// An INSTRUMENT2 download: [0] instrument, [1] global ARTICULATION2, [2] its list, [3] region
/// A, [4] A's ARTICULATION2, [5] its list, [6] region B (no articulation of its own).
fn instrument_bytes(format: ArticFormat) -> Vec<u8> {
    let mut art = Articulation::default();
    art.vol_eg.release = -2000 << 16;
    let a = Region {
        key_high: 59,
        articulation: Some(art),
        ..region(1, 60, 100)
    };
    let b = Region {
        key_low: 60,
        ..region(1, 60, 0)
    };
    InstrumentDef {
        id: 2,
        patch: 0,
        flags: 0,
        format,
        global: Some(Articulation::default()),
        regions: vec![a, b],
    }
    .write()
}

fn wave_bytes() -> Vec<u8> {
    sine_wave(1, 100, 44_000).write()
}

/// The offset of chunk `idx`.
fn chunk(b: &[u8], idx: usize) -> usize {
    u32::from_le_bytes(b[16 + 4 * idx..20 + 4 * idx].try_into().unwrap()) as usize
}

fn with32(b: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut b = b.to_vec();
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b
}

fn with16(b: &[u8], at: usize, v: u16) -> Vec<u8> {
    let mut b = b.to_vec();
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    b
}

#[track_caller]
fn rejects(bytes: &[u8], want: Error) {
    assert_eq!(Download::parse(bytes).err(), Some(want));
}

#[test]
fn the_base_downloads_are_valid() {
    for format in [ArticFormat::Params, ArticFormat::Connections] {
        Download::parse(&instrument_bytes(format)).unwrap();
    }
    Download::parse(&wave_bytes()).unwrap();
}

#[test]
fn truncated_downloads() {
    for bytes in [instrument_bytes(ArticFormat::Connections), wave_bytes()] {
        for n in 0..bytes.len() {
            assert!(Download::parse(&bytes[..n]).is_err(), "prefix {n}");
            if n >= 16 {
                let cut = with32(&bytes[..n], 12, n as u32);
                assert!(
                    Download::parse(&cut).is_err(),
                    "prefix {n} with its own cbSize"
                );
            }
        }
    }
}

#[test]
fn sizes_and_offset_table() {
    let b = instrument_bytes(ArticFormat::Connections);
    rejects(&with32(&b, 12, b.len() as u32 + 1), Error::BadSize);
    rejects(&with32(&b, 8, 0), Error::BadSize);
    rejects(&with32(&b, 8, 5000), Error::BadSize);
    rejects(&with32(&b, 8, 200), Error::Truncated);
    rejects(&with32(&b, 16 + 4 * 3, b.len() as u32), Error::BadOffset);
    rejects(&with32(&b, 16 + 4 * 3, 4), Error::BadOffset);
    rejects(&with32(&b, 0, 4), Error::UnknownType);
    rejects(&with32(&b, 0, 0), Error::UnknownType);
}

#[test]
fn indices_lists_and_cycles() {
    let b = instrument_bytes(ArticFormat::Connections);
    let (inst, a, b_region) = (chunk(&b, 0), chunk(&b, 3), chunk(&b, 6));
    // Region A's next index out of range, then back to A (cycle), then to itself.
    rejects(&with32(&b, a + 16, 7), Error::BadIndex);
    rejects(&with32(&b, b_region + 16, 3), Error::BadIndex);
    rejects(&with32(&b, a + 16, 3), Error::BadIndex);
    // Region A's articulation is the global one: a chunk used twice.
    rejects(&with32(&b, a + 12, 1), Error::BadIndex);
    // An ARTICULATION2 chain that loops.
    rejects(&with32(&b, chunk(&b, 4) + 8, 4), Error::BadIndex);
    // Instrument fields.
    rejects(&with32(&b, inst + 4, 0), Error::NoRegion);
    rejects(&with32(&b, inst + 8, 0), Error::NoArticulation);
    rejects(&with32(&b, inst, 0x0100_0000), Error::BadPatch);
    rejects(&with32(&b, inst, 0x80), Error::BadPatch);
    rejects(&with32(&b, inst + 16, 9), Error::BadIndex);
}

#[test]
fn regions() {
    let b = instrument_bytes(ArticFormat::Connections);
    let a = chunk(&b, 3);
    rejects(&with16(&b, a, 100), Error::BadRange);
    rejects(&with16(&b, a + 2, 128), Error::BadRange);
    rejects(&with16(&b, a + 4, 128), Error::BadRange);
    rejects(&with16(&b, a + 40, 200), Error::BadRange);
    // A stereo (right channel) link, wrong WSMPL and WLOOP sizes, two loops.
    rejects(&with32(&b, a + 28, 2), Error::BadRegion);
    rejects(&with32(&b, a + 36, 24), Error::BadRegion);
    rejects(&with32(&b, a + 52, 2), Error::BadRegion);
    rejects(&with32(&b, a + 56, 0), Error::BadRegion);
    rejects(&with32(&b, a + 60, 7), Error::BadRegion);
    rejects(&with32(&b, a + 68, 0), Error::BadLoop);
    rejects(&with32(&b, a + 64, u32::MAX), Error::BadLoop);
}

#[test]
fn articulations() {
    let b = instrument_bytes(ArticFormat::Connections);
    let list = chunk(&b, 5);
    rejects(&with32(&b, list, 12), Error::BadArticulation);
    rejects(&with32(&b, list + 4, 0x1000_0000), Error::BadArticulation);
    rejects(&with32(&b, list + 4, 100), Error::BadArticulation);
    // DMUS_ARTICPARAMS cut short by the end of the download.
    let p = instrument_bytes(ArticFormat::Params);
    let params = chunk(&p, 5);
    rejects(
        &with32(&p, 16 + 4 * 5, (p.len() - 40) as u32),
        Error::Truncated,
    );
    assert!(params < p.len());
}

#[test]
fn waves() {
    let b = wave_bytes();
    let w = chunk(&b, 0);
    let data = chunk(&b, 1);
    rejects(&with16(&b, w + 12, 3), Error::NotPcm);
    rejects(&with16(&b, w + 14, 2), Error::NotMono);
    rejects(&with16(&with16(&b, w + 26, 24), w + 24, 3), Error::BadBits);
    rejects(&with16(&b, w + 26, 12), Error::BadBits);
    rejects(&with16(&b, w + 24, 1), Error::BadBits);
    rejects(&with32(&b, w + 16, 0), Error::BadWave);
    rejects(&with32(&b, data, 0), Error::BadWave);
    rejects(&with32(&b, data, 199), Error::BadWave);
    rejects(&with32(&b, data, 10_000), Error::BadChunk);
    rejects(&with32(&b, w + 8, 0), Error::BadIndex);
    rejects(&with32(&b, w + 8, 2), Error::BadIndex);
}

#[test]
fn banks() {
    let wave = wave_bytes();
    let inst = instrument_bytes(ArticFormat::Connections);
    let good = bank_from_downloads(&[&wave, &inst]);
    Bank::parse(&good).unwrap();
    let err = |b: &[u8]| Bank::parse(b).err();
    assert_eq!(err(&good[..good.len() - 1]), Some(Error::BadBank));
    assert_eq!(
        err(&[&good[..], &[0, 0, 0, 0]].concat()),
        Some(Error::BadBank)
    );
    assert_eq!(err(&with32(&good, 0, 0)), Some(Error::BadBank));
    assert_eq!(err(&with32(&good, 4, 2)), Some(Error::BadBank));
    assert_eq!(err(&with32(&good, 8, 3)), Some(Error::BadBank));
    assert_eq!(err(&with32(&good, 12, 1 << 20)), Some(Error::BadBank));
    // Non-zero padding after an odd-length record.
    let odd = bank_from_downloads(&[&[&wave[..], &[0]].concat()]);
    assert!(Bank::parse(&odd).is_err());
    // Duplicate and missing ids.
    let wave_as_2 = with32(&wave, 4, 2);
    assert_eq!(
        err(&bank_from_downloads(&[&wave_as_2, &inst])),
        Some(Error::DuplicateId)
    );
    assert_eq!(
        err(&bank_from_downloads(&[&inst])),
        Some(Error::MissingWave)
    );
    // The same two records in the wrong order.
    let second = 12 + 4 + wave.len().next_multiple_of(4);
    let mut swapped = good[..12].to_vec();
    swapped.extend_from_slice(&good[second..]);
    swapped.extend_from_slice(&good[12..second]);
    assert_eq!(err(&swapped), Some(Error::DuplicateId));
    // A loop that ends past its wave: region A loops 90..110 of a 100-sample wave.
    let a = chunk(&inst, 3);
    let long = with32(&with32(&inst, a + 64, 90), a + 68, 20);
    assert_eq!(
        err(&bank_from_downloads(&[&wave, &long])),
        Some(Error::BadLoop)
    );
    // A malformed download inside a bank.
    let stereo = with16(&wave, chunk(&wave, 0) + 14, 2);
    assert_eq!(
        err(&bank_from_downloads(&[&stereo, &inst])),
        Some(Error::NotMono)
    );
}

/// Plays a note on every instrument of `bank` and renders a little: nothing may panic.
fn play_everything(bank: &Bank<'_>) {
    let mut s = synth();
    for inst in bank.downloads().filter_map(|d| d.instrument()) {
        let patch = inst.patch();
        let ch = if patch & 0x8000_0000 != 0 { 9 } else { 0 };
        s.midi(bank, &cc(ch, 0, (patch >> 16) as u8 & 0x7F));
        s.midi(bank, &cc(ch, 32, (patch >> 8) as u8 & 0x7F));
        s.midi(bank, &program(ch, patch as u8 & 0x7F));
        for key in [0, 60, 127] {
            s.midi(bank, &on(ch, key, 100));
        }
        render(&mut s, bank, 700);
    }
    s.midi(bank, &cc(0, 123, 0));
    render(&mut s, bank, 3000);
}

fn mutation() -> impl Strategy<Value = (usize, u8, u8)> {
    (any::<usize>(), any::<u8>(), 0u8..4)
}

fn mutate(base: &[u8], muts: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut b = base.to_vec();
    for &(pos, value, kind) in muts {
        if b.is_empty() {
            break;
        }
        let i = pos % b.len();
        match kind {
            0 => b[i] = value,
            1 => b[i] ^= 1 << (value % 8),
            2 => b.truncate(i),
            _ => b.insert(i, value),
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random byte mutations of a valid bank never panic the parser or, when the result
    /// still validates, the engine.
    #[test]
    fn random_mutations_never_panic(muts in proptest::collection::vec(mutation(), 1..6), which in 0..2) {
        let base = if which == 0 {
            builtin::BANK.to_vec()
        } else {
            let inst = InstrumentDef {
                format: ArticFormat::Params,
                ..InstrumentDef::clone(&match DownloadDef::read(
                    &Download::parse(&instrument_bytes(ArticFormat::Connections)).unwrap(),
                ) {
                    Some(DownloadDef::Instrument(i)) => i,
                    _ => unreachable!(),
                })
            };
            write_bank(&[DownloadDef::Wave(sine_wave(1, 100, 44_000)), DownloadDef::Instrument(inst)])
        };
        let bytes = mutate(&base, &muts);
        if let Ok(bank) = Bank::parse(&bytes) {
            play_everything(&bank);
        }
        let _ = Download::parse(&bytes);
        if bytes.len() > 16 {
            let _ = Download::parse(&bytes[16..]);
        }
    }
}

/// A wave download assembled by hand: [0] `DMUS_WAVE` naming extension chunk `ext` and
/// copyright `copyright`, [1] its data, then `extra` chunks from index 2.
fn wave_with_chunks(ext: u32, copyright: u32, extra: &[Vec<u8>]) -> Vec<u8> {
    let plain = wave_bytes();
    let (w, data) = (chunk(&plain, 0), chunk(&plain, 1));
    let mut wave = plain[w..data].to_vec();
    wave[0..4].copy_from_slice(&ext.to_le_bytes());
    wave[4..8].copy_from_slice(&copyright.to_le_bytes());
    let mut chunks = vec![wave, plain[data..].to_vec()];
    chunks.extend_from_slice(extra);
    let table = 16 + 4 * chunks.len();
    let mut offsets = Vec::new();
    let mut pos = table;
    for c in &chunks {
        offsets.push(pos as u32);
        pos += c.len();
    }
    let mut b = Vec::new();
    for v in [2, 1, chunks.len() as u32, pos as u32]
        .into_iter()
        .chain(offsets)
    {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for c in chunks {
        b.extend_from_slice(&c);
    }
    b
}

/// A `DMUS_EXTENSIONCHUNK` with `data`, linking to `next`.
fn extension(next: u32, data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_le_bytes().to_vec();
    c.extend_from_slice(&next.to_le_bytes());
    c.extend_from_slice(b"test");
    c.extend_from_slice(data);
    c
}

#[test]
fn copyright_and_extension_chunks() {
    let copyright = [&5u32.to_le_bytes()[..], b"(c) x"].concat();
    let two = [extension(3, b"abcd"), extension(0, b""), copyright.clone()];
    let dl = wave_with_chunks(2, 4, &two);
    let parsed = Download::parse(&dl).unwrap();
    assert_eq!(parsed.wave().unwrap().samples(), 100);
    // An extension chain that loops, one that runs past the end, a copyright too long.
    let looped = [extension(3, b"abcd"), extension(2, b""), copyright.clone()];
    rejects(&wave_with_chunks(2, 4, &looped), Error::BadIndex);
    let long = [extension(0, b"abcd"), copyright.clone()];
    let b = wave_with_chunks(2, 3, &long);
    rejects(&with32(&b, chunk(&b, 2), 1000), Error::BadChunk);
    rejects(&with32(&b, chunk(&b, 3), 1000), Error::BadChunk);
    // The copyright chunk is also the extension chunk: one chunk, two roles.
    rejects(&wave_with_chunks(2, 2, &long), Error::BadIndex);
}
