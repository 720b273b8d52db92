// SPDX-License-Identifier: GPL-2.0

//! `sf2bank`: converts a General MIDI SoundFont 2 (parsed by the `rustysynth` crate) into a
//! bank of DMus downloads (`DMBK`, `rust/synth/bank.rs`) that the snd-dmus-mpu401
//! synthesizer loads with `request_firmware` (`synth_bank=`) or through its DMus device
//! (`SND_DMUS_IOCTL_LOAD_BANK`). The kernel never parses SF2.
//!
//! What one preset becomes: a `DMUS_DOWNLOADINFO_INSTRUMENT` download (`DMUS_ARTICPARAMS`
//! articulation) with patch bank MSB << 16 | program (bank 128: `F_INSTRUMENT_DRUMS` |
//! program) and `DMUS_INSTRUMENT_GM_INSTRUMENT`, so a DLS download of the same patch
//! overrides it. Each pair of a preset zone and an instrument zone whose key and velocity
//! ranges meet becomes one `DMUS_REGION` with its own articulation; each distinct sample slice
//! becomes one 16-bit mono `DMUS_DOWNLOADINFO_WAVE` download. Generators map as follows (preset
//! values add to instrument values, as SF2 2.04 section 9.4 says):
//! - key and velocity ranges: the intersection; exclusive class: the region's key group;
//! - overriding root key or the sample's original pitch: `usUnityNote`; coarse and fine tune
//!   and the sample's pitch correction: `sFineTune` (cents); initial attenuation:
//!   `lAttenuation` (centibels, negated);
//! - sample modes 1 and 3: one forward loop (type `WLOOP_TYPE_FORWARD`, or
//!   `WLOOP_TYPE_RELEASE` for mode 3);
//! - volume envelope attack, decay, sustain (attenuation in cB; DLS sustain is the share of
//!   the 96 dB range) and release, key number to decay; the modulation envelope's times and
//!   its pitch depth as the pitch envelope; the vibrato LFO's frequency, delay and pitch depth
//!   as the LFO, plus SF2's default modulator of 50 cents of vibrato on CC 1; pan.
//!
//! Not representable in DLS Level 1, so dropped: right samples of stereo pairs (the left one
//! plays) and ROM samples (counted in [`Summary::skipped_regions`]); envelope delay and hold,
//! the modulation LFO's pitch and volume depths, filters and scale tuning other than 100 cents
//! a key (the regions that had one are counted in [`Summary::approximated_regions`]); effects
//! sends and the modulation LFO's filter depth (not counted). Where regions overlap, the
//! engine plays the first one that matches (DLS Level 1 has no layering).

use std::collections::HashMap;

use dmus_synth::articulation::{LfoParams, PegParams, VegParams, TC_ZERO};
use dmus_synth::layout::{
    DMUS_INSTRUMENT_GM_INSTRUMENT, F_INSTRUMENT_DRUMS, MAX_OFFSET_ENTRIES, WLOOP_TYPE_FORWARD,
    WLOOP_TYPE_RELEASE,
};
use dmus_synth::wave::{MAX_WAVE_RATE, MIN_WAVE_RATE};
use dmus_synth::writer::{write_bank, ArticFormat, DownloadDef, InstrumentDef, WaveDef};
use dmus_synth::{Articulation, Bank, Region, WaveFormat, WaveLink, WaveLoop};
use rustysynth::{InstrumentRegion, LoopMode, PresetRegion, SoundFont};

/// SF2 sample type of the right channel of a stereo pair (`rightSample`).
const SAMPLE_TYPE_RIGHT: i32 = 2;
/// SF2 sample types of ROM samples have this bit.
const SAMPLE_TYPE_ROM: i32 = 0x8000;
/// The SF2 bank number of drum kits.
const DRUM_BANK: i32 = 128;
/// Centibels of a DLS volume envelope's full range (96 dB).
const EG_RANGE_CB: f64 = 960.0;
/// Timecents at or below which a time is zero (SF2's minimum, -12000, is 1 ms).
const TC_MIN: i64 = -12_000;
/// Timecents of the longest time (SF2's maximum for release, 8000: about 100 s).
const TC_MAX: i64 = 8_000;
/// The vibrato depth, in cents, of SF2's default modulator from CC 1 (SF2 2.04, 8.4.4).
const MW_TO_PITCH_CENTS: i32 = 50;
/// Offset-table entries of one region with its own articulation (region, articulation,
/// `DMUS_ARTICPARAMS`).
const ENTRIES_PER_REGION: usize = 3;

