// SPDX-License-Identifier: GPL-2.0

//! One playing note: its state, its control values (gain per side, pitch) at a given frame,
//! and the mixer that plays its wave into the output.
//!
//! Control values are computed at absolute frames only: at every block boundary (every
//! [`BLOCK`] frames from frame 0) for the end of the block, at a note-on for the end of the
//! current block, and at a release or stop for one block later. Between those points the gains
//! move linearly from frame to frame and the pitch is constant, as `ddksynth`'s
//! `CDigitalAudio::Mix` ramps its volume over each span (`voice.cpp`). The mixer reads the
//! wave with a 32.32 phase and linear interpolation.
//!
//! The gain is the sum, in centibels, of the region's attenuation, the velocity, CC 7 and CC 11
//! curves, the volume envelope and the LFO, then multiplied by the envelope's attack amplitude,
//! a stop fade and the constant-power pan.

use super::channel::Channel;
use super::envelope::{
    fade_q15,
    level_cb,
    lfo,
    Eg,
    EG_RANGE_CB,
    FULL, //
};
use super::fixed::{
    gain_q28,
    scale_by_cents,
    CURVE_CB,
    PAN_Q15, //
};
use super::params::{
    Lfo,
    Params, //
};
use super::wave::sample_at;

/// Frames between control updates: 1.3 ms at 48 kHz.
pub(crate) const BLOCK: u64 = 64;

/// The frame after the block that contains `frame`.
pub(crate) fn block_end(frame: u64) -> u64 {
    (frame / BLOCK + 1) * BLOCK
}

/// Where a voice is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoiceState {
    /// Not playing.
    Free,
    /// The key is down.
    Held,
    /// The key is up and the sustain pedal holds the note.
    Sustained,
    /// The volume envelope is in its release.
    Released,
    /// Fading out quickly: stolen, shed, or cut by a new note of its key or key group.
    Stopping,
}

/// What a voice plays: the sample bytes in the bank and how to loop them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WaveRef {
    /// Offset of the first sample byte in the bank.
    pub(crate) offset: usize,
    /// Sample bytes.
    pub(crate) bytes: usize,
    /// 16-bit samples (else 8-bit).
    pub(crate) bits16: bool,
    /// Samples.
    pub(crate) samples: u32,
    /// First sample of the loop.
    pub(crate) loop_start: u32,
    /// Sample after the loop (0 = no loop: play once).
    pub(crate) loop_end: u32,
}

/// Who a voice plays for, fixed at its start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Note {
    /// MIDI channel, 0..16.
    pub(crate) channel: u8,
    /// Key.
    pub(crate) key: u8,
    /// Velocity, 1..=127.
    pub(crate) velocity: u8,
    /// On the drum channel.
    pub(crate) drums: bool,
    /// Voice priority (higher wins).
    pub(crate) priority: u32,
    /// Order of note-ons, to break ties in age.
    pub(crate) serial: u64,
    /// Frame of the note-on.
    pub(crate) start: u64,
    /// The instrument's patch.
    pub(crate) patch: u32,
    /// The region's key group.
    pub(crate) key_group: u16,
}

/// Everything a voice needs to start, resolved from the bank by the engine.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Start {
    /// The note.
    pub(crate) note: Note,
    /// The articulation.
    pub(crate) params: Params,
    /// Region attenuation plus velocity curve, cB.
    pub(crate) atten_cb: i32,
    /// Key minus unity note, plus fine tune, cents.
    pub(crate) cents: i32,
    /// Phase increment at the wave's own pitch (wave rate / output rate, 32.32).
    pub(crate) base_inc: u64,
    /// The wave.
    pub(crate) wave: WaveRef,
}

/// Gains and pitch at one frame.
struct Target {
    gl: i32,
    gr: i32,
    inc: u64,
    alive: bool,
}

/// One voice slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Voice {
    /// The state.
    pub(crate) state: VoiceState,
    /// The note it plays.
    pub(crate) note: Note,
    /// The frame at which the gains have ramped to 0 for good and the slot frees
    /// (`u64::MAX` while the voice plays on).
    pub(crate) end: u64,
    /// Frame the fade of [`VoiceState::Stopping`] started.
    pub(crate) stopped: u64,
    lfo: Lfo,
    vol: Eg,
    pitch: Eg,
    released: u64,
    rel_level: u32,
    rel_att: u32,
    rel_pitch: u32,
    stop_frames: u32,
    atten_cb: i32,
    cents: i32,
    base_inc: u64,
    /// The wave.
    pub(crate) wave: WaveRef,
    phase: u64,
    inc: u64,
    gl: i32,
    gr: i32,
    dgl: i32,
    dgr: i32,
}

