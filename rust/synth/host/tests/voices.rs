// SPDX-License-Identifier: GPL-2.0

//! Voice allocation: stealing by priority then age with a fade, the voice limit, shedding,
//! notes that cut their own key, reset.

mod common;

use common::*;
use dmus_synth::builtin;
use dmus_synth::engine::{
    DEFAULT_VOICES,
    VOICE_SLOTS, //
};
use dmus_synth::{
    Synth,
    VoiceInfo,
    VoiceState, //
};

fn held(s: &Synth) -> Vec<(u8, u8)> {
    let mut v: Vec<(u8, u8)> = s
        .voices()
        .filter(|v| v.state == VoiceState::Held)
        .map(|v| (v.channel, v.key))
        .collect();
    v.sort();
    v
}

fn stopping(s: &Synth) -> Vec<VoiceInfo> {
    s.voices()
        .filter(|v| v.state == VoiceState::Stopping)
        .collect()
}

#[test]
fn forty_one_notes_steal_the_oldest() {
    let bank = builtin::bank();
    let mut s = synth();
    assert_eq!((DEFAULT_VOICES, VOICE_SLOTS), (32, 40));
    render(&mut s, &bank, 100);
    for key in 20..61 {
        s.midi(&bank, &on(0, key, 100));
    }
    // 32 play, 8 fade out in the spare slots; the ninth steal re-used the oldest fading slot.
    assert_eq!(s.active_voices(), 40);
    assert_eq!(held(&s), (29..61).map(|k| (0, k)).collect::<Vec<_>>());
    let mut faded: Vec<u8> = stopping(&s).iter().map(|v| v.key).collect();
    faded.sort();
    assert_eq!(faded, (21..29).collect::<Vec<_>>());
    assert_eq!(s.stats().voices_stolen, 9);
    assert_eq!(s.stats().notes_played, 41);
    // The stolen voices fade (5 ms), they are not cut: still there one block later...
    let out = render(&mut s, &bank, 64);
    assert_eq!(s.active_voices(), 40);
    assert!(peak(&out) > 0);
    // ...and gone within 5 ms plus a block.
    render(&mut s, &bank, 240 + 128);
    assert_eq!(s.active_voices(), 32);
}

#[test]
fn priority_before_age() {
    let bank = builtin::bank();
    let mut s = synth();
    // Channel 1 (index 0) has a higher priority than channel 2 (index 1); the drum channel
    // (index 9) the highest of all. The old notes are on the high-priority channels.
    for key in 30..40 {
        s.midi(&bank, &on(9, key, 100));
    }
    for key in 40..50 {
        s.midi(&bank, &on(0, key, 100));
    }
    for key in 50..71 {
        s.midi(&bank, &on(1, key, 100));
    }
    assert_eq!(s.stats().voices_stolen, 9);
    let h = held(&s);
    assert!(h.iter().filter(|v| v.0 == 9).count() == 10, "drums kept");
    assert!(
        h.iter().filter(|v| v.0 == 0).count() == 10,
        "channel 1 kept"
    );
    // The oldest notes of the lowest-priority channel went.
    assert!(stopping(&s).iter().all(|v| v.channel == 1 && v.key < 59));
    // A note of a lower priority than every playing voice is dropped, not stealing.
    let mut s = synth();
    for key in 0..32 {
        s.midi(&bank, &on(0, key, 100));
    }
    s.midi(&bank, &on(15, 100, 100));
    assert_eq!(s.stats().notes_dropped, 1);
    assert_eq!(held(&s).len(), 32);
    // A released note goes before an older held one of the same priority.
    let mut s = synth();
    for key in 0..32 {
        s.midi(&bank, &on(0, key, 100));
    }
    s.midi(&bank, &off(0, 20));
    s.midi(&bank, &on(0, 100, 100));
    assert_eq!(stopping(&s)[0].key, 20);
}

#[test]
fn voice_limit_and_shedding() {
    let bank = builtin::bank();
    let mut s = synth();
    s.set_voice_limit(4);
    assert_eq!(s.voice_limit(), 4);
    for key in 60..70 {
        s.midi(&bank, &on(0, key, 100));
    }
    assert_eq!(held(&s), (66..70).map(|k| (0, k)).collect::<Vec<_>>());
    render(&mut s, &bank, 1000);
    assert_eq!(s.active_voices(), 4);
    s.set_voice_limit(0);
    assert_eq!(s.voice_limit(), 1);
    s.set_voice_limit(1000);
    assert_eq!(s.voice_limit(), VOICE_SLOTS);
    // Shedding fades the oldest first and counts them.
    s.shed(3);
    assert_eq!(held(&s), vec![(0, 69)]);
    assert_eq!(s.stats().voices_shed, 3);
    s.shed(5);
    assert_eq!(s.stats().voices_shed, 4);
    render(&mut s, &bank, 1000);
    assert_eq!(s.active_voices(), 0);
    // At the full limit every slot plays; a steal then cuts at once.
    for key in 0..41 {
        s.midi(&bank, &on(0, key, 100));
    }
    assert_eq!(s.active_voices(), VOICE_SLOTS);
    assert_eq!(held(&s).len(), VOICE_SLOTS);
    assert_eq!(held(&s)[0], (0, 1));
}

#[test]
fn a_new_note_cuts_its_own_key() {
    let bank = builtin::bank();
    let mut s = synth();
    s.midi(&bank, &on(0, 60, 100));
    s.midi(&bank, &on(0, 60, 100));
    assert_eq!(held(&s), vec![(0, 60)]);
    assert_eq!(stopping(&s).len(), 1);
    // Other channels are other notes.
    s.midi(&bank, &on(1, 60, 100));
    assert_eq!(held(&s), vec![(0, 60), (1, 60)]);
    // One note-off releases one note.
    s.midi(&bank, &off(0, 60));
    assert_eq!(held(&s), vec![(1, 60)]);
}

#[test]
fn reset_silences_and_restores_channels() {
    let bank = builtin::bank();
    let mut s = synth();
    bend_range(&mut s, &bank, 0, 12);
    send(
        &mut s,
        &bank,
        &[&program(0, 2), &bend(0, 0), &cc(0, 7, 0), &on(0, 69, 100)],
    );
    render(&mut s, &bank, 100);
    s.reset();
    assert_eq!(s.active_voices(), 0);
    assert!(render(&mut s, &bank, 100).iter().all(|&x| x == 0));
    assert_eq!(s.position(), 200);
    s.midi(&bank, &on(0, 69, 100));
    let out = left(&render(&mut s, &bank, 48_000));
    assert!(
        frequency_mhz(&out, RATE).abs_diff(440_000) < 100,
        "no bend, program 0"
    );
    assert!(peak(&out) > 8000);
}
