// SPDX-License-Identifier: GPL-2.0
/*
 * snd-dmus-mpu401 on a virtual MPU-401 whose cable loops OUT to IN: the card,
 * the rawmidi node and the sequencer port appear and go away with the module;
 * bytes written to /dev/snd/midiCxD0 come back byte-exact (every message
 * kind, real-time bytes inside a SysEx, a 64 KiB SysEx, every real MIDI file
 * of the guest as raw bytes) and /proc/asound counts them; bad parameters, an
 * ISA port with no chip behind it and a chip that never ACKs (unless no_ack=1)
 * are refused with the right errno.
 */
#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include "dmus_lib.h"
#include "kselftest_harness.h"

FIXTURE(virt) {
	int card;
};

FIXTURE_SETUP(virt)
{
	const char *params;

	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
	/*
	 * An instant cable and deep FIFOs: these tests are about bytes.
	 * $DMUS_VIRT_PARAMS replaces them (to run the same tests at wire speed).
	 */
	params = getenv("DMUS_VIRT_PARAMS");
	ASSERT_EQ(0, dmus_load(params ? params : "virt=1 baud=0 rx_fifo=256 tx_fifo=256 pnp=0,0,0,0,0,0,0,0"));
	self->card = dmus_card();
	ASSERT_LE(0, self->card);
}

FIXTURE_TEARDOWN(virt)
{
	dmus_unload();
}

/* Where bytes went missing: the virtual chip's counts, for the log. */
static void log_losses(struct __test_metadata *_metadata)
{
	char dir[300];

	if (!dmus_virt_debugfs(dir, sizeof(dir)))
		return;
	TH_LOG("chip: %lld input overruns, %lld bytes dropped while TX_FULL, %lld on the wire",
	       dmus_virt_counter(dir, "overruns"), dmus_virt_counter(dir, "dropped"),
	       dmus_virt_counter(dir, "bytes_wire"));
}

TEST_F(virt, devices_present_and_gone_after_unload)
{
	char node[64];
	struct stat st;

	snprintf(node, sizeof(node), "/dev/snd/midiC%dD0", self->card);
	EXPECT_EQ(0, stat(node, &st));
	EXPECT_TRUE(file_contains("/proc/asound/cards", "DMus virtual MPU-401"));
	EXPECT_TRUE(file_contains("/proc/asound/seq/clients", "DMus MPU-401"));
	ASSERT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_loaded());
	EXPECT_NE(0, stat(node, &st));
	EXPECT_FALSE(file_contains("/proc/asound/cards", "DMusMPU401"));
	EXPECT_FALSE(file_contains("/proc/asound/seq/clients", "DMus MPU-401"));
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(virt, every_message_kind_comes_back_byte_exact)
{
	static const unsigned char msgs[] = {
		0x90, 0x3c, 0x40,		/* note on */
		0x3e, 0x40,			/* running status */
		0x80, 0x3c, 0x00,		/* note off */
		0xa1, 0x3c, 0x22,		/* poly pressure */
		0xb2, 0x07, 0x64,		/* control change */
		0xc3, 0x05,			/* program change */
		0xd4, 0x33,			/* channel pressure */
		0xe5, 0x00, 0x40,		/* pitch bend */
		0xf1, 0x12,			/* MTC quarter frame */
		0xf2, 0x10, 0x02,		/* song position */
		0xf3, 0x03,			/* song select */
		0xf6,				/* tune request */
		0xf8, 0xfa, 0xfc,		/* real time */
		0xf0, 0x7e, 0xf8, 0x7f, 0xfe, 0x09, 0x01, 0xf7, /* SysEx with real time inside */
		0x96, 0x40, 0x7f,
	};
	unsigned char out[sizeof(msgs)];
	long tx0 = midi_counter(self->card, "Tx bytes");
	long rx0 = midi_counter(self->card, "Rx bytes");

	ASSERT_EQ(sizeof(msgs), loopback(self->card, msgs, sizeof(msgs), out));
	EXPECT_EQ(0, memcmp(msgs, out, sizeof(msgs)));
	EXPECT_EQ(tx0 + (long)sizeof(msgs), midi_counter(self->card, "Tx bytes"));
	EXPECT_EQ(rx0 + (long)sizeof(msgs), midi_counter(self->card, "Rx bytes"));
}

