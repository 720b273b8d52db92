// SPDX-License-Identifier: GPL-2.0
//! The command lines of `dmusplay` and `dmusrec` without a device: usage,
//! file errors and the refusal of a file that is not a DMus device.

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch file that is removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str, contents: &[u8]) -> Self {
        let p = std::env::temp_dir().join(format!("dmustools-cli-{tag}-{}", std::process::id()));
        std::fs::write(&p, contents).unwrap();
        Scratch(p)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A one-note format 0 file.
const TINY_MID: &[u8] = &[
    b'M', b'T', b'h', b'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0, b'M', b'T', b'r', b'k', 0, 0, 0,
    12, 0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00,
];

const PLAY: &str = env!("CARGO_BIN_EXE_dmusplay");
const REC: &str = env!("CARGO_BIN_EXE_dmusrec");

#[test]
fn help_lists_the_options() {
    let o = run(PLAY, &["--help"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for opt in [
        "<FILE.mid>",
        "--device",
        "--t0-out",
        "--margin-ms",
        "--ahead-ms",
    ] {
        assert!(out.contains(opt), "dmusplay --help lacks {opt}:\n{out}");
    }
    let o = run(REC, &["--help"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for opt in ["<OUT.mid>", "--device", "--time", "--stamps"] {
        assert!(out.contains(opt), "dmusrec --help lacks {opt}:\n{out}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(PLAY, &[]).status.code(), Some(2));
    assert_eq!(run(REC, &[]).status.code(), Some(2));
    assert_eq!(run(REC, &["-t", "0", "x.mid"]).status.code(), Some(2));
    assert_eq!(
        run(PLAY, &["x.mid", "--ahead-ms", "0"]).status.code(),
        Some(2)
    );
}

#[test]
fn missing_midi_file() {
    let o = run(PLAY, &["/nonexistent/song.mid"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("dmusplay: /nonexistent/song.mid: cannot read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_regular_file_is_not_a_dmus_device() {
    let mid = Scratch::new("tiny.mid", TINY_MID);
    let notdev = Scratch::new("notdev", b"");
    let o = run(PLAY, &[mid.path(), "-d", notdev.path()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("dmusplay: {}: not a DMus device\n", notdev.path())
    );
    let out = Scratch::new("out.mid", b"");
    let o = run(REC, &["-d", notdev.path(), "-t", "1", out.path()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("dmusrec: {}: not a DMus device\n", notdev.path())
    );
}
