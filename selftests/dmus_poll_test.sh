#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The loopback suite again with the virtual MPU-401's interrupt switched off
# (virt_irq=0): the driver polls the chip with an hrtimer every 1 ms, as
# snd-mpu401 does with irq=-1. The cable runs at 62500 baud (6250 bytes/s),
# so the 256-byte input FIFO holds 41 ms of input: a poll period covers it
# many times over, on any kernel. (An instant cable would make every poll a
# race the chip loses: a real MPU-401 cannot deliver faster than its wire.)
DIR=$(dirname "$(readlink -f "$0")")
DMUS_VIRT_PARAMS="virt=1 virt_irq=0 baud=62500 rx_fifo=256 tx_fifo=256 pnp=0,0,0,0,0,0,0,0" \
	exec "$DIR/dmus_loopback_test" -f virt