TEST_F_TIMEOUT(virt, sysex_of_64_kib_comes_back_byte_exact, 300)
{
	size_t len = 65536, i;
	unsigned char *msg = malloc(len), *out = malloc(len);

	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, out);
	msg[0] = 0xf0;
	for (i = 1; i < len - 1; i++)
		msg[i] = i % 0x80;
	msg[len - 1] = 0xf7;
	EXPECT_EQ(len, loopback(self->card, msg, len, out)) log_losses(_metadata);
	EXPECT_EQ(0, memcmp(msg, out, len));
	free(msg);
	free(out);
}

TEST_F_TIMEOUT(virt, every_real_midi_file_comes_back_byte_exact, 600)
{
	const char *dir = getenv("DMUS_RAW_DIR") ?: "/opt/dmus/raw";
	int min_files = getenv("DMUS_RAW_MIN") ? atoi(getenv("DMUS_RAW_MIN")) : 31;
	struct dirent *de;
	int files = 0, exact = 0;
	long long overruns = 0, before;
	char vdir[300];
	DIR *d = opendir(dir);

	ASSERT_NE(NULL, d);
	ASSERT_TRUE(dmus_virt_debugfs(vdir, sizeof(vdir)));
	while ((de = readdir(d))) {
		char path[512];
		unsigned char *data, *out;
		size_t got, diff;
		struct stat st;
		FILE *f;

		if (!strstr(de->d_name, ".raw"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ASSERT_EQ(0, stat(path, &st));
		data = malloc(st.st_size);
		out = malloc(st.st_size);
		ASSERT_NE(NULL, data);
		ASSERT_NE(NULL, out);
		f = fopen(path, "rb");
		ASSERT_NE(NULL, f);
		ASSERT_EQ((size_t)st.st_size, fread(data, 1, st.st_size, f));
		fclose(f);
		files++;
		before = dmus_virt_counter(vdir, "overruns");
		got = loopback(self->card, data, st.st_size, out);
		for (diff = 0; diff < got && data[diff] == out[diff]; diff++)
			;
		if (got == (size_t)st.st_size && diff == got) {
			exact++;
		} else {
			long long lost = dmus_virt_counter(vdir, "overruns") - before;

			TH_LOG("%s: %zu of %ld bytes back, first difference at %zu; %lld chip overruns",
			       de->d_name, got, (long)st.st_size, diff, lost);
			TH_LOG("chip: out %lld wire %lld in %lld dropped %lld tx_pending %lld; "
			       "card: Tx %ld Rx %ld bytes",
			       dmus_virt_counter(vdir, "bytes_out"), dmus_virt_counter(vdir, "bytes_wire"),
			       dmus_virt_counter(vdir, "bytes_in"), dmus_virt_counter(vdir, "dropped"),
			       dmus_virt_counter(vdir, "tx_pending"), midi_counter(self->card, "Tx bytes"),
			       midi_counter(self->card, "Rx bytes"));
			/* A byte that went missing is one the chip counted. */
			EXPECT_LT(0, lost);
			overruns += lost;
		}
		free(data);
		free(out);
	}
	closedir(d);
	TH_LOG("%d of %d files byte-exact", exact, files);
	EXPECT_LE(min_files, files);
	EXPECT_EQ(files, exact) TH_LOG("%lld bytes lost in the chip's input FIFO", overruns);
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

FIXTURE(wire) {
	int card;
};

FIXTURE_SETUP(wire)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	ASSERT_EQ(0, dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"));
	self->card = dmus_card();
	ASSERT_LE(0, self->card);
}

FIXTURE_TEARDOWN(wire)
{
	dmus_unload();
}

TEST_F(wire, debugfs_shows_each_byte_and_the_counters)
{
	static const unsigned char msgs[] = {
		0x90, 0x3c, 0x40, 0x90, 0x3e, 0x40, 0x90, 0x40, 0x40, 0x80, 0x3c, 0x00,
		0xb0, 0x07, 0x64, 0xc0, 0x05, 0xe0, 0x00, 0x40, 0xf0, 0x7e, 0x09, 0xf7,
	};
	size_t n = sizeof(msgs), count = 0, i;
	unsigned long long t[1100], gaps[1100];
	unsigned int b[1100];
	unsigned char out[sizeof(msgs)];
	char dir[300], path[320], line[128];
	FILE *f;

	ASSERT_TRUE(dmus_virt_debugfs(dir, sizeof(dir)));
	ASSERT_EQ(n, loopback(self->card, msgs, n, out));
	ASSERT_EQ(0, memcmp(msgs, out, n));

	snprintf(path, sizeof(path), "%s/wire", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f) && count < 1100)
		if (line[0] != '#' && sscanf(line, "%llu %x", &t[count], &b[count]) == 2)
			count++;
	fclose(f);
	/* The handshake's ACKs do not cross the cable: exactly our bytes did. */
	ASSERT_EQ(n, count);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(msgs[i], b[i]);
		if (i) {
			EXPECT_LE(t[i - 1], t[i]);
			gaps[i - 1] = t[i] - t[i - 1];
		}
	}
	qsort(gaps, n - 1, sizeof(gaps[0]), cmp_u64);
	TH_LOG("wire spacing at 31250 baud: median %llu ns, min %llu ns, max %llu ns (nominal 320000)",
	       gaps[(n - 2) / 2], gaps[0], gaps[n - 2]);

	snprintf(path, sizeof(path), "%s/counters", dir);
	snprintf(line, sizeof(line), "bytes_wire: %zu\n", n);
	EXPECT_TRUE(file_contains(path, line));
	snprintf(line, sizeof(line), "bytes_out: %zu\n", n);
	EXPECT_TRUE(file_contains(path, line));
	EXPECT_TRUE(file_contains(path, "overruns: 0\n"));
	EXPECT_TRUE(file_contains(path, "dropped: 0\n"));
	EXPECT_TRUE(file_contains(path, "uart: 1\n"));
}

FIXTURE(params) {};

FIXTURE_SETUP(params)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
}

