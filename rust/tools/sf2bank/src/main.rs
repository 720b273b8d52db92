// SPDX-License-Identifier: GPL-2.0

//! `sf2bank IN.sf2 OUT.dmbk`: converts a General MIDI SoundFont 2 into the DMus download bank
//! the snd-dmus-mpu401 synthesizer loads (see the library's documentation for the mapping).
//! Prints what it wrote and dropped; exits 0 on success, 2 on bad input or a failed write.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use rustysynth::SoundFont;

fn run(input: &str, output: &str) -> Result<(), String> {
    let file = File::open(input).map_err(|e| format!("{input}: {e}"))?;
    let sf = SoundFont::new(&mut BufReader::new(file))
        .map_err(|e| format!("{input}: not a SoundFont 2 file: {e}"))?;
    let (bank, s) = sf2bank::convert(&sf).map_err(|e| format!("{input}: {e}"))?;
    std::fs::write(output, &bank).map_err(|e| format!("{output}: {e}"))?;
    println!(
        "{output}: {} bytes: {} instruments, {} drum kits, {} regions, {} waves ({} sample bytes)",
        s.bank_bytes, s.instruments, s.drum_kits, s.regions, s.waves, s.wave_bytes
    );
    println!(
        "dropped: {} presets, {} zones; approximated: {} regions (delay/hold, modulation LFO, filter or scale tuning)",
        s.skipped_presets, s.skipped_regions, s.approximated_regions
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: sf2bank IN.sf2 OUT.dmbk");
        return ExitCode::from(2);
    };
    match run(input, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sf2bank: {e}");
            ExitCode::from(2)
        }
    }
}
