// SPDX-License-Identifier: GPL-2.0

//! `IMXF`: the MIDI transform filter interface every DMus stream implements, and `KSSTATE`.
//!
//! Source: WDK `IMXF::SetState`, `IMXF::PutMessage`, `IMXF::ConnectOutput`,
//! `IMXF::DisconnectOutput` (dmusicks.h; `nf-dmusicks-imxf-setstate.md` for the state rules).

use super::allocator::PoolRef;
use super::error::Error;
use super::event::EventChain;

/// `KSSTATE`: the state of a kernel-streaming pin, and so of a DMus stream.
///
/// Kernel streaming moves a pin one step at a time: STOP <-> ACQUIRE <-> PAUSE <-> RUN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum KsState {
    /// `KSSTATE_STOP` (0): no data flows; resources may be released.
    Stop = 0,
    /// `KSSTATE_ACQUIRE` (1): resources acquired, no data flows.
    Acquire = 1,
    /// `KSSTATE_PAUSE` (2): ready; data is accepted but the clock does not run.
    Pause = 2,
    /// `KSSTATE_RUN` (3): data flows.
    Run = 3,
}

/// What a stream does with data in a given [`KsState`] (see [`KsState::render_disposition`]
/// and [`KsState::capture_disposition`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Send it on: play it (render) or deliver it to the sink (capture).
    Deliver,
    /// Keep it queued until the stream runs.
    Hold,
    /// Give it back to the allocator without playing or delivering it.
    Discard,
}

