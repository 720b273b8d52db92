// SPDX-License-Identifier: GPL-2.0

//! An articulation in the engine's units at the output rate, clamped: frames instead of
//! timecents, phase increments instead of pitch cents, whole cents and centibels.
//!
//! The bounds are `ddksynth`'s `Verify()` methods (`CSourceLFO`, `CSourceEG`, `instr.cpp`),
//! which clamp rather than reject, restated in rate-independent units (the sample's bounds are
//! in samples at its 22.05 kHz):
//! - LFO frequency 0.084..=10 Hz, delay at most 20 s, depths at most 1200 cents / 12 dB;
//! - envelope times at most 80 s, sustain 0..=100 %, velocity and key scaling at most 12000
//!   timecents, pitch envelope range at most 1200 cents;
//! - default pan as `ddksynth` converts it, -64..=64 MIDI pan steps.

use super::articulation::{
    Articulation,
    VegParams, //
};
use super::fixed::{
    pitch_to_increment,
    timecents_to_frames, //
};

/// The LFO's lowest frequency, absolute pitch cents (0.084 Hz).
const LFO_MIN_CENTS: i32 = -7929;
/// The LFO's highest frequency, absolute pitch cents (10 Hz).
const LFO_MAX_CENTS: i32 = 349;
/// The longest LFO delay, seconds.
const LFO_MAX_DELAY_S: u32 = 20;
/// The longest envelope segment, seconds.
const EG_MAX_S: u32 = 80;

/// One envelope in frames at the output rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EgParams {
    /// Attack time, frames.
    pub(crate) attack: u32,
    /// Time to fall from full level to silence, frames.
    pub(crate) decay: u32,
    /// Sustain level, 0.1 % (0..=1000).
    pub(crate) sustain: u32,
    /// Time to fall from full level to silence after the note ends, frames.
    pub(crate) release: u32,
    /// Attack time scaling at velocity 127, cents of time.
    pub(crate) vel_to_attack: i32,
    /// Decay time scaling at key 127, cents of time.
    pub(crate) key_to_decay: i32,
}

impl EgParams {
    fn new(eg: &VegParams, rate: u32) -> Self {
        let max = rate.saturating_mul(EG_MAX_S);
        EgParams {
            attack: timecents_to_frames(eg.attack, rate, max),
            decay: timecents_to_frames(eg.decay, rate, max),
            sustain: (eg.sustain >> 16).clamp(0, 1000) as u32,
            release: timecents_to_frames(eg.release, rate, max),
            vel_to_attack: (eg.vel_to_attack >> 16).clamp(-12000, 12000),
            key_to_decay: (eg.key_to_decay >> 16).clamp(-12000, 12000),
        }
    }
}

/// The LFO and the other parameters a voice keeps while it plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lfo {
    /// Phase increment per frame (2^32 = one cycle).
    pub(crate) increment: u32,
    /// Delay after the note starts, frames.
    pub(crate) delay: u32,
    /// To attenuation at full swing, cB.
    pub(crate) cb: i32,
    /// To pitch at full swing, cents.
    pub(crate) cents: i32,
    /// To attenuation added at modulation wheel 127, cB.
    pub(crate) mw_cb: i32,
    /// To pitch added at modulation wheel 127, cents.
    pub(crate) mw_cents: i32,
    /// Pitch at full pitch-envelope level, cents.
    pub(crate) pitch_range: i32,
    /// Offset added to the channel's pan, MIDI pan steps.
    pub(crate) pan: i32,
}

impl Lfo {
    /// All zero.
    pub(crate) const ZERO: Lfo = Lfo {
        increment: 0,
        delay: 0,
        cb: 0,
        cents: 0,
        mw_cb: 0,
        mw_cents: 0,
        pitch_range: 0,
        pan: 0,
    };
}

/// One articulation in the engine's units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Params {
    /// The LFO, pitch-envelope range and pan.
    pub(crate) lfo: Lfo,
    /// The volume envelope.
    pub(crate) vol: EgParams,
    /// The pitch envelope.
    pub(crate) pitch: EgParams,
}

impl Params {
    /// All zero.
    /// Converts and clamps `art` for output at `rate` Hz.
    pub(crate) fn new(art: &Articulation, rate: u32) -> Self {
        let lfo = &art.lfo;
        let depth = |raw: i32, max: i32| (raw >> 16).clamp(-max, max);
        Params {
            lfo: Lfo {
                increment: pitch_to_increment(
                    (lfo.frequency >> 16).clamp(LFO_MIN_CENTS, LFO_MAX_CENTS),
                    rate,
                ),
                delay: timecents_to_frames(lfo.delay, rate, rate * LFO_MAX_DELAY_S),
                cb: depth(lfo.volume_scale, 120),
                cents: depth(lfo.pitch_scale, 1200),
                mw_cb: depth(lfo.mw_to_volume, 120),
                mw_cents: depth(lfo.mw_to_pitch, 1200),
                pitch_range: depth(art.pitch_eg.range, 1200),
                pan: ((art.default_pan >> 12) / 125).clamp(-64, 64),
            },
            vol: EgParams::new(&art.vol_eg, rate),
            pitch: EgParams::new(&art.pitch_eg.eg, rate),
        }
    }
}
