// SPDX-License-Identifier: GPL-2.0

//! What a listener would notice: pitch, onsets, release, levels, pan, bend, pedals, the
//! all-notes/all-sound controllers, programs and drums. All on the built-in bank.

mod common;

use common::*;
use dmus_synth::builtin;
use dmus_synth::fixed::{
    gain_q28,
    CURVE_CB, //
};
use dmus_synth::{
    Bank,
    Synth, //
};

/// The steady level (peak of the left channel over 0.1 s, after the attack) of `msgs` followed
/// by a note A4.
fn level(msgs: &[&[u8]], velocity: u8) -> i32 {
    let bank = builtin::bank();
    let mut s = synth();
    send(&mut s, &bank, msgs);
    s.midi(&bank, &on(0, 69, velocity));
    let out = render(&mut s, &bank, 9600);
    peak(&left(&out[9600..]))
}

/// `a / b` matches an attenuation of `cb` centibels within 1 % (the gain table itself is
/// checked against `f64` in `tables.rs`).
#[track_caller]
fn ratio_is_cb(a: i32, b: i32, cb: u16) {
    let got = (i64::from(a) << 28) / i64::from(b);
    let want = i64::from(gain_q28(i32::from(cb)));
    assert!(
        (got - want).abs() * 100 < want,
        "ratio {got}, want {want} (Q28)"
    );
}

#[test]
fn a4_is_440_hz() {
    let bank = builtin::bank();
    for rate in [8000, 22_050, 44_100, 48_000, 96_000, 192_000] {
        let mut s = Synth::new(rate).unwrap();
        s.midi(&bank, &on(0, 69, 100));
        let out = left(&render(&mut s, &bank, rate as usize + 1000));
        // Count zero crossings over one second: 440 cycles.
        let crossings = rising_crossings(&out[500..500 + rate as usize]);
        assert!((439..=441).contains(&crossings), "{rate} Hz: {crossings}");
        let mhz = frequency_mhz(&out, rate);
        assert!(mhz.abs_diff(440_000) < 100, "{rate} Hz: {mhz} mHz");
    }
    // An octave and a fifth (C6 = 1046.50 Hz) follow the key.
    let mut s = synth();
    s.midi(&bank, &on(0, 84, 100));
    let mhz = frequency_mhz(&left(&render(&mut s, &bank, 48_000)), RATE);
    assert!(mhz.abs_diff(1_046_502) < 200, "{mhz}");
}

#[test]
fn onsets_are_sample_exact() {
    let bank = builtin::bank();
    for offset in [0usize, 1, 2, 63, 64, 65, 127, 1000, 12_345] {
        for chunk in [1, 7, 64, 500, usize::MAX] {
            let mut s = synth();
            let mut left_to_render = offset;
            while left_to_render > 0 {
                let n = chunk.min(left_to_render);
                let out = render(&mut s, &bank, n);
                assert!(out.iter().all(|&x| x == 0), "silence before the note");
                left_to_render -= n;
            }
            assert_eq!(s.position(), offset as u64);
            s.midi(&bank, &on(9, 36, 127));
            let out = render(&mut s, &bank, 256);
            assert_eq!(
                first_sound(&out),
                Some(0),
                "click at {offset}, chunks of {chunk}"
            );
            assert!(peak(&out[..2]) > 10_000, "a full-scale first frame");
        }
    }
    // The sine starts at phase 0: its first non-zero frame is the one after the note-on.
    let mut s = synth();
    render(&mut s, &bank, 333);
    s.midi(&bank, &on(0, 69, 127));
    assert_eq!(first_sound(&render(&mut s, &bank, 10)), Some(1));
}

