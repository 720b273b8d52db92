// SPDX-License-Identifier: GPL-2.0

//! The PCI driver: cards whose MPU-401 UART sits at a fixed offset in an I/O
//! BAR.
//!
//! The probe enables the card, finds the BAR and registers a platform device
//! with the UART's two ports as a child of the card; the platform driver
//! (`probe.rs`) then reserves the ports, runs the handshake and builds the
//! card exactly as for an ISA MPU-401, through the same `ioport_map` cookie
//! and `ioread8`/`iowrite8` accessor (`io.rs`): on x86 a PCI I/O BAR is a
//! range of port numbers, and 7.2's Rust `pci::Bar` maps memory BARs only.
//!
//! The UART is polled. On the cards of the table its interrupt is
//! multiplexed through the audio chip's own interrupt status register, which
//! only the card's driver acknowledges (snd-es1938, snd-als4000 and
//! snd-sonicvibes create their MPU-401 with `MPU401_INFO_IRQ_HOOK` and call
//! the UART's handler from theirs).
//!
//! The cards of the table have their own ALSA drivers, which set the chip up
//! and own its MPU-401; this driver must never take a card from them on its
//! own, whichever loads first. So the id table matches no device (and has no
//! module alias): a card binds here only when the user
//! says so, through the card's `driver_override` or the driver's `new_id`
//! (`/sys/bus/pci/drivers/snd_dmus_mpu401/new_id`). A card of the table then
//! uses its BAR and offset; any other card `pci_bar=` and `pci_offset=`.

use super::probe::{Options, PlatformDevice, DRIVER_NAME};
use crate::glue::{self, DeviceRef};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{bindings, device::Core, device_id::IdArray, error::to_result, ffi, pci, prelude::*};

/// Where a card's MPU-401 UART is.
#[derive(Clone, Copy)]
pub(crate) struct PciMpu401 {
    /// The card's PCI vendor and device ids.
    vendor: u16,
    device: u16,
    /// The I/O BAR holding the UART.
    bar: u32,
    /// The UART's data port, in ports from the BAR's start (status/command
    /// is the next one).
    offset: u32,
    /// The card, for messages.
    card: &'static str,
}

/// The cards, from their ALSA drivers in sound/pci/:
/// - ESS Solo-1 (es1938.c): `mpu_port = pci_resource_start(pci, 3)`.
/// - Avance Logic ALS4000 (als4000.c): BAR 0 + `ALS4K_IOB_30_MIDI_DATA` (0x30).
/// - S3 SonicVibes (sonicvibes.c): `midi_port = pci_resource_start(pci, 3)`.
///
/// Each driver creates a standard MPU-401 UART there (data, then
/// status/command at +1).
const CARDS: [PciMpu401; 3] = [
    PciMpu401 {
        vendor: 0x125d,
        device: 0x1969,
        bar: 3,
        offset: 0,
        card: "ESS Solo-1",
    },
    PciMpu401 {
        vendor: 0x4005,
        device: 0x4000,
        bar: 0,
        offset: 0x30,
        card: "ALS4000",
    },
    PciMpu401 {
        vendor: 0x5333,
        device: 0xca00,
        bar: 3,
        offset: 0,
        card: "S3 SonicVibes",
    },
];

/// The id table: one id that matches no device (a class with bits above the
/// 24 a PCI class has), so that no card binds here on its own. A card binds
/// only through its `driver_override` (the PCI core then matches it with no
/// id of the table) or the driver's `new_id` (an id added at run time); the
/// probe finds it in [`CARDS`] by its own vendor and device ids.
const PCI_TABLE: IdArray<pci::DeviceId, (), 1> =
    IdArray::new([(pci::DeviceId::from_class(0xff00_0000, 0xff00_0000), ())]);

/// PCI cards bound now.
static BOUND: AtomicU32 = AtomicU32::new(0);

/// The PCI cards bound now (for the module's "no device" decision).
pub(crate) fn bound() -> u32 {
    BOUND.load(Ordering::Relaxed)
}

/// The PCI driver.
pub(crate) struct Mpu401PciDriver;

/// A bound card: the platform device of its MPU-401.
#[pin_data(PinnedDrop)]
pub(crate) struct Mpu401PciDevice {
    child: Option<PlatformDevice>,
}

#[pinned_drop]
impl PinnedDrop for Mpu401PciDevice {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `child` is not pinned.
        drop(unsafe { self.get_unchecked_mut() }.child.take());
        BOUND.fetch_sub(1, Ordering::Relaxed);
    }
}

impl pci::Driver for Mpu401PciDriver {
    type IdInfo = ();
    type Data<'bound> = Mpu401PciDevice;
    const ID_TABLE: pci::IdTable<Self::IdInfo> = &PCI_TABLE;

    /// Errors: `-ENODEV` when the BAR is no I/O BAR, is too short for the
    /// UART at the offset, or no MPU-401 answers there; those of
    /// `pcim_enable_device` and `platform_device_register_full`.
    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: &'bound (),
    ) -> impl PinInit<Mpu401PciDevice, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let dev = pdev.as_ref();
            let listed = CARDS
                .iter()
                .find(|c| c.vendor == pdev.vendor_id().as_raw() && c.device == pdev.device_id());
            let (bar, offset, card) = match listed {
                Some(c) => (c.bar, c.offset, c.card),
                None => {
                    let options = Options::get();
                    let (bar, offset) = (options.pci_bar, options.pci_offset);
                    (bar, offset, "new_id")
                }
            };
            let raw = DeviceRef::find(dev, true)?;
            // SAFETY: `raw` is the PCI device being probed.
            to_result(unsafe { glue::dmus_glue_pci_enable(raw.as_ptr()) })
                .inspect_err(|e| dev_err!(dev, "cannot enable the card: {:?}\n", e))?;
            // SAFETY: `raw` is the PCI device being probed; `bar` is 0-5
            // (`pci_bar=` is checked at load, the table's are).
            let is_io = bar < 6
                && unsafe { glue::dmus_glue_pci_bar_is_io(raw.as_ptr(), bar as ffi::c_int) };
            let (start, len) = match (pdev.resource_start(bar), pdev.resource_len(bar)) {
                (Ok(start), Ok(len)) if is_io => (start, len),
                _ => (0, 0),
            };
            if len == 0 {
                dev_err!(
                    dev,
                    "{card}: BAR {bar} is no I/O BAR, no MPU-401 there \
                     (for a card added through new_id, pci_bar= and pci_offset= say where it is)\n"
                );
                return Err(ENODEV);
            }
            if u64::from(offset) + 2 > len {
                dev_err!(
                    dev,
                    "{card}: BAR {bar} has {len} ports, no room for an MPU-401 at offset {offset:#x}\n"
                );
                return Err(ENODEV);
            }
            let port = start + u64::from(offset);
            dev_info!(
                dev,
                "{card}: MPU-401 UART at BAR {bar} + {offset:#x} (port {port:#x}), polled\n"
            );
            let id = bindings::PLATFORM_DEVID_AUTO;
            let Some(child) = PlatformDevice::register(DRIVER_NAME, Some(&raw), id, port, 0)?
            else {
                dev_err!(
                    dev,
                    "{card}: no MPU-401 answered at BAR {bar} + {offset:#x} (port {port:#x})\n"
                );
                return Err(ENODEV);
            };
            BOUND.fetch_add(1, Ordering::Relaxed);
            Ok(try_pin_init!(Mpu401PciDevice { child: Some(child) }))
        })
    }
}
