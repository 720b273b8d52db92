// SPDX-License-Identifier: GPL-2.0
//! Normalisation and event-by-event comparison of a played and a recorded
//! file, plus the timing statistics.
//!
//! # Normalisation rules
//!
//! Only what the `aplaymidi` → sequencer → rawmidi → cable → rawmidi →
//! sequencer → `arecordmidi` path legitimately changes is normalised:
//!
//! * **N1 — wire view.** Both files are reduced to the bytes they put on the
//!   wire ([`crate::smf`]) and re-received as whole messages
//!   ([`crate::wire`]). Meta events (tempo, text, end of track, ...) never
//!   reach the wire and are dropped. Running status, in the SMF or on the
//!   wire (the kernel's `snd_midi_event_decode()` emits it), is expanded:
//!   every message is compared with its status byte.
//! * **N2 — SysEx is one message `F0 .. F7`.** The kernel's byte→event
//!   encoder hands a long SysEx to the sequencer in pieces of at most
//!   `MAX_MIDI_EVENT_BUF` (256) bytes, and `arecordmidi` writes each piece
//!   as its own `F0` event (first piece) or `F7` escape event (later
//!   pieces); a played file may be packetised differently again. Pieces are
//!   joined back into one message, timed at its `F0`.
//! * **N3 — system common / real-time are not compared by default.** An SMF
//!   can only hold `F1`..`F6` and `F8`..`FF` inside `F7` escapes;
//!   `arecordmidi`'s `record_event()` has no case for the sequencer events
//!   they become (QFRAME, SONGPOS, CLOCK, ...), so they can never be in
//!   `rec.mid`. They are counted and reported; `--system` compares them
//!   too (useful for two played files).
//! * **N4 — note-off forms are NOT merged by default.** `aplaymidi` maps
//!   `9n kk 00` to `SND_SEQ_EVENT_NOTEON` velocity 0 and `8n kk vv` to
//!   `SND_SEQ_EVENT_NOTEOFF` velocity `vv`, both copied verbatim; the
//!   kernel's `note_decode()` / `note_event()` copy note and velocity
//!   verbatim in both directions and never turn one type into the other;
//!   `arecordmidi` writes NOTEON/NOTEOFF with the velocity it got. So both
//!   forms survive the path byte-exactly and merging them would hide a
//!   driver that rewrites note-offs. Only `aplaymidi -u 1` (UMP mode)
//!   rewrites note-on velocity 0 into a note-off with velocity 0
//!   (`fill_ump_event()`); `--noteon0-is-noteoff` models exactly that:
//!   `9n kk 00` becomes `8n kk 00` in both files. Note-off velocity is
//!   never changed.
//! * **N5 — time origin.** Each file's times are taken relative to its own
//!   first compared message, so a constant start latency is no error.
//!
//! Besides the plain timing error, a second figure compares the recording
//! with a model of the UART (`--baud`, default 31250: 10 bits, 320 µs per
//! byte): each played message starts when it is due or when the previous
//! one has left, whichever is later, and is received when its last byte
//! is; status bytes are left out as the kernel's `snd_midi_event_decode()`
//! does (running status across channel messages; SysEx resets it, system
//! common messages always carry their status). A chord of N notes thus
//! reaches the recorder over N x 0.64..0.96 ms, which is the wire, not the
//! driver.
//!
//! Messages are then compared per stream (MIDI channels 1..16, plus one
//! system stream), in order, with a shortest edit script so one dropped
//! event shows as one difference.

use std::collections::BTreeMap;

use crate::diff::{lockstep, myers, Op};
use crate::smf::Song;
use crate::wire::{describe, hex, receive, Msg, MsgKind, Stream};

/// Largest number of edits searched for per stream before falling back to a
/// positional comparison.
const MAX_EDITS: usize = 2000;

