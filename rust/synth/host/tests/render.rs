// SPDX-License-Identifier: GPL-2.0

//! Rendering: the same samples however the calls are split, the same samples on every
//! machine, saturation without wrap-around, and the output contract.

mod common;

use common::*;
use dmus_synth::builtin;
use dmus_synth::layout::F_RGN_OPTION_SELFNONEXCLUSIVE;
use dmus_synth::writer::{
    write_bank,
    DownloadDef, //
};
use dmus_synth::{
    Articulation,
    Bank,
    Error,
    Region,
    Synth, //
};
use proptest::prelude::*;

/// One step of a script: render `gap` frames, then act.
#[derive(Clone, Debug)]
enum Act {
    Midi(Vec<u8>),
    Shed(usize),
    Limit(usize),
}

fn act() -> impl Strategy<Value = Act> {
    let ch = prop_oneof![Just(0u8), Just(1), Just(9)];
    prop_oneof![
        4 => (ch.clone(), 30u8..90, 1u8..128).prop_map(|(c, k, v)| Act::Midi(on(c, k, v).to_vec())),
        3 => (ch.clone(), 30u8..90).prop_map(|(c, k)| Act::Midi(off(c, k).to_vec())),
        2 => (ch.clone(), prop_oneof![Just(1u8), Just(7), Just(10), Just(11), Just(64), Just(121),
            Just(123), Just(120)], 0u8..128)
            .prop_map(|(c, n, v)| Act::Midi(cc(c, n, v).to_vec())),
        1 => (ch.clone(), 0u16..16384).prop_map(|(c, v)| Act::Midi(bend(c, v).to_vec())),
        1 => (ch.clone(), 0u8..4).prop_map(|(c, p)| Act::Midi(program(c, p).to_vec())),
        1 => (ch, 0u8..25).prop_map(|(c, r)| Act::Midi(cc(c, 6, r).to_vec())),
        1 => (0usize..4).prop_map(Act::Shed),
        1 => (1usize..41).prop_map(Act::Limit),
    ]
}

/// Runs `script` (gap, act) and then renders `tail` frames, splitting every render into
/// pieces of the sizes in `pieces` (cycled; empty = one call per gap).
fn run(bank: &Bank<'_>, script: &[(usize, Act)], tail: usize, pieces: &[usize]) -> Vec<i16> {
    let mut s = synth();
    let mut out = Vec::new();
    let mut sizes = pieces.iter().cycle();
    let mut render_split = |s: &mut Synth, mut n: usize| {
        while n > 0 {
            let k = sizes.next().copied().unwrap_or(n).clamp(1, n);
            out.extend(render(s, bank, k));
            n -= k;
        }
    };
    s.midi(bank, &cc(0, 101, 0));
    s.midi(bank, &cc(0, 100, 0));
    for (gap, a) in script {
        render_split(&mut s, *gap);
        match a {
            Act::Midi(m) => s.midi(bank, m),
            Act::Shed(n) => {
                s.shed(*n);
            }
            Act::Limit(n) => s.set_voice_limit(*n),
        }
    }
    render_split(&mut s, tail);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Rendering in one call per gap or in any split of calls gives the same samples.
    #[test]
    fn chunk_invariance(
        script in proptest::collection::vec((0usize..3000, act()), 0..40),
        pieces in proptest::collection::vec(1usize..300, 1..8),
    ) {
        let bank = builtin::bank();
        let whole = run(&bank, &script, 4000, &[]);
        let split = run(&bank, &script, 4000, &pieces);
        prop_assert_eq!(whole, split);
    }
}

#[test]
fn frame_by_frame_is_the_same() {
    let bank = builtin::bank();
    let script: Vec<(usize, Act)> = (0..12)
        .map(|i| {
            (
                i * 97 % 300,
                Act::Midi(on((i % 3) as u8, 50 + i as u8, 100).to_vec()),
            )
        })
        .chain([(500, Act::Midi(cc(0, 123, 0).to_vec()))])
        .collect();
    assert_eq!(
        run(&bank, &script, 3000, &[]),
        run(&bank, &script, 3000, &[1])
    );
}

/// FNV-1a, 64 bits.
fn fnv(samples: &[i16]) -> u64 {
    samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
}

