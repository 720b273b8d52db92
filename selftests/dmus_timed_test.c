// SPDX-License-Identifier: GPL-2.0
/*
 * The DMus device of snd-dmus-mpu401 (rust/uapi/snd_dmus.h) on a virtual
 * MPU-401 whose cable loops OUT to IN at 31250 baud, watched through the
 * cable's debugfs log (the arrival time of every byte):
 * - the master clock is CLOCK_MONOTONIC in 100 ns units;
 * - one writer across the DMus device and the rawmidi output, at most eight
 *   open files, no unload while open;
 * - written events start on the wire at their presentation time, not before,
 *   equal times in write order; late events play at once and are counted;
 *   malformed writes are EINVAL and queue nothing;
 * - PAUSE holds, RUN plays, STOP discards; DRAIN waits for the wire; DROP
 *   discards and silences the channels used; a full queue is EAGAIN;
 * - read returns what the cable brings back, stamped with its arrival time,
 *   running status expanded, long SysEx in pieces; poll and two readers.
 * The kernel log stays free of warnings.
 */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <sound/asound.h>
#include "dmus_lib.h"
#include "snd_dmus.h"
#include "kselftest_harness.h"

#include "dmus_dev.h"
/* --- the fixture --------------------------------------------------------- */

FIXTURE(dmus) {
	struct dmus_virt_dev v;
	int fds[MAX_FDS];
	int nfds;
};

/* Opens @path with @flags, kept for the teardown to close; the fd or -errno. */
static int xopen(FIXTURE_DATA(dmus) *self, const char *path, int flags)
{
	int fd = open_guarded(path, flags);

	if (fd < 0)
		return -errno;
	if (self->nfds < MAX_FDS)
		self->fds[self->nfds++] = fd;
	return fd;
}

static int dopen(FIXTURE_DATA(dmus) *self, int flags)
{
	return xopen(self, self->v.dev, flags);
}

static int xclose(FIXTURE_DATA(dmus) *self, int fd)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] == fd)
			self->fds[i] = self->fds[--self->nfds];
	return close(fd);
}

/* The bytes that arrived at IN at or after @since_ns, into wire[]; how many. */
static size_t wire_since(FIXTURE_DATA(dmus) *self, long long since_ns)
{
	return dmus_wire_since(self->v.dbg, self->v.byte_ns, since_ns);
}

/* The complete messages on the wire since @since_ns, into msgs[]; how many. */
static int wire_msgs(FIXTURE_DATA(dmus) *self, long long since_ns)
{
	return parse_msgs(wire_since(self, since_ns));
}

/* Waits up to WAIT_MS for @want complete messages since @since_ns; how many there are. */
static int wait_msgs(FIXTURE_DATA(dmus) *self, long long since_ns, int want)
{
	long long end = now_ns() + WAIT_MS * MS;
	int n;

	while ((n = wire_msgs(self, since_ns)) < want && now_ns() < end)
		usleep(10000);
	return n;
}

FIXTURE_SETUP(dmus)
{
	const char *failed;

	self->nfds = 0;
	if (geteuid())
		SKIP(return, "needs root");
	failed = dmus_virt_dev_load(&self->v);
	ASSERT_TRUE(failed == NULL) TH_LOG("cannot %s", failed);
	ASSERT_EQ(320000, self->v.byte_ns);
}

FIXTURE_TEARDOWN(dmus)
{
	char line[512];

	while (self->nfds)
		close(self->fds[--self->nfds]);
	dmus_unload();
	EXPECT_FALSE(klog_warning(line, sizeof(line))) TH_LOG("kernel log: %s", line);
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* --- device, clock, opens ------------------------------------------------- */

TEST_F(dmus, info_and_clock_count_monotonic_time_in_100ns)
{
	struct snd_hwdep_info hi;
	struct snd_dmus_clock c;
	long long t0, t1;
	int fd = dopen(self, O_RDONLY), version = 0, i;

	ASSERT_LE(0, fd);
	memset(&hi, 0, sizeof(hi));
	ASSERT_EQ(0, ioctl(fd, SNDRV_HWDEP_IOCTL_INFO, &hi));
	EXPECT_STREQ(SND_DMUS_HWDEP_ID, (const char *)hi.id);
	EXPECT_EQ(self->v.card, hi.card);
	EXPECT_EQ(SND_DMUS_HWDEP_IFACE, hi.iface);
	ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_PVERSION, &version));
	EXPECT_EQ(SND_DMUS_PROTOCOL_VERSION, version);

	EXPECT_EQ((__u32)SND_DMUS_PROTOCOL_VERSION, self->v.info.version);
	EXPECT_EQ(1U, self->v.info.channel_groups);
	EXPECT_EQ((__u32)SND_DMUS_WRITE_MAX, self->v.info.write_max);
	EXPECT_LT(0U, self->v.info.queue_size);
	EXPECT_LT(0U, self->v.info.capture_size);
	EXPECT_EQ(32U, self->v.info.capture_piece);
	EXPECT_LE(0, self->v.info.prefetch);
	EXPECT_NE(0, self->v.info.name[0]);
	EXPECT_NE(NULL, memchr(self->v.info.name, '\0', sizeof(self->v.info.name)));
	EXPECT_EQ(-1, ioctl(fd, _IO('H', 0xdf)));
	EXPECT_EQ(ENOTTY, errno);

	for (i = 0; i < 3; i++) {
		t0 = now_ns();
		ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_CLOCK, &c));
		t1 = now_ns();
		EXPECT_LE(t0, c.monotonic_ns);
		EXPECT_GE(t1, c.monotonic_ns);
		/* master is the same instant in 100 ns units (rounded either way) */
		EXPECT_LE(c.monotonic_ns / 100 - 1, c.master);
		EXPECT_GE(c.monotonic_ns / 100 + 1, c.master);
		EXPECT_LE(c.master, c.latency);
		usleep(5000);
	}
}

