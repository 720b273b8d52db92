/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the snd-dmus-mpu401 selftests: loading and unloading the
 * module with finit_module(2)/delete_module(2) so that tests see the errno
 * the kernel returns, and reading the kernel log.
 */
#ifndef DMUS_LIB_H
#define DMUS_LIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sound/asound.h>
#include "snd_dmus.h"

#define DMUS_MODNAME "snd_dmus_mpu401"

/*
 * A fixed amount of CPU work, timed (ms): printed beside a timing figure of
 * the same boot, it tells a slow boot (a busy host, a slow clocksource) from
 * a slow driver.
 */
static inline double dmus_reference_loop_ms(void)
{
	volatile unsigned long long x = 1;
	struct timespec a, b;
	long i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 20000000; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
}

/* What the kernel did beside a test: softirq work and who ran it. */
struct dmus_sys_load {
	long long tasklets;	/* TASKLET softirqs run, all CPUs (/proc/softirqs) */
	long long ksoftirqd_ns;	/* CPU time of the ksoftirqd threads */
	long long irq_ticks, softirq_ticks;	/* /proc/stat, USER_HZ ticks */
};

/* The sum of the counters on the line of /proc/softirqs named @name. */
static inline long long dmus_softirq_count(const char *name)
{
	char line[1024];
	long long sum = 0;
	size_t len = strlen(name);
	FILE *f = fopen("/proc/softirqs", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, name, len) || p[len] != ':')
			continue;
		p += len + 1;
		for (;;) {
			long long v = strtoll(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
	}
	if (f)
		fclose(f);
	return sum;
}

static inline struct dmus_sys_load dmus_sys_load_now(void)
{
	struct dmus_sys_load l = { .tasklets = dmus_softirq_count("TASKLET") };
	char path[300], comm[64];
	struct dirent *de;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && (de = readdir(d))) {
		long long run = 0;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		comm[0] = '\0';
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		if (strncmp(comm, "ksoftirqd/", 10))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%lld", &run) == 1)
			l.ksoftirqd_ns += run;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	f = fopen("/proc/stat", "r");
	if (f) {
		long long v[7] = { 0 };

		if (fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6]) == 7) {
			l.irq_ticks = v[5];
			l.softirq_ticks = v[6];
		}
		fclose(f);
	}
	return l;
}

/* The guest's clocksource (a slow one makes every time read an exit). */
static inline const char *dmus_clocksource(void)
{
	static char name[64];
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	snprintf(name, sizeof(name), "?");
	if (f && fgets(name, sizeof(name), f))
		name[strcspn(name, "\n")] = '\0';
	if (f)
		fclose(f);
	return name;
}

/* Path of the module file: $DMUS_MODULE or the guest's default. */
static inline const char *dmus_module_path(void)
{
	const char *p = getenv("DMUS_MODULE");

	return p ? p : "/opt/dmus/snd-dmus-mpu401.ko";
}

/*
 * Loads what the module depends on (ALSA's rawmidi, hwdep, PCM and sequencer
 * bridge).
 */
static inline void dmus_load_deps(void)
{
	if (system("modprobe -a snd-rawmidi snd-hwdep snd-pcm snd-seq-midi 2>/dev/null"))
		fprintf(stderr, "# modprobe snd-rawmidi snd-hwdep snd-pcm snd-seq-midi failed\n");
}

/* Loads the module with @params; returns 0 or -errno. */
static inline int dmus_load(const char *params)
{
	int fd = open(dmus_module_path(), O_RDONLY | O_CLOEXEC);
	int ret, err;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

/* Unloads the module; returns 0 or -errno (-ENOENT when not loaded). */
static inline int dmus_unload(void)
{
	return syscall(__NR_delete_module, DMUS_MODNAME, O_NONBLOCK) ? -errno : 0;
}

/* Whether /proc/modules lists the module. */
static inline bool dmus_loaded(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, DMUS_MODNAME " ", strlen(DMUS_MODNAME) + 1))
			found = true;
	fclose(f);
	return found;
}

/* Empties the kernel log buffer, so that later checks see only new lines. */
static inline void dmus_klog_clear(void)
{
	klogctl(5 /* SYSLOG_ACTION_CLEAR */, NULL, 0);
}

