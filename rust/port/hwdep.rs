// SPDX-License-Identifier: GPL-2.0

//! A small safe layer over an ALSA hwdep device (include/sound/hwdep.h): the
//! card's DMus device, whose `snd_hwdep_ops` call a [`HwdepOps`] trait object.
//!
//! The hwdep core gives `read` and `write` no `struct file`; the C side
//! (`rust/glue.c`) gives every open file a slot number from
//! [`HwdepOps::open`] and keeps it in the file position, which the device
//! makes unchangeable (not seekable, no `pread`/`pwrite`), and gives the
//! open file its own `read` and `write`, which take the slot from the file
//! (not from the offset a caller such as io_uring names). Every callback
//! gets that slot.

use crate::glue;
use kernel::{
    bindings, ffi,
    fs::File,
    prelude::*,
    sync::{poll::PollTable, Arc},
    uaccess::{UserPtr, UserSlice, UserSliceReader, UserSliceWriter},
};

/// `EPOLLIN` (include/uapi/linux/eventpoll.h).
pub(crate) const POLLIN: u32 = 0x0001;
/// `EPOLLOUT`.
pub(crate) const POLLOUT: u32 = 0x0004;
/// `EPOLLERR`.
pub(crate) const POLLERR: u32 = 0x0008;
/// `EPOLLHUP`.
pub(crate) const POLLHUP: u32 = 0x0010;
/// `EPOLLRDNORM`.
pub(crate) const POLLRDNORM: u32 = 0x0040;
/// `EPOLLWRNORM`.
pub(crate) const POLLWRNORM: u32 = 0x0100;

/// What the hwdep device's `snd_hwdep_ops` do. Every method runs in process
/// context and may sleep, except where it says otherwise.
pub(crate) trait HwdepOps: Send + Sync {
    /// A file is opened, for writing when `writer`; returns its slot.
    /// An error is returned to the application's `open`.
    fn open(&self, writer: bool, nonblock: bool) -> Result<usize>;
    /// The file of `slot` is closed; the slot is free afterwards.
    fn release(&self, slot: usize);
    /// `read()`: fills `out`; returns the bytes written.
    fn read(&self, slot: usize, out: UserSliceWriter) -> Result<usize>;
    /// `write()`: takes the bytes of `input`; returns how many it took.
    fn write(&self, slot: usize, input: UserSliceReader) -> Result<usize>;
    /// `poll()`: registers `table` with the device's wait queues and returns
    /// the `EPOLL*` mask of what the file can do now.
    fn poll(&self, slot: usize, file: &File, table: &PollTable<'_>) -> u32;
    /// `ioctl()` with command `cmd` and argument `arg` (a user address for
    /// the commands that take one). `-ENOTTY` for an unknown command.
    fn ioctl(&self, slot: usize, cmd: u32, arg: usize) -> Result<i32>;
}

/// Frees the DMus files' operations (made by the first open, in glue.c)
/// when dropped: the module's last field, dropped once no device (and so no
/// file) is left.
pub(crate) struct HwdepFops;

impl Drop for HwdepFops {
    fn drop(&mut self) {
        // SAFETY: Dropped at unload, after every device is gone: every file
        // of the module's hwdep devices is closed (each held the module).
        unsafe { glue::dmus_glue_hwdep_exit() };
    }
}

/// Where the C callbacks find the trait object.
pub(crate) struct HwdepHolder {
    ops: Arc<dyn HwdepOps>,
}

/// Adds the DMus hwdep device (hwdep 0, id "DMus") to `card`, served by the
/// ops in `holder`, which must outlive the card.
///
/// # Safety
///
/// `card` must be a live card that is not yet registered; `holder` must stay
/// at its address until the card is freed.
pub(crate) unsafe fn add_hwdep(
    card: *mut glue::SndCard,
    name: &CStr,
    holder: &HwdepHolder,
) -> Result {
    let data = core::ptr::from_ref::<HwdepHolder>(holder).cast_mut().cast();
    let mut hw = core::ptr::null_mut();
    // SAFETY: The caller guarantees `card` is live; `data` lives as long as
    // the card (the caller's promise); the name is copied.
    kernel::error::to_result(unsafe {
        glue::dmus_glue_hwdep_new(card, name.as_char_ptr(), data, &mut hw)
    })
}

impl HwdepHolder {
    /// A holder for `ops`; `-ENOMEM` on allocation failure.
    pub(crate) fn new(ops: Arc<dyn HwdepOps>) -> Result<KBox<Self>> {
        Ok(KBox::new(Self { ops }, GFP_KERNEL)?)
    }
}

/// Recovers the ops from the callbacks' `data`.
///
/// # Safety
///
/// `data` must be the `HwdepHolder` pointer given to `add_hwdep`, whose card
/// is not yet freed.
unsafe fn ops<'a>(data: *mut ffi::c_void) -> &'a dyn HwdepOps {
    // SAFETY: See the function's safety section.
    let holder = unsafe { &*data.cast::<HwdepHolder>() };
    &*holder.ops
}

/// The slot number of a file position; `-EBADF` for one no open gave.
fn slot(pos: i64) -> Result<usize> {
    usize::try_from(pos).map_err(|_| EBADF)
}

fn to_long(r: Result<usize>) -> ffi::c_long {
    match r {
        Ok(n) => ffi::c_long::try_from(n).unwrap_or(ffi::c_long::MAX),
        Err(e) => e.to_errno() as ffi::c_long,
    }
}

/// `snd_hwdep_ops.open`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the hwdep's `data`.
#[no_mangle]
unsafe extern "C" fn snd_dmus_hwdep_open(
    data: *mut ffi::c_void,
    writer: bool,
    nonblock: bool,
) -> ffi::c_int {
    // SAFETY: See the function's safety section.
    match unsafe { ops(data) }.open(writer, nonblock) {
        Ok(slot) => ffi::c_int::try_from(slot).unwrap_or(ffi::c_int::MAX),
        Err(e) => e.to_errno(),
    }
}

/// `snd_hwdep_ops.release`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the hwdep's `data` and the closing file's slot.
#[no_mangle]
unsafe extern "C" fn snd_dmus_hwdep_release(data: *mut ffi::c_void, pos: i64) {
    if let Ok(slot) = slot(pos) {
        // SAFETY: See the function's safety section.
        unsafe { ops(data) }.release(slot);
    }
}

/// `snd_hwdep_ops.read`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the hwdep's `data`, a file's slot and the
/// user buffer of its `read()`.
#[no_mangle]
unsafe extern "C" fn snd_dmus_hwdep_read(
    data: *mut ffi::c_void,
    pos: i64,
    buf: *mut ffi::c_char,
    count: ffi::c_long,
) -> ffi::c_long {
    let len = usize::try_from(count).unwrap_or(0);
    let out = UserSlice::new(UserPtr::from_ptr(buf.cast()), len).writer();
    // SAFETY: See the function's safety section.
    to_long(slot(pos).and_then(|s| unsafe { ops(data) }.read(s, out)))
}

/// `snd_hwdep_ops.write`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the hwdep's `data`, a file's slot and the
/// user buffer of its `write()`.
#[no_mangle]
unsafe extern "C" fn snd_dmus_hwdep_write(
    data: *mut ffi::c_void,
    pos: i64,
    buf: *const ffi::c_char,
    count: ffi::c_long,
) -> ffi::c_long {
    let len = usize::try_from(count).unwrap_or(0);
    let input = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), len).reader();
    // SAFETY: See the function's safety section.
    to_long(slot(pos).and_then(|s| unsafe { ops(data) }.write(s, input)))
}

