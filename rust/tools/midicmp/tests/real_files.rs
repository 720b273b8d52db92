// SPDX-License-Identifier: GPL-2.0
//! Runs `midicmp` on every real MIDI file of the Debian packages
//! openttd-openmsx (game music, format 1, many tracks and tempo changes)
//! and csound-doc (examples with SysEx, running status, poly aftertouch).
//! Skips, with a note, when neither is installed.

mod common;

use std::path::PathBuf;

use common::*;

const DIRS: &[&str] = &[
    "/usr/share/games/openttd/baseset/openmsx",
    "/usr/share/doc/csound-doc/html/examples",
];

fn real_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for d in DIRS {
        match std::fs::read_dir(d) {
            Ok(rd) => {
                let mut here: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("mid")))
                    .collect();
                here.sort();
                println!("{d}: {} MIDI files", here.len());
                files.extend(here);
            }
            Err(e) => println!("note: {d} not available ({e}); skipping its files"),
        }
    }
    files
}

/// Checks that a wire stream uses no running status: every message starts
/// with a status byte, SysEx runs F0..F7.
fn assert_no_running_status(bytes: &[u8], what: &str) {
    let mut i = 0;
    while i < bytes.len() {
        let st = bytes[i];
        assert!(
            st >= 0x80,
            "{what}: data byte {st:#04x} at offset {i} where a status belongs"
        );
        i += 1;
        let n = match st {
            0xf0 => {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| b == 0xf7)
                    .unwrap_or_else(|| panic!("{what}: SysEx at {} has no F7", i - 1));
                end + 1
            }
            0x80..=0xbf | 0xe0..=0xef | 0xf2 => 2,
            0xc0..=0xdf | 0xf1 | 0xf3 => 1,
            _ => 0,
        };
        assert!(i + n <= bytes.len(), "{what}: truncated message at the end");
        if st != 0xf0 {
            assert!(
                bytes[i..i + n].iter().all(|&b| b < 0x80),
                "{what}: bad data at {i}"
            );
        }
        i += n;
    }
}

#[test]
fn every_real_file() {
    let files = real_files();
    if files.is_empty() {
        println!("note: no real MIDI files installed; test skipped");
        return;
    }
    let mut failures = Vec::new();
    for (n, f) in files.iter().enumerate() {
        let name = f.to_string_lossy().into_owned();
        let data = std::fs::read(f).expect("read");

        let r = run(&["compare", &name, &name]);
        if r.code != 0 || !r.stdout.contains("verdict  : event-exact") {
            failures.push(format!(
                "compare {name} itself: exit {}\n{}{}",
                r.code, r.stdout, r.stderr
            ));
            continue;
        }
        assert_eq!(timing_ms(&r.stdout), (0.0, 0.0, 0.0), "{name}");

        let r = run(&["raw", &name]);
        if r.code != 0 || r.stdout_bytes.is_empty() {
            failures.push(format!("raw {name}: exit {} {}", r.code, r.stderr));
            continue;
        }
        assert_no_running_status(&r.stdout_bytes, &name);

        // What arecordmidi would write with its defaults (format 0,
        // 384 ticks at 120 bpm): same events, rounding error < 1 tick.
        let rec = record_like_arecordmidi(&data, 120, 384, |_| 0);
        let r = compare(&data, &rec, &[]);
        if r.code != 0 {
            failures.push(format!("{name} vs simulated recording:\n{}", r.stdout));
            continue;
        }
        let (_, _, max) = timing_ms(&r.stdout);
        assert!(max <= 1.31, "{name}: max error {max} ms\n{}", r.stdout);

        // Played through a simulated cable (running status, queueing, no
        // message ever started before its time): the wire log matches the
        // file and no burst leader is early.
        let wire = Tmp::new(
            "wire",
            wire_text(&cable(&data, 1_000_000_000, 320_000, true, |_| 0)).as_bytes(),
        );
        let r = run(&[
            "sched",
            &name,
            &wire.arg(),
            "--t0",
            "10000000",
            "--fail-early",
        ]);
        if r.code != 0 || !r.stdout.contains("  early   : 0 ") {
            failures.push(format!(
                "sched {name} on a simulated cable: exit {}\n{}{}",
                r.code, r.stdout, r.stderr
            ));
            continue;
        }

        // Losing one message must be caught (varying which one).
        let count = midicmp::wire::receive(&midicmp::smf::parse(&data).unwrap().chunks)
            .msgs
            .len();
        let lost = record_dropping(&data, 120, 384, |_| 0, Some((n * 7919) % count));
        let r = compare(&data, &lost, &[]);
        if r.code != 1 || !r.stdout.contains("1 missing") {
            // A dropped system real-time message is not compared; retry
            // with the first message, which in these files is a channel one.
            let lost = record_dropping(&data, 120, 384, |_| 0, Some(0));
            let r2 = compare(&data, &lost, &[]);
            if r2.code != 1 {
                failures.push(format!(
                    "{name}: dropped message not detected\n{}",
                    r.stdout
                ));
            }
        }
    }
    println!(
        "checked {} real files, {} failures",
        files.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
