// SPDX-License-Identifier: GPL-2.0

//! The error type of the synth engine and of the download and bank parsers.
//!
//! Every way a download can be malformed has its own variant, so a test (or a log line) can
//! say what was wrong; all of them map to `-EINVAL`, as the WDK's `DMUS_E_*` download errors
//! (`DMUS_E_BADOFFSETTABLE`, `DMUS_E_BADINSTRUMENT`, `DMUS_E_NOTMONO`, ...) all mean "the
//! download is invalid" to the caller. Source of the checks: `CInstManager::Download`,
//! `DownloadInstrument`, `DownloadWave` and `CSourceRegion::Download` of the WDK `ddksynth`
//! sample (`instr.cpp`), made stricter where the sample trusts its caller.

use core::fmt;

/// `EINVAL`: invalid argument.
pub const EINVAL: i32 = 22;

/// Every way a synth operation or a download/bank parse can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `Synth::new`: the sample rate is outside 8000..=192000 Hz.
    InvalidRate,
    /// The bytes end inside a structure: the `DMUS_DOWNLOADINFO` header, the offset table, or a
    /// chunk an index points to (`DMUS_E_BADOFFSETTABLE` in `ddksynth`).
    Truncated,
    /// `DMUS_DOWNLOADINFO.cbSize` is not the length of the download, or the offset table is
    /// empty or longer than [`super::layout::MAX_OFFSET_ENTRIES`].
    BadSize,
    /// `DMUS_DOWNLOADINFO.dwDLType` is not `DMUS_DOWNLOADINFO_INSTRUMENT` (1),
    /// `DMUS_DOWNLOADINFO_WAVE` (2) or `DMUS_DOWNLOADINFO_INSTRUMENT2` (3)
    /// (`DMUS_E_UNKNOWNDOWNLOAD`).
    UnknownType,
    /// An offset-table entry points into the header or the table itself, or past `cbSize`
    /// (`DMUS_E_BADOFFSETTABLE`).
    BadOffset,
    /// An index into the offset table is out of range, or names a chunk that another reference
    /// of the download already uses (each chunk has exactly one role), or a required index is 0.
    BadIndex,
    /// `DMUS_INSTRUMENT.ulPatch` has bits outside bank MSB/LSB, program and
    /// `F_INSTRUMENT_DRUMS`, or a 7-bit field above 127.
    BadPatch,
    /// The instrument has no region (`ulFirstRegionIdx` is 0).
    NoRegion,
    /// A region's key or velocity range is reversed or above 127, or its unity note is above
    /// 127.
    BadRange,
    /// A region is not a mono link (`WAVELINK.ulChannel` is not `WAVELINK_CHANNEL_LEFT`,
    /// `DMUS_E_NOTMONO`), or its `WSMPL`/`WLOOP` sizes are wrong, or it has more loops than the
    /// one `DMUS_REGION` can hold.
    BadRegion,
    /// A region has no articulation and the instrument has no global one
    /// (`DMUS_E_NOARTICULATION`).
    NoArticulation,
    /// An articulation chunk is malformed: a `CONNECTIONLIST` whose `cbSize` is not 8 or whose
    /// connections run past the download (`DMUS_E_BADARTICULATION`).
    BadArticulation,
    /// An extension or copyright chunk runs past the download.
    BadChunk,
    /// The wave is not PCM (`DMUS_E_NOTPCM`).
    NotPcm,
    /// The wave is not mono (`DMUS_E_NOTMONO`).
    NotMono,
    /// The wave is neither 8- nor 16-bit, or its `nBlockAlign` does not match
    /// (`DMUS_E_BADWAVE`).
    BadBits,
    /// The wave has no samples, an odd byte count at 16 bits, or a sample rate outside
    /// 1000..=384000 Hz (`DMUS_E_BADWAVE`).
    BadWave,
    /// A loop has length 0, overflows, or ends past the end of its wave.
    BadLoop,
    /// The bank container is malformed: magic, version, a record length, non-zero padding or
    /// bytes after the last record.
    BadBank,
    /// Two downloads of a bank have the same `dwDLId`, or the records are not in increasing
    /// `dwDLId` order.
    DuplicateId,
    /// A region's `WAVELINK.ulTableIndex` names no wave download of the bank.
    MissingWave,
}

impl Error {
    /// The negative errno for this error: `-EINVAL` for all of them.
    pub fn to_errno(self) -> i32 {
        -EINVAL
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Error::InvalidRate => "sample rate out of range",
            Error::Truncated => "structure truncated",
            Error::BadSize => "bad download size or offset table length",
            Error::UnknownType => "unknown download type",
            Error::BadOffset => "offset table entry out of range",
            Error::BadIndex => "bad offset table index",
            Error::BadPatch => "bad patch number",
            Error::NoRegion => "instrument without region",
            Error::BadRange => "bad key or velocity range",
            Error::BadRegion => "bad region",
            Error::NoArticulation => "region without articulation",
            Error::BadArticulation => "bad articulation",
            Error::BadChunk => "bad extension or copyright chunk",
            Error::NotPcm => "wave is not PCM",
            Error::NotMono => "wave is not mono",
            Error::BadBits => "wave is not 8 or 16 bit",
            Error::BadWave => "bad wave data",
            Error::BadLoop => "loop outside the wave",
            Error::BadBank => "bad bank container",
            Error::DuplicateId => "download ids not unique and increasing",
            Error::MissingWave => "region links to a missing wave",
        };
        f.write_str(s)
    }
}
