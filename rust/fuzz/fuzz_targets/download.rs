// SPDX-License-Identifier: GPL-2.0

//! Fuzz target for the synth engine's download and bank validation, and for the engine on
//! whatever validates.
//!
//! Run (stable toolchain, from rust/fuzz):
//!   RUSTC_BOOTSTRAP=1 cargo fuzz run download -- -max_total_time=600
//!
//! Input: byte 0 picks the mode, the rest is
//! - mode 0: a bank (`Bank::parse`);
//! - mode 1: one download (`Download::parse`), then put in a bank with the built-in bank's
//!   downloads of other ids, so that an instrument finds waves to link;
//! - mode 2: MIDI messages for the built-in bank: a length byte (1..=3), the message, a gap
//!   byte (frames / 4 to render before the next message).
//!
//! Checks, for any input: no panic; on a bank that validates, notes on every instrument
//! render, and rendering in one call or in 7-frame pieces gives the same samples.

#![no_main]

use dmus_synth::writer::bank_from_downloads;
use dmus_synth::{builtin, Bank, Download, Synth};
use libfuzzer_sys::fuzz_target;

/// Renders `frames` frames of `synth` whole and of a clone in 7-frame pieces; they must agree.
fn render_checked(synth: &mut Synth, bank: &Bank<'_>, frames: usize) {
    let mut split = synth.clone();
    let mut whole = vec![0i16; 2 * frames];
    synth.render(bank, &mut whole);
    let mut pieces = vec![0i16; 2 * frames];
    for chunk in pieces.chunks_mut(14) {
        split.render(bank, chunk);
    }
    assert_eq!(whole, pieces);
    assert_eq!(synth.position(), split.position());
}

/// Plays a chord on every instrument of `bank`, with its bank and program selected.
fn play(bank: &Bank<'_>) {
    let mut synth = Synth::new(48_000).unwrap();
    for inst in bank.downloads().filter_map(|d| d.instrument()).take(16) {
        let patch = inst.patch();
        let ch = if patch & 0x8000_0000 != 0 { 9 } else { 0 };
        synth.midi(bank, &[0xB0 | ch, 0, (patch >> 16) as u8 & 0x7F]);
        synth.midi(bank, &[0xB0 | ch, 32, (patch >> 8) as u8 & 0x7F]);
        synth.midi(bank, &[0xC0 | ch, patch as u8 & 0x7F]);
        for key in [0, 60, 64, 127] {
            synth.midi(bank, &[0x90 | ch, key, 100]);
        }
        render_checked(&mut synth, bank, 300);
        synth.midi(bank, &[0xB0 | ch, 123, 0]);
    }
    render_checked(&mut synth, bank, 600);
}

fuzz_target!(|input: &[u8]| {
    let [mode, data @ ..] = input else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(bank) = Bank::parse(data) {
                play(&bank);
            }
        }
        1 => {
            let Ok(dl) = Download::parse(data) else {
                return;
            };
            let builtin = builtin::bank();
            let mut downloads: Vec<&[u8]> = builtin
                .downloads()
                .filter(|d| d.id() != dl.id())
                .map(|d| d.as_bytes())
                .collect();
            downloads.push(data);
            let bytes = bank_from_downloads(&downloads);
            if let Ok(bank) = Bank::parse(&bytes) {
                play(&bank);
            }
        }
        _ => {
            let bank = builtin::bank();
            let mut synth = Synth::new(44_100).unwrap();
            let mut rest = data;
            while let [len, tail @ ..] = rest {
                let len = usize::from(len % 3) + 1;
                let (msg, tail) = tail.split_at(len.min(tail.len()));
                synth.midi(&bank, msg);
                let Some((&gap, tail)) = tail.split_first() else {
                    break;
                };
                render_checked(&mut synth, &bank, 4 * usize::from(gap));
                rest = tail;
            }
            render_checked(&mut synth, &bank, 1000);
        }
    }
});