impl Voice {
    /// An unused slot.
    pub(crate) const FREE: Voice = Voice {
        state: VoiceState::Free,
        note: Note {
            channel: 0,
            key: 0,
            velocity: 0,
            drums: false,
            priority: 0,
            serial: 0,
            start: 0,
            patch: 0,
            key_group: 0,
        },
        end: u64::MAX,
        stopped: u64::MAX,
        lfo: Lfo::ZERO,
        vol: Eg::ZERO,
        pitch: Eg::ZERO,
        released: u64::MAX,
        rel_level: 0,
        rel_att: 0,
        rel_pitch: 0,
        stop_frames: 0,
        atten_cb: 0,
        cents: 0,
        base_inc: 0,
        wave: WaveRef {
            offset: 0,
            bytes: 0,
            bits16: false,
            samples: 0,
            loop_start: 0,
            loop_end: 0,
        },
        phase: 0,
        inc: 0,
        gl: 0,
        gr: 0,
        dgl: 0,
        dgr: 0,
    };

    /// Whether the slot plays.
    pub(crate) fn active(&self) -> bool {
        self.state != VoiceState::Free
    }

    /// Whether the voice counts against the voice limit: playing and not on its way out.
    pub(crate) fn counted(&self) -> bool {
        matches!(
            self.state,
            VoiceState::Held | VoiceState::Sustained | VoiceState::Released
        ) && self.end == u64::MAX
    }

    /// Starts `s` at frame `now`: the first frame plays at once at the gains of `now`.
    pub(crate) fn start(&mut self, s: &Start, ch: &Channel, now: u64) {
        *self = Voice {
            state: VoiceState::Held,
            note: s.note,
            lfo: s.params.lfo,
            vol: Eg::new(&s.params.vol, s.note.key, s.note.velocity),
            pitch: Eg::new(&s.params.pitch, s.note.key, s.note.velocity),
            atten_cb: s.atten_cb,
            cents: s.cents,
            base_inc: s.base_inc,
            wave: s.wave,
            ..Voice::FREE
        };
        let t = self.target(ch, now);
        self.gl = t.gl;
        self.gr = t.gr;
        self.retarget(ch, now, block_end(now));
    }

    /// Ends the note at frame `now`: the envelopes enter their release.
    pub(crate) fn release(&mut self, ch: &Channel, now: u64) {
        if !matches!(self.state, VoiceState::Held | VoiceState::Sustained) {
            return;
        }
        let t = now.saturating_sub(self.note.start);
        self.rel_level = self.vol.decay_level(t);
        self.rel_att = self.vol.attack_q15(t);
        self.rel_pitch = self.pitch.held_level(t);
        self.released = now;
        self.state = VoiceState::Released;
        // At least a block to the new target, however close the next boundary is: a release
        // or a fade never jumps.
        self.retarget(ch, now, now + BLOCK);
    }

    /// Fades the voice out over `frames` from frame `now` (ddksynth's `QuickStopVoice`).
    pub(crate) fn stop(&mut self, ch: &Channel, now: u64, frames: u32) {
        if !self.active() || self.state == VoiceState::Stopping {
            return;
        }
        self.state = VoiceState::Stopping;
        self.stopped = now;
        self.stop_frames = frames;
        self.retarget(ch, now, now + BLOCK);
    }

    /// Recomputes the gain ramp from frame `now` to the values at frame `until` (> `now`); the
    /// next block boundary recomputes it again. A voice whose values at `until` are silent
    /// for good frees at the first boundary at or after `until`.
    pub(crate) fn retarget(&mut self, ch: &Channel, now: u64, until: u64) {
        let t = self.target(ch, until);
        if !t.alive {
            self.end = self.end.min(until);
        }
        let n = until.saturating_sub(now).clamp(1, BLOCK) as i32;
        self.dgl = (t.gl - self.gl) / n;
        self.dgr = (t.gr - self.gr) / n;
        self.inc = t.inc;
    }

