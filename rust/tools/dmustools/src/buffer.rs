// SPDX-License-Identifier: GPL-2.0
//! DMus buffers: packing timed events into `write()` buffers and parsing
//! the buffers `read()` returns, with reassembly of SysEx pieces.

use std::fmt;

use crate::abi::{
    decode_event_header, encode_event_header, event_size, EventHeader, SndDmusBuffer,
    SND_DMUS_BUFFER_SIZE, SND_DMUS_CHANNEL_GROUP, SND_DMUS_EVENT_HEADER_SIZE,
    SND_DMUS_EVENT_INCOMPLETE, SND_DMUS_EVENT_STRUCTURED, SND_DMUS_WRITE_MAX,
};
use crate::smf::TimedEvent;

/// The smallest buffer limit [`pack_buffer`] and [`split_long_events`]
/// accept: a header and one record with up to 4 data bytes.
pub const MIN_BUFFER_BYTES: usize = SND_DMUS_BUFFER_SIZE + event_size(1);

/// The most data bytes one record may have to fit in a buffer of
/// `max_bytes` bytes.
pub fn max_record_data(max_bytes: usize) -> usize {
    // event_size(cb) = (20 + cb + 7) & !7 <= max_bytes - 16.
    ((max_bytes.saturating_sub(SND_DMUS_BUFFER_SIZE)) & !7)
        .saturating_sub(SND_DMUS_EVENT_HEADER_SIZE)
}

/// Splits every event whose record would not fit in a buffer of
/// `max_bytes` bytes into several unstructured events with the same time
/// (only a long SysEx can be that long). The pieces go to the wire one
/// after the other, as the whole would.
///
/// Panics if `max_bytes` is below [`MIN_BUFFER_BYTES`].
pub fn split_long_events(events: Vec<TimedEvent>, max_bytes: usize) -> Vec<TimedEvent> {
    assert!(max_bytes >= MIN_BUFFER_BYTES, "buffer limit too small");
    let max_data = max_record_data(max_bytes);
    if events.iter().all(|e| e.bytes.len() <= max_data) {
        return events;
    }
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        if e.bytes.len() <= max_data {
            out.push(e);
            continue;
        }
        for piece in e.bytes.chunks(max_data) {
            out.push(TimedEvent {
                time: e.time,
                bytes: piece.to_vec(),
                structured: false,
            });
        }
    }
    out
}

/// Appends one record (header, data, zero padding) to `out`.
pub fn encode_record(out: &mut Vec<u8>, rt_delta: i64, flags: u32, data: &[u8]) {
    let h = EventHeader {
        cb_event: data.len() as u32,
        channel_group: SND_DMUS_CHANNEL_GROUP,
        rt_delta,
        flags,
    };
    let start = out.len();
    encode_event_header(&h, out);
    out.extend_from_slice(data);
    out.resize(start + event_size(data.len()), 0);
}

/// Packs events from the front of `events` into one buffer of at most
/// `max_bytes` bytes and returns it with the number of events it holds
/// (at least 1 if `events` is not empty).
///
/// The buffer's `rt_start` is `t0 + events[0].time`; each record's
/// `rt_delta` is its presentation time `t0 + time` minus `rt_start`. A
/// record is never split: an event too long for `max_bytes` gets a buffer
/// of its own that is larger (use [`split_long_events`] first to avoid
/// that).
pub fn pack_buffer(events: &[TimedEvent], t0: i64, max_bytes: usize) -> (Vec<u8>, usize) {
    let Some(first) = events.first() else {
        return (Vec::new(), 0);
    };
    let rt_start = t0 + first.time as i64;
    let mut buf = Vec::with_capacity(max_bytes.min(SND_DMUS_WRITE_MAX));
    buf.resize(SND_DMUS_BUFFER_SIZE, 0);
    let mut n = 0;
    for e in events {
        let size = event_size(e.bytes.len());
        if n > 0 && buf.len() + size > max_bytes {
            break;
        }
        let flags = if e.structured {
            SND_DMUS_EVENT_STRUCTURED
        } else {
            0
        };
        encode_record(&mut buf, t0 + e.time as i64 - rt_start, flags, &e.bytes);
        n += 1;
    }
    let header = SndDmusBuffer {
        rt_start,
        cb_data: (buf.len() - SND_DMUS_BUFFER_SIZE) as u32,
        flags: 0,
    };
    buf[..SND_DMUS_BUFFER_SIZE].copy_from_slice(&header.to_bytes());
    (buf, n)
}

