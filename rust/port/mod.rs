// SPDX-License-Identifier: GPL-2.0

//! The DMus port driver on ALSA: what Windows' `IPortDMus` owns.
//!
//! The port owns the ALSA side (one rawmidi device, duplex), the master clock,
//! the render allocator, the sequencer, the render-side parser (rawmidi bytes
//! to events) and the capture sink (events to rawmidi bytes). The miniport
//! owns the chip and its two streams.
//!
//! Render: rawmidi `trigger(up)` schedules the service group's tasklet (as
//! do an interrupt, a retry and the sequencer's timer); its render pump
//! ([`Port::pump_render`]) peeks
//! bytes from the output substream while the render pool has room, parses
//! them into events, queues them in the sequencer (immediate: rawmidi has no
//! presentation times) and hands what is due to the render stream with
//! `put_message`. The pool is the flow control: bytes stay in ALSA's buffer
//! while the chip is behind.
//!
//! Capture: the same tasklet calls the capture stream's `put_message(None)`
//! ("pull now"); the stream parses the bytes the IRQ stamped and passes the
//! events to the port's [`CaptureSink`], which packs them back into bytes
//! (running status preserved) for `snd_rawmidi_receive` and logs them, with
//! their stamps, for the DMus device's readers.
//!
//! Timed render: the DMus device (`timed.rs`, `dmusdev.rs`) queues events with
//! presentation times in the same sequencer and schedules the tasklet; the
//! pump hands over what is due (master clock plus the
//! miniport's schedule prefetch) and arms the sequencer's hrtimer for the
//! next presentation time (absolute). One writer at a time
//! across the rawmidi output and the DMus device.

pub(crate) mod alsa;
pub(crate) mod capture;
pub(crate) mod clock;
pub(crate) mod debugfs;
pub(crate) mod dmusdev;
pub(crate) mod hwdep;
pub(crate) mod irqlock;
pub(crate) mod pcm;
pub(crate) mod pool;
pub(crate) mod service;
pub(crate) mod tasklet;
pub(crate) mod timed;
pub(crate) mod timer;

use crate::dmus::{
    Error as DmusError, EventChain, KsState, MasterClock, Mxf, Parser, PortDMus, ReferenceTime,
    Sequencer, ServiceGroup, ServiceSink,
};
use alsa::{Direction, RawmidiLink, RawmidiOps, Substream};
pub(crate) use capture::CaptureSink;
use clock::KernelClock;
use core::{
    ops::{Deref, DerefMut},
    sync::atomic::{AtomicBool, AtomicI64, Ordering},
};
use debugfs::FeedStats;
use dmusdev::DmusDev;
use irqlock::{new_spinlock_irq, SpinLockIrq, SpinLockIrqBackend};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{lock::Guard, Arc, Mutex},
    time::{delay::fsleep, Delta},
};
use pool::KPool;
use service::KernelServiceGroup;
use timer::ServiceTimer;

/// The channel group of everything on the one MPU-401 cable (1-based).
pub(crate) const CHANNEL_GROUP: u16 = 1;
/// Render events kept free beyond one per byte taken: the SysEx flush.
const RENDER_RESERVE: usize = 2;
/// Render buffers a chunk may need: a SysEx longer than the inline bytes
/// takes one, and a chunk of [`RENDER_CHUNK`] bytes can start three.
const RENDER_BUFFERS: usize = 4;
/// Bytes taken from ALSA at a time.
const RENDER_CHUNK: usize = 32;
/// How long `drain` waits for the chip to take the output, at most.
const DRAIN_TIMEOUT_MS: u32 = 10_000;

/// A render stream as the port sees it.
pub(crate) type RenderMxf = dyn RenderOutput;

/// A render stream (`IMXF`), and what the port's drain asks of it beyond the
/// DMus contract.
pub(crate) trait RenderOutput: Mxf<Pool = KPool, Output = ()> + Send + Sync {
    /// Whether every byte the stream wrote has left the device, when the
    /// device can tell (`None`: it cannot; the drain then waits for the
    /// output FIFO's worth of wire time).
    fn output_idle(&self) -> Option<bool> {
        None
    }

    /// Whether the device has stopped taking output, and what the stream
    /// is given is being discarded (timed writes and drains then fail with
    /// `-EIO`).
    fn output_stuck(&self) -> bool {
        false
    }

    /// Events discarded because the device was stuck, since the stream was
    /// created.
    fn output_discarded(&self) -> u64 {
        0
    }

