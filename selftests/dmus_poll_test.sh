#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The loopback suite again with the virtual MPU-401's interrupt switched off
# (virt_irq=0): the driver polls the chip with an hrtimer, as snd-mpu401 does
# with irq=-1.
DIR=$(dirname "$(readlink -f "$0")")
DMUS_VIRT_PARAMS="virt=1 virt_irq=0 baud=0 rx_fifo=256 tx_fifo=256" \
	exec "$DIR/dmus_loopback_test" -f virt
