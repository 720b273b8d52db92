// SPDX-License-Identifier: GPL-2.0

//! [`Synth`]: the engine. MIDI channel messages in, interleaved stereo S16 out, on the
//! instruments of a [`Bank`].
//!
//! Time is the render position: the number of frames rendered since the synth was created.
//! A message applies at the current position, so the caller interleaves `midi` and `render`
//! calls to place each message on its frame. Everything that changes over time is computed
//! from that absolute position (block boundaries every 64 frames counted from frame 0), so
//! rendering N frames in one call or in any split of calls gives the same samples, and the
//! same bank with the same (position, message) sequence gives the same samples on every
//! machine (integer arithmetic only).
//!
//! Voices: [`VOICE_SLOTS`] slots, of which [`DEFAULT_VOICES`] may play at once by default
//! ([`Synth::set_voice_limit`]); the rest are spares that stolen or shed voices fade out in
//! (5 ms), as `ddksynth` keeps extra voices for `QuickStopVoice` (`csynth.cpp`,
//! `StealNotes`). Stealing takes, among voices of the same or lower priority, the lowest
//! priority, then a released note before a held one, then the oldest. Channel priorities are
//! DirectMusic's defaults (channel 10 highest, then 1..9, 11..16). If every slot is busy, the
//! fading voice nearest its end is cut at once.
//!
//! Unknown programs: a note whose patch is not in the bank falls back to the same program in
//! bank 0 (for drums, the same kit in bank 0), then to program 0 of bank 0 (drums: kit 0), the
//! first one with a region for the key (`resolve`); if none has one, the note is silent and
//! counted in [`SynthStats::notes_unmapped`].

use super::bank::Bank;
use super::channel::{
    Channel,
    Effect, //
};
use super::error::Error;
use super::lookup::Lookup;
use super::resolve::{
    resolve,
    NoteOn, //
};
pub use super::voice::VoiceState;
use super::voice::{
    Voice,
    BLOCK, //
};

/// Voices that may play at once by default (`ddksynth`'s default).
pub const DEFAULT_VOICES: usize = 32;
/// Spare slots for voices fading out after a steal.
pub const SPARE_VOICES: usize = 8;
/// Voice slots in all.
pub const VOICE_SLOTS: usize = DEFAULT_VOICES + SPARE_VOICES;
/// The lowest output rate, Hz.
pub const MIN_RATE: u32 = 8000;
/// The highest output rate, Hz.
pub const MAX_RATE: u32 = 192_000;

/// Counters of what the engine did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Notes started.
    pub notes_played: u64,
    /// Notes silent because no instrument or region of the bank plays them.
    pub notes_unmapped: u64,
    /// Notes silent because every playing voice had a higher priority.
    pub notes_dropped: u64,
    /// Voices stolen for new notes.
    pub voices_stolen: u64,
    /// Voices released by [`Synth::shed`].
    pub voices_shed: u64,
    /// Output samples clipped to the S16 range.
    pub clipped_samples: u64,
}

/// One voice as [`Synth::voices`] shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoiceInfo {
    /// MIDI channel, 0..16.
    pub channel: u8,
    /// Key.
    pub key: u8,
    /// Velocity.
    pub velocity: u8,
    /// State.
    pub state: VoiceState,
    /// Render position of its note-on.
    pub start: u64,
    /// Its priority (higher is kept longer).
    pub priority: u32,
}

/// The synthesizer: 16 MIDI channels, [`VOICE_SLOTS`] voices, fixed size, no allocation.
#[derive(Clone, Debug)]
pub struct Synth {
    rate: u32,
    frame: u64,
    serial: u64,
    limit: usize,
    stop_frames: u32,
    bank_id: (usize, usize),
    lookup: Lookup,
    stats: SynthStats,
    channels: [Channel; 16],
    voices: [Voice; VOICE_SLOTS],
}

