// SPDX-License-Identifier: GPL-2.0
//! The DMus device ABI: a Rust mirror of `rust/uapi/snd_dmus.h`, plus the
//! two ALSA structures (`<sound/asound.h>`) the tools need to find the
//! device.
//!
//! The structures are `#[repr(C)]` copies of the C ones; their sizes are
//! checked by the unit tests below. The 20-byte event header is packed to
//! 4 bytes in C, so it is not mirrored as a struct: [`encode_event_header`]
//! and [`decode_event_header`] write and read it byte by byte.

/// The hwdep id (`struct snd_hwdep_info.id`) that names a DMus device.
pub const SND_DMUS_HWDEP_ID: &str = "DMus";
/// The `struct snd_hwdep_info.iface` of a DMus device.
pub const SND_DMUS_HWDEP_IFACE: i32 = 0x40;
/// Protocol version: major << 16 | minor.
pub const SND_DMUS_PROTOCOL_VERSION: u32 = 0x0001_0000;

/// `sizeof(struct snd_dmus_buffer)`.
pub const SND_DMUS_BUFFER_SIZE: usize = 16;
/// Buffer flag (read): input was lost before this buffer's first event.
pub const SND_DMUS_BUFFER_OVERRUN: u32 = 0x0000_0001;

/// `sizeof(struct snd_dmus_event)`: the packed event header.
pub const SND_DMUS_EVENT_HEADER_SIZE: usize = 20;
/// Event flag: the data is one complete MIDI message (not SysEx).
pub const SND_DMUS_EVENT_STRUCTURED: u32 = 0x0000_0001;
/// Event flag (read only): more bytes of the same SysEx follow.
pub const SND_DMUS_EVENT_INCOMPLETE: u32 = 0x0000_0002;

/// The most bytes one `write()` may carry.
pub const SND_DMUS_WRITE_MAX: usize = 65536;

/// The smallest `count` a `read()` accepts: a buffer header and one
/// record with up to 4 data bytes.
pub const SND_DMUS_READ_MIN: usize = SND_DMUS_BUFFER_SIZE + 24;

/// The channel group of the MPU-401 cable.
pub const SND_DMUS_CHANNEL_GROUP: u32 = 1;

/// `SND_DMUS_EVENT_SIZE(cb)`: the bytes a record with `cb` data bytes
/// takes in a buffer, header and padding included.
pub const fn event_size(cb: usize) -> usize {
    (SND_DMUS_EVENT_HEADER_SIZE + cb + 7) & !7
}

/// KSSTATE_STOP.
pub const SND_DMUS_STATE_STOP: u32 = 0;
/// KSSTATE_ACQUIRE.
pub const SND_DMUS_STATE_ACQUIRE: u32 = 1;
/// KSSTATE_PAUSE.
pub const SND_DMUS_STATE_PAUSE: u32 = 2;
/// KSSTATE_RUN.
pub const SND_DMUS_STATE_RUN: u32 = 3;

/// `struct snd_dmus_buffer`: the header of a buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SndDmusBuffer {
    /// Master-clock time the records' `rt_delta` values count from.
    pub rt_start: i64,
    /// Bytes of records after this header, a multiple of 8.
    pub cb_data: u32,
    /// write: 0; read: `SND_DMUS_BUFFER_*`.
    pub flags: u32,
}

impl SndDmusBuffer {
    /// The header's 16 bytes in machine byte order.
    pub fn to_bytes(&self) -> [u8; SND_DMUS_BUFFER_SIZE] {
        let mut b = [0u8; SND_DMUS_BUFFER_SIZE];
        b[0..8].copy_from_slice(&self.rt_start.to_ne_bytes());
        b[8..12].copy_from_slice(&self.cb_data.to_ne_bytes());
        b[12..16].copy_from_slice(&self.flags.to_ne_bytes());
        b
    }

