// SPDX-License-Identifier: GPL-2.0

//! A one-shot hrtimer that requests service from a group: the render path's
//! retry when the chip's output FIFO is full (the WDK sample's 1 ms
//! `KTIMER` + `KDPC`, here at byte resolution).

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
        Delta, Monotonic,
    },
};

struct Armed {
    active: bool,
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
                armed <- new_spinlock_irq!(Armed { active: false, handle: None }, c"dmus_service_timer"),
                group,
            }),
            GFP_KERNEL,
        )
    }

    /// Arms the timer unless it is armed already. Softirq or process context;
    /// callers serialise (the service tasklet is the only caller at run time).
    pub(crate) fn arm(self: &Arc<Self>, delay_ns: u64) {
        let old = {
            let mut armed = self.armed.lock();
            if armed.active {
                return;
            }
            armed.active = true;
            armed.handle.take()
        };
        // The timer is idle: cancelling the old start cannot stop the new one.
        drop(old);
        let delay = Delta::from_nanos(i64::try_from(delay_ns).unwrap_or(i64::MAX));
        let handle = self.clone().start(delay);
        self.armed.lock().handle = Some(handle);
    }

    /// Cancels the timer and drops its handle, which holds a reference to
    /// the timer. Process context, at teardown.
    pub(crate) fn shutdown(&self) {
        let handle = self.armed.lock().handle.take();
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
