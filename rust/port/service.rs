// SPDX-License-Identifier: GPL-2.0

//! The service group: `IServiceGroup` whose DPC is a tasklet.
//!
//! `request_service` (any context, usually the hard IRQ through
//! `PortDMus::notify`) schedules the tasklet; the tasklet runs
//! `request_service` of every member sink, in softirq context, in the order
//! they were added. Members are added in process context at set-up and
//! removed at teardown, which also breaks the reference cycles between the
//! group and sinks that hold it.

use super::irqlock::{new_spinlock_irq, SpinLockIrq};
use super::tasklet::{Tasklet, TaskletHandler};
use crate::dmus::{Error as DmusError, ServiceGroup, ServiceSink};
use kernel::{prelude::*, sync::Arc};

/// The most sinks one group serves.
pub(crate) const MAX_MEMBERS: usize = 4;

/// A sink the group can hold.
pub(crate) type Member = Arc<dyn ServiceSink + Send + Sync>;

/// The tasklet's side: the member list.
#[pin_data]
pub(crate) struct Members {
    #[pin]
    sinks: SpinLockIrq<[Option<Member>; MAX_MEMBERS]>,
}

impl TaskletHandler for Members {
    fn run(&self) {
        // Take references under the lock, call the sinks outside it: a sink
        // may request service again, or take locks of its own.
        let sinks = self.sinks.lock().clone();
        for sink in sinks.iter().flatten() {
            sink.request_service();
        }
    }
}

/// `IServiceGroup` backed by a tasklet.
pub(crate) struct KernelServiceGroup {
    tasklet: Tasklet<Members>,
}

impl KernelServiceGroup {
    /// Creates an empty group; `-ENOMEM` on allocation failure.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let members = Arc::pin_init(
            pin_init!(Members {
                sinks <- new_spinlock_irq!([None, None, None, None], c"dmus_service_members"),
            }),
            GFP_KERNEL,
        )?;
        Ok(Arc::new(
            Self {
                tasklet: Tasklet::new(members)?,
            },
            GFP_KERNEL,
        )?)
    }

    /// Waits for a scheduled or running service pass to finish (teardown,
    /// process context, after what schedules the group is stopped).
    pub(crate) fn kill(&self) {
        self.tasklet.kill();
    }

    /// Removes every member (teardown).
    pub(crate) fn clear(&self) {
        let old = core::mem::take(&mut *self.tasklet.handler().sinks.lock());
        drop(old);
    }
}

impl ServiceSink for KernelServiceGroup {
    fn request_service(&self) {
        self.tasklet.schedule();
    }
}

impl ServiceGroup for KernelServiceGroup {
    type Member = Member;

    fn add_member(&self, member: Member) -> core::result::Result<(), DmusError> {
        let mut sinks = self.tasklet.handler().sinks.lock();
        match sinks.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(member);
                Ok(())
            }
            None => Err(DmusError::Busy),
        }
    }

    fn remove_member(&self, member: &Member) {
        let removed = {
            let mut sinks = self.tasklet.handler().sinks.lock();
            sinks
                .iter_mut()
                .find(|s| s.as_ref().is_some_and(|m| Arc::ptr_eq(m, member)))
                .and_then(Option::take)
        };
        drop(removed);
    }
}
