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
/// `struct dmus_tasklet` of glue.c: a tasklet calling `fn(data)`, opaque.
pub(crate) type DmusTasklet = generated::dmus_tasklet;
/// `struct dmus_simirq` of glue.c: a simulated interrupt domain, opaque.
pub(crate) type DmusSimIrq = generated::dmus_simirq;

/// The `struct device` behind `dev`, for the C glue. Linux 7.2's
/// `Device::as_raw` is crate-private; `Device` is a transparent wrapper of
/// `Opaque<bindings::device>` (rust/kernel/device.rs), so the cast is that
/// pointer. Valid as long as `dev` is.
pub(crate) fn raw_device<Ctx: kernel::device::DeviceContext>(
    dev: &kernel::device::Device<Ctx>,
) -> *mut bindings::device {
    core::ptr::from_ref(dev)
        .cast_mut()
        .cast::<bindings::device>()
}
