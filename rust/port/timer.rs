// SPDX-License-Identifier: GPL-2.0

//! A one-shot hrtimer that requests service from a group: the render path's
//! retry when the chip's output FIFO is full (the WDK sample's 1 ms
//! `KTIMER` + `KDPC`, here at byte resolution: when a quarter of the chip's
//! FIFO has gone out), and the sequencer's timer, armed for the next
//! presentation time.

use super::irqlock::{new_spinlock_irq, SpinLockIrq};
use super::service::KernelServiceGroup;
use crate::dmus::ServiceSink;
use kernel::{
    impl_has_hr_timer,
    prelude::*,
    sync::{Arc, ArcBorrow},
    time::{
        hrtimer::{
            ArcHrTimerHandle, HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer,
            HrTimerRestart, RelativeMode,
        },
        ClockSource, Delta, Monotonic,
    },
};

struct Armed {
    active: bool,
    /// When the armed timer fires, `CLOCK_MONOTONIC` ns (while `active`).
    deadline: i64,
    /// Set by `shutdown`: the timer is never armed again.
    shut: bool,
    handle: Option<ArcHrTimerHandle<ServiceTimer>>,
}

/// Requests service from `group` once, `delay` after [`ServiceTimer::arm`].
#[pin_data]
pub(crate) struct ServiceTimer {
    #[pin]
    timer: HrTimer<Self>,
    #[pin]
    armed: SpinLockIrq<Armed>,
    group: Arc<KernelServiceGroup>,
}

impl_has_hr_timer! {
    impl HasHrTimer<Self> for ServiceTimer {
        mode: RelativeMode<Monotonic>, field: self.timer
    }
}

impl ServiceTimer {
    /// Creates the timer; `-ENOMEM` on allocation failure.
    pub(crate) fn new(group: Arc<KernelServiceGroup>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                timer <- HrTimer::new(),
                armed <- new_spinlock_irq!(
                    Armed { active: false, deadline: 0, shut: false, handle: None },
                    c"dmus_service_timer"
                ),
                group,
            }),
            GFP_KERNEL,
        )
    }

    /// Arms the timer unless it is armed already. Any context; callers
    /// serialise (the render stream arms it under its lock).
    pub(crate) fn arm(self: &Arc<Self>, delay_ns: u64) {
        self.arm_if(delay_ns, |_, _| false);
    }

    /// Arms the timer to fire at `deadline_ns` (`CLOCK_MONOTONIC`), or
    /// sooner if it is armed for an earlier time already (an armed later
    /// expiry is moved up). A deadline in the past fires at once. Any
    /// context; callers serialise (the port arms it under its feed lock).
    pub(crate) fn arm_earliest_at(self: &Arc<Self>, deadline_ns: i64) {
        let delay = deadline_ns.saturating_sub(Monotonic::ktime_get()).max(0);
        self.arm_if(delay as u64, |armed_at, wanted| wanted < armed_at);
    }

    /// Arms the timer when idle, or when `replace(armed deadline, wanted
    /// deadline)` says the armed expiry must be replaced.
    fn arm_if(self: &Arc<Self>, delay_ns: u64, replace: impl Fn(i64, i64) -> bool) {
        let delay_ns = i64::try_from(delay_ns).unwrap_or(i64::MAX / 2);
        let deadline = Monotonic::ktime_get().saturating_add(delay_ns);
        let old = {
            let mut armed = self.armed.lock();
            if armed.shut || (armed.active && !replace(armed.deadline, deadline)) {
                return;
            }
            armed.active = true;
            armed.deadline = deadline;
            armed.handle.take()
        };
        // Cancels the old start (waiting for a running callback, which takes
        // no lock but `armed`) before the new one, which it therefore cannot
        // stop.
        drop(old);
        let delay = Delta::from_nanos(delay_ns);
        let handle = self.clone().start(delay);
        self.armed.lock().handle = Some(handle);
    }

    /// Cancels the timer and drops its handle, which holds a reference to
    /// the timer. Process context, at teardown.
    pub(crate) fn shutdown(&self) {
        let handle = {
            let mut armed = self.armed.lock();
            armed.shut = true;
            armed.handle.take()
        };
        drop(handle);
    }
}

impl HrTimerCallback for ServiceTimer {
    type Pointer<'a> = Arc<Self>;

    fn run(this: ArcBorrow<'_, Self>, _ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        this.armed.lock().active = false;
        this.group.request_service();
        HrTimerRestart::NoRestart
    }
}
