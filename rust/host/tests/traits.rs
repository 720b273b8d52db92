// SPDX-License-Identifier: GPL-2.0

//! The DMus traits implemented by a small loopback miniport (render wire -> capture), to show
//! they fit together and to test the state rules of `IMXF::SetState` end to end.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use common::*;
use dmus::host::HostPoolRef;
use dmus::{
    AllocatorMxf, Disposition, DmusStreamType, Error, EventChain, KsState, MasterClock,
    MiniportDMus, Mxf, NewStream, Packer, Parser, PortDMus, RunningStatus, Sequencer, ServiceGroup,
    ServiceSink,
};

#[derive(Clone, Default)]
struct Clock(Rc<Cell<i64>>);

impl MasterClock for Clock {
    fn get_time(&self) -> i64 {
        self.0.get()
    }
}

/// A service group whose "tasklet" runs at once.
#[derive(Clone, Default)]
struct Group(Rc<RefCell<Vec<Rc<dyn ServiceSink>>>>);

impl ServiceSink for Group {
    fn request_service(&self) {
        let members = self.0.borrow().clone();
        for m in members {
            m.request_service();
        }
    }
}

impl ServiceGroup for Group {
    type Member = Rc<dyn ServiceSink>;

    fn add_member(&self, member: Self::Member) -> Result<(), Error> {
        self.0.borrow_mut().push(member);
        Ok(())
    }

    fn remove_member(&self, member: &Self::Member) {
        self.0.borrow_mut().retain(|m| !Rc::ptr_eq(m, member));
    }
}

#[derive(Clone, Default)]
struct Port {
    group: Group,
    notified: Rc<Cell<u32>>,
}

impl PortDMus for Port {
    type ServiceGroup = Group;

    fn notify(&self, group: Option<&Group>) {
        self.notified.set(self.notified.get() + 1);
        group.unwrap_or(&self.group).request_service();
    }

    fn register_service_group(&self, group: &Group) -> Result<(), Error> {
        let _ = group;
        Ok(())
    }
}

type Output = Rc<RefCell<Vec<Ev>>>;

/// The shared "chip": a wire from the render side to the capture FIFO.
#[derive(Default)]
struct Chip {
    port: RefCell<Option<Port>>,
    wire: RefCell<Vec<u8>>,
    fifo: RefCell<Vec<u8>>,
    stamp: Cell<i64>,
    clock: RefCell<Option<Clock>>,
    capture_state: Cell<Option<KsState>>,
    streams: Cell<(u8, u8)>,
}

impl Chip {
    /// The "ISR": the bytes arrive, stamped with the clock, and the port is notified.
    fn receive(&self, bytes: &[u8]) {
        if self.capture_state.get() != Some(KsState::Run)
            && self.capture_state.get() != Some(KsState::Pause)
        {
            return;
        }
        if self.fifo.borrow().is_empty() {
            self.stamp
                .set(self.clock.borrow().as_ref().map_or(0, |c| c.get_time()));
        }
        self.fifo.borrow_mut().extend_from_slice(bytes);
        let port = self.port.borrow().clone();
        if let Some(port) = port {
            port.notify(None);
        }
    }
}

struct Stream {
    chip: Rc<Chip>,
    kind: DmusStreamType,
    state: Cell<KsState>,
    held: RefCell<EventChain<HostPoolRef>>,
    packer: RefCell<Packer>,
    parser: RefCell<Parser<HostPoolRef>>,
    output: RefCell<Option<Output>>,
}

impl Stream {
    fn play_held(&self) {
        let mut held = self.held.borrow_mut();
        let mut packer = self.packer.borrow_mut();
        let mut bytes = Vec::new();
        while let Some(e) = held.pop_front_unpacked() {
            let mut space = [0u8; 64];
            let r = packer.pack_event(&e.as_event_ref(), &mut space);
            assert!(r.done);
            bytes.extend_from_slice(&space[..r.written]);
        }
        self.chip.wire.borrow_mut().extend_from_slice(&bytes);
        self.chip.receive(&bytes);
    }
}

impl ServiceSink for Stream {
    fn request_service(&self) {
        let _ = self.put_message(None);
    }
}

impl Mxf for Stream {
    type Pool = HostPoolRef;
    type Output = Output;

    fn set_state(&self, state: KsState) -> Result<(), Error> {
        self.state.set(state);
        match self.kind {
            DmusStreamType::MidiRender => match state.render_disposition() {
                Disposition::Deliver => self.play_held(),
                Disposition::Discard => self.held.borrow_mut().clear(),
                Disposition::Hold => {}
            },
            _ => {
                self.chip.capture_state.set(Some(state));
                if state.capture_disposition() == Disposition::Discard {
                    self.chip.fifo.borrow_mut().clear();
                    self.parser.borrow_mut().reset();
                }
            }
        }
        Ok(())
    }

