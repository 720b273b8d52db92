// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer for snd-dmus-mpu401 on a virtual MPU-401 whose cable loops OUT to
 * IN. For $DMUS_FUZZ_OPS operations (100000 unless set), chosen by a PRNG
 * seeded from $DMUS_FUZZ_SEED (else from the time; the seed is printed and
 * reproduces the sequence), it opens and closes the rawmidi node and the DMus
 * device in every mode, writes random bytes, mutated MIDI and valid and
 * mutated DMus buffers, reads, polls, issues the devices' ioctls with random
 * arguments and random ioctl numbers, and moves the DMus stream through its
 * states. It checks that:
 * - every call that fails, fails with an errno that the DMus manual
 *   (Documentation/dmus-device.rst) or ALSA's rawmidi and hwdep cores give
 *   for that call in that situation; writers, readers and the one-writer and
 *   eight-file rules are kept; a valid DMus buffer is taken whole (or waits
 *   for room); a DMus read returns one well-formed buffer; poll reports no
 *   error; GET_STATE and STATUS report the state last set;
 * - no call takes more than OP_SLOW_MS; one not back after HANG_S is
 *   reported with its kernel stack (a watchdog process) and fails the test;
 * - afterwards the DMus device plays and captures, the rawmidi node loops
 *   back messages and a real MIDI file byte-exact, and the kernel log has no
 *   oops, warning, KASAN, UBSAN or lockdep report.
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <sound/asound.h>
#include "dmus_lib.h"
#include "snd_dmus.h"
#include "kselftest_harness.h"

#define MAX_FILES 10		/* files kept open: the DMus device takes 8 */
#define DMUS_MAX_FILES 8	/* the DMus device's limit (the manual) */
#define OP_SLOW_MS 5000		/* a call taking longer is too slow */
#define HANG_S 60		/* a call not back after this is a hang */
#define TICKS_MS 10000LL	/* 1 ms in master-clock units (100 ns) */
#define RING 24			/* operations shown before a failure */
#define MAX_REPORTS 20		/* failures logged in full */
#define ARENA_PAGES 20		/* memory for arguments, a guard page after it */
#define WBUF_MAX (SND_DMUS_WRITE_MAX + 4096)
#define EHIST 160		/* errno histogram size */

/* ioctl numbers the kernel knows beside the uapi ones. */
#define RAWMIDI_IOCTL_STATUS32 _IOC(_IOC_READ | _IOC_WRITE, 'W', 0x20, 36)

/* A set of errnos as a bit mask (EBADFD, 77, takes bit 63). */
#define E(x) ((x) == EBADFD ? 1ULL << 63 : 1ULL << (x))

enum op {
	OP_OPEN_RAW, OP_OPEN_DMUS, OP_CLOSE, OP_WRITE_RANDOM, OP_WRITE_MIDI,
	OP_WRITE_DMUS, OP_READ, OP_POLL, OP_IOCTL, OP_IOCTL_RANDOM,
	OP_SET_STATE, OP_DRAIN, OP_DROP, OP_FCNTL, OP_COUNT
};

static const struct {
	const char *name;
	int weight;
} ops[OP_COUNT] = {
	/* A close drains (rawmidi) or sends notes-off (DMus writer): slow. */
	[OP_OPEN_RAW] = { "open_raw", 1 },
	[OP_OPEN_DMUS] = { "open_dmus", 1 },
	[OP_CLOSE] = { "close", 2 },
	[OP_WRITE_RANDOM] = { "write_random", 8 },
	[OP_WRITE_MIDI] = { "write_midi", 12 },
	[OP_WRITE_DMUS] = { "write_dmus", 22 },
	[OP_READ] = { "read", 13 },
	[OP_POLL] = { "poll", 8 },
	[OP_IOCTL] = { "ioctl", 14 },
	[OP_IOCTL_RANDOM] = { "ioctl_random", 5 },
	[OP_SET_STATE] = { "set_state", 6 },
	[OP_DRAIN] = { "drain", 1 },
	[OP_DROP] = { "drop", 1 },
	[OP_FCNTL] = { "fcntl", 3 },
};

struct ffile {
	int fd;
	bool dmus;		/* the DMus device, else the rawmidi node */
	bool rd, wr;		/* opened for reading, for writing */
	bool nonblock;		/* reads and writes do not wait */
	bool append;		/* rawmidi O_APPEND */
};

struct fuzz {
	unsigned long long seed, rng;
	long op, ops;
	enum op cur;			/* the operation running */
	int card;
	char dev[300], midi[64];
	struct snd_dmus_info info;
	struct ffile f[MAX_FILES];
	int nf;
	__u32 state;			/* the DMus stream's state as last set */
	long count[OP_COUNT];
	double max_ms[OP_COUNT], total_ms[OP_COUNT];
	long hist[EHIST];
	long bad;			/* checks that failed */
	long valid_taken, valid_sent;	/* valid DMus buffers written and taken */
	bool trace;
	char ring[RING][240];
	char desc[200];
	unsigned char *arena_end;	/* the guard page starts here */
};

static struct fuzz z;
static unsigned char wbuf[WBUF_MAX];

/* What the watchdog sees: shared with it. */
struct progress {
	volatile long op;
	char desc[200];
};

static struct progress *prog;

/* --- random numbers -------------------------------------------------------- */

static unsigned long long splitmix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: every operation draws from its own stream, seed and index. */
static unsigned long long rnd64(void)
{
	z.rng ^= z.rng >> 12;
	z.rng ^= z.rng << 25;
	z.rng ^= z.rng >> 27;
	return z.rng * 0x2545f4914f6cdd1dULL;
}

/* A number below @n (0 for 0). */
static unsigned long rnd(unsigned long n)
{
	return n ? rnd64() % n : 0;
}

/* A number from @lo to @hi. */
static long rnd_range(long lo, long hi)
{
	return lo + (long)rnd(hi - lo + 1);
}

/* True with probability @pct percent. */
static bool chance(int pct)
{
	return (int)rnd(100) < pct;
}

static void rnd_bytes(unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = rnd64() >> 32;
}

/* --- time and signals ------------------------------------------------------ */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Sends SIGALRM in @ms and every @ms after (without SA_RESTART: a call it
 * interrupts fails with EINTR; repeated, as the first may come before the
 * call waits); 0 disarms. Every call that may wait is made under it.
 */
static void guard(int ms)
{
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 },
		.it_interval = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/* The latency clock (SND_DMUS_IOCTL_CLOCK.latency) computed here. */
static __s64 latency_now(void)
{
	return now_ns() / 100 + z.info.prefetch + TICKS_MS;
}

/* --- reporting ------------------------------------------------------------- */

