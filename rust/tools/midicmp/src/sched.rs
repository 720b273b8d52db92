// SPDX-License-Identifier: GPL-2.0
//! Timing checks against the virtual MPU-401's wire log
//! ([`crate::wirelog`]): `midicmp sched` (did each message start on the
//! cable at its intended time?) and `midicmp stamps` (how late did the
//! capture path stamp each message after it arrived?).
//!
//! Both receive the logged bytes as whole messages with
//! [`crate::wire::receive_bytes`] (running status expanded, SysEx joined,
//! real-time bytes as messages of their own), each message tagged with
//! the log entry of its first byte, and match them in order with the
//! messages they should be.
//!
//! # Times
//!
//! A log entry's `time_ns` is when the byte's last bit arrived; the byte
//! started `byte_ns` earlier (320 µs at 31250 baud: 10 bits). A message
//! *starts* when its first byte starts. The intended start of file message
//! `i` is `origin + file_time(i)`, the file time (tempo map applied,
//! rounded to the nanosecond) counted from tick 0:
//!
//! * with `--t0 T0`, `origin = T0 * 100` (`T0` in 100 ns units, as
//!   `dmusplay` gives each event the presentation time `T0 + file time`);
//! * with `--fit`, `origin` is the median over burst leaders of
//!   `start - file_time` (the lower median for an even count), so that
//!   the median error is exactly 0: only the spread is measured, as fits
//!   `aplaymidi`, whose queue starts at an unknown time.
//!
//! Only *burst leaders* are scored: a message whose file time is later
//! than the previous message's. Messages due at the same time queue
//! behind each other on the cable, so only the first of them can start on
//! time.

use crate::compare::percentile;
pub use crate::report::{
    json_str, mismatch_json, mismatch_text, ms, sched_json, sched_text, secs, stamps_json,
    stamps_text,
};
use crate::smf::Song;
use crate::wire::{receive_bytes, ReceivedBytes, Stamped};
use crate::wirelog::{StampLine, WireByte};

/// A late start worth counting: 1 ms.
pub const LATE_NS: i64 = 1_000_000;

/// The file's messages, each stamped with its file time in nanoseconds.
pub fn file_messages(song: &Song) -> ReceivedBytes<u64> {
    receive_bytes(
        song.chunks
            .iter()
            .flat_map(|c| c.bytes.iter().map(move |&b| (c.time_ns, b))),
    )
}

/// The logged bytes as messages, each stamped with the index of its first
/// byte in `log`.
pub fn wire_messages(log: &[WireByte]) -> ReceivedBytes<usize> {
    receive_bytes(log.iter().enumerate().map(|(i, w)| (i, w.byte)))
}

/// The part of the log that arrived at or after `from_ns` (all of it if
/// `None`): bytes of earlier plays are left out.
pub fn since(log: &[WireByte], from_ns: Option<u64>) -> Vec<WireByte> {
    let from = from_ns.unwrap_or(0);
    log.iter().copied().filter(|w| w.time_ns >= from).collect()
}

/// Signed statistics of a set of errors, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Number of values.
    pub n: usize,
    /// Median of the signed values (the lower one for an even count).
    pub median_ns: i64,
    /// 99th percentile (nearest rank) of the absolute values.
    pub p99_abs_ns: u64,
    /// Largest absolute value.
    pub max_abs_ns: u64,
}

/// [`Stats`] of `values`; `None` when there are none.
pub fn stats(values: &[i64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let mut signed = values.to_vec();
    signed.sort_unstable();
    let mut abs: Vec<u64> = values.iter().map(|v| v.unsigned_abs()).collect();
    abs.sort_unstable();
    Some(Stats {
        n: values.len(),
        median_ns: signed[(signed.len() - 1) / 2],
        p99_abs_ns: percentile(&abs, 99),
        max_abs_ns: abs[abs.len() - 1],
    })
}

/// Saturates a wide intermediate to `i64`.
pub(crate) fn sat(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// One side of a mismatch: a message and its time in nanoseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgView {
    /// File time, arrival time or capture stamp (in ns), per side.
    pub time_ns: u64,
    /// The message's bytes, status explicit.
    pub bytes: Vec<u8>,
}

/// Why two message streams are not the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Index of the first message that differs or is missing on one side;
    /// `None` when all messages match but the stray or incomplete counts
    /// differ.
    pub index: Option<usize>,
    /// Messages on each side (expected, found).
    pub counts: [usize; 2],
    /// The messages at `index`, if that side has one.
    pub msgs: [Option<MsgView>; 2],
    /// Data bytes without a status, per side.
    pub stray_bytes: [usize; 2],
    /// Messages cut short, per side.
    pub incomplete: [usize; 2],
}

