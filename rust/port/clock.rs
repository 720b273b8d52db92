// SPDX-License-Identifier: GPL-2.0

//! The master clock: monotonic kernel time in 100 ns units.

use crate::dmus::{clock, MasterClock, ReferenceTime};
use kernel::time::{Instant, Monotonic};

/// `IMasterClock` on `CLOCK_MONOTONIC`, counted from the port's creation.
/// Safe in any context (hard IRQ included): it reads `ktime_get()`.
#[derive(Clone, Copy)]
pub(crate) struct KernelClock {
    epoch: Instant<Monotonic>,
}

impl KernelClock {
    /// A clock whose time 0 is now.
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }
}

impl MasterClock for KernelClock {
    fn get_time(&self) -> ReferenceTime {
        let ns = (Instant::<Monotonic>::now() - self.epoch).as_nanos();
        clock::from_nanos(u64::try_from(ns).unwrap_or(0))
    }
}
