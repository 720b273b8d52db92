// SPDX-License-Identifier: GPL-2.0

//! Converts a small SoundFont built here, byte by byte after SF2 2.04, and checks the bank:
//! what each generator became, what was dropped, and that the engine plays it.

use dmus_synth::articulation::TC_ZERO;
use dmus_synth::layout::{DMUS_INSTRUMENT_GM_INSTRUMENT, F_INSTRUMENT_DRUMS, WLOOP_TYPE_FORWARD};
use dmus_synth::{Bank, Synth};
use rustysynth::SoundFont;
use sf2bank::{convert, timecents, volume_sustain};

/// SF2 generator numbers (SF2 2.04, 8.1.2).
mod gen {
    pub const PAN: u16 = 17;
    pub const ATTACK_VOL_ENV: u16 = 34;
    pub const HOLD_VOL_ENV: u16 = 35;
    pub const SUSTAIN_VOL_ENV: u16 = 37;
    pub const RELEASE_VOL_ENV: u16 = 38;
    pub const INSTRUMENT: u16 = 41;
    pub const KEY_RANGE: u16 = 43;
    pub const INITIAL_ATTENUATION: u16 = 48;
    pub const COARSE_TUNE: u16 = 51;
    pub const SAMPLE_ID: u16 = 53;
    pub const SAMPLE_MODES: u16 = 54;
    pub const EXCLUSIVE_CLASS: u16 = 57;
    pub const OVERRIDING_ROOT_KEY: u16 = 58;
}

/// One SF2 sample.
struct Sample {
    name: &'static str,
    data: Vec<i16>,
    loop_: (u32, u32),
    rate: u32,
    pitch: u8,
    kind: u16,
}

/// A zone: its generators (amounts as raw 16-bit words).
type Zone = Vec<(u16, u16)>;

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = id.to_vec();
    b.extend_from_slice(&(body.len() as u32).to_le_bytes());
    b.extend_from_slice(body);
    if body.len() % 2 == 1 {
        b.push(0);
    }
    b
}

fn list(kind: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    for c in chunks {
        body.extend_from_slice(c);
    }
    chunk(b"LIST", &body)
}

fn name(s: &str) -> [u8; 20] {
    let mut n = [0; 20];
    n[..s.len()].copy_from_slice(s.as_bytes());
    n
}

fn range(lo: u8, hi: u8) -> u16 {
    u16::from(lo) | u16::from(hi) << 8
}

/// The headers (`phdr`/`inst`), bags and generators of one level; `header(k, bag)` writes
/// item `k`'s header (`None`: the terminal one) with its first bag index.
fn level(
    items: &[Vec<Zone>],
    header: impl Fn(Option<usize>, u16) -> Vec<u8>,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (mut hdr, mut bag, mut gen) = (Vec::new(), Vec::new(), Vec::new());
    let (mut nbag, mut ngen) = (0u16, 0u16);
    for (k, zones) in items.iter().enumerate() {
        hdr.extend(header(Some(k), nbag));
        for z in zones {
            bag.extend_from_slice(&ngen.to_le_bytes());
            bag.extend_from_slice(&0u16.to_le_bytes());
            for &(op, amount) in z {
                gen.extend_from_slice(&op.to_le_bytes());
                gen.extend_from_slice(&amount.to_le_bytes());
                ngen += 1;
            }
            nbag += 1;
        }
    }
    hdr.extend(header(None, nbag));
    bag.extend_from_slice(&ngen.to_le_bytes());
    bag.extend_from_slice(&0u16.to_le_bytes());
    gen.extend_from_slice(&[0; 4]);
    (hdr, bag, gen)
}

