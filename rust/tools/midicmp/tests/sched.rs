// SPDX-License-Identifier: GPL-2.0
//! End-to-end tests of `midicmp sched` and `midicmp stamps` on SMFs built
//! in memory and synthetic debugfs wire logs (see `common::cable`).

mod common;

use common::*;
use midly::Format;

const BYTE_NS: u64 = 320_000;

/// dmusplay's t0 (100 ns units) and the same instant in ns.
const T0: u64 = 123_456_789;
const ORIGIN_NS: u64 = T0 * 100;

/// Ten messages, seven burst leaders: a program change and a three-note
/// chord at 0 (one burst), a SysEx at 125 ms, then one message each at
/// 250, 500, 750, 1000 and (after a tempo change) 1200 ms.
fn song() -> Vec<u8> {
    smf(
        Format::Parallel,
        ppq(480),
        &[
            vec![(0, E::Tempo(500_000)), (960, E::Tempo(400_000))],
            vec![
                (0, ch(&[0xc0, 19])),
                (0, ch(&[0x90, 60, 100])),
                (0, ch(&[0x90, 64, 100])),
                (0, ch(&[0x90, 67, 100])),
                (240, ch(&[0x80, 60, 0])),
                (480, ch(&[0x90, 72, 100])),
                (960, ch(&[0x80, 72, 64])),
                (1200, ch(&[0x90, 74, 90])),
            ],
            vec![
                (120, E::Sys(vec![0x7e, 0x7f, 0x09, 0x01, 0xf7])),
                (720, ch(&[0xb1, 7, 100])),
            ],
        ],
    )
}

/// Runs `midicmp sched` on a file and a wire log given as entries.
fn sched(file: &[u8], log: &[(u64, u8)], extra: &[&str]) -> Run {
    let f = Tmp::new("song", file);
    let w = Tmp::new("wire", wire_text(log).as_bytes());
    let (fa, wa) = (f.arg(), w.arg());
    let mut args = vec!["sched", fa.as_str(), wa.as_str()];
    args.extend_from_slice(extra);
    run(&args)
}

/// Runs `midicmp stamps` on stamp lines and a wire log.
fn stamps(lines: &[(u64, &[u8])], log: &[(u64, u8)], extra: &[&str]) -> Run {
    let mut text = String::from("# stamp bytes\n");
    for (stamp, bytes) in lines {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        text.push_str(&format!("{stamp} {}\n", hex.join(" ")));
    }
    let s = Tmp::new("stamps", text.as_bytes());
    let w = Tmp::new("wire", wire_text(log).as_bytes());
    let (sa, wa) = (s.arg(), w.arg());
    let mut args = vec!["stamps", sa.as_str(), wa.as_str()];
    args.extend_from_slice(extra);
    run(&args)
}

fn t0() -> String {
    T0.to_string()
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no '{prefix}' line in:\n{out}"))
}