static const char *ename(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case EBADFD: return "EBADFD";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* Describes the current operation (kept in the ring of recent ones). */
static void describe(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(z.desc, sizeof(z.desc), fmt, ap);
	va_end(ap);
	if (prog)
		memcpy(prog->desc, z.desc, sizeof(prog->desc));
}

static void dump_ring(void)
{
	long i, first = z.op >= RING ? z.op - RING + 1 : 0;

	for (i = first; i <= z.op; i++)
		fprintf(stderr, "#   op %ld: %s\n", i, z.ring[i % RING]);
}

/*
 * A check failed: logs it (the first MAX_REPORTS) and counts it; the
 * operations before it are shown for the first failure and for the first
 * slow call.
 */
static void fail(const char *fmt, ...)
{
	static bool slow_shown;
	bool slow = !strncmp(fmt, "took", 4);
	va_list ap;

	if (z.bad < MAX_REPORTS) {
		fprintf(stderr, "# fuzz FAIL (seed %llu) op %ld [%s]: ", z.seed, z.op, z.desc);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
		if (!z.bad || (slow && !slow_shown)) {
			snprintf(z.ring[z.op % RING], sizeof(z.ring[0]), "%s: %s", ops[z.cur].name,
				 z.desc);
			fprintf(stderr, "# the operations before it:\n");
			dump_ring();
		}
	}
	slow_shown |= slow;
	z.bad++;
}

/*
 * The result of a call: @ret, errno @err. Fails unless it succeeded and
 * @may_succeed, or failed with an errno in @allowed. Returns whether it
 * succeeded.
 */
static bool check(long ret, int err, unsigned long long allowed, bool may_succeed)
{
	size_t n = strlen(z.desc);

	/* The result goes into the description (the trace and the ring). */
	if (ret >= 0)
		snprintf(z.desc + n, sizeof(z.desc) - n, " -> %ld", ret);
	else
		snprintf(z.desc + n, sizeof(z.desc) - n, " -> %s", ename(err));
	if (ret >= 0) {
		z.hist[0]++;
		if (!may_succeed)
			fail("succeeded (returned %ld), must fail", ret);
		return true;
	}
	z.hist[err < EHIST ? err : EHIST - 1]++;
	if (err >= 64 && err != EBADFD)
		fail("%s: not a documented errno here", ename(err));
	else if (!(allowed & E(err)))
		fail("%s: not a documented errno here", ename(err));
	return false;
}

/* --- the file table -------------------------------------------------------- */

static struct ffile *pick_file(void)
{
	return z.nf ? &z.f[rnd(z.nf)] : NULL;
}

static struct ffile *pick_kind(bool dmus)
{
	int idx[MAX_FILES], n = 0, i;

	for (i = 0; i < z.nf; i++)
		if (z.f[i].dmus == dmus)
			idx[n++] = i;
	return n ? &z.f[idx[rnd(n)]] : NULL;
}

static struct ffile *dmus_writer(void)
{
	int i;

	for (i = 0; i < z.nf; i++)
		if (z.f[i].dmus && z.f[i].wr)
			return &z.f[i];
	return NULL;
}

static bool raw_writer_open(void)
{
	int i;

	for (i = 0; i < z.nf; i++)
		if (!z.f[i].dmus && z.f[i].wr)
			return true;
	return false;
}

static int count_kind(bool dmus, bool rd)
{
	int i, n = 0;

	for (i = 0; i < z.nf; i++)
		if (z.f[i].dmus == dmus && (!rd || z.f[i].rd))
			n++;
	return n;
}

static const char *fname(const struct ffile *f)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s fd %d %s%s%s", f->dmus ? "dmus" : "raw", f->fd,
		 f->rd && f->wr ? "rw" : f->wr ? "w" : "r", f->nonblock ? " nb" : "",
		 f->append ? " app" : "");
	return buf;
}

/* --- argument memory --------------------------------------------------------- */

/*
 * @len bytes ending where the guard page starts: a call that reads or writes
 * past them faults (EFAULT), which a too-short argument is meant to show.
 */
static unsigned char *arena(size_t len)
{
	return z.arena_end - len;
}

/* --- MIDI and DMus buffers ---------------------------------------------------- */

/* One complete MIDI message (not SysEx) into @p; its length. */
static size_t gen_message(unsigned char *p)
{
	static const unsigned char common[] = { 0xf1, 0xf2, 0xf3, 0xf6 };
	static const unsigned char realtime[] = { 0xf8, 0xfa, 0xfb, 0xfc, 0xfe, 0xff };
	unsigned int kind = rnd(10);

	if (kind < 7) {
		unsigned char s = 0x80 | rnd(7) << 4 | rnd(16);

		p[0] = s;
		p[1] = rnd(128);
		if ((s & 0xf0) == 0xc0 || (s & 0xf0) == 0xd0)
			return 2;
		p[2] = rnd(128);
		return 3;
	}
	if (kind < 9) {
		p[0] = common[rnd(sizeof(common))];
		p[1] = rnd(128);
		p[2] = rnd(128);
		return p[0] == 0xf6 ? 1 : p[0] == 0xf2 ? 3 : 2;
	}
	p[0] = realtime[rnd(sizeof(realtime))];
	return 1;
}

/* A SysEx F0 ... F7 of @len >= 2 bytes into @p. */
static size_t gen_sysex(unsigned char *p, size_t len)
{
	size_t i;

	p[0] = 0xf0;
	for (i = 1; i < len - 1; i++)
		p[i] = rnd(128);
	p[len - 1] = 0xf7;
	return len;
}

/* Valid MIDI (running status, SysEx, real time inside) into @p; its length. */
static size_t gen_midi(unsigned char *p, size_t max)
{
	size_t len = 0, n = rnd_range(1, 40), i;
	unsigned char m[4];

	for (i = 0; i < n && len + 310 < max; i++) {
		size_t k = rnd(20);

		if (k == 0) {
			len += gen_sysex(p + len, rnd_range(2, 300));
		} else if (k == 1 && len && p[len - 1] < 0x80) {
			p[len++] = 0xf8;	/* real time between data bytes */
		} else {
			size_t ml = gen_message(m);

			/* running status: the status byte left out */
			if (len && m[0] < 0xf0 && chance(20) && ml > 1) {
				memcpy(p + len, m + 1, ml - 1);
				len += ml - 1;
			} else {
				memcpy(p + len, m, ml);
				len += ml;
			}
		}
	}
	return len;
}

/* Changes @p (of *@len bytes, room for @max) at random: flips, cuts, inserts. */
static void mutate(unsigned char *p, size_t *len, size_t max)
{
	int n = rnd_range(1, 4);

	while (n--) {
		size_t at = rnd(*len + 1), k;

		switch (rnd(6)) {
		case 0:		/* flip a bit */
			if (*len)
				p[rnd(*len)] ^= 1 << rnd(8);
			break;
		case 1:		/* a random byte */
			if (*len)
				p[rnd(*len)] = rnd(256);
			break;
		case 2:		/* cut the end */
			*len = rnd(*len + 1);
			break;
		case 3:		/* remove some bytes */
			k = rnd(8);
			if (at + k <= *len) {
				memmove(p + at, p + at + k, *len - at - k);
				*len -= k;
			}
			break;
		case 4:		/* insert random bytes */
			k = rnd_range(1, 8);
			if (*len + k <= max) {
				memmove(p + at + k, p + at, *len - at);
				rnd_bytes(p + at, k);
				*len += k;
			}
			break;
		default:	/* a 32-bit field set to a random or edge value */
			if (*len >= 4) {
				static const __u32 edge[] = {
					0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xffffffff, 65536,
				};
				__u32 v = chance(50) ? edge[rnd(8)] : (__u32)rnd64();

				at = rnd(*len - 3) & ~3UL;
				memcpy(p + at, &v, 4);
			}
			break;
		}
	}
}

static void put32(unsigned char *p, __u32 v)
{
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, __s64 v)
{
	memcpy(p, &v, 8);
}

/*
 * Valid DMus buffers into @p, presentation times near the latency clock
 * (some in the past, some up to 15 ms ahead); their length. At most four
 * SysEx of at most 600 bytes: well inside the queue's events and buffers.
 */
