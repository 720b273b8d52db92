// SPDX-License-Identifier: GPL-2.0

//! `snd-dmus-mpu401`: the Windows DMus driver model on ALSA, with an MPU-401
//! UART miniport and a virtual MPU-401.
//!
//! The crate is cut as the DMus model is:
//! - [`dmus`]: the contracts (port driver, miniport, MXF streams, allocator,
//!   master clock, service group) and the pure logic the port driver runs
//!   (event model, capture-sink parser, packer, unpacker, sequencer,
//!   allocator). Those files import only `core` and are also built on the host
//!   for `cargo test` (see `rust/host/`).
//! - `port`: the port driver on ALSA (card, rawmidi, clock, service group).
//! - `mpu401`: the MPU-401 UART miniport and its platform driver.
//! - `virt`: the virtual MPU-401.
//!
//! Source of the contracts: the WDK's `dmusicks.h` ("DMus Port Driver",
//! "DMus Miniport Driver" pages).

use kernel::{driver, platform, prelude::*};

pub mod dmus;
mod glue;
mod mpu401;
mod port;
mod virt;

use mpu401::probe::{DeviceParams, Mpu401Driver, DRIVER_NAME, VIRT_ID_BASE};

/// The most virtual MPU-401s one module creates.
const VIRT_MAX: u32 = 8;

module! {
    type: SndDmusMpu401,
    name: "snd_dmus_mpu401",
    authors: ["snd-dmus-mpu401 developers"],
    description: "DMus port driver and MPU-401 UART miniport for ALSA",
    license: "GPL",
    params: {
        index: i32 {
            default: -1,
            description: "Index value for the first card (-1: the first free slot)",
        },
        port: u64 {
            default: 0,
            description: "I/O port of an ISA MPU-401, e.g. 0x330 (0: none)",
        },
        irq: i32 {
            default: 0,
            description: "IRQ of the ISA MPU-401 given by port= (-1: no IRQ, poll the chip)",
        },
        virt: u32 {
            default: 0,
            description: "Virtual MPU-401s with a MIDI cable from OUT to IN (0-8)",
        },
        baud: u32 {
            default: 31250,
            description: "Virtual cable speed in baud, 10 bits a byte (0: instant)",
        },
        tx_fifo: u32 {
            default: 16,
            description: "Virtual MPU-401 output FIFO depth in bytes (1-256)",
        },
        no_ack: u32 {
            default: 0,
            description: "1: the chip never acknowledges commands (UART-only cards); skip the ACK waits",
        },
        virt_irq: u32 {
            default: 1,
            description: "0: the virtual MPU-401s raise no interrupt and are polled",
        },
        virt_no_ack: u32 {
            default: 0,
            description: "1: the virtual MPU-401s never acknowledge commands (to try no_ack)",
        },
        rx_fifo: u32 {
            default: 16,
            description: "Virtual MPU-401 input FIFO depth in bytes (1-256)",
        },
    },
}

/// The module, for the ALSA card's owner.
pub(crate) fn module() -> &'static ThisModule {
    &THIS_MODULE
}

/// The device parameters, read from the module parameters.
pub(crate) fn device_params() -> DeviceParams {
    DeviceParams {
        index: *module_parameters::index.value(),
        baud: *module_parameters::baud.value(),
        tx_fifo: *module_parameters::tx_fifo.value() as usize,
        rx_fifo: *module_parameters::rx_fifo.value() as usize,
        no_ack: *module_parameters::no_ack.value() != 0,
        virt_no_ack: *module_parameters::virt_no_ack.value() != 0,
    }
}