    /// Whether the stream plays instruments that can be replaced by
    /// [`Self::load_bank`] (a synthesizer's; a MIDI port's cannot).
    fn loads_banks(&self) -> bool {
        false
    }

    /// Plays instruments from the bank in `bytes` (`None`: the stream's
    /// built-in ones): the DMus download path, `KSPROPERTY_SYNTH_DLS_DOWNLOAD`
    /// in the WDK, for a whole bank at once. Process context.
    ///
    /// Errors: `-ENOTTY` when the stream has no instruments, `-EINVAL` when
    /// the bytes are not a valid bank (they are freed, and the instruments
    /// stay as they were).
    fn load_bank(&self, _bytes: Option<KVVec<u8>>) -> Result {
        Err(ENOTTY)
    }
}
/// A capture stream as the port sees it.
pub(crate) type CaptureMxf = dyn Mxf<Pool = KPool, Output = Arc<CaptureSink>> + Send + Sync;

/// Converts a core error to a kernel one.
pub(crate) fn kerr(e: DmusError) -> Error {
    Error::from_errno(e.to_errno())
}

struct RenderFeed {
    /// Bytes at the head of ALSA's output buffer known to be copied: the
    /// pending count at the last `trigger(up)`, less what was taken since.
    published: usize,
    parser: Parser<KPool>,
    sequencer: Sequencer<KPool>,
}

/// The render feed, locked (interrupts off on this CPU): the hold's length
/// goes to [`FeedStats`] when the guard drops, just before the unlock.
struct FeedGuard<'a> {
    guard: Guard<'a, RenderFeed, SpinLockIrqBackend>,
    start_ns: i64,
    stats: &'a FeedStats,
}

impl Deref for FeedGuard<'_> {
    type Target = RenderFeed;

    fn deref(&self) -> &RenderFeed {
        &self.guard
    }
}

impl DerefMut for FeedGuard<'_> {
    fn deref_mut(&mut self) -> &mut RenderFeed {
        &mut self.guard
    }
}

impl Drop for FeedGuard<'_> {
    fn drop(&mut self) {
        self.stats.note_hold(KernelClock::now_ns() - self.start_ns);
    }
}

struct Streams {
    group: Option<Arc<KernelServiceGroup>>,
    render: Option<Arc<RenderMxf>>,
    capture: Option<Arc<CaptureMxf>>,
    /// The sequencer's timer: service at the next presentation time.
    seq_timer: Option<Arc<ServiceTimer>>,
}

/// The port driver of one device.
#[pin_data]
pub(crate) struct Port {
    clock: KernelClock,
    render_pool: KPool,
    #[pin]
    feed: SpinLockIrq<RenderFeed>,
    #[pin]
    streams: SpinLockIrq<Streams>,
    output_up: AtomicBool,
    capture_sink: Arc<CaptureSink>,
    /// The DMus device's files, state and capture log.
    dmus: Arc<DmusDev>,
    /// Open rawmidi inputs and DMus files: the capture stream runs while
    /// there is one. Process context only.
    #[pin]
    capture_users: Mutex<u32>,
    /// The render stream's schedule prefetch (`NewStream`), 100 ns.
    prefetch: AtomicI64,
    /// How long the chip's output FIFO takes to empty, ns (the drain's tail).
    drain_tail_ns: i64,
    /// The feed lock's longest hold and longest queueing (debugfs).
    feed_stats: FeedStats,
}

impl Port {
    /// Creates the port over its master clock, render allocator and capture
    /// sink (which logs for the DMus device `capture_sink.dmus()`).
    /// `drain_tail_ns` is how long the chip's output FIFO takes to empty
    /// (nanoseconds). `-ENOMEM` on allocation failure.
    pub(crate) fn new(
        clock: KernelClock,
        render_pool: KPool,
        capture_sink: Arc<CaptureSink>,
        drain_tail_ns: u64,
    ) -> Result<Arc<Self>> {
        let dmus = capture_sink.dmus.clone();
        Arc::pin_init(
            pin_init!(Self {
                clock,
                feed <- new_spinlock_irq!(
                    RenderFeed {
                        published: 0,
                        parser: Parser::new(render_pool.clone(), CHANNEL_GROUP),
                        sequencer: Sequencer::new(render_pool.clone()),
                    },
                    c"dmus_port_feed"
                ),
                streams <- new_spinlock_irq!(
                    Streams { group: None, render: None, capture: None, seq_timer: None },
                    c"dmus_port_streams"
                ),
                render_pool,
                output_up: AtomicBool::new(false),
                capture_sink,
                dmus,
                capture_users <- new_mutex!(0, "dmus_capture_users"),
                prefetch: AtomicI64::new(0),
                drain_tail_ns: i64::try_from(drain_tail_ns).unwrap_or(i64::MAX),
                feed_stats: FeedStats::default(),
            }),
            GFP_KERNEL,
        )
    }

