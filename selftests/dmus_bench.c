// SPDX-License-Identifier: GPL-2.0
/*
 * dmus_bench: the measurements of make bench on virtual MPU-401s, for either
 * driver: "virt" (snd-dmus-mpu401's own, virt=N) or "peer" (the in-tree
 * snd-mpu401-uart through snd-dmus-peer, peer=N). Each device is found by its
 * card's short name ending in <kind><n>, its wire log and counters in
 * /sys/kernel/debug/snd-dmus-mpu401-<kind><n>/. Not a test: it prints figures
 * (one "result" line of key=value pairs per run, for scripts/guest-bench.sh)
 * and fails (exit status 1) when what crossed the wire is not what was
 * written (bursts: 3, see below), or when latency's or loop's bytes do not
 * come back exactly.
 *
 *   dmus_bench stream KIND N [BYTES]  N devices stream BYTES (65536) each at
 *				       once through rawmidi: wire throughput
 *				       and CPU cost per byte; input lost on
 *				       the way back is a figure (lost=)
 *   dmus_bench latency KIND [COUNT]   COUNT (500) 3-byte messages 10 ms apart
 *				       on device 0: wire arrival of each byte
 *				       to the return of the read that got it,
 *				       and each write() to the start of its
 *				       message on the wire (out_*)
 *   dmus_bench loop KIND FILE	       FILE's bytes through device 0 and back,
 *				       byte-exact (exit status 1 if not)
 *   dmus_bench bursts KIND N COUNT    N devices at once write COUNT bursts of
 *				       48 bytes, 20 ms apart: each outruns a
 *				       16-byte TX FIFO and drains, so the
 *				       driver starts and stops its output
 *				       (snd-mpu401-uart: its timer) COUNT
 *				       times. Exit status 1 when a byte is
 *				       lost or comes back other than it
 *				       crossed the wire, 3 when all arrive
 *				       but some bursts crossed the wire with
 *				       bytes not written (bad_bursts=), 4
 *				       when a device's output stalled: what
 *				       crossed came back as it crossed, the
 *				       rest never left the driver (stalled=)
 *
 * CPU: hard-IRQ and softirq time from /proc/stat (measured, not sampled,
 * with CONFIG_IRQ_TIME_ACCOUNTING; in 10 ms units), the run time of the
 * driver's IRQ threads (/proc/PID/schedstat), the benchmark's own threads
 * (CLOCK_THREAD_CPUTIME_ID), all CPU time in use (/proc/stat), interrupts
 * (/proc/interrupts) and register accesses (the chip's counters).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>
#include <sound/asound.h>
#include "dmus_lib.h"

#define MAX_DEV 8
#define WIRE_MAX 65536

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "dmus_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The card whose short name ends in @kind@n, or -1. */
static int find_card(const char *kind, int n)
{
	char line[256], want[32];
	int card = -1, num;
	FILE *f = fopen("/proc/asound/cards", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s%d\n", kind, n);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line), wl = strlen(want);

		if (sscanf(line, " %d [", &num) == 1 && len > wl && line[len - wl - 1] == ' ' &&
		    !strcmp(line + len - wl, want))
			card = num;
	}
	fclose(f);
	return card;
}

static void debugfs_dir(const char *kind, int n, char *buf, size_t len)
{
	snprintf(buf, len, "/sys/kernel/debug/snd-dmus-mpu401-%s%d", kind, n);
	if (access(buf, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(buf, F_OK)) {
		fprintf(stderr, "dmus_bench: no %s (is the module loaded with %s=%d?)\n", buf,
			kind, n + 1);
		exit(2);
	}
}

/* Register accesses so far: status reads, data reads and writes, commands. */
static long long reg_accesses(const char *dir)
{
	return dmus_virt_counter(dir, "status_reads") + dmus_virt_counter(dir, "bytes_in") +
	       dmus_virt_counter(dir, "bytes_out") + dmus_virt_counter(dir, "dropped") +
	       dmus_virt_counter(dir, "commands") + dmus_virt_counter(dir, "not_uart");
}

struct wire_entry {
	uint64_t t;
	unsigned char byte;
};

/* The wire log's entries that arrived after @after, into @out; how many. */
static size_t wire_log(const char *dir, uint64_t after, struct wire_entry *out, size_t max)
{
	char path[300], line[64];
	unsigned long long t;
	unsigned int b;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/wire", dir);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %x", &t, &b) == 2 && t > after && n < max)
			out[n++] = (struct wire_entry){ t, (unsigned char)b };
	fclose(f);
	return n;
}

/* CPU time of the whole machine, ns (/proc/stat's first line). */
struct cpu_stat {
	uint64_t busy, irq, softirq;
};

