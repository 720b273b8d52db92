// SPDX-License-Identifier: GPL-2.0
/*
 * Probe paths other than the virtual MPU-401, in the test VM (scripts/check.sh
 * boots it with the ACPI table dmus_pnp.asl and QEMU's pci-testdev):
 * - PnP: the PNPB006 devices at 0x300 with IRQ 5 and at 0x320 without an
 *   IRQ (polled), where nothing answers.
 * - PCI: pci-testdev (1b36:0005, an I/O BAR 1 of 256 ports, no MPU-401)
 *   bound through the driver's new_id.
 * - ISA: the array parameters port=, irq=, index=, id=, enable=.
 * No chip answers at any of these ports; no_ack=1 makes the driver take the
 * port anyway, which gives bound devices to unbind, rebind and unload.
 */
#include <dirent.h>
#include <sys/stat.h>
#include "dmus_lib.h"
#include "kselftest_harness.h"

#define PCI_DRIVER "/sys/bus/pci/drivers/" DMUS_MODNAME

/* Whether @dir/driver exists (a driver is bound to the device at @dir). */
static bool has_driver(const char *dir)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/driver", dir);
	return lstat(path, &st) == 0;
}

/*
 * The sysfs directory of the first device under @bus_dir whose file @file
 * contains @value, into @out; false when there is none.
 */
