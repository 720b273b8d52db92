// SPDX-License-Identifier: GPL-2.0

//! The MPU-401 UART miniport: handshake, IRQ, render and capture streams.
//!
//! Contexts (see Documentation/design.rst):
//! - hard IRQ (the threaded IRQ's primary half): drains the chip's input FIFO
//!   into the capture ring, each byte stamped with the master clock, and calls
//!   `PortDMus::notify`. The FIFO may be one byte deep with a byte every
//!   320 us, so this cannot wait for a thread.
//! - IRQ thread: reports input overruns (`dev_warn`), nothing else.
//! - softirq (the service group's tasklet): the port's render pump calls the
//!   render stream's `put_message`, which writes while `TX_FULL` is clear and
//!   arms a [`ServiceTimer`] when it is set; the capture stream's
//!   `put_message(None)` parses the ring and delivers to the capture sink.
//! - process: handshake, `set_state`, teardown.

use super::poll::{Poller, Stream};
use super::regs::{Mpu401Io, ACK, ENTER_UART, RESET, RX_EMPTY, TX_FULL};
use crate::dmus::{
    DmusStreamType, Error as DmusError, EventChain, KsState, MasterClock, MiniportDMus, Mxf,
    NewStream, Packer, Parser, PortDMus, ReferenceTime, RunningStatus, ServiceGroup,
};
use crate::port::{
    clock::KernelClock,
    irqlock::{new_spinlock_irq, SpinLockIrq},
    pool::KPool,
    service::KernelServiceGroup,
    timer::ServiceTimer,
    CaptureSink, Port, PortService, RenderOutput, CHANNEL_GROUP,
};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::{
    device::{Bound, Device},
    irq::{IrqReturn, ThreadedHandler, ThreadedIrqReturn},
    prelude::*,
    sync::{aref::ARef, Arc},
    time::{delay::fsleep, Delta},
};

/// How long the handshake waits for an ACK, microseconds (as the WDK sample).
const ACK_TIMEOUT_US: u32 = 50_000;
/// The most bytes one interrupt drains (a stuck `RX_EMPTY` cannot hang it).
const IRQ_DRAIN_MAX: usize = 256;
/// Capture ring size, bytes.
const CAPTURE_RING: usize = 1024;
/// How long `TX_FULL` may stay set before the output is declared stuck,
/// nanoseconds (a working chip clears it within a byte's wire time, 320 us).
pub(crate) const STUCK_NS: i64 = 500_000_000;
/// While the output is stuck, how often the chip is asked again, nanoseconds.
const STUCK_RETRY_NS: u64 = 100_000_000;

/// Why the handshake failed, with what the chip showed.
pub(crate) struct HandshakeError {
    /// The command that got no ACK.
    pub(crate) cmd: u8,
    /// The last status byte read.
    pub(crate) status: u8,
    /// The last data byte read (0xff when none was read).
    pub(crate) data: u8,
}

/// Writes `cmd` and waits up to [`ACK_TIMEOUT_US`] for [`ACK`]. Bytes other
/// than ACK (pending MIDI input) are skipped, up to [`IRQ_DRAIN_MAX`] of them:
/// a port whose status never shows `RX_EMPTY` and never sends ACK (no chip,
/// or a stuck one) fails instead of hanging. Process context.
fn command(io: &dyn Mpu401Io, cmd: u8) -> core::result::Result<(), HandshakeError> {
    let mut status = io.read_status();
    let mut data = 0xff;
    io.write_command(cmd);
    let mut waited = 0;
    let mut skipped = 0;
    while waited < ACK_TIMEOUT_US && skipped < IRQ_DRAIN_MAX {
        status = io.read_status();
        if status & RX_EMPTY == 0 {
            data = io.read_data();
            if data == ACK {
                return Ok(());
            }
            skipped += 1;
            continue;
        }
        fsleep(Delta::from_micros(100));
        waited += 100;
    }
    Err(HandshakeError { cmd, status, data })
}

/// Resets the chip and puts it in UART mode (process context).
///
/// A chip already in UART mode resets without an ACK, so a reset that gets
/// none is tried once more, as the WDK's dmusuart does; the second must be
/// answered. The answer to `ENTER_UART` is awaited too (snd-mpu401 does not).
/// With `no_ack` (snd-mpu401's `MPU401_INFO_NO_ACK`, for UART-only chips
/// that never answer) both commands are written without waiting, 1 ms apart,
/// and whatever the chip sent is discarded.
pub(crate) fn handshake(
    io: &dyn Mpu401Io,
    no_ack: bool,
) -> core::result::Result<(), HandshakeError> {
    if no_ack {
        for cmd in [RESET, ENTER_UART] {
            io.write_command(cmd);
            fsleep(Delta::from_millis(1));
        }
        let mut flushed = 0;
        while flushed < IRQ_DRAIN_MAX && io.read_status() & RX_EMPTY == 0 {
            io.read_data();
            flushed += 1;
        }
        return Ok(());
    }
    if command(io, RESET).is_err() {
        command(io, RESET)?;
    }
    command(io, ENTER_UART)
}

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
    fn new() -> Result<Arc<Self>> {
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

    fn clear(&self) {
        let mut ring = self.ring.lock();
        ring.head = 0;
        ring.len = 0;
    }

    /// Empties the ring and throws away what waits in the chip's input FIFO
    /// (up to [`IRQ_DRAIN_MAX`] bytes), under the ring's lock, which the
    /// IRQ's drain also holds while it reads the chip. As snd-mpu401 clears
    /// its input on open: what arrived while nobody listened is not news.
    fn flush(&self, io: &dyn Mpu401Io) {
        let mut ring = self.ring.lock();
        let mut n = 0;
        while n < IRQ_DRAIN_MAX && io.read_status() & RX_EMPTY == 0 {
            io.read_data();
            n += 1;
        }
        ring.head = 0;
        ring.len = 0;
    }
}

