// SPDX-License-Identifier: GPL-2.0
//! Finding and talking to a DMus device: the hwdep node, its ioctls,
//! `read()`, `write()` and `poll()`.
//!
//! Devices are found without opening them: for every `/dev/snd/hwC<c>D<d>`
//! the card's control device (`/dev/snd/controlC<c>`) answers
//! `SNDRV_CTL_IOCTL_HWDEP_INFO` (the hwdep id, "DMus" for ours) and
//! `SNDRV_CTL_IOCTL_CARD_INFO` (the card's names). Only if the control
//! device cannot be opened is the hwdep node itself opened to ask it.

use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

use crate::abi::*;

/// Where ALSA's device nodes live.
pub const SND_DIR: &str = "/dev/snd";

/// How a tool opens the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `O_WRONLY`: the writer (dmusplay).
    Write,
    /// `O_RDONLY`: a reader (dmusrec).
    Read,
}

/// A device error, its message ready for stderr.
#[derive(Debug)]
pub struct DevError(pub String);

impl fmt::Display for DevError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DevError {}

/// The message for a device that is not a DMus device.
fn not_dmus(path: &Path) -> DevError {
    DevError(format!("{}: not a DMus device", path.display()))
}

/// The message for a failed `open()` of `path`.
pub fn open_error(path: &Path, mode: Mode, e: &io::Error) -> DevError {
    DevError(match (e.raw_os_error(), mode) {
        (Some(libc::EBUSY), Mode::Write) => format!(
            "{}: device busy (another application is writing to this MIDI port)",
            path.display()
        ),
        (Some(libc::EBUSY), Mode::Read) => format!(
            "{}: device busy (another application is reading from this MIDI port)",
            path.display()
        ),
        _ => format!("{}: {e}", path.display()),
    })
}

/// Card and device number of a node named `hwC<card>D<dev>`.
pub fn parse_hwdep_name(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("hwC")?;
    let (card, dev) = rest.split_once('D')?;
    if card.is_empty() || dev.is_empty() {
        return None;
    }
    if !card.bytes().all(|b| b.is_ascii_digit()) || !dev.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((card.parse().ok()?, dev.parse().ok()?))
}

/// All hwdep nodes in `dir`, sorted by (card, device).
pub fn hwdep_nodes(dir: &Path) -> Vec<(u32, u32, PathBuf)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name();
            if let Some((c, d)) = name.to_str().and_then(parse_hwdep_name) {
                out.push((c, d, e.path()));
            }
        }
    }
    out.sort();
    out
}

