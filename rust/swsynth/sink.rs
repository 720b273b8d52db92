// SPDX-License-Identifier: GPL-2.0

//! The wave sink (`DMUS_STREAM_WAVE_SINK`, `ISynthSinkDMus`): the software
//! synthesizer's output, rendered into the card's capture PCM by a soft
//! hrtimer on the master clock.
//!
//! Every [`TICK_NS`] while a capture runs, the tick calls `sync_to_master`
//! and renders up to D behind the device's sample counter, D being the
//! render delay ([`WaveSink::delay`]): MIDI events delivered by the port's
//! sequencer up to D after their presentation time still start on their
//! exact sample, `RefTimeToSample(presentation time)`. The sample clock's
//! origin is the capture's start: frame 0 of the capture plays at the master
//! time of the `trigger(START)`. A later event starts at the next sample
//! rendered and counts as late.
//!
//! The device's sample counter ([`SampleCounter`]) counts `rate` frames a
//! second of the master clock, or, with `synth_skew=`, a crystal's error more
//! or less, as a sound card's would. `sync_to_master` measures where the
//! counter stands against the sample clock (the drift) and, unless
//! `synth_sync=0`, slews the clock's origin by an eighth of it, as
//! [`SampleClock::sync_to_master`] does; an event then starts on the sample
//! the counter reaches at its presentation time.
//!
//! Render units: frames (S16_LE stereo, 4 bytes a frame), as the `ddksynth`
//! sample's `Render` does in practice, not bytes as the WDK page says.

use super::engine::{Engine, LoadedBank, Queued};
use crate::dmus::{
    clock::{mul_div_floor, UNITS_PER_SECOND},
    Error as DmusError, EventChain, KsState, Mxf, ReferenceTime, SampleClock, SampleCounter,
    SynthSinkDMus,
};
use crate::port::{
    clock::KernelClock,
    irqlock::{new_spinlock_irq, SpinLockIrq},
    pcm::{PcmBuffer, PcmLink, PcmOps, PcmSubstream, FRAME_BYTES},
    pool::KPool,
};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    impl_has_hr_timer, new_spinlock,
    prelude::*,
    sync::{Arc, ArcBorrow, SpinLock},
    time::{
        hrtimer::{
            ArcHrTimerHandle, HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer,
            HrTimerRestart, RelativeSoftMode,
        },
        Delta, Monotonic,
    },
};

/// The tick period, nanoseconds.
pub(crate) const TICK_NS: i64 = 5_000_000;
/// Frames rendered per engine call at most (the staging buffer).
const STAGE_FRAMES: usize = 128;
/// Events waiting for their sample, at most.
pub(crate) const QUEUE_EVENTS: usize = 2048;
/// Voices shed when a tick runs over half its period.
const SHED_VOICES: usize = 4;
/// Events the log keeps (the last ones rendered).
pub(crate) const LOG_EVENTS: usize = 4096;

/// One rendered event, as the debugfs `events` file shows it.
#[derive(Clone, Copy, Default)]
pub(crate) struct LogEntry {
    /// The sample (frame since the capture's start) it started on.
    pub(crate) sample: i64,
    /// Its presentation time, 100 ns.
    pub(crate) pres: ReferenceTime,
    /// It started after its sample (delivered too late).
    pub(crate) late: bool,
    /// Not a message: the tick ran over its budget and shed this many
    /// voices at `sample` (`event` is empty).
    pub(crate) shed: u8,
    /// The message.
    pub(crate) event: Queued,
}

/// What the capture and the event queue share (the PCM lock: taken by
/// `trigger` with interrupts off, by `pointer`, the tick and `put_message`).
struct PcmState {
    /// A capture is open.
    open: bool,
    running: bool,
    /// Bumped at each start: the tick drops what it rendered for an older one.
    generation: u64,
    buffer: PcmBuffer,
    /// Frames written since the start.
    written: u64,
    /// Frames written since the last period boundary.
    period_fill: usize,
    /// The sample clock; `rendered` is the next sample to render.
    clock: SampleClock,
    /// The device's sample counter, started with the capture.
    counter: SampleCounter,
    /// The master time (100 ns) of the capture's start.
    start_time: ReferenceTime,
    /// The last drift `sync_to_master` measured: the master time (100 ns)
    /// the counter reached its count, less the sample clock's time of it.
    drift: ReferenceTime,
    rendered: i64,
    start_pending: bool,
    /// Events by presentation time (the sequencer's order): a ring.
    queue: KVec<Queued>,
    head: usize,
    len: usize,
    /// The last [`LOG_EVENTS`] events rendered since the start: a ring.
    log: KVec<LogEntry>,
    log_next: usize,
    log_len: usize,
    /// Entries logged since the start (more than the log holds when it
    /// wrapped).
    log_total: u64,
}