TEST_F(dmus, one_writer_across_dmus_and_rawmidi)
{
	int w, r, m;

	/* The DMus writer first. */
	w = dopen(self, O_WRONLY);
	ASSERT_LE(0, w);
	EXPECT_EQ(-EBUSY, dopen(self, O_WRONLY));
	EXPECT_EQ(-EBUSY, dopen(self, O_RDWR));
	/* O_NONBLOCK: a busy rawmidi stream makes a blocking open wait (ALSA). */
	EXPECT_EQ(-EBUSY, xopen(self, self->v.midi, O_WRONLY | O_NONBLOCK));
	EXPECT_EQ(-EBUSY, xopen(self, self->v.midi, O_RDWR | O_NONBLOCK));
	r = dopen(self, O_RDONLY);
	EXPECT_LE(0, r);
	EXPECT_EQ(0, xclose(self, w));

	/* O_RDWR makes a writer too. */
	w = dopen(self, O_RDWR);
	ASSERT_LE(0, w);
	EXPECT_EQ(-EBUSY, dopen(self, O_WRONLY));
	EXPECT_EQ(-EBUSY, xopen(self, self->v.midi, O_WRONLY | O_NONBLOCK));
	EXPECT_EQ(0, xclose(self, w));

	/* The rawmidi output first. */
	m = xopen(self, self->v.midi, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, m);
	EXPECT_EQ(-EBUSY, dopen(self, O_WRONLY));
	EXPECT_EQ(-EBUSY, dopen(self, O_RDWR));
	r = dopen(self, O_RDONLY);
	EXPECT_LE(0, r);
	EXPECT_EQ(0, xclose(self, m));

	/* Free again. */
	w = dopen(self, O_WRONLY);
	EXPECT_LE(0, w);
}

TEST_F(dmus, at_most_eight_open_files)
{
	int fd[8], i, w;

	w = dopen(self, O_WRONLY);
	ASSERT_LE(0, w);
	for (i = 0; i < 7; i++) {
		fd[i] = dopen(self, O_RDONLY);
		ASSERT_LE(0, fd[i]) TH_LOG("reader %d", i + 1);
	}
	EXPECT_EQ(-EBUSY, dopen(self, O_RDONLY));
	EXPECT_EQ(0, xclose(self, fd[0]));
	fd[0] = dopen(self, O_RDONLY);
	EXPECT_LE(0, fd[0]);
	EXPECT_EQ(-EBUSY, dopen(self, O_RDONLY));
	/* Readers alone: eight of them. */
	EXPECT_EQ(0, xclose(self, w));
	fd[7] = dopen(self, O_RDONLY);
	EXPECT_LE(0, fd[7]);
	EXPECT_EQ(-EBUSY, dopen(self, O_RDONLY));
}

/* Opens @arg's rawmidi node for writing as soon as the DMus writer lets it. */
struct opener {
	const char *path;
	int fd;
};

static void *open_when_free(void *arg)
{
	struct opener *o = arg;
	long long end = now_ns() + 5000 * MS;

	do
		o->fd = open(o->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	while (o->fd < 0 && errno == EBUSY && now_ns() < end);
	return NULL;
}

/*
 * A DMus writer that closes with events queued drops them, sends All Notes
 * Off and stops the render stream; only then may a rawmidi writer have the
 * cable, or its stream is stopped under it. A thread opens rawmidi the moment
 * it can while the DMus writer closes; what it writes then plays, whole and
 * in order.
 */
TEST_F(dmus, writer_close_gives_up_the_cable_last)
{
	static const unsigned char pat[] = { 0x99, 0x3c, 0x40, 0x89, 0x3c, 0x00 };
	struct opener o = { .path = self->v.midi, .fd = -1 };
	pthread_t th;
	long long t0;
	int round, w, n;

	for (round = 0; round < 3; round++) {
		w = dopen(self, O_WRONLY);
		ASSERT_LE(0, w);
		wb_reset(&wb, ahead(w, 10000 * TICKS_MS));
		wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x40, 0x40));
		ASSERT_EQ(0, wb_write(w, &wb));
		o.fd = -1;
		ASSERT_EQ(0, pthread_create(&th, NULL, open_when_free, &o));
		usleep(20000);
		EXPECT_EQ(0, xclose(self, w));
		ASSERT_EQ(0, pthread_join(th, NULL));
		ASSERT_LE(0, o.fd) TH_LOG("round %d: rawmidi open: %s", round, strerror(errno));
		/* After anything the DMus close may still do (it waits up to 100 ms). */
		usleep(200000);
		dmus_wait_chip_tx_idle();
		t0 = now_ns();
		EXPECT_EQ((ssize_t)sizeof(pat), write(o.fd, pat, sizeof(pat)));
		n = wait_msgs(self, t0, 2);
		EXPECT_EQ(2, n) TH_LOG("round %d: the rawmidi writer's messages on the wire", round);
		if (n >= 2) {
			EXPECT_TRUE(msg_is(&msgs[0], pat, 3)) TH_LOG("round %d", round);
			EXPECT_TRUE(msg_is(&msgs[1], pat + 3, 3)) TH_LOG("round %d", round);
		}
		close(o.fd);
	}
}

TEST_F(dmus, unload_refused_while_open)
{
	int fd, ret;

	fd = dopen(self, O_WRONLY);
	ASSERT_LE(0, fd);
	/* delete_module(O_NONBLOCK) of a module in use: -EWOULDBLOCK from the kernel */
	ret = dmus_unload();
	EXPECT_TRUE(ret == -EBUSY || ret == -EWOULDBLOCK) TH_LOG("delete_module: %d", ret);
	EXPECT_TRUE(dmus_loaded());
	EXPECT_EQ(0, xclose(self, fd));

	fd = dopen(self, O_RDONLY);
	ASSERT_LE(0, fd);
	ret = dmus_unload();
	EXPECT_TRUE(ret == -EBUSY || ret == -EWOULDBLOCK) TH_LOG("delete_module: %d", ret);
	EXPECT_TRUE(dmus_loaded());
	EXPECT_EQ(0, xclose(self, fd));

	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_loaded());
}

/* --- writing: times ------------------------------------------------------- */