/// Packs all `events` into buffers of at most `max_bytes` bytes each (see
/// [`pack_buffer`]), presentation time `t0 + time`.
pub fn pack_all(events: &[TimedEvent], t0: i64, max_bytes: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = events;
    while !rest.is_empty() {
        let (buf, n) = pack_buffer(rest, t0, max_bytes);
        out.push(buf);
        rest = &rest[n..];
    }
    out
}

/// One record of a buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Absolute time: `rt_start + rt_delta`, 100 ns master clock.
    pub time: i64,
    /// Channel group.
    pub channel_group: u32,
    /// `SND_DMUS_EVENT_*`.
    pub flags: u32,
    /// The MIDI bytes.
    pub data: Vec<u8>,
}

/// A parsed buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buffer {
    /// The buffer header.
    pub header: SndDmusBuffer,
    /// Its records in order.
    pub records: Vec<Record>,
}

/// Why a buffer could not be parsed; `offset` is the byte offset of the
/// bad part in the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Offset in the buffer.
    pub offset: usize,
    /// What is wrong.
    pub what: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad DMus buffer at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for ParseError {}

/// Parses one buffer: a header then `cb_data` bytes of records. `buf` may
/// be longer than the buffer (the rest is ignored) and the padding of the
/// last record may be missing. Returns the buffer and the bytes it took.
pub fn parse_buffer(buf: &[u8]) -> Result<(Buffer, usize), ParseError> {
    let header = SndDmusBuffer::from_bytes(buf).ok_or(ParseError {
        offset: 0,
        what: "shorter than a buffer header",
    })?;
    let end = SND_DMUS_BUFFER_SIZE
        .checked_add(header.cb_data as usize)
        .filter(|&e| e <= buf.len())
        .ok_or(ParseError {
            offset: 8,
            what: "cb_data runs past the end",
        })?;
    let mut records = Vec::new();
    let mut at = SND_DMUS_BUFFER_SIZE;
    while at < end {
        let h = decode_event_header(&buf[at..end]).ok_or(ParseError {
            offset: at,
            what: "truncated event header",
        })?;
        let cb = h.cb_event as usize;
        if cb == 0 {
            return Err(ParseError {
                offset: at,
                what: "zero-length event",
            });
        }
        let data_at = at + SND_DMUS_EVENT_HEADER_SIZE;
        let data = buf
            .get(data_at..data_at.saturating_add(cb))
            .filter(|_| data_at + cb <= end)
            .ok_or(ParseError {
                offset: at,
                what: "event data runs past the end",
            })?;
        let time = header.rt_start.checked_add(h.rt_delta).ok_or(ParseError {
            offset: at,
            what: "time overflow",
        })?;
        records.push(Record {
            time,
            channel_group: h.channel_group,
            flags: h.flags,
            data: data.to_vec(),
        });
        at = at.saturating_add(event_size(cb));
    }
    Ok((Buffer { header, records }, end))
}

/// Parses a byte stream of one or more whole buffers (what one `write()`
/// takes).
pub fn parse_buffers(mut bytes: &[u8]) -> Result<Vec<Buffer>, ParseError> {
    let mut out = Vec::new();
    let mut base = 0;
    while !bytes.is_empty() {
        let (b, used) = parse_buffer(bytes).map_err(|mut e| {
            e.offset += base;
            e
        })?;
        out.push(b);
        bytes = &bytes[used..];
        base += used;
    }
    Ok(out)
}

/// A captured MIDI message: SysEx pieces joined into one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Arrival time of its first byte, 100 ns master clock.
    pub time: i64,
    /// The bytes (a whole SysEx from `F0`, a channel message with status).
    pub data: Vec<u8>,
}

/// Joins the records read from the device into messages: a SysEx that
/// arrives as INCOMPLETE pieces comes out as one message, stamped with its
/// first piece's time.
///
/// Messages come out in the order they complete; a real-time message
/// that arrives inside a SysEx comes out before that SysEx (sort by time
/// for wire order).
#[derive(Debug, Default)]
pub struct Reassembler {
    open: Option<Message>,
    /// Records that continued no SysEx (a piece without its start after an
    /// overrun is kept as its own message).
    pub orphans: u64,
}