static size_t gen_dmus(unsigned char *p)
{
	size_t len = 0;
	int nbuf = chance(80) ? 1 : rnd_range(2, 3), b, sysex = 0;
	__s64 lat = latency_now();

	for (b = 0; b < nbuf; b++) {
		size_t head = len, nev = chance(90) ? rnd_range(1, 8) : rnd_range(9, 64), e;
		__s64 start = lat + rnd_range(-20 * TICKS_MS, 10 * TICKS_MS);

		memset(p + len, 0, SND_DMUS_BUFFER_SIZE);
		put64(p + len, start);
		len += SND_DMUS_BUFFER_SIZE;
		for (e = 0; e < nev; e++) {
			unsigned char *ev = p + len, *data = ev + SND_DMUS_EVENT_HEADER_SIZE;
			__u32 cb, flags = SND_DMUS_EVENT_STRUCTURED;
			__s64 delta = chance(90) ? rnd_range(0, 5 * TICKS_MS) :
						   -rnd_range(0, 2 * TICKS_MS);

			if (sysex < 4 && chance(10)) {
				cb = gen_sysex(data, rnd_range(2, 600));
				flags = 0;
				sysex++;
			} else {
				cb = gen_message(data);
				if (chance(5))
					flags = 0;	/* raw bytes, one message */
			}
			put32(ev, cb);
			put32(ev + 4, chance(80) ? 1 : 0);
			put64(ev + 8, delta);
			put32(ev + 16, flags);
			memset(data + cb, 0, SND_DMUS_EVENT_SIZE(cb) - SND_DMUS_EVENT_HEADER_SIZE - cb);
			len += SND_DMUS_EVENT_SIZE(cb);
		}
		put32(p + head + 8, len - head - SND_DMUS_BUFFER_SIZE);
	}
	return len;
}

/* Breaks a DMus write the ways the manual names (or at random); its new length. */
static size_t mutate_dmus(unsigned char *p, size_t len)
{
	size_t ev = SND_DMUS_BUFFER_SIZE;	/* the first record */

	switch (rnd(12)) {
	case 0:		/* cb_data not a multiple of 8, or past the end */
		put32(p + 8, rnd(2) ? len + 8 : len - SND_DMUS_BUFFER_SIZE + rnd_range(1, 7));
		break;
	case 1:		/* buffer flags */
		put32(p + 12, rnd64() | 1);
		break;
	case 2:		/* cb_event 0 or past cb_data */
		put32(p + ev, rnd(2) ? 0 : (__u32)rnd64());
		break;
	case 3:		/* channel group above 1 */
		put32(p + ev + 4, rnd_range(2, 0xffffffffL));
		break;
	case 4:		/* event flags */
		put32(p + ev + 16, rnd64() & ~(__u64)SND_DMUS_EVENT_STRUCTURED ?: 2);
		break;
	case 5:		/* a structured record that is not one message */
		put32(p + ev + 16, SND_DMUS_EVENT_STRUCTURED);
		p[ev + SND_DMUS_EVENT_HEADER_SIZE] = rnd(256);
		break;
	case 6:		/* time overflow */
		put64(p, INT64_MAX - rnd(1000));
		put64(p + ev + 8, INT64_MAX);
		break;
	case 7:		/* too long */
		memset(p + len, 0, SND_DMUS_WRITE_MAX + 8 - len);
		len = SND_DMUS_WRITE_MAX + rnd_range(1, 8);
		break;
	case 8:		/* shorter than a header */
		len = rnd(SND_DMUS_BUFFER_SIZE);
		break;
	case 9:		/* bytes after the last buffer */
		len += rnd_range(1, 40);
		break;
	case 10:	/* a time far away */
		put64(p, (__s64)rnd64());
		break;
	default:
		mutate(p, &len, WBUF_MAX);
		break;
	}
	return len;
}

/* --- expected errors of writes ----------------------------------------------- */

/*
 * The errnos a write to @f may fail with; @bad_ptr: its buffer is not all
 * readable, @null: it is NULL.
 */
static unsigned long long write_errors(const struct ffile *f, bool bad_ptr, bool null)
{
	unsigned long long e = 0;

	if (!f->wr)
		return E(EBADF);
	if (bad_ptr)
		e |= E(EFAULT);
	if (null && !f->dmus)
		e |= E(EINVAL);		/* ALSA's rawmidi: no buffer */
	if (f->append && !f->dmus)
		e |= E(EIO);		/* ALSA's rawmidi: more than its buffer, atomically */
	if (!f->nonblock)
		e |= E(EINTR);
	if (f->nonblock || f->append)
		e |= E(EAGAIN);
	if (f->dmus)
		e |= E(EINVAL) | E(EBADFD);
	return e;
}

/* write(2) to @f: a blocking file under a short guard. Sets errno. */
static long do_write(const struct ffile *f, const void *p, size_t len)
{
	long ret;
	int err;

	if (!f->nonblock)
		guard(20);
	ret = write(f->fd, p, len);
	err = errno;
	if (!f->nonblock)
		guard(0);
	errno = err;
	return ret;
}

/* Places @len bytes of wbuf at the end of the arena, sometimes cut short by the guard. */
static const void *write_ptr(size_t len, bool *bad)
{
	unsigned char *p;
	size_t room = (size_t)ARENA_PAGES * 4096;

	*bad = false;
	if (len && chance(2)) {
		*bad = true;
		return NULL;
	}
	if (len > room)
		len = room;
	p = arena(len);
	memcpy(p, wbuf, len);
	if (len && chance(2)) {
		*bad = true;
		return p + rnd_range(1, len > 64 ? 64 : len);
	}
	return p;
}

/* --- the operations ---------------------------------------------------------- */

static void add_file(int fd, bool dmus, int flags)
{
	struct ffile *f = &z.f[z.nf++];
	int acc = flags & O_ACCMODE;

	f->fd = fd;
	f->dmus = dmus;
	f->rd = acc != O_WRONLY;
	f->wr = acc != O_RDONLY;
	f->nonblock = flags & O_NONBLOCK;
	f->append = flags & O_APPEND;
	if (dmus && f->wr)
		z.state = SND_DMUS_STATE_RUN;	/* a new writer starts in RUN */
}

static int rnd_accmode(void)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };

	return modes[rnd(3)];
}

static void op_open_raw(void)
{
	int flags = rnd_accmode() | (chance(70) ? O_NONBLOCK : 0) | O_CLOEXEC;
	bool out, busy = false;
	unsigned long long allowed;
	int fd, err;

	if (chance(10))
		flags |= O_APPEND;
	out = (flags & O_ACCMODE) != O_RDONLY;
	describe("open raw %s%s%s", (flags & O_ACCMODE) == O_RDONLY ? "r" :
		 (flags & O_ACCMODE) == O_WRONLY ? "w" : "rw",
		 flags & O_NONBLOCK ? " nb" : "", flags & O_APPEND ? " app" : "");
	if (z.nf >= MAX_FILES)
		return;
	/* O_APPEND without O_NONBLOCK: EINVAL (ALSA). */
	if ((flags & O_APPEND) && !(flags & O_NONBLOCK)) {
		allowed = E(EINVAL);
	} else {
		/* One input; one output (O_APPEND ones share it); the DMus writer. */
		allowed = E(EBUSY);
		if (!(flags & O_NONBLOCK))
			allowed |= E(EINTR);	/* waited for a busy stream */
		busy = out && dmus_writer();
	}
	if (!(flags & O_NONBLOCK))
		guard(20);
	fd = open(z.midi, flags);
	err = errno;
	guard(0);
	/* A blocking open may first wait for the input (EINTR): it fails either way. */
	if (busy && fd >= 0)
		fail("rawmidi output opened while a DMus writer is open");
	else if (busy && err != EBUSY && !(err == EINTR && !(flags & O_NONBLOCK)))
		fail("rawmidi output beside a DMus writer: %s, not EBUSY", ename(err));
	if (check(fd, err, allowed, !((flags & O_APPEND) && !(flags & O_NONBLOCK))))
		add_file(fd, false, flags);
}

