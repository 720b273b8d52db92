// SPDX-License-Identifier: GPL-2.0
/*
 * The DMus device of snd-dmus-mpu401 (rust/uapi/snd_dmus.h) used the way no
 * single-threaded player uses it, on a virtual MPU-401:
 * - several threads writing on the one writer file: each write queues all
 *   its events or none (the STATUS queue count says which);
 * - STOP racing writes and the render pump: after STOP returns, nothing
 *   written before it is queued, and nothing plays at the next RUN;
 * - poll on a writer of long SysEx: no POLLOUT while the allocator has no
 *   buffer for the next one, though the queue has events to spare;
 * - io_uring reads and writes that name an offset: a file reads its own
 *   records and writes as itself, whatever offset the request names;
 * - a write's events queued with bounded work under the feed lock (the
 *   port's debugfs counts the links one queueing walks), also for times
 *   that land before a queued far-future event.
 * The kernel log stays free of warnings.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>
#include <sound/asound.h>
#include "dmus_lib.h"
#include "kselftest_harness.h"
#include "dmus_dev.h"

#define ROUNDS 40
#define WRITERS 4
/* Events a write holds: four buffers of this many. */
#define PER_BUFFER 250
#define PER_WRITE (4 * PER_BUFFER)

FIXTURE(race) {
	struct dmus_virt_dev v;
	char feed[300];		/* the port's debugfs feed file */
};

FIXTURE_SETUP(race)
{
	const char *failed;

	if (geteuid())
		SKIP(return, "needs root");
	failed = dmus_virt_dev_load(&self->v);
	ASSERT_TRUE(failed == NULL) TH_LOG("cannot %s", failed);
	snprintf(self->feed, sizeof(self->feed),
		 "/sys/kernel/debug/snd-dmus-mpu401-card%d/feed", self->v.card);
}

FIXTURE_TEARDOWN(race)
{
	char line[512];

	dmus_unload();
	EXPECT_FALSE(klog_warning(line, sizeof(line))) TH_LOG("kernel log: %s", line);
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* Fills @w with one write of PER_WRITE events (four buffers) at @t, note @note. */
static void big_write(struct wbuf *w, __s64 t, unsigned char note)
{
	int b, i;

	w->len = 0;
	for (b = 0; b < 4; b++) {
		wb_buffer(w, t);
		for (i = 0; i < PER_BUFFER; i++)
			wb_event(w, 0, STRUCT, MIDI(0x93, note, 0x40));
	}
}

/* --- several writers on one file ------------------------------------------ */

struct writer {
	int fd;
	__s64 t;		/* presentation time of every event */
	pthread_barrier_t *start;
	volatile int *stop;	/* set: leave the loop */
	volatile int *inflight;	/* writes in progress, all threads */
	int ok, eagain, ebadfd, other, other_err;
	struct wbuf w;
};

/* Writes big writes on w->fd until the queue has no room (or *stop). */
static void *write_until_full(void *arg)
{
	struct writer *wr = arg;

	big_write(&wr->w, wr->t, 0x3c);
	pthread_barrier_wait(wr->start);
	while (!*wr->stop) {
		int err;

		__atomic_add_fetch(wr->inflight, 1, __ATOMIC_SEQ_CST);
		err = wb_write(wr->fd, &wr->w);
		__atomic_sub_fetch(wr->inflight, 1, __ATOMIC_SEQ_CST);
		if (!err) {
			wr->ok++;
		} else if (err == EAGAIN) {
			wr->eagain++;
			break;
		} else {
			wr->other++;
			wr->other_err = err;
			break;
		}
	}
	return NULL;
}

/*
 * WRITERS threads write on one non-blocking writer file until the queue is
 * full, from an empty queue, ROUNDS times. A write either queues all its
 * events (it returns its length) or none (EAGAIN): the queue then holds
 * exactly PER_WRITE events per successful write. A write that queued some
 * of its buffers and failed would leave more.
 */
TEST_F(race, concurrent_writes_queue_all_or_nothing)
{
	struct writer *wr = calloc(WRITERS, sizeof(*wr));
	volatile int stop = 0, inflight = 0;
	pthread_barrier_t start;
	pthread_t th[WRITERS];
	int w, round, i, bad = 0;
	__s64 far;

	ASSERT_NE(NULL, wr);
	w = open(self->v.dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, w);
	ASSERT_LT(PER_WRITE * 2, (int)self->v.info.queue_size);
	far = ahead(w, 600000000LL);		/* a minute ahead: nothing plays */
	for (round = 0; round < ROUNDS; round++) {
		struct snd_dmus_status st;
		int ok = 0;

		ASSERT_EQ(0, pthread_barrier_init(&start, NULL, WRITERS));
		for (i = 0; i < WRITERS; i++) {
			wr[i] = (struct writer){ .fd = w, .t = far, .start = &start,
						 .stop = &stop, .inflight = &inflight };
			ASSERT_EQ(0, pthread_create(&th[i], NULL, write_until_full, &wr[i]));
		}
		for (i = 0; i < WRITERS; i++) {
			ASSERT_EQ(0, pthread_join(th[i], NULL));
			ok += wr[i].ok;
			EXPECT_EQ(0, wr[i].other)
				TH_LOG("round %d: a write failed with %s, not EAGAIN", round,
				       strerror(wr[i].other_err));
		}
		pthread_barrier_destroy(&start);
		st = dstatus(w);
		if (st.queued != (__u64)ok * PER_WRITE && bad++ < 5)
			TH_LOG("round %d: %d writes of %d events returned success, %llu events queued",
			       round, ok, PER_WRITE, (unsigned long long)st.queued);
		EXPECT_EQ((__u64)ok * PER_WRITE, st.queued);
		/* The queue is full: less room than one write. */
		EXPECT_GT(PER_WRITE, (int)st.free_events);
		ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_STOP));
		EXPECT_EQ(0ULL, dstatus(w).queued);
		ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_RUN));
	}
	close(w);
	free(wr);
}

