// SPDX-License-Identifier: GPL-2.0

//! The render stream (`DMUS_STREAM_MIDI_RENDER`): events packed to bytes
//! and written to the chip's data port while `TX_FULL` is clear, with a
//! retry timer for a full FIFO and the stuck-output rule.

use super::poll::{Poller, Stream};
use super::regs::{Mpu401Io, TX_FULL};
use crate::dmus::{Error as DmusError, EventChain, KsState, Mxf, Packer, RunningStatus};
use crate::port::{
    clock::KernelClock,
    irqlock::{new_spinlock_irq, SpinLockIrq},
    pool::KPool,
    timer::ServiceTimer,
    RenderOutput,
};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::{
    device::Device,
    prelude::*,
    sync::{aref::ARef, Arc},
};

/// How long `TX_FULL` may stay set before the output is declared stuck,
/// nanoseconds (a working chip clears it within a byte's wire time, 320 us).
pub(crate) const STUCK_NS: i64 = 500_000_000;
/// While the output is stuck, how often the chip is asked again, nanoseconds.
const STUCK_RETRY_NS: u64 = 100_000_000;

struct RenderState {
    queue: EventChain<KPool>,
    packer: Packer,
    state: KsState,
    /// When `TX_FULL` was first seen set without a byte taken since
    /// (`CLOCK_MONOTONIC` ns).
    full_since: Option<i64>,
    /// The chip's output FIFO depth as learned: the most bytes one pass
    /// wrote before `TX_FULL` (a pass starting on an empty FIFO fills it).
    fifo_bytes: usize,
}

/// The render stream: events to the chip's data port.
///
/// A chip whose `TX_FULL` stays set for [`STUCK_NS`] (gone, or stuck) makes
/// the output *stuck*: what is queued and what comes later is discarded
/// (counted, one `dev_err`) instead of waiting forever, so that writers and
/// drains end; the chip is asked again every 100 ms, and output resumes
/// (`dev_info`) when it takes bytes.
#[pin_data]
pub(crate) struct RenderStream {
    io: Arc<dyn Mpu401Io>,
    poller: Arc<Poller>,
    #[pin]
    inner: SpinLockIrq<RenderState>,
    retry: Arc<ServiceTimer>,
    retry_ns: u64,
    dev: ARef<Device>,
    /// Bytes written to the data port.
    pub(crate) written: AtomicU64,
    /// Whether the output is stuck now.
    stuck: AtomicBool,
    /// Events discarded because the output was stuck, since creation.
    discarded: AtomicU64,
}

