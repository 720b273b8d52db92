// SPDX-License-Identifier: GPL-2.0

//! The DMus device's operations on the port: the timed render stream
//! (`write()` to the sequencer, the ioctls) and the capture readers
//! (`read()`, `poll()`). The ABI is `rust/uapi/snd_dmus.h`; the rules are in
//! Documentation/dmus-device.rst.
//!
//! A write is checked whole (`dmus::stream_buffer::check_write`), waits for
//! room in the render allocator, and is unpacked into events that the port's
//! sequencer holds until their presentation time; the render pump (the
//! service tasklet) hands due events to the miniport's render stream and
//! arms the sequencer's hrtimer for the next one (an absolute time).

use super::dmusdev::{DmusDev, CAPTURE_PIECE, CAPTURE_RECORDS, WRITE_MAX};
use super::hwdep::{HwdepOps, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use super::{kerr, Port};
use crate::dmus::{
    stream_buffer::{check_write, split_buffers},
    unpacker::unpack,
    AllocatorMxf, EventChain, KsState, MasterClock, PortDMus, SortedChain,
};
use kernel::{
    fs::File,
    ioctl::{_IO, _IOR, _IOW},
    prelude::*,
    sync::poll::PollTable,
    time::{delay::fsleep, Delta},
    uaccess::{UserPtr, UserSlice, UserSliceReader, UserSliceWriter},
};

/// `SND_DMUS_PROTOCOL_VERSION`.
const PROTOCOL_VERSION: i32 = 0x0001_0000;
const H: u32 = b'H' as u32;
const IOCTL_PVERSION: u32 = _IOR::<i32>(H, 0xd0);
const IOCTL_INFO: u32 = _IOR::<[u8; 96]>(H, 0xd1);
const IOCTL_CLOCK: u32 = _IOR::<[u8; 24]>(H, 0xd2);
const IOCTL_STATUS: u32 = _IOR::<[u8; 56]>(H, 0xd3);
const IOCTL_SET_STATE: u32 = _IOW::<u32>(H, 0xd4);
const IOCTL_GET_STATE: u32 = _IOR::<u32>(H, 0xd5);
const IOCTL_DRAIN: u32 = _IO(H, 0xd6);
const IOCTL_DROP: u32 = _IO(H, 0xd7);
const IOCTL_LOAD_BANK: u32 = _IOW::<[u8; 16]>(H, 0xd8);
/// `SND_DMUS_BANK_MAX`: the largest bank `SND_DMUS_IOCTL_LOAD_BANK` takes.
const BANK_MAX: usize = 64 << 20;

/// Render events kept free for the drop's all-notes-off (one per channel).
const NOTES_OFF_RESERVE: usize = 16;
/// Render events writes may not take (the notes-off and the rawmidi
/// parser's two): the queue a writer sees is the allocator less these.
const WRITE_RESERVE: usize = NOTES_OFF_RESERVE + 2;
/// Free events (and free pool buffers) that make a writer's `poll` say
/// `POLLOUT`: a quarter of each.
const POLL_ROOM_DIVISOR: usize = 4;
/// The latency clock's margin over the master clock: a write's way through
/// the syscall, the sequencer and the tasklet, 100 ns units (1 ms).
const LATENCY_MARGIN: i64 = 10_000;

/// `-EBADFD`: the stream is in the wrong state (as ALSA's PCM uses it).
/// The `kernel` crate names no constant for it.
fn ebadfd() -> Error {
    Error::from_errno(-(kernel::bindings::EBADFD as i32))
}

/// Render events and pool buffers set aside for one write
/// ([`super::dmusdev::DevState::reserve`]); given back when dropped.
struct Reserved<'a> {
    dmus: &'a DmusDev,
    events: usize,
    buffers: usize,
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        self.dmus.unreserve(self.events, self.buffers);
    }
}

/// Writes `bytes` to the user address `arg`.
fn put_user(arg: usize, bytes: &[u8]) -> Result<i32> {
    UserSlice::new(UserPtr::from_addr(arg), bytes.len())
        .writer()
        .write_slice(bytes)?;
    Ok(0)
}

/// Fills `out` with the fields, in order, in the machine's byte order.
struct Fields<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Fields<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.out.get_mut(self.at..self.at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.at += bytes.len();
    }
}

impl Port {
    /// Returns every queued event to the allocator: the sequencer's, and
    /// (by STOP) what the render stream holds; a message cut short on the
    /// wire is followed by full status bytes. Leaves the render stream in
    /// STOP.
    fn discard_timed(&self) {
        let leftover = self.feed().sequencer.drain_all();
        drop(leftover);
        if let Some(render) = self.render_stream() {
            let _ = render.set_state(KsState::Stop);
        }
    }

