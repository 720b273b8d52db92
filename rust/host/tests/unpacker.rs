// SPDX-License-Identifier: GPL-2.0

//! The DMUS_EVENTHEADER unpacker: decoding, errors, all-or-nothing delivery.

mod common;

use common::*;
use dmus::unpacker::{encode_event, unpack, validate, DMUS_EVENT_STRUCTURED, EVENT_HEADER_SIZE};
use dmus::{Error, DMUS_KEF_EVENT_COMPLETE, DMUS_KEF_EVENT_INCOMPLETE};
use proptest::prelude::*;

/// Encodes (group, delta, data) events into one buffer.
fn buffer(events: &[(u32, i64, &[u8])]) -> Vec<u8> {
    let mut out = vec![0u8; events.iter().map(|e| 32 + e.2.len()).sum()];
    let mut pos = 0;
    for (group, delta, data) in events {
        pos += encode_event(&mut out[pos..], *group, *delta, DMUS_EVENT_STRUCTURED, data).unwrap();
    }
    out.truncate(pos);
    out
}

#[test]
fn decodes_times_groups_and_padding() {
    let p = pool(16, 4, 16);
    let buf = buffer(&[
        (1, 0, &[0x90, 60, 100]),
        (2, 5_000, &[0xC0, 1]),
        (1, -10, &[0xF0, 1, 2, 3, 4, 5, 6, 7, 0xF7]),
    ]);
    assert_eq!(buf.len(), 24 + 24 + 32, "each event padded to 8 bytes");
    assert_eq!(validate(&buf, 1_000), Ok(3));
    let chain = unpack(&p, &buf, 1_000).unwrap();
    let got: Vec<Ev> = chain.iter().map(|e| Ev::of(&e)).collect();
    assert_eq!(
        got,
        vec![
            ev(&[0x90, 60, 100], 1_000),
            Ev {
                group: 2,
                ..ev(&[0xC0, 1], 6_000)
            },
            ev(&[0xF0, 1, 2, 3, 4, 5, 6, 7, 0xF7], 990),
        ]
    );
    drop(chain);
    assert!(p.is_full());
}

#[test]
fn empty_buffer_is_no_events() {
    let p = pool(1, 0, 16);
    assert!(unpack(&p, &[], 0).unwrap().is_empty());
}

#[test]
fn last_event_padding_may_be_missing() {
    let p = pool(4, 0, 16);
    let mut buf = buffer(&[(1, 0, &[0x90, 1, 2])]);
    buf.truncate(EVENT_HEADER_SIZE + 3);
    assert_eq!(unpack(&p, &buf, 0).unwrap().len(), 1);
}

