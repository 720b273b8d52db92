// SPDX-License-Identifier: GPL-2.0

//! A small safe layer over ALSA cards and rawmidi devices.
//!
//! Linux 7.2 has no Rust ALSA abstraction. This one covers what a rawmidi
//! driver needs (include/sound/core.h, include/sound/rawmidi.h): a card with
//! one duplex rawmidi device whose `snd_rawmidi_ops` call a [`RawmidiOps`]
//! trait object, and [`Substream`] handles with the transmit/receive calls;
//! the card also carries the DMus hwdep device of [`super::hwdep`].
//! The C side (ops tables, field access) is in `rust/glue.c`; the driver code
//! above this file holds no raw pointers.

use super::hwdep::{add_hwdep, HwdepHolder, HwdepOps};
use super::irqlock::{new_spinlock_irq, SpinLockIrq};
use super::pcm::{add_pcm, PcmHolder, PcmLink, PcmOps};
use crate::glue::{self, SndCard, SndRawmidi, SndRawmidiSubstream};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{device::Device, error::to_result, ffi, prelude::*, sync::Arc};

/// The direction of a substream (`SNDRV_RAWMIDI_STREAM_*`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Output: bytes from applications to the device.
    Output,
    /// Input: bytes from the device to applications.
    Input,
}

impl Direction {
    fn from_raw(stream: ffi::c_int) -> Self {
        if stream == 0 {
            Direction::Output
        } else {
            Direction::Input
        }
    }
}

/// A rawmidi substream, borrowed for `'a`: for one callback of
/// [`RawmidiOps`], or inside [`RawmidiLink::with_output`] and
/// [`RawmidiLink::with_input`]. It cannot be kept past either, so no safe
/// code can use it after ALSA's `close` (which frees it).
///
/// # Invariants
///
/// `ptr` points to a substream that stays open for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Substream<'a> {
    ptr: NonNull<SndRawmidiSubstream>,
    _open: PhantomData<&'a SndRawmidiSubstream>,
}

