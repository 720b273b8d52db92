// SPDX-License-Identifier: GPL-2.0

//! Builds DMus downloads and `DMBK` banks from plain structs, and reads them back (host only:
//! it allocates). Used by the tests, the fuzzer, and the SoundFont converter.
//!
//! Layout of what it writes (and what `builtin.rs` builds the same way): the header, the
//! offset table, then the chunks in index order, each starting on a multiple of 4 bytes.
//! Instrument chunks: `DMUS_INSTRUMENT` (index 0), the global articulation's two chunks, then
//! each region followed by its own articulation's two chunks. An articulation is
//! `DMUS_ARTICULATION` + `DMUS_ARTICPARAMS` for `DMUS_DOWNLOADINFO_INSTRUMENT`, or
//! `DMUS_ARTICULATION2` + a `CONNECTIONLIST` of the parameters that differ from the defaults,
//! in `DMUS_ARTICPARAMS` order, for `DMUS_DOWNLOADINFO_INSTRUMENT2`. Wave chunks:
//! `DMUS_WAVE` (32 bytes with its tail padding), `DMUS_WAVEDATA`.
//!
//! For every struct `x` the writer accepts, `read(parse(write(x))) == x`.

use alloc::vec::Vec;

use crate::articulation::{
    Articulation,
    CONNECTIONS,
    PARAMS, //
};
use crate::bank::{
    Bank,
    BANK_MAGIC,
    BANK_VERSION, //
};
use crate::download::Download;
use crate::layout::{
    CONNECTIONLIST_SIZE,
    DMUS_DOWNLOADINFO_INSTRUMENT,
    DMUS_DOWNLOADINFO_INSTRUMENT2,
    DMUS_DOWNLOADINFO_WAVE,
    DOWNLOADINFO_SIZE,
    WAVELINK_CHANNEL_LEFT,
    WAVE_FORMAT_PCM,
    WLOOP_SIZE,
    WSMPL_SIZE, //
};
use crate::region::Region;
use crate::wave::WaveFormat;

/// Which articulation format an instrument download uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArticFormat {
    /// `DMUS_DOWNLOADINFO_INSTRUMENT`: `DMUS_ARTICULATION` -> `DMUS_ARTICPARAMS`.
    Params,
    /// `DMUS_DOWNLOADINFO_INSTRUMENT2`: `DMUS_ARTICULATION2` -> `CONNECTIONLIST`.
    Connections,
}

/// An instrument download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstrumentDef {
    /// `dwDLId`.
    pub id: u32,
    /// `ulPatch`.
    pub patch: u32,
    /// `ulFlags`.
    pub flags: u32,
    /// The download type.
    pub format: ArticFormat,
    /// The global articulation.
    pub global: Option<Articulation>,
    /// The regions, in list order (each may have its own articulation).
    pub regions: Vec<Region>,
}

/// A wave download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaveDef {
    /// `dwDLId`.
    pub id: u32,
    /// The format.
    pub format: WaveFormat,
    /// The sample bytes.
    pub data: Vec<u8>,
}

/// One download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownloadDef {
    /// An instrument.
    Instrument(InstrumentDef),
    /// A wave.
    Wave(WaveDef),
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// A download of type `kind` and id `id` made of `chunks` (index i = chunk i).
fn assemble(kind: u32, id: u32, chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut offsets = Vec::new();
    let mut pos = DOWNLOADINFO_SIZE + 4 * chunks.len();
    for c in chunks {
        pos = pos.next_multiple_of(4);
        offsets.push(pos);
        pos += c.len();
    }
    let mut b = Vec::with_capacity(pos);
    for v in [kind, id, chunks.len() as u32, pos as u32] {
        put32(&mut b, v);
    }
    for &o in &offsets {
        put32(&mut b, o as u32);
    }
    for (c, &o) in chunks.iter().zip(&offsets) {
        b.resize(o, 0);
        b.extend_from_slice(c);
    }
    b
}

/// The two chunks of an articulation whose first chunk has index `idx`.
fn articulation(art: &Articulation, format: ArticFormat, idx: u32) -> [Vec<u8>; 2] {
    let mut head = Vec::new();
    let mut body = Vec::new();
    match format {
        ArticFormat::Params => {
            put32(&mut head, idx + 1);
            put32(&mut head, 0);
            for i in 0..PARAMS {
                put32(&mut body, art.param(i) as u32);
            }
        }
        ArticFormat::Connections => {
            for v in [idx + 1, 0, 0] {
                put32(&mut head, v);
            }
            let default = Articulation::default();
            let changed: Vec<usize> = (0..PARAMS)
                .filter(|&i| art.param(i) != default.param(i))
                .collect();
            put32(&mut body, CONNECTIONLIST_SIZE as u32);
            put32(&mut body, changed.len() as u32);
            for i in changed {
                let (s, c, d) = CONNECTIONS[i];
                for v in [s, c, d, 0] {
                    put16(&mut body, v);
                }
                put32(&mut body, art.param(i) as u32);
            }
        }
    }
    [head, body]
}

