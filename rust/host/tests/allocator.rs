// SPDX-License-Identifier: GPL-2.0

//! The pool, the event handles and chains: ownership returns everything.

mod common;

use std::sync::Arc;

use common::*;
use dmus::host::{new_pool, HostStorage};
use dmus::{
    AllocatorMxf, DmusKernelEvent, Error, EventChain, Pool, BYTE_POSITION_NONE,
    DMUS_KEF_EVENT_INCOMPLETE, DMUS_KEF_PACKAGE_EVENT, INLINE_CAPACITY,
};
use proptest::prelude::*;

#[test]
fn pool_sizes_are_validated() {
    assert_eq!(
        new_pool(4, 4, INLINE_CAPACITY).err(),
        Some(Error::InvalidArgument)
    );
    assert_eq!(new_pool(4, 4, 65_536).err(), Some(Error::InvalidArgument));
    // Bytes shorter than buffers * size.
    let short = HostStorage::new(4, 4, 16);
    assert_eq!(Pool::new(short, 32).err(), Some(Error::InvalidArgument));
    let p = new_pool(3, 2, 65_535).unwrap();
    assert_eq!(p.get_buffer_size(), 65_535);
    assert_eq!((p.event_count(), p.buffer_count()), (3, 2));
    assert_eq!(Error::InvalidArgument.to_errno(), -22);
    assert_eq!(Error::NoMemory.to_errno(), -12);
}

#[test]
fn fresh_event_defaults() {
    let p = pool(1, 0, 16);
    let e = p.get_message().unwrap();
    assert_eq!(e.cb_event(), 0);
    assert_eq!(e.channel_group(), 1);
    assert_eq!(e.flags(), 0);
    assert_eq!(e.pres_time(), 0);
    assert_eq!(e.byte_position(), BYTE_POSITION_NONE);
    assert!(!e.running_status());
    assert!(e.data().is_empty());
}

#[test]
fn exhaustion_is_counted_not_fatal() {
    let p = pool(2, 1, 16);
    let a = p.get_message().unwrap();
    let b = p.get_message().unwrap();
    assert_eq!(p.get_message().err(), Some(Error::NoMemory));
    assert_eq!(p.get_message().err(), Some(Error::NoMemory));
    assert_eq!(p.stats().message_exhausted, 2);
    let buf = p.get_buffer().unwrap();
    assert_eq!(p.get_buffer().err(), Some(Error::NoMemory));
    assert_eq!(p.stats().buffer_exhausted, 1);
    drop((a, b, buf));
    assert!(p.is_full());
    // Every slot is reusable after exhaustion.
    let again: Vec<_> = (0..2).map(|_| p.get_message().unwrap()).collect();
    assert_eq!(p.free_events(), 0);
    drop(again);
    assert!(p.is_full());
}

#[test]
fn short_data_is_inline_long_data_takes_a_buffer() {
    let p = pool(4, 2, 16);
    let mut e = p.get_message().unwrap();
    e.set_data(&[1; INLINE_CAPACITY]).unwrap();
    assert_eq!(
        p.free_buffers(),
        2,
        "SHORT_EVT: no buffer for {INLINE_CAPACITY} bytes"
    );
    e.set_data(&[2; 9]).unwrap();
    assert_eq!(p.free_buffers(), 1);
    assert_eq!(e.data(), &[2; 9]);
    e.set_data(&[3; 16]).unwrap();
    assert_eq!(p.free_buffers(), 1, "the event's own buffer is reused");
    assert_eq!(e.set_data(&[4; 17]), Err(Error::InvalidArgument));
    assert_eq!(
        e.data(),
        &[3; 16],
        "a failed set_data leaves the event unchanged"
    );
    e.set_data(&[5, 6]).unwrap();
    assert_eq!(
        p.free_buffers(),
        2,
        "shrinking to inline returns the buffer"
    );
    assert_eq!(e.cb_event(), 2);
    drop(e);
    assert!(p.is_full());
}

#[test]
fn extend_data_grows_into_a_buffer() {
    let p = pool(4, 1, 12);
    let mut e = p.get_message().unwrap();
    for i in 0..12u8 {
        e.extend_data(&[i]).unwrap();
    }
    assert_eq!(e.data(), &(0..12).collect::<Vec<_>>()[..]);
    assert_eq!(e.extend_data(&[12]), Err(Error::InvalidArgument));
    let mut f = p.get_message().unwrap();
    f.extend_data(&[0; INLINE_CAPACITY]).unwrap();
    assert_eq!(f.extend_data(&[1]), Err(Error::NoMemory), "no buffer left");
    assert_eq!(f.data(), &[0; INLINE_CAPACITY]);
    drop((e, f));
    assert!(p.is_full());
}

