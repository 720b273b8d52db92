// SPDX-License-Identifier: GPL-2.0

//! A bank: many DMus downloads in one byte string (one firmware file), and the lookups the
//! engine needs, by scanning the validated bytes (no allocation, no index).
//!
//! The container is ours, not Windows': `b"DMBK"`, `u32` version (1), `u32` count, then
//! `count` records, each a `u32` length and that many bytes of one download, padded with
//! zero bytes to a multiple of 4; nothing may follow the last record. All little-endian.
//! Records are in strictly increasing `dwDLId` order, which makes ids unique in one pass.
//!
//! [`Bank::parse`] validates every download ([`Download::parse`]) and then every region's wave
//! link and loop against the bank's waves, so that a bank which parses can be played without
//! any further check.

use super::download::{
    Download,
    Instrument, //
};
use super::error::Error;
use super::layout::DMUS_INSTRUMENT_GM_INSTRUMENT;
use super::le::{
    range,
    u32_at, //
};
use super::wave::Wave;

/// The bank's magic bytes.
pub const BANK_MAGIC: [u8; 4] = *b"DMBK";
/// The bank format version this code reads.
pub const BANK_VERSION: u32 = 1;
/// Bytes before the first record: magic, version, count.
pub const BANK_HEADER: usize = 12;

/// The bytes of a bank with no download.
static EMPTY: [u8; BANK_HEADER] = [b'D', b'M', b'B', b'K', 1, 0, 0, 0, 0, 0, 0, 0];

/// A validated bank, borrowed from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bank<'a> {
    bytes: &'a [u8],
    count: u32,
}

/// One record of a bank: a download and where its bytes start in the bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Offset of the download's first byte in the bank.
    pub offset: usize,
    /// The download.
    pub download: Download<'a>,
}

/// The records of a bank, in order.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    bytes: &'a [u8],
    pos: usize,
    left: u32,
}

/// A bank that owns its bytes (any `Deref<Target = [u8]>`: a `Vec` on the host, a `KVVec`
/// in the kernel), validated once by [`OwnedBank::parse`]; [`OwnedBank::bank`] is then a
/// view that costs nothing. Dropping it frees the bytes.
#[derive(Debug)]
pub struct OwnedBank<B> {
    bytes: B,
    count: u32,
}

impl<B: core::ops::Deref<Target = [u8]>> OwnedBank<B> {
    /// Validates `bytes` as [`Bank::parse`] does and keeps them.
    ///
    /// Errors: the first problem found (the bytes are dropped with the error).
    pub fn parse(bytes: B) -> Result<Self, Error> {
        let count = Bank::parse(&bytes)?.count;
        Ok(OwnedBank { bytes, count })
    }

    /// The bank.
    pub fn bank(&self) -> Bank<'_> {
        Bank {
            bytes: &self.bytes,
            count: self.count,
        }
    }
}

impl<'a> Records<'a> {
    /// The next record's offset and bytes, checking the container (not the download).
    fn next_raw(&mut self) -> Result<Option<(usize, &'a [u8])>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        let len = u32_at(self.bytes, self.pos).ok_or(Error::BadBank)? as usize;
        let start = self.pos + 4;
        let rec = range(self.bytes, start, len).ok_or(Error::BadBank)?;
        let pad = (4 - len % 4) % 4;
        let padding = range(self.bytes, start + len, pad).ok_or(Error::BadBank)?;
        if padding.iter().any(|&b| b != 0) {
            return Err(Error::BadBank);
        }
        self.pos = start + len + pad;
        self.left -= 1;
        Ok(Some((start, rec)))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let (offset, bytes) = self.next_raw().ok()??;
        Some(Record {
            offset,
            download: Download::validated(bytes)?,
        })
    }
}