    /// The gains and pitch at frame `now`.
    fn target(&self, ch: &Channel, now: u64) -> Target {
        let p = &self.lfo;
        let t = now.saturating_sub(self.note.start);
        let since_release = now.checked_sub(self.released);
        let (level, att, plevel) = match since_release {
            Some(r) => (
                self.vol.released_level(self.rel_level, r),
                self.rel_att,
                self.pitch.released_level(self.rel_pitch, r),
            ),
            None => (
                self.vol.decay_level(t),
                self.vol.attack_q15(t),
                self.pitch.held_level(t),
            ),
        };
        let lfo = lfo(p, t);
        let m = i32::from(ch.modulation);
        let lfo_cb = (lfo * (p.cb + m * p.mw_cb / 127)) >> 15;
        let lfo_cents = (lfo * (p.cents + m * p.mw_cents / 127)) >> 15;
        let curve = |x: u8| i32::from(CURVE_CB[usize::from(x & 0x7F)]);
        let cb = self.atten_cb + curve(ch.volume) + curve(ch.expression) + level_cb(level) + lfo_cb;
        let fade = match now.checked_sub(self.stopped) {
            Some(s) => fade_q15(s, self.stop_frames),
            None => 32768,
        };
        let alive = match self.state {
            VoiceState::Free => false,
            VoiceState::Held | VoiceState::Sustained => !self.vol.silent_forever(t),
            VoiceState::Released => level > 0 && cb < EG_RANGE_CB as i32,
            VoiceState::Stopping => fade > 0,
        };
        let gain = if alive {
            let g = (i64::from(gain_q28(cb)) * i64::from(att)) >> 15;
            (g * i64::from(fade)) >> 15
        } else {
            0
        };
        let pan = (i32::from(ch.pan) + p.pan).clamp(1, 127) as usize;
        let side = |q: u16| ((gain * i64::from(q)) >> 15) as i32;
        let pitch_cents = (i64::from(plevel) * i64::from(p.pitch_range) / i64::from(FULL)) as i32;
        let cents = self.cents
            + ch.tuning_cents(self.note.drums)
            + ch.bend_cents()
            + lfo_cents
            + pitch_cents;
        Target {
            gl: side(PAN_Q15[128 - pan]),
            gr: side(PAN_Q15[pan]),
            inc: scale_by_cents(self.base_inc, cents),
            alive,
        }
    }

    /// Adds `acc.len() / 2` frames of this voice to `acc` (interleaved stereo), reading the
    /// samples from `data`. Returns false when a one-shot wave has ended.
    pub(crate) fn mix(&mut self, data: &[u8], acc: &mut [i32]) -> bool {
        let w = self.wave;
        let looped = w.loop_end > w.loop_start;
        let end = if looped { w.loop_end } else { w.samples };
        let (start, length) = (
            u64::from(w.loop_start) << 32,
            u64::from(w.loop_end - w.loop_start.min(w.loop_end)) << 32,
        );
        for frame in acc.chunks_exact_mut(2) {
            let mut idx = (self.phase >> 32) as u32;
            if idx >= end {
                if !looped {
                    return false;
                }
                // `length` > 0 here (`looped`); `checked_rem` leaves no
                // division panic path in the kernel build.
                self.phase = start + (self.phase - start).checked_rem(length).unwrap_or(0);
                idx = (self.phase >> 32) as u32;
            }
            let next = if looped && idx + 1 >= end {
                w.loop_start
            } else {
                idx + 1
            };
            let s0 = i32::from(sample_at(data, w.bits16, idx));
            let s1 = i32::from(sample_at(data, w.bits16, next));
            let frac = ((self.phase >> 17) & 0x7FFF) as i32;
            let s = i64::from(s0 + (((s1 - s0) * frac) >> 15));
            // Rounded to nearest, so that a gain ramping to 0 ends in exact silence.
            frame[0] += ((s * i64::from(self.gl) + (1 << 27)) >> 28) as i32;
            frame[1] += ((s * i64::from(self.gr) + (1 << 27)) >> 28) as i32;
            self.gl += self.dgl;
            self.gr += self.dgr;
            self.phase = self.phase.wrapping_add(self.inc);
        }
        true
    }
}
