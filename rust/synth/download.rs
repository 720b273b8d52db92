// SPDX-License-Identifier: GPL-2.0

//! One DMus download (`DMUS_DOWNLOADINFO` + `DMUS_OFFSETTABLE` + chunks, `dmdls.h`): complete
//! validation of untrusted bytes, then zero-copy views of its instrument or wave.
//!
//! What [`Download::parse`] checks, beyond `ddksynth`'s `CInstManager::Download` (which checks
//! only that each offset is below `cbSize` and each index below the table's length):
//! - `cbSize` is the length of the bytes; the table has 1..=[`MAX_OFFSET_ENTRIES`] entries, all
//!   pointing past the table and inside the download;
//! - every chunk an index names fits inside the download with its variable part;
//! - every index is in range and names its chunk once: a chunk has one role, so a region list,
//!   an articulation chain or an extension-chunk chain that loops back is an error (this is
//!   also the cycle check; `ddksynth` instead zeroes the links it has followed);
//! - the patch, the regions (`Region::parse`), the articulations and the wave format
//!   (`WaveFormat::parse`) are well formed; every region has an articulation, its own or the
//!   instrument's global one.
//!
//! Wave links and loop ends are checked against the waves by [`super::bank::Bank::parse`].

use super::articulation::Articulation;
use super::error::Error;
use super::layout::{
    instrument as fi,
    wave as fw,
    ARTICPARAMS_SIZE,
    ARTICULATION2_SIZE,
    ARTICULATION_SIZE,
    DMUS_DOWNLOADINFO_INSTRUMENT,
    DMUS_DOWNLOADINFO_INSTRUMENT2,
    DMUS_DOWNLOADINFO_WAVE,
    DOWNLOADINFO_SIZE,
    EXTENSION_HEADER,
    F_INSTRUMENT_DRUMS,
    INSTRUMENT_SIZE,
    MAX_OFFSET_ENTRIES,
    SIZED_HEADER,
    WAVE_SIZE, //
};
use super::le::{
    range,
    u32_at, //
};
use super::region::Region;
use super::wave::{
    Wave,
    WaveFormat, //
};

/// One validated download, borrowed from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Download<'a> {
    bytes: &'a [u8],
    dl_type: u32,
    id: u32,
    entries: u32,
}

/// The offset-table entries a validation has used, so that no chunk is used twice.
struct Claims([u64; MAX_OFFSET_ENTRIES / 64]);

/// Follows indices of a download; with claims it is the validator, without it the reader of
/// an already validated download.
struct Walker<'d, 'a> {
    dl: &'d Download<'a>,
    claims: Option<&'d mut Claims>,
}

impl Walker<'_, '_> {
    /// The offset of the chunk at index `idx` (non-zero, in range, not yet used).
    fn chunk(&mut self, idx: u32) -> Result<usize, Error> {
        if idx == 0 || idx >= self.dl.entries {
            return Err(Error::BadIndex);
        }
        if let Some(claims) = self.claims.as_deref_mut() {
            let (word, bit) = (idx as usize / 64, 1u64 << (idx % 64));
            let w = claims.0.get_mut(word).ok_or(Error::BadIndex)?;
            if *w & bit != 0 {
                return Err(Error::BadIndex);
            }
            *w |= bit;
        }
        self.dl.offset(idx).ok_or(Error::BadIndex)
    }

    /// The `ULONG` at byte `field` of the chunk at `off`, which must hold `size` bytes.
    fn field(&self, off: usize, size: usize, field: usize) -> Result<u32, Error> {
        let chunk = range(self.dl.bytes, off, size).ok_or(Error::Truncated)?;
        u32_at(chunk, field).ok_or(Error::Truncated)
    }