    /// Discards what the writer queued, sends All Notes Off (control 123) on
    /// every channel it used (`notes_off`), and leaves the stream in RUN.
    pub(crate) fn drop_timed(&self, notes_off: bool) {
        let channels = self.dmus.take_channels();
        self.discard_timed();
        self.set_timed_state(KsState::Run);
        if notes_off {
            let now = self.clock.get_time();
            let mut feed = self.feed();
            for ch in (0..16u8).filter(|ch| channels & (1 << ch) != 0) {
                let Ok(mut event) = self.render_pool.get_message() else {
                    break;
                };
                if event.set_data(&[0xb0 | ch, 0x7b, 0x00]).is_ok() {
                    event.set_pres_time(now);
                    let _ = feed.sequencer.insert_immediate(event);
                }
            }
        }
        self.notify(None);
        self.dmus.wake();
    }

    /// Moves the timed stream, and the render stream with it, to `ks`.
    fn set_timed_state(&self, ks: KsState) {
        self.dmus.set_ks(ks);
        if ks == KsState::Stop {
            self.discard_timed();
            self.dmus.wake();
            return;
        }
        if let Some(render) = self.render_stream() {
            let _ = render.set_state(ks);
        }
        if ks == KsState::Run {
            self.notify(None);
        }
    }

    fn drain_timed(&self, slot: usize) -> Result {
        let render = self.render_stream();
        let discarded = render.as_ref().map_or(0, |r| r.output_discarded());
        self.notify(None);
        // A drain blocks on any file: O_NONBLOCK is fixed at open, and there
        // is no poll event for "drained".
        let empty = self.dmus.wait_until(slot, true, |st, _| {
            if self.render_pool.is_full() {
                return Ok(true);
            }
            // Nothing leaves the queue outside RUN: that drain would not end.
            if st.ks != KsState::Run {
                return Err(ebadfd());
            }
            Ok(false)
        })?;
        drop(empty);
        // Events were thrown away for a stuck chip: the drain did not play
        // them.
        if render.as_ref().map_or(0, |r| r.output_discarded()) != discarded {
            return Err(EIO);
        }
        // Every event is written to the chip; its output FIFO empties last.
        // A chip that can tell is asked (for at most four FIFOs' worth of
        // wire time, and at least 100 ms); else the FIFO's wire time is
        // waited for.
        if render.as_ref().and_then(|r| r.output_idle()).is_none() {
            fsleep(Delta::from_nanos(self.drain_tail_ns));
            return Ok(());
        }
        let mut waited = 0;
        let most = self.drain_tail_ns.saturating_mul(4).max(100_000_000);
        while waited < most && render.as_ref().and_then(|r| r.output_idle()) == Some(false) {
            fsleep(Delta::from_micros(100));
            waited += 100_000;
        }
        Ok(())
    }

    /// The events a writer may queue (`SND_DMUS_IOCTL_INFO.queue_size`).
    fn queue_size(&self) -> usize {
        self.render_pool.event_count().saturating_sub(WRITE_RESERVE)
    }

    /// The events a write may take now (`SND_DMUS_IOCTL_STATUS.free_events`).
    fn queue_room(&self) -> usize {
        self.render_pool.free_events().saturating_sub(WRITE_RESERVE)
    }

    fn info(&self) -> [u8; 96] {
        let mut raw = [0u8; 96];
        let mut f = Fields {
            out: &mut raw,
            at: 0,
        };
        f.put(&(PROTOCOL_VERSION as u32).to_ne_bytes());
        f.put(&1u32.to_ne_bytes());
        f.put(&(WRITE_MAX as u32).to_ne_bytes());
        f.put(&(self.queue_size() as u32).to_ne_bytes());
        f.put(&self.prefetch().to_ne_bytes());
        f.put(&(CAPTURE_RECORDS as u32).to_ne_bytes());
        f.put(&(CAPTURE_PIECE as u32).to_ne_bytes());
        f.put(&self.dmus.name());
        raw
    }

    fn clock_info(&self) -> [u8; 24] {
        let ns = super::clock::KernelClock::now_ns();
        let master = ns / 100;
        let mut raw = [0u8; 24];
        let mut f = Fields {
            out: &mut raw,
            at: 0,
        };
        f.put(&master.to_ne_bytes());
        f.put(&(master + self.prefetch() + LATENCY_MARGIN).to_ne_bytes());
        f.put(&ns.to_ne_bytes());
        raw
    }

