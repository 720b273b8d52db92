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
    /// `ppServiceGroup`: the stream's service group, "the service group that is being
    /// registered for interrupt notification" (WDK), or `None`. The WDK's dmusuart sample
    /// returns its miniport's group for a capture stream and none for render. The MPU-401
    /// miniport returns `None` for both: its group reaches the port through
    /// [`PortDMus::register_service_group`] in [`MiniportDMus::init`] already, and its
    /// interrupt handler notifies that group. The kernel probe ignores this field.
    pub service_group: Option<G>,
}

/// `IMiniportDMus` of `dmusicks.h`: a DMus miniport driver.
///
/// The port calls it; the miniport calls [`PortDMus::notify`] from its interrupt handler.
/// (The MPU-401 miniport's interrupt handler holds its own port handle, given by the probe;
/// the handle passed to [`init`](Self::init) goes into the service group, as the port's
/// member.)
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

    /// `IMiniportDMus::Init`: finds and resets the hardware, keeps `port`, and returns the
    /// miniport's service group, if it has one (after registering it with
    /// [`PortDMus::register_service_group`]). The port adds nothing to the group: a miniport
    /// that wants the port serviced adds the port's sink to its group itself.
    ///
    /// The MPU-401 miniport's `init` does less: the probe has already reserved the ports and
    /// run the reset handshake and UART mode, so `init` registers its group with the port,
    /// adds the port's service (`port::PortService`) as the group's member, and returns the
    /// group.
    ///
    /// Errors (the contract): [`Error::InvalidArgument`] (`-EINVAL`) for unusable resources;
    /// [`Error::Busy`] (`-EBUSY`) if they are taken; [`Error::NoDevice`] (`-ENODEV`) if the
    /// chip does not answer its reset; [`Error::NoMemory`] (`-ENOMEM`). The MPU-401's `init`
    /// returns only `NoMemory` (from `register_service_group`) or `Busy` (the group has no
    /// free member slot).
    ///
    /// Context: process (may sleep).
    fn init(
        &self,
        resources: &Self::Resources,
        port: Self::Port,
    ) -> Result<Option<<Self::Port as PortDMus>::ServiceGroup>, Error>;

    /// `IMiniportDMus::NewStream`: creates a stream of `kind` that takes events from (and
    /// returns them to) `allocator` and reads time from `clock`, with its schedule prefetch
    /// and service group (see [`NewStream`]).
    ///
    /// Errors (the contract): [`Error::InvalidArgument`] (`-EINVAL`) for a kind the miniport
    /// does not support; [`Error::Busy`] (`-EBUSY`) when the kind's instance limit is
    /// reached; [`Error::NoDevice`] (`-ENODEV`); [`Error::NoMemory`] (`-ENOMEM`). The MPU-401
    /// miniport returns `InvalidArgument` for [`DmusStreamType::WaveSink`] and `NoMemory`;
    /// it keeps no instance count (the probe creates one render and one capture stream).
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
