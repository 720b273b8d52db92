// SPDX-License-Identifier: GPL-2.0

//! The interrupt: the threaded handler whose hard half drains the chip's
//! input FIFO into the capture ring, each byte stamped with the master
//! clock, and notifies the port; its thread reports overruns. The poll timer
//! (`poll.rs`) runs the same hard half for a chip without an interrupt.

use super::capture::CaptureRing;
use super::regs::Mpu401Io;
use crate::dmus::{MasterClock, PortDMus};
use crate::port::{clock::KernelClock, service::KernelServiceGroup, Port};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    device::{Bound, Device},
    irq::{IrqReturn, ThreadedHandler, ThreadedIrqReturn},
    prelude::*,
    sync::Arc,
};

/// The threaded IRQ handler.
pub(crate) struct IrqHandler {
    io: Arc<dyn Mpu401Io>,
    ring: Arc<CaptureRing>,
    port: Arc<Port>,
    group: Arc<KernelServiceGroup>,
    clock: KernelClock,
    reported_overruns: AtomicU64,
}

impl IrqHandler {
    /// The handler of the chip behind `io`, filling `ring` and notifying
    /// `port` for `group`.
    pub(super) fn new(
        io: Arc<dyn Mpu401Io>,
        ring: Arc<CaptureRing>,
        port: Arc<Port>,
        group: Arc<KernelServiceGroup>,
    ) -> Self {
        Self {
            io,
            ring,
            clock: port.clock(),
            port,
            group,
            reported_overruns: AtomicU64::new(0),
        }
    }

    /// Drains the chip's input FIFO into the ring, each byte stamped, and
    /// notifies the port. Hard IRQ context (the IRQ, or the poll timer).
    /// Returns how many bytes were read and whether the ring overflowed
    /// (the bytes it had no room for are counted in its `overruns`).
    pub(super) fn drain(&self) -> (usize, bool) {
        let (drained, lost) = self.ring.fill(&*self.io, || self.clock.get_time());
        if drained > 0 {
            self.port.notify(Some(&self.group));
        }
        (drained, lost > 0)
    }
}

impl IrqHandler {
    /// The input bytes lost since the last report and since load, when
    /// some were lost since the last report (which this call is). Any
    /// context.
    pub(super) fn unreported_overruns(&self) -> Option<(u64, u64)> {
        let total = self.ring.overruns();
        let reported = self.reported_overruns.swap(total, Ordering::Relaxed);
        (total > reported).then_some((total - reported, total))
    }

    /// Asks the port for service (output waiting for room in the chip's
    /// FIFO moves on). Any context.
    pub(super) fn notify_port(&self) {
        self.port.notify(Some(&self.group));
    }
}

impl ThreadedHandler for IrqHandler {
    /// Hard IRQ: drain the input FIFO into the ring, stamp, notify.
    fn handle(&self, _dev: &Device<Bound>) -> ThreadedIrqReturn {
        match self.drain() {
            (0, _) => ThreadedIrqReturn::None,
            (_, true) => ThreadedIrqReturn::WakeThread,
            (_, false) => ThreadedIrqReturn::Handled,
        }
    }

    /// Thread: report overruns.
    fn handle_threaded(&self, dev: &Device<Bound>) -> IrqReturn {
        if let Some((lost, total)) = self.unreported_overruns() {
            dev_warn!(
                dev,
                "capture ring overrun: {lost} input bytes lost ({total} since load)\n"
            );
        }
        IrqReturn::Handled
    }
}