/// Comparison options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Rule N4 switch: treat note-on velocity 0 as note-off velocity 0.
    pub noteon0_is_noteoff: bool,
    /// Rule N3 switch: compare system common / real-time messages too.
    pub system: bool,
    /// Fail when the 99th percentile timing error exceeds this (ms).
    pub max_p99_ms: Option<f64>,
    /// How many differences to print per stream (0 means the default 5).
    pub show: usize,
    /// Baud rate of the UART timing model; 0 disables the model.
    pub baud: u32,
    /// Fail when the 99th percentile error against the model exceeds this.
    pub max_wire_p99_ms: Option<f64>,
}

/// One file after normalisation.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Messages compared, in wire order.
    pub msgs: Vec<Msg>,
    /// Distinct MIDI channels used.
    pub channels: usize,
    /// SysEx messages among `msgs`.
    pub sysex: usize,
    /// SysEx cut by another status byte or the end of file.
    pub unterminated_sysex: usize,
    /// System common / real-time messages left out (rule N3).
    pub excluded_system: usize,
    /// Data bytes without a status (dropped by the receiver).
    pub stray_bytes: usize,
    /// Messages cut short (dropped by the receiver).
    pub incomplete: usize,
    /// Time of the first compared message (µs).
    pub first_us: u64,
    /// Time of the last compared message (µs).
    pub last_us: u64,
    /// Per message, when its last byte reaches a receiver through a UART
    /// at `Options::baud` (empty when the model is off).
    pub wire_us: Vec<u64>,
    /// The smallest of `wire_us` (0 when the model is off).
    pub wire_first_us: u64,
}

/// Arrival times of `msgs` through a UART sending `us_per_byte` per byte,
/// with running status as the kernel's sequencer→rawmidi encoder uses it.
pub fn wire_model(msgs: &[Msg], us_per_byte: u64) -> Vec<u64> {
    let mut done = 0u64;
    let mut last_status: Option<u8> = None;
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        let st = m.bytes[0];
        let mut n = m.bytes.len() as u64;
        match st {
            0x80..=0xef => {
                if last_status == Some(st) {
                    n -= 1;
                }
                last_status = Some(st);
            }
            0xf0 => last_status = None,
            0xf1..=0xf7 => last_status = Some(st),
            _ => {}
        }
        done = done.max(m.time_us) + n * us_per_byte;
        out.push(done);
    }
    out
}

/// Applies rules N1..N4 to a loaded file.
pub fn prepare(song: &Song, opts: &Options) -> Prepared {
    let rx = receive(&song.chunks);
    let mut msgs = Vec::with_capacity(rx.msgs.len());
    let mut excluded_system = 0;
    for mut m in rx.msgs {
        if matches!(m.kind, MsgKind::Common | MsgKind::RealTime) && !opts.system {
            excluded_system += 1;
            continue;
        }
        if opts.noteon0_is_noteoff && m.bytes[0] & 0xf0 == 0x90 && m.bytes[2] == 0 {
            m.bytes[0] = 0x80 | (m.bytes[0] & 0x0f);
        }
        msgs.push(m);
    }
    let mut used = [false; 16];
    let mut sysex = 0;
    let mut unterminated_sysex = 0;
    for m in &msgs {
        match m.stream {
            Stream::Channel(c) => used[usize::from(c)] = true,
            Stream::System => {}
        }
        if let MsgKind::SysEx { terminated } = m.kind {
            sysex += 1;
            if !terminated {
                unterminated_sysex += 1;
            }
        }
    }
    let first_us = msgs.iter().map(|m| m.time_us).min().unwrap_or(0);
    let last_us = msgs.iter().map(|m| m.time_us).max().unwrap_or(0);
    let wire_us = if opts.baud > 0 {
        // 1 start + 8 data + 1 stop bit.
        wire_model(&msgs, 10_000_000u64.div_ceil(u64::from(opts.baud)))
    } else {
        Vec::new()
    };
    Prepared {
        wire_first_us: wire_us.iter().copied().min().unwrap_or(0),
        wire_us,
        channels: used.iter().filter(|&&u| u).count(),
        sysex,
        unterminated_sysex,
        excluded_system,
        stray_bytes: rx.stray_bytes,
        incomplete: rx.incomplete,
        first_us,
        last_us,
        msgs,
    }
}