FIXTURE_TEARDOWN(params)
{
	dmus_unload();
}

/*
 * A chip without an interrupt is polled only while one of its streams is
 * open, as snd-mpu401 does: the virtual chip counts its status reads.
 */
TEST_F(params, polled_chip_is_read_only_while_a_stream_is_open)
{
	const char *opens[] = { "/dev/snd/midiC%dD0", "/dev/snd/midiC%dD0", "/dev/snd/hwC%dD0" };
	const int modes[] = { O_RDONLY, O_WRONLY, O_WRONLY };
	char dir[300], dev[64];
	long long a, b;
	int card, fd, i;

	ASSERT_EQ(0, dmus_load("virt=1 virt_irq=0 pnp=0,0,0,0,0,0,0,0"));
	card = dmus_card();
	ASSERT_LE(0, card);
	ASSERT_TRUE(dmus_virt_debugfs(dir, sizeof(dir)));
	a = dmus_virt_counter(dir, "status_reads");
	ASSERT_LE(0, a);
	usleep(200000);
	b = dmus_virt_counter(dir, "status_reads");
	EXPECT_EQ(a, b) TH_LOG("%lld status reads in 200 ms with nothing open", b - a);
	for (i = 0; i < 3; i++) {
		snprintf(dev, sizeof(dev), opens[i], card);
		fd = open(dev, modes[i] | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("%s: %s", dev, strerror(errno));
		a = dmus_virt_counter(dir, "status_reads");
		usleep(200000);
		b = dmus_virt_counter(dir, "status_reads");
		/* 1 ms polls: about 200; TCG may lose many, never all. */
		EXPECT_LT(a + 20, b) TH_LOG("%s open: %lld status reads in 200 ms", dev, b - a);
		close(fd);
		usleep(50000);
		a = dmus_virt_counter(dir, "status_reads");
		usleep(200000);
		b = dmus_virt_counter(dir, "status_reads");
		EXPECT_EQ(a, b) TH_LOG("%s closed: %lld status reads in 200 ms", dev, b - a);
	}
}

TEST_F(params, bad_values_are_refused_with_einval)
{
	EXPECT_EQ(-EINVAL, dmus_load("virt=9"));
	EXPECT_TRUE(dmus_klog_contains("virt=9: at most 8"));
	EXPECT_EQ(-EINVAL, dmus_load("port=0x330"));
	EXPECT_TRUE(dmus_klog_contains("port=0x330 needs irq="));
	EXPECT_EQ(-EINVAL, dmus_load("virt=1 tx_fifo=0"));
	EXPECT_FALSE(dmus_loaded());
}

TEST_F(params, isa_port_without_chip_is_enodev_and_leaks_nothing)
{
	EXPECT_EQ(-ENODEV, dmus_load("port=0x330 irq=5"));
	EXPECT_FALSE(dmus_loaded());
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x330"));
	EXPECT_TRUE(dmus_klog_contains("status 0xff"));
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));
	EXPECT_FALSE(file_contains("/proc/asound/cards", "DMusMPU401"));
	/* Nothing left behind: the next load works. */
	EXPECT_EQ(0, dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"));
	EXPECT_LE(0, dmus_card());
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(params, two_virtual_devices_make_two_cards_that_each_loop_back)
{
	static const unsigned char msgs[] = { 0x90, 0x3c, 0x40, 0xc1, 0x07, 0x80, 0x3c, 0x00 };
	unsigned char out[sizeof(msgs)];
	int cards[4], i, n;

	ASSERT_EQ(0, dmus_load("virt=2 baud=0 pnp=0,0,0,0,0,0,0,0"));
	n = dmus_cards(cards, 4);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		memset(out, 0, sizeof(out));
		EXPECT_EQ(sizeof(msgs), loopback(cards[i], msgs, sizeof(msgs), out));
		EXPECT_EQ(0, memcmp(msgs, out, sizeof(msgs)));
	}
	EXPECT_EQ(0, dmus_unload());
	EXPECT_EQ(0, dmus_cards(cards, 4));
}

