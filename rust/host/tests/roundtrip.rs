// SPDX-License-Identifier: GPL-2.0

//! Property tests: parser and packer against a model of valid MIDI streams.

mod common;

use common::*;
use dmus::{
    Parser, ParserStats, RunningStatus, DMUS_KEF_EVENT_COMPLETE, DMUS_KEF_EVENT_INCOMPLETE,
};
use proptest::prelude::*;

const REALTIME: [u8; 6] = [0xF8, 0xFA, 0xFB, 0xFC, 0xFE, 0xFF];

#[derive(Clone, Debug)]
enum Item {
    /// A channel message; `omit` asks to leave out the status if running status allows.
    Channel { msg: Vec<u8>, omit: bool },
    /// A system common message (F1, F2, F3, F6).
    Common(Vec<u8>),
    /// A real-time byte between messages.
    RealTime(u8),
    /// A SysEx payload (data bytes), with real-time bytes to insert before payload index i.
    SysEx {
        payload: Vec<u8>,
        rt: Vec<(usize, u8)>,
    },
}

fn data_byte() -> impl Strategy<Value = u8> {
    0u8..0x80
}

fn item() -> impl Strategy<Value = Item> {
    let channel =
        (0x80u8..0xF0, data_byte(), data_byte(), any::<bool>()).prop_map(|(s, a, b, omit)| {
            let msg = if (0xC0..0xE0).contains(&s) {
                vec![s, a]
            } else {
                vec![s, a, b]
            };
            Item::Channel { msg, omit }
        });
    // Few distinct statuses so running status actually happens.
    let channel_rs = (
        prop::sample::select(vec![0x90u8, 0x80, 0xC3]),
        data_byte(),
        data_byte(),
    )
        .prop_map(|(s, a, b)| {
            let msg = if s == 0xC3 { vec![s, a] } else { vec![s, a, b] };
            Item::Channel { msg, omit: true }
        });
    let common = prop_oneof![
        data_byte().prop_map(|a| vec![0xF1, a]),
        (data_byte(), data_byte()).prop_map(|(a, b)| vec![0xF2, a, b]),
        data_byte().prop_map(|a| vec![0xF3, a]),
        Just(vec![0xF6]),
    ]
    .prop_map(Item::Common);
    let rt = prop::sample::select(REALTIME.to_vec()).prop_map(Item::RealTime);
    let sysex = (
        prop::collection::vec(data_byte(), 0..70),
        prop::collection::vec((0usize..70, prop::sample::select(REALTIME.to_vec())), 0..4),
    )
        .prop_map(|(payload, mut rt)| {
            rt.sort_by_key(|r| r.0);
            Item::SysEx { payload, rt }
        });
    prop_oneof![3 => channel, 4 => channel_rs, 1 => common, 1 => rt, 1 => sysex]
}

/// A stream of items rendered to bytes, with the events a parser must produce (each with
/// the byte offset of its first byte in `time`, to be mapped to a chunk time later).
struct Model {
    bytes: Vec<u8>,
    events: Vec<Ev>,
}

fn model(items: &[Item], buffer_size: usize) -> Model {
    let mut bytes = Vec::new();
    let mut events = Vec::new();
    let mut running = 0u8;
    for it in items {
        match it {
            Item::Channel { msg, omit } => {
                let rs = *omit && running == msg[0];
                let start = bytes.len() as i64;
                bytes.extend_from_slice(if rs { &msg[1..] } else { &msg[..] });
                running = msg[0];
                events.push(Ev {
                    running_status: rs,
                    ..ev(msg, start)
                });
            }
            Item::Common(msg) => {
                events.push(ev(msg, bytes.len() as i64));
                bytes.extend_from_slice(msg);
                running = 0;
            }
            Item::RealTime(b) => {
                events.push(ev(&[*b], bytes.len() as i64));
                bytes.push(*b);
            }
            Item::SysEx { payload, rt } => {
                running = 0;
                let mut piece: Vec<u8> = Vec::new();
                // A piece always ends at the end of `bytes` when it is emitted: a full piece
                // is emitted before the next SysEx byte is added, and a real-time byte is
                // added only after the piece was emitted.
                let add =
                    |b: u8, bytes: &mut Vec<u8>, events: &mut Vec<Ev>, piece: &mut Vec<u8>| {
                        if piece.len() == buffer_size {
                            flush_piece(events, piece, bytes);
                        }
                        piece.push(b);
                        bytes.push(b);
                    };
                add(0xF0, &mut bytes, &mut events, &mut piece);
                let mut rt = rt.iter().peekable();
                for (i, &d) in payload.iter().enumerate() {
                    while let Some(&&(at, r)) = rt.peek() {
                        if at > i {
                            break;
                        }
                        rt.next();
                        flush_piece(&mut events, &mut piece, &bytes);
                        events.push(ev(&[r], bytes.len() as i64));
                        bytes.push(r);
                    }
                    add(d, &mut bytes, &mut events, &mut piece);
                }
                add(0xF7, &mut bytes, &mut events, &mut piece);
                let start = piece_start_of(&bytes, &piece);
                events.push(Ev {
                    flags: DMUS_KEF_EVENT_COMPLETE,
                    ..ev(&piece, start)
                });
            }
        }
    }
    Model { bytes, events }
}

/// Offset of the first byte of `piece`, which ends at the end of `bytes` (no real-time byte
/// can follow a piece's last byte without flushing it first).
fn piece_start_of(bytes: &[u8], piece: &[u8]) -> i64 {
    (bytes.len() - piece.len()) as i64
}

fn flush_piece(events: &mut Vec<Ev>, piece: &mut Vec<u8>, bytes: &[u8]) {
    if !piece.is_empty() {
        let start = piece_start_of(bytes, piece);
        events.push(Ev {
            flags: DMUS_KEF_EVENT_INCOMPLETE,
            ..ev(piece, start)
        });
        piece.clear();
    }
}