/// Kind of one difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffKind {
    /// In the played file, not recorded.
    Missing,
    /// Recorded, not in the played file.
    Extra,
    /// Recorded in place of a different played message.
    Changed,
}

/// One difference, by index into the prepared message lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What kind of difference.
    pub kind: DiffKind,
    /// Index of the played message (Missing, Changed).
    pub played: Option<usize>,
    /// Index of the recorded message (Extra, Changed).
    pub recorded: Option<usize>,
}

/// Timing error statistics over matched messages, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Number of matched messages measured.
    pub n: usize,
    /// Median absolute error.
    pub median_us: u64,
    /// 99th percentile (nearest rank).
    pub p99_us: u64,
    /// Largest error.
    pub max_us: u64,
}

/// Jitter: the spread of each message's delay around the median delay.
///
/// Aligning on the first message leaves that message's own delay in every
/// other error (on a 31250-baud cable a burst at the start delays its last
/// message by milliseconds). The median signed offset is that constant part;
/// what varies from message to message is measured around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jitter {
    /// Median of (recorded - played) after aligning the first message, µs.
    pub offset_us: i64,
    /// |offset - median offset| statistics.
    pub spread: Timing,
}

/// The result of comparing two prepared files.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Messages matched identically, in order, per stream.
    pub identical: usize,
    /// Count of each difference kind.
    pub missing: usize,
    /// Recorded messages with no played counterpart.
    pub extra: usize,
    /// Played messages recorded with different bytes.
    pub changed: usize,
    /// All differences per stream, in stream order.
    pub diffs: BTreeMap<Stream, Vec<Difference>>,
    /// Streams whose edit script exceeded the search limit (compared by
    /// position instead).
    pub gave_up: Vec<Stream>,
    /// Timing error over the identical messages, if any.
    pub timing: Option<Timing>,
    /// Timing error against the played file's UART model, if enabled.
    pub wire_timing: Option<Timing>,
    /// Jitter around the median offset, if any message matched.
    pub jitter: Option<Jitter>,
}

impl Outcome {
    /// True when every message matched.
    pub fn event_exact(&self) -> bool {
        self.missing == 0 && self.extra == 0 && self.changed == 0
    }
}