TEST_F(dmus, events_start_on_the_wire_at_their_time_in_write_order)
{
	static const struct {
		unsigned char b[8];
		size_t len;
		long long at;		/* ms after P */
	} want[] = {
		{ { 0x90, 0x3c, 0x40 }, 3, 0 },
		{ { 0xb2, 0x07, 0x64 }, 3, 5 },		/* third buffer, earlier time */
		{ { 0x91, 0x3e, 0x40 }, 3, 10 },
		{ { 0x80, 0x3c, 0x00 }, 3, 20 },
		{ { 0x81, 0x3e, 0x00 }, 3, 20 },	/* equal time: write order */
		{ { 0xc5, 0x07 }, 2, 20 },		/* second buffer, equal time */
		{ { 0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7 }, 6, 30 },
	};
	struct snd_dmus_status st;
	long long t0 = now_ns();
	int w = dopen(self, O_WRONLY), n, i;
	__s64 p;

	ASSERT_LE(0, w);
	/* A new writer: RUN, counters at 0. */
	st = dstatus(w);
	EXPECT_EQ((__u32)SND_DMUS_STATE_RUN, st.state);
	EXPECT_EQ(0ULL, st.queued);
	EXPECT_EQ(0ULL, st.played);
	EXPECT_EQ(0ULL, st.late);
	p = ahead(w, 50 * TICKS_MS);
	/* Three buffers in one write, each with its own rt_start. */
	wb_reset(&wb, p);
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	wb_event_g(&wb, 10 * TICKS_MS, 0 /* all groups */, STRUCT, MIDI(0x91, 0x3e, 0x40));
	wb_event(&wb, 20 * TICKS_MS, STRUCT, MIDI(0x80, 0x3c, 0x00));
	wb_event(&wb, 20 * TICKS_MS, STRUCT, MIDI(0x81, 0x3e, 0x00));
	wb_buffer(&wb, p + 10 * TICKS_MS);
	wb_event(&wb, 10 * TICKS_MS, STRUCT, MIDI(0xc5, 0x07));
	wb_event(&wb, 20 * TICKS_MS, RAW, MIDI(0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7));
	wb_buffer(&wb, p);
	wb_event(&wb, 5 * TICKS_MS, STRUCT, MIDI(0xb2, 0x07, 0x64));
	ASSERT_EQ(0, wb_write(w, &wb));

	n = wait_msgs(self, t0, 7);
	ASSERT_EQ(7, n) log_msgs("wire", n);
	for (i = 0; i < n; i++) {
		long long at = (p + want[i].at * TICKS_MS) * 100;
		long long start = wire[msgs[i].first].start_ns;

		EXPECT_TRUE(msg_is(&msgs[i], want[i].b, want[i].len))
			log_msgs("wire", n);
		EXPECT_LE(at, start) TH_LOG("message %d started %lld ns early", i, at - start);
		EXPECT_GE(at + LATE_NS, start) TH_LOG("message %d started %lld ns late", i,
						       start - at);
	}
	/* Nothing else followed. */
	usleep(20000);
	EXPECT_EQ(7, wire_msgs(self, t0));
	st = dstatus(w);
	EXPECT_EQ(0ULL, st.queued);
	EXPECT_EQ(7ULL, st.played);
	EXPECT_EQ(0ULL, st.late);
	EXPECT_EQ((__u32)SND_DMUS_STATE_RUN, st.state);
	EXPECT_EQ(self->v.info.queue_size, st.free_events);
}

TEST_F(dmus, late_event_plays_at_once_and_is_counted)
{
	struct snd_dmus_status st;
	long long t0 = now_ns(), t1;
	int w = dopen(self, O_WRONLY);
	__s64 p;

	ASSERT_LE(0, w);
	p = dclock(w).master - 10 * TICKS_MS;		/* 10 ms ago */
	wb_reset(&wb, p);
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	t1 = now_ns();
	ASSERT_EQ(1, wait_msgs(self, t0, 1));
	EXPECT_TRUE(msg_is(&msgs[0], MIDI(0x90, 0x3c, 0x40)));
	EXPECT_GE(t1 + LATE_NS, wire[msgs[0].first].start_ns);
	st = dstatus(w);
	EXPECT_EQ(1ULL, st.late);
	EXPECT_EQ(1ULL, st.played);
	EXPECT_EQ(0ULL, st.queued);
	EXPECT_LE(10 * TICKS_MS, st.max_lateness);
}

/* A write that must fail with EINVAL and leave the one queued event alone. */
#define EXPECT_REFUSED(fd, buf, count, what) do { \
	ssize_t ret_ = write(fd, buf, count); \
	int err_ = errno; \
	EXPECT_EQ(-1, ret_) TH_LOG("%s: accepted", what); \
	EXPECT_EQ(EINVAL, err_) TH_LOG("%s: %s", what, strerror(err_)); \
	EXPECT_EQ(1ULL, dstatus(fd).queued) TH_LOG("%s: queue changed", what); \
} while (0)

/* @w: one buffer at @far with one good event (channel 3, never played here). */
static void good_far(struct wbuf *w, __s64 far)
{
	wb_reset(w, far);
	wb_event(w, 0, STRUCT, MIDI(0x93, 0x40, 0x40));
}

