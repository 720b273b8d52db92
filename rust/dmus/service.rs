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
    /// Errors: [`Error::Busy`] (`-EBUSY`) if the group holds as many members as it can (the
    /// kernel's group holds four, `port::service::MAX_MEMBERS`, and allocates nothing here).
    ///
    /// Context: process.
    fn add_member(&self, member: Self::Member) -> Result<(), Error>;

    /// `IServiceGroup::RemoveMember`: removes `member` and returns without waiting. A deferred
    /// call that started before may still run the member's `request_service` once after this
    /// returns, so a group must keep each member alive for the call that runs it (the kernel's
    /// group runs its members from references taken under its lock, `Arc` clones): the member
    /// is freed when that call drops its reference, never while it runs. The WDK sample's
    /// stream destructor freed the stream with no such guarantee.
    ///
    /// Context: process.
    fn remove_member(&self, member: &Self::Member);
}