/// Compares two received streams message by message; `time` gives the
/// time in ns of each side's message for the report.
fn match_streams<A: Copy, B: Copy>(
    a: &ReceivedBytes<A>,
    b: &ReceivedBytes<B>,
    time_a: impl Fn(A) -> u64,
    time_b: impl Fn(B) -> u64,
    check_strays: bool,
) -> Result<(), Box<Mismatch>> {
    let n = a.msgs.len().min(b.msgs.len());
    let index = (0..n)
        .find(|&i| a.msgs[i].bytes != b.msgs[i].bytes)
        .or((a.msgs.len() != b.msgs.len()).then_some(n));
    let strays_differ =
        check_strays && (a.stray_bytes != b.stray_bytes || a.incomplete != b.incomplete);
    if index.is_none() && !strays_differ {
        return Ok(());
    }
    let view_a = |m: &Stamped<A>| MsgView {
        time_ns: time_a(m.stamp),
        bytes: m.bytes.clone(),
    };
    let view_b = |m: &Stamped<B>| MsgView {
        time_ns: time_b(m.stamp),
        bytes: m.bytes.clone(),
    };
    Err(Box::new(Mismatch {
        index,
        counts: [a.msgs.len(), b.msgs.len()],
        msgs: [
            index.and_then(|i| a.msgs.get(i)).map(view_a),
            index.and_then(|i| b.msgs.get(i)).map(view_b),
        ],
        stray_bytes: [a.stray_bytes, b.stray_bytes],
        incomplete: [a.incomplete, b.incomplete],
    }))
}

/// Where the intended times come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `dmusplay`'s start time, 100 ns units of `CLOCK_MONOTONIC`.
    T0(u64),
    /// Fitted: the median error is 0.
    Fit,
    /// Fitted offset and rate: the file's clock is scaled by a
    /// least-squares rate (the player's clock may run fast or slow against
    /// `CLOCK_MONOTONIC`), then the median error is 0. What is left is
    /// jitter.
    FitRate,
}

/// Options of [`sched`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedOptions {
    /// Where the intended times come from.
    pub origin: Origin,
    /// Wire time of one byte, ns.
    pub byte_ns: u64,
    /// A start at most this much before the intended time is not counted
    /// as early (file times are rounded; DMus presentation times are in
    /// 100 ns units).
    pub early_slack_ns: u64,
}

/// The result of a matched `sched` check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sched {
    /// Messages matched.
    pub messages: usize,
    /// Burst leaders among them (the ones scored).
    pub leaders: usize,
    /// `CLOCK_MONOTONIC` ns of file time 0 (`None` if there is nothing to
    /// fit it to).
    pub origin_ns: Option<i64>,
    /// The player's clock against `CLOCK_MONOTONIC`, parts per million
    /// (positive: the play ran slow, took longer than the file); 0 unless
    /// [`Origin::FitRate`].
    pub rate_ppm: i64,
    /// Error (wire start - intended start) over burst leaders.
    pub error: Option<Stats>,
    /// Burst leaders that started more than the slack before their time.
    pub early: usize,
    /// The most negative error among the early ones.
    pub worst_early_ns: Option<i64>,
    /// Burst leaders that started more than 1 ms late.
    pub late: usize,
    /// Of those, the ones due while an earlier byte was still on the
    /// cable (the queue, not the scheduler, made them late).
    pub late_queued: usize,
}