static bool find_device(const char *bus_dir, const char *file, const char *value, char *out,
			size_t size)
{
	DIR *d = opendir(bus_dir);
	struct dirent *e;
	char path[512];
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", bus_dir, e->d_name, file);
		if (file_contains(path, value)) {
			snprintf(out, size, "%s/%s", bus_dir, e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* The start of BAR @bar of the PCI device at @dir (its sysfs resource file), or 0. */
static unsigned long bar_start(const char *dir, int bar)
{
	unsigned long long start = 0, end, flags;
	char path[600];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	for (i = 0; i <= bar; i++)
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			start = 0;
	fclose(f);
	return start;
}

/* --- PnP ----------------------------------------------------------------- */

FIXTURE(pnp) {
	char dev[512];		/* MPU0: 0x300, IRQ 5 */
	char polled[512];	/* MPU1: 0x320, no IRQ */
};

FIXTURE_SETUP(pnp)
{
	if (geteuid())
		SKIP(return, "needs root");
	if (!find_device("/sys/bus/pnp/devices", "resources", "io 0x300-0x301", self->dev,
			 sizeof(self->dev)) ||
	    !find_device("/sys/bus/pnp/devices", "resources", "io 0x320-0x321", self->polled,
			 sizeof(self->polled)))
		SKIP(return, "no PNPb006 devices (boot with -acpitable file=dmus_pnp.aml)");
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
}

FIXTURE_TEARDOWN(pnp)
{
	dmus_unload();
}

TEST_F(pnp, devices_without_chip_are_enodev_and_leak_nothing)
{
	EXPECT_EQ(-ENODEV, dmus_load(""));
	EXPECT_FALSE(dmus_loaded());
	EXPECT_TRUE(dmus_klog_contains("MPU-401 at 0x300, irq 5, device slot 0"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x300, irq 5"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 at the PnP resources (0x300)"));
	/* The one without an IRQ is polled; it gets slot 0, given back by the first. */
	EXPECT_TRUE(dmus_klog_contains("no PnP irq, using polling"));
	EXPECT_TRUE(dmus_klog_contains("MPU-401 at 0x320, polled, device slot 0"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x320, polled"));
	EXPECT_TRUE(dmus_klog_contains("MPU-401 device not found or device busy"));
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(pnp, failing_devices_do_not_stop_the_others)
{
	ASSERT_EQ(0, dmus_load("virt=1"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 at the PnP resources (0x300)"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 at the PnP resources (0x320)"));
	EXPECT_EQ(1, dmus_card_count());
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_FALSE(has_driver(self->polled));
	EXPECT_EQ(0, dmus_unload());
}

TEST_F(pnp, pnp_off_leaves_the_devices_alone)
{
	ASSERT_EQ(0, dmus_load("pnp=0,0,0,0,0,0,0,0 virt=1"));
	EXPECT_FALSE(dmus_klog_contains("device slot"));
	EXPECT_FALSE(dmus_klog_contains("0x300"));
	EXPECT_FALSE(dmus_klog_contains("0x320"));
	EXPECT_EQ(0, dmus_unload());
}

TEST_F(pnp, devices_bind_with_no_ack_and_take_index_and_id)
{
	/* Both bind: each PnP device takes the next free slot. */
	ASSERT_EQ(0, dmus_load("no_ack=1 index=5,6 id=PnPA,PnPB"));
	EXPECT_TRUE(dmus_klog_contains("MPU-401 at 0x300, irq 5, device slot 0"));
	EXPECT_TRUE(dmus_klog_contains("MPU-401 at 0x320, polled, device slot 1"));
	EXPECT_TRUE(has_driver(self->dev));
	EXPECT_TRUE(has_driver(self->polled));
	EXPECT_EQ(2, dmus_card_count());
	EXPECT_TRUE(file_contains("/proc/asound/cards", " 5 [PnPA"));
	EXPECT_TRUE(file_contains("/proc/asound/cards", " 6 [PnPB"));
	EXPECT_TRUE(file_contains("/proc/asound/cards", "DMus MPU-401 at 0x300, irq 5"));
	EXPECT_TRUE(file_contains("/proc/asound/cards", "DMus MPU-401 at 0x320, polled"));
	EXPECT_TRUE(file_contains("/proc/ioports", "0300-0301 : MPU-401 UART"));
	EXPECT_TRUE(file_contains("/proc/ioports", "0320-0321 : MPU-401 UART"));
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_FALSE(has_driver(self->polled));
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));
	EXPECT_EQ(0, dmus_card_count());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(pnp, bound_device_unbinds_and_rebinds_in_its_slot)
{
	const char *name = strrchr(self->dev, '/') + 1;

	ASSERT_EQ(0, dmus_load("no_ack=1 index=5,6"));
	ASSERT_TRUE(has_driver(self->dev));
	EXPECT_TRUE(file_contains("/proc/asound/cards", " 5 [DMusMPU401"));
	EXPECT_EQ(0, write_file("/sys/bus/pnp/drivers/" DMUS_MODNAME "/unbind", name));
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_EQ(1, dmus_card_count());
	EXPECT_FALSE(file_contains("/proc/asound/cards", " 5 [DMusMPU401"));
	EXPECT_FALSE(file_contains("/proc/ioports", "0300-0301 : MPU-401 UART"));
	/* Slot 0 was given back: the device takes it, and its index, again. */
	EXPECT_EQ(0, write_file("/sys/bus/pnp/drivers/" DMUS_MODNAME "/bind", name));
	EXPECT_TRUE(has_driver(self->dev));
	EXPECT_EQ(2, dmus_card_count());
	EXPECT_TRUE(file_contains("/proc/asound/cards", " 5 [DMusMPU401"));
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* --- PCI ----------------------------------------------------------------- */

FIXTURE(pci) {
	char dev[512];
	const char *name;
	unsigned long bar1;	/* start of its I/O BAR 1 */
};

FIXTURE_SETUP(pci)
{
	if (geteuid())
		SKIP(return, "needs root");
	if (!find_device("/sys/bus/pci/devices", "device", "0x0005", self->dev,
			 sizeof(self->dev)))
		SKIP(return, "no pci-testdev (boot with -device pci-testdev)");
	self->name = strrchr(self->dev, '/') + 1;
	self->bar1 = bar_start(self->dev, 1);
	ASSERT_NE(0UL, self->bar1);
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
}

FIXTURE_TEARDOWN(pci)
{
	dmus_unload();
}

TEST_F(pci, new_id_without_chip_is_enodev_and_leaks_nothing)
{
	ASSERT_EQ(0, dmus_load("virt=1 pci_bar=1 pci_offset=0x30"));
	ASSERT_EQ(0, write_file(PCI_DRIVER "/new_id", "1b36 0005"));
	EXPECT_TRUE(dmus_klog_contains("new_id: MPU-401 UART at BAR 1 + 0x30 (port 0x"));
	EXPECT_TRUE(dmus_klog_contains("new_id: no MPU-401 answered at BAR 1 + 0x30"));
	EXPECT_FALSE(has_driver(self->dev));
	/* Binding by hand fails the same way, again and again. */
	EXPECT_EQ(-ENODEV, write_file(PCI_DRIVER "/bind", self->name));
	EXPECT_EQ(-ENODEV, write_file(PCI_DRIVER "/bind", self->name));
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));
	EXPECT_EQ(1, dmus_card_count());
	EXPECT_EQ(0, write_file(PCI_DRIVER "/remove_id", "1b36 0005"));
	EXPECT_EQ(0, dmus_unload());
	EXPECT_EQ(0, dmus_card_count());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(pci, driver_override_binds_a_card_by_hand)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/driver_override", self->dev);
	ASSERT_EQ(0, dmus_load("pnp=0,0,0,0,0,0,0,0 pci_bar=1 pci_offset=0x30 no_ack=1"));
	EXPECT_TRUE(dmus_klog_contains("no device found"));
	EXPECT_FALSE(has_driver(self->dev));
	ASSERT_EQ(0, write_file(path, DMUS_MODNAME));
	EXPECT_EQ(0, write_file(PCI_DRIVER "/bind", self->name));
	EXPECT_TRUE(has_driver(self->dev));
	EXPECT_EQ(1, dmus_card_count());
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_EQ(0, write_file(path, "\n"));
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(pci, memory_bar_is_enodev)
{
	ASSERT_EQ(0, dmus_load("virt=1 pci_bar=0"));
	ASSERT_EQ(0, write_file(PCI_DRIVER "/new_id", "1b36 0005"));
	EXPECT_TRUE(dmus_klog_contains("new_id: BAR 0 is no I/O BAR"));
	EXPECT_EQ(-ENODEV, write_file(PCI_DRIVER "/bind", self->name));
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_EQ(0, dmus_unload());
}

TEST_F(pci, offset_past_the_bar_is_enodev)
{
	ASSERT_EQ(0, dmus_load("virt=1 pci_bar=1 pci_offset=0xff"));
	ASSERT_EQ(0, write_file(PCI_DRIVER "/new_id", "1b36 0005"));
	EXPECT_TRUE(dmus_klog_contains("new_id: BAR 1 has 256 ports, "
				       "no room for an MPU-401 at offset 0xff"));
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_EQ(0, dmus_unload());
}

TEST_F(pci, bound_card_unbinds_rebinds_and_unloads)
{
	char name[64];

	ASSERT_EQ(0, dmus_load("virt=1 pci_bar=1 pci_offset=0x30 no_ack=1 pnp=0,0,0,0,0,0,0,0"));
	ASSERT_EQ(0, write_file(PCI_DRIVER "/new_id", "1b36 0005"));
	ASSERT_TRUE(has_driver(self->dev));
	EXPECT_EQ(2, dmus_card_count());
	snprintf(name, sizeof(name), "DMus MPU-401 at %#lx, polled", self->bar1 + 0x30);
	EXPECT_TRUE(file_contains("/proc/asound/cards", name));
	EXPECT_TRUE(file_contains("/proc/ioports", "MPU-401 UART"));

	EXPECT_EQ(0, write_file(PCI_DRIVER "/unbind", self->name));
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_EQ(1, dmus_card_count());
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));

	EXPECT_EQ(0, write_file(PCI_DRIVER "/bind", self->name));
	EXPECT_TRUE(has_driver(self->dev));
	EXPECT_EQ(2, dmus_card_count());

	/* Unload with the card bound. */
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(has_driver(self->dev));
	EXPECT_EQ(0, dmus_card_count());
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));
	EXPECT_FALSE(dmus_klog_has_splat());
}

/* --- ISA, several devices -------------------------------------------------- */

FIXTURE(isa) {};

FIXTURE_SETUP(isa)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	dmus_klog_clear();
}