/// A fixed pseudo-random script over every feature.
fn fixed_script() -> Vec<(usize, Act)> {
    let mut x: u32 = 12345;
    let mut next = move || {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        x >> 16
    };
    let mut script = vec![(0, Act::Midi(cc(0, 1, 90).to_vec()))];
    for _ in 0..300 {
        let gap = (next() % 2000) as usize;
        let ch = [0u8, 1, 2, 9][(next() % 4) as usize];
        let key = 30 + (next() % 60) as u8;
        let msg = match next() % 8 {
            0..=2 => on(ch, key, 1 + (next() % 127) as u8).to_vec(),
            3 | 4 => off(ch, key).to_vec(),
            5 => cc(
                ch,
                [7, 10, 11, 64][(next() % 4) as usize],
                (next() % 128) as u8,
            )
            .to_vec(),
            6 => bend(ch, (next() % 16384) as u16).to_vec(),
            _ => program(ch, (next() % 3) as u8).to_vec(),
        };
        script.push((gap, Act::Midi(msg)));
    }
    script
}

#[test]
fn determinism() {
    let bank = builtin::bank();
    let script = fixed_script();
    let a = run(&bank, &script, 48_000, &[]);
    let b = run(&bank, &script, 48_000, &[333, 1, 64]);
    assert_eq!(a, b);
    assert!(energy(&a) > 0);
    // The same samples on every machine: a hash of this render, recorded once.
    assert_eq!(fnv(&a), 0x2448_63ac_d89d_1123, "len {}", a.len());
}

#[test]
fn forty_full_scale_voices_saturate_without_wrapping() {
    // A sine whose region lets notes of the same key overlap, so 40 voices play in phase.
    let mut art = Articulation::default();
    art.vol_eg.release = -2000 << 16;
    let region = Region {
        options: F_RGN_OPTION_SELFNONEXCLUSIVE,
        ..region(1, 69, 100)
    };
    let bytes = write_bank(&[
        DownloadDef::Wave(sine_wave(1, 100, 44_000)),
        DownloadDef::Instrument(instrument(2, 0, region, art)),
    ]);
    let bank = Bank::parse(&bytes).unwrap();
    let play = |voices: usize| {
        let mut s = synth();
        s.set_voice_limit(40);
        send(&mut s, &bank, &[&cc(0, 7, 127), &cc(0, 10, 0)]);
        for _ in 0..voices {
            s.midi(&bank, &on(0, 69, 127));
        }
        assert_eq!(s.active_voices(), voices);
        (render(&mut s, &bank, 4800), s.stats())
    };
    let (one, _) = play(1);
    let (forty, stats) = play(40);
    assert!(peak(&one) > 32_000, "one voice is full scale");
    for (i, (&a, &b)) in one.iter().zip(&forty).enumerate() {
        let want = (i32::from(a) * 40).clamp(-32768, 32767);
        assert_eq!(i32::from(b), want, "sample {i}");
    }
    assert!(stats.clipped_samples > 1000);
}

#[test]
fn output_contract() {
    let bank = builtin::bank();
    assert_eq!(Synth::new(7999).err(), Some(Error::InvalidRate));
    assert_eq!(Synth::new(192_001).err(), Some(Error::InvalidRate));
    assert_eq!(Synth::new(0).err(), Some(Error::InvalidRate));
    assert_eq!(Synth::new(8000).unwrap().rate(), 8000);
    assert!(Synth::new(192_000).is_ok());
    // Every sample is overwritten; an odd last one is zeroed; the position counts frames.
    let mut s = synth();
    let mut out = vec![0x5555i16; 7];
    s.render(&bank, &mut out);
    assert_eq!(out, vec![0; 7]);
    assert_eq!(s.position(), 3);
    s.render(&bank, &mut []);
    assert_eq!(s.position(), 3);
    // Another bank silences the voices of the old one (they point into its bytes).
    s.midi(&bank, &on(0, 60, 100));
    let other = write_bank(&[DownloadDef::Wave(sine_wave(1, 10, 8000))]);
    let other = Bank::parse(&other).unwrap();
    assert!(render(&mut s, &other, 64).iter().all(|&x| x == 0));
    assert_eq!(s.active_voices(), 0);
}