    /// Reads a header from the start of `buf`; `None` if it is too short.
    pub fn from_bytes(buf: &[u8]) -> Option<Self> {
        let b = buf.get(..SND_DMUS_BUFFER_SIZE)?;
        Some(Self {
            rt_start: i64::from_ne_bytes(b[0..8].try_into().ok()?),
            cb_data: u32::from_ne_bytes(b[8..12].try_into().ok()?),
            flags: u32::from_ne_bytes(b[12..16].try_into().ok()?),
        })
    }
}

/// The fields of one `struct snd_dmus_event` (the 20-byte packed header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventHeader {
    /// MIDI bytes after the header, >= 1.
    pub cb_event: u32,
    /// Channel group: 1 (the MPU-401 cable); 0 = all groups.
    pub channel_group: u32,
    /// Presentation (write) or arrival (read) time - `rt_start`, 100 ns.
    pub rt_delta: i64,
    /// `SND_DMUS_EVENT_*`.
    pub flags: u32,
}

/// Appends the 20 header bytes of `h` to `out` (machine byte order).
pub fn encode_event_header(h: &EventHeader, out: &mut Vec<u8>) {
    out.extend_from_slice(&h.cb_event.to_ne_bytes());
    out.extend_from_slice(&h.channel_group.to_ne_bytes());
    out.extend_from_slice(&h.rt_delta.to_ne_bytes());
    out.extend_from_slice(&h.flags.to_ne_bytes());
}

/// Reads the event header at the start of `buf`; `None` if fewer than 20
/// bytes remain.
pub fn decode_event_header(buf: &[u8]) -> Option<EventHeader> {
    let b = buf.get(..SND_DMUS_EVENT_HEADER_SIZE)?;
    Some(EventHeader {
        cb_event: u32::from_ne_bytes(b[0..4].try_into().ok()?),
        channel_group: u32::from_ne_bytes(b[4..8].try_into().ok()?),
        rt_delta: i64::from_ne_bytes(b[8..16].try_into().ok()?),
        flags: u32::from_ne_bytes(b[16..20].try_into().ok()?),
    })
}

/// `struct snd_dmus_info` (`SND_DMUS_IOCTL_INFO`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SndDmusInfo {
    /// `SND_DMUS_PROTOCOL_VERSION`.
    pub version: u32,
    /// Channel groups of the port: 1.
    pub channel_groups: u32,
    /// `SND_DMUS_WRITE_MAX`.
    pub write_max: u32,
    /// Events the render queue holds (a SysEx takes one per 256 bytes).
    pub queue_size: u32,
    /// The miniport's schedule prefetch, 100 ns.
    pub prefetch: i64,
    /// Records the capture ring holds.
    pub capture_size: u32,
    /// The most MIDI bytes of one read record.
    pub capture_piece: u32,
    /// The card's short name, NUL-terminated.
    pub name: [u8; 64],
}

impl Default for SndDmusInfo {
    fn default() -> Self {
        Self {
            version: 0,
            channel_groups: 0,
            write_max: 0,
            queue_size: 0,
            prefetch: 0,
            capture_size: 0,
            capture_piece: 0,
            name: [0; 64],
        }
    }
}

impl SndDmusInfo {
    /// The card's short name as a string.
    pub fn name(&self) -> String {
        c_string(&self.name)
    }
}

/// `struct snd_dmus_clock` (`SND_DMUS_IOCTL_CLOCK`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SndDmusClock {
    /// The master clock now, 100 ns.
    pub master: i64,
    /// The earliest presentation time a write now still plays on time.
    pub latency: i64,
    /// CLOCK_MONOTONIC at the same instant, ns.
    pub monotonic_ns: i64,
}

/// `struct snd_dmus_bank` (`SND_DMUS_IOCTL_LOAD_BANK`): a bank's bytes in
/// the caller's memory; `size` 0 asks for the built-in bank.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SndDmusBank {
    /// User address of the bank's first byte.
    pub data: u64,
    /// Bytes, at most [`SND_DMUS_BANK_MAX`].
    pub size: u64,
}

/// `SND_DMUS_BANK_MAX`: the largest bank the device takes (64 MiB).
pub const SND_DMUS_BANK_MAX: usize = 64 << 20;