static void op_open_dmus(void)
{
	int flags = rnd_accmode() | (chance(75) ? O_NONBLOCK : 0) | O_CLOEXEC;
	bool writer = (flags & O_ACCMODE) != O_RDONLY;
	bool busy = count_kind(true, false) >= DMUS_MAX_FILES ||
		    (writer && (dmus_writer() || raw_writer_open()));
	int fd, err;

	describe("open dmus %s%s", (flags & O_ACCMODE) == O_RDONLY ? "r" :
		 (flags & O_ACCMODE) == O_WRONLY ? "w" : "rw", flags & O_NONBLOCK ? " nb" : "");
	if (z.nf >= MAX_FILES)
		return;
	guard(1000);
	fd = open(z.dev, flags);
	err = errno;
	guard(0);
	/* The one-writer and eight-file rules, both ways. */
	if (check(fd, err, busy ? E(EBUSY) : 0, !busy))
		add_file(fd, true, flags);
}

static void op_close(void)
{
	struct ffile *f = pick_file();
	bool writer;
	int ret, err;

	if (!f)
		return;
	describe("close %s", fname(f));
	writer = f->dmus && f->wr;
	ret = close(f->fd);
	err = errno;
	check(ret, err, 0, true);
	if (writer)
		z.state = SND_DMUS_STATE_RUN;	/* the close drops the queue: RUN */
	*f = z.f[--z.nf];
}

static void finish_write(const struct ffile *f, const void *p, size_t len, bool bad, long ret,
			 int err, bool valid)
{
	unsigned long long allowed = write_errors(f, bad, !p);

	if (f->dmus && f->wr && valid && !bad) {
		/* A valid buffer: taken whole, or it waits (EAGAIN, EINTR), or STOP. */
		allowed &= z.state == SND_DMUS_STATE_STOP ? E(EBADFD) : E(EAGAIN) | E(EINTR);
		z.valid_sent++;
		if (check(ret, err, allowed, z.state != SND_DMUS_STATE_STOP))
			z.valid_taken++;
	} else {
		check(ret, err, allowed, true);
	}
	if (ret >= 0 && ((f->dmus && (size_t)ret != len) || (size_t)ret > len))
		fail("write of %zu bytes returned %ld", len, ret);
}

static void op_write_random(void)
{
	struct ffile *f = pick_file();
	size_t len = chance(60) ? rnd(65) : chance(90) ? rnd(4097) : rnd(WBUF_MAX);
	const void *p;
	bool bad;
	long ret;

	if (!f)
		return;
	rnd_bytes(wbuf, len);
	p = write_ptr(len, &bad);
	if (len > (size_t)ARENA_PAGES * 4096)
		len = (size_t)ARENA_PAGES * 4096;
	describe("write %zu random bytes%s to %s", len, bad ? " (bad pointer)" : "", fname(f));
	ret = do_write(f, p, len);
	finish_write(f, p, len, bad, ret, errno, false);
}

static void op_write_midi(void)
{
	struct ffile *f = chance(80) ? pick_kind(false) : pick_file();
	size_t len;
	const void *p;
	bool bad, mut = chance(50);
	long ret;

	if (!f)
		f = pick_file();
	if (!f)
		return;
	len = gen_midi(wbuf, 16384);
	if (mut)
		mutate(wbuf, &len, 16384);
	p = write_ptr(len, &bad);
	describe("write %zu bytes of %sMIDI%s to %s", len, mut ? "mutated " : "",
		 bad ? " (bad pointer)" : "", fname(f));
	ret = do_write(f, p, len);
	finish_write(f, p, len, bad, ret, errno, false);
}

static void op_write_dmus(void)
{
	struct ffile *f = dmus_writer();
	bool bad, valid = chance(50);
	const void *p;
	size_t len;
	long ret;

	if (!f || chance(15))
		f = pick_file();
	if (!f)
		return;
	len = gen_dmus(wbuf);
	if (!valid)
		len = mutate_dmus(wbuf, len);
	p = write_ptr(len, &bad);
	describe("write %zu bytes of %s DMus buffers%s to %s (state %u)", len,
		 valid ? "valid" : "mutated", bad ? " (bad pointer)" : "", fname(f), z.state);
	ret = do_write(f, p, len);
	finish_write(f, p, len, bad, ret, errno, valid);
}

/* A DMus read's result: one buffer, whole records, flags the manual names. */
static void check_dmus_read(const unsigned char *p, long n, size_t count)
{
	struct snd_dmus_buffer h;
	size_t off;

	/*
	 * "As many whole records as fit in the count": none when the count
	 * cannot hold the next one (a SysEx piece takes up to 56 bytes).
	 */
	if (n < SND_DMUS_BUFFER_SIZE || (size_t)n > count ||
	    (n == SND_DMUS_BUFFER_SIZE &&
	     count >= SND_DMUS_BUFFER_SIZE + SND_DMUS_EVENT_SIZE(z.info.capture_piece))) {
		fail("DMus read of %zu returned %ld bytes", count, n);
		return;
	}
	memcpy(&h, p, sizeof(h));
	if (h.cb_data + SND_DMUS_BUFFER_SIZE != (size_t)n || h.cb_data % 8 ||
	    h.flags & ~SND_DMUS_BUFFER_OVERRUN) {
		fail("DMus read: header cb_data %u flags %#x for %ld bytes", h.cb_data, h.flags, n);
		return;
	}
	for (off = SND_DMUS_BUFFER_SIZE; off < (size_t)n;) {
		struct snd_dmus_event e;

		const unsigned char *d = p + off + SND_DMUS_EVENT_HEADER_SIZE;
		unsigned char b[4] = { 0 };

		if (off + sizeof(e) > (size_t)n) {
			fail("DMus read: a record header cut at %zu of %ld", off, n);
			return;
		}
		memcpy(&e, p + off, sizeof(e));
		memcpy(b, d, (size_t)n - off - sizeof(e) < 4 ? (size_t)n - off - sizeof(e) : 4);
		/*
		 * Whole records in group 1; a STRUCTURED one is one message with
		 * its status byte (running status expanded), a SysEx piece at
		 * most capture_piece bytes.
		 */
		if (!e.cb_event || off + SND_DMUS_EVENT_SIZE(e.cb_event) > (size_t)n ||
		    e.channel_group != 1 ||
		    e.flags & ~(SND_DMUS_EVENT_STRUCTURED | SND_DMUS_EVENT_INCOMPLETE) ||
		    e.cb_event > (e.flags & SND_DMUS_EVENT_STRUCTURED ? 3 : z.info.capture_piece) ||
		    (e.flags & SND_DMUS_EVENT_STRUCTURED && b[0] < 0x80)) {
			fail("DMus read: record at %zu: cb %u group %u flags %#x, data %02x %02x %02x %02x ...",
			     off, e.cb_event, e.channel_group, e.flags, b[0], b[1], b[2], b[3]);
			return;
		}
		off += SND_DMUS_EVENT_SIZE(e.cb_event);
	}
}

