// SPDX-License-Identifier: GPL-2.0
/*
 * The software synthesizer (synth=1): a second miniport on the same port
 * driver. Its card has a rawmidi output, a sequencer port, the DMus device
 * and a capture PCM; clicks written through the DMus device with
 * presentation times start in the captured audio exactly on the sample of
 * their presentation time (the debugfs event log and clock say which); bad
 * parameters are refused; banks load from a firmware file (synth_bank=) and
 * through the DMus device (SND_DMUS_IOCTL_LOAD_BANK), and a bad one is
 * refused with the old bank kept; unload waits for the capture, and
 * unbinding the device while capturing ends the capture cleanly.
 */
#include <math.h>
#include <sys/wait.h>
#include <time.h>

#include "dmus_lib.h"
#include "kselftest_harness.h"

#define RATE 48000
#define RAW "/tmp/dmus-synth.raw"
#define DBG "/sys/kernel/debug/snd-dmus-mpu401-synth"
/* The GM bank converted from timgm6mb-soundfont (the guest's firmware). */
#define FW "/lib/firmware/"
#define GM_BANK "dmus/timgm6mb.dmbk"
/* Bytes of the module's built-in bank. */
#define BUILTIN_BANK_BYTES 1624

/* The card number of the first synthesizer, or -1. */
static int synth_card(void)
{
	char line[256];
	int n, card = -1;
	FILE *f = fopen("/proc/asound/cards", "r");

	if (!f)
		return -1;
	while (card < 0 && fgets(line, sizeof(line), f))
		if (strstr(line, "DMusSynth") && sscanf(line, " %d", &n) == 1)
			card = n;
	fclose(f);
	return card;
}

/* The debugfs directory of the newest synthesizer, into @out. */
static bool synth_debugfs(char *out, size_t len)
{
	int n;

	for (n = 15; n >= 0; n--) {
		snprintf(out, len, DBG "%d", n);
		if (!access(out, F_OK))
			return true;
	}
	return false;
}