    /// A chunk made of a `ULONG cbSize` and `cbSize` bytes (`DMUS_WAVEDATA`,
    /// `DMUS_COPYRIGHT`): the offset and size of its data.
    fn sized(&mut self, idx: u32) -> Result<(usize, usize), Error> {
        let off = self.chunk(idx)?;
        let size = self.field(off, SIZED_HEADER, 0)? as usize;
        let data = off + SIZED_HEADER;
        range(self.dl.bytes, data, size).ok_or(Error::BadChunk)?;
        Ok((data, size))
    }

    /// Checks an optional copyright chunk (`DMUS_COPYRIGHT`).
    fn copyright(&mut self, idx: u32) -> Result<(), Error> {
        if idx != 0 {
            self.sized(idx)?;
        }
        Ok(())
    }

    /// Checks a chain of `DMUS_EXTENSIONCHUNK`s (contents are not interpreted).
    fn extensions(&mut self, mut idx: u32) -> Result<(), Error> {
        let mut steps = self.dl.entries;
        while idx != 0 && steps > 0 {
            let off = self.chunk(idx)?;
            let size = self.field(off, EXTENSION_HEADER, 0)? as usize;
            range(self.dl.bytes, off + EXTENSION_HEADER, size).ok_or(Error::BadChunk)?;
            idx = self.field(off, EXTENSION_HEADER, 4)?;
            steps -= 1;
        }
        Ok(())
    }

    /// Reads the articulation at index `idx` in the format of the download's type.
    fn articulation(&mut self, idx: u32) -> Result<Articulation, Error> {
        let mut art = Articulation::default();
        if self.dl.dl_type == DMUS_DOWNLOADINFO_INSTRUMENT {
            let off = self.chunk(idx)?;
            let params = self.field(off, ARTICULATION_SIZE, 0)?;
            self.extensions(self.field(off, ARTICULATION_SIZE, 4)?)?;
            if params != 0 {
                let p = self.chunk(params)?;
                let chunk = range(self.dl.bytes, p, ARTICPARAMS_SIZE).ok_or(Error::Truncated)?;
                art = Articulation::from_params(chunk).ok_or(Error::Truncated)?;
            }
            return Ok(art);
        }
        let mut next = idx;
        let mut steps = self.dl.entries;
        while next != 0 && steps > 0 {
            let off = self.chunk(next)?;
            let list = self.field(off, ARTICULATION2_SIZE, 0)?;
            self.extensions(self.field(off, ARTICULATION2_SIZE, 4)?)?;
            next = self.field(off, ARTICULATION2_SIZE, 8)?;
            if list != 0 {
                let l = self.chunk(list)?;
                art.apply_connection_list(self.dl.bytes, l)
                    .ok_or(Error::BadArticulation)?;
            }
            steps -= 1;
        }
        Ok(art)
    }

    /// Reads the region at index `idx` with its articulation; returns it and the next index.
    fn region(&mut self, idx: u32) -> Result<(Region, u32), Error> {
        let off = self.chunk(idx)?;
        let (mut region, links) = Region::parse(self.dl.bytes, off)?;
        if links.art != 0 {
            region.articulation = Some(self.articulation(links.art)?);
        }
        self.extensions(links.ext)?;
        Ok((region, links.next))
    }
}

