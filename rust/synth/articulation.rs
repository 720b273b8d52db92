// SPDX-License-Identifier: GPL-2.0

//! DLS Level 1 articulation: one LFO, the volume envelope (EG1), the pitch envelope (EG2) and
//! the default pan, as the raw 32-bit values of the download.
//!
//! The two instrument formats carry the same parameters differently:
//! - `DMUS_DOWNLOADINFO_INSTRUMENT` (1): `DMUS_ARTICULATION.ulArt1Idx` -> one
//!   `DMUS_ARTICPARAMS` (`dmdls.h`), 20 `LONG`s in a fixed order.
//! - `DMUS_DOWNLOADINFO_INSTRUMENT2` (3): a chain of `DMUS_ARTICULATION2` (`ulNextArtIdx`), each
//!   `ulArtIdx` -> a `CONNECTIONLIST` + `CONNECTION`s (`dls1.h`): the DLS file's `art1` chunk.
//!   Connections apply in order onto the defaults; the ones this engine does not model are
//!   ignored, as `ddksynth`'s `CSourceArticulation::Download` (`instr.cpp`) does. Like that
//!   code, the control of a connection matters only for the LFO (none or CC 1) and the
//!   transform is ignored.
//!
//! The values stay raw here (16.16 timecents, pitch cents, centibels and 0.1 %): `params`
//! converts and clamps them for the engine, so a parsed articulation writes back unchanged.

use super::layout::{
    dst,
    src,
    ARTICPARAMS_SIZE,
    CONNECTIONLIST_SIZE,
    CONNECTION_SIZE, //
};
use super::le::{
    i32_at,
    u16_at,
    u32_at, //
};

/// `DMUS_LFOPARAMS` (dmdls.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LfoParams {
    /// `pcFrequency`: absolute pitch cents, 16.16 (6900 << 16 is 440 Hz).
    pub frequency: i32,
    /// `tcDelay`: timecents, 16.16.
    pub delay: i32,
    /// `gcVolumeScale`: LFO to attenuation, centibels, 16.16.
    pub volume_scale: i32,
    /// `pcPitchScale`: LFO to pitch, cents, 16.16.
    pub pitch_scale: i32,
    /// `gcMWToVolume`: LFO x modulation wheel to attenuation, centibels, 16.16.
    pub mw_to_volume: i32,
    /// `pcMWToPitch`: LFO x modulation wheel to pitch, cents, 16.16.
    pub mw_to_pitch: i32,
}

/// `DMUS_VEGPARAMS` (dmdls.h): the volume envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VegParams {
    /// `tcAttack`: timecents, 16.16 (`0x80000000` = no attack).
    pub attack: i32,
    /// `tcDecay`: time to fall 96 dB, timecents, 16.16.
    pub decay: i32,
    /// `ptSustain`: 0.1 %, 16.16 (1000 << 16 = full level).
    pub sustain: i32,
    /// `tcRelease`: time to fall 96 dB, timecents, 16.16.
    pub release: i32,
    /// `tcVel2Attack`: velocity to attack time, timecents at velocity 127, 16.16.
    pub vel_to_attack: i32,
    /// `tcKey2Decay`: key to decay time, timecents at key 127, 16.16.
    pub key_to_decay: i32,
}

/// `DMUS_PEGPARAMS` (dmdls.h): the pitch envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PegParams {
    /// The envelope's shape, in the units of [`VegParams`].
    pub eg: VegParams,
    /// `pcRange`: pitch at full envelope level, cents, 16.16.
    pub range: i32,
}

/// `DMUS_ARTICPARAMS` (dmdls.h): one articulation, raw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Articulation {
    /// `LFO`.
    pub lfo: LfoParams,
    /// `VolEG`.
    pub vol_eg: VegParams,
    /// `PitchEG`.
    pub pitch_eg: PegParams,
    /// `Misc.ptDefaultPan`: 0.1 % (-500 left .. 500 right), 16.16.
    pub default_pan: i32,
}

/// Timecents of zero time (`0x80000000`, as `TimeCents2Samples` reads it).
pub const TC_ZERO: i32 = i32::MIN;
/// 5 Hz in absolute pitch cents, 16.16: the default LFO frequency (`ddksynth`'s
/// `CSourceLFO::Init`).
pub const LFO_DEFAULT_FREQUENCY: i32 = -55_791_973;

const EG_DEFAULT: VegParams = VegParams {
    attack: TC_ZERO,
    decay: TC_ZERO,
    sustain: 1000 << 16,
    release: TC_ZERO,
    vel_to_attack: 0,
    key_to_decay: 0,
};

impl Default for Articulation {
    /// The articulation before any connection applies: `ddksynth`'s `CSourceLFO::Init` and
    /// `CSourceEG::Init` (5 Hz LFO with no depth, envelopes with zero times and full
    /// sustain, no pitch envelope, centre pan).
    fn default() -> Self {
        Articulation {
            lfo: LfoParams {
                frequency: LFO_DEFAULT_FREQUENCY,
                delay: TC_ZERO,
                volume_scale: 0,
                pitch_scale: 0,
                mw_to_volume: 0,
                mw_to_pitch: 0,
            },
            vol_eg: EG_DEFAULT,
            pitch_eg: PegParams {
                eg: EG_DEFAULT,
                range: 0,
            },
            default_pan: 0,
        }
    }
}

/// The number of parameters: `DMUS_ARTICPARAMS` is 20 `LONG`s.
pub const PARAMS: usize = ARTICPARAMS_SIZE / 4;

