// SPDX-License-Identifier: GPL-2.0

//! A small safe layer over one ALSA capture PCM (include/sound/pcm.h): the
//! wave output of a software-synthesizer miniport.
//!
//! Linux 7.2 has no Rust PCM abstraction. `rust/pcm.c` creates a capture PCM
//! (S16_LE, 2 channels, one rate, a vmalloc buffer the PCM core manages)
//! whose `snd_pcm_ops` call a [`PcmOps`] trait object with a
//! [`PcmSubstream`]. The driver writes frames into the substream's buffer
//! with [`PcmSubstream::write_bytes`] (bounds-checked) and reports progress
//! with [`PcmSubstream::period_elapsed`].

use crate::glue::{self, SndCard, SndPcm, SndPcmSubstream};
use core::ptr::NonNull;
use kernel::{error::to_result, ffi, prelude::*, sync::Arc};

/// Bytes of one frame: S16_LE, 2 channels.
pub(crate) const FRAME_BYTES: usize = 4;

/// The capture substream, between its `open` and its `close`.
///
/// # Invariants
///
/// Only the ops callbacks create one, and they hand it only to a [`PcmOps`]
/// implementation, whose safety contract is to keep it only until `close`
/// returns for it, and to use [`PcmSubstream::write_bytes`] and
/// [`PcmSubstream::period_elapsed`] only between a `trigger(true)` and the
/// matching `trigger(false)` (while the buffer of the last `prepare` is in
/// place): while it exists, it points to an open substream.
#[derive(Clone, Copy)]
pub(crate) struct PcmSubstream(NonNull<SndPcmSubstream>);

// SAFETY: The calls below may run in any context; the buffer writes follow
// the ops' rule (between the triggers), which the implementation's lock
// serialises with `trigger`.
unsafe impl Send for PcmSubstream {}
// SAFETY: As above.
unsafe impl Sync for PcmSubstream {}

/// The substream's buffer as `prepare` found it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PcmBuffer {
    /// Frames in the buffer.
    pub(crate) frames: usize,
    /// Frames in one period.
    pub(crate) period: usize,
}

impl PcmSubstream {
    /// The buffer's size and period in frames. Valid from `prepare` on.
    pub(crate) fn buffer(&self) -> PcmBuffer {
        let (mut frames, mut period) = (0, 0);
        // SAFETY: The type invariant: the substream is open; the out
        // pointers are valid.
        unsafe { glue::dmus_glue_pcm_buffer(self.0.as_ptr(), &mut frames, &mut period) };
        PcmBuffer { frames, period }
    }

    /// Copies `bytes` (whole S16_LE stereo frames, [`FRAME_BYTES`] each)
    /// into the buffer from frame `at` on, wrapping at its end; at most one
    /// buffer's worth is written. Only between `trigger(true)` and
    /// `trigger(false)` (the [`PcmOps`] rule).
    pub(crate) fn write_bytes(&self, at: usize, bytes: &[u8]) {
        let (mut frames, mut period) = (0, 0);
        // SAFETY: The type invariant: the substream is open; the out
        // pointers are valid.
        let area = unsafe { glue::dmus_glue_pcm_buffer(self.0.as_ptr(), &mut frames, &mut period) };
        if area.is_null() || frames == 0 {
            return;
        }
        let area = area.cast::<u8>();
        let mut at = at % frames;
        let mut rest = &bytes[..(bytes.len() / FRAME_BYTES).min(frames) * FRAME_BYTES];
        while !rest.is_empty() {
            let n = (frames - at).min(rest.len() / FRAME_BYTES);
            // SAFETY: `area` is the running substream's buffer of `frames`
            // frames of `FRAME_BYTES` bytes (the type invariant and the ops'
            // rule: the buffer stays in place while running); `at + n <=
            // frames`, so the copy stays inside it, and `rest` holds at least
            // `n` frames.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    rest.as_ptr(),
                    area.add(at * FRAME_BYTES),
                    n * FRAME_BYTES,
                )
            };
            rest = &rest[n * FRAME_BYTES..];
            at = 0;
        }
    }

    /// Tells ALSA a period was filled (`snd_pcm_period_elapsed`); ALSA reads
    /// the position with `pointer` and may stop the stream (an overrun), which
    /// calls `trigger(false)`. Never call it with a lock `trigger` takes.
    pub(crate) fn period_elapsed(&self) {
        // SAFETY: The type invariant: the substream is open and running.
        unsafe { glue::snd_pcm_period_elapsed(self.0.as_ptr()) };
    }
}

/// What the capture PCM's `snd_pcm_ops` do.
///
/// # Safety
///
/// A [`PcmSubstream`] given to a method may be kept only until `close`
/// returns for it (ALSA frees it after), and its buffer may be written, and
/// `period_elapsed` called, only between `trigger(true)` and the next
/// `trigger(false)`: implementations must serialise those calls with
/// `trigger` (a lock `trigger` takes) and not hold that lock across
/// `period_elapsed`.
pub(crate) unsafe trait PcmOps: Send + Sync {
    /// A capture opens (process context).
    fn open(&self, substream: PcmSubstream) -> Result;
    /// It closes (process context); the substream must not be used after.
    fn close(&self, substream: PcmSubstream);
    /// The buffer is set up: start from position 0 (process context).
    fn prepare(&self, substream: PcmSubstream) -> Result;
    /// Start (`up`) or stop capturing (atomic context: the PCM stream lock is
    /// held, interrupts off).
    fn trigger(&self, substream: PcmSubstream, up: bool);
    /// The position in the buffer up to which frames are written, in frames
    /// (atomic context).
    fn pointer(&self, substream: PcmSubstream) -> usize;
}

