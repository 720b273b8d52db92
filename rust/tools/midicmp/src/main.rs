// SPDX-License-Identifier: GPL-2.0
//! Command line front end of `midicmp`; see `midicmp --help`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use midicmp::compare::{compare, prepare, report, verdict, FileInfo, Options};
use midicmp::sched::{
    file_messages, mismatch_json, mismatch_text, sched, sched_json, sched_text, since, stamps,
    stamps_json, stamps_text, Mismatch, Origin, SchedOptions,
};
use midicmp::smf::{load, Song};
use midicmp::wire::{describe, hex, Stream};
use midicmp::wirelog::{load_stamps, load_wire_log, WireByte, MAX_NS};

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
  midicmp sched FILE.mid WIRE_LOG [--t0 T0 | --fit | --fit-rate] [--byte-ns N]
                [--from-ns NS] [--early-slack-ns S] [--label TEXT] [--json]
                [--fail-early]
      Check when each burst-leading message of the file started on the
      virtual cable (debugfs `wire` log) against its intended time:
      T0 * 100 ns + file time (--t0, T0 in 100 ns units of CLOCK_MONOTONIC,
      as given to dmusplay), or file time + an offset fitted so that the
      median error is 0 (--fit, the default; for aplaymidi), or with the file's
      clock also scaled by a least-squares rate (--fit-rate: only jitter is
      left when the player's clock runs fast or slow).
      Exit 0 if the messages match, 1 if not, 2 on usage/file error,
      3 with --fail-early if a burst leader started early.
  midicmp stamps STAMPS WIRE_LOG [--byte-ns N] [--from-ns NS] [--label TEXT]
                 [--json] [--fail-before]
      Compare capture stamps (`dmusrec --stamps`: `<stamp in 100 ns> <hex
      bytes>` per message) with the wire arrival of each message's first
      byte. Exit 0 if the messages match, 1 if not, 2 on usage/file error,
      3 with --fail-before if a stamp is before the arrival.

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

sched / stamps options:
  --t0 T0               file time 0 is at T0 x 100 ns CLOCK_MONOTONIC
  --fit                 fit file time 0 so that the median error is 0
  --fit-rate            fit a rate too (least squares), then file time 0
  --byte-ns N           wire time of one byte (default 320000: 31250 baud;
                        see `byte_ns:` in the debugfs `counters` file)
  --from-ns NS          ignore logged bytes that arrived before NS
                        (CLOCK_MONOTONIC ns; bytes of earlier plays)
  --early-slack-ns S    starts at most S ns early are not early (default
                        100: file times are rounded to 100 ns units)
  --label TEXT          name of the result (default: the first file)
  --json                print one JSON object instead of the report
  --fail-early          exit 3 if a burst leader started early (needs --t0)
  --fail-before         exit 3 if a stamp is before its message's arrival
";

/// Default wire time of a byte: 10 bits at 31250 baud.
const DEFAULT_BYTE_NS: u64 = 320_000;

/// Default tolerance for an early start (one DMus clock unit).
const DEFAULT_EARLY_SLACK_NS: u64 = 100;

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

/// Options of `sched` and `stamps`.
#[derive(Default)]
struct TimingArgs {
    t0: Option<u64>,
    fit: bool,
    fit_rate: bool,
    byte_ns: Option<u64>,
    from_ns: Option<u64>,
    early_slack_ns: Option<u64>,
    label: Option<String>,
    json: bool,
    fail_early: bool,
    fail_before: bool,
}

/// Parses the options of `sched` and `stamps`; returns them and the
/// positionals.
fn parse_timing_args(args: &[String]) -> Result<(TimingArgs, Vec<String>), Fatal> {
    let mut t = TimingArgs::default();
    let mut pos = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| usage_err(format!("{name} needs a value")))
        };
        let int = |name: &str, v: String, max: u64| {
            v.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| usage_err(format!("{name}: bad value '{v}'")))
        };
        match a.as_str() {
            "--t0" => t.t0 = Some(int(a, value(a)?, MAX_NS / 100)?),
            "--byte-ns" => t.byte_ns = Some(int(a, value(a)?, 1_000_000_000)?),
            "--from-ns" => t.from_ns = Some(int(a, value(a)?, MAX_NS)?),
            "--early-slack-ns" => t.early_slack_ns = Some(int(a, value(a)?, 1_000_000_000)?),
            "--label" => t.label = Some(value(a)?),
            "--fit" => t.fit = true,
            "--fit-rate" => t.fit_rate = true,
            "--json" => t.json = true,
            "--fail-early" => t.fail_early = true,
            "--fail-before" => t.fail_before = true,
            "--" => pos.extend(it.by_ref().cloned()),
            s if s.starts_with('-') && s != "-" => {
                return Err(usage_err(format!("unknown option '{s}'")))
            }
            _ => pos.push(a.clone()),
        }
    }
    Ok((t, pos))
}

/// Reads the wire log and keeps what arrived from `--from-ns` on.
fn wire_log(path: &str, from_ns: Option<u64>) -> Result<Vec<WireByte>, Fatal> {
    let log = load_wire_log(Path::new(path)).map_err(|e| Fatal(format!("midicmp: {e}")))?;
    Ok(since(&log, from_ns))
}