/// The `DMUS_REGION` of `r`, whose own articulation (if any) has index `art` and whose
/// successor has index `next`.
fn region(r: &Region, art: u32, next: u32) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [r.key_low, r.key_high, r.vel_low, r.vel_high] {
        put16(&mut b, v.into());
    }
    put16(&mut b, r.options);
    put16(&mut b, r.key_group);
    for v in [art, next, 0] {
        put32(&mut b, v);
    }
    put16(&mut b, r.link.options);
    put16(&mut b, r.link.phase_group);
    put32(&mut b, WAVELINK_CHANNEL_LEFT);
    put32(&mut b, r.link.wave_id);
    put32(&mut b, WSMPL_SIZE);
    put16(&mut b, r.unity_note.into());
    put16(&mut b, r.fine_tune as u16);
    put32(&mut b, r.attenuation as u32);
    put32(&mut b, r.wsmp_options);
    match r.wave_loop {
        Some(l) => {
            for v in [1, WLOOP_SIZE, l.loop_type, l.start, l.length] {
                put32(&mut b, v);
            }
        }
        None => b.resize(b.len() + 20, 0),
    }
    b
}

impl InstrumentDef {
    /// The download's bytes.
    pub fn write(&self) -> Vec<u8> {
        let kind = match self.format {
            ArticFormat::Params => DMUS_DOWNLOADINFO_INSTRUMENT,
            ArticFormat::Connections => DMUS_DOWNLOADINFO_INSTRUMENT2,
        };
        let mut chunks = alloc::vec![Vec::new()];
        let global = match &self.global {
            Some(art) => {
                chunks.extend(articulation(art, self.format, 1));
                1
            }
            None => 0,
        };
        let mut idx = chunks.len() as u32;
        for (k, r) in self.regions.iter().enumerate() {
            let own = r.articulation.map_or(0, |_| 2);
            let next = if k + 1 < self.regions.len() {
                idx + 1 + own
            } else {
                0
            };
            let art = if own != 0 { idx + 1 } else { 0 };
            chunks.push(region(r, art, next));
            if let Some(a) = &r.articulation {
                chunks.extend(articulation(a, self.format, idx + 1));
            }
            idx += 1 + own;
        }
        let first_region = if self.regions.is_empty() {
            0
        } else {
            1 + 2 * global
        };
        for v in [self.patch, first_region, global, 0, 0, self.flags] {
            put32(&mut chunks[0], v);
        }
        assemble(kind, self.id, &chunks)
    }
}

impl WaveDef {
    /// The download's bytes.
    pub fn write(&self) -> Vec<u8> {
        let f = &self.format;
        let mut wave = Vec::new();
        for v in [0, 0, 1] {
            put32(&mut wave, v);
        }
        put16(&mut wave, WAVE_FORMAT_PCM);
        put16(&mut wave, 1);
        put32(&mut wave, f.rate);
        put32(&mut wave, f.byte_rate);
        put16(&mut wave, f.block_align());
        put16(&mut wave, f.bits);
        put16(&mut wave, f.extra);
        put16(&mut wave, 0);
        let mut data = Vec::new();
        put32(&mut data, self.data.len() as u32);
        data.extend_from_slice(&self.data);
        assemble(DMUS_DOWNLOADINFO_WAVE, self.id, &[wave, data])
    }
}

impl DownloadDef {
    /// `dwDLId`.
    pub fn id(&self) -> u32 {
        match self {
            DownloadDef::Instrument(i) => i.id,
            DownloadDef::Wave(w) => w.id,
        }
    }

    /// The download's bytes.
    pub fn write(&self) -> Vec<u8> {
        match self {
            DownloadDef::Instrument(i) => i.write(),
            DownloadDef::Wave(w) => w.write(),
        }
    }

    /// The struct of a validated download.
    pub fn read(dl: &Download<'_>) -> Option<DownloadDef> {
        if let Some(inst) = dl.instrument() {
            let format = if dl.dl_type() == DMUS_DOWNLOADINFO_INSTRUMENT {
                ArticFormat::Params
            } else {
                ArticFormat::Connections
            };
            return Some(DownloadDef::Instrument(InstrumentDef {
                id: dl.id(),
                patch: inst.patch(),
                flags: inst.flags(),
                format,
                global: inst.global_articulation(),
                regions: inst.regions().collect(),
            }));
        }
        let w = dl.wave()?;
        Some(DownloadDef::Wave(WaveDef {
            id: w.id,
            format: w.format,
            data: w.data.to_vec(),
        }))
    }
}

/// A bank of download bytes, sorted by their `dwDLId` (read from each header; a slice too
/// short for a header sorts first).
pub fn bank_from_downloads(downloads: &[&[u8]]) -> Vec<u8> {
    let id = |d: &[u8]| {
        d.get(4..8)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut sorted = downloads.to_vec();
    sorted.sort_by_key(|d| id(d));
    let mut b = BANK_MAGIC.to_vec();
    put32(&mut b, BANK_VERSION);
    put32(&mut b, sorted.len() as u32);
    for d in sorted {
        put32(&mut b, d.len() as u32);
        b.extend_from_slice(d);
        b.resize(b.len().next_multiple_of(4), 0);
    }
    b
}

/// The bank of `downloads`, in id order.
pub fn write_bank(downloads: &[DownloadDef]) -> Vec<u8> {
    let bytes: Vec<Vec<u8>> = downloads.iter().map(DownloadDef::write).collect();
    let slices: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    bank_from_downloads(&slices)
}

/// The structs of a validated bank's downloads, in id order.
pub fn read_bank(bank: &Bank<'_>) -> Vec<DownloadDef> {
    bank.downloads()
        .filter_map(|d| DownloadDef::read(&d))
        .collect()
}
