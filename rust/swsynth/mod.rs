// SPDX-License-Identifier: GPL-2.0

//! The DLS software-synthesizer miniport: a second `IMiniportDMus` on the
//! same port driver as the MPU-401, whose wave output is an ALSA capture PCM.
//!
//! `new_stream` gives a MIDI render stream ([`render::SynthRender`]) and a
//! wave-sink stream ([`sink::WaveSink`], `ISynthSinkDMus`); there is no MIDI
//! capture. The port driver (`crate::port`) is the MPU-401's: the card's
//! rawmidi output, sequencer port and DMus device reach the synthesizer
//! through the port's sequencer exactly as they reach the chip. The sound
//! comes from the pure engine in `rust/synth/` (integer only, also built on
//! the host), with its built-in bank, a bank from a firmware file
//! (`synth_bank=`), or one loaded through the DMus device
//! (`SND_DMUS_IOCTL_LOAD_BANK`, [`render::SynthRender`]).
//!
//! Source: WDK `IMiniportDMus::NewStream` (`DMUS_STREAM_WAVE_SINK`),
//! `ISynthSinkDMus`; the DDK `ddksynth` sample.

pub(crate) mod debugfs;
pub(crate) mod engine;
pub(crate) mod render;
pub(crate) mod sink;

use crate::dmus::{
    DmusStreamType, Error as DmusError, EventChain, KsState, MiniportDMus, Mxf, NewStream,
};
use crate::port::{
    alsa::{CapturePcm, Card, CardExtras, CardNames, RawmidiOps},
    clock::KernelClock,
    dmusdev::DmusDev,
    hwdep::HwdepOps,
    kerr,
    pcm::PcmOps,
    pool::{new_pool, KPool},
    service::KernelServiceGroup,
    CaptureSink, Port, PortService, RenderMxf,
};
use engine::LoadedBank;
use kernel::{device::Device, firmware::Firmware, prelude::*, str::CString, sync::Arc};
use render::SynthRender;
pub(crate) use sink::SinkParams;
use sink::{SinkPcm, WaveSink};

/// Render events of the port's pool (the DMus device's timed queue).
const RENDER_EVENTS: usize = 4096;
/// Render buffers (SysEx longer than an event's inline bytes).
const RENDER_BUFFERS: usize = 64;
/// Bytes of one render buffer.
const POOL_BUFFER_SIZE: usize = 256;

/// A stream of the synthesizer miniport.
pub(crate) enum SynthStream {
    /// `DMUS_STREAM_MIDI_RENDER`.
    Render(Arc<SynthRender>),
    /// `DMUS_STREAM_WAVE_SINK`.
    Sink(Arc<WaveSink>),
}

impl Mxf for SynthStream {
    type Pool = KPool;
    type Output = ();

    fn set_state(&self, state: KsState) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(s) => s.set_state(state),
            Self::Sink(s) => s.set_state(state),
        }
    }

    fn put_message(&self, chain: Option<EventChain<KPool>>) -> core::result::Result<(), DmusError> {
        match self {
            Self::Render(s) => s.put_message(chain),
            Self::Sink(s) => s.put_message(chain),
        }
    }

    /// Neither stream has an output (`-EINVAL`).
    fn connect_output(&self, _sink: ()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }

    fn disconnect_output(&self, _sink: &()) -> core::result::Result<(), DmusError> {
        Err(DmusError::InvalidArgument)
    }
}

/// The software-synthesizer miniport of one card.
pub(crate) struct SynthMiniport {
    group: Arc<KernelServiceGroup>,
    sink: Arc<WaveSink>,
}

impl SynthMiniport {
    /// A miniport rendering as `params` say, from `bank` (`None`: the
    /// built-in bank). `-ENOMEM`, or `-EINVAL` for a rate the engine refuses
    /// or a skew beyond ±10000 ppm.
    pub(crate) fn new(params: SinkParams, bank: Option<LoadedBank>) -> Result<Self> {
        let engine = engine::Engine::new(params.rate, bank)?;
        Ok(Self {
            group: KernelServiceGroup::new()?,
            sink: WaveSink::new(engine, params)?,
        })
    }

    /// Teardown (process context, after the card is gone): stops the tick
    /// and the group.
    pub(crate) fn shutdown(&self) {
        self.sink.stop_timer();
        self.group.clear();
        self.group.kill();
    }
}

impl MiniportDMus for SynthMiniport {
    type Port = Arc<Port>;
    type Resources = ();
    type Allocator = KPool;
    type Clock = KernelClock;
    type Stream = SynthStream;

    /// Registers the group with the port, with the port as its member.
    fn init(
        &self,
        _resources: &(),
        port: Arc<Port>,
    ) -> core::result::Result<Option<Arc<KernelServiceGroup>>, DmusError> {
        PortService::join(port, &self.group)?;
        Ok(Some(self.group.clone()))
    }

    /// `MidiRender`: a stream feeding the sink, prefetch 0 (the sink's
    /// render delay absorbs delivery); `WaveSink`: the sink. `MidiCapture`
    /// is `-EINVAL`: a synthesizer has no MIDI input.
    fn new_stream(
        &self,
        kind: DmusStreamType,
        _allocator: KPool,
        _clock: KernelClock,
    ) -> core::result::Result<NewStream<SynthStream, Arc<KernelServiceGroup>>, DmusError> {
        let stream = match kind {
            DmusStreamType::MidiRender => SynthStream::Render(
                SynthRender::new(self.sink.clone()).map_err(|_| DmusError::NoMemory)?,
            ),
            DmusStreamType::WaveSink => SynthStream::Sink(self.sink.clone()),
            DmusStreamType::MidiCapture => return Err(DmusError::InvalidArgument),
        };
        Ok(NewStream {
            stream,
            schedule_prefetch: 0,
            service_group: None,
        })
    }
}

