// SPDX-License-Identifier: GPL-2.0
//! End-to-end tests of the `midicmp` binary on SMFs built in memory.

mod common;

use common::*;
use midly::{Format, Fps, Timing};

/// A format-1 song: tempo map in track 0 (three tempi), running status,
/// note-on velocity 0 and real note-offs, SysEx, poly and channel pressure,
/// pitch bend, program and controller changes over three channels.
fn song_tracks() -> Vec<Vec<(u32, E)>> {
    vec![
        vec![
            (0, E::Tempo(500_000)),
            (0, E::Text("tempo map")),
            (960, E::Tempo(400_000)),
            (1920, E::Tempo(750_000)),
        ],
        vec![
            (0, ch(&[0xc0, 19])),
            (0, ch(&[0xb0, 7, 100])),
            (0, ch(&[0x90, 60, 100])),
            (240, ch(&[0x90, 64, 90])), // running status in the file
            (480, ch(&[0x90, 60, 0])),  // note-on velocity 0
            (480, ch(&[0x90, 64, 0])),
            (960, ch(&[0xe0, 0x00, 0x50])),
            (1440, ch(&[0x90, 67, 80])),
            (2400, ch(&[0x80, 67, 64])), // note-off with velocity
        ],
        vec![
            (0, E::Sys(vec![0x7e, 0x7f, 0x09, 0x01, 0xf7])),
            (120, ch(&[0x99, 36, 120])),
            (130, ch(&[0xa9, 36, 40])),
            (240, ch(&[0x99, 36, 0])),
            (1000, ch(&[0xd9, 33])),
            (
                1920,
                E::Sys(vec![
                    0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7f, 0x00, 0x41, 0xf7,
                ]),
            ),
        ],
        vec![
            (0, ch(&[0x92, 50, 70])),
            (480, ch(&[0x82, 50, 64])),
            (2000, ch(&[0xb2, 64, 127])),
        ],
    ]
}

fn song() -> Vec<u8> {
    smf(Format::Parallel, ppq(480), &song_tracks())
}

/// The same song with one event replaced/removed/inserted in a track.
fn song_edited(f: impl FnOnce(&mut Vec<Vec<(u32, E)>>)) -> Vec<u8> {
    let mut t = song_tracks();
    f(&mut t);
    smf(Format::Parallel, ppq(480), &t)
}