impl PcmState {
    /// [`WaveSink::sync_to_master`] under the PCM lock.
    fn sync_to_master(
        &mut self,
        time: ReferenceTime,
        start: bool,
        params: SinkParams,
    ) -> core::result::Result<(), DmusError> {
        if start {
            self.clock.sync_to_master(time, 0, true)?;
            self.counter = SampleCounter::new(params.rate, params.skew_ppm, time)?;
            self.start_time = time;
            self.drift = 0;
            return Ok(());
        }
        let (frames, reached) = self.counter.advance(time);
        let expected = self.clock.sample_to_ref_time(frames)?;
        self.drift = reached - expected;
        if params.sync {
            self.clock.sync_to_master(reached, frames, false)?;
        }
        Ok(())
    }

    /// Appends `entry` to the event log, dropping the oldest when full.
    fn log_push(&mut self, entry: LogEntry) {
        let slot = self.log_next;
        self.log[slot] = entry;
        self.log_next = (slot + 1) % LOG_EVENTS;
        self.log_len = (self.log_len + 1).min(LOG_EVENTS);
        self.log_total += 1;
    }
}

/// The tick's own state (only the hrtimer callback takes this lock).
struct TickState {
    engine: KBox<Engine>,
    stage: [u8; STAGE_FRAMES * FRAME_BYTES],
    generation: u64,
}

/// Banks on their way in and out of the engine, which only the tick may
/// touch: `load_bank` (process context) puts the new one in `pending`, the
/// tick swaps it in and leaves the old one in `retired`, and the next
/// `load_bank` or the sink's drop frees it, so no bank is freed in the tick.
#[derive(Default)]
struct BankSlots {
    /// The bank to play from the next tick (`Some(None)`: the built-in one).
    pending: Option<Option<LoadedBank>>,
    /// The bank the tick replaced, to free.
    retired: Option<LoadedBank>,
}

/// The wave sink of one synthesizer card.
#[pin_data]
pub(crate) struct WaveSink {
    #[pin]
    timer: HrTimer<Self>,
    #[pin]
    pcm: SpinLockIrq<PcmState>,
    #[pin]
    tick: SpinLock<TickState>,
    #[pin]
    handle: SpinLockIrq<Option<ArcHrTimerHandle<Self>>>,
    #[pin]
    banks: SpinLockIrq<BankSlots>,
    /// Bytes of the bank the engine plays.
    pub(crate) bank_bytes: AtomicU64,
    /// Downloads in the bank the engine plays.
    pub(crate) bank_downloads: AtomicU64,
    /// Banks swapped into the engine since creation (after the first).
    pub(crate) banks_loaded: AtomicU64,
    params: SinkParams,
    /// The render delay in frames.
    delay_frames: i64,
    /// Events started after their sample (delivered later than D).
    pub(crate) late: AtomicU64,
    /// Events dropped: no capture running, or the queue full.
    pub(crate) dropped: AtomicU64,
    /// Events rendered.
    pub(crate) played: AtomicU64,
    /// Ticks that rendered more than half a tick's worth of time, each of
    /// which shed voices.
    pub(crate) overruns: AtomicU64,
    /// Nanoseconds spent rendering (the engine's calls), since creation.
    pub(crate) render_ns: AtomicU64,
    /// Frames rendered since creation.
    pub(crate) frames: AtomicU64,
    /// Voice-frames rendered since creation: each engine call's frames times
    /// the voices sounding at its start.
    pub(crate) voice_frames: AtomicU64,
    /// The capture substream, as the PCM layer keeps it.
    link: Arc<PcmLink>,
}

