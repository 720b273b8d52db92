// SPDX-License-Identifier: GPL-2.0

//! A small safe layer over one ALSA capture PCM (include/sound/pcm.h): the
//! wave output of a software-synthesizer miniport.
//!
//! Linux 7.2 has no Rust PCM abstraction. `rust/pcm.c` creates a capture PCM
//! (S16_LE, 2 channels, one rate, a vmalloc buffer the PCM core manages)
//! whose `snd_pcm_ops` call a [`PcmOps`] trait object. The substream is
//! kept by this layer in a [`PcmLink`]; the driver writes frames into its
//! buffer while it runs with [`PcmLink::with_running`] and
//! [`RunningPcm::write_bytes`] (bounds-checked) and reports progress with
//! [`PcmLink::period_elapsed`].

use super::irqlock::{new_spinlock_irq, SpinLockIrq};
use crate::glue::{self, SndCard, SndPcm, SndPcmSubstream};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    error::to_result,
    ffi,
    prelude::*,
    sync::Arc,
    time::{delay::fsleep, Delta},
};

/// Bytes of one frame: S16_LE, 2 channels.
pub(crate) const FRAME_BYTES: usize = 4;

/// The capture substream, borrowed for `'a`: for one callback of
/// [`PcmOps`], or inside [`PcmLink::with_running`]. It cannot be kept past
/// either, so no safe code can use it after ALSA's `close`.
///
/// # Invariants
///
/// `ptr` points to a substream that stays open for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct PcmSubstream<'a> {
    ptr: NonNull<SndPcmSubstream>,
    _open: PhantomData<&'a SndPcmSubstream>,
}

/// The substream's buffer as `prepare` found it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PcmBuffer {
    /// Frames in the buffer.
    pub(crate) frames: usize,
    /// Frames in one period.
    pub(crate) period: usize,
}

impl PcmSubstream<'_> {
    /// # Safety
    ///
    /// `ptr` must point to a substream that stays open for the returned
    /// lifetime.
    unsafe fn from_raw<'a>(ptr: NonNull<SndPcmSubstream>) -> PcmSubstream<'a> {
        // INVARIANT: The caller's promise.
        PcmSubstream {
            ptr,
            _open: PhantomData,
        }
    }

    /// The buffer's size and period in frames. Valid from `prepare` on.
    pub(crate) fn buffer(&self) -> PcmBuffer {
        let (mut frames, mut period) = (0, 0);
        // SAFETY: The type invariant: the substream is open; the out
        // pointers are valid.
        unsafe { glue::dmus_glue_pcm_buffer(self.ptr.as_ptr(), &mut frames, &mut period) };
        PcmBuffer { frames, period }
    }
}

/// The capture substream while it runs (between the start and stop
/// triggers, so its buffer is in place), borrowed inside
/// [`PcmLink::with_running`].
pub(crate) struct RunningPcm<'a>(PcmSubstream<'a>);

impl RunningPcm<'_> {
    /// Copies `bytes` (whole S16_LE stereo frames, [`FRAME_BYTES`] each)
    /// into the buffer from frame `at` on, wrapping at its end; at most one
    /// buffer's worth is written.
    pub(crate) fn write_bytes(&self, at: usize, bytes: &[u8]) {
        let (mut frames, mut period) = (0, 0);
        // SAFETY: The type invariant: the substream is open; the out
        // pointers are valid.
        let area =
            unsafe { glue::dmus_glue_pcm_buffer(self.0.ptr.as_ptr(), &mut frames, &mut period) };
        if area.is_null() || frames == 0 {
            return;
        }
        let area = area.cast::<u8>();
        let mut at = at % frames;
        let mut rest = &bytes[..(bytes.len() / FRAME_BYTES).min(frames) * FRAME_BYTES];
        while !rest.is_empty() {
            let n = (frames - at).min(rest.len() / FRAME_BYTES);
            // SAFETY: `area` is the running substream's buffer of `frames`
            // frames of `FRAME_BYTES` bytes (it stays in place while the
            // stream runs, which the link's lock keeps true meanwhile);
            // `at + n <= frames`, so the copy stays inside it, and `rest`
            // holds at least `n` frames.
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
}

/// An open substream's address, kept by a [`PcmLink`].
struct Open(NonNull<SndPcmSubstream>);

// SAFETY: Only an address; it is used (as a `PcmSubstream`) under the link's
// lock or while counted in `elapsing`, and the calls may run in any context.
unsafe impl Send for Open {}

struct PcmLinkState {
    open: Option<Open>,
    /// Between the start and the stop trigger.
    running: bool,
    /// `period_elapsed` calls in progress, outside the lock.
    elapsing: u32,
}

/// The capture substream as this layer keeps it: set before the driver's
/// `open`, cleared after its `close` (which then waits for a
/// [`Self::period_elapsed`] in progress), marked running between the start
/// and stop triggers, all under an IRQ-safe lock. The driver writes frames
/// with [`Self::with_running`] and reports periods with
/// [`Self::period_elapsed`]; it never holds the substream itself.
#[pin_data]
pub(crate) struct PcmLink {
    #[pin]
    state: SpinLockIrq<PcmLinkState>,
}

impl PcmLink {
    /// A link with no substream open. `-ENOMEM`.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                state <- new_spinlock_irq!(
                    PcmLinkState { open: None, running: false, elapsing: 0 },
                    c"dmus_pcm_link"
                ),
            }),
            GFP_KERNEL,
        )
    }

    /// Runs `f` with the substream when it is running (`None` otherwise),
    /// holding the link's lock (IRQ-safe: `f` must not sleep, nor call
    /// [`Self::period_elapsed`]). Any context.
    pub(crate) fn with_running<R>(&self, f: impl FnOnce(Option<RunningPcm<'_>>) -> R) -> R {
        let st = self.state.lock();
        let running = match (&st.open, st.running) {
            // SAFETY: An open substream stays in the link until the close
            // callback clears it under this lock: open while `st` lives.
            (Some(open), true) => Some(RunningPcm(unsafe { PcmSubstream::from_raw(open.0) })),
            _ => None,
        };
        f(running)
    }

    /// Tells ALSA a period was filled (`snd_pcm_period_elapsed`), when the
    /// substream is open; ALSA reads the position with `pointer` and may stop
    /// the stream (an overrun), which calls `trigger(false)`. Any context,
    /// with no lock held that `trigger` or `pointer` takes.
    pub(crate) fn period_elapsed(&self) {
        let ptr = {
            let mut st = self.state.lock();
            let Some(open) = &st.open else {
                return;
            };
            let ptr = open.0;
            st.elapsing += 1;
            ptr
        };
        // SAFETY: Counted in `elapsing`, the substream stays open: the close
        // callback waits for the count to drop to 0 before ALSA frees it.
        unsafe { glue::snd_pcm_period_elapsed(ptr.as_ptr()) };
        self.state.lock().elapsing -= 1;
    }
}