/// The threaded IRQ handler.
pub(crate) struct IrqHandler {
    io: Arc<dyn Mpu401Io>,
    ring: Arc<CaptureRing>,
    port: Arc<Port>,
    group: Arc<KernelServiceGroup>,
    clock: KernelClock,
    reported_overruns: AtomicU64,
}

impl IrqHandler {
    /// Drains the chip's input FIFO into the ring, each byte stamped, and
    /// notifies the port. Hard IRQ context (the IRQ, or the poll timer).
    /// Returns how many bytes were read and whether the ring overflowed
    /// (the bytes it had no room for are counted in its `overruns`).
    pub(super) fn drain(&self) -> (usize, bool) {
        let now = self.clock.get_time();
        let mut drained = 0;
        let mut lost = 0u64;
        {
            let mut ring = self.ring.ring.lock();
            while drained < IRQ_DRAIN_MAX && self.io.read_status() & RX_EMPTY == 0 {
                let byte = self.io.read_data();
                drained += 1;
                if ring.len == CAPTURE_RING {
                    lost += 1;
                    continue;
                }
                let tail = (ring.head + ring.len) % CAPTURE_RING;
                if let Some(slot) = ring.bytes.get_mut(tail) {
                    *slot = (now, byte);
                }
                ring.len += 1;
            }
        }
        if drained > 0 {
            self.port.notify(Some(&self.group));
        }
        if lost > 0 {
            self.ring.overruns.fetch_add(lost, Ordering::Relaxed);
        }
        (drained, lost > 0)
    }
}

impl IrqHandler {
    /// Asks the port for service (output waiting for room in the chip's
    /// FIFO moves on). Any context.
    pub(super) fn notify_port(&self) {
        self.port.notify(Some(&self.group));
    }
}

impl ThreadedHandler for IrqHandler {
    /// Hard IRQ: drain the input FIFO into the ring, stamp, notify.
    fn handle(&self, _dev: &Device<Bound>) -> ThreadedIrqReturn {
        match self.drain() {
            (0, _) => ThreadedIrqReturn::None,
            (_, true) => ThreadedIrqReturn::WakeThread,
            (_, false) => ThreadedIrqReturn::Handled,
        }
    }

    /// Thread: report overruns.
    fn handle_threaded(&self, dev: &Device<Bound>) -> IrqReturn {
        let total = self.ring.overruns.load(Ordering::Relaxed);
        let reported = self.reported_overruns.swap(total, Ordering::Relaxed);
        if total > reported {
            dev_warn!(
                dev,
                "capture ring overrun: {} input bytes lost ({total} since load)\n",
                total - reported
            );
        }
        IrqReturn::Handled
    }
}

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
        let overruns = self.ring.overruns.load(Ordering::Relaxed);
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
            if st.parser.is_mid_message() && self.ring.ring.lock().len == 0 {
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

/// A stream of the miniport, as `new_stream` returns it.
pub(crate) enum Mpu401Stream {
    /// `DMUS_STREAM_MIDI_RENDER`.
    Render(Arc<RenderStream>),
    /// `DMUS_STREAM_MIDI_CAPTURE`.
    Capture(Arc<CaptureStream>),
}

impl Mxf for Mpu401Stream {
    type Pool = KPool;
    type Output = Arc<CaptureSink>;

    fn set_state(&self, state: KsState) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(s) => s.set_state(state),
            Self::Capture(s) => s.set_state(state),
        }
    }

    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(s) => s.put_message(chain),
            Self::Capture(s) => s.put_message(chain),
        }
    }

    /// Capture only: render streams have no output (`-EINVAL`).
    fn connect_output(&self, sink: Arc<CaptureSink>) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(_) => Err(DmusError::InvalidArgument),
            Self::Capture(s) => s.connect_output(sink),
        }
    }

    fn disconnect_output(&self, sink: &Arc<CaptureSink>) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(_) => Err(DmusError::InvalidArgument),
            Self::Capture(s) => s.disconnect_output(sink),
        }
    }
}

