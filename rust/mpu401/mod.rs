// SPDX-License-Identifier: GPL-2.0

//! The MPU-401 UART miniport, one concept per file:
//! - [`regs`]: the registers and the accessor trait ([`regs::Mpu401Io`]).
//! - [`io`]: port I/O for a real chip.
//! - [`handshake`]: reset and UART mode.
//! - [`irq`]: the threaded IRQ handler; [`poll`]: the timer for a chip
//!   without one.
//! - [`capture`]: the capture ring and stream; [`render`]: the render stream.
//! - [`miniport`]: `IMiniportDMus`, which makes the streams.
//! - [`probe`]: [`probe::bind`], the entry from a chip to a bound card, and
//!   the platform driver of real chips; [`pci`]: the PCI driver.

pub(crate) mod capture;
pub(crate) mod handshake;
pub(crate) mod io;
pub(crate) mod irq;
pub(crate) mod miniport;
pub(crate) mod pci;
pub(crate) mod poll;
pub(crate) mod probe;
pub(crate) mod regs;
pub(crate) mod render;

/// The most bytes the driver reads from the data port in one go (an
/// interrupt's drain, a flush, the handshake's wait for ACK): a chip whose
/// `RX_EMPTY` never sets cannot hang it.
const DRAIN_MAX: usize = 256;