TEST_F(dmus, malformed_writes_are_einval_and_queue_nothing)
{
	static const struct {
		const char *what;
		unsigned char b[4];
		size_t len;
	} not_one_message[] = {
		{ "structured 90 40", { 0x90, 0x40 }, 2 },
		{ "structured 90 40 40 40", { 0x90, 0x40, 0x40, 0x40 }, 4 },
		{ "structured data byte first", { 0x40, 0x40, 0x40 }, 3 },
		{ "structured SysEx", { 0xf0, 0x01, 0xf7 }, 3 },
		{ "structured F7 alone", { 0xf7 }, 1 },
	};
	long long t0 = now_ns();
	int w = dopen(self, O_WRONLY), i;
	size_t off;
	__s64 far;

	ASSERT_LE(0, w);
	far = ahead(w, self->v.info.prefetch + 2000 * TICKS_MS);
	good_far(&wb, far);
	ASSERT_EQ(0, wb_write(w, &wb));
	ASSERT_EQ(1ULL, dstatus(w).queued);

	/* Each case: the good event, then what is wrong, in the same write. */
	EXPECT_REFUSED(w, wb.d, 8, "count 8");
	EXPECT_REFUSED(w, wb.d, SND_DMUS_BUFFER_SIZE - 1, "count 15");

	good_far(&wb, far);
	memset(wb.d + wb.len, 0, 8);
	EXPECT_REFUSED(w, wb.d, wb.len + 8, "count past the buffers");
	EXPECT_REFUSED(w, wb.d, wb.len - 8, "count short of cb_data");
	wb_buffer(&wb, far);
	EXPECT_REFUSED(w, wb.d, wb.len - 4, "count ends inside a header");

	good_far(&wb, far);
	wb_buffer(&wb, far);
	wb_event(&wb, 0, STRUCT, MIDI(0x93, 0x41, 0x40));
	wb_pad(&wb, 4);
	EXPECT_REFUSED(w, wb.d, wb.len, "cb_data 28");

	good_far(&wb, far);
	wb_buffer(&wb, far);
	wb_event(&wb, 0, STRUCT, MIDI(0x93, 0x41, 0x40));
	put32(&wb, wb.head + offsetof(struct snd_dmus_buffer, flags), SND_DMUS_BUFFER_OVERRUN);
	EXPECT_REFUSED(w, wb.d, wb.len, "buffer flags 1");

	good_far(&wb, far);
	off = wb_event(&wb, 0, RAW, MIDI(0xf7));
	put32(&wb, off + offsetof(struct snd_dmus_event, cb_event), 0);
	EXPECT_REFUSED(w, wb.d, wb.len, "cb_event 0");

	good_far(&wb, far);
	off = wb_event(&wb, 0, STRUCT, MIDI(0x93, 0x41, 0x40));
	put32(&wb, off + offsetof(struct snd_dmus_event, cb_event), 12);
	EXPECT_REFUSED(w, wb.d, wb.len, "record past cb_data");

	for (i = 0; i < (int)ARRAY_SIZE(not_one_message); i++) {
		good_far(&wb, far);
		wb_event(&wb, 0, STRUCT, not_one_message[i].b, not_one_message[i].len);
		EXPECT_REFUSED(w, wb.d, wb.len, not_one_message[i].what);
	}

	good_far(&wb, far);
	wb_event_g(&wb, 0, 2, STRUCT, MIDI(0x93, 0x41, 0x40));
	EXPECT_REFUSED(w, wb.d, wb.len, "channel_group 2");

	good_far(&wb, far);
	wb_buffer(&wb, INT64_MAX);
	wb_event(&wb, 1, STRUCT, MIDI(0x93, 0x41, 0x40));
	EXPECT_REFUSED(w, wb.d, wb.len, "rt_start + rt_delta overflows");

	good_far(&wb, far);
	wb_event(&wb, 0, SND_DMUS_EVENT_INCOMPLETE, MIDI(0xf0, 0x01, 0xf7));
	EXPECT_REFUSED(w, wb.d, wb.len, "event flags INCOMPLETE");
	good_far(&wb, far);
	wb_event(&wb, 0, STRUCT | 0x100, MIDI(0x93, 0x41, 0x40));
	EXPECT_REFUSED(w, wb.d, wb.len, "event flags 0x101");

	/* One SysEx of 64 KiB: a well-formed buffer of more than WRITE_MAX bytes. */
	good_far(&wb, far);
	{
		static unsigned char sysex[SND_DMUS_WRITE_MAX];

		memset(sysex, 0x11, sizeof(sysex));
		sysex[0] = 0xf0;
		sysex[sizeof(sysex) - 1] = 0xf7;
		wb_event(&wb, 0, RAW, sysex, sizeof(sysex));
	}
	ASSERT_LT((size_t)SND_DMUS_WRITE_MAX, wb.len);
	EXPECT_REFUSED(w, wb.d, wb.len, "count > SND_DMUS_WRITE_MAX");

	/* The writer still works: the next good write plays, and only it. */
	wb_reset(&wb, ahead(w, AHEAD));
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	EXPECT_EQ(2ULL, dstatus(w).queued);
	ASSERT_EQ(1, wait_msgs(self, t0, 1));
	usleep(20000);
	EXPECT_EQ(1, wire_msgs(self, t0)) log_msgs("wire", wire_msgs(self, t0));
	EXPECT_TRUE(msg_is(&msgs[0], MIDI(0x90, 0x3c, 0x40)));
	EXPECT_EQ(1ULL, dstatus(w).queued);
}

/* --- states, drain, drop, a full queue ------------------------------------ */

