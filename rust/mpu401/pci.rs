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
//! own, whichever loads first. So the table's entries are `override_only`
//! (and the table has no module alias): a card binds here only when the user
//! says so, through the card's `driver_override` or the driver's `new_id`
//! (`/sys/bus/pci/drivers/snd_dmus_mpu401/new_id`). A card of the table then
//! uses its BAR and offset; any other card `pci_bar=` and `pci_offset=`.

use super::probe::PlatformDevice;
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

/// An id matching `vendor:device` only for a device whose `driver_override`
/// names this driver (`override_only`, which 7.2's `pci::DeviceId`
/// constructors do not set; they also cannot name Avance Logic, 0x4005).
const fn override_only_id(vendor: u16, device: u16) -> pci::DeviceId {
    let id = bindings::pci_device_id {
        vendor: vendor as u32,
        device: device as u32,
        subvendor: !0,
        subdevice: !0,
        class: 0,
        class_mask: 0,
        driver_data: 0,
        override_only: 1,
    };
    // SAFETY: `pci::DeviceId` is a `#[repr(transparent)]` wrapper of
    // `bindings::pci_device_id` with no other invariant (rust/kernel/pci.rs
    // says so where it implements `RawDeviceId`); this is the value
    // `from_id` builds, with `override_only` set.
    unsafe { core::mem::transmute::<bindings::pci_device_id, pci::DeviceId>(id) }
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

/// The id table: [`CARDS`], override-only. The probe finds the card in
/// [`CARDS`] by its own ids, not by the matched id's data: a card may also
/// match a `new_id` id (whose data is that of entry 0) or, through
/// `driver_override`, no id at all.
const PCI_TABLE: IdArray<pci::DeviceId, (), 3> = IdArray::new([
    (override_only_id(CARDS[0].vendor, CARDS[0].device), ()),
    (override_only_id(CARDS[1].vendor, CARDS[1].device), ()),
    (override_only_id(CARDS[2].vendor, CARDS[2].device), ()),
]);

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
                    let (bar, offset) = crate::pci_new_id_params();
                    (bar, offset, "new_id")
                }
            };
            let raw = crate::glue::raw_device(dev);
            // SAFETY: `raw` is the PCI device being probed.
            to_result(unsafe { crate::glue::dmus_glue_pci_enable(raw) })
                .inspect_err(|e| dev_err!(dev, "cannot enable the card: {:?}\n", e))?;
            let (mut start, mut len): (ffi::c_ulong, ffi::c_ulong) = (0, 0);
            // SAFETY: `raw` is the PCI device being probed; `start` and `len`
            // are valid places for the results.
            let found = to_result(unsafe {
                crate::glue::dmus_glue_pci_io_bar(raw, bar as ffi::c_int, &mut start, &mut len)
            });
            if found.is_err() {
                dev_err!(
                    dev,
                    "{card}: BAR {bar} is no I/O BAR, no MPU-401 there \
                     (for a card added through new_id, pci_bar= and pci_offset= say where it is)\n"
                );
                return Err(ENODEV);
            }
            if u64::from(offset) + 2 > len as u64 {
                dev_err!(
                    dev,
                    "{card}: BAR {bar} has {len} ports, no room for an MPU-401 at offset {offset:#x}\n"
                );
                return Err(ENODEV);
            }
            let port = start as u64 + u64::from(offset);
            dev_info!(
                dev,
                "{card}: MPU-401 UART at BAR {bar} + {offset:#x} (port {port:#x}), polled\n"
            );
            let id = bindings::PLATFORM_DEVID_AUTO;
            let Some(child) = PlatformDevice::register(Some(dev), id, port, 0)? else {
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
