// SPDX-License-Identifier: GPL-2.0
//! A real Standard MIDI File through the whole host-side pipeline: load,
//! pack into buffers, parse them back.

use std::path::Path;

use dmustools::buffer::{pack_all, parse_buffer, split_long_events};
use dmustools::smf::load;

/// A format 1 file shipped with OpenTTD's OpenMSX music set.
const REAL_FILE: &str = "/usr/share/games/openttd/baseset/openmsx/5432gone_redfarn.mid";

#[test]
fn openmsx_file_has_2584_channel_messages() {
    let path = Path::new(REAL_FILE);
    assert!(
        path.exists(),
        "test file {REAL_FILE} is missing: install the openmsx music set \
         (Debian package openttd-openmsx) to run this test"
    );
    let song = load(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(song.channel_messages(), 2584);
    // Times never go backwards.
    assert!(song.events.windows(2).all(|w| w[0].time <= w[1].time));
    assert!(song.end >= song.events.last().unwrap().time);

    // Packed in 4 KiB buffers from an arbitrary start, parsed back:
    // the same events at the same times.
    let t0 = 1_234_567_890_123i64;
    let events = split_long_events(song.events.clone(), 4096);
    let bufs = pack_all(&events, t0, 4096);
    let mut n = 0;
    for b in &bufs {
        assert!(b.len() <= 4096);
        let (p, used) = parse_buffer(b).unwrap();
        assert_eq!(used, b.len());
        for r in &p.records {
            assert_eq!(r.time - t0, events[n].time as i64);
            assert_eq!(r.data, events[n].bytes);
            n += 1;
        }
    }
    assert_eq!(n, events.len());
}