/// Keeps the ops of a PCM alive as long as its card.
pub(crate) struct PcmHolder {
    ops: Arc<dyn PcmOps>,
}

impl PcmHolder {
    /// Boxes `ops` for [`add_pcm`].
    pub(crate) fn new(ops: Arc<dyn PcmOps>) -> Result<KBox<Self>> {
        Ok(KBox::new(Self { ops }, GFP_KERNEL)?)
    }
}

/// Adds the capture PCM named `name` at `rate` frames a second to `card`.
///
/// Errors: as `snd_pcm_new` (`-ENOMEM`).
///
/// # Safety
///
/// `card` must be live and not yet registered, and `holder` must outlive the
/// card (be dropped after `snd_card_free`).
pub(crate) unsafe fn add_pcm(
    card: *mut SndCard,
    name: &CStr,
    rate: u32,
    holder: &PcmHolder,
) -> Result<NonNull<SndPcm>> {
    let data = core::ptr::from_ref::<PcmHolder>(holder).cast_mut().cast();
    let mut pcm = core::ptr::null_mut();
    // SAFETY: See the function's safety section; `name` is a C string the
    // call copies.
    to_result(unsafe { glue::dmus_glue_pcm_new(card, name.as_char_ptr(), data, rate, &mut pcm) })?;
    NonNull::new(pcm).ok_or(ENOMEM)
}

/// Recovers the ops from the callbacks' `data`.
///
/// # Safety
///
/// `data` must be the `PcmHolder` pointer given to `dmus_glue_pcm_new`, whose
/// card is not yet freed.
unsafe fn ops<'a>(data: *mut ffi::c_void) -> &'a dyn PcmOps {
    // SAFETY: See the function's safety section.
    let holder = unsafe { &*data.cast::<PcmHolder>() };
    &*holder.ops
}

/// `snd_pcm_ops.open`, from pcm.c.
///
/// # Safety
///
/// Called by pcm.c only, with the PCM's `data` and an opening substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_pcm_open(
    data: *mut ffi::c_void,
    substream: *mut SndPcmSubstream,
) -> ffi::c_int {
    let Some(substream) = NonNull::new(substream) else {
        return EINVAL.to_errno();
    };
    // SAFETY: See the function's safety section.
    match unsafe { ops(data) }.open(PcmSubstream(substream)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `snd_pcm_ops.close`, from pcm.c.
///
/// # Safety
///
/// Called by pcm.c only, with the PCM's `data` and a closing substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_pcm_close(data: *mut ffi::c_void, substream: *mut SndPcmSubstream) {
    if let Some(substream) = NonNull::new(substream) {
        // SAFETY: See the function's safety section.
        unsafe { ops(data) }.close(PcmSubstream(substream));
    }
}

/// `snd_pcm_ops.prepare`, from pcm.c.
///
/// # Safety
///
/// Called by pcm.c only, with the PCM's `data` and an open substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_pcm_prepare(
    data: *mut ffi::c_void,
    substream: *mut SndPcmSubstream,
) -> ffi::c_int {
    let Some(substream) = NonNull::new(substream) else {
        return EINVAL.to_errno();
    };
    // SAFETY: See the function's safety section.
    match unsafe { ops(data) }.prepare(PcmSubstream(substream)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `snd_pcm_ops.trigger` (start/resume, stop/suspend), from pcm.c.
///
/// # Safety
///
/// Called by pcm.c only, with the PCM's `data` and an open substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_pcm_trigger(
    data: *mut ffi::c_void,
    substream: *mut SndPcmSubstream,
    up: ffi::c_int,
) {
    if let Some(substream) = NonNull::new(substream) {
        // SAFETY: See the function's safety section.
        unsafe { ops(data) }.trigger(PcmSubstream(substream), up != 0);
    }
}

/// `snd_pcm_ops.pointer`, from pcm.c.
///
/// # Safety
///
/// Called by pcm.c only, with the PCM's `data` and an open substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_pcm_pointer(
    data: *mut ffi::c_void,
    substream: *mut SndPcmSubstream,
) -> ffi::c_ulong {
    let Some(substream) = NonNull::new(substream) else {
        return 0;
    };
    // SAFETY: See the function's safety section.
    unsafe { ops(data) }.pointer(PcmSubstream(substream)) as ffi::c_ulong
}

// The callbacks above are the ones `glue.h` declares.
crate::glue::check_c_signature! {
    snd_dmus_pcm_open => snd_dmus_pcm_open,
    snd_dmus_pcm_close => snd_dmus_pcm_close,
    snd_dmus_pcm_prepare => snd_dmus_pcm_prepare,
    snd_dmus_pcm_trigger => snd_dmus_pcm_trigger,
    snd_dmus_pcm_pointer => snd_dmus_pcm_pointer,
}