#[test]
fn identical_files_are_event_exact_with_zero_error() {
    let s = song();
    // The writer really produced running status (9x status once for two
    // consecutive note-ons): 3C 64, then delta + 40 5A without status.
    assert!(s.windows(6).any(|w| w == [0x90, 60, 100, 0x81, 0x70, 64]));
    let r = compare(&s, &s, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("18 events (3 channels, 2 sysex)"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("events   : 18/18 identical in order per channel"));
    assert_eq!(timing_ms(&r.stdout), (0.0, 0.0, 0.0));
    assert!(r.stdout.contains("verdict  : event-exact"));
}

#[test]
fn tempo_map_gives_absolute_times() {
    let f = Tmp::new("tempo", &song());
    let r = run(&["events", &f.arg()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // tick 960 = 1 s at 120 bpm; then 400 ms per quarter up to 1920 (1.8 s);
    // then 750 ms per quarter.
    let find = |needle: &str| {
        r.stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in\n{}", r.stdout))
            .to_string()
    };
    assert!(find("E0 00 50").trim_start().starts_with("1.000000"));
    assert!(find("90 43 50").trim_start().starts_with("1.400000"));
    assert!(find("F0 41 10").trim_start().starts_with("1.800000"));
    assert!(find("B2 40 7F").trim_start().starts_with("1.925000"));
    assert!(find("80 43 40").trim_start().starts_with("2.550000"));
    // Meta events are not listed.
    assert!(!r.stdout.contains("FF 51"));
}

#[test]
fn format0_and_format1_of_the_same_song_are_equal() {
    let mut merged: Vec<(u32, E)> = song_tracks().into_iter().flatten().collect();
    merged.sort_by_key(|(t, _)| *t); // stable: keeps track order per tick
    let f0 = smf(Format::SingleTrack, ppq(480), &[merged]);
    let r = compare(&song(), &f0, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(timing_ms(&r.stdout), (0.0, 0.0, 0.0));
}

#[test]
fn dropped_event_is_reported() {
    let rec = song_edited(|t| {
        t[1].remove(3); // 90 40 5A at tick 240 (1 ch)
    });
    let r = compare(&song(), &rec, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("17/18 identical"), "{}", r.stdout);
    assert!(
        r.stdout.contains("1 missing, 0 extra, 0 changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("  ch 1: 1 difference\n"), "{}", r.stdout);
    let line = r.stdout.lines().find(|l| l.contains("missing  ")).unwrap();
    assert!(
        line.contains("0.250000 s") && line.contains("90 40 5A"),
        "{line}"
    );
    assert!(line.contains("NoteOn key 64 vel 90"), "{line}");
    assert!(r.stdout.contains("verdict  : MISMATCH"));
}

#[test]
fn extra_event_is_reported() {
    let rec = song_edited(|t| t[3].insert(1, (100, ch(&[0xb2, 1, 2]))));
    let r = compare(&song(), &rec, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("0 missing, 1 extra, 0 changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("  ch 3: 1 difference"), "{}", r.stdout);
}

#[test]
fn changed_event_is_reported() {
    // A note-off whose velocity got lost.
    let rec = song_edited(|t| t[3][1] = (480, ch(&[0x82, 50, 0])));
    let r = compare(&song(), &rec, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("0 missing, 0 extra, 1 changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("played   ") && r.stdout.contains("82 32 40"));
    assert!(r.stdout.contains("recorded ") && r.stdout.contains("82 32 00"));
}

#[test]
fn reordered_events_in_a_channel_are_detected() {
    let rec = song_edited(|t| {
        // Swap CC7 and the program change at tick 0 (both channel 1).
        t[1].swap(0, 1);
    });
    let r = compare(&song(), &rec, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("ch 1: 2 differences"), "{}", r.stdout);
}

#[test]
fn order_across_channels_does_not_matter() {
    // Move track 3 (channel 3) before track 1: same times, other order.
    let rec = song_edited(|t| t.swap(1, 3));
    let r = compare(&song(), &rec, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn changed_sysex_byte_is_detected() {
    let rec = song_edited(|t| {
        t[2][5] = (
            1920,
            E::Sys(vec![
                0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7f, 0x01, 0x41, 0xf7,
            ]),
        )
    });
    let r = compare(&song(), &rec, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("system: 1 difference"), "{}", r.stdout);
}

#[test]
fn sysex_packets_are_joined() {
    // One SysEx as F0 packet + two F7 continuation packets vs whole.
    let whole = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![
            (0, E::Sys(vec![1, 2, 3, 4, 5, 0xf7])),
            (10, ch(&[0x90, 1, 1])),
        ]],
    );
    let split = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![
            (0, E::Sys(vec![1, 2])),
            (0, E::Esc(vec![3, 4])),
            (0, E::Esc(vec![5, 0xf7])),
            (10, ch(&[0x90, 1, 1])),
        ]],
    );
    let r = compare(&whole, &split, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("2 events (1 channel, 1 sysex)"),
        "{}",
        r.stdout
    );
    // A missing continuation is a difference, though.
    let short = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![
            (0, E::Sys(vec![1, 2])),
            (0, E::Esc(vec![5, 0xf7])),
            (10, ch(&[0x90, 1, 1])),
        ]],
    );
    assert_eq!(compare(&whole, &short, &[]).code, 1);
}

#[test]
fn noteon_velocity0_is_not_noteoff_unless_asked() {
    let on0 = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![(0, ch(&[0x90, 60, 1])), (96, ch(&[0x90, 60, 0]))]],
    );
    let off0 = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![(0, ch(&[0x90, 60, 1])), (96, ch(&[0x80, 60, 0]))]],
    );
    let off64 = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![(0, ch(&[0x90, 60, 1])), (96, ch(&[0x80, 60, 64]))]],
    );
    assert_eq!(compare(&on0, &off0, &[]).code, 1);
    assert_eq!(compare(&on0, &off64, &[]).code, 1);
    assert_eq!(compare(&on0, &off0, &["--noteon0-is-noteoff"]).code, 0);
    // Note-off velocity is never normalised.
    assert_eq!(compare(&on0, &off64, &["--noteon0-is-noteoff"]).code, 1);
    assert_eq!(compare(&off0, &off64, &["--noteon0-is-noteoff"]).code, 1);
}

