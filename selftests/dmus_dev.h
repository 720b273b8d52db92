/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the DMus device's kselftests share (dmus_timed_test.c,
 * dmus_race_test.c): clocks, the virtual cable's log parsed into MIDI
 * messages, DMus buffers to write (rust/uapi/snd_dmus.h), the device's
 * ioctls, and reading captured records back.
 */
#ifndef DMUS_DEV_H
#define DMUS_DEV_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "dmus_lib.h"
#include "snd_dmus.h"

#define MS 1000000LL			/* 1 ms in ns */
#define TICKS_MS 10000LL		/* 1 ms in master-clock units (100 ns) */
#define AHEAD (30 * TICKS_MS)		/* how far ahead of CLOCK.latency events are written */
/*
 * How late a byte may start, or a record be stamped, and still count as "at
 * its time": a sanity bound against a message held back (a lost timer, a
 * stuck queue), not a timing target (those are in make bench). Under TCG a
 * stall of the host shows up as tens of ms.
 */
#define LATE_NS (500 * MS)
#define WAIT_MS 3000			/* the longest wait for bytes on the wire or a record */
#define MAX_FDS 16
#define WIRE_MAX 65536			/* the wire log's length */
#define MSG_MAX 64
#define REC_MAX 512

/* A MIDI message as the two arguments (bytes, length) the helpers take. */
#define MIDI(...) ((const unsigned char[]){ __VA_ARGS__ }), \
	sizeof((const unsigned char[]){ __VA_ARGS__ })

_Static_assert(sizeof(struct snd_dmus_buffer) == SND_DMUS_BUFFER_SIZE, "buffer header");
_Static_assert(sizeof(struct snd_dmus_event) == SND_DMUS_EVENT_HEADER_SIZE, "event header");

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_until_ns(long long t)
{
	struct timespec ts = { .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static inline void on_alarm(int sig)
{
	(void)sig;
}

/*
 * open(2) that gives up after 2 s with EINTR: a busy ALSA device whose open
 * answers -EAGAIN makes a blocking open wait instead of failing.
 */
static inline int open_guarded(const char *path, int flags)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int fd, err;

	sigaction(SIGALRM, &sa, &old);
	alarm(2);
	fd = open(path, flags | O_CLOEXEC);
	err = errno;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	errno = err;
	return fd;
}

/*
 * The first line of the kernel log (since the last clear) at warning level or
 * above, into @out. Not counted: the taint notice of the first out-of-tree
 * load and the emulator's clock complaints (hrtimer, clocksource, TSC).
 */
static inline bool klog_warning(char *out, size_t len)
{
	static char buf[1 << 20];
	char *line, *save;
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int prio;

		/* Kernel lines have facility 0: <0> to <7>; 4 is KERN_WARNING. */
		if (sscanf(line, "<%d>", &prio) != 1 || prio > 4)
			continue;
		if (strstr(line, "taints kernel") || strstr(line, "hrtimer: interrupt took") ||
		    strstr(line, "clocksource") || strstr(line, "TSC found unstable"))
			continue;
		snprintf(out, len, "%s", line);
		return true;
	}
	return false;
}

/* --- the cable's log ------------------------------------------------------ */

struct wbyte {
	long long arrive_ns;	/* CLOCK_MONOTONIC when it arrived at IN */
	long long start_ns;	/* when it started on the wire: arrive_ns - byte_ns */
	unsigned char b;
};

/* A message parsed from the wire, running status expanded. */
struct msg {
	unsigned char b[512];
	size_t len;
	size_t first;		/* index in wire[] of its first byte on the wire */
};

static __attribute__((unused)) struct wbyte wire[WIRE_MAX];
static __attribute__((unused)) struct msg msgs[MSG_MAX];

/* Data bytes that follow status byte @s. */
static inline size_t midi_data_len(unsigned char s)
{
	switch (s & 0xf0) {
	case 0xc0:
	case 0xd0:
		return 1;
	case 0xf0:
		return s == 0xf1 || s == 0xf3 ? 1 : s == 0xf2 ? 2 : 0;
	default:
		return 2;
	}
}