impl<'a> Bank<'a> {
    /// Validates the bank in `bytes`: the container, every download, unique increasing ids,
    /// and every region's wave link (a wave download of the bank) and loop (inside that wave).
    ///
    /// Errors: the first problem found. Never panics, whatever the bytes.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.get(..4) != Some(&BANK_MAGIC[..]) || u32_at(bytes, 4) != Some(BANK_VERSION) {
            return Err(Error::BadBank);
        }
        let bank = Bank {
            bytes,
            count: u32_at(bytes, 8).ok_or(Error::BadBank)?,
        };
        let mut records = bank.raw_records();
        let mut last_id = None;
        while let Some((_, rec)) = records.next_raw()? {
            let id = Download::parse(rec)?.id();
            if last_id.is_some_and(|last| id <= last) {
                return Err(Error::DuplicateId);
            }
            last_id = Some(id);
        }
        if records.pos != bytes.len() {
            return Err(Error::BadBank);
        }
        for inst in bank.records().filter_map(|r| r.download.instrument()) {
            for region in inst.regions() {
                let wave = bank.wave(region.link.wave_id).ok_or(Error::MissingWave)?;
                if region.wave_loop.is_some_and(|l| l.end() > wave.samples()) {
                    return Err(Error::BadLoop);
                }
            }
        }
        Ok(bank)
    }

    /// A bank with no download: every note is silent.
    pub fn empty() -> Bank<'static> {
        Bank {
            bytes: &EMPTY,
            count: 0,
        }
    }

    fn raw_records(&self) -> Records<'a> {
        Records {
            bytes: self.bytes,
            pos: BANK_HEADER,
            left: self.count,
        }
    }

    /// The bank's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The number of downloads.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the bank has no download.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The records (downloads with their offsets), in id order.
    pub fn records(&self) -> Records<'a> {
        self.raw_records()
    }

    /// The downloads, in id order.
    pub fn downloads(&self) -> impl Iterator<Item = Download<'a>> {
        self.records().map(|r| r.download)
    }

    /// The instrument for `patch` (bank MSB << 16 | LSB << 8 | program, plus
    /// `F_INSTRUMENT_DRUMS`): the first one without `DMUS_INSTRUMENT_GM_INSTRUMENT`, else the
    /// first GM one (a DLS collection overrides the GM set, as in `ddksynth`).
    pub fn instrument(&self, patch: u32) -> Option<Instrument<'a>> {
        self.instrument_at(patch).map(|(_, inst)| inst)
    }

    /// [`Bank::instrument`], with the offset of its record's first byte in the bank.
    pub fn instrument_at(&self, patch: u32) -> Option<(usize, Instrument<'a>)> {
        let mut gm = None;
        for r in self.records() {
            let Some(inst) = r.download.instrument() else {
                continue;
            };
            if inst.patch() == patch {
                if inst.flags() & DMUS_INSTRUMENT_GM_INSTRUMENT == 0 {
                    return Some((r.offset, inst));
                }
                gm = gm.or(Some((r.offset, inst)));
            }
        }
        gm
    }

    /// The download whose record starts at byte `offset` of the bank and is `len` bytes long,
    /// as [`Bank::instrument_at`] or [`Bank::wave_record`] gave them for this bank (other
    /// values give a download view of whatever bytes are there, or `None`: never a panic).
    pub fn download_at(&self, offset: usize, len: usize) -> Option<Download<'a>> {
        Download::validated(range(self.bytes, offset, len)?)
    }

    /// The wave download with `dwDLId` `id`, and the offset of its first sample byte in the
    /// bank.
    pub fn wave_at(&self, id: u32) -> Option<(usize, Wave<'a>)> {
        self.wave_record(id)
            .map(|(offset, _, wave)| (offset + wave.data_offset, wave))
    }

    /// The wave download with `dwDLId` `id`, with its record's offset and length in the bank.
    pub fn wave_record(&self, id: u32) -> Option<(usize, usize, Wave<'a>)> {
        for r in self.records() {
            if r.download.id() > id {
                break;
            }
            if r.download.id() == id {
                let wave = r.download.wave()?;
                return Some((r.offset, r.download.as_bytes().len(), wave));
            }
        }
        None
    }

    /// The wave download with `dwDLId` `id`.
    pub fn wave(&self, id: u32) -> Option<Wave<'a>> {
        self.wave_at(id).map(|(_, w)| w)
    }
}