/// A SoundFont of `samples`, instruments (zones) and presets ((bank, program, zones)).
fn soundfont(
    samples: &[Sample],
    instruments: &[Vec<Zone>],
    presets: &[(u16, u16, Vec<Zone>)],
) -> Vec<u8> {
    let mut smpl = Vec::new();
    let mut shdr = Vec::new();
    for s in samples {
        let start = (smpl.len() / 2) as u32;
        for v in &s.data {
            smpl.extend_from_slice(&v.to_le_bytes());
        }
        let end = (smpl.len() / 2) as u32;
        smpl.extend_from_slice(&[0; 92]);
        shdr.extend_from_slice(&name(s.name));
        for v in [start, end, start + s.loop_.0, start + s.loop_.1, s.rate] {
            shdr.extend_from_slice(&v.to_le_bytes());
        }
        shdr.extend_from_slice(&[s.pitch, 0, 0, 0]);
        shdr.extend_from_slice(&s.kind.to_le_bytes());
    }
    shdr.extend_from_slice(&name("EOS"));
    shdr.extend_from_slice(&[0; 26]);
    let preset_zones: Vec<Vec<Zone>> = presets.iter().map(|p| p.2.clone()).collect();
    let (phdr, pbag, pgen) = level(&preset_zones, |k, bag| {
        let (bank, program) = k.map_or((0, 0), |k| (presets[k].0, presets[k].1));
        let mut h = name(if k.is_some() { "preset" } else { "EOP" }).to_vec();
        for v in [program, bank, bag] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&[0; 12]);
        h
    });
    let (ihdr, ibag, igen) = level(instruments, |k, bag| {
        let mut h = name(if k.is_some() { "instrument" } else { "EOI" }).to_vec();
        h.extend_from_slice(&bag.to_le_bytes());
        h
    });
    let info = list(
        b"INFO",
        &[
            chunk(b"ifil", &[2, 0, 1, 0]),
            chunk(b"isng", b"EMU8000\0"),
            chunk(b"INAM", b"test\0\0"),
        ],
    );
    let sdta = list(b"sdta", &[chunk(b"smpl", &smpl)]);
    let pdta = list(
        b"pdta",
        &[
            chunk(b"phdr", &phdr),
            chunk(b"pbag", &pbag),
            chunk(b"pmod", &[0; 10]),
            chunk(b"pgen", &pgen),
            chunk(b"inst", &ihdr),
            chunk(b"ibag", &ibag),
            chunk(b"imod", &[0; 10]),
            chunk(b"igen", &igen),
            chunk(b"shdr", &shdr),
        ],
    );
    let mut body = b"sfbk".to_vec();
    for l in [info, sdta, pdta] {
        body.extend(l);
    }
    chunk(b"RIFF", &body)
}

fn sine(n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| (16000.0 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).sin()) as i16)
        .collect()
}

/// The test SoundFont: a looped sine (program 0, with a right twin that must be dropped and
/// preset generators that add to the instrument's), a click drum on key 36 (kit 0), and a
/// preset in bank 200 (skipped).
fn test_font() -> Vec<u8> {
    let samples = [
        Sample {
            name: "sineL",
            data: sine(100),
            loop_: (0, 100),
            rate: 22_050,
            pitch: 60,
            kind: 4,
        },
        Sample {
            name: "sineR",
            data: sine(100),
            loop_: (0, 100),
            rate: 22_050,
            pitch: 60,
            kind: 2,
        },
        Sample {
            name: "click",
            data: vec![30000, -20000, 10000, -5000, 0, 0],
            loop_: (0, 0),
            rate: 44_100,
            pitch: 60,
            kind: 1,
        },
    ];
    let sine_zone = |sample: u16| -> Zone {
        vec![
            (gen::KEY_RANGE, range(0, 127)),
            (gen::PAN, (-250i16) as u16),
            (gen::ATTACK_VOL_ENV, (-2400i16) as u16),
            (gen::SUSTAIN_VOL_ENV, 100),
            (gen::RELEASE_VOL_ENV, 0),
            (gen::INITIAL_ATTENUATION, 60),
            (gen::COARSE_TUNE, 1),
            (gen::SAMPLE_MODES, 1),
            (gen::SAMPLE_ID, sample),
        ]
    };
    let instruments = vec![
        vec![sine_zone(0), sine_zone(1)],
        vec![vec![
            (gen::KEY_RANGE, range(36, 36)),
            (gen::HOLD_VOL_ENV, 0),
            (gen::EXCLUSIVE_CLASS, 1),
            (gen::OVERRIDING_ROOT_KEY, 36),
            (gen::SAMPLE_ID, 2),
        ]],
    ];
    let presets = vec![
        (
            0,
            0,
            vec![vec![(gen::ATTACK_VOL_ENV, 1200), (gen::INSTRUMENT, 0)]],
        ),
        (128, 0, vec![vec![(gen::INSTRUMENT, 1)]]),
        (200, 5, vec![vec![(gen::INSTRUMENT, 0)]]),
    ];
    soundfont(&samples, &instruments, &presets)
}

/// The test font converted: the bank's bytes and the summary.
fn converted() -> (Vec<u8>, sf2bank::Summary) {
    let bytes = test_font();
    let sf = SoundFont::new(&mut bytes.as_slice()).expect("the test font parses");
    convert(&sf).expect("converts")
}

