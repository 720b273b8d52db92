// SPDX-License-Identifier: GPL-2.0

//! The capture side: the ring that carries stamped bytes from the hard IRQ
//! to the softirq, and the capture stream that parses them into events
//! (`DMUS_STREAM_MIDI_CAPTURE`) and delivers them to the capture sink on
//! `put_message(None)`.

use super::poll::{Poller, Stream};
use super::regs::{Mpu401Io, RX_EMPTY};
use super::DRAIN_MAX;
use crate::dmus::{Error as DmusError, EventChain, KsState, Mxf, Parser, ReferenceTime};
use crate::port::{
    irqlock::{new_spinlock_irq, SpinLockIrq},
    pool::KPool,
    CaptureSink, CHANNEL_GROUP,
};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{prelude::*, sync::Arc};

/// Capture ring size, bytes.
const CAPTURE_RING: usize = 1024;

struct Ring {
    bytes: KVec<(ReferenceTime, u8)>,
    head: usize,
    len: usize,
}

/// Bytes from the hard IRQ to the capture stream, each with its arrival time.
#[pin_data]
pub(crate) struct CaptureRing {
    #[pin]
    ring: SpinLockIrq<Ring>,
    /// Input bytes lost because the ring was full.
    overruns: AtomicU64,
}

impl CaptureRing {
    /// An empty ring. `-ENOMEM` on allocation failure.
    pub(super) fn new() -> Result<Arc<Self>> {
        let mut bytes = KVec::with_capacity(CAPTURE_RING, GFP_KERNEL)?;
        for _ in 0..CAPTURE_RING {
            bytes.push((0, 0), GFP_KERNEL)?;
        }
        Arc::pin_init(
            pin_init!(Self {
                ring <- new_spinlock_irq!(Ring { bytes, head: 0, len: 0 }, c"dmus_capture_ring"),
                overruns: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// Takes up to `out.len()` bytes; returns how many.
    fn take(&self, out: &mut [(ReferenceTime, u8)]) -> usize {
        let mut ring = self.ring.lock();
        let n = ring.len.min(out.len());
        for slot in out.iter_mut().take(n) {
            let head = ring.head;
            *slot = ring.bytes.get(head).copied().unwrap_or((0, 0));
            ring.head = (head + 1) % CAPTURE_RING;
            ring.len -= 1;
        }
        n
    }

    /// Reads the chip's input FIFO into the ring (up to [`DRAIN_MAX`]
    /// bytes), each byte stamped with `clock()` read once, after the last
    /// byte was read: a byte that reached the FIFO while this drain ran is
    /// never stamped before it arrived. Returns how many bytes were read and
    /// how many of them the full ring had no room for (those are lost,
    /// counted in [`Self::overruns`]). Any context, hard IRQ included.
    pub(super) fn fill(
        &self,
        io: &dyn Mpu401Io,
        clock: impl FnOnce() -> ReferenceTime,
    ) -> (usize, u64) {
        let mut drained = 0;
        let mut lost = 0u64;
        {
            let mut ring = self.ring.lock();
            let first = ring.len;
            while drained < DRAIN_MAX && io.read_status() & RX_EMPTY == 0 {
                let byte = io.read_data();
                drained += 1;
                if ring.len == CAPTURE_RING {
                    lost += 1;
                    continue;
                }
                let tail = (ring.head + ring.len) % CAPTURE_RING;
                if let Some(slot) = ring.bytes.get_mut(tail) {
                    *slot = (0, byte);
                }
                ring.len += 1;
            }
            if drained > 0 {
                let now = clock();
                for i in first..ring.len {
                    let at = (ring.head + i) % CAPTURE_RING;
                    if let Some(slot) = ring.bytes.get_mut(at) {
                        slot.0 = now;
                    }
                }
            }
        }
        if lost > 0 {
            self.overruns.fetch_add(lost, Ordering::Relaxed);
        }
        (drained, lost)
    }

    /// Input bytes lost because the ring was full, since it was made.
    pub(super) fn overruns(&self) -> u64 {
        self.overruns.load(Ordering::Relaxed)
    }

    /// Whether no byte waits.
    fn is_empty(&self) -> bool {
        self.ring.lock().len == 0
    }

    fn clear(&self) {
        let mut ring = self.ring.lock();
        ring.head = 0;
        ring.len = 0;
    }

    /// Empties the ring and throws away what waits in the chip's input FIFO
    /// (up to [`DRAIN_MAX`] bytes), under the ring's lock, which the
    /// IRQ's drain also holds while it reads the chip. As snd-mpu401 clears
    /// its input on open: what arrived while nobody listened is not news.
    fn flush(&self, io: &dyn Mpu401Io) {
        let mut ring = self.ring.lock();
        let mut n = 0;
        while n < DRAIN_MAX && io.read_status() & RX_EMPTY == 0 {
            io.read_data();
            n += 1;
        }
        ring.head = 0;
        ring.len = 0;
    }
}

struct CaptureState {
    parser: Parser<KPool>,
    state: KsState,
    output: Option<Arc<CaptureSink>>,
    /// The ring's overrun count already reported to the output.
    overruns_seen: u64,
}

/// The capture stream: stamped bytes to events, delivered on
/// `put_message(None)`.
#[pin_data]
pub(crate) struct CaptureStream {
    io: Arc<dyn Mpu401Io>,
    ring: Arc<CaptureRing>,
    poller: Arc<Poller>,
    pool: KPool,
    #[pin]
    inner: SpinLockIrq<CaptureState>,
}

impl CaptureStream {
    /// A stream in STOP parsing what `ring` collects from `io` into events
    /// from `allocator`. `-ENOMEM` on allocation failure.
    pub(super) fn new(
        io: Arc<dyn Mpu401Io>,
        ring: Arc<CaptureRing>,
        poller: Arc<Poller>,
        allocator: KPool,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(CaptureStream {
                io,
                ring,
                poller,
                pool: allocator.clone(),
                inner <- new_spinlock_irq!(
                    CaptureState {
                        parser: Parser::new(allocator, CHANNEL_GROUP),
                        state: KsState::Stop,
                        output: None,
                        overruns_seen: 0,
                    },
                    c"dmus_capture_stream"
                ),
            }),
            GFP_KERNEL,
        )
    }
}

impl Mxf for CaptureStream {
    type Pool = KPool;
    type Output = Arc<CaptureSink>;

    /// RUN and PAUSE deliver; STOP and ACQUIRE throw input away. Leaving
    /// STOP empties the chip's input FIFO first. A polled chip is polled
    /// while the stream is not in STOP.
    fn set_state(&self, state: KsState) -> core::result::Result<(), DmusError> {
        self.poller
            .stream_state(Stream::Capture, state != KsState::Stop);
        let mut st = self.inner.lock();
        let was_stopped = st.state == KsState::Stop;
        st.state = state;
        if state == KsState::Stop {
            st.parser.reset();
            self.ring.clear();
        } else if was_stopped {
            self.ring.flush(&*self.io);
        }
        Ok(())
    }

    /// `None`: parse what the IRQ collected and deliver it. Softirq.
    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        if chain.is_some() {
            return Err(DmusError::InvalidArgument);
        }
        // Input the ring lost since the last pass: the sink reports it.
        let overruns = self.ring.overruns();
        let lost = {
            let mut st = self.inner.lock();
            let lost = overruns.wrapping_sub(st.overruns_seen);
            st.overruns_seen = overruns;
            (lost > 0)
                .then(|| st.output.clone())
                .flatten()
                .map(|o| (o, lost))
        };
        if let Some((output, lost)) = lost {
            output.input_lost(lost);
        }
        let mut batch = [(0, 0u8); 64];
        loop {
            let n = self.ring.take(&mut batch);
            if n == 0 {
                break;
            }
            let mut guard = self.inner.lock();
            let st = &mut *guard;
            let mut events = EventChain::new(self.pool.clone());
            for &(time, byte) in &batch[..n] {
                st.parser.feed_byte(byte, time, &mut |event| {
                    let _ = events.push_back(event);
                });
            }
            if st.parser.is_mid_message() && self.ring.is_empty() {
                st.parser.flush(|event| {
                    let _ = events.push_back(event);
                });
            }
            let deliver = st.state.capture_disposition() == crate::dmus::Disposition::Deliver;
            let output = st.output.clone();
            drop(guard);
            match (deliver, output) {
                (true, Some(output)) => {
                    let _ = output.put_message(Some(events));
                }
                _ => drop(events),
            }
        }
        Ok(())
    }

    fn connect_output(&self, sink: Arc<CaptureSink>) -> core::result::Result<(), DmusError> {
        self.inner.lock().output = Some(sink);
        Ok(())
    }

    fn disconnect_output(&self, sink: &Arc<CaptureSink>) -> core::result::Result<(), DmusError> {
        let mut st = self.inner.lock();
        if st.output.as_ref().is_some_and(|s| Arc::ptr_eq(s, sink)) {
            st.output = None;
        }
        Ok(())
    }
}