/// Cuts `bytes` at the given points (sorted, deduplicated) into (chunk, time) pairs with
/// time = 1000 * chunk index, and maps each model event's first-byte offset to its time.
fn chunked(bytes: &[u8], cuts: &[usize]) -> Vec<(Vec<u8>, i64)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .enumerate()
        .map(|(i, w)| (bytes[w[0]..w[1]].to_vec(), 1000 * i as i64))
        .collect()
}

fn time_of_offset(chunks: &[(Vec<u8>, i64)], offset: i64) -> i64 {
    let mut pos = 0i64;
    for (c, t) in chunks {
        if offset < pos + c.len() as i64 {
            return *t;
        }
        pos += c.len() as i64;
    }
    panic!("offset {offset} past the end");
}

proptest! {
    /// A valid stream parses into exactly the model's events (data, flags, running-status
    /// marks, time of each event's first byte), however it is chunked and whatever the buffer
    /// size; and packing those events in Preserve mode gives the stream back byte for byte,
    /// whatever the FIFO space per write.
    #[test]
    fn parse_then_pack_preserve_is_byte_exact(
        items in prop::collection::vec(item(), 0..40),
        buffer_size in 9usize..40,
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        fifo in 1usize..10,
    ) {
        let m = model(&items, buffer_size);
        let chunks = chunked(&m.bytes, &cuts);
        let p = pool(4096, 64, buffer_size);
        let mut parser = Parser::new(p.clone(), 1);
        let refs: Vec<(&[u8], i64)> = chunks.iter().map(|(c, t)| (&c[..], *t)).collect();
        let got = parse_chunks(&mut parser, &refs);
        let expected: Vec<Ev> = m.events.iter().map(|e| Ev { time: time_of_offset(&chunks, e.time), ..e.clone() }).collect();
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(parser.stats(), ParserStats { events: expected.len() as u64, ..Default::default() });
        prop_assert_eq!(pack(&got, RunningStatus::Preserve, fifo), m.bytes);
        drop(parser);
        prop_assert!(p.is_full());
    }

    /// Events packed with running status Off or Always parse back to the same events (with
    /// running-status marks exactly where Always left the status out).
    #[test]
    fn pack_then_parse_gives_the_events_back(
        items in prop::collection::vec(item(), 0..40),
        fifo in 1usize..10,
    ) {
        // Events with no real-time byte inside a SysEx, SysEx payloads fitting one buffer.
        let mut events = Vec::new();
        for it in &items {
            match it {
                Item::Channel { msg, .. } | Item::Common(msg) => events.push(ev(msg, 0)),
                Item::RealTime(b) => events.push(ev(&[*b], 0)),
                Item::SysEx { payload, .. } => {
                    let mut s = vec![0xF0];
                    s.extend_from_slice(payload);
                    s.push(0xF7);
                    events.push(ev(&s, 0));
                }
            }
        }
        let p = pool(4096, 64, 128);
        // Off: every status byte on the wire, no marks.
        let (parsed, stats) = parse(&p, &pack(&events, RunningStatus::Off, fifo));
        prop_assert_eq!(&parsed, &events);
        prop_assert_eq!(stats.truncated + stats.stray_data + stats.dropped, 0);
        // Always: marks wherever the status repeats the previous channel status.
        let mut running = 0u8;
        let expected: Vec<Ev> = events.iter().map(|e| {
            let s = e.data[0];
            let rs = (0x80..0xF0).contains(&s) && s == running;
            match s { 0x80..=0xEF => running = s, 0xF0..=0xF7 => running = 0, _ => {} }
            Ev { running_status: rs, ..e.clone() }
        }).collect();
        let wire = pack(&events, RunningStatus::Always, fifo);
        let (parsed, _) = parse(&p, &wire);
        prop_assert_eq!(&parsed, &expected);
        prop_assert!(wire.len() <= pack(&events, RunningStatus::Off, fifo).len());
        prop_assert!(p.is_full());
    }

    /// For any bytes at all, splitting them into chunks never changes the events or the
    /// counters, the parser never panics, and the pool is full again afterwards.
    #[test]
    fn chunking_never_changes_the_events(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
        buffer_size in 9usize..20,
    ) {
        let p = pool(1024, 32, buffer_size);
        let mut whole = Parser::new(p.clone(), 1);
        let a = parse_chunks(&mut whole, &[(&bytes, 0)]);
        let chunks: Vec<(Vec<u8>, i64)> = chunked(&bytes, &cuts).into_iter().map(|(c, _)| (c, 0)).collect();
        let refs: Vec<(&[u8], i64)> = chunks.iter().map(|(c, t)| (&c[..], *t)).collect();
        let mut split = Parser::new(p.clone(), 1);
        let b = parse_chunks(&mut split, &refs);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(whole.stats(), split.stats());
        prop_assert_eq!(whole.stats().events, a.len() as u64);
        drop((whole, split));
        prop_assert!(p.is_full());
    }

    /// A tiny pool: arbitrary input never panics, exhaustion is counted, nothing leaks.
    #[test]
    fn exhaustion_never_breaks_the_parser(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let p = pool(3, 1, 9);
        let mut parser = Parser::new(p.clone(), 1);
        let mut held = Vec::new();
        parser.feed(&bytes, 0, |e| held.push(e));
        prop_assert!(held.len() <= 3);
        let exhausted = p.stats().message_exhausted + p.stats().buffer_exhausted;
        prop_assert!(parser.stats().dropped as usize <= exhausted);
        drop(held);
        drop(parser);
        prop_assert!(p.is_full());
    }
}