/// What a conversion did: counts of what was written and of what was dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Melodic instruments written (presets of banks 0 to 127).
    pub instruments: usize,
    /// Drum kits written (presets of bank 128).
    pub drum_kits: usize,
    /// Regions written.
    pub regions: usize,
    /// Wave downloads written.
    pub waves: usize,
    /// Bytes of sample data in the waves.
    pub wave_bytes: usize,
    /// Bytes of the bank.
    pub bank_bytes: usize,
    /// Presets skipped: no playable region, or a bank above 128.
    pub skipped_presets: usize,
    /// Zone pairs skipped: right or ROM samples, empty or out-of-range sample slices.
    pub skipped_regions: usize,
    /// Regions whose envelope delay or hold, modulation LFO, filter or scale tuning was
    /// dropped.
    pub approximated_regions: usize,
}

/// A sample slice of the SoundFont's data: its first sample and the one after its last.
type Slice = (usize, usize);

/// The waves written so far, by slice.
#[derive(Default)]
struct Waves {
    ids: HashMap<Slice, u32>,
    defs: Vec<DownloadDef>,
}

impl Waves {
    /// The id of the wave download for `slice` at `rate`, written on first use.
    fn id(&mut self, data: &[i16], slice: Slice, rate: u32, summary: &mut Summary) -> u32 {
        if let Some(&id) = self.ids.get(&slice) {
            return id;
        }
        let id = self.defs.len() as u32 + 1;
        let bytes: Vec<u8> = data[slice.0..slice.1]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        summary.waves += 1;
        summary.wave_bytes += bytes.len();
        self.defs.push(DownloadDef::Wave(WaveDef {
            id,
            format: WaveFormat::pcm(rate, 16),
            data: bytes,
        }));
        self.ids.insert(slice, id);
        id
    }
}

/// Timecents, 16.16, of `seconds` (zero time below SF2's minimum).
pub fn timecents(seconds: f64) -> i32 {
    if seconds <= 0.0 {
        return TC_ZERO;
    }
    let tc = (1200.0 * seconds.log2()).round() as i64;
    if tc <= TC_MIN {
        return TC_ZERO;
    }
    (tc.min(TC_MAX) << 16) as i32
}

/// Absolute pitch cents, 16.16, of `hz` (0 cents is 8.176 Hz in both SF2 and DLS).
pub fn pitch_cents(hz: f64) -> i32 {
    let cents = (1200.0 * (hz.max(0.001) / 8.176).log2()).round() as i64;
    (cents.clamp(-32_768, 32_767) << 16) as i32
}

/// DLS `ptSustain` (0.1 % of the 96 dB range, 16.16) of a volume-envelope sustain that is
/// `cb` centibels below full.
pub fn volume_sustain(cb: f64) -> i32 {
    let level = (1000.0 * (1.0 - cb / EG_RANGE_CB)).round() as i64;
    (level.clamp(0, 1000) << 16) as i32
}

/// DLS `ptSustain` of a modulation-envelope sustain given as SF2's decrease in 0.1 %.
pub fn pitch_sustain(decrease: f64) -> i32 {
    let level = (1000.0 - decrease).round() as i64;
    (level.clamp(0, 1000) << 16) as i32
}

/// A 16.16 value of `v` units, clamped to `lo..=hi`.
fn fixed(v: f64, lo: i64, hi: i64) -> i32 {
    ((v.round() as i64).clamp(lo, hi) << 16) as i32
}

