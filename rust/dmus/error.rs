// SPDX-License-Identifier: GPL-2.0

//! The one error type of the DMus core, and its mapping to Linux errno values.
//!
//! Windows returns an `NTSTATUS` from every `dmusicks.h` method; here every fallible method
//! returns [`Error`], and the kernel side turns it into a negative errno with
//! [`Error::to_errno`] at the boundary (a file operation, a module init). The pure code never
//! sees `kernel::error::Error`, so the same files build on the host.

use core::fmt;

/// `EIO`: I/O error.
pub const EIO: i32 = 5;
/// `EAGAIN`: try again.
pub const EAGAIN: i32 = 11;
/// `ENOMEM`: out of memory.
pub const ENOMEM: i32 = 12;
/// `EBUSY`: device or resource busy.
pub const EBUSY: i32 = 16;
/// `ENODEV`: no such device.
pub const ENODEV: i32 = 19;
/// `EINVAL`: invalid argument.
pub const EINVAL: i32 = 22;

/// Every way a DMus core operation can fail.
///
/// The variants that describe a malformed `DMUS_EVENTHEADER` buffer carry the byte offset of
/// the offending header inside the buffer, so a caller can log where the buffer went wrong.
/// All of them map to `-EINVAL`.
///
/// Source: the `NTSTATUS` values the WDK documents for `dmusicks.h` methods
/// (`STATUS_INVALID_PARAMETER`, `STATUS_INSUFFICIENT_RESOURCES`, `STATUS_DEVICE_BUSY`,
/// `STATUS_IO_DEVICE_ERROR`, ...), translated to their Linux errno counterparts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A parameter is out of range (a pool size, a stream type, a state, an event length
    /// larger than an allocator buffer). `-EINVAL`.
    InvalidArgument,
    /// An event, chain or buffer belongs to another pool than the chain, sequencer or event it
    /// was handed to. A programming error, reported instead of a panic. `-EINVAL`.
    ForeignPool,
    /// A `DMUS_EVENTHEADER` buffer ends inside a 20-byte header that starts at `offset`.
    /// `-EINVAL`.
    TruncatedHeader {
        /// Byte offset of the truncated header in the user buffer.
        offset: usize,
    },
    /// The header at `offset` has `cbEvent == 0`. `-EINVAL`.
    ZeroLengthEvent {
        /// Byte offset of the header in the user buffer.
        offset: usize,
    },
    /// The event data of the header at `offset` (`cbEvent` bytes after the header) runs past
    /// the end of the buffer. `-EINVAL`.
    EventPastEnd {
        /// Byte offset of the header in the user buffer.
        offset: usize,
    },
    /// The header at `offset` names a channel group above 65535, which a
    /// `DMUS_KERNEL_EVENT` (`usChannelGroup`, 16 bits) cannot carry. `-EINVAL`.
    ChannelGroupRange {
        /// Byte offset of the header in the user buffer.
        offset: usize,
    },
    /// Base time plus `rtDelta` of the header at `offset` overflows a 64-bit reference time.
    /// `-EINVAL`.
    TimeOverflow {
        /// Byte offset of the header in the user buffer.
        offset: usize,
    },
    /// The allocator pool has no free event or buffer (the exhaustion is also counted in the
    /// pool statistics). `-ENOMEM`.
    NoMemory,
    /// The hardware is absent or did not answer its reset. `-ENODEV`.
    NoDevice,
    /// The hardware failed during a transfer. `-EIO`.
    Io,
    /// The resource is already in use (a second stream of a kind that allows one, an output
    /// already connected). `-EBUSY`.
    Busy,
    /// The operation cannot complete now but may later (a FIFO is full). `-EAGAIN`.
    Again,
}

impl Error {
    /// The negative Linux errno for this error: `-EINVAL` (-22), `-ENOMEM` (-12),
    /// `-ENODEV` (-19), `-EIO` (-5), `-EBUSY` (-16) or `-EAGAIN` (-11).
    pub const fn to_errno(self) -> i32 {
        match self {
            Error::InvalidArgument
            | Error::ForeignPool
            | Error::TruncatedHeader { .. }
            | Error::ZeroLengthEvent { .. }
            | Error::EventPastEnd { .. }
            | Error::ChannelGroupRange { .. }
            | Error::TimeOverflow { .. } => -EINVAL,
            Error::NoMemory => -ENOMEM,
            Error::NoDevice => -ENODEV,
            Error::Io => -EIO,
            Error::Busy => -EBUSY,
            Error::Again => -EAGAIN,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument => f.write_str("invalid argument"),
            Error::ForeignPool => f.write_str("object belongs to another allocator pool"),
            Error::TruncatedHeader { offset } => {
                write!(f, "event header truncated at offset {offset}")
            }
            Error::ZeroLengthEvent { offset } => {
                write!(f, "zero-length event at offset {offset}")
            }
            Error::EventPastEnd { offset } => {
                write!(
                    f,
                    "event at offset {offset} runs past the end of the buffer"
                )
            }
            Error::ChannelGroupRange { offset } => {
                write!(
                    f,
                    "channel group of event at offset {offset} is above 65535"
                )
            }
            Error::TimeOverflow { offset } => {
                write!(f, "presentation time of event at offset {offset} overflows")
            }
            Error::NoMemory => f.write_str("allocator pool exhausted"),
            Error::NoDevice => f.write_str("no device"),
            Error::Io => f.write_str("I/O error"),
            Error::Busy => f.write_str("busy"),
            Error::Again => f.write_str("try again"),
        }
    }
}