/*
 * The complete messages among @n wire bytes, into msgs[]: running status
 * expanded, a SysEx from F0 to F7 in one message, a stray data byte alone, a
 * message still incomplete at the end left out. Returns how many.
 */
static inline int parse_msgs(size_t n)
{
	unsigned char running = 0;
	size_t i, need = 0;
	int count = 0, open = -1;
	bool sysex = false;

	for (i = 0; i < n && count < MSG_MAX; i++) {
		unsigned char c = wire[i].b;
		struct msg *m;

		if (c >= 0xf8) {			/* real time: alone, anywhere */
			msgs[count] = (struct msg){ .b = { c }, .len = 1, .first = i };
			count++;
			continue;
		}
		if (open >= 0 && (sysex ? c < 0x80 || c == 0xf7 : c < 0x80)) {
			m = &msgs[open];
			if (m->len < sizeof(m->b))
				m->b[m->len++] = c;
			if ((sysex && c == 0xf7) || (!sysex && m->len == 1 + need)) {
				open = -1;
				sysex = false;
			}
			continue;
		}
		m = &msgs[count];
		m->first = i;
		m->len = 0;
		open = count++;
		sysex = false;
		if (c == 0xf0) {
			running = 0;
			sysex = true;
			m->b[m->len++] = c;
		} else if (c >= 0x80) {
			running = c < 0xf0 ? c : 0;
			need = midi_data_len(c);
			m->b[m->len++] = c;
			if (!need)
				open = -1;
		} else if (running) {
			need = midi_data_len(running);
			m->b[m->len++] = running;
			m->b[m->len++] = c;
			if (m->len == 1 + need)
				open = -1;
		} else {				/* a stray data byte */
			m->b[m->len++] = c;
			open = -1;
		}
	}
	return open >= 0 ? open : count;
}

static inline bool msg_is(const struct msg *m, const unsigned char *b, size_t len)
{
	return m->len == len && !memcmp(m->b, b, len);
}

static inline void log_msgs(const char *what, int n)
{
	int i;
	size_t j;

	for (i = 0; i < n; i++) {
		fprintf(stderr, "# %s %d: start %lld ns:", what, i, wire[msgs[i].first].start_ns);
		for (j = 0; j < msgs[i].len && j < 16; j++)
			fprintf(stderr, " %02x", msgs[i].b[j]);
		fprintf(stderr, "%s\n", msgs[i].len > 16 ? " ..." : "");
	}
}

/* --- buffers to write ---------------------------------------------------- */

struct wbuf {
	unsigned char d[SND_DMUS_WRITE_MAX + 1024];
	size_t len;
	size_t head;		/* offset of the current buffer's header */
};

static __attribute__((unused)) struct wbuf wb;

static inline void put32(struct wbuf *w, size_t off, __u32 v)
{
	memcpy(w->d + off, &v, sizeof(v));
}

static inline __u32 get32(const struct wbuf *w, size_t off)
{
	__u32 v;

	memcpy(&v, w->d + off, sizeof(v));
	return v;
}

/* Starts a new buffer (after the ones already in @w) at @rt_start. */
static inline void wb_buffer(struct wbuf *w, __s64 rt_start)
{
	struct snd_dmus_buffer h = { .rt_start = rt_start };

	w->head = w->len;
	memcpy(w->d + w->len, &h, sizeof(h));
	w->len += sizeof(h);
}

/* Starts @w afresh with one buffer at @rt_start. */
static inline void wb_reset(struct wbuf *w, __s64 rt_start)
{
	w->len = 0;
	wb_buffer(w, rt_start);
}

/* Appends @len padding bytes (zero) to the current buffer. */
static inline void wb_pad(struct wbuf *w, size_t len)
{
	size_t cb = w->head + offsetof(struct snd_dmus_buffer, cb_data);

	memset(w->d + w->len, 0, len);
	w->len += len;
	put32(w, cb, get32(w, cb) + len);
}