#[test]
fn malformed_buffers_are_rejected_with_the_offset() {
    let p = pool(16, 4, 16);
    let good = buffer(&[(1, 0, &[0x90, 1, 2])]);
    // Truncated header after a good event.
    let mut b = good.clone();
    b.extend_from_slice(&[1, 0, 0]);
    assert_eq!(
        unpack(&p, &b, 0).err(),
        Some(Error::TruncatedHeader { offset: 24 })
    );
    // Zero-length event.
    let mut b = good.clone();
    b.extend_from_slice(&buffer(&[(1, 0, &[1])]));
    b[24..28].copy_from_slice(&0u32.to_ne_bytes());
    assert_eq!(
        unpack(&p, &b, 0).err(),
        Some(Error::ZeroLengthEvent { offset: 24 })
    );
    // cbEvent past the end.
    let mut b = good.clone();
    b[0..4].copy_from_slice(&5u32.to_ne_bytes());
    assert_eq!(
        unpack(&p, &b[..24], 0).err(),
        Some(Error::EventPastEnd { offset: 0 })
    );
    b[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
    assert_eq!(
        unpack(&p, &b, 0).err(),
        Some(Error::EventPastEnd { offset: 0 })
    );
    // Channel group above 16 bits.
    let b = buffer(&[(1, 0, &[0xF8]), (70_000, 0, &[0xF8])]);
    assert_eq!(
        unpack(&p, &b, 0).err(),
        Some(Error::ChannelGroupRange { offset: 24 })
    );
    // Time overflow.
    let b = buffer(&[(1, i64::MAX, &[0xF8])]);
    assert_eq!(
        unpack(&p, &b, 1).err(),
        Some(Error::TimeOverflow { offset: 0 })
    );
    assert_eq!(Error::TimeOverflow { offset: 0 }.to_errno(), -22);
    assert!(
        p.is_full(),
        "nothing was taken from the pool for a malformed buffer"
    );
}

#[test]
fn long_events_are_split_into_incomplete_pieces() {
    let p = pool(16, 4, 10);
    let sysex: Vec<u8> = [0xF0].into_iter().chain(0..20).chain([0xF7]).collect();
    let chain = unpack(&p, &buffer(&[(1, 7, &sysex)]), 0).unwrap();
    let got: Vec<Ev> = chain.iter().map(|e| Ev::of(&e)).collect();
    assert_eq!(
        got,
        vec![
            piece(&sysex[..10], 7),
            piece(&sysex[10..20], 7),
            ev(&sysex[20..], 7)
        ]
    );
    assert_eq!(got[2].flags, DMUS_KEF_EVENT_COMPLETE);
    assert_eq!(got[0].flags, DMUS_KEF_EVENT_INCOMPLETE);
}

#[test]
fn exhaustion_delivers_nothing() {
    // Three events fit, the fourth does not.
    let p = pool(3, 1, 16);
    let buf = buffer(&[
        (1, 0, &[0xF8]),
        (1, 0, &[0xF8]),
        (1, 0, &[0xF8]),
        (1, 0, &[0xF8]),
    ]);
    assert_eq!(unpack(&p, &buf, 0).err(), Some(Error::NoMemory));
    assert!(p.is_full(), "the events taken before the failure went back");
    // Out of buffers on the second long event.
    let buf = buffer(&[(1, 0, &[1; 12]), (1, 0, &[2; 12])]);
    assert_eq!(unpack(&p, &buf, 0).err(), Some(Error::NoMemory));
    assert!(p.is_full());
    assert_eq!(Error::NoMemory.to_errno(), -12);
}

proptest! {
    /// encode -> unpack gives every event back, pieces reassembling to the original data.
    #[test]
    fn encode_unpack_round_trip(
        events in prop::collection::vec((1u32..100, -1_000_000i64..1_000_000, prop::collection::vec(any::<u8>(), 1..50)), 0..20),
        base in 0i64..1_000_000_000,
    ) {
        let p = pool(1024, 128, 16);
        let refs: Vec<(u32, i64, &[u8])> = events.iter().map(|(g, d, v)| (*g, *d, &v[..])).collect();
        let buf = buffer(&refs);
        let chain = unpack(&p, &buf, base).unwrap();
        let mut got = chain.iter().peekable();
        for (group, delta, data) in &events {
            let mut joined = Vec::new();
            loop {
                let e = got.next().unwrap();
                prop_assert_eq!(u32::from(e.channel_group()), *group);
                prop_assert_eq!(e.pres_time(), base + delta);
                joined.extend_from_slice(e.data());
                if !e.is_incomplete() { break; }
            }
            prop_assert_eq!(&joined, data);
        }
        prop_assert!(got.next().is_none());
    }

    /// Arbitrary bytes: unpack never panics, and either fails taking nothing from the pool
    /// or delivers exactly `validate`'s count of messages.
    #[test]
    fn arbitrary_buffers_never_half_deliver(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let p = pool(64, 8, 16);
        match unpack(&p, &bytes, 0) {
            Ok(chain) => {
                let complete = chain.iter().filter(|e| !e.is_incomplete()).count();
                prop_assert_eq!(Ok(complete), validate(&bytes, 0));
            }
            Err(e) => {
                prop_assert_eq!(e.to_errno() == -22, validate(&bytes, 0).is_err());
                prop_assert!(p.is_full());
            }
        }
        prop_assert!(p.is_full());
    }
}