impl Synth {
    /// A silent synth rendering at `rate` Hz, at render position 0. A `const fn`, so that a
    /// kernel caller can copy a constant synth into a heap box and then
    /// [`set_rate`](Self::set_rate) it, instead of building 13 KB on its stack.
    ///
    /// Errors: [`Error::InvalidRate`] unless `rate` is in [`MIN_RATE`]..=[`MAX_RATE`].
    ///
    /// `#[inline]`: built where it is called only, so the kernel module, which only
    /// evaluates it at compile time, carries no function that builds a synth on its stack.
    #[inline]
    pub const fn new(rate: u32) -> Result<Synth, Error> {
        if rate < MIN_RATE || rate > MAX_RATE {
            return Err(Error::InvalidRate);
        }
        Ok(Synth {
            rate,
            frame: 0,
            serial: 0,
            limit: DEFAULT_VOICES,
            stop_frames: rate / 200,
            bank_id: (0, 0),
            lookup: Lookup::new(),
            stats: SynthStats {
                notes_played: 0,
                notes_unmapped: 0,
                notes_dropped: 0,
                voices_stolen: 0,
                voices_shed: 0,
                clipped_samples: 0,
            },
            channels: [Channel::DEFAULT; 16],
            voices: [Voice::FREE; VOICE_SLOTS],
        })
    }