impl Substream<'_> {
    /// # Safety
    ///
    /// `ptr` must point to a substream that stays open for the returned
    /// lifetime.
    unsafe fn from_raw<'a>(ptr: NonNull<SndRawmidiSubstream>) -> Substream<'a> {
        // INVARIANT: The caller's promise.
        Substream {
            ptr,
            _open: PhantomData,
        }
    }

    /// Hands `bytes` received from the device to the applications
    /// (`snd_rawmidi_receive`); returns how many were taken (the rest were
    /// dropped and counted as an overrun by ALSA). Any context.
    pub(crate) fn receive(&self, bytes: &[u8]) -> usize {
        let count = ffi::c_int::try_from(bytes.len()).unwrap_or(ffi::c_int::MAX);
        // SAFETY: The type invariant: the substream is open; `bytes` is valid
        // for `count` bytes.
        let n = unsafe { glue::snd_rawmidi_receive(self.ptr.as_ptr(), bytes.as_ptr(), count) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Copies pending output bytes into `buf` without consuming them
    /// (`snd_rawmidi_transmit_peek`); 0 when none wait. Any context.
    pub(crate) fn transmit_peek(&self, buf: &mut [u8]) -> usize {
        let count = ffi::c_int::try_from(buf.len()).unwrap_or(ffi::c_int::MAX);
        // SAFETY: The type invariant: the substream is open; `buf` is valid
        // for `count` bytes.
        let n =
            unsafe { glue::snd_rawmidi_transmit_peek(self.ptr.as_ptr(), buf.as_mut_ptr(), count) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Consumes `count` output bytes returned by [`Self::transmit_peek`]
    /// (`snd_rawmidi_transmit_ack`). Any context.
    pub(crate) fn transmit_ack(&self, count: usize) {
        let count = ffi::c_int::try_from(count).unwrap_or(0);
        // SAFETY: The type invariant: the substream is open.
        unsafe { glue::snd_rawmidi_transmit_ack(self.ptr.as_ptr(), count) };
    }

    /// Output bytes waiting in ALSA's buffer. Called from `trigger(up)`, when
    /// the write path has finished copying, it counts only bytes that are
    /// really there (a user write publishes its bytes before copying them).
    pub(crate) fn output_pending(&self) -> usize {
        // SAFETY: The type invariant: the substream is open.
        let n = unsafe { glue::dmus_glue_output_pending(self.ptr.as_ptr()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Whether no output bytes wait (`snd_rawmidi_transmit_empty`).
    pub(crate) fn transmit_empty(&self) -> bool {
        // SAFETY: The type invariant: the substream is open.
        unsafe { glue::snd_rawmidi_transmit_empty(self.ptr.as_ptr()) != 0 }
    }
}

/// An open substream's address, kept by a [`RawmidiLink`].
struct Open(NonNull<SndRawmidiSubstream>);

// SAFETY: Only an address; it is used (as a `Substream`) under the link's
// lock, and the rawmidi calls may run in any context.
unsafe impl Send for Open {}

/// The open substreams of one card's rawmidi device, kept by this layer, not
/// by the driver: the C callbacks set each before calling
/// [`RawmidiOps::open`] and clear it after [`RawmidiOps::close`] returns (or
/// after a failed open), under an IRQ-safe lock. The driver reaches them only
/// through [`Self::with_output`] and [`Self::with_input`], holding that lock,
/// so a close waits for a user in another context and no use outlives it.
#[pin_data]
pub(crate) struct RawmidiLink {
    #[pin]
    output: SpinLockIrq<Option<Open>>,
    #[pin]
    input: SpinLockIrq<Option<Open>>,
}

impl RawmidiLink {
    /// A link with no substream open. `-ENOMEM`.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                output <- new_spinlock_irq!(None, c"dmus_rawmidi_output"),
                input <- new_spinlock_irq!(None, c"dmus_rawmidi_input"),
            }),
            GFP_KERNEL,
        )
    }

    fn slot(&self, dir: Direction) -> &SpinLockIrq<Option<Open>> {
        match dir {
            Direction::Output => &self.output,
            Direction::Input => &self.input,
        }
    }

    fn with<R>(&self, dir: Direction, f: impl FnOnce(Option<Substream<'_>>) -> R) -> R {
        let guard = self.slot(dir).lock();
        // SAFETY: A substream in the link is open until the close callback
        // clears it, which takes this lock: it stays open while `guard` lives,
        // which outlives the borrow `f` gets.
        let substream = guard.as_ref().map(|o| unsafe { Substream::from_raw(o.0) });
        f(substream)
    }

    /// Runs `f` with the open output substream (`None` when it is closed),
    /// holding the link's output lock (IRQ-safe: `f` must not sleep). Any
    /// context.
    pub(crate) fn with_output<R>(&self, f: impl FnOnce(Option<Substream<'_>>) -> R) -> R {
        self.with(Direction::Output, f)
    }

    /// As [`Self::with_output`], for the input substream.
    pub(crate) fn with_input<R>(&self, f: impl FnOnce(Option<Substream<'_>>) -> R) -> R {
        self.with(Direction::Input, f)
    }
}

/// What the rawmidi device's `snd_rawmidi_ops` do. The substream of a
/// direction is in the card's [`RawmidiLink`] from before `open` until after
/// `close`.
pub(crate) trait RawmidiOps: Send + Sync {
    /// A substream is opened (process context, may sleep). An error is
    /// returned to the application's `open`.
    fn open(&self, dir: Direction) -> Result;
    /// The substream is closed (process context, may sleep).
    fn close(&self, dir: Direction);
    /// Start (`up`) or stop moving data; atomic context, must not sleep.
    fn trigger(&self, dir: Direction, substream: Substream<'_>, up: bool);
    /// Wait until the output written so far has left the device (process
    /// context, after ALSA's own buffer has drained).
    fn drain(&self, substream: Substream<'_>);
}

/// Where the C callbacks find the trait object and the link.
struct OpsHolder {
    ops: Arc<dyn RawmidiOps>,
    link: Arc<RawmidiLink>,
}

/// An ALSA card with one duplex rawmidi device. Dropping it frees the card,
/// which waits until applications have closed it (`snd_card_free`).
pub(crate) struct Card {
    card: NonNull<SndCard>,
    _rmidi: NonNull<SndRawmidi>,
    _ops: KBox<OpsHolder>,
    _hwdep: KBox<HwdepHolder>,
    _pcm: Option<KBox<PcmHolder>>,
}

// SAFETY: The card is only freed (from any process context) by `drop`.
unsafe impl Send for Card {}
// SAFETY: `&self` methods only read the card number.
unsafe impl Sync for Card {}

/// Names of a card, as ALSA shows them in /proc/asound/cards.
pub(crate) struct CardNames<'a> {
    /// `card->driver`.
    pub(crate) driver: &'a CStr,
    /// `card->shortname`: the sequencer client's name too.
    pub(crate) shortname: &'a CStr,
    /// `card->longname`.
    pub(crate) longname: &'a CStr,
    /// The rawmidi device's name.
    pub(crate) rawmidi: &'a CStr,
    /// The DMus hwdep device's name.
    pub(crate) hwdep: &'a CStr,
}

/// What a card has beyond its rawmidi output and DMus device.
pub(crate) struct CardExtras<'a> {
    /// The rawmidi device has an input (duplex): a MIDI interface has one, a
    /// synthesizer does not.
    pub(crate) rawmidi_input: bool,
    /// A capture PCM.
    pub(crate) pcm: Option<CapturePcm<'a>>,
}

/// A capture PCM of a card.
pub(crate) struct CapturePcm<'a> {
    /// Its name.
    pub(crate) name: &'a CStr,
    /// Its rate, frames a second.
    pub(crate) rate: u32,
    /// What its `snd_pcm_ops` do.
    pub(crate) ops: Arc<dyn PcmOps>,
    /// Where its open substream is kept.
    pub(crate) link: Arc<PcmLink>,
}

impl Card {
    /// Creates and registers a card for `parent` with slot `index` (-1: the
    /// first free) and id `id`, one rawmidi device served by `ops`, whose
    /// open substreams go to `link` (the pair is one argument; duplex when
    /// `extras.rawmidi_input`), the DMus hwdep device served by `dmus`,
    /// and the capture PCM of `extras.pcm`.
    ///
    /// Errors: as `snd_card_new` (`-ENODEV` when no slot is free, `-EBUSY`
    /// when `index` is taken, `-ENOMEM`), `snd_rawmidi_new`, `snd_pcm_new`
    /// and `snd_card_register`.
    pub(crate) fn new(
        parent: &Device,
        index: i32,
        id: &CStr,
        names: &CardNames<'_>,
        (ops, link): (Arc<dyn RawmidiOps>, Arc<RawmidiLink>),
        dmus: Arc<dyn HwdepOps>,
        extras: CardExtras<'_>,
    ) -> Result<Self> {
        let holder = KBox::new(OpsHolder { ops, link }, GFP_KERNEL)?;
        let hwdep = HwdepHolder::new(dmus)?;
        let (pcm_name, pcm_rate, pcm) = match extras.pcm {
            Some(CapturePcm {
                name,
                rate,
                ops,
                link,
            }) => (name, rate, Some(PcmHolder::new(ops, link)?)),
            None => (c"", 0, None),
        };
        let parent = glue::DeviceRef::find(parent, false)?;
        let mut card = core::ptr::null_mut();
        // SAFETY: `parent` is a live device; `id` is a C string; `card` is a
        // valid place for the result.
        to_result(unsafe {
            glue::dmus_glue_card_new(parent.as_ptr(), index, id.as_char_ptr(), &mut card)
        })?;
        let card = NonNull::new(card).ok_or(ENOMEM)?;
        let free_on_error = |e: Error| {
            // SAFETY: `card` was created above and is not registered
            // anywhere else.
            unsafe { glue::snd_card_free(card.as_ptr()) };
            e
        };
        // SAFETY: `card` is live; the names are C strings the call copies.
        unsafe {
            glue::dmus_glue_card_set_names(
                card.as_ptr(),
                names.driver.as_char_ptr(),
                names.shortname.as_char_ptr(),
                names.longname.as_char_ptr(),
            )
        };
        let data = core::ptr::from_ref::<OpsHolder>(&holder).cast_mut().cast();
        let mut rmidi = core::ptr::null_mut();
        // SAFETY: `card` is live; `data` points to `holder`, which lives as
        // long as the card (it is freed after the card in `drop`).
        to_result(unsafe {
            glue::dmus_glue_rawmidi_new(
                card.as_ptr(),
                names.rawmidi.as_char_ptr(),
                data,
                extras.rawmidi_input,
                &mut rmidi,
            )
        })
        .map_err(free_on_error)?;
        let rmidi = NonNull::new(rmidi).ok_or(ENOMEM).map_err(free_on_error)?;
        // SAFETY: `card` is live and not registered; `hwdep` is freed after
        // the card (in `drop`).
        unsafe { add_hwdep(card.as_ptr(), names.hwdep, &hwdep) }.map_err(free_on_error)?;
        if let Some(pcm) = &pcm {
            // SAFETY: `card` is live and not registered; `pcm` is freed after
            // the card (in `drop`).
            unsafe { add_pcm(card.as_ptr(), pcm_name, pcm_rate, pcm) }.map_err(free_on_error)?;
        }
        // SAFETY: `card` is live and complete.
        to_result(unsafe { glue::snd_card_register(card.as_ptr()) }).map_err(free_on_error)?;
        Ok(Self {
            card,
            _rmidi: rmidi,
            _ops: holder,
            _hwdep: hwdep,
            _pcm: pcm,
        })
    }
}

impl Card {
    /// The card's number (`/dev/snd/controlC<number>`).
    pub(crate) fn number(&self) -> i32 {
        // SAFETY: `card` is live while `self` is.
        unsafe { glue::dmus_glue_card_number(self.card.as_ptr()) }
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        // SAFETY: `card` is live and owned; `snd_card_free` disconnects it and
        // waits until every file is closed, so no callback uses `_ops`,
        // `_hwdep` or `_pcm` after (they drop after this).
        unsafe { glue::snd_card_free(self.card.as_ptr()) };
    }
}

/// Recovers the holder from the callbacks' `data`.
///
/// # Safety
///
/// `data` must be the `OpsHolder` pointer given to `dmus_glue_rawmidi_new`,
/// whose card is not yet freed.
unsafe fn holder<'a>(data: *mut ffi::c_void) -> &'a OpsHolder {
    // SAFETY: See the function's safety section.
    unsafe { &*data.cast::<OpsHolder>() }
}

/// `snd_rawmidi_ops.open`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the card's `data` and an opening substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_rawmidi_open(
    data: *mut ffi::c_void,
    substream: *mut SndRawmidiSubstream,
    stream: ffi::c_int,
) -> ffi::c_int {
    let Some(substream) = NonNull::new(substream) else {
        return EINVAL.to_errno();
    };
    // SAFETY: See the function's safety section.
    let holder = unsafe { holder(data) };
    let dir = Direction::from_raw(stream);
    // The substream is open from here until its close callback returns.
    *holder.link.slot(dir).lock() = Some(Open(substream));
    match holder.ops.open(dir) {
        Ok(()) => 0,
        Err(e) => {
            *holder.link.slot(dir).lock() = None;
            e.to_errno()
        }
    }
}

/// `snd_rawmidi_ops.close`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the card's `data` and a closing substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_rawmidi_close(
    data: *mut ffi::c_void,
    _substream: *mut SndRawmidiSubstream,
    stream: ffi::c_int,
) -> ffi::c_int {
    // SAFETY: See the function's safety section.
    let holder = unsafe { holder(data) };
    let dir = Direction::from_raw(stream);
    holder.ops.close(dir);
    // Waits for a user holding the link; ALSA frees the substream after.
    *holder.link.slot(dir).lock() = None;
    0
}

/// `snd_rawmidi_ops.trigger`, from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the card's `data` and an open substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_rawmidi_trigger(
    data: *mut ffi::c_void,
    substream: *mut SndRawmidiSubstream,
    stream: ffi::c_int,
    up: ffi::c_int,
) {
    if let Some(substream) = NonNull::new(substream) {
        // SAFETY: The substream is open for the whole callback.
        let substream = unsafe { Substream::from_raw(substream) };
        // SAFETY: See the function's safety section.
        unsafe { holder(data) }
            .ops
            .trigger(Direction::from_raw(stream), substream, up != 0);
    }
}

/// `snd_rawmidi_ops.drain` (output only), from glue.c.
///
/// # Safety
///
/// Called by glue.c only, with the card's `data` and an open substream.
#[no_mangle]
unsafe extern "C" fn snd_dmus_rawmidi_drain(
    data: *mut ffi::c_void,
    substream: *mut SndRawmidiSubstream,
) {
    if let Some(substream) = NonNull::new(substream) {
        // SAFETY: The substream is open for the whole callback.
        let substream = unsafe { Substream::from_raw(substream) };
        // SAFETY: See the function's safety section.
        unsafe { holder(data) }.ops.drain(substream);
    }
}

// The callbacks above are the ones `glue.h` declares.
crate::glue::check_c_signature! {
    snd_dmus_rawmidi_open => snd_dmus_rawmidi_open,
    snd_dmus_rawmidi_close => snd_dmus_rawmidi_close,
    snd_dmus_rawmidi_trigger => snd_dmus_rawmidi_trigger,
    snd_dmus_rawmidi_drain => snd_dmus_rawmidi_drain,
}

// Misuse that must not compile: `scripts/check.sh` builds the module with
// each of these cfgs (`make DMUS_MISUSE=<name>`) and expects rustc to refuse
// it. Neither a link's closure nor a callback lets a substream out.
#[cfg(dmus_misuse_keep_link)]
fn keep_from_link(link: &RawmidiLink) -> Option<Substream<'static>> {
    link.with_output(|substream| substream)
}

#[cfg(dmus_misuse_keep_callback)]
struct Keeper(kernel::sync::Mutex<Option<Substream<'static>>>);

#[cfg(dmus_misuse_keep_callback)]
impl RawmidiOps for Keeper {
    fn open(&self, _dir: Direction) -> Result {
        Ok(())
    }
    fn close(&self, _dir: Direction) {}
    fn trigger(&self, _dir: Direction, substream: Substream<'_>, _up: bool) {
        *self.0.lock() = Some(substream);
    }
    fn drain(&self, _substream: Substream<'_>) {}
}