#[test]
fn exact_timing_with_t0() {
    let s = song();
    let log = cable(&s, ORIGIN_NS, BYTE_NS, false, |_| 0);
    let r = sched(&s, &log, &["--t0", &t0(), "--label", "dmus virt0"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "dmus virt0: 10 messages, 7 burst leaders\n\
         \x20 origin  : file time 0 at 12.345678900 s CLOCK_MONOTONIC (--t0 123456789)\n\
         \x20 error   : median 0.00 ms, p99 0.00 ms, max 0.00 ms\n\
         \x20 early   : 0 (start before the intended time)\n\
         \x20 late >1ms: 0 (0 queued behind bytes still on the cable)\n"
    );
    // The same with --fail-early, and as JSON.
    let r = sched(&s, &log, &["--t0", &t0(), "--fail-early", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.starts_with("{\"label\":\"") && r.stdout.ends_with("}\n"));
    assert_eq!(r.stdout.lines().count(), 1);
    assert!(r.stdout.contains("\"matched\":true"), "{}", r.stdout);
    assert!(r.stdout.contains("\"origin\":\"t0\""), "{}", r.stdout);
    for (key, v) in [
        ("messages", Some(10)),
        ("leaders", Some(7)),
        ("origin_ns", Some(ORIGIN_NS as i64)),
        ("byte_ns", Some(320_000)),
        ("median_ns", Some(0)),
        ("p99_abs_ns", Some(0)),
        ("max_abs_ns", Some(0)),
        ("early", Some(0)),
        ("worst_early_ns", None),
        ("late_1ms", Some(0)),
    ] {
        assert_eq!(json_num(&r.stdout, key), v, "{key}: {}", r.stdout);
    }
}

#[test]
fn chord_members_queue_and_are_not_scored() {
    let s = song();
    // However late the chord's later notes leave (they queue behind the
    // program change), only its first message is scored.
    let log = cable(&s, ORIGIN_NS, BYTE_NS, false, |i| match i {
        1..=3 => 700_000,
        _ => 0,
    });
    // The last chord note starts 2 + 3 + 3 bytes after the burst began.
    let chord_end = log[..11].last().unwrap().0;
    assert_eq!(chord_end, ORIGIN_NS + 700_000 + 9 * BYTE_NS);
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("error   : median 0.00 ms, p99 0.00 ms, max 0.00 ms"),
        "{}",
        r.stdout
    );
    // A late burst leader is, though.
    let log = cable(&s, ORIGIN_NS, BYTE_NS, false, |i| {
        if i == 0 {
            1_500_000
        } else {
            0
        }
    });
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert!(
        r.stdout
            .contains("error   : median 0.00 ms, p99 1.50 ms, max 1.50 ms"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("late >1ms: 1 (0 queued"), "{}", r.stdout);
}

#[test]
fn early_start_is_detected() {
    let s = song();
    // The note at 500 ms (message 6) leaves 50 us before its time.
    let log = cable(&s, ORIGIN_NS, BYTE_NS, false, |i| {
        if i == 6 {
            -50_000
        } else {
            0
        }
    });
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("  early   : 1 (start before the intended time; worst -0.050 ms)\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("error   : median 0.00 ms, p99 0.05 ms, max 0.05 ms"),
        "{}",
        r.stdout
    );
    let r = sched(&s, &log, &["--t0", &t0(), "--fail-early"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let r = sched(&s, &log, &["--t0", &t0(), "--fail-early", "--json"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(json_num(&r.stdout, "early"), Some(1));
    assert_eq!(json_num(&r.stdout, "worst_early_ns"), Some(-50_000));
    // 50 ns early is rounding (dmusplay's 100 ns units), not early...
    let log = cable(
        &s,
        ORIGIN_NS,
        BYTE_NS,
        false,
        |i| if i == 6 { -50 } else { 0 },
    );
    assert_eq!(
        sched(&s, &log, &["--t0", &t0(), "--fail-early"]).code,
        0,
        "default slack"
    );
    // ...unless the slack is 0.
    let r = sched(
        &s,
        &log,
        &["--t0", &t0(), "--fail-early", "--early-slack-ns", "0"],
    );
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stdout.contains("worst -0.000 ms"), "{}", r.stdout);
}

#[test]
fn running_status_on_the_wire_matches() {
    let s = song();
    let full = cable(&s, ORIGIN_NS, BYTE_NS, false, |_| 0);
    let rs = cable(&s, ORIGIN_NS, BYTE_NS, true, |_| 0);
    // The two chord notes after the first one lose their status byte.
    assert_eq!(rs.len() + 2, full.len());
    let r = sched(&s, &rs, &["--t0", &t0(), "--fail-early"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("10 messages, 7 burst leaders"));
    assert!(r.stdout.contains("max 0.00 ms"), "{}", r.stdout);
}

#[test]
fn byte_time_is_configurable() {
    let s = song();
    let log = cable(&s, ORIGIN_NS, 640_000, true, |_| 0);
    let r = sched(&s, &log, &["--t0", &t0(), "--byte-ns", "640000"]);
    assert!(r.stdout.contains("max 0.00 ms"), "{}", r.stdout);
    // Read with the default 320 us a byte, every start looks 320 us late.
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert!(
        r.stdout
            .contains("error   : median 0.32 ms, p99 0.32 ms, max 0.32 ms"),
        "{}",
        r.stdout
    );
}

/// aplaymidi: an unknown start latency and some jitter.
#[test]
fn fit_finds_the_offset() {
    let s = song();
    let origin = 5_000_000_000;
    let jitter = |i: usize| match i {
        4 => 10_000,
        5 => -10_000,
        6 => 40_000,
        8 => -30_000,
        9 => 5_000,
        _ => 0,
    };
    let log = cable(&s, origin, BYTE_NS, true, |i| 3_200_000 + jitter(i));
    for extra in [&["--fit"][..], &[]] {
        let r = sched(&s, &log, extra);
        assert_eq!(r.code, 0, "{}", r.stdout);
        assert!(
            r.stdout.contains(
                "origin  : file time 0 at 5.003200000 s CLOCK_MONOTONIC (fitted: median error 0)"
            ),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("error   : median 0.00 ms, p99 0.04 ms, max 0.04 ms"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("early   : 2 (start before the intended time; worst -0.030 ms)"),
            "{}",
            r.stdout
        );
    }
    let r = sched(&s, &log, &["--json"]);
    assert!(r.stdout.contains("\"origin\":\"fit\""), "{}", r.stdout);
    assert_eq!(json_num(&r.stdout, "origin_ns"), Some(5_003_200_000));
    assert_eq!(json_num(&r.stdout, "median_ns"), Some(0));
    assert_eq!(json_num(&r.stdout, "max_abs_ns"), Some(40_000));
    // Against the real start time, all of them are about 3.2 ms late.
    let r = sched(&s, &log, &["--t0", "50000000"]);
    assert!(
        r.stdout
            .contains("error   : median 3.20 ms, p99 3.24 ms, max 3.24 ms"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("late >1ms: 7 (0 queued"), "{}", r.stdout);
}

#[test]
fn late_message_behind_a_long_burst_is_marked_queued() {
    // A SysEx of 40 bytes (12.8 ms on the wire), then a note 1 ms later.
    let s = smf(
        Format::SingleTrack,
        ppq(500), // 1 ms a tick at 120 bpm
        &[vec![
            (0, E::Sys([vec![0x7d], vec![0x11; 37], vec![0xf7]].concat())),
            (1, ch(&[0x90, 60, 100])),
            (100, ch(&[0x80, 60, 0])),
        ]],
    );
    let log = cable(&s, ORIGIN_NS, BYTE_NS, false, |_| 0);
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("3 messages, 3 burst leaders"));
    assert!(r.stdout.contains("max 11.80 ms"), "{}", r.stdout);
    assert!(r.stdout.contains("late >1ms: 1 (1 queued"), "{}", r.stdout);
}

#[test]
fn mismatches_are_reported() {
    let s = song();
    let good = cable(&s, ORIGIN_NS, BYTE_NS, false, |_| 0);

    // A changed velocity on the wire: 90 48 64 -> 90 48 65 (message 7).
    let mut log = good.clone();
    let at = log
        .windows(3)
        .position(|w| w[0].1 == 0x90 && w[1].1 == 72)
        .unwrap()
        + 2;
    log[at].1 = 0x65;
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains(": MISMATCH at message 7: the file has 10 messages, the wire 10\n"),
        "{}",
        r.stdout
    );
    let f = line(&r.stdout, "  file    :");
    assert!(
        f.contains("0.500000000 s") && f.contains("90 48 64") && f.contains("NoteOn key 72"),
        "{f}"
    );
    let w = line(&r.stdout, "  wire    :");
    assert!(
        w.contains("12.845998900 s") && w.contains("90 48 65"),
        "{w}"
    );
    let r = sched(&s, &log, &["--t0", &t0(), "--json"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("\"matched\":false"), "{}", r.stdout);
    assert_eq!(json_num(&r.stdout, "index"), Some(6));
    assert!(
        r.stdout.contains("\"wire\":{\"time_ns\":") && r.stdout.contains("\"bytes\":\"90 48 65\""),
        "{}",
        r.stdout
    );

    // The last message never made it.
    let r = sched(&s, &good[..good.len() - 3], &["--t0", &t0()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("MISMATCH at message 10: the file has 10 messages, the wire 9"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  wire    : none (it ends here)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("1 fewer messages"), "{}", r.stdout);

    // A message sent twice.
    let mut log = good.clone();
    let last = *log.last().unwrap();
    log.extend([(last.0 + 1_000_000, 0x90), (last.0 + 1_320_000, 74)]);
    log.push((last.0 + 1_640_000, 90));
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("  file    : none (it ends here)"),
        "{}",
        r.stdout
    );

    // The log ring lost the start of the play: the first bytes left are
    // data bytes whose status was overwritten.
    let r = sched(&s, &good[3..], &["--t0", &t0()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("MISMATCH at message 1"), "{}", r.stdout);
}

#[test]
fn from_ns_leaves_out_an_earlier_play() {
    let s = song();
    let mut log = cable(&s, ORIGIN_NS - 10_000_000_000, BYTE_NS, false, |_| 0);
    log.extend(cable(&s, ORIGIN_NS, BYTE_NS, false, |_| 0));
    let r = sched(&s, &log, &["--t0", &t0()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("10 more messages than the file"),
        "{}",
        r.stdout
    );
    let from = (ORIGIN_NS - 1_000_000).to_string();
    let r = sched(&s, &log, &["--t0", &t0(), "--from-ns", &from]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("max 0.00 ms"), "{}", r.stdout);
    // Nothing after the play.
    let late = (ORIGIN_NS + 10_000_000_000).to_string();
    let r = sched(&s, &log, &["--t0", &t0(), "--from-ns", &late]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("no message in the wire log from"),
        "{}",
        r.stdout
    );
}

/// Stamp lines for `log`: each wire message, status expanded, stamped
/// `latency(i)` ns after its first byte arrived (rounded down to 100 ns).
fn capture(log: &[(u64, u8)], latency: impl Fn(usize) -> i64) -> Vec<(u64, Vec<u8>)> {
    let bytes: Vec<midicmp::wirelog::WireByte> = log
        .iter()
        .map(|&(time_ns, byte)| midicmp::wirelog::WireByte { time_ns, byte })
        .collect();
    midicmp::sched::wire_messages(&bytes)
        .msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let t = bytes[m.stamp].time_ns as i64 + latency(i);
            (t as u64 / 100, m.bytes.clone())
        })
        .collect()
}

fn stamps_of(cap: &[(u64, Vec<u8>)]) -> Vec<(u64, &[u8])> {
    cap.iter().map(|(s, b)| (*s, b.as_slice())).collect()
}

#[test]
fn stamps_after_arrival() {
    let s = song();
    // Running status on the wire; the capture has every status byte.
    let log = cable(&s, ORIGIN_NS, BYTE_NS, true, |_| 0);
    let cap = capture(&log, |i| 20_000 + 1_000 * i as i64);
    let r = stamps(&stamps_of(&cap), &log, &["--fail-before", "--label", "rec"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "rec: 10 captured messages matched on the wire\n\
         \x20 latency : median 0.0240 ms, p99 0.0290 ms, max 0.0290 ms \
         (stamp - arrival of the first byte)\n\
         \x20 before  : 0 (stamp before the arrival of the first byte)\n"
    );
    let r = stamps(&stamps_of(&cap), &log, &["--json"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("\"matched\":true"), "{}", r.stdout);
    assert_eq!(json_num(&r.stdout, "messages"), Some(10));
    assert_eq!(json_num(&r.stdout, "median_ns"), Some(24_000));
    assert_eq!(json_num(&r.stdout, "before"), Some(0));
    assert_eq!(json_num(&r.stdout, "worst_before_ns"), None);
    // A stamp in the very 100 ns unit of the arrival is not before it.
    let cap = capture(&log, |_| 0);
    assert_eq!(stamps(&stamps_of(&cap), &log, &["--fail-before"]).code, 0);
}

#[test]
fn stamps_before_arrival_are_counted() {
    let s = song();
    let log = cable(&s, ORIGIN_NS, BYTE_NS, false, |_| 0);
    // Message 2 stamped 200 us before its first byte arrived (while the
    // byte was on the wire), message 5 a whole millisecond before.
    let cap = capture(&log, |i| match i {
        2 => -200_000,
        5 => -1_000_000,
        _ => 30_000,
    });
    let r = stamps(&stamps_of(&cap), &log, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "  before  : 2 (stamp before the arrival of the first byte; \
             1 before its start; worst -1.0000 ms)\n"
        ),
        "{}",
        r.stdout
    );
    let r = stamps(&stamps_of(&cap), &log, &["--fail-before", "--json"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(json_num(&r.stdout, "before"), Some(2));
    assert_eq!(json_num(&r.stdout, "before_start"), Some(1));
    assert_eq!(json_num(&r.stdout, "worst_before_ns"), Some(-1_000_000));
    // With 100 us bytes, the 200 us one is before the start too.
    let r = stamps(&stamps_of(&cap), &log, &["--byte-ns", "100000"]);
    assert!(r.stdout.contains("; 2 before its start"), "{}", r.stdout);
}

#[test]
fn stamps_match_messages_not_lines() {
    let s = song();
    let mut log = cable(&s, ORIGIN_NS, BYTE_NS, true, |_| 0);
    // An undefined real-time byte on the wire, which the driver drops.
    let t = log[0].0;
    log.insert(1, (t + BYTE_NS / 2, 0xfd));
    let cap = capture(&log, |_| 10_000);
    let cap: Vec<_> = cap.into_iter().filter(|(_, b)| b != &[0xfd]).collect();
    // The SysEx captured in two pieces (two lines).
    let sx = cap.iter().position(|(_, b)| b[0] == 0xf0).unwrap();
    let (stamp, bytes) = cap[sx].clone();
    let mut lines = stamps_of(&cap);
    lines[sx] = (stamp, &bytes[..3]);
    lines.insert(sx + 1, (stamp + 10, &bytes[3..]));
    let r = stamps(&lines, &log, &["--fail-before"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("10 captured messages"), "{}", r.stdout);
    assert!(r.stdout.contains("max 0.0100 ms"), "{}", r.stdout);
}

#[test]
fn stamps_mismatch() {
    let s = song();
    let log = cable(&s, ORIGIN_NS, BYTE_NS, true, |_| 0);
    let mut cap = capture(&log, |_| 10_000);
    cap[3].1[2] = 99;
    let r = stamps(&stamps_of(&cap), &log, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("MISMATCH at message 4: the capture has 10 messages, the wire 10"),
        "{}",
        r.stdout
    );
    assert!(line(&r.stdout, "  capture :").contains("90 43 63"));
    assert!(line(&r.stdout, "  wire    :").contains("90 43 64"));
    let r = stamps(&stamps_of(&cap[..9]), &log, &["--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(json_num(&r.stdout, "index"), Some(3));
    assert_eq!(json_num(&r.stdout, "capture_messages"), Some(9));
}

#[test]
fn usage_and_file_errors_exit_2() {
    let s = Tmp::new("ok", &song());
    let log = Tmp::new(
        "wire",
        wire_text(&cable(&song(), ORIGIN_NS, BYTE_NS, false, |_| 0)).as_bytes(),
    );
    let bad = Tmp::new("badwire", b"# time_ns byte\n100 90\n200 zz\n");
    let stamps_file = Tmp::new("stamps", b"123 90 3c 64\n");
    let (sa, la, ba, sta) = (s.arg(), log.arg(), bad.arg(), stamps_file.arg());
    for args in [
        vec!["sched", &sa],
        vec!["sched", &sa, &la, &la],
        vec!["sched", &sa, &la, "--t0", "1", "--fit"],
        vec!["sched", &sa, &la, "--fail-early"],
        vec!["sched", &sa, &la, "--fit", "--fail-early"],
        vec!["sched", &sa, &la, "--t0", "abc"],
        vec!["sched", &sa, &la, "--t0"],
        vec!["sched", &sa, &la, "--byte-ns", "-1"],
        vec!["sched", &sa, &la, "--fail-before"],
        vec!["sched", &sa, &la, "--bogus"],
        vec!["stamps", &sta],
        vec!["stamps", &sta, &la, "--t0", "1"],
        vec!["stamps", &sta, &la, "--fail-early"],
        vec!["stamps", &sta, &la, "--from-ns", "x"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("usage:"), "{args:?}: {}", r.stderr);
    }
    let r = run(&["sched", &sa, &ba]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&ba) && r.stderr.contains("line 3") && r.stderr.contains("zz"),
        "{}",
        r.stderr
    );
    let r = run(&["sched", &sa, "/nonexistent/wire"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot read"), "{}", r.stderr);
    let r = run(&["stamps", &ba, &la]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&ba), "{}", r.stderr);
    let r = run(&["--help"]);
    assert!(r.stdout.contains("midicmp sched") && r.stdout.contains("midicmp stamps"));
}
