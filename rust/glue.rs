// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C glue in `rust/glue.c`, `rust/params.c` and
//! `rust/pnp.c`.
//!
//! Only the safe layers (`port::alsa`, `port::tasklet`, `port::irqlock`,
//! `mpu401::io`, `virt::simirq`, the platform glue in `mpu401::probe`) call
//! these; each function is documented in `glue.c` and wraps the kernel API it
//! names. The ALSA structures stay opaque here: Rust never reads their fields.

use kernel::{bindings, ffi};

/// `struct snd_card` (include/sound/core.h), opaque.
#[repr(C)]
pub(crate) struct SndCard {
    _opaque: [u8; 0],
}

/// `struct snd_rawmidi` (include/sound/rawmidi.h), opaque.
#[repr(C)]
pub(crate) struct SndRawmidi {
    _opaque: [u8; 0],
}

/// `struct snd_rawmidi_substream` (include/sound/rawmidi.h), opaque.
#[repr(C)]
pub(crate) struct SndRawmidiSubstream {
    _opaque: [u8; 0],
}

/// `struct snd_hwdep` (include/sound/hwdep.h), opaque.
#[repr(C)]
pub(crate) struct SndHwdep {
    _opaque: [u8; 0],
}

/// `struct dmus_tasklet` of glue.c: a tasklet calling `fn(data)`, opaque.
#[repr(C)]
pub(crate) struct DmusTasklet {
    _opaque: [u8; 0],
}

/// `struct dmus_simirq` of glue.c: a simulated interrupt domain, opaque.
#[repr(C)]
pub(crate) struct DmusSimIrq {
    _opaque: [u8; 0],
}

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