TEST_F(dmus, pause_holds_run_plays_stop_discards)
{
	struct snd_dmus_status st;
	long long t0, t1;
	int w = dopen(self, O_WRONLY), r = dopen(self, O_RDONLY), n, i;
	__s64 p;

	ASSERT_LE(0, w);
	ASSERT_LE(0, r);
	EXPECT_EQ(SND_DMUS_STATE_RUN, get_state(w));
	EXPECT_EQ(EINVAL, set_state(w, 4));
	EXPECT_EQ(SND_DMUS_STATE_RUN, get_state(w));
	/* A reader controls nothing. */
	EXPECT_EQ(EPERM, set_state(r, SND_DMUS_STATE_PAUSE));
	EXPECT_EQ(EPERM, do_ioctl(r, SND_DMUS_IOCTL_DRAIN));
	EXPECT_EQ(EPERM, do_ioctl(r, SND_DMUS_IOCTL_DROP));
	EXPECT_EQ(SND_DMUS_STATE_RUN, get_state(w));

	/* PAUSE: nothing plays, even after its time. */
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_PAUSE));
	EXPECT_EQ(SND_DMUS_STATE_PAUSE, get_state(w));
	t0 = now_ns();
	p = ahead(w, 20 * TICKS_MS);
	wb_reset(&wb, p);
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	wb_event(&wb, 5 * TICKS_MS, STRUCT, MIDI(0x90, 0x3e, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	sleep_until_ns((p + 5 * TICKS_MS) * 100 + 60 * MS);
	EXPECT_EQ(0U, wire_since(self, t0));
	st = dstatus(w);
	EXPECT_EQ(2ULL, st.queued);
	EXPECT_EQ((__u32)SND_DMUS_STATE_PAUSE, st.state);

	/* RUN: both play at once, in order. */
	t1 = now_ns();
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_RUN));
	n = wait_msgs(self, t0, 2);
	ASSERT_EQ(2, n);
	EXPECT_TRUE(msg_is(&msgs[0], MIDI(0x90, 0x3c, 0x40)));
	EXPECT_TRUE(msg_is(&msgs[1], MIDI(0x90, 0x3e, 0x40)));
	for (i = 0; i < n; i++) {
		EXPECT_LE(t1, wire[msgs[i].first].start_ns);
		EXPECT_GE(t1 + LATE_NS, wire[msgs[i].first].start_ns);
	}
	st = dstatus(w);
	EXPECT_EQ(0ULL, st.queued);
	EXPECT_EQ(2ULL, st.played);

	/* STOP: the queue is emptied, writes are refused until RUN. */
	t0 = now_ns();
	p = ahead(w, self->v.info.prefetch + 30 * TICKS_MS);
	wb_reset(&wb, p);
	wb_event(&wb, 0, STRUCT, MIDI(0x91, 0x3c, 0x40));
	wb_event(&wb, 1, STRUCT, MIDI(0x91, 0x3e, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	EXPECT_EQ(2ULL, dstatus(w).queued);
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_STOP));
	EXPECT_EQ(SND_DMUS_STATE_STOP, get_state(w));
	st = dstatus(w);
	EXPECT_EQ(0ULL, st.queued);
	EXPECT_EQ(self->v.info.queue_size, st.free_events);
	EXPECT_EQ((__u32)SND_DMUS_STATE_STOP, st.state);
	EXPECT_EQ(EBADFD, wb_write(w, &wb));
	sleep_until_ns(p * 100 + 50 * MS);
	EXPECT_EQ(0U, wire_since(self, t0));

	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_RUN));
	wb_reset(&wb, ahead(w, AHEAD));
	wb_event(&wb, 0, STRUCT, MIDI(0x92, 0x3c, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	ASSERT_EQ(1, wait_msgs(self, t0, 1));
	EXPECT_TRUE(msg_is(&msgs[0], MIDI(0x92, 0x3c, 0x40)));
}

TEST_F(dmus, drain_returns_after_the_last_byte_left_the_wire)
{
	unsigned char sysex[40];
	long long t0 = now_ns(), t1;
	int w = dopen(self, O_WRONLY), n;
	size_t last;
	__s64 p;

	ASSERT_LE(0, w);
	memset(sysex, 0x22, sizeof(sysex));
	sysex[0] = 0xf0;
	sysex[sizeof(sysex) - 1] = 0xf7;
	p = ahead(w, AHEAD);
	wb_reset(&wb, p);
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	wb_event(&wb, 5 * TICKS_MS, STRUCT, MIDI(0x90, 0x3e, 0x40));
	wb_event(&wb, 10 * TICKS_MS, STRUCT, MIDI(0x80, 0x3c, 0x00));
	wb_event(&wb, 10 * TICKS_MS, STRUCT, MIDI(0x80, 0x3e, 0x00));
	wb_event(&wb, 15 * TICKS_MS, RAW, sysex, sizeof(sysex));
	ASSERT_EQ(0, wb_write(w, &wb));
	ASSERT_EQ(0, do_ioctl(w, SND_DMUS_IOCTL_DRAIN));
	t1 = now_ns();

	n = wire_msgs(self, t0);
	ASSERT_EQ(5, n) log_msgs("wire", n);
	EXPECT_TRUE(msg_is(&msgs[0], MIDI(0x90, 0x3c, 0x40)));
	EXPECT_TRUE(msg_is(&msgs[1], MIDI(0x90, 0x3e, 0x40)));
	EXPECT_TRUE(msg_is(&msgs[2], MIDI(0x80, 0x3c, 0x00)));
	EXPECT_TRUE(msg_is(&msgs[3], MIDI(0x80, 0x3e, 0x00)));
	EXPECT_TRUE(msg_is(&msgs[4], sysex, sizeof(sysex)));
	last = msgs[4].first + sizeof(sysex) - 1;
	EXPECT_LE(wire[last].arrive_ns, t1);
	/* So it waited for the SysEx's time and its 40 bytes. */
	EXPECT_LE((p + 15 * TICKS_MS) * 100 + (long long)sizeof(sysex) * self->v.byte_ns, t1);
	EXPECT_EQ(0ULL, dstatus(w).queued);
	/* Nothing to wait for: returns at once. */
	EXPECT_EQ(0, do_ioctl(w, SND_DMUS_IOCTL_DRAIN));
}

TEST_F(dmus, drop_discards_and_silences_the_channels_used)
{
	bool off0 = false, off5 = false;
	long long t0 = now_ns(), t1;
	int w = dopen(self, O_WRONLY), n, i;
	__s64 p;

	ASSERT_LE(0, w);
	/* Channels 0 and 5 play. */
	wb_reset(&wb, ahead(w, 20 * TICKS_MS));
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	wb_event(&wb, 0, STRUCT, MIDI(0x95, 0x40, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	ASSERT_EQ(2, wait_msgs(self, t0, 2));

	/* More notes on them, dropped before their time. */
	t1 = now_ns();
	p = ahead(w, self->v.info.prefetch + 100 * TICKS_MS);
	wb_reset(&wb, p);
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x50, 0x40));
	wb_event(&wb, 0, STRUCT, MIDI(0x95, 0x51, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	EXPECT_EQ(2ULL, dstatus(w).queued);
	ASSERT_EQ(0, do_ioctl(w, SND_DMUS_IOCTL_DROP));
	EXPECT_EQ(0ULL, dstatus(w).queued);
	sleep_until_ns(p * 100 + 50 * MS);

	n = wire_msgs(self, t1);
	for (i = 0; i < n; i++) {
		const struct msg *m = &msgs[i];

		/* No note starts after the drop: the dropped ones never play. */
		EXPECT_FALSE(m->len == 3 && (m->b[0] & 0xf0) == 0x90 && m->b[2])
			log_msgs("after DROP", n);
		if (msg_is(m, MIDI(0xb0, 0x7b, 0x00)))
			off0 = true;
		if (msg_is(m, MIDI(0xb5, 0x7b, 0x00)))
			off5 = true;
	}
	EXPECT_TRUE(off0) log_msgs("after DROP", n);
	EXPECT_TRUE(off5) log_msgs("after DROP", n);
	/* The writer goes on. */
	EXPECT_EQ(SND_DMUS_STATE_RUN, get_state(w));
}

TEST_F(dmus, full_queue_is_eagain_and_not_writable)
{
	struct pollfd pfd;
	__u32 free_events, k, i;
	int w = dopen(self, O_WRONLY | O_NONBLOCK);
	__s64 far;

	ASSERT_LE(0, w);
	far = ahead(w, self->v.info.prefetch + 10000 * TICKS_MS);
	free_events = dstatus(w).free_events;
	ASSERT_EQ(self->v.info.queue_size, free_events);
	pfd = (struct pollfd){ .fd = w, .events = POLLOUT };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLOUT);

	/* Fill it up to 3 free events, 2000 events a write. */
	while (free_events > 3) {
		k = free_events - 3 < 2000 ? free_events - 3 : 2000;
		wb_reset(&wb, far);
		for (i = 0; i < k; i++)
			wb_event(&wb, i, STRUCT, MIDI(0x94, 0x3c, 0x40));
		ASSERT_EQ(0, wb_write(w, &wb));
		free_events -= k;
		ASSERT_EQ(free_events, dstatus(w).free_events);
	}
	/* Four do not fit: all refused; three do. */
	wb_reset(&wb, far);
	for (i = 0; i < 4; i++)
		wb_event(&wb, i, STRUCT, MIDI(0x94, 0x3c, 0x40));
	EXPECT_EQ(EAGAIN, wb_write(w, &wb));
	EXPECT_EQ(3U, dstatus(w).free_events);
	wb_reset(&wb, far);
	for (i = 0; i < 3; i++)
		wb_event(&wb, i, STRUCT, MIDI(0x94, 0x3c, 0x40));
	EXPECT_EQ(0, wb_write(w, &wb));
	EXPECT_EQ(0U, dstatus(w).free_events);
	EXPECT_EQ((__u64)self->v.info.queue_size, dstatus(w).queued);

	/* Full: no POLLOUT, and one more event is EAGAIN. */
	pfd = (struct pollfd){ .fd = w, .events = POLLOUT };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	wb_reset(&wb, far);
	wb_event(&wb, 0, STRUCT, MIDI(0x94, 0x3c, 0x40));
	EXPECT_EQ(EAGAIN, wb_write(w, &wb));

	/* STOP empties it: room again. */
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_STOP));
	EXPECT_EQ(self->v.info.queue_size, dstatus(w).free_events);
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_RUN));
	pfd = (struct pollfd){ .fd = w, .events = POLLOUT };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLOUT);
}

