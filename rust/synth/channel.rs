// SPDX-License-Identifier: GPL-2.0

//! The state of one MIDI channel: program and bank, controllers, pitch bend and the
//! registered parameters (RPN 0 bend range, RPN 1 fine and RPN 2 coarse tuning), as
//! `ddksynth`'s `CControlLogic::QueueNotes` (`control.cpp`) keeps them.
//!
//! Bank select (CC 0, CC 32) is latched by the next program change, as there. Reset all
//! controllers (CC 121) follows MIDI RP-015: modulation, expression, sustain, pitch bend and
//! the RPN selection go back to their defaults; volume, pan, program and bend range stay.

use super::layout::F_INSTRUMENT_DRUMS;

/// The channel whose notes play the drum kit (MIDI channel 10).
pub(crate) const DRUM_CHANNEL: usize = 9;
/// `DAUD_STANDARD_VOICE_PRIORITY` (dmusprop.h).
const STANDARD_PRIORITY: u32 = 0x8000_0000;
/// `DAUD_CHAN1_VOICE_PRIORITY_OFFSET` .. `DAUD_CHAN16_VOICE_PRIORITY_OFFSET` (dmusprop.h):
/// channel 10 first, then 1 to 9 and 11 to 16, as DLS Level 1 asks.
const PRIORITY_OFFSET: [u32; 16] = [14, 13, 12, 11, 10, 9, 8, 7, 6, 15, 5, 4, 3, 2, 1, 0];
/// The RPN selection "none" (`0x3FFF`, also what an NRPN selects here).
const RPN_NULL: u16 = 0x3FFF;

/// What a controller change asks of the voices of its channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Nothing beyond the channel's state.
    None,
    /// The sustain pedal went up: release the notes it held.
    SustainOff,
    /// CC 123 (and 124-127): release every held note, as if its key went up.
    AllNotesOff,
    /// CC 120: silence the channel at once.
    AllSoundOff,
}

/// One MIDI channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Channel {
    /// Program (0..=127).
    pub(crate) program: u8,
    bank_msb: u8,
    bank_lsb: u8,
    select_msb: u8,
    select_lsb: u8,
    /// CC 7.
    pub(crate) volume: u8,
    /// CC 11.
    pub(crate) expression: u8,
    /// CC 10 (64 = centre).
    pub(crate) pan: u8,
    /// CC 1.
    pub(crate) modulation: u8,
    /// CC 64 >= 64.
    pub(crate) sustain: bool,
    bend: u16,
    bend_range: i32,
    rpn: u16,
    data: u16,
    fine_tune: i32,
    coarse_tune: i32,
}

impl Channel {
    /// A channel after power-on: program 0 of bank 0, volume 100, expression 127, centre pan,
    /// no bend and a bend range of 2 semitones.
    pub(crate) const DEFAULT: Channel = Channel {
        program: 0,
        bank_msb: 0,
        bank_lsb: 0,
        select_msb: 0,
        select_lsb: 0,
        volume: 100,
        expression: 127,
        pan: 64,
        modulation: 0,
        sustain: false,
        bend: 0x2000,
        bend_range: 200,
        rpn: RPN_NULL,
        data: 0,
        fine_tune: 0,
        coarse_tune: 0,
    };

    /// The voice priority of channel `index` (0..16).
    pub(crate) fn priority(index: usize) -> u32 {
        STANDARD_PRIORITY | PRIORITY_OFFSET[index % 16]
    }

    /// The patch this channel plays: bank MSB << 16 | LSB << 8 | program, plus
    /// `F_INSTRUMENT_DRUMS` on the drum channel.
    pub(crate) fn patch(&self, index: usize) -> u32 {
        let drums = if index == DRUM_CHANNEL {
            F_INSTRUMENT_DRUMS
        } else {
            0
        };
        drums
            | u32::from(self.bank_msb) << 16
            | u32::from(self.bank_lsb) << 8
            | u32::from(self.program)
    }

    /// Program change: selects `program` in the bank chosen by CC 0 and CC 32.
    pub(crate) fn program_change(&mut self, program: u8) {
        self.program = program;
        self.bank_msb = self.select_msb;
        self.bank_lsb = self.select_lsb;
    }

    /// Pitch bend from its two data bytes.
    pub(crate) fn pitch_bend(&mut self, lsb: u8, msb: u8) {
        self.bend = u16::from(msb) << 7 | u16::from(lsb);
    }

    /// The pitch bend, cents, rounded to nearest.
    pub(crate) fn bend_cents(&self) -> i32 {
        let x = (i32::from(self.bend) - 0x2000) * self.bend_range;
        (x + x.signum() * 0x1000) / 0x2000
    }

    /// The channel's tuning (RPN 1, and RPN 2 except on drums), cents.
    pub(crate) fn tuning_cents(&self, drums: bool) -> i32 {
        self.fine_tune + if drums { 0 } else { self.coarse_tune }
    }

    /// Control change `cc` to `value`.
    pub(crate) fn control_change(&mut self, cc: u8, value: u8) -> Effect {
        match cc {
            0 => self.select_msb = value,
            32 => self.select_lsb = value,
            1 => self.modulation = value,
            7 => self.volume = value,
            10 => self.pan = value,
            11 => self.expression = value,
            64 => {
                let was = self.sustain;
                self.sustain = value >= 64;
                if was && !self.sustain {
                    return Effect::SustainOff;
                }
            }
            6 => {
                self.data = (self.data & 0x7F) | u16::from(value) << 7;
                self.data_entry(true);
            }
            38 => {
                self.data = (self.data & !0x7F) | u16::from(value);
                self.data_entry(false);
            }
            98 | 99 => self.rpn = RPN_NULL,
            100 => self.rpn = (self.rpn & !0x7F) | u16::from(value),
            101 => self.rpn = (self.rpn & 0x7F) | u16::from(value) << 7,
            120 => return Effect::AllSoundOff,
            121 => {
                let sustained = self.sustain;
                self.modulation = 0;
                self.expression = 127;
                self.sustain = false;
                self.bend = 0x2000;
                self.rpn = RPN_NULL;
                if sustained {
                    return Effect::SustainOff;
                }
            }
            123..=127 => return Effect::AllNotesOff,
            _ => {}
        }
        Effect::None
    }

    /// Applies data entry to the selected RPN; `msb` tells which half just changed.
    fn data_entry(&mut self, msb: bool) {
        let coarse = i32::from(self.data >> 7);
        let fine = i32::from(self.data & 0x7F);
        match self.rpn {
            // Bend range: MSB semitones (at most 24, as GM 2 allows), LSB cents.
            0 => self.bend_range = coarse.min(24) * 100 + fine.min(99),
            1 => self.fine_tune = (i32::from(self.data) - 0x2000) * 100 / 0x2000,
            2 if msb => self.coarse_tune = (coarse - 64) * 100,
            _ => {}
        }
    }
}