#[test]
fn attach_buffer_follows_short_evt_rule() {
    let p = pool(4, 2, 16);
    let mut e = p.get_message().unwrap();
    let mut buf = p.get_buffer().unwrap();
    buf.as_mut_slice()[..12].copy_from_slice(b"hello world!");
    e.attach_buffer(buf, 12).unwrap();
    assert_eq!(e.data(), b"hello world!");
    assert_eq!(p.free_buffers(), 1);
    let mut small = p.get_buffer().unwrap();
    small.as_mut_slice()[..3].copy_from_slice(&[0x90, 1, 2]);
    e.attach_buffer(small, 3).unwrap();
    assert_eq!(e.data(), &[0x90, 1, 2]);
    assert_eq!(
        p.free_buffers(),
        2,
        "3 bytes go inline, both buffers are back"
    );
    let other = pool(1, 1, 16);
    assert_eq!(
        e.attach_buffer(other.get_buffer().unwrap(), 10),
        Err(Error::ForeignPool)
    );
    assert!(other.is_full());
    drop(e);
    assert!(p.is_full());
}

fn event(
    p: &dmus::host::HostPoolRef,
    data: &[u8],
    time: i64,
) -> DmusKernelEvent<dmus::host::HostPoolRef> {
    let mut e = p.get_message().unwrap();
    e.set_data(data).unwrap();
    e.set_pres_time(time);
    e
}

#[test]
fn chains_own_their_events_and_buffers() {
    let p = pool(8, 4, 16);
    let mut chain = EventChain::new(p.clone());
    chain.push_back(event(&p, &[1; 12], 1)).unwrap();
    chain.push_back(event(&p, &[2], 2)).unwrap();
    chain.push_front(event(&p, &[0], 0)).unwrap();
    assert_eq!(chain.len(), 3);
    let times: Vec<_> = chain.iter().map(|e| e.pres_time()).collect();
    assert_eq!(times, [0, 1, 2]);
    assert_eq!(chain.front().unwrap().data(), &[0]);
    assert_eq!(chain.back().unwrap().data(), &[2]);
    assert_eq!((p.free_events(), p.free_buffers()), (5, 3));
    let first = chain.pop_front().unwrap();
    assert_eq!(first.data(), &[0]);
    let mut other = EventChain::new(p.clone());
    other.push_back(first).unwrap();
    chain.append(other).unwrap();
    let data: Vec<_> = chain.iter().map(|e| e.data()[0]).collect();
    assert_eq!(data, [1, 2, 0]);
    p.put_message(chain);
    assert!(p.is_full());
}

#[test]
fn foreign_pool_objects_are_handed_back() {
    let a = pool(4, 0, 16);
    let b = pool(4, 0, 16);
    let mut chain = EventChain::new(a.clone());
    let e = b.get_message().unwrap();
    let e = chain.push_back(e).unwrap_err();
    let e = chain.push_front(e).unwrap_err();
    assert!(chain.is_empty());
    let mut foreign = EventChain::new(b.clone());
    foreign.push_back(e).unwrap();
    let foreign = chain.append(foreign).unwrap_err();
    assert_eq!(foreign.len(), 1);
    drop(foreign);
    assert!(a.is_full() && b.is_full());
}

#[test]
fn packages_nest_and_are_returned_whole() {
    let p = pool(16, 4, 16);
    let mut inner = EventChain::new(p.clone());
    inner
        .push_back(event(&p, &[0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xF7], 0))
        .unwrap();
    let mut pkg_inner = p.get_message().unwrap();
    pkg_inner.set_package(inner).unwrap();
    let mut outer_members = EventChain::new(p.clone());
    outer_members
        .push_back(event(&p, &[0x90, 1, 1], 0))
        .unwrap();
    outer_members.push_back(pkg_inner).unwrap();
    outer_members
        .push_back(event(&p, &[0x80, 1, 0], 0))
        .unwrap();
    let mut pkg = p.get_message().unwrap();
    pkg.set_data(&[9; 12]).unwrap();
    pkg.set_package(outer_members).unwrap();
    assert!(pkg.is_package());
    assert_eq!(pkg.flags() & DMUS_KEF_PACKAGE_EVENT, DMUS_KEF_PACKAGE_EVENT);
    assert_eq!(pkg.cb_event(), 0);
    assert_eq!(pkg.package_len(), 3);
    assert_eq!(
        p.free_buffers(),
        3,
        "the package's old data buffer went back"
    );
    assert_eq!(p.free_events(), 16 - 5);
    drop(pkg);
    assert!(
        p.is_full(),
        "nested packages and their buffers all returned"
    );
}

