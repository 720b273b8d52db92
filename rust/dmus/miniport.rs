// SPDX-License-Identifier: GPL-2.0

//! `IMiniportDMus`: what a chip driver (the MPU-401 UART miniport) offers the port, and
//! `DMUS_STREAM_TYPE`.
//!
//! Source: WDK `IMiniportDMus`, `IMiniportDMus::Init`, `IMiniportDMus::NewStream`,
//! `IMiniportDMus::Service` (dmusicks.h; `nn-dmusicks-iminiportdmus.md`,
//! `nf-dmusicks-iminiportdmus-service.md`).

use super::allocator::AllocatorMxf;
use super::clock::{MasterClock, ReferenceTime};
use super::error::Error;
use super::mxf::Mxf;
use super::port::PortDMus;

/// `DMUS_STREAM_MIDI_INVALID`: the raw value of no stream type.
pub const DMUS_STREAM_MIDI_INVALID: i32 = -1;

/// `DMUS_STREAM_TYPE`: the kind of stream [`MiniportDMus::new_stream`] creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum DmusStreamType {
    /// `DMUS_STREAM_MIDI_RENDER` (0): events from the port's sequencer to the device.
    MidiRender = 0,
    /// `DMUS_STREAM_MIDI_CAPTURE` (1): bytes from the device to the port's capture sink.
    MidiCapture = 1,
    /// `DMUS_STREAM_WAVE_SINK` (2): a software synth's wave output (an `ISynthSinkDMus`).
    WaveSink = 2,
}

impl DmusStreamType {
    /// The stream type for a raw `DMUS_STREAM_TYPE` value.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) for `DMUS_STREAM_MIDI_INVALID` (-1) or
    /// any other value.
    pub const fn from_raw(raw: i32) -> Result<Self, Error> {
        match raw {
            0 => Ok(DmusStreamType::MidiRender),
            1 => Ok(DmusStreamType::MidiCapture),
            2 => Ok(DmusStreamType::WaveSink),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// The raw `DMUS_STREAM_TYPE` value.
    pub const fn as_raw(self) -> i32 {
        self as i32
    }
}

/// What [`MiniportDMus::new_stream`] returns: the out-parameters of `NewStream`.
#[derive(Debug)]
pub struct NewStream<M, G> {
    /// `ppMXF`: the new stream.
    pub stream: M,
    /// `SchedulePreFetch`: how far ahead of its presentation time (100 ns units, >= 0) the
    /// port's sequencer should hand the stream an event. The MPU-401 asks for 0 ("we want
    /// stuff as soon as it comes in").
    pub schedule_prefetch: ReferenceTime,
    /// `ppServiceGroup`: the group the port should add the stream's service to (the capture
    /// stream returns the miniport's group, so the ISR's `notify` reaches it), or `None`.
    pub service_group: Option<G>,
}

/// `IMiniportDMus` of `dmusicks.h`: a DMus miniport driver.
///
/// The port calls it; the miniport keeps the [`PortDMus`] handle it got in
/// [`init`](Self::init) to call [`PortDMus::notify`] from its interrupt handler.
pub trait MiniportDMus {
    /// The port handle the miniport keeps (a reference-counted handle to the port).
    type Port: PortDMus;
    /// The hardware resources (`PRESOURCELIST`): I/O ports and IRQ.
    type Resources: ?Sized;
    /// The allocator streams take events from and return them to.
    type Allocator: AllocatorMxf;
    /// The master clock handle a stream keeps (counted: the WDK sample stored it without
    /// `AddRef`).
    type Clock: MasterClock;
    /// The stream type.
    type Stream: Mxf<Pool = <Self::Allocator as AllocatorMxf>::Pool>;

    /// `IMiniportDMus::Init`: finds and resets the hardware (for the MPU-401: the reset
    /// handshake and UART mode), keeps `port`, and returns the miniport's service group, if
    /// it has one (after registering it with
    /// [`PortDMus::register_service_group`]).
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) for unusable resources (the MPU-401
    /// needs exactly one I/O range, at most one IRQ); [`Error::Busy`] (`-EBUSY`) if they are
    /// taken; [`Error::NoDevice`] (`-ENODEV`) if the chip does not answer its reset;
    /// [`Error::NoMemory`] (`-ENOMEM`).
    ///
    /// Context: process (may sleep).
    fn init(
        &self,
        resources: &Self::Resources,
        port: Self::Port,
    ) -> Result<Option<<Self::Port as PortDMus>::ServiceGroup>, Error>;

    /// `IMiniportDMus::NewStream`: creates a stream of `kind` that takes events from (and
    /// returns them to) `allocator` and reads time from `clock`.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) for a kind the miniport does not
    /// support (the MPU-401 has no wave sink); [`Error::Busy`] (`-EBUSY`) when the kind's
    /// instance limit is reached (one render, one capture stream on the MPU-401);
    /// [`Error::NoDevice`] (`-ENODEV`); [`Error::NoMemory`] (`-ENOMEM`).
    ///
    /// Context: process (may sleep).
    fn new_stream(
        &self,
        kind: DmusStreamType,
        allocator: Self::Allocator,
        clock: Self::Clock,
    ) -> Result<NewStream<Self::Stream, <Self::Port as PortDMus>::ServiceGroup>, Error>;

    /// `IMiniportDMus::Service`: unused, on Windows too ("The `Service` method is currently
    /// unused": the port notifies the capture stream with `PutMessage(NULL)` instead). The
    /// default does nothing.
    ///
    /// Context: softirq.
    fn service(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_types() {
        for raw in 0..3 {
            assert_eq!(
                DmusStreamType::from_raw(raw).map(DmusStreamType::as_raw),
                Ok(raw)
            );
        }
        assert_eq!(
            DmusStreamType::from_raw(DMUS_STREAM_MIDI_INVALID),
            Err(Error::InvalidArgument)
        );
        assert_eq!(DmusStreamType::from_raw(3), Err(Error::InvalidArgument));
    }
}