static void op_read(void)
{
	struct ffile *f = pick_file();
	size_t count, room;
	unsigned char *p;
	unsigned long long allowed = 0;
	bool bad = false;
	long ret;
	int err;

	if (!f)
		return;
	if (chance(10))
		count = rnd(40);
	else
		count = chance(70) ? rnd_range(40, 512) : rnd_range(512, 65536);
	room = count;
	if (chance(3)) {
		room = rnd(count + 1);	/* the buffer ends at the guard page */
		bad = room < count;
	}
	p = arena(room);
	if (chance(1)) {
		p = NULL;
		bad = count > 0;
	}
	describe("read %zu (room %zu%s) from %s", count, room, p ? "" : ", NULL", fname(f));
	if (!f->nonblock) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };

		/* Waiting costs time: mostly only when something is there. */
		if (f->rd && poll(&pfd, 1, 0) == 0 && !chance(5))
			return;
		allowed |= E(EINTR);
		guard(10);
	}
	ret = read(f->fd, p, count);
	err = errno;
	guard(0);
	if (!f->rd) {
		allowed = E(EBADF);
	} else {
		allowed |= E(EAGAIN);
		if (bad)
			allowed |= E(EFAULT);
		if (f->dmus && count < SND_DMUS_BUFFER_SIZE + SND_DMUS_EVENT_SIZE(1))
			allowed |= E(EINVAL);
	}
	if (check(ret, err, allowed, f->rd) && f->dmus && !bad)
		check_dmus_read(p, ret, count);
	else if (ret > (long)count)
		fail("read of %zu returned %ld", count, ret);
}

static void op_poll(void)
{
	struct pollfd pfd[MAX_FILES];
	int i, n, timeout = chance(95) ? 0 : rnd_range(1, 5);

	if (!z.nf)
		return;
	describe("poll %d files, %d ms", z.nf, timeout);
	for (i = 0; i < z.nf; i++) {
		pfd[i].fd = z.f[i].fd;
		pfd[i].events = (z.f[i].rd ? POLLIN : 0) | (z.f[i].wr ? POLLOUT : 0) |
				(chance(20) ? POLLIN | POLLOUT | POLLPRI : 0);
		pfd[i].revents = 0;
	}
	n = poll(pfd, z.nf, timeout);
	if (!check(n, errno, 0, true))
		return;
	for (i = 0; i < z.nf; i++) {
		if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			fail("poll of %s: revents %#x", fname(&z.f[i]), pfd[i].revents);
		/* Only the writer can write: POLLOUT on a reader misleads. */
		if (z.f[i].dmus && !z.f[i].wr && (pfd[i].revents & POLLOUT))
			fail("poll of %s: POLLOUT on a DMus reader", fname(&z.f[i]));
	}
}

/* --- ioctls ------------------------------------------------------------------ */

static const unsigned int dmus_cmds[] = {
	SND_DMUS_IOCTL_PVERSION, SND_DMUS_IOCTL_INFO, SND_DMUS_IOCTL_CLOCK,
	SND_DMUS_IOCTL_STATUS, SND_DMUS_IOCTL_SET_STATE, SND_DMUS_IOCTL_GET_STATE,
	SND_DMUS_IOCTL_DRAIN, SND_DMUS_IOCTL_DROP,
	/* the hwdep core's own */
	SNDRV_HWDEP_IOCTL_PVERSION, SNDRV_HWDEP_IOCTL_INFO, SNDRV_HWDEP_IOCTL_DSP_STATUS,
	SNDRV_HWDEP_IOCTL_DSP_LOAD,
};

static const unsigned int raw_cmds[] = {
	SNDRV_RAWMIDI_IOCTL_PVERSION, SNDRV_RAWMIDI_IOCTL_INFO,
	SNDRV_RAWMIDI_IOCTL_USER_PVERSION, SNDRV_RAWMIDI_IOCTL_PARAMS,
	SNDRV_RAWMIDI_IOCTL_STATUS, RAWMIDI_IOCTL_STATUS32, SNDRV_RAWMIDI_IOCTL_DROP,
	SNDRV_RAWMIDI_IOCTL_DRAIN,
};

static bool known(const unsigned int *cmds, size_t n, unsigned int cmd)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cmds[i] == cmd)
			return true;
	return false;
}

#define KNOWN(cmds, cmd) known(cmds, sizeof(cmds) / sizeof(cmds[0]), cmd)

/* A random but mostly sensible argument for @cmd into @p (@size bytes). */
static void fill_arg(unsigned int cmd, unsigned char *p, size_t size)
{
	rnd_bytes(p, size);
	if (chance(20))
		return;
	if (cmd == SND_DMUS_IOCTL_SET_STATE && size >= 4) {
		__u32 s = chance(85) ? rnd(4) : (__u32)rnd64();

		memcpy(p, &s, 4);
	} else if (cmd == SNDRV_RAWMIDI_IOCTL_PARAMS && size >= sizeof(struct snd_rawmidi_params)) {
		static const size_t sizes[] = { 32, 64, 100, 256, 4096, 65536, 1 << 20 };
		struct snd_rawmidi_params prm;

		memset(&prm, 0, sizeof(prm));
		prm.stream = rnd(3);
		prm.buffer_size = chance(80) ? sizes[rnd(7)] : rnd((2 << 20) + 1);
		prm.avail_min = chance(80) ? (size_t)rnd_range(1, prm.buffer_size ?: 1) : rnd64();
		prm.no_active_sensing = chance(80);
		prm.mode = chance(70) ? 0 : chance(50) ? SNDRV_RAWMIDI_MODE_FRAMING_TSTAMP |
			   (rnd(4) << SNDRV_RAWMIDI_MODE_CLOCK_SHIFT) : (__u32)rnd64();
		memcpy(p, &prm, sizeof(prm));
	} else if (size >= 4 && (cmd == SNDRV_RAWMIDI_IOCTL_INFO ||
				 cmd == SNDRV_RAWMIDI_IOCTL_STATUS ||
				 cmd == RAWMIDI_IOCTL_STATUS32 ||
				 cmd == SNDRV_RAWMIDI_IOCTL_DROP ||
				 cmd == SNDRV_RAWMIDI_IOCTL_DRAIN)) {
		int stream = chance(90) ? (int)rnd(2) : (int)rnd64();
		size_t at = cmd == SNDRV_RAWMIDI_IOCTL_INFO ?
			    offsetof(struct snd_rawmidi_info, stream) : 0;

		if (at + 4 <= size)
			memcpy(p + at, &stream, 4);
	} else if (cmd == SNDRV_RAWMIDI_IOCTL_USER_PVERSION && size >= 4) {
		int v = chance(50) ? SNDRV_RAWMIDI_VERSION : (int)rnd64();

		memcpy(p, &v, 4);
	}
}

/*
 * The errnos @cmd on @f may fail with, an argument of @room bytes (the
 * command's size: _IOC_SIZE) at @arg, and whether it may succeed.
 */
