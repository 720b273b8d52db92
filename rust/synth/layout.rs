// SPDX-License-Identifier: GPL-2.0

//! The DMus download format as byte layouts: type codes, flags, structure sizes and field
//! offsets, all little-endian.
//!
//! Sources, which define each name below with the same value:
//! - `dmdls.h` (DirectX SDK, also in the WDK; ReactOS `include/dxsdk/dmdls.h`):
//!   `DMUS_DOWNLOADINFO`, `DMUS_OFFSETTABLE`, `DMUS_INSTRUMENT`, `DMUS_REGION`,
//!   `DMUS_ARTICULATION`, `DMUS_ARTICULATION2`, `DMUS_ARTICPARAMS` (`DMUS_LFOPARAMS`,
//!   `DMUS_VEGPARAMS`, `DMUS_PEGPARAMS`, `DMUS_MSCPARAMS`), `DMUS_WAVE`, `DMUS_WAVEDATA`,
//!   `DMUS_COPYRIGHT`, `DMUS_EXTENSIONCHUNK`, and the `DMUS_DOWNLOADINFO_*` codes.
//! - `dls1.h` (same places): `RGNRANGE`, `WAVELINK`, `WSMPL`, `WLOOP`, `CONNECTIONLIST`,
//!   `CONNECTION`, the `CONN_*` codes, `F_INSTRUMENT_DRUMS`, `F_RGN_OPTION_SELFNONEXCLUSIVE`,
//!   `WAVELINK_CHANNEL_LEFT`.
//! - `mmreg.h`/`mmeapi.h`: `WAVEFORMATEX` (18 bytes, byte-packed), `WAVE_FORMAT_PCM`.
//!
//! A download is one `DMUS_DOWNLOADINFO` (16 bytes), then `dwNumOffsetTableEntries` `ULONG`
//! offsets (`DMUS_OFFSETTABLE`), then chunks. Every offset counts from the first byte of the
//! `DMUS_DOWNLOADINFO`, and every reference between chunks is an index into the offset table;
//! index 0 is the download's first chunk (`DMUS_INSTRUMENT` or `DMUS_WAVE`), so 0 doubles as
//! "none" in every other index field.

/// `DMUS_DOWNLOADINFO_INSTRUMENT` (dmdls.h): an instrument whose articulations are
/// `DMUS_ARTICULATION` -> `DMUS_ARTICPARAMS` (the DirectX 6 fixed format).
pub const DMUS_DOWNLOADINFO_INSTRUMENT: u32 = 1;
/// `DMUS_DOWNLOADINFO_WAVE` (dmdls.h): a wave, `DMUS_WAVE` -> `DMUS_WAVEDATA`.
pub const DMUS_DOWNLOADINFO_WAVE: u32 = 2;
/// `DMUS_DOWNLOADINFO_INSTRUMENT2` (dmdls.h): an instrument whose articulations are
/// `DMUS_ARTICULATION2` chains -> `CONNECTIONLIST` (the DirectX 7 format: the connection
/// blocks of the DLS file, copied).
pub const DMUS_DOWNLOADINFO_INSTRUMENT2: u32 = 3;

/// `DMUS_INSTRUMENT_GM_INSTRUMENT` (dmdls.h): `ulFlags` bit of an instrument from the GM set;
/// any other instrument with the same patch is preferred (DLS rule, as `ddksynth` does).
pub const DMUS_INSTRUMENT_GM_INSTRUMENT: u32 = 1;
/// `F_INSTRUMENT_DRUMS` (dls1.h): patch bit of a drum kit.
pub const F_INSTRUMENT_DRUMS: u32 = 0x8000_0000;
/// `F_RGN_OPTION_SELFNONEXCLUSIVE` (dls1.h): a new note on the same key does not cut the
/// region's previous note.
pub const F_RGN_OPTION_SELFNONEXCLUSIVE: u16 = 0x0001;
/// `WAVELINK_CHANNEL_LEFT` (dls1.h): the only channel a mono region may link.
pub const WAVELINK_CHANNEL_LEFT: u32 = 0x0001;
/// `WLOOP_TYPE_FORWARD` (dls1.h).
pub const WLOOP_TYPE_FORWARD: u32 = 0;
/// `WLOOP_TYPE_RELEASE` (dls2.h): loop until release, then play on; played here as a
/// forward loop (DLS Level 1 has no release loop).
pub const WLOOP_TYPE_RELEASE: u32 = 1;
/// `WAVE_FORMAT_PCM` (mmreg.h).
pub const WAVE_FORMAT_PCM: u16 = 1;

/// `sizeof(DMUS_DOWNLOADINFO)`: `dwDLType`, `dwDLId`, `dwNumOffsetTableEntries`, `cbSize`.
pub const DOWNLOADINFO_SIZE: usize = 16;
/// The most offset-table entries a download may have. Not a WDK limit: it bounds the
/// validator's bookkeeping (a 512-byte bitmap on the stack) and is far above what one
/// instrument needs (three entries per region).
pub const MAX_OFFSET_ENTRIES: usize = 4096;

