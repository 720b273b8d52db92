// SPDX-License-Identifier: GPL-2.0

//! Reference time and the master clock (`IMasterClock`).
//!
//! DirectMusic measures time in `REFERENCE_TIME`: a signed 64-bit count of 100 ns units.
//! Every presentation time (`DmusKernelEvent::pres_time`), every schedule prefetch and every
//! `rtDelta` of a user buffer is in these units. The helpers here convert to and from the
//! kernel's nanoseconds without floating point and without 128-bit division.

/// A time or a duration in 100 ns units (`REFERENCE_TIME` of `dmusicks.h`, a `LONGLONG`).
///
/// Times from a [`MasterClock`] are non-negative in practice (they count from boot); the type
/// is signed because `rtDelta` in a user buffer may be negative.
pub type ReferenceTime = i64;

/// Reference-time units in one second (10 000 000).
pub const UNITS_PER_SECOND: ReferenceTime = 10_000_000;
/// Reference-time units in one millisecond (10 000).
pub const UNITS_PER_MILLISECOND: ReferenceTime = 10_000;
/// Reference-time units in one microsecond (10).
pub const UNITS_PER_MICROSECOND: ReferenceTime = 10;

/// The master clock of a DMus port: `IMasterClock` of `dmusicks.h`.
///
/// One clock stamps captured MIDI (the ISR reads it at the first byte of a burst) and drives
/// the render sequencer, so capture and render times are comparable. On Linux it wraps a
/// monotonic clock (`ktime_get()` divided by 100).
///
/// Source: WDK `IMasterClock::GetTime` (dmusicks.h); "Latency Clocks" in the WDK audio
/// documentation: the master clock "wraps the system real-time clock".
pub trait MasterClock {
    /// `IMasterClock::GetTime`: the current time in 100 ns units.
    ///
    /// Monotonic: never smaller than a value returned earlier. Cannot fail (the Windows
    /// `NTSTATUS` has no Linux counterpart: the monotonic clock is always readable).
    ///
    /// Context: any, including hard IRQ (the capture ISR calls it); must not sleep or take
    /// a lock that a hard IRQ handler could also take.
    fn get_time(&self) -> ReferenceTime;
}

/// Nanoseconds to reference time, rounding down (every `u64` fits after the division).
pub const fn from_nanos(ns: u64) -> ReferenceTime {
    // u64::MAX / 100 < i64::MAX: the cast cannot wrap.
    (ns / 100) as i64
}

/// Reference time to nanoseconds; negative times give 0, too large times saturate at
/// `u64::MAX`.
pub const fn to_nanos(rt: ReferenceTime) -> u64 {
    if rt <= 0 {
        0
    } else {
        (rt as u64).saturating_mul(100)
    }
}

/// Microseconds to reference time; saturates at `ReferenceTime::MAX`.
pub const fn from_micros(us: u64) -> ReferenceTime {
    let units = us.saturating_mul(UNITS_PER_MICROSECOND as u64);
    if units > i64::MAX as u64 {
        i64::MAX
    } else {
        units as i64
    }
}

/// Milliseconds to reference time; saturates at `ReferenceTime::MAX`.
pub const fn from_millis(ms: u64) -> ReferenceTime {
    let units = ms.saturating_mul(UNITS_PER_MILLISECOND as u64);
    if units > i64::MAX as u64 {
        i64::MAX
    } else {
        units as i64
    }
}

/// `floor(a * num / den)` without a 128-bit division; `None` when `den` is 0 or the result
/// does not fit an `i64`.
///
/// Splits `|a|` into quotient and remainder by `den` so every product fits 64 bits:
/// `|a| * num / den = (|a| / den) * num + (|a| % den) * num / den`, and the second product
/// is below `2^64` because both factors are below `2^32`.
pub fn mul_div_floor(a: i64, num: u32, den: u32) -> Option<i64> {
    if den == 0 {
        return None;
    }
    let den64 = u64::from(den);
    let num64 = u64::from(num);
    let mag = a.unsigned_abs();
    let q = mag / den64;
    let r = mag % den64;
    let whole = q.checked_mul(num64)?;
    let part_num = r * num64; // r < 2^32 and num < 2^32: no overflow.
    let mut part = part_num / den64;
    if a < 0 && part_num % den64 != 0 {
        // Round the magnitude up so the negative result rounds down.
        part += 1;
    }
    let total = whole.checked_add(part)?;
    if a < 0 {
        0i64.checked_sub_unsigned(total)
    } else {
        i64::try_from(total).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(from_nanos(1_000), 10);
        assert_eq!(from_nanos(199), 1);
        assert_eq!(from_nanos(u64::MAX), 184_467_440_737_095_516);
        assert_eq!(to_nanos(10), 1_000);
        assert_eq!(to_nanos(-5), 0);
        assert_eq!(to_nanos(i64::MAX), u64::MAX);
        assert_eq!(from_micros(320), 3_200);
        assert_eq!(from_millis(1), UNITS_PER_MILLISECOND);
        assert_eq!(from_millis(u64::MAX), i64::MAX);
    }

    #[test]
    fn mul_div_floor_rounds_down() {
        assert_eq!(mul_div_floor(10, 3, 4), Some(7));
        assert_eq!(mul_div_floor(-10, 3, 4), Some(-8));
        assert_eq!(mul_div_floor(-8, 1, 4), Some(-2));
        assert_eq!(mul_div_floor(i64::MAX, 1, 1), Some(i64::MAX));
        assert_eq!(mul_div_floor(i64::MIN, 1, 1), Some(i64::MIN));
        assert_eq!(mul_div_floor(i64::MAX, 2, 1), None);
        assert_eq!(mul_div_floor(1, 1, 0), None);
        // One hour at 48 kHz: 3.6e10 units -> 172 800 000 samples.
        assert_eq!(
            mul_div_floor(36_000_000_000, 48_000, 10_000_000),
            Some(172_800_000)
        );
        // Large values that would overflow a naive 64-bit product.
        let a = 4_000_000_000_000_000_000i64;
        assert_eq!(
            mul_div_floor(a, 96_000, 10_000_000),
            Some(a / 10_000_000 * 96_000)
        );
    }
}
