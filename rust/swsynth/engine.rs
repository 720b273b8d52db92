// SPDX-License-Identifier: GPL-2.0

//! The kernel's handle on the pure synthesizer engine (`rust/synth/`): the
//! engine with its bank, rendering S16_LE stereo bytes, and the queued form
//! of a MIDI channel message.

use crate::dmus::ReferenceTime;
use crate::synth::{builtin, Bank, Synth};
use kernel::prelude::*;

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

/// The engine with the bank it plays from (the built-in bank).
pub(crate) struct Engine {
    synth: KBox<Synth>,
    bank: Bank<'static>,
}

/// A synth at the default rate, built at compile time: [`Engine::new`]
/// copies it into its box (the synth is 9.5 KB, too big for the stack).
const PROTOTYPE: Synth = match Synth::new(48_000) {
    Ok(synth) => synth,
    Err(_) => panic!("48 kHz is a valid rate"),
};

impl Engine {
    /// An engine at `rate` frames a second. `-EINVAL` for a rate the engine
    /// refuses, `-ENOMEM`.
    pub(crate) fn new(rate: u32) -> Result<KBox<Self>> {
        let mut synth = KBox::write(KBox::new_uninit(GFP_KERNEL)?, PROTOTYPE);
        synth.set_rate(rate).map_err(|_| EINVAL)?;
        Ok(KBox::new(
            Self {
                synth,
                bank: builtin::bank(),
            },
            GFP_KERNEL,
        )?)
    }

    /// Applies one MIDI channel message at the next frame.
    pub(crate) fn midi(&mut self, bytes: &[u8]) {
        self.synth.midi(&self.bank, bytes);
    }

    /// Renders `out.len() / 4` frames as S16_LE stereo bytes.
    pub(crate) fn render_bytes(&mut self, out: &mut [u8]) {
        let mut chunk = [0i16; CHUNK_FRAMES * 2];
        let mut done = 0;
        while done + 4 <= out.len() {
            let n = ((out.len() - done) / 4).min(CHUNK_FRAMES);
            let samples = &mut chunk[..n * 2];
            self.synth.render(&self.bank, samples);
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