/// The connection (`usSource`, `usControl`, `usDestination`) of each parameter, in the order
/// of `DMUS_ARTICPARAMS`; the writer emits connections in this order.
pub const CONNECTIONS: [(u16, u16, u16); PARAMS] = [
    (src::NONE, src::NONE, dst::LFO_FREQUENCY),
    (src::NONE, src::NONE, dst::LFO_STARTDELAY),
    (src::LFO, src::NONE, dst::ATTENUATION),
    (src::LFO, src::NONE, dst::PITCH),
    (src::LFO, src::CC1, dst::ATTENUATION),
    (src::LFO, src::CC1, dst::PITCH),
    (src::NONE, src::NONE, dst::EG1_ATTACKTIME),
    (src::NONE, src::NONE, dst::EG1_DECAYTIME),
    (src::NONE, src::NONE, dst::EG1_SUSTAINLEVEL),
    (src::NONE, src::NONE, dst::EG1_RELEASETIME),
    (src::KEYONVELOCITY, src::NONE, dst::EG1_ATTACKTIME),
    (src::KEYNUMBER, src::NONE, dst::EG1_DECAYTIME),
    (src::NONE, src::NONE, dst::EG2_ATTACKTIME),
    (src::NONE, src::NONE, dst::EG2_DECAYTIME),
    (src::NONE, src::NONE, dst::EG2_SUSTAINLEVEL),
    (src::NONE, src::NONE, dst::EG2_RELEASETIME),
    (src::KEYONVELOCITY, src::NONE, dst::EG2_ATTACKTIME),
    (src::KEYNUMBER, src::NONE, dst::EG2_DECAYTIME),
    (src::EG2, src::NONE, dst::PITCH),
    (src::NONE, src::NONE, dst::PAN),
];

impl Articulation {
    /// Parameter `i` in `DMUS_ARTICPARAMS` order (0 for `i` >= [`PARAMS`]).
    pub fn param(&self, i: usize) -> i32 {
        let (l, v, p) = (&self.lfo, &self.vol_eg, &self.pitch_eg);
        match i {
            0 => l.frequency,
            1 => l.delay,
            2 => l.volume_scale,
            3 => l.pitch_scale,
            4 => l.mw_to_volume,
            5 => l.mw_to_pitch,
            6 => v.attack,
            7 => v.decay,
            8 => v.sustain,
            9 => v.release,
            10 => v.vel_to_attack,
            11 => v.key_to_decay,
            12 => p.eg.attack,
            13 => p.eg.decay,
            14 => p.eg.sustain,
            15 => p.eg.release,
            16 => p.eg.vel_to_attack,
            17 => p.eg.key_to_decay,
            18 => p.range,
            19 => self.default_pan,
            _ => 0,
        }
    }

    /// Sets parameter `i` in `DMUS_ARTICPARAMS` order (no effect for `i` >= [`PARAMS`]).
    pub fn set_param(&mut self, i: usize, value: i32) {
        let (l, v, p) = (&mut self.lfo, &mut self.vol_eg, &mut self.pitch_eg);
        let field = match i {
            0 => &mut l.frequency,
            1 => &mut l.delay,
            2 => &mut l.volume_scale,
            3 => &mut l.pitch_scale,
            4 => &mut l.mw_to_volume,
            5 => &mut l.mw_to_pitch,
            6 => &mut v.attack,
            7 => &mut v.decay,
            8 => &mut v.sustain,
            9 => &mut v.release,
            10 => &mut v.vel_to_attack,
            11 => &mut v.key_to_decay,
            12 => &mut p.eg.attack,
            13 => &mut p.eg.decay,
            14 => &mut p.eg.sustain,
            15 => &mut p.eg.release,
            16 => &mut p.eg.vel_to_attack,
            17 => &mut p.eg.key_to_decay,
            18 => &mut p.range,
            19 => &mut self.default_pan,
            _ => return,
        };
        *field = value;
    }

    /// Reads a `DMUS_ARTICPARAMS` (80 bytes at the start of `chunk`).
    pub(crate) fn from_params(chunk: &[u8]) -> Option<Self> {
        let mut art = Articulation::default();
        for i in 0..PARAMS {
            art.set_param(i, i32_at(chunk, 4 * i)?);
        }
        Some(art)
    }

    /// Applies one `CONNECTION`: the parameter it names, if this engine models it.
    pub fn apply_connection(&mut self, source: u16, control: u16, destination: u16, scale: i32) {
        let found = CONNECTIONS.iter().position(|&(s, c, d)| {
            s == source && d == destination && (source != src::LFO || c == control)
        });
        if let Some(i) = found {
            self.set_param(i, scale);
        }
    }

    /// Applies the `CONNECTIONLIST` at byte `off` of download `dl`.
    ///
    /// Returns `None` if its `cbSize` is not 8 or its connections run past the download.
    pub(crate) fn apply_connection_list(&mut self, dl: &[u8], off: usize) -> Option<()> {
        if u32_at(dl, off)? as usize != CONNECTIONLIST_SIZE {
            return None;
        }
        let count = u32_at(dl, off + 4)? as usize;
        let first = off + CONNECTIONLIST_SIZE;
        let end = count.checked_mul(CONNECTION_SIZE)?.checked_add(first)?;
        if end > dl.len() {
            return None;
        }
        for k in 0..count {
            let c = first + k * CONNECTION_SIZE;
            self.apply_connection(
                u16_at(dl, c)?,
                u16_at(dl, c + 2)?,
                u16_at(dl, c + 4)?,
                i32_at(dl, c + 8)?,
            );
        }
        Some(())
    }
}