/* Starts arecord on @card's capture for @secs seconds into RAW; its pid. */
static pid_t start_arecord(int card, int secs)
{
	char dev[32], dur[16];
	pid_t pid;

	snprintf(dev, sizeof(dev), "hw:%d,0", card);
	snprintf(dur, sizeof(dur), "%d", secs);
	pid = fork();
	if (pid == 0) {
		int fd = open("/tmp/dmus-arecord.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("arecord", "arecord", "-q", "-D", dev, "-f", "S16_LE", "-c", "2", "-r",
		       "48000", "-t", "raw", "-d", dur, RAW, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Waits until @card's capture runs (its origin set), up to 5 s. */
static bool wait_running(int card)
{
	char path[128];
	int i;

	snprintf(path, sizeof(path), "/proc/asound/card%d/pcm0c/sub0/status", card);
	for (i = 0; i < 500; i++) {
		if (file_contains(path, "state: RUNNING"))
			return true;
		usleep(10000);
	}
	return false;
}

/* Waits for @pid; its exit status, or -1. */
static int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The capture @audio (stereo frames) is exactly zero in the 50 ms before frame @sample. */
static bool silent_before(const short *audio, long long sample)
{
	long long j;

	for (j = sample - RATE / 20; j < sample; j++)
		if (audio[2 * j] || audio[2 * j + 1])
			return false;
	return true;
}

/* The capture @audio is not zero on frame @sample. */
static bool sounds_at(const short *audio, long long sample)
{
	return audio[2 * sample] || audio[2 * sample + 1];
}

/* Master-clock time now, 100 ns. */
static long long now_rt(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000000000LL + ts.tv_nsec) / 100;
}

/*
 * A DMus buffer into @buf (64 KiB) starting at @start (100 ns): @n drum
 * clicks, click i at i * @slot plus a random part of @jitter, each a
 * note-on and a note-off 30 ms later; its length in bytes.
 */
static size_t click_buffer(unsigned char *buf, long long start, int n, long long slot,
			   long long jitter)
{
	struct snd_dmus_buffer h = { .rt_start = start };
	size_t len = sizeof(h);
	__u32 cb;
	int i, k;

	for (i = 0; i < n; i++) {
		long long at = (long long)i * slot + (jitter ? rand() % jitter : 0);
		unsigned char on[3] = { 0x99, 37, 127 }, off[3] = { 0x89, 37, 0 };
		unsigned char *msgs[2] = { on, off };
		long long when[2] = { at, at + 300000 };

		for (k = 0; k < 2; k++) {
			struct snd_dmus_event e = {
				.cb_event = 3, .channel_group = 1, .rt_delta = when[k],
				.flags = SND_DMUS_EVENT_STRUCTURED,
			};

			memcpy(buf + len, &e, sizeof(e));
			memcpy(buf + len + sizeof(e), msgs[k], 3);
			memset(buf + len + sizeof(e) + 3, 0, SND_DMUS_EVENT_SIZE(3) - sizeof(e) - 3);
			len += SND_DMUS_EVENT_SIZE(3);
		}
	}
	cb = len - sizeof(h);
	h.cb_data = cb;
	memcpy(buf, &h, sizeof(h));
	return len;
}

/* The bytes of @path (malloc'd; NULL if it cannot be read), their number in @len. */
static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	long size;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc(size);
		if (buf && fread(buf, 1, size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = size;
	}
	fclose(f);
	return buf;
}

/* SND_DMUS_IOCTL_LOAD_BANK of @size bytes at @data on @fd: 0 or -errno. */
static int load_bank(int fd, const void *data, __u64 size)
{
	struct snd_dmus_bank b = { .data = (__u64)(uintptr_t)data, .size = size };

	return ioctl(fd, SND_DMUS_IOCTL_LOAD_BANK, &b) ? -errno : 0;
}

/* Waits up to 5 s until "@key: @want" is in @path. */
static bool wait_key(const char *path, const char *key, long long want)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (dmus_key_value(path, key) == want)
			return true;
		usleep(10000);
	}
	return false;
}

FIXTURE(synth) {
	int card;
	char dbg[128];
};

FIXTURE_SETUP(synth)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
	self->card = -1;
	ASSERT_EQ(0, dmus_load("synth=1 synth_delay=50 enable=0,0,0,0,0,0,0,0"));
	self->card = synth_card();
	ASSERT_LE(0, self->card);
	ASSERT_TRUE(synth_debugfs(self->dbg, sizeof(self->dbg)));
}

