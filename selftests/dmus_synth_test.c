// SPDX-License-Identifier: GPL-2.0
/*
 * The software synthesizer (synth=1): a second miniport on the same port
 * driver. Its card has a rawmidi output, a sequencer port, the DMus device
 * and a capture PCM; clicks written through the DMus device with
 * presentation times start in the captured audio exactly on the sample of
 * their presentation time (the debugfs event log and clock say which); bad
 * parameters are refused; unload waits for the capture, and unbinding the
 * device while capturing ends the capture cleanly.
 */
#include <sys/wait.h>
#include <time.h>

#include "dmus_lib.h"
#include "kselftest_harness.h"

#define RATE 48000
#define RAW "/tmp/dmus-synth.raw"
#define DBG "/sys/kernel/debug/snd-dmus-mpu401-synth"

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

/* The value of "@key: N" in @path, or -1. */
static long long read_key(const char *path, const char *key)
{
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = atoll(line + kl + 1);
	fclose(f);
	return v;
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
	long long origin, rate, now_rt, t;
	int fd, i, ok = 0, late = 0, checked = 0;
	size_t len = 0, frames;
	pid_t pid;
	FILE *f;

	ASSERT_TRUE(find_dmus(self->card, dmus, sizeof(dmus)));
	pid = start_arecord(self->card, 12);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_running(self->card));
	snprintf(path, sizeof(path), "%s/clock", self->dbg);
	origin = read_key(path, "origin_time");
	rate = read_key(path, "rate");
	ASSERT_LT(0, origin);
	ASSERT_EQ(RATE, rate);

	fd = open(dmus, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	{
		__u32 run = SND_DMUS_STATE_RUN;

		ASSERT_EQ(0, ioctl(fd, SND_DMUS_IOCTL_SET_STATE, &run));
	}
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now_rt = (ts.tv_sec * 1000000000LL + ts.tv_nsec) / 100;
	}
	srand(1234);
	t = now_rt + 5000000;	/* 0.5 s from now */
	{
		struct snd_dmus_buffer h = { .rt_start = t };

		memcpy(buf, &h, sizeof(h));
		len = sizeof(h);
	}
	for (i = 0; i < 40; i++) {
		long long at = (long long)i * 2000000 + (rand() % 1000000);	/* 100 ns */
		unsigned char on[3] = { 0x99, 37, 127 }, off[3] = { 0x89, 37, 0 };
		unsigned char *msgs[2] = { on, off };
		long long when[2] = { at, at + 300000 };
		int k;

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
	{
		__u32 cb = len - sizeof(struct snd_dmus_buffer);

		memcpy(buf + offsetof(struct snd_dmus_buffer, cb_data), &cb, sizeof(cb));
	}
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
		long long sample, pres, want, j;
		char when[16];
		unsigned int st, key, vel;
		bool silent = true;

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
		for (j = sample - RATE / 20; j < sample; j++)
			if (audio[2 * j] || audio[2 * j + 1])
				silent = false;
		EXPECT_TRUE(silent);
		EXPECT_TRUE(audio[2 * sample] || audio[2 * sample + 1]);
		if (silent && (audio[2 * sample] || audio[2 * sample + 1]) && want == sample)
			ok++;
	}
	fclose(f);
	fprintf(stderr, "# %d of %d on-time clicks start on their sample; %d late\n", ok, checked,
		late);
	EXPECT_EQ(40, checked + late);
	EXPECT_LE(30, checked);
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
	EXPECT_FALSE(dmus_loaded());
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
