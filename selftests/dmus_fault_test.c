// SPDX-License-Identifier: GPL-2.0
/*
 * Faults on the virtual MPU-401 (its debugfs "fault" and "input" files), and
 * what a user of snd-dmus-mpu401 sees:
 * - TX_FULL stuck on, or the chip vanishing mid-stream (every register 0xFF):
 *   after 500 ms the output is declared stuck (one dev_err); rawmidi writers
 *   and drains end (the bytes are lost), DMus writes and DRAIN fail with EIO;
 * - an interrupt storm (raised with no input waiting) changes nothing;
 * - a lost interrupt holds the input until the next one, nothing is lost;
 * - bytes lost on the wire are counted, the rest arrive in order;
 * - input arriving faster than it is read: every byte is either delivered,
 *   in order, or counted (the chip's FIFO overruns in debugfs, the driver's
 *   capture ring in the DMus status, ALSA's buffer in the rawmidi xruns);
 * - after each fault is cleared, a real MIDI file loops back byte-exact
 *   without reloading the module, and the kernel log has no splat.
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sound/asound.h>
#include "dmus_lib.h"
#include "snd_dmus.h"
#include "kselftest_harness.h"

#define REAL_FILE "coconut_run2.raw"
/* Real-time messages: one byte each, so every loss is a whole message. */
static const unsigned char realtime[] = { 0xf8, 0xfa, 0xfb, 0xfc };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Writes @text to @dir/@file; returns 0 or -errno. */
static int debugfs_write(const char *dir, const char *file, const void *text, size_t len)
{
	char path[400];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int fault(const char *dir, const char *cmd)
{
	return debugfs_write(dir, "fault", cmd, strlen(cmd));
}

/* Reads a whole file into a malloc'ed buffer; returns its length or 0. */
static size_t slurp(const char *path, unsigned char **out)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	*out = NULL;
	if (!f)
		return 0;
	if (!fstat(fileno(f), &st) && st.st_size > 0) {
		*out = malloc(st.st_size);
		if (*out)
			n = fread(*out, 1, st.st_size, f);
	}
	fclose(f);
	return n;
}

/* A real MIDI file's wire bytes loop back byte-exact through @card. */
static bool real_file_loops_back(int card)
{
	const char *dir = getenv("DMUS_RAW_DIR") ?: "/opt/dmus/raw";
	unsigned char *data, *out;
	char path[400];
	size_t len, got;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, REAL_FILE);
	len = slurp(path, &data);
	if (!len) {
		fprintf(stderr, "# %s: cannot read\n", path);
		return false;
	}
	out = malloc(len);
	got = out ? loopback(card, data, len, out) : 0;
	ok = got == len && !memcmp(data, out, len);
	if (!ok) {
		size_t d, e;

		for (d = 0; d < got && data[d] == out[d]; d++)
			;
		fprintf(stderr, "# %s: %zu of %zu bytes back, first difference at %zu:", REAL_FILE,
			got, len, d);
		for (e = d + 12, d = d >= 4 ? d - 4 : 0; d < got && d < e; d++)
			fprintf(stderr, " %02x/%02x", data[d], out[d]);
		fprintf(stderr, "\n");
	}
	free(data);
	free(out);
	return ok;
}

/* One buffer of @n structured note events, all due at master-clock time @t. */
static size_t dmus_notes(unsigned char *buf, __s64 t, int n)
{
	struct snd_dmus_buffer h = { .rt_start = t };
	size_t len = sizeof(h);
	int i;

	for (i = 0; i < n; i++) {
		struct snd_dmus_event e = {
			.cb_event = 3, .channel_group = 1, .rt_delta = 0,
			.flags = SND_DMUS_EVENT_STRUCTURED,
		};
		unsigned char midi[3] = { 0x90, (unsigned char)(0x30 + i % 0x40), 0x40 };

		memset(buf + len, 0, SND_DMUS_EVENT_SIZE(3));
		memcpy(buf + len, &e, sizeof(e));
		memcpy(buf + len + sizeof(e), midi, sizeof(midi));
		len += SND_DMUS_EVENT_SIZE(3);
	}
	h.cb_data = len - sizeof(h);
	memcpy(buf, &h, sizeof(h));
	return len;
}

