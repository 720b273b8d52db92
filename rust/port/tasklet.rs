// SPDX-License-Identifier: GPL-2.0

//! A tasklet: the deferred procedure call (DPC) of the DMus service group.
//!
//! Windows runs an `IServiceGroup`'s sinks from a DPC queued by
//! `IPortDMus::Notify`, usually from the ISR. The Linux equivalent that may be
//! scheduled from hard-IRQ context and runs soon after, in softirq context,
//! once at a time, is the tasklet. Linux 7.2's Rust has no tasklet
//! abstraction; this one wraps `tasklet_setup`/`tasklet_schedule`/
//! `tasklet_kill` (include/linux/interrupt.h) through `rust/glue.c`.

use crate::glue;
use core::ptr::NonNull;
use kernel::{ffi, prelude::*, sync::Arc};

/// What a [`Tasklet`] runs.
pub(crate) trait TaskletHandler: Send + Sync + 'static {
    /// Runs in softirq context, never concurrently with itself.
    fn run(&self);
}

/// A tasklet that calls `T::run` on a shared handler.
///
/// Dropping it waits for a running instance to finish (`tasklet_kill`). The
/// owner must stop everything that schedules it (IRQ handlers, timers) first.
pub(crate) struct Tasklet<T: TaskletHandler> {
    raw: NonNull<glue::DmusTasklet>,
    handler: Arc<T>,
}

// SAFETY: `tasklet_schedule` may be called from any context and CPU; the
// handler is `Send + Sync`.
unsafe impl<T: TaskletHandler> Send for Tasklet<T> {}
// SAFETY: As above: every method takes `&self` and is safe from any context.
unsafe impl<T: TaskletHandler> Sync for Tasklet<T> {}

/// The C callback: `data` is `Arc::as_ptr` of the handler.
///
/// # Safety
///
/// `data` must point to a live `T`, which [`Tasklet`] guarantees by holding
/// the `Arc` until `tasklet_kill` has returned.
unsafe extern "C" fn run_handler<T: TaskletHandler>(data: *mut ffi::c_void) {
    // SAFETY: See the function's safety section.
    let handler = unsafe { &*data.cast::<T>() };
    handler.run();
}

impl<T: TaskletHandler> Tasklet<T> {
    /// Creates the tasklet; `-ENOMEM` if its memory cannot be allocated.
    pub(crate) fn new(handler: Arc<T>) -> Result<Self> {
        let data = Arc::as_ptr(&handler).cast_mut().cast::<ffi::c_void>();
        // SAFETY: `run_handler::<T>` matches the C prototype; `data` stays
        // valid while the tasklet exists (we hold `handler`).
        let raw = unsafe { glue::dmus_glue_tasklet_new(Some(run_handler::<T>), data) };
        let raw = NonNull::new(raw).ok_or(ENOMEM)?;
        Ok(Self { raw, handler })
    }

    /// Schedules the tasklet; callable from hard IRQ, softirq and process
    /// context. A tasklet already scheduled runs once.
    pub(crate) fn schedule(&self) {
        // SAFETY: `raw` is a live tasklet until `drop`.
        unsafe { glue::dmus_glue_tasklet_schedule(self.raw.as_ptr()) }
    }

    /// Waits until the tasklet is neither scheduled nor running
    /// (`tasklet_kill`). Process context; the owner stops what schedules it
    /// first, so that the last reference is not dropped by the tasklet itself.
    pub(crate) fn kill(&self) {
        // SAFETY: `raw` is a live tasklet until `drop`.
        unsafe { glue::dmus_glue_tasklet_kill(self.raw.as_ptr()) }
    }

    /// The handler.
    pub(crate) fn handler(&self) -> &Arc<T> {
        &self.handler
    }
}

impl<T: TaskletHandler> Drop for Tasklet<T> {
    fn drop(&mut self) {
        // SAFETY: `raw` is live; `dmus_glue_tasklet_free` kills (waiting for a
        // running instance) and frees it. `handler` is dropped afterwards.
        unsafe { glue::dmus_glue_tasklet_free(self.raw.as_ptr()) }
    }
}
