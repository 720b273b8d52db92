// SPDX-License-Identifier: GPL-2.0
/*
 * snd-dmus-mpu401 under stress, on virtual MPU-401s whose cable loops OUT to
 * IN (the "Reliability" checks; meant for the debug kernel, where KASAN,
 * lockdep and kmemleak watch):
 * - soak: $DMUS_SOAK_CYCLES (default 100) load/unload cycles with data
 *   flowing in each: a rawmidi loopback, byte-exact, and timed events
 *   written to the DMus device, read back, drained, and one left queued
 *   for the close to discard; prints the cycles and the time taken;
 * - races, one blocked call on CPU 0 (a blocking rawmidi read or write, a
 *   DMus read or write, a DMus DRAIN) while CPU 1 unbinds the device (card
 *   removal: the call returns ENODEV, the unbind waits for the close, the
 *   device binds again and works), closes the call's file (the call ends as
 *   it would have, then everything unloads), unloads the module (refused
 *   until the last close, then done) or signals the thread (EINTR, or a
 *   partial count for a rawmidi write; the DMus queue untouched; the device
 *   still works);
 * - several virtual devices looping back the real MIDI files of the guest
 *   at once, one thread per card on both CPUs, each byte-exact (4 and 8 of
 *   them, on a 312500-baud cable with deep FIFOs, up to 24 KiB of files a
 *   card), and each card still loops back afterwards.
 * The calls come back (no hang: timeouts only detect one) and the kernel log
 * stays free of oopses and warnings. No timing is asserted.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <sound/asound.h>
#include "dmus_lib.h"
#include "snd_dmus.h"
#include "kselftest_harness.h"

#define MS 1000000LL			/* 1 ms in ns */
#define TICKS_MS 10000LL		/* 1 ms in master-clock units (100 ns) */
#define NO_PNP "pnp=0,0,0,0,0,0,0,0"	/* keep the VM's PnP MPU-401s out of it */
#define FAST "baud=0 rx_fifo=256 tx_fifo=256 " NO_PNP
#define HANG_S 30			/* a call not back after this has hung */
#define RAW_MAX 64			/* real MIDI files at most */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Pins the calling thread to @cpu (modulo the CPUs there are). */
static void pin(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % (n > 0 ? n : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Joins @th, giving up after @s seconds; 0, or ETIMEDOUT for a hang. */
static int join_within(pthread_t th, int s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += s;
	return pthread_timedjoin_np(th, NULL, &ts);
}

/* The last component of @path. */
static const char *base_of(const char *path)
{
	const char *p = strrchr(path, '/');

	return p ? p + 1 : path;
}

static bool busy_errno(int ret)
{
	return ret == -EBUSY || ret == -EWOULDBLOCK;
}

/*
 * The platform device behind @card and the unbind and bind files of the
 * driver it is bound to (/sys/bus/platform/drivers/<driver>/).
 */
static bool find_platform_device(int card, char *name, size_t name_len, char *drv,
				 size_t drv_len)
{
	char path[128], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/sound/card%d/device", card);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	snprintf(name, name_len, "%s", base_of(link));
	snprintf(path, sizeof(path), "/sys/class/sound/card%d/device/driver", card);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	snprintf(drv, drv_len, "/sys/bus/platform/drivers/%s", base_of(link));
	return true;
}

/* --- DMus buffers ---------------------------------------------------------- */

struct dbuf {
	unsigned char d[SND_DMUS_WRITE_MAX];
	size_t len;
	size_t head;		/* offset of the current buffer's header */
};

/* Starts @b afresh with one buffer at @rt_start. */
static void db_reset(struct dbuf *b, __s64 rt_start)
{
	struct snd_dmus_buffer h = { .rt_start = rt_start };

	b->head = 0;
	memcpy(b->d, &h, sizeof(h));
	b->len = sizeof(h);
}

/* Appends a structured event (one MIDI message) to the buffer. */
static void db_event(struct dbuf *b, __s64 delta, const unsigned char *midi, __u32 cb)
{
	struct snd_dmus_event e = {
		.cb_event = cb, .channel_group = 1, .rt_delta = delta,
		.flags = SND_DMUS_EVENT_STRUCTURED,
	};
	size_t off = b->head + offsetof(struct snd_dmus_buffer, cb_data);
	__u32 size = SND_DMUS_EVENT_SIZE(cb), cb_data;

	memset(b->d + b->len, 0, size);
	memcpy(b->d + b->len, &e, sizeof(e));
	memcpy(b->d + b->len + sizeof(e), midi, cb);
	b->len += size;
	memcpy(&cb_data, b->d + off, sizeof(cb_data));
	cb_data += size;
	memcpy(b->d + off, &cb_data, sizeof(cb_data));
}

/* The latency clock of @fd (the earliest time a write now plays on time). */
static __s64 latency(int fd)
{
	struct snd_dmus_clock c;

	if (ioctl(fd, SND_DMUS_IOCTL_CLOCK, &c))
		return now_ns() / 100;
	return c.latency;
}

static struct snd_dmus_status dstatus(int fd)
{
	struct snd_dmus_status s;

	memset(&s, 0xff, sizeof(s));
	ioctl(fd, SND_DMUS_IOCTL_STATUS, &s);
	return s;
}

/*
 * Reads what DMus reader @fd captures until @want MIDI bytes are in or @ms
 * passed, the records' bytes one after the other into @out. Returns the
 * bytes read, or -errno when a read fails, -EPROTO for a malformed buffer.
 */
static ssize_t dmus_read_bytes(int fd, unsigned char *out, size_t want, int ms)
{
	static __thread unsigned char buf[4096];
	long long end = now_ns() + ms * MS;
	size_t got = 0;

	while (got < want && now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct snd_dmus_buffer h;
		size_t off;
		ssize_t len;

		if (poll(&p, 1, 10) <= 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		if (len < 0) {
			if (errno == EAGAIN)
				continue;
			return -errno;
		}
		if (len < SND_DMUS_BUFFER_SIZE)
			return -EPROTO;
		memcpy(&h, buf, sizeof(h));
		if ((size_t)len != SND_DMUS_BUFFER_SIZE + h.cb_data)
			return -EPROTO;
		for (off = SND_DMUS_BUFFER_SIZE; off < (size_t)len;) {
			struct snd_dmus_event e;

			memcpy(&e, buf + off, sizeof(e));
			if (!e.cb_event || off + SND_DMUS_EVENT_SIZE(e.cb_event) > (size_t)len)
				return -EPROTO;
			if (got + e.cb_event <= want)
				memcpy(out + got, buf + off + sizeof(e), e.cb_event);
			got += e.cb_event;
			off += SND_DMUS_EVENT_SIZE(e.cb_event);
		}
	}
	return got;
}

/*
 * A DMus round trip on @dev: three timed events written, read back
 * byte-exact, drained; then (@leave_queued) a note 1 s ahead left queued for
 * the close to discard. Returns NULL, or what went wrong.
 */
static const char *dmus_round_trip(const char *dev, bool leave_queued)
{
	static const unsigned char msgs[] = {
		0x90, 0x3c, 0x40, 0xb1, 0x07, 0x64, 0x80, 0x3c, 0x00,
	};
	static __thread struct dbuf b;
	static __thread char why[128];
	unsigned char back[sizeof(msgs)];
	const char *err = NULL;
	int rd, w, i;
	ssize_t n;

	rd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rd < 0) {
		snprintf(why, sizeof(why), "open %s for reading: %s", dev, strerror(errno));
		return why;
	}
	w = open(dev, O_WRONLY | O_CLOEXEC);
	if (w < 0) {
		snprintf(why, sizeof(why), "open %s for writing: %s", dev, strerror(errno));
		close(rd);
		return why;
	}
	db_reset(&b, latency(w) + 2 * TICKS_MS);
	for (i = 0; i < 3; i++)
		db_event(&b, i * TICKS_MS, msgs + 3 * i, 3);
	if (write(w, b.d, b.len) != (ssize_t)b.len) {
		snprintf(why, sizeof(why), "DMus write: %s", strerror(errno));
		err = why;
		goto out;
	}
	n = dmus_read_bytes(rd, back, sizeof(back), 5000);
	if (n != (ssize_t)sizeof(back) || memcmp(back, msgs, sizeof(back))) {
		snprintf(why, sizeof(why), "DMus read: %zd of %zu bytes back%s", n, sizeof(msgs),
			 n == (ssize_t)sizeof(back) ? ", not the ones written" : "");
		err = why;
		goto out;
	}
	if (ioctl(w, SND_DMUS_IOCTL_DRAIN)) {
		snprintf(why, sizeof(why), "DMus DRAIN: %s", strerror(errno));
		err = why;
		goto out;
	}
	if (leave_queued) {
		db_reset(&b, latency(w) + 1000 * TICKS_MS);
		db_event(&b, 0, (const unsigned char[]){ 0x92, 0x40, 0x40 }, 3);
		if (write(w, b.d, b.len) != (ssize_t)b.len) {
			snprintf(why, sizeof(why), "DMus write ahead: %s", strerror(errno));
			err = why;
		}
	}
out:
	close(w);
	close(rd);
	return err;
}

/* A short rawmidi loopback on @card, byte-exact. */
static bool rawmidi_round_trip(int card)
{
	static const unsigned char msgs[] = {
		0x90, 0x3c, 0x40, 0x3e, 0x40, 0xc2, 0x05, 0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7,
		0xe3, 0x00, 0x40, 0x80, 0x3c, 0x00,
	};
	unsigned char out[sizeof(msgs)];
	size_t got = loopback(card, msgs, sizeof(msgs), out);

	if (got == sizeof(msgs) && !memcmp(msgs, out, sizeof(msgs)))
		return true;
	fprintf(stderr, "#   card %d: rawmidi loopback: %zu of %zu bytes back%s\n", card, got,
		sizeof(msgs), got == sizeof(msgs) ? ", not the ones sent" : "");
	return false;
}

/* --- soak ------------------------------------------------------------------ */

/* $DMUS_SOAK_CYCLES, or 100. */
static int soak_cycles(void)
{
	const char *s = getenv("DMUS_SOAK_CYCLES");
	int n = s ? atoi(s) : 0;

	return n > 0 ? n : 100;
}

FIXTURE(soak) {};

FIXTURE_SETUP(soak)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
}

FIXTURE_TEARDOWN(soak)
{
	dmus_unload();
}

/* Its harness timeout follows the cycle count (see soak_timeout below). */
TEST_F(soak, load_stream_unload_cycles)
{
	int cycles = soak_cycles(), i, c, n, cards[8];
	long long t0 = now_ns(), t;
	char params[128], dev[300];

	TH_LOG("%d cycles (DMUS_SOAK_CYCLES)", cycles);
	for (i = 0; i < cycles; i++) {
		int virt = 1 + i % 2;

		snprintf(params, sizeof(params), "virt=%d " FAST, virt);
		ASSERT_EQ(0, dmus_load(params)) TH_LOG("cycle %d: load %s", i, params);
		n = dmus_cards(cards, 8);
		ASSERT_EQ(virt, n) TH_LOG("cycle %d", i);
		for (c = 0; c < n; c++) {
			const char *err;

			ASSERT_TRUE(rawmidi_round_trip(cards[c]))
				TH_LOG("cycle %d, card %d: rawmidi loopback", i, cards[c]);
			ASSERT_TRUE(find_dmus(cards[c], dev, sizeof(dev)))
				TH_LOG("cycle %d, card %d: no DMus device", i, cards[c]);
			err = dmus_round_trip(dev, true);
			ASSERT_EQ(NULL, err) TH_LOG("cycle %d, card %d: %s", i, cards[c], err);
		}
		ASSERT_EQ(0, dmus_unload()) TH_LOG("cycle %d: unload", i);
		ASSERT_EQ(0, dmus_card_count()) TH_LOG("cycle %d", i);
		if ((i + 1) % 100 == 0 && i + 1 < cycles)
			TH_LOG("%d cycles, %.1f s", i + 1, (now_ns() - t0) / 1e9);
	}
	t = now_ns() - t0;
	TH_LOG("soak: %d load/unload cycles in %.1f s, %.2f s per cycle", cycles, t / 1e9,
	       t / 1e9 / cycles);
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* The soak's harness timeout: 60 s, and 8 s a cycle (a debug kernel under TCG). */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) soak_timeout(void)
{
	_soak_load_stream_unload_cycles_object->timeout = 60 + 8 * soak_cycles();
}

/* --- races: a blocked call against removal, close, unload and a signal ---- */

enum call_kind { RAWMIDI_READ, RAWMIDI_WRITE, DMUS_READ, DMUS_WRITE, DMUS_DRAIN };

/* A blocking call made by its own thread on CPU 0. */
struct blocker {
	enum call_kind kind;
	int fd;
	const void *buf;
	void *rbuf;
	size_t len;
	bool close_after;	/* the thread closes @fd once the call returned */
	pthread_t th;
	pid_t tid;		/* set before the call */
	int closing;		/* set just before the close (atomic) */
	int returned;		/* set when the call returned (atomic) */
	ssize_t ret;		/* the call's result and errno */
	int err;
};

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;

	pin(0);
	__atomic_store_n(&b->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	switch (b->kind) {
	case RAWMIDI_READ:
	case DMUS_READ:
		b->ret = read(b->fd, b->rbuf, b->len);
		break;
	case RAWMIDI_WRITE:
	case DMUS_WRITE:
		b->ret = write(b->fd, b->buf, b->len);
		break;
	case DMUS_DRAIN:
		b->ret = ioctl(b->fd, SND_DMUS_IOCTL_DRAIN);
		break;
	}
	b->err = b->ret < 0 ? errno : 0;
	__atomic_store_n(&b->returned, 1, __ATOMIC_SEQ_CST);
	if (b->close_after) {
		__atomic_store_n(&b->closing, 1, __ATOMIC_SEQ_CST);
		close(b->fd);
	}
	return NULL;
}

/* The system call the blocker sleeps in. */
static long call_nr(enum call_kind kind)
{
	switch (kind) {
	case RAWMIDI_READ:
	case DMUS_READ:
		return SYS_read;
	case RAWMIDI_WRITE:
	case DMUS_WRITE:
		return SYS_write;
	default:
		return SYS_ioctl;
	}
}

/* Whether thread @tid sleeps (state S) in system call @nr. */
static bool sleeps_in(pid_t tid, long nr)
{
	char path[64], line[512], *p;
	long cur;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "%ld", &cur) != 1 || cur != nr) {
		fclose(f);
		return false;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' && p[2] == 'S';
}

/* Starts @b and waits (up to 10 s) until it sleeps in its call. */
static bool start_blocked(struct blocker *b)
{
	int i;

	b->tid = 0;
	b->closing = 0;
	b->returned = 0;
	if (pthread_create(&b->th, NULL, blocker_main, b))
		return false;
	for (i = 0; i < 1000; i++) {
		pid_t tid = __atomic_load_n(&b->tid, __ATOMIC_SEQ_CST);

		if (tid && sleeps_in(tid, call_nr(b->kind))) {
			/* asleep in it, and still in it a moment later */
			usleep(100000);
			return !__atomic_load_n(&b->returned, __ATOMIC_SEQ_CST);
		}
		usleep(10000);
	}
	return false;
}

/* What the other CPU does. */
enum action { UNBIND, CLOSE, UNLOAD, SIGNAL };

struct actor {
	enum action what;
	struct blocker *b;
	const char *path;	/* UNBIND: the driver's unbind file */
	const char *name;	/* UNBIND: the device */
	pthread_t th;
	int ret;		/* UNBIND, CLOSE: 0 or -errno */
	/* UNLOAD: attempts refused as busy, other failures, the success */
	int busy, other, other_err;
	bool unloaded, before_close;
};

static void *actor_main(void *arg)
{
	struct actor *a = arg;
	long long end;
	int ret;

	pin(1);
	switch (a->what) {
	case UNBIND:
		a->ret = write_file(a->path, a->name);
		break;
	case CLOSE:
		a->ret = close(a->b->fd) ? -errno : 0;
		break;
	case SIGNAL:
		a->ret = -pthread_kill(a->b->th, SIGUSR1);
		break;
	case UNLOAD:
		/* Tries until it works, up to 60 s: it must not before the close. */
		end = now_ns() + 60000 * MS;
		while (now_ns() < end) {
			bool closing = __atomic_load_n(&a->b->closing, __ATOMIC_SEQ_CST);

			ret = dmus_unload();
			if (!ret) {
				a->unloaded = true;
				a->before_close = !closing;
				break;
			}
			if (busy_errno(ret)) {
				a->busy++;
			} else {
				a->other++;
				a->other_err = -ret;
			}
			usleep(20000);
		}
		break;
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

FIXTURE(race) {
	int card;
	char midi[64];		/* /dev/snd/midiC<card>D0 */
	char dev[300];		/* the DMus device */
	char name[256];		/* the platform device */
	char drv[300];		/* its driver's sysfs directory */
	struct snd_dmus_info info;
	struct blocker b;
	struct dbuf call;	/* a DMus write's buffer */
	unsigned char rbuf[4096];
	unsigned char *wbuf;	/* a rawmidi write's bytes */
	__u32 free_before;	/* DMus write: the queue's room before the call */
};

FIXTURE_VARIANT(race) {
	enum call_kind kind;
};

FIXTURE_VARIANT_ADD(race, rawmidi_read) { .kind = RAWMIDI_READ };
FIXTURE_VARIANT_ADD(race, rawmidi_write) { .kind = RAWMIDI_WRITE };
FIXTURE_VARIANT_ADD(race, dmus_read) { .kind = DMUS_READ };
FIXTURE_VARIANT_ADD(race, dmus_write) { .kind = DMUS_WRITE };
FIXTURE_VARIANT_ADD(race, dmus_drain) { .kind = DMUS_DRAIN };

/*
 * Rawmidi write: 20 KiB of timing clocks (one event each), more than ALSA's
 * buffer (4 KiB) and the render queue (4096 events) take: about 6.5 s of wire.
 */
#define RAWMIDI_WRITE_LEN 20480

/* Finds the card, its nodes and its platform device. */
static void race_find(struct __test_metadata *_metadata, FIXTURE_DATA(race) *self)
{
	int fd;

	self->card = dmus_card();
	ASSERT_LE(0, self->card);
	snprintf(self->midi, sizeof(self->midi), "/dev/snd/midiC%dD0", self->card);
	ASSERT_TRUE(find_dmus(self->card, self->dev, sizeof(self->dev)));
	ASSERT_TRUE(find_platform_device(self->card, self->name, sizeof(self->name), self->drv,
					 sizeof(self->drv)));
	fd = open(self->dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_INFO, &self->info));
	close(fd);
}

FIXTURE_SETUP(race)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */

	if (geteuid())
		SKIP(return, "needs root");
	sigaction(SIGUSR1, &sa, NULL);
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
	/* A slow wire (31250 baud) behind a one-byte FIFO: writes block. */
	ASSERT_EQ(0, dmus_load("virt=1 tx_fifo=1 " NO_PNP));
	race_find(_metadata, self);
}

FIXTURE_TEARDOWN(race)
{
	free(self->wbuf);
	dmus_unload();
}

/*
 * Opens the file of the variant's call and makes the call one that blocks:
 * a read with nothing coming; a rawmidi write of three buffers' worth; a
 * DMus write of 2000 events into a queue filled with events @ahead_ms
 * ahead; a DRAIN of one event @ahead_ms ahead.
 */
static void prepare(struct __test_metadata *_metadata, FIXTURE_DATA(race) *self,
		    enum call_kind kind, int ahead_ms)
{
	static struct dbuf fill;
	struct blocker *b = &self->b;
	__s64 far;
	int k;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->rbuf = self->rbuf;
	switch (kind) {
	case RAWMIDI_READ:
		b->fd = open(self->midi, O_RDONLY | O_CLOEXEC);
		b->len = 64;
		break;
	case RAWMIDI_WRITE:
		b->fd = open(self->midi, O_WRONLY | O_CLOEXEC);
		self->wbuf = malloc(RAWMIDI_WRITE_LEN);
		ASSERT_NE(NULL, self->wbuf);
		memset(self->wbuf, 0xf8, RAWMIDI_WRITE_LEN);
		b->buf = self->wbuf;
		b->len = RAWMIDI_WRITE_LEN;
		break;
	case DMUS_READ:
		b->fd = open(self->dev, O_RDONLY | O_CLOEXEC);
		b->len = sizeof(self->rbuf);
		break;
	case DMUS_WRITE:
		b->fd = open(self->dev, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, b->fd);
		far = latency(b->fd) + ahead_ms * TICKS_MS;
		/* timing clocks (one byte each) in 2000-event writes */
		while (dstatus(b->fd).free_events >= 2000) {
			db_reset(&fill, far);
			for (k = 0; k < 2000; k++)
				db_event(&fill, 0, (const unsigned char[]){ 0xf8 }, 1);
			ASSERT_EQ((ssize_t)fill.len, write(b->fd, fill.d, fill.len));
		}
		self->free_before = dstatus(b->fd).free_events;
		ASSERT_GT(2000U, self->free_before);
		db_reset(&self->call, far);
		for (k = 0; k < 2000; k++)
			db_event(&self->call, 0, (const unsigned char[]){ 0xf8 }, 1);
		b->buf = self->call.d;
		b->len = self->call.len;
		break;
	case DMUS_DRAIN:
		b->fd = open(self->dev, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, b->fd);
		db_reset(&self->call, latency(b->fd) + ahead_ms * TICKS_MS);
		db_event(&self->call, 0, (const unsigned char[]){ 0x90, 0x3c, 0x40 }, 3);
		ASSERT_EQ((ssize_t)self->call.len, write(b->fd, self->call.d, self->call.len));
		break;
	}
	ASSERT_LE(0, b->fd) TH_LOG("open: %s", strerror(errno));
}

/* The bytes that end a blocked read: three, sent through another file. */
static const unsigned char feed_msg[] = { 0x94, 0x45, 0x33 };

/*
 * Ends a blocked read the ordinary way: a message through the rawmidi output
 * or a DMus writer. Returns 0 or -errno.
 */
static int feed_reader(FIXTURE_DATA(race) *self, enum call_kind kind)
{
	struct dbuf *b = &self->call;
	int fd, ret = 0;

	if (kind == RAWMIDI_READ) {
		fd = open(self->midi, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (write(fd, feed_msg, sizeof(feed_msg)) != sizeof(feed_msg))
			ret = -EIO;
		close(fd);
		return ret;
	}
	fd = open(self->dev, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	db_reset(b, latency(fd) + TICKS_MS);
	db_event(b, 0, feed_msg, sizeof(feed_msg));
	if (write(fd, b->d, b->len) != (ssize_t)b->len)
		ret = -errno;
	else if (ioctl(fd, SND_DMUS_IOCTL_DRAIN))	/* a close would discard it */
		ret = -errno;
	close(fd);
	return ret;
}

/* Checks that a call that was not disturbed ended as it would have. */
static void expect_ordinary_end(struct __test_metadata *_metadata, FIXTURE_DATA(race) *self)
{
	struct blocker *b = &self->b;
	struct snd_dmus_buffer h;
	struct snd_dmus_event e;

	switch (b->kind) {
	case RAWMIDI_READ:
		/* what came, at least a byte of it */
		ASSERT_LT(0, b->ret) TH_LOG("read: %s", strerror(b->err));
		EXPECT_GE((ssize_t)sizeof(feed_msg), b->ret);
		EXPECT_EQ(0, memcmp(self->rbuf, feed_msg, b->ret));
		break;
	case DMUS_READ:
		/* one buffer, its first record the message */
		ASSERT_LE(SND_DMUS_BUFFER_SIZE + SND_DMUS_EVENT_SIZE(3), b->ret)
			TH_LOG("read: %zd, %s", b->ret, strerror(b->err));
		memcpy(&h, self->rbuf, sizeof(h));
		memcpy(&e, self->rbuf + sizeof(h), sizeof(e));
		EXPECT_EQ((size_t)b->ret, sizeof(h) + h.cb_data);
		EXPECT_EQ(3U, e.cb_event);
		EXPECT_EQ(0, memcmp(self->rbuf + sizeof(h) + sizeof(e), feed_msg, 3));
		break;
	case RAWMIDI_WRITE:
	case DMUS_WRITE:
		EXPECT_EQ((ssize_t)b->len, b->ret) TH_LOG("write: %s", strerror(b->err));
		break;
	case DMUS_DRAIN:
		EXPECT_EQ(0, b->ret) TH_LOG("DRAIN: %s", strerror(b->err));
		break;
	}
}

/* The card works: a rawmidi loopback and a DMus round trip. */
static void expect_card_works(struct __test_metadata *_metadata, FIXTURE_DATA(race) *self)
{
	const char *err;

	/* What the blocked writer left in the chip's FIFO goes out first. */
	dmus_wait_chip_tx_idle();
	EXPECT_TRUE(rawmidi_round_trip(self->card));
	err = dmus_round_trip(self->dev, false);
	EXPECT_EQ(NULL, err) TH_LOG("%s", err);
}

TEST_F_TIMEOUT(race, card_removal_wakes_the_call_with_enodev, 180)
{
	struct blocker *b = &self->b;
	struct actor a = { .what = UNBIND, .b = b };
	char unbind[400], bind[400];
	struct stat st;
	int ret;

	snprintf(unbind, sizeof(unbind), "%s/unbind", self->drv);
	snprintf(bind, sizeof(bind), "%s/bind", self->drv);
	a.path = unbind;
	a.name = self->name;
	/* Far enough that only the removal can end the call in time. */
	prepare(_metadata, self, variant->kind, 10000);
	b->close_after = true;
	ASSERT_TRUE(start_blocked(b));
	/* The unbind waits until the card's last file is closed. */
	ASSERT_EQ(0, pthread_create(&a.th, NULL, actor_main, &a));
	ret = join_within(b->th, HANG_S);
	ASSERT_EQ(0, ret) TH_LOG("the blocked call did not return after the unbind");
	EXPECT_EQ(-1, b->ret) TH_LOG("the call returned %zd", b->ret);
	EXPECT_EQ(ENODEV, b->err) TH_LOG("%s", strerror(b->err));
	ret = join_within(a.th, HANG_S);
	ASSERT_EQ(0, ret) TH_LOG("the unbind did not return after the close");
	EXPECT_EQ(0, a.ret) TH_LOG("unbind: %s", strerror(-a.ret));
	EXPECT_EQ(0, dmus_card_count());
	EXPECT_NE(0, stat(self->midi, &st));
	EXPECT_NE(0, stat(self->dev, &st));

	/* The device binds again and works. */
	ASSERT_EQ(0, write_file(bind, self->name));
	race_find(_metadata, self);
	expect_card_works(_metadata, self);
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F_TIMEOUT(race, close_from_the_other_cpu_lets_the_call_finish, 180)
{
	struct blocker *b = &self->b;
	struct actor a = { .what = CLOSE, .b = b };

	/* The events play 1 s from now: the write and the drain then end. */
	prepare(_metadata, self, variant->kind, 1000);
	ASSERT_TRUE(start_blocked(b));
	ASSERT_EQ(0, pthread_create(&a.th, NULL, actor_main, &a));
	ASSERT_EQ(0, join_within(a.th, HANG_S)) TH_LOG("close did not return");
	EXPECT_EQ(0, a.ret);
	if (b->kind == RAWMIDI_READ || b->kind == DMUS_READ) {
		usleep(100000);
		EXPECT_EQ(0, feed_reader(self, b->kind));
	}
	ASSERT_EQ(0, join_within(b->th, HANG_S)) TH_LOG("the call did not return");
	expect_ordinary_end(_metadata, self);
	/* The call held the last reference: nothing is open now. */
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_loaded());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F_TIMEOUT(race, unload_is_refused_until_the_last_close, 180)
{
	struct blocker *b = &self->b;
	struct actor a = { .what = UNLOAD, .b = b };

	prepare(_metadata, self, variant->kind, 1000);
	b->close_after = true;
	ASSERT_TRUE(start_blocked(b));
	ASSERT_EQ(0, pthread_create(&a.th, NULL, actor_main, &a));
	if (b->kind == RAWMIDI_READ || b->kind == DMUS_READ) {
		usleep(200000);
		EXPECT_EQ(0, feed_reader(self, b->kind));
	}
	ASSERT_EQ(0, join_within(b->th, HANG_S)) TH_LOG("the call did not return");
	expect_ordinary_end(_metadata, self);
	ASSERT_EQ(0, join_within(a.th, 90)) TH_LOG("delete_module did not return");
	EXPECT_LT(0, a.busy) TH_LOG("no unload was tried while the call was blocked");
	EXPECT_EQ(0, a.other) TH_LOG("delete_module: %s", strerror(a.other_err));
	EXPECT_TRUE(a.unloaded) TH_LOG("no unload after the close");
	EXPECT_FALSE(a.before_close) TH_LOG("unloaded while the file was open");
	EXPECT_FALSE(dmus_loaded());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F_TIMEOUT(race, signal_interrupts_the_call_and_the_device_still_works, 180)
{
	struct blocker *b = &self->b;
	struct actor a = { .what = SIGNAL, .b = b };
	struct snd_dmus_status s;

	prepare(_metadata, self, variant->kind, 10000);
	ASSERT_TRUE(start_blocked(b));
	ASSERT_EQ(0, pthread_create(&a.th, NULL, actor_main, &a));
	ASSERT_EQ(0, join_within(a.th, HANG_S));
	EXPECT_EQ(0, a.ret);
	ASSERT_EQ(0, join_within(b->th, HANG_S)) TH_LOG("the call did not return");
	switch (b->kind) {
	case RAWMIDI_WRITE:
		/* what went into ALSA's buffer before the signal */
		if (b->ret >= 0) {
			EXPECT_LT(0, b->ret);
			EXPECT_GT((ssize_t)b->len, b->ret);
		} else {
			EXPECT_EQ(EINTR, b->err);
		}
		break;
	case DMUS_WRITE:
		/* all or nothing: nothing */
		EXPECT_EQ(-1, b->ret);
		EXPECT_EQ(EINTR, b->err) TH_LOG("%s", strerror(b->err));
		s = dstatus(b->fd);
		EXPECT_EQ(self->free_before, s.free_events);
		EXPECT_EQ((__u32)SND_DMUS_STATE_RUN, s.state);
		break;
	case DMUS_DRAIN:
		EXPECT_EQ(-1, b->ret);
		EXPECT_EQ(EINTR, b->err) TH_LOG("%s", strerror(b->err));
		/* the event still waits for its time */
		EXPECT_EQ(1ULL, dstatus(b->fd).queued);
		break;
	default:
		EXPECT_EQ(-1, b->ret);
		EXPECT_EQ(EINTR, b->err) TH_LOG("%s", strerror(b->err));
		break;
	}
	EXPECT_EQ(0, close(b->fd));
	expect_card_works(_metadata, self);
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* --- several devices at once ---------------------------------------------- */

struct raw_file {
	char path[300];
	unsigned char *data;
	size_t len;
};

struct streamer {
	int card, cpu, index, step;
	const struct raw_file *files;
	int nfiles;
	pthread_barrier_t *start;
	pthread_t th;
	/* results */
	int sent, exact;
	long long bytes;
	long long ns;		/* from the start to the last file back */
	char first_bad[400];
};

/*
 * The bytes each card loops back at most (whole files, in name order): on
 * the debug kernel every byte is an interrupt, and 8 cards would otherwise
 * take minutes.
 */
#define STREAM_BUDGET (24 * 1024)

static void *streamer_main(void *arg)
{
	struct streamer *s = arg;
	int i;

	long long t0;

	pin(s->cpu);
	pthread_barrier_wait(s->start);
	t0 = now_ns();
	for (i = s->index; i < s->nfiles && s->bytes < STREAM_BUDGET; i += s->step) {
		const struct raw_file *f = &s->files[i];
		unsigned char *out = malloc(f->len);
		size_t got, diff;

		if (!out)
			break;
		got = loopback(s->card, f->data, f->len, out);
		for (diff = 0; diff < got && f->data[diff] == out[diff]; diff++)
			;
		s->sent++;
		s->bytes += f->len;
		free(out);
		if (got == f->len && diff == got) {
			s->exact++;
			continue;
		}
		/* A card that lost bytes stops: the next files would only wait. */
		snprintf(s->first_bad, sizeof(s->first_bad),
			 "%s: %zu of %zu bytes back, first difference at %zu; no more files sent",
			 base_of(f->path), got, f->len, diff);
		break;
	}
	s->ns = now_ns() - t0;
	return NULL;
}

/* Prints what the card's counters say (after a loss), as test diagnostics. */
static void log_card(int card)
{
	char path[300], line[256];
	struct snd_dmus_status st;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/asound/card%d/midi0", card);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "bytes") || strstr(line, "Mode") || strstr(line, "Buffer"))
			fprintf(stderr, "#   card %d midi0: %s", card, line);
	if (f)
		fclose(f);
	if (find_dmus(card, path, sizeof(path))) {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			st = dstatus(fd);
			fprintf(stderr, "#   card %d DMus: queued %llu free_events %u overruns %llu\n",
				card, (unsigned long long)st.queued, st.free_events,
				(unsigned long long)st.overruns);
			close(fd);
		}
	}
}

/* Prints the virtual MPU-401s' counters, as test diagnostics. */
static void log_virt(void)
{
	char path[300];
	struct dirent *de;
	DIR *d;

	d = opendir("/sys/kernel/debug");
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "snd-dmus-mpu401-virt", 20))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", de->d_name);
		fprintf(stderr, "#   %s: out %lld wire %lld in %lld overruns %lld dropped %lld tx_pending %lld\n",
			de->d_name, dmus_virt_counter(path, "bytes_out"),
			dmus_virt_counter(path, "bytes_wire"), dmus_virt_counter(path, "bytes_in"),
			dmus_virt_counter(path, "overruns"), dmus_virt_counter(path, "dropped"),
			dmus_virt_counter(path, "tx_pending"));
	}
	if (d)
		closedir(d);
}

/* Prints the kernel log's lines that contain @needle. */
static void log_klog(const char *needle)
{
	static char buf[1 << 20];
	char *line, *save;
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, needle))
			fprintf(stderr, "#   kernel: %s\n", line);
}

