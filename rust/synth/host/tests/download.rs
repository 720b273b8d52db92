// SPDX-License-Identifier: GPL-2.0

//! Downloads and banks written by the host writer parse back into the same structs, in both
//! instrument formats; the built-in bank is what the writer writes; bank lookups.

mod common;

use common::*;
use dmus_synth::bank::{
    Bank,
    OwnedBank, //
};
use dmus_synth::builtin;
use dmus_synth::layout::{
    DMUS_DOWNLOADINFO_INSTRUMENT,
    DMUS_DOWNLOADINFO_INSTRUMENT2,
    DMUS_DOWNLOADINFO_WAVE,
    DMUS_INSTRUMENT_GM_INSTRUMENT,
    F_INSTRUMENT_DRUMS, //
};
use dmus_synth::writer::{
    read_bank,
    write_bank,
    ArticFormat,
    DownloadDef,
    InstrumentDef,
    WaveDef, //
};
use dmus_synth::{
    Articulation,
    Download,
    Region,
    WaveFormat,
    WaveLoop, //
};
use proptest::prelude::*;

fn art_strategy() -> impl Strategy<Value = Articulation> {
    proptest::collection::vec(
        prop_oneof![Just(None), any::<i32>().prop_map(Some)],
        dmus_synth::articulation::PARAMS,
    )
    .prop_map(|values| {
        let mut art = Articulation::default();
        for (i, v) in values.into_iter().enumerate() {
            if let Some(v) = v {
                art.set_param(i, v);
            }
        }
        art
    })
}

fn region_strategy() -> impl Strategy<Value = Region> {
    (
        (
            0u8..128,
            0u8..128,
            0u8..128,
            0u8..128,
            any::<u16>(),
            any::<u16>(),
        ),
        (
            any::<u16>(),
            any::<u16>(),
            0u8..128,
            any::<i16>(),
            any::<i32>(),
            any::<u32>(),
        ),
        proptest::option::of((0u32..2, 0u32..1000, 1u32..1000)),
        proptest::option::of(art_strategy()),
    )
        .prop_map(|(k, w, l, articulation)| {
            let mut r = region(1, w.2, 0);
            (r.key_low, r.key_high) = (k.0.min(k.1), k.0.max(k.1));
            (r.vel_low, r.vel_high) = (k.2.min(k.3), k.2.max(k.3));
            (r.options, r.key_group) = (k.4, k.5);
            (r.link.options, r.link.phase_group) = (w.0, w.1);
            (r.fine_tune, r.attenuation, r.wsmp_options) = (w.3, w.4, w.5);
            r.wave_loop = l.map(|(loop_type, start, length)| WaveLoop {
                loop_type,
                start,
                length,
            });
            r.articulation = articulation;
            r
        })
}

fn instrument_strategy() -> impl Strategy<Value = InstrumentDef> {
    (
        any::<u32>(),
        (0u32..128, 0u32..128, 0u32..128, any::<bool>()),
        any::<u32>(),
        any::<bool>(),
        proptest::option::of(art_strategy()),
        proptest::collection::vec(region_strategy(), 1..6),
    )
        .prop_map(
            |(id, (msb, lsb, prog, drums), flags, params, global, mut regions)| {
                if global.is_none() {
                    for r in &mut regions {
                        r.articulation.get_or_insert_with(Articulation::default);
                    }
                }
                InstrumentDef {
                    id,
                    patch: msb << 16 | lsb << 8 | prog | if drums { F_INSTRUMENT_DRUMS } else { 0 },
                    flags,
                    format: if params {
                        ArticFormat::Params
                    } else {
                        ArticFormat::Connections
                    },
                    global,
                    regions,
                }
            },
        )
}

fn wave_strategy() -> impl Strategy<Value = WaveDef> {
    (any::<u32>(), 1000u32..=384_000, any::<bool>(), 1usize..300).prop_flat_map(
        |(id, rate, wide, n)| {
            let bits = if wide { 16 } else { 8 };
            proptest::collection::vec(any::<u8>(), n * usize::from(bits / 8)).prop_map(
                move |data| WaveDef {
                    id,
                    format: WaveFormat::pcm(rate, bits),
                    data,
                },
            )
        },
    )
}

proptest! {
    /// parse(write(x)) == x for instruments of both formats.
    #[test]
    fn instrument_round_trip(def in instrument_strategy()) {
        let bytes = def.write();
        let dl = Download::parse(&bytes).unwrap();
        let kind = match def.format {
            ArticFormat::Params => DMUS_DOWNLOADINFO_INSTRUMENT,
            ArticFormat::Connections => DMUS_DOWNLOADINFO_INSTRUMENT2,
        };
        prop_assert_eq!((dl.id(), dl.dl_type()), (def.id, kind));
        prop_assert_eq!(DownloadDef::read(&dl), Some(DownloadDef::Instrument(def)));
    }

    /// parse(write(x)) == x for 8- and 16-bit waves.
    #[test]
    fn wave_round_trip(def in wave_strategy()) {
        let bytes = def.write();
        let dl = Download::parse(&bytes).unwrap();
        prop_assert_eq!(dl.dl_type(), DMUS_DOWNLOADINFO_WAVE);
        prop_assert!(dl.instrument().is_none());
        prop_assert_eq!(DownloadDef::read(&dl), Some(DownloadDef::Wave(def)));
    }

    /// A bank of waves and instruments that link them parses back to the same downloads.
    #[test]
    fn bank_round_trip(mut inst in instrument_strategy(), wave in wave_strategy()) {
        let samples = (wave.data.len() / usize::from(wave.format.block_align())) as u32;
        for r in &mut inst.regions {
            r.link.wave_id = wave.id;
            if let Some(l) = &mut r.wave_loop {
                l.start %= samples;
                l.length = 1 + l.length % (samples - l.start);
            }
        }
        inst.id = wave.id.wrapping_add(1);
        let defs = [DownloadDef::Wave(wave), DownloadDef::Instrument(inst)];
        let bytes = write_bank(&defs);
        let bank = Bank::parse(&bytes).unwrap();
        let mut read = read_bank(&bank);
        read.sort_by_key(|d| d.id() == defs[1].id());
        prop_assert_eq!(&read[..], &defs[..]);
    }
}