/* --- reading ------------------------------------------------------------- */

TEST_F(dmus, read_returns_the_loopback_stamped_with_its_arrival)
{
	static const struct {
		unsigned char b[8];
		size_t len;
		__u32 flags;		/* written and read */
	} sent[] = {
		{ { 0x90, 0x3c, 0x40 }, 3, STRUCT },
		{ { 0xb1, 0x07, 0x64 }, 3, STRUCT },
		{ { 0xc2, 0x05 }, 2, STRUCT },
		{ { 0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7 }, 6, RAW },
		{ { 0xe3, 0x00, 0x40 }, 3, STRUCT },
		{ { 0xf6 }, 1, STRUCT },
		{ { 0x80, 0x3c, 0x00 }, 3, STRUCT },
		{ { 0x80, 0x3e, 0x00 }, 3, STRUCT },	/* may go out as running status */
	};
	const int count = ARRAY_SIZE(sent);
	static struct rec r[REC_MAX];
	unsigned int bflags = 0;
	long long t0 = now_ns();
	int rd = dopen(self, O_RDONLY), w = dopen(self, O_WRONLY), n, i, captured;
	__s64 p;

	ASSERT_LE(0, rd);
	ASSERT_LE(0, w);
	p = ahead(w, AHEAD);
	wb_reset(&wb, p);
	for (i = 0; i < count; i++)
		wb_event(&wb, i * 3 * TICKS_MS, sent[i].flags, sent[i].b, sent[i].len);
	ASSERT_EQ(0, wb_write(w, &wb));

	n = read_recs(rd, r, REC_MAX, count, 24 /* bytes sent */, &bflags);
	captured = n;
	n = join_sysex(r, n);
	ASSERT_EQ(count, n);
	ASSERT_EQ(count, wait_msgs(self, t0, count)) log_msgs("wire", count);
	EXPECT_EQ(0U, bflags & SND_DMUS_BUFFER_OVERRUN);
	for (i = 0; i < count; i++) {
		long long arrival = wire[msgs[i].first].arrive_ns / 100;

		EXPECT_TRUE(msg_is(&msgs[i], sent[i].b, sent[i].len)) log_msgs("wire", count);
		EXPECT_TRUE(rec_is(&r[i], sent[i].b, sent[i].len)) TH_LOG("record %d", i);
		EXPECT_EQ(sent[i].flags, r[i].flags) TH_LOG("record %d", i);
		EXPECT_EQ(1U, r[i].group);
		EXPECT_LE(arrival, r[i].time) TH_LOG("record %d stamped before its arrival", i);
		EXPECT_GE(arrival + LATE_NS / 100, r[i].time) TH_LOG("record %d", i);
		if (i) {
			EXPECT_LE(r[i - 1].time, r[i].time);
		}
	}
	EXPECT_EQ((__u64)captured, dstatus(w).captured);
}

TEST_F(dmus, read_expands_running_status_sent_through_rawmidi)
{
	static const unsigned char raw[] = {
		0x90, 0x3c, 0x40, 0x3e, 0x40, 0x80, 0x3c, 0x00, 0x3e, 0x00,
	};
	static const unsigned char want[][3] = {
		{ 0x90, 0x3c, 0x40 }, { 0x90, 0x3e, 0x40 },
		{ 0x80, 0x3c, 0x00 }, { 0x80, 0x3e, 0x00 },
	};
	/* where each message starts on the wire */
	static const size_t first[] = { 0, 3, 5, 8 };
	static struct rec r[REC_MAX];
	unsigned int bflags = 0;
	long long t0 = now_ns();
	int rd = dopen(self, O_RDONLY), m, n, i;
	size_t len;

	ASSERT_LE(0, rd);
	/* A DMus reader does not keep the rawmidi output from opening. */
	m = xopen(self, self->v.midi, O_WRONLY);
	ASSERT_LE(0, m);
	ASSERT_EQ((ssize_t)sizeof(raw), write(m, raw, sizeof(raw)));

	n = read_recs(rd, r, REC_MAX, 4, 0, &bflags);
	ASSERT_EQ(4, n);
	/* The cable carried the running status as written. */
	len = wire_since(self, t0);
	ASSERT_EQ(sizeof(raw), len);
	for (i = 0; i < (int)len; i++) {
		EXPECT_EQ(raw[i], wire[i].b);
	}
	for (i = 0; i < n; i++) {
		long long arrival = wire[first[i]].arrive_ns / 100;

		EXPECT_TRUE(rec_is(&r[i], want[i], 3)) TH_LOG("record %d", i);
		EXPECT_EQ((__u32)STRUCT, r[i].flags);
		EXPECT_LE(arrival, r[i].time);
		EXPECT_GE(arrival + LATE_NS / 100, r[i].time);
	}
}

