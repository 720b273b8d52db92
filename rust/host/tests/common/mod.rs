// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

use dmus::host::{new_pool, HostPoolRef};
use dmus::{DmusKernelEvent, EventRef, Packer, Parser, PoolStorage, ReferenceTime, RunningStatus};

/// A pool of `events` events and `buffers` buffers of `size` bytes.
pub fn pool(events: usize, buffers: usize, size: usize) -> HostPoolRef {
    new_pool(events, buffers, size).expect("valid pool sizes")
}

/// What a test compares of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ev {
    pub data: Vec<u8>,
    pub flags: u16,
    pub time: ReferenceTime,
    pub running_status: bool,
    pub group: u16,
}

impl Ev {
    pub fn of<S: PoolStorage>(e: &EventRef<'_, S>) -> Self {
        Ev {
            data: e.data().to_vec(),
            flags: e.flags(),
            time: e.pres_time(),
            running_status: e.running_status(),
            group: e.channel_group(),
        }
    }

    pub fn of_event(e: &DmusKernelEvent<HostPoolRef>) -> Self {
        Self::of(&e.as_event_ref())
    }
}

/// Feeds `chunks` (bytes, time) to `parser` and returns the events it emitted.
pub fn parse_chunks(
    parser: &mut Parser<HostPoolRef>,
    chunks: &[(&[u8], ReferenceTime)],
) -> Vec<Ev> {
    let mut out = Vec::new();
    for (bytes, time) in chunks {
        parser.feed(bytes, *time, |e| out.push(Ev::of_event(&e)));
    }
    out
}

/// Parses `bytes` at time 0 with a fresh parser over `pool` (group 1).
pub fn parse(pool: &HostPoolRef, bytes: &[u8]) -> (Vec<Ev>, dmus::ParserStats) {
    let mut parser = Parser::new(pool.clone(), 1);
    let events = parse_chunks(&mut parser, &[(bytes, 0)]);
    (events, parser.stats())
}

/// Packs `events` (data, running-status mark) with `mode`, offering at most `fifo` bytes of
/// space per call, and returns the wire bytes.
pub fn pack(events: &[Ev], mode: RunningStatus, fifo: usize) -> Vec<u8> {
    let mut packer = Packer::new(mode);
    let mut wire = Vec::new();
    let mut space = vec![0u8; fifo.max(1)];
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

/// Shorthand for a complete event at time `time`.
pub fn ev(data: &[u8], time: ReferenceTime) -> Ev {
    Ev {
        data: data.to_vec(),
        flags: dmus::DMUS_KEF_EVENT_COMPLETE,
        time,
        running_status: false,
        group: 1,
    }
}

/// Shorthand for an event that arrived under running status.
pub fn ev_rs(data: &[u8], time: ReferenceTime) -> Ev {
    Ev {
        running_status: true,
        ..ev(data, time)
    }
}

/// Shorthand for an INCOMPLETE SysEx piece.
pub fn piece(data: &[u8], time: ReferenceTime) -> Ev {
    Ev {
        flags: dmus::DMUS_KEF_EVENT_INCOMPLETE,
        ..ev(data, time)
    }
}
