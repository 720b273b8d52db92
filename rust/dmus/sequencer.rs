// SPDX-License-Identifier: GPL-2.0

//! The render sequencer: events held until their presentation time.
//!
//! The port driver's sequencer (closed source on Windows, absent from ReactOS) takes the
//! events the unpacker made from user buffers, keeps them ordered by `pres_time`, and hands
//! the miniport's render stream those that are due (`IMXF::PutMessage`). The WDK's DMusUART
//! sample never looks at `ullPresTime100ns` because of this: "the sequencer feeds us
//! sequenced data".
//!
//! This sequencer is an intrusive list: it links the events through their own chain links,
//! so it never allocates. Insertion is stable (an event goes after every queued event with
//! the same time) and O(1) for events that arrive in time order, the usual case; an event
//! earlier than the last queued one costs a walk from the front.
//!
//! Context: a `Sequencer` is a plain value with `&mut self` methods; it arms no timer and
//! takes no lock. The kernel port keeps it in its render feed, under the feed's spinlock
//! (`spin_lock_irqsave`), which the service tasklet (softirq: the render pump) and process
//! context (DMus device writes, drops and STOP, a rawmidi close, teardown) take. After a pump
//! pass the port reads [`Sequencer::next_due_time`] and arms its own one-shot hrtimer (a
//! `ServiceTimer`, created when the miniport registers its service group) for that time less
//! the schedule prefetch; the timer's callback only schedules the tasklet, which pumps again.
//!
//! Source: "MIDI Transport" and "Latency Clocks" in the WDK audio documentation (the port's
//! sequencer "reorders them by timestamp" and calls the miniport "when they are due").

use super::allocator::PoolRef;
use super::clock::ReferenceTime;
use super::event::{DmusKernelEvent, EventChain, DONT_HOLD_FOR_SEQUENCING};

/// Events queued for rendering, ordered by presentation time.
///
/// Two queues: the immediate queue (events that must not wait, in arrival order) and the
/// timed queue (ordered by `pres_time`, stable). [`pop_due`](Self::pop_due) returns the
/// immediate events first, then the due timed ones. Dropping the sequencer returns every
/// queued event to the pool.
pub struct Sequencer<P: PoolRef> {
    immediate: EventChain<P>,
    timed: EventChain<P>,
}

impl<P: PoolRef> Sequencer<P> {
    /// An empty sequencer for events of `pool`.
    pub fn new(pool: P) -> Self {
        Self {
            immediate: EventChain::new(pool.clone()),
            timed: EventChain::new(pool),
        }
    }

    /// Number of queued events (immediate and timed; package members not counted).
    pub fn len(&self) -> usize {
        self.immediate.len() + self.timed.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.immediate.is_empty() && self.timed.is_empty()
    }

    /// Queues `event` by its `pres_time`, after every queued event with the same time.
    ///
    /// An event whose `pres_time` is [`DONT_HOLD_FOR_SEQUENCING`] (as a signed reference time,
    /// `i64::MIN`) goes to the immediate queue instead.
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub fn insert(&mut self, event: DmusKernelEvent<P>) -> Result<(), DmusKernelEvent<P>> {
        if event.pres_time() == DONT_HOLD_FOR_SEQUENCING as ReferenceTime {
            return self.immediate.push_back(event);
        }
        self.timed.insert_by_time(event).map(|_| ())
    }

    /// Queues `event` for the next [`pop_due`](Self::pop_due), whatever its time, after the
    /// immediate events already queued (the path for events that must not wait: a reset, a
    /// real-time message).
    ///
    /// Errors: gives `event` back if it belongs to another pool.
    pub fn insert_immediate(
        &mut self,
        event: DmusKernelEvent<P>,
    ) -> Result<(), DmusKernelEvent<P>> {
        self.immediate.push_back(event)
    }

    /// Queues every event of `chain`, each as [`insert`](Self::insert) would (a package is
    /// queued whole, by the package event's time). O(1) an event for a chain in time order
    /// that starts after the queue; an event earlier than the queue's last walks from the
    /// front. Returns the links walked. The kernel port queues a write with
    /// [`insert_sorted`](Self::insert_sorted) instead, whose work is bounded.
    ///
    /// Errors: gives `chain` back, untouched, if it belongs to another pool.
    pub fn insert_chain(&mut self, mut chain: EventChain<P>) -> Result<usize, EventChain<P>> {
        if !super::allocator::same_pool(self.timed.pool(), chain.pool()) {
            return Err(chain);
        }
        let mut steps = 0usize;
        while let Some(event) = chain.pop_front() {
            if event.pres_time() == DONT_HOLD_FOR_SEQUENCING as ReferenceTime {
                // Same pool, checked above: cannot fail.
                let _ = self.immediate.push_back(event);
                continue;
            }
            match self.timed.insert_by_time(event) {
                Ok(n) => steps = steps.saturating_add(n),
                Err(event) => drop(event),
            }
        }
        Ok(steps)
    }