    /// Locks the render feed, timing the hold.
    fn feed(&self) -> FeedGuard<'_> {
        let guard = self.feed.lock();
        FeedGuard {
            guard,
            start_ns: KernelClock::now_ns(),
            stats: &self.feed_stats,
        }
    }

    /// The link its card's rawmidi device keeps its open substreams in
    /// (the capture sink's): for [`alsa::Card::new`].
    pub(crate) fn link(&self) -> Arc<RawmidiLink> {
        self.capture_sink.link.clone()
    }

    /// The feed lock's figures (`debugfs.rs`).
    pub(crate) fn feed_stats(&self) -> &FeedStats {
        &self.feed_stats
    }

    /// The master clock.
    pub(crate) fn clock(&self) -> KernelClock {
        self.clock
    }

    /// The capture sink the capture stream delivers to.
    pub(crate) fn capture_sink(&self) -> &Arc<CaptureSink> {
        &self.capture_sink
    }

    /// The render stream's schedule prefetch, 100 ns.
    pub(crate) fn prefetch(&self) -> ReferenceTime {
        self.prefetch.load(Ordering::Relaxed)
    }

    /// The DMus device.
    pub(crate) fn dmus(&self) -> &Arc<DmusDev> {
        &self.dmus
    }

    /// The card goes away: wakes the DMus device's waiters, which return
    /// `-ENODEV`, so that the card's files can close. Before the card is freed.
    pub(crate) fn disconnect(&self) {
        self.dmus.set_gone();
    }

    /// A capture user (rawmidi input, DMus file) comes (`up`) or goes; the
    /// capture stream runs while there is one. Process context.
    fn capture_use(&self, up: bool) -> Result {
        let mut users = self.capture_users.lock();
        let capture = self.streams.lock().capture.clone();
        if up {
            if *users == 0 {
                if let Some(capture) = &capture {
                    capture.set_state(KsState::Run).map_err(kerr)?;
                }
            }
            *users += 1;
        } else {
            *users = users.saturating_sub(1);
            if *users == 0 {
                if let Some(capture) = &capture {
                    let _ = capture.set_state(KsState::Stop);
                }
            }
        }
        Ok(())
    }

    /// Attaches the miniport's streams (after `MiniportDMus::new_stream`),
    /// with the render stream's schedule prefetch (100 ns, >= 0): the
    /// sequencer hands it each event that long before its time. A miniport
    /// without MIDI input (a synthesizer) has no capture stream.
    pub(crate) fn set_streams(
        &self,
        render: Arc<RenderMxf>,
        capture: Option<Arc<CaptureMxf>>,
        prefetch: ReferenceTime,
    ) {
        self.prefetch.store(prefetch.max(0), Ordering::Relaxed);
        let mut streams = self.streams.lock();
        streams.render = Some(render);
        streams.capture = capture;
    }

    /// Teardown, after the card is gone: stops the streams and drops every
    /// reference between port, group and streams. Process context.
    pub(crate) fn shutdown(&self) {
        let (group, render, capture, seq_timer) = {
            let mut streams = self.streams.lock();
            (
                streams.group.take(),
                streams.render.take(),
                streams.capture.take(),
                streams.seq_timer.take(),
            )
        };
        if let Some(timer) = &seq_timer {
            timer.shutdown();
        }
        if let Some(render) = &render {
            let _ = render.set_state(KsState::Stop);
        }
        if let Some(capture) = &capture {
            let _ = capture.set_state(KsState::Stop);
            let _ = capture.disconnect_output(&self.capture_sink);
        }
        if let Some(group) = &group {
            group.clear();
        }
        let leftover = {
            let mut feed = self.feed();
            feed.parser.reset();
            feed.sequencer.drain_all()
        };
        drop(leftover);
    }

    fn group(&self) -> Option<Arc<KernelServiceGroup>> {
        self.streams.lock().group.clone()
    }

    fn render_stream(&self) -> Option<Arc<RenderMxf>> {
        self.streams.lock().render.clone()
    }

    /// Moves output bytes from ALSA to the render stream, hands the render
    /// stream what is due and arms the sequencer's timer for the next
    /// presentation time. Softirq: the service tasklet.
    ///
    /// The due events are handed to the render stream under the feed lock:
    /// a STOP, DROP or close (which take the same lock) never finds events
    /// between the sequencer and the stream.
    fn pump_render(&self) {
        let (render, seq_timer) = {
            let streams = self.streams.lock();
            (streams.render.clone(), streams.seq_timer.clone())
        };
        let Some(render) = render else {
            return;
        };
        let now = self.clock.get_time();
        let mut short_of_room = false;
        let (played, lateness) = {
            let mut guard = self.feed();
            let feed = &mut *guard;
            if self.output_up.load(Ordering::Acquire) {
                self.capture_sink.link.with_output(|output| {
                    let Some(output) = output else {
                        return;
                    };
                    let mut buf = [0u8; RENDER_CHUNK];
                    loop {
                        // A byte makes at most one event: never take more
                        // bytes than the pool has events for, or the parser
                        // would have to drop a message.
                        let room = self
                            .render_pool
                            .free_events()
                            .saturating_sub(RENDER_RESERVE)
                            .min(RENDER_CHUNK)
                            .min(feed.published);
                        if room == 0 || self.render_pool.free_buffers() < RENDER_BUFFERS {
                            short_of_room = feed.published > 0;
                            break;
                        }
                        let n = output.transmit_peek(&mut buf[..room]);
                        if n == 0 {
                            break;
                        }
                        let sequencer = &mut feed.sequencer;
                        feed.parser.feed(&buf[..n], now, |event| {
                            // A full sequencer gives the event back; dropping
                            // it returns it to the pool (counted by the
                            // parser's pool).
                            let _ = sequencer.insert_immediate(event);
                        });
                        output.transmit_ack(n);
                        feed.published = feed.published.saturating_sub(n);
                    }
                    // A SysEx waiting for more bytes goes out as far as it
                    // came.
                    if feed.parser.is_mid_message() {
                        let sequencer = &mut feed.sequencer;
                        feed.parser.flush(|event| {
                            let _ = sequencer.insert_immediate(event);
                        });
                    }
                });
            }
            // Outside RUN the timed stream holds its events.
            let (due, next) = if self.dmus.running() {
                let due = feed.sequencer.pop_due(now.saturating_add(self.prefetch()));
                (due, feed.sequencer.next_due_time())
            } else {
                (EventChain::new(self.render_pool.clone()), None)
            };
            let played = due.len();
            let lateness = due
                .iter()
                .map(|e| now.saturating_sub(e.pres_time()))
                .max()
                .unwrap_or(0);
            let _ = render.put_message((played > 0).then_some(due));
            // The sequencer's timer brings a pass back at the next
            // presentation time (less the prefetch), an absolute time in
            // the master clock's time base (`CLOCK_MONOTONIC`), so that
            // the time this pass took does not delay it. Armed under the
            // feed lock, which serialises its callers.
            if let (Some(next), Some(timer)) = (next, &seq_timer) {
                // Saturating: a presentation time may be centuries away.
                let at = next.saturating_sub(self.prefetch()).saturating_mul(100);
                timer.arm_earliest_at(at);
            }
            (played, lateness)
        };
        if self.dmus.has_writer() && played > 0 {
            self.dmus.note_played(played, lateness);
        }
        // Writers wait for room, drains for an empty queue.
        if self.dmus.has_writer() {
            self.dmus.wake();
        }
        // Bytes were left in ALSA's buffer for want of events, and writing
        // gave the events back without the chip ever filling (which would
        // have armed the retry timer): come back for the rest.
        if short_of_room && self.render_pool.free_events() > RENDER_RESERVE + RENDER_CHUNK {
            self.notify(None);
        }
    }

    /// Lets the capture stream deliver what the IRQ collected. Softirq.
    fn pull_capture(&self) {
        let capture = self.streams.lock().capture.clone();
        if let Some(capture) = capture {
            let _ = capture.put_message(None);
        }
    }
}