/// Nearest-rank percentile of sorted data.
pub(crate) fn percentile(sorted: &[u64], p: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

fn stats(mut errors: Vec<u64>) -> Option<Timing> {
    if errors.is_empty() {
        return None;
    }
    errors.sort_unstable();
    Some(Timing {
        n: errors.len(),
        median_us: percentile(&errors, 50),
        p99_us: percentile(&errors, 99),
        max_us: *errors.last().unwrap_or(&0),
    })
}

fn jitter(mut offsets: Vec<i64>) -> Option<Jitter> {
    if offsets.is_empty() {
        return None;
    }
    offsets.sort_unstable();
    let offset_us = offsets[(offsets.len() - 1) / 2];
    let spread = stats(offsets.iter().map(|o| o.abs_diff(offset_us)).collect())?;
    Some(Jitter { offset_us, spread })
}

/// Compares two prepared files per stream.
pub fn compare(play: &Prepared, rec: &Prepared) -> Outcome {
    let mut by_stream: BTreeMap<Stream, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, m) in play.msgs.iter().enumerate() {
        by_stream.entry(m.stream).or_default().0.push(i);
    }
    for (i, m) in rec.msgs.iter().enumerate() {
        by_stream.entry(m.stream).or_default().1.push(i);
    }

    let mut out = Outcome {
        identical: 0,
        missing: 0,
        extra: 0,
        changed: 0,
        diffs: BTreeMap::new(),
        gave_up: Vec::new(),
        timing: None,
        wire_timing: None,
        jitter: None,
    };
    let mut errors: Vec<u64> = Vec::new();
    let mut offsets: Vec<i64> = Vec::new();
    let mut wire_errors: Vec<u64> = Vec::new();
    for (stream, (pi, ri)) in &by_stream {
        let a: Vec<&[u8]> = pi.iter().map(|&i| play.msgs[i].bytes.as_slice()).collect();
        let b: Vec<&[u8]> = ri.iter().map(|&i| rec.msgs[i].bytes.as_slice()).collect();
        let ops = match myers(&a, &b, MAX_EDITS) {
            Some(ops) => ops,
            None => {
                out.gave_up.push(*stream);
                lockstep(&a, &b)
            }
        };
        let mut diffs = Vec::new();
        let mut dels: Vec<usize> = Vec::new();
        let mut ins: Vec<usize> = Vec::new();
        let flush = |dels: &mut Vec<usize>, ins: &mut Vec<usize>, diffs: &mut Vec<Difference>| {
            let paired = dels.len().min(ins.len());
            for k in 0..dels.len().max(ins.len()) {
                let kind = if k < paired {
                    DiffKind::Changed
                } else if k < dels.len() {
                    DiffKind::Missing
                } else {
                    DiffKind::Extra
                };
                diffs.push(Difference {
                    kind,
                    played: dels.get(k).copied(),
                    recorded: ins.get(k).copied(),
                });
            }
            dels.clear();
            ins.clear();
        };
        for op in ops {
            match op {
                Op::Equal(x, y) => {
                    flush(&mut dels, &mut ins, &mut diffs);
                    out.identical += 1;
                    let p = &play.msgs[pi[x]];
                    let r = &rec.msgs[ri[y]];
                    let tp = p.time_us - play.first_us;
                    let tr = r.time_us - rec.first_us;
                    errors.push(tp.abs_diff(tr));
                    offsets.push(tr as i64 - tp as i64);
                    if let Some(&w) = play.wire_us.get(pi[x]) {
                        wire_errors.push((w - play.wire_first_us).abs_diff(tr));
                    }
                }
                Op::Delete(x) => dels.push(pi[x]),
                Op::Insert(y) => ins.push(ri[y]),
            }
        }
        flush(&mut dels, &mut ins, &mut diffs);
        for d in &diffs {
            match d.kind {
                DiffKind::Missing => out.missing += 1,
                DiffKind::Extra => out.extra += 1,
                DiffKind::Changed => out.changed += 1,
            }
        }
        if !diffs.is_empty() {
            out.diffs.insert(*stream, diffs);
        }
    }
    out.timing = stats(errors);
    out.wire_timing = stats(wire_errors);
    out.jitter = jitter(offsets);
    out
}

/// Formats microseconds as milliseconds with two decimals.
fn ms(us: u64) -> String {
    let hundredths = (us + 5) / 10;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// `1 channel`, `2 channels`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Formats an absolute time in seconds with microsecond precision.
fn secs(us: u64) -> String {
    format!("{}.{:06} s", us / 1_000_000, us % 1_000_000)
}

/// The verdict of a comparison and its exit status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// One-line verdict text.
    pub text: String,
    /// Process exit status: 0 pass, 1 fail.
    pub code: i32,
}

/// Decides pass/fail from the outcome and the options.
pub fn verdict(out: &Outcome, opts: &Options) -> Verdict {
    if !out.event_exact() {
        return Verdict {
            text: "MISMATCH".into(),
            code: 1,
        };
    }
    for (limit, t, what) in [
        (opts.max_p99_ms, out.timing, "p99"),
        (opts.max_wire_p99_ms, out.wire_timing, "wire p99"),
    ] {
        if let (Some(limit), Some(t)) = (limit, t) {
            let p99_ms = t.p99_us as f64 / 1000.0;
            if p99_ms > limit {
                return Verdict {
                    text: format!("event-exact, but TIMING {what} {p99_ms:.3} ms > {limit} ms"),
                    code: 1,
                };
            }
        }
    }
    Verdict {
        text: "event-exact".into(),
        code: 0,
    }
}

