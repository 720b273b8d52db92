// SPDX-License-Identifier: GPL-2.0
//! `dmusrec`: records the input of a DMus device to a Standard MIDI File,
//! each message at its capture stamp.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use dmustools::abi::SND_DMUS_WRITE_MAX;
use dmustools::device::{catch_signals, now_100ns, signal_received, Device, Mode};
use dmustools::record::{save_smf, stamps, Capture};

/// Longest wait in one poll(), ms: how promptly a signal is noticed.
const POLL_MS: i64 = 200;
/// 100 ns units per millisecond.
const UNITS_PER_MS: i64 = 10_000;

/// Record MIDI input from the DMus device of snd-dmus-mpu401 to a
/// Standard MIDI File (format 0, 5000 ticks per quarter at 120 bpm: one
/// tick = 100 us; times relative to the first captured message).
///
/// Records until -t SECONDS have passed or SIGINT/SIGTERM.
#[derive(Parser, Debug)]
#[command(name = "dmusrec", version)]
struct Args {
    /// The Standard MIDI File to write.
    #[arg(value_name = "OUT.mid")]
    out: PathBuf,
    /// The device: a path (/dev/snd/hwC1D0 or hwC1D0) or a card name
    /// substring; default: the first hwdep device with id "DMus".
    #[arg(short = 'd', long = "device", value_name = "DEVICE")]
    device: Option<String>,
    /// Stop after this many seconds (default: at SIGINT/SIGTERM).
    #[arg(short = 't', long = "time", value_name = "SECONDS",
          value_parser = parse_seconds)]
    time: Option<f64>,
    /// Also write one line per message: `<stamp> <bytes in hex>`, the
    /// stamp absolute in 100 ns master clock units.
    #[arg(long = "stamps", value_name = "PATH")]
    stamps: Option<PathBuf>,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number of seconds")),
    }
}

fn capture(dev: &Device, name: &str, seconds: Option<f64>) -> Result<Capture, String> {
    let start = now_100ns();
    let deadline = seconds.map(|s| start + (s * 1e7).round() as i64);
    let mut buf = vec![0u8; SND_DMUS_WRITE_MAX];
    let mut cap = Capture::new();
    'outer: loop {
        if signal_received().is_some() {
            break;
        }
        let now = now_100ns();
        let timeout = match deadline {
            Some(d) if d <= now => break,
            Some(d) => ((d - now + UNITS_PER_MS - 1) / UNITS_PER_MS).min(POLL_MS),
            None => POLL_MS,
        };
        match dev.poll(libc::POLLIN, timeout as i32) {
            Ok(rev) if rev & libc::POLLIN != 0 => {}
            Ok(rev) if rev & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 => {
                return Err(format!("{name}: device error or gone"));
            }
            Ok(_) => continue,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) => return Err(format!("{name}: poll: {e}")),
        }
        // Read every buffer there is.
        loop {
            let n = match dev.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => break,
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue 'outer,
                Err(e) => return Err(format!("{name}: read: {e}")),
            };
            cap.feed(&buf[..n]).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    cap.finish();
    Ok(cap)
}

fn run(args: &Args) -> Result<(), String> {
    let dev =
        Device::find_and_open(args.device.as_deref(), Mode::Read).map_err(|e| e.to_string())?;
    let name = dev.path.display().to_string();
    catch_signals().map_err(|e| format!("cannot catch signals: {e}"))?;
    let cap = capture(&dev, &name, args.time)?;
    drop(dev);

    save_smf(&args.out, &cap.messages)
        .map_err(|e| format!("{}: cannot write: {e}", args.out.display()))?;
    if let Some(p) = &args.stamps {
        std::fs::write(p, stamps(&cap.messages))
            .map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
    }
    eprintln!("dmusrec: {} events captured", cap.messages.len());
    if cap.overruns > 0 {
        eprintln!(
            "dmusrec: {} buffers flagged OVERRUN (input was lost)",
            cap.overruns
        );
    }
    if cap.orphans() > 0 {
        eprintln!(
            "dmusrec: {} SysEx pieces without their start",
            cap.orphans()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("dmusrec: {msg}");
            ExitCode::FAILURE
        }
    }
}
