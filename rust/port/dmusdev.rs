// SPDX-License-Identifier: GPL-2.0

//! The DMus device's state: its open files, who owns the cable's output, the
//! timed stream's `KSSTATE` and counters, and the capture log its readers
//! read (`rust/uapi/snd_dmus.h`, Documentation/dmus-device.rst).
//!
//! One lock (IRQ-safe: the capture log is filled from the service tasklet)
//! and one wait queue serve every file: readers wait for records, the writer
//! for queue room and for a drain, and `poll` registers on the same queue.
//! Whoever changes what a waiter waits for (a record logged, events freed by
//! the render pump, a state change, the card going away) takes the lock after
//! the change and then wakes the queue, so no wake-up is lost.
//!
//! The render side (the sequencer the writer feeds) belongs to the port; see
//! `port/timed.rs`.

use super::irqlock::{new_spinlock_irq, SpinLockIrq};
use crate::dmus::{
    stream_buffer::{
        encode_buffer_header, BUFFER_HEADER_SIZE, BUFFER_OVERRUN, DMUS_EVENT_INCOMPLETE,
    },
    unpacker::{encode_event, event_size, DMUS_EVENT_STRUCTURED},
    EventChain, KsState, PoolRef, ReferenceTime,
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    new_poll_condvar,
    prelude::*,
    sync::{lock::Guard, poll::PollCondVar, Arc},
    uaccess::UserSliceWriter,
};

use super::irqlock::SpinLockIrqBackend;

/// Files one DMus device can have open at once (readers and the writer).
pub(crate) const MAX_FILES: usize = 8;
/// Records the capture log holds; a reader further behind loses the oldest.
pub(crate) const CAPTURE_RECORDS: usize = 4096;
/// The most MIDI bytes in one capture record: a longer SysEx is split.
pub(crate) const CAPTURE_PIECE: usize = 32;
/// The most bytes one `read()` or `write()` moves (`SND_DMUS_WRITE_MAX`).
pub(crate) const WRITE_MAX: usize = 65536;
/// The channel group of every captured event (the port has one).
const GROUP: u32 = 1;

/// One captured message, or one piece of a SysEx.
#[derive(Clone, Copy)]
struct Record {
    /// Master-clock time of the message's (piece's) first byte, 100 ns.
    time: ReferenceTime,
    /// `SND_DMUS_EVENT_*` flags.
    flags: u8,
    len: u8,
    data: [u8; CAPTURE_PIECE],
}

impl Record {
    const EMPTY: Self = Self {
        time: 0,
        flags: 0,
        len: 0,
        data: [0; CAPTURE_PIECE],
    };
}

/// One open file.
#[derive(Clone, Copy)]
pub(crate) struct FileState {
    /// Opened for writing: the cable's writer.
    pub(crate) writer: bool,
    /// `O_NONBLOCK` at open.
    pub(crate) nonblock: bool,
    /// The next capture record this file reads (a count since load).
    cursor: u64,
    /// The input overrun count this file has reported.
    overruns_seen: u64,
}

/// Who writes to the cable: one writer at a time across the rawmidi output
/// and the DMus device, so no byte of one lands inside a message of the other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    None,
    Rawmidi,
    Dmus(usize),
}

/// The counters of `SND_DMUS_IOCTL_STATUS` the device keeps.
#[derive(Clone, Copy, Default)]
pub(crate) struct Counters {
    /// Events handed to the miniport since the writer opened.
    pub(crate) played: u64,
    /// Events written after their presentation time.
    pub(crate) late: u64,
    /// Largest (hand-over time - presentation time), 100 ns.
    pub(crate) max_lateness: i64,
    /// Records logged since load.
    pub(crate) captured: u64,
    /// Input overruns since load.
    pub(crate) overruns: u64,
}