/// Checks the parameters; `-EINVAL` with a message naming the bad one.
fn check_params() -> Result {
    let virt = *module_parameters::virt.value();
    let port = *module_parameters::port.value();
    let irq = *module_parameters::irq.value();
    let fifo_ok = |v: u32| (1..=virt::FIFO_MAX as u32).contains(&v);
    if virt > VIRT_MAX {
        pr_err!("virt={virt}: at most {VIRT_MAX} virtual MPU-401s\n");
        return Err(EINVAL);
    }
    if port != 0 && (irq == 0 || irq < -1) {
        pr_err!("port={port:#x} needs irq= (the ISA MPU-401's IRQ line, or -1 to poll)\n");
        return Err(EINVAL);
    }
    if port != 0 && port > 0xfffe {
        pr_err!("port={port:#x}: not an ISA I/O port\n");
        return Err(EINVAL);
    }
    if !fifo_ok(*module_parameters::tx_fifo.value())
        || !fifo_ok(*module_parameters::rx_fifo.value())
    {
        pr_err!("tx_fifo and rx_fifo must be 1 to {}\n", virt::FIFO_MAX);
        return Err(EINVAL);
    }
    if *module_parameters::baud.value() > 1_000_000 {
        pr_err!(
            "baud={}: at most 1000000\n",
            *module_parameters::baud.value()
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// A registered platform device.
struct PlatformDevice(core::ptr::NonNull<kernel::bindings::platform_device>);

// SAFETY: Only unregistered (process context) by `drop`.
unsafe impl Send for PlatformDevice {}
// SAFETY: No `&self` methods.
unsafe impl Sync for PlatformDevice {}

impl PlatformDevice {
    /// Registers device `DRIVER_NAME.id`; returns it if a driver bound to it.
    /// The probe runs now, synchronously.
    fn register(id: i32, port: u64, irq: i32) -> Result<Option<Self>> {
        let port = kernel::ffi::c_ulong::try_from(port).map_err(|_| EINVAL)?;
        // SAFETY: `DRIVER_NAME` is a C string; the call copies what it needs.
        let pdev =
            unsafe { glue::dmus_glue_platform_register(DRIVER_NAME.as_char_ptr(), id, port, irq) };
        let pdev = kernel::error::from_err_ptr(pdev)?;
        let pdev = core::ptr::NonNull::new(pdev).ok_or(ENOMEM)?;
        let this = Self(pdev);
        // SAFETY: `pdev` is registered.
        let bound = unsafe { glue::dmus_glue_platform_bound(pdev.as_ptr()) };
        Ok(bound.then_some(this))
    }
}

impl Drop for PlatformDevice {
    fn drop(&mut self) {
        // SAFETY: Registered by `register`, unregistered once, here.
        unsafe { glue::platform_device_unregister(self.0.as_ptr()) };
    }
}

/// The devices the parameters ask for, and the simulated IRQ lines of the
/// virtual ones. Dropping unregisters the devices, then frees the lines.
struct Devices {
    list: KVec<PlatformDevice>,
    _sim: Option<virt::simirq::SimIrq>,
}

impl Devices {
    fn register() -> Result<Self> {
        let nvirt = *module_parameters::virt.value();
        let port = *module_parameters::port.value();
        let irq = *module_parameters::irq.value();
        let virt_irq = *module_parameters::virt_irq.value() != 0;
        let sim = if nvirt > 0 && virt_irq {
            Some(virt::simirq::SimIrq::new(nvirt)?)
        } else {
            None
        };
        let mut list = KVec::new();
        let mut requested = 0;
        if port != 0 {
            requested += 1;
            // irq=-1: no IRQ resource, the driver polls.
            if let Some(dev) = PlatformDevice::register(0, port, irq.max(0))? {
                list.push(dev, GFP_KERNEL)?;
            }
        }
        for n in 0..nvirt {
            requested += 1;
            let line = match &sim {
                Some(sim) => sim.irq(n as usize).ok_or(EINVAL)?,
                None => 0,
            };
            let id = VIRT_ID_BASE + n as i32;
            if let Some(dev) = PlatformDevice::register(id, 0, line as i32)? {
                list.push(dev, GFP_KERNEL)?;
            }
        }
        if requested > 0 && list.is_empty() {
            pr_err!("MPU-401 device not found or device busy\n");
            return Err(ENODEV);
        }
        if requested == 0 {
            pr_info!("no device requested: set port= and irq=, or virt=\n");
        }
        Ok(Self { list, _sim: sim })
    }
}

impl Drop for Devices {
    fn drop(&mut self) {
        // Unbinds each device (its card, port and miniport go) before the
        // simulated lines are freed.
        self.list.clear();
    }
}

/// The loaded module.
#[pin_data(PinnedDrop)]
struct SndDmusMpu401 {
    devices: Devices,
    #[pin]
    driver: driver::Registration<platform::Adapter<Mpu401Driver>>,
}

impl kernel::InPlaceModule for SndDmusMpu401 {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(move || {
            check_params()?;
            pr_info!("DMus port driver loaded\n");
            Ok(try_pin_init!(Self {
                driver <- driver::Registration::new(DRIVER_NAME, module),
                devices: Devices::register()?,
            }))
        })
    }
}

#[pinned_drop]
impl PinnedDrop for SndDmusMpu401 {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("DMus port driver unloaded\n");
    }
}
