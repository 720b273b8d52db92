// SPDX-License-Identifier: GPL-2.0

//! The capture-sink parser, rule by rule.

mod common;

use common::*;
use dmus::{Parser, ParserStats};

#[test]
fn channel_messages_and_running_status() {
    let p = pool(64, 4, 16);
    let (events, stats) = parse(&p, &[0x90, 60, 100, 62, 101, 0xC0, 5, 6, 0x80, 60, 0]);
    assert_eq!(
        events,
        vec![
            ev(&[0x90, 60, 100], 0),
            ev_rs(&[0x90, 62, 101], 0),
            ev(&[0xC0, 5], 0),
            ev_rs(&[0xC0, 6], 0),
            ev(&[0x80, 60, 0], 0),
        ]
    );
    assert_eq!(stats.events, 5);
    assert_eq!(
        stats,
        ParserStats {
            events: 5,
            ..Default::default()
        }
    );
    assert!(p.is_full());
}

#[test]
fn flush_outside_sysex_keeps_a_half_received_message_whole() {
    // The render pump flushes after every chunk it takes from ALSA; a note
    // whose last data byte is in the next chunk must come out whole.
    let p = pool(64, 4, 16);
    let mut parser = Parser::new(p.clone(), 1);
    let mut events = Vec::new();
    parser.feed(&[0x91, 0x24], 0, |e| events.push(Ev::of_event(&e)));
    parser.flush(|e| events.push(Ev::of_event(&e)));
    assert!(events.is_empty());
    parser.feed(&[0x00, 0x3a, 0x00], 1, |e| events.push(Ev::of_event(&e)));
    assert_eq!(
        events,
        vec![ev(&[0x91, 0x24, 0x00], 0), ev_rs(&[0x91, 0x3a, 0x00], 1)]
    );
}

#[test]
fn message_time_is_time_of_first_byte() {
    let p = pool(64, 4, 16);
    let mut parser = Parser::new(p.clone(), 1);
    // Status at t=10, data at t=20 and t=30; running-status message starts at t=30.
    let events = parse_chunks(
        &mut parser,
        &[(&[0x90], 10), (&[60], 20), (&[100, 61], 30), (&[0], 40)],
    );
    assert_eq!(
        events,
        vec![ev(&[0x90, 60, 100], 10), ev_rs(&[0x90, 61, 0], 30)]
    );
}

#[test]
fn sysex_spans_chunks_and_buffers() {
    // Buffers of 9 bytes: a 20-byte SysEx comes out as 9 + 9 + 2.
    let p = pool(64, 4, 9);
    let mut parser = Parser::new(p.clone(), 3);
    let sysex: Vec<u8> = [0xF0].into_iter().chain(1..=18).chain([0xF7]).collect();
    let events = parse_chunks(
        &mut parser,
        &[
            (&sysex[..5], 100),
            (&sysex[5..12], 200),
            (&sysex[12..], 300),
        ],
    );
    let mut expected = vec![
        piece(&sysex[..9], 100),
        piece(&sysex[9..18], 200),
        ev(&sysex[18..], 300),
    ];
    for e in &mut expected {
        e.group = 3;
    }
    assert_eq!(events, expected);
    assert!(!parser.is_mid_message());
    assert!(
        p.is_full(),
        "every buffer returned after the events were dropped"
    );
}

#[test]
fn sysex_exactly_one_buffer_ends_complete() {
    let p = pool(64, 4, 9);
    let sysex = [0xF0, 1, 2, 3, 4, 5, 6, 7, 0xF7];
    let (events, _) = parse(&p, &sysex);
    assert_eq!(events, vec![ev(&sysex, 0)]);
    // One byte more than a buffer: the full piece is INCOMPLETE, F7 alone is COMPLETE.
    let sysex = [0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 0xF7];
    let (events, _) = parse(&p, &sysex);
    assert_eq!(events, vec![piece(&sysex[..9], 0), ev(&[0xF7], 0)]);
}

#[test]
fn short_sysex_is_inline_and_needs_no_buffer() {
    let p = pool(8, 0, 16);
    let (events, stats) = parse(&p, &[0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7]);
    assert_eq!(events, vec![ev(&[0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7], 0)]);
    assert_eq!(stats.dropped, 0);
}

#[test]
fn realtime_inside_sysex_splits_the_piece() {
    let p = pool(64, 4, 16);
    let mut parser = Parser::new(p.clone(), 1);
    let events = parse_chunks(
        &mut parser,
        &[(&[0xF0, 1, 2], 5), (&[0xF8], 6), (&[3, 0xF7], 7)],
    );
    assert_eq!(
        events,
        vec![piece(&[0xF0, 1, 2], 5), ev(&[0xF8], 6), ev(&[3, 0xF7], 7)]
    );
    assert_eq!(
        pack(&events, dmus::RunningStatus::Preserve, 64),
        vec![0xF0, 1, 2, 0xF8, 3, 0xF7]
    );
}

