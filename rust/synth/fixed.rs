// SPDX-License-Identifier: GPL-2.0

//! Integer fixed-point math: the tables and conversions of the engine, with no floating point.
//!
//! The kernel's Rust target has no FPU (soft-float ABI with panicking float intrinsics), so
//! every curve is integer. The tables are computed at compile time by `const fn`s from integer
//! Taylor series and a bit-by-bit logarithm, so no magic numbers are committed; the host tests
//! (`rust/synth/host/tests/tables.rs`) check every entry against an `f64` computation.
//!
//! Units, as in DLS Level 1 and `ddksynth`:
//! - cents: 1/1200 octave (pitch, and the time scale of timecents);
//! - centibels (cB): 1/10 dB of attenuation, positive = quieter;
//! - `QN`: a fixed-point fraction with N fraction bits (Q15: 1.0 = 32768).

/// One octave in cents.
pub const OCTAVE: i32 = 1200;
/// The attenuation treated as silence (144 dB, below 16-bit resolution).
pub const SILENT_CB: i32 = 1440;
/// The largest gain boost an attenuation may ask for (-12 dB, so gains fit Q28 in an `i32`).
pub const MIN_CB: i32 = -120;
/// Cents of gain per centibel, Q16: 1200 / (20 log10 2 * 10) = 19.9316 (one octave of
/// amplitude is 60.206 cB).
const CENTS_PER_CB_Q16: i64 = 1_306_235;
/// ln 2 in Q30.
const LN2_Q30: u64 = 744_261_118;
/// pi / 2 in Q30.
const HALF_PI_Q30: u64 = 1_686_629_713;
/// log10 2 in Q30.
const LOG10_2_Q30: u64 = 323_228_497;
/// 1.0 in Q30.
const ONE_Q30: i64 = 1 << 30;

/// sin(2 pi `turn` / 2^32) in Q30, by quadrant reduction and a Taylor series to x^11
/// (error below 2^-24).
pub const fn sin_q30(turn: u32) -> i32 {
    let quadrant = turn >> 30;
    let mut f = (turn & 0x3FFF_FFFF) as u64;
    if quadrant & 1 == 1 {
        f = (1 << 30) - f;
    }
    // x in radians, Q30, 0..=pi/2.
    let x = ((f * HALF_PI_Q30) >> 30) as i64;
    let x2 = (x * x) >> 30;
    // Horner form of x (1 - x^2/(2*3) (1 - x^2/(4*5) (1 - ... (1 - x^2/(10*11))))).
    let mut t = ONE_Q30;
    let mut k = 10;
    while k >= 2 {
        t = ONE_Q30 - ((x2 * t) >> 30) / (k * (k + 1));
        k -= 2;
    }
    let s = (x * t) >> 30;
    let s = if s > ONE_Q30 { ONE_Q30 } else { s };
    if quadrant >= 2 {
        -(s as i32)
    } else {
        s as i32
    }
}

/// 2^(`i` / 1200) in Q30 for `i` in 0..1200, from the Taylor series of e^(i ln2 / 1200).
const fn exp2_frac_q30(i: u32) -> u32 {
    let y = (i as u64 * LN2_Q30) / OCTAVE as u64;
    let mut term: u64 = 1 << 30;
    let mut sum = term;
    let mut k = 1;
    while k <= 14 {
        term = ((term * y) >> 30) / k;
        sum += term;
        k += 1;
    }
    sum as u32
}

const fn exp2_table() -> [u32; 1200] {
    let mut t = [0; 1200];
    let mut i = 0;
    while i < 1200 {
        t[i] = exp2_frac_q30(i as u32);
        i += 1;
    }
    t
}

/// `EXP2_CENTS[i]` = 2^(i/1200) in Q30, i in 0..1200: the one table behind cents -> ratio,
/// timecents -> frames and centibels -> gain.
pub static EXP2_CENTS: [u32; 1200] = exp2_table();

/// log2(`num` / `den`) in Q16 for `num` >= `den` > 0 (bit-by-bit squaring).
pub const fn log2_ratio_q16(num: u64, den: u64) -> u32 {
    let mut v = (num << 30) / den;
    let mut int = 0;
    while v >= 1 << 31 {
        v >>= 1;
        int += 1;
    }
    let mut frac = 0;
    let mut bit = 1 << 15;
    while bit > 0 {
        v = (v * v) >> 30;
        if v >= 1 << 31 {
            v >>= 1;
            frac |= bit;
        }
        bit >>= 1;
    }
    (int << 16) | frac
}

/// 400 log10(127 / x) rounded, in cB: the DLS Level 1 "concave" curve of velocity, CC 7 and
/// CC 11 (-20 log10(x^2 / 127^2) dB); `x` = 0 is [`SILENT_CB`].
const fn curve_table() -> [u16; 128] {
    let mut t = [0; 128];
    t[0] = SILENT_CB as u16;
    let mut x = 1;
    while x < 128 {
        let l = log2_ratio_q16(127, x as u64) as u64;
        t[x] = ((400 * l * LOG10_2_Q30 + (1 << 45)) >> 46) as u16;
        x += 1;
    }
    t
}