static struct cpu_stat cpu_stat(void)
{
	unsigned long long v[10] = { 0 };
	struct cpu_stat s = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		die("/proc/stat");
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) != 8)
		die("/proc/stat format");
	fclose(f);
	/* user nice system idle iowait irq softirq steal */
	s.busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * (1000000000ull / hz);
	s.irq = v[5] * (1000000000ull / hz);
	s.softirq = v[6] * (1000000000ull / hz);
	return s;
}

/* Interrupts so far on the lines whose action is named @name. */
static uint64_t interrupts(const char *name)
{
	char line[1024];
	uint64_t total = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		die("/proc/interrupts");
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || !strstr(line, name))
			continue;
		for (p++;;) {
			char *end;
			unsigned long long c = strtoull(p, &end, 10);

			if (end == p)
				break;
			total += c;
			p = end;
		}
	}
	fclose(f);
	return total;
}

/* Run time of the kernel threads whose name starts "irq/" and contains @name, ns. */
static uint64_t irq_thread_ns(const char *name)
{
	struct dirent *de;
	uint64_t total = 0;
	DIR *d = opendir("/proc");

	if (!d)
		die("/proc");
	while ((de = readdir(d))) {
		char path[300], comm[64] = "";
		unsigned long long ns;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		if (strncmp(comm, "irq/", 4) || !strstr(comm, name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			total += ns;
		if (f)
			fclose(f);
	}
	closedir(d);
	return total;
}

/* What names each driver's interrupt and IRQ threads carry. */
static const char *irq_name(const char *kind)
{
	return strcmp(kind, "peer") ? "snd-dmus-mpu401" : "MPU401 UART";
}

static const char *thread_name(const char *kind)
{
	/* comm is cut at 15 characters: "irq/NN-snd-dmus". */
	return strcmp(kind, "peer") ? "snd-dmus" : "MPU401";
}

struct dev {
	int fd;
	char dir[256];
	const unsigned char *data;
	size_t len;
	unsigned char *got;
	size_t ngot;
	uint64_t *got_at;	/* latency: CLOCK_MONOTONIC of the read that got byte i */
	uint64_t *put_at;	/* latency: CLOCK_MONOTONIC before the write of byte i */
	uint64_t cpu_ns;	/* the reader's and the writer's CPU time */
	unsigned int gap_us;	/* latency, bursts: between writes */
	size_t chunk;		/* bytes a write (0: 3 with gap_us, else 256) */
	bool failed;
};

static void *reader(void *arg)
{
	struct dev *d = arg;
	int idle = 0;

	while (d->ngot < d->len && idle < 100) {
		struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
		ssize_t n;
		uint64_t t;
		size_t i;

		if (poll(&pfd, 1, 100) <= 0) {
			idle++;
			continue;
		}
		idle = 0;
		n = read(d->fd, d->got + d->ngot, d->len - d->ngot);
		t = now_ns(CLOCK_MONOTONIC);
		if (n <= 0)
			continue;
		if (d->got_at)
			for (i = 0; i < (size_t)n; i++)
				d->got_at[d->ngot + i] = t;
		d->ngot += n;
	}
	__atomic_add_fetch(&d->cpu_ns, now_ns(CLOCK_THREAD_CPUTIME_ID), __ATOMIC_RELAXED);
	return NULL;
}

static void *writer(void *arg)
{
	struct dev *d = arg;
	size_t off = 0, chunk = d->chunk ? d->chunk : d->gap_us ? 3 : 256;

	while (off < d->len) {
		size_t n = d->len - off < chunk ? d->len - off : chunk;
		ssize_t w;

		if (d->put_at)
			d->put_at[off] = now_ns(CLOCK_MONOTONIC);
		w = write(d->fd, d->data + off, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror("dmus_bench: write");
			d->failed = true;
			break;
		}
		off += w;
		if (d->gap_us)
			usleep(d->gap_us);
	}
	if (ioctl(d->fd, SNDRV_RAWMIDI_IOCTL_DRAIN, &(int){ SNDRV_RAWMIDI_STREAM_OUTPUT }))
		perror("dmus_bench: drain");
	__atomic_add_fetch(&d->cpu_ns, now_ns(CLOCK_THREAD_CPUTIME_ID), __ATOMIC_RELAXED);
	return NULL;
}

static void open_dev(struct dev *d, const char *kind, int n)
{
	char path[64];
	int card = find_card(kind, n);

	if (card < 0) {
		fprintf(stderr, "dmus_bench: no card named %s%d in /proc/asound/cards\n", kind, n);
		exit(2);
	}
	debugfs_dir(kind, n, d->dir, sizeof(d->dir));
	snprintf(path, sizeof(path), "/dev/snd/midiC%dD0", card);
	d->fd = open(path, O_RDWR);
	if (d->fd < 0)
		die(path);
	/*
	 * A poll starts the input (ALSA's input trigger): snd-mpu401-uart
	 * discards what arrives before it, and the reader thread may start
	 * after the first byte is back.
	 */
	poll(&(struct pollfd){ .fd = d->fd, .events = POLLIN }, 1, 0);
}

/* Runs devices @d[0..n) at once: a reader and a writer thread each. */
static void run(struct dev *d, int n)
{
	pthread_t r[MAX_DEV], w[MAX_DEV];
	int i;

	for (i = 0; i < n; i++) {
		d[i].got = calloc(d[i].len, 1);
		if (!d[i].got)
			die("calloc");
		if (pthread_create(&r[i], NULL, reader, &d[i]))
			die("pthread_create");
	}
	for (i = 0; i < n; i++)
		if (pthread_create(&w[i], NULL, writer, &d[i]))
			die("pthread_create");
	for (i = 0; i < n; i++) {
		pthread_join(w[i], NULL);
		pthread_join(r[i], NULL);
	}
}

/*
 * Whether device @d's bytes crossed the wire exactly as written (@wire, @nwire
 * entries); prints what differs.
 */
static bool wire_exact(struct dev *d, const struct wire_entry *wire, size_t nwire)
{
	size_t i;

	if (d->failed || nwire != d->len) {
		fprintf(stderr, "# %s: %zu bytes on the wire, %zu written\n", d->dir, nwire, d->len);
		return false;
	}
	for (i = 0; i < nwire; i++)
		if (wire[i].byte != d->data[i]) {
			size_t j;

			fprintf(stderr, "# %s: wire byte %zu differs; written, then on the wire:\n#",
				d->dir, i);
			for (j = i < 4 ? 0 : i - 4; j < i + 4 && j < nwire; j++)
				fprintf(stderr, " %02x", d->data[j]);
			fprintf(stderr, "\n#");
			for (j = i < 4 ? 0 : i - 4; j < i + 4 && j < nwire; j++)
				fprintf(stderr, " %02x@%llu", wire[j].byte, (unsigned long long)wire[j].t);
			fprintf(stderr, "\n");
			return false;
		}
	return true;
}

/* Whether device @d's bytes came back exactly; prints what differs. */
static bool read_exact(struct dev *d)
{
	if (d->ngot != d->len || memcmp(d->got, d->data, d->len)) {
		fprintf(stderr, "# %s: %zu of %zu bytes came back%s\n", d->dir, d->ngot, d->len,
			d->ngot == d->len ? ", different" : "");
		return false;
	}
	return true;
}

static bool exact(struct dev *d, const struct wire_entry *wire, size_t nwire)
{
	return wire_exact(d, wire, nwire) && read_exact(d);
}

/* 3-byte note messages on all channels, and a clock byte to fill @len. */
static unsigned char *pattern(size_t len)
{
	unsigned char *p = malloc(len);
	size_t i;

	if (!p)
		die("malloc");
	for (i = 0; i + 3 <= len; i += 3) {
		size_t m = i / 3;

		p[i] = (m & 1 ? 0x80 : 0x90) | (m / 2 % 16);
		p[i + 1] = (m / 2 * 7) % 128;
		p[i + 2] = m / 2 % 127 + 1;
	}
	for (; i < len; i++)
		p[i] = 0xf8;
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int stream(const char *kind, int ndev, size_t len)
{
	static struct wire_entry wire[WIRE_MAX];
	struct dev d[MAX_DEV] = { 0 };
	unsigned char *data = pattern(len);
	uint64_t t0, irqs0, thr0, busy_ns, task_ns = 0, min_rate = UINT64_MAX, sum_rate = 0;
	long long regs0[MAX_DEV], regs = 0, over0[MAX_DEV], overruns = 0, lost = 0;
	long long byte_ns = 0;
	struct cpu_stat c0, c1;
	bool ok = true;
	int i;

	if (ndev < 1 || ndev > MAX_DEV || len > WIRE_MAX) {
		fprintf(stderr, "dmus_bench: 1 to %d devices, at most %d bytes\n", MAX_DEV, WIRE_MAX);
		return 2;
	}
	for (i = 0; i < ndev; i++) {
		open_dev(&d[i], kind, i);
		d[i].data = data;
		d[i].len = len;
		regs0[i] = reg_accesses(d[i].dir);
		over0[i] = dmus_virt_counter(d[i].dir, "overruns");
	}
	byte_ns = dmus_virt_counter(d[0].dir, "byte_ns");
	irqs0 = interrupts(irq_name(kind));
	thr0 = irq_thread_ns(thread_name(kind));
	c0 = cpu_stat();
	t0 = now_ns(CLOCK_MONOTONIC);
	run(d, ndev);
	c1 = cpu_stat();
	irqs0 = interrupts(irq_name(kind)) - irqs0;
	thr0 = irq_thread_ns(thread_name(kind)) - thr0;
	busy_ns = c1.busy - c0.busy;
	for (i = 0; i < ndev; i++) {
		size_t n = wire_log(d[i].dir, t0, wire, WIRE_MAX);
		uint64_t span, rate;

		regs += reg_accesses(d[i].dir) - regs0[i];
		overruns += dmus_virt_counter(d[i].dir, "overruns") - over0[i];
		task_ns += d[i].cpu_ns;
		close(d[i].fd);
		/* Output must be exact; input losses are a figure. */
		if (!wire_exact(&d[i], wire, n)) {
			ok = false;
			continue;
		}
		if (!read_exact(&d[i]))
			lost += d[i].len - (d[i].ngot < d[i].len ? d[i].ngot : d[i].len);
		/* From the first byte's start to the last byte's arrival. */
		span = wire[n - 1].t - wire[0].t + byte_ns;
		rate = (uint64_t)n * 1000000000ull * 1000 / span;	/* milli-bytes/s */
		sum_rate += rate;
		if (rate < min_rate)
			min_rate = rate;
	}
	if (!ok) {
		printf("result kind=%s devices=%d exact=0\n", kind, ndev);
		return 1;
	}
	printf("result kind=%s devices=%d bytes=%zu exact=%d lost=%lld overruns=%lld "
	       "rate_mean_mBps=%llu rate_min_mBps=%llu "
	       "wire_mBps=%llu irqs=%llu regs=%lld hardirq_ns=%llu softirq_ns=%llu "
	       "irq_thread_ns=%llu task_ns=%llu busy_ns=%llu\n",
	       kind, ndev, len * ndev, !lost, lost, overruns, (unsigned long long)(sum_rate / ndev),
	       (unsigned long long)min_rate, 1000000000000ull / (unsigned long long)byte_ns,
	       (unsigned long long)irqs0, regs, (unsigned long long)(c1.irq - c0.irq),
	       (unsigned long long)(c1.softirq - c0.softirq), (unsigned long long)thr0,
	       (unsigned long long)task_ns, (unsigned long long)busy_ns);
	return 0;
}

static int latency(const char *kind, size_t count)
{
	static struct wire_entry wire[WIRE_MAX];
	struct dev d = { 0 };
	size_t len = count * 3, n, i;
	unsigned char *data = pattern(len);
	uint64_t t0, *lat, *out, byte_ns;
	size_t nout = 0;

	if (len > WIRE_MAX) {
		fprintf(stderr, "dmus_bench: at most %d messages\n", WIRE_MAX / 3);
		return 2;
	}
	open_dev(&d, kind, 0);
	d.data = data;
	d.len = len;
	d.gap_us = 10000;
	d.got_at = calloc(len, sizeof(*d.got_at));
	d.put_at = calloc(len, sizeof(*d.put_at));
	lat = calloc(len, sizeof(*lat));
	out = calloc(count, sizeof(*out));
	if (!d.got_at || !d.put_at || !lat || !out)
		die("calloc");
	byte_ns = dmus_virt_counter(d.dir, "byte_ns");
	t0 = now_ns(CLOCK_MONOTONIC);
	run(&d, 1);
	n = wire_log(d.dir, t0, wire, WIRE_MAX);
	if (!exact(&d, wire, n)) {
		printf("result kind=%s latency exact=0\n", kind);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (d.got_at[i] < wire[i].t) {
			fprintf(stderr, "# byte %zu read %llu ns before it arrived: clocks differ?\n", i,
				(unsigned long long)(wire[i].t - d.got_at[i]));
			return 1;
		}
		lat[i] = d.got_at[i] - wire[i].t;
		/* Output: write() to the first bit of the message on the wire. */
		if (i % 3 == 0 && wire[i].t - byte_ns >= d.put_at[i])
			out[nout++] = wire[i].t - byte_ns - d.put_at[i];
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	qsort(out, nout, sizeof(*out), cmp_u64);
	printf("result kind=%s latency exact=1 bytes=%zu median_ns=%llu p99_ns=%llu max_ns=%llu "
	       "messages=%zu out_median_ns=%llu out_p99_ns=%llu out_max_ns=%llu\n",
	       kind, n, (unsigned long long)lat[n / 2], (unsigned long long)lat[n * 99 / 100],
	       (unsigned long long)lat[n - 1], nout, (unsigned long long)out[nout / 2],
	       (unsigned long long)out[nout * 99 / 100], (unsigned long long)out[nout - 1]);
	return 0;
}

static int loop(const char *kind, const char *file)
{
	static struct wire_entry wire[WIRE_MAX];
	static unsigned char data[WIRE_MAX];
	struct dev d = { 0 };
	uint64_t t0;
	ssize_t len;
	size_t n;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		die(file);
	len = read(fd, data, sizeof(data));
	close(fd);
	if (len <= 0) {
		fprintf(stderr, "dmus_bench: %s: empty or unreadable\n", file);
		return 2;
	}
	open_dev(&d, kind, 0);
	d.data = data;
	d.len = len;
	t0 = now_ns(CLOCK_MONOTONIC);
	run(&d, 1);
	n = wire_log(d.dir, t0, wire, WIRE_MAX);
	if (!exact(&d, wire, n))
		return 1;
	printf("# %s: %zd bytes back byte-exact through %s\n", file, len, d.dir);
	return 0;
}

static int bursts(const char *kind, int ndev, size_t count)
{
	static struct wire_entry wire[WIRE_MAX];
	struct dev d[MAX_DEV] = { 0 };
	size_t len = count * 48, bad = 0, stalled = 0;
	unsigned char *data;
	bool ok = true;
	uint64_t t0;
	int i;

	if (ndev < 1 || ndev > MAX_DEV || !count || len > WIRE_MAX) {
		fprintf(stderr, "dmus_bench: 1 to %d devices, 1 to %d bursts\n", MAX_DEV,
			WIRE_MAX / 48);
		return 2;
	}
	data = pattern(len);
	for (i = 0; i < ndev; i++) {
		open_dev(&d[i], kind, i);
		d[i].data = data;
		d[i].len = len;
		d[i].chunk = 48;
		d[i].gap_us = 20000;
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	run(d, ndev);
	for (i = 0; i < ndev; i++) {
		size_t n = wire_log(d[i].dir, t0, wire, WIRE_MAX), j, k;

		close(d[i].fd);
		/*
		 * Stalled: fewer bytes crossed than were written (the drain
		 * timed out), but each that crossed came back as it crossed.
		 */
		if (!d[i].failed && n < len && d[i].ngot == n) {
			for (j = 0; j < n && d[i].got[j] == wire[j].byte; j++)
				;
			if (j == n) {
				fprintf(stderr, "# %s: stalled: %zu bytes written, %zu on the wire, %zu back\n",
					d[i].dir, len, n, d[i].ngot);
				stalled++;
				continue;
			}
		}
		/* Every byte written crossed the wire once and came back as it crossed. */
		if (d[i].failed || n != len || d[i].ngot != len) {
			fprintf(stderr, "# %s: %zu bytes written, %zu on the wire, %zu back\n",
				d[i].dir, len, n, d[i].ngot);
			ok = false;
			continue;
		}
		for (j = 0; j < n; j++)
			if (d[i].got[j] != wire[j].byte) {
				fprintf(stderr, "# %s: byte %zu came back other than it crossed\n",
					d[i].dir, j);
				ok = false;
				break;
			}
		/* Bursts whose bytes on the wire are not the ones written. */
		if (!wire_exact(&d[i], wire, n))
			for (j = 0; j < n; j += 48)
				for (k = j; k < j + 48; k++)
					if (wire[k].byte != data[k]) {
						bad++;
						break;
					}
	}
	printf("result kind=%s bursts devices=%d count=%zu ok=%d bad_bursts=%zu stalled=%zu\n",
	       kind, ndev, count, ok, bad, stalled);
	return !ok ? 1 : stalled ? 4 : bad ? 3 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "stream"))
		return stream(argv[2], atoi(argv[3]), argc > 4 ? strtoul(argv[4], NULL, 0) : 65536);
	if (argc >= 3 && !strcmp(argv[1], "latency"))
		return latency(argv[2], argc > 3 ? strtoul(argv[3], NULL, 0) : 500);
	if (argc == 4 && !strcmp(argv[1], "loop"))
		return loop(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "bursts"))
		return bursts(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 0));
	fprintf(stderr, "usage: dmus_bench stream KIND N [BYTES] | latency KIND [COUNT] | loop KIND FILE\n"
			"       | bursts KIND N COUNT\n"
			"       KIND: virt (snd-dmus-mpu401) or peer (snd-mpu401-uart)\n");
	return 2;
}
