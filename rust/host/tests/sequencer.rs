// SPDX-License-Identifier: GPL-2.0

//! The sequencer: order by presentation time, stability, due queries, immediate path.

mod common;

use common::*;
use dmus::event::DONT_HOLD_FOR_SEQUENCING;
use dmus::host::HostPoolRef;
use dmus::{AllocatorMxf, DmusKernelEvent, EventChain, Sequencer, SortedChain};
use proptest::prelude::*;

fn event(p: &HostPoolRef, tag: u8, time: i64) -> DmusKernelEvent<HostPoolRef> {
    let mut e = p.get_message().unwrap();
    e.set_data(&[tag]).unwrap();
    e.set_pres_time(time);
    e
}

fn tags(chain: &EventChain<HostPoolRef>) -> Vec<u8> {
    chain.iter().map(|e| e.data()[0]).collect()
}

#[test]
fn orders_by_time_and_is_stable_for_equal_times() {
    let p = pool(16, 0, 16);
    let mut seq = Sequencer::new(p.clone());
    for (tag, time) in [(0, 30), (1, 10), (2, 20), (3, 10), (4, 30), (5, 5), (6, 20)] {
        seq.insert(event(&p, tag, time)).unwrap();
    }
    assert_eq!(seq.len(), 7);
    assert_eq!(seq.next_due_time(), Some(5));
    assert_eq!(tags(&seq.drain_all()), [5, 1, 3, 2, 6, 0, 4]);
    assert!(seq.is_empty());
    assert!(p.is_full());
}

#[test]
fn pop_due_returns_only_due_events() {
    let p = pool(16, 0, 16);
    let mut seq = Sequencer::new(p.clone());
    for (tag, time) in [(0, 100), (1, 200), (2, 300)] {
        seq.insert(event(&p, tag, time)).unwrap();
    }
    assert!(seq.pop_due(99).is_empty());
    assert_eq!(tags(&seq.pop_due(100)), [0], "pres_time == now is due");
    assert_eq!(seq.next_due_time(), Some(200));
    assert_eq!(tags(&seq.pop_due(1_000)), [1, 2]);
    assert_eq!(seq.next_due_time(), None);
}

#[test]
fn immediate_events_come_first() {
    let p = pool(16, 0, 16);
    let mut seq = Sequencer::new(p.clone());
    seq.insert(event(&p, 0, 10)).unwrap();
    seq.insert_immediate(event(&p, 1, 1_000_000)).unwrap();
    seq.insert(event(&p, 2, DONT_HOLD_FOR_SEQUENCING as i64))
        .unwrap();
    assert_eq!(seq.next_due_time(), Some(i64::MIN));
    assert_eq!(tags(&seq.pop_due(0)), [1, 2]);
    assert_eq!(tags(&seq.pop_due(10)), [0]);
}

#[test]
fn insert_chain_and_clear_return_everything() {
    let p = pool(16, 0, 16);
    let mut chain = EventChain::new(p.clone());
    for (tag, time) in [(0, 3), (1, 1), (2, 2)] {
        chain.push_back(event(&p, tag, time)).unwrap();
    }
    let mut seq = Sequencer::new(p.clone());
    seq.insert_chain(chain).unwrap();
    assert_eq!(seq.len(), 3);
    let other = pool(1, 0, 16);
    let mut foreign = EventChain::new(other.clone());
    foreign.push_back(event(&other, 9, 0)).unwrap();
    assert_eq!(seq.insert_chain(foreign).unwrap_err().len(), 1);
    assert!(seq.insert(event(&other, 9, 0)).is_err());
    seq.clear();
    assert!(p.is_full() && other.is_full());
    seq.insert(event(&p, 0, 0)).unwrap();
    drop(seq);
    assert!(p.is_full(), "dropping the sequencer returns queued events");
}