impl Reassembler {
    /// A reassembler with no SysEx open.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one record; appends the messages it completes to `out`.
    pub fn push(&mut self, rec: &Record, out: &mut Vec<Message>) {
        let structured = rec.flags & SND_DMUS_EVENT_STRUCTURED != 0;
        let incomplete = rec.flags & SND_DMUS_EVENT_INCOMPLETE != 0;
        let first = rec.data.first().copied().unwrap_or(0);
        if structured && !incomplete {
            if first < 0xf8 {
                // Any status but real-time ends an open SysEx.
                self.flush(out);
            }
            out.push(Message {
                time: rec.time,
                data: rec.data.clone(),
            });
            return;
        }
        // A SysEx piece (or raw bytes).
        if first == 0xf0 {
            self.flush(out);
        }
        match &mut self.open {
            Some(m) => m.data.extend_from_slice(&rec.data),
            None => {
                if first != 0xf0 {
                    self.orphans += 1;
                }
                self.open = Some(Message {
                    time: rec.time,
                    data: rec.data.clone(),
                });
            }
        }
        if !incomplete {
            self.flush(out);
        }
    }

    /// Emits the open SysEx, if any, as it is (at the end of a capture).
    pub fn flush(&mut self, out: &mut Vec<Message>) {
        if let Some(m) = self.open.take() {
            out.push(m);
        }
    }

    /// True while a SysEx has INCOMPLETE pieces and no last piece yet.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::SND_DMUS_BUFFER_OVERRUN;

    fn ev(time: u64, bytes: &[u8], structured: bool) -> TimedEvent {
        TimedEvent {
            time,
            bytes: bytes.to_vec(),
            structured,
        }
    }

    fn sample() -> Vec<TimedEvent> {
        let mut sysex = vec![0xf0, 0x43];
        sysex.extend((0..300).map(|i| (i % 128) as u8));
        sysex.push(0xf7);
        vec![
            ev(0, &[0x90, 60, 100], true),
            ev(0, &[0xc0, 5], true),
            ev(1234, &[0xfe], true),
            ev(5_000_000, &sysex, false),
            ev(5_000_000, &[0x80, 60, 0], true),
            ev(7_000_001, &[0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7], false),
            ev(9_999_999, &[0xe0, 0, 64], true),
        ]
    }

    /// Pack, parse back, compare times, bytes and flags.
    fn round_trip(events: &[TimedEvent], t0: i64, max_bytes: usize) -> Vec<Vec<u8>> {
        let bufs = pack_all(events, t0, max_bytes);
        let mut got = Vec::new();
        for b in &bufs {
            let (parsed, used) = parse_buffer(b).unwrap();
            assert_eq!(used, b.len());
            assert_eq!(parsed.header.flags, 0);
            assert_eq!(parsed.header.cb_data as usize, b.len() - 16);
            for r in parsed.records {
                assert_eq!(r.channel_group, 1);
                got.push(TimedEvent {
                    time: (r.time - t0) as u64,
                    bytes: r.data,
                    structured: r.flags == SND_DMUS_EVENT_STRUCTURED,
                });
            }
        }
        assert_eq!(got, events);
        bufs
    }

    #[test]
    fn pack_parse_round_trip() {
        let events = sample();
        let bufs = round_trip(&events, 123_456_789_000, 4096);
        assert_eq!(bufs.len(), 1);
        // The concatenation (one write of several buffers) parses too.
        let bufs = round_trip(&events, 1, 64);
        assert!(bufs.len() > 3);
        let all: Vec<u8> = bufs.concat();
        let parsed = parse_buffers(&all).unwrap();
        assert_eq!(parsed.len(), bufs.len());
    }

    #[test]
    fn buffers_respect_the_limit() {
        let events: Vec<_> = (0..1000)
            .map(|i| ev(i * 10, &[0x90, (i % 128) as u8, 1], true))
            .collect();
        for max in [40, 64, 100, 4096] {
            let bufs = round_trip(&events, 0, max);
            for b in &bufs {
                assert!(b.len() <= max, "{} > {max}", b.len());
                assert_eq!(b.len() % 8, 0);
            }
        }
    }