#[test]
fn generators_become_the_documented_download_fields() {
    let (bank_bytes, summary) = converted();
    let bank = Bank::parse(&bank_bytes).expect("the bank parses");
    assert_eq!(summary.instruments, 1);
    assert_eq!(summary.drum_kits, 1);
    assert_eq!(summary.skipped_presets, 1, "bank 200 has no DMus patch");
    assert_eq!(summary.skipped_regions, 1, "the right sample of the pair");
    assert_eq!(summary.regions, 2);
    assert_eq!(summary.waves, 2);
    assert_eq!(summary.wave_bytes, 2 * (100 + 6));
    assert_eq!(summary.bank_bytes, bank_bytes.len());
    assert_eq!(summary.approximated_regions, 1, "the drum's hold of 1 s");

    let inst = bank.instrument(0).expect("program 0");
    assert_eq!(inst.flags(), DMUS_INSTRUMENT_GM_INSTRUMENT);
    let regions: Vec<_> = inst.regions().collect();
    assert_eq!(regions.len(), 1);
    let r = &regions[0];
    assert_eq!((r.key_low, r.key_high), (0, 127));
    assert_eq!(r.unity_note, 60);
    assert_eq!(r.fine_tune, 100, "coarse tune 1 semitone");
    assert_eq!(r.attenuation, -(60 << 16), "60 cB");
    let lp = r.wave_loop.expect("sample mode 1 loops");
    assert_eq!(
        (lp.loop_type, lp.start, lp.length),
        (WLOOP_TYPE_FORWARD, 0, 100)
    );
    let art = r
        .articulation
        .expect("each region has its own articulation");
    assert_eq!(
        art.vol_eg.attack,
        -1200 << 16,
        "-2400 tc + the preset's 1200 tc"
    );
    assert_eq!(art.vol_eg.sustain, volume_sustain(100.0));
    assert_eq!(art.vol_eg.sustain, 896 << 16);
    assert_eq!(art.vol_eg.release, 0, "0 tc = 1 s");
    assert_eq!(art.default_pan, -250 << 16);
    assert_eq!(art.lfo.mw_to_pitch, 50 << 16);
    let wave = bank.wave(r.link.wave_id).expect("linked wave");
    assert_eq!(wave.format.rate, 22_050);
    assert_eq!(wave.samples(), 100);
    let want: Vec<i16> = sine(100);
    let got: Vec<i16> = (0..100).map(|i| wave.sample(i)).collect();
    assert_eq!(got, want);

    let kit = bank.instrument(F_INSTRUMENT_DRUMS).expect("drum kit 0");
    let drum: Vec<_> = kit.regions().collect();
    assert_eq!(drum.len(), 1);
    assert_eq!(
        (drum[0].key_low, drum[0].key_high, drum[0].unity_note),
        (36, 36, 36)
    );
    assert_eq!(drum[0].key_group, 1, "exclusive class");
    assert!(drum[0].wave_loop.is_none());
    let art = drum[0].articulation.expect("own articulation");
    assert_eq!(
        art.vol_eg.attack, TC_ZERO,
        "SF2's minimum time is zero time"
    );
}

#[test]
fn the_engine_plays_the_converted_bank() {
    let (bank_bytes, _) = converted();
    let bank = Bank::parse(&bank_bytes).expect("parses");
    let mut synth = Synth::new(48_000).expect("48 kHz");
    let mut out = vec![0i16; 2 * 4800];
    synth.render(&bank, &mut out);
    assert!(out.iter().all(|&s| s == 0), "silent before the note");
    synth.midi(&bank, &[0x90, 60, 100]);
    // The attack takes 0.5 s: listen from 0.5 s to 0.6 s.
    for _ in 0..6 {
        synth.render(&bank, &mut out);
    }
    let peak = out.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(peak > 300, "the sine sounds: peak {peak}");
    // 100 samples a cycle at 22050 Hz is 220.5 Hz on key 60; coarse tune +1 makes it
    // 233.6 Hz: 23.4 cycles in these 0.1 s, 46 or 47 sign changes.
    let left: Vec<i16> = out.iter().step_by(2).copied().collect();
    let crossings = left.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    assert!(
        (46..=47).contains(&crossings),
        "pitch: {crossings} sign changes"
    );
    let left: i64 = out
        .iter()
        .step_by(2)
        .map(|&s| i64::from(s.unsigned_abs()))
        .sum();
    let right: i64 = out
        .iter()
        .skip(1)
        .step_by(2)
        .map(|&s| i64::from(s.unsigned_abs()))
        .sum();
    assert!(left > right, "pan -25 % leans left: {left} vs {right}");
    synth.midi(&bank, &[0x99, 36, 100]);
    assert_eq!(synth.active_voices(), 2, "the kit's key 36 plays");
    synth.midi(&bank, &[0x99, 37, 100]);
    assert_eq!(
        synth.active_voices(),
        2,
        "key 37 has no region in the kit: silent"
    );
}

#[test]
fn unit_conversions() {
    assert_eq!(timecents(1.0), 0);
    assert_eq!(timecents(2.0), 1200 << 16);
    assert_eq!(timecents(0.0009), TC_ZERO);
    assert_eq!(timecents(1000.0), 8000 << 16, "clamped to SF2's longest");
    assert_eq!(volume_sustain(0.0), 1000 << 16);
    assert_eq!(volume_sustain(480.0), 500 << 16);
    assert_eq!(volume_sustain(1440.0), 0);
    assert_eq!(sf2bank::pitch_cents(440.0), 6900 << 16);
    assert_eq!(sf2bank::patch(128, 25), Some(F_INSTRUMENT_DRUMS | 25));
    assert_eq!(sf2bank::patch(8, 4), Some(8 << 16 | 4));
    assert_eq!(sf2bank::patch(129, 0), None);
}