impl PortDMus for Port {
    type ServiceGroup = Arc<KernelServiceGroup>;

    /// `IPortDMus::Notify`: schedules the group's tasklet (the registered
    /// group when `None`). Any context, hard IRQ included.
    fn notify(&self, group: Option<&Arc<KernelServiceGroup>>) {
        match group {
            Some(group) => group.request_service(),
            None => {
                if let Some(group) = self.group() {
                    group.request_service();
                }
            }
        }
    }

    /// `IPortDMus::RegisterServiceGroup`: the port serves its render and
    /// capture paths from this group. Process context.
    fn register_service_group(
        &self,
        group: &Arc<KernelServiceGroup>,
    ) -> core::result::Result<(), DmusError> {
        let timer = ServiceTimer::new(group.clone()).map_err(|_| DmusError::NoMemory)?;
        let mut streams = self.streams.lock();
        streams.group = Some(group.clone());
        streams.seq_timer = Some(timer);
        Ok(())
    }
}

impl PortDMus for Arc<Port> {
    type ServiceGroup = Arc<KernelServiceGroup>;

    fn notify(&self, group: Option<&Arc<KernelServiceGroup>>) {
        (**self).notify(group)
    }

    fn register_service_group(
        &self,
        group: &Arc<KernelServiceGroup>,
    ) -> core::result::Result<(), DmusError> {
        (**self).register_service_group(group)
    }
}