#[test]
fn release_ends_in_silence() {
    let bank = builtin::bank();
    let mut s = synth();
    s.midi(&bank, &on(0, 69, 127));
    let held = render(&mut s, &bank, 4800);
    s.midi(&bank, &off(0, 69));
    let out = render(&mut s, &bank, 48_000);
    // The release (200 ms to fall 96 dB) fades: no cut at the note-off...
    assert!(peak(&out[..2 * 480]) > peak(&held) * 9 / 10);
    // ...falls steadily, 10 ms by 10 ms...
    let peaks: Vec<i32> = out.chunks(2 * 480).map(peak).collect();
    assert!(peaks.windows(2).all(|w| w[1] <= w[0]), "{peaks:?}");
    // ...and ends in digital silence within the release time, freeing the voice.
    let end = 2 * (9600 + 128);
    assert!(out[end..].iter().all(|&x| x == 0));
    assert!(peak(&out[2 * 4800..2 * 5280]) > 0, "still audible half-way");
    assert_eq!(s.active_voices(), 0);
}

#[test]
fn velocity_volume_and_expression_scale_level() {
    let full = level(&[&cc(0, 7, 127)], 127);
    assert!(full > 20_000);
    ratio_is_cb(level(&[&cc(0, 7, 127)], 64), full, CURVE_CB[64]);
    ratio_is_cb(level(&[&cc(0, 7, 64)], 127), full, CURVE_CB[64]);
    ratio_is_cb(
        level(&[&cc(0, 7, 127), &cc(0, 11, 32)], 127),
        full,
        CURVE_CB[32],
    );
    // Default volume is 100.
    ratio_is_cb(level(&[], 127), full, CURVE_CB[100]);
    // A controller change applies to a note that is already playing, within one block.
    let bank = builtin::bank();
    let mut s = synth();
    s.midi(&bank, &on(0, 69, 127));
    render(&mut s, &bank, 1000);
    s.midi(&bank, &cc(0, 7, 0));
    let out = render(&mut s, &bank, 1000);
    assert!(out[2 * 128..].iter().all(|&x| x == 0));
    assert!(level(&[&cc(0, 7, 0)], 127) == 0);
}

#[test]
fn pan_moves_energy_between_channels() {
    let bank = builtin::bank();
    let channels = |pan: u8| {
        let mut s = synth();
        send(&mut s, &bank, &[&cc(0, 10, pan), &on(0, 69, 127)]);
        let out = render(&mut s, &bank, 4800);
        (energy(&left(&out)), energy(&right(&out)))
    };
    let (l, r) = channels(0);
    assert!(l > 0 && r == 0);
    let (l, r) = channels(127);
    assert!(l == 0 && r > 0);
    let (l, r) = channels(64);
    assert_eq!(l, r);
    let (l, r) = channels(32);
    assert!(l > 2 * r && r > 0);
    // Constant power: the sum does not depend on the position.
    let (l0, _) = channels(0);
    let (l, r) = channels(32);
    assert!((l + r).abs_diff(l0) < l0 / 100);
}

#[test]
fn pitch_bend_with_rpn_0_range_12_moves_an_octave() {
    let bank = builtin::bank();
    let tone = |range: Option<u8>, value: u16| {
        let mut s = synth();
        if let Some(r) = range {
            bend_range(&mut s, &bank, 0, r);
        }
        s.midi(&bank, &bend(0, value));
        s.midi(&bank, &on(0, 69, 100));
        frequency_mhz(&left(&render(&mut s, &bank, 48_000)), RATE)
    };
    // +1199.85 cents (played as 1200) and -1200 cents.
    assert!(tone(Some(12), 16383).abs_diff(880_000) < 300);
    assert!(tone(Some(12), 0).abs_diff(220_000) < 100);
    assert!(tone(Some(12), 8192).abs_diff(440_000) < 100);
    // The default range is a whole tone: B4.
    assert!(tone(None, 16383).abs_diff(493_870) < 200);
    // A bend moves a note already playing.
    let mut s = synth();
    bend_range(&mut s, &bank, 0, 12);
    s.midi(&bank, &on(0, 69, 100));
    render(&mut s, &bank, 4800);
    s.midi(&bank, &bend(0, 0));
    let mhz = frequency_mhz(&left(&render(&mut s, &bank, 48_000)[2 * 128..]), RATE);
    assert!(mhz.abs_diff(220_000) < 200, "{mhz}");
}