impl<'a> Download<'a> {
    /// Validates the download in `bytes` completely (see the module documentation).
    ///
    /// Errors: the [`Error`] variant naming the first problem found. Never panics, whatever
    /// the bytes.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let dl = Self::header(bytes)?;
        let mut claims = Claims([0; MAX_OFFSET_ENTRIES / 64]);
        claims.0[0] = 1;
        let mut w = Walker {
            dl: &dl,
            claims: Some(&mut claims),
        };
        let first = dl.offset(0).ok_or(Error::BadIndex)?;
        match dl.dl_type {
            DMUS_DOWNLOADINFO_INSTRUMENT | DMUS_DOWNLOADINFO_INSTRUMENT2 => {
                let field = |f| w.field(first, INSTRUMENT_SIZE, f);
                let patch = field(fi::PATCH)?;
                let (mut next, global) = (field(fi::FIRST_REGION)?, field(fi::GLOBAL_ART)?);
                let (ext, copyright) = (field(fi::FIRST_EXT)?, field(fi::COPYRIGHT)?);
                if patch & !(F_INSTRUMENT_DRUMS | 0x007F_7F7F) != 0 {
                    return Err(Error::BadPatch);
                }
                w.extensions(ext)?;
                w.copyright(copyright)?;
                let has_global = global != 0;
                if has_global {
                    w.articulation(global)?;
                }
                if next == 0 {
                    return Err(Error::NoRegion);
                }
                while next != 0 {
                    let (region, n) = w.region(next)?;
                    if region.articulation.is_none() && !has_global {
                        return Err(Error::NoArticulation);
                    }
                    next = n;
                }
            }
            DMUS_DOWNLOADINFO_WAVE => {
                let field = |f| w.field(first, WAVE_SIZE, f);
                let (ext, copyright, data) = (
                    field(fw::FIRST_EXT)?,
                    field(fw::COPYRIGHT)?,
                    field(fw::DATA)?,
                );
                let format = WaveFormat::parse(bytes.get(first..).ok_or(Error::Truncated)?)?;
                w.extensions(ext)?;
                w.copyright(copyright)?;
                let (_, size) = w.sized(data)?;
                // `checked_rem`: no division panic path, even for a zero
                // `block_align` (which `WaveFormat::parse` already refuses).
                if size == 0 || size.checked_rem(usize::from(format.block_align())) != Some(0) {
                    return Err(Error::BadWave);
                }
            }
            _ => return Err(Error::UnknownType),
        }
        Ok(dl)
    }

    /// Reads the header and checks the sizes and the offset table.
    fn header(bytes: &'a [u8]) -> Result<Self, Error> {
        let h = |o| u32_at(bytes, o).ok_or(Error::Truncated);
        let (dl_type, id, entries, size) = (h(0)?, h(4)?, h(8)?, h(12)?);
        if size as usize != bytes.len() || entries == 0 || entries as usize > MAX_OFFSET_ENTRIES {
            return Err(Error::BadSize);
        }
        let table_end = DOWNLOADINFO_SIZE + 4 * entries as usize;
        if table_end > bytes.len() {
            return Err(Error::Truncated);
        }
        let dl = Download {
            bytes,
            dl_type,
            id,
            entries,
        };
        for i in 0..entries {
            match dl.offset(i) {
                Some(off) if off >= table_end && off < bytes.len() => {}
                _ => return Err(Error::BadOffset),
            }
        }
        Ok(dl)
    }

    /// A view of bytes that [`Download::parse`] has accepted before (a bank's records):
    /// reads the header only.
    pub(crate) fn validated(bytes: &'a [u8]) -> Option<Self> {
        let h = |o| u32_at(bytes, o);
        Some(Download {
            bytes,
            dl_type: h(0)?,
            id: h(4)?,
            entries: h(8)?,
        })
    }

    /// Offset-table entry `idx`: a byte offset into the download.
    fn offset(&self, idx: u32) -> Option<usize> {
        if idx >= self.entries {
            return None;
        }
        u32_at(self.bytes, DOWNLOADINFO_SIZE + 4 * idx as usize).map(|o| o as usize)
    }

    /// `dwDLId`: the download's id, unique in a bank.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// `dwDLType`: `DMUS_DOWNLOADINFO_INSTRUMENT` (1), `_WAVE` (2) or `_INSTRUMENT2` (3).
    pub fn dl_type(&self) -> u32 {
        self.dl_type
    }

    /// The download's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The instrument, if this is an instrument download.
    pub fn instrument(&self) -> Option<Instrument<'a>> {
        matches!(
            self.dl_type,
            DMUS_DOWNLOADINFO_INSTRUMENT | DMUS_DOWNLOADINFO_INSTRUMENT2
        )
        .then_some(Instrument { dl: *self })
    }

    /// The wave, if this is a wave download.
    pub fn wave(&self) -> Option<Wave<'a>> {
        if self.dl_type != DMUS_DOWNLOADINFO_WAVE {
            return None;
        }
        let first = self.offset(0)?;
        let format = WaveFormat::parse(self.bytes.get(first..)?).ok()?;
        let data_idx = u32_at(self.bytes, first + fw::DATA)?;
        let off = self.offset(data_idx)?;
        let size = u32_at(self.bytes, off)? as usize;
        let data_offset = off + SIZED_HEADER;
        Some(Wave {
            id: self.id,
            format,
            data: range(self.bytes, data_offset, size)?,
            data_offset,
        })
    }
}