/// Checks when each message of the file started on the wire.
pub fn sched(
    file: &ReceivedBytes<u64>,
    log: &[WireByte],
    opts: &SchedOptions,
) -> Result<Sched, Box<Mismatch>> {
    let wire = wire_messages(log);
    match_streams(file, &wire, |t| t, |i| log[i].time_ns, true)?;

    let byte_ns = i128::from(opts.byte_ns);
    // (file time, wire start, index of the first byte) of burst leaders.
    let mut leaders: Vec<(i128, i128, usize)> = Vec::new();
    for (i, (f, w)) in file.msgs.iter().zip(&wire.msgs).enumerate() {
        if i == 0 || f.stamp > file.msgs[i - 1].stamp {
            let start = i128::from(log[w.stamp].time_ns) - byte_ns;
            leaders.push((i128::from(f.stamp), start, w.stamp));
        }
    }
    // Wire time per file time: 1 unless fitted.
    let rate = match opts.origin {
        Origin::FitRate => least_squares_rate(&leaders),
        _ => 1.0,
    };
    let scaled = |f: i128| (f as f64 * rate).round() as i128;
    let origin = match opts.origin {
        Origin::T0(t0) => Some(i128::from(t0) * 100),
        Origin::Fit | Origin::FitRate => {
            let mut offsets: Vec<i128> = leaders.iter().map(|&(f, s, _)| s - scaled(f)).collect();
            offsets.sort_unstable();
            offsets.get(offsets.len().saturating_sub(1) / 2).copied()
        }
    };
    let mut errors = Vec::with_capacity(leaders.len());
    let (mut early, mut worst_early_ns, mut late, mut late_queued) = (0, None, 0, 0);
    let slack = -i128::from(opts.early_slack_ns);
    for &(f, start, k) in &leaders {
        let intended = origin.unwrap_or(0) + scaled(f);
        let e = start - intended;
        errors.push(sat(e));
        if e < slack {
            early += 1;
            worst_early_ns = Some(worst_early_ns.map_or(sat(e), |w: i64| w.min(sat(e))));
        }
        if e > i128::from(LATE_NS) {
            late += 1;
            if k > 0 && i128::from(log[k - 1].time_ns) > intended {
                late_queued += 1;
            }
        }
    }
    Ok(Sched {
        messages: file.msgs.len(),
        leaders: leaders.len(),
        origin_ns: origin.map(sat),
        rate_ppm: ((rate - 1.0) * 1e6).round() as i64,
        error: stats(&errors),
        early,
        worst_early_ns,
        late,
        late_queued,
    })
}

/// The slope of the least-squares line through (file time, wire start) of
/// `leaders`; 1 when there are fewer than two distinct file times.
fn least_squares_rate(leaders: &[(i128, i128, usize)]) -> f64 {
    let n = leaders.len() as f64;
    if leaders.len() < 2 {
        return 1.0;
    }
    let mean_f = leaders.iter().map(|l| l.0 as f64).sum::<f64>() / n;
    let mean_s = leaders.iter().map(|l| l.1 as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(f, s, _) in leaders {
        let df = f as f64 - mean_f;
        sxy += df * (s as f64 - mean_s);
        sxx += df * df;
    }
    if sxx > 0.0 {
        sxy / sxx
    } else {
        1.0
    }
}

/// The result of a matched `stamps` check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StampsCheck {
    /// Captured messages matched.
    pub messages: usize,
    /// Stamp - arrival of the first byte, ns.
    pub latency: Option<Stats>,
    /// Stamps whose whole 100 ns unit lies before the arrival of the
    /// message's first byte.
    pub before: usize,
    /// Of those, the ones before even the first byte's start.
    pub before_start: usize,
    /// The most negative latency among the ones before the arrival.
    pub worst_before_ns: Option<i64>,
    /// Stray data bytes in the wire log (the driver's parser drops them
    /// too, so they are no mismatch).
    pub wire_stray_bytes: usize,
}

/// Status bytes the driver's capture parser drops (undefined system
/// common and real-time), so they are left out of both sides.
fn undefined(m: &Stamped<impl Copy>) -> bool {
    matches!(m.bytes[0], 0xf4 | 0xf5 | 0xf9 | 0xfd)
}