#[test]
fn sustain_holds_until_the_pedal_goes_up() {
    let bank = builtin::bank();
    let mut s = synth();
    send(
        &mut s,
        &bank,
        &[&on(0, 69, 127), &cc(0, 64, 127), &off(0, 69)],
    );
    let out = render(&mut s, &bank, 48_000);
    let early = peak(&out[..9600]);
    assert_eq!(peak(&out[2 * 43_200..]), early, "full level a second later");
    s.midi(&bank, &cc(0, 64, 0));
    let out = render(&mut s, &bank, 24_000);
    assert!(out[2 * 9728..].iter().all(|&x| x == 0));
    assert_eq!(s.active_voices(), 0);
}

#[test]
fn all_notes_off_releases_and_all_sound_off_silences_at_once() {
    let bank = builtin::bank();
    let mut s = synth();
    send(
        &mut s,
        &bank,
        &[
            &on(0, 60, 127),
            &on(0, 64, 127),
            &on(0, 67, 127),
            &on(1, 40, 127),
        ],
    );
    render(&mut s, &bank, 1000);
    s.midi(&bank, &cc(0, 123, 0));
    let out = render(&mut s, &bank, 24_000);
    // Channel 0 releases (no cut: still sounding 20 ms later), channel 1 plays on.
    assert_eq!(s.active_voices(), 1);
    assert!(peak(&out[2 * 960..2 * 1000]) > 0);
    s.midi(&bank, &on(0, 72, 127));
    render(&mut s, &bank, 1000);
    s.midi(&bank, &cc(1, 120, 0));
    s.midi(&bank, &cc(0, 120, 0));
    assert_eq!(s.active_voices(), 0);
    let out = render(&mut s, &bank, 1000);
    assert!(
        out.iter().all(|&x| x == 0),
        "silent from the very next frame"
    );
    // All notes off leaves notes the pedal holds.
    send(
        &mut s,
        &bank,
        &[&cc(2, 64, 127), &on(2, 60, 100), &cc(2, 123, 0)],
    );
    let out = render(&mut s, &bank, 24_000);
    assert!(peak(&out[2 * 23_000..]) > 0);
}

#[test]
fn reset_all_controllers() {
    let bank = builtin::bank();
    let mut s = synth();
    bend_range(&mut s, &bank, 0, 12);
    send(
        &mut s,
        &bank,
        &[&bend(0, 0), &cc(0, 11, 0), &cc(0, 1, 127), &cc(0, 121, 0)],
    );
    s.midi(&bank, &on(0, 69, 100));
    let out = left(&render(&mut s, &bank, 48_000));
    assert!(frequency_mhz(&out, RATE).abs_diff(440_000) < 100);
    assert!(peak(&out) > 8_000);
}

#[test]
fn modulation_wheel_adds_vibrato() {
    let bank = builtin::bank();
    let spread = |modulation: u8| {
        let mut s = synth();
        send(&mut s, &bank, &[&cc(0, 1, modulation), &on(0, 69, 100)]);
        let x = crossing_positions(&left(&render(&mut s, &bank, 48_000)));
        let periods: Vec<usize> = x.windows(2).map(|w| w[1] - w[0]).collect();
        periods.iter().max().unwrap() - periods.iter().min().unwrap()
    };
    // 109.1 frames per cycle; 50 cents of vibrato is +-2.9 %, about +-3 frames.
    assert!(spread(0) <= 1);
    assert!(spread(127) >= 5);
}