#[test]
fn pop_front_unpacked_plays_packages_in_place() {
    let p = pool(16, 0, 16);
    let mut inner = EventChain::new(p.clone());
    inner.push_back(event(&p, &[2], 0)).unwrap();
    inner.push_back(event(&p, &[3], 0)).unwrap();
    let mut inner_pkg = p.get_message().unwrap();
    inner_pkg.set_package(inner).unwrap();
    let mut members = EventChain::new(p.clone());
    members.push_back(event(&p, &[1], 0)).unwrap();
    members.push_back(inner_pkg).unwrap();
    members
        .push_back(
            p.get_message()
                .map(|mut e| {
                    e.set_package(EventChain::new(p.clone())).unwrap();
                    e
                })
                .unwrap(),
        )
        .unwrap();
    let mut pkg = p.get_message().unwrap();
    pkg.set_package(members).unwrap();
    let mut chain = EventChain::new(p.clone());
    chain.push_back(event(&p, &[0], 0)).unwrap();
    chain.push_back(pkg).unwrap();
    chain.push_back(event(&p, &[4], 0)).unwrap();
    let mut played = Vec::new();
    while let Some(e) = chain.pop_front_unpacked() {
        assert!(!e.is_package());
        played.push(e.data()[0]);
    }
    assert_eq!(played, [0, 1, 2, 3, 4]);
    assert!(p.is_full());
}

#[test]
fn take_package_gives_the_chain_back() {
    let p = pool(4, 0, 16);
    let mut members = EventChain::new(p.clone());
    members.push_back(event(&p, &[7], 0)).unwrap();
    let mut pkg = p.get_message().unwrap();
    assert!(pkg.take_package().is_none());
    pkg.set_package(members).unwrap();
    let members = pkg.take_package().unwrap();
    assert!(!pkg.is_package());
    assert_eq!(members.iter().map(|e| e.data()[0]).collect::<Vec<_>>(), [7]);
    drop((pkg, members));
    assert!(p.is_full());
}

#[test]
fn flags_and_fields_round_trip() {
    let p = pool(1, 0, 16);
    let mut e = p.get_message().unwrap();
    e.set_flags(DMUS_KEF_EVENT_INCOMPLETE | DMUS_KEF_PACKAGE_EVENT);
    assert_eq!(
        e.flags(),
        DMUS_KEF_EVENT_INCOMPLETE,
        "the package bit follows the payload"
    );
    e.set_incomplete(false);
    assert!(!e.is_incomplete());
    e.set_channel_group(7);
    e.set_pres_time(-3);
    e.set_byte_position(42);
    e.set_running_status(true);
    assert_eq!(
        (
            e.channel_group(),
            e.pres_time(),
            e.byte_position(),
            e.running_status()
        ),
        (7, -3, 42, true)
    );
    let chain = e.into_chain();
    assert_eq!(chain.len(), 1);
    drop(chain);
    assert!(p.is_full());
}

#[test]
fn borrowed_pool_reference_works_without_arc() {
    let pool = Pool::new(HostStorage::new(2, 1, 16), 16).unwrap();
    let r = &pool;
    let mut e = r.get_message().unwrap();
    e.set_data(&[1; 10]).unwrap();
    let mut chain = EventChain::new(r);
    chain.push_back(e).unwrap();
    drop(chain);
    assert!(pool.is_full());
}