impl_has_hr_timer! {
    impl HasHrTimer<Self> for WaveSink {
        mode: RelativeSoftMode<Monotonic>, field: self.timer
    }
}

/// How a [`WaveSink`] renders.
#[derive(Clone, Copy)]
pub(crate) struct SinkParams {
    /// Frames a second.
    pub(crate) rate: u32,
    /// The render delay D, 100 ns.
    pub(crate) delay: ReferenceTime,
    /// The device's sample counter runs this many parts per million fast
    /// (negative: slow) against the master clock (±10000).
    pub(crate) skew_ppm: i32,
    /// `sync_to_master` slews the sample clock to the counter.
    pub(crate) sync: bool,
}

/// What the `clock` debugfs file shows besides the [`SampleClock`].
pub(crate) struct ClockState {
    /// The master time (100 ns) of the capture's start.
    pub(crate) start_time: ReferenceTime,
    /// The last drift measured (100 ns; see [`PcmState`]).
    pub(crate) drift: ReferenceTime,
}

impl WaveSink {
    /// The link its capture PCM keeps the substream in: for
    /// [`crate::port::alsa::Card::new`].
    pub(crate) fn pcm_link(&self) -> Arc<PcmLink> {
        self.link.clone()
    }

    /// A sink rendering `engine` as `params` say. `-ENOMEM` on allocation
    /// failure, `-EINVAL` for a rate of 0 or a skew beyond ±10000 ppm, or a
    /// negative delay.
    pub(crate) fn new(engine: KBox<Engine>, params: SinkParams) -> Result<Arc<Self>> {
        let rate = params.rate;
        let clock = SampleClock::new(rate).map_err(|_| EINVAL)?;
        let counter = SampleCounter::new(rate, params.skew_ppm, 0).map_err(|_| EINVAL)?;
        let delay_frames = mul_div_floor(params.delay, rate, UNITS_PER_SECOND as u32)
            .filter(|d| *d >= 0)
            .ok_or(EINVAL)?;
        let mut queue = KVec::with_capacity(QUEUE_EVENTS, GFP_KERNEL)?;
        for _ in 0..QUEUE_EVENTS {
            queue.push(Queued::default(), GFP_KERNEL)?;
        }
        let mut log = KVec::with_capacity(LOG_EVENTS, GFP_KERNEL)?;
        for _ in 0..LOG_EVENTS {
            log.push(LogEntry::default(), GFP_KERNEL)?;
        }
        let (bank_bytes, bank_downloads) = engine.bank_size();
        let link = PcmLink::new()?;
        Arc::pin_init(
            pin_init!(Self {
                timer <- HrTimer::new(),
                pcm <- new_spinlock_irq!(
                    PcmState {
                        open: false,
                        running: false,
                        generation: 0,
                        buffer: PcmBuffer::default(),
                        written: 0,
                        period_fill: 0,
                        clock,
                        counter,
                        start_time: 0,
                        drift: 0,
                        rendered: 0,
                        start_pending: false,
                        queue,
                        head: 0,
                        len: 0,
                        log,
                        log_next: 0,
                        log_len: 0,
                        log_total: 0,
                    },
                    c"dmus_synth_pcm"
                ),
                tick <- new_spinlock!(
                    TickState { engine, stage: [0; STAGE_FRAMES * FRAME_BYTES], generation: 0 },
                    "dmus_synth_tick"
                ),
                handle <- new_spinlock_irq!(None, c"dmus_synth_timer"),
                banks <- new_spinlock_irq!(BankSlots::default(), c"dmus_synth_banks"),
                bank_bytes: AtomicU64::new(bank_bytes as u64),
                bank_downloads: AtomicU64::new(bank_downloads as u64),
                banks_loaded: AtomicU64::new(0),
                params,
                delay_frames,
                late: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                played: AtomicU64::new(0),
                overruns: AtomicU64::new(0),
                render_ns: AtomicU64::new(0),
                frames: AtomicU64::new(0),
                voice_frames: AtomicU64::new(0),
                link,
            }),
            GFP_KERNEL,
        )
    }

    /// The render delay D, 100 ns.
    pub(crate) fn delay(&self) -> ReferenceTime {
        self.params.delay
    }

