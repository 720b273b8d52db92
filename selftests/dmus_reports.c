// SPDX-License-Identifier: GPL-2.0
/*
 * The end of every test VM: unloads snd-dmus-mpu401 if it is still loaded,
 * then
 *  - kmemleak_clean: a kmemleak scan (twice, after the objects are old enough
 *    to be reported) finds no unreferenced object (skipped on a kernel
 *    without kmemleak);
 *  - no_kernel_reports: the kernel log since boot (/dev/kmsg, which a test's
 *    syslog "clear" does not empty) holds no BUG, WARNING, Oops, KASAN,
 *    UBSAN, KFENCE, lockdep, "scheduling while atomic", hung task, kmemleak
 *    or debug-objects report. Each report found is printed. A report logged
 *    before "dmus_reports --baseline" ran (while the kernel booted, before
 *    any test and before the module is loaded) is printed as such and not
 *    counted: it cannot come from the module, and it is the kernel's to fix.
 *
 * Not run by the kselftest runner (it must come after every test): the test
 * VM's run.sh calls it. "dmus_reports --baseline" at the start of a VM marks
 * what kmemleak already reports (boot-time objects) as seen, and where the
 * kernel log stood (BASELINE_SEQ).
 */
#include <limits.h>
#include "dmus_lib.h"
#include "kselftest_harness.h"

#define KMEMLEAK "/sys/kernel/debug/kmemleak"
/* The sequence number of the last kernel log record before the tests. */
#define BASELINE_SEQ "/tmp/dmus_reports.seq"

static const char *const report_markers[] = {
	"BUG:",
	"WARNING:",
	"Oops",
	"KASAN",
	"UBSAN",
	"KFENCE",
	"possible circular locking",
	"possible recursive locking",
	"inconsistent lock state",
	"suspicious RCU usage",
	"possible irq lock inversion",
	"DEBUG_LOCKS_WARN_ON",
	"turning off the locking correctness validator",
	"scheduling while atomic",
	"blocked for more than",
	"suspected memory leak",
	"ODEBUG",
	"Kernel panic",
	"rust_panic",
	"general protection fault",
};

static int kmemleak_cmd(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	close(fd);
	return n < 0 ? -errno : 0;
}

FIXTURE(reports) {};

FIXTURE_SETUP(reports)
{
	if (geteuid())
		SKIP(return, "needs root");
	if (dmus_loaded())
		dmus_unload();
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
}

FIXTURE_TEARDOWN(reports) {}

TEST_F(reports, kmemleak_clean)
{
	static char buf[1 << 20];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (access(KMEMLEAK, F_OK))
		SKIP(return, "this kernel has no kmemleak");
	/* kmemleak reports objects older than 5 s, after two scans. */
	sleep(6);
	ASSERT_EQ(0, kmemleak_cmd("scan"));
	ASSERT_EQ(0, kmemleak_cmd("scan"));
	fd = open(KMEMLEAK, O_RDONLY);
	ASSERT_LE(0, fd);
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	if (len)
		fprintf(stderr, "%s", buf);
	EXPECT_EQ(NULL, strstr(buf, "unreferenced object"));
}

/*
 * The next record of /dev/kmsg (@fd, non-blocking) into @rec, NUL-terminated,
 * and its sequence number (ULLONG_MAX if it has none); false at the end. One
 * record per read, EAGAIN at the end, EPIPE when records were overwritten
 * (said on stderr when @say_lost).
 */
static bool kmsg_next(int fd, char *rec, size_t size, unsigned long long *seq, bool say_lost)
{
	ssize_t n;

	for (;;) {
		n = read(fd, rec, size - 1);
		if (n >= 0 || errno != EPIPE)
			break;
		if (say_lost)
			fprintf(stderr, "# the kernel log wrapped: records were lost\n");
	}
	if (n <= 0)
		return false;
	rec[n] = '\0';
	if (sscanf(rec, "%*u,%llu", seq) != 1)
		*seq = ULLONG_MAX;
	return true;
}

TEST_F(reports, no_kernel_reports)
{
	static char rec[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	int found = 0, records = 0, boot = 0;
	unsigned long long seq, baseline = 0;
	FILE *f = fopen(BASELINE_SEQ, "r");

	/* Without a baseline every record counts. */
	if (!f || fscanf(f, "%llu", &baseline) != 1)
		baseline = 0;
	if (f)
		fclose(f);

	ASSERT_LE(0, fd);
	while (kmsg_next(fd, rec, sizeof(rec), &seq, true)) {
		size_t i;
		char *text;

		records++;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		for (i = 0; i < ARRAY_SIZE(report_markers); i++) {
			if (!strstr(text, report_markers[i]))
				continue;
			if (seq <= baseline) {
				fprintf(stderr, "# kernel report while booting, before any test (not counted): %s",
					text);
				boot++;
			} else {
				fprintf(stderr, "# kernel report: %s", text);
				found++;
			}
			break;
		}
	}
	close(fd);
	fprintf(stderr, "# %d kernel log records read, %d reports, %d while booting\n", records,
		found, boot);
	EXPECT_LT(0, records);
	EXPECT_EQ(0, found);
}

/* Saves the sequence number of the newest kernel log record (BASELINE_SEQ). */
static void save_baseline_seq(void)
{
	static char rec[8192];
	unsigned long long seq, last = 0;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	FILE *f;

	if (fd < 0)
		return;
	while (kmsg_next(fd, rec, sizeof(rec), &seq, false))
		if (seq != ULLONG_MAX)
			last = seq;
	close(fd);
	f = fopen(BASELINE_SEQ, "w");
	if (f) {
		fprintf(f, "%llu\n", last);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--baseline")) {
		save_baseline_seq();
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
		if (!access(KMEMLEAK, F_OK)) {
			kmemleak_cmd("scan");
			kmemleak_cmd("clear");
		}
		return 0;
	}
	return test_harness_run(argc, argv);
}
