// SPDX-License-Identifier: GPL-2.0

//! `DMUS_WAVE` (`dmdls.h`) with its `WAVEFORMATEX` (`mmreg.h`), and the samples of its
//! `DMUS_WAVEDATA`: mono PCM, 8-bit unsigned or 16-bit signed little-endian, as `ddksynth`'s
//! `CInstManager::DownloadWave` (`instr.cpp`) accepts.
//!
//! The samples stay in the download's bytes (zero-copy); 8-bit samples are converted as they
//! are read, where `ddksynth` rewrote the download in place.

use super::error::Error;
use super::layout::{
    wave as f,
    WAVE_FORMAT_PCM,
    WAVE_SIZE, //
};
use super::le::{
    range,
    u16_at,
    u32_at, //
};

/// The lowest wave sample rate accepted, in Hz.
pub const MIN_WAVE_RATE: u32 = 1000;
/// The highest wave sample rate accepted, in Hz.
pub const MAX_WAVE_RATE: u32 = 384_000;

/// `WAVEFORMATEX` (mmreg.h), validated: PCM, mono, 8 or 16 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaveFormat {
    /// `nSamplesPerSec`, [`MIN_WAVE_RATE`]..=[`MAX_WAVE_RATE`].
    pub rate: u32,
    /// `nAvgBytesPerSec` (not checked, not used).
    pub byte_rate: u32,
    /// `wBitsPerSample`: 8 (unsigned) or 16 (signed).
    pub bits: u16,
    /// `cbSize`: extra format bytes (none follow for PCM; not used).
    pub extra: u16,
}

impl WaveFormat {
    /// A mono PCM format of `bits` bits at `rate` Hz, with the implied byte rate.
    pub fn pcm(rate: u32, bits: u16) -> Self {
        WaveFormat {
            rate,
            byte_rate: rate.saturating_mul(u32::from(bits / 8)),
            bits,
            extra: 0,
        }
    }

    /// Bytes per sample: 1 or 2.
    pub fn block_align(&self) -> u16 {
        self.bits / 8
    }

    /// Reads and checks the `WAVEFORMATEX` of the `DMUS_WAVE` chunk `w`.
    pub(crate) fn parse(w: &[u8]) -> Result<Self, Error> {
        let w = range(w, 0, WAVE_SIZE).ok_or(Error::Truncated)?;
        let u16f = |o| u16_at(w, o).unwrap_or(0);
        let u32f = |o| u32_at(w, o).unwrap_or(0);
        if u16f(f::FORMAT_TAG) != WAVE_FORMAT_PCM {
            return Err(Error::NotPcm);
        }
        if u16f(f::CHANNELS) != 1 {
            return Err(Error::NotMono);
        }
        let bits = u16f(f::BITS);
        if !matches!(bits, 8 | 16) || u16f(f::BLOCK_ALIGN) != bits / 8 {
            return Err(Error::BadBits);
        }
        let rate = u32f(f::RATE);
        if !(MIN_WAVE_RATE..=MAX_WAVE_RATE).contains(&rate) {
            return Err(Error::BadWave);
        }
        Ok(WaveFormat {
            rate,
            byte_rate: u32f(f::BYTE_RATE),
            bits,
            extra: u16f(f::EXTRA),
        })
    }
}

/// A validated wave download: its id, format and samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wave<'a> {
    /// `DMUS_DOWNLOADINFO.dwDLId`: what regions name in `WAVELINK.ulTableIndex`.
    pub id: u32,
    /// The format.
    pub format: WaveFormat,
    /// The sample bytes (`DMUS_WAVEDATA.byData`, `cbSize` bytes, at least one sample).
    pub data: &'a [u8],
    /// Where `data` starts in the download's bytes.
    pub data_offset: usize,
}

impl Wave<'_> {
    /// The number of samples.
    pub fn samples(&self) -> u32 {
        let n = self.data.len() / usize::from(self.format.block_align().max(1));
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Sample `i` as signed 16-bit (8-bit samples are unsigned, centred on 128, and scaled by
    /// 256); 0 past the end.
    pub fn sample(&self, i: u32) -> i16 {
        sample_at(self.data, self.format.bits == 16, i)
    }
}

/// Sample `i` of PCM bytes `data` (16-bit little-endian signed, or 8-bit unsigned), as signed
/// 16-bit; 0 past the end.
pub(crate) fn sample_at(data: &[u8], bits16: bool, i: u32) -> i16 {
    let i = i as usize;
    if bits16 {
        match data.get(2 * i..2 * i + 2) {
            Some(&[lo, hi]) => i16::from_le_bytes([lo, hi]),
            _ => 0,
        }
    } else {
        data.get(i).map_or(0, |&b| (i16::from(b) - 128) << 8)
    }
}
