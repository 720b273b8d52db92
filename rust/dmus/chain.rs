// SPDX-License-Identifier: GPL-2.0

//! Chains of events linked through `pNextEvt`, owned as one [`EventChain`].
//!
//! `dmusicks.h` links events through `pNextEvt`; here the link is the slot's own link (an
//! intrusive list), so queueing, splitting or joining chains never allocates, and the chain
//! owns every event on it: dropping it returns them all, with their buffers and packages, to
//! the pool in one pass. A lone event becomes a chain with
//! [`DmusKernelEvent::into_chain`], defined here.
//!
//! Source: WDK `DMUS_KERNEL_EVENT.pNextEvt` and `IMXF::PutMessage`, which passes events as
//! such a chain (dmusicks.h).

use core::{
    fmt,
    sync::atomic::{
        AtomicU32,
        Ordering, //
    },
};

use super::{
    clock::ReferenceTime,
    event_ref::{
        EventRef,
        Iter, //
    },
    kernel_event::DmusKernelEvent,
    layout::NIL,
    pool::{
        same_pool,
        PoolRef, //
    },
};

/// An owned chain of events linked through `pNextEvt`, as `IMXF::PutMessage` passes them.
///
/// Holds a pool reference even when empty, so events can be pushed later. Dropping the chain
/// (or giving it to [`AllocatorMxf::put_message`](super::allocator::AllocatorMxf::put_message))
/// returns every event, buffer and package member to the pool in one pass. Pushing and
/// popping at either end is O(1) and never allocates.
pub struct EventChain<P: PoolRef> {
    pool: P,
    /// The first event (`NIL` when empty); the chain owns the `len` events linked from it.
    head: u32,
    /// The last event (`NIL` when empty); its link is `NIL`.
    tail: u32,
    len: usize,
}

impl<P: PoolRef> EventChain<P> {
    /// An empty chain for events of `pool`.
    pub fn new(pool: P) -> Self {
        Self {
            pool,
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// A chain owning the `len` events of `pool` linked from `head` to `tail` (`NIL`, `NIL`,
    /// 0 for an empty chain).
    ///
    /// # Safety
    ///
    /// The caller gives up ownership of those events to the new chain: no free list, other
    /// chain, package or handle holds them; the link of `tail` is `NIL`.
    pub(super) unsafe fn from_parts(pool: P, head: u32, tail: u32, len: usize) -> Self {
        // INVARIANT: by the caller's promise the chain is the only owner of its events.
        Self {
            pool,
            head,
            tail,
            len,
        }
    }

    /// The pool this chain's events belong to.
    pub fn pool(&self) -> &P {
        &self.pool
    }

    /// Number of events in the chain (package members not counted).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the chain has no event.
    pub fn is_empty(&self) -> bool {
        self.head == NIL
    }

    fn link(&self, idx: u32) -> Option<&AtomicU32> {
        self.pool.link(idx)
    }

    fn next_of(&self, idx: u32) -> u32 {
        self.link(idx).map_or(NIL, |l| l.load(Ordering::Relaxed))
    }

    fn set_next(&self, idx: u32, next: u32) {
        if let Some(link) = self.link(idx) {
            link.store(next, Ordering::Relaxed);
        }
    }

    /// The presentation time of event `idx`, which must be on this chain, or on a list of
    /// this chain's pool that the calling method took over ([`Self::take_all`]).
    fn time_of(&self, idx: u32) -> ReferenceTime {
        // SAFETY: the callers pass the head, the tail or an event reached from the head of
        // this chain or of a list they took over, so `idx` is owned by the caller, which
        // holds `self` while the view lives.
        unsafe { EventRef::new(&self.pool, idx) }.pres_time()
    }

    /// Empties the chain, returning its list (head, tail, length) for a new owner, which
    /// takes over their ownership (or leaks them).
    pub(super) fn take_all(&mut self) -> (u32, u32, usize) {
        let all = (self.head, self.tail, self.len);
        self.head = NIL;
        self.tail = NIL;
        self.len = 0;
        all
    }

    /// Appends `event` at the end.
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub fn push_back(&mut self, event: DmusKernelEvent<P>) -> Result<(), DmusKernelEvent<P>> {
        if !same_pool(&self.pool, event.pool()) {
            return Err(event);
        }
        let idx = event.into_index();
        self.set_next(idx, NIL);
        if self.head == NIL {
            self.head = idx;
        } else {
            self.set_next(self.tail, idx);
        }
        self.tail = idx;
        self.len += 1;
        Ok(())
    }

    /// Inserts `event` at the front.
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub fn push_front(&mut self, event: DmusKernelEvent<P>) -> Result<(), DmusKernelEvent<P>> {
        if !same_pool(&self.pool, event.pool()) {
            return Err(event);
        }
        let idx = event.into_index();
        self.set_next(idx, self.head);
        if self.head == NIL {
            self.tail = idx;
        }
        self.head = idx;
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the first event.
    pub fn pop_front(&mut self) -> Option<DmusKernelEvent<P>> {
        if self.head == NIL {
            return None;
        }
        let idx = self.head;
        self.head = self.next_of(idx);
        if self.head == NIL {
            self.tail = NIL;
        }
        self.set_next(idx, NIL);
        self.len = self.len.saturating_sub(1);
        // SAFETY: `idx` was this chain's head and is now unlinked from it: the chain gives up
        // its ownership to the new handle.
        Some(unsafe { DmusKernelEvent::from_index(self.pool.clone(), idx) })
    }

    /// Moves every event of `other` to the end of this chain.
    ///
    /// Errors: gives `other` back if it belongs to another pool.
    pub fn append(&mut self, mut other: EventChain<P>) -> Result<(), EventChain<P>> {
        if !same_pool(&self.pool, &other.pool) {
            return Err(other);
        }
        let (head, tail, len) = other.take_all();
        if head == NIL {
            return Ok(());
        }
        if self.head == NIL {
            self.head = head;
        } else {
            self.set_next(self.tail, head);
        }
        self.tail = tail;
        self.len += len;
        Ok(())
    }

    /// Moves every event of `other` to the front of this chain, keeping their order.
    ///
    /// Errors: gives `other` back if it belongs to another pool.
    pub fn prepend(&mut self, mut other: EventChain<P>) -> Result<(), EventChain<P>> {
        if !same_pool(&self.pool, &other.pool) {
            return Err(other);
        }
        let (head, tail, len) = other.take_all();
        if head == NIL {
            return Ok(());
        }
        self.set_next(tail, self.head);
        if self.head == NIL {
            self.tail = tail;
        }
        self.head = head;
        self.len += len;
        Ok(())
    }

    /// Returns every event to the pool, leaving the chain empty.
    pub fn clear(&mut self) {
        let (head, _, _) = self.take_all();
        self.pool.free_chain(head);
    }

    /// The first event.
    pub fn front(&self) -> Option<EventRef<'_, P::Storage>> {
        // SAFETY: the head is owned by this chain, which is borrowed shared for the view's
        // lifetime.
        (self.head != NIL).then(|| unsafe { EventRef::new(&self.pool, self.head) })
    }

    /// The last event.
    pub fn back(&self) -> Option<EventRef<'_, P::Storage>> {
        // SAFETY: the tail is owned by this chain, which is borrowed shared for the view's
        // lifetime.
        (self.tail != NIL).then(|| unsafe { EventRef::new(&self.pool, self.tail) })
    }

    /// The events in order, read-only.
    pub fn iter(&self) -> Iter<'_, P::Storage> {
        // SAFETY: the `len` events linked from `head` are owned by this chain, which is
        // borrowed shared for the iterator's lifetime.
        unsafe { Iter::new(&self.pool, self.head, self.len) }
    }

