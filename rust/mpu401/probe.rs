// SPDX-License-Identifier: GPL-2.0

//! Binding: [`bind`], the one entry that turns a chip (its registers, its
//! IRQ) into a bound MPU-401: it runs the handshake, requests the threaded
//! IRQ (or polls) and builds the DMus port and miniport with an ALSA card on
//! top; and the platform driver that calls it for a real chip.
//!
//! A real MPU-401 is a platform device with an `IORESOURCE_IO` range of two
//! ports and an IRQ resource (as snd-mpu401 registers it): the module
//! registers one for each ISA `port=`, the PnP and PCI drivers one as a
//! child of theirs for the MPU-401 they found (the PCI one without an IRQ:
//! polled). No IRQ resource: the driver polls. Other chips (the virtual
//! MPU-401) have their own platform driver, which calls [`bind`] with their
//! own register accessor.

use super::handshake::handshake;
use super::io::PortIo;
use super::irq::IrqHandler;
use super::miniport::{Mpu401Miniport, Mpu401Stream};
use super::regs::Mpu401Io;
use crate::dmus::{DmusStreamType, MiniportDMus, Mxf, NewStream};
use crate::glue;
use crate::port::{
    alsa::{Card, CardExtras, CardNames, RawmidiOps},
    clock::KernelClock,
    debugfs::PortDebugfs,
    dmusdev::DmusDev,
    hwdep::HwdepOps,
    kerr,
    pool::new_pool,
    CaptureMxf, CaptureSink, Port, RenderMxf,
};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{device::Core, irq, platform, prelude::*, str::CString, sync::Arc};

/// The driver's and its devices' name (and the module's).
pub(crate) const DRIVER_NAME: &CStr = c"snd_dmus_mpu401";
/// Device slots of the array parameters (ALSA's `SNDRV_CARDS`, `glue.h`'s
/// `DMUS_SLOTS`).
pub(crate) const SLOTS: i32 = 8;

/// What the module's parameters tell the MPU-401 drivers (`no_ack=`,
/// `pci_bar=`, `pci_offset=`); the module sets them once, before it
/// registers the drivers.
#[derive(Clone, Copy)]
pub(crate) struct Options {
    /// The chips never acknowledge commands: skip the ACK waits.
    pub(crate) no_ack: bool,
    /// For a PCI card bound through `new_id` or `driver_override` and not
    /// in the PCI driver's list: the I/O BAR of its MPU-401 (0-5).
    pub(crate) pci_bar: u32,
    /// For such a card: the MPU-401's offset in that BAR, in ports.
    pub(crate) pci_offset: u32,
}

static NO_ACK: AtomicBool = AtomicBool::new(false);
static PCI_BAR: AtomicU32 = AtomicU32::new(0);
static PCI_OFFSET: AtomicU32 = AtomicU32::new(0);

impl Options {
    /// Makes these the options the drivers read.
    pub(crate) fn set(self) {
        NO_ACK.store(self.no_ack, Ordering::Relaxed);
        PCI_BAR.store(self.pci_bar, Ordering::Relaxed);
        PCI_OFFSET.store(self.pci_offset, Ordering::Relaxed);
    }

    /// The options set last (all zero before).
    pub(crate) fn get() -> Self {
        Self {
            no_ack: NO_ACK.load(Ordering::Relaxed),
            pci_bar: PCI_BAR.load(Ordering::Relaxed),
            pci_offset: PCI_OFFSET.load(Ordering::Relaxed),
        }
    }
}

/// The card index and id (`index=`, `id=`) of the card of device slot
/// `slot`; `(-1, None)` (the first free index, the driver's id) for virtual
/// and PCI devices, which have no slot (`slot` < 0).
fn card_index_id(slot: i32) -> (i32, Option<&'static CStr>) {
    if !(0..SLOTS).contains(&slot) {
        return (-1, None);
    }
    // SAFETY: The getters only read the parameter arrays.
    let (index, id) = unsafe { (glue::dmus_param_index(slot), glue::dmus_param_id(slot)) };
    // SAFETY: A non-null `id[slot]` is a C string that the parameter code
    // keeps until the module is unloaded.
    let id = (!id.is_null()).then(|| unsafe { CStr::from_char_ptr(id) });
    (index, id)
}

