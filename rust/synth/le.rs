// SPDX-License-Identifier: GPL-2.0

//! Little-endian reads from untrusted bytes that never panic.
//!
//! Every multi-byte field of the DMus download format is little-endian (x86 Windows wrote
//! the layouts). Each read returns `None` when the field does not fit in the slice, so the
//! parsers turn a short buffer into an error instead of an out-of-bounds index.

/// The `u16` at byte `off` of `b`.
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    match b.get(off..off.checked_add(2)?)? {
        &[x0, x1] => Some(u16::from_le_bytes([x0, x1])),
        _ => None,
    }
}

/// The `i16` at byte `off` of `b`.
pub(crate) fn i16_at(b: &[u8], off: usize) -> Option<i16> {
    u16_at(b, off).map(|v| v as i16)
}

/// The `u32` at byte `off` of `b`.
pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    match b.get(off..off.checked_add(4)?)? {
        &[x0, x1, x2, x3] => Some(u32::from_le_bytes([x0, x1, x2, x3])),
        _ => None,
    }
}

/// The `i32` at byte `off` of `b`.
pub(crate) fn i32_at(b: &[u8], off: usize) -> Option<i32> {
    u32_at(b, off).map(|v| v as i32)
}

/// The byte range `off..off + len` of `b`, if it fits.
pub(crate) fn range(b: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    b.get(off..off.checked_add(len)?)
}