    /// Inserts `event` after every event whose `pres_time` is not later, so a chain kept in
    /// order stays ordered by presentation time and stable for equal times. O(1) when the
    /// event is not earlier than the last one (the usual in-order case) or earlier than the
    /// first; O(n) otherwise. Returns the links it walked (0 for the O(1) cases).
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub(super) fn insert_by_time(
        &mut self,
        event: DmusKernelEvent<P>,
    ) -> Result<usize, DmusKernelEvent<P>> {
        let time = event.pres_time();
        if self.head == NIL || self.time_of(self.tail) <= time {
            return self.push_back(event).map(|()| 0);
        }
        if time < self.time_of(self.head) {
            return self.push_front(event).map(|()| 0);
        }
        if !same_pool(&self.pool, event.pool()) {
            return Err(event);
        }
        // head <= time < tail: find the last event with pres_time <= time.
        let mut prev = self.head;
        let mut cur = self.next_of(prev);
        let mut steps = 0usize;
        while cur != NIL && self.time_of(cur) <= time && steps < self.len {
            prev = cur;
            cur = self.next_of(cur);
            steps += 1;
        }
        let idx = event.into_index();
        self.set_next(idx, cur);
        self.set_next(prev, idx);
        if cur == NIL {
            self.tail = idx;
        }
        self.len += 1;
        Ok(steps)
    }

