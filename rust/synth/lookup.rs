// SPDX-License-Identifier: GPL-2.0

//! A lookup cache for one bank: direct-mapped tables from a patch to its instrument's record
//! and from a wave id to its wave's record, so that a note-on does not scan the bank.
//!
//! A General MIDI bank converted from a SoundFont has some 650 downloads: [`Bank::instrument`]
//! scans them all (11 us a lookup on the host, 150 times that in a kernel under emulation);
//! a hit here reads one record header. A miss scans once and fills the slot; an absent patch
//! is remembered as absent. The cache belongs to one bank: [`Lookup::clear`] when the bank
//! changes (the engine does, when it sees other bytes).

use super::bank::Bank;
use super::download::Instrument;
use super::wave::Wave;

/// Instrument slots (patches of a GM bank: 128 programs and a few kits, few in use at once).
const INSTRUMENT_SLOTS: usize = 64;
/// Wave slots.
const WAVE_SLOTS: usize = 256;

/// `Slot::len` of a slot that knows nothing.
const EMPTY_LEN: u32 = 0;
/// `Slot::len` of a key the bank has no download for.
const ABSENT_LEN: u32 = u32::MAX;

/// One slot: a key and its download's record (offset and length in the bank), or
/// [`EMPTY_LEN`] / [`ABSENT_LEN`] in `len` (a record is never empty, and a bank of 4 GiB is
/// not cached). All zero is empty, so a new cache is zeroed memory.
#[derive(Clone, Copy, Debug)]
struct Slot {
    key: u32,
    offset: u32,
    len: u32,
}

const EMPTY: Slot = Slot {
    key: 0,
    offset: 0,
    len: EMPTY_LEN,
};

/// The cache (3840 bytes, no allocation).
#[derive(Clone, Debug)]
pub(crate) struct Lookup {
    instruments: [Slot; INSTRUMENT_SLOTS],
    waves: [Slot; WAVE_SLOTS],
}

impl Slot {
    /// The slot for `key` and what a scan found: a record, or none.
    fn filled(key: u32, found: Option<(usize, usize)>) -> Slot {
        let record =
            found.and_then(|(o, l)| Some((u32::try_from(o).ok()?, u32::try_from(l).ok()?)));
        match (found, record) {
            (None, _) => Slot {
                key,
                offset: 0,
                len: ABSENT_LEN,
            },
            (Some(_), Some((offset, len))) if len != ABSENT_LEN => Slot { key, offset, len },
            // Too far into the bank to keep: the next lookup scans again.
            (Some(_), _) => EMPTY,
        }
    }
}

/// The slot of `key` in a table of `n` slots (a power of two).
fn index(key: u32, n: usize) -> usize {
    let mixed = key ^ (key >> 16) ^ (key >> 31 << 5);
    mixed as usize & (n - 1)
}

impl Lookup {
    /// An empty cache.
    pub(crate) const fn new() -> Self {
        Lookup {
            instruments: [EMPTY; INSTRUMENT_SLOTS],
            waves: [EMPTY; WAVE_SLOTS],
        }
    }

    /// Forgets everything (the bank changed).
    pub(crate) fn clear(&mut self) {
        for slot in self.instruments.iter_mut().chain(self.waves.iter_mut()) {
            *slot = EMPTY;
        }
    }

    /// [`Bank::instrument`] of `patch`, through the cache.
    pub(crate) fn instrument<'a>(&mut self, bank: &Bank<'a>, patch: u32) -> Option<Instrument<'a>> {
        let slot = &mut self.instruments[index(patch, INSTRUMENT_SLOTS)];
        if slot.key == patch && slot.len == ABSENT_LEN {
            return None;
        }
        if slot.key == patch && slot.len != EMPTY_LEN {
            let cached = bank.download_at(slot.offset as usize, slot.len as usize);
            if let Some(inst) = cached.and_then(|d| d.instrument()) {
                return Some(inst);
            }
        }
        let found = bank.instrument_at(patch);
        *slot = Slot::filled(
            patch,
            found.map(|(offset, inst)| (offset, inst.download().as_bytes().len())),
        );
        found.map(|(_, inst)| inst)
    }

    /// [`Bank::wave_at`] of `id`, through the cache: the offset of the wave's first sample
    /// byte in the bank, and the wave.
    pub(crate) fn wave_at<'a>(&mut self, bank: &Bank<'a>, id: u32) -> Option<(usize, Wave<'a>)> {
        let slot = &mut self.waves[index(id, WAVE_SLOTS)];
        if slot.key == id && slot.len == ABSENT_LEN {
            return None;
        }
        if slot.key == id && slot.len != EMPTY_LEN {
            let offset = slot.offset as usize;
            let cached = bank.download_at(offset, slot.len as usize);
            if let Some(wave) = cached.and_then(|d| d.wave()) {
                return Some((offset + wave.data_offset, wave));
            }
        }
        let found = bank.wave_record(id);
        *slot = Slot::filled(id, found.map(|(offset, len, _)| (offset, len)));
        found.map(|(offset, _, wave)| (offset + wave.data_offset, wave))
    }
}