/// Hints for a mismatch whose sides differ in length.
fn count_notes(m: &Mismatch, what: &str, from_ns: Option<u64>) -> Vec<String> {
    let [want, got] = m.counts;
    let mut notes = Vec::new();
    if got == 0 {
        notes.push(match from_ns {
            Some(ns) => format!("no message in the wire log from {ns} ns on"),
            None => "no message in the wire log".to_string(),
        });
    } else if got > want {
        notes.push(format!(
            "the wire log has {} more messages than the {what}: bytes of another \
             play? (--from-ns)",
            got - want
        ));
    } else if got < want {
        notes.push(format!(
            "the wire log has {} fewer messages than the {what}: it keeps only its \
             last bytes (wire_log_len in debugfs counters), or the play had not ended",
            want - got
        ));
    }
    notes
}

/// Prints `text` to stdout; a closed pipe is not an error.
fn print_out(text: &str) -> Result<(), Fatal> {
    let mut so = std::io::stdout().lock();
    match so.write_all(text.as_bytes()).and_then(|_| so.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Fatal(format!("midicmp: stdout: {e}")))
        }
        _ => Ok(()),
    }
}

fn cmd_sched(args: &[String]) -> Result<u8, Fatal> {
    let (t, pos) = parse_timing_args(args)?;
    if t.fail_before {
        return Err(usage_err(
            "sched takes no --fail-before (that is for stamps)",
        ));
    }
    let origin = match (t.t0, t.fit, t.fit_rate) {
        (Some(_), true, _) | (Some(_), _, true) | (None, true, true) => {
            return Err(usage_err("sched takes one of --t0, --fit and --fit-rate"))
        }
        (Some(t0), false, false) => Origin::T0(t0),
        (None, _, true) => Origin::FitRate,
        (None, _, false) => Origin::Fit,
    };
    if t.fail_early && origin != Origin::T0(t.t0.unwrap_or(0)) {
        return Err(usage_err(
            "--fail-early needs --t0 (with a fitted origin about half of the messages \
             start before their time by construction)",
        ));
    }
    let [file, log] = pos.as_slice() else {
        return Err(usage_err("sched needs FILE.mid and WIRE_LOG"));
    };
    let song = load_song(file)?;
    let log = wire_log(log, t.from_ns)?;
    let opts = SchedOptions {
        origin,
        byte_ns: t.byte_ns.unwrap_or(DEFAULT_BYTE_NS),
        early_slack_ns: t.early_slack_ns.unwrap_or(DEFAULT_EARLY_SLACK_NS),
    };
    let label = t.label.as_deref().unwrap_or(file);
    let mut notes = song.warnings.clone();
    match sched(&file_messages(&song), &log, &opts) {
        Ok(r) => {
            print_out(&if t.json {
                sched_json(label, &r, &opts)
            } else {
                sched_text(label, &r, &opts, &notes)
            })?;
            Ok(if t.fail_early && r.early > 0 { 3 } else { 0 })
        }
        Err(m) => {
            notes.extend(count_notes(&m, "file", t.from_ns));
            print_out(&if t.json {
                mismatch_json(label, &m, ["file", "wire"])
            } else {
                mismatch_text(label, &m, ["file", "wire"], &notes)
            })?;
            Ok(1)
        }
    }
}

fn cmd_stamps(args: &[String]) -> Result<u8, Fatal> {
    let (t, pos) = parse_timing_args(args)?;
    if t.t0.is_some() || t.fit || t.fit_rate || t.fail_early || t.early_slack_ns.is_some() {
        return Err(usage_err(
            "stamps takes only --byte-ns, --from-ns, --label, --json, --fail-before",
        ));
    }
    let [stamps_file, log] = pos.as_slice() else {
        return Err(usage_err("stamps needs STAMPS and WIRE_LOG"));
    };
    let lines = load_stamps(Path::new(stamps_file)).map_err(|e| Fatal(format!("midicmp: {e}")))?;
    let log = wire_log(log, t.from_ns)?;
    let byte_ns = t.byte_ns.unwrap_or(DEFAULT_BYTE_NS);
    let label = t.label.as_deref().unwrap_or(stamps_file);
    match stamps(&lines, &log, byte_ns) {
        Ok(r) => {
            print_out(&if t.json {
                stamps_json(label, &r, byte_ns)
            } else {
                stamps_text(label, &r, &[])
            })?;
            Ok(if t.fail_before && r.before > 0 { 3 } else { 0 })
        }
        Err(m) => {
            let notes = count_notes(&m, "capture", t.from_ns);
            print_out(&if t.json {
                mismatch_json(label, &m, ["capture", "wire"])
            } else {
                mismatch_text(label, &m, ["capture", "wire"], &notes)
            })?;
            Ok(1)
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("compare") => cmd_compare(&args[1..]),
        Some("raw") => cmd_raw(&args[1..]),
        Some("events") => cmd_events(&args[1..]),
        Some("sched") => cmd_sched(&args[1..]),
        Some("stamps") => cmd_stamps(&args[1..]),
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
