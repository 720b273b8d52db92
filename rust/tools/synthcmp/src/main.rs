// SPDX-License-Identifier: GPL-2.0

//! `synthcmp`: the bit-exactness check of the software synthesizer.
//!
//! The module logs, in debugfs (`snd-dmus-mpu401-synthN/events`), the frame
//! each MIDI event started on and each voice shedding; its capture PCM holds
//! what the engine rendered from the capture's first frame. This tool replays
//! the log on the same engine (`rust/synth/`, built for the host) with the
//! same bank (the built-in one, or `--bank FILE`: the firmware file the
//! module loaded) from a fresh start, and compares the result with the
//! capture frame by frame.
//!
//! Usage: `synthcmp EVENTS CAPTURE.raw [--rate HZ] [--bank FILE] [-o REPLAY.raw]`
//! (CAPTURE: S16_LE stereo, as `arecord -t raw -f S16_LE -c 2`). Prints the
//! frames compared, the mismatches and the first one; exits 0 when every
//! frame matches, 1 when one does not, 2 on bad input.
//!
//! The onset measurement ([`onsets`]):
//! - `synthcmp clicks OUT.mid [--count N] [--seed S]` writes a file of N
//!   (300) isolated drum clicks at random times, 100 to 200 ms apart;
//! - `synthcmp onsets EVENTS CAPTURE.raw --origin T [--rate HZ]
//!   [--min-measured N]` finds each on-time click of the log in the capture
//!   and prints the error of its onset against `RefTimeToSample` of its
//!   presentation time (median, p99, max, in frames and microseconds) and
//!   how late the late ones started; exits 0 when every onset measured is
//!   within one frame and at least N (1) were measured, 1 if not.

mod onsets;

use dmus_synth::{builtin, Bank, Synth};
use onsets::{clicks_smf, onsets, OnsetReport};
use std::process::ExitCode;

/// One line of the event log.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    /// A MIDI message started on this frame.
    Midi(u64, Vec<u8>),
    /// The tick shed this many voices at this frame.
    Shed(u64, usize),
}