static unsigned long long ioctl_errors(const struct ffile *f, unsigned int cmd, const void *arg,
				       size_t room, bool *may_succeed, int *timeout_ms)
{
	size_t need = _IOC_SIZE(cmd);
	bool shortarg = !arg || room < need;
	unsigned long long fault = shortarg ? E(EFAULT) : 0;
	__u32 val = 0;

	*may_succeed = !shortarg;
	*timeout_ms = 0;
	if (f->dmus) {
		bool writer = f->wr;

		if (!KNOWN(dmus_cmds, cmd)) {
			*may_succeed = false;
			return E(ENOTTY);	/* "Other ioctls fail with ENOTTY." */
		}
		switch (cmd) {
		case SNDRV_HWDEP_IOCTL_DSP_STATUS:
			/* The hwdep core: no DSP (not in the DMus manual). */
			*may_succeed = false;
			return E(ENXIO);
		case SNDRV_HWDEP_IOCTL_DSP_LOAD:
			*may_succeed = false;
			return E(ENXIO) | fault;
		case SND_DMUS_IOCTL_SET_STATE:
			if (!writer) {
				*may_succeed = false;
				return E(EPERM);
			}
			if (!shortarg)
				memcpy(&val, arg, 4);
			if (val > SND_DMUS_STATE_RUN) {
				*may_succeed = false;
				return E(EINVAL) | fault;
			}
			return fault;
		case SND_DMUS_IOCTL_DRAIN:
		case SND_DMUS_IOCTL_DROP:
			*may_succeed = writer;
			if (!writer)
				return E(EPERM);
			*timeout_ms = 200;
			/* A drain waits only in RUN; outside it EBADFD (unless empty). */
			return E(EINTR) | (cmd == SND_DMUS_IOCTL_DRAIN &&
					   z.state != SND_DMUS_STATE_RUN ? E(EBADFD) : 0);
		default:
			return fault;
		}
	}
	if (!KNOWN(raw_cmds, cmd)) {
		*may_succeed = false;
		return E(ENOTTY);
	}
	switch (cmd) {
	case SNDRV_RAWMIDI_IOCTL_INFO:
		return fault | E(EINVAL) | E(ENODEV);
	case SNDRV_RAWMIDI_IOCTL_PARAMS:
		/* It drains the output first. */
		*timeout_ms = 0;
		return fault | E(EINVAL) | E(ENOMEM) | E(EBUSY);
	case SNDRV_RAWMIDI_IOCTL_STATUS:
	case RAWMIDI_IOCTL_STATUS32:
	case SNDRV_RAWMIDI_IOCTL_DROP:
		return fault | E(EINVAL);
	case SNDRV_RAWMIDI_IOCTL_DRAIN:
		*timeout_ms = 2000;
		return fault | E(EINVAL) | E(EINTR);
	default:
		return fault;
	}
}

/* What a successful ioctl tells: the state it set, or one to compare. */
static void after_ioctl(const struct ffile *f, unsigned int cmd, const void *arg, long ret)
{
	__u32 s;

	if (!f->dmus)
		return;
	if (cmd == SND_DMUS_IOCTL_DROP && f->wr)
		z.state = SND_DMUS_STATE_RUN;	/* even when interrupted */
	if (ret < 0)
		return;
	switch (cmd) {
	case SND_DMUS_IOCTL_SET_STATE:
		memcpy(&z.state, arg, 4);
		break;
	case SND_DMUS_IOCTL_GET_STATE:
		memcpy(&s, arg, 4);
		if (s != z.state)
			fail("GET_STATE %u, last set %u", s, z.state);
		break;
	case SND_DMUS_IOCTL_STATUS: {
		struct snd_dmus_status st;

		memcpy(&st, arg, sizeof(st));
		if (st.state != z.state)
			fail("STATUS.state %u, last set %u", st.state, z.state);
		if (st.free_events > z.info.queue_size)
			fail("STATUS.free_events %u > queue size %u", st.free_events,
			     z.info.queue_size);
		break;
	}
	case SND_DMUS_IOCTL_CLOCK: {
		struct snd_dmus_clock c;

		memcpy(&c, arg, sizeof(c));
		if (c.latency < c.master)
			fail("CLOCK: latency %lld before master %lld", (long long)c.latency,
			     (long long)c.master);
		break;
	}
	}
}

/* ioctl @cmd on @f with a random argument of the right or a random size. */
static void do_ioctl(const struct ffile *f, unsigned int cmd)
{
	size_t need = _IOC_SIZE(cmd), room = need;
	unsigned char *arg;
	unsigned long long allowed;
	bool may;
	int tmo, err;
	long ret;

	if (chance(10))
		room = rnd(need + 1);
	arg = arena(room);
	fill_arg(cmd, arg, room);
	if (chance(3))
		arg = NULL;
	allowed = ioctl_errors(f, cmd, arg, room, &may, &tmo);
	describe("ioctl %#x (size %zu, room %zu%s) on %s (state %u)", cmd, need, room,
		 arg ? "" : ", NULL", fname(f), z.state);
	if (tmo)
		guard(tmo);
	ret = ioctl(f->fd, cmd, arg);
	err = errno;
	if (tmo)
		guard(0);
	check(ret, err, allowed, may);
	after_ioctl(f, cmd, arg, ret);
}

static void op_ioctl(void)
{
	struct ffile *f = pick_file();
	bool dmus;

	if (!f)
		return;
	dmus = chance(90) ? f->dmus : !f->dmus;	/* sometimes the other device's */
	if (dmus)
		do_ioctl(f, dmus_cmds[rnd(sizeof(dmus_cmds) / sizeof(dmus_cmds[0]))]);
	else
		do_ioctl(f, raw_cmds[rnd(sizeof(raw_cmds) / sizeof(raw_cmds[0]))]);
}

/* A random ioctl number: not one of the VFS's own (FIONBIO, FIGETBSZ, ...). */
static unsigned int random_cmd(void)
{
	static const unsigned char vfs_types[] = { 0x00, 'T', 'X', 'f', 0x94, 0x15 };
	unsigned int cmd;
	size_t i;

	for (;;) {
		cmd = rnd64();
		if (chance(60))	/* the devices' own types, random numbers and sizes */
			cmd = (cmd & ~0xff00U) | (chance(50) ? 'H' : 'W') << 8;
		if (chance(30))
			cmd &= ~(_IOC_SIZEMASK << _IOC_SIZESHIFT) | (0x7f << _IOC_SIZESHIFT);
		for (i = 0; i < sizeof(vfs_types); i++)
			if (_IOC_TYPE(cmd) == vfs_types[i])
				break;
		if (i == sizeof(vfs_types))
			return cmd;
	}
}

static void op_ioctl_random(void)
{
	struct ffile *f = pick_file();

	if (f)
		do_ioctl(f, random_cmd());
}

/* SET_STATE, DRAIN, DROP: mostly on the writer, sometimes on a reader (EPERM). */
static struct ffile *state_target(void)
{
	struct ffile *f = dmus_writer();

	if (!f || chance(15))
		f = pick_kind(true);
	return f;
}

static void op_set_state(void)
{
	struct ffile *f = state_target();

	if (f)
		do_ioctl(f, SND_DMUS_IOCTL_SET_STATE);
}

static void op_drain(void)
{
	struct ffile *f = state_target();

	if (f)
		do_ioctl(f, SND_DMUS_IOCTL_DRAIN);
}

static void op_drop(void)
{
	struct ffile *f = state_target();

	if (f)
		do_ioctl(f, SND_DMUS_IOCTL_DROP);
}

static void op_fcntl(void)
{
	struct ffile *f = pick_file();
	int fl, ret;

	if (!f)
		return;
	fl = fcntl(f->fd, F_GETFL);
	if (!check(fl, errno, 0, true))
		return;
	fl ^= O_NONBLOCK;
	describe("fcntl O_NONBLOCK %s on %s", fl & O_NONBLOCK ? "on" : "off", fname(f));
	ret = fcntl(f->fd, F_SETFL, fl);
	if (check(ret, errno, 0, true) && !f->dmus)
		f->nonblock = fl & O_NONBLOCK;	/* the DMus device keeps it from open */
}

