#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of scripts/bochs.sh, in Bochs' PC with its Sound Blaster 16:
# loads snd-dmus-mpu401 on the SB16's MPU-401 (port 0x330, IRQ 5) and plays
# one real MIDI file one way: raw (its bytes with amidi), aplay (aplaymidi to
# the module's sequencer port) or dmusplay (through the DMus device). Bochs
# writes what leaves the chip's MIDI OUT to a file that the host compares.
# Usage: guest-bochs.sh raw|aplay|dmusplay FILE.mid
how=$1
file=/opt/dmus/midi/$2
base=$(basename "$2" .mid)
# What the kernel said while booting on Bochs' CPU model is not the module's.
dmesg -c >/dev/null
modprobe snd-dmus-mpu401 port=0x330 irq=5 pnp=0,0,0,0,0,0,0,0 || exit 10
card=$(awk '/DMus MPU-401/ { print $1; exit }' /proc/asound/cards)
[ -n "$card" ] || exit 11
grep -A1 "^ *$card \[" /proc/asound/cards
case $how in
raw) amidi -p "hw:$card,0" -s "/opt/dmus/raw/$base.raw" || exit 12 ;;
aplay)
	port=$(aplaymidi -l | awk '/DMus MPU-401/ { print $1; exit }')
	aplaymidi -p "$port" "$file" || exit 12
	;;
dmusplay) /opt/dmus/dmusplay -d "hwC${card}D0" "$file" || exit 12 ;;
*) exit 13 ;;
esac
grep -A3 '^Output' "/proc/asound/card$card/midi0"
# Unloading drains the output.
rmmod snd_dmus_mpu401 || exit 14
if dmesg | grep -E "BUG:|WARNING:|Oops|Call Trace"; then
	exit 15
fi
exit 0