    /// Queues a [`SortedChain`]: its immediate events after those queued, its timed events
    /// merged into the timed queue (stable: after queued events of the same time). Bounded
    /// work: O(1) for the immediate part, and at most one pass over the timed queue and the
    /// chain (O(1) when the chain starts no earlier than the queue ends), whatever the
    /// order of the events. Returns the events the merge compared. Never allocates.
    ///
    /// Errors: gives `chain` back, untouched, if it belongs to another pool.
    pub fn insert_sorted(&mut self, chain: SortedChain<P>) -> Result<usize, SortedChain<P>> {
        if !super::allocator::same_pool(self.timed.pool(), chain.timed.pool()) {
            return Err(chain);
        }
        let SortedChain { immediate, timed } = chain;
        // Same pool, checked above (a `SortedChain`'s two chains share one): cannot fail.
        let _ = self.immediate.append(immediate);
        Ok(self.timed.merge(timed).unwrap_or(0))
    }

    /// Removes and returns, in order, every immediate event and every timed event with
    /// `pres_time <= now`. `now` is the master-clock time plus the miniport's schedule
    /// prefetch (100 ns units). O(number returned).
    pub fn pop_due(&mut self, now: ReferenceTime) -> EventChain<P> {
        let mut due = EventChain::new(self.timed.pool().clone());
        // Same pool: cannot fail.
        let _ = due.append(core::mem::replace(
            &mut self.immediate,
            EventChain::new(self.timed.pool().clone()),
        ));
        let _ = due.append(self.timed.split_due(now));
        due
    }

    /// The time the next event falls due: `Some(ReferenceTime::MIN)` if an immediate event
    /// waits, the earliest `pres_time` of the timed queue otherwise, `None` when nothing is
    /// queued. The sequencer arms nothing itself; the caller uses this to arm its own timer
    /// (the kernel port: after a [`pop_due`](Self::pop_due), for this time less the schedule
    /// prefetch, only when that is still ahead).
    pub fn next_due_time(&self) -> Option<ReferenceTime> {
        if !self.immediate.is_empty() {
            return Some(ReferenceTime::MIN);
        }
        self.timed.front().map(|e| e.pres_time())
    }

    /// Removes and returns every queued event, immediate first, then timed in order (for a
    /// transition to STOP, which discards them, or to hand them elsewhere).
    pub fn drain_all(&mut self) -> EventChain<P> {
        self.pop_due(ReferenceTime::MAX)
    }

    /// Returns every queued event to the pool.
    pub fn clear(&mut self) {
        self.immediate.clear();
        self.timed.clear();
    }
}

/// A chain made ready for [`Sequencer::insert_sorted`] outside the sequencer's lock: its
/// immediate events ([`DONT_HOLD_FOR_SEQUENCING`]) apart, in their order, and its timed events
/// sorted by presentation time (stable). Dropping it returns every event to the pool.
pub struct SortedChain<P: PoolRef> {
    immediate: EventChain<P>,
    timed: EventChain<P>,
}

impl<P: PoolRef> SortedChain<P> {
    /// Splits and sorts `chain`: O(n) for a chain in time order (a DMus buffer's events are:
    /// their deltas are unsigned), O(n log r) for r runs in order. Never allocates.
    pub fn new(mut chain: EventChain<P>) -> Self {
        let pool = chain.pool().clone();
        let mut immediate = EventChain::new(pool.clone());
        let mut timed = EventChain::new(pool);
        while let Some(event) = chain.pop_front() {
            // Same pool as both: cannot fail.
            let _ = if event.pres_time() == DONT_HOLD_FOR_SEQUENCING as ReferenceTime {
                immediate.push_back(event)
            } else {
                timed.push_back(event)
            };
        }
        timed.sort_by_time();
        Self { immediate, timed }
    }

    /// Number of events (immediate and timed; package members not counted).
    pub fn len(&self) -> usize {
        self.immediate.len() + self.timed.len()
    }

    /// Whether there is no event.
    pub fn is_empty(&self) -> bool {
        self.immediate.is_empty() && self.timed.is_empty()
    }

    /// The events, immediate first, then timed in order.
    pub fn iter(&self) -> impl Iterator<Item = super::event::EventRef<'_, P::Storage>> {
        self.immediate.iter().chain(self.timed.iter())
    }
}