/// What the lock guards.
pub(crate) struct DevState {
    files: [Option<FileState>; MAX_FILES],
    owner: Owner,
    gone: bool,
    /// The timed stream's state.
    pub(crate) ks: KsState,
    /// Bit `n`: the writer used MIDI channel `n` (for the drop's notes-off).
    channels: u16,
    /// Render events and pool buffers set aside for writes in progress.
    reserved_events: usize,
    reserved_buffers: usize,
    counters: Counters,
    log: KVVec<Record>,
    /// Records logged since load; the newest is `head - 1`.
    head: u64,
    /// The log is inside a SysEx (its pieces are not structured).
    in_sysex: bool,
    name: [u8; 64],
}

impl DevState {
    /// Sets aside `events` render events and `buffers` pool buffers for a
    /// write when the free ones (`room`, `free_buffers`) cover them beyond
    /// what other writes in progress set aside; returns whether it did.
    /// Undone by [`DmusDev::unreserve`].
    pub(crate) fn reserve(
        &mut self,
        events: usize,
        buffers: usize,
        room: usize,
        free_buffers: usize,
    ) -> bool {
        let want_events = self.reserved_events.saturating_add(events);
        let want_buffers = self.reserved_buffers.saturating_add(buffers);
        if room < want_events || free_buffers < want_buffers {
            return false;
        }
        self.reserved_events = want_events;
        self.reserved_buffers = want_buffers;
        true
    }
}

/// The DMus device of one port.
#[pin_data]
pub(crate) struct DmusDev {
    #[pin]
    state: SpinLockIrq<DevState>,
    #[pin]
    wait: PollCondVar,
    /// `state.ks == Run`, for the render pump without the lock.
    running: AtomicBool,
    /// `state.ks == Stop`, read under the port's feed lock by a write about
    /// to queue.
    stopped: AtomicBool,
    /// A DMus writer is open (the pump keeps its counters).
    writer: AtomicBool,
}

