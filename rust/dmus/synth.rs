// SPDX-License-Identifier: GPL-2.0

//! `ISynthSinkDMus`: the wave sink of a software-synthesizer miniport, and the conversion
//! between its sample clock and the master clock.
//!
//! The MPU-401 has no synth; the trait and the conversions exist so a software-synth miniport
//! can be added without touching the model.
//!
//! Source: WDK `ISynthSinkDMus::Render`, `RefTimeToSample`, `SampleToRefTime`, `SyncToMaster`
//! (dmusicks.h); the DDK `ddksynth` sample for their use.

use super::clock::{mul_div_floor, ReferenceTime, UNITS_PER_SECOND};
use super::error::Error;
use super::mxf::Mxf;

/// `ISynthSinkDMus` of `dmusicks.h`: a stream (an [`Mxf`]) that renders the synth's output.
pub trait SynthSinkDMus: Mxf {
    /// `ISynthSinkDMus::Render`: fills `buffer` (its whole length, in bytes, in the sink's
    /// wave format; `dwLength` of the C interface is implied by the slice) with the synth's
    /// output starting at sample position `position`.
    ///
    /// Context: softirq or process (the port's wave-sink pump); must not sleep.
    fn render(&self, buffer: &mut [u8], position: i64);

    /// `ISynthSinkDMus::RefTimeToSample`: the sample position that plays at reference time
    /// `time` (100 ns), rounded down.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) if the result does not fit an `i64`.
    ///
    /// Context: any.
    fn ref_time_to_sample(&self, time: ReferenceTime) -> Result<i64, Error>;

    /// `ISynthSinkDMus::SampleToRefTime`: the reference time (100 ns) at which sample
    /// position `sample` plays, rounded down.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) if the result does not fit an `i64`.
    ///
    /// Context: any.
    fn sample_to_ref_time(&self, sample: i64) -> Result<ReferenceTime, Error>;

    /// `ISynthSinkDMus::SyncToMaster`: aligns the sample clock with the master clock, which
    /// reads `time`; `start` is true for the first call after the sink starts.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) on arithmetic overflow.
    ///
    /// Context: softirq or process.
    fn sync_to_master(&self, time: ReferenceTime, start: bool) -> Result<(), Error>;
}

/// A linear map between sample positions and reference time, for implementing
/// [`SynthSinkDMus`]: sample `origin_sample` plays at `origin_time`, and `rate` samples
/// take one second. Integer arithmetic only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleClock {
    rate: u32,
    origin_time: ReferenceTime,
    origin_sample: i64,
}

/// How much of a measured drift one [`SampleClock::sync_to_master`] call corrects: 1/8, so
/// jitter in the measurement does not make the sample clock jump.
pub const SYNC_SLEW_SHIFT: u32 = 3;

impl SampleClock {
    /// A clock at `rate` samples per second whose sample 0 plays at reference time 0.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) if `rate` is 0.
    pub const fn new(rate: u32) -> Result<Self, Error> {
        if rate == 0 {
            return Err(Error::InvalidArgument);
        }
        Ok(Self {
            rate,
            origin_time: 0,
            origin_sample: 0,
        })
    }

    /// Samples per second.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The reference time at which sample `origin_sample()` plays.
    pub fn origin_time(&self) -> ReferenceTime {
        self.origin_time
    }

    /// The sample position that plays at `origin_time()`.
    pub fn origin_sample(&self) -> i64 {
        self.origin_sample
    }

    /// `RefTimeToSample`: `origin_sample + floor((time - origin_time) * rate / 10^7)`.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) on overflow.
    pub fn ref_time_to_sample(&self, time: ReferenceTime) -> Result<i64, Error> {
        let delta = time
            .checked_sub(self.origin_time)
            .ok_or(Error::InvalidArgument)?;
        let samples = mul_div_floor(delta, self.rate, UNITS_PER_SECOND as u32)
            .ok_or(Error::InvalidArgument)?;
        self.origin_sample
            .checked_add(samples)
            .ok_or(Error::InvalidArgument)
    }

    /// `SampleToRefTime`: `origin_time + floor((sample - origin_sample) * 10^7 / rate)`.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) on overflow.
    pub fn sample_to_ref_time(&self, sample: i64) -> Result<ReferenceTime, Error> {
        let delta = sample
            .checked_sub(self.origin_sample)
            .ok_or(Error::InvalidArgument)?;
        let units = mul_div_floor(delta, UNITS_PER_SECOND as u32, self.rate)
            .ok_or(Error::InvalidArgument)?;
        self.origin_time
            .checked_add(units)
            .ok_or(Error::InvalidArgument)
    }