static int cmp_raw(const void *a, const void *b)
{
	return strcmp(((const struct raw_file *)a)->path, ((const struct raw_file *)b)->path);
}

FIXTURE(streams) {
	struct raw_file files[RAW_MAX];
	int nfiles;
};

FIXTURE_VARIANT(streams) {
	int cards;
	const char *params;	/* the cable's */
};

/*
 * Deep FIFOs and a cable ten times MIDI's rate: quick, and each pass of the
 * driver bounded by the chip's FIFO, as on a real cable. (An instant cable
 * lets a writer on one CPU outrun the capture side on the other: the
 * capture ring overruns by construction, counted, as no chip could.)
 */
#define WIRE "baud=312500 rx_fifo=256 tx_fifo=256 " NO_PNP
FIXTURE_VARIANT_ADD(streams, four_at_wire_rate) { .cards = 4, .params = WIRE };
FIXTURE_VARIANT_ADD(streams, eight_at_wire_rate) { .cards = 8, .params = WIRE };

FIXTURE_SETUP(streams)
{
	const char *dir = getenv("DMUS_RAW_DIR") ?: "/opt/dmus/raw";
	char params[128];
	struct dirent *de;
	DIR *d;

	self->nfiles = 0;
	if (geteuid())
		SKIP(return, "needs root");
	d = opendir(dir);
	ASSERT_NE(NULL, d) TH_LOG("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) && self->nfiles < RAW_MAX) {
		struct raw_file *f = &self->files[self->nfiles];
		struct stat st;
		FILE *fp;

		if (!strstr(de->d_name, ".raw"))
			continue;
		snprintf(f->path, sizeof(f->path), "%s/%s", dir, de->d_name);
		ASSERT_EQ(0, stat(f->path, &st));
		f->len = st.st_size;
		f->data = malloc(f->len);
		ASSERT_NE(NULL, f->data);
		fp = fopen(f->path, "rb");
		ASSERT_NE(NULL, fp);
		ASSERT_EQ(f->len, fread(f->data, 1, f->len, fp));
		fclose(fp);
		self->nfiles++;
	}
	closedir(d);
	qsort(self->files, self->nfiles, sizeof(self->files[0]), cmp_raw);
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
	snprintf(params, sizeof(params), "virt=%d %s", variant->cards, variant->params);
	ASSERT_EQ(0, dmus_load(params));
}