fn cstr(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// `open(2)` with `O_CLOEXEC`.
fn open_raw(path: &Path, flags: libc::c_int) -> io::Result<OwnedFd> {
    let c = cstr(path)?;
    // SAFETY: `c` is a valid NUL-terminated string.
    let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by open() and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// An ioctl whose argument is a pointer to `T` (read, write or both).
fn ioctl_ptr<T>(fd: RawFd, req: u32, arg: &mut T) -> io::Result<()> {
    // SAFETY: `arg` is a valid, exclusively borrowed `T` whose size is the
    // size encoded in `req` (checked by the abi tests).
    let r = unsafe { libc::ioctl(fd, req as _, arg as *mut T) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// An ioctl without argument (`_IO`).
fn ioctl_none(fd: RawFd, req: u32) -> io::Result<()> {
    // SAFETY: the request takes no argument.
    let r = unsafe { libc::ioctl(fd, req as _, 0usize) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// What is known about one hwdep node without opening it.
#[derive(Clone, Debug, Default)]
pub struct Candidate {
    /// The node, e.g. `/dev/snd/hwC1D0`.
    pub path: PathBuf,
    /// Card number.
    pub card: u32,
    /// Device number.
    pub device: u32,
    /// Its hwdep id, if it could be asked.
    pub id: Option<String>,
    /// Names the card goes by (card id, short name, long name, hwdep
    /// name), for `-d NAME` matching.
    pub names: Vec<String>,
}

impl Candidate {
    /// True if the node is known to be a DMus device.
    pub fn is_dmus(&self) -> bool {
        self.id.as_deref() == Some(SND_DMUS_HWDEP_ID)
    }
}

/// Asks the card's control device about hwdep `device` of `card`.
fn probe_control(dir: &Path, card: u32, device: u32) -> Option<(String, Vec<String>)> {
    let ctl = open_raw(&dir.join(format!("controlC{card}")), libc::O_RDONLY).ok()?;
    let mut hw = SndHwdepInfo {
        device,
        card: card as i32,
        ..Default::default()
    };
    ioctl_ptr(ctl.as_raw_fd(), SNDRV_CTL_IOCTL_HWDEP_INFO, &mut hw).ok()?;
    let mut names = Vec::new();
    let mut ci = SndCtlCardInfo::default();
    if ioctl_ptr(ctl.as_raw_fd(), SNDRV_CTL_IOCTL_CARD_INFO, &mut ci).is_ok() {
        names.push(c_string(&ci.id));
        names.push(c_string(&ci.name));
        names.push(c_string(&ci.longname));
    }
    names.push(hw.name());
    Some((hw.id(), names))
}

/// Asks the hwdep node itself (opened read-only, non-blocking).
fn probe_node(path: &Path) -> Option<(String, Vec<String>)> {
    let fd = open_raw(path, libc::O_RDONLY | libc::O_NONBLOCK).ok()?;
    let mut hw = SndHwdepInfo::default();
    ioctl_ptr(fd.as_raw_fd(), SNDRV_HWDEP_IOCTL_INFO, &mut hw).ok()?;
    let mut names = vec![hw.name()];
    if hw.id() == SND_DMUS_HWDEP_ID {
        let mut info = SndDmusInfo::default();
        if ioctl_ptr(fd.as_raw_fd(), SND_DMUS_IOCTL_INFO, &mut info).is_ok() {
            names.insert(0, info.name());
        }
    }
    Some((hw.id(), names))
}

/// Describes the hwdep node `path` (card `card`, device `device`).
pub fn probe(dir: &Path, path: &Path, card: u32, device: u32) -> Candidate {
    let found = probe_control(dir, card, device).or_else(|| probe_node(path));
    let (id, names) = match found {
        Some((id, names)) => (Some(id), names),
        None => (None, Vec::new()),
    };
    Candidate {
        path: path.to_path_buf(),
        card,
        device,
        id,
        names: names.into_iter().filter(|n| !n.is_empty()).collect(),
    }
}

/// Every hwdep node of `dir`, probed, in (card, device) order.
pub fn candidates(dir: &Path) -> Vec<Candidate> {
    hwdep_nodes(dir)
        .into_iter()
        .map(|(c, d, p)| probe(dir, &p, c, d))
        .collect()
}

/// True if `spec` names a file rather than a card: it contains a `/` or
/// is a bare node name like `hwC1D0`.
pub fn spec_is_path(spec: &str) -> bool {
    spec.contains('/') || parse_hwdep_name(spec).is_some()
}

/// Picks the device for `spec` among `cands`: `None` is the first DMus
/// device; otherwise the first DMus device one of whose names contains
/// `spec` (case-insensitive).
pub fn choose<'a>(cands: &'a [Candidate], spec: Option<&str>) -> Result<&'a Candidate, DevError> {
    let mut dmus = cands.iter().filter(|c| c.is_dmus());
    match spec {
        None => dmus
            .next()
            .ok_or_else(|| DevError("no DMus device found".into())),
        Some(s) => {
            let needle = s.to_lowercase();
            dmus.find(|c| c.names.iter().any(|n| n.to_lowercase().contains(&needle)))
                .ok_or_else(|| DevError(format!("no DMus device found matching \"{s}\"")))
        }
    }
}

/// An open DMus device.
#[derive(Debug)]
pub struct Device {
    fd: OwnedFd,
    /// The node it was opened from.
    pub path: PathBuf,
    /// `SND_DMUS_IOCTL_INFO` as read at open.
    pub info: SndDmusInfo,
}

impl Device {
    /// Finds and opens the device: `spec` is a path (or `hwC<c>D<d>`), a
    /// card name substring, or `None` for the first DMus device.
    /// Non-blocking: `read()` and `write()` fail with `EAGAIN` instead of
    /// waiting; use [`Device::poll`].
    pub fn find_and_open(spec: Option<&str>, mode: Mode) -> Result<Device, DevError> {
        let dir = Path::new(SND_DIR);
        match spec {
            Some(s) if spec_is_path(s) => {
                let path = if s.contains('/') {
                    PathBuf::from(s)
                } else {
                    dir.join(s)
                };
                // Refuse a known non-DMus hwdep without opening it.
                if let Some((c, d)) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(parse_hwdep_name)
                {
                    if let Some((id, _)) = probe_control(dir, c, d) {
                        if id != SND_DMUS_HWDEP_ID {
                            return Err(not_dmus(&path));
                        }
                    }
                }
                Device::open(&path, mode)
            }
            _ => {
                let cands = candidates(dir);
                let c = choose(&cands, spec)?;
                Device::open(&c.path, mode)
            }
        }
    }

    /// Opens `path` and checks that it is a DMus device of a protocol
    /// version this tool speaks.
    pub fn open(path: &Path, mode: Mode) -> Result<Device, DevError> {
        let acc = match mode {
            Mode::Write => libc::O_WRONLY,
            Mode::Read => libc::O_RDONLY,
        };
        let fd = open_raw(path, acc | libc::O_NONBLOCK).map_err(|e| open_error(path, mode, &e))?;
        let raw = fd.as_raw_fd();
        let mut hw = SndHwdepInfo::default();
        if ioctl_ptr(raw, SNDRV_HWDEP_IOCTL_INFO, &mut hw).is_err() || hw.id() != SND_DMUS_HWDEP_ID
        {
            return Err(not_dmus(path));
        }
        let mut version: u32 = 0;
        ioctl_ptr(raw, SND_DMUS_IOCTL_PVERSION, &mut version)
            .map_err(|e| DevError(format!("{}: protocol version: {e}", path.display())))?;
        if version >> 16 != SND_DMUS_PROTOCOL_VERSION >> 16 {
            return Err(DevError(format!(
                "{}: DMus protocol {}.{} not supported (this tool speaks {}.x)",
                path.display(),
                version >> 16,
                version & 0xffff,
                SND_DMUS_PROTOCOL_VERSION >> 16
            )));
        }
        let mut info = SndDmusInfo::default();
        ioctl_ptr(raw, SND_DMUS_IOCTL_INFO, &mut info)
            .map_err(|e| DevError(format!("{}: info: {e}", path.display())))?;
        Ok(Device {
            fd,
            path: path.to_path_buf(),
            info,
        })
    }

    /// `SND_DMUS_IOCTL_CLOCK`.
    pub fn clock(&self) -> io::Result<SndDmusClock> {
        let mut c = SndDmusClock::default();
        ioctl_ptr(self.fd.as_raw_fd(), SND_DMUS_IOCTL_CLOCK, &mut c)?;
        Ok(c)
    }

    /// `SND_DMUS_IOCTL_STATUS`.
    pub fn status(&self) -> io::Result<SndDmusStatus> {
        let mut s = SndDmusStatus::default();
        ioctl_ptr(self.fd.as_raw_fd(), SND_DMUS_IOCTL_STATUS, &mut s)?;
        Ok(s)
    }

    /// `SND_DMUS_IOCTL_GET_STATE`.
    pub fn state(&self) -> io::Result<u32> {
        let mut s: u32 = 0;
        ioctl_ptr(self.fd.as_raw_fd(), SND_DMUS_IOCTL_GET_STATE, &mut s)?;
        Ok(s)
    }

    /// `SND_DMUS_IOCTL_LOAD_BANK`: makes a synthesizer card play the bank
    /// in `bank` (empty: its built-in bank). `ENOTTY` on a card without a
    /// synthesizer, `EINVAL` for bytes that are not a bank.
    pub fn load_bank(&self, bank: &[u8]) -> io::Result<()> {
        let mut arg = SndDmusBank {
            data: bank.as_ptr() as u64,
            size: bank.len() as u64,
        };
        ioctl_ptr(self.fd.as_raw_fd(), SND_DMUS_IOCTL_LOAD_BANK, &mut arg)
    }

    /// `SND_DMUS_IOCTL_SET_STATE`.
    pub fn set_state(&self, state: u32) -> io::Result<()> {
        let mut s = state;
        ioctl_ptr(self.fd.as_raw_fd(), SND_DMUS_IOCTL_SET_STATE, &mut s)
    }

    /// Puts the stream in RUN if it is not (the device normally starts it
    /// at open).
    pub fn ensure_running(&self) -> io::Result<()> {
        if self.state()? != SND_DMUS_STATE_RUN {
            self.set_state(SND_DMUS_STATE_RUN)?;
        }
        Ok(())
    }

    /// `SND_DMUS_IOCTL_DRAIN`: blocks until everything queued has left the
    /// wire (`EINTR` on a signal).
    pub fn drain(&self) -> io::Result<()> {
        ioctl_none(self.fd.as_raw_fd(), SND_DMUS_IOCTL_DRAIN)
    }

    /// `SND_DMUS_IOCTL_DROP`: discards the queue and sends all-notes-off.
    pub fn drop_queue(&self) -> io::Result<()> {
        ioctl_none(self.fd.as_raw_fd(), SND_DMUS_IOCTL_DROP)
    }

    /// One `write()` of whole buffers; all or nothing (`EAGAIN` when the
    /// queue has no room).
    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: `buf` is a valid slice.
        let r = unsafe { libc::write(self.fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as usize)
        }
    }

    /// One `read()`: one buffer (`EAGAIN` when there is nothing to read).
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is a valid, exclusively borrowed slice.
        let r = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as usize)
        }
    }

    /// `poll()` for `events` (`libc::POLLIN`, `libc::POLLOUT`) up to
    /// `timeout_ms` (-1: no limit); returns the revents (0 on timeout).
    /// `EINTR` is returned as an error.
    pub fn poll(&self, events: i16, timeout_ms: i32) -> io::Result<i16> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(pfd.revents)
        }
    }
}