TEST_F(params, isa_port_polled_without_chip_is_enodev)
{
	EXPECT_EQ(-ENODEV, dmus_load("port=0x330 irq=-1"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x330, polled"));
	EXPECT_FALSE(dmus_loaded());
	EXPECT_EQ(-EINVAL, dmus_load("port=0x330 irq=-2"));
}

TEST_F(params, chip_that_never_acks_is_refused_and_suggests_no_ack)
{
	EXPECT_EQ(-ENODEV, dmus_load("virt=1 virt_no_ack=1 pnp=0,0,0,0,0,0,0,0"));
	EXPECT_FALSE(dmus_loaded());
	EXPECT_TRUE(dmus_klog_contains("command 0xff got no ACK"));
	EXPECT_TRUE(dmus_klog_contains("works with no_ack=1"));
	EXPECT_FALSE(file_contains("/proc/asound/cards", "DMusMPU401"));
}

TEST_F(params, chip_that_never_acks_works_with_no_ack)
{
	static const unsigned char msgs[] = { 0x90, 0x3c, 0x40, 0x3e, 0x40, 0xf0, 0x01, 0xf7 };
	unsigned char out[sizeof(msgs)];
	int card;

	ASSERT_EQ(0, dmus_load("virt=1 virt_no_ack=1 no_ack=1 pnp=0,0,0,0,0,0,0,0"));
	card = dmus_card();
	ASSERT_LE(0, card);
	EXPECT_EQ(sizeof(msgs), loopback(card, msgs, sizeof(msgs), out));
	EXPECT_EQ(0, memcmp(msgs, out, sizeof(msgs)));
	EXPECT_EQ(0, dmus_unload());
}

TEST_HARNESS_MAIN
