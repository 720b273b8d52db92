// SPDX-License-Identifier: GPL-2.0

//! The integer tables and conversions of `fixed.rs`, checked against `f64` computations.
//!
//! The engine has no floating point (the kernel has none); these host tests are the one place
//! that uses it, to check every table entry the `const fn`s computed.

#![allow(clippy::float_arithmetic)]

use dmus_synth::builtin;
use dmus_synth::fixed::{
    exp2_cents_q30,
    gain_q28,
    lfo_sine,
    log2_ratio_q16,
    pitch_to_increment,
    scale_by_cents,
    sin_q30,
    timecents_to_frames,
    CURVE_CB,
    EXP2_CENTS,
    LFO_SINE,
    PAN_Q15,
    SILENT_CB, //
};
use dmus_synth::Bank;
use std::f64::consts::PI;

fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

#[test]
fn exp2_table_is_2_to_the_i_over_1200() {
    for (i, &v) in EXP2_CENTS.iter().enumerate() {
        let want = 2f64.powf(i as f64 / 1200.0) * (1u64 << 30) as f64;
        assert!(
            (f64::from(v) - want).abs() < 16.0,
            "entry {i}: {v} vs {want}"
        );
    }
    for c in [-30000, -1201, -1200, -1, 0, 1, 1199, 1200, 6000, 30000] {
        let want = 2f64.powf(f64::from(c) / 1200.0) * (1u64 << 30) as f64;
        let got = exp2_cents_q30(c) as f64;
        assert!(rel_err(got, want) < 1e-7 || (got - want).abs() < 2.0, "{c}");
    }
}

#[test]
fn sine_is_sine() {
    for k in 0..4096u64 {
        let turn = (k << 32) / 4096;
        let want = (2.0 * PI * k as f64 / 4096.0).sin() * (1u64 << 30) as f64;
        let got = f64::from(sin_q30(turn as u32));
        assert!((got - want).abs() < 64.0, "{k}: {got} vs {want}");
    }
    for (i, &v) in LFO_SINE.iter().enumerate() {
        let want = (2.0 * PI * i as f64 / 256.0).sin() * 32767.0;
        assert!((f64::from(v) - want).abs() <= 0.5 + 1e-9, "lfo {i}");
    }
    for k in 0..1000u32 {
        let phase = k.wrapping_mul(4_294_967);
        let want = (2.0 * PI * f64::from(phase) / 4_294_967_296.0).sin() * 32767.0;
        assert!(
            (f64::from(lfo_sine(phase)) - want).abs() < 4.0,
            "lfo_sine {k}"
        );
    }
}

#[test]
fn log2_and_the_concave_curve() {
    for x in 1..=1000u64 {
        let want = (x as f64).log2() * 65536.0;
        assert!(
            (f64::from(log2_ratio_q16(x, 1)) - want).abs() <= 2.0,
            "log2 {x}"
        );
    }
    assert_eq!(i32::from(CURVE_CB[0]), SILENT_CB);
    for (x, &cb) in CURVE_CB.iter().enumerate().skip(1) {
        let want = 400.0 * (127.0 / x as f64).log10();
        assert!((f64::from(cb) - want).abs() <= 0.51, "curve {x}");
    }
}

#[test]
fn pan_is_constant_power() {
    assert_eq!((PAN_Q15[0], PAN_Q15[1], PAN_Q15[127]), (0, 0, 32767));
    for p in 1..128usize {
        let angle = (p - 1) as f64 / 126.0 * PI / 2.0;
        assert!((f64::from(PAN_Q15[p]) - angle.sin() * 32767.0).abs() <= 0.5 + 1e-9);
        let (l, r) = (f64::from(PAN_Q15[128 - p]), f64::from(PAN_Q15[p]));
        let power = (l * l + r * r) / (32767.0 * 32767.0);
        assert!((power - 1.0).abs() < 1e-4, "pan {p}");
    }
}

#[test]
fn centibels_to_gain() {
    for cb in -120..SILENT_CB {
        let want = 10f64.powf(-f64::from(cb) / 200.0) * (1u64 << 28) as f64;
        let got = f64::from(gain_q28(cb));
        // The cB -> cents conversion rounds down to whole cents: 1 cent of amplitude is
        // 0.005 dB, a relative error of 5.8e-4.
        assert!(
            rel_err(got, want) < 6e-4 || (got - want).abs() < 2.0,
            "{cb}: {got} vs {want}"
        );
    }
    assert_eq!(gain_q28(SILENT_CB), 0);
    assert_eq!(gain_q28(-1000), gain_q28(-120));
}

#[test]
fn timecents_cents_and_frequency() {
    assert_eq!(timecents_to_frames(i32::MIN, 48_000, u32::MAX), 0);
    for tc in (-12000..7000).step_by(37) {
        let want = 48_000.0 * 2f64.powf(f64::from(tc) / 1200.0);
        let got = f64::from(timecents_to_frames(tc << 16, 48_000, u32::MAX));
        assert!(
            (got - want).abs() <= 1.0 + want * 1e-6,
            "{tc}: {got} vs {want}"
        );
    }
    assert_eq!(timecents_to_frames(8000 << 16, 48_000, 1000), 1000);
    for cents in (-9600..9600).step_by(13) {
        let x = 1u64 << 36;
        let want = x as f64 * 2f64.powf(f64::from(cents) / 1200.0);
        assert!(
            rel_err(scale_by_cents(x, cents) as f64, want) < 3e-5,
            "{cents}"
        );
    }
    for hz in [0.1f64, 1.0, 5.0, 10.0] {
        let cents = (6900.0 + 1200.0 * (hz / 440.0).log2()).round() as i32;
        let got = f64::from(pitch_to_increment(cents, 48_000)) * 48_000.0 / 4_294_967_296.0;
        assert!(rel_err(got, hz) < 1e-3, "{hz} Hz: {got}");
    }
}

#[test]
fn builtin_waves_are_what_they_say() {
    let bank = Bank::parse(builtin::BANK).unwrap();
    let sine = bank.wave(1).unwrap();
    assert_eq!(
        (sine.samples(), sine.format.rate, sine.format.bits),
        (100, 44_000, 16)
    );
    for i in 0..100 {
        let want = (2.0 * PI * f64::from(i) / 100.0).sin() * 32767.0;
        assert!((f64::from(sine.sample(i)) - want).abs() <= 1.0, "sine {i}");
    }
    let click = bank.wave(4).unwrap();
    assert_eq!(click.sample(0), 32767);
    assert!(click.sample(1) < -20000);
    for i in 1..click.samples() {
        assert!(click.sample(i).unsigned_abs() < click.sample(i - 1).unsigned_abs());
    }
}
