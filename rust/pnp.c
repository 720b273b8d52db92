// SPDX-License-Identifier: GPL-2.0
/*
 * The PnP front end: a pnp_driver for PNPb006 (a generic MPU-401, as
 * snd-mpu401 matches it), in C because Linux 7.2 has no Rust PnP
 * abstraction. For each PnP device it takes the next enabled slot left to
 * PnP (snd-mpu401's `pnp` semantics, see params.c), reads the port and IRQ
 * from the PnP resources and registers a child platform device with them;
 * the platform driver in rust/mpu401/probe.rs then probes the chip exactly
 * as for an ISA port= device. The PnP probe fails with the child's error
 * (-ENODEV when no MPU-401 answers) and leaves nothing registered.
 */
#include <linux/bitops.h>
#include <linux/module.h>
#include <linux/pnp.h>

#include "glue.h"

#ifdef CONFIG_PNP

/* The MPU-401's I/O range: data and status/command ports. */
#define IO_EXTENT 2

static const struct pnp_device_id dmus_pnp_ids[] = {
	{ .id = "PNPb006" },
	{ }
};

/* Slots in use by bound PnP devices; PnP devices found and bound. */
static unsigned long dmus_pnp_slots;
static atomic_t dmus_pnp_found = ATOMIC_INIT(0);
static atomic_t dmus_pnp_bound = ATOMIC_INIT(0);

static int dmus_pnp_probe(struct pnp_dev *pdev, const struct pnp_device_id *pid)
{
	struct platform_device *child;
	unsigned long port;
	int slot, irq, err;

	atomic_inc(&dmus_pnp_found);
	/* Reserves the slot: concurrent probes (sysfs bind) take different ones. */
	for (slot = 0; slot < DMUS_SLOTS; slot++)
		if (dmus_param_enabled(slot) && dmus_param_slot_is_pnp(slot) &&
		    !test_and_set_bit(slot, &dmus_pnp_slots))
			break;
	if (slot == DMUS_SLOTS) {
		dev_info(&pdev->dev,
			 "no device slot left for PnP (all taken, or see enable= and pnp=)\n");
		return -ENODEV;
	}
	if (!pnp_port_valid(pdev, 0) || pnp_port_flags(pdev, 0) & IORESOURCE_DISABLED) {
		dev_err(&pdev->dev, "no PnP port\n");
		err = -ENODEV;
		goto free_slot;
	}
	if (pnp_port_len(pdev, 0) < IO_EXTENT) {
		dev_err(&pdev->dev, "PnP port length is %llu, expected %d\n",
			(unsigned long long)pnp_port_len(pdev, 0), IO_EXTENT);
		err = -ENODEV;
		goto free_slot;
	}
	port = pnp_port_start(pdev, 0);
	if (!pnp_irq_valid(pdev, 0) || pnp_irq_flags(pdev, 0) & IORESOURCE_DISABLED) {
		dev_warn(&pdev->dev, "no PnP irq, using polling\n");
		irq = 0;
	} else {
		irq = pnp_irq(pdev, 0);
	}
	if (irq)
		dev_info(&pdev->dev, "MPU-401 at %#lx, irq %d, device slot %d\n", port, irq, slot);
	else
		dev_info(&pdev->dev, "MPU-401 at %#lx, polled, device slot %d\n", port, slot);
	child = dmus_glue_platform_register(DMUS_DRIVER_NAME, &pdev->dev, slot, port, irq);
	if (IS_ERR(child)) {
		err = PTR_ERR(child);
		goto free_slot;
	}
	if (!dmus_glue_platform_bound(child)) {
		platform_device_unregister(child);
		dev_err(&pdev->dev, "no MPU-401 at the PnP resources (%#lx); device left unbound\n",
			port);
		err = -ENODEV;
		goto free_slot;
	}
	pnp_set_drvdata(pdev, child);
	atomic_inc(&dmus_pnp_bound);
	return 0;

free_slot:
	clear_bit(slot, &dmus_pnp_slots);
	return err;
}

static void dmus_pnp_remove(struct pnp_dev *pdev)
{
	struct platform_device *child = pnp_get_drvdata(pdev);
	int slot = child->id;

	platform_device_unregister(child);
	clear_bit(slot, &dmus_pnp_slots);
	atomic_dec(&dmus_pnp_bound);
}

static struct pnp_driver dmus_pnp_driver = {
	.name = DMUS_DRIVER_NAME,
	.id_table = dmus_pnp_ids,
	.probe = dmus_pnp_probe,
	.remove = dmus_pnp_remove,
};

/*
 * Registers the PnP driver (its probes run now, for the devices present).
 * Stores the PnP devices found and bound in @found and @bound. Returns 0 or
 * the error of pnp_register_driver().
 */
int dmus_pnp_register(int *found, int *bound)
{
	int err = pnp_register_driver(&dmus_pnp_driver);

	if (err)
		return err;
	*found = atomic_read(&dmus_pnp_found);
	*bound = atomic_read(&dmus_pnp_bound);
	return 0;
}

/*
 * Unregisters the PnP driver registered by dmus_pnp_register() (its devices'
 * children go first).
 */
void dmus_pnp_unregister(void)
{
	pnp_unregister_driver(&dmus_pnp_driver);
}

#else /* !CONFIG_PNP */

int dmus_pnp_register(int *found, int *bound)
{
	*found = 0;
	*bound = 0;
	return 0;
}

void dmus_pnp_unregister(void)
{
}

#endif /* CONFIG_PNP */
