// SPDX-License-Identifier: GPL-2.0

//! debugfs view of a synthesizer: `/sys/kernel/debug/snd-dmus-mpu401-synthN/`,
//! N counting the synthesizers created since the module was loaded.
//!
//! - `clock`: the sample clock of the current (or last) capture: `rate`
//!   (frames a second), `origin_time` (master time, 100 ns, of
//!   `origin_sample`), `origin_sample`, `delay` (the render delay D, 100 ns),
//!   `rendered` (frames rendered since the capture's start), `start_time`
//!   (master time of the capture's start, 100 ns), `skew_ppm` (the device
//!   counter's error, `synth_skew=`), `sync` (1: `sync_to_master` corrects
//!   the drift), `drift` (the last drift measured, 100 ns: the master time
//!   the counter reached its count less the clock's time of that sample).
//! - `events`: the last 4096 events rendered since the capture's start,
//!   oldest first, one per line: the frame it started on (counted from the
//!   capture's first frame), its presentation time (100 ns), `late` or
//!   `ontime`, and its bytes in hex; and each voice shedding of a tick over
//!   budget: the frame, 0, `shed` and the number of voices. Replaying these
//!   lines on the host engine from a fresh start reproduces the capture. A
//!   line `# overwritten N` says the log lost its N oldest entries.
//! - `counters`: events played, late, dropped (no capture, or the queue
//!   full), ignored (system messages), ticks over budget (each shed voices),
//!   and the render cost: nanoseconds spent in the engine, frames rendered,
//!   voice-frames rendered (frames times the voices sounding).

use super::render::SynthRender;
use super::sink::{LogEntry, WaveSink};
use core::{fmt, sync::atomic::Ordering};
use kernel::{
    debugfs::{Dir, File, Writer},
    prelude::*,
    str::CString,
    sync::Arc,
};

/// The `clock` file.
pub(crate) struct ClockView(Arc<WaveSink>);

impl Writer for ClockView {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clock = self.0.clock();
        writeln!(f, "rate: {}", clock.rate())?;
        writeln!(f, "origin_time: {}", clock.origin_time())?;
        writeln!(f, "origin_sample: {}", clock.origin_sample())?;
        writeln!(f, "delay: {}", self.0.delay())?;
        writeln!(f, "rendered: {}", self.0.rendered())?;
        let params = self.0.params();
        let state = self.0.clock_state();
        writeln!(f, "start_time: {}", state.start_time)?;
        writeln!(f, "skew_ppm: {}", params.skew_ppm)?;
        writeln!(f, "sync: {}", u8::from(params.sync))?;
        writeln!(f, "drift: {}", state.drift)
    }
}

/// The `events` file.
pub(crate) struct EventsView(Arc<WaveSink>);

impl Writer for EventsView {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut log: KVVec<LogEntry> = KVVec::new();
        let Ok(lost) = self.0.event_log(&mut log) else {
            return writeln!(f, "# out of memory");
        };
        writeln!(f, "# sample pres_time when bytes")?;
        if lost > 0 {
            writeln!(f, "# overwritten {lost}")?;
        }
        for e in log.iter() {
            if e.shed > 0 {
                writeln!(f, "{} {} shed {}", e.sample, e.pres, e.shed)?;
                continue;
            }
            write!(
                f,
                "{} {} {}",
                e.sample,
                e.pres,
                if e.late { "late" } else { "ontime" }
            )?;
            for b in e.event.bytes() {
                write!(f, " {:02x}", b)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The `counters` file.
pub(crate) struct CountersView(Arc<WaveSink>, Arc<SynthRender>);

impl Writer for CountersView {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        writeln!(f, "played: {}", s.played.load(Ordering::Relaxed))?;
        writeln!(f, "late: {}", s.late.load(Ordering::Relaxed))?;
        writeln!(f, "dropped: {}", s.dropped.load(Ordering::Relaxed))?;
        writeln!(f, "ignored: {}", self.1.ignored.load(Ordering::Relaxed))?;
        writeln!(f, "overruns: {}", s.overruns.load(Ordering::Relaxed))?;
        writeln!(f, "render_ns: {}", s.render_ns.load(Ordering::Relaxed))?;
        writeln!(f, "frames: {}", s.frames.load(Ordering::Relaxed))?;
        writeln!(
            f,
            "voice_frames: {}",
            s.voice_frames.load(Ordering::Relaxed)
        )?;
        writeln!(f, "bank_bytes: {}", s.bank_bytes.load(Ordering::Relaxed))?;
        writeln!(
            f,
            "bank_downloads: {}",
            s.bank_downloads.load(Ordering::Relaxed)
        )?;
        writeln!(
            f,
            "banks_loaded: {}",
            s.banks_loaded.load(Ordering::Relaxed)
        )
    }
}

/// The debugfs directory of one synthesizer; removed on drop.
#[pin_data]
pub(crate) struct SynthDebugfs {
    #[pin]
    _clock: File<ClockView>,
    #[pin]
    _events: File<EventsView>,
    #[pin]
    _counters: File<CountersView>,
    _dir: Dir,
}

impl SynthDebugfs {
    /// Creates `snd-dmus-mpu401-synth<n>/`. `-ENOMEM` on allocation failure.
    pub(crate) fn new(
        sink: &Arc<WaveSink>,
        render: &Arc<SynthRender>,
        n: u32,
    ) -> Result<Pin<KBox<Self>>> {
        let name = CString::try_from_fmt(fmt!("snd-dmus-mpu401-synth{}", n))?;
        let dir = Dir::new(&name);
        KBox::pin_init(
            try_pin_init!(Self {
                _clock <- dir.read_only_file(c"clock", ClockView(sink.clone())),
                _events <- dir.read_only_file(c"events", EventsView(sink.clone())),
                _counters <- dir.read_only_file(
                    c"counters",
                    CountersView(sink.clone(), render.clone())
                ),
                _dir: dir,
            }? Error),
            GFP_KERNEL,
        )
    }
}
