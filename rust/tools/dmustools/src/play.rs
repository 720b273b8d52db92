// SPDX-License-Identifier: GPL-2.0
//! The write schedule of `dmusplay`: keep about `ahead` of events queued
//! in the device, in buffers of bounded size, never more events per
//! buffer than the queue can take.

use std::io;

use crate::buffer::pack_buffer;
use crate::smf::TimedEvent;

/// 100 ns units per millisecond.
pub const UNITS_PER_MS: i64 = 10_000;

/// Which events to write next.
#[derive(Debug)]
pub struct Scheduler<'a> {
    events: &'a [TimedEvent],
    next: usize,
    t0: i64,
    ahead: i64,
    max_bytes: usize,
    max_events: usize,
    limit: usize,
}

impl<'a> Scheduler<'a> {
    /// A schedule for `events` presented at `t0 + time`, written once
    /// they fall before `now + ahead` (100 ns units), at most `max_bytes`
    /// and `max_events` (at least 1) per buffer.
    pub fn new(
        events: &'a [TimedEvent],
        t0: i64,
        ahead: i64,
        max_bytes: usize,
        max_events: usize,
    ) -> Self {
        let max_events = max_events.max(1);
        Self {
            events,
            next: 0,
            t0,
            ahead,
            max_bytes,
            max_events,
            limit: max_events,
        }
    }

    /// Presentation time of event `i`.
    fn pres(&self, i: usize) -> i64 {
        self.t0 + self.events[i].time as i64
    }

    /// Events not written yet that are due at `now` (presentation time
    /// before `now + ahead`).
    pub fn due(&self, now: i64) -> usize {
        let horizon = now.saturating_add(self.ahead);
        self.events[self.next..]
            .iter()
            .take_while(|e| self.t0 + (e.time as i64) < horizon)
            .count()
    }

    /// The next buffer to write at `now` and the events it holds, if any
    /// are due. Call [`Scheduler::commit`] once it is written.
    pub fn take(&self, now: i64) -> Option<(Vec<u8>, usize)> {
        let n = self.due(now).min(self.limit);
        if n == 0 {
            return None;
        }
        let slice = &self.events[self.next..self.next + n];
        Some(pack_buffer(slice, self.t0, self.max_bytes))
    }

    /// Records that the `n` events of the last [`Scheduler::take`] were
    /// written; lets the per-buffer event limit grow back.
    pub fn commit(&mut self, n: usize) {
        self.next = (self.next + n).min(self.events.len());
        self.limit = (self.limit * 2).min(self.max_events);
    }

    /// The queue said it had room but refused the buffer: fewer events
    /// per buffer from now on (at least 1).
    pub fn shrink(&mut self) {
        self.limit = (self.limit / 2).max(1);
    }

    /// True when every event has been written.
    pub fn done(&self) -> bool {
        self.next >= self.events.len()
    }

    /// Events written so far.
    pub fn written(&self) -> usize {
        self.next
    }

    /// When the next event becomes due (`None` when done).
    pub fn wake_time(&self) -> Option<i64> {
        (!self.done()).then(|| self.pres(self.next) - self.ahead)
    }
}

/// What [`play`] needs from the device and the rest of the world.
pub trait Port {
    /// The master clock now, 100 ns.
    fn now(&mut self) -> i64;
    /// One `write()` of a buffer (`EAGAIN`: no room in the queue).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// Waits up to `ms` for room in the queue (`poll()` for `POLLOUT`);
    /// `Ok(true)` if there is room, `Ok(false)` on timeout or signal.
    fn wait_writable(&mut self, ms: i32) -> io::Result<bool>;
    /// Sleeps up to `ms`, less if a signal arrives.
    fn sleep(&mut self, ms: i32);
    /// DRAIN: blocks until everything queued has left the wire.
    fn drain(&mut self) -> io::Result<()>;
    /// True once the user asked to stop (SIGINT/SIGTERM).
    fn interrupted(&mut self) -> bool;
    /// Shows `elapsed` of `total` (100 ns); called often, rate-limit it.
    fn progress(&mut self, _elapsed: i64, _total: i64) {}
}