    #[test]
    fn padding_and_alignment() {
        let events = vec![
            ev(10, &[0xfe], true),
            ev(20, &[0x90, 1, 2], true),
            ev(30, &[0xf0, 1, 2, 3, 0xf7], false),
            ev(40, &[0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xf7], false),
        ];
        let (buf, n) = pack_buffer(&events, 1000, 4096);
        assert_eq!(n, 4);
        // Header 16 + 24 + 24 + 32 (20 + 5 -> 32) + 32 (20 + 12 = 32).
        assert_eq!(buf.len(), 16 + 24 + 24 + 32 + 32);
        let h = SndDmusBuffer::from_bytes(&buf).unwrap();
        assert_eq!(h.rt_start, 1010);
        assert_eq!(h.cb_data, 112);
        // First record: cb 1, group 1, delta 0, structured, data, 3 zeros.
        let r0 = decode_event_header(&buf[16..]).unwrap();
        assert_eq!(
            r0,
            EventHeader {
                cb_event: 1,
                channel_group: 1,
                rt_delta: 0,
                flags: 1
            }
        );
        assert_eq!(&buf[36..40], &[0xfe, 0, 0, 0]);
        // Second record starts at 16 + 24 = 40, an 8-byte boundary.
        let r1 = decode_event_header(&buf[40..]).unwrap();
        assert_eq!(r1.rt_delta, 10);
        assert_eq!(&buf[60..64], &[0x90, 1, 2, 0]);
        let r2 = decode_event_header(&buf[64..]).unwrap();
        assert_eq!((r2.cb_event, r2.flags, r2.rt_delta), (5, 0, 20));
        assert_eq!(&buf[84..96], &[0xf0, 1, 2, 3, 0xf7, 0, 0, 0, 0, 0, 0, 0]);
        let r3 = decode_event_header(&buf[96..]).unwrap();
        assert_eq!(r3.cb_event, 12);
        assert_eq!(buf.len() - 96, 32);
    }

    #[test]
    fn sysex_longer_than_256() {
        let mut sysex = vec![0xf0];
        sysex.extend((0..1000).map(|i| (i * 7 % 128) as u8));
        sysex.push(0xf7);
        let events = vec![ev(0, &[0x90, 1, 1], true), ev(100, &sysex, false)];
        // Fits whole in a 4 KiB buffer.
        let bufs = round_trip(&events, 50, 4096);
        assert_eq!(bufs.len(), 1);
        assert_eq!(bufs[0].len(), 16 + 24 + event_size(1002));
        // In 256-byte buffers: the oversized record gets its own buffer.
        let bufs = round_trip(&events, 50, 256);
        assert_eq!(bufs.len(), 2);
        assert_eq!(bufs[1].len(), 16 + event_size(1002));
        // Split to fit: pieces with the same time, joined they are the SysEx.
        let split = split_long_events(events.clone(), 256);
        assert!(split.len() > 2);
        assert!(split[1..].iter().all(|e| e.time == 100 && !e.structured));
        let joined: Vec<u8> = split[1..].iter().flat_map(|e| e.bytes.clone()).collect();
        assert_eq!(joined, sysex);
        let bufs = round_trip(&split, 50, 256);
        assert!(bufs.iter().all(|b| b.len() <= 256));
    }

    #[test]
    fn max_record_data_fits() {
        for max in MIN_BUFFER_BYTES..600 {
            let d = max_record_data(max);
            assert!(SND_DMUS_BUFFER_SIZE + event_size(d) <= max);
            assert!(SND_DMUS_BUFFER_SIZE + event_size(d + 1) > max);
        }
        assert_eq!(max_record_data(40), 4);
        assert_eq!(max_record_data(4096), 4060);
    }