/// Description of one file for the report.
pub struct FileInfo<'a> {
    /// Name as given on the command line.
    pub name: &'a str,
    /// The loaded file.
    pub song: &'a Song,
    /// Its prepared messages.
    pub prep: &'a Prepared,
}

fn file_line(label: &str, f: &FileInfo, width: usize) -> String {
    let p = f.prep;
    format!(
        "{label:<9}: {:<width$}  {} ({}, {} sysex), {:.1} s\n",
        f.name,
        plural(p.msgs.len(), "event"),
        plural(p.channels, "channel"),
        p.sysex,
        p.last_us as f64 / 1e6,
    )
}

fn file_notes(label: &str, f: &FileInfo, s: &mut String) {
    let p = f.prep;
    let mut notes: Vec<String> = f.song.warnings.clone();
    if p.excluded_system > 0 {
        notes.push(format!(
            "{} system common/real-time messages not compared (arecordmidi cannot \
             record them; use --system to include)",
            p.excluded_system
        ));
    }
    if p.unterminated_sysex > 0 {
        notes.push(format!(
            "{} SysEx cut by a status byte or end of file before F7",
            p.unterminated_sysex
        ));
    }
    if p.stray_bytes > 0 {
        notes.push(format!(
            "{} stray data bytes without a status (dropped)",
            p.stray_bytes
        ));
    }
    if p.incomplete > 0 {
        notes.push(format!("{} incomplete messages (dropped)", p.incomplete));
    }
    for n in notes {
        s.push_str(&format!("note     : {label}: {n}\n"));
    }
}

fn msg_line(m: &Msg, t_us: u64) -> String {
    format!(
        "{:>14}  tick {:<8} {:<20} {}",
        secs(t_us),
        m.tick,
        hex(&m.bytes),
        describe(&m.bytes)
    )
}