impl KsState {
    /// The state for a raw `KSSTATE` value.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) for a value above 3.
    pub const fn from_raw(raw: u32) -> Result<Self, Error> {
        match raw {
            0 => Ok(KsState::Stop),
            1 => Ok(KsState::Acquire),
            2 => Ok(KsState::Pause),
            3 => Ok(KsState::Run),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// The raw `KSSTATE` value.
    pub const fn as_raw(self) -> u32 {
        self as u32
    }

    /// What a render stream does with queued data in this state (`IMXF::SetState`: "the
    /// render stream should hold onto the data" outside RUN, and discard it to the allocator
    /// in STOP): RUN plays, PAUSE and ACQUIRE hold, STOP discards.
    pub const fn render_disposition(self) -> Disposition {
        match self {
            KsState::Run => Disposition::Deliver,
            KsState::Pause | KsState::Acquire => Disposition::Hold,
            KsState::Stop => Disposition::Discard,
        }
    }

    /// What a capture stream does with received data in this state (`IMXF::SetState`: it
    /// "may send data in RUN or PAUSE"; data produced in STOP or ACQUIRE "should be thrown
    /// away"): RUN and PAUSE deliver, STOP and ACQUIRE discard.
    pub const fn capture_disposition(self) -> Disposition {
        match self {
            KsState::Run | KsState::Pause => Disposition::Deliver,
            KsState::Acquire | KsState::Stop => Disposition::Discard,
        }
    }

    /// The next state on the way from `self` to `target` (kernel streaming moves one step at
    /// a time), or `None` if already there.
    pub const fn step_toward(self, target: KsState) -> Option<KsState> {
        let from = self as u32;
        let to = target as u32;
        if from == to {
            return None;
        }
        let next = if from < to { from + 1 } else { from - 1 };
        match KsState::from_raw(next) {
            Ok(s) => Some(s),
            Err(_) => None,
        }
    }
}

/// `IMXF` of `dmusicks.h`: a DMus stream (a miniport's render or capture stream, a synth
/// sink, the port's own filters).
///
/// Data moves as owned [`EventChain`]s: `put_message` always consumes the chain — it plays,
/// queues, forwards or returns to the allocator every event, also when it fails.
///
/// Implementations use interior mutability (`&self`): the same stream is reached from the
/// service group's softirq and from process context.
pub trait Mxf {
    /// The pool reference the stream's events carry.
    type Pool: PoolRef;

    /// What [`connect_output`](Self::connect_output) accepts: a handle to the next stream in
    /// the capture graph (the port's capture sink). The kernel picks its own type (for
    /// example an `Arc` of the port's sink).
    type Output;

    /// `IMXF::SetState`: moves the stream to `state`.
    ///
    /// Render: in [`KsState::Run`] queued and new data plays; outside RUN it is held; on
    /// entering [`KsState::Stop`] everything held is returned to the allocator. Capture: data
    /// is delivered to the output in RUN and PAUSE and thrown away in STOP and ACQUIRE. See
    /// [`KsState::render_disposition`] and [`KsState::capture_disposition`].
    ///
    /// Errors: [`Error::NoDevice`] (`-ENODEV`) or [`Error::Io`] (`-EIO`) if the hardware
    /// cannot enter RUN (the WDK sample returns `STATUS_INVALID_DEVICE_STATE` when the
    /// MPU-401 is not initialised). The MPU-401 streams never fail: their chip passed the
    /// handshake before they were made.
    ///
    /// Context: process (may sleep).
    fn set_state(&self, state: KsState) -> Result<(), Error>;

    /// `IMXF::PutMessage`: hands the stream a chain of events.
    ///
    /// Render: `Some(chain)` holds due events from the sequencer, to write to the hardware in
    /// order. A package event (`DMUS_KEF_PACKAGE_EVENT`) reaches the stream whole: the port's
    /// sequencer queues it by the package event's own `pres_time` (its members' times are not
    /// looked at), and the stream replaces it by its members when it reaches the head of its
    /// queue ([`EventChain::pop_front_unpacked`]; the MPU-401 render stream does this), so the
    /// members go out in chain order where the package stood. Nothing in the kernel module
    /// makes package events today: the rawmidi parser and the DMus device's unpacker make
    /// single messages. Capture: `None` means "pull now": the port's service routine calls it
    /// from the service group's DPC after the ISR called
    /// [`PortDMus::notify`](super::port::PortDMus::notify), and the stream moves what the
    /// hardware received to its output (`PutMessage(NULL)` in the WDK capture path). The
    /// MPU-401 capture stream takes no chain: `Some`, even empty, is
    /// [`Error::InvalidArgument`].
    ///
    /// The chain is consumed in every case. Errors: [`Error::Io`] (`-EIO`) if the hardware
    /// stopped accepting data (the WDK sample gives up after 100 failed tries); the events are
    /// then returned to the allocator. The MPU-401 render stream never returns it: while its
    /// output is stuck it discards (and counts) what it gets and returns `Ok`, and the port
    /// asks it with `output_stuck`. [`Error::ForeignPool`] (`-EINVAL`) for a chain of another
    /// pool.
    ///
    /// Context: softirq (the service group's tasklet; the kernel port calls it only from there)
    /// or process; never sleeps.
    fn put_message(&self, chain: Option<EventChain<Self::Pool>>) -> Result<(), Error>;

    /// `IMXF::ConnectOutput`: sets where a capture stream sends its events. Until connected
    /// (and after disconnecting) captured events go back to the allocator.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) on a stream with no output (render);
    /// [`Error::Busy`] (`-EBUSY`) if an output is already connected. (The MPU-401 capture
    /// stream does not refuse: a second output replaces the first.)
    ///
    /// Context: process.
    fn connect_output(&self, sink: Self::Output) -> Result<(), Error>;

    /// `IMXF::DisconnectOutput`: removes the output set by
    /// [`connect_output`](Self::connect_output); returns once no context is still delivering
    /// to it.
    ///
    /// Errors: [`Error::InvalidArgument`] (`-EINVAL`) if `sink` is not the connected output.
    ///
    /// The MPU-401 capture stream is looser: it returns `Ok` for any `sink` (removing it only
    /// when it is the connected one) and returns at once; a service pass already delivering
    /// holds its own reference to the sink and may still finish delivering to it.
    ///
    /// Context: process (may sleep).
    fn disconnect_output(&self, sink: &Self::Output) -> Result<(), Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions() {
        use Disposition::*;
        let render: [Disposition; 4] = [
            KsState::Stop.render_disposition(),
            KsState::Acquire.render_disposition(),
            KsState::Pause.render_disposition(),
            KsState::Run.render_disposition(),
        ];
        assert_eq!(render, [Discard, Hold, Hold, Deliver]);
        let capture: [Disposition; 4] = [
            KsState::Stop.capture_disposition(),
            KsState::Acquire.capture_disposition(),
            KsState::Pause.capture_disposition(),
            KsState::Run.capture_disposition(),
        ];
        assert_eq!(capture, [Discard, Discard, Deliver, Deliver]);
    }

    #[test]
    fn raw_values_and_steps() {
        for raw in 0..4 {
            assert_eq!(KsState::from_raw(raw).map(KsState::as_raw), Ok(raw));
        }
        assert_eq!(KsState::from_raw(4), Err(Error::InvalidArgument));
        assert_eq!(
            KsState::Stop.step_toward(KsState::Run),
            Some(KsState::Acquire)
        );
        assert_eq!(
            KsState::Run.step_toward(KsState::Stop),
            Some(KsState::Pause)
        );
        assert_eq!(KsState::Pause.step_toward(KsState::Pause), None);
    }
}