static void run_op(enum op op)
{
	switch (op) {
	case OP_OPEN_RAW: op_open_raw(); break;
	case OP_OPEN_DMUS: op_open_dmus(); break;
	case OP_CLOSE: op_close(); break;
	case OP_WRITE_RANDOM: op_write_random(); break;
	case OP_WRITE_MIDI: op_write_midi(); break;
	case OP_WRITE_DMUS: op_write_dmus(); break;
	case OP_READ: op_read(); break;
	case OP_POLL: op_poll(); break;
	case OP_IOCTL: op_ioctl(); break;
	case OP_IOCTL_RANDOM: op_ioctl_random(); break;
	case OP_SET_STATE: op_set_state(); break;
	case OP_DRAIN: op_drain(); break;
	case OP_DROP: op_drop(); break;
	case OP_FCNTL: op_fcntl(); break;
	default: break;
	}
}

static enum op pick_op(void)
{
	int total = 0, i, r;

	for (i = 0; i < OP_COUNT; i++)
		total += ops[i].weight;
	r = rnd(total);
	for (i = 0; i < OP_COUNT; i++) {
		r -= ops[i].weight;
		if (r < 0)
			break;
	}
	/* Nothing open: open something. */
	if (!z.nf && i != OP_OPEN_RAW && i != OP_OPEN_DMUS)
		i = chance(50) ? OP_OPEN_RAW : OP_OPEN_DMUS;
	return i;
}

static void close_all(void)
{
	while (z.nf) {
		if (z.f[z.nf - 1].dmus && z.f[z.nf - 1].wr)
			z.state = SND_DMUS_STATE_RUN;
		close(z.f[--z.nf].fd);
	}
}

/* --- the summary ------------------------------------------------------------- */

