// SPDX-License-Identifier: GPL-2.0

//! Polling without an interrupt (snd-mpu401's `irq=-1`, the PCI cards, the
//! virtual MPU-401 with `virt_irq=0`): an hrtimer that runs the IRQ
//! handler's drain every [`POLL_NS`], only while a stream of the chip is
//! active (not in `KSSTATE_STOP`), as snd-mpu401 polls only while a substream
//! is open.

use super::irq::IrqHandler;
use core::sync::atomic::{AtomicI64, Ordering};
use kernel::{
    impl_has_hr_timer, new_mutex,
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex},
    time::{
        hrtimer::{
            ArcHrTimerHandle, HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer,
            HrTimerRestart, RelativeMode,
        },
        ClockSource, Delta, Monotonic,
    },
};

/// The polling period, nanoseconds: 1 ms, as snd-mpu401's timer at HZ=1000.
/// An input FIFO of 16 bytes fills in 5 ms at 31250 baud.
pub(crate) const POLL_NS: i64 = 1_000_000;

/// The hrtimer: runs in hard-IRQ context, every [`POLL_NS`] once started.
#[pin_data]
pub(crate) struct PollTimer {
    #[pin]
    timer: HrTimer<Self>,
    handler: IrqHandler,
    /// When the last overrun message was printed (`CLOCK_MONOTONIC`, ns).
    last_report_ns: AtomicI64,
}

/// The shortest time between two overrun messages of the poll timer, ns.
const REPORT_NS: i64 = 1_000_000_000;

impl_has_hr_timer! {
    impl HasHrTimer<Self> for PollTimer {
        mode: RelativeMode<Monotonic>, field: self.timer
    }
}

impl HrTimerCallback for PollTimer {
    type Pointer<'a> = Arc<Self>;

    fn run(this: ArcBorrow<'_, Self>, mut ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        let (drained, overrun) = this.handler.drain();
        if drained == 0 {
            // Output may be waiting for room in the chip's FIFO.
            this.handler.notify_port();
        }
        // In hard-IRQ context: at most one message a second, with the
        // bytes lost since the last one (the IRQ path reports from its
        // thread instead).
        if overrun {
            let now = Monotonic::ktime_get();
            let last = this.last_report_ns.load(Ordering::Relaxed);
            if now - last >= REPORT_NS || last == 0 {
                this.last_report_ns.store(now, Ordering::Relaxed);
                if let Some((lost, total)) = this.handler.unreported_overruns() {
                    pr_warn!(
                        "capture ring overrun: {lost} input bytes lost ({total} since load)\n"
                    );
                }
            }
        }
        ctx.forward_now(Delta::from_nanos(POLL_NS));
        HrTimerRestart::Restart
    }
}

/// A stream of the chip, for [`Poller::stream_state`].
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    /// The render stream.
    Render = 1,
    /// The capture stream.
    Capture = 2,
}

struct PollerState {
    /// The timer, when the chip is polled (set once the IRQ handler exists).
    timer: Option<Arc<PollTimer>>,
    /// The running timer's handle: dropping it cancels the timer.
    handle: Option<ArcHrTimerHandle<PollTimer>>,
    /// [`Stream`] bits of the active streams.
    active: u8,
    /// Set by [`Poller::shutdown`]: never started again.
    shut: bool,
}

/// Starts the poll timer while a stream is active and stops it when none is.
/// Does nothing for a chip with an interrupt (no timer set).
#[pin_data]
pub(crate) struct Poller {
    #[pin]
    state: Mutex<PollerState>,
}

impl Poller {
    /// A poller with no timer yet. `-ENOMEM` on allocation failure.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                state <- new_mutex!(
                    PollerState { timer: None, handle: None, active: 0, shut: false },
                    "dmus_poller"
                ),
            }),
            GFP_KERNEL,
        )
    }

    /// Polls the chip with `handler` from now on, while a stream is active.
    /// Process context. `-ENOMEM` on allocation failure.
    pub(crate) fn set_handler(&self, handler: IrqHandler) -> Result {
        let timer = Arc::pin_init(
            pin_init!(PollTimer {
                timer <- HrTimer::new(),
                handler,
                last_report_ns: AtomicI64::new(0),
            }),
            GFP_KERNEL,
        )?;
        let mut st = self.state.lock();
        st.timer = Some(timer);
        Self::update(&mut st);
        Ok(())
    }

    /// `stream` became active (any state but STOP) or stopped. Process
    /// context (where `IMXF::SetState` runs).
    pub(crate) fn stream_state(&self, stream: Stream, active: bool) {
        let old = {
            let mut st = self.state.lock();
            if active {
                st.active |= stream as u8;
            } else {
                st.active &= !(stream as u8);
            }
            Self::update(&mut st)
        };
        // Cancelling waits for a running callback, which takes no lock of ours.
        drop(old);
    }

    /// Starts the timer when a stream is active and it is not running;
    /// returns the handle to drop (which stops it) when none is.
    fn update(st: &mut PollerState) -> Option<ArcHrTimerHandle<PollTimer>> {
        if st.active == 0 || st.shut {
            return st.handle.take();
        }
        if st.handle.is_none() {
            if let Some(timer) = &st.timer {
                st.handle = Some(timer.clone().start(Delta::from_nanos(POLL_NS)));
            }
        }
        None
    }

    /// Stops polling for good (teardown, before the port goes). Process
    /// context.
    pub(crate) fn shutdown(&self) {
        let (handle, timer) = {
            let mut st = self.state.lock();
            st.shut = true;
            (st.handle.take(), st.timer.take())
        };
        drop(handle);
        drop(timer);
    }
}
