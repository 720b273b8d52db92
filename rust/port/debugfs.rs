// SPDX-License-Identifier: GPL-2.0

//! debugfs view of a port: `/sys/kernel/debug/snd-dmus-mpu401-cardN/`, N
//! the ALSA card number.
//!
//! - `feed` (read-write): how long the render feed's lock (an IRQ-safe
//!   spinlock: interrupts are off on that CPU while it is held) was held at
//!   most, and the most links one queueing of a DMus write walked under it:
//!   `max_irqoff_ns: N` and `max_insert_steps: N`, one per line, since load
//!   or the last reset. Writing `reset` zeroes both; anything else is
//!   `-EINVAL`.

use super::Port;
use core::{
    fmt,
    sync::atomic::{AtomicU64, Ordering},
};
use kernel::{
    debugfs::{Dir, File, Reader, Writer},
    prelude::*,
    str::CString,
    sync::Arc,
    uaccess::UserSliceReader,
};

/// The render feed lock's figures. Any context.
#[derive(Default)]
pub(crate) struct FeedStats {
    max_irqoff_ns: AtomicU64,
    max_insert_steps: AtomicU64,
}

impl FeedStats {
    /// Notes one hold of the feed lock, `ns` nanoseconds long.
    pub(crate) fn note_hold(&self, ns: i64) {
        let ns = u64::try_from(ns).unwrap_or(0);
        self.max_irqoff_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// Notes one queueing that walked `steps` links.
    pub(crate) fn note_insert(&self, steps: usize) {
        let steps = u64::try_from(steps).unwrap_or(u64::MAX);
        self.max_insert_steps.fetch_max(steps, Ordering::Relaxed);
    }

    fn reset(&self) {
        self.max_irqoff_ns.store(0, Ordering::Relaxed);
        self.max_insert_steps.store(0, Ordering::Relaxed);
    }
}

/// The `feed` file.
struct FeedView(Arc<Port>);

impl Writer for FeedView {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.feed_stats();
        writeln!(
            f,
            "max_irqoff_ns: {}",
            s.max_irqoff_ns.load(Ordering::Relaxed)
        )?;
        writeln!(
            f,
            "max_insert_steps: {}",
            s.max_insert_steps.load(Ordering::Relaxed)
        )
    }
}

impl Reader for FeedView {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; 16];
        let n = reader.len();
        if n > buf.len() {
            return Err(EINVAL);
        }
        reader.read_slice(&mut buf[..n])?;
        match core::str::from_utf8(&buf[..n]).map(str::trim) {
            Ok("reset") => {
                self.0.feed_stats().reset();
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

/// The directory and its file; removed when dropped.
#[pin_data]
pub(crate) struct PortDebugfs {
    #[pin]
    _feed: File<FeedView>,
    _dir: Dir,
}

impl PortDebugfs {
    /// Creates `snd-dmus-mpu401-card<card>/` for `port`. `-ENOMEM`.
    pub(crate) fn new(port: &Arc<Port>, card: i32) -> Result<Pin<KBox<Self>>> {
        let name = CString::try_from_fmt(fmt!("snd-dmus-mpu401-card{}", card))?;
        let dir = Dir::new(&name);
        KBox::pin_init(
            try_pin_init!(Self {
                _feed <- dir.read_write_file(c"feed", FeedView(port.clone())),
                _dir: dir,
            }? Error),
            GFP_KERNEL,
        )
    }
}