#[test]
fn builtin_bank_is_what_the_writer_writes() {
    let bank = Bank::parse(builtin::BANK).expect("the built-in bank validates");
    assert_eq!(builtin::bank(), bank);
    let defs = read_bank(&bank);
    assert_eq!(defs.len(), 8);
    assert_eq!(write_bank(&defs), builtin::BANK.to_vec(), "byte for byte");
    // Programs 0, 1, 2 and drum kit 0, each over all keys.
    for patch in [0, 1, 2, F_INSTRUMENT_DRUMS] {
        let inst = bank.instrument(patch).unwrap();
        assert!(inst.region_for(0, 1).is_some() && inst.region_for(127, 127).is_some());
    }
    assert!(bank.instrument(3).is_none());
}

#[test]
fn lookups() {
    let art = Articulation::default();
    let gm = InstrumentDef {
        flags: DMUS_INSTRUMENT_GM_INSTRUMENT,
        ..instrument(2, 5, region(1, 60, 0), art)
    };
    let own = instrument(3, 5, region(1, 72, 0), art);
    let other = instrument(4, 6 | F_INSTRUMENT_DRUMS, region(1, 60, 0), art);
    let bytes = write_bank(&[
        DownloadDef::Wave(sine_wave(1, 50, 22_050)),
        DownloadDef::Instrument(gm),
        DownloadDef::Instrument(own),
        DownloadDef::Instrument(other),
    ]);
    let bank = Bank::parse(&bytes).unwrap();
    assert_eq!(bank.len(), 4);
    // A non-GM instrument overrides a GM one of the same patch.
    assert_eq!(bank.instrument(5).unwrap().download().id(), 3);
    assert_eq!(
        bank.instrument(6 | F_INSTRUMENT_DRUMS)
            .unwrap()
            .download()
            .id(),
        4
    );
    assert!(bank.instrument(6).is_none());
    let (offset, wave) = bank.wave_at(1).unwrap();
    assert_eq!(&bytes[offset..offset + wave.data.len()], wave.data);
    assert_eq!(wave.samples(), 50);
    assert!(bank.wave(2).is_none() && bank.wave(7).is_none());
    assert!(Bank::empty().is_empty() && Bank::empty().instrument(0).is_none());
    // The record views the engine's lookup cache keeps.
    let (at, inst) = bank.instrument_at(5).unwrap();
    let len = inst.download().as_bytes().len();
    assert_eq!(bank.download_at(at, len), Some(inst.download()));
    let (rec, rec_len, w) = bank.wave_record(1).unwrap();
    assert_eq!(
        bank.download_at(rec, rec_len).and_then(|d| d.wave()),
        Some(w)
    );
    assert!(
        bank.download_at(bytes.len() - 2, 8).is_none(),
        "past the end"
    );
}

#[test]
fn an_owned_bank_keeps_its_bytes_or_refuses_them() {
    let owned = OwnedBank::parse(builtin::BANK.to_vec()).expect("valid");
    assert_eq!(owned.bank(), builtin::bank());
    let mut bad = builtin::BANK.to_vec();
    bad.truncate(bad.len() - 4);
    assert!(OwnedBank::parse(bad).is_err());
}

#[test]
fn region_selection_by_key_and_velocity() {
    let art = Articulation::default();
    let low = Region {
        key_high: 59,
        ..region(1, 60, 0)
    };
    let soft = Region {
        key_low: 60,
        vel_high: 63,
        ..region(1, 60, 0)
    };
    let loud = Region {
        key_low: 60,
        vel_low: 64,
        unity_note: 72,
        articulation: Some(Articulation {
            default_pan: 500 << 16,
            ..art
        }),
        ..region(1, 60, 0)
    };
    let def = InstrumentDef {
        regions: vec![low, soft, loud.clone()],
        ..instrument(2, 0, region(1, 60, 0), art)
    };
    let bytes = def.write();
    let inst = Download::parse(&bytes).unwrap().instrument().unwrap();
    assert_eq!(inst.regions().count(), 3);
    assert_eq!(inst.region_for(10, 100).unwrap().key_high, 59);
    assert_eq!(inst.region_for(60, 10).unwrap().vel_high, 63);
    assert_eq!(inst.region_for(60, 100), Some(loud));
    // Regions without their own articulation get the global one.
    assert_eq!(inst.region_for(10, 1).unwrap().articulation, Some(art));
}