/* Appends an event record to the current buffer; returns its offset in @w. */
static inline size_t wb_event_g(struct wbuf *w, __s64 delta, __u32 group, __u32 flags,
			 const unsigned char *midi, size_t cb)
{
	struct snd_dmus_event e = {
		.cb_event = cb, .channel_group = group, .rt_delta = delta, .flags = flags,
	};
	size_t off = w->len, cb_data = w->head + offsetof(struct snd_dmus_buffer, cb_data);

	memcpy(w->d + off, &e, sizeof(e));
	memcpy(w->d + off + sizeof(e), midi, cb);
	w->len += sizeof(e) + cb;
	put32(w, cb_data, get32(w, cb_data) + sizeof(e) + cb);
	wb_pad(w, SND_DMUS_EVENT_SIZE(cb) - sizeof(e) - cb);
	return off;
}

static inline size_t wb_event(struct wbuf *w, __s64 delta, __u32 flags, const unsigned char *midi,
		       size_t cb)
{
	return wb_event_g(w, delta, 1, flags, midi, cb);
}

#define STRUCT SND_DMUS_EVENT_STRUCTURED
#define RAW 0

/* write(2) of @w: 0 when all of it was taken, else errno (EIO for a short write). */
static inline int wb_write(int fd, const struct wbuf *w)
{
	ssize_t n = write(fd, w->d, w->len);

	if (n < 0)
		return errno;
	return (size_t)n == w->len ? 0 : EIO;
}

/* --- ioctls -------------------------------------------------------------- */

static inline struct snd_dmus_clock dclock(int fd)
{
	struct snd_dmus_clock c;

	if (ioctl(fd, SND_DMUS_IOCTL_CLOCK, &c)) {
		fprintf(stderr, "# SND_DMUS_IOCTL_CLOCK: %s\n", strerror(errno));
		c.master = c.latency = now_ns() / 100;
	}
	return c;
}

/* A presentation time @by after the earliest one that still plays on time. */
static inline __s64 ahead(int fd, __s64 by)
{
	return dclock(fd).latency + by;
}

static inline struct snd_dmus_status dstatus(int fd)
{
	struct snd_dmus_status s;

	memset(&s, 0xff, sizeof(s));
	if (ioctl(fd, SND_DMUS_IOCTL_STATUS, &s))
		fprintf(stderr, "# SND_DMUS_IOCTL_STATUS: %s\n", strerror(errno));
	return s;
}

/* SET_STATE: 0 or errno. */
static inline int set_state(int fd, __u32 state)
{
	return ioctl(fd, SND_DMUS_IOCTL_SET_STATE, &state) ? errno : 0;
}

/* GET_STATE: the state, or -errno. */
static inline long get_state(int fd)
{
	__u32 state;

	return ioctl(fd, SND_DMUS_IOCTL_GET_STATE, &state) ? -errno : (long)state;
}

/* An ioctl without argument (DRAIN, DROP): 0 or errno. */
static inline int do_ioctl(int fd, unsigned long cmd)
{
	return ioctl(fd, cmd) ? errno : 0;
}

/* --- reading ------------------------------------------------------------- */

struct rec {
	long long time;		/* rt_start + rt_delta, 100 ns */
	unsigned int flags, group, cb;
	unsigned char b[256];
};

/*
 * Reads what @fd captures into @r (at most @max) until at least @want records
 * and @bytes MIDI bytes are in, or WAIT_MS passed. ORs the buffers' flags into
 * @bflags. Returns the number of records read; -1 when a read fails (errno),
 * -2 when a buffer is malformed.
 */
static inline int read_recs(int fd, struct rec *r, int max, int want, size_t bytes, unsigned int *bflags)
{
	static unsigned char buf[16384];
	long long end = now_ns() + WAIT_MS * MS;
	size_t got = 0;
	int n = 0;

	while (n < want || got < bytes) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = end - now_ns();
		struct snd_dmus_buffer h;
		size_t off;
		ssize_t len;

		if (left <= 0)
			break;
		if (poll(&p, 1, left / MS + 1) <= 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		if (len < 0) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		if (len < SND_DMUS_BUFFER_SIZE)
			return -2;
		memcpy(&h, buf, sizeof(h));
		if ((size_t)len != SND_DMUS_BUFFER_SIZE + h.cb_data)
			return -2;
		*bflags |= h.flags;
		for (off = SND_DMUS_BUFFER_SIZE; off < (size_t)len;) {
			struct snd_dmus_event e;

			if (off + sizeof(e) > (size_t)len)
				return -2;
			memcpy(&e, buf + off, sizeof(e));
			if (!e.cb_event || off + SND_DMUS_EVENT_SIZE(e.cb_event) > (size_t)len)
				return -2;
			if (n < max) {
				r[n].time = h.rt_start + e.rt_delta;
				r[n].flags = e.flags;
				r[n].group = e.channel_group;
				r[n].cb = e.cb_event;
				memcpy(r[n].b, buf + off + sizeof(e),
				       e.cb_event < sizeof(r[n].b) ? e.cb_event : sizeof(r[n].b));
			}
			n++;
			got += e.cb_event;
			off += SND_DMUS_EVENT_SIZE(e.cb_event);
		}
	}
	return n;
}

