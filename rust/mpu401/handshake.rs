// SPDX-License-Identifier: GPL-2.0

//! The MPU-401 handshake: reset, then enter UART mode, each command waiting
//! for the chip's ACK (the WDK's dmusuart `InitializeHardware`, snd-mpu401's
//! `snd_mpu401_uart_cmd`). Process context.

use super::regs::{Mpu401Io, ACK, ENTER_UART, RESET, RX_EMPTY};
use super::DRAIN_MAX;
use kernel::time::{delay::fsleep, Delta};

/// How long the handshake waits for an ACK, microseconds (as the WDK sample).
const ACK_TIMEOUT_US: u32 = 50_000;

/// Why the handshake failed, with what the chip showed.
pub(crate) struct HandshakeError {
    /// The command that got no ACK.
    pub(crate) cmd: u8,
    /// The last status byte read.
    pub(crate) status: u8,
    /// The last data byte read (0xff when none was read).
    pub(crate) data: u8,
}

/// Writes `cmd` and waits up to [`ACK_TIMEOUT_US`] for [`ACK`]. Bytes other
/// than ACK (pending MIDI input) are skipped, up to [`DRAIN_MAX`] of them:
/// a port whose status never shows `RX_EMPTY` and never sends ACK (no chip,
/// or a stuck one) fails instead of hanging. Process context.
fn command(io: &dyn Mpu401Io, cmd: u8) -> core::result::Result<(), HandshakeError> {
    let mut status = io.read_status();
    let mut data = 0xff;
    io.write_command(cmd);
    let mut waited = 0;
    let mut skipped = 0;
    while waited < ACK_TIMEOUT_US && skipped < DRAIN_MAX {
        status = io.read_status();
        if status & RX_EMPTY == 0 {
            data = io.read_data();
            if data == ACK {
                return Ok(());
            }
            skipped += 1;
            continue;
        }
        fsleep(Delta::from_micros(100));
        waited += 100;
    }
    Err(HandshakeError { cmd, status, data })
}

/// Resets the chip and puts it in UART mode (process context).
///
/// A chip already in UART mode resets without an ACK, so a reset that gets
/// none is tried once more, as the WDK's dmusuart does; the second must be
/// answered. The answer to `ENTER_UART` is awaited too (snd-mpu401 does not).
/// With `no_ack` (snd-mpu401's `MPU401_INFO_NO_ACK`, for UART-only chips
/// that never answer) both commands are written without waiting, 1 ms apart,
/// and whatever the chip sent is discarded.
pub(crate) fn handshake(
    io: &dyn Mpu401Io,
    no_ack: bool,
) -> core::result::Result<(), HandshakeError> {
    if no_ack {
        for cmd in [RESET, ENTER_UART] {
            io.write_command(cmd);
            fsleep(Delta::from_millis(1));
        }
        let mut flushed = 0;
        while flushed < DRAIN_MAX && io.read_status() & RX_EMPTY == 0 {
            io.read_data();
            flushed += 1;
        }
        return Ok(());
    }
    if command(io, RESET).is_err() {
        command(io, RESET)?;
    }
    command(io, ENTER_UART)
}
