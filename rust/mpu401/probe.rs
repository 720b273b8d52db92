// SPDX-License-Identifier: GPL-2.0

//! Binding: the platform driver that probes an MPU-401 (ISA ports or the
//! virtual one), runs the handshake, requests the threaded IRQ and builds the
//! DMus port and miniport with an ALSA card on top.
//!
//! An ISA MPU-401 is a platform device with an `IORESOURCE_IO` range of two
//! ports and an IRQ resource (as snd-mpu401 registers it); the PnP and PCI
//! drivers register the same kind of device, as a child of theirs, for the
//! MPU-401 they found (the PCI one without an IRQ: polled). A virtual one has
//! only the IRQ resource, a line of the simulated IRQ domain. No IRQ
//! resource: the driver polls.

use super::io::PortIo;
use super::miniport::{handshake, IrqHandler, Mpu401Miniport, Mpu401Stream};
use super::regs::Mpu401Io;
use crate::dmus::{DmusStreamType, MiniportDMus, Mxf, NewStream};
use crate::glue;
use crate::port::{
    alsa::{Card, CardNames, RawmidiOps},
    clock::KernelClock,
    dmusdev::DmusDev,
    hwdep::HwdepOps,
    kerr,
    pool::new_pool,
    CaptureMxf, CaptureSink, Port, RenderMxf,
};
use crate::virt::{debugfs::VirtDebugfs, VirtIo, VirtMpu401, VirtParams};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{device::Core, irq, platform, prelude::*, str::CString, sync::Arc};

/// The driver's and the devices' name (and the module's).
pub(crate) const DRIVER_NAME: &CStr = c"snd_dmus_mpu401";
/// Platform device ids of virtual MPU-401s start here.
pub(crate) const VIRT_ID_BASE: i32 = 100;
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

/// What the module's parameters say about the devices it creates.
#[derive(Clone, Copy)]
pub(crate) struct DeviceParams {
    /// The virtual cable's speed, baud (0: instant).
    pub(crate) baud: u32,
    /// The virtual chip's output FIFO depth, bytes.
    pub(crate) tx_fifo: usize,
    /// The virtual chip's input FIFO depth, bytes.
    pub(crate) rx_fifo: usize,
    /// The chip never acknowledges commands: do not wait for ACKs.
    pub(crate) no_ack: bool,
    /// The virtual chip never acknowledges commands.
    pub(crate) virt_no_ack: bool,
}

impl DeviceParams {
    /// What a virtual MPU-401 is made with (`virt=` and `peer=` alike).
    pub(crate) fn virt(&self) -> VirtParams {
        VirtParams {
            byte_ns: VirtParams::byte_ns_at(self.baud),
            tx_depth: self.tx_fifo,
            rx_depth: self.rx_fifo,
            ack: !self.virt_no_ack,
        }
    }
}

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
    /// Registers platform device `snd_dmus_mpu401.<id>` (`id`
    /// `PLATFORM_DEVID_AUTO`: a free number), a child of `parent`, with the
    /// I/O ports `port` and `port + 1` (none when 0) and IRQ `irq` (none when
    /// 0: polled). The probe runs now, synchronously; returns the device
    /// when it bound, `None` when the probe failed (the device is then
    /// unregistered). Errors: `-EINVAL` for a port above `c_ulong`, those of
    /// `platform_device_register_full`.
    pub(crate) fn register(
        parent: Option<&kernel::device::Device>,
        id: i32,
        port: u64,
        irq: i32,
    ) -> Result<Option<Self>> {
        let port = kernel::ffi::c_ulong::try_from(port).map_err(|_| EINVAL)?;
        let parent = parent.map_or(core::ptr::null_mut(), glue::raw_device);
        // SAFETY: `parent` is null or a live device (the caller's, bound
        // while it registers children); the call copies what it needs.
        let pdev = unsafe { glue::dmus_glue_platform_register(parent, id, port, irq) };
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

/// One bound MPU-401: its card, port, miniport and IRQ.
#[pin_data(PinnedDrop)]
pub(crate) struct Mpu401Device {
    /// The interrupt; without one the miniport polls while a stream runs.
    irq: Option<Pin<KBox<irq::ThreadedRegistration<IrqHandler>>>>,
    card: Option<Card>,
    port: Arc<Port>,
    miniport: Mpu401Miniport,
    virt: Option<Arc<VirtMpu401>>,
    _debugfs: Option<Pin<KBox<VirtDebugfs>>>,
}

#[pinned_drop]
impl PinnedDrop for Mpu401Device {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Nothing below moves a pinned field; `card` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // The interrupt and the poll timer first (in 7.2 devres runs after the
        // driver data is dropped, so the IRQ is still live here), then the
        // card: `snd_card_free` waits until applications have closed it,
        // after which no rawmidi callback runs.
        drop(this.irq.take());
        this.miniport.stop_polling();
        // Blocked DMus callers return -ENODEV, so their files can close.
        this.port.disconnect();
        drop(this.card.take());
        drop(this._debugfs.take());
        this.port.shutdown();
        this.miniport.shutdown();
        if let Some(virt) = &this.virt {
            virt.shutdown();
        }
    }
}

/// A chip's registers, its model and number when it is virtual, a
/// description for messages, and a short name ("0x330", "virt0").
type Chip = (
    Arc<dyn Mpu401Io>,
    Option<(Arc<VirtMpu401>, u32)>,
    CString,
    CString,
);

/// Virtual MPU-401s probed since the module was loaded (their numbers).
static VIRT_PROBED: AtomicU32 = AtomicU32::new(0);

