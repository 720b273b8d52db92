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
//! - `mpu401`: the MPU-401 UART miniport, its entry for a chip
//!   (`mpu401::probe::bind`), the platform driver of real chips and the PCI
//!   driver; the PnP driver and the array parameters are C (`rust/pnp.c`,
//!   `rust/params.c`).
//! - `virt`: the virtual MPU-401, a register-level model that implements
//!   `mpu401`'s register trait and knows nothing else of the miniport.
//! - `swsynth`: the second miniport, a DLS software synthesizer whose wave
//!   output is a capture PCM, over the pure engine `synth` (`rust/synth/`,
//!   also built on the host: `rust/synth/host/`).
//! - Here: the module, its parameters, the devices they ask for, and the
//!   virtual chips' own platform driver ([`VirtDriver`]), which hands each
//!   model to `mpu401::probe::bind` as the real driver hands a chip's ports.
//!
//! Imports run one way: this file -> {`virt`, `mpu401`, `swsynth`} -> `port`
//! -> `dmus`, `swsynth` -> `synth`, and `virt` -> `mpu401::regs` only.
//!
//! Source of the contracts: the WDK's `dmusicks.h` ("DMus Port Driver",
//! "DMus Miniport Driver" pages).

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{device::Core, driver, pci, platform, prelude::*, str::CString, sync::Arc};

pub mod dmus;
mod glue;
mod mpu401;
mod port;
mod swsynth;
pub mod synth;
mod virt;

use mpu401::pci::Mpu401PciDriver;
use mpu401::probe::{
    bind, Chip, Mpu401Device, Mpu401Driver, Options, PlatformDevice, DRIVER_NAME, SLOTS,
};
use port::hwdep::HwdepFops;
use virt::{debugfs::VirtDebugfs, VirtIo, VirtMpu401, VirtParams};

/// The most virtual MPU-401s one module creates.
const VIRT_MAX: u32 = 8;
/// The most synthesizer cards one module creates.
const SYNTH_MAX: u32 = 4;

module! {
    type: SndDmusMpu401,
    name: "snd_dmus_mpu401",
    authors: ["snd-dmus-mpu401 maintainers <maintainers@users.noreply.b-seed-ed14b38d.example>"],
    description: "DMus port driver and MPU-401 UART miniport for ALSA",
    license: "GPL",
    // The per-device array parameters (index, id, enable, pnp, port, irq)
    // are in rust/params.c: 7.2's Rust module parameters are scalars.
    params: {
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
        peer: u32 {
            default: 0,
            description: "Virtual MPU-401s for snd-dmus-peer, the in-tree snd-mpu401-uart on the same model (a measuring instrument; 0-8)",
        },
        pci_bar: u32 {
            default: 0,
            description: "PCI cards bound by hand (new_id, driver_override), not in the table: the I/O BAR of the MPU-401 (0-5)",
        },
        pci_offset: u32 {
            default: 0,
            description: "PCI cards bound by hand: the MPU-401's offset in that BAR, in ports",
        },
        synth: u32 {
            default: 0,
            description: "DLS software-synthesizer cards (0-4): rawmidi, sequencer port and DMus device in, a capture PCM out",
        },
        synth_rate: u32 {
            default: 48000,
            description: "The synthesizers' sample rate in Hz (8000-192000)",
        },
        synth_delay: u32 {
            default: 20,
            description: "The synthesizers' render delay in ms (1-1000): events delivered up to this late still start on their exact sample",
        },
        synth_skew: i32 {
            default: 0,
            description: "The synthesizers' sample counter runs this many ppm fast (-10000 to 10000), as a sound card's crystal would: 0 counts on the master clock",
        },
        synth_sync: u32 {
            default: 1,
            description: "SyncToMaster slews the synthesizers' sample clock to their counter (1) or leaves it (0)",
        },
    },
}

/// `no_ack=`: the chips never acknowledge commands.
fn no_ack() -> bool {
    *module_parameters::no_ack.value() != 0
}