/// A bound synthesizer card. Drop order: the debugfs files, the card (after
/// waking the DMus device's waiters), then the port's and the miniport's
/// teardown.
pub(crate) struct SynthDevice {
    debugfs: Option<Pin<KBox<debugfs::SynthDebugfs>>>,
    card: Option<Card>,
    port: Arc<Port>,
    miniport: SynthMiniport,
}

impl Drop for SynthDevice {
    fn drop(&mut self) {
        drop(self.debugfs.take());
        self.port.disconnect();
        drop(self.card.take());
        self.port.shutdown();
        self.miniport.shutdown();
    }
}

/// Loads the bank in firmware file `name` (under `/lib/firmware`) for
/// `dev`, with a message either way.
///
/// Errors: what `request_firmware` returns (`-ENOENT`: no such file),
/// `-ENOMEM`, `-EINVAL` when the file is not a valid bank.
fn firmware_bank(dev: &Device, name: &CStr) -> Result<LoadedBank> {
    let fw = Firmware::request(name, dev).inspect_err(|e| {
        dev_err!(
            dev,
            "synth_bank={}: cannot load the firmware file: {:?}\n",
            name.to_str().unwrap_or("?"),
            e
        );
    })?;
    let mut bytes = KVVec::with_capacity(fw.size(), GFP_KERNEL)?;
    bytes.extend_from_slice(fw.data(), GFP_KERNEL)?;
    drop(fw);
    let bank = engine::parse_bank(bytes).map_err(|e| {
        dev_err!(
            dev,
            "synth_bank={}: not a valid DMus bank: {:?}\n",
            name.to_str().unwrap_or("?"),
            e
        );
        EINVAL
    })?;
    dev_info!(
        dev,
        "synth_bank={}: {} downloads, {} bytes\n",
        name.to_str().unwrap_or("?"),
        bank.bank().len(),
        bank.bank().as_bytes().len()
    );
    Ok(bank)
}

/// Makes a synthesizer card for `dev`: number `n` (for its name), its wave
/// sink as `params` say, playing the bank in firmware file `bank` (`None`:
/// the built-in bank).
///
/// Errors: `-ENOMEM`, `-EINVAL` (a rate the engine refuses, a skew beyond
/// ±10000 ppm, a firmware file that is not a bank), what `request_firmware`
/// returns (`-ENOENT`), and what the card's creation returns (`-ENODEV` when
/// ALSA has no free card slot).
pub(crate) fn bind(
    dev: &Device,
    n: u32,
    params: SinkParams,
    bank: Option<&CStr>,
) -> Result<SynthDevice> {
    let rate = params.rate;
    let bank = match bank {
        Some(name) => Some(firmware_bank(dev, name)?),
        None => None,
    };
    let clock = KernelClock::new();
    let render_pool = new_pool(RENDER_EVENTS, RENDER_BUFFERS, POOL_BUFFER_SIZE)?;
    let dmus = DmusDev::new()?;
    let port = Port::new(clock, render_pool.clone(), CaptureSink::new(dmus)?, 0)?;
    let miniport = SynthMiniport::new(params, bank)?;
    let wire_error = |e: Error| {
        port.shutdown();
        miniport.shutdown();
        e
    };
    let wire = |e| wire_error(kerr(e));
    miniport.init(&(), port.clone()).map_err(wire)?;
    let NewStream {
        stream: SynthStream::Render(render),
        schedule_prefetch,
        ..
    } = miniport
        .new_stream(DmusStreamType::MidiRender, render_pool.clone(), clock)
        .map_err(wire)?
    else {
        return Err(wire_error(EINVAL));
    };
    let NewStream {
        stream: SynthStream::Sink(sink),
        ..
    } = miniport
        .new_stream(DmusStreamType::WaveSink, render_pool, clock)
        .map_err(wire)?
    else {
        return Err(wire_error(EINVAL));
    };
    let debugfs = debugfs::SynthDebugfs::new(&sink, &render, n).map_err(wire_error)?;
    let render: Arc<RenderMxf> = render;
    port.set_streams(render, None, schedule_prefetch);
    let names = || -> Result<_> {
        Ok((
            CString::try_from_fmt(fmt!("DMus DLS Synth {}", n))?,
            CString::try_from_fmt(fmt!("DMus DLS software synthesizer {} at {} Hz", n, rate))?,
        ))
    };
    let (shortname, longname) = names().map_err(wire_error)?;
    port.dmus().set_name(&shortname);
    let ops: Arc<dyn RawmidiOps> = port.clone();
    let dmus_ops: Arc<dyn HwdepOps> = port.clone();
    let pcm_link = sink.pcm_link();
    let pcm_ops: Arc<dyn PcmOps> =
        Arc::new(SinkPcm(sink), GFP_KERNEL).map_err(|e| wire_error(e.into()))?;
    let card = Card::new(
        dev,
        -1,
        c"DMusSynth",
        &CardNames {
            driver: c"DMusSynth",
            shortname: &shortname,
            longname: &longname,
            rawmidi: c"DMus Synth MIDI",
            hwdep: c"DMus Synth",
        },
        (ops, port.link()),
        dmus_ops,
        CardExtras {
            rawmidi_input: false,
            pcm: Some(CapturePcm {
                name: c"DMus Synth Wave",
                rate,
                ops: pcm_ops,
                link: pcm_link,
            }),
        },
    )
    .map_err(|e| {
        dev_err!(dev, "cannot create the synthesizer's ALSA card: {:?}\n", e);
        wire_error(e)
    })?;
    Ok(SynthDevice {
        debugfs: Some(debugfs),
        card: Some(card),
        port,
        miniport,
    })
}
