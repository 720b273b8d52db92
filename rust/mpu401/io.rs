// SPDX-License-Identifier: GPL-2.0

//! Port I/O for a real MPU-401: one accessor over an `ioport_map` cookie, so
//! that an ISA port and (later) a PCI I/O BAR share it (Linux 7.2's Rust PCI
//! `Bar` is MMIO-only, and it has no port I/O accessor).

use super::regs::Mpu401Io;
use crate::glue;
use core::ptr::NonNull;
use kernel::{ffi, io::resource::Region, prelude::*};

/// The two ports of a real MPU-401 at `base`, mapped and reserved.
pub(crate) struct PortIo {
    cookie: NonNull<ffi::c_void>,
    _region: Region,
}

// SAFETY: `ioread8`/`iowrite8` on a port cookie are safe from any context and
// CPU; the cookie is owned.
unsafe impl Send for PortIo {}
// SAFETY: As above.
unsafe impl Sync for PortIo {}

impl PortIo {
    /// Maps the two ports at `base`, reserved by `region`; `-ENOMEM` if the
    /// mapping fails.
    pub(crate) fn new(base: u64, region: Region) -> Result<Self> {
        let port = ffi::c_ulong::try_from(base).map_err(|_| EINVAL)?;
        // SAFETY: The ports are reserved by `region`, which we keep.
        let cookie = unsafe { glue::dmus_glue_ioport_map(port, 2) };
        Ok(Self {
            cookie: NonNull::new(cookie).ok_or(ENOMEM)?,
            _region: region,
        })
    }

    fn addr(&self, offset: usize) -> *mut ffi::c_void {
        self.cookie.as_ptr().cast::<u8>().wrapping_add(offset).cast()
    }
}

impl Drop for PortIo {
    fn drop(&mut self) {
        // SAFETY: `cookie` came from `ioport_map` and is no longer used.
        unsafe { glue::dmus_glue_ioport_unmap(self.cookie.as_ptr()) }
    }
}

impl Mpu401Io for PortIo {
    fn read_data(&self) -> u8 {
        // SAFETY: `addr(0)` is the mapped data port.
        unsafe { glue::dmus_glue_ioread8(self.addr(0)) }
    }

    fn write_data(&self, byte: u8) {
        // SAFETY: `addr(0)` is the mapped data port.
        unsafe { glue::dmus_glue_iowrite8(byte, self.addr(0)) }
    }

    fn read_status(&self) -> u8 {
        // SAFETY: `addr(1)` is the mapped status/command port.
        unsafe { glue::dmus_glue_ioread8(self.addr(1)) }
    }

    fn write_command(&self, cmd: u8) {
        // SAFETY: `addr(1)` is the mapped status/command port.
        unsafe { glue::dmus_glue_iowrite8(cmd, self.addr(1)) }
    }
}