    /// `SyncToMaster`: the master clock reads `time` while the sink is at sample
    /// `sample_now`. With `start`, re-anchors the map there (drift 0). Otherwise measures the
    /// drift `time - sample_to_ref_time(sample_now)` (100 ns; positive when the sample clock
    /// runs slow) and moves the origin by 1/8 of it (see [`SYNC_SLEW_SHIFT`]). Returns the
    /// measured drift.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) on overflow (the clock is unchanged).
    pub fn sync_to_master(
        &mut self,
        time: ReferenceTime,
        sample_now: i64,
        start: bool,
    ) -> Result<ReferenceTime, Error> {
        if start {
            self.origin_time = time;
            self.origin_sample = sample_now;
            return Ok(0);
        }
        let expected = self.sample_to_ref_time(sample_now)?;
        let drift = time.checked_sub(expected).ok_or(Error::InvalidArgument)?;
        self.origin_time = self
            .origin_time
            .checked_add(drift >> SYNC_SLEW_SHIFT)
            .ok_or(Error::InvalidArgument)?;
        Ok(drift)
    }
}

/// One frame of a [`SampleCounter`]'s phase: its phase counts frames in units of
/// 10^-13 (100 ns of the master clock times a rate in frames per second times 10^6 ppm).
const PHASE_PER_FRAME: i64 = UNITS_PER_SECOND * 1_000_000;

/// The most parts per million a [`SampleCounter`] may run off its nominal rate.
pub const MAX_SKEW_PPM: i32 = 10_000;

/// The frames a device's sample clock has counted since it started: `rate` frames a
/// second, off by `skew_ppm` parts per million against the master clock (a crystal's
/// error; positive runs fast). Exact: after any sequence of [`SampleCounter::advance`]
/// calls up to master time `t`, it has counted
/// `floor((t - start) * rate * (10^6 + skew_ppm) / 10^13)` frames. Integer arithmetic only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleCounter {
    /// Frames per 10^13 master units: `rate * (10^6 + skew_ppm)`.
    per_unit: i64,
    last: ReferenceTime,
    frames: i64,
    /// The fraction of the next frame counted, in 10^-13 frames.
    phase: i64,
}

impl SampleCounter {
    /// A counter at `rate` frames a second, `skew_ppm` off, started at master time `start`.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) if `rate` is 0 or `skew_ppm` is
    /// beyond ±[`MAX_SKEW_PPM`].
    pub fn new(rate: u32, skew_ppm: i32, start: ReferenceTime) -> Result<Self, Error> {
        if rate == 0 || !(-MAX_SKEW_PPM..=MAX_SKEW_PPM).contains(&skew_ppm) {
            return Err(Error::InvalidArgument);
        }
        Ok(Self {
            per_unit: i64::from(rate) * (1_000_000 + i64::from(skew_ppm)),
            last: start,
            frames: 0,
            phase: 0,
        })
    }