    fn put_message(&self, chain: Option<EventChain<HostPoolRef>>) -> Result<(), Error> {
        match self.kind {
            DmusStreamType::MidiRender => {
                if let Some(chain) = chain {
                    if self.held.borrow_mut().append(chain).is_err() {
                        return Err(Error::ForeignPool);
                    }
                }
                match self.state.get().render_disposition() {
                    Disposition::Deliver => self.play_held(),
                    Disposition::Discard => self.held.borrow_mut().clear(),
                    Disposition::Hold => {}
                }
                Ok(())
            }
            _ => {
                // "Pull now": parse what the ISR stored.
                let bytes = std::mem::take(&mut *self.chip.fifo.borrow_mut());
                let deliver = self.state.get().capture_disposition() == Disposition::Deliver;
                let output = self.output.borrow().clone();
                self.parser
                    .borrow_mut()
                    .feed(&bytes, self.chip.stamp.get(), |e| {
                        if let (true, Some(out)) = (deliver, &output) {
                            out.borrow_mut().push(Ev::of_event(&e));
                        }
                        // Dropping `e` returns it to the allocator either way.
                    });
                Ok(())
            }
        }
    }

    fn connect_output(&self, sink: Output) -> Result<(), Error> {
        if self.kind == DmusStreamType::MidiRender {
            return Err(Error::InvalidArgument);
        }
        let mut out = self.output.borrow_mut();
        if out.is_some() {
            return Err(Error::Busy);
        }
        *out = Some(sink);
        Ok(())
    }

    fn disconnect_output(&self, sink: &Output) -> Result<(), Error> {
        let mut out = self.output.borrow_mut();
        match &*out {
            Some(o) if Rc::ptr_eq(o, sink) => {
                *out = None;
                Ok(())
            }
            _ => Err(Error::InvalidArgument),
        }
    }
}

struct Miniport {
    chip: Rc<Chip>,
    group: Group,
}

impl MiniportDMus for Miniport {
    type Port = Port;
    type Resources = [u16];
    type Allocator = HostPoolRef;
    type Clock = Clock;
    type Stream = StreamRef;

    fn init(&self, resources: &[u16], port: Port) -> Result<Option<Group>, Error> {
        if resources.len() != 1 {
            return Err(Error::InvalidArgument);
        }
        port.register_service_group(&self.group)?;
        *self.chip.port.borrow_mut() = Some(Port {
            group: self.group.clone(),
            ..port
        });
        Ok(Some(self.group.clone()))
    }

    fn new_stream(
        &self,
        kind: DmusStreamType,
        allocator: HostPoolRef,
        clock: Clock,
    ) -> Result<NewStream<StreamRef, Group>, Error> {
        let (render, capture) = self.chip.streams.get();
        match kind {
            DmusStreamType::WaveSink => return Err(Error::InvalidArgument),
            DmusStreamType::MidiRender if render > 0 => return Err(Error::Busy),
            DmusStreamType::MidiCapture if capture > 0 => return Err(Error::Busy),
            DmusStreamType::MidiRender => self.chip.streams.set((1, capture)),
            DmusStreamType::MidiCapture => self.chip.streams.set((render, 1)),
        }
        *self.chip.clock.borrow_mut() = Some(clock);
        let stream = Rc::new(Stream {
            chip: self.chip.clone(),
            kind,
            state: Cell::new(KsState::Stop),
            held: RefCell::new(EventChain::new(allocator.clone())),
            packer: RefCell::new(Packer::new(RunningStatus::Preserve)),
            parser: RefCell::new(Parser::new(allocator, 1)),
            output: RefCell::new(None),
        });
        let service_group = if kind == DmusStreamType::MidiCapture {
            self.group.add_member(stream.clone())?;
            Some(self.group.clone())
        } else {
            None
        };
        Ok(NewStream {
            stream: StreamRef(stream),
            schedule_prefetch: 0,
            service_group,
        })
    }
}

/// The stream handle the miniport hands out (the kernel would use an `Arc`).
struct StreamRef(Rc<Stream>);

impl Mxf for StreamRef {
    type Pool = HostPoolRef;
    type Output = Output;
    fn set_state(&self, state: KsState) -> Result<(), Error> {
        self.0.set_state(state)
    }
    fn put_message(&self, chain: Option<EventChain<HostPoolRef>>) -> Result<(), Error> {
        self.0.put_message(chain)
    }
    fn connect_output(&self, sink: Output) -> Result<(), Error> {
        self.0.connect_output(sink)
    }
    fn disconnect_output(&self, sink: &Output) -> Result<(), Error> {
        self.0.disconnect_output(sink)
    }
}