/* Reads the DMus device @fd dry; whether a buffer carried the overrun flag. */
static bool told_of_overrun(int fd)
{
	unsigned char buf[4096];
	struct snd_dmus_buffer h;
	bool told = false;

	while (read(fd, buf, sizeof(buf)) > 0) {
		memcpy(&h, buf, sizeof(h));
		if (h.flags & SND_DMUS_BUFFER_OVERRUN)
			told = true;
	}
	return told;
}

/*
 * Closes a DMus writer, and waits for what its close sends (All Notes Off on
 * the channels it used) to come back over the cable, so that a rawmidi
 * reader opened next does not get it.
 */
static void close_writer(int fd)
{
	close(fd);
	usleep(100000);
}

static __s64 master_now(int fd)
{
	struct snd_dmus_clock c;

	if (ioctl(fd, SND_DMUS_IOCTL_CLOCK, &c))
		return -1;
	return c.master;
}

FIXTURE(fault) {
	int card;
	char dir[300];
};

FIXTURE_SETUP(fault)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	ASSERT_EQ(0, dmus_unload_wait());
	dmus_klog_clear();
	/*
	 * A wire ten times MIDI's rate: quick, and each pass of the driver
	 * bounded by the chip's FIFO, as on a real cable (an instant cable lets
	 * one pass write faster than the capture side reads).
	 */
	ASSERT_EQ(0, dmus_load("virt=1 baud=312500 rx_fifo=256 tx_fifo=256 pnp=0,0,0,0,0,0,0,0"));
	self->card = dmus_card();
	ASSERT_LE(0, self->card);
	ASSERT_TRUE(dmus_virt_debugfs(self->dir, sizeof(self->dir)));
}

FIXTURE_TEARDOWN(fault)
{
	dmus_unload();
}

TEST_F(fault, fault_file_takes_known_commands_only)
{
	EXPECT_EQ(-EINVAL, fault(self->dir, "bogus"));
	EXPECT_EQ(-EINVAL, fault(self->dir, "irq_lose"));
	EXPECT_EQ(-EINVAL, fault(self->dir, "irq_lose many"));
	EXPECT_EQ(-EINVAL, fault(self->dir, "vanish 3"));
	EXPECT_EQ(-EINVAL, fault(self->dir, ""));
	EXPECT_EQ(0, fault(self->dir, "wire_drop 5"));
	EXPECT_EQ(0, fault(self->dir, "tx_stuck"));
	EXPECT_EQ(0, fault(self->dir, "none"));
	EXPECT_TRUE(real_file_loops_back(self->card));
}

/*
 * TX_FULL stays set: a blocking rawmidi write of more than ALSA's buffer
 * ends (the bytes are lost), its drain ends, a DMus write and DRAIN fail
 * with EIO; the kernel log says why, once.
 */
