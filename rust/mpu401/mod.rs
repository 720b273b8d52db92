// SPDX-License-Identifier: GPL-2.0

//! The MPU-401 UART miniport: registers, port I/O, the miniport and its
//! streams, the platform driver that binds a chip and the PCI driver.

pub(crate) mod io;
pub(crate) mod miniport;
pub(crate) mod pci;
pub(crate) mod poll;
pub(crate) mod probe;
pub(crate) mod regs;
