// SPDX-License-Identifier: GPL-2.0

//! The DMus device's write checks: what a write needs, and every input it refuses.

mod common;

use common::*;
use dmus::stream_buffer::{
    check_write, encode_buffer_header, split_buffers, WritePlan, BUFFER_HEADER_SIZE,
};
use dmus::unpacker::{encode_event, unpack, DMUS_EVENT_STRUCTURED};
use dmus::Error;
use proptest::prelude::*;

/// One record: (group, delta, flags, data).
type Rec<'a> = (u32, i64, u32, &'a [u8]);

/// A buffer with `rt_start` holding `records`.
fn buffer(rt_start: i64, records: &[Rec<'_>]) -> Vec<u8> {
    let mut body = vec![0u8; records.iter().map(|r| 32 + r.3.len()).sum()];
    let mut pos = 0;
    for (group, delta, flags, data) in records {
        pos += encode_event(&mut body[pos..], *group, *delta, *flags, data).unwrap();
    }
    body.truncate(pos);
    let mut out = vec![0u8; BUFFER_HEADER_SIZE];
    encode_buffer_header(&mut out, rt_start, body.len() as u32, 0).unwrap();
    out.extend_from_slice(&body);
    out
}

const S: u32 = DMUS_EVENT_STRUCTURED;

#[test]
fn plans_events_buffers_and_channels() {
    let sysex: Vec<u8> = (0..600)
        .map(|i| if i == 0 { 0xf0 } else { (i % 128) as u8 })
        .collect();
    let mut w = buffer(
        1000,
        &[
            (1, 0, S, &[0x90, 60, 100]),
            (0, 10, S, &[0xc3, 5]),
            (1, 20, 0, &sysex),
            (1, 30, 0, &[0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 0xf7]),
            // Raw bytes: a note on channel 10 and, in running status, its off.
            (1, 40, 0, &[0x99, 36, 100, 36, 0]),
        ],
    );
    w.extend(buffer(5000, &[(1, 0, S, &[0xf8])]));
    let plan = check_write(&w, 256).unwrap();
    assert_eq!(
        plan,
        WritePlan {
            buffers: 2,
            records: 6,
            // 600 bytes in pieces of 256: 3 events.
            events: 2 + 3 + 1 + 1 + 1,
            // The 3 SysEx pieces and the 10-byte SysEx need buffers; short messages are inline.
            pool_buffers: 4,
            channels: (1 << 0) | (1 << 3) | (1 << 9),
        }
    );
    // The unpacker takes exactly what the plan said, from the right buffers.
    let p = pool(64, 8, 256);
    let mut got = vec![];
    split_buffers(&w, |b| {
        let chain = unpack(&p, b.records, b.rt_start)?;
        got.extend(chain.iter().map(|e| e.pres_time()));
        Ok(())
    })
    .unwrap();
    assert_eq!(got, vec![1000, 1010, 1020, 1020, 1020, 1030, 1040, 5000]);
}

#[test]
fn refuses_malformed_writes() {
    let good = buffer(0, &[(1, 0, S, &[0x90, 60, 100])]);
    assert!(check_write(&good, 256).is_ok());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("short header", good[..12].to_vec()),
        ("cut record", good[..good.len() - 8].to_vec()),
        ("trailing bytes", [good.clone(), vec![0; 4]].concat()),
        (
            "two messages",
            buffer(0, &[(1, 0, S, &[0x90, 60, 100, 0x80])]),
        ),
        ("short message", buffer(0, &[(1, 0, S, &[0x90, 60])])),
        ("data first", buffer(0, &[(1, 0, S, &[0x40, 60, 100])])),
        (
            "structured sysex",
            buffer(0, &[(1, 0, S, &[0xf0, 1, 0xf7])]),
        ),
        (
            "status in data",
            buffer(0, &[(1, 0, S, &[0x90, 0x90, 100])]),
        ),
        ("group 2", buffer(0, &[(2, 0, S, &[0x90, 60, 100])])),
        (
            "reserved flag",
            buffer(0, &[(1, 0, S | 4, &[0x90, 60, 100])]),
        ),
        ("incomplete flag", buffer(0, &[(1, 0, 2, &[0xf0, 1, 0xf7])])),
        (
            "time overflow",
            buffer(i64::MAX, &[(1, 1, S, &[0x90, 60, 100])]),
        ),
    ];
    for (name, w) in cases {
        assert!(check_write(&w, 256).is_err(), "{name}: accepted");
    }
    // cb_data not a multiple of 8, and buffer flags.
    let mut odd = good.clone();
    odd[8..12].copy_from_slice(&20u32.to_ne_bytes());
    assert_eq!(check_write(&odd, 256), Err(Error::InvalidArgument));
    let mut flagged = good.clone();
    flagged[12..16].copy_from_slice(&1u32.to_ne_bytes());
    assert_eq!(check_write(&flagged, 256), Err(Error::InvalidArgument));
    // A zero-length event.
    let mut zero = good.clone();
    zero[16..20].copy_from_slice(&0u32.to_ne_bytes());
    assert!(check_write(&zero, 256).is_err());
}

proptest! {
    /// Whatever the bytes, the check never panics, and what it accepts unpacks whole with
    /// exactly the planned events.
    #[test]
    fn never_panics_and_plans_right(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(plan) = check_write(&bytes, 16) {
            let p = pool(1024, 256, 16);
            let mut events = 0;
            split_buffers(&bytes, |b| {
                events += unpack(&p, b.records, b.rt_start)?.len();
                Ok(())
            }).unwrap();
            prop_assert_eq!(events, plan.events);
            prop_assert!(plan.pool_buffers <= plan.events);
        }
    }
}