/// The chip behind `pdev`: its I/O range when it has one, else a virtual one
/// raising Linux IRQ `irq` (0: none, the driver polls).
fn chip(pdev: &platform::Device<Core<'_>>, params: &DeviceParams, irq: u32) -> Result<Chip> {
    let dev = pdev.as_ref();
    match PortIo::new(dev) {
        Ok(ports) => {
            let base = ports.base();
            let io: Arc<dyn Mpu401Io> = Arc::new(ports, GFP_KERNEL)?;
            let desc = if irq == 0 {
                CString::try_from_fmt(fmt!("MPU-401 at {:#x}, polled", base))?
            } else {
                CString::try_from_fmt(fmt!("MPU-401 at {:#x}, irq {}", base, irq))?
            };
            let short = CString::try_from_fmt(fmt!("{:#x}", base))?;
            Ok((io, None, desc, short))
        }
        Err(e) if e != ENOENT => {
            dev_err!(dev, "cannot reserve the MPU-401's I/O ports: {:?}\n", e);
            Err(e)
        }
        _ => {
            let model = VirtMpu401::new(params.virt(), irq)?;
            let io: Arc<dyn Mpu401Io> = Arc::new(VirtIo(model.clone()), GFP_KERNEL)?;
            let desc = if irq == 0 {
                CString::try_from_fmt(fmt!("virtual MPU-401, polled"))?
            } else {
                CString::try_from_fmt(fmt!("virtual MPU-401, irq {}", irq))?
            };
            let n = VIRT_PROBED.fetch_add(1, Ordering::Relaxed);
            let short = CString::try_from_fmt(fmt!("virt{}", n))?;
            Ok((io, Some((model, n)), desc, short))
        }
    }
}

impl platform::Driver for Mpu401Driver {
    type IdInfo = ();
    type Data<'bound> = Mpu401Device;

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Mpu401Device, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let dev = pdev.as_ref();
            let params = crate::device_params();
            let raw = glue::raw_device(dev);
            // SAFETY: `raw` is the bound platform device being probed.
            let slot = unsafe { glue::dmus_glue_platform_slot(raw) };
            let (index, id) = crate::card_index_id(slot);
            // 0: no interrupt (`platform_get_irq_optional` says -ENXIO), the
            // driver polls. Any other error (-EPROBE_DEFER, ...) fails the
            // probe instead of silently polling.
            let irq_line = match pdev.optional_irq_by_index(0) {
                Ok(r) => r.irq(),
                Err(e) if e == ENXIO => 0,
                Err(e) => {
                    dev_err!(dev, "cannot get the MPU-401's IRQ: {:?}\n", e);
                    return Err(e);
                }
            };
            let (io, virt, desc, short) = chip(pdev, &params, irq_line)?;
            if let Err(e) = handshake(&*io, params.no_ack) {
                dev_err!(
                    dev,
                    "no MPU-401 answered at {}: command {:#04x} got no ACK (status {:#04x}, data {:#04x}); \
                     a UART-only chip that never acknowledges works with no_ack=1\n",
                    desc.to_str().unwrap_or("?"),
                    e.cmd,
                    e.status,
                    e.data
                );
                if let Some((virt, _)) = &virt {
                    virt.shutdown();
                }
                return Err(ENODEV);
            }
            let byte_ns = VirtParams::byte_ns_at(params.baud.max(31250));
            // The virtual chip's FIFO at its own wire speed; a real one's at
            // 31250 baud.
            let drain_tail_ns = match &virt {
                Some(_) => (params.tx_fifo as u64 + 1) * VirtParams::byte_ns_at(params.baud),
                None => CHIP_TX_BYTES * byte_ns,
            };
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
            let wire = |e| {
                port.shutdown();
                miniport.shutdown();
                kerr(e)
            };
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
            port.set_streams(render, capture, schedule_prefetch);
            let handler = miniport.irq_handler(&port);
            // Past `init`, the port and its group hold each other: an error
            // from here on must shut the port down (which also releases the
            // chip's I/O ports through the streams).
            let setup = || -> Result<_> {
                let debugfs = match &virt {
                    Some((model, n)) => Some(VirtDebugfs::new(model, c"virt", *n)?),
                    None => None,
                };
                // The interrupt when there is one, else polling while a
                // stream runs.
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
                let longname =
                    CString::try_from_fmt(fmt!("DMus {}", desc.to_str().unwrap_or("?")))?;
                let rawmidi = CString::try_from_fmt(fmt!("DMus MPU-401 MIDI"))?;
                Ok((irq, debugfs, shortname, longname, rawmidi))
            };
            let (irq, debugfs, shortname, longname, rawmidi) =
                setup().inspect_err(|_| port.shutdown())?;
            port.dmus().set_name(&shortname);
            let ops: Arc<dyn RawmidiOps> = port.clone();
            let dmus_ops: Arc<dyn HwdepOps> = port.clone();
            let port_on_error = port.clone();
            let make_card = move || {
                let names = CardNames {
                    driver: c"DMusMPU401",
                    shortname: &shortname,
                    longname: &longname,
                    rawmidi: &rawmidi,
                    hwdep: c"DMus MPU-401",
                };
                Card::new(
                    dev,
                    index,
                    id.unwrap_or(c"DMusMPU401"),
                    crate::module(),
                    &names,
                    ops,
                    dmus_ops,
                )
                .inspect_err(|e| {
                    dev_err!(dev, "cannot create the ALSA card: {:?}\n", e);
                    // Breaks the port -> group -> member -> port cycle.
                    port_on_error.shutdown();
                })
            };
            Ok(try_pin_init!(Mpu401Device {
                irq,
                card: Some(make_card()?),
                port,
                miniport,
                virt: virt.map(|(model, _)| model),
                _debugfs: debugfs,
            }))
        })
    }
}