/// The articulation of one zone pair, and whether something had to be dropped.
fn articulation(p: &PresetRegion, i: &InstrumentRegion) -> (Articulation, bool) {
    let f = f64::from;
    // SF2 keynumToVolEnvDecay adds n timecents a key below 60; DLS tcKey2Decay adds its
    // value times key / 128: the same line through key 60.
    let key_to_decay =
        i.get_key_number_to_volume_envelope_decay() + p.get_key_number_to_volume_envelope_decay();
    let decay_s = f(i.get_decay_volume_envelope())
        * f(p.get_decay_volume_envelope())
        * 2f64.powf(f64::from(60 * key_to_decay) / 1200.0);
    let vol_eg = VegParams {
        attack: timecents(f(i.get_attack_volume_envelope()) * f(p.get_attack_volume_envelope())),
        decay: timecents(decay_s),
        sustain: volume_sustain(
            10.0 * (f(i.get_sustain_volume_envelope()) + f(p.get_sustain_volume_envelope())),
        ),
        release: timecents(f(i.get_release_volume_envelope()) * f(p.get_release_volume_envelope())),
        vel_to_attack: 0,
        key_to_decay: fixed(-128.0 * f64::from(key_to_decay), -12_000, 12_000),
    };
    let pitch_eg = PegParams {
        eg: VegParams {
            attack: timecents(
                f(i.get_attack_modulation_envelope()) * f(p.get_attack_modulation_envelope()),
            ),
            decay: timecents(
                f(i.get_decay_modulation_envelope()) * f(p.get_decay_modulation_envelope()),
            ),
            sustain: pitch_sustain(
                10.0 * (f(i.get_sustain_modulation_envelope())
                    + f(p.get_sustain_modulation_envelope())),
            ),
            release: timecents(
                f(i.get_release_modulation_envelope()) * f(p.get_release_modulation_envelope()),
            ),
            vel_to_attack: 0,
            key_to_decay: 0,
        },
        range: fixed(
            f64::from(i.get_modulation_envelope_to_pitch() + p.get_modulation_envelope_to_pitch()),
            -12_000,
            12_000,
        ),
    };
    let lfo = LfoParams {
        frequency: pitch_cents(f(i.get_frequency_vibrato_lfo()) * f(p.get_frequency_vibrato_lfo())),
        delay: timecents(f(i.get_delay_vibrato_lfo()) * f(p.get_delay_vibrato_lfo())),
        volume_scale: 0,
        pitch_scale: fixed(
            f64::from(i.get_vibrato_lfo_to_pitch() + p.get_vibrato_lfo_to_pitch()),
            -12_000,
            12_000,
        ),
        mw_to_volume: 0,
        mw_to_pitch: MW_TO_PITCH_CENTS << 16,
    };
    let pan = 10.0 * (f(i.get_pan()) + f(p.get_pan()));
    let art = Articulation {
        lfo,
        vol_eg,
        pitch_eg,
        default_pan: fixed(pan, -500, 500),
    };
    let near = |a: f32, b: f32| (f(a) * f(b) - 0.001).abs() < 0.0002;
    let dropped = !near(i.get_delay_volume_envelope(), p.get_delay_volume_envelope())
        || !near(i.get_hold_volume_envelope(), p.get_hold_volume_envelope())
        || i.get_modulation_lfo_to_pitch() + p.get_modulation_lfo_to_pitch() != 0
        || i.get_modulation_lfo_to_volume() + p.get_modulation_lfo_to_volume() != 0.0
        || i.get_initial_filter_cutoff_frequency() * p.get_initial_filter_cutoff_frequency()
            < 13_000.0
        || i.get_scale_tuning() + p.get_scale_tuning() != 100;
    (art, dropped)
}

/// The patch of a preset: bank MSB << 16 | program, or `F_INSTRUMENT_DRUMS` | program for
/// bank 128; `None` for other banks.
pub fn patch(bank: i32, program: i32) -> Option<u32> {
    let program = u32::try_from(program).ok().filter(|&p| p < 128)?;
    match bank {
        DRUM_BANK => Some(F_INSTRUMENT_DRUMS | program),
        0..=127 => Some((bank as u32) << 16 | program),
        _ => None,
    }
}

