// SPDX-License-Identifier: GPL-2.0

//! `IPortDMus`: what the port driver offers its miniport.
//!
//! Source: WDK `IPortDMus::Notify` and `IPortDMus::RegisterServiceGroup` (dmusicks.h;
//! `nf-dmusicks-iportdmus-registerservicegroup.md`).

use super::error::Error;
use super::service::ServiceGroup;

/// `IPortDMus` of `dmusicks.h`: the port driver as its miniport sees it.
pub trait PortDMus {
    /// The service-group handle the port and its miniport share (a reference-counted handle
    /// to a tasklet-backed group in the kernel).
    type ServiceGroup: ServiceGroup;

    /// `IPortDMus::Notify`: the miniport's interrupt handler reports that it has work for the
    /// port (captured bytes). Asks `group` for service, or the port's own group when `None`;
    /// the group's tasklet then runs its members, and the capture stream's
    /// `put_message(None)` moves the bytes up.
    ///
    /// Context: any, usually hard IRQ. Must not sleep or block.
    fn notify(&self, group: Option<&Self::ServiceGroup>);

    /// `IPortDMus::RegisterServiceGroup`: registers the miniport's service group with the
    /// port, which adds its own sinks (the capture path) to it, so the miniport's
    /// [`notify`](Self::notify) reaches them. The WDK sample calls it from
    /// `IMiniportDMus::Init`, "early", before any stream exists.
    ///
    /// Errors: [`Error::NoMemory`] (`-ENOMEM`) if the port cannot add its members.
    ///
    /// Context: process.
    fn register_service_group(&self, group: &Self::ServiceGroup) -> Result<(), Error>;
}