/// What a virtual MPU-401 is made with (`virt=` and `peer=` alike): `baud=`,
/// `tx_fifo=`, `rx_fifo=`, `virt_no_ack=`.
fn virt_params() -> VirtParams {
    VirtParams {
        byte_ns: VirtParams::byte_ns_at(*module_parameters::baud.value()),
        tx_depth: *module_parameters::tx_fifo.value() as usize,
        rx_depth: *module_parameters::rx_fifo.value() as usize,
        ack: *module_parameters::virt_no_ack.value() == 0,
    }
}

/// BAR and offset (in ports) of the MPU-401 of a PCI card bound through the
/// driver's `new_id` (`pci_bar=`, `pci_offset=`).
fn pci_new_id_params() -> (u32, u32) {
    (
        *module_parameters::pci_bar.value(),
        *module_parameters::pci_offset.value(),
    )
}

/// `SNDRV_AUTO_IRQ` (include/sound/initval.h): no `irq=` value given.
const AUTO_IRQ: i32 = 0xffff;

/// What the array parameters say about one device slot (0 to [`SLOTS`] - 1);
/// read from `rust/params.c`.
struct Slot {
    /// `enable[slot]`.
    enabled: bool,
    /// The slot is left to PnP detection (`pnp[slot]`, see `params.c`).
    pnp: bool,
    /// `port[slot]`, 0 when none was given.
    port: u64,
    /// `port[slot]` was given but is no I/O port: the value given.
    bad_port: Option<i64>,
    /// `irq[slot]`; [`AUTO_IRQ`] when none was given.
    irq: i32,
}

impl Slot {
    fn read(slot: i32) -> Self {
        // SAFETY: The getters only read the parameter arrays and accept any
        // slot number.
        unsafe {
            Self {
                enabled: glue::dmus_param_enabled(slot),
                pnp: glue::dmus_param_slot_is_pnp(slot),
                port: glue::dmus_param_port(slot) as u64,
                bad_port: glue::dmus_param_port_bad(slot)
                    .then(|| glue::dmus_param_port_raw(slot) as i64),
                irq: glue::dmus_param_irq(slot),
            }
        }
    }

    /// An ISA MPU-401 at `port=`: an enabled slot with a port, not left to PnP.
    fn isa(&self) -> bool {
        self.enabled && !self.pnp && self.port != 0
    }
}

