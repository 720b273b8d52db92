// SPDX-License-Identifier: GPL-2.0
//! Runs `midicmp` on every real MIDI file of the Debian packages
//! openttd-openmsx (game music, format 1, many tracks and tempo changes)
//! and csound-doc (examples with SysEx, running status, poly aftertouch).
//! `scripts/setup.sh` installs both. Fails, naming the packages, when the
//! files of either are missing, unless `MIDICMP_REAL_FILES=skip` is set: then
//! it checks nothing and says `SKIP` on the test's stderr (not captured by
//! the test harness, so `cargo test` shows it).

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::*;

/// Where each package puts its MIDI files, and the package.
const SOURCES: &[(&str, &str)] = &[
    (
        "/usr/share/games/openttd/baseset/openmsx",
        "openttd-openmsx",
    ),
    ("/usr/share/doc/csound-doc/html/examples", "csound-doc"),
];

/// The opt-out: `MIDICMP_REAL_FILES=skip` lets the test pass without the
/// packages (it then checks nothing and says so).
const OPT_OUT: &str = "MIDICMP_REAL_FILES";

/// What [`find`] found.
#[derive(Debug)]
enum Found {
    /// Every file, sorted per directory.
    Files(Vec<PathBuf>),
    /// Files are missing and the opt-out is set: the SKIP line to print.
    Skip(String),
}

/// The MIDI files of `sources` (directory, Debian package). Missing files
/// (a directory that cannot be read or holds no `.mid`) are an error naming
/// the packages, unless `opt_out` (the value of [`OPT_OUT`]) is `skip`.
fn find(sources: &[(&str, &str)], opt_out: Option<&str>) -> Result<Found, String> {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for (d, package) in sources {
        match std::fs::read_dir(d) {
            Ok(rd) => {
                let mut here: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("mid")))
                    .collect();
                here.sort();
                println!("{d}: {} MIDI files", here.len());
                if here.is_empty() {
                    missing.push(format!("{d}: no .mid file (package {package})"));
                }
                files.extend(here);
            }
            Err(e) => missing.push(format!("{d}: {e} (package {package})")),
        }
    }
    if missing.is_empty() {
        return Ok(Found::Files(files));
    }
    match opt_out {
        Some("skip") => Ok(Found::Skip(format!(
            "SKIP every_real_file: {OPT_OUT}=skip and the real MIDI files are missing ({}); \
             nothing was checked",
            missing.join("; ")
        ))),
        Some(v) => Err(format!("{OPT_OUT}={v}: the only value is `skip`")),
        None => Err(format!(
            "the real MIDI files this test checks are missing:\n  {}\n\
             install the Debian packages openttd-openmsx and csound-doc \
             (scripts/setup.sh installs them; by hand: \
             apt-get install openttd-openmsx csound-doc), \
             or set {OPT_OUT}=skip to skip this test",
            missing.join("\n  ")
        )),
    }
}

/// The real files; `None` (after printing SKIP) when they are missing and
/// the opt-out is set. Panics when they are missing otherwise.
fn real_files() -> Option<Vec<PathBuf>> {
    let opt_out = std::env::var(OPT_OUT).ok();
    match find(SOURCES, opt_out.as_deref()) {
        Ok(Found::Files(files)) => Some(files),
        Ok(Found::Skip(line)) => {
            // Straight to stderr: the harness captures print!/eprint! of a
            // passing test, and a skip must show.
            let _ = writeln!(std::io::stderr(), "{line}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn missing_real_files_fail_unless_skipped() {
    let empty = std::env::temp_dir().join(format!("midicmp-no-mid-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let empty_dir = empty.to_string_lossy().into_owned();
    let sources = [
        ("/nonexistent/openmsx", "openttd-openmsx"),
        (empty_dir.as_str(), "csound-doc"),
    ];
    let e = find(&sources, None).unwrap_err();
    assert!(e.contains("/nonexistent/openmsx"), "{e}");
    assert!(e.contains(&format!("{empty_dir}: no .mid file")), "{e}");
    assert!(e.contains("openttd-openmsx and csound-doc"), "{e}");
    assert!(e.contains("scripts/setup.sh"), "{e}");
    assert!(e.contains("MIDICMP_REAL_FILES=skip"), "{e}");
    match find(&sources, Some("skip")) {
        Ok(Found::Skip(line)) => assert!(line.starts_with("SKIP "), "{line}"),
        other => panic!("{other:?}"),
    }
    assert!(find(&sources, Some("1")).is_err());
    // One package present is not enough.
    let one = [SOURCES[0], ("/nonexistent/csound", "csound-doc")];
    if std::path::Path::new(SOURCES[0].0).is_dir() {
        assert!(find(&one, None).unwrap_err().contains("csound-doc"));
    }
    std::fs::remove_dir(&empty).unwrap();
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
    let Some(files) = real_files() else {
        return;
    };
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
