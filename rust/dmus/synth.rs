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
}