/// `struct snd_dmus_status` (`SND_DMUS_IOCTL_STATUS`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SndDmusStatus {
    /// Events written and not yet handed to the miniport.
    pub queued: u64,
    /// Events handed to the miniport since the writer opened.
    pub played: u64,
    /// Events written after their presentation time.
    pub late: u64,
    /// Largest (hand-over time - presentation time), 100 ns.
    pub max_lateness: i64,
    /// Records put in the capture ring since load.
    pub captured: u64,
    /// Input bytes lost in the capture ring since load.
    pub overruns: u64,
    /// `SND_DMUS_STATE_*`.
    pub state: u32,
    /// Render queue room, events.
    pub free_events: u32,
}

/// `struct snd_hwdep_info` (`<sound/asound.h>`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SndHwdepInfo {
    /// Device number (written by the caller of the control ioctl).
    pub device: u32,
    /// Card number.
    pub card: i32,
    /// Id, NUL-terminated ("DMus" for a DMus device).
    pub id: [u8; 64],
    /// Hwdep name, NUL-terminated.
    pub name: [u8; 80],
    /// Hwdep interface (`SND_DMUS_HWDEP_IFACE` for a DMus device).
    pub iface: i32,
    /// Reserved.
    pub reserved: [u8; 64],
}

impl Default for SndHwdepInfo {
    fn default() -> Self {
        Self {
            device: 0,
            card: 0,
            id: [0; 64],
            name: [0; 80],
            iface: 0,
            reserved: [0; 64],
        }
    }
}

impl SndHwdepInfo {
    /// The id as a string.
    pub fn id(&self) -> String {
        c_string(&self.id)
    }

    /// The name as a string.
    pub fn name(&self) -> String {
        c_string(&self.name)
    }
}

/// `struct snd_ctl_card_info` (`<sound/asound.h>`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SndCtlCardInfo {
    /// Card number.
    pub card: i32,
    /// Reserved.
    pub pad: i32,
    /// Card id.
    pub id: [u8; 16],
    /// Driver name.
    pub driver: [u8; 16],
    /// Short name of the card.
    pub name: [u8; 32],
    /// Long name of the card.
    pub longname: [u8; 80],
    /// Reserved.
    pub reserved: [u8; 16],
    /// Mixer name.
    pub mixername: [u8; 80],
    /// Components.
    pub components: [u8; 128],
}

impl Default for SndCtlCardInfo {
    fn default() -> Self {
        Self {
            card: 0,
            pad: 0,
            id: [0; 16],
            driver: [0; 16],
            name: [0; 32],
            longname: [0; 80],
            reserved: [0; 16],
            mixername: [0; 80],
            components: [0; 128],
        }
    }
}

/// A NUL-terminated byte array as a string (lossy UTF-8).
pub fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `_IOC_NONE`.
pub const IOC_NONE: u32 = 0;
/// `_IOC_WRITE`.
pub const IOC_WRITE: u32 = 1;
/// `_IOC_READ`.
pub const IOC_READ: u32 = 2;

/// `_IOC(dir, type, nr, size)` of the asm-generic encoding (x86, arm, ...).
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}

/// `SND_DMUS_IOCTL_PVERSION`: `_IOR('H', 0xd0, int)`.
pub const SND_DMUS_IOCTL_PVERSION: u32 = ioc(IOC_READ, b'H', 0xd0, 4);
/// `SND_DMUS_IOCTL_INFO`: `_IOR('H', 0xd1, struct snd_dmus_info)`.
pub const SND_DMUS_IOCTL_INFO: u32 = ioc(IOC_READ, b'H', 0xd1, core::mem::size_of::<SndDmusInfo>());
/// `SND_DMUS_IOCTL_CLOCK`: `_IOR('H', 0xd2, struct snd_dmus_clock)`.
pub const SND_DMUS_IOCTL_CLOCK: u32 =
    ioc(IOC_READ, b'H', 0xd2, core::mem::size_of::<SndDmusClock>());
