// SPDX-License-Identifier: GPL-2.0

//! An interrupt-safe spinlock: `spin_lock_irqsave` as a lock backend.
//!
//! Linux 7.2's Rust `SpinLock` takes `spin_lock`, which deadlocks when the
//! same lock is also taken from a hard interrupt on the same CPU. The MPU-401
//! state is touched from the hard IRQ half, the service tasklet, hrtimers and
//! process context, so it is guarded by this lock instead. It plugs into the
//! kernel's generic [`Lock`] (guards, lockdep class), only the backend is ours.
//!
//! Source: include/linux/spinlock.h (`spin_lock_irqsave`), rust/kernel/sync/lock.rs.

use crate::glue;
use kernel::{bindings, ffi, sync::lock::Backend, sync::lock::Lock};

/// A spinlock taken with interrupts disabled on the local CPU.
pub(crate) type SpinLockIrq<T> = Lock<T, SpinLockIrqBackend>;

/// The `spin_lock_irqsave` backend of [`SpinLockIrq`].
pub(crate) struct SpinLockIrqBackend;

/// Creates a [`SpinLockIrq`] initialiser with a static lockdep class.
macro_rules! new_spinlock_irq {
    ($inner:expr, $name:literal) => {
        $crate::port::irqlock::SpinLockIrq::new($inner, $name, ::kernel::static_lock_class!())
    };
}
pub(crate) use new_spinlock_irq;

// SAFETY: The kernel `spinlock_t` gives mutual exclusion; `relock` uses the
// default implementation, which calls `lock`, the same method.
unsafe impl Backend for SpinLockIrqBackend {
    type State = bindings::spinlock_t;
    /// The saved interrupt flags.
    type GuardState = ffi::c_ulong;

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const ffi::c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: The caller guarantees `ptr` is valid for writes and that
        // `name` and `key` live forever.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees `ptr` is an initialised spinlock.
        unsafe { glue::dmus_glue_spin_lock_irqsave(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        let mut flags = 0;
        // SAFETY: The caller guarantees `ptr` is an initialised spinlock;
        // `flags` is a valid place to store the saved flags.
        let locked = unsafe { glue::dmus_glue_spin_trylock_irqsave(ptr, &mut flags) };
        (locked != 0).then_some(flags)
    }

    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        // SAFETY: The caller owns the lock, taken by `lock` or `try_lock`,
        // which returned `guard_state`.
        unsafe { glue::dmus_glue_spin_unlock_irqrestore(ptr, *guard_state) }
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees `ptr` is an initialised spinlock.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}
