// SPDX-License-Identifier: GPL-2.0

//! Fuzz target for the DMUS_EVENTHEADER unpacker.
//!
//! Run (stable toolchain, from rust/fuzz):
//!   RUSTC_BOOTSTRAP=1 cargo fuzz run unpacker -- -max_total_time=600
//!
//! Input: byte 0 picks the pool size, bytes 1-2 the base time, the rest is the user buffer
//! (half the time with `cbEvent` fields clamped so valid buffers are common).
//! Checks, for any input:
//! - `unpack` succeeds exactly when `validate` does (or fails with -ENOMEM), and then
//!   delivers `validate`'s count of complete messages;
//! - a failed `unpack` took nothing from the pool (all or nothing);
//! - re-encoding the delivered events gives a buffer that unpacks to the same events;
//! - the pool is full again once the events are dropped.

#![no_main]

use dmus::host::new_pool;
use dmus::unpacker::{encode_event, unpack, validate, EVENT_HEADER_SIZE};
use dmus::Error;
use libfuzzer_sys::fuzz_target;

/// Rewrites each `cbEvent` to a small value so that most inputs are well-formed.
fn tame(buf: &mut [u8]) {
    let mut off = 0;
    while off + EVENT_HEADER_SIZE <= buf.len() {
        let cb = 1 + u32::from(buf[off]) % 40;
        buf[off..off + 4].copy_from_slice(&cb.to_ne_bytes());
        let group = u32::from(buf[off + 4] % 4);
        buf[off + 4..off + 8].copy_from_slice(&group.to_ne_bytes());
        off += (EVENT_HEADER_SIZE + cb as usize + 7) & !7;
    }
}

fuzz_target!(|input: &[u8]| {
    let [sizes, t0, t1, rest @ ..] = input else {
        return;
    };
    let mut buf = rest.to_vec();
    if sizes & 0x80 != 0 {
        tame(&mut buf);
    }
    let base = i64::from(u16::from_le_bytes([*t0, *t1]));
    let events = 1 + usize::from(sizes & 0x3F);
    let pool = new_pool(events, 4, 16).unwrap();
    let checked = validate(&buf, base);
    match unpack(&pool, &buf, base) {
        Ok(chain) => {
            let complete = chain.iter().filter(|e| !e.is_incomplete()).count();
            assert_eq!(checked, Ok(complete));
            // Re-encode (joining the pieces of long events) and unpack again.
            let mut out = vec![0u8; buf.len() + 64 * chain.len()];
            let mut pos = 0;
            let mut joined = Vec::new();
            for e in chain.iter() {
                joined.extend_from_slice(e.data());
                if !e.is_incomplete() {
                    let delta = e.pres_time() - base;
                    pos += encode_event(
                        &mut out[pos..],
                        u32::from(e.channel_group()),
                        delta,
                        0,
                        &joined,
                    )
                    .unwrap();
                    joined.clear();
                }
            }
            out.truncate(pos);
            let big = new_pool(chain.len() + 1, 4, 16).unwrap();
            let again = unpack(&big, &out, base).unwrap();
            assert!(again
                .iter()
                .map(|e| (e.data(), e.pres_time(), e.channel_group(), e.flags()))
                .eq(chain
                    .iter()
                    .map(|e| (e.data(), e.pres_time(), e.channel_group(), e.flags()))));
        }
        Err(Error::NoMemory) => {
            assert!(checked.is_ok());
            assert!(pool.is_full(), "nothing half-delivered");
        }
        Err(e) => {
            assert_eq!(checked, Err(e));
            assert_eq!(e.to_errno(), -22);
            assert!(pool.is_full());
        }
    }
    assert!(pool.is_full());
});
