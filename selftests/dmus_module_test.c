// SPDX-License-Identifier: GPL-2.0
/*
 * Module life cycle: snd-dmus-mpu401 with one virtual MPU-401 loads, shows
 * in /proc/modules and the kernel log, refuses a second load, and unloads
 * leaving nothing behind, twenty times in a row.
 */
#include "dmus_lib.h"
#include "kselftest_harness.h"

FIXTURE(module) {};

FIXTURE_SETUP(module)
{
	if (geteuid())
		SKIP(return, "needs root");
	dmus_load_deps();
	dmus_unload();
	ASSERT_FALSE(dmus_loaded());
	dmus_klog_clear();
}

FIXTURE_TEARDOWN(module)
{
	dmus_unload();
}

TEST_F(module, load_and_unload)
{
	ASSERT_EQ(0, dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"));
	EXPECT_TRUE(dmus_loaded());
	EXPECT_TRUE(dmus_klog_contains(DMUS_MODNAME ": DMus port driver loaded"));
	ASSERT_EQ(0, dmus_unload());
	EXPECT_FALSE(dmus_loaded());
	EXPECT_TRUE(dmus_klog_contains(DMUS_MODNAME ": DMus port driver unloaded"));
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(module, second_load_is_refused)
{
	ASSERT_EQ(0, dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"));
	EXPECT_EQ(-EEXIST, dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"));
	EXPECT_TRUE(dmus_loaded());
	ASSERT_EQ(0, dmus_unload());
}

TEST_F_TIMEOUT(module, load_unload_loop, 600)
{
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, dmus_load("virt=1 pnp=0,0,0,0,0,0,0,0"));
		ASSERT_EQ(0, dmus_unload());
	}
	EXPECT_FALSE(dmus_loaded());
	EXPECT_FALSE(dmus_klog_has_splat());
}

TEST_F(module, loads_without_any_device)
{
	/* Every slot disabled: no ISA port, no PnP; no PCI card bound. */
	ASSERT_EQ(0, dmus_load("enable=0,0,0,0,0,0,0,0"));
	EXPECT_TRUE(dmus_klog_contains("no device found: set port= and irq=, or virt=; "
				       "PCI cards bind through new_id"));
	EXPECT_FALSE(file_contains("/proc/asound/cards", "DMusMPU401"));
	ASSERT_EQ(0, dmus_unload());
}

TEST_HARNESS_MAIN