/// An instrument download (`DMUS_INSTRUMENT` and its regions), validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instrument<'a> {
    dl: Download<'a>,
}

impl<'a> Instrument<'a> {
    /// The download this instrument is.
    pub fn download(&self) -> Download<'a> {
        self.dl
    }

    fn field(&self, f: usize) -> u32 {
        let off = self.dl.offset(0).unwrap_or(usize::MAX);
        off.checked_add(f)
            .and_then(|o| u32_at(self.dl.bytes, o))
            .unwrap_or(0)
    }

    /// `ulPatch`: bank MSB << 16 | bank LSB << 8 | program, plus `F_INSTRUMENT_DRUMS` for a
    /// drum kit.
    pub fn patch(&self) -> u32 {
        self.field(fi::PATCH)
    }

    /// `ulFlags` (`DMUS_INSTRUMENT_GM_INSTRUMENT`).
    pub fn flags(&self) -> u32 {
        self.field(fi::FLAGS)
    }

    /// The global articulation (`ulGlobalArtIdx`), for regions without their own.
    pub fn global_articulation(&self) -> Option<Articulation> {
        let idx = self.field(fi::GLOBAL_ART);
        if idx == 0 {
            return None;
        }
        let mut w = Walker {
            dl: &self.dl,
            claims: None,
        };
        w.articulation(idx).ok()
    }

    /// The regions, in list order.
    pub fn regions(&self) -> Regions<'a> {
        Regions {
            dl: self.dl,
            next: self.field(fi::FIRST_REGION),
            steps: self.dl.entries,
        }
    }

    /// The first region that plays `key` at `velocity`, with its articulation resolved (its
    /// own, else the global one).
    /// Reads the ranges of each region and the articulation of the matching one only (a
    /// drum kit has dozens of regions, each with its articulation).
    pub fn region_for(&self, key: u8, velocity: u8) -> Option<Region> {
        let mut w = Walker {
            dl: &self.dl,
            claims: None,
        };
        let mut next = self.field(fi::FIRST_REGION);
        let mut steps = self.dl.entries;
        while next != 0 && steps > 0 {
            steps -= 1;
            let off = w.chunk(next).ok()?;
            let (mut region, links) = Region::parse(self.dl.bytes, off).ok()?;
            if region.matches(key, velocity) {
                region.articulation = match links.art {
                    0 => self.global_articulation(),
                    art => Some(w.articulation(art).ok()?),
                };
                return Some(region);
            }
            next = links.next;
        }
        None
    }
}

/// The regions of an instrument (`ulFirstRegionIdx`, `ulNextRegionIdx`), each with its own
/// articulation if it has one.
#[derive(Clone, Debug)]
pub struct Regions<'a> {
    dl: Download<'a>,
    next: u32,
    steps: u32,
}

impl Iterator for Regions<'_> {
    type Item = Region;

    fn next(&mut self) -> Option<Region> {
        if self.next == 0 || self.steps == 0 {
            return None;
        }
        self.steps -= 1;
        let mut w = Walker {
            dl: &self.dl,
            claims: None,
        };
        match w.region(self.next) {
            Ok((region, next)) => {
                self.next = next;
                Some(region)
            }
            Err(_) => {
                self.next = 0;
                None
            }
        }
    }
}
