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
    /// port (captured bytes). Asks `group` for service, or, when `None`, the group registered
    /// with [`register_service_group`](Self::register_service_group) (the port has no group
    /// of its own; nothing happens before one is registered); the group's tasklet then runs
    /// its members, and the capture stream's `put_message(None)` moves the bytes up.
    ///
    /// Context: any, usually hard IRQ. Must not sleep or block.
    fn notify(&self, group: Option<&Self::ServiceGroup>);

    /// `IPortDMus::RegisterServiceGroup`: registers the miniport's service group with the
    /// port. The port records it (the group `notify(None)` asks) and adds nothing to it: the
    /// miniport adds the port's sink to its own group, after registering it (the MPU-401
    /// miniport's `init` adds `port::PortService`, which pulls capture and pumps render).
    /// The kernel port also creates its sequencer's timer on the group here. The WDK sample
    /// calls it from `IMiniportDMus::Init`, "early", before any stream exists.
    ///
    /// Errors: [`Error::NoMemory`] (`-ENOMEM`) if the port cannot allocate what it keeps
    /// with the group (the kernel port: the sequencer's timer).
    ///
    /// Context: process.
    fn register_service_group(&self, group: &Self::ServiceGroup) -> Result<(), Error>;
}