    /// Counts up to master time `now` (an earlier time counts nothing) and returns the
    /// frames counted since the start with the master time (100 ns, rounded up) at which the
    /// counter reached that number.
    pub fn advance(&mut self, now: ReferenceTime) -> (i64, ReferenceTime) {
        // At most one second a step: `step * per_unit` stays below 2 * 10^18.
        while now > self.last {
            let step = (now - self.last).min(UNITS_PER_SECOND);
            self.last += step;
            self.phase += step * self.per_unit;
            self.frames += self.phase.checked_div(PHASE_PER_FRAME).unwrap_or(0);
            self.phase = self.phase.checked_rem(PHASE_PER_FRAME).unwrap_or(0);
        }
        let since = self.phase.checked_div(self.per_unit).unwrap_or(0);
        (self.frames, self.last - since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        let c = SampleClock::new(48_000).unwrap();
        assert_eq!(c.ref_time_to_sample(UNITS_PER_SECOND), Ok(48_000));
        assert_eq!(c.sample_to_ref_time(48_000), Ok(UNITS_PER_SECOND));
        // One sample at 48 kHz is 208.33 units: floors.
        assert_eq!(c.sample_to_ref_time(1), Ok(208));
        assert_eq!(c.ref_time_to_sample(208), Ok(0));
        assert_eq!(c.ref_time_to_sample(209), Ok(1));
        assert_eq!(c.ref_time_to_sample(-1), Ok(-1));
        for s in [-100_000i64, -1, 0, 1, 47_999, 1 << 40] {
            let t = c.sample_to_ref_time(s).unwrap();
            assert_eq!(c.ref_time_to_sample(t + 208).unwrap(), s);
        }
        assert_eq!(
            c.ref_time_to_sample(i64::MAX),
            Ok(i64::MAX / 10_000_000 * 48_000 + (i64::MAX % 10_000_000) * 48_000 / 10_000_000)
        );
        assert_eq!(c.sample_to_ref_time(i64::MAX), Err(Error::InvalidArgument));
        assert_eq!(SampleClock::new(0), Err(Error::InvalidArgument));
    }

    #[test]
    fn sync_to_master_anchors_and_slews() {
        let mut c = SampleClock::new(44_100).unwrap();
        assert_eq!(c.sync_to_master(1_000_000, 500, true), Ok(0));
        assert_eq!(c.sample_to_ref_time(500), Ok(1_000_000));
        // The sink played 44 100 samples while the master clock advanced 1 s + 800 units.
        let drift = c.sync_to_master(1_000_000 + UNITS_PER_SECOND + 800, 44_600, false);
        assert_eq!(drift, Ok(800));
        assert_eq!(c.origin_time(), 1_000_100);
    }

    #[test]
    fn sample_counter_counts_exactly_and_reports_when() {
        // 48 kHz, 250 ppm fast, started at 1 s: the closed form after uneven steps.
        let start = UNITS_PER_SECOND;
        let mut c = SampleCounter::new(48_000, 250, start).unwrap();
        let per_unit = 48_000i64 * 1_000_250;
        let mut t = start;
        for step in [
            1,
            7,
            208,
            50_000,
            3 * UNITS_PER_SECOND + 13,
            49_999,
            0,
            123_457,
        ] {
            t += step;
            let (frames, when) = c.advance(t);
            let exact = (t - start) * per_unit / PHASE_PER_FRAME;
            assert_eq!(frames, exact);
            // The counter reached `frames` at `when`, not one unit later.
            assert!((when - start) * per_unit >= frames * PHASE_PER_FRAME);
            assert!((when - 1 - start) * per_unit < frames * PHASE_PER_FRAME);
            assert!(when <= t);
        }
        // Time going back counts nothing.
        assert_eq!(c.advance(start).0, c.advance(t).0);
        // No skew: the counter is RefTimeToSample of a clock started at the same time.
        let mut c = SampleCounter::new(44_100, 0, 0).unwrap();
        let clock = SampleClock::new(44_100).unwrap();
        for t in [1, 226, 227, 10_000_000, 36_000_000_000] {
            let (frames, when) = c.advance(t);
            assert_eq!(Ok(frames), clock.ref_time_to_sample(t));
            // SampleToRefTime rounds down, the counter's time up: at most 1 apart.
            let drift = when - clock.sample_to_ref_time(frames).unwrap();
            assert!((0..=1).contains(&drift));
        }
        assert_eq!(SampleCounter::new(0, 0, 0), Err(Error::InvalidArgument));
        assert_eq!(
            SampleCounter::new(48_000, 10_001, 0),
            Err(Error::InvalidArgument)
        );
        assert_eq!(
            SampleCounter::new(48_000, -10_001, 0),
            Err(Error::InvalidArgument)
        );
    }

    #[test]
    fn sync_to_master_follows_a_skewed_counter() {
        // A counter 300 ppm fast for a minute, synced every 5 ms: the map stays within a
        // sample of the counter; without the syncs it is 18 ms (864 frames) off at the end.
        let mut counter = SampleCounter::new(48_000, 300, 0).unwrap();
        let mut clock = SampleClock::new(48_000).unwrap();
        clock.sync_to_master(0, 0, true).unwrap();
        let fixed = clock;
        let mut worst = 0;
        for tick in 1..=12_000i64 {
            let (frames, when) = counter.advance(tick * 50_000);
            clock.sync_to_master(when, frames, false).unwrap();
            let off = clock.ref_time_to_sample(when).unwrap() - frames;
            worst = worst.max(off.abs());
        }
        assert!(worst <= 1, "{worst}");
        let (frames, when) = counter.advance(60 * UNITS_PER_SECOND);
        let behind = frames - fixed.ref_time_to_sample(when).unwrap();
        assert!((863..=864).contains(&behind), "{behind}");
    }
}
