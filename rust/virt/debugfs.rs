// SPDX-License-Identifier: GPL-2.0

//! debugfs view of a virtual MPU-401: `/sys/kernel/debug/snd-dmus-mpu401-virtN/`,
//! N counting the virtual MPU-401s created since the module was loaded.
//!
//! - `wire`: the last [`WIRE_LOG_LEN`] bytes that crossed the cable, oldest
//!   first, one per line: arrival time at IN (the end of the byte's 10 bits)
//!   in `CLOCK_MONOTONIC` nanoseconds, and the byte in hex. The byte started
//!   on the wire `byte_ns` earlier.
//! - `counters`: bytes written, on the wire, read, input overruns, bytes
//!   dropped while `TX_FULL`, commands, status register reads, UART mode,
//!   bytes still in the TX FIFO, the wire time of one byte (`byte_ns`).

use super::{VirtMpu401, WIRE_LOG_LEN};
use core::fmt;
use kernel::{
    debugfs::{Dir, File, Writer},
    prelude::*,
    str::CString,
    sync::Arc,
};

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
        writeln!(f, "uart: {}", u8::from(self.0.uart_mode()))?;
        writeln!(f, "tx_pending: {}", self.0.tx_pending())?;
        writeln!(f, "wire_log_len: {}", WIRE_LOG_LEN)?;
        writeln!(f, "byte_ns: {}", self.0.byte_ns())
    }
}

/// The directory and its files; removed when dropped.
#[pin_data]
pub(crate) struct VirtDebugfs {
    #[pin]
    _wire: File<WireView>,
    #[pin]
    _counters: File<CountersView>,
    _dir: Dir,
}

impl VirtDebugfs {
    /// Creates `snd-dmus-mpu401-virt<n>/` for virtual MPU-401 number `n`.
    pub(crate) fn new(model: &Arc<VirtMpu401>, n: u32) -> Result<Pin<KBox<Self>>> {
        let name = CString::try_from_fmt(fmt!("snd-dmus-mpu401-virt{}", n))?;
        let dir = Dir::new(&name);
        KBox::pin_init(
            try_pin_init!(Self {
                _wire <- dir.read_only_file(c"wire", WireView(model.clone())),
                _counters <- dir.read_only_file(c"counters", CountersView(model.clone())),
                _dir: dir,
            }? Error),
            GFP_KERNEL,
        )
    }
}
