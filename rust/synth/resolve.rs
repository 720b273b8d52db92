// SPDX-License-Identifier: GPL-2.0

//! A note-on resolved against the bank: which instrument and region play it, the wave and
//! articulation, and the start values of its voice.
//!
//! Unknown programs: a note whose patch is not in the bank falls back to the same program in
//! bank 0 (for drums, the same kit in bank 0), then to program 0 of bank 0 (drums: kit 0),
//! taking the first instrument that has a region for the key and velocity. `ddksynth` falls
//! back only for drums (kit 0) and for XG banks (`CControlLogic::QueueNotes`, `control.cpp`);
//! falling back for GS-style variation banks too plays a GM file with a GS bank select on a
//! GM bank. A note that finds nothing is silent (the engine counts it).

use super::bank::Bank;
use super::channel::{
    Channel,
    DRUM_CHANNEL, //
};
use super::fixed::CURVE_CB;
use super::layout::{
    F_INSTRUMENT_DRUMS,
    F_RGN_OPTION_SELFNONEXCLUSIVE, //
};
use super::lookup::Lookup;
use super::params::Params;
use super::voice::{
    Note,
    Start,
    WaveRef, //
};

/// A note to resolve.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NoteOn {
    /// MIDI channel, 0..16.
    pub(crate) channel: usize,
    /// Key.
    pub(crate) key: u8,
    /// Velocity, 1..=127.
    pub(crate) velocity: u8,
    /// Render position of the note-on.
    pub(crate) frame: u64,
    /// Its place in the order of note-ons.
    pub(crate) serial: u64,
    /// Output rate, Hz.
    pub(crate) rate: u32,
}

/// The start of the voice that plays `n` on channel state `c`, and whether the note cuts
/// earlier notes of its key (not `F_RGN_OPTION_SELFNONEXCLUSIVE`); `None` if the bank has
/// nothing for it. Lookups go through `lookup`, the cache of `bank`.
pub(crate) fn resolve(
    bank: &Bank<'_>,
    lookup: &mut Lookup,
    c: &Channel,
    n: &NoteOn,
) -> Option<(Start, bool)> {
    let patch = c.patch(n.channel);
    let drums = patch & F_INSTRUMENT_DRUMS;
    let candidates = [patch, drums | (patch & 0x7F), drums];
    let (patch, region) = candidates.iter().find_map(|&p| {
        let region = lookup.instrument(bank, p)?.region_for(n.key, n.velocity)?;
        Some((p, region))
    })?;
    let (offset, wave) = lookup.wave_at(bank, region.link.wave_id)?;
    let art = region.articulation.unwrap_or_default();
    let (loop_start, loop_end) = region.wave_loop.map_or((0, 0), |l| (l.start, l.end()));
    // WSMP gain (16.16 cB, 0 or negative) and fine tune, clamped as `CSourceRegion::Verify`.
    let region_cb = (-(region.attenuation >> 16)).clamp(0, 960);
    let fine = i32::from(region.fine_tune).clamp(-1200, 1200);
    let start = Start {
        note: Note {
            channel: n.channel as u8,
            key: n.key,
            velocity: n.velocity,
            drums: n.channel == DRUM_CHANNEL,
            priority: Channel::priority(n.channel),
            serial: n.serial,
            start: n.frame,
            patch,
            key_group: region.key_group,
        },
        params: Params::new(&art, n.rate),
        atten_cb: region_cb + i32::from(CURVE_CB[usize::from(n.velocity & 0x7F)]),
        cents: (i32::from(n.key) - i32::from(region.unity_note)) * 100 + fine,
        base_inc: (u64::from(wave.format.rate) << 32) / u64::from(n.rate.max(1)),
        wave: WaveRef {
            offset,
            bytes: wave.data.len(),
            bits16: wave.format.bits == 16,
            samples: wave.samples(),
            loop_start,
            loop_end,
        },
    };
    Some((start, region.options & F_RGN_OPTION_SELFNONEXCLUSIVE == 0))
}