/// Events and SysEx buffers of the capture stream's pool.
const POOL_EVENTS: usize = 512;
const POOL_BUFFERS: usize = 32;
const POOL_BUFFER_SIZE: usize = 256;
/// Events and SysEx buffers of the render pool: the DMus device's queue
/// (`SND_DMUS_IOCTL_INFO.queue_size`), about four seconds of a dense file.
const RENDER_EVENTS: usize = 4096;
const RENDER_BUFFERS: usize = 64;
/// Output FIFO bytes the drain waits for after the last write to a real
/// chip (an MPU-401 UART's transmit FIFO is at most 16 bytes, plus the byte
/// in the shift register).
const CHIP_TX_BYTES: u64 = 17;

/// One byte's time on a real MPU-401's MIDI OUT at 31250 baud, 10 bits a
/// byte, ns.
const CHIP_BYTE_NS: u64 = 320_000;

/// The platform driver.
pub(crate) struct Mpu401Driver;

/// A platform device the module registered for an MPU-401, unregistered on
/// drop (which unbinds it first).
pub(crate) struct PlatformDevice(core::ptr::NonNull<kernel::bindings::platform_device>);

// SAFETY: Only unregistered (process context) by `drop`.
unsafe impl Send for PlatformDevice {}
// SAFETY: No `&self` methods.
unsafe impl Sync for PlatformDevice {}