/* Whether the kernel log (since the last clear) contains @needle. */
static inline bool dmus_klog_contains(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Whether the kernel log (since the last clear) reports an oops or warning. */
static inline bool dmus_klog_has_splat(void)
{
	return dmus_klog_contains("BUG:") || dmus_klog_contains("WARNING:") ||
	       dmus_klog_contains("Oops") || dmus_klog_contains("Call Trace");
}

/* The card numbers of all DMus MPU-401s, into @cards; returns how many. */
static inline int dmus_cards(int *cards, int max)
{
	char line[256];
	int count = 0, n;
	FILE *f = fopen("/proc/asound/cards", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && count < max)
		if (strstr(line, "DMusMPU401") && sscanf(line, " %d", &n) == 1)
			cards[count++] = n;
	fclose(f);
	return count;
}

/* How many DMus MPU-401 cards there are. */
static inline int dmus_card_count(void)
{
	int cards[32];

	return dmus_cards(cards, 32);
}

/* The card number of the first DMus MPU-401, or -1. */
static inline int dmus_card(void)
{
	int card;

	return dmus_cards(&card, 1) ? card : -1;
}

/* Whether @path contains @needle. */
static inline bool file_contains(const char *path, const char *needle)
{
	static char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/*
 * The debugfs directory of the newest virtual MPU-401, into @buf (debugfs is
 * mounted first when it is not).
 */
static inline bool dmus_virt_debugfs(char *buf, size_t len)
{
	int tries, best = -1, n;

	for (tries = 0; tries < 2 && best < 0; tries++) {
		struct dirent *de;
		DIR *d = opendir("/sys/kernel/debug");

		if (d) {
			while ((de = readdir(d)))
				if (sscanf(de->d_name, "snd-dmus-mpu401-virt%d", &n) == 1 &&
				    n > best)
					best = n;
			closedir(d);
		}
		if (best < 0)
			mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	}
	if (best < 0)
		return false;
	snprintf(buf, len, "/sys/kernel/debug/snd-dmus-mpu401-virt%d", best);
	return true;
}

/* The value of the line "@name: value" of the file @path, or -1. */
static inline long long dmus_key_value(const char *path, const char *name)
{
	char line[256];
	long long value = -1;
	size_t len = strlen(name);
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			value = strtoll(line + len + 1, NULL, 10);
	fclose(f);
	return value;
}

/* The value of "@name: value" in the virtual MPU-401's counters file, or -1. */
static inline long long dmus_virt_counter(const char *dir, const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/counters", dir);
	return dmus_key_value(path, name);
}

/*
 * Waits until the newest virtual MPU-401 has sent what its TX FIFO holds (a
 * chip cannot take bytes back; at most 2 s) and its last byte has landed,
 * so that the next opener's input flush drops them and a round trip sees
 * only its own bytes.
 */
static inline void dmus_wait_chip_tx_idle(void)
{
	char dir[256];
	int i;

	if (!dmus_virt_debugfs(dir, sizeof(dir)))
		return;
	for (i = 0; i < 200 && dmus_virt_counter(dir, "tx_pending") > 0; i++)
		usleep(10000);
	usleep(20000);
}

/* A counter of /proc/asound/cardN/midi0 ("Tx bytes" or "Rx bytes"). */
static inline long midi_counter(int card, const char *name)
{
	char path[64], line[128];
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/asound/card%d/midi0", card);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, name);

		if (p && (p = strchr(p, ':')))
			value = strtol(p + 1, NULL, 10);
	}
	fclose(f);
	return value;
}

/*
 * Writes @len bytes to the rawmidi node of @card and reads what comes back,
 * at once (the ALSA buffers are smaller than a large SysEx), into @out (room
 * for @want bytes), with at most 2 KiB in flight, until @want bytes came
 * back. Returns the number of bytes read; stops after 10 s without progress.
 */
static inline size_t loopback_want(int card, const unsigned char *data, size_t len,
				   unsigned char *out, size_t want)
{
	char path[64];
	size_t sent = 0, got = 0;
	int idle = 0, fd;

	snprintf(path, sizeof(path), "/dev/snd/midiC%dD0", card);
	fd = open(path, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return 0;
	while (got < want && idle < 1000) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		/*
		 * A cable has no flow control: keep at most half of ALSA's input
		 * buffer (4 KiB) in flight, or the reader's side overruns.
		 */
		if (sent < len && sent - got < 2048)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, 10) <= 0) {
			idle++;
			continue;
		}
		idle = 0;
		if (pfd.revents & POLLOUT) {
			n = write(fd, data + sent, len - sent > 256 ? 256 : len - sent);
			if (n > 0)
				sent += n;
		}
		if (pfd.revents & POLLIN) {
			n = read(fd, out + got, want - got);
			if (n > 0)
				got += n;
		}
	}
	close(fd);
	return got;
}

/* loopback_want() of all @len bytes. */
static inline size_t loopback(int card, const unsigned char *data, size_t len, unsigned char *out)
{
	return loopback_want(card, data, len, out, len);
}

/* Unloads the module, retrying for up to 10 s while it is busy (a killed
 * test's files close asynchronously); returns 0 or -errno. */
static inline int dmus_unload_wait(void)
{
	int i, ret = 0;

	for (i = 0; i < 100 && dmus_loaded(); i++) {
		ret = dmus_unload();
		if (!ret || ret == -ENOENT)
			return 0;
		usleep(100000);
	}
	return dmus_loaded() ? ret : 0;
}

/* Writes @s to sysfs file @path; returns 0 or -errno. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The DMus device (hwdep id "DMus") of @card, into @out. */
static inline bool find_dmus(int card, char *out, size_t len)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir("/dev/snd");

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		struct snd_hwdep_info hi;
		char path[300];
		int c, dev, fd;

		if (sscanf(de->d_name, "hwC%dD%d", &c, &dev) != 2 || c != card)
			continue;
		snprintf(path, sizeof(path), "/dev/snd/%s", de->d_name);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&hi, 0, sizeof(hi));
		if (!ioctl(fd, SNDRV_HWDEP_IOCTL_INFO, &hi) &&
		    !strcmp((const char *)hi.id, SND_DMUS_HWDEP_ID) && hi.card == card) {
			snprintf(out, len, "%s", path);
			found = true;
		}
		close(fd);
	}
	closedir(d);
	return found;
}

#endif /* DMUS_LIB_H */
