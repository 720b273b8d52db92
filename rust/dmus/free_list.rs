// SPDX-License-Identifier: GPL-2.0

//! The pool's free lists: lock-free stacks of slot indices.
//!
//! Each free list is a Treiber stack of slot indices, linked through the slots' own links,
//! whose head carries a 32-bit tag in the upper half of an `AtomicU64`, so a pop that raced
//! with a pop and a push of the same slot (ABA) fails its compare-exchange and retries. Nothing
//! spins waiting for another context, so a free list is safe to use from hard IRQ, softirq and
//! process context at once, on any CPU.
//!
//! Source: none in the WDK (Windows keeps its allocator closed); this is the classic tagged
//! Treiber stack.

use core::sync::atomic::{
    AtomicU32,
    AtomicU64,
    AtomicUsize,
    Ordering, //
};

use super::layout::NIL;

/// A lock-free stack of slot indices with an ABA tag.
pub(super) struct FreeList {
    /// Low 32 bits: index of the top slot (`NIL` when empty). High 32 bits: tag, incremented
    /// by every successful push and pop.
    head: AtomicU64,
    /// Number of free slots. Incremented before a push publishes a slot and decremented after
    /// a pop took one, so it never underflows; it may briefly exceed the real count.
    free: AtomicUsize,
}

const fn pack(tag: u64, idx: u32) -> u64 {
    (tag << 32) | idx as u64
}

impl FreeList {
    /// An empty list.
    pub(super) const fn new() -> Self {
        Self {
            head: AtomicU64::new(pack(0, NIL)),
            free: AtomicUsize::new(0),
        }
    }

    /// Number of free slots; may briefly exceed the real count while a push is under way.
    pub(super) fn free(&self) -> usize {
        self.free.load(Ordering::Relaxed)
    }

    /// Pops a slot; `link` gives the link of a slot index.
    pub(super) fn pop<'a>(&self, link: impl Fn(u32) -> Option<&'a AtomicU32>) -> Option<u32> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let idx = head as u32;
            if idx == NIL {
                return None;
            }
            // A stale `head` may make this read a link that is being rewritten by the slot's
            // new owner; the value is then wrong but the tag makes the exchange below fail.
            let next = link(idx)?.load(Ordering::Relaxed);
            let new = pack((head >> 32).wrapping_add(1), next);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    self.free.fetch_sub(1, Ordering::Relaxed);
                    return Some(idx);
                }
                Err(current) => head = current,
            }
        }
    }

    /// Pushes the list `first ..= last` (already linked through `link`) of `count` slots.
    pub(super) fn push_list(&self, first: u32, last_link: &AtomicU32, count: usize) {
        self.free.fetch_add(count, Ordering::Relaxed);
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            last_link.store(head as u32, Ordering::Relaxed);
            let new = pack((head >> 32).wrapping_add(1), first);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(current) => head = current,
            }
        }
    }
}