/* --- STOP against writes and the pump -------------------------------------- */

struct hammer {
	int fd;
	volatile int *stop, *hold, *inflight;
	struct wbuf w;
	long writes;
};

/* Writes events due at once (each write 200 notes), until *stop; waits while *hold. */
static void *write_due(void *arg)
{
	struct hammer *h = arg;
	int i;

	while (!*h->stop) {
		if (*h->hold) {
			usleep(1000);
			continue;
		}
		__atomic_add_fetch(h->inflight, 1, __ATOMIC_SEQ_CST);
		if (*h->hold) {
			__atomic_sub_fetch(h->inflight, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		wb_reset(&h->w, dclock(h->fd).master);
		for (i = 0; i < 200; i++)
			wb_event(&h->w, 0, STRUCT, MIDI(0x92, 0x40, 0x40));
		if (!wb_write(h->fd, &h->w))
			h->writes++;
		__atomic_sub_fetch(h->inflight, 1, __ATOMIC_SEQ_CST);
		usleep(200);
	}
	return NULL;
}

/*
 * Two threads write events due at once while the main thread moves the
 * stream to STOP and back to RUN. Once STOP has returned and the writes in
 * flight have returned, nothing is queued (a write that passed its state
 * check before the STOP must not queue after it), and after RUN, with no
 * write since, nothing reaches the wire: no event was parked in the stopped
 * render stream by a pump pass that raced the STOP.
 */
TEST_F(race, stop_leaves_nothing_to_play_at_the_next_run)
{
	volatile int stop = 0, hold = 0, inflight = 0;
	struct hammer h[2];
	pthread_t th[2];
	int w, round, i, queued_bad = 0, played_bad = 0;

	w = open(self->v.dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, w);
	for (i = 0; i < 2; i++) {
		h[i] = (struct hammer){ .fd = w, .stop = &stop, .hold = &hold,
					.inflight = &inflight };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, write_due, &h[i]));
	}
	for (round = 0; round < ROUNDS; round++) {
		struct snd_dmus_status st;
		long long t0;
		size_t n;

		usleep(5000 + (round % 7) * 3000);
		ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_STOP));
		hold = 1;
		while (__atomic_load_n(&inflight, __ATOMIC_SEQ_CST))
			usleep(100);
		st = dstatus(w);
		if (st.queued && queued_bad++ < 5)
			TH_LOG("round %d: %llu events queued in STOP after every write returned",
			       round, (unsigned long long)st.queued);
		EXPECT_EQ(0ULL, st.queued);
		/* What the chip's FIFO held at STOP leaves the wire. */
		dmus_wait_chip_tx_idle();
		usleep(20000);
		t0 = now_ns();
		ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_RUN));
		usleep(150000);
		n = dmus_wire_since(self->v.dbg, self->v.byte_ns, t0);
		if (n && played_bad++ < 5)
			TH_LOG("round %d: %zu bytes on the wire after RUN, none written since",
			       round, n);
		EXPECT_EQ(0, (int)n);
		hold = 0;
	}
	stop = 1;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	EXPECT_LT(0, h[0].writes + h[1].writes);
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_STOP));
	EXPECT_EQ(0ULL, dstatus(w).queued);
	close(w);
}

