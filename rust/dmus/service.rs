// SPDX-License-Identifier: GPL-2.0

//! `IServiceSink` and `IServiceGroup`: deferred work, run in a DPC on Windows and in a
//! tasklet (softirq) here.
//!
//! The ISR of a miniport cannot do the work of moving captured data up the graph; it calls
//! [`PortDMus::notify`](super::port::PortDMus::notify), which asks a service group for
//! service; the group's DPC (our tasklet) then calls
//! [`ServiceSink::request_service`] on every member.
//!
//! Source: WDK `IServiceSink::RequestService` and `IServiceGroup` (portcls.h), used by
//! `dmusicks.h`; ReactOS `service_group.cpp` for the behaviour (one DPC, every member called).

use super::error::Error;

/// `IServiceSink`: something that has deferred work to do.
pub trait ServiceSink {
    /// `IServiceSink::RequestService`: does the deferred work now (for the capture path:
    /// calls the capture stream's `put_message(None)`).
    ///
    /// Context: softirq (the service group's tasklet). Must not sleep.
    fn request_service(&self);
}

/// `IServiceGroup`: a set of [`ServiceSink`]s serviced together by one deferred call.
///
/// The group is itself a sink ([`ServiceSink`] is a supertrait, as `IServiceGroup` derives
/// from `IServiceSink`), but for a group `request_service` has the meaning of
/// `IServiceGroup::RequestService`: schedule the deferred call (the tasklet), which then runs
/// every member's `request_service`. Calling it again before the tasklet ran schedules it
/// once. Context of the group's `request_service`: any, including hard IRQ.
pub trait ServiceGroup: ServiceSink {
    /// A member as the group stores it (the kernel's choice: an `Arc` of a sink, for
    /// example).
    type Member;

    /// `IServiceGroup::AddMember`: adds `member`; it is serviced from the next deferred call
    /// on.
    ///
    /// Errors: [`Error::NoMemory`] (`-ENOMEM`) if the group cannot store another member.
    ///
    /// Context: process.
    fn add_member(&self, member: Self::Member) -> Result<(), Error>;

    /// `IServiceGroup::RemoveMember`: removes `member`; returns once no deferred call is
    /// still running it, so the member may be freed afterwards (the WDK sample's stream
    /// destructor missed this wait).
    ///
    /// Context: process (may sleep).
    fn remove_member(&self, member: &Self::Member);
}