/// `CURVE_CB[x]`: the attenuation in cB of velocity, volume (CC 7) or expression (CC 11) `x`.
pub static CURVE_CB: [u16; 128] = curve_table();

/// sin(p' pi/2) in Q15 with p' = (max(p, 1) - 1) / 126: MIDI pan 0 and 1 are hard left, 64 is
/// the centre (-3 dB on both sides: constant power), 127 hard right.
const fn pan_table() -> [u16; 128] {
    let mut t = [0; 128];
    let mut p = 2;
    while p < 128 {
        let turn = ((p as u64 - 1) << 30) / 126;
        let s = sin_q30(turn as u32) as i64;
        t[p] = ((s * 32767 + (1 << 29)) >> 30) as u16;
        p += 1;
    }
    t
}

/// `PAN_Q15[p]`: the right-channel gain of pan position `p`; the left one is
/// `PAN_Q15[128 - max(p, 1)]`.
pub static PAN_Q15: [u16; 128] = pan_table();

const fn lfo_table() -> [i16; 257] {
    let mut t = [0; 257];
    let mut i = 0;
    while i < 257 {
        let s = sin_q30(((i as u64) << 24) as u32) as i64;
        t[i] = ((s * 32767 + (1 << 29)) >> 30) as i16;
        i += 1;
    }
    t
}

/// `LFO_SINE[i]` = sin(2 pi i / 256) in Q15 (entry 256 repeats entry 0 for interpolation).
pub static LFO_SINE: [i16; 257] = lfo_table();

/// The LFO's waveform: sin(2 pi `phase` / 2^32) in Q15, interpolated between the 256
/// entries of [`LFO_SINE`].
pub fn lfo_sine(phase: u32) -> i32 {
    let i = (phase >> 24) as usize;
    let frac = ((phase >> 8) & 0xFFFF) as i32;
    let a = i32::from(LFO_SINE[i & 0xFF]);
    let b = i32::from(LFO_SINE[(i & 0xFF) + 1]);
    a + (((b - a) * frac) >> 16)
}

/// 2^(`cents` / 1200) in Q30; saturates above 2^32 (cents > 38400) and is 0 below 2^-63.
pub fn exp2_cents_q30(cents: i32) -> u64 {
    let q = cents.div_euclid(OCTAVE);
    let v = u64::from(EXP2_CENTS[cents.rem_euclid(OCTAVE) as usize]);
    if q >= 0 {
        v << q.min(32)
    } else if q <= -63 {
        0
    } else {
        v >> -q
    }
}

/// `x` * 2^(`cents` / 1200) for `x` < 2^40, with a Q16 ratio (relative error below 2^-16);
/// `cents` is clamped to -76800..=19200 (the result stays below 2^57).
pub fn scale_by_cents(x: u64, cents: i32) -> u64 {
    let cents = cents.clamp(-64 * OCTAVE, 16 * OCTAVE);
    let q = cents.div_euclid(OCTAVE);
    let m = u64::from(EXP2_CENTS[cents.rem_euclid(OCTAVE) as usize] >> 14);
    let y = (x.min((1 << 40) - 1) * m) >> 16;
    if q >= 0 {
        y << q
    } else {
        y >> -q
    }
}

/// The linear gain of an attenuation of `cb` centibels, in Q28 (1.0 = 2^28): 10^(-cb/200).
/// `cb` below [`MIN_CB`] counts as [`MIN_CB`]; [`SILENT_CB`] and above give 0.
pub fn gain_q28(cb: i32) -> i32 {
    if cb >= SILENT_CB {
        return 0;
    }
    let cb = i64::from(cb.max(MIN_CB));
    let cents = (cb * CENTS_PER_CB_Q16) >> 16;
    (exp2_cents_q30(-(cents as i32)) >> 2) as i32
}

/// DLS timecents (16.16, `0x80000000` = zero time) to frames at `rate`, at most `max`:
/// rate * 2^(tc / 1200), as `ddksynth`'s `TimeCents2Samples` without its `pow()`.
pub fn timecents_to_frames(tc: i32, rate: u32, max: u32) -> u32 {
    if tc == i32::MIN {
        return 0;
    }
    let tc = (tc >> 16).min(12 * OCTAVE);
    let frames = (u64::from(rate) * exp2_cents_q30(tc)) >> 30;
    frames.min(u64::from(max)) as u32
}

/// Absolute pitch in cents (6900 = A4 = 440 Hz) to a phase increment per frame at `rate`,
/// where 2^32 is one cycle: the LFO's frequency.
pub fn pitch_to_increment(cents: i32, rate: u32) -> u32 {
    let a4 = (440u64 << 32) / u64::from(rate.max(1));
    scale_by_cents(a4, cents - 6900).min(u64::from(u32::MAX)) as u32
}
