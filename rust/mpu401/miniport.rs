// SPDX-License-Identifier: GPL-2.0

//! The MPU-401 UART miniport (`IMiniportDMus`): one chip's service group,
//! capture ring, retry timer and poller, and the streams it makes.
//!
//! Contexts (see Documentation/design.rst):
//! - hard IRQ (the threaded IRQ's primary half, `irq.rs`): drains the chip's
//!   input FIFO into the capture ring, each byte stamped with the master
//!   clock, and calls `PortDMus::notify`. The FIFO may be one byte deep with
//!   a byte every 320 us, so this cannot wait for a thread.
//! - IRQ thread: reports input overruns (`dev_warn`), nothing else.
//! - softirq (the service group's tasklet): the port's render pump calls the render stream's `put_message`
//!   (`render.rs`), which writes while `TX_FULL` is clear and arms a
//!   [`ServiceTimer`] when it is set; the capture stream's
//!   `put_message(None)` (`capture.rs`) parses the ring and delivers to the
//!   capture sink.
//! - process: handshake (`handshake.rs`), `set_state`, teardown.

use super::capture::{CaptureRing, CaptureStream};
use super::irq::IrqHandler;
use super::poll::Poller;
use super::regs::Mpu401Io;
use super::render::RenderStream;
use crate::dmus::{
    DmusStreamType, Error as DmusError, EventChain, KsState, MiniportDMus, Mxf, NewStream,
};
use crate::port::{
    clock::KernelClock, pool::KPool, service::KernelServiceGroup, timer::ServiceTimer, CaptureSink,
    Port, PortService,
};
use kernel::{
    device::Device,
    prelude::*,
    sync::{aref::ARef, Arc},
};

/// A stream of the miniport, as `new_stream` returns it.
pub(crate) enum Mpu401Stream {
    /// `DMUS_STREAM_MIDI_RENDER`.
    Render(Arc<RenderStream>),
    /// `DMUS_STREAM_MIDI_CAPTURE`.
    Capture(Arc<CaptureStream>),
}

impl Mxf for Mpu401Stream {
    type Pool = KPool;
    type Output = Arc<CaptureSink>;

    fn set_state(&self, state: KsState) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(s) => s.set_state(state),
            Self::Capture(s) => s.set_state(state),
        }
    }

    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(s) => s.put_message(chain),
            Self::Capture(s) => s.put_message(chain),
        }
    }

    /// Capture only: render streams have no output (`-EINVAL`).
    fn connect_output(&self, sink: Arc<CaptureSink>) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(_) => Err(DmusError::InvalidArgument),
            Self::Capture(s) => s.connect_output(sink),
        }
    }

    fn disconnect_output(&self, sink: &Arc<CaptureSink>) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(_) => Err(DmusError::InvalidArgument),
            Self::Capture(s) => s.disconnect_output(sink),
        }
    }
}

/// The MPU-401 UART miniport of one chip.
pub(crate) struct Mpu401Miniport {
    dev: ARef<Device>,
    io: Arc<dyn Mpu401Io>,
    ring: Arc<CaptureRing>,
    group: Arc<KernelServiceGroup>,
    retry: Arc<ServiceTimer>,
    poller: Arc<Poller>,
    byte_ns: u64,
}

impl Mpu401Miniport {
    /// A miniport over `io` of device `dev` (its messages name it);
    /// `byte_ns` is the wire time of one byte, the render retry period.
    /// `-ENOMEM` on allocation failure.
    pub(crate) fn new(dev: ARef<Device>, io: Arc<dyn Mpu401Io>, byte_ns: u64) -> Result<Self> {
        let group = KernelServiceGroup::new()?;
        Ok(Self {
            dev,
            io,
            ring: CaptureRing::new()?,
            retry: ServiceTimer::new(group.clone())?,
            poller: Poller::new()?,
            group,
            byte_ns,
        })
    }

    /// Polls the chip with `handler` while a stream is active: for a chip
    /// without an interrupt. `-ENOMEM` on allocation failure.
    pub(crate) fn poll_with(&self, handler: IrqHandler) -> Result {
        self.poller.set_handler(handler)
    }

    /// The IRQ handler for this chip.
    pub(crate) fn irq_handler(&self, port: &Arc<Port>) -> IrqHandler {
        IrqHandler::new(
            self.io.clone(),
            self.ring.clone(),
            port.clone(),
            self.group.clone(),
        )
    }

    /// Stops polling for good; teardown, before the card goes.
    pub(crate) fn stop_polling(&self) {
        self.poller.shutdown();
    }

    /// Teardown, process context, after the IRQ or poll timer is gone: stops
    /// the retry timer, empties the group and waits for its tasklet.
    pub(crate) fn shutdown(&self) {
        self.poller.shutdown();
        self.retry.shutdown();
        self.group.clear();
        self.group.kill();
    }
}

impl MiniportDMus for Mpu401Miniport {
    type Port = Arc<Port>;
    type Resources = ();
    type Allocator = KPool;
    type Clock = KernelClock;
    type Stream = Mpu401Stream;

    /// Registers the miniport's service group with the port, with the port as
    /// its member; returns the group. The chip handshake runs before, in probe.
    fn init(
        &self,
        _resources: &(),
        port: Arc<Port>,
    ) -> core::result::Result<Option<Arc<KernelServiceGroup>>, DmusError> {
        PortService::join(port, &self.group)?;
        Ok(Some(self.group.clone()))
    }

    fn new_stream(
        &self,
        kind: DmusStreamType,
        allocator: KPool,
        _clock: KernelClock,
    ) -> core::result::Result<NewStream<Mpu401Stream, Arc<KernelServiceGroup>>, DmusError> {
        let stream = match kind {
            DmusStreamType::MidiRender => Mpu401Stream::Render(
                RenderStream::new(
                    self.io.clone(),
                    self.poller.clone(),
                    allocator,
                    self.retry.clone(),
                    self.byte_ns.max(100_000),
                    self.dev.clone(),
                )
                .map_err(|_| DmusError::NoMemory)?,
            ),
            DmusStreamType::MidiCapture => Mpu401Stream::Capture(
                CaptureStream::new(
                    self.io.clone(),
                    self.ring.clone(),
                    self.poller.clone(),
                    allocator,
                )
                .map_err(|_| DmusError::NoMemory)?,
            ),
            DmusStreamType::WaveSink => return Err(DmusError::InvalidArgument),
        };
        Ok(NewStream {
            stream,
            // The WDK sample's choice: "we want stuff as soon as it comes in".
            schedule_prefetch: 0,
            service_group: None,
        })
    }
}
