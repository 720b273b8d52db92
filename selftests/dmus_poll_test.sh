#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The loopback suite again with the virtual MPU-401's interrupt switched off
# (virt_irq=0): the driver polls the chip with an hrtimer every 1 ms, as
# snd-mpu401 does with irq=-1. The cable runs at MIDI's 31250 baud, so the
# 256-byte input FIFO holds 82 ms of input: a poll period covers it many
# times over, on any kernel. (An instant cable would make every poll a race
# the chip loses: a real MPU-401 cannot deliver faster than its wire.) At
# wire speed the real files are a sample: the ten smallest openttd-openmsx
# and csound-doc files (the full set runs with the interrupt, instant).
DIR=$(dirname "$(readlink -f "$0")")
RAW=${DMUS_RAW_DIR:-/opt/dmus/raw}
SAMPLE=$(mktemp -d)
trap 'rm -rf "$SAMPLE"' EXIT
ls -S "$RAW"/*.raw | tail -n 10 | while read -r f; do
	ln -s "$f" "$SAMPLE/"
done
DMUS_RAW_DIR=$SAMPLE DMUS_RAW_MIN=10 \
DMUS_VIRT_PARAMS="virt=1 virt_irq=0 baud=31250 rx_fifo=256 tx_fifo=256 pnp=0,0,0,0,0,0,0,0" \
	"$DIR/dmus_loopback_test" -f virt