TEST_F_TIMEOUT(fault, tx_stuck_ends_writers_and_drains, 120)
{
	static unsigned char bytes[8190], buf[4096];
	char path[64], dmus[300];
	long long out0, t0, t_write, t_drain, t_dmus;
	size_t len;
	int fd, i;

	for (i = 0; i < (int)sizeof(bytes); i += 3) {
		bytes[i] = 0x90;
		bytes[i + 1] = i % 0x80;
		bytes[i + 2] = 0x40;
	}
	out0 = dmus_virt_counter(self->dir, "bytes_out");
	ASSERT_EQ(0, fault(self->dir, "tx_stuck"));
	snprintf(path, sizeof(path), "/dev/snd/midiC%dD0", self->card);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	alarm(60);		/* a hang fails the test instead of the run */
	t0 = now_ms();
	EXPECT_EQ((ssize_t)sizeof(bytes), write(fd, bytes, sizeof(bytes)));
	t_write = now_ms() - t0;
	t0 = now_ms();
	EXPECT_EQ(0, ioctl(fd, SNDRV_RAWMIDI_IOCTL_DRAIN, &(int){ SNDRV_RAWMIDI_STREAM_OUTPUT }));
	t_drain = now_ms() - t0;
	close(fd);
	/* Nothing was written to a chip that shows TX_FULL. */
	EXPECT_EQ(out0, dmus_virt_counter(self->dir, "bytes_out"));
	EXPECT_TRUE(dmus_klog_contains("output stuck: TX_FULL set for 500 ms"));

	ASSERT_TRUE(find_dmus(self->card, dmus, sizeof(dmus)));
	fd = open(dmus, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	len = dmus_notes(buf, master_now(fd), 8);
	t0 = now_ms();
	/* Still stuck: refused at once. */
	EXPECT_EQ(-1, write(fd, buf, len));
	EXPECT_EQ(EIO, errno);
	t_dmus = now_ms() - t0;
	alarm(0);
	TH_LOG("stuck TX_FULL: rawmidi write of %zu bytes returned after %lld ms, drain after %lld ms, DMus write EIO after %lld ms",
	       sizeof(bytes), t_write, t_drain, t_dmus);

	/* Cleared: the same DMus file plays again; a drain ends normally. */
	ASSERT_EQ(0, fault(self->dir, "none"));
	usleep(300000);		/* the driver asks the chip again every 100 ms */
	len = dmus_notes(buf, master_now(fd), 8);
	EXPECT_EQ((ssize_t)len, write(fd, buf, len));
	EXPECT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_DRAIN));
	close_writer(fd);
	EXPECT_TRUE(dmus_klog_contains("output resumed"));
	EXPECT_TRUE(real_file_loops_back(self->card));
	EXPECT_FALSE(dmus_klog_has_splat());
}

/*
 * The chip stops acknowledging anything mid-drain: a DMus DRAIN of events
 * queued before fails with EIO once the output is declared stuck.
 */
TEST_F_TIMEOUT(fault, drain_of_a_vanished_chip_is_eio, 120)
{
	static unsigned char buf[4096];
	struct snd_dmus_status st;
	char dmus[300];
	size_t len;
	__s64 t;
	int fd;

	ASSERT_TRUE(find_dmus(self->card, dmus, sizeof(dmus)));
	fd = open(dmus, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	t = master_now(fd);
	/* Due in 1 s: the chip vanishes before they play. */
	len = dmus_notes(buf, t + 10000000, 32);
	ASSERT_EQ((ssize_t)len, write(fd, buf, len));
	ASSERT_EQ(0, fault(self->dir, "vanish"));
	alarm(60);
	EXPECT_EQ(-1, ioctl(fd, SND_DMUS_IOCTL_DRAIN));
	EXPECT_EQ(EIO, errno);
	alarm(0);
	ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_STATUS, &st));
	EXPECT_EQ(0ULL, st.queued);
	EXPECT_TRUE(dmus_klog_contains("output stuck"));
	EXPECT_LT(0, dmus_virt_counter(self->dir, "status_reads"));
	ASSERT_EQ(0, fault(self->dir, "none"));
	usleep(300000);
	len = dmus_notes(buf, master_now(fd), 4);
	EXPECT_EQ((ssize_t)len, write(fd, buf, len));
	EXPECT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_DRAIN));
	close_writer(fd);
	EXPECT_TRUE(real_file_loops_back(self->card));
	EXPECT_FALSE(dmus_klog_has_splat());
}

/*
 * The chip vanishes in the middle of a rawmidi stream: the writer's
 * blocking write ends, what came back before is intact, and once the chip
 * is back the device works without a reload.
 */
