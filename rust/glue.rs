// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C glue in `rust/glue.c`, `rust/params.c` and
//! `rust/pnp.c`.
//!
//! Only the safe layers (`port::alsa`, `port::tasklet`, `port::irqlock`,
//! `mpu401::io`, `virt::simirq`, the platform glue in `mpu401::probe`) call
//! these; each function is documented in `glue.c` and wraps the kernel API it
//! names. The ALSA structures stay opaque here: Rust never reads their fields.

use kernel::bindings;

/// What bindgen generates from `rust/glue_bindings.h` at build time
/// (`scripts/glue-bindgen.sh`, run by `Kbuild`): the `extern "C"`
/// declarations of `glue.h` and of the ALSA and platform functions called
/// here, and the ALSA structures as opaque blobs.
#[allow(
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
mod generated {
    use kernel::ffi;
    include!("glue_generated.rs");
}

pub(crate) use generated::*;

/// Checks at compile time that the Rust definition of a function C calls
/// (`#[no_mangle]`) has the signature `glue.h` declares for it: both coerce
/// to one function pointer type only when they match.
macro_rules! check_c_signature {
    ($($name:ident => $def:path),* $(,)?) => {
        $(
            const _: () = {
                let _ = if true { $crate::glue::$name } else { $def };
            };
        )*
    };
}
pub(crate) use check_c_signature;

/// `struct snd_card` (include/sound/core.h), opaque.
pub(crate) type SndCard = generated::snd_card;
/// `struct snd_rawmidi` (include/sound/rawmidi.h), opaque.
pub(crate) type SndRawmidi = generated::snd_rawmidi;
/// `struct snd_rawmidi_substream` (include/sound/rawmidi.h), opaque.
pub(crate) type SndRawmidiSubstream = generated::snd_rawmidi_substream;
/// `struct snd_pcm` (include/sound/pcm.h), opaque.
pub(crate) type SndPcm = generated::snd_pcm;
/// `struct snd_pcm_substream` (include/sound/pcm.h), opaque.
pub(crate) type SndPcmSubstream = generated::snd_pcm_substream;
/// `struct dmus_tasklet` of glue.c: a tasklet calling `fn(data)`, opaque.
pub(crate) type DmusTasklet = generated::dmus_tasklet;
/// `struct dmus_simirq` of glue.c: a simulated interrupt domain, opaque.
pub(crate) type DmusSimIrq = generated::dmus_simirq;

/// A counted reference to the `struct device` of a Rust [`Device`], for the
/// C calls that need one (ALSA's `snd_card_new`, port I/O, PCI I/O BARs).
/// Linux 7.2 gives a module no pointer of a `Device` (`Device::as_raw` is
/// crate-private), so `glue.c` finds the device on its bus by the name
/// `Device::name()` gives, which is unique there. Dropping puts the
/// reference.
///
/// # Invariants
///
/// `self.0` holds a reference to a live device (released by `drop`).
///
/// [`Device`]: kernel::device::Device
pub(crate) struct DeviceRef(core::ptr::NonNull<bindings::device>);

// SAFETY: A reference to a `struct device` may be put from any process
// context and CPU; the pointer is only handed to C calls that take their own
// locks.
unsafe impl Send for DeviceRef {}
// SAFETY: As above; `&self` only gives the pointer out.
unsafe impl Sync for DeviceRef {}

impl DeviceRef {
    /// The platform device `dev` (`pci` false) or the PCI device `dev`.
    /// Errors: `-ENODEV` when no device of that name is on that bus (a
    /// caller passing a device of the other bus).
    pub(crate) fn find<Ctx: kernel::device::DeviceContext>(
        dev: &kernel::device::Device<Ctx>,
        pci: bool,
    ) -> kernel::error::Result<Self> {
        // SAFETY: `dev.name()` is a C string that lives as long as `dev`;
        // the call copies nothing and returns a counted reference or null.
        let raw =
            unsafe { dmus_glue_device_get(pci, kernel::str::CStrExt::as_char_ptr(dev.name())) };
        // INVARIANT: a non-null result carries a reference.
        core::ptr::NonNull::new(raw)
            .map(Self)
            .ok_or(kernel::error::code::ENODEV)
    }

    /// The device, valid while `self` lives.
    pub(crate) fn as_ptr(&self) -> *mut bindings::device {
        self.0.as_ptr()
    }
}

impl Drop for DeviceRef {
    fn drop(&mut self) {
        // SAFETY: The type invariant: `self` holds a reference, put once.
        unsafe { bindings::put_device(self.0.as_ptr()) };
    }
}