static void print_summary(double secs)
{
	char line[2048];
	size_t n;
	int i;

	n = snprintf(line, sizeof(line), "# fuzz: seed %llu, %ld operations in %.1f s,", z.seed,
		     z.ops, secs);
	for (i = 0; i < OP_COUNT && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%ld", ops[i].name, z.count[i]);
	n += snprintf(line + n, sizeof(line) - n, ", results:");
	for (i = 0; i < EHIST && n < sizeof(line); i++)
		if (z.hist[i])
			n += snprintf(line + n, sizeof(line) - n, " %s=%ld", ename(i), z.hist[i]);
	fprintf(stderr, "%s\n", line);
	n = snprintf(line, sizeof(line), "# fuzz: valid DMus buffers taken %ld of %ld; time (slowest):",
		     z.valid_taken, z.valid_sent);
	for (i = 0; i < OP_COUNT && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, " %s %.1f s (%.0f ms)", ops[i].name,
			      z.total_ms[i] / 1000, z.max_ms[i]);
	fprintf(stderr, "%s\n", line);
}

/* The kernel log from the first report on (at most 60 lines), for the log. */
static void print_klog_report(void)
{
	static char buf[1 << 20];
	static const char *const marks[] = {
		"BUG:", "WARNING:", "Oops", "Call Trace", "UBSAN", "KASAN", "INFO: task",
		"possible circular", "rcu: INFO",
	};
	char *first = NULL, *p;
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1), lines = 0;
	size_t i;

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		p = strstr(buf, marks[i]);
		if (p && (!first || p < first))
			first = p;
	}
	if (!first)
		return;
	while (first > buf && first[-1] != '\n')
		first--;
	for (p = first; *p && lines < 60; lines++) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		fprintf(stderr, "# klog: %s\n", p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* --- after the run ----------------------------------------------------------- */

/* The DMus device plays three events and captures them back, byte-exact. */
static int dmus_roundtrip(void)
{
	static const unsigned char msgs[3][3] = {
		{ 0x90, 0x3c, 0x40 }, { 0xb0, 0x07, 0x64 }, { 0x80, 0x3c, 0x00 },
	};
	unsigned char buf[4096];
	int rd, w, got = 0, i;
	size_t len = SND_DMUS_BUFFER_SIZE, off;
	long long end;
	__u32 state = 99;

	rd = open(z.dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	w = open(z.dev, O_WRONLY | O_CLOEXEC);
	if (rd < 0 || w < 0) {
		fprintf(stderr, "# DMus open after the run: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(w, SND_DMUS_IOCTL_GET_STATE, &state) || state != SND_DMUS_STATE_RUN)
		fprintf(stderr, "# DMus state after the run: %u\n", state);
	memset(buf, 0, sizeof(buf));
	put64(buf, latency_now() + 2 * TICKS_MS);
	for (i = 0; i < 3; i++) {
		put32(buf + len, 3);
		put32(buf + len + 4, 1);
		put64(buf + len + 8, i * TICKS_MS);
		put32(buf + len + 16, SND_DMUS_EVENT_STRUCTURED);
		memcpy(buf + len + SND_DMUS_EVENT_HEADER_SIZE, msgs[i], 3);
		len += SND_DMUS_EVENT_SIZE(3);
	}
	put32(buf + 8, len - SND_DMUS_BUFFER_SIZE);
	if (write(w, buf, len) != (ssize_t)len || ioctl(w, SND_DMUS_IOCTL_DRAIN)) {
		fprintf(stderr, "# DMus write or drain after the run: %s\n", strerror(errno));
		got = -1;
	}
	end = now_ns() + 3000000000LL;
	while (got >= 0 && got < 3 && now_ns() < end) {
		struct pollfd pfd = { .fd = rd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(rd, buf, sizeof(buf));
		for (off = SND_DMUS_BUFFER_SIZE; n > 0 && off < (size_t)n && got < 3;) {
			struct snd_dmus_event e;

			memcpy(&e, buf + off, sizeof(e));
			if (e.cb_event != 3 ||
			    memcmp(buf + off + SND_DMUS_EVENT_HEADER_SIZE, msgs[got], 3)) {
				fprintf(stderr, "# DMus capture after the run: record %d differs\n",
					got);
				got = -1;
				break;
			}
			got++;
			off += SND_DMUS_EVENT_SIZE(e.cb_event);
		}
	}
	close(w);
	close(rd);
	return got;
}

/* One real MIDI file of the guest (chosen by the seed) as raw bytes. */
static unsigned char *raw_file(size_t *len, char *name, size_t name_len)
{
	const char *dir = getenv("DMUS_RAW_DIR") ?: "/opt/dmus/raw";
	struct dirent **list;
	unsigned char *data = NULL;
	char path[512];
	struct stat st;
	int n, i, pick = -1, count = 0;
	FILE *f;

	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (strstr(list[i]->d_name, ".raw"))
			count++;
	if (count) {
		int want = z.seed % count;

		for (i = 0; i < n && pick < 0; i++)
			if (strstr(list[i]->d_name, ".raw") && !want--)
				pick = i;
	}
	if (pick >= 0) {
		snprintf(name, name_len, "%s", list[pick]->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, list[pick]->d_name);
		f = fopen(path, "rb");
		if (f && !stat(path, &st) && (data = malloc(st.st_size + 1)) &&
		    fread(data, 1, st.st_size, f) == (size_t)st.st_size) {
			*len = st.st_size;
		} else {
			free(data);
			data = NULL;
		}
		if (f)
			fclose(f);
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return data;
}

/* --- the watchdog ------------------------------------------------------------ */

static void print_file(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "#   %s: %s", path, line);
	fclose(f);
}

/*
 * A child that reports a call not back after HANG_S: the operation, the
 * task's kernel stack, the blocked tasks (sysrq w, into the kernel log);
 * then it kills the test, which fails.
 */
static pid_t start_watchdog(void)
{
	pid_t parent = getpid(), pid = fork();
	long last = -1;
	int still = 0;
	char path[64];
	int fd;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		sleep(1);
		if (getppid() != parent)
			_exit(0);
		if (prog->op != last) {
			last = prog->op;
			still = 0;
			continue;
		}
		if (++still < HANG_S)
			continue;
		fprintf(stderr, "# fuzz HANG (seed %llu): op %ld [%s] not back after %d s\n",
			z.seed, last, prog->desc, HANG_S);
		snprintf(path, sizeof(path), "/proc/%d/wchan", parent);
		print_file(path);
		fprintf(stderr, "\n");
		snprintf(path, sizeof(path), "/proc/%d/stack", parent);
		print_file(path);
		fd = open("/proc/sysrq-trigger", O_WRONLY);
		if (fd >= 0 && write(fd, "w", 1) == 1)
			fprintf(stderr, "# blocked tasks: in the kernel log (sysrq w)\n");
		if (fd >= 0)
			close(fd);
		kill(parent, SIGKILL);
		_exit(1);
	}
}

/* --- the test ---------------------------------------------------------------- */

FIXTURE(fuzz) {
	int unused;
};

/* $DMUS_FUZZ_OPS, or 100000. */
static long fuzz_ops(void)
{
	const char *s = getenv("DMUS_FUZZ_OPS");

	return s ? strtol(s, NULL, 0) : 100000;
}

FIXTURE_SETUP(fuzz)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	const char *s;
	void *mem;
	int fd;

	memset(&z, 0, sizeof(z));
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
	/* Only the virtual chip, an instant cable and deep FIFOs. */
	ASSERT_EQ(0, dmus_load("virt=1 baud=0 rx_fifo=256 tx_fifo=256 pnp=0,0,0,0,0,0,0,0"));
	z.card = dmus_card();
	ASSERT_LE(0, z.card);
	snprintf(z.midi, sizeof(z.midi), "/dev/snd/midiC%dD0", z.card);
	ASSERT_TRUE(find_dmus(z.card, z.dev, sizeof(z.dev)));
	fd = open(z.dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_INFO, &z.info));
	close(fd);
	mem = mmap(NULL, (ARENA_PAGES + 1) * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	z.arena_end = (unsigned char *)mem + ARENA_PAGES * 4096;
	ASSERT_EQ(0, mprotect(z.arena_end, 4096, PROT_NONE));
	prog = mmap(NULL, sizeof(*prog), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, prog);
	sigaction(SIGALRM, &sa, NULL);

	s = getenv("DMUS_FUZZ_SEED");
	z.seed = s ? strtoull(s, NULL, 0) : (unsigned long long)now_ns() ^ getpid();
	z.ops = fuzz_ops();
	z.trace = getenv("DMUS_FUZZ_TRACE") != NULL;
	z.state = SND_DMUS_STATE_RUN;
}

FIXTURE_TEARDOWN(fuzz)
{
	guard(0);
	close_all();
	dmus_unload();
}

TEST_F(fuzz, random_operations_leave_the_device_working)
{
	static const unsigned char msgs[] = {
		0x90, 0x3c, 0x40, 0x3e, 0x40, 0x80, 0x3c, 0x00, 0xb2, 0x07, 0x64,
		0xc3, 0x05, 0xe5, 0x00, 0x40, 0xf8, 0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7,
		0xf2, 0x10, 0x02, 0xfe,
	};
	unsigned char back[sizeof(msgs)], *data, *out;
	long long t0 = now_ns(), t;
	char name[300] = "";
	size_t len = 0, got;
	pid_t dog;
	int status, fd;

	fprintf(stderr, "# fuzz: seed %llu, %ld operations (DMUS_FUZZ_SEED=%llu reproduces)\n",
		z.seed, z.ops, z.seed);
	/* Also in the kernel log: it survives a panic that cuts the output short. */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dprintf(fd, "<5>dmus_fuzz_test: seed %llu, %ld operations\n", z.seed, z.ops);
		close(fd);
	}
	prog->op = -1;
	dog = start_watchdog();
	ASSERT_LE(0, dog);
	for (z.op = 0; z.op < z.ops; z.op++) {
		enum op op;
		double ms;

		z.rng = splitmix64(z.seed ^ splitmix64(z.op)) | 1;
		op = pick_op();
		z.desc[0] = '\0';
		prog->desc[0] = '\0';
		prog->op = z.op;
		z.count[op]++;
		z.cur = op;
		t = now_ns();
		run_op(op);
		ms = (now_ns() - t) / 1e6;
		if (ms > z.max_ms[op])
			z.max_ms[op] = ms;
		z.total_ms[op] += ms;
		snprintf(z.ring[z.op % RING], sizeof(z.ring[0]), "%s: %s", ops[op].name,
			 z.desc[0] ? z.desc : "(nothing to do)");
		if (z.trace)
			fprintf(stderr, "# op %ld %s\n", z.op, z.ring[z.op % RING]);
		if (ms > OP_SLOW_MS)
			fail("took %.0f ms", ms);
		if (z.op % 10000 == 9999)
			fprintf(stderr, "# fuzz: %ld operations, %.1f s, %ld failed checks\n",
				z.op + 1, (now_ns() - t0) / 1e9, z.bad);
	}
	prog->op = z.op;
	describe("closing every file");
	close_all();
	print_summary((now_ns() - t0) / 1e9);
	EXPECT_EQ(0, z.bad) TH_LOG("%ld checks failed (seed %llu)", z.bad, z.seed);

	/* The DMus device still plays and captures. */
	prog->op++;
	describe("after the run: DMus round trip");
	EXPECT_EQ(3, dmus_roundtrip());
	prog->op++;
	describe("after the run: rawmidi loopback");
	/*
	 * What the run left in the chip's TX FIFO goes out first. Then the
	 * rawmidi node loops messages and a real MIDI file back byte-exact.
	 */
	dmus_wait_chip_tx_idle();
	EXPECT_EQ(sizeof(msgs), loopback(z.card, msgs, sizeof(msgs), back));
	EXPECT_EQ(0, memcmp(msgs, back, sizeof(msgs)));
	data = raw_file(&len, name, sizeof(name));
	ASSERT_NE(NULL, data);
	out = malloc(len + 1);
	ASSERT_NE(NULL, out);
	got = loopback(z.card, data, len, out);
	EXPECT_EQ(len, got) TH_LOG("%s", name);
	EXPECT_EQ(0, memcmp(data, out, got)) TH_LOG("%s", name);
	fprintf(stderr, "# fuzz: after the run, %s (%zu bytes) looped back %s\n", name, len,
		got == len && !memcmp(data, out, got) ? "byte-exact" : "DIFFERENT");
	free(data);
	free(out);

	kill(dog, SIGKILL);
	waitpid(dog, &status, 0);
	print_klog_report();
	EXPECT_FALSE(dmus_klog_has_splat());
	EXPECT_FALSE(dmus_klog_contains("UBSAN") || dmus_klog_contains("KASAN") ||
		     dmus_klog_contains("INFO: task"));
}

/*
 * The harness timeout follows the operation count: 250 s and 6 ms an
 * operation (850 s for make check's 100000; the debug kernel under TCG has
 * taken 1.2-3.7 ms an operation).
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) fuzz_timeout(void)
{
	long ops = fuzz_ops();

	if (ops > 0)
		_fuzz_random_operations_leave_the_device_working_object->timeout =
			250 + ops * 6 / 1000;
}

TEST_HARNESS_MAIN
