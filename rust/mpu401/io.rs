// SPDX-License-Identifier: GPL-2.0

//! Port I/O for a real MPU-401: one accessor over an `ioport_map` cookie
//! (`ioread8`/`iowrite8`, lib/iomap.c), so that an ISA port and a PCI I/O
//! BAR share it (Linux 7.2's Rust PCI `Bar` is MMIO-only, and it has no port
//! I/O accessor). The ports are reserved in C (`glue.c`): 7.2's Rust platform
//! API looks only at memory resources.

use super::regs::Mpu401Io;
use crate::glue;
use core::ptr::NonNull;
use kernel::{bindings, device::Device, error::to_result, ffi, prelude::*};

/// The two ports of a real MPU-401, reserved and mapped.
pub(crate) struct PortIo {
    cookie: NonNull<ffi::c_void>,
    base: ffi::c_ulong,
    len: ffi::c_ulong,
}

// SAFETY: `ioread8`/`iowrite8` on a port cookie are safe from any context and
// CPU; the cookie is owned.
unsafe impl Send for PortIo {}
// SAFETY: As above.
unsafe impl Sync for PortIo {}

impl PortIo {
    /// Reserves (`request_region`) and maps the I/O range of platform device
    /// `dev`. Errors: `-ENOENT` when the device has no I/O range, `-EBUSY`
    /// when another driver holds it, `-ENOMEM` when the mapping fails.
    pub(crate) fn new(dev: &Device) -> Result<Self> {
        let pdev = glue::DeviceRef::find(dev, false)?;
        let (mut base, mut len) = (0, 0);
        // SAFETY: `pdev` is a live platform device; `base` and `len` are
        // valid places for the results.
        to_result(unsafe { glue::dmus_glue_request_ports(pdev.as_ptr(), &mut base, &mut len) })?;
        let len2 = ffi::c_uint::try_from(len).unwrap_or(2);
        // SAFETY: The ports are reserved above.
        let cookie = unsafe { bindings::ioport_map(base, len2) };
        let Some(cookie) = NonNull::new(cookie) else {
            // SAFETY: Reserved above, released once.
            unsafe { glue::dmus_glue_release_ports(base, len) };
            return Err(ENOMEM);
        };
        Ok(Self { cookie, base, len })
    }

    /// The first port.
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    fn addr(&self, offset: usize) -> *mut ffi::c_void {
        self.cookie
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(offset)
            .cast()
    }
}

impl Drop for PortIo {
    fn drop(&mut self) {
        // SAFETY: `cookie` came from `ioport_map` and is no longer used; the
        // range was reserved by `new` and is released once.
        unsafe {
            bindings::ioport_unmap(self.cookie.as_ptr());
            glue::dmus_glue_release_ports(self.base, self.len);
        }
    }
}

impl Mpu401Io for PortIo {
    fn read_data(&self) -> u8 {
        // SAFETY: `addr(0)` is the mapped data port.
        unsafe { bindings::ioread8(self.addr(0)) as u8 }
    }

    fn write_data(&self, byte: u8) {
        // SAFETY: `addr(0)` is the mapped data port.
        unsafe { bindings::iowrite8(byte, self.addr(0)) }
    }

    fn read_status(&self) -> u8 {
        // SAFETY: `addr(1)` is the mapped status/command port.
        unsafe { bindings::ioread8(self.addr(1)) as u8 }
    }

    fn write_command(&self, cmd: u8) {
        // SAFETY: `addr(1)` is the mapped status/command port.
        unsafe { bindings::iowrite8(cmd, self.addr(1)) }
    }
}