/// The port as a member of its service group.
pub(crate) struct PortService(pub(crate) Arc<Port>);

impl PortService {
    /// What a miniport's `init` does with its group: registers `group` with
    /// `port` and adds the port's service as the group's member.
    ///
    /// Errors: `NoMemory` (`-ENOMEM`), or `Busy` (`-EBUSY`) when the group has
    /// no free member slot. Process context.
    pub(crate) fn join(
        port: Arc<Port>,
        group: &Arc<KernelServiceGroup>,
    ) -> core::result::Result<(), DmusError> {
        port.register_service_group(group)?;
        let member: service::Member =
            Arc::new(PortService(port), GFP_KERNEL).map_err(|_| DmusError::NoMemory)?;
        group.add_member(member)
    }
}

impl ServiceSink for PortService {
    fn request_service(&self) {
        self.0.pull_capture();
        self.0.pump_render();
    }
}

impl ServiceGroup for Arc<KernelServiceGroup> {
    type Member = service::Member;

    fn add_member(&self, member: service::Member) -> core::result::Result<(), DmusError> {
        (**self).add_member(member)
    }

    fn remove_member(&self, member: &service::Member) {
        (**self).remove_member(member)
    }
}

impl ServiceSink for Arc<KernelServiceGroup> {
    fn request_service(&self) {
        (**self).request_service()
    }
}

/// The substreams are in the card's [`RawmidiLink`] (`Port::link`): the
/// render pump peeks at the output, the capture sink hands the input bytes,
/// each through the link.
impl RawmidiOps for Port {
    fn open(&self, dir: Direction) -> Result {
        match dir {
            Direction::Output => {
                // One writer on the cable: not while a DMus file writes.
                self.dmus.claim_rawmidi()?;
                if let Some(render) = self.render_stream() {
                    if let Err(e) = render.set_state(KsState::Run) {
                        self.dmus.release_rawmidi();
                        return Err(kerr(e));
                    }
                }
            }
            Direction::Input => {
                self.capture_sink.attach();
                if let Err(e) = self.capture_use(true) {
                    self.capture_sink.detach();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn close(&self, dir: Direction) {
        match dir {
            Direction::Output => {
                self.output_up.store(false, Ordering::Release);
                let leftover = {
                    let mut feed = self.feed();
                    feed.published = 0;
                    feed.parser.reset();
                    feed.sequencer.drain_all()
                };
                drop(leftover);
                if let Some(render) = self.render_stream() {
                    let _ = render.set_state(KsState::Stop);
                }
                self.dmus.release_rawmidi();
            }
            Direction::Input => {
                let _ = self.capture_use(false);
                self.capture_sink.detach();
            }
        }
    }

    fn trigger(&self, dir: Direction, substream: Substream<'_>, up: bool) {
        match dir {
            Direction::Output => {
                // Under the feed lock, so that a pump cannot run between the
                // count and its store. ALSA calls trigger without its
                // substream lock (sound/core/rawmidi.c): trigger(1) after a
                // write has copied its bytes, trigger(0) before a drop resets
                // the buffer, after which nothing counted before is there.
                // `output_up` too: a trigger(0) (DROP) then returns only after
                // a running pump pass has acked what it peeked.
                let mut feed = self.feed();
                feed.published = if up { substream.output_pending() } else { 0 };
                self.output_up.store(up, Ordering::Release);
                drop(feed);
                if up {
                    self.notify(None);
                }
            }
            Direction::Input => self.capture_sink.set_up(up),
        }
    }

    fn drain(&self, substream: Substream<'_>) {
        // Everything the port took from ALSA is back in the pool once the
        // render stream has written it to the chip.
        let mut waited = 0;
        while waited < DRAIN_TIMEOUT_MS
            && !(substream.transmit_empty() && self.render_pool.is_full())
        {
            self.notify(None);
            fsleep(Delta::from_millis(1));
            waited += 1;
        }
    }
}