    /// How the sink renders (its parameters).
    pub(crate) fn params(&self) -> SinkParams {
        self.params
    }

    /// The capture's start and the last drift measured.
    pub(crate) fn clock_state(&self) -> ClockState {
        let pcm = self.pcm.lock();
        ClockState {
            start_time: pcm.start_time,
            drift: pcm.drift,
        }
    }

    /// The sample clock now: sample `origin_sample` plays at master time
    /// `origin_time`.
    pub(crate) fn clock(&self) -> SampleClock {
        self.pcm.lock().clock
    }

    /// Frames rendered since the capture's start.
    pub(crate) fn rendered(&self) -> i64 {
        self.pcm.lock().rendered
    }

    /// Copies the event log, oldest first, into `out` (cleared first);
    /// returns how many older entries since the start it no longer holds.
    /// `-ENOMEM` if `out` cannot grow.
    pub(crate) fn event_log(&self, out: &mut KVVec<LogEntry>) -> Result<u64> {
        out.clear();
        out.reserve(LOG_EVENTS, GFP_KERNEL)?;
        let pcm = self.pcm.lock();
        let first = (pcm.log_next + LOG_EVENTS - pcm.log_len) % LOG_EVENTS;
        for i in 0..pcm.log_len {
            out.push_within_capacity(pcm.log[(first + i) % LOG_EVENTS])
                .map_err(|_| ENOMEM)?;
        }
        Ok(pcm.log_total - pcm.log_len as u64)
    }

    /// Plays `bank` (`None`: the built-in bank) from the next tick of a
    /// running capture, or from the start of the next capture: the voices
    /// sounding then stop, the channels keep their programs. A bank loaded
    /// before and not yet played is freed unplayed. Process context.
    pub(crate) fn load_bank(&self, bank: Option<LoadedBank>) {
        let (retired, unplayed) = {
            let mut slots = self.banks.lock();
            (slots.retired.take(), slots.pending.replace(bank))
        };
        drop(retired);
        drop(unplayed);
    }

    /// The tick's half of [`Self::load_bank`]: swaps a pending bank into
    /// the engine, unless the last one replaced is still to be freed.
    fn swap_bank(&self, engine: &mut Engine) {
        let mut slots = self.banks.lock();
        if slots.retired.is_some() {
            return;
        }
        let Some(bank) = slots.pending.take() else {
            return;
        };
        slots.retired = engine.replace_bank(bank);
        drop(slots);
        let (bytes, downloads) = engine.bank_size();
        self.bank_bytes.store(bytes as u64, Ordering::Relaxed);
        self.bank_downloads
            .store(downloads as u64, Ordering::Relaxed);
        self.banks_loaded.fetch_add(1, Ordering::Relaxed);
    }