TEST_F(dmus, long_sysex_comes_back_in_pieces)
{
	static struct rec r[REC_MAX];
	unsigned char sysex[300], back[sizeof(sysex)];
	unsigned int bflags = 0;
	long long t0 = now_ns(), arrival;
	int rd = dopen(self, O_RDONLY), w = dopen(self, O_WRONLY), n, i;
	size_t i0, got = 0;

	ASSERT_LE(0, rd);
	ASSERT_LE(0, w);
	for (i = 0; i < (int)sizeof(sysex); i++)
		sysex[i] = i % 0x80;
	sysex[0] = 0xf0;
	sysex[sizeof(sysex) - 1] = 0xf7;
	wb_reset(&wb, ahead(w, AHEAD));
	wb_event(&wb, 0, RAW, sysex, sizeof(sysex));
	ASSERT_EQ(0, wb_write(w, &wb));

	n = read_recs(rd, r, REC_MAX, 1, sizeof(sysex), &bflags);
	ASSERT_LE((int)((sizeof(sysex) + 31) / 32), n);
	ASSERT_GE(REC_MAX, n);
	ASSERT_EQ(1, wait_msgs(self, t0, 1));
	EXPECT_TRUE(msg_is(&msgs[0], sysex, sizeof(sysex)));
	i0 = msgs[0].first;
	arrival = wire[i0].arrive_ns / 100;
	for (i = 0; i < n; i++) {
		EXPECT_LE(1U, r[i].cb);
		EXPECT_GE(self->v.info.capture_piece, r[i].cb) TH_LOG("piece %d", i);
		EXPECT_EQ(i < n - 1 ? (__u32)SND_DMUS_EVENT_INCOMPLETE : 0U, r[i].flags)
			TH_LOG("piece %d of %d", i, n);
		EXPECT_LE(arrival, r[i].time);
		/* stamped with the arrival of the piece's own first byte */
		if (got < sizeof(sysex)) {
			long long own = wire[i0 + got].arrive_ns / 100;

			EXPECT_LE(own, r[i].time) TH_LOG("piece %d", i);
			EXPECT_GE(own + LATE_NS / 100, r[i].time) TH_LOG("piece %d", i);
		}
		if (i) {
			EXPECT_LE(r[i - 1].time, r[i].time);
		}
		if (got + r[i].cb <= sizeof(back) && r[i].cb <= sizeof(r[i].b))
			memcpy(back + got, r[i].b, r[i].cb);
		got += r[i].cb;
	}
	ASSERT_EQ(sizeof(sysex), got);
	EXPECT_EQ(0, memcmp(sysex, back, sizeof(sysex)));
}

