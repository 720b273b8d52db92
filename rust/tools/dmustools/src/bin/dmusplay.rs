// SPDX-License-Identifier: GPL-2.0
//! `dmusplay`: plays a Standard MIDI File through a DMus device, every
//! event stamped with its presentation time on the device's master clock.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use dmustools::abi::SND_DMUS_WRITE_MAX;
use dmustools::buffer::{split_long_events, MIN_BUFFER_BYTES};
use dmustools::device::{
    catch_signals, now_100ns, signal_received, sleep_ms, stderr_is_tty, Device, Mode,
};
use dmustools::play::{mmss, play, PlayConfig, PlayEnd, Port, UNITS_PER_MS};
use dmustools::smf;

/// Bytes per write(): a few KiB.
const BUFFER_BYTES: usize = 4096;
/// How often the progress line is redrawn, ms.
const PROGRESS_MS: i64 = 250;

/// Play a Standard MIDI File through the DMus device of snd-dmus-mpu401.
///
/// Each event is written ahead of time with its presentation time
/// t0 + (time in the file), t0 = the device's latency clock + margin.
#[derive(Parser, Debug)]
#[command(name = "dmusplay", version)]
struct Args {
    /// The Standard MIDI File (format 0 or 1) to play.
    #[arg(value_name = "FILE.mid")]
    file: PathBuf,
    /// The device: a path (/dev/snd/hwC1D0 or hwC1D0) or a card name
    /// substring; default: the first hwdep device with id "DMus".
    #[arg(short = 'd', long = "device", value_name = "DEVICE")]
    device: Option<String>,
    /// Write t0 (decimal, 100 ns master clock units) to PATH before the
    /// first write.
    #[arg(long = "t0-out", value_name = "PATH")]
    t0_out: Option<PathBuf>,
    /// Milliseconds added to the device's latency clock for t0.
    #[arg(long = "margin-ms", value_name = "N", default_value_t = 20)]
    margin_ms: u32,
    /// Milliseconds of events to keep queued in the device.
    #[arg(long = "ahead-ms", value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    ahead_ms: u32,
    /// Before playing, load this sound bank (a DMBK file of DMus downloads,
    /// as sf2bank writes it) into the device's synthesizer.
    #[arg(long = "bank", value_name = "FILE.dmbk")]
    bank: Option<PathBuf>,
}

/// The progress line on a terminal.
struct Progress {
    on: bool,
    last: i64,
    shown: bool,
}

impl Progress {
    fn new() -> Self {
        Self {
            on: stderr_is_tty(),
            last: i64::MIN,
            shown: false,
        }
    }

    fn update(&mut self, elapsed: i64, total: i64) {
        if !self.on {
            return;
        }
        let now = now_100ns();
        if self.last != i64::MIN && now - self.last < PROGRESS_MS * UNITS_PER_MS {
            return;
        }
        self.last = now;
        self.shown = true;
        let e = elapsed.clamp(0, total);
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r{} / {}\x1b[K", mmss(e), mmss(total));
        let _ = err.flush();
    }

    fn clear(&mut self) {
        if self.shown {
            let _ = write!(io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
    }
}

/// The real device as the player's [`Port`].
struct DevPort<'a> {
    dev: &'a Device,
    progress: Progress,
}

impl Port for DevPort<'_> {
    fn now(&mut self) -> i64 {
        now_100ns()
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.dev.write(buf)
    }

    fn wait_writable(&mut self, ms: i32) -> io::Result<bool> {
        match self.dev.poll(libc::POLLOUT, ms) {
            Ok(rev) if rev & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 => Err(
                io::Error::new(io::ErrorKind::BrokenPipe, "device error or gone"),
            ),
            Ok(rev) => Ok(rev & libc::POLLOUT != 0),
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn sleep(&mut self, ms: i32) {
        sleep_ms(ms);
    }

    fn drain(&mut self) -> io::Result<()> {
        self.dev.drain()
    }

    fn interrupted(&mut self) -> bool {
        signal_received().is_some()
    }

    fn progress(&mut self, elapsed: i64, total: i64) {
        self.progress.update(elapsed, total);
    }
}

fn run(args: &Args) -> Result<PlayEnd, String> {
    let song = smf::load(&args.file).map_err(|e| e.to_string())?;
    let dev =
        Device::find_and_open(args.device.as_deref(), Mode::Write).map_err(|e| e.to_string())?;
    let name = dev.path.display().to_string();
    catch_signals().map_err(|e| format!("cannot catch signals: {e}"))?;
    if let Some(path) = &args.bank {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        dev.load_bank(&bytes).map_err(|e| match e.raw_os_error() {
            Some(libc::ENOTTY) => {
                format!("{name}: the card has no synthesizer to load a bank into")
            }
            Some(libc::EINVAL) => format!("{name}: {}: not a valid bank", path.display()),
            _ => format!("{name}: loading {}: {e}", path.display()),
        })?;
        eprintln!("dmusplay: {}: {} bytes loaded", path.display(), bytes.len());
    }
    if let Err(e) = dev.ensure_running() {
        eprintln!("dmusplay: warning: {name}: cannot put the stream in RUN: {e}");
    }

    let max_bytes = match dev.info.write_max as usize {
        0 => SND_DMUS_WRITE_MAX,
        w => w.clamp(MIN_BUFFER_BYTES, SND_DMUS_WRITE_MAX),
    }
    .min(BUFFER_BYTES);
    let events = split_long_events(song.events, max_bytes);
    // Never more events in one buffer than an eighth of the queue: poll()
    // says POLLOUT at a quarter free, and then such a buffer fits.
    let max_events = match dev.info.queue_size {
        0 => usize::MAX,
        q => (q as usize / 8).max(1),
    };

    let clock = dev.clock().map_err(|e| format!("{name}: clock: {e}"))?;
    let t0 = clock.latency + i64::from(args.margin_ms) * UNITS_PER_MS;
    if let Some(p) = &args.t0_out {
        std::fs::write(p, format!("{t0}\n"))
            .map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
    }

    let cfg = PlayConfig {
        t0,
        ahead: i64::from(args.ahead_ms) * UNITS_PER_MS,
        max_bytes,
        max_events,
        tick_ms: PROGRESS_MS as i32,
    };
    let mut port = DevPort {
        dev: &dev,
        progress: Progress::new(),
    };
    let played = play(&mut port, &events, &cfg);
    port.progress.clear();

    let end = match played.end {
        Ok(PlayEnd::Finished) => PlayEnd::Finished,
        Ok(PlayEnd::Interrupted) => {
            if let Err(e) = dev.drop_queue() {
                eprintln!("dmusplay: {name}: drop: {e}");
            }
            PlayEnd::Interrupted
        }
        Err(msg) => {
            // Silence what is still queued, then report.
            let _ = dev.drop_queue();
            return Err(format!("{name}: {msg}"));
        }
    };
    let written = played.written;
    match dev.status() {
        Ok(st) => eprintln!(
            "dmusplay: {written} events written, {} late, max lateness {:.2} ms",
            st.late,
            st.max_lateness.max(0) as f64 / UNITS_PER_MS as f64
        ),
        Err(e) => eprintln!("dmusplay: {written} events written (status: {e})"),
    }
    if end == PlayEnd::Interrupted {
        eprintln!("dmusplay: interrupted");
    }
    Ok(end)
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(PlayEnd::Finished) => ExitCode::SUCCESS,
        Ok(PlayEnd::Interrupted) => ExitCode::from(130),
        Err(msg) => {
            eprintln!("dmusplay: {msg}");
            ExitCode::FAILURE
        }
    }
}