/// The parameters of one [`play`].
#[derive(Clone, Copy, Debug)]
pub struct PlayConfig {
    /// Presentation time of file time 0, master clock.
    pub t0: i64,
    /// How far ahead of its presentation time an event is written, 100 ns.
    pub ahead: i64,
    /// Most bytes per `write()`.
    pub max_bytes: usize,
    /// Most events per `write()`.
    pub max_events: usize,
    /// Longest wait between two looks at the clock and the signal flag, ms.
    pub tick_ms: i32,
}

/// How a [`play`] ended without error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayEnd {
    /// Everything was written and drained.
    Finished,
    /// Stopped by [`Port::interrupted`] (the caller DROPs the queue).
    Interrupted,
}

/// The result of a [`play`].
#[derive(Debug)]
pub struct Played {
    /// How it ended, or what went wrong.
    pub end: Result<PlayEnd, String>,
    /// Events written.
    pub written: usize,
}

fn errno(e: &io::Error) -> Option<i32> {
    e.raw_os_error()
}

/// Writes `events` to `port`, each presented at `cfg.t0 + time`, keeping
/// about `cfg.ahead` queued; waits until the last one is due, then DRAINs.
pub fn play<P: Port>(port: &mut P, events: &[TimedEvent], cfg: &PlayConfig) -> Played {
    let mut sched = Scheduler::new(events, cfg.t0, cfg.ahead, cfg.max_bytes, cfg.max_events);
    let total = events.last().map_or(0, |e| e.time as i64);
    let tick = i64::from(cfg.tick_ms.max(1));
    let mut ready_said = false; // the queue said it had room before this write
    let end = 'play: {
        // Write everything, keeping about `ahead` queued.
        loop {
            if port.interrupted() {
                break 'play Ok(PlayEnd::Interrupted);
            }
            let now = port.now();
            port.progress(now - cfg.t0, total);
            if let Some((buf, n)) = sched.take(now) {
                match port.write(&buf) {
                    Ok(len) if len == buf.len() => {
                        sched.commit(n);
                        ready_said = false;
                    }
                    Ok(len) => {
                        break 'play Err(format!("short write ({len} of {} bytes)", buf.len()));
                    }
                    Err(e) if errno(&e) == Some(libc::EAGAIN) => {
                        if ready_said {
                            // Room, but not for this many events.
                            sched.shrink();
                            port.sleep(2);
                        }
                        match port.wait_writable(tick as i32) {
                            Ok(ready) => ready_said = ready,
                            Err(e) => break 'play Err(format!("poll: {e}")),
                        }
                    }
                    Err(e) if errno(&e) == Some(libc::EINTR) => {}
                    Err(e) if errno(&e) == Some(libc::EINVAL) => {
                        break 'play Err(format!("write refused as malformed: {e}"));
                    }
                    Err(e) => break 'play Err(format!("write: {e}")),
                }
                continue;
            }
            let Some(wake) = sched.wake_time() else {
                break;
            };
            port.sleep(((wake - now) / UNITS_PER_MS + 1).clamp(0, tick) as i32);
        }
        // Everything is queued: keep the progress going until the last
        // event is due, then wait for the wire.
        loop {
            if port.interrupted() {
                break 'play Ok(PlayEnd::Interrupted);
            }
            let now = port.now();
            port.progress(now - cfg.t0, total);
            let left = cfg.t0 + total - now;
            if left <= 0 {
                break;
            }
            port.sleep((left / UNITS_PER_MS + 1).min(tick) as i32);
        }
        port.progress(total, total);
        match port.drain() {
            Ok(()) => Ok(PlayEnd::Finished),
            Err(e) if errno(&e) == Some(libc::EINTR) => Ok(PlayEnd::Interrupted),
            Err(e) => Err(format!("drain: {e}")),
        }
    };
    Played {
        end,
        written: sched.written(),
    }
}