TEST_F(dmus, read_errors_and_poll)
{
	static const unsigned char note[] = { 0x90, 0x3c, 0x40 };
	unsigned char buf[256];
	__u32 cb;
	struct snd_dmus_buffer h;
	struct pollfd pfd;
	long long t0 = now_ns(), t1;
	int rd = dopen(self, O_RDONLY | O_NONBLOCK), w = dopen(self, O_WRONLY);
	size_t n;

	ASSERT_LE(0, rd);
	ASSERT_LE(0, w);
	pfd = (struct pollfd){ .fd = w, .events = POLLOUT };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLOUT);
	/* Nothing captured yet. */
	pfd = (struct pollfd){ .fd = rd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(-1, read(rd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* A reader cannot write. */
	EXPECT_EQ(-1, write(rd, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);

	wb_reset(&wb, ahead(w, 20 * TICKS_MS));
	wb_event(&wb, 0, STRUCT, note, sizeof(note));
	ASSERT_EQ(0, wb_write(w, &wb));
	pfd = (struct pollfd){ .fd = rd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	t1 = now_ns();
	EXPECT_TRUE(pfd.revents & POLLIN);
	/* Not before the message was in. */
	n = wire_since(self, t0);
	ASSERT_EQ(3U, n);
	EXPECT_LE(wire[2].arrive_ns, t1);

	EXPECT_EQ(-1, read(rd, buf, 39));
	EXPECT_EQ(EINVAL, errno);
	/* The smallest read takes one buffer of one short record. */
	ASSERT_EQ(SND_DMUS_BUFFER_SIZE + SND_DMUS_EVENT_SIZE(3), read(rd, buf, 40));
	memcpy(&h, buf, sizeof(h));
	EXPECT_EQ((__u32)SND_DMUS_EVENT_SIZE(3), h.cb_data);
	memcpy(&cb, buf + SND_DMUS_BUFFER_SIZE + offsetof(struct snd_dmus_event, cb_event), 4);
	EXPECT_EQ(3U, cb);
	EXPECT_EQ(0, memcmp(buf + SND_DMUS_BUFFER_SIZE + SND_DMUS_EVENT_HEADER_SIZE, note, 3));
	/* Consumed: nothing left. */
	pfd = (struct pollfd){ .fd = rd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(-1, read(rd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(dmus, two_readers_get_every_record)
{
	static struct rec r1[REC_MAX], r2[REC_MAX];
	unsigned int f1 = 0, f2 = 0;
	int a = dopen(self, O_RDONLY), b = dopen(self, O_RDONLY), w = dopen(self, O_WRONLY), i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, w);
	wb_reset(&wb, ahead(w, 20 * TICKS_MS));
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	wb_event(&wb, 3 * TICKS_MS, STRUCT, MIDI(0xc1, 0x10));
	wb_event(&wb, 6 * TICKS_MS, RAW, MIDI(0xf0, 0x01, 0x02, 0xf7));
	ASSERT_EQ(0, wb_write(w, &wb));
	/* 9 bytes: the SysEx may come in pieces (joined here). */
	ASSERT_EQ(3, join_sysex(r1, read_recs(a, r1, REC_MAX, 3, 9, &f1)));
	ASSERT_EQ(3, join_sysex(r2, read_recs(b, r2, REC_MAX, 3, 9, &f2)));
	EXPECT_TRUE(rec_is(&r1[0], MIDI(0x90, 0x3c, 0x40)));
	EXPECT_TRUE(rec_is(&r1[1], MIDI(0xc1, 0x10)));
	EXPECT_TRUE(rec_is(&r1[2], MIDI(0xf0, 0x01, 0x02, 0xf7)));
	for (i = 0; i < 3; i++) {
		EXPECT_TRUE(rec_is(&r2[i], r1[i].b, r1[i].cb)) TH_LOG("record %d", i);
		EXPECT_EQ(r1[i].time, r2[i].time);
		EXPECT_EQ(r1[i].flags, r2[i].flags);
	}
}

/* --- signals, card removal, a reader that falls behind -------------------- */

static void on_signal(int sig)
{
	(void)sig;
}

/* Sends SIGALRM after @ms without SA_RESTART: a blocked call returns EINTR. */
static void alarm_in_ms(int ms)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itimerval it = { .it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

TEST_F(dmus, signal_interrupts_a_blocked_read_write_and_drain)
{
	unsigned char buf[256];
	int rd = dopen(self, O_RDONLY), w = dopen(self, O_WRONLY);
	long long t0;
	ssize_t n;

	ASSERT_LE(0, rd);
	ASSERT_LE(0, w);
	/* A read with nothing captured blocks until the signal. */
	t0 = now_ns();
	alarm_in_ms(200);
	n = read(rd, buf, sizeof(buf));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINTR, errno);
	EXPECT_LE(150 * MS, now_ns() - t0);
	/* A drain of an event 5 s ahead blocks until the signal; nothing is lost. */
	wb_reset(&wb, ahead(w, 5000 * TICKS_MS));
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	t0 = now_ns();
	alarm_in_ms(200);
	EXPECT_EQ(-1, ioctl(w, SND_DMUS_IOCTL_DRAIN));
	EXPECT_EQ(EINTR, errno);
	EXPECT_GT(1000 * MS, now_ns() - t0);
	EXPECT_EQ(1U, dstatus(w).queued);
	/* Pause: a write waiting for room (none comes) is interrupted too. */
	set_state(w, SND_DMUS_STATE_PAUSE);
	while (dstatus(w).free_events >= 2000) {
		wb_reset(&wb, ahead(w, 5000 * TICKS_MS));
		for (int i = 0; i < 2000; i++)
			wb_event(&wb, 0, STRUCT, MIDI(0xf8));
		ASSERT_EQ(0, wb_write(w, &wb));
	}
	wb_reset(&wb, ahead(w, 5000 * TICKS_MS));
	for (int i = 0; i < 2000; i++)
		wb_event(&wb, 0, STRUCT, MIDI(0xf8));
	alarm_in_ms(200);
	EXPECT_EQ(EINTR, wb_write(w, &wb));
	EXPECT_EQ(0, ioctl(w, SND_DMUS_IOCTL_DROP));
	EXPECT_EQ(0U, dstatus(w).queued);
}

TEST_F(dmus, blocked_reader_gets_enodev_when_the_card_goes)
{
	static const char unbind[] = "/sys/bus/platform/drivers/snd_dmus_mpu401_virt/unbind";
	struct pollfd pfd;
	unsigned char buf[256];
	int rd = dopen(self, O_RDONLY), status, fd;
	pid_t child;
	ssize_t n;

	ASSERT_LE(0, rd);
	ASSERT_EQ(0, access(unbind, W_OK));
	/* The child unbinds the virtual MPU-401 (its platform device
	 * snd_dmus_mpu401_virt.0); that waits until the card's files are closed. */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* The forked copy of the reader's file would keep the card. */
		close(rd);
		usleep(300000);
		fd = open(unbind, O_WRONLY);
		_exit(fd < 0 || write(fd, "snd_dmus_mpu401_virt.0", 22) != 22 ? 1 : 0);
	}
	alarm_in_ms(5000);	/* a hang fails instead of blocking the run */
	n = read(rd, buf, sizeof(buf));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ENODEV, errno);
	alarm_in_ms(0);
	pfd = (struct pollfd){ .fd = rd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & (POLLERR | POLLHUP));
	n = read(rd, buf, sizeof(buf));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ENODEV, errno);
	xclose(self, rd);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_NE(0, access(self->v.dev, F_OK));
}

TEST_F(dmus, reader_that_falls_behind_is_told_of_the_overrun)
{
	const int sent = 4500;
	unsigned int flags = 0;
	int rd = dopen(self, O_RDONLY | O_NONBLOCK), w = dopen(self, O_WRONLY), i, k, n = 0;
	static unsigned char buf[65536];
	ssize_t len;
	__s64 p;

	ASSERT_LE(0, rd);
	ASSERT_LE(0, w);
	/* 4500 one-byte messages (timing clock) loop back while the reader sleeps:
	 * the capture log keeps the last INFO.capture_size of them. */
	p = ahead(w, AHEAD);
	for (i = 0; i < sent; i += k) {
		k = sent - i < 1500 ? sent - i : 1500;
		wb_reset(&wb, p);
		while (k-- > 0)
			wb_event(&wb, 0, STRUCT, MIDI(0xf8));
		ASSERT_EQ(0, wb_write(w, &wb));
		k = 1500;
	}
	ASSERT_EQ(0, ioctl(w, SND_DMUS_IOCTL_DRAIN));
	usleep(100000);
	EXPECT_LE((__u64)sent, dstatus(w).captured);
	while ((len = read(rd, buf, sizeof(buf))) > 0) {
		struct snd_dmus_buffer h;

		memcpy(&h, buf, sizeof(h));
		if (!n)
			flags = h.flags;
		else
			EXPECT_EQ(0U, h.flags & SND_DMUS_BUFFER_OVERRUN);
		n += h.cb_data / SND_DMUS_EVENT_SIZE(1);
	}
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_NE(0U, flags & SND_DMUS_BUFFER_OVERRUN);
	EXPECT_EQ((int)self->v.info.capture_size, n);
}

TEST_HARNESS_MAIN
