// SPDX-License-Identifier: GPL-2.0

//! The reports of `midicmp sched` and `midicmp stamps`: text for people, one
//! JSON line for scripts (integer nanoseconds, `null` for absent values).

use crate::compare::plural;
use crate::sched::{sat, Mismatch, Origin, Sched, SchedOptions, StampsCheck};
use crate::wire::{describe, hex};

/// Formats nanoseconds as milliseconds with `decimals` decimals (at most
/// 6), rounded half away from zero; negative values keep their sign even
/// when they round to zero.
pub fn ms(ns: i64, decimals: u32) -> String {
    let decimals = decimals.min(6);
    let unit = 10u64.pow(6 - decimals);
    let scale = 10u64.pow(decimals);
    let r = (ns.unsigned_abs() + unit / 2) / unit;
    let sign = if ns < 0 { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{r}")
    } else {
        format!(
            "{sign}{}.{:0w$}",
            r / scale,
            r % scale,
            w = decimals as usize
        )
    }
}

/// Formats nanoseconds as seconds with nanosecond precision.
pub fn secs(ns: u64) -> String {
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A JSON number or `null`.
fn json_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

/// All bytes in hex, space separated (not shortened).
fn full_hex(bytes: &[u8]) -> String {
    let v: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    v.join(" ")
}

/// Renders a mismatch; `names` are the two sides (e.g. `file`, `wire`),
/// `notes` extra lines.
pub fn mismatch_text(label: &str, m: &Mismatch, names: [&str; 2], notes: &[String]) -> String {
    let mut s = match m.index {
        Some(i) => format!(
            "{label}: MISMATCH at message {}: the {} has {}, the {} {}\n",
            i + 1,
            names[0],
            plural(m.counts[0], "message"),
            names[1],
            m.counts[1]
        ),
        None => format!(
            "{label}: MISMATCH: all {} match, but not the bytes between them\n",
            plural(m.counts[0], "message")
        ),
    };
    if m.index.is_some() {
        for (name, v) in names.iter().zip(&m.msgs) {
            match v {
                Some(v) => s.push_str(&format!(
                    "  {name:<8}: {} s  {:<20} {}\n",
                    secs(v.time_ns),
                    hex(&v.bytes),
                    describe(&v.bytes)
                )),
                None => s.push_str(&format!("  {name:<8}: none (it ends here)\n")),
            }
        }
    }
    for (k, name) in names.iter().enumerate() {
        if m.stray_bytes[k] > 0 || m.stray_bytes[1 - k] > 0 {
            s.push_str(&format!(
                "  {name:<8}: {} (no status byte to belong to)\n",
                plural(m.stray_bytes[k], "stray data byte")
            ));
        }
        if m.incomplete[k] > 0 || m.incomplete[1 - k] > 0 {
            s.push_str(&format!(
                "  {name:<8}: {} (cut short)\n",
                plural(m.incomplete[k], "incomplete message")
            ));
        }
    }
    for n in notes {
        s.push_str(&format!("  note    : {n}\n"));
    }
    s
}

/// Renders a mismatch as one JSON object (keys named after `names`).
pub fn mismatch_json(label: &str, m: &Mismatch, names: [&str; 2]) -> String {
    let mut f = vec![
        format!("\"label\":{}", json_str(label)),
        "\"matched\":false".to_string(),
        format!("\"index\":{}", json_opt(m.index)),
    ];
    for (k, name) in names.iter().enumerate() {
        f.push(format!("\"{name}_messages\":{}", m.counts[k]));
        f.push(format!(
            "\"{name}\":{}",
            m.msgs[k].as_ref().map_or_else(
                || "null".to_string(),
                |v| format!(
                    "{{\"time_ns\":{},\"bytes\":{}}}",
                    v.time_ns,
                    json_str(&full_hex(&v.bytes))
                )
            )
        ));
        f.push(format!("\"{name}_stray_bytes\":{}", m.stray_bytes[k]));
        f.push(format!("\"{name}_incomplete\":{}", m.incomplete[k]));
    }
    format!("{{{}}}\n", f.join(","))
}

/// Renders a `sched` result (human readable).
pub fn sched_text(label: &str, r: &Sched, opts: &SchedOptions, notes: &[String]) -> String {
    let mut s = format!(
        "{label}: {}, {}\n",
        plural(r.messages, "message"),
        plural(r.leaders, "burst leader")
    );
    let how = match opts.origin {
        Origin::T0(t0) => format!("--t0 {t0}"),
        Origin::Fit => "fitted: median error 0".to_string(),
        Origin::FitRate => format!("fitted: rate {:+} ppm, median error 0", r.rate_ppm),
    };
    match r.origin_ns {
        Some(o) if o >= 0 => s.push_str(&format!(
            "  origin  : file time 0 at {} s CLOCK_MONOTONIC ({how})\n",
            secs(o as u64)
        )),
        Some(o) => s.push_str(&format!(
            "  origin  : file time 0 at -{} s CLOCK_MONOTONIC ({how})\n",
            secs(o.unsigned_abs())
        )),
        None => s.push_str(&format!("  origin  : none ({how})\n")),
    }
    match r.error {
        Some(e) => s.push_str(&format!(
            "  error   : median {} ms, p99 {} ms, max {} ms\n",
            ms(e.median_ns, 2),
            ms(sat(i128::from(e.p99_abs_ns)), 2),
            ms(sat(i128::from(e.max_abs_ns)), 2)
        )),
        None => s.push_str("  error   : no messages\n"),
    }
    match r.worst_early_ns {
        Some(w) => s.push_str(&format!(
            "  early   : {} (start before the intended time; worst {} ms)\n",
            r.early,
            ms(w, 3)
        )),
        None => s.push_str(&format!(
            "  early   : {} (start before the intended time)\n",
            r.early
        )),
    }
    s.push_str(&format!(
        "  late >1ms: {} ({} queued behind bytes still on the cable)\n",
        r.late, r.late_queued
    ));
    for n in notes {
        s.push_str(&format!("  note    : {n}\n"));
    }
    s
}

/// Renders a `sched` result as one JSON object.
pub fn sched_json(label: &str, r: &Sched, opts: &SchedOptions) -> String {
    let e = r.error;
    let f = [
        format!("\"label\":{}", json_str(label)),
        "\"matched\":true".to_string(),
        format!("\"messages\":{}", r.messages),
        format!("\"leaders\":{}", r.leaders),
        format!(
            "\"origin\":{}",
            json_str(match opts.origin {
                Origin::T0(_) => "t0",
                Origin::Fit => "fit",
                Origin::FitRate => "fit-rate",
            })
        ),
        format!("\"origin_ns\":{}", json_opt(r.origin_ns)),
        format!("\"rate_ppm\":{}", r.rate_ppm),
        format!("\"byte_ns\":{}", opts.byte_ns),
        format!("\"median_ns\":{}", json_opt(e.map(|e| e.median_ns))),
        format!("\"p99_abs_ns\":{}", json_opt(e.map(|e| e.p99_abs_ns))),
        format!("\"max_abs_ns\":{}", json_opt(e.map(|e| e.max_abs_ns))),
        format!("\"early\":{}", r.early),
        format!("\"worst_early_ns\":{}", json_opt(r.worst_early_ns)),
        format!("\"early_slack_ns\":{}", opts.early_slack_ns),
        format!("\"late_1ms\":{}", r.late),
        format!("\"late_queued\":{}", r.late_queued),
    ];
    format!("{{{}}}\n", f.join(","))
}

/// Renders a `stamps` result (human readable).
pub fn stamps_text(label: &str, r: &StampsCheck, notes: &[String]) -> String {
    let mut s = format!(
        "{label}: {} matched on the wire\n",
        plural(r.messages, "captured message")
    );
    match r.latency {
        Some(l) => s.push_str(&format!(
            "  latency : median {} ms, p99 {} ms, max {} ms (stamp - arrival of the first byte)\n",
            ms(l.median_ns, 4),
            ms(sat(i128::from(l.p99_abs_ns)), 4),
            ms(sat(i128::from(l.max_abs_ns)), 4)
        )),
        None => s.push_str("  latency : no messages\n"),
    }
    let what = "stamp before the arrival of the first byte";
    match r.worst_before_ns {
        Some(w) => s.push_str(&format!(
            "  before  : {} ({what}; {} before its start; worst {} ms)\n",
            r.before,
            r.before_start,
            ms(w, 4)
        )),
        None => s.push_str(&format!("  before  : {} ({what})\n", r.before)),
    }
    if r.wire_stray_bytes > 0 {
        s.push_str(&format!(
            "  note    : {} on the wire (the driver's parser drops them too)\n",
            plural(r.wire_stray_bytes, "stray data byte")
        ));
    }
    for n in notes {
        s.push_str(&format!("  note    : {n}\n"));
    }
    s
}

/// Renders a `stamps` result as one JSON object.
pub fn stamps_json(label: &str, r: &StampsCheck, byte_ns: u64) -> String {
    let l = r.latency;
    let f = [
        format!("\"label\":{}", json_str(label)),
        "\"matched\":true".to_string(),
        format!("\"messages\":{}", r.messages),
        format!("\"byte_ns\":{byte_ns}"),
        format!("\"median_ns\":{}", json_opt(l.map(|l| l.median_ns))),
        format!("\"p99_abs_ns\":{}", json_opt(l.map(|l| l.p99_abs_ns))),
        format!("\"max_abs_ns\":{}", json_opt(l.map(|l| l.max_abs_ns))),
        format!("\"before\":{}", r.before),
        format!("\"before_start\":{}", r.before_start),
        format!("\"worst_before_ns\":{}", json_opt(r.worst_before_ns)),
        format!("\"wire_stray_bytes\":{}", r.wire_stray_bytes),
    ];
    format!("{{{}}}\n", f.join(","))
}