/// Parses the debugfs `events` file.
fn parse_log(text: &str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# overwritten ") {
            return Err(format!(
                "the log lost its {rest} oldest entries: it cannot be replayed from the start"
            ));
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("events line {}: cannot parse {line:?}", n + 1);
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 {
            return Err(bad());
        }
        let sample: u64 = f[0].parse().map_err(|_| bad())?;
        match f[2] {
            "shed" => out.push(Entry::Shed(sample, f[3].parse().map_err(|_| bad())?)),
            "ontime" | "late" => {
                let bytes = f[3..]
                    .iter()
                    .map(|b| u8::from_str_radix(b, 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| bad())?;
                out.push(Entry::Midi(sample, bytes));
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Renders `frames` frames at `rate` from a fresh engine playing the bank
/// in `bank` (bytes of a `DMBK` bank), applying `log`.
fn replay(log: &[Entry], rate: u32, frames: usize, bank: &[u8]) -> Result<Vec<i16>, String> {
    let bank = Bank::parse(bank).map_err(|e| format!("bank: {e:?}"))?;
    let mut synth = Synth::new(rate).map_err(|e| format!("rate {rate}: {e:?}"))?;
    let mut out = vec![0i16; frames * 2];
    let mut at = 0usize;
    for entry in log {
        let sample = match entry {
            Entry::Midi(s, _) | Entry::Shed(s, _) => *s as usize,
        };
        if sample < at {
            return Err(format!("events out of order at frame {sample}"));
        }
        let upto = sample.min(frames);
        synth.render(&bank, &mut out[at * 2..upto * 2]);
        at = upto;
        match entry {
            Entry::Midi(_, bytes) => synth.midi(&bank, bytes),
            Entry::Shed(_, n) => synth.shed(*n),
        }
    }
    synth.render(&bank, &mut out[at * 2..]);
    Ok(out)
}

/// `synthcmp clicks OUT.mid [--count N] [--seed S]`.
fn run_clicks(args: &[String]) -> Result<bool, String> {
    let (mut count, mut seed, mut out) = (300usize, 1u64, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = |what: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{what} needs a number"))
        };
        match a.as_str() {
            "--count" => count = num("--count")? as usize,
            "--seed" => seed = num("--seed")?,
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => out = Some(a.clone()),
        }
    }
    let out = out.ok_or("usage: synthcmp clicks OUT.mid [--count N] [--seed S]")?;
    std::fs::write(&out, clicks_smf(count, seed)).map_err(|e| format!("{out}: {e}"))?;
    Ok(true)
}

/// `synthcmp onsets EVENTS CAPTURE.raw --origin T [--rate HZ] [--min-measured N]`.
fn run_onsets(args: &[String]) -> Result<bool, String> {
    let (mut rate, mut origin, mut min_measured) = (48_000u32, None, 1usize);
    let mut pos = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = |what: &str| -> Result<i64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{what} needs a number"))
        };
        match a.as_str() {
            "--rate" => rate = u32::try_from(num("--rate")?).map_err(|e| e.to_string())?,
            "--origin" => origin = Some(num("--origin")?),
            "--min-measured" => min_measured = num("--min-measured")? as usize,
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => pos.push(a.clone()),
        }
    }
    let usage =
        "usage: synthcmp onsets EVENTS CAPTURE.raw --origin T [--rate HZ] [--min-measured N]";
    let ([events, capture], Some(origin)) = (pos.as_slice(), origin) else {
        return Err(usage.into());
    };
    let text = std::fs::read_to_string(events).map_err(|e| format!("{events}: {e}"))?;
    let raw = std::fs::read(capture).map_err(|e| format!("{capture}: {e}"))?;
    let audio: Vec<i16> = raw
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let r = onsets(&text, &audio, origin, rate);
    let us = |frames: i64| frames as f64 * 1e6 / f64::from(rate);
    let abs: Vec<i64> = {
        let mut v: Vec<i64> = r.errors.iter().map(|e| e.abs()).collect();
        v.sort_unstable();
        v
    };
    let exact = r.errors.iter().filter(|&&e| e == 0).count();
    let q = OnsetReport::quantile;
    println!(
        "clicks {}: on time {}, late {}; measured {} ({} on their exact frame)",
        r.notes,
        r.notes - r.late,
        r.late,
        r.measured,
        exact
    );
    println!(
        "onset error |frame - RefTimeToSample(pres)|: median {} p99 {} max {} frames ({:.1} / {:.1} / {:.1} us)",
        q(&abs, 0.5),
        q(&abs, 0.99),
        q(&abs, 1.0),
        us(q(&abs, 0.5)),
        us(q(&abs, 0.99)),
        us(q(&abs, 1.0))
    );
    if !r.lateness.is_empty() {
        println!(
            "late ones started after their frame by: median {:.2} p99 {:.2} max {:.2} ms",
            us(q(&r.lateness, 0.5)) / 1000.0,
            us(q(&r.lateness, 0.99)) / 1000.0,
            us(q(&r.lateness, 1.0)) / 1000.0
        );
    }
    Ok(r.measured >= min_measured && abs.last().is_none_or(|&m| m <= 1))
}

fn run(args: &[String]) -> Result<bool, String> {
    match args.first().map(String::as_str) {
        Some("clicks") => return run_clicks(&args[1..]),
        Some("onsets") => return run_onsets(&args[1..]),
        _ => {}
    }
    let mut rate = 48_000u32;
    let mut output = None;
    let mut bank_file = None;
    let mut pos = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rate" => {
                rate = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rate needs a number of Hz")?
            }
            "-o" => output = Some(it.next().ok_or("-o needs a file")?.clone()),
            "--bank" => bank_file = Some(it.next().ok_or("--bank needs a file")?.clone()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => pos.push(a.clone()),
        }
    }
    let [events, capture] = pos.as_slice() else {
        return Err(
            "usage: synthcmp EVENTS CAPTURE.raw [--rate HZ] [--bank FILE] [-o REPLAY.raw]".into(),
        );
    };
    let bank = match &bank_file {
        Some(f) => std::fs::read(f).map_err(|e| format!("{f}: {e}"))?,
        None => builtin::BANK.to_vec(),
    };
    let text = std::fs::read_to_string(events).map_err(|e| format!("{events}: {e}"))?;
    let log = parse_log(&text)?;
    let raw = std::fs::read(capture).map_err(|e| format!("{capture}: {e}"))?;
    let got: Vec<i16> = raw
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let frames = got.len() / 2;
    let want = replay(&log, rate, frames, &bank)?;
    if let Some(o) = output {
        let bytes: Vec<u8> = want.iter().flat_map(|s| s.to_le_bytes()).collect();
        std::fs::write(&o, bytes).map_err(|e| format!("{o}: {e}"))?;
    }
    let mismatches: Vec<usize> = (0..frames)
        .filter(|&i| got[2 * i..2 * i + 2] != want[2 * i..2 * i + 2])
        .collect();
    let sounding = (0..frames)
        .filter(|&i| got[2 * i] != 0 || got[2 * i + 1] != 0)
        .count();
    let midi = log.iter().filter(|e| matches!(e, Entry::Midi(..))).count();
    let shed = log.iter().filter(|e| matches!(e, Entry::Shed(..))).count();
    println!(
        "frames {frames} (sounding {sounding}), events {midi}, sheddings {shed}, mismatched frames {}",
        mismatches.len()
    );
    if let Some(&i) = mismatches.first() {
        println!(
            "first mismatch at frame {i}: captured {:?}, replayed {:?}",
            &got[2 * i..2 * i + 2],
            &want[2 * i..2 * i + 2]
        );
    }
    Ok(mismatches.is_empty())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("synthcmp: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_log_and_refuses_a_wrapped_one() {
        let log = parse_log("# sample pres_time when bytes\n10 5 ontime 99 25 7f\n20 0 shed 4\n")
            .unwrap();
        assert_eq!(
            log,
            vec![Entry::Midi(10, vec![0x99, 0x25, 0x7f]), Entry::Shed(20, 4)]
        );
        assert!(parse_log("# overwritten 3\n").is_err());
        assert!(parse_log("10 5 sometime 90\n").is_err());
    }

    #[test]
    fn a_replay_is_silent_before_the_first_note_and_sounds_after() {
        let log = vec![
            Entry::Midi(480, vec![0xc0, 0]),
            Entry::Midi(480, vec![0x90, 69, 100]),
        ];
        let out = replay(&log, 48_000, 4800, builtin::BANK).unwrap();
        assert!(out[..960].iter().all(|&s| s == 0));
        assert!(out[960..].iter().any(|&s| s != 0));
    }

    #[test]
    fn a_capture_that_differs_by_one_sample_is_caught() {
        let log = vec![Entry::Midi(0, vec![0x90, 69, 100])];
        let a = replay(&log, 48_000, 1000, builtin::BANK).unwrap();
        let b = replay(&log, 48_000, 1000, builtin::BANK).unwrap();
        assert_eq!(a, b);
        let dir = std::env::temp_dir().join(format!("synthcmp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ev = dir.join("events");
        std::fs::write(&ev, "0 0 ontime 90 45 64\n").unwrap();
        let mut bytes: Vec<u8> = a.iter().flat_map(|s| s.to_le_bytes()).collect();
        let cap = dir.join("cap.raw");
        std::fs::write(&cap, &bytes).unwrap();
        let args = |c: &std::path::Path| vec![ev.display().to_string(), c.display().to_string()];
        assert_eq!(run(&args(&cap)), Ok(true));
        // The same capture against another bank (one with no instruments) differs.
        let empty = dir.join("empty.dmbk");
        std::fs::write(&empty, Bank::empty().as_bytes()).unwrap();
        let mut with_bank = args(&cap);
        with_bank.extend(["--bank".to_string(), empty.display().to_string()]);
        assert_eq!(run(&with_bank), Ok(false));
        with_bank[3] = dir.join("absent").display().to_string();
        assert!(run(&with_bank).is_err(), "a missing bank file is an error");
        bytes[400] ^= 1;
        std::fs::write(&cap, &bytes).unwrap();
        assert_eq!(run(&args(&cap)), Ok(false));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