FIXTURE_TEARDOWN(synth)
{
	dmus_unload_wait();
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(synth, card_has_a_capture_pcm_a_midi_output_and_a_sequencer_port)
{
	char path[128];
	FILE *p;
	char line[256];
	bool port = false;

	EXPECT_TRUE(file_contains("/proc/asound/pcm", ": DMus Synth Wave : capture 1"));
	snprintf(path, sizeof(path), "/proc/asound/card%d/midi0", self->card);
	EXPECT_TRUE(file_contains(path, "Output 0"));
	EXPECT_FALSE(file_contains(path, "Input 0"));
	p = popen("aplaymidi -l", "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "DMus Synth MIDI"))
			port = true;
	pclose(p);
	EXPECT_TRUE(port);
	ASSERT_EQ(0, dmus_unload());
	EXPECT_GT(0, synth_card());
}

/*
 * Forty drum clicks at random times, one in each 200 ms slot (gaps of 100 to
 * 300 ms), written ahead through the DMus device: each note-on the log marks
 * on time starts on the frame RefTimeToSample(pres) gives, and the capture
 * is silent (exactly zero) in the 50 ms before that frame and not silent on
 * it.
 */
TEST_F_TIMEOUT(synth, clicks_start_on_the_sample_of_their_presentation_time, 120)
{
	static unsigned char buf[65536];
	static short audio[RATE * 2 * 14];
	char dmus[64], path[160], line[256];
	long long origin, rate, t;
	int fd, ok = 0, late = 0, checked = 0;
	size_t len = 0, frames;
	pid_t pid;
	FILE *f;

	ASSERT_TRUE(find_dmus(self->card, dmus, sizeof(dmus)));
	pid = start_arecord(self->card, 12);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_running(self->card));
	snprintf(path, sizeof(path), "%s/clock", self->dbg);
	origin = dmus_key_value(path, "origin_time");
	rate = dmus_key_value(path, "rate");
	ASSERT_LT(0, origin);
	ASSERT_EQ(RATE, rate);

	fd = open(dmus, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	{
		__u32 run = SND_DMUS_STATE_RUN;

		ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_SET_STATE, &run));
	}
	srand(1234);
	t = now_rt() + 5000000;	/* 0.5 s from now */
	len = click_buffer(buf, t, 40, 2000000, 1000000);
	ASSERT_EQ((ssize_t)len, write(fd, buf, len));
	ASSERT_EQ(0, wait_exit(pid));
	close(fd);

	f = fopen(RAW, "rb");
	ASSERT_NE(NULL, f);
	frames = fread(audio, 4, RATE * 14, f);
	fclose(f);
	ASSERT_LT(RATE * 10, frames);

	snprintf(path, sizeof(path), "%s/events", self->dbg);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		long long sample, pres, want;
		char when[16];
		unsigned int st, key, vel;
		bool silent;

		if (line[0] == '#' ||
		    sscanf(line, "%lld %lld %15s %x %x %x", &sample, &pres, when, &st, &key, &vel) != 6)
			continue;
		if (st != 0x99 || !vel)
			continue;
		if (strcmp(when, "ontime")) {
			late++;
			continue;
		}
		checked++;
		want = (pres - origin) * rate / 10000000;
		EXPECT_EQ(want, sample);
		if (sample < RATE / 20 || (size_t)sample >= frames)
			continue;
		silent = silent_before(audio, sample);
		EXPECT_TRUE(silent);
		EXPECT_TRUE(sounds_at(audio, sample));
		if (silent && sounds_at(audio, sample) && want == sample)
			ok++;
	}
	fclose(f);
	fprintf(stderr, "# %d of %d on-time clicks start on their sample; %d late\n", ok, checked,
		late);
	EXPECT_EQ(40, checked + late);
	EXPECT_LE(30, checked);
}

/* Drift figures of one run of synth_drift(). */
struct drift_run {
	int checked, late;
	double max_us, median_us, last_us, last_pred_us;
	bool bounded, as_predicted;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * One run for drift_stays_bounded_with_sync_to_master: the module loaded with
 * its sample counter DRIFT_PPM fast and @sync, 120 clicks 500 ms apart over
 * a minute through the DMus device while arecord captures. Each on-time
 * note-on's placement error is the master time at which the counter reached
 * its sample (the clock file's start_time, rate and skew_ppm give it
 * exactly) less its presentation time. Every on-time click must start in
 * the capture on its logged sample (silent before, sound on it); with
 * @sync every error is within DRIFT_BOUND_US; without, the sample clock is
 * untouched (each sample is RefTimeToSample of the start-anchored clock)
 * and each error is the skew's, -(pres - start) * skew / (10^6 + skew),
 * within one sample.
 */
#define DRIFT_PPM 300
#define DRIFT_CLICKS 120
#define DRIFT_BOUND_US 1000.0
static short drift_audio[RATE * 2 * 70];

static void synth_drift(struct __test_metadata *_metadata, bool sync, struct drift_run *r)
{
	static unsigned char buf[65536];
	static double err[DRIFT_CLICKS * 2];
	char params[160], dbg[128], dmus[64], path[160], line[256];
	long long start, rate, skew;
	size_t len, frames;
	int card, fd, n = 0;
	pid_t pid;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->bounded = r->as_predicted = true;
	dmus_unload();
	snprintf(params, sizeof(params),
		 "synth=1 synth_delay=50 synth_skew=%d synth_sync=%d enable=0,0,0,0,0,0,0,0",
		 DRIFT_PPM, sync);
	ASSERT_EQ(0, dmus_load(params));
	card = synth_card();
	ASSERT_LE(0, card);
	ASSERT_TRUE(synth_debugfs(dbg, sizeof(dbg)));
	ASSERT_TRUE(find_dmus(card, dmus, sizeof(dmus)));
	pid = start_arecord(card, 64);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_running(card));
	snprintf(path, sizeof(path), "%s/clock", dbg);
	start = dmus_key_value(path, "start_time");
	rate = dmus_key_value(path, "rate");
	skew = dmus_key_value(path, "skew_ppm");
	ASSERT_LT(0, start);
	ASSERT_EQ(RATE, rate);
	ASSERT_EQ(DRIFT_PPM, skew);
	ASSERT_EQ(sync, dmus_key_value(path, "sync"));

