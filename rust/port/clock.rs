// SPDX-License-Identifier: GPL-2.0

//! The master clock: `CLOCK_MONOTONIC` in 100 ns units.

use crate::dmus::{clock, MasterClock, ReferenceTime};
use kernel::time::{ClockSource, Monotonic};

/// `IMasterClock` on `CLOCK_MONOTONIC`: `ktime_get()` nanoseconds / 100, the
/// time base applications share through the DMus device (a process reads the
/// same clock with `clock_gettime(CLOCK_MONOTONIC)`). Safe in any context
/// (hard IRQ included).
#[derive(Clone, Copy)]
pub(crate) struct KernelClock;

impl KernelClock {
    /// The clock.
    pub(crate) fn new() -> Self {
        Self
    }

    /// `CLOCK_MONOTONIC` now, nanoseconds.
    pub(crate) fn now_ns() -> i64 {
        Monotonic::ktime_get()
    }
}

impl MasterClock for KernelClock {
    fn get_time(&self) -> ReferenceTime {
        clock::from_nanos(u64::try_from(Self::now_ns()).unwrap_or(0))
    }
}
