// SPDX-License-Identifier: GPL-2.0
//! Readers for the two text logs the timing checks work on:
//!
//! * the virtual MPU-401's debugfs `wire` log
//!   (`/sys/kernel/debug/snd-dmus-mpu401-virtN/wire`): a first line
//!   `# time_ns byte`, then one line `<time_ns> <hex byte>` per byte that
//!   crossed the virtual cable, oldest first, `time_ns` being the
//!   `CLOCK_MONOTONIC` time at which the byte's last bit arrived;
//! * the capture stamps written by `dmusrec --stamps`: one captured message
//!   per line, `<stamp> <hex bytes>`, the stamp in 100 ns units of
//!   `CLOCK_MONOTONIC` (the DMus master clock).
//!
//! Both allow `#` comment lines and blank lines.

use std::path::Path;

use crate::smf::LoadError;

/// One byte of the wire log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireByte {
    /// `CLOCK_MONOTONIC` nanoseconds when the byte's last bit arrived.
    pub time_ns: u64,
    /// The byte.
    pub byte: u8,
}

/// One line of a stamps file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StampLine {
    /// Capture stamp, 100 ns units of `CLOCK_MONOTONIC`.
    pub stamp: u64,
    /// The captured bytes.
    pub bytes: Vec<u8>,
}

/// Largest time accepted, so that all arithmetic fits in an `i64`
/// (about 146 years of uptime).
pub const MAX_NS: u64 = i64::MAX as u64 / 2;

fn read(path: &Path) -> Result<String, LoadError> {
    let data = std::fs::read(path)
        .map_err(|e| LoadError(format!("{}: cannot read: {e}", path.display())))?;
    String::from_utf8(data).map_err(|_| LoadError(format!("{}: not a text file", path.display())))
}

/// The lines that carry data: (1-based line number, trimmed text).
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Parses a decimal time field no larger than `max`.
fn number(s: &str, what: &str, max: u64) -> Result<u64, String> {
    s.parse::<u64>()
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| format!("bad {what} '{s}'"))
}

/// Parses one hex token: one byte (`9`, `90`, `0x90`) or several written
/// together (`903c64`).
fn hex_token(tok: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let t = tok
        .strip_prefix("0x")
        .or_else(|| tok.strip_prefix("0X"))
        .unwrap_or(tok);
    let bad = || format!("bad hex byte '{tok}'");
    if t.is_empty() || !t.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    if t.len() <= 2 {
        out.push(u8::from_str_radix(t, 16).map_err(|_| bad())?);
        return Ok(());
    }
    if t.len() % 2 != 0 {
        return Err(bad());
    }
    for i in (0..t.len()).step_by(2) {
        out.push(u8::from_str_radix(&t[i..i + 2], 16).map_err(|_| bad())?);
    }
    Ok(())
}

/// Parses the text of a debugfs `wire` log.
pub fn parse_wire_log(text: &str) -> Result<Vec<WireByte>, String> {
    let mut out = Vec::new();
    for (n, line) in data_lines(text) {
        let err = |e: String| format!("line {n}: {e}");
        let mut f = line.split_whitespace();
        let (Some(t), Some(b), None) = (f.next(), f.next(), f.next()) else {
            return Err(err(format!(
                "expected '<time_ns> <hex byte>', got '{line}'"
            )));
        };
        let time_ns = number(t, "time", MAX_NS).map_err(err)?;
        let mut bytes = Vec::with_capacity(1);
        hex_token(b, &mut bytes).map_err(err)?;
        let [byte] = bytes[..] else {
            return Err(err(format!("expected one byte, got '{b}'")));
        };
        out.push(WireByte { time_ns, byte });
    }
    Ok(out)
}

/// Reads a debugfs `wire` log; errors name the file and line.
pub fn load_wire_log(path: &Path) -> Result<Vec<WireByte>, LoadError> {
    parse_wire_log(&read(path)?).map_err(|e| LoadError(format!("{}: {e}", path.display())))
}

/// Parses the text of a stamps file.
pub fn parse_stamps(text: &str) -> Result<Vec<StampLine>, String> {
    let mut out = Vec::new();
    for (n, line) in data_lines(text) {
        let err = |e: String| format!("line {n}: {e}");
        let mut f = line.split_whitespace();
        let stamp = number(f.next().unwrap_or(""), "stamp", MAX_NS / 100).map_err(err)?;
        let mut bytes = Vec::new();
        for tok in f {
            hex_token(tok, &mut bytes).map_err(err)?;
        }
        if bytes.is_empty() {
            return Err(err(format!("no bytes after the stamp in '{line}'")));
        }
        out.push(StampLine { stamp, bytes });
    }
    Ok(out)
}

/// Reads a stamps file; errors name the file and line.
pub fn load_stamps(path: &Path) -> Result<Vec<StampLine>, LoadError> {
    parse_stamps(&read(path)?).map_err(|e| LoadError(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_log_lines() {
        let log = parse_wire_log("# time_ns byte\n1000 90\n1320 3c\n\n1640 7F\n").unwrap();
        assert_eq!(
            log,
            vec![
                WireByte {
                    time_ns: 1000,
                    byte: 0x90
                },
                WireByte {
                    time_ns: 1320,
                    byte: 0x3c
                },
                WireByte {
                    time_ns: 1640,
                    byte: 0x7f
                },
            ]
        );
        assert!(parse_wire_log("# out of memory\n").unwrap().is_empty());
        for bad in [
            "1000\n",
            "1000 90 3c\n",
            "x 90\n",
            "1000 zz\n",
            "1000 9000\n",
        ] {
            let e = parse_wire_log(bad).unwrap_err();
            assert!(e.starts_with("line 1: "), "{bad:?}: {e}");
        }
        assert!(parse_wire_log("1 90\n2 9g\n")
            .unwrap_err()
            .starts_with("line 2"));
    }

    #[test]
    fn stamp_lines() {
        let s = parse_stamps("# stamp bytes\n123 90 3c 64\n124 0x80 3C00\n").unwrap();
        assert_eq!(
            s,
            vec![
                StampLine {
                    stamp: 123,
                    bytes: vec![0x90, 0x3c, 0x64]
                },
                StampLine {
                    stamp: 124,
                    bytes: vec![0x80, 0x3c, 0x00]
                },
            ]
        );
        for bad in ["123\n", "-5 90\n", "12 90 3g\n", "12 903\n"] {
            assert!(parse_stamps(bad).is_err(), "{bad:?}");
        }
    }
}