/// CLOCK_MONOTONIC in 100 ns units: the DMus master clock.
pub fn now_100ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid timespec pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    // time_t and long are 32 bits on some targets.
    #[allow(clippy::useless_conversion)]
    let units = i64::from(ts.tv_sec) * 10_000_000 + i64::from(ts.tv_nsec) / 100;
    units
}

/// Sleeps up to `ms` milliseconds; returns early (with `false`) when a
/// signal arrives.
pub fn sleep_ms(ms: i32) -> bool {
    // SAFETY: poll with no descriptors is a sleep.
    let r = unsafe { libc::poll(std::ptr::null_mut(), 0, ms.max(0)) };
    r >= 0
}

/// True if standard error is a terminal.
pub fn stderr_is_tty() -> bool {
    // SAFETY: isatty on a descriptor number is always safe.
    unsafe { libc::isatty(2) == 1 }
}

static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
}

/// Installs a handler for SIGINT and SIGTERM that only records the signal
/// (see [`signal_received`]). Without `SA_RESTART`, so a blocking
/// `poll()`, `write()` or DRAIN returns `EINTR`.
pub fn catch_signals() -> io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is a valid starting point; the handler
        // only stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The last SIGINT/SIGTERM caught, if any.
pub fn signal_received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwdep_names() {
        assert_eq!(parse_hwdep_name("hwC0D0"), Some((0, 0)));
        assert_eq!(parse_hwdep_name("hwC12D3"), Some((12, 3)));
        assert_eq!(parse_hwdep_name("hwC1D"), None);
        assert_eq!(parse_hwdep_name("hwCD0"), None);
        assert_eq!(parse_hwdep_name("pcmC0D0p"), None);
        assert_eq!(parse_hwdep_name("hwC1D0x"), None);
        assert!(spec_is_path("/dev/snd/hwC1D0"));
        assert!(spec_is_path("hwC1D0"));
        assert!(!spec_is_path("virt0"));
    }

    fn cand(card: u32, id: &str, names: &[&str]) -> Candidate {
        Candidate {
            path: PathBuf::from(format!("/dev/snd/hwC{card}D0")),
            card,
            device: 0,
            id: Some(id.into()),
            names: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn choosing() {
        let cands = vec![
            cand(0, "Emu10k1", &["Audigy", "SB Audigy"]),
            cand(1, "DMus", &["virt0", "DMus MPU-401 virt0"]),
            cand(2, "DMus", &["virt1", "DMus MPU-401 virt1"]),
        ];
        assert_eq!(choose(&cands, None).unwrap().card, 1);
        assert_eq!(choose(&cands, Some("VIRT1")).unwrap().card, 2);
        assert_eq!(choose(&cands, Some("MPU-401")).unwrap().card, 1);
        // A non-DMus card never matches.
        assert_eq!(
            choose(&cands, Some("Audigy")).unwrap_err().0,
            "no DMus device found matching \"Audigy\""
        );
        assert_eq!(
            choose(&cands[..1], None).unwrap_err().0,
            "no DMus device found"
        );
    }

    #[test]
    fn scanning_a_directory() {
        let dir = std::env::temp_dir().join(format!("dmustools-scan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for n in [
            "hwC1D0",
            "hwC0D2",
            "hwC0D0",
            "controlC0",
            "midiC0D0",
            "hwC10D0",
        ] {
            std::fs::write(dir.join(n), b"").unwrap();
        }
        let nodes: Vec<(u32, u32)> = hwdep_nodes(&dir).iter().map(|&(c, d, _)| (c, d)).collect();
        assert_eq!(nodes, vec![(0, 0), (0, 2), (1, 0), (10, 0)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn opening_a_regular_file_is_not_a_dmus_device() {
        let p = std::env::temp_dir().join(format!("dmustools-notdev-{}", std::process::id()));
        std::fs::write(&p, b"x").unwrap();
        let e = Device::open(&p, Mode::Read).unwrap_err();
        assert_eq!(e.0, format!("{}: not a DMus device", p.display()));
        std::fs::remove_file(&p).unwrap();
        let e = Device::open(Path::new("/nonexistent/hwC9D9"), Mode::Write).unwrap_err();
        assert!(e.0.starts_with("/nonexistent/hwC9D9: "), "{}", e.0);
    }

    #[test]
    fn busy_message() {
        let p = Path::new("/dev/snd/hwC1D0");
        let busy = io::Error::from_raw_os_error(libc::EBUSY);
        assert_eq!(
            open_error(p, Mode::Write, &busy).0,
            "/dev/snd/hwC1D0: device busy (another application is writing to this MIDI port)"
        );
        assert!(open_error(p, Mode::Read, &busy).0.contains("device busy"));
        let noent = io::Error::from_raw_os_error(libc::ENOENT);
        assert!(open_error(p, Mode::Write, &noent)
            .0
            .starts_with("/dev/snd/hwC1D0: No such file or directory"));
    }

    #[test]
    fn master_clock_moves() {
        let a = now_100ns();
        assert!(sleep_ms(2));
        let b = now_100ns();
        assert!(b - a >= 15_000, "{a} {b}");
    }
}