    #[test]
    fn parse_tolerates_missing_last_padding_and_rejects_garbage() {
        let mut b = vec![0u8; 16];
        encode_record(&mut b, 5, 1, &[0x90, 1, 2]);
        b.truncate(16 + 23);
        let cb = (b.len() - 16) as u32;
        b[..16].copy_from_slice(
            &SndDmusBuffer {
                rt_start: 100,
                cb_data: cb,
                flags: SND_DMUS_BUFFER_OVERRUN,
            }
            .to_bytes(),
        );
        let (p, used) = parse_buffer(&b).unwrap();
        assert_eq!(used, 39);
        assert_eq!(p.header.flags, SND_DMUS_BUFFER_OVERRUN);
        assert_eq!(p.records[0].time, 105);
        assert_eq!(p.records[0].data, vec![0x90, 1, 2]);

        assert!(parse_buffer(&b[..10]).is_err());
        // cb_data past the end.
        let mut bad = b.clone();
        bad[8..12].copy_from_slice(&100u32.to_ne_bytes());
        assert!(parse_buffer(&bad).is_err());
        // Event data past the end.
        let mut bad = b.clone();
        bad[16..20].copy_from_slice(&30u32.to_ne_bytes());
        assert!(parse_buffer(&bad).is_err());
        // Zero-length event.
        let mut bad = b.clone();
        bad[16..20].copy_from_slice(&0u32.to_ne_bytes());
        assert!(parse_buffer(&bad).is_err());
    }

    fn rec(time: i64, flags: u32, data: &[u8]) -> Record {
        Record {
            time,
            channel_group: 1,
            flags,
            data: data.to_vec(),
        }
    }

    #[test]
    fn reassembles_sysex_pieces() {
        let s = SND_DMUS_EVENT_STRUCTURED;
        let inc = SND_DMUS_EVENT_INCOMPLETE;
        let mut r = Reassembler::new();
        let mut out = Vec::new();
        r.push(&rec(1, s, &[0x90, 1, 2]), &mut out);
        r.push(&rec(10, inc, &[0xf0, 1, 2, 3]), &mut out);
        assert!(r.is_open());
        r.push(&rec(11, s, &[0xf8]), &mut out); // real-time inside
        r.push(&rec(12, inc, &[4, 5, 6]), &mut out);
        r.push(&rec(13, 0, &[7, 0xf7]), &mut out);
        assert!(!r.is_open());
        r.push(&rec(20, 0, &[0xf0, 9, 0xf7]), &mut out);
        r.push(&rec(30, inc, &[0xf0, 1]), &mut out);
        r.push(&rec(31, s, &[0x80, 1, 0]), &mut out); // ends it
        r.push(&rec(40, inc, &[0xf0, 2]), &mut out);
        r.flush(&mut out);
        let got: Vec<(i64, Vec<u8>)> = out.into_iter().map(|m| (m.time, m.data)).collect();
        assert_eq!(
            got,
            vec![
                (1, vec![0x90, 1, 2]),
                (11, vec![0xf8]),
                (10, vec![0xf0, 1, 2, 3, 4, 5, 6, 7, 0xf7]),
                (20, vec![0xf0, 9, 0xf7]),
                (30, vec![0xf0, 1]),
                (31, vec![0x80, 1, 0]),
                (40, vec![0xf0, 2]),
            ]
        );
        assert_eq!(r.orphans, 0);
    }

    #[test]
    fn reassembles_a_long_sysex_from_packed_pieces() {
        // A 700-byte SysEx read back in 256-byte INCOMPLETE pieces.
        let mut sysex = vec![0xf0];
        sysex.extend((0..698).map(|i| (i % 100) as u8));
        sysex.push(0xf7);
        let pieces: Vec<&[u8]> = sysex.chunks(256).collect();
        let mut buf = vec![0u8; 16];
        for (i, p) in pieces.iter().enumerate() {
            let flags = if i + 1 < pieces.len() {
                SND_DMUS_EVENT_INCOMPLETE
            } else {
                0
            };
            encode_record(&mut buf, i as i64 * 10, flags, p);
        }
        let cb = (buf.len() - 16) as u32;
        buf[..16].copy_from_slice(
            &SndDmusBuffer {
                rt_start: 7,
                cb_data: cb,
                flags: 0,
            }
            .to_bytes(),
        );
        let (p, _) = parse_buffer(&buf).unwrap();
        assert_eq!(p.records.len(), 3);
        let mut r = Reassembler::new();
        let mut out = Vec::new();
        for x in &p.records {
            r.push(x, &mut out);
        }
        assert_eq!(
            out,
            vec![Message {
                time: 7,
                data: sysex
            }]
        );
    }
}
