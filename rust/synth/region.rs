// SPDX-License-Identifier: GPL-2.0

//! `DMUS_REGION` (`dmdls.h`): which keys and velocities a region covers, the wave it links
//! (`WAVELINK`), how that wave plays (`WSMPL`) and its loop (`WLOOP[1]`), all from `dls1.h`.
//!
//! `Region::parse` checks one region's own fields; `download` follows its indices
//! (articulation, next region, extension chunks) and `bank` checks its wave link and loop
//! against the wave.

use super::articulation::Articulation;
use super::error::Error;
use super::layout::{
    region as f,
    REGION_SIZE,
    WAVELINK_CHANNEL_LEFT,
    WLOOP_SIZE,
    WLOOP_TYPE_FORWARD,
    WLOOP_TYPE_RELEASE,
    WSMPL_SIZE, //
};
use super::le::{
    i16_at,
    i32_at,
    range,
    u16_at,
    u32_at, //
};

/// `WAVELINK` (dls1.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaveLink {
    /// `fusOptions` (`F_WAVELINK_PHASE_MASTER`; unused in DLS Level 1).
    pub options: u16,
    /// `usPhaseGroup` (unused in DLS Level 1).
    pub phase_group: u16,
    /// `ulTableIndex`: in a download, the `dwDLId` of the wave download this region plays.
    pub wave_id: u32,
}

/// `WLOOP` (dls1.h): one loop, in samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaveLoop {
    /// `ulType`: `WLOOP_TYPE_FORWARD` (0) or `WLOOP_TYPE_RELEASE` (1, played as forward).
    pub loop_type: u32,
    /// `ulStart`: the first sample of the loop.
    pub start: u32,
    /// `ulLength`: the loop's length, at least 1.
    pub length: u32,
}

impl WaveLoop {
    /// The sample after the loop's last one (`start + length`; validated not to overflow).
    pub fn end(&self) -> u32 {
        self.start.saturating_add(self.length)
    }
}

/// One region of an instrument, validated: a `DMUS_REGION` with its articulation read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// `RangeKey.usLow`, 0..=127.
    pub key_low: u8,
    /// `RangeKey.usHigh`, `key_low`..=127.
    pub key_high: u8,
    /// `RangeVelocity.usLow`, 0..=127 (DLS Level 1 devices ignore velocity ranges; a range of
    /// 0..=0, the usual fill, matches every velocity here).
    pub vel_low: u8,
    /// `RangeVelocity.usHigh`, `vel_low`..=127.
    pub vel_high: u8,
    /// `fusOptions` (`F_RGN_OPTION_SELFNONEXCLUSIVE`).
    pub options: u16,
    /// `usKeyGroup`: a new note of a group cuts the group's other notes (0 = no group).
    pub key_group: u16,
    /// The wave link (`WaveLink`; its `ulChannel` is always `WAVELINK_CHANNEL_LEFT`).
    pub link: WaveLink,
    /// `WSMP.usUnityNote`: the key at which the wave plays at its recorded pitch, 0..=127.
    pub unity_note: u8,
    /// `WSMP.sFineTune`: cents.
    pub fine_tune: i16,
    /// `WSMP.lAttenuation`: gain in centibels, 16.16 (0 or negative; clamped to -96 dB).
    pub attenuation: i32,
    /// `WSMP.fulOptions` (`F_WSMP_NO_TRUNCATION`, `F_WSMP_NO_COMPRESSION`).
    pub wsmp_options: u32,
    /// `WLOOP[0]` when `WSMP.cSampleLoops` is 1; `None` plays the wave once.
    pub wave_loop: Option<WaveLoop>,
    /// The region's own articulation (`ulRegionArtIdx`), or `None` to use the instrument's
    /// global one.
    pub articulation: Option<Articulation>,
}

/// The indices a `DMUS_REGION` holds, for `download` to follow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RegionLinks {
    /// `ulRegionArtIdx`.
    pub(crate) art: u32,
    /// `ulNextRegionIdx`.
    pub(crate) next: u32,
    /// `ulFirstExtCkIdx`.
    pub(crate) ext: u32,
}

impl Region {
    /// Whether this region plays `key` at `velocity`.
    pub fn matches(&self, key: u8, velocity: u8) -> bool {
        let any_velocity = self.vel_low == 0 && self.vel_high == 0;
        (self.key_low..=self.key_high).contains(&key)
            && (any_velocity || (self.vel_low..=self.vel_high).contains(&velocity))
    }

    /// Parses the `DMUS_REGION` at byte `off` of download `dl`, without its articulation.
    pub(crate) fn parse(dl: &[u8], off: usize) -> Result<(Region, RegionLinks), Error> {
        let r = range(dl, off, REGION_SIZE).ok_or(Error::Truncated)?;
        let u16f = |o| u16_at(r, o).unwrap_or(0);
        let u32f = |o| u32_at(r, o).unwrap_or(0);
        let note = |o| u8::try_from(u16f(o)).ok().filter(|&k| k <= 127);
        let pair = |lo, hi| match (note(lo), note(hi)) {
            (Some(l), Some(h)) if l <= h => Ok((l, h)),
            _ => Err(Error::BadRange),
        };
        let (key_low, key_high) = pair(f::KEY_LOW, f::KEY_HIGH)?;
        let (vel_low, vel_high) = pair(f::VEL_LOW, f::VEL_HIGH)?;
        let unity_note = note(f::UNITY_NOTE).ok_or(Error::BadRange)?;
        if u32f(f::LINK_CHANNEL) != WAVELINK_CHANNEL_LEFT || u32f(f::WSMP_SIZE) != WSMPL_SIZE {
            return Err(Error::BadRegion);
        }
        let wave_loop = match u32f(f::LOOPS) {
            0 => None,
            1 => {
                let l = WaveLoop {
                    loop_type: u32f(f::LOOP_TYPE),
                    start: u32f(f::LOOP_START),
                    length: u32f(f::LOOP_LENGTH),
                };
                if u32f(f::LOOP_SIZE) != WLOOP_SIZE
                    || !matches!(l.loop_type, WLOOP_TYPE_FORWARD | WLOOP_TYPE_RELEASE)
                {
                    return Err(Error::BadRegion);
                }
                if l.length == 0 || l.start.checked_add(l.length).is_none() {
                    return Err(Error::BadLoop);
                }
                Some(l)
            }
            _ => return Err(Error::BadRegion),
        };
        let region = Region {
            key_low,
            key_high,
            vel_low,
            vel_high,
            options: u16f(f::OPTIONS),
            key_group: u16f(f::KEY_GROUP),
            link: WaveLink {
                options: u16f(f::LINK_OPTIONS),
                phase_group: u16f(f::LINK_PHASE_GROUP),
                wave_id: u32f(f::LINK_TABLE_INDEX),
            },
            unity_note,
            fine_tune: i16_at(r, f::FINE_TUNE).unwrap_or(0),
            attenuation: i32_at(r, f::ATTENUATION).unwrap_or(0),
            wsmp_options: u32f(f::WSMP_OPTIONS),
            wave_loop,
            articulation: None,
        };
        let links = RegionLinks {
            art: u32f(f::ART),
            next: u32f(f::NEXT),
            ext: u32f(f::FIRST_EXT),
        };
        Ok((region, links))
    }
}