    fn status(&self) -> [u8; 56] {
        let c = self.dmus.counters();
        let pool = &self.render_pool;
        let mut raw = [0u8; 56];
        let mut f = Fields {
            out: &mut raw,
            at: 0,
        };
        f.put(&((pool.event_count() - pool.free_events()) as u64).to_ne_bytes());
        f.put(&c.played.to_ne_bytes());
        f.put(&c.late.to_ne_bytes());
        f.put(&c.max_lateness.to_ne_bytes());
        f.put(&c.captured.to_ne_bytes());
        f.put(&c.overruns.to_ne_bytes());
        f.put(&self.dmus.ks().as_raw().to_ne_bytes());
        f.put(&(self.queue_room() as u32).to_ne_bytes());
        raw
    }
}

impl HwdepOps for Port {
    fn open(&self, writer: bool, nonblock: bool) -> Result<usize> {
        let slot = self.dmus.open(writer, nonblock)?;
        if let Err(e) = self.capture_use(true) {
            if self.dmus.close(slot) {
                self.drop_timed(false);
                self.dmus.release_writer(slot);
            }
            return Err(e);
        }
        if writer {
            if let Some(render) = self.render_stream() {
                let _ = render.set_state(KsState::Run);
            }
        }
        Ok(slot)
    }

    /// Closing the writer drops what it still had queued; when that was
    /// anything, the channels it used get All Notes Off (a drained play ends
    /// with nothing added on the wire). The cable's output is given up last,
    /// once the render stream is stopped: a rawmidi open waits (or gets
    /// `-EBUSY`) until then.
    fn release(&self, slot: usize) {
        if self.dmus.close(slot) {
            let queued = !self.render_pool.is_full();
            self.drop_timed(queued);
            // The notes-off leave (a close waits at most 100 ms for them: a
            // stuck chip must not hang it), then the render stream stops,
            // as after a rawmidi close.
            let mut waited = 0;
            while queued && !self.render_pool.is_full() && waited < 100 {
                fsleep(Delta::from_millis(1));
                waited += 1;
            }
            if let Some(render) = self.render_stream() {
                let _ = render.set_state(KsState::Stop);
            }
            self.dmus.release_writer(slot);
        }
        let _ = self.capture_use(false);
    }

    fn read(&self, slot: usize, out: UserSliceWriter) -> Result<usize> {
        self.dmus.read(slot, out)
    }

    /// Checks the whole write, waits for room, queues every event or none
    /// (also with several threads writing on the file); see the module
    /// documentation. Errors, each with nothing queued: `-EBADF` (not the
    /// writer), `-EINVAL` (malformed, larger than [`WRITE_MAX`] or than the
    /// queue), `-EBADFD` (in STOP, or a STOP came before the events were
    /// queued), `-EAGAIN`, `-ERESTARTSYS`, `-ENODEV`, `-EFAULT`, `-ENOMEM`
    /// (the copy of the write), `-EIO` (the chip is stuck).
    fn write(&self, slot: usize, input: UserSliceReader) -> Result<usize> {
        if !self.dmus.file(slot)?.writer {
            return Err(EBADF);
        }
        let len = input.len();
        if len > WRITE_MAX {
            return Err(EINVAL);
        }
        let mut buf = KVVec::with_capacity(len, GFP_KERNEL)?;
        input.read_all(&mut buf, GFP_KERNEL)?;
        let pool = &self.render_pool;
        let plan = check_write(&buf, pool.buffer_size()).map_err(kerr)?;
        if plan.events > self.queue_size() || plan.pool_buffers > pool.buffer_count() {
            return Err(EINVAL);
        }
        // The room a write needs is set aside under the device lock until it
        // has queued (or failed): a second write on this file, from another
        // thread, waits for room of its own and never runs the pool dry
        // under this one.
        let room = self.dmus.wait_until(slot, false, |st, _| {
            if st.ks == KsState::Stop {
                return Err(ebadfd());
            }
            Ok(st.reserve(
                plan.events,
                plan.pool_buffers,
                self.queue_room(),
                pool.free_buffers(),
            ))
        })?;
        drop(room);
        let _reserved = Reserved {
            dmus: &self.dmus,
            events: plan.events,
            buffers: plan.pool_buffers,
        };
        if self.render_stream().is_some_and(|r| r.output_stuck()) {
            return Err(EIO);
        }
        // Every buffer unpacked, then sorted by time with interrupts on:
        // under the feed lock the queueing is one merge, and the write is
        // queued whole or not at all.
        let now = self.clock.get_time();
        let mut chain = EventChain::new(pool.clone());
        split_buffers(&buf, |b| {
            // Same pool: cannot fail.
            let _ = chain.append(unpack(pool, b.records, b.rt_start)?);
            Ok(())
        })
        .map_err(kerr)?;
        let late = chain.iter().filter(|e| e.pres_time() < now).count() as u64;
        let sorted = SortedChain::new(chain);
        {
            let mut feed = self.feed();
            // A STOP since the check above has discarded the queue: this
            // write goes with it, as if it came after the STOP.
            if self.dmus.stopped() {
                drop(feed);
                drop(sorted);
                return Err(ebadfd());
            }
            let steps = feed.sequencer.insert_sorted(sorted).unwrap_or(0);
            self.feed_stats.note_insert(steps);
        }
        self.dmus.note_written(plan.channels, late);
        self.notify(None);
        Ok(len)
    }

