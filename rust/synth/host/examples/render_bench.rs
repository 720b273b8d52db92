// SPDX-License-Identifier: GPL-2.0

//! Host timing of the engine: 32 voices for one second at 48 kHz, rendered in 10 ms periods
//! as the kernel's hrtimer would.
//!
//! Run: `cargo run --release -p dmus-synth --example render_bench`

use std::time::Instant;

use dmus_synth::{builtin, Synth};

fn main() {
    let bank = builtin::bank();
    let rate = 48_000;
    let period = 480;
    let mut best = u128::MAX;
    let mut checksum = 0i64;
    for _ in 0..10 {
        let mut synth = Synth::new(rate).expect("valid rate");
        // 32 held notes: sine, square and saw on three channels, vibrato on.
        for i in 0..32u8 {
            let ch = i % 3;
            synth.midi(&bank, &[0xC0 | ch, ch]);
            synth.midi(&bank, &[0xB0 | ch, 1, 64]);
            synth.midi(&bank, &[0x90 | ch, 36 + i, 100]);
        }
        assert_eq!(synth.active_voices(), 32);
        let mut out = vec![0i16; 2 * period];
        let start = Instant::now();
        for _ in 0..rate as usize / period {
            synth.render(&bank, &mut out);
            checksum += i64::from(out[0]);
        }
        best = best.min(start.elapsed().as_nanos());
        assert_eq!(synth.active_voices(), 32);
    }
    let voice_frames = 32 * u128::from(rate);
    println!(
        "32 voices x 1 s at {rate} Hz in {period}-frame periods: {} us (best of 10), \
         {}.{} ns per voice-frame, {}.{:02} % of one core (checksum {checksum})",
        best / 1000,
        best / voice_frames,
        best * 10 / voice_frames % 10,
        best / 10_000_000,
        best / 100_000 % 100,
    );
}
