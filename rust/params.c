// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device module parameters, as snd-mpu401 names them: index, id,
 * enable, pnp, port and irq, one value per device slot. They are C because
 * Linux 7.2's Rust module parameters are scalar integers only (no arrays, no
 * strings); the scalar parameters live in rust/snd_dmus_mpu401.rs. Rust reads
 * these through the getters below (rust/glue.rs); rust/snd_dmus_mpu401.rs
 * checks them.
 *
 * Slot i is an ISA MPU-401 when enable[i] is set, port[i] is given and pnp[i]
 * is 0. pnp[i] defaults to 1 for a slot without a port (a PnP device may take
 * it) and to 0 for a slot with one: `port=0x330 irq=5` works without the
 * `pnp=0` snd-mpu401 needs, and snd-mpu401's `pnp=0 port=0x330 irq=5` means
 * the same here.
 */
#include <linux/moduleparam.h>
#include <sound/core.h>
#include <sound/initval.h>

#include "glue.h"

/*
 * Explicit ranges rather than SNDRV_DEFAULT_*, which fill SNDRV_CARDS
 * entries (32 with CONFIG_SND_DYNAMIC_MINORS).
 */
static int index[DMUS_SLOTS] = { [0 ... (DMUS_SLOTS - 1)] = -1 };
static char *id[DMUS_SLOTS];
static bool enable[DMUS_SLOTS] = { [0 ... (DMUS_SLOTS - 1)] = 1 };
static bool pnp[DMUS_SLOTS] = { [0 ... (DMUS_SLOTS - 1)] = 1 };
static unsigned int pnp_given;
static long port[DMUS_SLOTS] = { [0 ... (DMUS_SLOTS - 1)] = SNDRV_AUTO_PORT };
static unsigned int port_given;
static int irq[DMUS_SLOTS] = { [0 ... (DMUS_SLOTS - 1)] = SNDRV_AUTO_IRQ };
static unsigned int irq_given;
static char *synth_bank;

module_param_array(index, int, NULL, 0444);
MODULE_PARM_DESC(index, "Index value for each MPU-401 card (-1: the first free slot)");
module_param_array(id, charp, NULL, 0444);
MODULE_PARM_DESC(id, "ID string for each MPU-401 card");
module_param_array(enable, bool, NULL, 0444);
MODULE_PARM_DESC(enable, "Enable each MPU-401 device slot (default: all)");
module_param_array(pnp, bool, &pnp_given, 0444);
MODULE_PARM_DESC(pnp, "PnP detection for each slot (default: 1 without port=, 0 with)");
module_param_hw_array(port, long, ioport, &port_given, 0444);
MODULE_PARM_DESC(port, "I/O port of each ISA MPU-401, e.g. 0x330,0x300");
module_param_hw_array(irq, int, irq, &irq_given, 0444);
MODULE_PARM_DESC(irq, "IRQ of each ISA MPU-401 (-1: no IRQ, poll the chip)");
module_param(synth_bank, charp, 0444);
MODULE_PARM_DESC(synth_bank, "Firmware file of the synthesizers' sound bank, e.g. dmus/timgm6mb.dmbk (default: the built-in bank)");

static bool valid(int slot)
{
	return slot >= 0 && slot < DMUS_SLOTS;
}

/* ALSA card index of slot @slot (-1: the first free one). */
int dmus_param_index(int slot)
{
	return valid(slot) ? index[slot] : -1;
}

/* ALSA card id of slot @slot, or NULL. The string lives as long as the module. */
const char *dmus_param_id(int slot)
{
	return valid(slot) ? id[slot] : NULL;
}

bool dmus_param_enabled(int slot)
{
	return valid(slot) && enable[slot];
}

/* Whether port= gave slot @slot a value that is not an I/O port. */
bool dmus_param_port_bad(int slot)
{
	return valid(slot) && (unsigned int)slot < port_given &&
	       port[slot] != SNDRV_AUTO_PORT && (port[slot] < 0 || port[slot] > 0xfffe);
}

/* The port of slot @slot, or 0 when none (or a bad one) was given; port=0 means none. */
unsigned long dmus_param_port(int slot)
{
	if (!valid(slot) || (unsigned int)slot >= port_given || port[slot] == SNDRV_AUTO_PORT ||
	    dmus_param_port_bad(slot))
		return 0;
	return port[slot];
}

/* The raw port= value of slot @slot, for messages. */
long dmus_param_port_raw(int slot)
{
	return valid(slot) ? port[slot] : 0;
}

/* The IRQ of slot @slot; SNDRV_AUTO_IRQ (0xffff) when none was given. */
int dmus_param_irq(int slot)
{
	if (!valid(slot) || (unsigned int)slot >= irq_given)
		return SNDRV_AUTO_IRQ;
	return irq[slot];
}

/* Whether slot @slot is left to PnP detection. */
bool dmus_param_slot_is_pnp(int slot)
{
	if (!valid(slot))
		return false;
	if ((unsigned int)slot < pnp_given)
		return pnp[slot];
	return !dmus_param_port(slot) && !dmus_param_port_bad(slot);
}

/* synth_bank=: the synthesizers' bank's firmware name, or NULL. Lives as long as the module. */
const char *dmus_param_synth_bank(void)
{
	return synth_bank && *synth_bank ? synth_bank : NULL;
}