FIXTURE_TEARDOWN(isa)
{
	dmus_unload();
}

TEST_F(isa, two_ports_without_chips_are_enodev)
{
	EXPECT_EQ(-ENODEV, dmus_load("port=0x330,0x310 irq=5,7"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x330, irq 5"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x310, irq 7"));
	EXPECT_TRUE(dmus_klog_contains("MPU-401 device not found or device busy"));
	EXPECT_FALSE(dmus_loaded());
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));
}

TEST_F(isa, second_port_needs_its_irq)
{
	EXPECT_EQ(-EINVAL, dmus_load("port=0x330,0x310 irq=5"));
	EXPECT_TRUE(dmus_klog_contains("port=0x310 needs irq="));
	EXPECT_EQ(-EINVAL, dmus_load("port=0x330,0x10000 irq=5,7"));
	EXPECT_TRUE(dmus_klog_contains("port=0x10000: not an ISA I/O port"));
	EXPECT_FALSE(dmus_loaded());
}

TEST_F(isa, failing_ports_do_not_stop_the_others)
{
	ASSERT_EQ(0, dmus_load("port=0x330,0x310 irq=5,-1 virt=1"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x330, irq 5"));
	EXPECT_TRUE(dmus_klog_contains("no MPU-401 answered at MPU-401 at 0x310, polled"));
	EXPECT_EQ(1, dmus_card_count());
	EXPECT_EQ(0, dmus_unload());
}

TEST_F(isa, two_ports_make_two_cards_with_their_index_and_id)
{
	ASSERT_EQ(0, dmus_load("port=0x330,0x310 irq=5,-1 no_ack=1 index=3,4 id=MpuA,MpuB "
			       "enable=1,1,0,0,0,0,0,0"));
	EXPECT_EQ(2, dmus_card_count());
	EXPECT_TRUE(file_contains("/proc/asound/cards", " 3 [MpuA"));
	EXPECT_TRUE(file_contains("/proc/asound/cards", " 4 [MpuB"));
	EXPECT_TRUE(file_contains("/proc/asound/cards", "DMus MPU-401 at 0x330, irq 5"));
	EXPECT_TRUE(file_contains("/proc/asound/cards", "DMus MPU-401 at 0x310, polled"));
	EXPECT_TRUE(file_contains("/proc/ioports", "0330-0331 : MPU-401 UART"));
	EXPECT_TRUE(file_contains("/proc/ioports", "0310-0311 : MPU-401 UART"));
	/* Each has its own sequencer port (snd-seq-midi), as aplaymidi -l lists. */
	EXPECT_TRUE(file_contains("/proc/asound/seq/clients", "\"DMus MPU-401 0x330\""));
	EXPECT_TRUE(file_contains("/proc/asound/seq/clients", "\"DMus MPU-401 0x310\""));
	/* enable=0 for the other slots: the PnP device stays alone. */
	EXPECT_FALSE(dmus_klog_contains("device slot"));
	EXPECT_EQ(0, dmus_unload());
	EXPECT_FALSE(file_contains("/proc/ioports", "MPU-401"));
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_HARNESS_MAIN