    fn poll(&self, slot: usize, file: &File, table: &PollTable<'_>) -> u32 {
        self.dmus.register_poll(file, table);
        let (readable, writer) = match self.dmus.poll_state(slot) {
            Ok(state) => state,
            Err(e) if e == ENODEV => return POLLERR | POLLHUP,
            Err(_) => return POLLERR,
        };
        let mut mask = 0;
        if readable {
            mask |= POLLIN | POLLRDNORM;
        }
        // Room for events and for SysEx bytes: a SysEx writer waits in
        // poll for buffers as another waits for events.
        let pool = &self.render_pool;
        if writer
            && self.queue_room() >= self.queue_size() / POLL_ROOM_DIVISOR
            && pool.free_buffers() >= pool.buffer_count() / POLL_ROOM_DIVISOR
        {
            mask |= POLLOUT | POLLWRNORM;
        }
        mask
    }

    /// The `SND_DMUS_IOCTL_*` commands. Errors: `-ENOTTY` (unknown, or a
    /// bank for a card without instruments), `-EPERM` (a writer's command on
    /// a reader), `-EINVAL` (a state above RUN, bytes that are not a bank),
    /// `-E2BIG` (a bank above `BANK_MAX`), `-EBADFD` (drain outside RUN),
    /// `-EFAULT`, `-ENOMEM`, and the drain's waits.
    fn ioctl(&self, slot: usize, cmd: u32, arg: usize) -> Result<i32> {
        self.dmus.file(slot)?;
        match cmd {
            IOCTL_PVERSION => put_user(arg, &PROTOCOL_VERSION.to_ne_bytes()),
            IOCTL_INFO => put_user(arg, &self.info()),
            IOCTL_CLOCK => put_user(arg, &self.clock_info()),
            IOCTL_STATUS => put_user(arg, &self.status()),
            IOCTL_GET_STATE => put_user(arg, &self.dmus.ks().as_raw().to_ne_bytes()),
            IOCTL_SET_STATE => {
                self.dmus.require_writer(slot)?;
                let raw: u32 = UserSlice::new(UserPtr::from_addr(arg), 4).reader().read()?;
                let ks = KsState::from_raw(raw).map_err(kerr)?;
                self.set_timed_state(ks);
                Ok(0)
            }
            IOCTL_DRAIN => {
                self.dmus.require_writer(slot)?;
                self.drain_timed(slot)?;
                Ok(0)
            }
            IOCTL_DROP => {
                self.dmus.require_writer(slot)?;
                self.drop_timed(true);
                // Returns once the All Notes Off have left.
                self.drain_timed(slot)?;
                Ok(0)
            }
            IOCTL_LOAD_BANK => {
                let render = self.render_stream().filter(|r| r.loads_banks());
                let render = render.ok_or(ENOTTY)?;
                self.dmus.require_writer(slot)?;
                let mut args = UserSlice::new(UserPtr::from_addr(arg), 16).reader();
                let (data, size): (u64, u64) = (args.read()?, args.read()?);
                let bytes = match usize::try_from(size) {
                    Ok(0) => None,
                    Ok(size) if size <= BANK_MAX => {
                        let mut bytes = KVVec::with_capacity(size, GFP_KERNEL)?;
                        let data = usize::try_from(data).map_err(|_| EFAULT)?;
                        UserSlice::new(UserPtr::from_addr(data), size)
                            .reader()
                            .read_all(&mut bytes, GFP_KERNEL)?;
                        Some(bytes)
                    }
                    _ => return Err(E2BIG),
                };
                render.load_bank(bytes)?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}