fn chain_of(p: &HostPoolRef, msgs: &[(&[u8], i64)]) -> EventChain<HostPoolRef> {
    let mut c = EventChain::new(p.clone());
    for (data, t) in msgs {
        let mut e = p.get_message().unwrap();
        e.set_data(data).unwrap();
        e.set_pres_time(*t);
        c.push_back(e).unwrap();
    }
    c
}

#[test]
fn loopback_follows_the_setstate_rules() {
    let p = pool(64, 8, 32);
    let clock = Clock::default();
    let mini = Miniport {
        chip: Rc::new(Chip::default()),
        group: Group::default(),
    };
    let port = Port::default();
    assert_eq!(
        mini.init(&[0x330, 0x331], port.clone()).err(),
        Some(Error::InvalidArgument)
    );
    let group = mini.init(&[0x330], port.clone()).unwrap();
    assert!(group.is_some());
    mini.service(); // The documented no-op.

    let render = mini
        .new_stream(DmusStreamType::MidiRender, p.clone(), clock.clone())
        .unwrap();
    assert_eq!(render.schedule_prefetch, 0);
    assert!(render.service_group.is_none());
    assert_eq!(
        mini.new_stream(DmusStreamType::MidiRender, p.clone(), clock.clone())
            .err(),
        Some(Error::Busy)
    );
    assert_eq!(
        mini.new_stream(DmusStreamType::WaveSink, p.clone(), clock.clone())
            .err(),
        Some(Error::InvalidArgument)
    );
    let capture = mini
        .new_stream(DmusStreamType::MidiCapture, p.clone(), clock.clone())
        .unwrap();
    assert!(capture.service_group.is_some());
    let (render, capture) = (render.stream, capture.stream);
    let out: Output = Rc::default();
    assert_eq!(
        render.connect_output(out.clone()),
        Err(Error::InvalidArgument)
    );
    capture.connect_output(out.clone()).unwrap();
    assert_eq!(capture.connect_output(out.clone()), Err(Error::Busy));

    // Render in PAUSE holds; capture in ACQUIRE throws away.
    for s in [KsState::Acquire, KsState::Pause] {
        render.set_state(s).unwrap();
    }
    capture.set_state(KsState::Acquire).unwrap();
    render
        .put_message(Some(chain_of(&p, &[(&[0x90, 60, 100], 0)])))
        .unwrap();
    assert!(
        mini.chip.wire.borrow().is_empty(),
        "PAUSE holds render data"
    );
    assert_eq!(p.free_events(), 63);

    // Capture to PAUSE (delivers), render to RUN: the held note plays and loops back.
    capture.set_state(KsState::Pause).unwrap();
    clock.0.set(1_234);
    render.set_state(KsState::Run).unwrap();
    assert_eq!(*mini.chip.wire.borrow(), [0x90, 60, 100]);
    assert_eq!(*out.borrow(), vec![ev(&[0x90, 60, 100], 1_234)]);
    assert_eq!(
        port.notified.get(),
        1,
        "the ISR notified the port once for the burst"
    );

    // Render through a sequencer: due events only.
    let mut seq = Sequencer::new(p.clone());
    seq.insert_chain(chain_of(
        &p,
        &[(&[0x90, 62, 1], 2_000), (&[0x80, 62, 0], 3_000)],
    ))
    .unwrap();
    clock.0.set(2_500);
    render
        .put_message(Some(seq.pop_due(clock.get_time())))
        .unwrap();
    assert_eq!(out.borrow().last(), Some(&ev(&[0x90, 62, 1], 2_500)));
    assert_eq!(seq.next_due_time(), Some(3_000));

    // Render to STOP with data held: discarded to the allocator, nothing played.
    render.set_state(KsState::Pause).unwrap();
    render.put_message(Some(seq.drain_all())).unwrap();
    render.set_state(KsState::Stop).unwrap();
    render.set_state(KsState::Run).unwrap();
    assert_eq!(out.borrow().len(), 2);

    // Capture in STOP: bytes are thrown away.
    capture.set_state(KsState::Stop).unwrap();
    render
        .put_message(Some(chain_of(&p, &[(&[0xC0, 1], 0)])))
        .unwrap();
    assert_eq!(out.borrow().len(), 2);

    assert_eq!(
        capture.disconnect_output(&Rc::default()),
        Err(Error::InvalidArgument)
    );
    capture.disconnect_output(&out).unwrap();
    drop((render, capture, mini, seq));
    assert!(p.is_full());
}
