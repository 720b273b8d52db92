// SPDX-License-Identifier: GPL-2.0

//! The peer's chips: virtual MPU-401s driven not by this module but by the
//! in-tree `snd-mpu401-uart` library, through `snd-dmus-peer` (`rust/peer.c`),
//! so that both drivers are measured on identical chips (`make bench`). A
//! measuring instrument: created only with the `peer=N` module parameter.
//!
//! Each chip is a [`VirtMpu401`] with the same parameters as the `virt=`
//! ones (cable speed, FIFO depths), its own simulated interrupt line and its
//! debugfs directory `snd-dmus-mpu401-peer<n>/` (the same files). The C side
//! (`rust/peer.h`) reaches the registers through [`snd_dmus_peer_read`] and
//! [`snd_dmus_peer_write`], which `glue.c` wraps and exports with the chips'
//! list.

use super::{debugfs::VirtDebugfs, simirq::SimIrq, VirtIo, VirtMpu401, VirtParams};
use crate::glue;
use crate::mpu401::regs::Mpu401Io;
use kernel::{ffi, prelude::*, sync::Arc};

/// One chip: its register interface (whose address C holds) and debugfs.
struct PeerChip {
    io: Pin<KBox<VirtIo>>,
    _debugfs: Pin<KBox<VirtDebugfs>>,
}

/// The peer's chips, published to C while this lives.
pub(crate) struct Peers {
    chips: KVec<PeerChip>,
    _sim: SimIrq,
}

impl Peers {
    /// Creates `count` chips with `params` and publishes them. `-ENOMEM`.
    pub(crate) fn new(count: u32, params: VirtParams) -> Result<Self> {
        let sim = SimIrq::new(count)?;
        let mut chips = KVec::with_capacity(count as usize, GFP_KERNEL)?;
        for n in 0..count {
            let irq = sim.irq(n as usize).ok_or(EINVAL)?;
            let model: Arc<VirtMpu401> = VirtMpu401::new(params, irq)?;
            let debugfs = VirtDebugfs::new(&model, c"peer", n)?;
            let io = KBox::pin(VirtIo(model), GFP_KERNEL)?;
            chips.push(
                PeerChip {
                    io,
                    _debugfs: debugfs,
                },
                GFP_KERNEL,
            )?;
        }
        let this = Self { chips, _sim: sim };
        for (n, chip) in this.chips.iter().enumerate() {
            let io: *const VirtIo = &*chip.io;
            let irq = this._sim.irq(n).unwrap_or(0);
            // SAFETY: `io` stays valid and pinned until `drop`, which
            // withdraws it first; module init publishes before any other
            // module can look the chips up.
            unsafe { glue::dmus_glue_peer_publish(n as u32, io.cast_mut().cast(), irq) };
        }
        Ok(this)
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        // SAFETY: Module exit: `snd-dmus-peer`, which uses the chips' symbols,
        // is unloaded already (it holds a reference on this module).
        unsafe { glue::dmus_glue_peer_withdraw() };
        for chip in self.chips.iter() {
            chip.io.0.shutdown();
        }
    }
}

/// `snd-mpu401-uart`'s read hook: address 0 reads the data port, any other
/// the status port.
///
/// # Safety
///
/// `io` is the `io` of a published [`struct dmus_peer_chip`](Peers).
#[no_mangle]
unsafe extern "C" fn snd_dmus_peer_read(io: *mut ffi::c_void, addr: ffi::c_ulong) -> u8 {
    // SAFETY: The caller passes a published chip's `io`, valid while this
    // module is loaded (see `Peers::drop`).
    let io = unsafe { &*io.cast::<VirtIo>() };
    if addr == 0 {
        io.read_data()
    } else {
        io.read_status()
    }
}

/// `snd-mpu401-uart`'s write hook: address 0 writes the data port, any
/// other the command port.
///
/// # Safety
///
/// As [`snd_dmus_peer_read`].
#[no_mangle]
unsafe extern "C" fn snd_dmus_peer_write(io: *mut ffi::c_void, data: u8, addr: ffi::c_ulong) {
    // SAFETY: As in `snd_dmus_peer_read`.
    let io = unsafe { &*io.cast::<VirtIo>() };
    if addr == 0 {
        io.write_data(data);
    } else {
        io.write_command(data);
    }
}

crate::glue::check_c_signature! {
    snd_dmus_peer_read => snd_dmus_peer_read,
    snd_dmus_peer_write => snd_dmus_peer_write,
}