#[test]
fn programs_banks_drums_and_unknown_programs() {
    let bank = builtin::bank();
    // The crest factor squared, x1000: peak^2 / mean square (sine 2, square 1, saw 3).
    let crest = |msgs: &[&[u8]], ch: u8| {
        let mut s = synth();
        send(&mut s, &bank, msgs);
        s.midi(&bank, &on(ch, 69, 127));
        let out = left(&render(&mut s, &bank, 4800));
        let p = peak(&out) as u64;
        (p * p * out.len() as u64 * 1000 / energy(&out), s.stats())
    };
    let (sine, _) = crest(&[], 0);
    let (square, _) = crest(&[&program(0, 1)], 0);
    let (saw, _) = crest(&[&program(0, 2)], 0);
    assert!((1900..2100).contains(&sine), "sine {sine}");
    assert!(square < 1100, "square {square}");
    assert!((2700..3300).contains(&saw), "saw {saw}");
    // Unknown bank and program fall back to program 0 of bank 0.
    let (c, stats) = crest(&[&cc(0, 0, 5), &cc(0, 32, 3), &program(0, 77)], 0);
    assert!(c == sine && stats.notes_unmapped == 0);
    // A bank select applies at the next program change: bank 5 program 1 -> program 1.
    let (c, _) = crest(&[&cc(0, 0, 5), &program(0, 1)], 0);
    assert_eq!(c, square);
    // Channel 10 plays the drum kit whatever its program; other channels never do.
    let mut s = synth();
    send(&mut s, &bank, &[&program(9, 40), &on(9, 60, 127)]);
    let click = render(&mut s, &bank, 100);
    assert_eq!(click[0], click[1]);
    assert!(click[0] > 10_000 && click[2] < -5_000);
    assert!(click[2 * 40..].iter().all(|&x| x == 0), "the click is over");
    assert_eq!(s.active_voices(), 0);
    // An empty bank: silent notes, counted.
    let mut s = synth();
    let empty = Bank::empty();
    s.midi(&empty, &on(0, 60, 100));
    assert!(render(&mut s, &empty, 100).iter().all(|&x| x == 0));
    assert_eq!(s.stats().notes_unmapped, 1);
}

#[test]
fn malformed_messages_are_ignored() {
    let bank = builtin::bank();
    let mut s = synth();
    for m in [
        &[][..],
        &[0x90],
        &[0x90, 60],
        &[0x90, 0x80, 100],
        &[60, 100],
        &[0xF0, 0x7E, 0xF7],
        &[0xF8],
        &[0xC0],
        &[0xA0, 60, 100],
        &[0xD0, 100],
    ] {
        s.midi(&bank, m);
    }
    assert_eq!(s.active_voices(), 0);
    assert_eq!(s.stats().notes_played, 0);
    // Extra bytes after a complete message are ignored.
    s.midi(&bank, &[0x90, 60, 100, 1, 2, 3]);
    assert_eq!(s.active_voices(), 1);
}

#[test]
fn a_zero_release_still_ramps_over_one_block() {
    // No release time in the articulation: the note ends within one block (1.3 ms), not in
    // one frame, whether the note-off falls on a block boundary or inside a block.
    let bytes = sine_bank(dmus_synth::Articulation::default());
    let bank = Bank::parse(&bytes).unwrap();
    for before in [4800, 4801, 4863] {
        let mut s = synth();
        send(&mut s, &bank, &[&cc(0, 10, 0), &on(0, 69, 127)]);
        let held = left(&render(&mut s, &bank, before));
        s.midi(&bank, &off(0, 69));
        let out = left(&render(&mut s, &bank, 256));
        let steps: Vec<i32> = out
            .windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .collect();
        let last_step = (i32::from(held[before - 1]) - i32::from(out[0])).abs();
        assert!(
            last_step < 3000 && steps.iter().all(|&d| d < 3000),
            "no click at {before}"
        );
        assert!(out[..8].iter().any(|&x| x != 0));
        assert!(out[128..].iter().all(|&x| x == 0));
        assert_eq!(s.active_voices(), 0);
    }
}

#[test]
fn a_bank_the_caller_forgets_silences_its_voices() {
    let bytes = builtin::BANK.to_vec();
    let bank = Bank::parse(&bytes).unwrap();
    let mut s = synth();
    s.midi(&bank, &on(0, 69, 100));
    assert!(peak(&left(&render(&mut s, &bank, 4800))) > 0);
    // Same address, same length: only `forget_bank` tells the engine the bytes changed.
    s.forget_bank();
    assert_eq!(
        peak(&left(&render(&mut s, &bank, 4800))),
        0,
        "the voice is gone"
    );
    assert_eq!(s.active_voices(), 0);
    s.midi(&bank, &on(0, 69, 100));
    assert!(
        peak(&left(&render(&mut s, &bank, 4800))) > 0,
        "the bank plays again"
    );
}
