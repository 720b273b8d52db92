// SPDX-License-Identifier: GPL-2.0

//! The synthesizer's render stream (`DMUS_STREAM_MIDI_RENDER`): the port's
//! sequencer hands it events when they are due, and it queues each channel
//! message in the wave sink for its presentation time.

use super::engine::parse_bank;
use super::sink::WaveSink;
use crate::dmus::{Error as DmusError, EventChain, KsState, Mxf};
use crate::port::{pool::KPool, RenderOutput};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{prelude::*, sync::Arc};

/// The render stream: MIDI events to the wave sink's queue.
pub(crate) struct SynthRender {
    sink: Arc<WaveSink>,
    /// System messages (SysEx, common, real time) the synthesizer ignores.
    pub(crate) ignored: AtomicU64,
}

impl SynthRender {
    /// A stream feeding `sink`. `-ENOMEM` on allocation failure.
    pub(crate) fn new(sink: Arc<WaveSink>) -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                sink,
                ignored: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    fn queue(&self, pres: i64, data: &[u8]) {
        match data.first() {
            Some(&status) if (0x80..0xf0).contains(&status) && data.len() <= 3 => {
                self.sink.queue_event(pres, data)
            }
            _ => {
                self.ignored.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Mxf for SynthRender {
    type Pool = KPool;
    type Output = ();

    /// Every state plays: the synthesizer holds nothing (the port's
    /// sequencer holds timed events outside RUN).
    fn set_state(&self, _state: KsState) -> core::result::Result<(), DmusError> {
        Ok(())
    }

    /// Queues each channel message of `chain` (a package's members in
    /// order) in the sink; the events go back to the pool.
    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        let Some(chain) = chain else {
            return Ok(());
        };
        for event in chain.iter() {
            if event.is_package() {
                for member in event.package_iter() {
                    self.queue(member.pres_time(), member.data());
                }
            } else {
                self.queue(event.pres_time(), event.data());
            }
        }
        drop(chain);
        Ok(())
    }

    fn connect_output(&self, _sink: ()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }

    fn disconnect_output(&self, _sink: &()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }
}

impl RenderOutput for SynthRender {
    fn loads_banks(&self) -> bool {
        true
    }

    /// Validates the bank, then hands it to the wave sink, which plays it
    /// from its next tick (`WaveSink::load_bank`).
    fn load_bank(&self, bytes: Option<KVVec<u8>>) -> Result {
        let bank = match bytes {
            Some(bytes) => Some(parse_bank(bytes).map_err(|e| {
                pr_debug!("bank refused: {:?}\n", e);
                EINVAL
            })?),
            None => None,
        };
        self.sink.load_bank(bank);
        Ok(())
    }
}