// `bindings::device` and friends contain zero-sized lock types that rustc
// flags as not FFI-safe; they are only passed by pointer, as in
// `kernel::bindings`, which allows the lint for the same reason.
#[allow(improper_ctypes)]
extern "C" {
    pub(crate) fn dmus_glue_card_new(
        parent: *mut bindings::device,
        idx: ffi::c_int,
        id: *const ffi::c_char,
        owner: *mut bindings::module,
        card: *mut *mut SndCard,
    ) -> ffi::c_int;
    pub(crate) fn dmus_glue_card_set_names(
        card: *mut SndCard,
        driver: *const ffi::c_char,
        shortname: *const ffi::c_char,
        longname: *const ffi::c_char,
    );
    pub(crate) fn snd_card_register(card: *mut SndCard) -> ffi::c_int;
    pub(crate) fn snd_card_free(card: *mut SndCard);

    pub(crate) fn dmus_glue_rawmidi_new(
        card: *mut SndCard,
        name: *const ffi::c_char,
        data: *mut ffi::c_void,
        out: *mut *mut SndRawmidi,
    ) -> ffi::c_int;
    pub(crate) fn dmus_glue_hwdep_new(
        card: *mut SndCard,
        name: *const ffi::c_char,
        data: *mut ffi::c_void,
        out: *mut *mut SndHwdep,
    ) -> ffi::c_int;
    pub(crate) fn snd_rawmidi_receive(
        substream: *mut SndRawmidiSubstream,
        buffer: *const u8,
        count: ffi::c_int,
    ) -> ffi::c_int;
    pub(crate) fn snd_rawmidi_transmit_peek(
        substream: *mut SndRawmidiSubstream,
        buffer: *mut u8,
        count: ffi::c_int,
    ) -> ffi::c_int;
    pub(crate) fn snd_rawmidi_transmit_ack(
        substream: *mut SndRawmidiSubstream,
        count: ffi::c_int,
    ) -> ffi::c_int;
    pub(crate) fn snd_rawmidi_transmit_empty(substream: *mut SndRawmidiSubstream) -> ffi::c_int;
    pub(crate) fn dmus_glue_output_pending(substream: *mut SndRawmidiSubstream) -> ffi::c_int;

    pub(crate) fn dmus_glue_tasklet_new(
        func: unsafe extern "C" fn(*mut ffi::c_void),
        data: *mut ffi::c_void,
    ) -> *mut DmusTasklet;
    pub(crate) fn dmus_glue_tasklet_schedule(tasklet: *mut DmusTasklet);
    pub(crate) fn dmus_glue_tasklet_free(tasklet: *mut DmusTasklet);
    pub(crate) fn dmus_glue_tasklet_kill(tasklet: *mut DmusTasklet);

    pub(crate) fn dmus_glue_spin_lock_irqsave(lock: *mut bindings::spinlock_t) -> ffi::c_ulong;
    pub(crate) fn dmus_glue_spin_unlock_irqrestore(
        lock: *mut bindings::spinlock_t,
        flags: ffi::c_ulong,
    );
    pub(crate) fn dmus_glue_spin_trylock_irqsave(
        lock: *mut bindings::spinlock_t,
        flags: *mut ffi::c_ulong,
    ) -> ffi::c_int;

    pub(crate) fn dmus_glue_ioport_map(port: ffi::c_ulong, len: ffi::c_uint) -> *mut ffi::c_void;
    pub(crate) fn dmus_glue_ioport_unmap(addr: *mut ffi::c_void);
    pub(crate) fn dmus_glue_ioread8(addr: *mut ffi::c_void) -> u8;
    pub(crate) fn dmus_glue_iowrite8(value: u8, addr: *mut ffi::c_void);

    pub(crate) fn dmus_glue_simirq_new(count: ffi::c_uint) -> *mut DmusSimIrq;
    pub(crate) fn dmus_glue_simirq_map(sim: *mut DmusSimIrq, hwirq: ffi::c_uint) -> ffi::c_uint;
    pub(crate) fn dmus_glue_simirq_raise(irq: ffi::c_uint);
    pub(crate) fn dmus_glue_simirq_free(sim: *mut DmusSimIrq, count: ffi::c_uint);

    pub(crate) fn dmus_glue_platform_register(
        parent: *mut bindings::device,
        id: ffi::c_int,
        port: ffi::c_ulong,
        irq: ffi::c_int,
    ) -> *mut bindings::platform_device;
    pub(crate) fn dmus_glue_platform_slot(dev: *mut bindings::device) -> ffi::c_int;
    pub(crate) fn dmus_glue_pci_enable(dev: *mut bindings::device) -> ffi::c_int;
    pub(crate) fn dmus_glue_pci_io_bar(
        dev: *mut bindings::device,
        bar: ffi::c_int,
        start: *mut ffi::c_ulong,
        len: *mut ffi::c_ulong,
    ) -> ffi::c_int;

    // rust/params.c: the per-device (array) module parameters.
    pub(crate) fn dmus_param_index(slot: ffi::c_int) -> ffi::c_int;
    pub(crate) fn dmus_param_id(slot: ffi::c_int) -> *const ffi::c_char;
    pub(crate) fn dmus_param_enabled(slot: ffi::c_int) -> bool;
    pub(crate) fn dmus_param_port(slot: ffi::c_int) -> ffi::c_ulong;
    pub(crate) fn dmus_param_port_bad(slot: ffi::c_int) -> bool;
    pub(crate) fn dmus_param_port_raw(slot: ffi::c_int) -> ffi::c_long;
    pub(crate) fn dmus_param_irq(slot: ffi::c_int) -> ffi::c_int;
    pub(crate) fn dmus_param_slot_is_pnp(slot: ffi::c_int) -> bool;

    // rust/pnp.c: the PnP driver.
    pub(crate) fn dmus_pnp_register(found: *mut ffi::c_int, bound: *mut ffi::c_int) -> ffi::c_int;
    pub(crate) fn dmus_pnp_unregister();

    pub(crate) fn dmus_glue_request_ports(
        dev: *mut bindings::device,
        start: *mut ffi::c_ulong,
        len: *mut ffi::c_ulong,
    ) -> ffi::c_int;
    pub(crate) fn dmus_glue_release_ports(start: ffi::c_ulong, len: ffi::c_ulong);
    pub(crate) fn dmus_glue_platform_bound(pdev: *mut bindings::platform_device) -> bool;
    pub(crate) fn platform_device_unregister(pdev: *mut bindings::platform_device);
}
