// SPDX-License-Identifier: GPL-2.0

//! Simulated interrupt lines for the virtual MPU-401s.
//!
//! A domain from `irq_domain_create_sim` (kernel/irq/irq_sim.c, brought in by
//! `CONFIG_IRQ_SIM`) gives each virtual device a real Linux IRQ number, which
//! its platform device carries as an IRQ resource, so that the driver requests
//! it exactly as it requests a real one. Raising a line runs its handler from
//! `irq_work`, in hard-IRQ context. The lines are edge-like: a raise while the
//! line is masked is lost, so handlers must not use `IRQF_ONESHOT`.

use crate::glue;
use core::ptr::NonNull;
use kernel::prelude::*;

/// A simulated IRQ domain with `count` mapped lines.
pub(crate) struct SimIrq {
    raw: NonNull<glue::DmusSimIrq>,
    irqs: KVec<u32>,
}

// SAFETY: The domain is only used through functions that are safe from any
// context; the raw pointer is owned.
unsafe impl Send for SimIrq {}
// SAFETY: As above; `&self` methods only read.
unsafe impl Sync for SimIrq {}

impl SimIrq {
    /// Creates the domain and maps `count` lines; `-ENOMEM` on failure.
    pub(crate) fn new(count: u32) -> Result<Self> {
        // SAFETY: Plain call; returns null on failure.
        let raw = NonNull::new(unsafe { glue::dmus_glue_simirq_new(count) }).ok_or(ENOMEM)?;
        let mut this = Self {
            raw,
            irqs: KVec::new(),
        };
        for hwirq in 0..count {
            // SAFETY: `raw` is a live domain with `count` lines.
            let irq = unsafe { glue::dmus_glue_simirq_map(this.raw.as_ptr(), hwirq) };
            if irq == 0 {
                return Err(ENOMEM);
            }
            this.irqs.push(irq, GFP_KERNEL)?;
        }
        Ok(this)
    }

    /// The Linux IRQ number of line `n`.
    pub(crate) fn irq(&self, n: usize) -> Option<u32> {
        self.irqs.get(n).copied()
    }
}

impl Drop for SimIrq {
    fn drop(&mut self) {
        let count = u32::try_from(self.irqs.len()).unwrap_or(0);
        // SAFETY: `raw` is live and owned; no handler is requested any more
        // (the devices using the lines are gone before the domain).
        unsafe { glue::dmus_glue_simirq_free(self.raw.as_ptr(), count) }
    }
}

/// Raises Linux IRQ `irq` (a simulated line); any context.
pub(crate) fn raise(irq: u32) {
    // SAFETY: `irq_set_irqchip_state` checks the number; it is safe from any
    // context.
    unsafe { glue::dmus_glue_simirq_raise(irq) }
}