/// `m:ss` of a duration in 100 ns units (negative counts as 0).
pub fn mmss(units: i64) -> String {
    let s = units.max(0) / 10_000_000;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::parse_buffer;

    fn events(n: u64, step: u64) -> Vec<TimedEvent> {
        (0..n)
            .map(|i| TimedEvent {
                time: i * step,
                bytes: vec![0x90, (i % 128) as u8, 64],
                structured: true,
            })
            .collect()
    }

    #[test]
    fn writes_only_what_is_due() {
        // One event every 100 ms, 1 s ahead, t0 = 1000 s.
        let evs = events(50, 1_000_000);
        let t0 = 10_000_000_000;
        let mut s = Scheduler::new(&evs, t0, 1000 * UNITS_PER_MS, 4096, 1000);
        let now = t0 - 20 * UNITS_PER_MS;
        // Presentation < now + 1 s: events at 0..=0.9 s... 0.98 s -> 10.
        assert_eq!(s.due(now), 10);
        let (buf, n) = s.take(now).unwrap();
        assert_eq!(n, 10);
        let (p, _) = parse_buffer(&buf).unwrap();
        assert_eq!(p.header.rt_start, t0);
        assert_eq!(p.records.len(), 10);
        assert_eq!(p.records[9].time, t0 + 9_000_000);
        s.commit(n);
        assert!(s.take(now).is_none());
        assert_eq!(s.wake_time(), Some(t0 + 10_000_000 - 10_000_000));
        // Later: more becomes due.
        let later = t0 + 2_000_000;
        assert_eq!(s.due(later), 2);
    }

    #[test]
    fn writes_everything_in_order_with_limits() {
        let evs = events(1000, 1);
        let mut s = Scheduler::new(&evs, 0, 10, 256, 7);
        let mut got = Vec::new();
        while let Some((buf, n)) = s.take(i64::MAX / 2) {
            assert!(buf.len() <= 256);
            assert!(n <= 7);
            let (p, _) = parse_buffer(&buf).unwrap();
            assert_eq!(p.records.len(), n);
            got.extend(p.records.into_iter().map(|r| (r.time, r.data)));
            s.commit(n);
        }
        assert!(s.done());
        assert_eq!(s.written(), 1000);
        assert_eq!(s.wake_time(), None);
        let want: Vec<_> = evs
            .iter()
            .map(|e| (e.time as i64, e.bytes.clone()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn shrink_and_grow() {
        let evs = events(100, 0);
        let mut s = Scheduler::new(&evs, 0, 10, 65536, 64);
        assert_eq!(s.take(0).unwrap().1, 64);
        s.shrink();
        s.shrink();
        assert_eq!(s.take(0).unwrap().1, 16);
        s.commit(16);
        assert_eq!(s.take(0).unwrap().1, 32);
        for _ in 0..10 {
            s.shrink();
        }
        assert_eq!(s.take(0).unwrap().1, 1);
    }

    /// A simulated device: a queue of `cap` events that leave at their
    /// presentation time, a clock that moves only when the player waits.
    struct FakePort {
        now: i64,
        cap: usize,
        queue: std::collections::VecDeque<i64>,
        written: Vec<(i64, Vec<u8>)>,
        late: usize,
        max_lead: i64,
        eagain: usize,
        interrupt_at: Option<i64>,
        drained: bool,
    }

    impl FakePort {
        fn new(now: i64, cap: usize) -> Self {
            Self {
                now,
                cap,
                queue: Default::default(),
                written: Vec::new(),
                late: 0,
                max_lead: 0,
                eagain: 0,
                interrupt_at: None,
                drained: false,
            }
        }

        fn advance(&mut self, units: i64) {
            self.now += units;
            while self.queue.front().is_some_and(|&t| t <= self.now) {
                self.queue.pop_front();
            }
        }
    }

    impl Port for FakePort {
        fn now(&mut self) -> i64 {
            self.now
        }

        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let (b, used) = parse_buffer(buf).unwrap();
            assert_eq!(used, buf.len());
            if self.queue.len() + b.records.len() > self.cap {
                self.eagain += 1;
                return Err(io::Error::from_raw_os_error(libc::EAGAIN));
            }
            for r in b.records {
                if r.time < self.now {
                    self.late += 1;
                }
                self.max_lead = self.max_lead.max(r.time - self.now);
                self.queue.push_back(r.time);
                self.written.push((r.time, r.data));
            }
            self.advance(50); // a write takes 5 us
            Ok(buf.len())
        }

        fn wait_writable(&mut self, ms: i32) -> io::Result<bool> {
            if self.queue.len() < self.cap {
                return Ok(true);
            }
            let limit = self.now + i64::from(ms) * UNITS_PER_MS;
            let next = *self.queue.front().unwrap();
            self.advance(next.min(limit) - self.now);
            Ok(self.queue.len() < self.cap)
        }

        fn sleep(&mut self, ms: i32) {
            assert!(ms >= 0);
            self.advance(i64::from(ms) * UNITS_PER_MS);
        }

        fn drain(&mut self) -> io::Result<()> {
            if let Some(&last) = self.queue.back() {
                self.advance(last - self.now);
            }
            assert!(self.queue.is_empty());
            self.drained = true;
            Ok(())
        }

        fn interrupted(&mut self) -> bool {
            self.interrupt_at.is_some_and(|t| self.now >= t)
        }
    }

    fn config(t0: i64, ahead_ms: i64, max_events: usize) -> PlayConfig {
        PlayConfig {
            t0,
            ahead: ahead_ms * UNITS_PER_MS,
            max_bytes: 4096,
            max_events,
            tick_ms: 250,
        }
    }

    fn check_all_written(port: &FakePort, evs: &[TimedEvent], t0: i64) {
        let want: Vec<_> = evs
            .iter()
            .map(|e| (t0 + e.time as i64, e.bytes.clone()))
            .collect();
        assert_eq!(port.written, want);
    }

    #[test]
    fn plays_everything_on_time() {
        // 600 events 10 ms apart (6 s), 1 s ahead, a roomy queue.
        let evs = events(600, 100_000);
        let start = 5_000_000_000;
        let t0 = start + 20 * UNITS_PER_MS;
        let mut port = FakePort::new(start, 10_000);
        let played = play(&mut port, &evs, &config(t0, 1000, 2500));
        assert_eq!(played.end, Ok(PlayEnd::Finished));
        assert_eq!(played.written, 600);
        check_all_written(&port, &evs, t0);
        assert_eq!(port.late, 0);
        assert!(port.drained);
        // Never much more than `ahead` queued (plus one tick of slack).
        assert!(port.max_lead <= 1250 * UNITS_PER_MS, "{}", port.max_lead);
        // And the player did not finish before the last event was due.
        assert!(port.now >= t0 + evs.last().unwrap().time as i64);
    }

    #[test]
    fn a_full_queue_makes_it_wait() {
        // A 16-event queue, 300 events 1 ms apart: EAGAIN, poll, retry.
        let evs = events(300, 10_000);
        let t0 = 1_000_000;
        let mut port = FakePort::new(0, 16);
        let played = play(&mut port, &evs, &config(t0, 1000, 4));
        assert_eq!(played.end, Ok(PlayEnd::Finished));
        check_all_written(&port, &evs, t0);
        assert_eq!(port.late, 0);
        assert!(port.eagain > 0);
    }

    #[test]
    fn buffers_larger_than_the_room_shrink() {
        // The queue holds 5 events but the player may put 1000 in a
        // buffer: it must shrink its buffers instead of spinning.
        let evs = events(200, 10_000);
        let t0 = 1_000_000;
        let mut port = FakePort::new(0, 5);
        let played = play(&mut port, &evs, &config(t0, 1000, 1000));
        assert_eq!(played.end, Ok(PlayEnd::Finished));
        check_all_written(&port, &evs, t0);
        assert!(port.eagain < 2000, "{} EAGAINs", port.eagain);
        assert_eq!(port.late, 0);
    }

    #[test]
    fn interruption_stops_early() {
        let evs = events(600, 100_000); // 6 s
        let t0 = 1_000_000;
        let mut port = FakePort::new(0, 10_000);
        port.interrupt_at = Some(t0 + 2 * 10_000_000);
        let played = play(&mut port, &evs, &config(t0, 1000, 2500));
        assert_eq!(played.end, Ok(PlayEnd::Interrupted));
        assert!(played.written < 600 && played.written > 200);
        assert!(!port.drained);
        // Noticed within a tick.
        assert!(port.now <= t0 + 2 * 10_000_000 + 250 * UNITS_PER_MS);
    }

    #[test]
    fn nothing_to_play() {
        let mut port = FakePort::new(0, 10);
        let played = play(&mut port, &[], &config(100, 1000, 10));
        assert_eq!(played.end, Ok(PlayEnd::Finished));
        assert_eq!(played.written, 0);
        assert!(port.drained);
    }

    #[test]
    fn minutes_seconds() {
        assert_eq!(mmss(0), "0:00");
        assert_eq!(mmss(-5), "0:00");
        assert_eq!(mmss(59 * 10_000_000 + 9_999_999), "0:59");
        assert_eq!(mmss(754 * 10_000_000), "12:34");
    }
}