FIXTURE_TEARDOWN(streams)
{
	int i;

	for (i = 0; i < self->nfiles; i++)
		free(self->files[i].data);
	dmus_unload();
}

TEST_F_TIMEOUT(streams, every_card_loops_back_real_midi_files_at_once, 600)
{
	struct streamer s[8];
	pthread_barrier_t start;
	int cards[8], n, i, files = 0, exact = 0;
	long long t0, total = 0, wire_ns;
	struct dmus_sys_load l0, l1;
	double ref_ms, secs;

	n = dmus_cards(cards, 8);
	ASSERT_EQ(variant->cards, n);
	ASSERT_LT(30, self->nfiles);
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, n + 1));
	/* Card i takes files i, i + n, ...: every file once, all cards at once. */
	for (i = 0; i < n; i++) {
		s[i] = (struct streamer){
			.card = cards[i], .cpu = i % 2, .index = i, .step = n,
			.files = self->files, .nfiles = self->nfiles, .start = &start,
		};
		ASSERT_EQ(0, pthread_create(&s[i].th, NULL, streamer_main, &s[i]));
	}
	/*
	 * The reference loop and the kernel's softirq figures, printed with
	 * the time the streams took: a slow run is told from a slow boot.
	 */
	ref_ms = dmus_reference_loop_ms();
	l0 = dmus_sys_load_now();
	t0 = now_ns();
	pthread_barrier_wait(&start);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, join_within(s[i].th, 500)) TH_LOG("card %d hangs", cards[i]);
	}
	secs = (now_ns() - t0) / 1e9;
	l1 = dmus_sys_load_now();
	wire_ns = 10000000000LL / 312500;	/* WIRE's byte time */
	for (i = 0; i < n; i++) {
		total += s[i].bytes;
		TH_LOG("card %d: %lld bytes in %.2f s: %.0f bytes/s, %.1f%% of the wire rate",
		       cards[i], s[i].bytes, s[i].ns / 1e9, s[i].bytes / (s[i].ns / 1e9),
		       100.0 * s[i].bytes * wire_ns / (double)s[i].ns);
	}
	TH_LOG("timing: streams %.1f s, reference loop %.0f ms (clocksource %s); per byte looped back: "
	       "%.2f tasklet runs, ksoftirqd %.0f us; irq %lld, softirq %lld ticks",
	       secs, ref_ms, dmus_clocksource(), (l1.tasklets - l0.tasklets) / (double)(total ?: 1),
	       (l1.ksoftirqd_ns - l0.ksoftirqd_ns) / 1e3 / (double)(total ?: 1),
	       l1.irq_ticks - l0.irq_ticks, l1.softirq_ticks - l0.softirq_ticks);
	for (i = 0; i < n; i++) {
		files += s[i].sent;
		exact += s[i].exact;
		EXPECT_EQ(s[i].sent, s[i].exact) TH_LOG("card %d: %s", cards[i], s[i].first_bad);
		/* /proc/asound counts what each cable carried */
		EXPECT_EQ(s[i].bytes, midi_counter(cards[i], "Tx bytes")) TH_LOG("card %d", cards[i]);
		EXPECT_EQ(s[i].bytes, midi_counter(cards[i], "Rx bytes")) TH_LOG("card %d", cards[i]);
	}
	TH_LOG("%d cards: %d of %d files byte-exact in %.1f s", n, exact, files,
	       (now_ns() - t0) / 1e9);
	for (i = 0; i < n; i++)
		EXPECT_LT(0, s[i].sent) TH_LOG("card %d sent nothing", cards[i]);
	EXPECT_EQ(files, exact);
	if (files != exact) {
		for (i = 0; i < n; i++)
			log_card(cards[i]);
		log_virt();
		log_klog("overrun");
	}
	/* Every card still loops back, one after the other. */
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(rawmidi_round_trip(cards[i]))
			TH_LOG("card %d no longer loops back", cards[i]);
	}
	pthread_barrier_destroy(&start);
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_HARNESS_MAIN
