// SPDX-License-Identifier: GPL-2.0
//! Command line front end of `midicmp`; see `midicmp --help`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use midicmp::compare::{compare, prepare, report, verdict, FileInfo, Options};
use midicmp::smf::{load, Song};
use midicmp::wire::{describe, hex, Stream};

const USAGE: &str = "\
usage:
  midicmp compare PLAYED.mid RECORDED.mid [--max-p99-ms X] [--show N]
                  [--baud B] [--max-wire-p99-ms Y] [--system]
                  [--noteon0-is-noteoff]
      Compare the MIDI messages of two files per channel, in order, and the
      timing error after aligning their first events.
      Exit 0 if event-exact (and p99 <= X), 1 if not, 2 on usage/file error.
  midicmp raw FILE.mid [-o OUT]
      Write the file's wire byte stream (tracks merged in time order, every
      status byte explicit, SysEx as F0..F7, escapes verbatim) to stdout
      or OUT.
  midicmp events FILE.mid [--noteon0-is-noteoff]
      List the file's received messages with their times, one per line.

options:
  --max-p99-ms X        fail if the 99th percentile timing error exceeds X ms
  --show N              differences to print per channel (default 5)
  --baud B              baud rate of the UART timing model (default 31250,
                        0 = no model); its error is printed as `wire`
  --max-wire-p99-ms Y   fail if the p99 error against that model exceeds Y
  --system              also compare system common / real-time messages
                        (never recorded by arecordmidi, so off by default)
  --noteon0-is-noteoff  treat note-on velocity 0 as note-off velocity 0
                        (what `aplaymidi -u 1` does); off by default
";

/// MIDI 1.0 DIN / MPU-401 UART rate.
const DEFAULT_BAUD: u32 = 31250;

/// A usage or file error: message for stderr, exit status 2.
struct Fatal(String);

fn usage_err(msg: impl Into<String>) -> Fatal {
    Fatal(format!("midicmp: {}\n{USAGE}", msg.into()))
}

fn load_song(path: &str) -> Result<Song, Fatal> {
    load(Path::new(path)).map_err(|e| Fatal(format!("midicmp: {e}")))
}

/// Parses the options shared by the subcommands; returns positionals.
fn parse_args(
    args: &[String],
    opts: &mut Options,
    out: &mut Option<String>,
) -> Result<Vec<String>, Fatal> {
    let mut pos = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| usage_err(format!("{name} needs a value")))
        };
        match a.as_str() {
            "--max-p99-ms" | "--max-wire-p99-ms" => {
                let v = value(a)?;
                let x: f64 = v
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| usage_err(format!("{a}: bad number '{v}'")))?;
                if a == "--max-p99-ms" {
                    opts.max_p99_ms = Some(x);
                } else {
                    opts.max_wire_p99_ms = Some(x);
                }
            }
            "--baud" => {
                let v = value(a)?;
                opts.baud = v
                    .parse()
                    .map_err(|_| usage_err(format!("--baud: bad rate '{v}'")))?;
            }
            "--show" => {
                let v = value(a)?;
                opts.show = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| usage_err(format!("--show: bad count '{v}'")))?;
            }
            "--system" => opts.system = true,
            "--noteon0-is-noteoff" => opts.noteon0_is_noteoff = true,
            "-o" | "--output" => *out = Some(value(a)?),
            "--" => pos.extend(it.by_ref().cloned()),
            s if s.starts_with('-') && s != "-" => {
                return Err(usage_err(format!("unknown option '{s}'")))
            }
            _ => pos.push(a.clone()),
        }
    }
    Ok(pos)
}

