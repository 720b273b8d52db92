// SPDX-License-Identifier: GPL-2.0

//! The virtual MPU-401: a register-level model of the chip in UART mode, with
//! a MIDI cable from its OUT to its IN.
//!
//! QEMU emulates no MPU-401, so the module carries one. The driver binds it
//! like real hardware: the same [`Mpu401Io`] register trait, and an interrupt
//! from a simulated IRQ domain (`irq_domain_create_sim`), requested through the
//! platform device's IRQ resource.
//!
//! - Data port read: the next byte of the input FIFO. Write: into the output
//!   (TX) FIFO; a write while it is full is dropped and counted, and so is
//!   one outside UART mode (intelligent mode takes it as command data).
//! - Status: [`RX_EMPTY`] while the input FIFO is empty, [`TX_FULL`] while the
//!   TX FIFO holds `tx_depth` bytes (with an instant cable: while the input
//!   FIFO is full, since the cable holds nothing).
//! - Commands: `RESET` clears both FIFOs and leaves UART mode, answering
//!   [`ACK`] unless it was in UART mode; `ENTER_UART` answers [`ACK`]; other
//!   commands are answered in intelligent mode and ignored in UART mode. With
//!   `ack == false` (the `virt_no_ack` parameter) it never answers.
//! - The wire: each TX byte takes `byte_ns` (320 us: 10 bits at 31250 baud)
//!   from when the wire is free and the byte is in the TX FIFO, then lands in
//!   the input FIFO (an overrun when it is full) and raises the interrupt.
//!   The wire keeps its nominal rate whatever the host does: the state is
//!   brought up to date (every byte whose arrival time has passed moved to
//!   the input FIFO, logged with that nominal time) at each register access
//!   and at each callback of the wire's hrtimer, so a late callback delivers
//!   every byte it owes, with one interrupt, instead of one byte and a
//!   skipped slot. Bytes owed while the input FIFO is full wait on the wire
//!   for the driver's next read (see [`State::catch_up`]). `byte_ns == 0`
//!   delivers at once.
//! - Faults ([`Faults`], set through debugfs, each counted): a chip that
//!   vanishes (every read 0xFF, writes lost), `TX_FULL` stuck on, interrupts
//!   lost or raised with nothing waiting, bytes lost on the wire, and input
//!   injected at once from outside (faster than any driver reads).
//!
//! Locking: the state is touched from the wire hrtimer (hard IRQ), the IRQ
//! handler (hard IRQ), the render path (softirq, hard IRQ) and process
//! context, hence a [`SpinLockIrq`]. The timer handle is only replaced by the
//! (serialised) writer, never dropped under the lock: dropping it cancels the
//! timer and may wait for a running callback, which takes the lock.

pub(crate) mod debugfs;
pub(crate) mod peer;
pub(crate) mod simirq;

use crate::mpu401::regs::{Mpu401Io, ACK, ENTER_UART, RESET, RX_EMPTY, TX_FULL};
use crate::port::irqlock::{new_spinlock_irq, SpinLockIrq, SpinLockIrqBackend};
use kernel::{
    impl_has_hr_timer,
    prelude::*,
    sync::{lock::Guard, Arc, ArcBorrow},
    time::{
        hrtimer::{
            ArcHrTimerHandle, HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer,
            HrTimerRestart, RelativeMode,
        },
        ClockSource, Delta, Monotonic,
    },
};

/// The largest FIFO depth, bytes.
pub(crate) const FIFO_MAX: usize = 256;
/// Entries kept in the wire log (the newest win).
pub(crate) const WIRE_LOG_LEN: usize = 65536;

/// Parameters of one virtual MPU-401.
#[derive(Clone, Copy)]
pub(crate) struct VirtParams {
    /// Time one byte takes on the wire, nanoseconds (0: instant).
    pub(crate) byte_ns: u64,
    /// Output FIFO depth, bytes (1..=[`FIFO_MAX`]).
    pub(crate) tx_depth: usize,
    /// Input FIFO depth, bytes (1..=[`FIFO_MAX`]).
    pub(crate) rx_depth: usize,
    /// Whether the chip acknowledges commands (false: a UART-only chip that
    /// never answers; its mode still changes).
    pub(crate) ack: bool,
}

impl VirtParams {
    /// The wire time of one byte at `baud` (10 bits a byte); 0 for `baud == 0`.
    pub(crate) fn byte_ns_at(baud: u32) -> u64 {
        if baud == 0 {
            0
        } else {
            10_000_000_000 / u64::from(baud)
        }
    }
}