proptest! {
    /// Whatever the insertion order, due queries at increasing times return all events in
    /// the order of a stable sort by time, each only once it is due.
    #[test]
    fn matches_a_stable_sort(
        times in prop::collection::vec(0i64..50, 0..100),
        queries in prop::collection::vec(0i64..60, 0..10),
    ) {
        let p = pool(128, 0, 16);
        let mut seq = Sequencer::new(p.clone());
        for (i, t) in times.iter().enumerate() {
            let mut e = event(&p, (i % 256) as u8, *t);
            e.set_byte_position(i as u64);
            seq.insert(e).unwrap();
        }
        let mut expected: Vec<(i64, u64)> = times.iter().enumerate().map(|(i, t)| (*t, i as u64)).collect();
        expected.sort_by_key(|e| e.0);
        let mut got = Vec::new();
        let mut queries = queries;
        queries.sort_unstable();
        queries.push(i64::MAX);
        for now in queries {
            let due = seq.pop_due(now);
            for e in due.iter() {
                prop_assert!(e.pres_time() <= now);
                got.push((e.pres_time(), e.byte_position()));
            }
            if let Some(next) = seq.next_due_time() {
                prop_assert!(next > now);
            }
        }
        prop_assert_eq!(got, expected);
        prop_assert!(seq.is_empty());
        prop_assert!(p.is_full());
    }

    /// A write queued as `SortedChain` + `insert_sorted` (the kernel's path, bounded work
    /// under the lock) lands exactly where event-by-event insertion puts it: timed events in
    /// a stable order by time after those already queued, immediate events in their order.
    #[test]
    fn insert_sorted_matches_event_by_event_insertion(
        queued in prop::collection::vec(-1i64..40, 0..60),
        write in prop::collection::vec(-1i64..40, 0..120),
    ) {
        let p = pool(512, 0, 16);
        let tagged = |i: usize, t: i64| {
            let t = if t < 0 { DONT_HOLD_FOR_SEQUENCING as i64 } else { t };
            let mut e = event(&p, 0, t);
            e.set_byte_position(i as u64);
            e
        };
        let mut by_event = Sequencer::new(p.clone());
        let mut by_merge = Sequencer::new(p.clone());
        for (i, t) in queued.iter().enumerate() {
            by_event.insert(tagged(i, *t)).unwrap();
            by_merge.insert(tagged(i, *t)).unwrap();
        }
        let mut chain = EventChain::new(p.clone());
        for (i, t) in write.iter().enumerate() {
            by_event.insert(tagged(1000 + i, *t)).unwrap();
            chain.push_back(tagged(1000 + i, *t)).unwrap();
        }
        let sorted = SortedChain::new(chain);
        prop_assert_eq!(sorted.len(), write.len());
        let steps = by_merge.insert_sorted(sorted).map_err(|_| "pool").unwrap();
        prop_assert!(steps <= queued.len() + write.len(), "{} steps", steps);
        let order = |s: &mut Sequencer<_>| -> Vec<(i64, u64)> {
            s.drain_all().iter().map(|e| (e.pres_time(), e.byte_position())).collect()
        };
        prop_assert_eq!(order(&mut by_merge), order(&mut by_event));
        prop_assert!(p.is_full());
    }
}

#[test]
fn insert_sorted_walks_once_where_event_by_event_walks_quadratically() {
    // One far-future event queued, then a write of ascending times before it: each
    // event-by-event insertion walks from the front, the merge walks once.
    let n = 500;
    let p = pool(2 * n + 2, 0, 16);
    let mut seq = Sequencer::new(p.clone());
    seq.insert(event(&p, 0, i64::MAX / 2)).unwrap();
    let mut chain = EventChain::new(p.clone());
    for i in 0..n {
        chain.push_back(event(&p, 1, i as i64)).unwrap();
    }
    let walked = seq.insert_chain(chain).unwrap();
    // The first goes to the front; event i walks past the i - 1 after it.
    assert_eq!(walked, (n - 1) * (n - 2) / 2);
    let mut chain = EventChain::new(p.clone());
    for i in 0..n {
        chain.push_back(event(&p, 2, (n + i) as i64)).unwrap();
    }
    let compared = seq
        .insert_sorted(SortedChain::new(chain))
        .map_err(|_| ())
        .unwrap();
    assert!(compared <= 2 * n + 1, "{compared}");
    let times: Vec<i64> = seq.drain_all().iter().map(|e| e.pres_time()).collect();
    assert_eq!(times.len(), 2 * n + 1);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn sort_by_time_is_stable_and_returns_nothing_to_the_pool() {
    let p = pool(64, 0, 16);
    let mut chain = EventChain::new(p.clone());
    for (tag, time) in [
        (0, 5),
        (1, 3),
        (2, 5),
        (3, 1),
        (4, 3),
        (5, 9),
        (6, 0),
        (7, 5),
    ] {
        chain.push_back(event(&p, tag, time)).unwrap();
    }
    chain.sort_by_time();
    assert_eq!(tags(&chain), [6, 3, 1, 4, 0, 2, 7, 5]);
    assert_eq!(p.free_events(), 64 - 8);
    let other = pool(1, 0, 16);
    let mut foreign = EventChain::new(other.clone());
    foreign.push_back(event(&other, 9, 0)).unwrap();
    assert_eq!(chain.merge(foreign).unwrap_err().len(), 1);
}