fn cmd_compare(args: &[String]) -> Result<u8, Fatal> {
    let mut opts = Options {
        baud: DEFAULT_BAUD,
        ..Options::default()
    };
    let mut out = None;
    let pos = parse_args(args, &mut opts, &mut out)?;
    if out.is_some() {
        return Err(usage_err("compare takes no -o"));
    }
    let [played, recorded] = pos.as_slice() else {
        return Err(usage_err("compare needs PLAYED.mid and RECORDED.mid"));
    };
    let ps = load_song(played)?;
    let rs = load_song(recorded)?;
    let pp = prepare(&ps, &opts);
    let rp = prepare(&rs, &opts);
    let outcome = compare(&pp, &rp);
    let text = report(
        &FileInfo {
            name: played,
            song: &ps,
            prep: &pp,
        },
        &FileInfo {
            name: recorded,
            song: &rs,
            prep: &rp,
        },
        &outcome,
        &opts,
    );
    print!("{text}");
    Ok(verdict(&outcome, &opts).code as u8)
}

fn cmd_raw(args: &[String]) -> Result<u8, Fatal> {
    let mut opts = Options::default();
    let mut out = None;
    let pos = parse_args(args, &mut opts, &mut out)?;
    if opts.max_p99_ms.is_some()
        || opts.max_wire_p99_ms.is_some()
        || opts.baud != 0
        || opts.show != 0
        || opts.system
        || opts.noteon0_is_noteoff
    {
        return Err(usage_err("raw takes only -o OUT"));
    }
    let [file] = pos.as_slice() else {
        return Err(usage_err("raw needs one FILE.mid"));
    };
    let song = load_song(file)?;
    let bytes = song.wire_bytes();
    match out {
        Some(o) if o != "-" => std::fs::write(&o, &bytes)
            .map_err(|e| Fatal(format!("midicmp: {o}: cannot write: {e}")))?,
        _ => {
            let mut so = std::io::stdout().lock();
            so.write_all(&bytes)
                .and_then(|_| so.flush())
                .map_err(|e| Fatal(format!("midicmp: stdout: {e}")))?;
        }
    }
    Ok(0)
}

fn cmd_events(args: &[String]) -> Result<u8, Fatal> {
    let mut opts = Options::default();
    let mut out = None;
    let pos = parse_args(args, &mut opts, &mut out)?;
    if out.is_some()
        || opts.max_p99_ms.is_some()
        || opts.max_wire_p99_ms.is_some()
        || opts.baud != 0
        || opts.show != 0
    {
        return Err(usage_err(
            "events takes only --noteon0-is-noteoff / --system",
        ));
    }
    let [file] = pos.as_slice() else {
        return Err(usage_err("events needs one FILE.mid"));
    };
    let song = load_song(file)?;
    // List everything the receiver saw, system messages included.
    opts.system = true;
    let prep = prepare(&song, &opts);
    let mut so = std::io::BufWriter::new(std::io::stdout().lock());
    let mut w = || -> std::io::Result<()> {
        writeln!(
            so,
            "# {file}: format {}, {} tracks, {}, {} tempo events, {} messages",
            song.format,
            song.tracks,
            song.division,
            song.tempo_changes,
            prep.msgs.len()
        )?;
        for warn in &song.warnings {
            writeln!(so, "# warning: {warn}")?;
        }
        writeln!(
            so,
            "#      time_s       tick  stream  bytes                description"
        )?;
        for m in &prep.msgs {
            let label = match m.stream {
                Stream::Channel(_) => m.stream.label(),
                Stream::System => "sys".into(),
            };
            writeln!(
                so,
                "{:>6}.{:06} {:>10}  {:<6}  {:<20} {}",
                m.time_us / 1_000_000,
                m.time_us % 1_000_000,
                m.tick,
                label,
                hex(&m.bytes),
                describe(&m.bytes)
            )?;
        }
        so.flush()
    };
    match w() {
        Ok(()) => Ok(0),
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(Fatal(format!("midicmp: stdout: {e}"))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("compare") => cmd_compare(&args[1..]),
        Some("raw") => cmd_raw(&args[1..]),
        Some("events") => cmd_events(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(0)
        }
        Some("-V" | "--version") => {
            println!("midicmp {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Some(other) => Err(usage_err(format!("unknown subcommand '{other}'"))),
        None => Err(usage_err("missing subcommand")),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Fatal(msg)) => {
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(2)
        }
    }
}