	fd = open(dmus, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	{
		__u32 run = SND_DMUS_STATE_RUN;

		ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_SET_STATE, &run));
	}
	len = click_buffer(buf, now_rt() + 5000000, DRIFT_CLICKS, 5000000, 0);
	ASSERT_EQ((ssize_t)len, write(fd, buf, len));
	ASSERT_EQ(0, wait_exit(pid));
	close(fd);

	f = fopen(RAW, "rb");
	ASSERT_NE(NULL, f);
	frames = fread(drift_audio, 4, RATE * 70, f);
	fclose(f);
	ASSERT_LT(RATE * 60, frames);

	snprintf(path, sizeof(path), "%s/events", dbg);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		long long sample, pres;
		char when[16];
		unsigned int st, key, vel;
		double reached, e, pred;

		if (line[0] == '#' ||
		    sscanf(line, "%lld %lld %15s %x %x %x", &sample, &pres, when, &st, &key, &vel) != 6)
			continue;
		if (st != 0x99 || !vel)
			continue;
		if (strcmp(when, "ontime")) {
			r->late++;
			continue;
		}
		r->checked++;
		/* The counter reached @sample at start + sample * 10^13 / (rate * (10^6 + skew)). */
		reached = start + (double)sample * 1e13 / ((double)rate * (1e6 + skew));
		e = (reached - pres) / 10.0;
		pred = -(double)(pres - start) * skew / (1e6 + skew) / 10.0;
		if (n < DRIFT_CLICKS * 2)
			err[n++] = fabs(e);
		if (fabs(e) > r->max_us)
			r->max_us = fabs(e);
		r->last_us = e;
		r->last_pred_us = pred;
		if (sync && fabs(e) > DRIFT_BOUND_US)
			r->bounded = false;
		if (!sync && (sample != (pres - start) * rate / 10000000 ||
			      fabs(e - pred) > 1e6 / RATE + 0.1))
			r->as_predicted = false;
		if (sample < RATE / 20 || (size_t)sample >= frames)
			continue;
		EXPECT_TRUE(silent_before(drift_audio, sample));
		EXPECT_TRUE(sounds_at(drift_audio, sample));
	}
	fclose(f);
	if (n) {
		qsort(err, n, sizeof(err[0]), cmp_double);
		r->median_us = err[n / 2];
	}
	snprintf(path, sizeof(path), "%s/clock", dbg);
	fprintf(stderr,
		"# %d ppm, SyncToMaster %s: %d on-time clicks, %d late; |error| median %.1f us, max %.1f us; last click %.1f us (the skew alone: %.1f us); last drift measured %lld (100 ns)\n",
		DRIFT_PPM, sync ? "on" : "off", r->checked, r->late, r->median_us, r->max_us,
		r->last_us, r->last_pred_us, dmus_key_value(path, "drift"));
	EXPECT_EQ(DRIFT_CLICKS, r->checked + r->late);
	EXPECT_LE(DRIFT_CLICKS * 3 / 4, r->checked);
}