impl PlatformDevice {
    /// Registers platform device `<name>.<id>` (`id` `PLATFORM_DEVID_AUTO`: a
    /// free number) for the platform driver called `name`, a child of
    /// `parent`, with the
    /// I/O ports `port` and `port + 1` (none when 0) and IRQ `irq` (none when
    /// 0: polled). The probe runs now, synchronously; returns the device
    /// when it bound, `None` when the probe failed (the device is then
    /// unregistered). Errors: `-EINVAL` for a port above `c_ulong`, those of
    /// `platform_device_register_full`.
    pub(crate) fn register(
        name: &CStr,
        parent: Option<&glue::DeviceRef>,
        id: i32,
        port: u64,
        irq: i32,
    ) -> Result<Option<Self>> {
        let port = kernel::ffi::c_ulong::try_from(port).map_err(|_| EINVAL)?;
        let parent = parent.map_or(core::ptr::null_mut(), glue::DeviceRef::as_ptr);
        // SAFETY: `name` is a C string the call copies; `parent` is null or
        // a live device (the caller's, bound while it registers children).
        let pdev =
            unsafe { glue::dmus_glue_platform_register(name.as_char_ptr(), parent, id, port, irq) };
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

/// One bound MPU-401: its card, port, miniport and IRQ. Dropping it unbinds
/// in this order: the interrupt (or the poll timer), the DMus device's
/// blocked callers, the card (`snd_card_free` waits until applications have
/// closed it, after which no rawmidi callback runs), the port, the miniport.
pub(crate) struct Mpu401Device {
    /// The interrupt; without one the miniport polls while a stream runs.
    irq: Option<Pin<KBox<irq::ThreadedRegistration<IrqHandler>>>>,
    card: Option<Card>,
    /// `snd-dmus-mpu401-cardN/` (`None` when it could not be made).
    debugfs: Option<Pin<KBox<PortDebugfs>>>,
    port: Arc<Port>,
    miniport: Mpu401Miniport,
}

impl Drop for Mpu401Device {
    fn drop(&mut self) {
        // In 7.2 devres runs after the driver data is dropped, so the IRQ is
        // still live here: free it first.
        drop(self.debugfs.take());
        drop(self.irq.take());
        self.miniport.stop_polling();
        // Blocked DMus callers return -ENODEV, so their files can close.
        self.port.disconnect();
        drop(self.card.take());
        self.port.shutdown();
        self.miniport.shutdown();
    }
}

/// A chip for [`bind`]: what its platform driver found.
pub(crate) struct Chip {
    /// Its registers.
    pub(crate) io: Arc<dyn Mpu401Io>,
    /// Its Linux IRQ, resource 0 of the platform device; 0: none, the driver
    /// polls.
    pub(crate) irq: u32,
    /// For messages and the card's long name ("MPU-401 at 0x330, irq 5").
    pub(crate) desc: CString,
    /// For the card's short name ("0x330").
    pub(crate) short: CString,
    /// One byte's time on its MIDI OUT, ns: how long the render stream
    /// waits before it retries a full output FIFO.
    pub(crate) byte_ns: u64,
    /// How long its output FIFO takes to empty when full, ns: what a drain
    /// waits after the last write.
    pub(crate) drain_tail_ns: u64,
    /// Its device slot of the array parameters (`index=`, `id=`); -1: none.
    pub(crate) slot: i32,
    /// The chip never acknowledges commands: skip the ACK waits.
    pub(crate) no_ack: bool,
}

/// Binds `chip`, the chip of platform device `pdev`: runs the handshake
/// (reset, enter UART mode), builds the DMus port driver with the MPU-401
/// UART miniport, its render and capture streams, requests `chip.irq` as a
/// threaded IRQ (or polls while a stream runs) and registers the ALSA card.
///
/// Errors: `-ENODEV` when the chip does not answer the handshake (with a
/// message naming `chip.desc`); those of the IRQ request and of
/// [`Card::new`] (logged); `-ENOMEM`.
pub(crate) fn bind(pdev: &platform::Device<Core<'_>>, chip: Chip) -> Result<Mpu401Device> {
    let dev = pdev.as_ref();
    let Chip {
        io,
        irq: irq_line,
        desc,
        short,
        byte_ns,
        drain_tail_ns,
        slot,
        no_ack,
    } = chip;
    let (index, id) = card_index_id(slot);
    if let Err(e) = handshake(&*io, no_ack) {
        dev_err!(
            dev,
            "no MPU-401 answered at {}: command {:#04x} got no ACK (status {:#04x}, data {:#04x}); \
             a UART-only chip that never acknowledges works with no_ack=1\n",
            desc.to_str().unwrap_or("?"),
            e.cmd,
            e.status,
            e.data
        );
        return Err(ENODEV);
    }
    let clock = KernelClock::new();
    let render_pool = new_pool(RENDER_EVENTS, RENDER_BUFFERS, POOL_BUFFER_SIZE)?;
    let capture_pool = new_pool(POOL_EVENTS, POOL_BUFFERS, POOL_BUFFER_SIZE)?;
    let dmus = DmusDev::new()?;
    let port = Port::new(
        clock,
        render_pool.clone(),
        CaptureSink::new(dmus)?,
        drain_tail_ns,
    )?;
    let miniport = Mpu401Miniport::new(dev.into(), io, byte_ns)?;
    // Past `init`, the port and its group hold each other: an error from
    // here on must shut both down (which also releases the chip's I/O ports
    // through the streams) and stop the miniport's timers and tasklet.
    let wire_error = |e: Error| {
        port.shutdown();
        miniport.shutdown();
        e
    };
    let wire = |e| wire_error(kerr(e));
    miniport.init(&(), port.clone()).map_err(wire)?;
    let NewStream {
        stream: Mpu401Stream::Render(render),
        schedule_prefetch,
        ..
    } = miniport
        .new_stream(DmusStreamType::MidiRender, render_pool, clock)
        .map_err(wire)?
    else {
        return Err(EINVAL);
    };
    let NewStream {
        stream: Mpu401Stream::Capture(capture),
        ..
    } = miniport
        .new_stream(DmusStreamType::MidiCapture, capture_pool, clock)
        .map_err(wire)?
    else {
        return Err(EINVAL);
    };
    capture
        .connect_output(port.capture_sink().clone())
        .map_err(wire)?;
    let render: Arc<RenderMxf> = render;
    let capture: Arc<CaptureMxf> = capture;
    port.set_streams(render, Some(capture), schedule_prefetch);
    let handler = miniport.irq_handler(&port);
    let setup = || -> Result<_> {
        // The interrupt when there is one, else polling while a stream runs.
        let irq = match irq_line {
            1.. => Some(KBox::pin_init(
                pdev.request_threaded_irq_by_index(
                    irq::Flags::TRIGGER_NONE,
                    0,
                    c"snd-dmus-mpu401",
                    Ok::<_, Error>(handler),
                ),
                GFP_KERNEL,
            )?),
            0 => {
                miniport.poll_with(handler)?;
                None
            }
        };
        let shortname =
            CString::try_from_fmt(fmt!("DMus MPU-401 {}", short.to_str().unwrap_or("?")))?;
        let longname = CString::try_from_fmt(fmt!("DMus {}", desc.to_str().unwrap_or("?")))?;
        let rawmidi = CString::try_from_fmt(fmt!("DMus MPU-401 MIDI"))?;
        Ok((irq, shortname, longname, rawmidi))
    };
    let (irq, shortname, longname, rawmidi) = setup().map_err(|e| {
        miniport.stop_polling();
        wire_error(e)
    })?;
    port.dmus().set_name(&shortname);
    let ops: Arc<dyn RawmidiOps> = port.clone();
    let dmus_ops: Arc<dyn HwdepOps> = port.clone();
    let names = CardNames {
        driver: c"DMusMPU401",
        shortname: &shortname,
        longname: &longname,
        rawmidi: &rawmidi,
        hwdep: c"DMus MPU-401",
    };
    let card = Card::new(
        dev,
        index,
        id.unwrap_or(c"DMusMPU401"),
        &names,
        (ops, port.link()),
        dmus_ops,
        CardExtras {
            rawmidi_input: true,
            pcm: None,
        },
    );
    match card {
        Ok(card) => Ok(Mpu401Device {
            irq,
            debugfs: PortDebugfs::new(&port, card.number()).ok(),
            card: Some(card),
            port,
            miniport,
        }),
        Err(e) => {
            dev_err!(dev, "cannot create the ALSA card: {:?}\n", e);
            // As `Mpu401Device::drop`, without a card.
            drop(irq);
            miniport.stop_polling();
            Err(wire_error(e))
        }
    }
}

impl platform::Driver for Mpu401Driver {
    type IdInfo = ();
    type Data<'bound> = Mpu401Device;

    /// A real MPU-401: reserves its two I/O ports and binds it.
    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Mpu401Device, Error> + 'bound {
        probe_ports(pdev)
    }
}

/// The probe of [`Mpu401Driver`].
fn probe_ports(pdev: &platform::Device<Core<'_>>) -> Result<Mpu401Device> {
    let dev = pdev.as_ref();
    let raw = glue::DeviceRef::find(dev, false)?;
    // SAFETY: `raw` is the platform device being probed.
    let slot = unsafe { glue::dmus_glue_platform_slot(raw.as_ptr()) };
    // 0: no interrupt (`platform_get_irq_optional` says -ENXIO), the
    // driver polls. Any other error (-EPROBE_DEFER, ...) fails the probe
    // instead of silently polling.
    let irq = match pdev.optional_irq_by_index(0) {
        Ok(r) => r.irq(),
        Err(e) if e == ENXIO => 0,
        Err(e) => {
            dev_err!(dev, "cannot get the MPU-401's IRQ: {:?}\n", e);
            return Err(e);
        }
    };
    let ports = PortIo::new(dev).inspect_err(|e| {
        dev_err!(dev, "cannot reserve the MPU-401's I/O ports: {:?}\n", e);
    })?;
    let base = ports.base();
    let desc = if irq == 0 {
        CString::try_from_fmt(fmt!("MPU-401 at {:#x}, polled", base))?
    } else {
        CString::try_from_fmt(fmt!("MPU-401 at {:#x}, irq {}", base, irq))?
    };
    bind(
        pdev,
        Chip {
            io: Arc::new(ports, GFP_KERNEL)?,
            irq,
            desc,
            short: CString::try_from_fmt(fmt!("{:#x}", base))?,
            byte_ns: CHIP_BYTE_NS,
            drain_tail_ns: CHIP_TX_BYTES * CHIP_BYTE_NS,
            slot,
            no_ack: Options::get().no_ack,
        },
    )
}
