// SPDX-License-Identifier: GPL-2.0

//! The port's capture sink: what the capture stream's events become, rawmidi
//! bytes for the rawmidi input (running status as received) and records for
//! the DMus device's readers. The stream calls its `put_message` from the
//! service tasklet; the rawmidi input substream is borrowed from the card's
//! [`RawmidiLink`].

use super::alsa::RawmidiLink;
use super::dmusdev::DmusDev;
use super::irqlock::{new_spinlock_irq, SpinLockIrq};
use super::pool::KPool;
use crate::dmus::{Error as DmusError, EventChain, KsState, Mxf, Packer, RunningStatus};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::{prelude::*, sync::Arc};

struct CaptureState {
    packer: Packer,
}

/// The capture sink: events from the capture stream to rawmidi bytes.
#[pin_data]
pub(crate) struct CaptureSink {
    #[pin]
    state: SpinLockIrq<CaptureState>,
    up: AtomicBool,
    /// Bytes handed to ALSA.
    pub(crate) delivered: AtomicU64,
    /// Bytes dropped because nobody was reading, or ALSA's buffer was full.
    pub(crate) discarded: AtomicU64,
    /// The DMus device, whose readers get every captured event.
    pub(super) dmus: Arc<DmusDev>,
    /// The rawmidi device's open substreams (the input's bytes go there).
    pub(super) link: Arc<RawmidiLink>,
}

impl CaptureSink {
    /// Creates the sink, logging for `dmus`, with the link its card's
    /// rawmidi device will use ([`Port::link`]); `-ENOMEM` on allocation
    /// failure.
    pub(crate) fn new(dmus: Arc<DmusDev>) -> Result<Arc<Self>> {
        let link = RawmidiLink::new()?;
        Arc::pin_init(
            pin_init!(Self {
                state <- new_spinlock_irq!(
                    CaptureState { packer: Packer::new(RunningStatus::Preserve) },
                    c"dmus_capture_sink"
                ),
                up: AtomicBool::new(false),
                delivered: AtomicU64::new(0),
                discarded: AtomicU64::new(0),
                dmus,
                link,
            }),
            GFP_KERNEL,
        )
    }

    /// The rawmidi input opened: a fresh running status.
    pub(super) fn attach(&self) {
        self.state.lock().packer.reset();
    }

    /// The rawmidi input closes: nothing more for it.
    pub(super) fn detach(&self) {
        self.up.store(false, Ordering::Release);
    }

    pub(super) fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Release);
    }

    /// The capture stream lost `n` input bytes (its ring overran): the DMus
    /// status counts them and the readers' next buffer says so. Softirq.
    pub(crate) fn input_lost(&self, n: u64) {
        self.dmus.input_lost(n);
    }
}

impl Mxf for CaptureSink {
    type Pool = KPool;
    type Output = ();

    fn set_state(&self, _state: KsState) -> core::result::Result<(), DmusError> {
        Ok(())
    }

    /// Packs each event (running status as received) into rawmidi bytes.
    /// Softirq. The chain goes back to its pool.
    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        let Some(chain) = chain else {
            return Ok(());
        };
        self.dmus.record(&chain);
        let mut guard = self.state.lock();
        let state = &mut *guard;
        self.link.with_input(|input| {
            let input = input.filter(|_| self.up.load(Ordering::Acquire));
            for event in chain.iter() {
                let mut buf = [0u8; 64];
                loop {
                    let packed = state.packer.pack_event(&event, &mut buf);
                    let bytes = &buf[..packed.written];
                    match input {
                        Some(input) => {
                            let taken = input.receive(bytes);
                            self.delivered.fetch_add(taken as u64, Ordering::Relaxed);
                            self.discarded
                                .fetch_add((bytes.len() - taken) as u64, Ordering::Relaxed);
                        }
                        None => {
                            self.discarded
                                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        }
                    }
                    if packed.done {
                        break;
                    }
                }
            }
        });
        drop(guard);
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