impl RenderStream {
    /// A stream in STOP writing to `io`, its events from `allocator`;
    /// `retry` serves it when `TX_FULL` is set, after at least `retry_ns`;
    /// `dev` names it in messages. `-ENOMEM` on allocation failure.
    pub(super) fn new(
        io: Arc<dyn Mpu401Io>,
        poller: Arc<Poller>,
        allocator: KPool,
        retry: Arc<ServiceTimer>,
        retry_ns: u64,
        dev: ARef<Device>,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(RenderStream {
                io,
                poller,
                inner <- new_spinlock_irq!(
                    RenderState {
                        queue: EventChain::new(allocator),
                        packer: Packer::new(RunningStatus::Preserve),
                        state: KsState::Stop,
                        full_since: None,
                        fifo_bytes: 1,
                    },
                    c"dmus_render_stream"
                ),
                retry,
                retry_ns,
                dev,
                written: AtomicU64::new(0),
                stuck: AtomicBool::new(false),
                discarded: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether the chip takes a byte now; tracks how long it has not, and
    /// declares the output stuck (or no longer stuck).
    fn chip_ready(&self, full_since: &mut Option<i64>) -> bool {
        let now = KernelClock::now_ns();
        if self.io.read_status() & TX_FULL == 0 {
            *full_since = None;
            if self.stuck.swap(false, Ordering::Relaxed) {
                dev_info!(
                    self.dev,
                    "output resumed: the MPU-401 takes bytes again ({} events discarded since load)\n",
                    self.discarded.load(Ordering::Relaxed)
                );
            }
            return true;
        }
        let since = *full_since.get_or_insert(now);
        if now - since >= STUCK_NS && !self.stuck.swap(true, Ordering::Relaxed) {
            dev_err!(
                self.dev,
                "output stuck: TX_FULL set for {} ms; discarding output until the MPU-401 takes bytes again\n",
                STUCK_NS / 1_000_000
            );
        }
        false
    }

    /// Returns every queued event to the pool, counted as discarded.
    fn discard_queued(&self, st: &mut RenderState) {
        st.packer.abort_event();
        let pool = st.queue.pool().clone();
        let old = core::mem::replace(&mut st.queue, EventChain::new(pool));
        let n = old.iter().count() as u64;
        self.discarded.fetch_add(n, Ordering::Relaxed);
        drop(old);
    }

    /// Writes queued events while the chip takes bytes; arms the retry timer
    /// when `TX_FULL` is set, for when a quarter of the chip's FIFO (as
    /// learned, at least one byte) has gone out: the FIFO never runs dry
    /// while the timer is on time, and a deep FIFO is refilled in batches,
    /// not a byte per wakeup. A fully written event goes back to the pool.
    /// While the output is stuck, discards instead and asks the chip again
    /// every [`STUCK_RETRY_NS`].
    fn write_queued(&self, st: &mut RenderState) {
        if st.state != KsState::Run {
            return;
        }
        if self.stuck.load(Ordering::Relaxed) && !self.chip_ready(&mut st.full_since) {
            self.discard_queued(st);
            self.retry.arm(STUCK_RETRY_NS);
            return;
        }
        let mut written = 0usize;
        while let Some(event) = st.queue.front() {
            // A package plays in place: its members replace it at the front.
            if event.is_package() {
                drop(
                    st.queue
                        .pop_front_unpacked()
                        .map(|e| st.queue.push_front(e)),
                );
                continue;
            }
            loop {
                if !self.chip_ready(&mut st.full_since) {
                    if self.stuck.load(Ordering::Relaxed) {
                        self.discard_queued(st);
                        self.retry.arm(STUCK_RETRY_NS);
                    } else {
                        st.fifo_bytes = st.fifo_bytes.max(written);
                        let bytes = (st.fifo_bytes / 4).max(1) as u64;
                        self.retry.arm(self.retry_ns.saturating_mul(bytes));
                    }
                    return;
                }
                let mut byte = [0u8; 1];
                let packed = st.packer.pack_event(&event, &mut byte);
                if packed.written == 1 {
                    self.io.write_data(byte[0]);
                    self.written.fetch_add(1, Ordering::Relaxed);
                    written += 1;
                }
                if packed.done {
                    break;
                }
            }
            drop(st.queue.pop_front());
        }
    }
}

impl RenderOutput for RenderStream {
    /// The chip's own answer (only the virtual MPU-401 has one).
    fn output_idle(&self) -> Option<bool> {
        self.io.tx_idle()
    }

    fn output_stuck(&self) -> bool {
        self.stuck.load(Ordering::Relaxed)
    }

    fn output_discarded(&self) -> u64 {
        self.discarded.load(Ordering::Relaxed)
    }
}

impl Mxf for RenderStream {
    type Pool = KPool;
    type Output = ();

    /// RUN writes; PAUSE and ACQUIRE hold; STOP discards to the allocator.
    /// A polled chip is polled while the stream is not in STOP.
    fn set_state(&self, state: KsState) -> core::result::Result<(), DmusError> {
        self.poller
            .stream_state(Stream::Render, state != KsState::Stop);
        let discarded = {
            let mut st = self.inner.lock();
            st.state = state;
            if state == KsState::Stop {
                st.packer.abort_event();
                let pool = st.queue.pool().clone();
                Some(core::mem::replace(&mut st.queue, EventChain::new(pool)))
            } else {
                self.write_queued(&mut st);
                None
            }
        };
        drop(discarded);
        Ok(())
    }

    /// Queues `chain` (sequenced by the port) and writes what the chip takes.
    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        let mut st = self.inner.lock();
        if let Some(chain) = chain {
            if let Err(chain) = st.queue.append(chain) {
                drop(st);
                drop(chain);
                return Err(DmusError::ForeignPool);
            }
        }
        self.write_queued(&mut st);
        Ok(())
    }

    fn connect_output(&self, _sink: ()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }

    fn disconnect_output(&self, _sink: &()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }
}