/// The region of one zone pair, or `None` when it has nothing to play.
fn region(
    sf: &SoundFont,
    p: &PresetRegion,
    i: &InstrumentRegion,
    waves: &mut Waves,
    summary: &mut Summary,
) -> Option<Region> {
    let key_low = i.get_key_range_start().max(p.get_key_range_start());
    let key_high = i.get_key_range_end().min(p.get_key_range_end()).min(127);
    let vel_low = i
        .get_velocity_range_start()
        .max(p.get_velocity_range_start());
    let vel_high = i
        .get_velocity_range_end()
        .min(p.get_velocity_range_end())
        .min(127);
    if key_low > key_high || vel_low > vel_high {
        return None;
    }
    let header = sf.get_sample_headers().get(i.get_sample_id())?;
    let data = sf.get_wave_data();
    let start = usize::try_from(i.get_sample_start()).ok()?;
    let end = usize::try_from(i.get_sample_end()).ok()?.min(data.len());
    let rate = u32::try_from(header.get_sample_rate()).ok()?;
    let kind = header.get_sample_type();
    if kind == SAMPLE_TYPE_RIGHT
        || kind & SAMPLE_TYPE_ROM != 0
        || start >= end
        || !(MIN_WAVE_RATE..=MAX_WAVE_RATE).contains(&rate)
    {
        summary.skipped_regions += 1;
        return None;
    }
    let wave_loop = match i.get_sample_modes() {
        LoopMode::NoLoop => None,
        mode => {
            let ls = usize::try_from(i.get_sample_start_loop()).ok();
            let le = usize::try_from(i.get_sample_end_loop()).ok();
            match (ls, le) {
                (Some(ls), Some(le)) if start <= ls && ls < le && le <= end => Some(WaveLoop {
                    loop_type: if mode == LoopMode::LoopUntilNoteOff {
                        WLOOP_TYPE_RELEASE
                    } else {
                        WLOOP_TYPE_FORWARD
                    },
                    start: (ls - start) as u32,
                    length: (le - ls) as u32,
                }),
                _ => None,
            }
        }
    };
    let (art, dropped) = articulation(p, i);
    if dropped {
        summary.approximated_regions += 1;
    }
    let tune =
        100 * (i.get_coarse_tune() + p.get_coarse_tune()) + i.get_fine_tune() + p.get_fine_tune();
    let attenuation_cb =
        10.0 * f64::from(i.get_initial_attenuation() + p.get_initial_attenuation());
    Some(Region {
        key_low: key_low as u8,
        key_high: key_high as u8,
        vel_low: vel_low as u8,
        vel_high: vel_high as u8,
        options: 0,
        key_group: u16::try_from(i.get_exclusive_class()).unwrap_or(0),
        link: WaveLink {
            options: 0,
            phase_group: 0,
            wave_id: waves.id(data, (start, end), rate, summary),
        },
        unity_note: i.get_root_key().clamp(0, 127) as u8,
        fine_tune: tune.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16,
        attenuation: fixed(-attenuation_cb, -960, 0),
        wsmp_options: 0,
        wave_loop,
        articulation: Some(art),
    })
}

/// Converts `sf` into the bytes of a `DMBK` bank, validated by the engine's own parser
/// ([`Bank::parse`]).
///
/// Errors: a message when the bank the conversion built does not parse (a converter bug), or
/// when no preset could be converted.
pub fn convert(sf: &SoundFont) -> Result<(Vec<u8>, Summary), String> {
    let mut summary = Summary::default();
    let mut waves = Waves::default();
    let mut instruments = Vec::new();
    let max_regions = (MAX_OFFSET_ENTRIES - 1) / ENTRIES_PER_REGION;
    for preset in sf.get_presets() {
        let Some(patch) = patch(preset.get_bank_number(), preset.get_patch_number()) else {
            summary.skipped_presets += 1;
            continue;
        };
        let mut regions = Vec::new();
        for p in preset.get_regions() {
            let Some(inst) = sf.get_instruments().get(p.get_instrument_id()) else {
                continue;
            };
            for i in inst.get_regions() {
                if regions.len() == max_regions {
                    summary.skipped_regions += 1;
                    continue;
                }
                if let Some(r) = region(sf, p, i, &mut waves, &mut summary) {
                    regions.push(r);
                }
            }
        }
        if regions.is_empty() {
            summary.skipped_presets += 1;
            continue;
        }
        if patch & F_INSTRUMENT_DRUMS != 0 {
            summary.drum_kits += 1;
        } else {
            summary.instruments += 1;
        }
        summary.regions += regions.len();
        instruments.push((patch, regions));
    }
    if instruments.is_empty() {
        return Err("no preset of the SoundFont could be converted".into());
    }
    let first_id = waves.defs.len() as u32 + 1;
    let mut downloads = waves.defs;
    for (n, (patch, regions)) in instruments.into_iter().enumerate() {
        downloads.push(DownloadDef::Instrument(InstrumentDef {
            id: first_id + n as u32,
            patch,
            flags: DMUS_INSTRUMENT_GM_INSTRUMENT,
            format: ArticFormat::Params,
            global: None,
            regions,
        }));
    }
    let bytes = write_bank(&downloads);
    Bank::parse(&bytes).map_err(|e| format!("the converted bank does not parse: {e:?}"))?;
    summary.bank_bytes = bytes.len();
    Ok((bytes, summary))
}