/// Renders the human-readable report.
pub fn report(play: &FileInfo, rec: &FileInfo, out: &Outcome, opts: &Options) -> String {
    let width = play.name.len().max(rec.name.len());
    let mut s = String::new();
    s.push_str(&file_line("played", play, width));
    s.push_str(&file_line("recorded", rec, width));
    s.push_str(&format!(
        "files    : played format {} ({}, {}, {}), recorded format {} ({}, {}, {})\n",
        play.song.format,
        plural(play.song.tracks, "track"),
        play.song.division,
        plural(play.song.tempo_changes, "tempo event"),
        rec.song.format,
        plural(rec.song.tracks, "track"),
        rec.song.division,
        plural(rec.song.tempo_changes, "tempo event"),
    ));
    file_notes("played", play, &mut s);
    file_notes("recorded", rec, &mut s);

    let total = play.prep.msgs.len();
    if out.event_exact() {
        s.push_str(&format!(
            "events   : {}/{} identical in order per channel\n",
            out.identical, total
        ));
    } else {
        s.push_str(&format!(
            "events   : {}/{} identical in order per channel; {} missing, {} extra, {} changed\n",
            out.identical, total, out.missing, out.extra, out.changed
        ));
    }
    match out.timing {
        Some(t) => s.push_str(&format!(
            "timing   : median {} ms, p99 {} ms, max {} ms (error after aligning the first \
             event, {} events)\n",
            ms(t.median_us),
            ms(t.p99_us),
            ms(t.max_us),
            t.n
        )),
        None => s.push_str("timing   : no matched events\n"),
    }
    if let Some(j) = out.jitter {
        s.push_str(&format!(
            "jitter   : median {} ms, p99 {} ms, max {} ms (around the median offset of {}{} ms)\n",
            ms(j.spread.median_us),
            ms(j.spread.p99_us),
            ms(j.spread.max_us),
            if j.offset_us < 0 { "-" } else { "" },
            ms(j.offset_us.unsigned_abs())
        ));
    }
    if let Some(t) = out.wire_timing {
        s.push_str(&format!(
            "wire     : median {} ms, p99 {} ms, max {} ms (error against a {}-baud UART \
             model of the played file)\n",
            ms(t.median_us),
            ms(t.p99_us),
            ms(t.max_us),
            opts.baud
        ));
    }

    if !out.diffs.is_empty() {
        let show = if opts.show == 0 { 5 } else { opts.show };
        s.push_str(&format!(
            "differences (first {show} per stream; recorded times shifted so both first \
             events are at the played one):\n"
        ));
        // Recorded time on the played file's clock.
        let rec_t = |m: &Msg| m.time_us - rec.prep.first_us + play.prep.first_us;
        for (stream, diffs) in &out.diffs {
            let gave_up = if out.gave_up.contains(stream) {
                " (too many differences: compared by position)"
            } else {
                ""
            };
            s.push_str(&format!(
                "  {}: {}{}\n",
                stream.label(),
                plural(diffs.len(), "difference"),
                gave_up
            ));
            for d in diffs.iter().take(show) {
                match d.kind {
                    DiffKind::Missing => {
                        let m = &play.prep.msgs[d.played.unwrap_or(0)];
                        s.push_str(&format!("    missing  {}\n", msg_line(m, m.time_us)));
                    }
                    DiffKind::Extra => {
                        let m = &rec.prep.msgs[d.recorded.unwrap_or(0)];
                        s.push_str(&format!("    extra    {}\n", msg_line(m, rec_t(m))));
                    }
                    DiffKind::Changed => {
                        let p = &play.prep.msgs[d.played.unwrap_or(0)];
                        let r = &rec.prep.msgs[d.recorded.unwrap_or(0)];
                        s.push_str(&format!("    played   {}\n", msg_line(p, p.time_us)));
                        s.push_str(&format!("    recorded {}\n", msg_line(r, rec_t(r))));
                    }
                }
            }
        }
    }
    s.push_str(&format!("verdict  : {}\n", verdict(out, opts).text));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_ms() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), 50);
        assert_eq!(percentile(&v, 99), 99);
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!(ms(0), "0.00");
        assert_eq!(ms(1234), "1.23");
        assert_eq!(ms(410), "0.41");
        assert_eq!(ms(1999), "2.00");
    }

    fn msg(t: u64, bytes: &[u8]) -> Msg {
        Msg {
            time_us: t,
            tick: 0,
            stream: Stream::System,
            kind: MsgKind::Channel,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn uart_model_queues_bytes_with_running_status() {
        let m = [
            msg(0, &[0x90, 60, 100]),      // 3 bytes: done 960
            msg(0, &[0x90, 64, 100]),      // running status, 2: 1600
            msg(0, &[0x91, 64, 100]),      // 3: 2560
            msg(10_000, &[0xc1, 5]),       // idle wire: 10000 + 640
            msg(10_100, &[0xf0, 1, 0xf7]), // queued: 10640 + 960
            msg(11_600, &[0xc1, 6]),       // status again after SysEx: +640
        ];
        assert_eq!(
            wire_model(&m, 320),
            vec![960, 1600, 2560, 10_640, 11_600, 12_240]
        );
    }

    #[test]
    fn jitter_separates_the_constant_offset_from_the_spread() {
        // Every message after the first arrives 5 ms late, one 2 ms later still.
        let mut offsets = vec![0i64];
        offsets.extend(std::iter::repeat_n(5_000, 98));
        offsets.push(7_000);
        let j = jitter(offsets).expect("messages");
        assert_eq!(j.offset_us, 5_000);
        assert_eq!(j.spread.median_us, 0);
        assert_eq!(j.spread.max_us, 5_000);
        assert_eq!(j.spread.n, 100);
        assert_eq!(jitter(Vec::new()), None);
    }
}