/// The MPU-401 UART miniport of one chip.
pub(crate) struct Mpu401Miniport {
    dev: ARef<Device>,
    io: Arc<dyn Mpu401Io>,
    ring: Arc<CaptureRing>,
    group: Arc<KernelServiceGroup>,
    retry: Arc<ServiceTimer>,
    poller: Arc<Poller>,
    byte_ns: u64,
}

impl Mpu401Miniport {
    /// A miniport over `io` of device `dev` (its messages name it);
    /// `byte_ns` is the wire time of one byte, the render retry period.
    /// `-ENOMEM` on allocation failure.
    pub(crate) fn new(dev: ARef<Device>, io: Arc<dyn Mpu401Io>, byte_ns: u64) -> Result<Self> {
        let group = KernelServiceGroup::new()?;
        Ok(Self {
            dev,
            io,
            ring: CaptureRing::new()?,
            retry: ServiceTimer::new(group.clone())?,
            poller: Poller::new()?,
            group,
            byte_ns,
        })
    }

    /// Polls the chip with `handler` while a stream is active: for a chip
    /// without an interrupt. `-ENOMEM` on allocation failure.
    pub(crate) fn poll_with(&self, handler: IrqHandler) -> Result {
        self.poller.set_handler(handler)
    }

    /// The IRQ handler for this chip.
    pub(crate) fn irq_handler(&self, port: &Arc<Port>) -> IrqHandler {
        IrqHandler {
            io: self.io.clone(),
            ring: self.ring.clone(),
            port: port.clone(),
            group: self.group.clone(),
            clock: port.clock(),
            reported_overruns: AtomicU64::new(0),
        }
    }

    /// Stops polling for good; teardown, before the card goes.
    pub(crate) fn stop_polling(&self) {
        self.poller.shutdown();
    }

    /// Teardown, process context, after the IRQ or poll timer is gone: stops
    /// the retry timer, empties the group and waits for its tasklet.
    pub(crate) fn shutdown(&self) {
        self.poller.shutdown();
        self.retry.shutdown();
        self.group.clear();
        self.group.kill();
    }
}

impl MiniportDMus for Mpu401Miniport {
    type Port = Arc<Port>;
    type Resources = ();
    type Allocator = KPool;
    type Clock = KernelClock;
    type Stream = Mpu401Stream;

    /// Registers the miniport's service group with the port, with the port as
    /// its member; returns the group. The chip handshake runs before, in probe.
    fn init(
        &self,
        _resources: &(),
        port: Arc<Port>,
    ) -> core::result::Result<Option<Arc<KernelServiceGroup>>, DmusError> {
        port.register_service_group(&self.group)?;
        let member: crate::port::service::Member =
            Arc::new(PortService(port), GFP_KERNEL).map_err(|_| DmusError::NoMemory)?;
        self.group.add_member(member)?;
        Ok(Some(self.group.clone()))
    }

    fn new_stream(
        &self,
        kind: DmusStreamType,
        allocator: KPool,
        _clock: KernelClock,
    ) -> core::result::Result<NewStream<Mpu401Stream, Arc<KernelServiceGroup>>, DmusError> {
        let stream = match kind {
            DmusStreamType::MidiRender => Mpu401Stream::Render(
                Arc::pin_init(
                    pin_init!(RenderStream {
                        io: self.io.clone(),
                        poller: self.poller.clone(),
                        inner <- new_spinlock_irq!(
                            RenderState {
                                queue: EventChain::new(allocator.clone()),
                                packer: Packer::new(RunningStatus::Preserve),
                                state: KsState::Stop,
                                full_since: None,
                                fifo_bytes: 1,
                            },
                            c"dmus_render_stream"
                        ),
                        retry: self.retry.clone(),
                        retry_ns: self.byte_ns.max(100_000),
                        dev: self.dev.clone(),
                        written: AtomicU64::new(0),
                        stuck: AtomicBool::new(false),
                        discarded: AtomicU64::new(0),
                    }),
                    GFP_KERNEL,
                )
                .map_err(|_| DmusError::NoMemory)?,
            ),
            DmusStreamType::MidiCapture => Mpu401Stream::Capture(
                Arc::pin_init(
                    pin_init!(CaptureStream {
                        io: self.io.clone(),
                        ring: self.ring.clone(),
                        poller: self.poller.clone(),
                        pool: allocator.clone(),
                        inner <- new_spinlock_irq!(
                            CaptureState {
                                parser: Parser::new(allocator.clone(), CHANNEL_GROUP),
                                state: KsState::Stop,
                                output: None,
                                overruns_seen: 0,
                            },
                            c"dmus_capture_stream"
                        ),
                    }),
                    GFP_KERNEL,
                )
                .map_err(|_| DmusError::NoMemory)?,
            ),
            DmusStreamType::WaveSink => return Err(DmusError::InvalidArgument),
        };
        Ok(NewStream {
            stream,
            // The WDK sample's choice: "we want stuff as soon as it comes in".
            schedule_prefetch: 0,
            service_group: None,
        })
    }
}