/*
 * A sample counter 300 ppm fast over a minute: with SyncToMaster the clicks
 * start within 1 ms of their presentation times on the counter's clock;
 * without it they fall behind by the skew (18 ms at a minute), as predicted.
 */
TEST_F_TIMEOUT(synth, drift_stays_bounded_with_sync_to_master, 300)
{
	struct drift_run on, off;

	synth_drift(_metadata, true, &on);
	synth_drift(_metadata, false, &off);
	EXPECT_TRUE(on.bounded);
	EXPECT_TRUE(off.as_predicted);
	/* Without correction the last click is most of 18 ms off. */
	EXPECT_GT(-10000.0, off.last_us);
}

TEST(bad_parameters_are_refused)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	EXPECT_EQ(-EINVAL, dmus_load("synth=5"));
	EXPECT_EQ(-EINVAL, dmus_load("synth=1 synth_rate=1000"));
	EXPECT_EQ(-EINVAL, dmus_load("synth=1 synth_delay=0"));
	EXPECT_EQ(-EINVAL, dmus_load("synth=1 synth_skew=10001"));
	EXPECT_EQ(-EINVAL, dmus_load("synth=1 synth_skew=-10001"));
	EXPECT_EQ(-EINVAL, dmus_load("synth=1 synth_sync=2"));
	EXPECT_FALSE(dmus_loaded());
}

/*
 * SND_DMUS_IOCTL_LOAD_BANK: only the writer may load; bytes that are not a
 * bank (cut short, a download's size wrong), a bank above the limit and a
 * bad address are refused and the built-in bank stays; the GM bank is
 * played from the capture's first tick, and size 0 brings the built-in bank
 * back while the capture runs.
 */
TEST_F_TIMEOUT(synth, banks_load_through_the_dmus_device, 120)
{
	char dmus[64], counters[160];
	unsigned char *gm, *bad;
	size_t len = 0;
	__u32 downloads;
	int ro, fd;
	pid_t pid;

	gm = slurp(FW GM_BANK, &len);
	ASSERT_NE(NULL, gm) TH_LOG("no %s: the converted GM bank is missing", FW GM_BANK);
	ASSERT_LT((size_t)12, len);
	memcpy(&downloads, gm + 8, 4);
	ASSERT_TRUE(find_dmus(self->card, dmus, sizeof(dmus)));
	snprintf(counters, sizeof(counters), "%s/counters", self->dbg);
	EXPECT_EQ(BUILTIN_BANK_BYTES, dmus_key_value(counters, "bank_bytes"));

	ro = open(dmus, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EPERM, load_bank(ro, gm, len));
	close(ro);
	fd = open(dmus, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, load_bank(fd, gm, len - 4));
	bad = malloc(len);
	ASSERT_NE(NULL, bad);
	memcpy(bad, gm, len);
	bad[12 + 4 + 12] ^= 0x55;	/* the first download's cbSize */
	EXPECT_EQ(-EINVAL, load_bank(fd, bad, len));
	free(bad);
	EXPECT_EQ(-E2BIG, load_bank(fd, gm, SND_DMUS_BANK_MAX + 1ULL));
	EXPECT_EQ(-EFAULT, load_bank(fd, (void *)8, 4096));

	pid = start_arecord(self->card, 3);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_running(self->card));
	usleep(100000);
	EXPECT_EQ(BUILTIN_BANK_BYTES, dmus_key_value(counters, "bank_bytes"));
	EXPECT_EQ(0, dmus_key_value(counters, "banks_loaded"));
	EXPECT_EQ(0, load_bank(fd, gm, len));
	free(gm);
	EXPECT_TRUE(wait_key(counters, "bank_bytes", len));
	EXPECT_EQ(downloads, dmus_key_value(counters, "bank_downloads"));
	EXPECT_EQ(1, dmus_key_value(counters, "banks_loaded"));
	EXPECT_EQ(0, load_bank(fd, NULL, 0));
	EXPECT_TRUE(wait_key(counters, "bank_bytes", BUILTIN_BANK_BYTES));
	EXPECT_EQ(2, dmus_key_value(counters, "banks_loaded"));
	EXPECT_EQ(0, wait_exit(pid));
	close(fd);
}