TEST_F_TIMEOUT(fault, chip_vanishing_mid_stream_ends_the_writer, 120)
{
	static unsigned char bytes[16384], in[16384];
	char path[64];
	size_t got = 0;
	ssize_t n;
	int fd, i;

	for (i = 0; i < (int)sizeof(bytes); i++)
		bytes[i] = realtime[i % sizeof(realtime)];
	snprintf(path, sizeof(path), "/dev/snd/midiC%dD0", self->card);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* Input runs from the first poll or read (rawmidi). */
	poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0);
	/* The first 1 KiB goes through (the driver has read it back); then the chip is gone. */
	ASSERT_EQ(1024, write(fd, bytes, 1024));
	for (i = 0; i < 1000 && dmus_virt_counter(self->dir, "bytes_in") < 1024; i++)
		usleep(10000);
	ASSERT_LE(1024, dmus_virt_counter(self->dir, "bytes_in"));
	ASSERT_EQ(0, fault(self->dir, "vanish"));
	alarm(60);
	EXPECT_EQ((ssize_t)sizeof(bytes) - 1024, write(fd, bytes + 1024, sizeof(bytes) - 1024));
	alarm(0);
	/* What came back is the stream's beginning, in order. */
	while (got < sizeof(in)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 500) <= 0)
			break;
		n = read(fd, in + got, sizeof(in) - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	/* Exactly what crossed before: the rest never reached the chip. */
	EXPECT_EQ(1024U, got);
	EXPECT_EQ(0, memcmp(bytes, in, got));
	EXPECT_TRUE(dmus_klog_contains("output stuck"));
	ASSERT_EQ(0, fault(self->dir, "none"));
	usleep(300000);
	EXPECT_TRUE(real_file_loops_back(self->card));
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* Interrupts with nothing waiting, during a stream: nothing changes. */
TEST_F_TIMEOUT(fault, interrupt_storm_changes_nothing, 300)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(fault(self->dir, "irq_storm 20000") ? 1 : 0);
	EXPECT_TRUE(real_file_loops_back(self->card));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(20000, dmus_virt_counter(self->dir, "irqs_spurious"));
	EXPECT_EQ(0, fault(self->dir, "irq_storm 20000"));
	EXPECT_TRUE(real_file_loops_back(self->card));
	/* The kernel did not take the line away ("nobody cared"). */
	EXPECT_FALSE(dmus_klog_contains("nobody cared"));
	EXPECT_FALSE(dmus_klog_has_splat());
}

/*
 * The interrupts of a whole message are lost: its bytes wait in the chip's
 * FIFO until the next interrupt, then both messages arrive, in order.
 */
TEST_F(fault, lost_interrupt_holds_input_until_the_next)
{
	static const unsigned char first[] = { 0x90, 0x3c, 0x40 }, second[] = { 0x80, 0x3c, 0x00 };
	unsigned char in[16];
	struct pollfd pfd;
	char path[64];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/dev/snd/midiC%dD0", self->card);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fault(self->dir, "irq_lose 3"));
	ASSERT_EQ(3, write(fd, first, 3));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 300));
	EXPECT_EQ(3, dmus_virt_counter(self->dir, "irqs_lost"));
	ASSERT_EQ(3, write(fd, second, 3));
	while (got < 6) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 2000) <= 0)
			break;
		n = read(fd, in + got, sizeof(in) - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	ASSERT_EQ(6U, got);
	EXPECT_EQ(0, memcmp(in, first, 3));
	EXPECT_EQ(0, memcmp(in + 3, second, 3));
	EXPECT_TRUE(real_file_loops_back(self->card));
}

