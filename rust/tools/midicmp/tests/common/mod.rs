// SPDX-License-Identifier: GPL-2.0
//! Shared helpers for the integration tests: build SMFs in memory with
//! midly's writer, run the `midicmp` binary, and imitate what `arecordmidi`
//! writes for a given stream of wire messages.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use midly::live::LiveEvent;
use midly::num::{u15, u24, u28};
use midly::{Format, Header, MetaMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// One event of a test file, at an absolute tick.
#[derive(Clone, Debug)]
pub enum E {
    /// A channel message given as wire bytes (status explicit).
    Ch(Vec<u8>),
    /// An `F0` SysEx event; the data after F0 (normally ending in F7).
    Sys(Vec<u8>),
    /// An `F7` escape event's bytes.
    Esc(Vec<u8>),
    /// Set Tempo, microseconds per quarter note.
    Tempo(u32),
    /// A text meta event (never on the wire).
    Text(&'static str),
}

/// Shorthand for a channel message.
pub fn ch(bytes: &[u8]) -> E {
    E::Ch(bytes.to_vec())
}

/// Metrical timing with `ppq` ticks per quarter note.
pub fn ppq(n: u16) -> Timing {
    Timing::Metrical(u15::new(n))
}

/// Builds an SMF with midly's writer (which uses running status) from
/// tracks of (absolute tick, event); each track's events must be in tick
/// order. End of Track is appended.
pub fn smf(format: Format, timing: Timing, tracks: &[Vec<(u32, E)>]) -> Vec<u8> {
    let mut smf = Smf::new(Header::new(format, timing));
    for t in tracks {
        let mut track = Vec::new();
        let mut last = 0u32;
        for (tick, e) in t {
            assert!(*tick >= last, "events must be in tick order");
            let kind = match e {
                E::Ch(b) => match LiveEvent::parse(b).expect("valid channel message") {
                    LiveEvent::Midi { channel, message } => {
                        TrackEventKind::Midi { channel, message }
                    }
                    other => panic!("not a channel message: {other:?}"),
                },
                E::Sys(d) => TrackEventKind::SysEx(d),
                E::Esc(d) => TrackEventKind::Escape(d),
                E::Tempo(t) => TrackEventKind::Meta(MetaMessage::Tempo(u24::new(*t))),
                E::Text(s) => TrackEventKind::Meta(MetaMessage::Text(s.as_bytes())),
            };
            track.push(TrackEvent {
                delta: u28::new(tick - last),
                kind,
            });
            last = *tick;
        }
        track.push(TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        smf.tracks.push(track);
    }
    let mut out = Vec::new();
    smf.write_std(&mut out).expect("write SMF");
    out
}

/// A temporary file, removed on drop.
pub struct Tmp(pub PathBuf);

impl Tmp {
    /// Writes `data` to a fresh temporary file named after `tag`.
    pub fn new(tag: &str, data: &[u8]) -> Tmp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("midicmp-test-{}-{n}-{tag}.mid", std::process::id()));
        std::fs::write(&p, data).expect("write temp file");
        Tmp(p)
    }

    /// The path as a string argument.
    pub fn arg(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Output of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
}

/// Runs `midicmp` with `args`.
pub fn run(args: &[&str]) -> Run {
    let o = Command::new(env!("CARGO_BIN_EXE_midicmp"))
        .args(args)
        .output()
        .expect("run midicmp");
    Run {
        code: o.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stdout_bytes: o.stdout,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `midicmp compare` on two in-memory files.
pub fn compare(played: &[u8], recorded: &[u8], extra: &[&str]) -> Run {
    let p = Tmp::new("played", played);
    let r = Tmp::new("rec", recorded);
    let (pa, ra) = (p.arg(), r.arg());
    let mut args = vec!["compare", pa.as_str(), ra.as_str()];
    args.extend_from_slice(extra);
    run(&args)
}

/// Parses `timing   : median A ms, p99 B ms, max C ms` into µs-ish floats.
pub fn timing_ms(report: &str) -> (f64, f64, f64) {
    let line = report
        .lines()
        .find(|l| l.starts_with("timing   : median"))
        .unwrap_or_else(|| panic!("no timing line in:\n{report}"));
    let nums: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| s.contains('.'))
        .map(|s| s.parse().unwrap())
        .collect();
    (nums[0], nums[1], nums[2])
}

/// Imitates `arecordmidi -b BPM -t PPQ`: one track (format 0), a tempo and
/// time signature meta event, every received message at the tick of its
/// arrival time (`time_us + offset_us(index)`), SysEx handed over in pieces
/// of at most 256 bytes (the kernel encoder's buffer) and written as an F0
/// event followed by F7 escape events; midly's writer adds running status,
/// as arecordmidi's `command()` does. System common / real-time messages
/// are dropped, as arecordmidi's `record_event()` does.
pub fn record_like_arecordmidi(
    played: &[u8],
    bpm: u32,
    ppq_: u16,
    offset_us: impl Fn(usize) -> u64,
) -> Vec<u8> {
    record_dropping(played, bpm, ppq_, offset_us, None)
}

/// [`record_like_arecordmidi`], losing received message number `drop`.
pub fn record_dropping(
    played: &[u8],
    bpm: u32,
    ppq_: u16,
    offset_us: impl Fn(usize) -> u64,
    drop: Option<usize>,
) -> Vec<u8> {
    let song = midicmp::smf::parse(played).expect("parse played");
    let rx = midicmp::wire::receive(&song.chunks);
    let us_per_q = 60_000_000 / u64::from(bpm);
    let mut evs: Vec<(u64, E)> = Vec::new();
    for (i, m) in rx.msgs.iter().enumerate() {
        if Some(i) == drop {
            continue;
        }
        let t = m.time_us + offset_us(i);
        let tick = (t * u64::from(ppq_) + us_per_q / 2) / us_per_q;
        match m.kind {
            midicmp::wire::MsgKind::Channel => evs.push((tick, E::Ch(m.bytes.clone()))),
            midicmp::wire::MsgKind::SysEx { .. } => {
                for (k, piece) in m.bytes.chunks(256).enumerate() {
                    if k == 0 {
                        evs.push((tick, E::Sys(piece[1..].to_vec())));
                    } else {
                        evs.push((tick, E::Esc(piece.to_vec())));
                    }
                }
            }
            _ => {}
        }
    }
    // Arrival order is wire order; a jittered offset must not go backwards.
    let mut last = 0;
    let mut track = vec![(0u32, E::Tempo(us_per_q as u32))];
    for (tick, e) in evs {
        last = last.max(tick);
        track.push((last as u32, e));
    }
    smf(Format::SingleTrack, ppq(ppq_), &[track])
}

/// Simulates the virtual cable for `sched`: each received message of the
/// file `file` is handed to the UART at `origin_ns + file time + delay(i)`
/// and starts then, or when the byte before it has arrived, whichever is
/// later; every byte takes `byte_ns`. With `running_status`, a channel
/// message with the same status as the previous one leaves it out (as
/// the kernel's sequencer encoder does). Returns the wire log entries
/// (arrival time, byte).
pub fn cable(
    file: &[u8],
    origin_ns: u64,
    byte_ns: u64,
    running_status: bool,
    delay: impl Fn(usize) -> i64,
) -> Vec<(u64, u8)> {
    let song = midicmp::smf::parse(file).expect("parse file");
    let rx = midicmp::sched::file_messages(&song);
    let mut free = 0u64;
    let mut last_status = None;
    let mut out = Vec::new();
    for (i, m) in rx.msgs.iter().enumerate() {
        let due = (origin_ns + m.stamp) as i64 + delay(i);
        let mut t = free.max(due as u64);
        let st = m.bytes[0];
        let skip = running_status && st < 0xf0 && last_status == Some(st);
        last_status = match st {
            0x80..=0xef => Some(st),
            0xf8..=0xff => last_status,
            _ => None,
        };
        for &b in &m.bytes[usize::from(skip)..] {
            t += byte_ns;
            out.push((t, b));
        }
        free = t;
    }
    out
}

/// The text of a debugfs `wire` log with these entries.
pub fn wire_text(entries: &[(u64, u8)]) -> String {
    let mut s = String::from("# time_ns byte\n");
    for (t, b) in entries {
        s.push_str(&format!("{t} {b:02x}\n"));
    }
    s
}

/// Parses the `key` number out of a one-line JSON object (`null` is None).
pub fn json_num(json: &str, key: &str) -> Option<i64> {
    let pat = format!("\"{key}\":");
    let at = json
        .find(&pat)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + pat.len();
    let v: String = json[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (v != "null").then(|| v.parse().unwrap_or_else(|_| panic!("{key}: {v}")))
}