/* An MPU-401 card plays no instruments: its DMus device takes no bank. */
TEST(an_mpu401_card_takes_no_bank)
{
	char dmus[64];
	int fd, card;

	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	ASSERT_EQ(0, dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"));
	card = dmus_card();
	ASSERT_LE(0, card);
	ASSERT_TRUE(find_dmus(card, dmus, sizeof(dmus)));
	fd = open(dmus, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, load_bank(fd, NULL, 0));
	close(fd);
	EXPECT_EQ(0, dmus_unload_wait());
}

/*
 * synth_bank=: a missing file and a file that is not a bank fail the load
 * (no synthesizer bound: -ENODEV) with a message naming the cause; the GM
 * bank loads and says what it holds.
 */
TEST(firmware_banks_load_or_fail_with_a_message)
{
	const char *off = " enable=0,0,0,0,0,0,0,0";
	char params[160];
	FILE *f;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, access(FW GM_BANK, R_OK)) TH_LOG("no %s: the converted GM bank is missing",
						     FW GM_BANK);
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
	snprintf(params, sizeof(params), "synth=1 synth_bank=dmus/absent.dmbk%s", off);
	EXPECT_EQ(-ENODEV, dmus_load(params));
	EXPECT_TRUE(dmus_klog_contains("synth_bank=dmus/absent.dmbk: cannot load the firmware file"));
	f = fopen(FW "dmus/bad.dmbk", "wb");
	ASSERT_NE(NULL, f);
	fputs("DMBK but not a bank", f);
	fclose(f);
	snprintf(params, sizeof(params), "synth=1 synth_bank=dmus/bad.dmbk%s", off);
	EXPECT_EQ(-ENODEV, dmus_load(params));
	EXPECT_TRUE(dmus_klog_contains("synth_bank=dmus/bad.dmbk: not a valid DMus bank"));
	unlink(FW "dmus/bad.dmbk");
	EXPECT_FALSE(dmus_loaded());
	/* The load's own message names what failed, and it never said "loaded". */
	EXPECT_TRUE(dmus_klog_contains("synthesizer not created"));
	EXPECT_FALSE(dmus_klog_contains("MPU-401 device not found"));
	EXPECT_FALSE(dmus_klog_contains("DMus port driver loaded"));
	snprintf(params, sizeof(params), "synth=1 synth_bank=" GM_BANK "%s", off);
	ASSERT_EQ(0, dmus_load(params));
	EXPECT_LE(0, synth_card());
	EXPECT_TRUE(dmus_klog_contains("synth_bank=" GM_BANK ": "));
	EXPECT_EQ(0, dmus_unload_wait());
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* rmmod is refused while a capture is open; unbinding ends the capture. */
TEST_F_TIMEOUT(synth, unload_waits_and_unbind_ends_a_running_capture, 60)
{
	pid_t pid = start_arecord(self->card, 20);
	long long t0;
	struct timespec ts;
	int rc;

	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_running(self->card));
	EXPECT_NE(0, dmus_unload());
	EXPECT_TRUE(dmus_loaded());
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec;
	ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/snd_dmus_synth/unbind",
				"snd_dmus_synth.0"));
	rc = wait_exit(pid);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	EXPECT_NE(0, rc);
	EXPECT_GT(10, ts.tv_sec - t0);
	EXPECT_GT(0, synth_card());
	ASSERT_EQ(0, dmus_unload());
}

TEST_HARNESS_MAIN