impl DmusDev {
    /// A device with no file open, in RUN. `-ENOMEM` on allocation failure.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let log = KVVec::from_elem(Record::EMPTY, CAPTURE_RECORDS, GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Self {
                state <- new_spinlock_irq!(
                    DevState {
                        files: [None; MAX_FILES],
                        owner: Owner::None,
                        gone: false,
                        ks: KsState::Run,
                        channels: 0,
                        reserved_events: 0,
                        reserved_buffers: 0,
                        counters: Counters::default(),
                        log,
                        head: 0,
                        in_sysex: false,
                        name: [0; 64],
                    },
                    c"dmus_device"
                ),
                wait <- new_poll_condvar!("dmus_device_wait"),
                running: AtomicBool::new(true),
                stopped: AtomicBool::new(false),
                writer: AtomicBool::new(false),
            }),
            GFP_KERNEL,
        )
    }

    /// Sets the name `SND_DMUS_IOCTL_INFO` reports (cut to 63 bytes).
    pub(crate) fn set_name(&self, name: &CStr) {
        let mut st = self.state.lock();
        let bytes = name.to_bytes();
        let n = bytes.len().min(63);
        st.name = [0; 64];
        if let (Some(dst), Some(src)) = (st.name.get_mut(..n), bytes.get(..n)) {
            dst.copy_from_slice(src);
        }
    }

    /// The name, NUL-padded.
    pub(crate) fn name(&self) -> [u8; 64] {
        self.state.lock().name
    }

    /// Whether the timed stream is in RUN. Any context.
    pub(crate) fn running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Whether the timed stream is in STOP. Any context. A STOP sets it
    /// before it takes the port's feed lock to discard the queue, so a
    /// write that reads it under that lock either queued before the discard
    /// or sees the STOP.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Gives back what [`DevState::reserve`] set aside, and wakes the
    /// writers waiting for room.
    pub(crate) fn unreserve(&self, events: usize, buffers: usize) {
        let mut st = self.state.lock();
        st.reserved_events = st.reserved_events.saturating_sub(events);
        st.reserved_buffers = st.reserved_buffers.saturating_sub(buffers);
        drop(st);
        self.wait.notify_all();
    }

    /// Whether a DMus writer is open. Any context.
    pub(crate) fn has_writer(&self) -> bool {
        self.writer.load(Ordering::Acquire)
    }

    /// The rawmidi output opens: `-EBUSY` while a DMus file writes.
    pub(crate) fn claim_rawmidi(&self) -> Result {
        let mut st = self.state.lock();
        match st.owner {
            Owner::None => {
                st.owner = Owner::Rawmidi;
                Ok(())
            }
            _ => Err(EBUSY),
        }
    }

    /// The rawmidi output closed.
    pub(crate) fn release_rawmidi(&self) {
        let mut st = self.state.lock();
        if st.owner == Owner::Rawmidi {
            st.owner = Owner::None;
        }
    }

    /// A file opens; returns its slot. Errors: `-ENODEV` when the card is
    /// going away, `-EBUSY` when [`MAX_FILES`] are open or, for a writer,
    /// when the rawmidi output or another DMus file writes. A new writer
    /// starts in RUN with its counters at 0.
    pub(crate) fn open(&self, writer: bool, nonblock: bool) -> Result<usize> {
        let mut st = self.state.lock();
        if st.gone {
            return Err(ENODEV);
        }
        let slot = st.files.iter().position(Option::is_none).ok_or(EBUSY)?;
        if writer {
            if st.owner != Owner::None {
                return Err(EBUSY);
            }
            st.owner = Owner::Dmus(slot);
            st.ks = KsState::Run;
            self.stopped.store(false, Ordering::Release);
            st.channels = 0;
            st.counters.played = 0;
            st.counters.late = 0;
            st.counters.max_lateness = 0;
            self.running.store(true, Ordering::Release);
            self.writer.store(true, Ordering::Release);
        }
        let file = FileState {
            writer,
            nonblock,
            cursor: st.head,
            overruns_seen: st.counters.overruns,
        };
        if let Some(entry) = st.files.get_mut(slot) {
            *entry = Some(file);
        }
        Ok(slot)
    }

    /// The file of `slot` closes; returns whether it was the writer. The
    /// writer keeps the cable's output (and its slot) until
    /// [`Self::release_writer`]: its close first drops what it queued and
    /// stops the render stream, and a rawmidi or sequencer open in between
    /// must neither mix its bytes with the close's All Notes Off nor find
    /// its stream stopped after it started.
    pub(crate) fn close(&self, slot: usize) -> bool {
        let mut st = self.state.lock();
        if st.owner == Owner::Dmus(slot) {
            return true;
        }
        if let Some(entry) = st.files.get_mut(slot) {
            *entry = None;
        }
        false
    }

    /// The closed writer of `slot` gives up the cable's output and its slot:
    /// the last step of its close.
    pub(crate) fn release_writer(&self, slot: usize) {
        let mut st = self.state.lock();
        if st.owner == Owner::Dmus(slot) {
            st.owner = Owner::None;
            self.writer.store(false, Ordering::Release);
        }
        if let Some(entry) = st.files.get_mut(slot) {
            *entry = None;
        }
    }

    /// The card goes away: every waiter wakes with `-ENODEV`, and every
    /// call after fails with it.
    pub(crate) fn set_gone(&self) {
        self.state.lock().gone = true;
        self.wait.notify_all();
    }

    /// Wakes every waiter after a change it may wait for. Any context.
    pub(crate) fn wake(&self) {
        // Taking the lock orders this wake after a waiter's check.
        drop(self.state.lock());
        self.wait.notify_all();
    }

    /// The state of the file of `slot`: `-EBADF` for a slot not open.
    pub(crate) fn file(&self, slot: usize) -> Result<FileState> {
        let st = self.state.lock();
        st.files.get(slot).copied().flatten().ok_or(EBADF)
    }

    /// `-EPERM` unless `slot` is the writer; `-ENODEV` once the card is gone.
    pub(crate) fn require_writer(&self, slot: usize) -> Result {
        let st = self.state.lock();
        if st.gone {
            return Err(ENODEV);
        }
        if st.owner == Owner::Dmus(slot) {
            Ok(())
        } else {
            Err(EPERM)
        }
    }

    /// Sets the timed stream's state.
    pub(crate) fn set_ks(&self, ks: KsState) {
        let mut st = self.state.lock();
        st.ks = ks;
        self.running.store(ks == KsState::Run, Ordering::Release);
        self.stopped.store(ks == KsState::Stop, Ordering::Release);
        drop(st);
        self.wait.notify_all();
    }

    /// The timed stream's state.
    pub(crate) fn ks(&self) -> KsState {
        self.state.lock().ks
    }

    /// Notes a write's channels (bit per MIDI channel) and its late events.
    pub(crate) fn note_written(&self, channels: u16, late: u64) {
        let mut st = self.state.lock();
        st.channels |= channels;
        st.counters.late += late;
    }

    /// Returns the channels the writer used, and forgets them.
    pub(crate) fn take_channels(&self) -> u16 {
        core::mem::take(&mut self.state.lock().channels)
    }

    /// Notes `n` events handed to the miniport, the latest `lateness` (100 ns)
    /// after its presentation time. Any context.
    pub(crate) fn note_played(&self, n: usize, lateness: i64) {
        let mut st = self.state.lock();
        st.counters.played += n as u64;
        st.counters.max_lateness = st.counters.max_lateness.max(lateness);
    }

    /// The counters.
    pub(crate) fn counters(&self) -> Counters {
        self.state.lock().counters
    }

    /// Waits until `ready` says yes or fails; `ready` runs under the lock.
    /// A non-blocking file gets `-EAGAIN` instead of waiting, unless
    /// `always_block`. Errors: `ready`'s, `-ENODEV` when the card goes away,
    /// `-ERESTARTSYS` on a signal, `-EBADF` for a slot not open.
    pub(crate) fn wait_until(
        &self,
        slot: usize,
        always_block: bool,
        mut ready: impl FnMut(&mut DevState, &FileState) -> Result<bool>,
    ) -> Result<Guard<'_, DevState, SpinLockIrqBackend>> {
        let mut st = self.state.lock();
        loop {
            if st.gone {
                return Err(ENODEV);
            }
            let file = st.files.get(slot).copied().flatten().ok_or(EBADF)?;
            if ready(&mut st, &file)? {
                return Ok(st);
            }
            if file.nonblock && !always_block {
                return Err(EAGAIN);
            }
            if self.wait.wait_interruptible(&mut st) {
                return Err(ERESTARTSYS);
            }
        }
    }

    /// Logs the captured events of `chain` for the readers: one record per
    /// message, SysEx in pieces of [`CAPTURE_PIECE`] bytes flagged
    /// incomplete but the last. Softirq (the capture sink).
    pub(crate) fn record<P: PoolRef>(&self, chain: &EventChain<P>) {
        if chain.is_empty() {
            return;
        }
        let mut guard = self.state.lock();
        let st = &mut *guard;
        for event in chain.iter() {
            let data = event.data();
            let Some(&first) = data.first() else {
                continue;
            };
            // Data bytes without a status byte (noise on the line) are no
            // message: a reader's records each start with their status.
            if first < 0x80 && !st.in_sysex {
                continue;
            }
            // A real-time byte is its own message, even inside a SysEx.
            let realtime = first >= 0xf8;
            let sysex = !realtime && (first == 0xf0 || st.in_sysex);
            if !realtime {
                st.in_sysex = sysex && event.is_incomplete();
            }
            let mut pieces = data.chunks(CAPTURE_PIECE).peekable();
            while let Some(piece) = pieces.next() {
                let more = pieces.peek().is_some() || (sysex && event.is_incomplete());
                let mut rec = Record::EMPTY;
                rec.time = event.pres_time();
                rec.len = piece.len() as u8;
                rec.flags = if sysex {
                    if more {
                        DMUS_EVENT_INCOMPLETE as u8
                    } else {
                        0
                    }
                } else {
                    DMUS_EVENT_STRUCTURED as u8
                };
                if let Some(dst) = rec.data.get_mut(..piece.len()) {
                    dst.copy_from_slice(piece);
                }
                let at = (st.head % CAPTURE_RECORDS as u64) as usize;
                if let Some(slot) = st.log.get_mut(at) {
                    *slot = rec;
                }
                st.head += 1;
                st.counters.captured += 1;
            }
        }
        drop(guard);
        self.wait.notify_all();
    }

    /// `n` input bytes were lost (the capture ring overran). Softirq.
    pub(crate) fn input_lost(&self, n: u64) {
        self.state.lock().counters.overruns += n;
        self.wait.notify_all();
    }

    /// For `poll`, read under one lock: `-ENODEV` once the card is gone,
    /// `-EBADF` for a slot not open, else whether the file of `slot` has
    /// records to read and whether it is the writer.
    pub(crate) fn poll_state(&self, slot: usize) -> Result<(bool, bool)> {
        let st = self.state.lock();
        if st.gone {
            return Err(ENODEV);
        }
        let file = st.files.get(slot).copied().flatten().ok_or(EBADF)?;
        Ok((st.head > file.cursor, file.writer))
    }

    /// Registers `table` with the device's wait queue.
    pub(crate) fn register_poll(
        &self,
        file: &kernel::fs::File,
        table: &kernel::sync::poll::PollTable<'_>,
    ) {
        table.register_wait(file, &self.wait);
    }

    /// `read()`: one buffer of the oldest records the file of `slot` has not
    /// read, as many as fit. Blocks until there is one (`-EAGAIN` when
    /// non-blocking). Errors: `-EINVAL` when `out` cannot hold a header and
    /// one record, `-EFAULT`, those of [`Self::wait_until`].
    pub(crate) fn read(&self, slot: usize, mut out: UserSliceWriter) -> Result<usize> {
        let count = out.len().min(WRITE_MAX);
        if count < BUFFER_HEADER_SIZE + event_size(1).unwrap_or(24) {
            return Err(EINVAL);
        }
        let mut buf = KVVec::from_elem(0u8, count, GFP_KERNEL)?;
        let mut st = self.wait_until(slot, false, |st, f| Ok(st.head > f.cursor))?;
        let mut file = st.files.get(slot).copied().flatten().ok_or(EBADF)?;
        let mut flags = 0;
        if st.head - file.cursor > CAPTURE_RECORDS as u64 {
            file.cursor = st.head - CAPTURE_RECORDS as u64;
            flags |= BUFFER_OVERRUN;
        }
        if st.counters.overruns != file.overruns_seen {
            file.overruns_seen = st.counters.overruns;
            flags |= BUFFER_OVERRUN;
        }
        let mut used = BUFFER_HEADER_SIZE;
        let mut rt_start = None;
        while file.cursor < st.head {
            let at = (file.cursor % CAPTURE_RECORDS as u64) as usize;
            let Some(rec) = st.log.get(at).copied() else {
                break;
            };
            let start = *rt_start.get_or_insert(rec.time);
            let data = rec.data.get(..usize::from(rec.len)).unwrap_or(&[]);
            let Some(dst) = buf.get_mut(used..) else {
                break;
            };
            let Some(n) = encode_event(dst, GROUP, rec.time - start, u32::from(rec.flags), data)
            else {
                break;
            };
            used += n;
            file.cursor += 1;
        }
        if let Some(entry) = st.files.get_mut(slot) {
            *entry = Some(file);
        }
        drop(st);
        let cb = u32::try_from(used - BUFFER_HEADER_SIZE).map_err(|_| EINVAL)?;
        encode_buffer_header(&mut buf, rt_start.unwrap_or(0), cb, flags).ok_or(EINVAL)?;
        out.write_slice(buf.get(..used).ok_or(EINVAL)?)?;
        Ok(used)
    }
}
