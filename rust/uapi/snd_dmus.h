/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The DMus device of snd-dmus-mpu401: timed MIDI streams for applications,
 * in the framing of DirectMusic's IDirectMusicPort::PlayBuffer and Read.
 *
 * One ALSA hwdep device per card, id "DMus" (/dev/snd/hwC<card>D0). All
 * times are the port's master clock: CLOCK_MONOTONIC in 100 ns units
 * (clock_gettime(CLOCK_MONOTONIC) nanoseconds / 100). Multi-byte fields are
 * in the machine's byte order. Documentation/dmus-device.rst explains the
 * rules; this header is the ABI.
 */
#ifndef _UAPI_SOUND_SND_DMUS_H
#define _UAPI_SOUND_SND_DMUS_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The hwdep id (struct snd_hwdep_info.id) that names a DMus device. */
#define SND_DMUS_HWDEP_ID "DMus"
/* Its struct snd_hwdep_info.iface: the first number after 7.2's last. */
#define SND_DMUS_HWDEP_IFACE 0x40

/* Protocol version: major << 16 | minor. */
#define SND_DMUS_PROTOCOL_VERSION 0x00010000

/*
 * A buffer: this header, then cb_data bytes of event records. write()
 * takes one or more whole buffers; read() returns exactly one.
 */
struct snd_dmus_buffer {
	__s64 rt_start;		/* master-clock time the rt_delta values count from */
	__u32 cb_data;		/* bytes of records after this header, a multiple of 8 */
	__u32 flags;		/* write: 0; read: SND_DMUS_BUFFER_* */
};

#define SND_DMUS_BUFFER_SIZE 16

/*
 * read: input was lost before this buffer's first event (the capture ring
 * overran, or this reader fell behind).
 */
#define SND_DMUS_BUFFER_OVERRUN 0x00000001

/*
 * An event record: DirectMusic's DMUS_EVENTHEADER (dmusbuff.h, 20 bytes,
 * 4-byte packing), then cb_event bytes of MIDI data, then zero padding to
 * the next multiple of 8 (SND_DMUS_EVENT_SIZE).
 */
struct snd_dmus_event {
	__u32 cb_event;		/* MIDI bytes after the header, >= 1 */
	__u32 channel_group;	/* 1 (the MPU-401 cable); 0 = all groups */
	__s64 rt_delta;		/* presentation (write) or arrival (read) time - rt_start */
	__u32 flags;		/* SND_DMUS_EVENT_* */
} __attribute__((packed, aligned(4)));	/* uapi: no __packed here */

#define SND_DMUS_EVENT_HEADER_SIZE 20
#define SND_DMUS_EVENT_SIZE(cb) ((SND_DMUS_EVENT_HEADER_SIZE + (cb) + 7) & ~7)

/* DMUS_EVENT_STRUCTURED: the data is one complete MIDI message (not SysEx). */
#define SND_DMUS_EVENT_STRUCTURED 0x00000001
/* read only: more bytes of the same SysEx follow in the next record. */
#define SND_DMUS_EVENT_INCOMPLETE 0x00000002

/* The most bytes one write() may carry. */
#define SND_DMUS_WRITE_MAX 65536

struct snd_dmus_info {
	__u32 version;		/* SND_DMUS_PROTOCOL_VERSION */
	__u32 channel_groups;	/* channel groups of the port: 1 */
	__u32 write_max;	/* SND_DMUS_WRITE_MAX */
	__u32 queue_size;	/* events the queue holds (a SysEx: one per 256 bytes) */
	__s64 prefetch;		/* the miniport's schedule prefetch, 100 ns */
	__u32 capture_size;	/* records the capture ring holds */
	__u32 capture_piece;	/* the most MIDI bytes of one read record */
	char name[64];		/* the card's short name */
};

struct snd_dmus_clock {
	__s64 master;		/* the master clock now, 100 ns */
	__s64 latency;		/* the earliest presentation time a write now still plays on time */
	__s64 monotonic_ns;	/* CLOCK_MONOTONIC at the same instant, ns */
};

struct snd_dmus_status {
	__u64 queued;		/* events written and not yet written to the chip */
	__u64 played;		/* events handed to the miniport since the writer opened */
	__u64 late;		/* events written after their presentation time */
	__s64 max_lateness;	/* largest (hand-over time - presentation time), 100 ns */
	__u64 captured;		/* records put in the capture ring since load */
	__u64 overruns;		/* input bytes lost in the capture ring since load */
	__u32 state;		/* SND_DMUS_STATE_* */
	__u32 free_events;	/* render queue room, events */
};

/*
 * A sound bank for a synthesizer card: the bytes of a DMBK container of
 * DMus downloads (DMUS_DOWNLOADINFO + offset table + chunks, dmdls.h), as
 * the sf2bank tool writes them. size 0 goes back to the built-in bank.
 */
struct snd_dmus_bank {
	__u64 data;		/* user address of the bank's first byte */
	__u64 size;		/* bytes, at most SND_DMUS_BANK_MAX; 0: the built-in bank */
};

#define SND_DMUS_BANK_MAX (64 << 20)

/* KSSTATE */
#define SND_DMUS_STATE_STOP	0
#define SND_DMUS_STATE_ACQUIRE	1
#define SND_DMUS_STATE_PAUSE	2
#define SND_DMUS_STATE_RUN	3

#define SND_DMUS_IOCTL_PVERSION		_IOR('H', 0xd0, int)
#define SND_DMUS_IOCTL_INFO		_IOR('H', 0xd1, struct snd_dmus_info)
#define SND_DMUS_IOCTL_CLOCK		_IOR('H', 0xd2, struct snd_dmus_clock)
#define SND_DMUS_IOCTL_STATUS		_IOR('H', 0xd3, struct snd_dmus_status)
#define SND_DMUS_IOCTL_SET_STATE	_IOW('H', 0xd4, __u32)
#define SND_DMUS_IOCTL_GET_STATE	_IOR('H', 0xd5, __u32)
#define SND_DMUS_IOCTL_DRAIN		_IO('H', 0xd6)
#define SND_DMUS_IOCTL_DROP		_IO('H', 0xd7)
/* writer only; synthesizer cards only (others: ENOTTY) */
#define SND_DMUS_IOCTL_LOAD_BANK	_IOW('H', 0xd8, struct snd_dmus_bank)

#endif /* _UAPI_SOUND_SND_DMUS_H */