#[test]
fn realtime_inside_a_note_comes_out_first() {
    let p = pool(64, 4, 16);
    let mut parser = Parser::new(p.clone(), 1);
    let events = parse_chunks(&mut parser, &[(&[0x90, 60], 1), (&[0xFE], 2), (&[100], 3)]);
    assert_eq!(events, vec![ev(&[0xFE], 2), ev(&[0x90, 60, 100], 1)]);
    // Real-time keeps running status.
    let events = parse_chunks(&mut parser, &[(&[0xF8, 61, 0], 4)]);
    assert_eq!(events, vec![ev(&[0xF8], 4), ev_rs(&[0x90, 61, 0], 4)]);
}

#[test]
fn system_common_cancels_running_status() {
    let p = pool(64, 4, 16);
    let (events, stats) = parse(
        &p,
        &[
            0x90, 60, 100, 0xF1, 0x23, 61, 0, 0xF2, 1, 2, 0xF3, 4, 0xF6, 0xB0, 7, 100, 8, 50,
        ],
    );
    assert_eq!(
        events,
        vec![
            ev(&[0x90, 60, 100], 0),
            ev(&[0xF1, 0x23], 0),
            ev(&[0xF2, 1, 2], 0),
            ev(&[0xF3, 4], 0),
            ev(&[0xF6], 0),
            ev(&[0xB0, 7, 100], 0),
            ev_rs(&[0xB0, 8, 50], 0),
        ]
    );
    // 61, 0 after F1 0x23: no running status, so both are stray.
    assert_eq!(stats.stray_data, 2);
}

#[test]
fn undefined_status_bytes_are_counted() {
    let p = pool(64, 4, 16);
    let (events, stats) = parse(&p, &[0xF4, 0x90, 1, 0xF9, 2, 0xFD, 0xF5, 3, 4]);
    // F9/FD are real-time codes: ignored without disturbing the note. F5 cancels running
    // status, so 3 and 4 are stray.
    assert_eq!(events, vec![ev(&[0x90, 1, 2], 0)]);
    assert_eq!(stats.undefined_status, 4);
    assert_eq!(stats.stray_data, 2);
}

#[test]
fn stray_data_and_stray_eox_are_counted() {
    let p = pool(64, 4, 16);
    let (events, stats) = parse(&p, &[1, 2, 0xF7, 0x90, 1, 1, 0xF7, 2, 2]);
    assert_eq!(events, vec![ev(&[0x90, 1, 1], 0)]);
    assert_eq!(stats.stray_data, 4);
    assert_eq!(stats.stray_eox, 2);
}

#[test]
fn interrupted_messages_are_counted() {
    let p = pool(64, 4, 16);
    let (events, stats) = parse(&p, &[0x90, 60, 0x80, 60, 0, 0xF0, 1, 2, 0x90, 1, 1]);
    assert_eq!(
        events,
        vec![
            ev(&[0x80, 60, 0], 0),
            ev(&[0xF0, 1, 2], 0),
            ev(&[0x90, 1, 1], 0)
        ]
    );
    assert_eq!(
        stats.truncated, 2,
        "the note-on cut short, the SysEx without F7"
    );
}

#[test]
fn pool_exhaustion_drops_and_counts_and_stays_in_sync() {
    // Two events only.
    let p = pool(2, 0, 16);
    let mut parser = Parser::new(p.clone(), 1);
    let mut kept = Vec::new();
    parser.feed(&[0x90, 1, 1, 2, 2, 3, 3], 0, |e| kept.push(e));
    assert_eq!(kept.len(), 2);
    assert_eq!(parser.stats().dropped, 1);
    assert_eq!(p.stats().message_exhausted, 1);
    drop(kept);
    // A SysEx longer than the inline bytes needs a buffer; there is none.
    let mut out = Vec::new();
    parser.feed(
        &[0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xF7, 0x90, 5, 5],
        0,
        |e| out.push(Ev::of_event(&e)),
    );
    assert_eq!(
        out,
        vec![ev(&[0x90, 5, 5], 0)],
        "the note after the lost SysEx parses"
    );
    assert_eq!(parser.stats().dropped, 2);
    assert_eq!(
        parser.stats().stray_data,
        0,
        "SysEx data was not taken for stray bytes"
    );
    assert!(p.is_full());
}

#[test]
fn flush_emits_pending_sysex_piece() {
    let p = pool(64, 4, 32);
    let mut parser = Parser::new(p.clone(), 1);
    let mut out = Vec::new();
    parser.feed(&[0xF0, 1, 2, 3], 9, |e| out.push(Ev::of_event(&e)));
    assert!(out.is_empty());
    parser.flush(|e| out.push(Ev::of_event(&e)));
    parser.feed(&[4, 0xF7], 10, |e| out.push(Ev::of_event(&e)));
    assert_eq!(out, vec![piece(&[0xF0, 1, 2, 3], 9), ev(&[4, 0xF7], 10)]);
}

#[test]
fn reset_forgets_partial_state() {
    let p = pool(64, 4, 32);
    let mut parser = Parser::new(p.clone(), 1);
    let mut out = Vec::new();
    parser.feed(&[0x90, 1, 1, 0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0, |e| {
        out.push(Ev::of_event(&e))
    });
    assert_eq!(p.free_buffers(), 3, "the parser holds the SysEx piece");
    parser.reset();
    assert!(p.is_full());
    parser.feed(&[5, 5], 0, |e| out.push(Ev::of_event(&e)));
    assert_eq!(out, vec![ev(&[0x90, 1, 1], 0)]);
    assert_eq!(parser.stats().stray_data, 2);
}