    /// Merges `other` into this chain, both ordered by presentation time: the result is
    /// ordered, and an event of `other` goes after every event of this chain with the same
    /// time (stable). O(1) when `other` starts no earlier than this chain ends; otherwise
    /// O(n + m) links, walked until one of the two runs out, the rest spliced whole. Returns
    /// the events it compared (0 for the O(1) cases). Never allocates.
    ///
    /// Errors: gives `other` back, untouched, if it belongs to another pool.
    pub fn merge(&mut self, mut other: EventChain<P>) -> Result<usize, EventChain<P>> {
        if !same_pool(&self.pool, &other.pool) {
            return Err(other);
        }
        if other.head == NIL {
            return Ok(0);
        }
        if self.head == NIL || self.time_of(self.tail) <= other.time_of(other.head) {
            return self.append(other).map(|()| 0);
        }
        let (b_head, b_tail, b_len) = other.take_all();
        let (mut a, mut b) = (self.head, b_head);
        let (mut head, mut tail) = (NIL, NIL);
        let mut steps = 0usize;
        // Bounded by both lengths, whatever the links say.
        let most = self.len.saturating_add(b_len);
        while a != NIL && b != NIL && steps < most {
            // Equal times: this chain's event first.
            let take = if self.time_of(b) < self.time_of(a) {
                let t = b;
                b = self.next_of(b);
                t
            } else {
                let t = a;
                a = self.next_of(a);
                t
            };
            if tail == NIL {
                head = take;
            } else {
                self.set_next(tail, take);
            }
            tail = take;
            steps += 1;
        }
        // One run is out: the other's rest follows whole, with its own tail.
        let (rest, rest_tail) = if a != NIL {
            (a, self.tail)
        } else {
            (b, b_tail)
        };
        if tail == NIL {
            head = rest;
        } else {
            self.set_next(tail, rest);
        }
        if rest != NIL {
            tail = rest_tail;
        }
        // INVARIANT: every event of both chains is linked once from `head`, ending at `tail`;
        // `other` was emptied above, so this chain is their only owner.
        self.head = head;
        self.tail = tail;
        self.len += b_len;
        Ok(steps)
    }

    /// Removes and returns the longest leading run of events in time order (each not
    /// earlier than the one before). O(length of the run).
    fn split_run(&mut self) -> EventChain<P> {
        self.split_leading(|previous, time| previous.is_none_or(|p| p <= time))
    }

    /// Removes and returns the leading events for which `takes(previous, time)` holds,
    /// `previous` being the time of the event before (`None` for the first). O(number
    /// removed, plus one).
    fn split_leading(
        &mut self,
        mut takes: impl FnMut(Option<ReferenceTime>, ReferenceTime) -> bool,
    ) -> EventChain<P> {
        let mut taken = EventChain::new(self.pool.clone());
        if self.head == NIL || !takes(None, self.time_of(self.head)) {
            return taken;
        }
        let mut last = self.head;
        let mut count = 1usize;
        let mut cur = self.next_of(last);
        while cur != NIL && count < self.len && takes(Some(self.time_of(last)), self.time_of(cur)) {
            last = cur;
            cur = self.next_of(cur);
            count += 1;
        }
        taken.head = self.head;
        taken.tail = last;
        taken.len = count;
        self.set_next(last, NIL);
        self.head = cur;
        if cur == NIL {
            self.tail = NIL;
        }
        self.len = self.len.saturating_sub(count);
        taken
    }

    /// Sorts the chain by presentation time, stable (events with equal times keep their
    /// order): a bottom-up merge of its runs in time order, as the kernel's `list_sort`
    /// does. O(n log r) for r runs (O(n) for a chain already in order); never allocates.
    pub fn sort_by_time(&mut self) {
        // `bins[i]` holds 2^i runs' worth of events merged, earlier events than any bin
        // below it; 64 bins hold more runs than a pool has events.
        let mut bins: [Option<EventChain<P>>; 64] = core::array::from_fn(|_| None);
        while !self.is_empty() {
            let mut pending = Some(self.split_run());
            for bin in bins.iter_mut() {
                let Some(run) = pending.take() else {
                    break;
                };
                match bin.take() {
                    Some(mut earlier) => {
                        // Same pool: cannot fail.
                        let _ = earlier.merge(run);
                        pending = Some(earlier);
                    }
                    None => *bin = Some(run),
                }
            }
            // Every bin was full (2^64 runs: not with `u32` event indices); kept whole.
            if let (Some(run), Some(last)) = (pending, bins.last_mut()) {
                *last = Some(run);
            }
        }
        // The low bins hold the latest events: merge upwards, each later one into the
        // earlier.
        let mut sorted: Option<EventChain<P>> = None;
        for bin in bins.iter_mut() {
            if let Some(mut earlier) = bin.take() {
                if let Some(later) = sorted.take() {
                    let _ = earlier.merge(later);
                }
                sorted = Some(earlier);
            }
        }
        if let Some(sorted) = sorted {
            let _ = self.append(sorted);
        }
    }

    /// Removes and returns the leading events whose `pres_time <= now` (all of them when the
    /// chain is ordered by time). O(number removed).
    pub(super) fn split_due(&mut self, now: ReferenceTime) -> EventChain<P> {
        self.split_leading(|_, time| time <= now)
    }
}

impl<P: PoolRef> Drop for EventChain<P> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<P: PoolRef> fmt::Debug for EventChain<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, P: PoolRef> IntoIterator for &'a EventChain<P> {
    type Item = EventRef<'a, P::Storage>;
    type IntoIter = Iter<'a, P::Storage>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<P: PoolRef> DmusKernelEvent<P> {
    /// A chain holding just this event.
    pub fn into_chain(self) -> EventChain<P> {
        let pool = self.pool().clone();
        let idx = self.into_index();
        // SAFETY: the event gave up slot `idx` (a lone event's link is `NIL`), so the chain of
        // one is its only owner.
        unsafe { EventChain::from_parts(pool, idx, idx, 1) }
    }
}
