#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unload while aplaymidi plays through snd-dmus-mpu401: refused while the
# player holds the device, done once the player is stopped, and the kernel
# log stays free of oopses and warnings.
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
MIDI=${DMUS_MIDI:-/opt/dmus/midi}

ktap_print_header
ktap_set_plan 3
rmmod snd_dmus_mpu401 2>/dev/null
dmesg -c >/dev/null
modprobe snd-dmus-mpu401 virt=1 || ktap_exit_fail_msg "modprobe snd-dmus-mpu401 virt=1 failed"
port=$(aplaymidi -l | awk '/DMus MPU-401/ { print $1; exit }')
aplaymidi -p "$port" "$MIDI/5432gone_redfarn.mid" &
player=$!
sleep 2
if rmmod snd_dmus_mpu401 2>/dev/null; then
	ktap_test_fail "unload refused while aplaymidi plays"
else
	ktap_test_pass "unload refused while aplaymidi plays"
fi
kill "$player"
wait "$player"
unloaded=no
for i in 1 2 3 4 5 6 7 8 9 10; do
	if rmmod snd_dmus_mpu401 2>/dev/null || ! grep -q '^snd_dmus_mpu401 ' /proc/modules; then
		unloaded=yes
		break
	fi
	sleep 0.5
done
[ $unloaded = yes ] && ktap_test_pass "unloads once the player is stopped" ||
	ktap_test_fail "unloads once the player is stopped"
if dmesg | grep -E "BUG:|WARNING:|Oops|Call Trace"; then
	ktap_test_fail "kernel log clean"
else
	ktap_test_pass "kernel log clean"
fi
ktap_finished