/// `sizeof(DMUS_INSTRUMENT)`: `ulPatch`, `ulFirstRegionIdx`, `ulGlobalArtIdx`,
/// `ulFirstExtCkIdx`, `ulCopyrightIdx`, `ulFlags`.
pub const INSTRUMENT_SIZE: usize = 24;
/// `DMUS_INSTRUMENT` field offsets.
pub mod instrument {
    /// `ulPatch`.
    pub const PATCH: usize = 0;
    /// `ulFirstRegionIdx`.
    pub const FIRST_REGION: usize = 4;
    /// `ulGlobalArtIdx`.
    pub const GLOBAL_ART: usize = 8;
    /// `ulFirstExtCkIdx`.
    pub const FIRST_EXT: usize = 12;
    /// `ulCopyrightIdx`.
    pub const COPYRIGHT: usize = 16;
    /// `ulFlags`.
    pub const FLAGS: usize = 20;
}

/// `sizeof(DMUS_REGION)`: `RGNRANGE` x2, `fusOptions`, `usKeyGroup`, `ulRegionArtIdx`,
/// `ulNextRegionIdx`, `ulFirstExtCkIdx`, `WAVELINK` (12), `WSMPL` (20), `WLOOP[1]` (16).
pub const REGION_SIZE: usize = 72;
/// `DMUS_REGION` field offsets.
pub mod region {
    /// `RangeKey.usLow`.
    pub const KEY_LOW: usize = 0;
    /// `RangeKey.usHigh`.
    pub const KEY_HIGH: usize = 2;
    /// `RangeVelocity.usLow`.
    pub const VEL_LOW: usize = 4;
    /// `RangeVelocity.usHigh`.
    pub const VEL_HIGH: usize = 6;
    /// `fusOptions`.
    pub const OPTIONS: usize = 8;
    /// `usKeyGroup`.
    pub const KEY_GROUP: usize = 10;
    /// `ulRegionArtIdx`.
    pub const ART: usize = 12;
    /// `ulNextRegionIdx`.
    pub const NEXT: usize = 16;
    /// `ulFirstExtCkIdx`.
    pub const FIRST_EXT: usize = 20;
    /// `WaveLink.fusOptions`.
    pub const LINK_OPTIONS: usize = 24;
    /// `WaveLink.usPhaseGroup`.
    pub const LINK_PHASE_GROUP: usize = 26;
    /// `WaveLink.ulChannel`.
    pub const LINK_CHANNEL: usize = 28;
    /// `WaveLink.ulTableIndex`: the `dwDLId` of the wave download.
    pub const LINK_TABLE_INDEX: usize = 32;
    /// `WSMP.cbSize` (must be 20, `sizeof(WSMPL)`).
    pub const WSMP_SIZE: usize = 36;
    /// `WSMP.usUnityNote`.
    pub const UNITY_NOTE: usize = 40;
    /// `WSMP.sFineTune` (cents).
    pub const FINE_TUNE: usize = 42;
    /// `WSMP.lAttenuation` (16.16 centibels of gain, 0 or negative).
    pub const ATTENUATION: usize = 44;
    /// `WSMP.fulOptions`.
    pub const WSMP_OPTIONS: usize = 48;
    /// `WSMP.cSampleLoops` (0 or 1).
    pub const LOOPS: usize = 52;
    /// `WLOOP[0].cbSize` (must be 16, `sizeof(WLOOP)`).
    pub const LOOP_SIZE: usize = 56;
    /// `WLOOP[0].ulType`.
    pub const LOOP_TYPE: usize = 60;
    /// `WLOOP[0].ulStart` (samples).
    pub const LOOP_START: usize = 64;
    /// `WLOOP[0].ulLength` (samples).
    pub const LOOP_LENGTH: usize = 68;
}
/// `sizeof(WSMPL)`, the value of `WSMP.cbSize`.
pub const WSMPL_SIZE: u32 = 20;
/// `sizeof(WLOOP)`, the value of `WLOOP.cbSize`.
pub const WLOOP_SIZE: u32 = 16;

/// `sizeof(DMUS_ARTICULATION)`: `ulArt1Idx` (-> `DMUS_ARTICPARAMS`), `ulFirstExtCkIdx`.
pub const ARTICULATION_SIZE: usize = 8;
/// `sizeof(DMUS_ARTICULATION2)`: `ulArtIdx` (-> `CONNECTIONLIST`), `ulFirstExtCkIdx`,
/// `ulNextArtIdx`.
pub const ARTICULATION2_SIZE: usize = 12;
/// `sizeof(DMUS_ARTICPARAMS)`: `DMUS_LFOPARAMS` (6 x `LONG`), `DMUS_VEGPARAMS` (6),
/// `DMUS_PEGPARAMS` (7), `DMUS_MSCPARAMS` (1), in that order.
pub const ARTICPARAMS_SIZE: usize = 80;
/// `sizeof(CONNECTIONLIST)`: `cbSize` (this value), `cConnections`.
pub const CONNECTIONLIST_SIZE: usize = 8;
/// `sizeof(CONNECTION)`: `usSource`, `usControl`, `usDestination`, `usTransform`, `lScale`.
pub const CONNECTION_SIZE: usize = 12;