/// `snd_hwdep_ops.poll`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the hwdep's `data`, a file's slot, that open
/// file and the `poll_table` of the `poll()` call (or null).
#[no_mangle]
unsafe extern "C" fn snd_dmus_hwdep_poll(
    data: *mut ffi::c_void,
    pos: i64,
    file: *mut bindings::file,
    wait: *mut bindings::poll_table,
) -> ffi::c_uint {
    let Ok(slot) = slot(pos) else {
        return POLLERR;
    };
    // SAFETY: `file` is the open file being polled, valid for this call.
    let file = unsafe { File::from_raw_file(file) };
    // SAFETY: `wait` is null or the caller's valid poll table for this call.
    let table = unsafe { PollTable::from_raw(wait) };
    // SAFETY: See the function's safety section.
    unsafe { ops(data) }.poll(slot, file, &table)
}

/// `snd_hwdep_ops.ioctl` (and `ioctl_compat`: the structures have one
/// layout), from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the hwdep's `data` and a file's slot.
#[no_mangle]
unsafe extern "C" fn snd_dmus_hwdep_ioctl(
    data: *mut ffi::c_void,
    pos: i64,
    cmd: ffi::c_uint,
    arg: ffi::c_ulong,
) -> ffi::c_int {
    // SAFETY: See the function's safety section.
    match slot(pos).and_then(|s| unsafe { ops(data) }.ioctl(s, cmd, arg)) {
        Ok(n) => n,
        Err(e) => e.to_errno(),
    }
}

// The callbacks above are the ones `glue.h` declares.
crate::glue::check_c_signature! {
    snd_dmus_hwdep_open => snd_dmus_hwdep_open,
    snd_dmus_hwdep_release => snd_dmus_hwdep_release,
    snd_dmus_hwdep_read => snd_dmus_hwdep_read,
    snd_dmus_hwdep_write => snd_dmus_hwdep_write,
    snd_dmus_hwdep_poll => snd_dmus_hwdep_poll,
    snd_dmus_hwdep_ioctl => snd_dmus_hwdep_ioctl,
}