/*
 * Joins each SysEx that came in several records (SND_DMUS_EVENT_INCOMPLETE on
 * all but the last; a SysEx arriving slower than it is read comes in smaller
 * pieces) into its first record, which keeps its time and takes the last
 * piece's flags. Returns the number of records left.
 */
static inline int join_sysex(struct rec *r, int n)
{
	int in = 0, out = 0;

	while (in < n) {
		struct rec m = r[in++];

		while ((m.flags & SND_DMUS_EVENT_INCOMPLETE) && in < n) {
			size_t add = r[in].cb;

			if (m.cb + add > sizeof(m.b))
				add = sizeof(m.b) - m.cb;
			memcpy(m.b + m.cb, r[in].b, add);
			m.cb += add;
			m.flags = r[in].flags;
			in++;
		}
		r[out++] = m;
	}
	return out;
}

static inline bool rec_is(const struct rec *r, const unsigned char *b, size_t len)
{
	return r->cb == len && !memcmp(r->b, b, len);
}

/*
 * The bytes that arrived at IN at or after @since_ns, read from the virtual
 * MPU-401's debugfs directory @dbg (whose byte takes @byte_ns on the wire),
 * into wire[]; how many.
 */
static inline size_t dmus_wire_since(const char *dbg, long long byte_ns, long long since_ns)
{
	char path[400], line[128];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/wire", dbg);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < WIRE_MAX) {
		long long t;
		unsigned int b;

		if (line[0] == '#' || sscanf(line, "%lld %x", &t, &b) != 2 || t < since_ns)
			continue;
		wire[n].arrive_ns = t;
		wire[n].start_ns = t - byte_ns;
		wire[n].b = b;
		n++;
	}
	fclose(f);
	return n;
}

/* The module loaded with one virtual MPU-401, and what the tests use of it. */
struct dmus_virt_dev {
	int card;
	char dev[300];		/* /dev/snd/hwC<card>D<n> */
	char midi[64];		/* /dev/snd/midiC<card>D0 */
	char dbg[300];		/* the virtual MPU-401's debugfs directory */
	long long byte_ns;	/* its byte's wire time */
	struct snd_dmus_info info;
};

/*
 * Reloads the module with one virtual MPU-401 (and no PnP device: the test
 * VM's PnP MPU-401s have no chip behind them), the kernel log cleared, and
 * fills @d. NULL, or the step that failed.
 */
static inline const char *dmus_virt_dev_load(struct dmus_virt_dev *d)
{
	int fd, err;

	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
	if (dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"))
		return "load with virt=1";
	d->card = dmus_card();
	if (d->card < 0)
		return "find the card";
	snprintf(d->midi, sizeof(d->midi), "/dev/snd/midiC%dD0", d->card);
	if (!find_dmus(d->card, d->dev, sizeof(d->dev)))
		return "find the DMus device";
	if (!dmus_virt_debugfs(d->dbg, sizeof(d->dbg)))
		return "find the chip's debugfs";
	d->byte_ns = dmus_virt_counter(d->dbg, "byte_ns");
	fd = open(d->dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "open the DMus device";
	err = ioctl(fd, SND_DMUS_IOCTL_INFO, &d->info);
	close(fd);
	return err ? "SND_DMUS_IOCTL_INFO" : NULL;
}

#endif /* DMUS_DEV_H */