/// `DMUS_WAVE` up to the end of its `WAVEFORMATEX`: `ulFirstExtCkIdx`, `ulCopyrightIdx`,
/// `ulWaveDataIdx`, then the 18 bytes of `WAVEFORMATEX` (`wFormatTag`, `nChannels`,
/// `nSamplesPerSec`, `nAvgBytesPerSec`, `nBlockAlign`, `wBitsPerSample`, `cbSize`).
/// `sizeof(DMUS_WAVE)` is 32 with the compiler's tail padding; 30 bytes are read.
pub const WAVE_SIZE: usize = 30;
/// `DMUS_WAVE` field offsets.
pub mod wave {
    /// `ulFirstExtCkIdx`.
    pub const FIRST_EXT: usize = 0;
    /// `ulCopyrightIdx`.
    pub const COPYRIGHT: usize = 4;
    /// `ulWaveDataIdx`.
    pub const DATA: usize = 8;
    /// `WaveformatEx.wFormatTag`.
    pub const FORMAT_TAG: usize = 12;
    /// `WaveformatEx.nChannels`.
    pub const CHANNELS: usize = 14;
    /// `WaveformatEx.nSamplesPerSec`.
    pub const RATE: usize = 16;
    /// `WaveformatEx.nAvgBytesPerSec`.
    pub const BYTE_RATE: usize = 20;
    /// `WaveformatEx.nBlockAlign`.
    pub const BLOCK_ALIGN: usize = 24;
    /// `WaveformatEx.wBitsPerSample`.
    pub const BITS: usize = 26;
    /// `WaveformatEx.cbSize`.
    pub const EXTRA: usize = 28;
}
/// `DMUS_WAVEDATA`, `DMUS_COPYRIGHT`: a `ULONG cbSize` and then `cbSize` bytes.
pub const SIZED_HEADER: usize = 4;
/// `DMUS_EXTENSIONCHUNK` before its data: `cbSize` (of the data), `ulNextExtCkIdx`,
/// `ExtCkID`.
pub const EXTENSION_HEADER: usize = 12;

/// DLS Level 1 connection sources (`CONN_SRC_*`, dls1.h) the engine reads.
pub mod src {
    /// `CONN_SRC_NONE`.
    pub const NONE: u16 = 0x0000;
    /// `CONN_SRC_LFO`.
    pub const LFO: u16 = 0x0001;
    /// `CONN_SRC_KEYONVELOCITY`.
    pub const KEYONVELOCITY: u16 = 0x0002;
    /// `CONN_SRC_KEYNUMBER`.
    pub const KEYNUMBER: u16 = 0x0003;
    /// `CONN_SRC_EG2`.
    pub const EG2: u16 = 0x0005;
    /// `CONN_SRC_CC1` (modulation wheel), used as a control.
    pub const CC1: u16 = 0x0081;
}

/// DLS Level 1 connection destinations (`CONN_DST_*`, dls1.h) the engine reads.
pub mod dst {
    /// `CONN_DST_ATTENUATION`.
    pub const ATTENUATION: u16 = 0x0001;
    /// `CONN_DST_PITCH`.
    pub const PITCH: u16 = 0x0003;
    /// `CONN_DST_PAN`.
    pub const PAN: u16 = 0x0004;
    /// `CONN_DST_LFO_FREQUENCY`.
    pub const LFO_FREQUENCY: u16 = 0x0104;
    /// `CONN_DST_LFO_STARTDELAY`.
    pub const LFO_STARTDELAY: u16 = 0x0105;
    /// `CONN_DST_EG1_ATTACKTIME`.
    pub const EG1_ATTACKTIME: u16 = 0x0206;
    /// `CONN_DST_EG1_DECAYTIME`.
    pub const EG1_DECAYTIME: u16 = 0x0207;
    /// `CONN_DST_EG1_RELEASETIME`.
    pub const EG1_RELEASETIME: u16 = 0x0209;
    /// `CONN_DST_EG1_SUSTAINLEVEL`.
    pub const EG1_SUSTAINLEVEL: u16 = 0x020a;
    /// `CONN_DST_EG2_ATTACKTIME`.
    pub const EG2_ATTACKTIME: u16 = 0x030a;
    /// `CONN_DST_EG2_DECAYTIME`.
    pub const EG2_DECAYTIME: u16 = 0x030b;
    /// `CONN_DST_EG2_RELEASETIME`.
    pub const EG2_RELEASETIME: u16 = 0x030d;
    /// `CONN_DST_EG2_SUSTAINLEVEL`.
    pub const EG2_SUSTAINLEVEL: u16 = 0x030e;
}