/// What the capture PCM's `snd_pcm_ops` do. The substream is in the PCM's
/// [`PcmLink`] from before `open` until after `close`, running between the
/// triggers.
pub(crate) trait PcmOps: Send + Sync {
    /// A capture opens (process context).
    fn open(&self) -> Result;
    /// It closes (process context).
    fn close(&self);
    /// The buffer is set up: start from position 0 (process context).
    fn prepare(&self, substream: PcmSubstream<'_>) -> Result;
    /// Start (`up`) or stop capturing (atomic context: the PCM stream lock is
    /// held, interrupts off).
    fn trigger(&self, up: bool);
    /// The position in the buffer up to which frames are written, in frames
    /// (atomic context).
    fn pointer(&self) -> usize;
}

/// Keeps the ops of a PCM and its link alive as long as its card.
pub(crate) struct PcmHolder {
    ops: Arc<dyn PcmOps>,
    link: Arc<PcmLink>,
}

impl PcmHolder {
    /// Boxes `ops` and the `link` its substream goes to for [`add_pcm`].
    pub(crate) fn new(ops: Arc<dyn PcmOps>, link: Arc<PcmLink>) -> Result<KBox<Self>> {
        Ok(KBox::new(Self { ops, link }, GFP_KERNEL)?)
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

/// Recovers the holder from the callbacks' `data`.
///
/// # Safety
///
/// `data` must be the `PcmHolder` pointer given to `dmus_glue_pcm_new`, whose
/// card is not yet freed.
unsafe fn holder<'a>(data: *mut ffi::c_void) -> &'a PcmHolder {
    // SAFETY: See the function's safety section.
    unsafe { &*data.cast::<PcmHolder>() }
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
    let holder = unsafe { holder(data) };
    {
        let mut st = holder.link.state.lock();
        if st.open.is_some() {
            return EBUSY.to_errno();
        }
        // The substream is open from here until its close callback returns.
        st.open = Some(Open(substream));
        st.running = false;
    }
    match holder.ops.open() {
        Ok(()) => 0,
        Err(e) => {
            holder.link.state.lock().open = None;
            e.to_errno()
        }
    }
}

/// `snd_pcm_ops.close`, from pcm.c.
///
/// # Safety
///
/// Called by pcm.c only, with the PCM's `data` and a closing substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_pcm_close(data: *mut ffi::c_void, _substream: *mut SndPcmSubstream) {
    // SAFETY: See the function's safety section.
    let holder = unsafe { holder(data) };
    holder.ops.close();
    {
        let mut st = holder.link.state.lock();
        st.open = None;
        st.running = false;
    }
    // ALSA frees the substream after this returns: wait for a
    // `period_elapsed` still using it (the driver stopped its own callers).
    while holder.link.state.lock().elapsing > 0 {
        fsleep(Delta::from_micros(100));
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
    // SAFETY: The substream is open for the whole callback.
    let substream = unsafe { PcmSubstream::from_raw(substream) };
    // SAFETY: See the function's safety section.
    match unsafe { holder(data) }.ops.prepare(substream) {
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
    _substream: *mut SndPcmSubstream,
    up: ffi::c_int,
) {
    // SAFETY: See the function's safety section.
    let holder = unsafe { holder(data) };
    // Stopped before the driver hears of it, started after: the buffer is
    // written only while both say running.
    if up == 0 {
        holder.link.state.lock().running = false;
    }
    holder.ops.trigger(up != 0);
    if up != 0 {
        holder.link.state.lock().running = true;
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
    _substream: *mut SndPcmSubstream,
) -> ffi::c_ulong {
    // SAFETY: See the function's safety section.
    unsafe { holder(data) }.ops.pointer() as ffi::c_ulong
}

// The callbacks above are the ones `glue.h` declares.
crate::glue::check_c_signature! {
    snd_dmus_pcm_open => snd_dmus_pcm_open,
    snd_dmus_pcm_close => snd_dmus_pcm_close,
    snd_dmus_pcm_prepare => snd_dmus_pcm_prepare,
    snd_dmus_pcm_trigger => snd_dmus_pcm_trigger,
    snd_dmus_pcm_pointer => snd_dmus_pcm_pointer,
}

// Misuse that must not compile (`scripts/check.sh`, `make
// DMUS_MISUSE=keep_pcm`): the running substream cannot leave the closure.
#[cfg(dmus_misuse_keep_pcm)]
fn keep_running(link: &PcmLink) -> Option<RunningPcm<'static>> {
    link.with_running(|running| running)
}
