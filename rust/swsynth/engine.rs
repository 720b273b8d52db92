// SPDX-License-Identifier: GPL-2.0

//! The kernel's handle on the pure synthesizer engine (`rust/synth/`): the
//! engine with its bank (the built-in one, or one loaded from a firmware file
//! or through the DMus device), rendering S16_LE stereo bytes, and the queued
//! form of a MIDI channel message.

use crate::dmus::ReferenceTime;
use crate::synth::{builtin, Bank, OwnedBank, Synth};
use kernel::prelude::*;

/// A bank loaded at run time: its bytes, validated by [`OwnedBank::parse`].
pub(crate) type LoadedBank = OwnedBank<KVVec<u8>>;

/// Validates `bytes` as a bank (the `DMBK` container of DMus downloads,
/// `rust/synth/bank.rs`). Errors: the first problem found (which
/// `-EINVAL` reports to user space); the bytes are then freed.
pub(crate) fn parse_bank(
    bytes: KVVec<u8>,
) -> core::result::Result<LoadedBank, crate::synth::Error> {
    OwnedBank::parse(bytes)
}

/// The bank of `loaded`, or the built-in one.
fn bank_of(loaded: &Option<LoadedBank>) -> Bank<'_> {
    match loaded {
        Some(b) => b.bank(),
        None => builtin::bank(),
    }
}

/// Frames the engine renders per call into its own buffer.
const CHUNK_FRAMES: usize = 64;

/// One MIDI channel message waiting for its sample.
#[derive(Clone, Copy, Default)]
pub(crate) struct Queued {
    /// Its presentation time, 100 ns.
    pub(crate) pres: ReferenceTime,
    len: u8,
    data: [u8; 3],
}

impl Queued {
    /// The message `bytes` (1 to 3 bytes) at `pres`; `None` if longer.
    pub(crate) fn new(pres: ReferenceTime, bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() || bytes.len() > 3 {
            return None;
        }
        let mut data = [0; 3];
        data[..bytes.len()].copy_from_slice(bytes);
        Some(Self {
            pres,
            len: bytes.len() as u8,
            data,
        })
    }

    /// The message.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

/// The engine with the bank it plays from.
pub(crate) struct Engine {
    synth: KBox<Synth>,
    /// The loaded bank, or `None` for the built-in one.
    loaded: Option<LoadedBank>,
}

/// A synth at the default rate, built at compile time: [`Engine::new`]
/// copies it into its box (the synth is 13 KB, too big for the stack).
const PROTOTYPE: Synth = match Synth::new(48_000) {
    Ok(synth) => synth,
    Err(_) => panic!("48 kHz is a valid rate"),
};

impl Engine {
    /// An engine at `rate` frames a second playing `bank` (`None`: the
    /// built-in bank). `-EINVAL` for a rate the engine refuses, `-ENOMEM`.
    pub(crate) fn new(rate: u32, bank: Option<LoadedBank>) -> Result<KBox<Self>> {
        let mut synth = KBox::write(KBox::new_uninit(GFP_KERNEL)?, PROTOTYPE);
        synth.set_rate(rate).map_err(|_| EINVAL)?;
        Ok(KBox::new(
            Self {
                synth,
                loaded: bank,
            },
            GFP_KERNEL,
        )?)
    }

    /// Plays `bank` from now on (`None`: the built-in bank): the voices
    /// sounding stop, the channels keep their programs. Returns the bank
    /// replaced, for the caller to free outside its locks.
    pub(crate) fn replace_bank(&mut self, bank: Option<LoadedBank>) -> Option<LoadedBank> {
        self.synth.forget_bank();
        core::mem::replace(&mut self.loaded, bank)
    }

    /// The bank's size in bytes and its number of downloads.
    pub(crate) fn bank_size(&self) -> (usize, usize) {
        let bank = bank_of(&self.loaded);
        (bank.as_bytes().len(), bank.len())
    }

    /// Applies one MIDI channel message at the next frame.
    pub(crate) fn midi(&mut self, bytes: &[u8]) {
        self.synth.midi(&bank_of(&self.loaded), bytes);
    }

    /// Renders `out.len() / 4` frames as S16_LE stereo bytes.
    pub(crate) fn render_bytes(&mut self, out: &mut [u8]) {
        let mut chunk = [0i16; CHUNK_FRAMES * 2];
        let mut done = 0;
        while done + 4 <= out.len() {
            let n = ((out.len() - done) / 4).min(CHUNK_FRAMES);
            let samples = &mut chunk[..n * 2];
            self.synth.render(&bank_of(&self.loaded), samples);
            for (i, sample) in samples.iter().enumerate() {
                let [lo, hi] = sample.to_le_bytes();
                if let Some(b) = out.get_mut(done + 2 * i..done + 2 * i + 2) {
                    b[0] = lo;
                    b[1] = hi;
                }
            }
            done += n * 4;
        }
    }

    /// Voices sounding now.
    pub(crate) fn active_voices(&self) -> usize {
        self.synth.active_voices()
    }

    /// Back to a new engine's state (render position 0, channels at
    /// power-on, silent), so that the capture it renders next can be
    /// replayed from a fresh engine.
    pub(crate) fn restart(&mut self) {
        self.synth.restart();
    }

    /// Releases `n` voices (the oldest, lowest-priority ones).
    pub(crate) fn shed(&mut self, n: usize) {
        self.synth.shed(n);
    }
}
