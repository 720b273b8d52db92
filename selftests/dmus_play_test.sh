#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# aplaymidi -> snd-dmus-mpu401 (a virtual MPU-401 with a 31250-baud cable
# from OUT to IN) -> arecordmidi: short real MIDI files (SysEx, running
# status, poly aftertouch, several channels) come back event-exact.
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
MIDI=${DMUS_MIDI:-/opt/dmus/midi}
FILES="polyaft.mid pgmassign_advanced.mid midichn_advanced.mid"

ktap_print_header
ktap_set_plan 3
rmmod snd_dmus_mpu401 2>/dev/null
modprobe snd-dmus-mpu401 virt=1 || ktap_exit_fail_msg "modprobe snd-dmus-mpu401 virt=1 failed"
for f in $FILES; do
	if "$DIR/dmus_play.sh" "$MIDI/$f" /tmp/dmus-rec.mid >/tmp/dmus-cmp.txt 2>&1; then
		grep -E "^(events|timing|jitter)" /tmp/dmus-cmp.txt | sed 's/^/# /'
		ktap_test_pass "$f played and recorded event-exact"
	else
		sed 's/^/# /' /tmp/dmus-cmp.txt
		ktap_test_fail "$f played and recorded event-exact"
	fi
done
rmmod snd_dmus_mpu401
ktap_finished
