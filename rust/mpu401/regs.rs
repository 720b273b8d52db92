// SPDX-License-Identifier: GPL-2.0

//! MPU-401 registers, as the kernel's include/sound/mpu401.h names them.
//!
//! Two ports: data at `base` (read: the next input byte; write: an output
//! byte) and status/command at `base + 1` (read: status; write: command).

/// Status bit 7: set while no input byte waits (`MPU401_RX_EMPTY`).
pub(crate) const RX_EMPTY: u8 = 0x80;
/// Status bit 6: set while the output FIFO is full (`MPU401_TX_FULL`; the WDK
/// sample's `DRR`).
pub(crate) const TX_FULL: u8 = 0x40;
/// Command: reset; the chip answers [`ACK`] unless it was in UART mode
/// (`MPU401_RESET`).
pub(crate) const RESET: u8 = 0xff;
/// Command: enter UART mode; answered by [`ACK`] (`MPU401_ENTER_UART`).
pub(crate) const ENTER_UART: u8 = 0x3f;
/// The acknowledge byte, read at the data port (`MPU401_ACK`).
pub(crate) const ACK: u8 = 0xfe;

/// Access to one MPU-401's registers: a real chip through port I/O
/// ([`super::io::PortIo`]) or a model of the chip (the virtual MPU-401).
///
/// Every method may run in any context (hard IRQ included) and never sleeps.
/// Callers serialise writes to the data port (the render path holds its lock).
pub(crate) trait Mpu401Io: Send + Sync {
    /// Reads the data port: the next input byte.
    fn read_data(&self) -> u8;
    /// Writes `byte` to the data port (the caller checked [`TX_FULL`]).
    fn write_data(&self, byte: u8);
    /// Reads the status port ([`RX_EMPTY`], [`TX_FULL`]).
    fn read_status(&self) -> u8;
    /// Writes command `cmd` to the command port.
    fn write_command(&self, cmd: u8);
    /// Whether every byte written has left the chip's MIDI OUT, when the
    /// chip can tell (an MPU-401 has no status bit for it: `None`).
    fn tx_idle(&self) -> Option<bool> {
        None
    }
}