#[test]
fn concurrent_get_and_put_never_share_a_slot() {
    let p = pool(64, 32, 16);
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let p = Arc::clone(&p);
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for round in 0..20_000u32 {
                    match p.get_message() {
                        Ok(mut e) => {
                            let len = if round % 3 == 0 { 12 } else { 3 };
                            let stamp = [t; 16];
                            if e.set_data(&stamp[..len]).is_ok() {
                                held.push(e);
                            }
                        }
                        Err(Error::NoMemory) => {}
                        Err(e) => panic!("unexpected {e}"),
                    }
                    if held.len() > 6 || round % 5 == 0 {
                        for e in held.drain(..) {
                            assert!(
                                e.data().iter().all(|&b| b == t),
                                "slot shared between threads"
                            );
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(p.is_full());
}

#[derive(Clone, Debug)]
enum Op {
    Get,
    GetBuffer,
    SetData(usize, usize),
    Extend(usize, usize),
    Attach(usize, usize),
    PushToChain(usize),
    PopChain,
    Package(usize),
    Unpackage(usize),
    DropEvent(usize),
    DropBuffer(usize),
    SplitChain,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Get),
        Just(Op::GetBuffer),
        (any::<usize>(), 0usize..40).prop_map(|(i, n)| Op::SetData(i, n)),
        (any::<usize>(), 0usize..12).prop_map(|(i, n)| Op::Extend(i, n)),
        (any::<usize>(), 0usize..40).prop_map(|(i, n)| Op::Attach(i, n)),
        any::<usize>().prop_map(Op::PushToChain),
        Just(Op::PopChain),
        any::<usize>().prop_map(Op::Package),
        any::<usize>().prop_map(Op::Unpackage),
        any::<usize>().prop_map(Op::DropEvent),
        any::<usize>().prop_map(Op::DropBuffer),
        Just(Op::SplitChain),
    ]
}

proptest! {
    /// Any sequence of operations leaves the pool full once every handle is dropped, and the
    /// free counts always equal what the test does not hold.
    #[test]
    fn pool_accounting(ops in proptest::collection::vec(op(), 0..200)) {
        let p = pool(12, 5, 24);
        let mut events: Vec<DmusKernelEvent<_>> = Vec::new();
        let mut buffers = Vec::new();
        let mut chain = EventChain::new(p.clone());
        for op in ops {
            match op {
                Op::Get => { if let Ok(e) = p.get_message() { events.push(e) } }
                Op::GetBuffer => { if let Ok(b) = p.get_buffer() { buffers.push(b) } }
                Op::SetData(i, n) => if !events.is_empty() {
                    let len = events.len();
                    let r = events[i % len].set_data(&vec![0x55; n]);
                    prop_assert!(r.is_ok() || n > 24 || r == Err(Error::NoMemory));
                    if r.is_ok() { prop_assert_eq!(events[i % len].data(), &vec![0x55; n][..]); }
                }
                Op::Extend(i, n) => if !events.is_empty() {
                    let len = events.len();
                    let _ = events[i % len].extend_data(&vec![0x66; n]);
                }
                Op::Attach(i, n) => if !events.is_empty() && !buffers.is_empty() {
                    let len = events.len();
                    let b = buffers.pop().unwrap();
                    let _ = events[i % len].attach_buffer(b, n);
                }
                Op::PushToChain(i) => if !events.is_empty() {
                    let len = events.len();
                    let e = events.swap_remove(i % len);
                    chain.push_back(e).unwrap();
                }
                Op::PopChain => { if let Some(e) = chain.pop_front() { events.push(e) } }
                Op::Package(i) => if !events.is_empty() {
                    let len = events.len();
                    let c = std::mem::replace(&mut chain, EventChain::new(p.clone()));
                    events[i % len].set_package(c).unwrap();
                }
                Op::Unpackage(i) => if !events.is_empty() {
                    let len = events.len();
                    if let Some(c) = events[i % len].take_package() {
                        chain.append(c).unwrap();
                    }
                }
                Op::DropEvent(i) => if !events.is_empty() {
                    let len = events.len();
                    events.swap_remove(i % len);
                }
                Op::DropBuffer(i) => if !buffers.is_empty() {
                    let len = buffers.len();
                    buffers.swap_remove(i % len);
                }
                Op::SplitChain => { if let Some(e) = chain.pop_front_unpacked() { events.push(e) } }
            }
            // Count what the test holds: events (with package members) and buffers.
            fn count<S: dmus::PoolStorage>(e: dmus::EventRef<'_, S>, ev: &mut usize, bufs: &mut usize) {
                *ev += 1;
                if e.data().len() > INLINE_CAPACITY { *bufs += 1; }
                for m in e.package_iter() { count(m, ev, bufs); }
            }
            let (mut ev, mut bufs) = (0, buffers.len());
            for e in &events { count(e.as_event_ref(), &mut ev, &mut bufs); }
            for e in chain.iter() { count(e, &mut ev, &mut bufs); }
            prop_assert_eq!(p.free_events(), 12 - ev);
            prop_assert_eq!(p.free_buffers(), 5 - bufs);
        }
        drop(events);
        drop(buffers);
        drop(chain);
        prop_assert!(p.is_full());
    }
}

#[test]
fn slot_sizes_stay_small() {
    // The kernel sizes pools from module parameters; keep the per-event cost visible.
    assert!(
        std::mem::size_of::<dmus::EventSlot>() <= 48,
        "{}",
        std::mem::size_of::<dmus::EventSlot>()
    );
    assert_eq!(std::mem::size_of::<dmus::BufferSlot>(), 4);
    assert_eq!(std::mem::size_of::<dmus::ByteCell>(), 1);
}