/* --- poll ------------------------------------------------------------------- */

/*
 * A non-blocking writer of long SysEx runs the allocator out of buffers
 * (a record of more than 8 MIDI bytes takes one per 256) long before the
 * queue is out of events: poll must not say POLLOUT then, or the writer
 * spins between poll and EAGAIN. STOP frees the buffers: POLLOUT again.
 */
TEST_F(race, pollout_waits_for_sysex_buffers_too)
{
	unsigned char sx[1024];
	struct pollfd pfd;
	int w, n, err = 0;
	__s64 far;

	sx[0] = 0xf0;
	memset(sx + 1, 0x11, sizeof(sx) - 2);
	sx[sizeof(sx) - 1] = 0xf7;
	w = open(self->v.dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, w);
	far = ahead(w, 600000000LL);
	for (n = 0; n < 200 && !err; n++) {
		wb_reset(&wb, far);
		wb_event(&wb, n, RAW, sx, sizeof(sx));
		err = wb_write(w, &wb);
	}
	ASSERT_EQ(EAGAIN, err) TH_LOG("write %d of a 1 KiB SysEx", n);
	/* Events to spare, buffers none. */
	EXPECT_LT(self->v.info.queue_size / 2, dstatus(w).free_events);
	pfd = (struct pollfd){ .fd = w, .events = POLLOUT };
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("POLLOUT with no buffer for the next SysEx");
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_STOP));
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_RUN));
	pfd = (struct pollfd){ .fd = w, .events = POLLOUT };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLOUT);
	close(w);
}

/* --- io_uring ---------------------------------------------------------------- */

/* One io_uring instance, set up with raw syscalls, for one request at a time. */
struct uring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

/* 0, or -errno (-ENOSYS: a kernel without io_uring). */
static int uring_init(struct uring *u)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	u->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (u->fd < 0)
		return -errno;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		  IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		  IORING_OFF_CQ_RING);
	u->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || u->sqes == MAP_FAILED)
		return -errno;
	u->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	u->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	u->sq_array = (unsigned int *)(sq + p.sq_off.array);
	u->cq_head = (unsigned int *)(cq + p.cq_off.head);
	u->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	u->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* One @op (IORING_OP_READ, IORING_OP_WRITE) at offset @off, waited for: its result. */
static int uring_rw(struct uring *u, int op, int fd, void *buf, unsigned int len, __u64 off)
{
	unsigned int tail = *u->sq_tail, idx = tail & *u->sq_mask, head;
	struct io_uring_sqe *sqe = &u->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, u->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = __atomic_load_n(u->cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE))
		return -EIO;
	res = u->cqes[head & *u->cq_mask].res;
	__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/*
 * Two readers, A opened first: the slot numbers the device gives are 0 and 1.
 * A message comes back over the cable to both. An io_uring READ on A naming
 * offset 1 reads A's record (the offset is not a way to another file's
 * position): A has nothing left, and B still reads its own. (A read on a file
 * with nothing to read waits in io_uring even with O_NONBLOCK, so only reads
 * that find a record are issued.) An io_uring WRITE on the writer naming a
 * reader's offset still writes as the writer.
 */
