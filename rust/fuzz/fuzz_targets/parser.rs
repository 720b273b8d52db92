// SPDX-License-Identifier: GPL-2.0

//! Fuzz target for the capture-sink parser and the packer.
//!
//! Run (stable toolchain, from rust/fuzz):
//!   RUSTC_BOOTSTRAP=1 cargo fuzz run parser -- -max_total_time=600
//!
//! Input: byte 0 picks the buffer size, byte 1 a chunking seed, the rest is the MIDI stream.
//! Checks, for any input:
//! - parsing in chunks gives the same events and counters as parsing in one piece;
//! - re-packing (Preserve) and re-parsing reaches a fixed point: the packed bytes of the
//!   events parse into events that pack to the same bytes;
//! - with a tiny pool (exhaustion on every few bytes) nothing panics;
//! - the pool is full again once every event is dropped.

#![no_main]

use dmus::host::{new_pool, HostPoolRef};
use dmus::{DmusKernelEvent, Packer, Parser, RunningStatus};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
struct Ev {
    data: Vec<u8>,
    flags: u16,
    running_status: bool,
    time: i64,
}

fn ev(e: &DmusKernelEvent<HostPoolRef>) -> Ev {
    Ev {
        data: e.data().to_vec(),
        flags: e.flags(),
        running_status: e.running_status(),
        time: e.pres_time(),
    }
}

fn parse(pool: &HostPoolRef, chunks: &[&[u8]], flush: bool) -> (Vec<Ev>, dmus::ParserStats) {
    let mut parser = Parser::new(pool.clone(), 1);
    let mut out = Vec::new();
    for c in chunks {
        parser.feed(c, 0, |e| out.push(ev(&e)));
    }
    if flush {
        parser.flush(|e| out.push(ev(&e)));
    }
    (out, parser.stats())
}

fn pack(events: &[Ev], fifo: usize) -> Vec<u8> {
    let mut packer = Packer::new(RunningStatus::Preserve);
    let mut wire = Vec::new();
    let mut space = vec![0u8; fifo];
    for e in events {
        loop {
            let r = packer.pack(&e.data, e.running_status, &mut space);
            wire.extend_from_slice(&space[..r.written]);
            if r.done {
                break;
            }
        }
    }
    wire
}

fuzz_target!(|input: &[u8]| {
    let [size, seed, stream @ ..] = input else {
        return;
    };
    let buffer_size = 9 + usize::from(*size % 32);
    let pool = new_pool(stream.len() + 8, stream.len() / 8 + 8, buffer_size).unwrap();

    // Chunk invariance.
    let (whole, stats) = parse(&pool, &[stream], false);
    let mut chunks = Vec::new();
    let mut rest = stream;
    let mut s = u32::from(*seed) | 1;
    while !rest.is_empty() {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = 1 + (s >> 16) as usize % 7;
        let (c, r) = rest.split_at(n.min(rest.len()));
        chunks.push(c);
        rest = r;
    }
    let (split, split_stats) = parse(&pool, &chunks, false);
    assert_eq!(whole, split);
    assert_eq!(stats, split_stats);
    assert_eq!(stats.events, whole.len() as u64);
    assert_eq!(stats.dropped, 0, "the pool is large enough");
    assert!(pool.is_full());

    // Normalisation reaches a fixed point after one round.
    let fifo = 1 + usize::from(*seed % 8);
    let wire = pack(&whole, fifo);
    let (again, again_stats) = parse(&pool, &[&wire], true);
    assert_eq!(
        again_stats.stray_data + again_stats.stray_eox + again_stats.undefined_status,
        0
    );
    assert_eq!(pack(&again, 3), wire);
    assert!(pool.is_full());

    // Exhaustion on a tiny pool never panics and leaks nothing.
    let tiny = new_pool(2, 1, buffer_size).unwrap();
    let mut parser = Parser::new(tiny.clone(), 1);
    let mut held = Vec::new();
    for c in &chunks {
        parser.feed(c, 0, |e| {
            if held.len() < 2 {
                held.push(e);
            }
        });
        if *seed & 1 == 0 {
            held.clear();
        }
    }
    drop(held);
    drop(parser);
    assert!(tiny.is_full());
});