#[test]
fn other_tempo_and_ppq_with_same_times_compare_equal() {
    let s = song();
    // arecordmidi's defaults: 120 bpm, 384 ticks per quarter (1.302 ms).
    let rec = record_like_arecordmidi(&s, 120, 384, |_| 0);
    let r = compare(&s, &rec, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("recorded format 0 (1 track, 384 ppq, 1 tempo event)"),
        "{}",
        r.stdout
    );
    let (med, p99, max) = timing_ms(&r.stdout);
    assert!(max <= 1.31 && p99 <= max && med <= p99, "{}", r.stdout);
    // A fine recording resolution (10 us ticks) with a constant 7 ms
    // latency: the latency is aligned away, the rest is rounding.
    let rec = record_like_arecordmidi(&s, 6000, 1000, |_| 7_000);
    let r = compare(&s, &rec, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let (_, _, max) = timing_ms(&r.stdout);
    assert!(max <= 0.01, "{}", r.stdout);
}

#[test]
fn timing_error_and_p99_limit() {
    let s = song();
    // Every third message arrives 4 ms late.
    let rec = record_like_arecordmidi(&s, 6000, 1000, |i| if i % 3 == 2 { 4_000 } else { 0 });
    let r = compare(&s, &rec, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let (med, p99, max) = timing_ms(&r.stdout);
    assert_eq!((med, p99, max), (0.0, 4.0, 4.0), "{}", r.stdout);
    let r = compare(&s, &rec, &["--max-p99-ms", "4.5"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = compare(&s, &rec, &["--max-p99-ms", "2"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("TIMING p99 4.000 ms > 2 ms"),
        "{}",
        r.stdout
    );
}

#[test]
fn smpte_timing() {
    // 25 fps x 40 ticks per frame = 1 ms per tick.
    let ms_track = vec![
        (0, ch(&[0x90, 60, 100])),
        (1500, ch(&[0x80, 60, 64])),
        (2750, E::Sys(vec![0x7e, 0x7f, 0x09, 0x01, 0xf7])),
    ];
    let smpte = smf(
        Format::SingleTrack,
        Timing::Timecode(Fps::Fps25, 40),
        &[ms_track],
    );
    // Same times in metrical timing: 500 ms per quarter, 500 ppq = 1 ms.
    let metric = smf(
        Format::SingleTrack,
        ppq(500),
        &[vec![
            (0, ch(&[0x90, 60, 100])),
            (1500, ch(&[0x80, 60, 64])),
            (2750, E::Sys(vec![0x7e, 0x7f, 0x09, 0x01, 0xf7])),
        ]],
    );
    let r = compare(&smpte, &metric, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(timing_ms(&r.stdout), (0.0, 0.0, 0.0));
    assert!(r.stdout.contains("25 fps x 40"), "{}", r.stdout);
    // 29.97 drop-frame x 100: tick 2997 = 1 s exactly.
    let df = smf(
        Format::SingleTrack,
        Timing::Timecode(Fps::Fps29, 100),
        &[vec![(2997, ch(&[0x90, 1, 1]))]],
    );
    let f = Tmp::new("df", &df);
    let r = run(&["events", &f.arg()]);
    assert!(
        r.stdout.contains("     1.000000       2997  ch 1"),
        "{}",
        r.stdout
    );
}

#[test]
fn system_realtime_in_escapes_is_noted_not_compared() {
    let with_clock = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![
            (0, E::Esc(vec![0xf8])),
            (0, ch(&[0x90, 1, 1])),
            (5, E::Esc(vec![0xfa])),
        ]],
    );
    let without = smf(
        Format::SingleTrack,
        ppq(96),
        &[vec![(0, ch(&[0x90, 1, 1]))]],
    );
    let r = compare(&with_clock, &without, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("played: 2 system common/real-time messages not compared"),
        "{}",
        r.stdout
    );
    assert_eq!(compare(&with_clock, &without, &["--system"]).code, 1);
}

/// The expected wire stream of a small file written byte by byte (not by
/// midly), with running status and an escape in the source.
#[test]
fn raw_bytes_are_exact() {
    #[rustfmt::skip]
    let file: Vec<u8> = [
        b"MThd".as_slice(), &[0, 0, 0, 6, 0, 1, 0, 2, 0, 96],
        // Track 0: tempo, note-on, running-status note-on, SysEx, and an
        // escape carrying a Song Select.
        b"MTrk", &[0, 0, 0, 30],
        &[0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20],
        &[0x00, 0x90, 0x3c, 0x64],
        &[0x10, 0x3e, 0x64],
        &[0x10, 0xf0, 0x04, 0x43, 0x10, 0x4c, 0xf7],
        &[0x08, 0xf7, 0x02, 0xf3, 0x01],
        &[0x00, 0xff, 0x2f, 0x00],
        // Track 1: program change, pitch bend, running-status pitch bend.
        b"MTrk", &[0, 0, 0, 14],
        &[0x00, 0xc1, 0x05],
        &[0x18, 0xe1, 0x00, 0x40],
        &[0x08, 0x7f, 0x7f],
        &[0x00, 0xff, 0x2f, 0x00],
    ]
    .concat();
    // Merged by tick: t0 90 3C 64 (tr0), C1 05 (tr1); t16 90 3E 64;
    // t24 E1 00 40; t32 F0..F7, E1 7F 7F (tr0 first); t40 escape F3 01.
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x90, 0x3c, 0x64, 0xc1, 0x05,
        0x90, 0x3e, 0x64,
        0xe1, 0x00, 0x40,
        0xf0, 0x43, 0x10, 0x4c, 0xf7, 0xe1, 0x7f, 0x7f,
        0xf3, 0x01,
    ];
    let f = Tmp::new("raw", &file);
    let r = run(&["raw", &f.arg()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout_bytes, expected);
    let out = Tmp::new("raw-out", b"");
    let r = run(&["raw", &f.arg(), "-o", &out.arg()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout_bytes.is_empty());
    assert_eq!(std::fs::read(&out.0).unwrap(), expected);
}

#[test]
fn raw_of_built_song_has_no_running_status() {
    let f = Tmp::new("rawsong", &song());
    let r = run(&["raw", &f.arg()]);
    assert_eq!(r.code, 0);
    // Both consecutive note-ons carry their status byte.
    // Two consecutive note-ons (velocity 0) at tick 480 in track 1.
    assert!(r
        .stdout_bytes
        .windows(6)
        .any(|w| w == [0x90, 60, 0, 0x90, 64, 0]));
    assert_eq!(&r.stdout_bytes[..6], &[0xc0, 19, 0xb0, 7, 100, 0x90]);
}

#[test]
fn usage_and_file_errors_exit_2() {
    let s = Tmp::new("ok", &song());
    let bad = Tmp::new("notmidi", b"this is not a MIDI file");
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["compare", &s.arg()],
        vec!["compare", &s.arg(), &s.arg(), "--max-p99-ms"],
        vec!["compare", &s.arg(), &s.arg(), "--max-p99-ms", "abc"],
        vec!["compare", &s.arg(), &s.arg(), "--bogus"],
        vec!["raw"],
        vec!["events", &s.arg(), &s.arg()],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("usage:"), "{args:?}: {}", r.stderr);
    }
    let missing = "/nonexistent/dir/missing.mid";
    let r = run(&["compare", &s.arg(), missing]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(missing) && r.stderr.contains("cannot read"),
        "{}",
        r.stderr
    );
    let r = run(&["compare", &bad.arg(), &s.arg()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&bad.arg()), "{}", r.stderr);
    let r = run(&["raw", &bad.arg()]);
    assert_eq!(r.code, 2);
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("midicmp compare"));
}

#[test]
fn lost_tracks_are_warned_about() {
    let mut f = smf(Format::Parallel, ppq(96), &[vec![(0, ch(&[0x90, 1, 1]))]]);
    f[11] = 2; // header claims two tracks, the file has one
    let r = compare(&f, &f, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("header declares 2 tracks, 1 could be read"),
        "{}",
        r.stdout
    );
}

#[test]
fn show_limits_listed_differences() {
    let rec = smf(Format::Parallel, ppq(480), &[vec![(0, ch(&[0x9f, 1, 1]))]]);
    let r = compare(&song(), &rec, &["--show", "2"]);
    assert_eq!(r.code, 1);
    // ch 1 has 9 messages, none recorded: 9 differences, 2 listed.
    assert!(r.stdout.contains("  ch 1: 9 differences"), "{}", r.stdout);
    let listed = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("  ch 1:"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .count();
    assert_eq!(listed, 2, "{}", r.stdout);
}

#[test]
fn uart_model_explains_serialisation_delay() {
    let s = song();
    let parsed = midicmp::smf::parse(&s).unwrap();
    let rx = midicmp::wire::receive(&parsed.chunks);
    let model = midicmp::compare::wire_model(&rx.msgs, 320);
    // A recording (1 us ticks) whose messages arrive exactly when the last
    // byte would through a 31250-baud UART.
    let rec = record_like_arecordmidi(&s, 6000, 10000, |i| model[i] - rx.msgs[i].time_us);
    let r = compare(&s, &rec, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let (_, _, max) = timing_ms(&r.stdout);
    assert!(
        max > 1.0,
        "tick-0 burst must show as plain error:\n{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("wire     : median 0.00 ms, p99 0.00 ms, max 0.00 ms"),
        "{}",
        r.stdout
    );
    assert_eq!(compare(&s, &rec, &["--max-wire-p99-ms", "0.01"]).code, 0);
    let r = compare(&s, &rec, &["--max-p99-ms", "0.5"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // A slower model no longer fits.
    let r = compare(&s, &rec, &["--baud", "15625", "--max-wire-p99-ms", "0.5"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("TIMING wire p99"), "{}", r.stdout);
    // --baud 0 turns the model off.
    assert!(!compare(&s, &rec, &["--baud", "0"])
        .stdout
        .contains("wire     :"));
}
