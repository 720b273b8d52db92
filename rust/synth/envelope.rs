// SPDX-License-Identifier: GPL-2.0

//! The envelopes and the LFO as closed-form functions of the frames since a note started.
//!
//! Evaluating them at a time, rather than stepping them, is what makes rendering invariant to
//! how the caller splits it: the engine asks for their values at absolute block boundaries.
//!
//! Shapes, as DLS Level 1 and `ddksynth`'s `CVoiceEG::GetLevel` (`voice.cpp`) define them:
//! - EG1 (volume): the attack rises linearly in amplitude; decay and release fall linearly in
//!   decibels, a full-scale fall being 96 dB; the decay time is that of a full fall, so the
//!   decay to a sustain level takes its share of it, and the release starts from wherever the
//!   envelope is. A release during the attack keeps the amplitude reached and falls from there.
//! - EG2 (pitch): the same segments, linear in its own level (0 to full = 0 to `pcRange`).
//! - LFO: a sine starting at 0 after its delay.

use super::fixed::{
    lfo_sine,
    scale_by_cents, //
};
use super::params::{
    EgParams,
    Lfo, //
};

/// Full envelope level.
pub(crate) const FULL: u32 = 1 << 20;
/// Attenuation of a volume envelope at level 0, cB (96 dB).
pub(crate) const EG_RANGE_CB: u32 = 960;

/// One envelope of one voice: times scaled by the note's key and velocity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Eg {
    attack: u32,
    decay: u32,
    sustain: u32,
    release: u32,
}

impl Eg {
    /// All zero.
    pub(crate) const ZERO: Eg = Eg {
        attack: 0,
        decay: 0,
        sustain: 0,
        release: 0,
    };

    /// `p` for a note of `key` at `velocity`: the attack scaled by velocity / 127 of
    /// `tcVel2Attack`, the decay by key / 127 of `tcKey2Decay` (as `CVoiceEG::StartVoice`).
    pub(crate) fn new(p: &EgParams, key: u8, velocity: u8) -> Self {
        let scale = |frames: u32, tc: i32, by: u8| {
            let cents = tc * i32::from(by) / 127;
            scale_by_cents(u64::from(frames), cents).min(u64::from(u32::MAX)) as u32
        };
        Eg {
            attack: scale(p.attack, p.vel_to_attack, velocity),
            decay: scale(p.decay, p.key_to_decay, key),
            sustain: (u64::from(p.sustain.min(1000)) * u64::from(FULL) / 1000) as u32,
            release: p.release,
        }
    }

    /// The level of the decay segment `t` frames after the note started (full during the
    /// attack).
    pub(crate) fn decay_level(&self, t: u64) -> u32 {
        let Some(d) = t.checked_sub(u64::from(self.attack)) else {
            return FULL;
        };
        if d >= u64::from(self.decay) {
            return self.sustain;
        }
        let fall = d * u64::from(FULL) / u64::from(self.decay);
        (u64::from(FULL) - fall).max(u64::from(self.sustain)) as u32
    }

    /// The attack's amplitude `t` frames after the note started, Q15 (32768 after it).
    pub(crate) fn attack_q15(&self, t: u64) -> u32 {
        if t >= u64::from(self.attack) {
            32768
        } else {
            (t * 32768 / u64::from(self.attack)) as u32
        }
    }

    /// The level of a pitch envelope while the note is held: linear attack, then decay.
    pub(crate) fn held_level(&self, t: u64) -> u32 {
        if t >= u64::from(self.attack) {
            self.decay_level(t)
        } else {
            (t * u64::from(FULL) / u64::from(self.attack)) as u32
        }
    }

    /// The level `t` frames after a release that started at level `from`.
    pub(crate) fn released_level(&self, from: u32, t: u64) -> u32 {
        if self.release == 0 {
            return 0;
        }
        let fall = t.saturating_mul(u64::from(FULL)) / u64::from(self.release);
        u64::from(from).saturating_sub(fall) as u32
    }

    /// Whether a held note has decayed to silence for good (sustain 0, decay over).
    pub(crate) fn silent_forever(&self, t: u64) -> bool {
        self.sustain == 0 && self.decay_level(t) == 0
    }
}

/// The attenuation of volume-envelope level `level`, cB.
pub(crate) fn level_cb(level: u32) -> i32 {
    let fall = u64::from(FULL - level.min(FULL));
    (fall * u64::from(EG_RANGE_CB) / u64::from(FULL)) as i32
}

/// The LFO's value `t` frames after the note started, Q15 (-32767..=32767).
pub(crate) fn lfo(p: &Lfo, t: u64) -> i32 {
    match t.checked_sub(u64::from(p.delay)) {
        Some(d) => lfo_sine((d as u32).wrapping_mul(p.increment)),
        None => 0,
    }
}

/// A linear fade from 1 to 0 over `length` frames, `t` frames after it started, Q15.
pub(crate) fn fade_q15(t: u64, length: u32) -> u32 {
    if t >= u64::from(length) {
        0
    } else {
        32768 - (t * 32768 / u64::from(length)) as u32
    }
}