    /// Changes the output rate and [`restart`](Self::restart)s: the synth is then equal to
    /// `Synth::new(rate)` but for its counters. In place.
    ///
    /// Errors: [`Error::InvalidRate`] unless `rate` is in [`MIN_RATE`]..=[`MAX_RATE`] (the synth
    /// is unchanged).
    pub fn set_rate(&mut self, rate: u32) -> Result<(), Error> {
        if !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return Err(Error::InvalidRate);
        }
        self.rate = rate;
        self.stop_frames = rate / 200;
        self.restart();
        Ok(())
    }

    /// The output rate, Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The render position: frames rendered so far.
    pub fn position(&self) -> u64 {
        self.frame
    }

    /// The counters.
    pub fn stats(&self) -> SynthStats {
        self.stats
    }

    /// The voices that play, in slot order.
    pub fn voices(&self) -> impl Iterator<Item = VoiceInfo> + '_ {
        self.voices
            .iter()
            .filter(|v| v.active())
            .map(|v| VoiceInfo {
                channel: v.note.channel,
                key: v.note.key,
                velocity: v.note.velocity,
                state: v.state,
                start: v.note.start,
                priority: v.note.priority,
            })
    }

    /// The number of voices that play, fading ones included (what rendering costs).
    pub fn active_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.active()).count()
    }

    /// How many voices may play at once before a new note steals one.
    pub fn voice_limit(&self) -> usize {
        self.limit
    }

    /// Sets how many voices may play at once, 1..=[`VOICE_SLOTS`] (clamped); voices above a
    /// lowered limit play on, new notes steal until the count is below it. Above
    /// [`DEFAULT_VOICES`] fewer spare slots remain, and at [`VOICE_SLOTS`] a stolen voice is cut
    /// without a fade.
    pub fn set_voice_limit(&mut self, n: usize) {
        self.limit = n.clamp(1, VOICE_SLOTS);
    }

    /// Fades out (5 ms) the `n` voices a steal would take first (lowest priority, released
    /// before held, oldest), or all of them if fewer play, for a caller whose render ran over
    /// its time; each is counted in [`SynthStats::voices_shed`].
    pub fn shed(&mut self, n: usize) {
        for _ in 0..n {
            let Some(i) = self.victim(u32::MAX) else {
                break;
            };
            self.stop_voice(i);
            self.stats.voices_shed += 1;
        }
    }

    /// All sound off at once and every channel back to its power-on state (program 0,
    /// controllers, bend range); the render position and the counters stay.
    pub fn reset(&mut self) {
        self.voices = [Voice::FREE; VOICE_SLOTS];
        self.channels = [Channel::DEFAULT; 16];
    }

    /// Back to the state [`Synth::new`] left: silent, every channel at power-on, the default
    /// voice limit, render position 0 (so a render from here equals one of a new synth at the
    /// same rate); the counters stay. In place: the kernel keeps the synth in a heap box.
    pub fn restart(&mut self) {
        self.reset();
        self.frame = 0;
        self.serial = 0;
        self.limit = DEFAULT_VOICES;
        self.bank_id = (0, 0);
    }

    /// Voices refer to samples by their offset in the bank: a different bank silences them
    /// and empties the lookup cache.
    fn check_bank(&mut self, bank: &Bank<'_>) {
        let id = (bank.as_bytes().as_ptr() as usize, bank.as_bytes().len());
        if id != self.bank_id {
            self.voices = [Voice::FREE; VOICE_SLOTS];
            self.lookup.clear();
            self.bank_id = id;
        }
    }

    /// The caller is about to play another bank (or other bytes at the same address): the
    /// next call silences the voices and empties the lookup cache, whatever the address.
    /// Channels keep their programs and controllers.
    pub fn forget_bank(&mut self) {
        self.bank_id = (0, 0);
    }

    /// Applies one complete MIDI channel message (status byte and its data bytes) at the
    /// current render position. System messages, running status (no status byte), short
    /// messages and data bytes above 127 are ignored. Note on/off, control change, program
    /// change and pitch bend act; poly and channel pressure are ignored.
    pub fn midi(&mut self, bank: &Bank<'_>, msg: &[u8]) {
        self.check_bank(bank);
        let Some(&status) = msg.first() else {
            return;
        };
        if !(0x80..0xF0).contains(&status) {
            return;
        }
        let ch = usize::from(status & 0x0F);
        let len = if matches!(status & 0xF0, 0xC0 | 0xD0) {
            2
        } else {
            3
        };
        let data = match msg.get(1..len) {
            Some(d) if d.iter().all(|&b| b < 0x80) => d,
            _ => return,
        };
        let d1 = data.first().copied().unwrap_or(0);
        let d2 = data.get(1).copied().unwrap_or(0);
        match status & 0xF0 {
            0x80 => self.note_off(ch, d1),
            0x90 if d2 == 0 => self.note_off(ch, d1),
            0x90 => self.note_on(bank, ch, d1, d2),
            0xB0 => self.control_change(ch, d1, d2),
            0xC0 => self.channels[ch].program_change(d1),
            0xE0 => self.channels[ch].pitch_bend(d1, d2),
            _ => {}
        }
    }

    fn control_change(&mut self, ch: usize, cc: u8, value: u8) {
        let effect = self.channels[ch].control_change(cc, value);
        let c = self.channels[ch];
        let now = self.frame;
        let sustain = c.sustain;
        for v in self
            .voices
            .iter_mut()
            .filter(|v| v.active() && usize::from(v.note.channel) == ch)
        {
            match (effect, v.state) {
                (Effect::SustainOff, VoiceState::Sustained) => v.release(&c, now),
                (Effect::AllNotesOff, VoiceState::Held) if sustain => {
                    v.state = VoiceState::Sustained
                }
                (Effect::AllNotesOff, VoiceState::Held) => v.release(&c, now),
                (Effect::AllSoundOff, _) => *v = Voice::FREE,
                _ => {}
            }
        }
    }

    fn note_off(&mut self, ch: usize, key: u8) {
        let c = self.channels[ch];
        let oldest = self
            .voices
            .iter_mut()
            .filter(|v| {
                v.state == VoiceState::Held
                    && usize::from(v.note.channel) == ch
                    && v.note.key == key
            })
            .min_by_key(|v| v.note.serial);
        if let Some(v) = oldest {
            if c.sustain {
                v.state = VoiceState::Sustained;
            } else {
                v.release(&c, self.frame);
            }
        }
    }

    fn note_on(&mut self, bank: &Bank<'_>, ch: usize, key: u8, velocity: u8) {
        self.serial += 1;
        let note = NoteOn {
            channel: ch,
            key,
            velocity,
            frame: self.frame,
            serial: self.serial,
            rate: self.rate,
        };
        let Some((start, exclusive)) = resolve(bank, &mut self.lookup, &self.channels[ch], &note)
        else {
            self.stats.notes_unmapped += 1;
            return;
        };
        let (patch, group) = (start.note.patch, start.note.key_group);
        for i in 0..VOICE_SLOTS {
            let n = self.voices[i].note;
            let same_channel = self.voices[i].active() && usize::from(n.channel) == ch;
            let same_key = exclusive && n.key == key;
            let same_group = group != 0 && n.key_group == group && n.patch == patch;
            if same_channel && (same_key || same_group) {
                self.stop_voice(i);
            }
        }
        let counted = self.voices.iter().filter(|v| v.counted()).count();
        if counted >= self.limit {
            match self.victim(start.note.priority) {
                Some(i) => {
                    self.stop_voice(i);
                    self.stats.voices_stolen += 1;
                }
                None => {
                    self.stats.notes_dropped += 1;
                    return;
                }
            }
        }
        let slot = match self.voices.iter().position(|v| !v.active()) {
            Some(i) => i,
            None => match self.fading_nearest_end() {
                Some(i) => i,
                None => {
                    self.stats.notes_dropped += 1;
                    return;
                }
            },
        };
        let c = self.channels[ch];
        self.voices[slot].start(&start, &c, self.frame);
        self.stats.notes_played += 1;
    }

    /// The voice a steal by a note of `priority` takes: among counted voices of that priority
    /// or lower, the lowest priority, then released before held, then the oldest.
    fn victim(&self, priority: u32) -> Option<usize> {
        (0..VOICE_SLOTS)
            .filter(|&i| self.voices[i].counted() && self.voices[i].note.priority <= priority)
            .min_by_key(|&i| {
                let v = &self.voices[i];
                let held = v.state != VoiceState::Released;
                (v.note.priority, held, v.note.start, v.note.serial)
            })
    }

    /// The fading voice closest to its end: one already ramping to 0, else the earliest
    /// stopped.
    fn fading_nearest_end(&self) -> Option<usize> {
        (0..VOICE_SLOTS)
            .filter(|&i| self.voices[i].active() && !self.voices[i].counted())
            .min_by_key(|&i| {
                let v = &self.voices[i];
                (v.end, v.stopped, v.note.serial)
            })
    }

    fn stop_voice(&mut self, i: usize) {
        let ch = self.channels[usize::from(self.voices[i].note.channel) % 16];
        let (now, frames) = (self.frame, self.stop_frames);
        self.voices[i].stop(&ch, now, frames);
    }

    /// Renders `out.len() / 2` frames of interleaved stereo S16 into `out` (overwriting it; an
    /// odd last sample is set to 0) and advances the render position by as many frames. The
    /// voices' sum is an `i32` mix saturated to the S16 range.
    pub fn render(&mut self, bank: &Bank<'_>, out: &mut [i16]) {
        self.check_bank(bank);
        let bytes = bank.as_bytes();
        let (min, max) = (i32::from(i16::MIN), i32::from(i16::MAX));
        let mut out = out.chunks_exact_mut(2);
        loop {
            let in_block = (self.frame % BLOCK) as usize;
            let n = (BLOCK as usize - in_block).min(out.len());
            if n == 0 {
                break;
            }
            if in_block == 0 {
                self.update();
            }
            let mut acc = [0i32; 2 * BLOCK as usize];
            let acc = acc.get_mut(..2 * n).unwrap_or_default();
            for v in self.voices.iter_mut().filter(|v| v.active()) {
                let w = v.wave;
                let playing = match bytes.get(w.offset..w.offset.saturating_add(w.bytes)) {
                    Some(data) => v.mix(data, acc),
                    None => false,
                };
                if !playing {
                    *v = Voice::FREE;
                }
            }
            for (frame, a) in out.by_ref().take(n).zip(acc.chunks_exact(2)) {
                for (o, &x) in frame.iter_mut().zip(a) {
                    let c = x.clamp(min, max);
                    self.stats.clipped_samples += u64::from(c != x);
                    *o = c as i16;
                }
            }
            self.frame += n as u64;
        }
        if let Some(last) = out.into_remainder().first_mut() {
            *last = 0;
        }
    }

    /// The control update at a block boundary: frees the voices that have ramped to silence,
    /// and sets every other voice's ramp to its values at the next boundary.
    fn update(&mut self) {
        let now = self.frame;
        for v in self.voices.iter_mut().filter(|v| v.active()) {
            if now >= v.end {
                *v = Voice::FREE;
                continue;
            }
            let ch = self.channels[usize::from(v.note.channel) % 16];
            v.retarget(&ch, now, now + BLOCK);
        }
    }
}
