#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The onset benchmark of the software synthesizer: 300 isolated drum clicks
# at random times (synthcmp clicks: 100 to 200 ms apart, seed 1) played with
# dmusplay through the synthesizer's DMus device while arecord captures its
# PCM. synthcmp onsets finds each click in the capture (the built-in bank's
# click is a full-scale sample after silence) and measures its onset
# against RefTimeToSample(presentation time) from the debugfs clock: every
# click delivered on time must start within one frame (the design makes it
# exact), and at least three quarters must be on time; the figures (median,
# p99, max; how late the late ones started) are printed.
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
SYNTHCMP=${DMUS_SYNTHCMP:-/opt/dmus/synthcmp}
DMUSPLAY=${DMUS_DMUSPLAY:-/opt/dmus/dmusplay}
CLICKS=300

ktap_print_header
ktap_set_plan 2
for tool in "$SYNTHCMP" "$DMUSPLAY"; do
	[ -x "$tool" ] || ktap_exit_fail_msg "$tool missing"
done
rmmod snd_dmus_mpu401 2>/dev/null
modprobe snd-dmus-mpu401 synth=1 synth_delay=50 enable=0,0,0,0,0,0,0,0 ||
	ktap_exit_fail_msg "modprobe snd-dmus-mpu401 synth=1 failed"
card=$(sed -n 's/^ *\([0-9]*\) \[DMusSynth.*/\1/p' /proc/asound/cards | head -n1)
dbg=$(ls -d /sys/kernel/debug/snd-dmus-mpu401-synth* | tail -n1)
[ -n "$card" ] && [ -d "$dbg" ] || ktap_exit_fail_msg "no synthesizer card"
"$SYNTHCMP" clicks /tmp/clicks.mid --count $CLICKS --seed 1 ||
	ktap_exit_fail_msg "synthcmp clicks failed"

arecord -q -D "hw:$card,0" -f S16_LE -c 2 -r 48000 -t raw -d 52 /tmp/clicks.raw \
	>/tmp/arecord.log 2>&1 &
rec=$!
sleep 1
origin=$(sed -n 's/^origin_time: //p' "$dbg/clock")
"$DMUSPLAY" -d "hwC${card}D0" /tmp/clicks.mid >/tmp/dmusplay.log 2>&1
play=$?
wait $rec
rc=$?
sed 's/^/# dmusplay: /' /tmp/dmusplay.log
sed 's/^/# arecord: /' /tmp/arecord.log
if [ $play -eq 0 ] && [ $rc -eq 0 ] && [ "$origin" -gt 0 ] 2>/dev/null; then
	ktap_test_pass "$CLICKS clicks played with dmusplay and captured"
else
	ktap_test_fail "$CLICKS clicks played with dmusplay and captured (dmusplay $play, arecord $rc, origin '$origin')"
fi
if "$SYNTHCMP" onsets "$dbg/events" /tmp/clicks.raw --origin "$origin" \
	--min-measured $((CLICKS * 3 / 4)) >/tmp/onsets.txt 2>&1; then
	sed 's/^/# /' /tmp/onsets.txt
	ktap_test_pass "every on-time click starts within a frame of RefTimeToSample(pres)"
else
	sed 's/^/# /' /tmp/onsets.txt
	ktap_test_fail "every on-time click starts within a frame of RefTimeToSample(pres)"
fi
rmmod snd_dmus_mpu401
ktap_finished