/// Checks each capture stamp against the arrival of the message's first
/// byte on the wire.
pub fn stamps(
    lines: &[StampLine],
    log: &[WireByte],
    byte_ns: u64,
) -> Result<StampsCheck, Box<Mismatch>> {
    let mut cap = receive_bytes(
        lines
            .iter()
            .flat_map(|l| l.bytes.iter().map(move |&b| (l.stamp, b))),
    );
    let mut wire = wire_messages(log);
    cap.msgs.retain(|m| !undefined(m));
    wire.msgs.retain(|m| !undefined(m));
    match_streams(
        &cap,
        &wire,
        |s| s.saturating_mul(100),
        |i| log[i].time_ns,
        false,
    )?;
    let mut lat = Vec::with_capacity(cap.msgs.len());
    let (mut before, mut before_start, mut worst) = (0, 0, None);
    for (c, w) in cap.msgs.iter().zip(&wire.msgs) {
        let stamp = i128::from(c.stamp) * 100;
        let arrival = i128::from(log[w.stamp].time_ns);
        let d = sat(stamp - arrival);
        lat.push(d);
        // Stamps are ktime / 100 rounded down: one is early only if its
        // whole 100 ns unit ends at or before the arrival.
        if stamp + 100 <= arrival {
            before += 1;
            worst = Some(worst.map_or(d, |x: i64| x.min(d)));
            if stamp + 100 <= arrival - i128::from(byte_ns) {
                before_start += 1;
            }
        }
    }
    Ok(StampsCheck {
        messages: cap.msgs.len(),
        latency: stats(&lat),
        before,
        before_start,
        worst_before_ns: worst,
        wire_stray_bytes: wire.stray_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(entries: &[(u64, u8)]) -> Vec<WireByte> {
        entries
            .iter()
            .map(|&(time_ns, byte)| WireByte { time_ns, byte })
            .collect()
    }

    /// File messages at (time_ns, bytes).
    fn file(msgs: &[(u64, &[u8])]) -> ReceivedBytes<u64> {
        receive_bytes(
            msgs.iter()
                .flat_map(|&(t, b)| b.iter().map(move |&x| (t, x))),
        )
    }

    /// A wire log of `bytes` sent back to back from `start` at 320 µs a
    /// byte (the times are arrivals).
    fn sent(start: u64, bytes: &[u8]) -> Vec<(u64, u8)> {
        (0..)
            .zip(bytes)
            .map(|(i, &b)| (start + (i + 1) * 320_000, b))
            .collect()
    }

    const T0: Origin = Origin::T0(1_000_000); // 0.1 s

    fn opts(origin: Origin) -> SchedOptions {
        SchedOptions {
            origin,
            byte_ns: 320_000,
            early_slack_ns: 100,
        }
    }

    #[test]
    fn formats() {
        assert_eq!(ms(1_234_567, 2), "1.23");
        assert_eq!(ms(-1_235_000, 3), "-1.235");
        assert_eq!(ms(-400, 3), "-0.000");
        assert_eq!(ms(5_000, 2), "0.01");
        assert_eq!(ms(0, 2), "0.00");
        assert_eq!(ms(7_000_000, 0), "7");
        assert_eq!(secs(1_500_000_001), "1.500000001");
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn stats_are_signed_median_and_absolute_tails() {
        let s = stats(&[-5, 1, 2, 3]).unwrap();
        assert_eq!((s.median_ns, s.p99_abs_ns, s.max_abs_ns), (1, 5, 5));
        assert_eq!(stats(&[]), None);
    }

    #[test]
    fn exact_start_is_zero_error_and_chord_scores_its_leader_only() {
        let f = file(&[
            (0, &[0x90, 60, 100]),
            (0, &[0x90, 64, 100]),
            (5_000_000, &[0x80, 60, 0]),
        ]);
        let base = 100_000_000;
        let mut w = sent(base, &[0x90, 60, 100, 64, 100]);
        w.extend(sent(base + 5_000_000, &[0x80, 60, 0]));
        let r = sched(&f, &log(&w), &opts(T0)).unwrap();
        assert_eq!((r.messages, r.leaders), (3, 2));
        assert_eq!(r.origin_ns, Some(100_000_000));
        let e = r.error.unwrap();
        assert_eq!((e.median_ns, e.max_abs_ns), (0, 0));
        assert_eq!((r.early, r.late), (0, 0));
    }

    #[test]
    fn early_start_and_slack() {
        let f = file(&[(0, &[0xc0, 1]), (1_000_000, &[0xc0, 2])]);
        let base = 100_000_000;
        let mut w = sent(base, &[0xc0, 1]);
        w.extend(sent(base + 1_000_000 - 50, &[0xc0, 2])); // within slack
        let r = sched(&f, &log(&w), &opts(T0)).unwrap();
        assert_eq!(r.early, 0);
        assert_eq!(r.error.unwrap().median_ns, -50);
        let mut w = sent(base, &[0xc0, 1]);
        w.extend(sent(base + 1_000_000 - 20_000, &[0xc0, 2]));
        let r = sched(&f, &log(&w), &opts(T0)).unwrap();
        assert_eq!((r.early, r.worst_early_ns), (1, Some(-20_000)));
    }

    #[test]
    fn late_behind_a_queue_is_marked() {
        // A 3-byte message due 0.5 ms after a 9-byte burst, which is still
        // on the cable then.
        let f = file(&[
            (0, &[0x90, 60, 100]),
            (0, &[0x91, 61, 100]),
            (0, &[0x92, 62, 100]),
            (500_000, &[0x93, 63, 100]),
        ]);
        let w = sent(
            100_000_000,
            &[0x90, 60, 100, 0x91, 61, 100, 0x92, 62, 100, 0x93, 63, 100],
        );
        let r = sched(&f, &log(&w), &opts(T0)).unwrap();
        assert_eq!((r.leaders, r.late, r.late_queued), (2, 1, 1));
        assert_eq!(r.error.unwrap().max_abs_ns, 9 * 320_000 - 500_000);
    }

    #[test]
    fn fit_rate_removes_a_clock_running_slow() {
        // The player's clock runs 1000 ppm slow: message n at 1.001 * n * 10 ms.
        let times: Vec<u64> = (0..5).map(|n| n * 10_000_000).collect();
        let bytes: Vec<[u8; 2]> = (0..5).map(|n| [0xc0, n as u8]).collect();
        let msgs: Vec<(u64, &[u8])> = times
            .iter()
            .zip(&bytes)
            .map(|(&t, b)| (t, &b[..]))
            .collect();
        let f = file(&msgs);
        let mut w = Vec::new();
        for (&t, b) in times.iter().zip(&bytes) {
            w.extend(sent(5_000_000 + t + t / 1000, b));
        }
        let offset_only = sched(&f, &log(&w), &opts(Origin::Fit)).unwrap();
        assert_eq!(offset_only.error.unwrap().max_abs_ns, 20_000);
        let r = sched(&f, &log(&w), &opts(Origin::FitRate)).unwrap();
        assert_eq!(r.rate_ppm, 1000);
        assert_eq!(r.origin_ns, Some(5_000_000));
        assert_eq!(r.error.unwrap().max_abs_ns, 0);
    }

    #[test]
    fn fit_centres_the_median() {
        let f = file(&[
            (0, &[0xc0, 1]),
            (10_000_000, &[0xc0, 2]),
            (20_000_000, &[0xc0, 3]),
        ]);
        let mut w = sent(7_000_000, &[0xc0, 1]);
        w.extend(sent(17_000_300, &[0xc0, 2]));
        w.extend(sent(26_999_000, &[0xc0, 3]));
        let r = sched(&f, &log(&w), &opts(Origin::Fit)).unwrap();
        assert_eq!(r.origin_ns, Some(7_000_000));
        let e = r.error.unwrap();
        assert_eq!((e.median_ns, e.max_abs_ns), (0, 1_000));
        assert_eq!((r.early, r.worst_early_ns), (1, Some(-1_000)));
    }

    #[test]
    fn mismatches_name_the_first_difference() {
        let f = file(&[(0, &[0xc0, 1]), (1_000, &[0xc0, 2])]);
        let w = log(&sent(0, &[0xc0, 1, 0xc0, 3]));
        let m = sched(&f, &w, &opts(T0)).unwrap_err();
        assert_eq!(m.index, Some(1));
        assert_eq!(m.msgs[1].as_ref().unwrap().bytes, vec![0xc0, 3]);
        let w = log(&sent(0, &[0xc0, 1]));
        let m = sched(&f, &w, &opts(T0)).unwrap_err();
        assert_eq!((m.index, m.counts), (Some(1), [2, 1]));
        assert!(m.msgs[1].is_none());
        // Running status is no mismatch; a stray byte is.
        let w = log(&sent(0, &[0xc0, 1, 2]));
        assert!(sched(&f, &w, &opts(T0)).is_ok());
        let w = log(&sent(0, &[5, 0xc0, 1, 2]));
        let m = sched(&f, &w, &opts(T0)).unwrap_err();
        assert_eq!((m.index, m.stray_bytes), (None, [0, 1]));
    }

    #[test]
    fn stamps_against_arrival() {
        let w = log(&sent(0, &[0x90, 60, 100, 62, 100]));
        let line = |stamp, bytes: &[u8]| StampLine {
            stamp,
            bytes: bytes.to_vec(),
        };
        // The first message arrived at 320 µs, the second (running
        // status) at 1280 µs; stamped 10.1 µs later and in the very unit
        // of the arrival.
        let ok = [
            line(3_301, &[0x90, 60, 100]),
            line(12_800, &[0x90, 62, 100]),
        ];
        let r = stamps(&ok, &w, 320_000).unwrap();
        assert_eq!(r.messages, 2);
        assert_eq!(r.before, 0);
        let l = r.latency.unwrap();
        assert_eq!((l.median_ns, l.max_abs_ns), (0, 10_100));
        let bad = [
            line(3_300, &[0x90, 60, 100]),
            line(12_798, &[0x90, 62, 100]),
        ];
        let r = stamps(&bad, &w, 320_000).unwrap();
        assert_eq!(
            (r.before, r.before_start, r.worst_before_ns),
            (1, 0, Some(-200))
        );
        // Stamped before the second message even started (at 960 µs).
        let worse = [line(3_301, &[0x90, 60, 100]), line(5_000, &[0x90, 62, 100])];
        let r = stamps(&worse, &w, 320_000).unwrap();
        assert_eq!((r.before, r.before_start), (1, 1));
        let other = [
            line(3_301, &[0x90, 60, 100]),
            line(12_800, &[0x90, 63, 100]),
        ];
        assert_eq!(stamps(&other, &w, 320_000).unwrap_err().index, Some(1));
    }
}