/// `SND_DMUS_IOCTL_STATUS`: `_IOR('H', 0xd3, struct snd_dmus_status)`.
pub const SND_DMUS_IOCTL_STATUS: u32 =
    ioc(IOC_READ, b'H', 0xd3, core::mem::size_of::<SndDmusStatus>());
/// `SND_DMUS_IOCTL_SET_STATE`: `_IOW('H', 0xd4, __u32)`.
pub const SND_DMUS_IOCTL_SET_STATE: u32 = ioc(IOC_WRITE, b'H', 0xd4, 4);
/// `SND_DMUS_IOCTL_GET_STATE`: `_IOR('H', 0xd5, __u32)`.
pub const SND_DMUS_IOCTL_GET_STATE: u32 = ioc(IOC_READ, b'H', 0xd5, 4);
/// `SND_DMUS_IOCTL_DRAIN`: `_IO('H', 0xd6)`.
pub const SND_DMUS_IOCTL_DRAIN: u32 = ioc(IOC_NONE, b'H', 0xd6, 0);
/// `SND_DMUS_IOCTL_DROP`: `_IO('H', 0xd7)`.
pub const SND_DMUS_IOCTL_DROP: u32 = ioc(IOC_NONE, b'H', 0xd7, 0);
/// `SND_DMUS_IOCTL_LOAD_BANK`: `_IOW('H', 0xd8, struct snd_dmus_bank)`.
pub const SND_DMUS_IOCTL_LOAD_BANK: u32 =
    ioc(IOC_WRITE, b'H', 0xd8, core::mem::size_of::<SndDmusBank>());

/// `SNDRV_HWDEP_IOCTL_INFO`: `_IOR('H', 0x01, struct snd_hwdep_info)`.
pub const SNDRV_HWDEP_IOCTL_INFO: u32 =
    ioc(IOC_READ, b'H', 0x01, core::mem::size_of::<SndHwdepInfo>());
/// `SNDRV_CTL_IOCTL_CARD_INFO`: `_IOR('U', 0x01, struct snd_ctl_card_info)`.
pub const SNDRV_CTL_IOCTL_CARD_INFO: u32 =
    ioc(IOC_READ, b'U', 0x01, core::mem::size_of::<SndCtlCardInfo>());