/* Two whole messages lost on the wire: counted; the rest arrive in order. */
TEST_F_TIMEOUT(fault, bytes_lost_on_the_wire_are_counted_and_the_rest_arrive, 120)
{
	static unsigned char bytes[906], in[906], want[906];
	size_t got;
	int i;

	for (i = 0; i < 302; i++) {
		bytes[3 * i] = 0x90 | (i % 16);
		bytes[3 * i + 1] = i % 0x80;
		bytes[3 * i + 2] = 1 + i % 0x7f;
	}
	/* Messages 0-99 pass, 100 and 101 are lost, 102-301 pass. */
	ASSERT_EQ(300U, loopback(self->card, bytes, 300, in));
	ASSERT_EQ(0, fault(self->dir, "wire_drop 6"));
	got = loopback_want(self->card, bytes + 300, 606, in + 300, 600);
	EXPECT_EQ(600U, got);
	memcpy(want, bytes, 300);
	memcpy(want + 300, bytes + 306, 600);
	EXPECT_EQ(0, memcmp(want, in, 300 + got));
	EXPECT_EQ(6, dmus_virt_counter(self->dir, "wire_dropped"));
	EXPECT_TRUE(real_file_loops_back(self->card));
}

/*
 * Input faster than it is read: a 1 KiB burst into a 256-byte FIFO, then
 * 31 KiB more in 256-byte bursts while nobody reads. Every byte is delivered
 * in order or counted as lost: in the chip (debugfs overruns), in the
 * driver's capture ring (the DMus status) or in ALSA's buffer (rawmidi
 * xruns); a DMus reader is told of the overrun.
 */
TEST_F_TIMEOUT(fault, input_faster_than_read_is_delivered_or_counted, 120)
{
	static unsigned char bytes[32768], in[32768];
	struct snd_rawmidi_status rs = { .stream = SNDRV_RAWMIDI_STREAM_INPUT };
	struct snd_dmus_status ds;
	long long chip_overruns;
	size_t got = 0, i, j;
	char path[64], dmus[300];
	int fd, dfd;
	ssize_t n;
	unsigned int seed = 1;

	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = realtime[(seed = seed * 1103515245 + 12345) >> 16 & 3];
	snprintf(path, sizeof(path), "/dev/snd/midiC%dD0", self->card);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* Input runs from the first poll or read (rawmidi). */
	poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0);
	ASSERT_TRUE(find_dmus(self->card, dmus, sizeof(dmus)));
	dfd = open(dmus, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, debugfs_write(self->dir, "input", bytes, 1024));
	EXPECT_LE(768, dmus_virt_counter(self->dir, "overruns"));
	for (i = 1024; i < sizeof(bytes); i += 256)
		ASSERT_EQ(0, debugfs_write(self->dir, "input", bytes + i, 256));
	usleep(500000);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		n = read(fd, in + got, sizeof(in) - got);
		if (n > 0) {
			got += n;
			continue;
		}
		if (poll(&pfd, 1, 500) <= 0)
			break;
	}
	ASSERT_EQ(0, ioctl(fd, SNDRV_RAWMIDI_IOCTL_STATUS, &rs));
	close(fd);
	ASSERT_EQ(0, ioctl(dfd, SND_DMUS_IOCTL_STATUS, &ds));
	chip_overruns = dmus_virt_counter(self->dir, "overruns");
	TH_LOG("%zu bytes in: %zu read, %lld lost in the chip, %llu in the capture ring, %zu in ALSA's buffer",
	       sizeof(bytes), got, chip_overruns, (unsigned long long)ds.overruns,
	       (size_t)rs.xruns);
	EXPECT_EQ((long long)sizeof(bytes), dmus_virt_counter(self->dir, "injected"));
	EXPECT_EQ(sizeof(bytes), got + chip_overruns + ds.overruns + (size_t)rs.xruns);
	/* In order: what was read is a subsequence of what was sent. */
	for (i = j = 0; i < got && j < sizeof(bytes); j++)
		if (in[i] == bytes[j])
			i++;
	EXPECT_EQ(got, i);
	/* The DMus reader fell behind too (4096 records): it is told. */
	EXPECT_TRUE(told_of_overrun(dfd));
	close(dfd);
	EXPECT_TRUE(real_file_loops_back(self->card));
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_HARNESS_MAIN
