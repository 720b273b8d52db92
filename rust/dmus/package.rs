// SPDX-License-Identifier: GPL-2.0

//! Package events (`DMUS_KEF_PACKAGE_EVENT`): an event that carries a chain of events in
//! `uData.pPackageEvt` instead of data.
//!
//! The event owns its package chain: dropping the event returns the members too (the pool's
//! `free_chain` splices them into the walk). This file puts a chain into an event and takes it
//! out again, and plays packages in place in a chain; reading a package without taking it is
//! [`EventRef::package_iter`](super::event_ref::EventRef::package_iter).
//!
//! Source: WDK `DMUS_KERNEL_EVENT` structure, `uData.pPackageEvt` and `DMUS_KEF_PACKAGE_EVENT`
//! (dmusicks.h).

use super::{
    chain::EventChain,
    kernel_event::DmusKernelEvent,
    layout::Payload,
    pool::{
        same_pool,
        PoolRef, //
    },
};

impl<P: PoolRef> DmusKernelEvent<P> {
    /// Makes this a package event (`DMUS_KEF_PACKAGE_EVENT`, `uData.pPackageEvt`) carrying
    /// `chain`; `cb_event` becomes 0 and the previous data is returned to the pool.
    ///
    /// Errors: gives `chain` back if it belongs to another pool.
    pub fn set_package(&mut self, mut chain: EventChain<P>) -> Result<(), EventChain<P>> {
        if !same_pool(self.pool(), chain.pool()) {
            return Err(chain);
        }
        let (head, tail, len) = chain.take_all();
        // A chain holds fewer than `u32::MAX` events (the pool's limit).
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        // An empty chain makes an empty package (head NIL), still flagged as a package.
        let new = Payload::Package { head, tail, len };
        let old = match self.fields_mut() {
            Some(fields) => {
                let old = core::mem::replace(&mut fields.payload, new);
                fields.cb_event = 0;
                old
            }
            None => {
                self.pool().free_chain(head);
                return Ok(());
            }
        };
        self.pool().free_payload(old);
        Ok(())
    }

    /// Takes the package chain out of a package event (which becomes an empty, non-package
    /// event); `None` if this is not a package.
    pub fn take_package(&mut self) -> Option<EventChain<P>> {
        let pool = self.pool().clone();
        let fields = self.fields_mut()?;
        let Payload::Package { head, tail, len } = fields.payload else {
            return None;
        };
        fields.payload = Payload::EMPTY;
        fields.cb_event = 0;
        // SAFETY: the payload owned the `len` members from `head` to `tail` (the tail's link is
        // `NIL`: `set_package` took them from a chain); it no longer names them, so the new
        // chain is their only owner.
        Some(unsafe { EventChain::from_parts(pool, head, tail, len as usize) })
    }
}

impl<P: PoolRef> EventChain<P> {
    /// Removes and returns the first event that is not a package, replacing each package met
    /// at the front by its members (recursively), and returning the emptied package events
    /// to the pool. This is how a render stream plays packages in place — the case the WDK
    /// sample left as "TODO: support packages right".
    pub fn pop_front_unpacked(&mut self) -> Option<DmusKernelEvent<P>> {
        loop {
            let mut event = self.pop_front()?;
            let Some(members) = event.take_package() else {
                return Some(event);
            };
            drop(event);
            if let Err(foreign) = self.prepend(members) {
                // Cannot happen (a package is checked against its event's pool); the members
                // go back to their own pool.
                drop(foreign);
            }
        }
    }
}