    /// Queues one MIDI channel message (1 to 3 bytes) for its presentation
    /// time `pres` (100 ns). Dropped (counted) when no capture runs or the
    /// queue is full. Any context.
    pub(crate) fn queue_event(&self, pres: ReferenceTime, bytes: &[u8]) {
        let Some(event) = Queued::new(pres, bytes) else {
            return;
        };
        let mut pcm = self.pcm.lock();
        if !pcm.running || pcm.len == QUEUE_EVENTS {
            drop(pcm);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let at = (pcm.head + pcm.len) % QUEUE_EVENTS;
        pcm.queue[at] = event;
        pcm.len += 1;
    }

    /// The soft hrtimer's work: renders up to `RefTimeToSample(now - D)`
    /// into the PCM, starting each queued event on its sample.
    fn run_tick(&self) {
        let now = KernelClock::now_ns();
        let master = crate::dmus::clock::from_nanos(u64::try_from(now).unwrap_or(0));
        let mut tick = self.tick.lock();
        let (generation, start) = {
            let mut pcm = self.pcm.lock();
            if !pcm.running {
                return;
            }
            let start = core::mem::take(&mut pcm.start_pending);
            (pcm.generation, start)
        };
        self.swap_bank(&mut tick.engine);
        if start || tick.generation != generation {
            tick.engine.restart();
            tick.generation = generation;
        }
        // `trigger(START)` anchored the clock (`start`); this follows the
        // device's sample counter, and renders up to D behind it.
        let target = match self.sync_to_master(master, false) {
            Ok(()) => self.pcm.lock().counter.advance(master).0 - self.delay_frames,
            Err(_) => return,
        };
        let mut periods = 0;
        loop {
            // What to render next: up to the target, the next event's sample
            // or a stage's worth.
            let (from, next_event) = {
                let mut pcm = self.pcm.lock();
                if !pcm.running || pcm.generation != generation {
                    return;
                }
                let from = pcm.rendered;
                let next = if pcm.len > 0 {
                    let e = pcm.queue[pcm.head];
                    let at = pcm.clock.ref_time_to_sample(e.pres).unwrap_or(from);
                    if at <= from {
                        // Due now (or late): take it.
                        pcm.head = (pcm.head + 1) % QUEUE_EVENTS;
                        pcm.len -= 1;
                        pcm.log_push(LogEntry {
                            sample: from,
                            pres: e.pres,
                            late: at < from,
                            shed: 0,
                            event: e,
                        });
                        Some((e, at))
                    } else {
                        None
                    }
                } else {
                    None
                };
                if let Some((e, at)) = next {
                    drop(pcm);
                    if at < from {
                        self.late.fetch_add(1, Ordering::Relaxed);
                    }
                    self.played.fetch_add(1, Ordering::Relaxed);
                    tick.engine.midi(e.bytes());
                    continue;
                }
                let limit = if pcm.len > 0 {
                    let e = pcm.queue[pcm.head];
                    pcm.clock
                        .ref_time_to_sample(e.pres)
                        .unwrap_or(target)
                        .min(target)
                } else {
                    target
                };
                (from, limit)
            };
            if next_event <= from {
                break;
            }
            let frames = usize::try_from(next_event - from)
                .unwrap_or(STAGE_FRAMES)
                .min(STAGE_FRAMES);
            let TickState { engine, stage, .. } = &mut *tick;
            let bytes = &mut stage[..frames * FRAME_BYTES];
            let voices = engine.active_voices() as u64;
            let t0 = KernelClock::now_ns();
            engine.render_bytes(bytes);
            let spent = u64::try_from(KernelClock::now_ns() - t0).unwrap_or(0);
            self.render_ns.fetch_add(spent, Ordering::Relaxed);
            self.frames.fetch_add(frames as u64, Ordering::Relaxed);
            self.voice_frames
                .fetch_add(voices * frames as u64, Ordering::Relaxed);
            let mut pcm = self.pcm.lock();
            if !pcm.running || pcm.generation != generation {
                return;
            }
            let at = (pcm.written % pcm.buffer.frames.max(1) as u64) as usize;
            self.link.with_running(|running| {
                if let Some(running) = running {
                    running.write_bytes(at, bytes);
                }
            });
            pcm.written += frames as u64;
            pcm.rendered += frames as i64;
            pcm.period_fill += frames;
            let period = pcm.buffer.period.max(1);
            while pcm.period_fill >= period {
                pcm.period_fill -= period;
                periods += 1;
            }
        }
        let spent = KernelClock::now_ns() - now;
        if spent > TICK_NS / 2 {
            self.overruns.fetch_add(1, Ordering::Relaxed);
            tick.engine.shed(SHED_VOICES);
            let mut pcm = self.pcm.lock();
            if pcm.generation == generation {
                let sample = pcm.rendered;
                pcm.log_push(LogEntry {
                    sample,
                    shed: SHED_VOICES as u8,
                    ..LogEntry::default()
                });
            }
        }
        drop(tick);
        if periods > 0 {
            // Outside the locks: ALSA may stop the stream (overrun), which
            // calls `trigger(false)`.
            self.link.period_elapsed();
        }
    }

    /// Starts the tick (process context).
    fn start_timer(self: &Arc<Self>) {
        let handle = self.clone().start(Delta::from_nanos(TICK_NS));
        let old = self.handle.lock().replace(handle);
        drop(old);
    }

    /// Stops the tick and waits for a running one (process context).
    pub(crate) fn stop_timer(&self) {
        let handle = self.handle.lock().take();
        drop(handle);
    }
}

impl HrTimerCallback for WaveSink {
    type Pointer<'a> = Arc<Self>;