/// A byte FIFO of a fixed depth; each byte keeps the time it was queued
/// (`CLOCK_MONOTONIC` ns; the TX FIFO's bytes start on the wire no earlier).
struct Fifo {
    buf: [u8; FIFO_MAX],
    queued_ns: [u64; FIFO_MAX],
    head: usize,
    len: usize,
    depth: usize,
}

impl Fifo {
    fn new(depth: usize) -> Self {
        Self {
            buf: [0; FIFO_MAX],
            queued_ns: [0; FIFO_MAX],
            head: 0,
            len: 0,
            depth: depth.clamp(1, FIFO_MAX),
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn is_full(&self) -> bool {
        self.len >= self.depth
    }

    fn push(&mut self, byte: u8) -> bool {
        self.push_at(byte, 0)
    }

    /// Queues `byte`, queued at `now_ns`; false when the FIFO is full.
    fn push_at(&mut self, byte: u8, now_ns: u64) -> bool {
        if self.is_full() {
            return false;
        }
        let tail = (self.head + self.len) % FIFO_MAX;
        self.buf[tail] = byte;
        self.queued_ns[tail] = now_ns;
        self.len += 1;
        true
    }

    /// The oldest byte and when it was queued.
    fn front(&self) -> Option<(u8, u64)> {
        (self.len > 0).then(|| (self.buf[self.head], self.queued_ns[self.head]))
    }

    fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let byte = self.buf[self.head];
        self.head = (self.head + 1) % FIFO_MAX;
        self.len -= 1;
        Some(byte)
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// What crossed the wire and what went wrong, since the device was created
/// (counts; the wire log itself stamps bytes in `CLOCK_MONOTONIC` ns).
#[derive(Clone, Copy, Default)]
pub(crate) struct Counters {
    /// Bytes written to the data port and accepted into the TX FIFO.
    pub(crate) bytes_out: u64,
    /// Bytes that crossed the wire.
    pub(crate) bytes_wire: u64,
    /// Bytes read from the data port by the driver.
    pub(crate) bytes_in: u64,
    /// Bytes lost because the input FIFO was full when they arrived.
    pub(crate) overruns: u64,
    /// Bytes written while `TX_FULL` was set, lost.
    pub(crate) dropped: u64,
    /// Commands written.
    pub(crate) commands: u64,
    /// Status register reads (a polling driver reads it every period).
    pub(crate) status_reads: u64,
    /// Bytes lost on the wire ([`Faults::wire_drop`]).
    pub(crate) wire_dropped: u64,
    /// Input bytes whose interrupt was not raised ([`Faults::irq_lose`]).
    pub(crate) irqs_lost: u64,
    /// Interrupts raised with no input waiting ([`VirtMpu401::irq_storm`]).
    pub(crate) irqs_spurious: u64,
    /// Bytes injected at IN from outside ([`VirtMpu401::inject`]).
    pub(crate) injected: u64,
    /// Data and command writes lost while the chip was gone ([`Faults::vanished`]).
    pub(crate) writes_lost: u64,
    /// Data bytes written outside UART mode: intelligent mode takes them as
    /// command data, not MIDI, and the model ignores them (`snd-mpu401-uart`
    /// writes a 0x00 before each command).
    pub(crate) not_uart: u64,
}

/// Faults the model shows until cleared; set through debugfs (`fault`).
#[derive(Clone, Copy, Default)]
pub(crate) struct Faults {
    /// The chip is gone: every register reads 0xFF, writes are lost.
    pub(crate) vanished: bool,
    /// `TX_FULL` reads as set whatever the FIFO holds.
    pub(crate) tx_stuck: bool,
    /// The interrupts of the next this many input bytes (or commands'
    /// ACKs) are not raised.
    pub(crate) irq_lose: u32,
    /// The next this many bytes on the wire are lost.
    pub(crate) wire_drop: u32,
}

/// One byte on the wire: when it arrived (`CLOCK_MONOTONIC` ns, the master
/// clock's time base).
#[derive(Clone, Copy, Default)]
pub(crate) struct WireEntry {
    /// Arrival time at IN (the end of its 10 bits), `CLOCK_MONOTONIC` ns.
    pub(crate) time_ns: u64,
    /// The byte.
    pub(crate) byte: u8,
}

struct State {
    faults: Faults,
    tx: Fifo,
    rx: Fifo,
    uart: bool,
    timer_active: bool,
    /// When the wire's timer fires (while `timer_active`), ns.
    timer_expires_ns: u64,
    /// When the last byte on the wire arrived (or arrives), nominal ns: the
    /// next byte starts no earlier.
    wire_free_ns: u64,
    /// Bytes arrived at a register access, not yet announced by an
    /// interrupt: the wire's callback, due by then, raises it.
    irq_owed: u32,
    timer: Option<ArcHrTimerHandle<VirtMpu401>>,
    counters: Counters,
    /// A ring of [`WIRE_LOG_LEN`] entries, allocated up front.
    log: KVVec<WireEntry>,
    log_next: usize,
}

impl State {
    /// A byte arrives at IN: log it and queue it in the input FIFO. Returns
    /// false when the wire lost it ([`Faults::wire_drop`]).
    fn arrive(&mut self, byte: u8, time_ns: u64) -> bool {
        if self.faults.wire_drop > 0 {
            self.faults.wire_drop -= 1;
            self.counters.wire_dropped += 1;
            return false;
        }
        self.counters.bytes_wire += 1;
        if let Some(entry) = self.log.get_mut(self.log_next % WIRE_LOG_LEN) {
            *entry = WireEntry { time_ns, byte };
        }
        self.log_next = self.log_next.wrapping_add(1);
        if !self.rx.push(byte) {
            self.counters.overruns += 1;
        }
        true
    }

    /// The nominal arrival time of the TX FIFO's oldest byte: the wire is
    /// free and the byte was queued, plus one byte's time.
    fn next_arrival(&self, byte_ns: u64) -> Option<u64> {
        self.tx
            .front()
            .map(|(_, queued)| self.wire_free_ns.max(queued) + byte_ns)
    }

    /// Moves every TX byte whose nominal arrival time is at or before
    /// `now_ns` across the wire, logged with that time, while the input FIFO
    /// has room. Returns how many bytes reached the input FIFO.
    ///
    /// A byte owed while the input FIFO is full waits on the wire for the
    /// driver's next read: the lateness that piled up those bytes is the
    /// host's, in running this model's timer, not the driver's in reading
    /// the chip, and must not cost the driver input (a driver that reads
    /// too late still overruns with bytes injected at IN).
    fn catch_up(&mut self, now_ns: u64, byte_ns: u64) -> u32 {
        let mut arrived = 0;
        while let Some(at) = self.next_arrival(byte_ns).filter(|&at| at <= now_ns) {
            if self.rx.is_full() {
                break;
            }
            let Some(byte) = self.tx.pop() else {
                break;
            };
            self.wire_free_ns = at;
            arrived += u32::from(self.arrive(byte, at));
        }
        arrived
    }

    /// Whether the interrupt for `bytes` new input bytes is raised: each
    /// byte asserts the line, and [`Faults::irq_lose`] loses the interrupt
    /// of that many bytes (counted), so a batch is announced unless every
    /// one of its bytes' interrupts is lost.
    fn take_irqs(&mut self, bytes: u32) -> bool {
        let lost = self.faults.irq_lose.min(bytes);
        self.faults.irq_lose -= lost;
        self.counters.irqs_lost += u64::from(lost);
        bytes > lost
    }

    /// Whether an interrupt for new input is raised (false: lost, counted).
    fn take_irq(&mut self) -> bool {
        if self.faults.irq_lose > 0 {
            self.faults.irq_lose -= 1;
            self.counters.irqs_lost += 1;
            return false;
        }
        true
    }

    /// The chip answers a command with ACK (unless it never does).
    fn ack(&mut self, acks: bool) {
        if !acks {
            return;
        }
        if !self.rx.push(ACK) {
            self.counters.overruns += 1;
        }
    }
}

/// One virtual MPU-401.
#[pin_data]
pub(crate) struct VirtMpu401 {
    #[pin]
    timer: HrTimer<Self>,
    #[pin]
    state: SpinLockIrq<State>,
    params: VirtParams,
    irq: u32,
}

impl_has_hr_timer! {
    impl HasHrTimer<Self> for VirtMpu401 {
        mode: RelativeMode<Monotonic>, field: self.timer
    }
}

impl VirtMpu401 {
    /// Creates the model; it raises Linux IRQ `irq` (a simulated line).
    /// `-ENOMEM` if it cannot be allocated.
    pub(crate) fn new(params: VirtParams, irq: u32) -> Result<Arc<Self>> {
        let mut log = KVVec::with_capacity(WIRE_LOG_LEN, GFP_KERNEL)?;
        for _ in 0..WIRE_LOG_LEN {
            log.push(WireEntry::default(), GFP_KERNEL)?;
        }
        Arc::pin_init(
            pin_init!(Self {
                timer <- HrTimer::new(),
                state <- new_spinlock_irq!(
                    State {
                        faults: Faults::default(),
                        tx: Fifo::new(params.tx_depth),
                        rx: Fifo::new(params.rx_depth),
                        uart: false,
                        timer_active: false,
                        timer_expires_ns: 0,
                        wire_free_ns: 0,
                        irq_owed: 0,
                        timer: None,
                        counters: Counters::default(),
                        log,
                        log_next: 0,
                    },
                    c"virt_mpu401_state"
                ),
                params,
                irq,
            }),
            GFP_KERNEL,
        )
    }

    /// The counters.
    pub(crate) fn counters(&self) -> Counters {
        self.lock_now().counters
    }

    /// The faults in force.
    pub(crate) fn faults(&self) -> Faults {
        self.state.lock().faults
    }

    /// Replaces the faults in force (what `fault` in debugfs writes).
    pub(crate) fn set_faults(&self, faults: Faults) {
        self.state.lock().faults = faults;
    }

    /// Raises the interrupt `count` times with nothing new waiting (an
    /// interrupt storm); each raise is counted. Process context.
    pub(crate) fn irq_storm(&self, count: u32) {
        for _ in 0..count {
            self.state.lock().counters.irqs_spurious += 1;
            self.raise();
        }
    }

    /// Bytes arrive at IN from outside the cable, all at once (a burst
    /// faster than any driver reads): each is logged and queued, or counted
    /// as an overrun once the input FIFO is full; then the interrupt is
    /// raised once. Any context.
    pub(crate) fn inject(&self, bytes: &[u8]) {
        let now = self.now_ns();
        let irq = {
            let mut state = self.state.lock();
            let mut arrived = false;
            for &byte in bytes {
                state.counters.injected += 1;
                arrived |= state.arrive(byte, now);
            }
            arrived && state.take_irq()
        };
        if irq {
            self.raise();
        }
    }

    /// Whether the model is in UART mode.
    pub(crate) fn uart_mode(&self) -> bool {
        self.state.lock().uart
    }

    /// Bytes waiting in the TX FIFO (not yet on the wire).
    pub(crate) fn tx_pending(&self) -> usize {
        self.lock_now().tx.len
    }

    /// The state, brought up to now: bytes whose nominal arrival time has
    /// passed are moved across the wire, and their interrupt is owed to the
    /// wire's callback (due by then, since it was armed for the first of
    /// them).
    fn lock_now(&self) -> Guard<'_, State, SpinLockIrqBackend> {
        let now = self.now_ns();
        let mut state = self.state.lock();
        if self.params.byte_ns > 0 {
            let arrived = state.catch_up(now, self.params.byte_ns);
            state.irq_owed += arrived;
        }
        state
    }

    /// Copies the wire log, oldest first, into `out`; returns how many.
    /// Process context (`out` is sized before the lock is taken).
    pub(crate) fn wire_log(&self, out: &mut KVVec<WireEntry>) -> Result<usize> {
        out.clear();
        out.reserve(WIRE_LOG_LEN, GFP_KERNEL)?;
        let state = self.lock_now();
        let total = state.log_next;
        let n = total.min(WIRE_LOG_LEN);
        let first = total - n;
        for i in first..total {
            if let Some(entry) = state.log.get(i % WIRE_LOG_LEN) {
                // Reserved above: cannot fail.
                out.push(*entry, GFP_ATOMIC)?;
            }
        }
        Ok(n)
    }

    /// Stops the wire: cancels the timer and drops its handle (which holds a
    /// reference to the model). Call when the device goes away; process context.
    pub(crate) fn shutdown(&self) {
        let handle = {
            let mut state = self.state.lock();
            state.tx.clear();
            state.timer.take()
        };
        drop(handle);
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(Monotonic::ktime_get()).unwrap_or(0)
    }

    /// The wire time of one byte, nanoseconds (0: an instant cable).
    pub(crate) fn byte_ns(&self) -> u64 {
        self.params.byte_ns
    }

    fn raise(&self) {
        // 0: a chip without an interrupt line (the driver polls it).
        if self.irq == 0 {
            return;
        }
        simirq::raise(self.irq);
    }
}

impl HrTimerCallback for VirtMpu401 {
    type Pointer<'a> = Arc<Self>;

    /// Moves the bytes whose time has come across the wire (one or more: a
    /// late callback delivers all it owes, each at its nominal time) and
    /// raises one interrupt for them; fires again at the next byte's
    /// arrival. Runs in hard-IRQ context.
    fn run(this: ArcBorrow<'_, Self>, mut ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        let byte_ns = this.params.byte_ns;
        let now = this.now_ns();
        let (raise, next) = {
            let mut state = this.state.lock();
            let arrived = state.catch_up(now, byte_ns) + core::mem::take(&mut state.irq_owed);
            let raise = state.take_irqs(arrived) && !state.rx.is_empty();
            let next = state.next_arrival(byte_ns);
            match next {
                Some(at) => {
                    // The next byte's arrival, or (a full input FIFO holds it
                    // on the wire) one byte time from now. The callback fired
                    // at (or after) the armed expiry; the next one is that
                    // far after it.
                    let at = at.max(now + byte_ns);
                    let step = at.saturating_sub(state.timer_expires_ns).max(1);
                    state.timer_expires_ns = at;
                    (raise, Some(step))
                }
                None => {
                    state.timer_active = false;
                    (raise, None)
                }
            }
        };
        if raise {
            this.raise();
        }
        match next {
            Some(step) => {
                ctx.forward_now(Delta::from_nanos(i64::try_from(step).unwrap_or(i64::MAX)));
                HrTimerRestart::Restart
            }
            None => HrTimerRestart::NoRestart,
        }
    }
}

/// The register interface of a [`VirtMpu401`], as the driver sees it.
pub(crate) struct VirtIo(pub(crate) Arc<VirtMpu401>);

impl Mpu401Io for VirtIo {
    fn read_data(&self) -> u8 {
        let mut state = self.0.lock_now();
        if state.faults.vanished {
            return 0xff;
        }
        match state.rx.pop() {
            Some(byte) => {
                state.counters.bytes_in += 1;
                byte
            }
            None => 0xff,
        }
    }

    fn write_data(&self, byte: u8) {
        let model = &self.0;
        if model.params.byte_ns == 0 {
            let now = model.now_ns();
            let irq = {
                let mut state = model.state.lock();
                if state.faults.vanished {
                    state.counters.writes_lost += 1;
                    return;
                }
                if !state.uart {
                    state.counters.not_uart += 1;
                    return;
                }
                state.counters.bytes_out += 1;
                state.arrive(byte, now) && state.take_irq()
            };
            if irq {
                model.raise();
            }
            return;
        }
        let old = {
            let now = model.now_ns();
            let mut state = model.lock_now();
            if state.faults.vanished {
                state.counters.writes_lost += 1;
                return;
            }
            if !state.uart {
                state.counters.not_uart += 1;
                return;
            }
            if !state.tx.push_at(byte, now) {
                state.counters.dropped += 1;
                return;
            }
            state.counters.bytes_out += 1;
            if state.timer_active {
                return;
            }
            state.timer_active = true;
            state.timer_expires_ns = state.next_arrival(model.params.byte_ns).unwrap_or(now);
            state.timer.take()
        };
        // The timer is idle (a finishing callback is waited for here), so
        // cancelling through the old handle cannot stop the new start.
        drop(old);
        let handle = model
            .clone()
            .start(Delta::from_nanos(model.params.byte_ns as i64));
        model.state.lock().timer = Some(handle);
    }

    fn read_status(&self) -> u8 {
        let mut state = self.0.lock_now();
        state.counters.status_reads += 1;
        if state.faults.vanished {
            return 0xff;
        }
        let mut status = 0;
        if state.rx.is_empty() {
            status |= RX_EMPTY;
        }
        // An instant cable holds nothing: the chip takes a byte only when
        // the receiving FIFO has room for it.
        let tx_full = if self.0.params.byte_ns == 0 {
            state.rx.is_full()
        } else {
            state.tx.is_full()
        };
        if tx_full || state.faults.tx_stuck {
            status |= TX_FULL;
        }
        status
    }

    /// The TX FIFO is empty and no byte is on the wire.
    fn tx_idle(&self) -> Option<bool> {
        let state = self.0.lock_now();
        Some(state.tx.is_empty() && !state.timer_active)
    }

    fn write_command(&self, cmd: u8) {
        let acks = self.0.params.ack;
        let acked = {
            let mut state = self.0.state.lock();
            if state.faults.vanished {
                state.counters.writes_lost += 1;
                return;
            }
            state.counters.commands += 1;
            match cmd {
                RESET => {
                    state.tx.clear();
                    state.rx.clear();
                    let was_uart = state.uart;
                    state.uart = false;
                    if !was_uart {
                        state.ack(acks);
                    }
                    !was_uart && acks
                }
                ENTER_UART if !state.uart => {
                    state.uart = true;
                    state.ack(acks);
                    acks
                }
                _ if !state.uart => {
                    state.ack(acks);
                    acks
                }
                _ => false,
            }
        };
        if acked && self.0.state.lock().take_irq() {
            self.0.raise();
        }
    }
}