TEST_F(race, io_uring_offsets_reach_no_other_file)
{
	static const unsigned char note[] = { 0x90, 0x3c, 0x40 };
	struct pollfd pfd[2];
	unsigned char buf[4096];
	unsigned int bflags = 0;
	struct snd_dmus_buffer h;
	struct uring u;
	struct rec r[8];
	int a, b, m, wfd, n, res;

	res = uring_init(&u);
	if (res == -ENOSYS)
		SKIP(return, "no io_uring in this kernel");
	ASSERT_EQ(0, res) TH_LOG("io_uring_setup: %s", strerror(-res));
	a = open(self->v.dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	b = open(self->v.dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	m = open(self->v.midi, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_EQ(3, write(m, note, sizeof(note)));
	close(m);
	pfd[0] = (struct pollfd){ .fd = a, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = b, .events = POLLIN };
	for (n = 0; n < 300 && poll(pfd, 2, 10) < 2; n++)
		;
	ASSERT_TRUE((pfd[0].revents & POLLIN) && (pfd[1].revents & POLLIN))
		TH_LOG("the note did not come back to both readers");

	res = uring_rw(&u, IORING_OP_READ, a, buf, sizeof(buf), 1);
	ASSERT_LT(SND_DMUS_BUFFER_SIZE, res) TH_LOG("io_uring READ on A at offset 1: %d", res);
	memcpy(&h, buf, sizeof(h));
	EXPECT_EQ(SND_DMUS_EVENT_SIZE(3), (int)h.cb_data);
	/* A's record was the one read: none left for A, B's own is there. */
	EXPECT_EQ(-1, read(a, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno) TH_LOG("A still had a record: the io_uring read took B's");
	n = read_recs(b, r, 8, 1, 3, &bflags);
	EXPECT_EQ(1, n) TH_LOG("B's own record");
	if (n >= 1)
		EXPECT_TRUE(rec_is(&r[0], note, 3));

	/* A writer's io_uring write naming a reader's offset is still the writer's. */
	wfd = open(self->v.dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	wb_reset(&wb, ahead(wfd, 600000000LL));
	wb_event(&wb, 0, STRUCT, MIDI(0x90, 0x3c, 0x40));
	res = uring_rw(&u, IORING_OP_WRITE, wfd, wb.d, wb.len, 0);
	EXPECT_EQ((int)wb.len, res) TH_LOG("io_uring WRITE on the writer at offset 0: %d", res);
	EXPECT_EQ(1ULL, dstatus(wfd).queued);
	/* And a reader, at the writer's offset, cannot write. */
	res = uring_rw(&u, IORING_OP_WRITE, a, wb.d, wb.len, 2);
	EXPECT_GT(0, res);
	EXPECT_EQ(1ULL, dstatus(wfd).queued);
	close(wfd);
	close(a);
	close(b);
	close(u.fd);
}

/* --- bounded work under the feed lock ----------------------------------------- */

/*
 * One far-future event queued, then writes of ascending times before it:
 * each event lands between the queue's head and tail. Queueing a write may
 * walk the queue once (at most its length plus the write's), not once per
 * event. The longest hold of the feed lock (interrupts off) is printed for
 * this case and for a forward-ordered write of the same size; make bench
 * has the figures.
 */
#define ASCENDING_WRITES 2

/* ASCENDING_WRITES writes of 1000 events in time order from @base: 0 or errno. */
static int ascending_writes(int w, __s64 base)
{
	int k, i, err = 0;

	for (k = 0; k < ASCENDING_WRITES && !err; k++) {
		wb_reset(&wb, base + k * 10000);
		for (i = 0; i < 1000; i++)
			wb_event(&wb, i, STRUCT, MIDI(0x94, 0x3c, 0x40));
		err = wb_write(w, &wb);
	}
	return err;
}

TEST_F(race, queueing_a_write_walks_the_queue_at_most_once)
{
	long long steps, fwd_ns, worst_ns;
	int w, total = ASCENDING_WRITES * 1000;
	__s64 base, far;

	ASSERT_EQ(0, access(self->feed, R_OK)) TH_LOG("%s", self->feed);
	w = open(self->v.dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, w);
	base = ahead(w, 600000000LL);
	far = base + 6000000000LL;

	/* Forward order into an empty queue. */
	ASSERT_EQ(0, write_file(self->feed, "reset"));
	ASSERT_EQ(0, ascending_writes(w, base));
	fwd_ns = dmus_key_value(self->feed, "max_irqoff_ns");
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_STOP));
	ASSERT_EQ(0, set_state(w, SND_DMUS_STATE_RUN));

	/* Ascending times, all before one far-future event. */
	wb_reset(&wb, far);
	wb_event(&wb, 0, STRUCT, MIDI(0x94, 0x3c, 0x40));
	ASSERT_EQ(0, wb_write(w, &wb));
	ASSERT_EQ(0, write_file(self->feed, "reset"));
	ASSERT_EQ(0, ascending_writes(w, base));
	steps = dmus_key_value(self->feed, "max_insert_steps");
	worst_ns = dmus_key_value(self->feed, "max_irqoff_ns");
	TH_LOG("longest feed lock hold: forward %lld ns, before a far event %lld ns; %lld steps",
	       fwd_ns, worst_ns, steps);
	EXPECT_LE(0, steps);
	EXPECT_GE(total + 1 + 1000, steps) TH_LOG("links walked queueing one write: %lld", steps);
	EXPECT_EQ((__u64)total + 1, dstatus(w).queued);
	close(w);
}

TEST_HARNESS_MAIN
