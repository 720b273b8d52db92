/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The peer: virtual MPU-401s that snd-dmus-mpu401 creates for the in-tree
 * snd-mpu401-uart library to drive (module parameter peer=N), so that both
 * drivers can be measured on identical chips. snd-dmus-peer (rust/peer.c)
 * is the only user. A measuring instrument, not a driver for hardware.
 *
 * The chips live as long as snd-dmus-mpu401 is loaded; a module that uses
 * these symbols keeps it loaded.
 */
#ifndef DMUS_PEER_H
#define DMUS_PEER_H

#include <linux/types.h>

/* One virtual MPU-401 left for the peer. */
struct dmus_peer_chip {
	/* The register interface (rust/virt/peer.rs). */
	void *io;
	/* Its simulated interrupt line (a Linux IRQ number). */
	unsigned int irq;
	/* Its number: debugfs shows it as snd-dmus-mpu401-peer<index>/. */
	unsigned int index;
};

/* Chip @n (0 to peer= - 1), NULL past the last. glue.c. */
const struct dmus_peer_chip *dmus_peer_get(unsigned int n);

/*
 * The chip's registers as snd-mpu401-uart's read and write hooks see them:
 * @addr 0 is the data port, 1 the command (write) and status (read) port.
 * Any context. glue.c.
 */
u8 dmus_peer_read(const struct dmus_peer_chip *chip, unsigned long addr);
void dmus_peer_write(const struct dmus_peer_chip *chip, u8 data, unsigned long addr);

#endif /* DMUS_PEER_H */