/// Checks the parameters; `-EINVAL` with a message naming the bad one.
fn check_params() -> Result {
    let virt = *module_parameters::virt.value();
    let fifo_ok = |v: u32| (1..=virt::FIFO_MAX as u32).contains(&v);
    if virt > VIRT_MAX {
        pr_err!("virt={virt}: at most {VIRT_MAX} virtual MPU-401s\n");
        return Err(EINVAL);
    }
    let peer = *module_parameters::peer.value();
    if peer > VIRT_MAX {
        pr_err!("peer={peer}: at most {VIRT_MAX} virtual MPU-401s\n");
        return Err(EINVAL);
    }
    for n in 0..SLOTS {
        let slot = Slot::read(n);
        if let Some(port) = slot.bad_port {
            pr_err!("port={port:#x}: not an ISA I/O port\n");
            return Err(EINVAL);
        }
        if slot.isa() && (slot.irq == 0 || slot.irq < -1 || slot.irq >= AUTO_IRQ) {
            pr_err!(
                "port={:#x} needs irq= (the ISA MPU-401's IRQ line, or -1 to poll)\n",
                slot.port
            );
            return Err(EINVAL);
        }
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
    let synth = *module_parameters::synth.value();
    if synth > SYNTH_MAX {
        pr_err!("synth={synth}: at most {SYNTH_MAX} synthesizers\n");
        return Err(EINVAL);
    }
    let rate = *module_parameters::synth_rate.value();
    if !(8000..=192_000).contains(&rate) {
        pr_err!("synth_rate={rate}: 8000 to 192000 Hz\n");
        return Err(EINVAL);
    }
    let delay = *module_parameters::synth_delay.value();
    if !(1..=1000).contains(&delay) {
        pr_err!("synth_delay={delay}: 1 to 1000 ms\n");
        return Err(EINVAL);
    }
    let skew = *module_parameters::synth_skew.value();
    if !(-dmus::synth::MAX_SKEW_PPM..=dmus::synth::MAX_SKEW_PPM).contains(&skew) {
        pr_err!("synth_skew={skew}: -10000 to 10000 ppm\n");
        return Err(EINVAL);
    }
    if *module_parameters::synth_sync.value() > 1 {
        pr_err!(
            "synth_sync={}: 0 or 1\n",
            *module_parameters::synth_sync.value()
        );
        return Err(EINVAL);
    }
    let (bar, offset) = pci_new_id_params();
    if bar > 5 || offset > 0xfffe {
        pr_err!("pci_bar={bar} pci_offset={offset:#x}: BARs are 0-5, offsets below 0xffff\n");
        return Err(EINVAL);
    }
    Ok(())
}

/// The PnP driver (`rust/pnp.c`) while registered.
struct Pnp;

impl Pnp {
    /// Registers the PnP driver when a slot is left to PnP; returns it with
    /// the numbers of PnP devices found and bound.
    fn register() -> Result<(Option<Self>, u32, u32)> {
        let wanted = (0..SLOTS).any(|n| {
            let slot = Slot::read(n);
            slot.enabled && slot.pnp
        });
        if !wanted {
            return Ok((None, 0, 0));
        }
        let (mut found, mut bound) = (0, 0);
        // SAFETY: Registered once per module load; `Pnp::drop` unregisters.
        kernel::error::to_result(unsafe { glue::dmus_pnp_register(&mut found, &mut bound) })?;
        Ok((Some(Self), found as u32, bound as u32))
    }
}

impl Drop for Pnp {
    fn drop(&mut self) {
        // SAFETY: Registered by `register`. Unbinds the PnP devices, whose
        // remove unregisters their platform devices.
        unsafe { glue::dmus_pnp_unregister() };
    }
}

/// The devices the parameters ask for, the simulated IRQ lines of the
/// virtual ones, and the peer's chips (`peer=`). Dropping unregisters the
/// devices, then frees the lines, then the peer's chips.
struct Devices {
    pnp: Option<Pnp>,
    list: KVec<PlatformDevice>,
    _sim: Option<virt::simirq::SimIrq>,
    _peers: Option<virt::peer::Peers>,
}

impl Devices {
    /// Registers the ISA (`port=`), virtual (`virt=`) and PnP devices; the
    /// PCI devices are already probed. `-ENODEV` when devices were asked for
    /// or found and none probed.
    fn register() -> Result<Self> {
        let nvirt = *module_parameters::virt.value();
        let virt_irq = *module_parameters::virt_irq.value() != 0;
        let sim = if nvirt > 0 && virt_irq {
            Some(virt::simirq::SimIrq::new(nvirt)?)
        } else {
            None
        };
        let mut list = KVec::new();
        // MPU-401s (ISA, virtual, PnP) and synthesizers asked for or found.
        let mut requested = 0;
        let mut synths = 0;
        for n in 0..SLOTS {
            let slot = Slot::read(n);
            if !slot.isa() {
                continue;
            }
            requested += 1;
            // irq=-1: no IRQ resource, the driver polls.
            if let Some(dev) =
                PlatformDevice::register(DRIVER_NAME, None, n, slot.port, slot.irq.max(0))?
            {
                list.push(dev, GFP_KERNEL)?;
            }
        }
        for n in 0..nvirt {
            requested += 1;
            let line = match &sim {
                Some(sim) => sim.irq(n as usize).ok_or(EINVAL)?,
                None => 0,
            };
            if let Some(dev) =
                PlatformDevice::register(VIRT_DRIVER_NAME, None, n as i32, 0, line as i32)?
            {
                list.push(dev, GFP_KERNEL)?;
            }
        }
        for n in 0..*module_parameters::synth.value() {
            synths += 1;
            if let Some(dev) = PlatformDevice::register(SYNTH_DRIVER_NAME, None, n as i32, 0, 0)? {
                list.push(dev, GFP_KERNEL)?;
            }
        }
        let (pnp, pnp_found, pnp_bound) = Pnp::register()?;
        // PCI cards bind only when a user says so (see `mpu401::pci`): they
        // count when bound, and one that failed does not fail the load.
        requested += pnp_found;
        let bound = list.len() as u32 + pnp_bound + mpu401::pci::bound();
        let npeer = *module_parameters::peer.value();
        let peers = if npeer > 0 {
            pr_info!("{npeer} virtual MPU-401s left for snd-dmus-peer\n");
            Some(virt::peer::Peers::new(npeer, virt_params())?)
        } else {
            None
        };
        if requested + synths > 0 && bound == 0 {
            // Each device that failed said why; this names what was missing.
            if requested > 0 {
                pr_err!("MPU-401 device not found or device busy\n");
            }
            if synths > 0 {
                pr_err!("synthesizer not created (see the messages above)\n");
            }
            return Err(ENODEV);
        }
        if requested + synths == 0 && peers.is_none() {
            pr_info!(
                "no device found: set port= and irq=, or virt=; PCI cards bind through new_id\n"
            );
        }
        pr_info!("DMus port driver loaded, devices bound: {bound}\n");
        Ok(Self {
            pnp,
            list,
            _sim: sim,
            _peers: peers,
        })
    }
}

impl Drop for Devices {
    fn drop(&mut self) {
        // Unbinds each device (its card, port and miniport go) before the
        // simulated lines are freed; the PnP devices first.
        drop(self.pnp.take());
        self.list.clear();
    }
}

/// The loaded module. Fields drop in this order: the devices, then the PCI
/// driver (its devices' platform children go), then the platform drivers.
#[pin_data(PinnedDrop)]
struct SndDmusMpu401 {
    devices: Devices,
    #[pin]
    pci: driver::Registration<pci::Adapter<Mpu401PciDriver>>,
    #[pin]
    driver: driver::Registration<platform::Adapter<Mpu401Driver>>,
    #[pin]
    virt_driver: driver::Registration<platform::Adapter<VirtDriver>>,
    #[pin]
    synth_driver: driver::Registration<platform::Adapter<SynthDriver>>,
    /// The DMus files' operations, freed last.
    _hwdep_fops: HwdepFops,
}

impl kernel::InPlaceModule for SndDmusMpu401 {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(move || {
            check_params()?;
            let (pci_bar, pci_offset) = pci_new_id_params();
            Options {
                no_ack: no_ack(),
                pci_bar,
                pci_offset,
            }
            .set();
            // The platform driver first: the PCI and PnP probes register
            // platform devices for it.
            Ok(try_pin_init!(Self {
                // First made, last dropped (declared last).
                _hwdep_fops: HwdepFops,
                synth_driver <- driver::Registration::new(SYNTH_DRIVER_NAME, module),
                virt_driver <- driver::Registration::new(VIRT_DRIVER_NAME, module),
                driver <- driver::Registration::new(DRIVER_NAME, module),
                pci <- driver::Registration::new(DRIVER_NAME, module),
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

/// The virtual MPU-401s' platform driver and its devices' name.
const VIRT_DRIVER_NAME: &CStr = c"snd_dmus_mpu401_virt";

/// Virtual MPU-401s probed since the module was loaded (their numbers, for
/// the card names and debugfs).
static VIRT_PROBED: AtomicU32 = AtomicU32::new(0);

/// The platform driver of the virtual MPU-401s: devices `snd_dmus_mpu401_virt.<n>`
/// with an IRQ resource, a line of the simulated IRQ domain (none with
/// `virt_irq=0`: polled).
struct VirtDriver;

/// A bound virtual MPU-401. Fields drop in order: the MPU-401 (IRQ, card,
/// port, miniport), the debugfs files, then the model's own timer.
struct VirtDevice {
    _mpu401: Mpu401Device,
    _debugfs: Pin<KBox<VirtDebugfs>>,
    _model: VirtModel,
}

/// The model, shut down (its wire timer stopped) on drop.
struct VirtModel(Arc<VirtMpu401>);

impl Drop for VirtModel {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

impl platform::Driver for VirtDriver {
    type IdInfo = ();
    type Data<'bound> = VirtDevice;

    /// Makes a model (`baud=`, `tx_fifo=`, `rx_fifo=`, `virt_no_ack=`) that
    /// raises the device's IRQ, and binds it like a real chip.
    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<VirtDevice, Error> + 'bound {
        probe_virt(pdev)
    }
}

/// The probe of [`VirtDriver`].
fn probe_virt(pdev: &platform::Device<Core<'_>>) -> Result<VirtDevice> {
    let irq = match pdev.optional_irq_by_index(0) {
        Ok(r) => r.irq(),
        Err(e) if e == ENXIO => 0,
        Err(e) => {
            dev_err!(pdev.as_ref(), "cannot get the simulated IRQ: {:?}\n", e);
            return Err(e);
        }
    };
    let params = virt_params();
    let model = VirtModel(VirtMpu401::new(params, irq)?);
    let n = VIRT_PROBED.fetch_add(1, Ordering::Relaxed);
    let desc = if irq == 0 {
        CString::try_from_fmt(fmt!("virtual MPU-401, polled"))?
    } else {
        CString::try_from_fmt(fmt!("virtual MPU-401, irq {}", irq))?
    };
    let baud = *module_parameters::baud.value();
    let chip = Chip {
        io: Arc::new(VirtIo(model.0.clone()), GFP_KERNEL)?,
        irq,
        desc,
        short: CString::try_from_fmt(fmt!("virt{}", n))?,
        // A faster cable than MIDI's retries sooner; an instant one
        // (`baud=0`) as often as MIDI.
        byte_ns: VirtParams::byte_ns_at(baud.max(31250)),
        drain_tail_ns: (params.tx_depth as u64 + 1) * params.byte_ns,
        slot: -1,
        no_ack: no_ack(),
    };
    let mpu401 = bind(pdev, chip)?;
    let debugfs = VirtDebugfs::new(&model.0, c"virt", n)?;
    Ok(VirtDevice {
        _mpu401: mpu401,
        _debugfs: debugfs,
        _model: model,
    })
}

/// The synthesizers' platform driver and its devices' name.
const SYNTH_DRIVER_NAME: &CStr = c"snd_dmus_synth";

/// Synthesizers probed since the module was loaded (their numbers).
static SYNTH_PROBED: AtomicU32 = AtomicU32::new(0);

/// The platform driver of the software synthesizers (`synth=`): devices
/// `snd_dmus_synth.<n>`, each a card of the synthesizer miniport on the
/// port driver.
struct SynthDriver;

impl platform::Driver for SynthDriver {
    type IdInfo = ();
    type Data<'bound> = swsynth::SynthDevice;

    /// Binds a synthesizer at `synth_rate=` with render delay `synth_delay=`,
    /// its counter `synth_skew=` off, corrected unless `synth_sync=0`,
    /// playing the bank of firmware file `synth_bank=` (default: built in).
    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<swsynth::SynthDevice, Error> + 'bound {
        let n = SYNTH_PROBED.fetch_add(1, Ordering::Relaxed);
        let params = swsynth::SinkParams {
            rate: *module_parameters::synth_rate.value(),
            delay: i64::from(*module_parameters::synth_delay.value())
                * dmus::clock::UNITS_PER_MILLISECOND,
            skew_ppm: *module_parameters::synth_skew.value(),
            sync: *module_parameters::synth_sync.value() != 0,
        };
        // SAFETY: `dmus_param_synth_bank` returns NULL or the `synth_bank=`
        // string, which lives as long as the module.
        let bank = unsafe { glue::dmus_param_synth_bank() };
        let bank = (!bank.is_null()).then(|| {
            // SAFETY: Non-NULL: a NUL-terminated parameter string that
            // outlives this call.
            unsafe { CStr::from_char_ptr(bank) }
        });
        swsynth::bind(pdev.as_ref(), n, params, bank)
    }
}