    fn run(this: ArcBorrow<'_, Self>, mut ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        this.run_tick();
        ctx.forward_now(Delta::from_nanos(TICK_NS));
        HrTimerRestart::Restart
    }
}

impl SynthSinkDMus for WaveSink {
    /// Renders `buffer.len() / 4` frames (S16_LE stereo) of the engine's
    /// output; `position` is not used: the engine renders the next frames.
    /// Only the tick calls it.
    fn render(&self, buffer: &mut [u8], _position: i64) {
        self.tick.lock().engine.render_bytes(buffer);
    }

    fn ref_time_to_sample(&self, time: ReferenceTime) -> core::result::Result<i64, DmusError> {
        self.pcm.lock().clock.ref_time_to_sample(time)
    }

    fn sample_to_ref_time(&self, sample: i64) -> core::result::Result<ReferenceTime, DmusError> {
        self.pcm.lock().clock.sample_to_ref_time(sample)
    }

    /// With `start`, anchors sample 0 (the capture's first frame) at `time`
    /// and starts the device's sample counter there. Otherwise counts the
    /// counter up to `time`, records the drift (the master time it reached
    /// its count less the sample clock's time of that sample) and, with
    /// `synth_sync=1`, moves the clock's origin by an eighth of it
    /// ([`SampleClock::sync_to_master`]).
    fn sync_to_master(
        &self,
        time: ReferenceTime,
        start: bool,
    ) -> core::result::Result<(), DmusError> {
        self.pcm.lock().sync_to_master(time, start, self.params)
    }
}

impl Mxf for WaveSink {
    type Pool = KPool;
    type Output = ();

    fn set_state(&self, _state: KsState) -> core::result::Result<(), DmusError> {
        Ok(())
    }

    /// The sink takes no events: `None` is accepted, a chain goes back to
    /// its pool with `-EINVAL`.
    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        match chain {
            None => Ok(()),
            Some(chain) => {
                drop(chain);
                Err(DmusError::InvalidArgument)
            }
        }
    }

    fn connect_output(&self, _sink: ()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }

    fn disconnect_output(&self, _sink: &()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }
}

/// The capture PCM's ops, over the sink.
pub(crate) struct SinkPcm(pub(crate) Arc<WaveSink>);

/// The substream is in the sink's [`PcmLink`]: the tick writes frames
/// through it while the capture runs, and reports periods with no lock held
/// (ALSA ignores a report for a stream that stopped since).
impl PcmOps for SinkPcm {
    fn open(&self) -> Result {
        {
            let mut pcm = self.0.pcm.lock();
            if pcm.open {
                return Err(EBUSY);
            }
            pcm.open = true;
            pcm.running = false;
        }
        self.0.start_timer();
        Ok(())
    }

    fn close(&self) {
        self.0.stop_timer();
        let mut pcm = self.0.pcm.lock();
        pcm.running = false;
        pcm.open = false;
        pcm.len = 0;
    }

    fn prepare(&self, substream: PcmSubstream<'_>) -> Result {
        let buffer = substream.buffer();
        let mut pcm = self.0.pcm.lock();
        pcm.buffer = buffer;
        pcm.written = 0;
        pcm.period_fill = 0;
        pcm.rendered = 0;
        pcm.len = 0;
        Ok(())
    }

    fn trigger(&self, up: bool) {
        let mut pcm = self.0.pcm.lock();
        if up {
            pcm.generation += 1;
            pcm.start_pending = true;
            pcm.rendered = 0;
            pcm.len = 0;
            pcm.log_len = 0;
            pcm.log_total = 0;
            // `SyncToMaster(fStart)`: the capture's frame 0 plays now.
            let now =
                crate::dmus::clock::from_nanos(u64::try_from(KernelClock::now_ns()).unwrap_or(0));
            let _ = pcm.sync_to_master(now, true, self.0.params);
        }
        pcm.running = up;
    }

    fn pointer(&self) -> usize {
        let pcm = self.0.pcm.lock();
        (pcm.written % pcm.buffer.frames.max(1) as u64) as usize
    }
}
