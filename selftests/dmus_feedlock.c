// SPDX-License-Identifier: GPL-2.0
/*
 * dmus_feedlock: make bench's figures of the port's render feed lock (an
 * IRQ-safe spinlock: interrupts are off while it is held) on the first
 * virtual MPU-401 of snd-dmus-mpu401 (virt=N), from the port's debugfs feed
 * file (Documentation/user-guide.rst). Not a test: it prints one "result"
 * line of key=value pairs for scripts/guest-bench.sh, the longest hold and
 * the most events one queueing compared, for two loads, each the worst of
 * ROUNDS runs after one warm-up run of each:
 *   forward_*: full writes (SND_DMUS_WRITE_MAX bytes of 3-byte events) in
 *		ascending time order into an empty queue, until it is full;
 *   before_far_*: one far-future event queued first, then the same writes,
 *		all of whose events fall before it (each event lands between
 *		the queue's head and tail).
 * Exit status 1 when the device or its debugfs file is missing or a write
 * fails.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sound/asound.h>
#include "dmus_lib.h"
#include "dmus_dev.h"

#define ROUNDS 5

/*
 * Fills the queue of writer @w with full writes of ascending times from
 * @base, after a far-future event when @far; the feed file's figures into
 * @ns and @steps. 0, or -1 when a write fails.
 */
static int load(int w, const char *feed, bool far, long long *ns, long long *steps)
{
	__s64 base = ahead(w, 600000000LL);
	__u32 room;
	int i;

	if (set_state(w, SND_DMUS_STATE_STOP) || set_state(w, SND_DMUS_STATE_RUN))
		return -1;
	if (far) {
		wb_reset(&wb, base + 6000000000LL);
		wb_event(&wb, 0, STRUCT, MIDI(0x94, 0x3c, 0x40));
		if (wb_write(w, &wb))
			return -1;
	}
	if (write_file(feed, "reset"))
		return -1;
	while ((room = dstatus(w).free_events) > 0) {
		wb_reset(&wb, base);
		for (i = 0; i < (int)room && wb.len + SND_DMUS_EVENT_SIZE(3) <= SND_DMUS_WRITE_MAX;
		     i++)
			wb_event(&wb, i, STRUCT, MIDI(0x94, 0x3c, 0x40));
		if (wb_write(w, &wb))
			return -1;
		base += i;
	}
	*ns = dmus_key_value(feed, "max_irqoff_ns");
	*steps = dmus_key_value(feed, "max_insert_steps");
	return *ns < 0 || *steps < 0 ? -1 : 0;
}

int main(void)
{
	long long fwd_ns = 0, fwd_steps = 0, far_ns = 0, far_steps = 0, ns, steps;
	struct snd_dmus_info info;
	char dev[300], feed[300];
	int card = dmus_card(), w, r;

	if (card < 0 || !find_dmus(card, dev, sizeof(dev))) {
		fprintf(stderr, "dmus_feedlock: no snd-dmus-mpu401 card with a DMus device\n");
		return 1;
	}
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	snprintf(feed, sizeof(feed), "/sys/kernel/debug/snd-dmus-mpu401-card%d/feed", card);
	w = open(dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (w < 0 || ioctl(w, SND_DMUS_IOCTL_INFO, &info)) {
		perror(dev);
		return 1;
	}
	/* A warm-up of each load first: a first lock hold pays one-time costs. */
	if (load(w, feed, false, &ns, &steps) || load(w, feed, true, &ns, &steps)) {
		fprintf(stderr, "dmus_feedlock: warm-up failed (%s)\n", feed);
		return 1;
	}
	for (r = 0; r < ROUNDS; r++) {
		if (load(w, feed, false, &ns, &steps)) {
			fprintf(stderr, "dmus_feedlock: forward load failed (%s)\n", feed);
			return 1;
		}
		fwd_ns = ns > fwd_ns ? ns : fwd_ns;
		fwd_steps = steps > fwd_steps ? steps : fwd_steps;
		if (load(w, feed, true, &ns, &steps)) {
			fprintf(stderr, "dmus_feedlock: load before a far event failed (%s)\n", feed);
			return 1;
		}
		far_ns = ns > far_ns ? ns : far_ns;
		far_steps = steps > far_steps ? steps : far_steps;
	}
	set_state(w, SND_DMUS_STATE_STOP);
	close(w);
	printf("result feedlock queue=%u forward_ns=%lld forward_steps=%lld before_far_ns=%lld "
	       "before_far_steps=%lld\n",
	       info.queue_size, fwd_ns, fwd_steps, far_ns, far_steps);
	return 0;
}