/// `SNDRV_CTL_IOCTL_HWDEP_INFO`: `_IOR('U', 0x21, struct snd_hwdep_info)`.
pub const SNDRV_CTL_IOCTL_HWDEP_INFO: u32 =
    ioc(IOC_READ, b'U', 0x21, core::mem::size_of::<SndHwdepInfo>());

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn struct_sizes_match_the_header() {
        assert_eq!(size_of::<SndDmusBuffer>(), 16);
        assert_eq!(size_of::<SndDmusBuffer>(), SND_DMUS_BUFFER_SIZE);
        assert_eq!(size_of::<SndDmusInfo>(), 96);
        assert_eq!(size_of::<SndDmusClock>(), 24);
        assert_eq!(size_of::<SndDmusStatus>(), 56);
        assert_eq!(size_of::<SndDmusBank>(), 16);
        assert_eq!(size_of::<SndHwdepInfo>(), 220);
        assert_eq!(size_of::<SndCtlCardInfo>(), 376);
        assert_eq!(SND_DMUS_EVENT_HEADER_SIZE, 20);
        assert_eq!(align_of::<SndDmusBuffer>(), 8);
    }

    #[test]
    fn field_offsets_match_the_header() {
        assert_eq!(offset_of!(SndDmusBuffer, cb_data), 8);
        assert_eq!(offset_of!(SndDmusBuffer, flags), 12);
        assert_eq!(offset_of!(SndDmusInfo, prefetch), 16);
        assert_eq!(offset_of!(SndDmusInfo, capture_size), 24);
        assert_eq!(offset_of!(SndDmusInfo, name), 32);
        assert_eq!(offset_of!(SndDmusClock, monotonic_ns), 16);
        assert_eq!(offset_of!(SndDmusStatus, max_lateness), 24);
        assert_eq!(offset_of!(SndDmusStatus, state), 48);
        assert_eq!(offset_of!(SndDmusStatus, free_events), 52);
        assert_eq!(offset_of!(SndHwdepInfo, id), 8);
        assert_eq!(offset_of!(SndHwdepInfo, name), 72);
        assert_eq!(offset_of!(SndHwdepInfo, iface), 152);
        assert_eq!(offset_of!(SndCtlCardInfo, name), 40);
        assert_eq!(offset_of!(SndCtlCardInfo, longname), 72);
    }

    #[test]
    fn ioctl_numbers() {
        // dir << 30 | size << 16 | type << 8 | nr; 'H' = 0x48, 'U' = 0x55.
        assert_eq!(SND_DMUS_IOCTL_PVERSION, 0x8004_48d0);
        assert_eq!(SND_DMUS_IOCTL_INFO, 0x8060_48d1);
        assert_eq!(SND_DMUS_IOCTL_CLOCK, 0x8018_48d2);
        assert_eq!(SND_DMUS_IOCTL_STATUS, 0x8038_48d3);
        assert_eq!(SND_DMUS_IOCTL_SET_STATE, 0x4004_48d4);
        assert_eq!(SND_DMUS_IOCTL_GET_STATE, 0x8004_48d5);
        assert_eq!(SND_DMUS_IOCTL_DRAIN, 0x0000_48d6);
        assert_eq!(SND_DMUS_IOCTL_DROP, 0x0000_48d7);
        assert_eq!(SND_DMUS_IOCTL_LOAD_BANK, 0x4010_48d8);
        assert_eq!(SNDRV_HWDEP_IOCTL_INFO, 0x80dc_4801);
        assert_eq!(SNDRV_CTL_IOCTL_CARD_INFO, 0x8178_5501);
        assert_eq!(SNDRV_CTL_IOCTL_HWDEP_INFO, 0x80dc_5521);
    }

    #[test]
    fn event_size_pads_to_8() {
        assert_eq!(event_size(1), 24);
        assert_eq!(event_size(3), 24);
        assert_eq!(event_size(4), 24);
        assert_eq!(event_size(5), 32);
        assert_eq!(event_size(12), 32);
        assert_eq!(event_size(13), 40);
        assert_eq!(SND_DMUS_READ_MIN, 40);
    }

    #[test]
    fn event_header_bytes() {
        let h = EventHeader {
            cb_event: 3,
            channel_group: 1,
            rt_delta: -5,
            flags: SND_DMUS_EVENT_STRUCTURED,
        };
        let mut v = Vec::new();
        encode_event_header(&h, &mut v);
        assert_eq!(v.len(), 20);
        assert_eq!(&v[0..4], &3u32.to_ne_bytes());
        assert_eq!(&v[4..8], &1u32.to_ne_bytes());
        assert_eq!(&v[8..16], &(-5i64).to_ne_bytes());
        assert_eq!(&v[16..20], &1u32.to_ne_bytes());
        assert_eq!(decode_event_header(&v), Some(h));
        assert_eq!(decode_event_header(&v[..19]), None);
    }

    #[test]
    fn buffer_header_bytes() {
        let b = SndDmusBuffer {
            rt_start: 0x0102_0304_0506_0708,
            cb_data: 24,
            flags: SND_DMUS_BUFFER_OVERRUN,
        };
        let bytes = b.to_bytes();
        assert_eq!(SndDmusBuffer::from_bytes(&bytes), Some(b));
        assert_eq!(SndDmusBuffer::from_bytes(&bytes[..15]), None);
    }

    #[test]
    fn c_strings() {
        let mut info = SndDmusInfo::default();
        info.name[..18].copy_from_slice(b"DMus MPU-401 virt0");
        assert_eq!(info.name(), "DMus MPU-401 virt0");
        assert_eq!(c_string(b"abc"), "abc");
    }
}
