// SPDX-License-Identifier: GPL-2.0

//! debugfs view of a virtual MPU-401: `/sys/kernel/debug/snd-dmus-mpu401-virtN/`,
//! N counting the virtual MPU-401s created since the module was loaded
//! (`snd-dmus-mpu401-peerN/` for the peer's chips, [`super::peer`]).
//!
//! - `wire`: the last [`WIRE_LOG_LEN`] bytes that crossed the cable, oldest
//!   first, one per line: arrival time at IN (the end of the byte's 10 bits)
//!   in `CLOCK_MONOTONIC` nanoseconds, and the byte in hex. The byte started
//!   on the wire `byte_ns` earlier.
//! - `counters`: bytes written, on the wire, read, input overruns, bytes
//!   dropped while `TX_FULL`, commands, status register reads, the fault
//!   counters (bytes lost on the wire, interrupts lost, spurious interrupts,
//!   bytes injected, writes lost while vanished), data bytes written outside
//!   UART mode (ignored), UART mode, bytes still in
//!   the TX FIFO, the wire time of one byte (`byte_ns`).
//! - `fault` (read-write): the faults in force, one per line. Writing one
//!   command sets them: `none` (clears all), `vanish` (every register reads
//!   0xFF, writes are lost), `tx_stuck` (`TX_FULL` stays set), `irq_lose N`
//!   (the interrupts of the next N input bytes are not raised), `wire_drop N` (the next N bytes
//!   on the wire are lost), `irq_storm N` (raises the interrupt N times now,
//!   with no new input). Anything else is `-EINVAL`.
//! - `input` (write-only): the bytes of one write (at most 64 KiB) arrive at
//!   IN at once, as a burst from a sender outside the cable that is faster
//!   than the driver reads: what the input FIFO has no room for is counted
//!   as overruns; one interrupt follows.

use super::{Faults, VirtMpu401, WIRE_LOG_LEN};
use core::fmt;
use kernel::{
    debugfs::{Dir, File, Reader, Writer},
    prelude::*,
    str::CString,
    sync::Arc,
    uaccess::UserSliceReader,
};

/// The longest `fault` command, bytes.
const FAULT_CMD_MAX: usize = 64;
/// The most bytes one write to `input` takes (`-EINVAL` beyond).
const INPUT_MAX: usize = 65536;

/// The `wire` file.
pub(crate) struct WireView(Arc<VirtMpu401>);

impl Writer for WireView {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copied out under the IRQ-safe lock, formatted outside it.
        let mut log = KVVec::new();
        if self.0.wire_log(&mut log).is_err() {
            return writeln!(f, "# out of memory");
        }
        writeln!(f, "# time_ns byte")?;
        for entry in log.iter() {
            writeln!(f, "{} {:02x}", entry.time_ns, entry.byte)?;
        }
        Ok(())
    }
}

/// The `counters` file.
pub(crate) struct CountersView(Arc<VirtMpu401>);

impl Writer for CountersView {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0.counters();
        writeln!(f, "bytes_out: {}", c.bytes_out)?;
        writeln!(f, "bytes_wire: {}", c.bytes_wire)?;
        writeln!(f, "bytes_in: {}", c.bytes_in)?;
        writeln!(f, "overruns: {}", c.overruns)?;
        writeln!(f, "dropped: {}", c.dropped)?;
        writeln!(f, "commands: {}", c.commands)?;
        writeln!(f, "status_reads: {}", c.status_reads)?;
        writeln!(f, "wire_dropped: {}", c.wire_dropped)?;
        writeln!(f, "irqs_lost: {}", c.irqs_lost)?;
        writeln!(f, "irqs_spurious: {}", c.irqs_spurious)?;
        writeln!(f, "injected: {}", c.injected)?;
        writeln!(f, "writes_lost: {}", c.writes_lost)?;
        writeln!(f, "not_uart: {}", c.not_uart)?;
        writeln!(f, "uart: {}", u8::from(self.0.uart_mode()))?;
        writeln!(f, "tx_pending: {}", self.0.tx_pending())?;
        writeln!(f, "wire_log_len: {}", WIRE_LOG_LEN)?;
        writeln!(f, "byte_ns: {}", self.0.byte_ns())
    }
}

/// The `fault` file.
pub(crate) struct FaultControl(Arc<VirtMpu401>);

impl Writer for FaultControl {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let faults = self.0.faults();
        writeln!(f, "vanish: {}", u8::from(faults.vanished))?;
        writeln!(f, "tx_stuck: {}", u8::from(faults.tx_stuck))?;
        writeln!(f, "irq_lose: {}", faults.irq_lose)?;
        writeln!(f, "wire_drop: {}", faults.wire_drop)
    }
}

impl Reader for FaultControl {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; FAULT_CMD_MAX];
        let n = reader.len();
        if n > buf.len() {
            return Err(EINVAL);
        }
        reader.read_slice(&mut buf[..n])?;
        let text = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?;
        let mut words = text.split_whitespace();
        let cmd = words.next().ok_or(EINVAL)?;
        let count = match words.next() {
            Some(w) => Some(w.parse::<u32>().map_err(|_| EINVAL)?),
            None => None,
        };
        if words.next().is_some() {
            return Err(EINVAL);
        }
        let mut faults = self.0.faults();
        match (cmd, count) {
            ("none", None) => faults = Faults::default(),
            ("vanish", None) => faults.vanished = true,
            ("tx_stuck", None) => faults.tx_stuck = true,
            ("irq_lose", Some(n)) => faults.irq_lose = n,
            ("wire_drop", Some(n)) => faults.wire_drop = n,
            ("irq_storm", Some(n)) => {
                self.0.irq_storm(n);
                return Ok(());
            }
            _ => return Err(EINVAL),
        }
        self.0.set_faults(faults);
        Ok(())
    }
}

/// The `input` file.
pub(crate) struct InputInjector(Arc<VirtMpu401>);

impl Reader for InputInjector {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        if reader.len() > INPUT_MAX {
            return Err(EINVAL);
        }
        let mut buf = KVVec::new();
        buf.resize(reader.len(), 0, GFP_KERNEL)?;
        reader.read_slice(&mut buf)?;
        self.0.inject(&buf);
        Ok(())
    }
}

/// The directory and its files; removed when dropped.
#[pin_data]
pub(crate) struct VirtDebugfs {
    #[pin]
    _wire: File<WireView>,
    #[pin]
    _counters: File<CountersView>,
    #[pin]
    _fault: File<FaultControl>,
    #[pin]
    _input: File<InputInjector>,
    _dir: Dir,
}

impl VirtDebugfs {
    /// Creates `snd-dmus-mpu401-<kind><n>/` for virtual MPU-401 number `n`
    /// of a kind (`virt`: driven by this module; `peer`: see [`super::peer`]).
    pub(crate) fn new(model: &Arc<VirtMpu401>, kind: &CStr, n: u32) -> Result<Pin<KBox<Self>>> {
        let name = CString::try_from_fmt(fmt!(
            "snd-dmus-mpu401-{}{}",
            kind.to_str().unwrap_or("virt"),
            n
        ))?;
        let dir = Dir::new(&name);
        KBox::pin_init(
            try_pin_init!(Self {
                _wire <- dir.read_only_file(c"wire", WireView(model.clone())),
                _counters <- dir.read_only_file(c"counters", CountersView(model.clone())),
                _fault <- dir.read_write_file(c"fault", FaultControl(model.clone())),
                _input <- dir.write_only_file(c"input", InputInjector(model.clone())),
                _dir: dir,
            }? Error),
            GFP_KERNEL,
        )
    }
}
